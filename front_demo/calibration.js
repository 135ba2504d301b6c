// "Teach Signify your hand": the calibration panel, the person's profile and the
// opt-in donation (PROTOCOL.md, "Calibration (version 2)").
//
// The server prompts letters one at a time and hands back a profile at the end;
// this page keeps it in localStorage (storage.js) and sends it again after every
// connect. The state is written as data attributes, for people in the console
// and for the browser test: body[data-calibration] (idle, running or done),
// #calibration[data-available] (true or false), [data-donations] (true or false),
// [data-letter] (the prompted letter while running), [data-stored] (the letters of
// the profile kept in this browser, space separated) and [data-active] (the
// letters the server adapts this session with, from profile or profile_loaded).

import {
  contributorId, forgetProfile, loadProfile, profileKey, resetContributorId, saveProfile, storageAvailable,
  storedContributorId,
} from "./storage.js";

const $ = (id) => document.getElementById(id);
const MOTION_LETTERS = new Set(["J", "Z"]);
// The error codes that answer calibration, profile and donation messages; they carry no frame id.
const CALIBRATION_ERRORS = new Set([
  "bad_profile", "profile_mismatch", "bad_calibration", "calibration_unavailable", "donation_failed",
]);

function lettersText(letters) {
  return letters.join(" ");
}

function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

export class CalibrationPanel {
  /**
   * @param {(message: object) => boolean} send a protocol message; false when not connected
   * @param {object} stats window.signify, where the test reads what happened
   */
  constructor(send, stats) {
    this.send = send;
    this.stats = stats;
    Object.assign(stats, {
      calibration: "idle", profilesSent: 0, profileLoaded: null, profileErrors: [], calibrationDone: null,
      donationDeleted: null, model: null,
    });
    this.key = null;
    this.labels = [];
    this.connected = false;
    this.available = false;
    this.donations = false;
    this.state = "idle";
    this.prompt = null; // the calibration prompt being answered
    this.collected = 0;
    this.handInView = true;
    this.active = null; // the letters the server adapts this session with
    this.profilePending = false; // a stored profile was sent and is not answered yet
    this.stopping = false;
    this.donating = false; // the running calibration was started with the person's consent to donate
    this.message = "";
    this.bind();
    this.render();
  }

  bind() {
    $("calibration-start").addEventListener("click", () => this.start());
    $("calibration-skip").addEventListener("click", () => this.send({ type: "calibration_skip" }));
    $("calibration-stop").addEventListener("click", () => {
      if (this.send({ type: "calibration_stop" })) this.stopping = true;
      this.render();
    });
    $("letters-all").addEventListener("click", () => this.pickAll(true));
    $("letters-none").addEventListener("click", () => this.pickAll(false));
    $("profile-forget").addEventListener("click", () => this.forget());
    $("contributor-reset").addEventListener("click", () => this.resetContributor());
    $("donation-delete").addEventListener("click", () => this.deleteDonations());
    $("donate").addEventListener("change", () => this.render());
  }

  /** The server this page talks to: its profile is kept under its address. */
  setServer(url) {
    this.key = profileKey(url);
    this.render();
  }

  get stored() {
    return this.key === null ? null : loadProfile(this.key);
  }

  /** A new session: what it offers, and the kept profile sent to it. */
  onReady(ready) {
    this.connected = true;
    this.active = null;
    this.profilePending = false;
    this.stats.model = { name: ready.model.name, version: ready.model.version };
    if (this.state === "running") this.finishRun("idle");
    const offer = ready.config?.calibration ?? {};
    this.available = offer.available === true;
    this.donations = this.available && offer.donations === true;
    this.showLetters(ready.model.labels);
    this.sendStoredProfile(ready.model);
    this.render();
  }

  sendStoredProfile(model) {
    const kept = this.stored;
    if (kept === null || !this.available) return; // a server that cannot calibrate cannot judge it either
    if (kept.model.name !== model.name || kept.model.version !== model.version) {
      forgetProfile(this.key);
      this.message = `Your saved calibration was made for ${kept.model.name} ${kept.model.version}; this server runs `
        + `${model.name} ${model.version}, so it was deleted. Signify works without it; calibrate again to adapt this model.`;
      return;
    }
    if (this.send({ type: "profile", profile: kept.profile })) {
      this.profilePending = true;
      this.stats.profilesSent += 1;
    }
  }

  onDisconnected() {
    if (!this.connected) return;
    this.connected = false;
    this.active = null; // the server forgets the adaptation with the session; it is sent again on reconnect
    this.profilePending = false;
    if (this.state === "running") {
      this.finishRun("idle");
      this.message = "The connection was lost during the calibration. Start again once the page is live.";
    }
    this.render();
  }

  /** Handle a server message of the calibration; false for anything else. */
  onMessage(message) {
    switch (message.type) {
      case "calibration":
        if (message.state === "prompt") this.onPrompt(message);
        else if (message.state === "done") this.onDone(message);
        break;
      case "profile":
        this.onProfile(message);
        break;
      case "profile_loaded":
        // No letters: the session runs on the shared model (the server also says so after profile_clear).
        this.profilePending = false;
        this.active = message.letters.length ? [...message.letters] : null;
        this.stats.profileLoaded = [...message.letters];
        break;
      case "donation_deleted":
        this.stats.donationDeleted = { contributor: message.contributor, windows: message.windows };
        this.message = message.windows === 0
          ? "The server holds no samples donated under your contributor id."
          : `Deleted ${plural(message.windows, "donated sample", "donated samples")} from the server.`;
        break;
      default:
        return false;
    }
    this.render();
    return true;
  }

  /** Handle an error that answers a calibration, profile or donation message; false for any other. */
  onError(error) {
    if (error.code === "rate_limited" && error.id === null && (this.profilePending || this.stopping)) {
      // A control message the server had no room for: nothing happened, so nothing is pending any more.
      this.profilePending = false;
      this.stopping = false;
      this.message = "The server was busy and did not take that: try again.";
      this.render();
      return true;
    }
    if (!CALIBRATION_ERRORS.has(error.code)) return false;
    this.stats.profileErrors.push(error.code);
    switch (error.code) {
      case "bad_profile":
        this.dropStoredProfile("the server could not read it (it is damaged or not a profile)");
        break;
      case "profile_mismatch":
        this.dropStoredProfile("it was made for another version of the model");
        break;
      case "bad_calibration":
        // A refused start, or a skip or stop when the server runs none: either way none runs now.
        if (this.state === "running") this.finishRun("idle");
        this.message = `The server refused the calibration: ${error.message}`;
        break;
      case "calibration_unavailable":
        if (this.state === "running") this.finishRun("idle");
        this.profilePending = false;
        this.message = `This server cannot do that: ${error.message}`;
        break;
      case "donation_failed":
        this.message = `Your donated samples were not deleted: ${error.message}`;
        break;
      default:
        break;
    }
    this.render();
    return true;
  }

  dropStoredProfile(why) {
    const wasPending = this.profilePending;
    this.profilePending = false;
    if (this.key !== null) forgetProfile(this.key);
    this.message = `Your saved calibration was deleted from this browser: ${why}. `
      + `${wasPending ? "Signify carries on without it" : "Signify carries on as before"}; calibrate again to adapt it to your hand.`;
  }

  /** A prediction: its progress on the prompted letter, while a calibration runs. */
  onPrediction(prediction) {
    if (this.state !== "running" || this.prompt === null) return;
    const progress = prediction.calibration;
    if (progress && progress.letter === this.prompt.letter) {
      this.collected = progress.collected;
      this.prompt.frames = progress.frames;
    }
    this.handInView = prediction.hand;
    this.renderProgress();
  }

  onPrompt(message) {
    this.state = "running";
    this.prompt = { letter: message.letter, index: message.index, letters: [...message.letters], frames: message.frames };
    this.collected = 0;
    this.handInView = true;
    this.message = "";
  }

  onDone(message) {
    this.stats.calibrationDone = {
      letters: [...message.letters], skipped: [...message.skipped], donated: message.donated,
    };
    const asked = this.donating;
    this.finishRun("done");
    const parts = [message.letters.length
      ? `Calibrated: ${lettersText(message.letters)}.`
      : "No letter was calibrated: the letters were skipped, or stopped before enough frames with a hand."];
    if (message.skipped.length) parts.push(`Skipped: ${lettersText(message.skipped)}.`);
    if (asked) {
      parts.push(message.donated > 0
        ? `Donated ${plural(message.donated, "sample", "samples")} of hand keypoints. Thank you!`
        : "Nothing was donated: the server could not store the samples.");
    } else {
      parts.push("Nothing was donated.");
    }
    this.message = parts.join(" ");
  }

  onProfile(message) {
    this.active = [...message.letters];
    if (this.key === null || !saveProfile(this.key, message)) {
      this.message += " This browser would not keep the calibration: it applies to this visit only.";
    }
  }

  finishRun(state) {
    this.state = state;
    this.prompt = null;
    this.collected = 0;
    this.stopping = false;
    this.donating = false;
  }

  showLetters(labels) {
    if (labels.join() === this.labels.join()) return;
    const picked = new Set(this.picked());
    const fresh = this.labels.length === 0;
    this.labels = [...labels];
    $("calibration-letters").replaceChildren(...labels.map((label) => {
      const box = document.createElement("input");
      box.type = "checkbox";
      box.id = `pick-${label}`;
      box.value = label;
      box.checked = fresh || picked.has(label); // all 26 by default
      box.addEventListener("change", () => this.render());
      const item = document.createElement("label");
      item.className = "pick";
      item.title = MOTION_LETTERS.has(label) ? `${label} (a motion: sign it)` : label;
      const name = document.createElement("span");
      name.textContent = label;
      item.append(box, name);
      return item;
    }));
  }

  picked() {
    return [...document.querySelectorAll("#calibration-letters input:checked")].map((box) => box.value);
  }

  pickAll(on) {
    for (const box of document.querySelectorAll("#calibration-letters input")) box.checked = on;
    this.render();
  }

  start() {
    const letters = this.picked();
    if (letters.length === 0) {
      this.message = "Pick at least one letter to calibrate.";
      this.render();
      return;
    }
    const donate = this.donations && $("donate").checked;
    const message = { type: "calibration_start", letters, donate, contributor: donate ? contributorId() : null };
    if (!this.send(message)) {
      this.message = "Not connected: start again once the page is live.";
    } else {
      this.state = "running";
      this.donating = donate;
      this.prompt = null;
      this.message = "";
    }
    this.render();
  }

  forget() {
    if (this.active !== null) this.send({ type: "profile_clear" });
    if (this.key !== null) forgetProfile(this.key);
    this.active = null;
    this.profilePending = false;
    this.message = "Your calibration was forgotten: this browser no longer keeps it, and Signify uses the shared model.";
    this.render();
  }

  resetContributor() {
    const warning = "Samples donated under your current contributor id can no longer be deleted from this "
      + "browser once it is reset. To remove them, choose Cancel and use \"Delete my donated samples\" first. "
      + "Reset anyway?";
    if (storedContributorId() !== null && !window.confirm(warning)) return;
    resetContributorId();
    this.message = "You have a new contributor id. Samples donated under the old one stay on the server, "
      + "and this browser can no longer delete them.";
    this.render();
  }

  deleteDonations() {
    const id = storedContributorId();
    if (id === null) return;
    if (!this.send({ type: "donation_delete", contributor: id })) {
      this.message = "Not connected: try again once the page is live.";
    }
    this.render();
  }

  render() {
    const running = this.state === "running";
    const stored = this.stored;
    const storedLetters = stored?.letters ?? [];
    document.body.dataset.calibration = this.state;
    this.stats.calibration = this.state;
    const panel = $("calibration");
    panel.dataset.available = String(this.available);
    panel.dataset.donations = String(this.donations);
    panel.dataset.letter = running && this.prompt ? this.prompt.letter : "";
    panel.dataset.stored = lettersText(storedLetters);
    panel.dataset.active = this.active === null ? "" : lettersText(this.active);

    const unavailable = this.connected && !this.available;
    $("calibration-unavailable").hidden = !unavailable && storageAvailable();
    $("calibration-unavailable").textContent = unavailable
      ? "This server cannot calibrate: its model does not offer it. Signify works with the shared model."
      : "This browser does not let the page keep data, so a calibration would last for this visit only.";

    $("calibration-setup").hidden = running;
    $("calibration-run").hidden = !running;
    const usable = this.connected && this.available;
    $("calibration-start").disabled = !usable || this.picked().length === 0;
    for (const input of document.querySelectorAll("#calibration-letters input, #letters-all, #letters-none")) {
      input.disabled = !usable;
    }

    // The profile: in use, or kept here and sent once connected.
    const line = $("calibration-profile");
    line.hidden = this.active === null && stored === null;
    if (this.active !== null) {
      $("profile-text").textContent = `Calibrated for you: ${lettersText(this.active)}`;
    } else if (stored !== null && unavailable) {
      $("profile-text").textContent = `Your calibration (${lettersText(storedLetters)}) is kept in this browser; `
        + "this server cannot use it.";
    } else if (stored !== null) {
      $("profile-text").textContent = this.profilePending
        ? `Loading your calibration: ${lettersText(storedLetters)}…`
        : `Your calibration (${lettersText(storedLetters)}) is kept in this browser and used once connected.`;
    }
    $("profile-forget").disabled = running;

    // Donation: offered only where the server stores donations.
    $("donation").hidden = !this.donations;
    const contributor = storedContributorId();
    $("contributor-text").textContent = contributor === null
      ? "No contributor id yet: one is made at random when you first donate."
      : `Your contributor id: ${contributor.slice(0, 6)}… (kept in this browser only)`;
    $("contributor-reset").disabled = contributor === null;
    $("donation-delete").disabled = contributor === null || !this.connected;

    $("calibration-message").textContent = this.message;
    $("calibration-message").hidden = !this.message;
    this.renderProgress();
  }

  renderProgress() {
    const prompt = this.state === "running" ? this.prompt : null;
    $("calibration-letter").textContent = prompt?.letter ?? "…";
    $("stage-prompt").hidden = prompt === null;
    $("stage-prompt-letter").textContent = prompt?.letter ?? "";
    $("calibration-step").textContent = prompt
      ? `Show this letter · ${prompt.index + 1} of ${prompt.letters.length}`
      : "Starting…";
    let how = "Waiting for the server's first letter…";
    if (prompt && !this.handInView) {
      how = "No hand in view: show the letter to the camera.";
    } else if (prompt) {
      how = MOTION_LETTERS.has(prompt.letter)
        ? "Sign it, repeatedly, until the bar is full."
        : "Hold it still, facing the camera, until the bar is full.";
    }
    $("calibration-how").textContent = how;
    const frames = prompt?.frames ?? 0;
    const share = frames > 0 ? Math.min(1, this.collected / frames) : 0;
    $("calibration-bar").style.width = `${Math.round(share * 100)}%`;
    $("stage-prompt-bar").style.width = `${Math.round(share * 100)}%`;
    $("calibration-progress").setAttribute("aria-valuenow", String(Math.round(share * 100)));
    $("calibration-count").textContent = prompt ? `${this.collected} / ${frames} frames` : "";
    $("calibration-skip").disabled = !prompt || this.stopping;
    $("calibration-stop").disabled = this.stopping;
  }
}

export function isCalibrationError(error) {
  return CALIBRATION_ERRORS.has(error.code);
}

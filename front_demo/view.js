// What the page shows: predictions, connection and camera state, figures.
// The state is also written as data attributes, for people in the console
// and for the browser test: body[data-state], body[data-camera], body[data-close-code],
// #readout[data-predictions][data-hands], #letter[data-hand], #overlay[data-skeletons],
// body[data-framing] ("closer" while the page asks the signer to come closer, "ok" otherwise).
// While the page tracks the hand itself (tracking.js), it draws the skeleton and the
// answers' landmarks are not drawn (the server echoes none for keypoints).
// The calibration panel writes its own (body[data-calibration], #calibration[data-*]): see calibration.js.

const $ = (id) => document.getElementById(id);
const FRAMING_HINT = "Bring your hand closer to the camera: a small hand is read less well.";
const STATUS_TEXT = {
  idle: "Waiting for camera",
  connecting: "Connecting…",
  open: "Live",
  retrying: "Reconnecting…",
  failed: "Disconnected",
};

export class View {
  constructor(overlay) {
    this.overlay = overlay;
    this.drawsAnswers = true; // false while tracking.js draws the skeleton at camera rate
    this.predictions = 0;
    this.hands = 0;
  }

  /** The connection's state, and the close code that ended the last socket, if any. */
  setConnection(state, closeCode) {
    document.body.dataset.state = state;
    document.body.dataset.closeCode = closeCode ?? "";
    $("status-text").textContent = STATUS_TEXT[state] ?? state;
    if (state !== "open") this.showOffline();
  }

  setCamera(state, message) {
    document.body.dataset.camera = state;
    $("stage-message").textContent = message ?? "";
    $("stage-message").hidden = state === "on";
    if (state === "on") {
      $("camera-hint").textContent = "Fingerspell with one hand in view; hold each letter for a moment to add it.";
    }
  }

  /** Whether to ask the signer to come closer (framing.js): the hand is small in the picture. */
  showFraming(closer) {
    document.body.dataset.framing = closer ? "closer" : "ok";
    $("framing-hint").textContent = closer ? FRAMING_HINT : "";
  }

  /** One line above the page; `action` adds a button (label, callback). */
  showNotice(text, action) {
    $("notice").hidden = !text;
    $("notice-text").textContent = text ?? "";
    const button = $("notice-action");
    button.hidden = !action;
    if (action) {
      button.textContent = action.label;
      button.onclick = action.run;
    }
  }

  showModel(model) {
    $("model").textContent = `${model.name} ${model.version}`;
    $("model").title = `${model.labels.length} letters: ${model.labels.join(" ")}`;
  }

  showEndpoint(url) {
    $("endpoint").textContent = `Server: ${url.replace(/token=[^&]+/, "token=…")}`;
  }

  /** A prediction; `text` is the transcript to show (it may differ from p.text after Clear). */
  showPrediction(p, text) {
    this.predictions += 1;
    $("readout").dataset.predictions = String(this.predictions);
    if (p.hand) {
      this.hands += 1;
      $("readout").dataset.hands = String(this.hands);
      this.showLetter(p.letter, p.confidence);
      if (this.drawsAnswers) this.overlay.draw(p.landmarks);
    } else {
      this.showLetter(null, null);
      if (this.drawsAnswers) this.overlay.clear();
    }
    this.setBadge(p.hand ? "true" : "false", p.hand ? "Hand found" : "No hand");
    this.showStable(p.stable);
    this.showTranscript(text);
    this.showTop(p.top);
  }

  showLetter(letter, confidence) {
    const percent = Math.round((confidence ?? 0) * 100);
    $("letter").dataset.hand = String(letter !== null);
    $("letter").textContent = letter ?? "–";
    $("confidence").textContent = letter === null ? "no hand" : `${percent}% sure`;
    $("confidence-bar").style.width = `${percent}%`;
  }

  showStable(letter) {
    $("stable").textContent = letter ?? "–";
    $("stable").dataset.empty = String(letter === null || letter === undefined);
  }

  showTranscript(text) {
    $("transcript").textContent = text;
    const box = $("transcript");
    box.scrollTop = box.scrollHeight; // keep the newest letters in view
  }

  showTop(top) {
    $("top").replaceChildren(...top.map(({ label, score }) => {
      const item = document.createElement("li");
      const name = document.createElement("b");
      name.textContent = label;
      const bar = document.createElement("span");
      bar.className = "bar";
      bar.style.width = `${Math.round(score * 100)}%`;
      const value = document.createElement("span");
      value.className = "score";
      value.textContent = `${Math.round(score * 100)}%`;
      item.append(name, bar, value);
      return item;
    }));
  }

  /** Nothing live: no letter, no skeleton. The transcript stays readable. */
  showOffline() {
    this.showLetter(null, null);
    $("confidence").textContent = "not connected";
    this.showStable(null);
    this.showTop([]);
    this.overlay.clear();
    this.setBadge("offline", "Offline");
  }

  setBadge(hand, text) {
    $("hand-badge").dataset.hand = hand;
    $("hand-badge").textContent = text;
  }

  showFigures({ roundTripMs, fps, server }) {
    $("latency").textContent = roundTripMs === null ? "–" : `${Math.round(roundTripMs)} ms`;
    $("fps").textContent = fps === null ? "–" : fps.toFixed(fps < 10 ? 1 : 0);
    const timing = $("server-timing");
    if (server === null) {
      timing.textContent = "–";
      return;
    }
    const detail = document.createElement("small");
    detail.textContent = `hand ${Math.round(server.keypoints ?? 0)} · model ${(server.model ?? 0).toFixed(1)}`;
    timing.replaceChildren(`${Math.round(server.total)} ms `, detail);
  }
}

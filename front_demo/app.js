// The demo page: camera -> server -> letters, one frame in flight at a time.

import { FrameGrabber, cameraErrorMessage, startCamera } from "./camera.js";
import { SignifyConnection, resolveServerUrl } from "./connection.js";
import { SkeletonOverlay } from "./overlay.js";

const $ = (id) => document.getElementById(id);
const ANSWER_TIMEOUT_MS = 3000; // a lost answer must not stall the stream

const stats = { predictions: 0, handPredictions: 0, dropped: 0, errors: 0, lastText: "" };
window.signify = stats; // read by the browser test, handy in the console too

let connection;
let grabber;
let overlay;
let maxFps = 30;
let nextId = 0;
let inFlight = null; // { id, sentAt }
let lastSend = 0;
let answerTimes = [];

function setState(state, text) {
  document.body.dataset.state = state;
  $("status").textContent = text;
  if (state === "open") showNotice(null);
  else if (state === "retrying") showNotice(text);
}

function showNotice(text) {
  $("notice").hidden = !text;
  $("notice").textContent = text ?? "";
}

function onReady(message) {
  maxFps = message.config.max_fps;
  nextId = 0;
  inFlight = null;
  $("model").textContent = `${message.model.name} ${message.model.version}`;
  scheduleSend();
}

function onMessage(message) {
  if (message.type === "prediction") {
    showPrediction(message);
    settle(message.id);
  } else if (message.type === "dropped") {
    stats.dropped += message.ids.length;
    message.ids.forEach(settle);
  } else if (message.type === "error") {
    stats.errors += 1;
    console.warn("server error", message);
    settle(message.id);
  }
}

function settle(id) {
  if (inFlight && (id === inFlight.id || id === null)) {
    const now = performance.now();
    $("latency").textContent = `${Math.round(now - inFlight.sentAt)} ms`;
    answerTimes.push(now);
    answerTimes = answerTimes.filter((t) => now - t < 1000);
    $("fps").textContent = String(answerTimes.length);
    inFlight = null;
    scheduleSend();
  }
}

function showPrediction(p) {
  stats.predictions += 1;
  const letter = $("letter");
  letter.dataset.hand = String(p.hand);
  if (p.hand) {
    stats.handPredictions += 1;
    letter.textContent = p.letter;
    $("confidence").textContent = `${Math.round(p.confidence * 100)}% sure`;
    $("confidence-bar").style.width = `${Math.round(p.confidence * 100)}%`;
    overlay.draw(p.landmarks);
  } else {
    letter.textContent = "–";
    $("confidence").textContent = "no hand";
    $("confidence-bar").style.width = "0";
    overlay.clear();
  }
  $("stable").textContent = p.stable ?? "–";
  $("transcript").textContent = p.text;
  stats.lastText = p.text;
  $("top").replaceChildren(...p.top.map(({ label, score }) => {
    const item = document.createElement("li");
    const name = document.createElement("b");
    name.textContent = label;
    item.append(name, `${Math.round(score * 100)}%`);
    return item;
  }));
  const t = p.timing_ms;
  $("server-timing").textContent = `${t.total.toFixed(1)} ms (hand ${t.keypoints.toFixed(1)}, model ${t.model.toFixed(1)})`;
}

// The next frame goes out when the last one was answered (or dropped, or refused),
// and no sooner than the server's max_fps allows: the page runs at the server's pace.
let pumpTimer = null;

function scheduleSend() {
  clearTimeout(pumpTimer);
  const wait = Math.max(0, lastSend + 1000 / maxFps - performance.now());
  pumpTimer = setTimeout(sendFrame, wait);
}

async function sendFrame() {
  if (!connection.isOpen || inFlight) return;
  lastSend = performance.now();
  const frame = await grabber.grab();
  if (frame && connection.isOpen && !inFlight) {
    inFlight = { id: ++nextId, sentAt: performance.now() };
    connection.send(frame);
  } else if (!inFlight) {
    scheduleSend();
  }
}

function watchdog() {
  if (inFlight && performance.now() - inFlight.sentAt > ANSWER_TIMEOUT_MS) {
    inFlight = null;
    scheduleSend();
  }
}

async function main() {
  const video = $("video");
  overlay = new SkeletonOverlay($("overlay"), video);
  grabber = new FrameGrabber(video);
  $("clear").addEventListener("click", () => {
    connection.send(JSON.stringify({ type: "reset" }));
    $("transcript").textContent = "";
    stats.lastText = "";
  });
  try {
    await startCamera(video);
    $("camera-hint").textContent = "Fingerspell with one hand in view; hold each letter for a moment.";
  } catch (error) {
    setState("failed", "No camera");
    showNotice(cameraErrorMessage(error));
    return;
  }
  const url = await resolveServerUrl(window.location);
  $("endpoint").textContent = `Server: ${url.replace(/token=[^&]+/, "token=…")}`;
  connection = new SignifyConnection(url, { onReady, onMessage, onState: setState });
  connection.connect();
  setInterval(watchdog, 500);
}

main();

// The demo page: camera -> server -> letters. Composes the camera, the hand tracking
// (on this device, or on the server: tracking.js), the connection, the frame pump, the view
// and the calibration panel; the protocol is ../PROTOCOL.md, version 2.

import { CalibrationPanel } from "./calibration.js";
import { FrameGrabber, cameraErrorMessage, startCamera } from "./camera.js";
import { SignifyConnection, resolveServerUrl } from "./connection.js";
import { SkeletonOverlay } from "./overlay.js";
import { FramePump } from "./pump.js";
import { Tracking, requestedLandmarks, requestedTracking, requestedZoom } from "./tracking.js";
import { View } from "./view.js";

const $ = (id) => document.getElementById(id);
const FIGURES_EVERY_MS = 500; // numbers that change 30 times a second cannot be read
const FPS_WINDOW_MS = 2000;
const SMOOTHING = 0.2;

const video = $("video");
const overlay = new SkeletonOverlay($("overlay"), video);
const view = new View(overlay);
let connection = null;
let cameraOn = false;

// Frames numbered up to this were sent before the last Clear: their answers still
// carry the old transcript, which must not flash back after the person cleared it.
let resetAfterId = null;
// A new session starts with an empty transcript: what was spelled before a dropped
// connection stays on screen in front of it, until Clear.
let carriedText = "";
let wasOpen = false;
// A server that speaks protocol 2 takes the transcript back (resume, ../PROTOCOL.md) and continues
// it itself, whichever replica the reconnect landed on; until it says "resumed", the text is joined here.
let resumePending = false;
const MAX_RESUME_CHARS = 1000;

// Counters for the console and the browser test.
const stats = {
  predictions: 0, handPredictions: 0, dropped: 0, errors: 0, lastText: "", textAfterReset: null, closeCodes: [],
  resumed: [],
};
window.signify = stats;
const grabber = new FrameGrabber(video, stats);
const tracking = new Tracking(video, grabber, overlay, view, stats, requestedTracking(window.location),
  requestedLandmarks(window.location), requestedZoom(window.location));
// Keypoints from this device's tracker, or JPEG frames for the server's: tracking.js decides.
const pump = new FramePump(
  () => tracking.grab(), (frame) => tracking.count(frame, connection?.send(frame) ?? false));
const calibration = new CalibrationPanel((message) => connection?.send(JSON.stringify(message)) ?? false, stats);

const figures = { roundTripMs: null, serverMs: null, answers: [] };

function smooth(previous, value) {
  return previous === null ? value : previous + SMOOTHING * (value - previous);
}

pump.onSettled = (roundTripMs) => {
  figures.roundTripMs = smooth(figures.roundTripMs, roundTripMs);
};

function onReady(message) {
  resetAfterId = null;
  grabber.restart(); // a new session's tracker knows no hand yet: full-size frames until it finds a large one
  resumeTranscript(message.protocol);
  view.showModel(message.model);
  calibration.onReady(message); // before any frame: the kept profile adapts the session from its first answer
  // Once it is known where the hand is tracked: the server never builds a tracker for a page that has its own.
  tracking.settled.then(() => {
    if (cameraOn && connection?.isOpen) pump.start(message.config.max_fps);
  });
}

function onMessage(message) {
  switch (message.type) {
    case "prediction":
      onPrediction(message);
      pump.settle(message.id);
      break;
    case "dropped":
      stats.dropped += message.ids.length;
      pump.settle(Math.max(...message.ids));
      break;
    case "resumed":
      // The server holds the transcript again: its answers' text is the whole of it.
      resumePending = false;
      carriedText = "";
      stats.resumed.push(message.text);
      break;
    case "error":
      stats.errors += 1;
      if (resumePending && message.code === "bad_message" && message.id === null) {
        resumePending = false; // not taken back: the text stays joined on this page
        break;
      }
      console.warn("Signify server error", message);
      // Calibration errors answer a calibration or profile message, not a frame: the frame in flight still is.
      if (calibration.onError(message)) break;
      pump.settle(message.id, { rateLimited: message.code === "rate_limited" });
      break;
    default:
      calibration.onMessage(message);
      break; // a newer server may say more; ignore what this page does not know
  }
}

function onPrediction(p) {
  const beforeReset = resetAfterId !== null && p.id <= resetAfterId;
  const text = joinText(carriedText, beforeReset ? "" : p.text);
  if (resetAfterId !== null && !beforeReset && stats.textAfterReset === null) stats.textAfterReset = p.text;
  stats.predictions += 1;
  if (p.hand) stats.handPredictions += 1;
  stats.lastText = text;
  view.showPrediction(p, text);
  tracking.onPrediction(p);
  calibration.onPrediction(p);
  const now = performance.now();
  figures.answers.push(now);
  figures.serverMs = figures.serverMs === null ? { ...p.timing_ms } : Object.fromEntries(
    Object.entries(p.timing_ms).map(([key, value]) => [key, smooth(figures.serverMs[key] ?? value, value)]));
}

// Sent before any frame of the new session, so that its first answer already continues the text.
function resumeTranscript(protocol) {
  resumePending = false;
  const text = carriedText.replace(/ +/g, " ").trimStart().slice(-MAX_RESUME_CHARS);
  if (!text || !(protocol >= 2) || !/^[A-Z ]+$/.test(text)) return;
  resumePending = connection?.send(JSON.stringify({ type: "resume", text })) ?? false;
}

function joinText(before, after) {
  if (!before || !after) return before + after;
  return before.endsWith(" ") ? before + after : `${before} ${after}`;
}

function onConnectionState(state, detail, code) {
  if (wasOpen && state !== "open") carriedText = stats.lastText;
  wasOpen = state === "open";
  if (code !== undefined) stats.closeCodes.push(code);
  view.setConnection(state, code);
  if (state !== "open") {
    pump.stop();
    calibration.onDisconnected();
    tracking.onDisconnected();
  }
  if (!cameraOn) return; // the camera's own notice says more
  if (state === "open") {
    view.showNotice(null);
  } else if (state === "retrying") {
    view.showNotice(detail, { label: "Retry now", run: () => connection.retryNow() });
  } else if (state === "failed") {
    view.showNotice(detail, { label: "Retry", run: () => connection.retryNow() });
  }
}

function clearTranscript() {
  if (connection?.send(JSON.stringify({ type: "reset" }))) {
    resetAfterId = pump.lastId;
    stats.textAfterReset = null;
  }
  carriedText = "";
  stats.lastText = "";
  view.showTranscript("");
}

// Over the answers of the last couple of seconds: right from the first ones on.
function answersPerSecond(times) {
  if (times.length < 2) return null;
  return ((times.length - 1) * 1000) / (times[times.length - 1] - times[0]);
}

function showFigures() {
  const now = performance.now();
  figures.answers = figures.answers.filter((t) => now - t < FPS_WINDOW_MS);
  const live = document.body.dataset.state === "open";
  view.showFigures({
    roundTripMs: live ? figures.roundTripMs : null,
    fps: live ? answersPerSecond(figures.answers) : null,
    server: live ? figures.serverMs : null,
  });
  tracking.showFigures(live);
}

function fitStageToVideo() {
  if (video.videoWidth && video.videoHeight) {
    $("frame").style.aspectRatio = `${video.videoWidth} / ${video.videoHeight}`;
  }
}

async function turnCameraOn() {
  view.setCamera("starting", "Waiting for the camera…");
  view.showNotice(null);
  try {
    await startCamera(video, onCameraLost);
  } catch (error) {
    cameraOn = false;
    view.setCamera("failed", "Camera unavailable");
    view.showNotice(cameraErrorMessage(error), { label: "Try again", run: turnCameraOn });
    return;
  }
  cameraOn = true;
  tracking.start();
  view.setCamera("on");
  fitStageToVideo();
  if (connection === null) {
    await connect();
  } else {
    connection.retryNow();
  }
}

function onCameraLost() {
  cameraOn = false;
  pump.stop();
  tracking.stop();
  // Free the server's seat for someone else while this page has nothing to send.
  connection?.stop();
  view.setConnection("idle");
  view.setCamera("failed", "Camera stopped");
  view.showNotice("The camera stopped (unplugged, or access was withdrawn).", { label: "Try again", run: turnCameraOn });
}

async function connect() {
  let url;
  try {
    url = await resolveServerUrl(window.location);
  } catch (error) {
    view.setConnection("failed");
    view.showNotice(`The ?server= address is not usable: ${error.message}`);
    return;
  }
  view.showEndpoint(url);
  calibration.setServer(url);
  connection = new SignifyConnection(url, { onReady, onMessage, onState: onConnectionState });
  connection.connect();
}

function main() {
  $("clear").addEventListener("click", clearTranscript);
  video.addEventListener("loadedmetadata", fitStageToVideo);
  video.addEventListener("resize", fitStageToVideo); // a phone turned sideways
  window.addEventListener("resize", () => overlay.clear());
  setInterval(showFigures, FIGURES_EVERY_MS);
  view.setConnection("idle");
  turnCameraOn();
}

main();

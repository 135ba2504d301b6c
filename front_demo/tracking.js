// Where the hand is found: on this device, or on the server.
//
// On this device (the default), MediaPipe's HandLandmarker from @mediapipe/tasks-vision
// (VIDEO mode, CPU delegate) finds the hand in every camera frame at the camera's full
// resolution; the skeleton is drawn here at camera rate, and the server is sent the 21
// landmarks as `keypoints` messages (../PROTOCOL.md, version 2), never the picture.
// The runtime, its wasm and the model bundle are served by the Signify server itself
// (npm's copy, and a bundle built from the server's own MediaPipe wheel): no CDN.
//
// On the server: the page sends JPEG frames (camera.js), at the camera's resolution (up to 640
// pixels) while the hand is small or not found and at 320 once it is large (framesize.js). That is
// what happens with ?tracking=server, when the runtime or the model cannot load, or when the
// tracker fails later.
//
// Small hands (50-100 px tall in a 640x480 frame) are found by zooming, as the server's tracker
// does: zoom.js, a port of the server's policy, picks one view of each frame (the full frame or a
// search tile while no hand is found, a square view centred on a hand once one is), only that view
// is given to HandLandmarker, and the landmarks are mapped back to the full frame before anything
// else sees them (the skeleton, the keypoints sent). ?zoom=off gives it the full frame always, as
// before, for comparison.
//
// The state is written for people in the console and for the browser test:
// body[data-tracking] ("loading", "device" or "server"), #tracking[data-reason], and in
// window.signify: tracking, trackingReason, trackerThread ("worker" or "main"), trackerLandmarks
// ("full" or "lite"), trackerZoom ("on" or "off"), trackerView (the last view tracked, {x, y,
// width, height} in pixels of the frame), trackerResults, trackerHands,
// keypointsSent, binaryFramesSent, captureToAnswerMs, trackerMs.
//
// The tracker runs in a Web Worker (tracker_worker.js), sent an ImageBitmap of each camera
// frame, so that the page's own work (drawing, the socket) never waits behind it; where a
// worker cannot load it, on the page's main thread, on a canvas snapshot of the frame.

import { FramingAdvice } from "./framing.js";
import { CHANGE_PICTURE, View, ZoomPolicy, changePoint, handExtent, toFrame } from "./zoom.js";

const $ = (id) => document.getElementById(id);
const VENDOR = new URL("./vendor/", import.meta.url);
const VISION_BUNDLE = new URL("tasks-vision/vision_bundle.mjs", VENDOR).href;
const WASM_DIR = new URL("tasks-vision/wasm", VENDOR).href;
// The landmark models: the wheel's full one by default (better landmarks on real hands: on the
// photos, 87.9% top-1 against 83.7% with lite, docs/demo.md), or with ?landmarks=lite its lite
// one, the server's own (cheaper, about 20 against 23-28 ms a frame here, and what testkit's drawn
// hands are drawn for: the full model misreads the drawn E and loses the drawn J turning edge-on).
const MODELS = {
  full: new URL("hand_landmarker.task", VENDOR).href,
  lite: new URL("hand_landmarker_lite.task", VENDOR).href,
};
const WORKER = new URL("./tracker_worker.js", import.meta.url);
// About 21 MB to fetch and compile; a page that cannot in this long tracks on the server.
const LOAD_TIMEOUT_MS = 30000;
// How long the frame pump waits for the tracker's next result before it looks again.
const RESULT_WAIT_MS = 1000;
// Landmarks are sent with 5 decimals: a fiftieth of a pixel on a 1920 pixel frame.
const DECIMALS = 1e5;
const SMOOTHING = 0.2;
// The server's MediaPipe settings (back/signify/recognition/hands.py): one hand, 0.5 thresholds
// (tests/unit/front_demo/test_tracking_options.py). A lower palm-detection threshold finds a still
// small hand sooner but wrote more false letters (docs/model.md, "A lower palm-detection threshold").
export const TRACKER_OPTIONS = {
  runningMode: "VIDEO",
  numHands: 1,
  minHandDetectionConfidence: 0.5,
  minHandPresenceConfidence: 0.5,
  minTrackingConfidence: 0.5,
};
const MODE_TEXT = {
  loading: "Loading the hand tracker…",
  device: "tracking on this device",
  server: "tracking on the server",
};
const PRIVACY_TEXT = {
  loading: "Frames go only to the Signify server this page connects to.",
  device: "Only hand keypoints leave this browser, and only to the Signify server this page connects to.",
  server: "Frames go only to the Signify server this page connects to.",
};

/** "server" when the page was opened with ?tracking=server, else "device". */
export function requestedTracking(location) {
  return new URLSearchParams(location.search).get("tracking") === "server" ? "server" : "device";
}

/** "lite" when the page was opened with ?landmarks=lite, else "full": the landmark model tracking on the device uses. */
export function requestedLandmarks(location) {
  return new URLSearchParams(location.search).get("landmarks") === "lite" ? "lite" : "full";
}

/** "off" when the page was opened with ?zoom=off, else "on": whether the tracker on the device zooms in on small hands. */
export function requestedZoom(location) {
  return new URLSearchParams(location.search).get("zoom") === "off" ? "off" : "on";
}

// tasks-vision names the hand as seen in the picture; MediaPipe's Python solution, which the
// protocol follows, names the other one. No label, no guess: the server then reads a right hand.
function pythonHandedness(label) {
  return { Left: "Right", Right: "Left" }[label];
}

function round(value) {
  return Math.round(value * DECIMALS) / DECIMALS;
}

/** MediaPipe's HandLandmarker with the "full" or "lite" landmark model, loaded from the Signify server:
 * rejects if the runtime or the model cannot load. */
export async function createHandLandmarker(landmarks = "full") {
  const { FilesetResolver, HandLandmarker } = await import(VISION_BUNDLE);
  const fileset = await FilesetResolver.forVisionTasks(WASM_DIR);
  // Fetched here rather than by tasks-vision, so that a missing bundle fails fast and plainly.
  const url = MODELS[landmarks] ?? MODELS.full;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const model = new Uint8Array(await response.arrayBuffer());
  return HandLandmarker.createFromOptions(fileset, {
    baseOptions: { modelAssetBuffer: model, delegate: "CPU" },
    ...TRACKER_OPTIONS,
  });
}

/**
 * A HandLandmarker given one view of each frame, the one zoom.js's policy picks (or always the full
 * frame, without zoom): still one detection a frame. The view is drawn into `canvas` (an
 * OffscreenCanvas in the worker, the page's own canvas on the main thread); the full frame is given
 * as it is unless `snapshotFull` (a video element changes under the tracker: it is drawn too). With the zoom,
 * each frame is also shrunk to CHANGE_PICTURE, grey, to tell the policy where it changed (zoom.js changePoint).
 * Results: {landmarks (normalized to the full frame), handedness, view}.
 */
export class ZoomedLandmarker {
  constructor(landmarker, zoom, canvas, snapshotFull = false) {
    this.landmarker = landmarker;
    this.policy = zoom ? new ZoomPolicy() : null;
    this.canvas = canvas;
    this.context = canvas.getContext("2d", { willReadFrequently: true });
    this.snapshotFull = snapshotFull;
    this.picture = null; // the last frame shrunk, grey
    if (this.policy) {
      const [cols, rows] = CHANGE_PICTURE;
      const small = typeof OffscreenCanvas === "undefined" ? Object.assign(document.createElement("canvas"),
        { width: cols, height: rows }) : new OffscreenCanvas(cols, rows);
      this.smallContext = small.getContext("2d", { willReadFrequently: true });
      // Averaged as the server's area resize averages: the default ("low") samples a few pixels of each cell.
      this.smallContext.imageSmoothingQuality = "high";
    }
  }

  /** Where `frame` changed most since the frame before (zoom.js changePoint), in its pixels, or null. */
  changed(frame, width, height) {
    const [cols, rows] = CHANGE_PICTURE;
    this.smallContext.drawImage(frame, 0, 0, width, height, 0, 0, cols, rows);
    const rgba = this.smallContext.getImageData(0, 0, cols, rows).data;
    const picture = new Uint8Array(cols * rows);
    for (let i = 0; i < picture.length; i++) {
      // ITU-R BT.601 luma, as OpenCV's RGB-to-grey on the server.
      picture[i] = Math.round(0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]);
    }
    const previous = this.picture;
    this.picture = picture;
    return previous === null ? null : changePoint(previous, picture, width, height);
  }

  detect(frame, width, height, timestamp) {
    const view = this.policy ? this.policy.nextView(width, height, this.changed(frame, width, height))
      : new View(0, 0, width, height);
    const full = view.isFull(width, height);
    let image = frame;
    if (!full || this.snapshotFull) {
      if (this.canvas.width !== view.width || this.canvas.height !== view.height) {
        this.canvas.width = view.width;
        this.canvas.height = view.height;
      }
      this.context.drawImage(frame, view.x, view.y, view.width, view.height, 0, 0, view.width, view.height);
      image = this.canvas;
    }
    const result = this.landmarker.detectForVideo(image, timestamp);
    // tasks-vision gives the landmarks normalized to the picture it was given: the view's.
    const landmarks = full ? result.landmarks : result.landmarks.map((hand) => toFrame(hand, view, width, height));
    // What the policy needs is where the hand is and how large; which hand it is does not matter.
    this.policy?.observe(landmarks.length ? handExtent(landmarks[0], width, height) : null);
    return {
      landmarks, handedness: result.handedness ?? result.handednesses,
      view: { x: view.x, y: view.y, width: view.width, height: view.height },
    };
  }

  close() {
    this.landmarker.close();
  }
}

/** HandLandmarker on this thread, fed a canvas snapshot of the video (of the view only, when zoomed), so that the
 * landmarks belong to exactly that frame. */
class MainThreadTracker {
  constructor(landmarker, zoom) {
    this.tracker = new ZoomedLandmarker(landmarker, zoom, document.createElement("canvas"), true);
    this.thread = "main";
  }

  static async create(landmarks, zoom) {
    return new MainThreadTracker(await createHandLandmarker(landmarks), zoom);
  }

  async track(video, width, height, timestamp) {
    return this.tracker.detect(video, width, height, timestamp);
  }

  close() {
    this.tracker.close();
  }
}

/** HandLandmarker in a worker (tracker_worker.js), sent each frame as a transferred ImageBitmap. */
class WorkerTracker {
  constructor(worker) {
    this.worker = worker;
    this.thread = "worker";
    this.lastId = 0;
    this.pending = new Map(); // id -> {resolve, reject}
    worker.onmessage = ({ data }) => {
      const waiting = this.pending.get(data.id);
      if (!waiting) return;
      this.pending.delete(data.id);
      if (data.type === "result") waiting.resolve(data.result);
      else waiting.reject(new Error(data.message));
    };
    worker.onerror = (event) => this.failAll(new Error(event.message || "the tracker's worker failed"));
  }

  /** Rejects if the worker cannot start, or its tracker cannot load (then the worker is ended). */
  static create(landmarks, zoom) {
    return new Promise((resolve, reject) => {
      let worker;
      try {
        worker = new Worker(WORKER); // a classic worker: see tracker_worker.js
      } catch (error) {
        reject(error);
        return;
      }
      const failed = (error) => {
        worker.terminate();
        reject(error);
      };
      worker.onmessage = ({ data }) => {
        if (data.type === "ready") resolve(new WorkerTracker(worker));
        else failed(new Error(data.message));
      };
      worker.onerror = (event) => {
        event.preventDefault();
        failed(new Error(event.message || "the tracker's worker could not start"));
      };
      worker.postMessage({ type: "load", landmarks, zoom });
    });
  }

  async track(video, width, height, timestamp) {
    const frame = await createImageBitmap(video);
    this.lastId += 1;
    const id = this.lastId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: "track", id, frame, timestamp }, [frame]);
    });
  }

  failAll(error) {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const { reject } of pending) reject(error);
  }

  close() {
    this.worker.terminate();
    this.failAll(new Error("closed"));
  }
}

/** The tracker with the "full" or "lite" landmark model, zooming in on small hands if `zoom`, in a worker if one
 * can run it here, else on the main thread; rejects if neither can load. */
export async function createTracker(landmarks = "full", zoom = true) {
  try {
    return await WorkerTracker.create(landmarks, zoom);
  } catch (error) {
    console.warn("Signify: the hand tracker cannot run in a worker here; running it on the page instead.", error);
    return MainThreadTracker.create(landmarks, zoom);
  }
}

/** The `keypoints` message for one HandLandmarker result (landmarks normalized to the full frame) on a width x height
 * frame captured at `captured`. */
export function keypointsMessage(result, width, height, captured) {
  const hand = result.landmarks?.[0];
  const message = { type: "keypoints", landmarks: [], width, height, captured };
  if (hand) {
    message.landmarks = hand.map((point) => [round(point.x), round(point.y), round(point.z)]);
    const handedness = pythonHandedness((result.handedness ?? result.handednesses)?.[0]?.[0]?.categoryName);
    if (handedness) message.handedness = handedness;
  }
  return message;
}

export class Tracking {
  /**
   * @param {HTMLVideoElement} video the camera
   * @param {{grab: () => Promise<ArrayBuffer|null>, observe?: Function}} grabber JPEG frames, for tracking on
   *   the server, sized by the server's answers
   * @param {{draw: Function, clear: Function}} overlay the skeleton canvas
   * @param {{drawsAnswers: boolean, showFraming: Function}} view drawing the server's landmarks stops while this
   *   page tracks; it shows whether to come closer
   * @param {object} stats window.signify
   * @param {"device"|"server"} wanted
   * @param {"full"|"lite"} landmarks the landmark model tracking on the device uses
   * @param {"on"|"off"} zoom whether tracking on the device zooms in on small hands
   */
  constructor(video, grabber, overlay, view, stats, wanted, landmarks = "full", zoom = "on") {
    this.landmarks = landmarks;
    this.zoom = zoom === "off" ? "off" : "on";
    this.video = video;
    this.grabber = grabber;
    this.overlay = overlay;
    this.view = view;
    this.stats = stats;
    this.mode = wanted === "server" ? "server" : "loading";
    this.reason = wanted === "server" ? "asked" : "";
    this.tracker = null;
    this.busy = false; // a frame is being tracked: newer frames are skipped meanwhile
    this.running = false;
    this.frameHandle = null;
    this.lastTimestamp = 0;
    this.latest = null; // the newest result not sent yet: a keypoints message
    this.waiters = [];
    this.captureToAnswerMs = null;
    this.trackerMs = null; // what finding the hand in one frame takes here, smoothed
    this.framing = new FramingAdvice(); // whether to ask the signer to come closer, from every tracked hand
    Object.assign(stats, {
      tracking: this.mode, trackingReason: this.reason, trackerThread: null, trackerLandmarks: landmarks,
      trackerZoom: this.zoom, trackerView: null, trackerResults: 0, trackerHands: 0, keypointsSent: 0,
      binaryFramesSent: 0, captureToAnswerMs: null, trackerMs: null, framing: "ok", framingAsked: 0,
    });
    // Settles once the mode is known: the pump starts then, so that a page that will track
    // on this device never makes the server build a hand tracker for it.
    this.settled = wanted === "server" ? Promise.resolve() : this.load();
    this.showFraming();
    this.render();
  }

  get onDevice() {
    return this.mode === "device";
  }

  async load() {
    let timer;
    const loading = createTracker(this.landmarks, this.zoom === "on");
    try {
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`not loaded in ${LOAD_TIMEOUT_MS / 1000} s`)), LOAD_TIMEOUT_MS);
      });
      this.tracker = await Promise.race([loading, timeout]);
      this.stats.trackerThread = this.tracker.thread;
      this.mode = "device";
      this.reason = "";
      if (this.running) this.requestFrame();
    } catch (error) {
      console.warn("Signify: the hand tracker could not load; tracking on the server instead.", error);
      loading.then((late) => late.close(), () => {}); // one that loads after the timeout is not kept
      this.fallBack("unavailable");
    } finally {
      clearTimeout(timer);
    }
    this.render();
  }

  fallBack(reason) {
    this.mode = "server";
    this.reason = reason;
    this.latest = null;
    this.tracker?.close();
    this.tracker = null;
    this.wake();
    this.overlay.clear();
    this.showFraming(true);
    this.render();
  }

  /** The camera runs: track every new frame while on this device. */
  start() {
    this.running = true;
    this.showFraming(true);
    if (this.onDevice) this.requestFrame();
  }

  /** The camera stopped. */
  stop() {
    this.running = false;
    this.latest = null;
    this.showFraming(true);
    if (this.frameHandle !== null) {
      if (this.video.cancelVideoFrameCallback) this.video.cancelVideoFrameCallback(this.frameHandle);
      else cancelAnimationFrame(this.frameHandle);
      this.frameHandle = null;
    }
    this.wake();
  }

  requestFrame() {
    if (this.frameHandle !== null || !this.running || !this.onDevice) return;
    const onFrame = () => {
      this.frameHandle = null;
      if (!this.running || !this.onDevice) return;
      this.trackFrame();
      this.requestFrame();
    };
    // Once per frame the camera delivers; browsers without it poll at display rate.
    if (this.video.requestVideoFrameCallback) {
      this.frameHandle = this.video.requestVideoFrameCallback(onFrame);
    } else {
      this.frameHandle = requestAnimationFrame(onFrame);
    }
  }

  /** Find the hand in the video's current frame, draw it, and keep it as the next message to send. */
  async trackFrame() {
    const { videoWidth: width, videoHeight: height } = this.video;
    if (this.busy || !width || !height || this.video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) return;
    const tracker = this.tracker;
    this.busy = true;
    const captured = performance.now();
    // VIDEO mode wants strictly increasing timestamps, in milliseconds.
    const timestamp = Math.max(captured, this.lastTimestamp + 0.001);
    this.lastTimestamp = timestamp;
    let result;
    try {
      result = await tracker.track(this.video, width, height, timestamp);
      const ms = performance.now() - captured;
      this.trackerMs = this.trackerMs === null ? ms : this.trackerMs + SMOOTHING * (ms - this.trackerMs);
      this.stats.trackerMs = this.trackerMs;
    } catch (error) {
      if (this.tracker === tracker && this.running) {
        console.warn("Signify: the hand tracker failed; tracking on the server instead.", error);
        this.fallBack("failed");
      }
      return;
    } finally {
      this.busy = false;
    }
    if (this.tracker !== tracker || !this.running) return; // stopped or fell back meanwhile
    this.stats.trackerView = result.view;
    const message = keypointsMessage(result, width, height, captured);
    if (message.landmarks.length) {
      this.stats.trackerHands += 1;
      this.overlay.draw(message.landmarks);
    } else {
      this.overlay.clear();
    }
    this.stats.trackerResults += 1;
    this.observeHand(message.landmarks, width / height);
    this.latest = message;
    this.wake();
  }

  wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * The next frame for the pump: on this device a keypoints message (the newest result not
   * sent yet, or the next one), on the server a JPEG frame; null when there is none yet.
   */
  async grab() {
    if (this.mode === "server") return this.grabber.grab();
    if (!this.onDevice || !this.running) return null;
    if (this.latest === null) {
      let timer;
      await new Promise((resolve) => {
        this.waiters.push(resolve);
        timer = setTimeout(resolve, RESULT_WAIT_MS);
      });
      clearTimeout(timer);
      if (this.mode === "server") return this.grabber.grab(); // the tracker failed meanwhile
      if (this.latest === null) return null;
    }
    const message = this.latest;
    this.latest = null;
    return JSON.stringify(message);
  }

  /** The pump sent `frame` (or tried to: `sent` false when the socket was not open). */
  count(frame, sent) {
    if (sent) {
      if (typeof frame === "string") this.stats.keypointsSent += 1;
      else this.stats.binaryFramesSent += 1;
    }
    return sent;
  }

  /**
   * A prediction: on the server, how large a hand it found (the next frames' size); on this
   * device, with the capture time the server echoed, the time from capture to this answer.
   */
  onPrediction(prediction) {
    if (this.mode === "server") {
      this.grabber.observe?.(prediction);
      this.observeHand(prediction.hand ? prediction.landmarks : null,
        this.video.videoWidth / (this.video.videoHeight || 1));
    }
    if (typeof prediction.captured !== "number") return;
    const ms = performance.now() - prediction.captured;
    this.captureToAnswerMs = this.captureToAnswerMs === null ? ms
      : this.captureToAnswerMs + SMOOTHING * (ms - this.captureToAnswerMs);
    this.stats.captureToAnswerMs = this.captureToAnswerMs;
  }

  /** The connection is not open: tracking on the server, no answers come, so what was asked is forgotten. */
  onDisconnected() {
    if (this.mode === "server") this.showFraming(true);
  }

  /** A tracked frame's hand (landmarks normalized to the frame, or none): the advice to come closer follows it. */
  observeHand(landmarks, aspect) {
    if (!this.framing.observe(landmarks, aspect)) return;
    if (this.framing.closer) this.stats.framingAsked += 1;
    this.showFraming();
  }

  /** Show the framing advice; `restart`: forget the hands seen so far (a new camera, or the other tracker). */
  showFraming(restart = false) {
    if (restart) this.framing.reset();
    this.stats.framing = this.framing.closer ? "closer" : "ok";
    this.view.showFraming(this.framing.closer);
  }

  /** The figures, every half second: the capture-to-answer latency while tracking on this device. */
  showFigures(live) {
    const shown = live && this.onDevice && this.captureToAnswerMs !== null;
    $("capture-latency").textContent = shown ? `${Math.round(this.captureToAnswerMs)} ms` : "–";
  }

  render() {
    this.stats.tracking = this.mode;
    this.stats.trackingReason = this.reason;
    this.view.drawsAnswers = !this.onDevice;
    document.body.dataset.tracking = this.mode;
    const element = $("tracking");
    element.dataset.reason = this.reason;
    element.textContent = MODE_TEXT[this.mode];
    element.title = {
      asked: "Asked for with ?tracking=server.",
      unavailable: "This browser could not load the hand tracker: the server finds the hand in the frames it is sent.",
      failed: "The hand tracker failed in this browser: the server finds the hand in the frames it is sent.",
    }[this.reason] ?? "";
    $("privacy").textContent = PRIVACY_TEXT[this.mode];
    const notice = $("tracking-notice");
    notice.hidden = this.mode !== "server" || this.reason === "asked";
    notice.textContent = notice.hidden ? "" : `${element.title} Frames are sent instead of keypoints.`;
  }
}

// The page's hand tracker off the main thread (tracking.js's WorkerTracker): the very
// HandLandmarker of tracking.js's createHandLandmarker, fed one ImageBitmap per camera frame.
// With zoom (the default), tracking.js's ZoomedLandmarker gives it only the view zoom.js picks:
// the frame as it is when that is the full frame, else the view drawn into an OffscreenCanvas
// (synchronous, so one frame is done before the next is taken), and maps the landmarks back to
// the full frame here, so the page gets them as it would without zoom.
//
// A classic worker, not a module worker: tasks-vision 0.10.21 loads its wasm glue with
// importScripts() whenever `typeof importScripts === "function"`, which in a module worker
// is true but throws. A classic worker has a working importScripts, and import() still
// brings in the page's own module (and through it the runtime, from the same /vendor/ files).
//
// Messages in: {type: "load", landmarks: "full" | "lite", zoom: boolean}, then {type: "track", id, frame: ImageBitmap
// (transferred), timestamp}.
// Messages out: {type: "ready"} or {type: "error", message}; for each frame {type: "result", id,
// result: {landmarks (normalized to the full frame), handedness, view: {x, y, width, height}}} or {type: "failed", id,
// message}.

let tracker = null;

async function load({ landmarks, zoom }) {
  try {
    const { ZoomedLandmarker, createHandLandmarker } = await import("./tracking.js");
    tracker = new ZoomedLandmarker(await createHandLandmarker(landmarks), zoom !== false, new OffscreenCanvas(1, 1));
    self.postMessage({ type: "ready" });
  } catch (error) {
    self.postMessage({ type: "error", message: String(error?.message ?? error) });
  }
}

function track({ id, frame, timestamp }) {
  try {
    // Only what keypointsMessage reads, and the view: plain arrays of plain objects, cheap to copy back.
    const result = tracker.detect(frame, frame.width, frame.height, timestamp);
    self.postMessage({ type: "result", id, result });
  } catch (error) {
    self.postMessage({ type: "failed", id, message: String(error?.message ?? error) });
  } finally {
    frame.close();
  }
}

self.onmessage = ({ data }) => {
  if (data.type === "load") load(data);
  else if (data.type === "track") track(data);
};

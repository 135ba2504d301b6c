// The page's hand tracker off the main thread (tracking.js's WorkerTracker): the very
// HandLandmarker of tracking.js's createHandLandmarker, fed one ImageBitmap per camera frame.
//
// A classic worker, not a module worker: tasks-vision 0.10.21 loads its wasm glue with
// importScripts() whenever `typeof importScripts === "function"`, which in a module worker
// is true but throws. A classic worker has a working importScripts, and import() still
// brings in the page's own module (and through it the runtime, from the same /vendor/ files).
//
// Messages in: {type: "load", landmarks: "full" | "lite"}, then {type: "track", id, frame: ImageBitmap (transferred), timestamp}.
// Messages out: {type: "ready"} or {type: "error", message}; for each frame {type: "result", id,
// result: {landmarks, handedness}} or {type: "failed", id, message}.

let landmarker = null;

async function load({ landmarks }) {
  try {
    const { createHandLandmarker } = await import("./tracking.js");
    landmarker = await createHandLandmarker(landmarks);
    self.postMessage({ type: "ready" });
  } catch (error) {
    self.postMessage({ type: "error", message: String(error?.message ?? error) });
  }
}

function track({ id, frame, timestamp }) {
  try {
    const result = landmarker.detectForVideo(frame, timestamp);
    // Only what keypointsMessage reads: plain arrays of plain objects, cheap to copy back.
    self.postMessage({
      type: "result", id, result: { landmarks: result.landmarks, handedness: result.handedness ?? result.handednesses },
    });
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

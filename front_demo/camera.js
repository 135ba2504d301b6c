// The camera, and JPEG frames of it for the server's tracker.

import { FrameSizePolicy } from "./framesize.js";

export const JPEG_QUALITY = 0.75;

/** Start the front camera in `video`; `onEnded` runs if it stops later (unplugged, revoked). */
export async function startCamera(video, onEnded) {
  if (!navigator.mediaDevices?.getUserMedia) {
    const error = new Error("This browser gives no camera access here: open the page over https:// or on localhost.");
    error.name = "InsecureContext";
    throw error;
  }
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: false,
    video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 } },
  });
  for (const track of stream.getVideoTracks()) track.addEventListener("ended", onEnded, { once: true });
  video.srcObject = stream;
  await video.play();
  return stream;
}

export function cameraErrorMessage(error) {
  switch (error?.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "Camera access was denied. Allow the camera for this site (the camera icon in the address bar), then try again.";
    case "NotFoundError":
    case "OverconstrainedError":
      return "No camera was found. Connect one, then try again.";
    case "NotReadableError":
    case "AbortError":
      return "The camera is busy: another program or tab is using it. Close that, then try again.";
    case "InsecureContext":
      return error.message;
    default:
      return `The camera could not start: ${error?.message ?? error}`;
  }
}

export class FrameGrabber {
  /** @param {object} stats window.signify: `frameSize` is the last frame's [width, height] */
  constructor(video, stats = {}) {
    this.video = video;
    this.stats = stats;
    this.canvas = document.createElement("canvas");
    this.context = this.canvas.getContext("2d");
    this.size = new FrameSizePolicy(); // full-size frames while the hand is small or unknown
    stats.frameSize = null;
  }

  /** A new session: its tracker has found no hand yet. */
  restart() {
    this.size.reset();
  }

  /** The server's answer to a frame sent from here: how large the hand it found was decides the next frames' size. */
  observe(prediction) {
    this.size.observe(prediction.hand ? prediction.landmarks : null, this.canvas.width / (this.canvas.height || 1));
  }

  /**
   * The current video frame, downscaled to the policy's long side (never enlarged) and
   * unmirrored (exactly what the camera sees), as JPEG bytes; null while the video has no picture yet.
   */
  async grab() {
    const { videoWidth: width, videoHeight: height } = this.video;
    if (!width || !height || this.video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) return null;
    const scale = Math.min(1, this.size.longSide / Math.max(width, height));
    const w = Math.round(width * scale);
    const h = Math.round(height * scale);
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    this.context.drawImage(this.video, 0, 0, w, h);
    this.stats.frameSize = [w, h];
    const blob = await new Promise((resolve) => this.canvas.toBlob(resolve, "image/jpeg", JPEG_QUALITY));
    return blob ? blob.arrayBuffer() : null;
  }
}

// The camera, and small JPEG frames of it for the server.

const LONG_SIDE = 320; // enough for MediaPipe Hands, and a tenth of the bytes of a full frame
const JPEG_QUALITY = 0.75;

export async function startCamera(video) {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new Error("This browser has no camera access (a secure https:// page is needed).");
  }
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: false,
    video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 } },
  });
  video.srcObject = stream;
  await video.play();
  return stream;
}

export function cameraErrorMessage(error) {
  if (error?.name === "NotAllowedError") return "Camera access was denied. Allow it in the browser's site settings and reload.";
  if (error?.name === "NotFoundError") return "No camera was found.";
  if (error?.name === "NotReadableError") return "The camera is in use by another program.";
  return `The camera could not start: ${error?.message ?? error}`;
}

export class FrameGrabber {
  constructor(video) {
    this.video = video;
    this.canvas = document.createElement("canvas");
    this.context = this.canvas.getContext("2d");
  }

  /** The current video frame, downscaled, as JPEG bytes; null before the video has a size. */
  async grab() {
    const { videoWidth: width, videoHeight: height } = this.video;
    if (!width || !height) return null;
    const scale = Math.min(1, LONG_SIDE / Math.max(width, height));
    this.canvas.width = Math.round(width * scale);
    this.canvas.height = Math.round(height * scale);
    this.context.drawImage(this.video, 0, 0, this.canvas.width, this.canvas.height);
    const blob = await new Promise((resolve) => this.canvas.toBlob(resolve, "image/jpeg", JPEG_QUALITY));
    return blob ? blob.arrayBuffer() : null;
  }
}

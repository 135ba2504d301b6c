// The returned landmarks drawn as a hand skeleton over the video.
//
// The canvas sits in the same mirrored box as the video, so drawing in the
// coordinates of the unmirrored frame that was sent lands on the selfie view.

const FINGERS = [
  [0, 1, 2, 3, 4],
  [0, 5, 6, 7, 8],
  [9, 10, 11, 12],
  [13, 14, 15, 16],
  [0, 17, 18, 19, 20],
];
const PALM = [5, 9, 13, 17];
const TIPS = new Set([4, 8, 12, 16, 20]);
const BONE_COLOR = "rgba(79, 195, 161, 0.95)";
const SHADOW_COLOR = "rgba(0, 0, 0, 0.45)";
const JOINT_COLOR = "#ffffff";
const TIP_COLOR = "#ffd166";

export class SkeletonOverlay {
  constructor(canvas, video) {
    this.canvas = canvas;
    this.video = video;
    this.context = canvas.getContext("2d");
    this.drawn = 0;
  }

  /** Draw 21 [x, y] points normalized to the sent frame (which has the video's aspect). */
  draw(landmarks) {
    const { context } = this;
    this.fitCanvas();
    context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    if (!landmarks || landmarks.length !== 21) return;
    const box = this.videoBox();
    const points = landmarks.map(([x, y]) => [box.x + x * box.width, box.y + y * box.height]);
    const scale = Math.max(1, box.width / 480) * devicePixelRatio;

    context.lineCap = "round";
    context.lineJoin = "round";
    // A dark halo first keeps the bones visible on light skin and backgrounds.
    for (const [color, width] of [[SHADOW_COLOR, 6], [BONE_COLOR, 3]]) {
      context.strokeStyle = color;
      context.lineWidth = width * scale;
      context.beginPath();
      for (const chain of [...FINGERS, PALM]) {
        context.moveTo(...points[chain[0]]);
        for (const index of chain.slice(1)) context.lineTo(...points[index]);
      }
      context.stroke();
    }
    points.forEach(([x, y], index) => {
      context.fillStyle = TIPS.has(index) ? TIP_COLOR : JOINT_COLOR;
      context.beginPath();
      context.arc(x, y, (TIPS.has(index) ? 4.5 : 3.5) * scale, 0, 2 * Math.PI);
      context.fill();
    });
    this.drawn += 1;
    this.canvas.dataset.skeletons = String(this.drawn);
  }

  clear() {
    this.context.clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  fitCanvas() {
    const rect = this.canvas.getBoundingClientRect();
    const width = Math.round(rect.width * devicePixelRatio);
    const height = Math.round(rect.height * devicePixelRatio);
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
  }

  // Where the video's picture lies inside the canvas (object-fit: contain letterboxes it).
  videoBox() {
    const { width, height } = this.canvas;
    const aspect = (this.video.videoWidth || 4) / (this.video.videoHeight || 3);
    if (width / height > aspect) {
      const w = height * aspect;
      return { x: (width - w) / 2, y: 0, width: w, height };
    }
    const h = width / aspect;
    return { x: 0, y: (height - h) / 2, width, height: h };
  }
}

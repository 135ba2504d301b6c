// The returned landmarks drawn as a hand skeleton over the video.

const BONES = [
  [0, 1], [1, 2], [2, 3], [3, 4],
  [0, 5], [5, 6], [6, 7], [7, 8],
  [5, 9], [9, 10], [10, 11], [11, 12],
  [9, 13], [13, 14], [14, 15], [15, 16],
  [13, 17], [0, 17], [17, 18], [18, 19], [19, 20],
];

export class SkeletonOverlay {
  constructor(canvas, video) {
    this.canvas = canvas;
    this.video = video;
    this.context = canvas.getContext("2d");
    this.drawn = 0;
  }

  /** Draw 21 [x, y] points normalized to the sent frame (which has the video's aspect). */
  draw(landmarks) {
    const { canvas, context } = this;
    const rect = canvas.getBoundingClientRect();
    canvas.width = Math.round(rect.width * devicePixelRatio);
    canvas.height = Math.round(rect.height * devicePixelRatio);
    context.clearRect(0, 0, canvas.width, canvas.height);
    if (!landmarks || landmarks.length !== 21) return;
    const box = this.videoBox();
    const point = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
    context.lineWidth = 3 * devicePixelRatio;
    context.lineCap = "round";
    context.strokeStyle = "rgba(79, 195, 161, 0.9)";
    context.beginPath();
    for (const [a, b] of BONES) {
      context.moveTo(...point(landmarks[a]));
      context.lineTo(...point(landmarks[b]));
    }
    context.stroke();
    context.fillStyle = "#ffffff";
    for (const landmark of landmarks) {
      const [x, y] = point(landmark);
      context.beginPath();
      context.arc(x, y, 3.5 * devicePixelRatio, 0, 2 * Math.PI);
      context.fill();
    }
    this.drawn += 1;
  }

  clear() {
    this.context.clearRect(0, 0, this.canvas.width, this.canvas.height);
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

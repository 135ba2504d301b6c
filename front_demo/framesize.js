// How large the JPEG frames are that the page sends when the server tracks the hand: a pure policy,
// fed the server's answers (tests/unit/front_demo/test_framesize.py runs it under node).
//
// The server's tracker finds and reads a small hand only from the camera's own pixels. A hand
// 50-100 px tall in a 640x480 webcam frame is 25-50 px in a 320-pixel one: on bench.webcam_motion's
// clips of real hands at that framing the server found it in far fewer frames at 320 pixels and
// wrote far fewer J and Z than at 640 (docs/demo.md, "Frames for the server's tracker"). A hand that
// fills much of the picture is read as well from 320 pixels, at about a fifth of the bytes and a
// third of the decoding (bench.zoom_cost). So the page sends the camera's frame up to FULL_LONG_SIDE
// while it knows of no hand or of a small one, and SMALL_LONG_SIDE only once the server has answered
// a large hand for a while.

export const FULL_LONG_SIDE = 640;
export const SMALL_LONG_SIDE = 320;
// The hand's box (its longer side) in heights of the frame: at least LARGE_HAND for LARGE_ANSWERS
// answers in a row shrinks the frames; under SMALL_HAND once, or no hand for LOST_ANSWERS answers in a
// row, grows them back. Between the two the frames stay as they are, so a hand at the edge of the band
// does not switch the size to and fro (the server's tracker starts its search again at a new size).
// Measured by bench.zoom_cost on real hands: found as often at 320 as at 640 from 250 px (0.52) up,
// and at 150 px; at 200 px (0.42) in 82% of frames against 98% (a clip lost for a second at 320).
export const LARGE_HAND = 0.45;
export const SMALL_HAND = 0.35;
export const LARGE_ANSWERS = 15;
export const LOST_ANSWERS = 3;

/**
 * The longer side of the box around `landmarks` ([[x, y], ...] normalized to the frame, as a
 * prediction carries them) in heights of a frame `aspect` (width / height) wide.
 */
export function handHeights(landmarks, aspect) {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const [x, y] of landmarks) {
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  return Math.max(maxY - minY, (maxX - minX) * aspect);
}

export class FrameSizePolicy {
  constructor() {
    this.reset();
  }

  /** A new session: its tracker knows no hand yet, so the frames start full-size. */
  reset() {
    this.small = false;
    this.largeAnswers = 0;
    this.missingAnswers = 0;
  }

  /** The longest side, in pixels, of the next frame to send (never more than the camera's own). */
  get longSide() {
    return this.small ? SMALL_LONG_SIDE : FULL_LONG_SIDE;
  }

  /**
   * The server's answer to a frame: its `landmarks` when it found a hand (null or empty when it
   * found none), in a frame `aspect` (width / height) wide.
   */
  observe(landmarks, aspect) {
    if (!landmarks || landmarks.length === 0) {
      this.largeAnswers = 0;
      this.missingAnswers += 1;
      if (this.missingAnswers >= LOST_ANSWERS) this.small = false;
      return;
    }
    this.missingAnswers = 0;
    const size = handHeights(landmarks, aspect);
    if (size < SMALL_HAND) {
      this.small = false;
      this.largeAnswers = 0;
    } else if (size >= LARGE_HAND) {
      this.largeAnswers += 1;
      if (this.largeAnswers >= LARGE_ANSWERS) this.small = true;
    } else {
      this.largeAnswers = 0;
    }
  }
}

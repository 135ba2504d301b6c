// Whether to ask the signer to come closer: a pure policy, fed the hand of every tracked frame,
// on this device or on the server (tests/unit/front_demo/test_framing.py runs it under node).
//
// A small hand is read worse, and the motion letters worst: on bench.webcam_motion's clips of real
// hands raised into view, J is written in 65 / 85 / 96% of clips and Z in 84 / 92 / 95% with the
// hand 50 / 70 / 100 px tall in a 640 x 480 frame, mostly because MediaPipe's palm detector finds a
// small hand late or never (docs/model.md, "Webcam framing, real hands"). The signer can fix that by
// coming closer, and cannot know it: so the page says so while the hand it tracks is small.

import { handExtent } from "./zoom.js";

// The hand's palm size (wrist to knuckles, as zoom.js measures it) over the frame's longer side, the side
// MediaPipe's palm detector shrinks to its 192 px: a portrait phone frame and a landscape webcam one get
// the same answer for a hand as large in the detector's picture. Unlike the hand's box, the palm does not
// change as the fingers close and open (it does look shorter as the hand turns away). The bench's 50 / 70 /
// 100 px hands in 640 x 480 (a photo's labelled box, so a fist's is a larger hand than an open hand's)
// measure 0.036 / 0.051 / 0.074 (medians over the tracked frames of their J, Z, drifting and HELLO clips).
// Under CLOSER_BELOW the page asks the signer to come closer (a hand under about 83 px tall in 640 x 480:
// about 2.15 palms); from CLOSE_ENOUGH on (about 91 px) it stops; between the two it keeps what it says, so
// that a hand at the edge does not make the line come and go. Replayed over those clips' tracking, it asks
// in 98 / 90 / 11% of the 50 / 70 / 100 px clips (docs/demo.md, "Asking the signer to come closer").
export const CLOSER_BELOW = 0.06;
export const CLOSE_ENOUGH = 0.066;
// Judged over the last RECENT_FRAMES tracked frames (1.5 s at 30 results a second; 2-4.5 s at the 10-24 a
// second the page's own tracker gives on this machine) by the median palm of the hands found in them, once at
// least FOUND_FRAMES are: a small hand is often found only now and then, and it is the one to advise. With no
// hand in any of them there is nothing to say.
export const RECENT_FRAMES = 45;
export const FOUND_FRAMES = 6;
const LANDMARKS = 21;

/** The palm size of `landmarks` ([[x, y], ...] normalized to the frame, MediaPipe's 21 in its order) over the
 * longer side of a frame `aspect` (width / height) wide; null for anything else (no hand, or a malformed one). */
export function palmSize(landmarks, aspect) {
  if (!Array.isArray(landmarks) || landmarks.length !== LANDMARKS || !(aspect > 0)) return null;
  const point = (p) => Array.isArray(p) && Number.isFinite(p[0]) && Number.isFinite(p[1]);
  if (!landmarks.every(point)) return null;
  return handExtent(landmarks.map(([x, y]) => ({ x, y })), aspect, 1).palm / Math.max(aspect, 1);
}

export class FramingAdvice {
  constructor() {
    this.reset();
  }

  /** Nothing seen yet: a new camera, or the tracking moved between this device and the server. */
  reset() {
    this.sizes = []; // the last RECENT_FRAMES frames: the hand's palm size, or null when none was found
    this.closer = false;
  }

  /**
   * One tracked frame: the hand's `landmarks` ([[x, y], ...] normalized to the frame; null or empty
   * when none was found; anything malformed counts as none) in a frame `aspect` (width / height) wide.
   * True when the advice changed.
   */
  observe(landmarks, aspect) {
    this.sizes.push(palmSize(landmarks, aspect));
    if (this.sizes.length > RECENT_FRAMES) this.sizes.shift();
    const found = this.sizes.filter((size) => size !== null).sort((a, b) => a - b);
    const was = this.closer;
    if (found.length === 0) {
      this.closer = false;
    } else if (found.length >= FOUND_FRAMES) {
      const middle = found.length >> 1;
      const median = found.length % 2 ? found[middle] : (found[middle - 1] + found[middle]) / 2;
      if (median < CLOSER_BELOW) this.closer = true;
      else if (median >= CLOSE_ENOUGH) this.closer = false;
    }
    return this.closer !== was;
  }
}

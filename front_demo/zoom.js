// Where the page's hand tracker looks next: a port of the server's small-hand zoom policy,
// back/signify/recognition/zoom.py, whose docstrings are the reference for what each rule is for.
//
// In short: MediaPipe's palm detector sees the whole picture shrunk to 192 x 192, where a hand
// 50-100 px tall in a 640 x 480 frame is 15-30 px and seldom found; the same hand in a square
// crop half or a third of the frame's height is found most of the time. ZoomPolicy picks, frame
// by frame, the one view of the frame the tracker is given: the full frame and search tiles (a
// pass of half-height ones, then of third-height ones) while no hand is found, the view it was
// found in and then a square view centred on it, moved and resized gently (MediaPipe's video
// mode carries its track in the picture's normalized coordinates: a view that jumps loses it).
// For a while after the picture stopped changing, the search's first tile look of each round is
// centred where it last changed (changePoint): a hand raised into view is found within a round of stopping.
//
// The same decisions as zoom.py frame by frame, to the pixel: the same constants and arithmetic
// (JavaScript's numbers are Python's floats), and Python's round() where zoom.py rounds
// (half to even: JavaScript's Math.round rounds halves up, which moves a view by a pixel).
// tests/unit/recognition/test_zoom_js.py runs both over the same sequences and compares.
// No DOM here: it runs in node, in the tracker's worker and on the page.

// Search tiles: squares these fractions of the frame's height, a pass of each size in this order.
export const TILE_PER_HEIGHT = Object.freeze([1 / 2, 1 / 3]);
export const TILE_STEP = 0.6; // neighbouring tiles overlap by at least 40% of a tile
export const FULL_FIRST = 2; // a search starts with this many looks at the full frame (a large hand missed once is found next)
export const TILES_PER_FULL = 2; // ...then this many tiles, the full frame, this many tiles...
export const SIDE_PER_PALM = 5.5; // a followed hand's view side, in palm sizes (wrist to knuckles): the hand about 0.4 of it
export const MIN_SIDE = 48; // pixels of the frame: no view smaller
export const SIZE_BAND = Object.freeze([0.7, 1.45]); // follow: resize once side / wanted side leaves this band...
export const SIZE_SETTLED = Object.freeze([0.9, 1.1]); // ...until it is back within this one
export const MAX_RESIZE = 1.12; // at most this factor per frame
export const CENTRE_BAND = 0.18; // follow: move once the hand's centre is this far from the view's (a fraction of its side)...
export const CENTRE_SETTLED = 0.05; // ...until it is this close
export const MAX_PAN = 0.06; // at most this fraction of the side per frame
export const LOST_FRAMES = 15; // a followed hand missing this many frames in a row: search again
// Lost: every other look this many times wider (at most the frame's height), centred alike: finding the hand
// again is the palm detector's job, and it misses hands that fill much of its picture. Half as wide again for a
// hand lost while still (in a look twice as wide it finds a small hand roughly, and the track it starts can hold
// another shape), twice for one lost while moving (it may be anywhere along its path).
export const REFIND_SCALE = 1.5;
export const REFIND_SCALE_MOVING = 2.0;
// ...and, once it has been lost for REFIND_LEAD_AFTER frames, centred ahead of the followed view: moved on by its last
// step for every frame lost, by at most REFIND_LEAD of the look's side (a hand lost in a quick J's hook goes on down,
// to the edge of a look centred as the followed view; sooner, a Z's corner turns it back).
export const REFIND_LEAD = 0.25;
export const REFIND_LEAD_AFTER = 6;
export const MOVING_PALMS = 0.15; // a hand whose centre moved more than this many palm sizes since the frame before
// Where the picture changed: frames compared shrunk to CHANGE_PICTURE cells (width, height), grey, summed over
// CHANGE_SPAN-cell squares, a change where CHANGE_LEVEL grey levels a cell on average; none if more than CHANGE_WHOLE
// of the cells changed (the light, the camera). For SETTLED_FRAMES frames after it last changed, the search's first
// tile look of each round is centred there.
export const CHANGE_PICTURE = Object.freeze([80, 60]);
export const CHANGE_SPAN = 5;
export const CHANGE_LEVEL = 12;
export const CHANGE_WHOLE = 0.5;
export const SETTLED_FRAMES = 30;

// signify.recognition.normalization's landmark numbers (MediaPipe's hand model).
const WRIST = 0;
const PALM_KNUCKLES = [5, 9, 13, 17]; // index, middle, ring and pinky MCP joints

/** Python's round(x) for a float: the nearest integer, halves to the even one. */
export function roundHalfEven(x) {
  const floor = Math.floor(x);
  const fraction = x - floor; // exact for doubles
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Python's round(x, 6): toFixed rounds the double's exact value to the nearest too, so both give the same
 * number (they part only on an exact tie, an odd multiple of 1/128, which a tile's distance never is). */
function round6(x) {
  return Number(x.toFixed(6));
}

/** _square: the side-pixel square centred on (cx, cy), moved into the width x height frame where it would leave it. */
function square(cx, cy, side, width, height) {
  const x = roundHalfEven(Math.min(Math.max(cx - side / 2, 0), width - side));
  const y = roundHalfEven(Math.min(Math.max(cy - side / 2, 0), height - side));
  return new View(x, y, side, side);
}

/** A step's length as zoom.py's _length computes it (Math.hypot's last bit differs from Python's math.hypot). */
function length(dx, dy) {
  return Math.sqrt(dx * dx + dy * dy);
}

/** A rectangle of the frame in whole pixels: what MediaPipe is given. */
export class View {
  constructor(x, y, width, height) {
    this.x = x;
    this.y = y;
    this.width = width;
    this.height = height;
    Object.freeze(this);
  }

  isFull(width, height) {
    return this.x === 0 && this.y === 0 && this.width === width && this.height === height;
  }

  /** The same rectangle (zoom.py's View is a dataclass: == compares its fields). */
  equals(other) {
    return this.x === other.x && this.y === other.y && this.width === other.width && this.height === other.height;
  }
}

/** Where a found hand is and how large, in pixels of the full frame: the centre of its landmarks' box and
 * the palm size (mean wrist-to-knuckle distance). */
export class HandExtent {
  constructor(cx, cy, palm) {
    this.cx = cx;
    this.cy = cy;
    this.palm = palm;
    Object.freeze(this);
  }
}

/** hand_extent: the extent of landmarks ({x, y, z} each, as tasks-vision gives them) normalized to a
 * width x height frame. Handedness plays no part, so tasks-vision's swapped labels do not matter. */
export function handExtent(landmarks, width, height) {
  const points = landmarks.map((p) => [p.x * width, p.y * height]);
  let [lowX, lowY] = points[0];
  let [highX, highY] = points[0];
  for (const [x, y] of points) {
    lowX = Math.min(lowX, x);
    lowY = Math.min(lowY, y);
    highX = Math.max(highX, x);
    highY = Math.max(highY, y);
  }
  const [wristX, wristY] = points[WRIST];
  let palm = 0;
  for (const knuckle of PALM_KNUCKLES) {
    palm += Math.hypot(points[knuckle][0] - wristX, points[knuckle][1] - wristY);
  }
  return new HandExtent((lowX + highX) / 2, (lowY + highY) / 2, palm / PALM_KNUCKLES.length);
}

/** to_frame: landmarks found in `view` (normalized to the view) normalized to the full width x height frame.
 * x and y exactly; z, which MediaPipe gives on the scale of the picture's width, scaled as x is, so that a
 * hand found in a view and the same hand found in the full frame agree. Other fields are kept. */
export function toFrame(landmarks, view, width, height) {
  return landmarks.map((p) => ({
    ...p,
    x: (view.x + p.x * view.width) / width,
    y: (view.y + p.y * view.height) / height,
    z: (p.z * view.width) / width,
  }));
}

/**
 * change_point: where two consecutive grey frames shrunk to CHANGE_PICTURE (Uint8Arrays, row by row) differ most,
 * in pixels of a width x height frame ([x, y]), or null: the centre of the CHANGE_SPAN-cell square whose levels
 * changed most in all (the first in row order), if by CHANGE_LEVEL a cell on average; null if most of the picture
 * changed. Integer sums, as zoom.py's, so both find the same cell.
 */
export function changePoint(previous, current, width, height) {
  const [cols, rows] = CHANGE_PICTURE;
  if (previous.length !== cols * rows || current.length !== cols * rows) return null;
  const diff = new Int32Array(cols * rows);
  let changed = 0;
  for (let i = 0; i < diff.length; i++) {
    diff[i] = Math.abs(current[i] - previous[i]);
    if (diff[i] > CHANGE_LEVEL) changed += 1;
  }
  if (changed > CHANGE_WHOLE * diff.length) return null;
  const reach = Math.floor(CHANGE_SPAN / 2); // cells outside the picture did not change
  let best = -1;
  let bestX = 0;
  let bestY = 0;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      let sum = 0;
      for (let v = Math.max(0, y - reach); v <= Math.min(rows - 1, y + reach); v++) {
        for (let u = Math.max(0, x - reach); u <= Math.min(cols - 1, x + reach); u++) sum += diff[v * cols + u];
      }
      if (sum > best) {
        best = sum;
        bestX = x;
        bestY = y;
      }
    }
  }
  if (best < CHANGE_LEVEL * CHANGE_SPAN * CHANGE_SPAN) return null;
  return [((bestX + 0.5) * width) / cols, ((bestY + 0.5) * height) / rows];
}

function starts(length, side) {
  const count = Math.ceil((length - side) / (TILE_STEP * side)) + 1;
  if (count <= 1) return [0];
  return Array.from({ length: count }, (_, i) => roundHalfEven((i * (length - side)) / (count - 1)));
}

/** search_tiles: for each of TILE_PER_HEIGHT's sizes in turn, overlapping squares covering the frame,
 * nearest the centre first. */
export function searchTiles(width, height) {
  const sides = [];
  for (const fraction of TILE_PER_HEIGHT) {
    const side = Math.max(MIN_SIDE, roundHalfEven(fraction * height));
    if (!sides.includes(side)) sides.push(side); // in a small frame two sizes can both be the smallest side
  }
  return sides.flatMap((side) => tileGrid(width, height, side));
}

function tileGrid(width, height, side) {
  if (side >= Math.min(width, height)) return [];
  const tiles = [];
  for (const y of starts(height, side)) {
    for (const x of starts(width, side)) tiles.push(new View(x, y, side, side));
  }
  const [centreX, centreY] = [width / 2, height / 2];
  // Rounded as zoom.py rounds them, so that equally near tiles compare equal here too despite hypot's last
  // bit (V8's and CPython's differ); sort is stable, so those keep their raster order, as in Python.
  const distance = (t) => round6(Math.hypot(t.x + side / 2 - centreX, t.y + side / 2 - centreY));
  const keys = new Map(tiles.map((t) => [t, distance(t)]));
  return tiles.sort((a, b) => keys.get(a) - keys.get(b));
}

/**
 * Which view of the frame to give MediaPipe next, from what it found in the last one (zoom.py's ZoomPolicy).
 * Call nextView(width, height, changed) before each frame (changed: changePoint from the frame before, or null)
 * and observe() with what was found in it (handExtent in frame pixels, or null).
 */
export class ZoomPolicy {
  constructor() {
    this.reset();
  }

  /** Forget everything: the next frame is searched from the full frame. */
  reset() {
    this.frame = null; // [width, height]
    this.tiles = [];
    this.step = 0; // search: looks taken
    this.guided = 0; // ...of which centred where the picture changed
    this.changedAt = null; // where the picture last changed, [x, y] in frame pixels
    this.still = 0; // frames since it did
    this.isFollowing = false;
    this.cx = 0; // the followed view's centre and height
    this.cy = 0;
    this.side = 0;
    this.wholeFrame = false; // following in the full frame (a hand found there), else in a square view
    this.last = null;
    this.resizing = false;
    this.panning = false;
    this.lost = 0;
    // How far the hand moved between the last two frames it was found in running, in frame pixels ([dx, dy]), if it
    // moved (more than MOVING_PALMS); null if it did not.
    this.lastStep = null;
    this.view = null;
  }

  get following() {
    return this.isFollowing;
  }

  /** The view to look at in the coming width x height frame, which `changed` from the frame before most there
   * (changePoint; null: nowhere). */
  nextView(width, height, changed = null) {
    if (this.frame === null || this.frame[0] !== width || this.frame[1] !== height) {
      this.reset();
      this.frame = [width, height];
      this.tiles = searchTiles(width, height);
    }
    if (changed !== null && changed !== undefined) {
      this.changedAt = changed;
      this.still = 0;
    } else if (this.changedAt !== null) {
      this.still += 1;
    }
    const view = this.isFollowing ? this.followView(width, height) : this.searchView(width, height);
    this.view = view;
    return view;
  }

  /** What MediaPipe found in the last view (a HandExtent in pixels of the full frame), or null. */
  observe(hand) {
    if (this.view === null || this.frame === null) throw new Error("observe() before nextView()");
    const [width, height] = this.frame;
    if (hand === null || hand === undefined) {
      if (this.isFollowing) {
        this.lost += 1;
        if (this.lost >= LOST_FRAMES) {
          this.isFollowing = false;
          this.step = 0;
          this.guided = 0;
        } else if (this.lost === 1 && this.wholeFrame && this.last !== null) {
          // Lost in the full frame: look again, zoomed, where it was.
          this.wholeFrame = false;
          this.cx = this.last.cx;
          this.cy = this.last.cy;
          this.side = Math.min(height, Math.max(MIN_SIDE, SIDE_PER_PALM * this.last.palm));
          this.resizing = false;
          this.panning = false;
        }
      } else {
        this.step += 1;
      }
      return;
    }
    const last = this.last;
    const step = last !== null && this.lost === 0 ? [hand.cx - last.cx, hand.cy - last.cy] : null;
    this.lastStep = step !== null && length(step[0], step[1]) > MOVING_PALMS * hand.palm ? step : null;
    this.last = hand;
    this.lost = 0;
    const view = this.view;
    if (!this.isFollowing) {
      // Found: follow from the very view it was found in.
      this.isFollowing = true;
      this.wholeFrame = view.isFull(width, height);
      this.followFrom(view);
    } else if (!this.wholeFrame) {
      // Found again in a wider look than the followed view: followed from there.
      if (!view.equals(this.followView(width, height))) this.followFrom(view);
      else this.steer(hand, width, height);
    }
  }

  /** Follow from `view`: the next frame looks where the hand was found, as MediaPipe's track expects. */
  followFrom(view) {
    this.cx = view.x + view.width / 2;
    this.cy = view.y + view.height / 2;
    this.side = view.height;
    this.resizing = true;
    this.panning = true;
  }

  searchView(width, height) {
    const cycle = TILES_PER_FULL + 1;
    const look = this.step - FULL_FIRST;
    if (!this.tiles.length || look < 0 || look % cycle === TILES_PER_FULL) return new View(0, 0, width, height);
    if (look % cycle === 0 && this.changedAt !== null && this.still >= 1 && this.still <= SETTLED_FRAMES) {
      return this.lookWhereItStopped(this.changedAt, width, height);
    }
    const number = Math.floor(look / cycle) * TILES_PER_FULL + (look % cycle) - this.guided; // the grid goes on
    return this.tiles[number % this.tiles.length];
  }

  /** A search look centred where the picture stopped changing, as large as the tiles of each size in turn. */
  lookWhereItStopped([cx, cy], width, height) {
    const fraction = TILE_PER_HEIGHT[this.guided % TILE_PER_HEIGHT.length];
    this.guided += 1;
    const side = Math.min(width, height, Math.max(MIN_SIDE, roundHalfEven(fraction * height)));
    return square(cx, cy, side, width, height);
  }

  steer(hand, width, height) {
    const largest = Math.min(width, height); // the largest square view
    const wanted = Math.min(largest, Math.max(MIN_SIDE, SIDE_PER_PALM * hand.palm));
    let side = this.side;
    const ratio = side / wanted;
    if (!(SIZE_BAND[0] <= ratio && ratio <= SIZE_BAND[1]) || (wanted === largest && side < largest)) {
      this.resizing = true;
    }
    if (this.resizing) {
      side = Math.min(largest, side * Math.min(MAX_RESIZE, Math.max(1 / MAX_RESIZE, 1 / ratio)));
      // A large hand's view grows all the way: the full frame, or the frame's full height.
      const settled = wanted === largest ? side === largest
        : SIZE_SETTLED[0] <= side / wanted && side / wanted <= SIZE_SETTLED[1];
      this.resizing = !settled;
    }
    this.side = Math.max(MIN_SIDE, side);
    const dx = hand.cx - this.cx;
    const dy = hand.cy - this.cy;
    const off = Math.max(Math.abs(dx), Math.abs(dy)) / this.side;
    if (off > CENTRE_BAND) this.panning = true;
    if (this.panning) {
      const step = off > 0 ? Math.min(1, MAX_PAN / off) : 1;
      this.cx += dx * step;
      this.cy += dy * step;
      this.panning = off * (1 - step) > CENTRE_SETTLED;
    }
  }

  followView(width, height) {
    if (this.wholeFrame) return new View(0, 0, width, height);
    let side = Math.min(width, height, roundHalfEven(this.side));
    let cx = this.cx;
    let cy = this.cy;
    // From the second frame lost on (a hand missed once is looked for in its own view: its track goes on).
    if (this.lost >= 2 && this.lost % 2 === 0) {
      const moved = this.lastStep;
      side = Math.min(width, height, roundHalfEven(side * (moved !== null ? REFIND_SCALE_MOVING : REFIND_SCALE)));
      if (moved !== null && this.lost >= REFIND_LEAD_AFTER) {
        const [stepX, stepY] = moved;
        const lead = Math.min(this.lost, REFIND_LEAD * side / length(stepX, stepY));
        cx += lead * stepX;
        cy += lead * stepY;
      }
    }
    return square(cx, cy, side, width, height);
  }
}

"""Where the hand tracker looks next: the pure policy behind small-hand search.

MediaPipe's palm detector sees the whole picture shrunk to 192 x 192: a hand
50-100 px tall in a 640 x 480 webcam frame is 15-30 px there, and is seldom
found (docs/model.md, "Webcam framing, real hands"). The same hand in a
square crop half or a third of the frame's height is found most of the
time. :class:`ZoomPolicy` decides, frame by frame, which part of the frame
(a :class:`View`) MediaPipe is given:

* **search** (no hand): the full frame twice (a large hand that MediaPipe
  misses once is found on the next frame, as without zoom), then two tiles,
  the full frame, two tiles, and so on. The tiles are squares on an
  overlapping grid that covers the frame: a pass of those half the frame's
  height, then a pass of those a third of it, each nearest the centre first.
  A still hand that the palm detector misses in every half-height tile
  around it is often found in a third-height one, which frames it
  otherwise (measured: docs/model.md, "Finding a small hand wherever it
  is"). The larger tiles come first because they are fewer: a new search
  finds a hand as soon as it did with them alone; one that comes into view
  mid-search can wait for the longer cycle (2.1 s instead of 0.6). One
  look per frame, so a frame costs what it cost before.
* **search where something moved and stopped**: a hand comes into view
  moving (raised, or brought in from a side) and then holds still to sign,
  and the grid may reach the tile holding it only a cycle later. So the
  tracker also tells the policy where the picture changed since the frame
  before (:func:`change_point`, on the frame shrunk to
  :data:`CHANGE_PICTURE`), and for :data:`SETTLED_FRAMES` frames after the
  picture stopped changing, every first tile look of a round is a square
  centred where it last changed instead (the tiles' sizes in turn); the
  grid goes on where it left off. Not while it is still changing: a hand
  found moving fast left its view again at once, and was then missed where
  it stopped (measured: docs/model.md, "A hand raised into view").
* **follow** (a hand was found): the view it was found in, at first. A hand
  found in the full frame is followed there, as without zoom (MediaPipe's
  landmark model already reads it from the full-resolution picture; only
  its palm detector needs the zoom). A hand found in a tile is followed in
  a square view centred on it, its side about :data:`SIDE_PER_PALM` palm
  sizes (the hand about 0.4 of it), at most the frame's height. The view is
  moved and resized gently, with hysteresis: only once the hand leaves an
  inner zone (or its size leaves a band), and then by at most a few
  percent per frame until it is centred (sized) again. MediaPipe's video
  graph carries its track from one frame to the next in the picture's
  normalized coordinates, so a view that jumps, or changes its shape,
  loses the track (measured: a 4:3 view shrinking to a square lost it every
  other frame), and a new track starts with a jump that reads as motion. A
  held hand's view does not move at all.
* **lost**: a hand lost in the full frame is looked for, zoomed, in a
  square view where it was; a hand lost in a square view keeps that view.
  From the second frame lost on, every other look is :data:`REFIND_SCALE`
  times wider, because finding a hand again is the palm detector's job,
  and it likes a hand smaller in its picture than the landmark model does:
  centred alike, or, for a hand lost while it moved,
  :data:`REFIND_SCALE_MOVING` times wider, and once it has been lost for
  :data:`REFIND_LEAD_AFTER` frames centred ahead along its last step
  (:data:`REFIND_LEAD`). A hand missed for one frame is still looked
  for in its own view, so that a moving hand's track goes on unbroken; a
  hand found again is followed from the view it was found in. After
  :data:`LOST_FRAMES` frames without it, the search starts again.

Everything here is in pixels of the full frame, without MediaPipe: the
tracker (:mod:`signify.recognition.hands`) crops the view, runs MediaPipe on
it and maps the landmarks back with :func:`to_frame`. The demo page's own
tracker runs a port of this module, ``front_demo/zoom.js``, which must decide
exactly alike (tests/unit/recognition/test_zoom_js.py): change both together.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from .normalization import PALM_KNUCKLES, WRIST

# Search tiles: squares these fractions of the frame's height, a pass of each size in this order.
TILE_PER_HEIGHT = (1 / 2, 1 / 3)
TILE_STEP = 0.6  # neighbouring tiles overlap by at least 40% of a tile
FULL_FIRST = 2  # a search starts with this many looks at the full frame (a large hand missed once is found next)
TILES_PER_FULL = 2  # ...then this many tiles, the full frame, this many tiles...
SIDE_PER_PALM = 5.5  # a followed hand's view side, in palm sizes (wrist to knuckles): the hand about 0.4 of it
MIN_SIDE = 48  # pixels of the frame: no view smaller
SIZE_BAND = (0.7, 1.45)  # follow: resize once side / wanted side leaves this band...
SIZE_SETTLED = (0.9, 1.1)  # ...until it is back within this one
MAX_RESIZE = 1.12  # at most this factor per frame
CENTRE_BAND = 0.18  # follow: move once the hand's centre is this far from the view's (a fraction of its side)...
CENTRE_SETTLED = 0.05  # ...until it is this close
MAX_PAN = 0.06  # at most this fraction of the side per frame
LOST_FRAMES = 15  # a followed hand missing this many frames in a row: search again
# Lost: from the second frame lost on, every other look is this many times wider (at most the frame's
# height), centred alike. The followed view suits MediaPipe's landmark model, but its palm detector, which
# must find the hand again, can miss a hand that fills that much of the picture frame after frame (a 70 px L
# back after 8 frames away: missed in its 153 px view for 7 frames, found at once in a 240 px tile). The
# first lost frame keeps the view: MediaPipe drops a moving hand for a frame now and then, and a wider look
# then broke the track, and with it the motion, of a drawn J. Half as wide again for a hand lost while still:
# it comes back where it was, and in this look it is about a quarter of the picture, as in the search's tiles.
# In a look twice as wide the palm detector finds a small hand roughly, and the track it starts can hold another
# shape for several frames (a 70 px I lowered after its J and raised again a second later, at 10 results a
# second, was tracked with its index finger up for 2-5 frames in 5 of 9 takes on the page's tracker, and a J
# signed from it was written Z or PJ; docs/model.md, "A small hand found again").
REFIND_SCALE = 1.5
# Twice as wide for a hand lost while moving: it may be anywhere along its path (a Z's stroke at 70 px, looked
# for half as wide again, was lost for longer and a ZZZ written ZZ).
REFIND_SCALE_MOVING = 2.0
# ...and, once it has been lost for REFIND_LEAD_AFTER frames, centred ahead of the followed view: moved on by its
# last step between two frames for every frame lost, by at most REFIND_LEAD of the wider look's side, so that where it
# was lost stays well inside. A hand lost in a quick J's hook goes on down, and held at the hook's end it sat at the
# edge of a look centred as the followed view, where the palm detector missed it frame after frame (a 70 px I drawing
# a J twice its size in 0.4 s: found again 23 frames later, after its I had been written as the word's last letter).
# Sooner, the looks stay centred: a Z's stroke turns back at its corner, and looked for ahead from the second frame
# lost a hand lost in its strokes was found later (bench/webcam_motion.py: `ZZZ` at 70 and 100 px 4 fewer of 74).
REFIND_LEAD = 0.25
REFIND_LEAD_AFTER = 6
# A hand whose centre moved more than this many palm sizes since the frame before is moving.
MOVING_PALMS = 0.15
# Where the picture changed (change_point): compared shrunk to this many cells (width, height), grey; a cell of a
# 640 x 480 frame is 8 px square, a 50 px hand about 6 x 6 of them.
CHANGE_PICTURE = (80, 60)
CHANGE_SPAN = 5  # cells: the change is summed over squares this many cells wide, about a small hand's size...
CHANGE_LEVEL = 12  # ...and is one where it is this many grey levels a cell on average (sensor noise: about 1)
CHANGE_WHOLE = 0.5  # more than this share of cells changed: the light or the camera, nowhere in particular
# For this many frames after the picture last changed, a search's first tile look of each round is centred where it
# did: a hand raised into view and held there is found within a round (3 frames) of stopping.
SETTLED_FRAMES = 30


@dataclass(frozen=True)
class View:
    """A rectangle of the frame in whole pixels: what MediaPipe is given."""

    x: int
    y: int
    width: int
    height: int

    def is_full(self, width: int, height: int) -> bool:
        return (self.x, self.y, self.width, self.height) == (0, 0, width, height)


@dataclass(frozen=True)
class HandExtent:
    """Where a found hand is and how large, in pixels of the full frame."""

    cx: float
    cy: float
    palm: float  # mean wrist-to-knuckle distance


def hand_extent(landmarks: NDArray[np.float32], width: int, height: int) -> HandExtent:
    """The centre of the landmarks' box and the palm size of landmarks normalized to a ``width`` x ``height`` frame."""
    points = np.asarray(landmarks, dtype=np.float64)[:, :2] * (width, height)
    low, high = points.min(axis=0), points.max(axis=0)
    palm = float(np.linalg.norm(points[list(PALM_KNUCKLES)] - points[WRIST], axis=1).mean())
    return HandExtent(float(low[0] + high[0]) / 2, float(low[1] + high[1]) / 2, palm)


def to_frame(landmarks: NDArray[np.float32], view: View, width: int, height: int) -> NDArray[np.float32]:
    """Landmarks MediaPipe found in ``view`` (normalized to the view) normalized to the full frame.

    x and y are shifted and scaled exactly; z, which MediaPipe gives on the
    scale of x (the picture's width), is scaled as x is, so that a hand found
    in a view and the same hand found in the full frame agree.
    """
    out = np.array(landmarks, dtype=np.float64, copy=True)
    out[:, 0] = (view.x + out[:, 0] * view.width) / width
    out[:, 1] = (view.y + out[:, 1] * view.height) / height
    out[:, 2] = out[:, 2] * view.width / width
    return out.astype(np.float32)


def search_tiles(width: int, height: int, tile_per_height: Sequence[float] = TILE_PER_HEIGHT) -> list[View]:
    """The search grid: for each of ``tile_per_height``'s sizes in turn, overlapping squares covering the
    frame, nearest the centre first. A size whose squares would not be smaller than the frame is left out."""
    sides: list[int] = []
    for fraction in tile_per_height:
        side = max(MIN_SIDE, round(fraction * height))
        if side not in sides:  # in a small frame two sizes can both be the smallest side
            sides.append(side)
    return [tile for side in sides for tile in _tile_grid(width, height, side)]


def _tile_grid(width: int, height: int, side: int) -> list[View]:
    if side >= min(width, height):
        return []
    grid = [View(x, y, side, side) for y in _starts(height, side) for x in _starts(width, side)]
    centre = (width / 2, height / 2)
    # Python's sort is stable: equally near tiles keep their raster order.
    return sorted(grid, key=lambda t: round(math.hypot(t.x + side / 2 - centre[0], t.y + side / 2 - centre[1]), 6))


def _starts(length: int, side: int) -> list[int]:
    count = math.ceil((length - side) / (TILE_STEP * side)) + 1
    return [round(i * (length - side) / (count - 1)) for i in range(count)] if count > 1 else [0]


def change_picture(rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """An RGB frame shrunk to :data:`CHANGE_PICTURE`, grey: what :func:`change_point` compares. (The page shrinks
    its frames with the browser's own scaler, which averages alike but not to the bit.)"""
    grey = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    return np.asarray(cv2.resize(grey, CHANGE_PICTURE, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def change_point(previous: NDArray[np.uint8], current: NDArray[np.uint8], width: int,
                 height: int) -> tuple[float, float] | None:
    """Where two consecutive shrunk frames (:func:`change_picture`) differ most, in pixels of a ``width`` x
    ``height`` frame: the centre of the :data:`CHANGE_SPAN`-cell square whose grey levels changed most in all (the
    first such in row order), if they changed by :data:`CHANGE_LEVEL` a cell on average; None if nothing did, or if
    most of the picture did (:data:`CHANGE_WHOLE`). Integer sums, so that zoom.js finds the same cell."""
    if previous.shape != current.shape:
        return None
    diff = np.abs(current.astype(np.int32) - previous.astype(np.int32))
    if np.count_nonzero(diff > CHANGE_LEVEL) > CHANGE_WHOLE * diff.size:
        return None
    rows, cols = diff.shape
    span = CHANGE_SPAN
    # Each square's sum from a summed-area table of the picture padded with cells that did not change.
    table = np.zeros((rows + span, cols + span), np.int64)
    table[1:, 1:] = np.pad(diff, span // 2).cumsum(axis=0).cumsum(axis=1)
    sums = table[span:, span:] - table[:-span, span:] - table[span:, :-span] + table[:-span, :-span]
    y, x = divmod(int(np.argmax(sums)), cols)
    if sums[y, x] < CHANGE_LEVEL * span * span:
        return None
    return (x + 0.5) * width / cols, (y + 0.5) * height / rows


def _square(cx: float, cy: float, side: int, width: int, height: int) -> View:
    """The ``side``-pixel square centred on (cx, cy), moved into the frame where it would leave it."""
    x = round(min(max(cx - side / 2, 0.0), width - side))
    y = round(min(max(cy - side / 2, 0.0), height - side))
    return View(int(x), int(y), side, side)


def _length(dx: float, dy: float) -> float:
    """The length of a step, computed as zoom.js computes it: hypot's last bit differs between Python and JavaScript,
    and a view's pixel could with it; a square root of a sum of squares is rounded alike in both."""
    return math.sqrt(dx * dx + dy * dy)


class ZoomPolicy:
    """Which view of the frame to give MediaPipe next, from what it found in the last one.

    Call :meth:`next_view` before each frame (with where the frame changed
    from the one before, :func:`change_point`) and :meth:`observe` with what
    was found in it (:func:`hand_extent` in frame pixels, or None).
    """

    def __init__(self, tile_per_height: Sequence[float] = TILE_PER_HEIGHT) -> None:
        """``tile_per_height``: the search tiles' sizes (:func:`search_tiles`); benches compare others."""
        self._tile_per_height = tuple(tile_per_height)
        self.reset()

    def reset(self) -> None:
        """Forget everything: the next frame is searched from the full frame."""
        self._frame: tuple[int, int] | None = None
        self._tiles: list[View] = []
        self._step = 0  # search: looks taken
        self._guided = 0  # ...of which centred where the picture changed
        self._changed_at: tuple[float, float] | None = None  # where the picture last changed, in frame pixels
        self._still = 0  # frames since it did
        self._following = False
        self._cx = self._cy = self._side = 0.0  # the followed view's centre and height
        self._whole_frame = False  # following in the full frame (a hand found there), else in a square view
        self._last: HandExtent | None = None
        self._resizing = self._panning = False
        self._lost = 0
        # How far the hand moved between the last two frames it was found in running, in frame pixels, if it moved
        # (more than MOVING_PALMS); None if it did not.
        self._last_step: tuple[float, float] | None = None
        self._view: View | None = None

    @property
    def following(self) -> bool:
        return self._following

    def next_view(self, width: int, height: int, changed: tuple[float, float] | None = None) -> View:
        """The view to look at in the coming ``width`` x ``height`` frame, which ``changed`` from the frame before
        most there (:func:`change_point`; None: nowhere)."""
        if self._frame != (width, height):
            self.reset()
            self._frame = (width, height)
            self._tiles = search_tiles(width, height, self._tile_per_height)
        if changed is not None:
            self._changed_at, self._still = changed, 0
        elif self._changed_at is not None:
            self._still += 1
        view = self._follow_view(width, height) if self._following else self._search_view(width, height)
        self._view = view
        return view

    def observe(self, hand: HandExtent | None) -> None:
        """What MediaPipe found in the last view (in pixels of the full frame)."""
        if self._view is None or self._frame is None:
            raise RuntimeError("observe() before next_view()")
        width, height = self._frame
        if hand is None:
            if self._following:
                self._lost += 1
                if self._lost >= LOST_FRAMES:
                    self._following = False
                    self._step = self._guided = 0
                elif self._lost == 1 and self._whole_frame and self._last is not None:
                    # Lost in the full frame: look again, zoomed, where it was.
                    self._whole_frame = False
                    self._cx, self._cy = self._last.cx, self._last.cy
                    self._side = min(float(height), max(float(MIN_SIDE), SIDE_PER_PALM * self._last.palm))
                    self._resizing = self._panning = False
            else:
                self._step += 1
            return
        last = self._last
        step = (hand.cx - last.cx, hand.cy - last.cy) if last is not None and self._lost == 0 else None
        self._last_step = step if step is not None and _length(*step) > MOVING_PALMS * hand.palm else None
        self._last = hand
        self._lost = 0
        view = self._view
        if not self._following:  # found: follow from the very view it was found in
            self._following = True
            self._whole_frame = view.is_full(width, height)
            self._follow_from(view)
        elif not self._whole_frame:
            if view != self._follow_view(width, height):  # found again in a wider look than the followed view
                self._follow_from(view)
            else:
                self._steer(hand, width, height)

    def _follow_from(self, view: View) -> None:
        """Follow from ``view``: the next frame looks where the hand was found, as MediaPipe's track expects."""
        self._cx, self._cy = view.x + view.width / 2, view.y + view.height / 2
        self._side = float(view.height)
        self._resizing = self._panning = True

    def _search_view(self, width: int, height: int) -> View:
        cycle = TILES_PER_FULL + 1
        look = self._step - FULL_FIRST
        if not self._tiles or look < 0 or look % cycle == TILES_PER_FULL:
            return View(0, 0, width, height)
        if look % cycle == 0 and self._changed_at is not None and 1 <= self._still <= SETTLED_FRAMES:
            return self._look_where_it_stopped(self._changed_at, width, height)
        number = (look // cycle) * TILES_PER_FULL + look % cycle - self._guided  # the grid goes on where it was
        return self._tiles[number % len(self._tiles)]

    def _look_where_it_stopped(self, place: tuple[float, float], width: int, height: int) -> View:
        """A search look centred where the picture stopped changing, as large as the tiles of each size in turn."""
        fraction = self._tile_per_height[self._guided % len(self._tile_per_height)]
        self._guided += 1
        side = min(width, height, max(MIN_SIDE, round(fraction * height)))
        return _square(*place, side, width, height)

    def _steer(self, hand: HandExtent, width: int, height: int) -> None:
        largest = float(min(width, height))  # the largest square view
        wanted = min(largest, max(float(MIN_SIDE), SIDE_PER_PALM * hand.palm))
        side = self._side
        ratio = side / wanted
        if not SIZE_BAND[0] <= ratio <= SIZE_BAND[1] or (wanted == largest and side < largest):
            self._resizing = True
        if self._resizing:
            side = min(largest, side * min(MAX_RESIZE, max(1 / MAX_RESIZE, 1 / ratio)))
            # A large hand's view grows all the way: the full frame, or the frame's full height.
            settled = side == largest if wanted == largest else SIZE_SETTLED[0] <= side / wanted <= SIZE_SETTLED[1]
            self._resizing = not settled
        self._side = max(float(MIN_SIDE), side)
        dx, dy = hand.cx - self._cx, hand.cy - self._cy
        off = max(abs(dx), abs(dy)) / self._side
        if off > CENTRE_BAND:
            self._panning = True
        if self._panning:
            step = min(1.0, MAX_PAN / off) if off > 0 else 1.0
            self._cx += dx * step
            self._cy += dy * step
            self._panning = off * (1 - step) > CENTRE_SETTLED

    def _follow_view(self, width: int, height: int) -> View:
        if self._whole_frame:
            return View(0, 0, width, height)
        side = min(width, height, round(self._side))
        cx, cy = self._cx, self._cy
        if self._lost >= 2 and self._lost % 2 == 0:
            moved = self._last_step
            side = min(width, height, round(side * (REFIND_SCALE_MOVING if moved is not None else REFIND_SCALE)))
            if moved is not None and self._lost >= REFIND_LEAD_AFTER:
                step_x, step_y = moved
                lead = min(float(self._lost), REFIND_LEAD * side / _length(step_x, step_y))
                cx, cy = cx + lead * step_x, cy + lead * step_y
        return _square(cx, cy, side, width, height)

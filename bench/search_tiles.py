"""How soon the small-hand search finds a still hand: ``python -m bench.search_tiles --data ../shared/data``.

signify.recognition.zoom looks for a hand one view a frame: the full frame,
then square tiles in turn. Where the hand is decides which tiles can find it
and how long the search takes to reach them, so a hand held where
bench.webcam_motion's clips hold it (the middle of the frame) says little
about a hand held beside a face. This bench holds real hand photos still
(bench.webcam_motion's cut-outs over their own room, with its tremor, sensor
noise and webcam JPEG) at 15 places over a 640 x 480 frame and 50, 70 and
100 px tall, and asks MediaPipe (complexity 1, the page's weights, or
``--complexity 0``, the server's under load; one fresh detection a look) a
few times whether it finds the hand in each view that could hold it: the
full frame, and every tile of each size whose square holds the hand's
centre (a tile that does not is counted as never finding it). That gives
each view's chance of finding the hand in one look.

Then, for each search of :data:`SEARCHES` (the tile sizes, as
:data:`signify.recognition.zoom.TILE_PER_HEIGHT` gives the shipped ones), it plays
:class:`~signify.recognition.zoom.ZoomPolicy` with nothing found for the
views it would look at, and computes from those chances how likely the hand
is found within 0.4, 1 and 2 s at 30 frames a second: for a new stream (the
search from its first frame) and for a hand that comes into view while the
search is under way (at any point of its cycle, all alike). "never" is the
share still not found after 10 s: hands no view finds.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from signify.recognition import zoom
from signify.recognition.hands import HandSettings, HandTracker
from signify.recognition.zoom import View, ZoomPolicy

from bench import webcam_motion as wm

PLACES_X = (0.15, 0.32, 0.5, 0.68, 0.85)  # the hand's centre, as fractions of the frame's width...
PLACES_Y = (0.28, 0.5, 0.72)  # ...and height
FPS = 30
WITHIN_SECONDS = (0.4, 1.0, 2.0)
HORIZON_SECONDS = 10.0
SEARCHES = {"half": (1 / 2,), "half, then a third": (1 / 2, 1 / 3), "a third": (1 / 3,)}


@dataclass(frozen=True)
class HeldHand:
    """One photo's hand held still at one place and size, and each view's share of looks that found it."""

    photo: str
    size: int
    x: float
    y: float
    found: dict[View, float]


def search_views(tile_fractions: Sequence[float], frames: int) -> list[View]:
    """The views ZoomPolicy looks at in ``frames`` frames with no hand found, searching with these tile sizes."""
    policy = ZoomPolicy(tile_fractions)
    views = []
    for _ in range(frames):
        views.append(policy.next_view(wm.WIDTH, wm.HEIGHT))
        policy.observe(None)
    return views


def cycle_length(tile_fractions: Sequence[float]) -> int:
    """Frames in one pass over every tile (the search repeats after its first FULL_FIRST looks)."""
    tiles = len(zoom.search_tiles(wm.WIDTH, wm.HEIGHT, tile_fractions))
    return math.lcm(tiles, zoom.TILES_PER_FULL) // zoom.TILES_PER_FULL * (zoom.TILES_PER_FULL + 1)


def found_within(hand: HeldHand, views: Sequence[View], frames: Sequence[int]) -> list[float]:
    """The chance that looking at ``views`` in turn has found ``hand`` after each number of ``frames``."""
    missed, out = 1.0, []
    marks = set(frames)
    for look, view in enumerate(views, start=1):
        missed *= 1.0 - hand.found.get(view, 0.0)
        if look in marks:
            out.append(1.0 - missed)
    return out


def measure(data: Path, sizes: Sequence[int], per_letter: int, looks: int, searches: dict[str, tuple[float, ...]],
            complexity: int = 1, detection_confidence: float = HandSettings.min_detection_confidence
            ) -> list[HeldHand]:
    """Every photo at every place and size, through MediaPipe in every view the searches could give it."""
    clips, _ = wm.build_clips(data, sizes[:1], None, per_letter, ("J", "Z", "drift X", "HELLO"))
    photos = {photo.name: photo for clip in clips for photo in clip.photos}
    views = all_views(searches)
    held = []
    started = time.monotonic()
    settings = HandSettings(static_image_mode=True, model_complexity=complexity,
                            min_detection_confidence=detection_confidence)
    with HandTracker(settings) as tracker:
        for name, photo in sorted(photos.items()):
            for size in sizes:
                held += [hold(tracker, photo, size, fx, fy, views, looks) for fx in PLACES_X for fy in PLACES_Y]
                print(f"  {name} {size} px: {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return held


def all_views(searches: dict[str, tuple[float, ...]]) -> list[View]:
    """The full frame and every tile of every search."""
    tiles: set[View] = set()
    for fractions in searches.values():
        tiles.update(zoom.search_tiles(wm.WIDTH, wm.HEIGHT, fractions))
    return [View(0, 0, wm.WIDTH, wm.HEIGHT), *sorted(tiles, key=lambda v: (v.height, v.y, v.x))]


def hold(tracker: HandTracker, photo: wm.Photo, size: int, fx: float, fy: float, views: Sequence[View], looks: int
         ) -> HeldHand:
    """``photo``'s hand held ``size`` px tall at (fx, fy) of the frame: each of ``views`` holding its centre,
    looked at in ``looks`` pictures (a static ``tracker``: a fresh detection each)."""
    x, y = fx * wm.WIDTH, fy * wm.HEIGHT
    still = wm.Clip("held", size, (photo,), "", "", seed=wm._seed(photo.name, size, fx, fy))
    still.track = [(0, x, y, 0.0, False)] * looks
    pictures = [np.ascontiguousarray(bgr[:, :, ::-1]) for bgr in wm.render(still)]
    holding = [v for v in views if v.x <= x < v.x + v.width and v.y <= y < v.y + v.height]
    found = {view: sum(_finds(tracker, rgb, view, x, y, size) for rgb in pictures) / looks for view in holding}
    return HeldHand(photo.name, size, fx, fy, found)


def _finds(tracker: HandTracker, rgb: NDArray[np.uint8], view: View, x: float, y: float, size: int) -> bool:
    """Whether MediaPipe finds, in ``view`` of ``rgb``, a hand whose box is centred near (x, y)."""
    hand = tracker.detect(np.ascontiguousarray(rgb[view.y : view.y + view.height, view.x : view.x + view.width]))
    if hand is None:
        return False
    points = hand.landmarks[:, :2] * (view.width, view.height) + (view.x, view.y)
    cx, cy = (points.min(axis=0) + points.max(axis=0)) / 2
    return bool(abs(cx - x) < 0.75 * size and abs(cy - y) < 0.75 * size)


def report(held: Sequence[HeldHand], searches: dict[str, tuple[float, ...]]) -> None:
    sides = sorted({v.height for h in held for v in h.found}, reverse=True)
    print("one look at the best view of each side holding the hand: the share of looks that found it; "
          "and the held hands that only the smallest tiles find")
    for size in sorted({h.size for h in held}):
        hands = [h for h in held if h.size == size]
        best = np.array([[max((f for v, f in h.found.items() if v.height == side), default=0.0) for side in sides]
                         for h in hands])
        only_smallest = np.mean((best[:, :-1].max(axis=1) == 0) & (best[:, -1] > 0))
        shares = ", ".join(f"{side} px {100 * f:.0f}%" for side, f in zip(sides, best.mean(axis=0), strict=True))
        print(f"  {size:>3} px hands: {shares}; only the smallest: {100 * only_smallest:.1f}%")
    marks = [round(s * FPS) for s in WITHIN_SECONDS]
    horizon = round(HORIZON_SECONDS * FPS)
    heads = "/".join(f"{s:g}" for s in WITHIN_SECONDS)
    print(f"{'search':20} {'hand':>4} {'hands':>5} {'cycle':>5}  new stream, found by {heads} s"
          f"  {'in view mid-search':>20}  never")
    for label, fractions in searches.items():
        cycle = cycle_length(fractions)
        views = search_views(fractions, zoom.FULL_FIRST + cycle + horizon)
        for size in sorted({h.size for h in held}):
            hands = [h for h in held if h.size == size]
            new = np.mean([found_within(h, views[:horizon], [*marks, horizon]) for h in hands], axis=0)
            phases = [views[zoom.FULL_FIRST + p : zoom.FULL_FIRST + p + horizon] for p in range(cycle)]
            mid = np.mean([found_within(h, v, marks) for h in hands for v in phases], axis=0)
            print(f"{label:20} {size:>4} {len(hands):>5} {cycle:>5}  "
                  f"{' / '.join(f'{100 * v:3.0f}' for v in new[:-1]):>27}%  "
                  f"{' / '.join(f'{100 * v:3.0f}' for v in mid):>18}%  {100 * (1 - new[-1]):4.0f}%")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search_tiles", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=wm.DATA)
    parser.add_argument("--sizes", default="50,70,100", help="the hand box's longer side, pixels of 640 x 480")
    parser.add_argument("--per-letter", type=int, default=2, help="photos per letter and photo fold")
    parser.add_argument("--looks", type=int, default=3, help="pictures of each held hand (noise and tremor anew)")
    parser.add_argument("--complexity", type=int, default=1, choices=(0, 1),
                        help="MediaPipe's model: 1 as the page tracks, 0 as the server's image path under load")
    parser.add_argument("--detection-confidence", type=float, default=HandSettings.min_detection_confidence,
                        help="the palm detector's threshold; default the server's (MEDIAPIPE_MIN_DETECTION_CONFIDENCE)")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    held = measure(args.data, sizes, args.per_letter, args.looks, SEARCHES, args.complexity,
                   args.detection_confidence)
    print(f"{len({h.photo for h in held})} photos, {len(PLACES_X) * len(PLACES_Y)} places, {args.looks} looks "
          f"a view, complexity {args.complexity}, detection threshold {args.detection_confidence:g}; "
          f"shipped tiles: {zoom.TILE_PER_HEIGHT}")
    report(held, SEARCHES)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.exit(main())

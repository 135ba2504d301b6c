"""What the small-hand zoom costs per frame: ``python -m bench.zoom_cost --data ../shared/data``.

The same frames (bench.webcam_motion's J, Z and drifting clips of real hand
photos, hand 50-200 px in 640 x 480, and frames with no hand) go through two
HandTrackers with the server's settings, one with the zoom and one
without, frame by frame in turn, so that both see the same load. Printed:
median and 90th percentile milliseconds per frame, and frames with a hand
found, per hand size and frame size (640 x 480 as the camera gives it and
the demo sends it while the hand is small or not found, 320 x 240 as the
demo sends a large hand: front_demo/framesize.js; both JPEG 75 as decoded
by the server), and what the frame itself costs before the tracker: its
median JPEG bytes and the server's decode_image time (median of three
decodes of each frame), and the median time the zoomed tracker spends
finding where the frame changed from the one before (``change ms``:
zoom.change_picture and zoom.change_point; part of its ``zoom ms``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from signify.recognition.hands import HandSettings, HandTracker
from signify.recognition.images import decode_image
from signify.recognition.zoom import change_picture, change_point

from bench import webcam_motion as wm


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.zoom_cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=wm.DATA)
    parser.add_argument("--sizes", default="50,100,200")
    parser.add_argument("--clips", type=int, default=3, help="clips per hand size (J, Z, drift in turn)")
    parser.add_argument("--complexity", type=int, default=0)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    clips, _ = wm.build_clips(args.data, sizes, 0, 2)
    print(f"{'frame':7} {'hand':>5} {'frames':>6} {'plain ms':>8} {'p90':>5} {'found%':>6}  "
          f"{'zoom ms':>8} {'p90':>5} {'found%':>6}  {'KB':>5} {'decode ms':>9} {'change ms':>9}")
    for side in (640, 320):
        for size in [*sizes, 0]:
            chosen = [c for c in clips if c.size == (size or sizes[0]) and c.kind != "HELLO"][: args.clips]
            frames = []
            sizes_kb: list[float] = []
            decode_ms: list[float] = []
            for clip in chosen:
                room = np.clip(wm.Sprite(clip.photos[0], clip.size).background, 0, 255).astype(np.uint8)
                for rendered in wm.render(clip):
                    bgr = room if size == 0 else rendered  # no hand: the clip's room without it
                    small = bgr if side == wm.WIDTH else cv2.resize(bgr, (side, side * 3 // 4),
                                                                    interpolation=cv2.INTER_AREA)
                    ok, jpeg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, wm.DEMO_JPEG])
                    assert ok
                    data = jpeg.tobytes()
                    sizes_kb.append(len(data) / 1000)
                    decodes = []
                    for _ in range(3):
                        started = time.perf_counter()
                        rgb = decode_image(data, 1 << 24)
                        decodes.append(1000 * (time.perf_counter() - started))
                    decode_ms.append(float(np.median(decodes)))
                    frames.append((clip.key, rgb))
            times: dict[bool, list[float]] = {False: [], True: []}
            found: dict[bool, int] = {False: 0, True: 0}
            trackers = {z: HandTracker(HandSettings(model_complexity=args.complexity, zoom=z)) for z in (False, True)}
            try:
                last = None
                for key, rgb in frames:
                    for zoom, tracker in trackers.items():
                        if key != last:
                            tracker.reset()  # each clip a new stream
                        started = time.perf_counter()
                        hand = tracker.detect(rgb)
                        times[zoom].append(1000 * (time.perf_counter() - started))
                        found[zoom] += hand is not None
                    last = key
            finally:
                for tracker in trackers.values():
                    tracker.close()
            change_ms, previous = [], None
            for _, rgb in frames:
                started = time.perf_counter()
                picture = change_picture(rgb)
                if previous is not None:
                    change_point(previous, picture, rgb.shape[1], rgb.shape[0])
                change_ms.append(1000 * (time.perf_counter() - started))
                previous = picture
            cells = [f"{np.median(times[z]):>8.2f} {np.percentile(times[z], 90):>5.1f} "
                     f"{100 * found[z] / len(frames):>6.1f}" for z in (False, True)]
            print(f"{side}x{side * 3 // 4:<3} {size or '-':>5} {len(frames):>6} {cells[0]}  {cells[1]}  "
                  f"{np.median(sizes_kb):>5.1f} {np.median(decode_ms):>9.2f} {np.median(change_ms):>9.2f}", flush=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.exit(main())

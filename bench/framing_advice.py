"""When the demo page asks the signer to come closer: ``python -m bench.framing_advice --data ../shared/data``.

The page's advice (front_demo/framing.js) follows the hands its tracker finds. This replays the page's own
module, under node, over bench.webcam_motion's clips of real hands at 50, 70 and 100 px (their tracking, from
that bench's cache, or tracked now and cached), and prints per path and size: the clips it asked in, of
those where a hand was found; the share of frames with a hand that showed the advice; how many frames after
the first hand it first asked (median); and how often the advice came or went within a clip. The page should
ask in the small clips, not in the 100 px ones, and not flicker.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from bench import webcam_motion as wm
from bench.page_tracker import page_tracker

FRAMING_JS = wm.REPO / "front_demo" / "framing.js"
DEFAULT_CLASSES = ("J", "Z", "drift I", "drift X", "HELLO", "HELLO slide")
# Reads {"module": path, "sequences": [[landmarks ([[x, y], ...]) or null, ...], ...], "aspect": a} from the file
# named by its argument (node's synchronous read of a large pipe can fail) and writes, for each sequence, whether
# the page asks to come closer after each frame.
REPLAY_JS = """
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const input = JSON.parse(readFileSync(process.argv[1], "utf8"));
const { FramingAdvice } = await import(pathToFileURL(input.module).href);
const advice = input.sequences.map((frames) => {
  const policy = new FramingAdvice();
  return frames.map((landmarks) => { policy.observe(landmarks, input.aspect); return policy.closer; });
});
process.stdout.write(JSON.stringify(advice));
"""


@dataclass(frozen=True)
class Replayed:
    """One clip's frames: whether a hand was found in each, and whether the page asked to come closer after it."""

    size: int
    found: NDArray[np.bool_]
    closer: NDArray[np.bool_]


def replay(tracked: Sequence[wm.Tracked]) -> list[NDArray[np.bool_]]:
    """front_demo/framing.js's advice after each frame of each tracking (landmarks normalized to the frame)."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed: the page's module cannot be replayed")
    aspects = {round(t.aspect, 6) for t in tracked}
    if len(aspects) > 1:
        raise ValueError(f"trackings of more than one frame shape: {sorted(aspects)}")
    sequences = [[_landmarks(frame) for frame in t.landmarks] for t in tracked]
    with tempfile.TemporaryDirectory() as folder:
        payload = Path(folder) / "frames.json"
        payload.write_text(json.dumps({"module": str(FRAMING_JS), "sequences": sequences,
                                       "aspect": tracked[0].aspect}))
        done = subprocess.run([node, "--input-type=module", "-e", REPLAY_JS, str(payload)], capture_output=True,
                              text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"node could not replay front_demo/framing.js:\n{done.stderr}")
    return [np.asarray(advice, dtype=bool) for advice in json.loads(done.stdout)]


def hand_found(landmarks: NDArray[np.float32]) -> NDArray[np.bool_]:
    """Per tracked frame, whether it holds a hand (bench.webcam_motion stores a frame without one as NaN)."""
    return np.asarray(np.isfinite(landmarks).all(axis=(1, 2)))


def _landmarks(frame: NDArray[np.float32]) -> list[list[float]] | None:
    """A tracked frame as a prediction carries it: [[x, y], ...], or None where no hand was found."""
    if not hand_found(frame[None])[0]:
        return None
    points: list[list[float]] = np.round(frame[:, :2].astype(np.float64), 5).tolist()
    return points


def summarize(replayed: Sequence[Replayed]) -> list[dict[str, float | int | None]]:
    """Per size: clips with a hand, the share asked, the share of frames with a hand that showed the advice, the
    median frames from the first hand to the first advice, and the advice's comings and goings per clip."""
    rows: list[dict[str, float | int | None]] = []
    for size in sorted({r.size for r in replayed}):
        clips = [r for r in replayed if r.size == size and r.found.any()]
        asked = [r for r in clips if r.closer.any()]
        hand_frames = sum(int(r.found.sum()) for r in clips)
        delays = [int(np.argmax(r.closer)) - int(np.argmax(r.found)) for r in asked]
        changes = [int(np.count_nonzero(np.diff(r.closer.astype(np.int8)))) for r in clips]
        rows.append({
            "size": size, "clips": len(clips), "asked": len(asked),
            "asked_share": len(asked) / len(clips) if clips else None,
            "hand_frames_asked": sum(int((r.closer & r.found).sum()) for r in clips) / hand_frames
            if hand_frames else None,
            "frames_to_ask": float(np.median(delays)) if delays else None,
            "changes_per_clip": float(np.mean(changes)) if changes else None,
        })
    return rows


def print_table(path: str, rows: Sequence[dict[str, float | int | None]]) -> None:
    print(f"{'path':15s} {'px':>4s} {'clips':>6s} {'asked':>6s} {'asked%':>7s} {'frames%':>8s} {'to ask':>7s} "
          f"{'changes':>8s}")
    for row in rows:
        print(f"{path:15s} {row['size']:>4d} {row['clips']:>6d} {row['asked']:>6d} "
              f"{_cell(row['asked_share'], 100):>7s} {_cell(row['hand_frames_asked'], 100):>8s} "
              f"{_cell(row['frames_to_ask'], digits=0):>7s} {_cell(row['changes_per_clip'], digits=2):>8s}")


def _cell(value: float | int | None, scale: float = 1.0, digits: int = 1) -> str:
    return "-" if value is None else f"{float(value) * scale:.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=wm.DATA)
    parser.add_argument("--sizes", default=",".join(map(str, wm.SIZES)))
    parser.add_argument("--fold", default="all", help="photo fold 0, 1 or 2 (training's split), or 'all'")
    parser.add_argument("--per-letter", type=int, default=12, help="at most this many originals per letter")
    parser.add_argument("--classes", default=",".join(DEFAULT_CLASSES))
    parser.add_argument("--paths", default="keypoints-zoom", help=f"comma-separated, of {', '.join(wm.PATHS)}")
    parser.add_argument("--raised", action="store_true", help="the motion clips' hands raised into view first")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "signify" / "webcam_motion")
    args = parser.parse_args(argv)
    if not (args.data / wm.PHOTOS / "images").is_dir():
        print(f"{args.data / wm.PHOTOS} not found: pass --data", file=sys.stderr)
        return 2
    classes = [c for c in args.classes.split(",") if c]
    paths = [p for p in args.paths.split(",") if p]
    if unknown := (set(classes) - set(wm.ALL_CLASSES)) | (set(paths) - set(wm.PATHS)):
        print(f"unknown classes or paths {sorted(unknown)}", file=sys.stderr)
        return 2
    fold = None if args.fold == "all" else int(args.fold)
    clips, _ = wm.build_clips(args.data, [int(s) for s in args.sizes.split(",")], fold, args.per_letter, classes,
                              args.raised)
    print(f"{len(clips)} clips", flush=True)
    args.cache.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        page = stack.enter_context(page_tracker()) if set(paths) & set(wm.PAGE_PATHS) else None
        tracked = [wm.cached_tracking(clip, paths, args.cache, page) for clip in clips]
    for path in paths:
        ofpath = [t[path] for t in tracked]
        replayed = [Replayed(clip.size, hand_found(t.landmarks), closer)
                    for clip, t, closer in zip(clips, ofpath, replay(ofpath), strict=True)]
        print_table(path, summarize(replayed))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.exit(main())

"""``python -m bench.same_letters``: the same camera frames through both tracking paths, and the letters each gives.

The on-device path is the demo page's own: front_demo/tracking.js's HandLandmarker
(tasks-vision in headless Chromium, served by the Signify server), behind the
page's zoom (``ZoomedLandmarker``, front_demo/zoom.js), finds the hand in each frame
at its full resolution and makes the ``keypoints`` message the page would send.
The image path is the page's JPEG frame (front_demo/camera.js: the long side
shrunk to 320 pixels, JPEG at 0.75, encoded by the same Chromium),
tracked by the server's MediaPipe. Both go to one Signify server over the wire,
one frame at a time as the page's pump sends them.

Each sample is a letter held for a few camera frames: a drawn hand from testkit
(``--frames drawn``, always available) or one of the held-out style photos of
``../shared/data/roboflow-asl-letters`` (``--frames photos``), held still. The
server forgets the previous sample (``reset``) before each; a sample's answer is
the letter of its last frame's prediction (None when no hand was found there).
Both paths are scored by top-1 against the letter that was shown, and against
each other.

The page is never used for this: a harness page on the server's origin imports
the page's modules (Playwright serves it by routing one URL), so that the
tracker, its options and the message are exactly the page's.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from playwright.sync_api import Page
from websockets.sync.client import connect

from testkit.letter_shapes import LETTER_SHAPES
from testkit.motion_clips import Framing, drifting_clip

from .browser_harness import LOAD_IMAGE_JS, harness_page, jpeg_data_url
from .process import REPO, server_complexity, start_signify

PHOTOS = REPO.parent / "shared" / "data" / "roboflow-asl-letters" / "train" / "images"
HARNESS_PATH = "/__same_letters.html"  # never served by Signify: Playwright answers it
DRAWN_LETTERS = "".join(sorted(LETTER_SHAPES))  # the letters testkit can draw (J and Z are movements of I and D)
DRAWN_SIZES = (200.0, 260.0)  # hand lengths in a 640x480 picture: the size testkit's clips are measured at, and larger
HOLD_FRAMES = 10
MAX_FPS = 240  # the server's largest MAX_FPS; frames are sent a little slower than that
SEND_INTERVAL_S = 1.0 / 200
SOURCE_JPEG_QUALITY = 95  # how a sample's frames are handed to the browser (both paths then see the same pixels)

HARNESS = """<!doctype html>
<meta charset="utf-8">
<script type="module">
import { JPEG_QUALITY } from "./camera.js";
// The page's frames for a large hand (framesize.js): the photos' hands fill much of the picture.
import { SMALL_LONG_SIDE as LONG_SIDE } from "./framesize.js";
import { ZoomedLandmarker, createHandLandmarker, keypointsMessage } from "./tracking.js";

const landmarker = await createHandLandmarker();
const zoomCanvas = document.createElement("canvas");
const full = document.createElement("canvas");
const fullContext = full.getContext("2d", { willReadFrequently: true });
const small = document.createElement("canvas");
const smallContext = small.getContext("2d");
let clock = 0;
""" + LOAD_IMAGE_JS + """

async function jpegBase64(canvas) {
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", JPEG_QUALITY));
  const url = await new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.readAsDataURL(blob);
  });
  return url.slice(url.indexOf(",") + 1);
}

// One sample's frames: for each, the page's keypoints message and the page's JPEG frame.
window.track = async (urls) => {
  clock += 1000; // a second between samples, as if the hand had been away
  const tracker = new ZoomedLandmarker(landmarker, true, zoomCanvas); // a fresh zoom, as after a reload
  const frames = [];
  for (const url of urls) {
    const image = await load(url);
    const width = image.naturalWidth;
    const height = image.naturalHeight;
    full.width = width;
    full.height = height;
    fullContext.drawImage(image, 0, 0);
    clock += 1000 / 30;
    const started = performance.now();
    const result = tracker.detect(full, width, height, clock);
    const trackerMs = performance.now() - started;
    const scale = Math.min(1, LONG_SIDE / Math.max(width, height));
    small.width = Math.round(width * scale);
    small.height = Math.round(height * scale);
    smallContext.drawImage(full, 0, 0, small.width, small.height);
    const keypoints = keypointsMessage(result, width, height, clock);
    frames.push({ keypoints, jpeg: await jpegBase64(small), trackerMs });
  }
  return frames;
};
window.harnessReady = true;
</script>
"""


@dataclass(frozen=True)
class Sample:
    """A letter shown to the camera for a few frames (encoded images)."""

    letter: str
    frames: list[bytes]
    name: str


@dataclass
class PathScore:
    """One path's answers: the letter of each sample's last frame (None: no hand there)."""

    answers: list[str | None] = field(default_factory=list)

    def correct(self, truth: Sequence[str]) -> int:
        return sum(answer == letter for answer, letter in zip(self.answers, truth, strict=True))

    def found(self) -> int:
        return sum(answer is not None for answer in self.answers)


def encode(frame: NDArray[np.uint8]) -> bytes:
    ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, SOURCE_JPEG_QUALITY])
    assert ok
    return bytes(data.tobytes())


def drawn_samples(seeds: int = 2, hold: int = HOLD_FRAMES, letters: str = DRAWN_LETTERS) -> list[Sample]:
    """Every letter testkit draws, held ``hold`` frames while it drifts a little: at two sizes, by either
    hand (odd seeds draw the mirrored one), ``seeds`` framings per letter and size."""
    samples = []
    for letter in letters:
        for size in DRAWN_SIZES:
            for seed in range(seeds):
                framing = Framing(size=size, seed=seed, mirror=seed % 2 == 1)
                frames = [encode(frame) for frame in drifting_clip(letter, framing, frames=hold)]
                samples.append(Sample(letter, frames, f"{letter} size {size:.0f} seed {seed}"))
    return samples


def photo_samples(folder: Path = PHOTOS, hold: int = HOLD_FRAMES, limit: int | None = None) -> list[Sample]:
    """The photos (one augmented copy of each original; the letter is the file name's first character), each
    held still for ``hold`` frames."""
    originals: dict[str, Path] = {}
    for path in sorted(folder.glob("*.jpg")):
        originals.setdefault(path.name.split("_jpg", 1)[0], path)
    paths = sorted(originals.values())[:limit]
    return [Sample(path.name[0].upper(), [path.read_bytes()] * hold, path.name) for path in paths]


def track(page: Page, sample: Sample) -> list[dict[str, Any]]:
    """The sample's frames through the page's tracker: keypoints message, JPEG and tracker time per frame."""
    urls = [jpeg_data_url(frame) for frame in sample.frames]
    frames: list[dict[str, Any]] = page.evaluate("(urls) => window.track(urls)", urls)
    return frames


def letters_back(url: str, samples: Sequence[Sequence[str | bytes]]) -> list[str | None]:
    """Each sample's frames sent one at a time after a reset, as the page's pump does; its last answer's letter."""
    answers: list[str | None] = []
    sent_at = 0.0
    with connect(url, subprotocols=None, max_size=None) as socket:
        ready = json.loads(socket.recv())
        assert ready["type"] == "ready", ready
        for frames in samples:
            socket.send(json.dumps({"type": "reset"}))
            last: dict[str, Any] = {}
            for frame in frames:
                time.sleep(max(0.0, sent_at + SEND_INTERVAL_S - time.perf_counter()))
                sent_at = time.perf_counter()
                socket.send(frame)
                while True:
                    last = json.loads(socket.recv())
                    if last["type"] in ("prediction", "dropped", "error"):
                        break
                if last["type"] != "prediction":
                    raise RuntimeError(f"frame not answered with a prediction: {last}")
            answers.append(last.get("letter"))
    return answers


def compare(samples: Sequence[Sample], log: bool = True, complexity: str | None = None) -> dict[str, Any]:
    """Both paths over ``samples``; the figures. ``complexity``: the server's MEDIAPIPE_MODEL_COMPLEXITY
    (None: its own default)."""
    env = {} if complexity is None else {"MEDIAPIPE_MODEL_COMPLEXITY": complexity}
    server = start_signify(max_sessions=2, max_fps=MAX_FPS, extra_env=env)
    try:
        with harness_page(server.port, HARNESS_PATH, HARNESS) as page:
            keypoints: list[list[str | bytes]] = []
            jpegs: list[list[str | bytes]] = []
            tracker_ms: list[float] = []
            started = time.perf_counter()
            for n, sample in enumerate(samples):
                frames = track(page, sample)
                keypoints.append([json.dumps(f["keypoints"]) for f in frames])
                jpegs.append([base64.b64decode(f["jpeg"]) for f in frames])
                tracker_ms += [f["trackerMs"] for f in frames]
                if log and (n + 1) % 20 == 0:
                    print(f"  tracked {n + 1}/{len(samples)} samples", file=sys.stderr)
            tracking_s = time.perf_counter() - started
        device = PathScore(letters_back(server.url, keypoints))
        image = PathScore(letters_back(server.url, jpegs))
    finally:
        server.stop()
    truth = [sample.letter for sample in samples]
    count = len(samples)
    agree = sum(a == b for a, b in zip(device.answers, image.answers, strict=True))
    figures: dict[str, Any] = {
        "samples": count,
        "frames_per_sample": len(samples[0].frames) if samples else 0,
        "on_device": {"top1": device.correct(truth) / count, "hand_found": device.found() / count},
        "image": {"top1": image.correct(truth) / count, "hand_found": image.found() / count},
        "same_answer": agree / count,
        "tracker_ms_median": float(np.median(tracker_ms)) if tracker_ms else None,
        "tracker_ms_p90": float(np.percentile(tracker_ms, 90)) if tracker_ms else None,
        "tracked_frames_per_s": len(tracker_ms) / tracking_s if tracking_s else None,
        "differences": [
            {"sample": s.name, "letter": s.letter, "on_device": a, "image": b}
            for s, a, b in zip(samples, device.answers, image.answers, strict=True) if a != b
        ],
    }
    figures["top1_difference_points"] = 100 * (figures["on_device"]["top1"] - figures["image"]["top1"])
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.same_letters", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", choices=("drawn", "photos"), default="drawn")
    parser.add_argument("--photos", type=Path, default=PHOTOS, help="folder of the Roboflow photos")
    parser.add_argument("--limit", type=int, default=None, help="at most this many photos")
    parser.add_argument("--seeds", type=int, default=8, help="drawn framings per letter and size")
    parser.add_argument("--hold", type=int, default=HOLD_FRAMES, help="camera frames per sample")
    parser.add_argument("--out", type=Path, default=None, help="write the figures here as JSON")
    args = parser.parse_args(argv)
    if args.frames == "photos":
        if not args.photos.is_dir():
            parser.error(f"{args.photos} is not there (see ../shared/data/README.md)")
        samples = photo_samples(args.photos, args.hold, args.limit)
    else:
        samples = drawn_samples(args.seeds, args.hold)
    figures = {"frames": args.frames, **compare(samples, complexity=server_complexity(None, args.frames))}
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

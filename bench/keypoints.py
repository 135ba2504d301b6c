"""``python -m bench --mode keypoints``: clients that track the hand themselves, swept to capacity.

Each client sends ``keypoints`` messages (PROTOCOL.md) at the camera's
rate: the landmarks that MediaPipe found, at full resolution, in the real
signing videos of ../shared/data/pose-videos (or in testkit's drawn hand
when those are absent), frames without a hand sent as ``"landmarks":[]``.
The clients run in their own processes, so that the load generator does
not share the server's event loop or interpreter lock; both still share
this machine's cores, which the report says.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import multiprocessing
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from .frames import POSE_VIDEOS
from .light_client import run_light_load
from .load import ClientRecord

CACHE = Path.home() / ".cache" / "signify"
VIDEO_FRAMES = 300
# A keypoint client is answered within this, at this rate, or the step is over capacity (issue 17's targets).
KEYPOINT_MIN_FPS = 28.0
KEYPOINT_MAX_P95_MS = 50.0


def recorded_keypoints(folder: Path = POSE_VIDEOS, limit: int = VIDEO_FRAMES) -> list[str]:
    """``keypoints`` messages of the real signing video at full resolution (cached), or of the drawn hand."""
    videos = sorted(folder.glob("*.mp4")) if folder.is_dir() else []
    key = hashlib.sha256("|".join(f"{v.name}:{v.stat().st_size}" for v in videos).encode()).hexdigest()[:16]
    cached = CACHE / f"bench-keypoints-{key}-{limit}-captured.json"  # the messages carry capture times
    if cached.is_file():
        messages: list[str] = json.loads(cached.read_text())
        return messages
    frames = _video_frames(videos, limit) if videos else _drawn_frames()
    messages = _track(frames)
    CACHE.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(messages))
    return messages


def _video_frames(videos: list[Path], limit: int) -> list[np.ndarray[Any, Any]]:
    frames: list[np.ndarray[Any, Any]] = []
    for video in videos:
        capture = cv2.VideoCapture(str(video))
        while len(frames) < limit:
            ok, frame = capture.read()
            if not ok:
                break
            frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        capture.release()
    return frames


def _drawn_frames() -> list[np.ndarray[Any, Any]]:
    from testkit.hand_drawing import moving_hand_frames

    return [cv2.cvtColor(frame, cv2.COLOR_BGR2RGB) for frame in moving_hand_frames(60)]


def _track(frames: list[np.ndarray[Any, Any]]) -> list[str]:
    """What a device tracking the hand at full resolution would send for each frame."""
    from signify.recognition.hands import HandSettings, HandTracker

    tracker = HandTracker(HandSettings())
    messages = []
    try:
        for index, rgb in enumerate(frames):
            height, width = rgb.shape[:2]
            found = tracker.detect(np.ascontiguousarray(rgb))
            landmarks = np.round(found.landmarks, 4).tolist() if found is not None else []
            handedness = found.handedness if found is not None else "Right"
            # Captured 30 times a second, as the page stamps its frames: a frame the server dropped leaves a gap
            # in the capture times that the next one fills (signify.recognition.pacing), as from the page.
            messages.append(json.dumps({"type": "keypoints", "landmarks": landmarks, "handedness": handedness,
                                        "width": width, "height": height, "captured": round(1000 * index / 30, 1)},
                                       separators=(",", ":")))
    finally:
        tracker.close()
    return messages


def run_clients(url: str, messages: list[str], clients: int, fps: float, seconds: float,
                processes: int) -> list[ClientRecord]:
    """``clients`` keypoint clients spread over ``processes`` processes; every client's record."""
    shares = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    shares = [share for share in shares if share]
    context = multiprocessing.get_context("spawn")
    with context.Pool(len(shares)) as pool:
        results = pool.starmap(_client_process, [(url, messages, share, fps, seconds) for share in shares])
    return [record for records in results for record in records]


def _client_process(url: str, messages: list[str], clients: int, fps: float, seconds: float) -> list[ClientRecord]:
    return asyncio.run(run_light_load(url, messages, clients, fps, seconds))


def batching_costs(model_path: Path, batches: tuple[int, ...] = (1, 8, 64), seconds: float = 1.0) -> dict[str, Any]:
    """The model's cost per full window (32 frames) when windows are scored one by one and in batches, in ms."""
    from signify.recognition.model import LetterModel

    model = LetterModel(model_path)
    rng = np.random.default_rng(0)
    costs: dict[str, Any] = {}
    for batch in batches:
        hands = rng.normal(0, 0.5, (batch, 32, 21, 3)).astype(np.float32)
        motion = rng.normal(0, 1.0, (batch, 32, 3)).astype(np.float32)
        costs[f"batch_{batch}_ms_per_window"] = ms_per_item(partial(model.predict_batch, hands, motion), batch, seconds)
    return costs


def ms_per_item(call: Callable[[], object], items: int, seconds: float) -> float:
    """Milliseconds per item of ``call``, which handles ``items`` at once, run for ``seconds`` after one warm-up
    call, to four decimals."""
    call()
    calls, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        call()
        calls += 1
    return round((time.perf_counter() - started) / calls / items * 1000, 4)


def client_processes(clients: int) -> int:
    """One load process per 200 clients (bench.light_client's cost), at least one, at most two."""
    return max(1, min(2, -(-clients // 200)))


if __name__ == "__main__":  # record the messages ahead of a run: python -m bench.keypoints
    print(len(recorded_keypoints()), "keypoints messages", file=sys.stderr)

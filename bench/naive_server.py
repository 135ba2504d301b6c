"""The naive design the original guide implies, built from Signify's own parts for a fair comparison.

Every frame is detected from scratch (MediaPipe in static image mode, one
instance for the process) and processed on the event loop, one frame at a
time, in arrival order: no thread pool, no tracking, no dropping of stale
frames. Run: ``python -m bench.naive_server PORT [MODEL_COMPLEXITY]``.
"""

from __future__ import annotations

import asyncio
import sys
import time

from signify.config import DEFAULT_MODEL_PATH
from signify.recognition.hands import HandSettings, HandTracker
from signify.recognition.images import decode_image
from signify.recognition.model import LetterModel
from signify.recognition.normalization import normalize_hand
from signify.recognition.ring_buffer import KeypointBuffer
from signify.serving.protocol import dumps, prediction_message, ready_message
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

MAX_PIXELS = 4 * 1024 * 1024


async def main(port: int, model_complexity: int = 0) -> None:
    """Serve until killed."""
    model = LetterModel(DEFAULT_MODEL_PATH)
    tracker = HandTracker(HandSettings(static_image_mode=True, model_complexity=model_complexity))
    labels = list(model.card.labels)

    async def handle(websocket: ServerConnection) -> None:
        buffer = KeypointBuffer(32)
        await websocket.send(dumps(ready_message("naive", model.card.name, model.card.version, labels, 32, 5, 30)))
        frame_id = 0
        try:
            async for message in websocket:
                arrived = time.perf_counter()
                frame_id += 1
                rgb = decode_image(bytes(message) if isinstance(message, bytes) else b"", MAX_PIXELS)
                hand = tracker.detect(rgb)
                top: list[tuple[str, float]] = []
                if hand is not None:
                    aspect = rgb.shape[1] / rgb.shape[0]
                    buffer.append(normalize_hand(hand.landmarks, handedness=hand.handedness, aspect=aspect))
                    top = model.predict(buffer.window()).top(3)
                total = round((time.perf_counter() - arrived) * 1000, 3)
                landmarks = hand.landmarks if hand is not None else None
                await websocket.send(dumps(prediction_message(frame_id, top, None, "", landmarks, {"total": total})))
        except ConnectionClosed:
            pass

    async with serve(handle, "127.0.0.1", port, compression=None, max_size=2**20):
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(*(int(arg) for arg in sys.argv[1:3])))

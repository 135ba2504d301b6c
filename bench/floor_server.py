"""The least a Python WebSocket server does per ``keypoints`` message: the floor under Signify's keypoint path.

Issue 17 asks for 300 keypoint clients at 30 fps on two cores: 9,000
messages a second each way. This server does no recognition at all. It
does only what any server written with Signify's libraries must do for
each message: python-websockets on asyncio reads and unmasks the frame,
``orjson.loads`` parses it (Signify's first reader, in
:mod:`signify.serving.protocol`), and an answer of the same fields and
size as Signify's (:func:`signify.serving.protocol.prediction_message`, a fixed
top three) is serialized and sent. What this process answers at most is
the most any one Signify process could answer, whatever its recognition
costs: ``python -m bench --mode keypoints --floor`` sweeps it with the
same load generator and the same capacity rule as the real server.

Run: ``python -m bench.floor_server PORT``.
"""

from __future__ import annotations

import asyncio
import sys

import orjson
from signify.serving.protocol import dumps, prediction_message, ready_message
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

LABELS = [chr(code) for code in range(ord("A"), ord("Z") + 1)]
TOP = [("A", 0.91), ("S", 0.05), ("E", 0.02)]  # an answer as long as a real one


async def main(port: int) -> None:
    """Serve until killed."""

    async def handle(websocket: ServerConnection) -> None:
        await websocket.send(dumps(ready_message("floor", "floor", "0", LABELS, 32, 5, 60)))
        frame_id = 0
        try:
            async for message in websocket:
                frame_id += 1
                frame = orjson.loads(message)
                hand = bool(frame.get("landmarks"))
                answer = prediction_message(frame_id, TOP if hand else [], "A" if hand else None, "HELLO", None,
                                            {"decode": 0.0, "keypoints": 0.0, "model": 0.0, "total": 0.0}, hand=hand)
                await websocket.send(dumps(answer))
        except ConnectionClosed:
            pass

    async with serve(handle, "127.0.0.1", port, compression=None, max_size=2**20):
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))

"""The attackers of ``python -m bench --attack``: hostile clients on 127.0.0.1, bounded in count and time.

Three kinds, each counting what it sent and every answer and close it met:

* ``images``: decode bombs (thousands of scans, scans x pixels beyond the
  work budget) and header tricks (a 30000x30000 frame header, a second frame
  header hidden where a naive check does not look), sent at MAX_FPS;
* ``json``: text messages of about 1 MB (padding, or a frame whose image is a
  megabyte of base64 noise) at MAX_FPS; each connection ends with one message
  beyond MAX_FRAME_BYTES, which closes it 1009, and the attacker comes back;
* ``storm``: one address opening and closing connections as fast as it can.

Every attacker stops at its deadline, after ``STORM_CONNECTIONS`` connections,
or when the server no longer accepts connections (it was sent SIGTERM).

The attack runs in its own process (:func:`attack_process`, ``python -m
bench.attack``): in the good client's process its handshakes and megabyte
sends would hold the event loop that timestamps the good client's answers.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from testkit.hostile_payloads import hidden_frame_jpeg, jpeg_bomb, repeated_scan_jpeg

JSON_BYTES = 1_000_000
MESSAGES_PER_JSON_CONNECTION = 60  # then the oversized message, a 1009 and a new connection
STORM_CONNECTIONS = 10000
STORM_LOOPS = 2  # connections the storm has in flight at once
ANSWER_WAIT_S = 1.0  # after the last message, how long a connection reads on


@dataclass
class Tally:
    """What one kind of attacker sent and met."""

    sent: int = 0
    connections: int = 0
    answers: Counter[str] = field(default_factory=Counter)  # "error:bad_image", "ready", ...
    closes: Counter[str] = field(default_factory=Counter)  # "1009", "1013", "refused" (TCP), ...

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"sent": self.sent, "connections": self.connections,
                "answers": dict(self.answers), "closes": dict(self.closes)}


def image_payloads() -> list[bytes]:
    """Decode bombs and header tricks; the defences answer each with ``bad_image`` or ``too_large``."""
    return [
        repeated_scan_jpeg(2048, 2048, 6000),  # 100 KB that kept libjpeg busy 16 s: more than 32 scans
        repeated_scan_jpeg(2048, 2048, 17),  # scans x pixels beyond the work budget
        jpeg_bomb(30000, 30000),  # a few hundred bytes declaring 900 Mpx
        *(hidden_frame_jpeg(hiding) for hiding in ("ff00", "garbage", "second", "after scan")),
    ]


def json_payloads() -> list[str]:
    """About 1 MB of JSON each: padding outside any image, and a frame of base64 noise."""
    padding = json.dumps({"type": "frame", "id": 1, "keypoints": None, "pad": "x" * JSON_BYTES})
    noise = base64.b64encode(os.urandom(JSON_BYTES * 3 // 4)).decode()
    return [padding, json.dumps({"type": "frame", "id": 2, "image": noise})]


def oversized_json(limit: int) -> str:
    """A text message one byte beyond ``limit``: the connection is closed 1009."""
    head = '{"type":"frame","id":3,"pad":"'
    return head + "x" * (limit + 1 - len(head) - 2) + '"}'


async def attack_process(url: str, max_fps: float, max_frame_bytes: int, seconds: float) -> dict[str, Any]:
    """Run :func:`run_attack` in a child process; its tallies as JSON-ready dicts by kind."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.attack", url, str(max_fps), str(max_frame_bytes), str(seconds),
        stdout=asyncio.subprocess.PIPE)
    out, _ = await child.communicate()
    if child.returncode:
        raise RuntimeError(f"the attack process exited with {child.returncode}")
    tallies: dict[str, Any] = json.loads(out)
    return tallies


def main() -> None:
    """``python -m bench.attack URL MAX_FPS MAX_FRAME_BYTES SECONDS``: print the tallies as JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.attack", description=__doc__)
    parser.add_argument("url")
    parser.add_argument("max_fps", type=float)
    parser.add_argument("max_frame_bytes", type=int)
    parser.add_argument("seconds", type=float)
    args = parser.parse_args()
    tallies = asyncio.run(run_attack(args.url, args.max_fps, args.max_frame_bytes, args.seconds))
    print(json.dumps({kind: tally.as_dict() for kind, tally in tallies.items()}))


async def run_attack(url: str, max_fps: float, max_frame_bytes: int, seconds: float,
                     images: int = 2, json_clients: int = 1) -> dict[str, Tally]:
    """Run every attacker against ``url`` for at most ``seconds``; return their tallies by kind."""
    deadline = asyncio.get_running_loop().time() + seconds
    tallies = {"images": Tally(), "json": Tally(), "storm": Tally()}
    bombs, texts = image_payloads(), json_payloads()
    big = oversized_json(max_frame_bytes)
    tasks = [
        *(_streamer(url, tallies["images"], bombs, max_fps, deadline) for _ in range(images)),
        *(_streamer(url, tallies["json"], texts, max_fps, deadline, MESSAGES_PER_JSON_CONNECTION, big)
          for _ in range(json_clients)),
        *(_storm(url, tallies["storm"], deadline) for _ in range(STORM_LOOPS)),
    ]
    await asyncio.gather(*tasks)
    return tallies


def _closed(tally: Tally, ws: ClientConnection | None, exc: BaseException | None = None) -> None:
    if isinstance(exc, InvalidStatus):  # an HTTP answer instead of the upgrade: 503 while draining
        tally.closes[f"http {exc.response.status_code}"] += 1
    elif isinstance(exc, OSError | InvalidHandshake | TimeoutError):
        tally.closes["refused" if isinstance(exc, ConnectionRefusedError) else type(exc).__name__] += 1
    elif ws is not None:
        tally.closes[str(ws.close_code)] += 1


async def _connected(url: str, tally: Tally, deadline: float,
                     session: Callable[[ClientConnection], Awaitable[None]]) -> bool:
    """One connection: ``session`` runs once ``ready`` came; False once the server accepts no more."""
    tally.connections += 1
    ws: ClientConnection | None = None
    try:
        async with asyncio.timeout(max(deadline + ANSWER_WAIT_S + 1 - asyncio.get_running_loop().time(), 0.1)):
            async with connect(url, compression=None, max_size=2**22, open_timeout=10) as ws:
                first = json.loads(await ws.recv())
                tally.answers[first["type"]] += 1
                await session(ws)
    except ConnectionClosed:
        pass
    except TimeoutError:
        if ws is None:
            tally.closes["TimeoutError"] += 1
        return True  # the deadline: the caller's loop ends
    except (OSError, InvalidHandshake) as exc:
        _closed(tally, None, exc)
        return not isinstance(exc, ConnectionRefusedError)
    _closed(tally, ws)
    return True


async def _streamer(url: str, tally: Tally, payloads: list[bytes] | list[str], fps: float, deadline: float,
                    per_connection: int | None = None, last: str | None = None) -> None:
    """Send ``payloads`` (cycling) at ``fps`` until the deadline, reading every answer; reconnect when closed."""
    loop = asyncio.get_running_loop()

    async def session(ws: ClientConnection) -> None:
        reader = asyncio.create_task(_read(ws, tally))
        try:
            start, n = loop.time(), 0
            while loop.time() < deadline and (per_connection is None or n < per_connection):
                await asyncio.sleep(max(start + n / fps - loop.time(), 0))
                await ws.send(payloads[tally.sent % len(payloads)])
                tally.sent += 1
                n += 1
            if last is not None and loop.time() < deadline:
                await ws.send(last)
                tally.sent += 1
            await asyncio.wait([reader], timeout=ANSWER_WAIT_S)  # the last answers, or the 1009
        finally:
            reader.cancel()

    while loop.time() < deadline:
        if not await _connected(url, tally, deadline, session):
            return
        await asyncio.sleep(0.05)  # a refused attacker comes back, not in a tight loop


async def _read(ws: ClientConnection, tally: Tally) -> None:
    try:
        async for raw in ws:
            message = json.loads(raw)
            tally.answers[":".join(str(message[k]) for k in ("type", "code", "reason") if k in message)] += 1
    except ConnectionClosed:
        pass


async def _storm(url: str, tally: Tally, deadline: float) -> None:
    """Open a connection, take the ready or the refusal, close it; again, as fast as possible."""
    loop = asyncio.get_running_loop()

    async def leave(ws: ClientConnection) -> None:
        await ws.close()

    while loop.time() < deadline and tally.connections < STORM_CONNECTIONS:
        if not await _connected(url, tally, deadline, leave):
            return


if __name__ == "__main__":
    main()

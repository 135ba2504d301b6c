"""Three replicas behind the real HAProxy, over real sockets: seats, a rolling restart, a killed replica.

The bar (issue 18): a rolling restart of every replica under streaming load
loses no accepted frame and no transcript letter, and no camera waits more
than 2 s to stream again.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from websockets.asyncio.client import connect

from tests.cluster.camera import Camera
from tests.cluster.conftest import Cluster, MakeCluster, until

pytestmark = pytest.mark.slow
# Two seats a replica: the cameras here send keypoints, which take keypoint seats (images would take image seats).
REPLICA = {"MAX_SESSIONS": "2", "MAX_KEYPOINT_SESSIONS": "2", "MAX_FPS": "60", "MAX_SESSIONS_PER_CLIENT": "0"}
RECONNECT_LIMIT_S = 2.0


async def start(make_cluster: MakeCluster, replicas: int = 3, **env: str) -> Cluster:
    cluster = make_cluster(**{**REPLICA, **env})
    await asyncio.to_thread(cluster.start, replicas)
    return cluster


Streaming = list[tuple[Camera, asyncio.Task[None]]]


async def stream(cluster: Cluster, count: int, word: str = "HOLE", first_seed: int = 0) -> Streaming:
    """Start ``count`` cameras one after another, each once it streams (so leastconn sees the last one)."""
    cameras = []
    for i in range(count):
        camera = Camera(cluster.url, word, name=f"camera{first_seed + i}", seed=first_seed + i)
        cameras.append((camera, asyncio.create_task(camera.run())))
        await until(lambda c=camera: c.connected, 30, f"{camera.name} connected")  # type: ignore[misc]
    return cameras


async def finish(cameras: Streaming) -> None:
    for camera, _ in cameras:
        camera.finish()
    await asyncio.wait_for(asyncio.gather(*(task for _, task in cameras)), 60)


def assert_every_frame_answered_but_those_crossing_a_close(camera: Camera) -> None:
    """Every frame got its one answer, in order, except the last ones sent on a connection that closed under them.

    Those crossed the close: the server had not read them when it closed (PROTOCOL.md: a frame that
    crosses the 1001 close frame is not accepted). A frame answered after one that was not would be a
    lost frame; the replicas' own logs say that no frame they accepted went unanswered.
    """
    for index, connection in enumerate(camera.connections):
        sent = sorted(i for i, f in camera.frames.items() if f.connection == index)
        missing = [i for i in sent if camera.frames[i].answer is None]
        if not missing:
            continue
        assert connection.closed is not None, (camera.name, "unanswered on an open connection", missing)
        answered = [i for i in sent if camera.frames[i].answer is not None]
        assert not answered or min(missing) > max(answered), (camera.name, "a frame lost mid-stream", missing)
        # How long a replica may take to close: DRAIN_TIMEOUT (5 s here) and 2 s of grace (docs/operations.md).
        crossing_s = connection.closed - camera.frames[min(missing)].sent
        assert crossing_s < 7.0, (camera.name, missing, crossing_s)


async def test_six_cameras_fill_three_replicas_and_a_seventh_waits_for_a_free_seat(make_cluster: MakeCluster) -> None:
    cluster = await start(make_cluster)
    cameras = await stream(cluster, 6)
    await until(lambda: sorted(cluster.sessions().values()) == [2, 2, 2], 10, str(cluster.sessions()))
    # Every replica is full: /ready says 503 and HAProxy stops sending them cameras.
    assert cluster.haproxy is not None
    await asyncio.to_thread(cluster.haproxy.wait_status, dict.fromkeys(cluster.replicas, "DOWN"))
    seventh = Camera(cluster.url, "HOLE", name="seventh", seed=7)
    task = asyncio.create_task(seventh.run())
    await until(lambda: len(seventh.refusals) >= 2, 10, "the seventh is refused and retries")
    assert not seventh.connected
    assert set(seventh.refusals) <= {"http 503", "1013"}, seventh.refusals
    leaving, leaving_task = cameras.pop(0)
    leaving.finish()
    await leaving_task
    freed = time.perf_counter()
    await until(lambda: seventh.connected, 10, "the seventh is admitted once a seat frees")
    admitted_s = time.perf_counter() - freed
    # The others never noticed: one connection each, every frame answered.
    await finish([*cameras, (seventh, task)])
    for camera, _ in cameras:
        assert len(camera.connections) == 1 and not camera.unanswered(), camera.name
    assert admitted_s < 6.0, admitted_s  # a check every 0.5 s, a retry backoff capped at 5 s
    assert seventh.text == seventh.expected_text, seventh.timeline()
    assert not seventh.unanswered()


async def test_a_rolling_restart_loses_no_frame_and_no_letter(make_cluster: MakeCluster) -> None:
    cluster = await start(make_cluster)
    cameras = await stream(cluster, 6)
    # A deploy: each replica in turn is replaced by a fresh one, started and ready before the old one drains.
    exit_codes = []
    for old in sorted(cluster.replicas):
        await asyncio.to_thread(cluster.add_replica)
        exit_codes.append(await asyncio.to_thread(cluster.terminate, old))
        await asyncio.sleep(1.0)
    await finish(cameras)
    assert exit_codes == [0, 0, 0]
    for camera, _ in cameras:
        assert len(camera.connections) >= 2, (camera.name, "every camera was on a replica that was replaced")
        assert all(c.close_code == 1001 for c in camera.connections[:-1]), camera.connections
        assert camera.reconnect_s and max(camera.reconnect_s) < RECONNECT_LIMIT_S, (camera.name, camera.reconnect_s)
        assert_every_frame_answered_but_those_crossing_a_close(camera)
        assert camera.text == camera.expected_text, (camera.name, camera.text, camera.resumed, camera.timeline())
    # Every frame a replica accepted was answered: none counted unanswered in any session's closing line.
    closed = cluster.closed_sessions()
    assert closed and all(entry["unanswered"] == 0 for entry in closed), closed


async def test_a_killed_replica_costs_only_its_own_cameras_a_reconnect(make_cluster: MakeCluster) -> None:
    cluster = await start(make_cluster)
    cameras = await stream(cluster, 4)  # two seats free somewhere: the killed replica's cameras find them
    sessions = cluster.sessions()
    victim = max(sessions, key=lambda slot: sessions[slot])
    await asyncio.sleep(2.0)
    before = {camera.name: len(camera.connections) for camera, _ in cameras}
    await asyncio.to_thread(cluster.kill, victim)
    await until(lambda: all(camera.connected for camera, _ in cameras), 10, "every camera streams again")
    await asyncio.sleep(3.0)
    await finish(cameras)
    moved = [camera for camera, _ in cameras if len(camera.connections) > before[camera.name]]
    still = [camera for camera, _ in cameras if len(camera.connections) == before[camera.name]]
    assert len(moved) == sessions[victim] and len(still) == 4 - sessions[victim]
    for camera in moved:
        assert camera.connections[-2].close_code == 1006, camera.connections  # no close frame from a killed process
        assert max(camera.reconnect_s) < RECONNECT_LIMIT_S, camera.reconnect_s
        # What was in work on the killed replica may be lost; nothing else.
        assert all(camera.frames[i].connection == len(camera.connections) - 2 for i in camera.unanswered())
        assert len(camera.unanswered()) <= 3, camera.unanswered()
        assert camera.text == camera.expected_text, (camera.name, camera.text, camera.resumed, camera.timeline())
    for camera in still:  # the rest never noticed
        assert len(camera.connections) == 1 and not camera.unanswered() and not camera.refusals, camera.name
        assert camera.text == camera.expected_text, (camera.name, camera.text, camera.timeline())


async def test_haproxy_passes_the_camera_address_on_and_the_server_counts_seats_by_it(
    make_cluster: MakeCluster,
) -> None:
    cluster = await start(make_cluster, replicas=1, MAX_SESSIONS="4", MAX_KEYPOINT_SESSIONS="4",
                          MAX_SESSIONS_PER_CLIENT="1")
    async with connect(cluster.url, compression=None, local_addr=("127.0.0.2", 0)) as first:
        assert '"ready"' in str(await first.recv())
        async with connect(cluster.url, compression=None, local_addr=("127.0.0.3", 0)) as other:
            assert '"ready"' in str(await other.recv())  # another client: its own seats
            async with connect(cluster.url, compression=None, local_addr=("127.0.0.2", 0)) as second:
                await second.wait_closed()
                assert second.close_code == 1013  # the same client again, though HAProxy's address is the same
    (replica,) = cluster.replicas.values()
    clients = [entry["client"] for entry in replica.log() if entry.get("message") == "Client connected"]
    assert clients == ["127.0.0.2", "127.0.0.3"]
    # HAProxy's own log: one JSON line per connection, once it ended, naming the camera and the replica.
    haproxy = cluster.haproxy
    assert haproxy is not None
    await until(lambda: len(haproxy.connections()) >= 3, 5, "HAProxy logged the three connections")
    logged = {(str(entry["client"]).split(":")[0], entry["server"]) for entry in haproxy.connections()}
    assert logged == {("127.0.0.2", "replica1"), ("127.0.0.3", "replica1")}

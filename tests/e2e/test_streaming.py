"""A live camera streams frames and gets letters back: the real server, MediaPipe and model, on loopback."""

from __future__ import annotations

import asyncio
import base64
import json

import numpy as np
import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tests.conftest import StartApp
from tests.e2e.client import answer_ids, open_client, receive


async def test_ready_comes_first_and_describes_the_model(start_app: StartApp) -> None:
    app = await start_app()
    async with open_client(app) as ws:
        ready = await receive(ws)
    assert ready["type"] == "ready"
    assert ready["protocol"] == 2
    assert len(ready["session"]) == 8
    assert ready["model"]["name"] == app.model.card.name if app.model else False
    assert ready["model"]["labels"] == [chr(ord("A") + i) for i in range(26)]
    # The shipped model exposes its embedding, so it can be calibrated; loopback servers store no donations.
    assert ready["config"] == {"buffer": 32, "window": 5, "max_fps": 30,
                               "calibration": {"available": True, "donations": False, "max_profile_chars": 65536}}


async def test_every_frame_of_a_paced_stream_gets_a_prediction(start_app: StartApp, hand_jpegs: list[bytes]) -> None:
    app = await start_app()
    async with open_client(app) as ws:
        labels = (await receive(ws))["model"]["labels"]
        predictions = []
        for frame in hand_jpegs[:30]:
            await ws.send(frame)
            predictions.append(await receive(ws))
    assert [p["type"] for p in predictions] == ["prediction"] * 30
    assert [p["id"] for p in predictions] == list(range(1, 31))
    with_hand = [p for p in predictions if p["hand"]]
    assert len(with_hand) >= 25  # MediaPipe tracks the drawn hand in nearly every frame
    for p in with_hand:
        assert p["letter"] in labels
        assert 0.0 <= p["confidence"] <= 1.0
        assert len(p["landmarks"]) == 21
        assert all(0.0 <= x <= 1.0 and 0.0 <= y <= 1.0 for x, y in p["landmarks"])
        scores = [t["score"] for t in p["top"]]
        assert len(scores) == 3 and scores == sorted(scores, reverse=True)
        assert p["top"][0]["label"] == p["letter"]
        assert set(p["timing_ms"]) == {"decode", "keypoints", "model", "total"}
        assert p["timing_ms"]["total"] >= p["timing_ms"]["keypoints"] > 0
    # The same pose held for a second becomes a stable letter and enters the transcript.
    assert predictions[-1]["stable"] in labels
    assert predictions[-1]["text"]


async def test_a_frame_without_a_hand(start_app: StartApp, blank_jpeg: bytes) -> None:
    app = await start_app()
    async with open_client(app) as ws:
        await receive(ws)
        await ws.send(blank_jpeg)
        answer = await receive(ws)
    assert answer["type"] == "prediction"
    assert (answer["hand"], answer["letter"], answer["top"], answer["landmarks"]) == (False, None, [], [])


async def test_text_frames_keep_the_client_id(start_app: StartApp, hand_jpegs: list[bytes]) -> None:
    app = await start_app()
    async with open_client(app) as ws:
        await receive(ws)
        await ws.send(hand_jpegs[0])
        first = await receive(ws)
        await ws.send(json.dumps({"type": "frame", "id": 17, "image": base64.b64encode(hand_jpegs[1]).decode()}))
        second = await receive(ws)
        await ws.send(hand_jpegs[2])  # binary frames keep counting in arrival order
        third = await receive(ws)
    assert first["id"] == 1
    assert (second["type"], second["id"], second["hand"]) == ("prediction", 17, True)
    assert third["id"] == 3


async def test_keypoints_skip_the_image_path_and_reset_clears_the_transcript(
    start_app: StartApp, hand_jpegs: list[bytes]
) -> None:
    app = await start_app()
    async with open_client(app) as ws:
        await receive(ws)
        landmarks = await first_landmarks(ws, hand_jpegs)
        message = json.dumps({"type": "keypoints", "landmarks": landmarks, "handedness": "Right"})
        answers = []
        for _ in range(20):
            await ws.send(message)
            answers.append(await receive(ws))
        await ws.send('{"type":"reset"}')
        await ws.send(message)
        after_reset = await receive(ws)
    assert all(a["type"] == "prediction" and a["hand"] for a in answers)
    assert all(a["timing_ms"]["decode"] == 0 and a["timing_ms"]["keypoints"] == 0 for a in answers)
    # A held pose commits exactly one letter, however long it is held.
    assert len(answers[-1]["text"]) == 1
    assert answers[-1]["text"] == answers[-1]["stable"]
    assert after_reset["text"] == ""
    assert after_reset["stable"] is None


async def test_a_fast_sender_gets_one_answer_per_frame_and_drop_notices(
    start_app: StartApp, hand_jpegs: list[bytes]
) -> None:
    app = await start_app(MAX_FPS="240")
    async with open_client(app) as ws:
        await receive(ws)
        for frame in hand_jpegs:
            await ws.send(frame)
        answers = await asyncio.wait_for(answer_ids(ws, len(hand_jpegs)), timeout=30)
    assert sorted(answers) == list(range(1, len(hand_jpegs) + 1))
    assert all(len(v) == 1 for v in answers.values())
    kinds = [v[0]["type"] for v in answers.values()]
    assert set(kinds) <= {"prediction", "dropped"}
    assert kinds.count("dropped") > 0
    assert kinds.count("prediction") > 0
    assert answers[len(hand_jpegs)][0]["type"] == "prediction"  # the newest frame is always served
    dropped = [v[0] for v in answers.values() if v[0]["type"] == "dropped"]
    assert all(d["reason"] == "superseded" for d in dropped)


async def test_a_slow_trackers_frames_are_filled_in_but_never_the_ones_the_server_dropped(
    start_app: StartApp, hand_jpegs: list[bytes]
) -> None:
    # Keypoints captured 15 times a second each stand for two model frames (signify.recognition.pacing): sent
    # in real time, each costs the model two windows. Sent all at once, the server drops most of them, and the
    # frames it does read are not filled in: that would add model work exactly while the server is behind.
    app = await start_app(MAX_FPS="240")
    scorer = app.websocket._scorer
    async with open_client(app) as ws:
        await receive(ws)
        landmarks = await first_landmarks(ws, hand_jpegs)

        def keypoints(index: int) -> str:
            return json.dumps({"type": "keypoints", "landmarks": landmarks, "captured": 1000.0 * index / 15})

        before = scorer.windows
        for index in range(10):
            await ws.send(keypoints(index))
            assert (await receive(ws))["type"] == "prediction"
            await asyncio.sleep(1 / 15)
        paced = scorer.windows - before
        # Then threes at once, 33 ms apart on the client's clock, a pause between: the server reads the first,
        # and the third supersedes the second while the first is in work. Read on the clock, the third would
        # stand for two frames; after a drop, it stands for one.
        before, read, dropped = scorer.windows, 0, 0
        for three in range(20):
            for index in range(200 + 3 * three, 203 + 3 * three):
                await ws.send(keypoints(index / 2))  # 33 ms apart
            answers = await asyncio.wait_for(answer_ids(ws, 3), timeout=10)
            read += sum(v[0]["type"] == "prediction" for v in answers.values())
            dropped += sum(v[0]["type"] == "dropped" for v in answers.values())
            await asyncio.sleep(0.2)
        burst = scorer.windows - before
    assert paced == 1 + 2 * 9  # the first frame has no gap before it
    assert dropped > 0
    assert burst == read  # no frame filled in: every frame read, one window


async def test_sessions_beyond_capacity_are_told_to_come_back(start_app: StartApp) -> None:
    app = await start_app(MAX_KEYPOINT_SESSIONS="2")
    async with open_client(app) as first, open_client(app) as second:
        await receive(first)
        await receive(second)
        async with open_client(app) as third:
            with pytest.raises(ConnectionClosed):
                await receive(third)
            assert (third.close_code, third.close_reason) == (1013, "at capacity, try again later")
        assert app.status.sessions == 2
    # Capacity is given back when clients leave.
    for _ in range(50):
        if app.status.sessions == 0:
            break
        await asyncio.sleep(0.02)
    async with open_client(app) as again:
        assert (await receive(again))["type"] == "ready"


async def test_images_beyond_their_capacity_are_told_to_come_back_and_keypoints_go_on(
    start_app: StartApp, hand_jpegs: list[bytes]
) -> None:
    app = await start_app(MAX_SESSIONS="1", MAX_KEYPOINT_SESSIONS="4")
    async with open_client(app) as camera, open_client(app) as second_camera, open_client(app) as tracker:
        for ws in (camera, second_camera, tracker):
            assert (await receive(ws))["type"] == "ready"  # no graph is built before the first image
        await camera.send(hand_jpegs[0])
        assert (await receive(camera))["type"] == "prediction"
        assert (app.status.sessions, app.status.image_sessions) == (3, 1)
        # The second camera's first image finds no image seat: it is answered, then told to come back.
        await second_camera.send(hand_jpegs[0])
        assert await receive(second_camera) == {"type": "dropped", "ids": [1], "reason": "at_capacity"}
        with pytest.raises(ConnectionClosed):
            await receive(second_camera)
        assert second_camera.close_code == 1013
        assert "track the hand on the device" in (second_camera.close_reason or "")
        # A client that tracks the hand itself needs no image seat.
        points = [[0.5 + 0.01 * i, 0.5 - 0.01 * i, 0.0] for i in range(21)]
        await tracker.send(json.dumps({"type": "keypoints", "id": 7, "landmarks": points, "captured": 12.5}))
        answer = await receive(tracker)
        assert (answer["type"], answer["id"], answer["hand"], answer["landmarks"], answer["captured"]) == (
            "prediction", 7, True, [], 12.5)
        await camera.send(hand_jpegs[1])
        assert (await receive(camera))["type"] == "prediction"


async def test_sessions_do_not_share_state(start_app: StartApp, hand_jpegs: list[bytes], blank_jpeg: bytes) -> None:
    app = await start_app()
    async with open_client(app) as signer, open_client(app) as idle:
        await receive(signer)
        await receive(idle)
        for frame in hand_jpegs[:15]:
            await signer.send(frame)
            await receive(signer)
        await idle.send(blank_jpeg)
        idle_answer = await receive(idle)
    assert idle_answer["id"] == 1
    assert idle_answer["text"] == ""
    assert idle_answer["hand"] is False


async def first_landmarks(ws: ClientConnection, frames: list[bytes]) -> list[list[float]]:
    """Stream frames until MediaPipe finds the hand (tracking mode misses the very first frame)."""
    for frame in frames:
        await ws.send(frame)
        answer = await receive(ws)
        if answer["hand"]:
            landmarks: list[list[float]] = answer["landmarks"]
            return landmarks
    raise AssertionError("no hand found in any frame")


def test_the_drawn_fixture_is_a_real_detection_not_a_given() -> None:
    # Guards the fixture itself: a blank frame must not be "detected".
    from signify.recognition.hands import HandSettings, HandTracker

    from testkit.hand_drawing import blank_frame, draw_hand

    with HandTracker(HandSettings(static_image_mode=True)) as tracker:
        assert tracker.detect(np.ascontiguousarray(blank_frame()[:, :, ::-1])) is None
        assert tracker.detect(np.ascontiguousarray(draw_hand()[:, :, ::-1])) is not None

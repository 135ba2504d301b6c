"""Calibration over a real WebSocket: prompts, takes, the profile handed out, loaded again, and refused when bad.

The client sends the 21 landmarks of testkit's real-landmark handshapes
(the keypoints path of PROTOCOL.md), so that every take is exactly the
shape intended; the shipped model and its embedding do the rest. One
test streams drawn images through MediaPipe, as the demo does.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from signify.calibration.collection import DONATED_WINDOWS_PER_LETTER
from signify.calibration.profile import MAX_PROFILE_CHARS, decode_profile, encode_profile
from signify.donations.store import DonationStore
from signify.recognition.normalization import normalize_hand
from signify.recognition.smoothing import HAND_AWAY_FRAMES
from websockets.asyncio.client import ClientConnection

from testkit.letter_shapes import letter_shape
from tests.conftest import StartApp
from tests.e2e.client import open_client, receive

FAST = {"MAX_FPS": "240"}  # the tests send answer by answer, faster than a camera


def landmarks(letter: str, rng: np.random.Generator) -> list[list[float]]:
    """A letter's hand as MediaPipe gives it, held in the middle of the picture with a little tracking noise."""
    points = 0.5 + 0.15 * letter_shape(letter) + rng.normal(0, 0.002, (21, 3))
    return [[round(float(v), 5) for v in point] for point in points]


class Client:
    """A client that sends one frame at a time and keeps every message the server sends back."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frame = 0
        self.rng = np.random.default_rng(0)
        self.messages: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send a control message and return the first answer."""
        await self.ws.send(json.dumps(message))
        answer = await receive(self.ws)
        self.messages.append(answer)
        return answer

    async def show(self, letter: str | None) -> dict[str, Any]:
        """Send one frame of ``letter``'s hand (None: no hand) and return its prediction; keep what follows it."""
        self.frame += 1
        points = landmarks(letter, self.rng) if letter is not None else []  # []: the tracker found no hand
        await self.ws.send(json.dumps({"type": "keypoints", "id": self.frame, "landmarks": points}))
        while True:
            message = await receive(self.ws)
            self.messages.append(message)
            if message.get("id") == self.frame and message["type"] in ("prediction", "error"):
                return message

    async def read(self, letter: str, frames: int = 12) -> str:
        """What the server reads a letter's hand as, once it has held still for ``frames`` frames from a reset."""
        await self.ws.send(json.dumps({"type": "reset"}))
        answers = [await self.show(letter) for _ in range(frames)]
        return str(answers[-1]["letter"])

    async def calibrate(self, shapes: dict[str, str], frames: int = 200) -> list[dict[str, Any]]:
        """Answer each prompt by showing the shape given for its letter until the calibration is done."""
        first = len(self.messages) - 1  # from the calibration_start's answer on
        for _ in range(frames):
            prompts = [m["letter"] for m in self.messages[first:] if m.get("state") == "prompt"]
            prompted = prompts[-1] if prompts else None
            if any(m["type"] == "calibration" and m["state"] == "done" for m in self.messages[first:]):
                await self.settle()
                return self.messages[first:]
            assert prompted is not None, "no prompt came"
            await self.show(shapes[prompted])
        raise AssertionError("the calibration did not end")

    async def teach(self, shapes: dict[str, str], **options: Any) -> dict[str, Any] | None:
        """Calibrate the letters of ``shapes``, each shown as its shape; the profile handed out, if any."""
        await self.send({"type": "calibration_start", "letters": list(shapes), **options})
        messages = await self.calibrate(shapes)
        profiles = [m for m in messages if m["type"] == "profile"]
        return profiles[-1] if profiles else None

    async def settle(self) -> None:
        """Read what the server sent after the last frame's answer (a profile follows `done`)."""
        done = max(i for i, m in enumerate(self.messages) if m["type"] == "calibration" and m["state"] == "done")
        if self.messages[done]["letters"]:
            while not any(m["type"] == "profile" for m in self.messages[done:]):
                self.messages.append(await receive(self.ws))

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]


async def test_a_calibration_prompts_each_letter_collects_a_take_and_hands_out_a_profile(
    start_app: StartApp,
) -> None:
    app = await start_app(**FAST)
    async with open_client(app) as ws:
        ready = await receive(ws)
        assert ready["config"]["calibration"]["available"] is True
        client = Client(ws)
        prompt = await client.send({"type": "calibration_start", "letters": ["L", "O"]})
        assert prompt == {"type": "calibration", "state": "prompt", "letter": "L", "index": 0,
                          "letters": ["L", "O"], "frames": 45}
        messages = await client.calibrate({"L": "L", "O": "O"})
        # The letter still held at the end was shown for the calibration: it is not written...
        assert [(await client.show("O"))["text"] for _ in range(30)][-1] == ""
        # ...while the next letter is.
        assert [(await client.show("L"))["text"] for _ in range(30)][-1] == "L"
    progress = [m["calibration"] for m in messages if m["type"] == "prediction" and "calibration" in m]
    letters_prompted = [m["letter"] for m in client.of_type("calibration") if m["state"] == "prompt"]
    assert letters_prompted == ["L", "O"]
    assert [p["collected"] for p in progress if p["letter"] == "L"][-1] == 44  # the 45th frame ends the take
    assert all(m["text"] == "" for m in messages if m["type"] == "prediction"), "held letters were transcribed"
    (done,) = [m for m in client.of_type("calibration") if m["state"] == "done"]
    assert done == {"type": "calibration", "state": "done", "letters": ["L", "O"], "skipped": [], "donated": 0}
    (profile,) = client.of_type("profile")
    assert profile["model"] == {"name": ready["model"]["name"], "version": ready["model"]["version"]}
    assert profile["letters"] == ["L", "O"] and 0 < profile["chars"] == len(profile["profile"]) <= MAX_PROFILE_CHARS
    decoded = decode_profile(profile["profile"], ready["model"]["name"], ready["model"]["version"], 26, 128)
    assert sorted(set(decoded.labels.tolist())) == [11, 14]


async def test_a_users_own_way_of_signing_is_learned_and_the_other_letters_keep_their_reading(
    start_app: StartApp,
) -> None:
    # This user's P is held like the shared model's H (P is H pointed down; some signers barely turn it).
    app = await start_app(**FAST)
    async with open_client(app) as ws:
        await receive(ws)
        client = Client(ws)
        before = {letter: await client.read(letter) for letter in "HLOIX"}
        assert before == {letter: letter for letter in "HLOIX"}
        await client.teach({"P": "H"})
        profile = client.of_type("profile")[-1]["profile"]
        readings = {letter: await client.read(letter) for letter in "HLOIX"}
    assert readings == {"H": "P", "L": "L", "O": "O", "I": "I", "X": "X"}
    # The profile is all it takes: a new connection that sends it reads the same.
    async with open_client(app) as ws:
        await receive(ws)
        client = Client(ws)
        loaded = await client.send({"type": "profile", "profile": profile})
        assert loaded["type"] == "profile_loaded" and loaded["letters"] == ["P"]
        assert await client.read("H") == "P"
        cleared = await client.send({"type": "profile_clear"})
        assert cleared["type"] == "profile_loaded" and cleared["letters"] == []
        assert await client.read("H") == "H"


async def test_calibrating_more_letters_keeps_the_profiles_other_letters(start_app: StartApp) -> None:
    app = await start_app(**FAST)
    async with open_client(app) as ws:
        await receive(ws)
        client = Client(ws)
        await client.teach({"L": "L"})
        await client.teach({"O": "O"})
    assert [p["letters"] for p in client.of_type("profile")] == [["L"], ["L", "O"]]


async def test_skip_and_stop_end_with_what_was_taken(start_app: StartApp) -> None:
    app = await start_app(**FAST)
    async with open_client(app) as ws:
        await receive(ws)
        client = Client(ws)
        await client.send({"type": "calibration_start", "letters": ["G", "L", "O"]})
        skipped = await client.send({"type": "calibration_skip"})
        assert (skipped["state"], skipped["letter"], skipped["index"]) == ("prompt", "L", 1)
        # A full window first, then the settling time, then the take; the prompt for O follows the take's
        # last answer, and is read with the next frame's.
        for _ in range(31 + 10 + 45 + 1):
            await client.show("L")
        assert client.of_type("calibration")[-1]["letter"] == "O"
        for _ in range(5):
            await client.show("O")
        done = await client.send({"type": "calibration_stop"})
        assert done == {"type": "calibration", "state": "done", "letters": ["L"], "skipped": ["G", "O"], "donated": 0}
        profile = await receive(ws)
        assert profile["type"] == "profile" and profile["letters"] == ["L"]
        # Stopped before anything was taken: done, and no profile.
        await client.send({"type": "calibration_start", "letters": ["O"]})
        done = await client.send({"type": "calibration_stop"})
        assert done["letters"] == [] and done["skipped"] == ["O"]
        answer = await client.show("L")
        assert answer["type"] == "prediction" and "calibration" not in answer


def tampered(profile: str, offset: int) -> str:
    blob = bytearray(base64.b64decode(profile))
    blob[offset] ^= 0xFF
    return base64.b64encode(bytes(blob)).decode()


async def test_a_profile_the_server_cannot_use_gets_its_error_and_the_session_goes_on(start_app: StartApp) -> None:
    app = await start_app(**FAST)
    async with open_client(app) as ws:
        ready = await receive(ws)
        client = Client(ws)
        await client.teach({"P": "H"})
        good = client.of_type("profile")[-1]["profile"]
        model = ready["model"]
        other_version = encode_profile(decode_profile(good, model["name"], model["version"], 26, 128).__class__(
            model["name"], "0.0.1", *_arrays(good, model)))
    async with open_client(app) as ws:
        await receive(ws)
        client = Client(ws)
        cases = {
            "bad_profile": [tampered(good, 60), "%%%not base64%%%", base64.b64encode(b"hello").decode(),
                            "A" * (MAX_PROFILE_CHARS + 4)],
            "profile_mismatch": [other_version],
        }
        for code, profiles in cases.items():
            for profile in profiles:
                answer = await client.send({"type": "profile", "profile": profile})
                assert (answer["type"], answer["code"], answer["id"]) == ("error", code, None), answer
                # Still uncalibrated, still answering.
                assert await client.read("H") == "H"
        loaded = await client.send({"type": "profile", "profile": good})
        assert loaded["type"] == "profile_loaded"
        # A bad profile after a good one leaves the good one in use.
        assert (await client.send({"type": "profile", "profile": tampered(good, 80)}))["code"] == "bad_profile"
        assert await client.read("H") == "P"


def _arrays(profile: str, model: dict[str, Any]) -> tuple[Any, Any, Any]:
    decoded = decode_profile(profile, model["name"], model["version"], 26, 128)
    return decoded.labels, decoded.embeddings, decoded.log_probabilities


@pytest.mark.parametrize(("message", "code"), [
    ({"type": "calibration_start", "letters": ["G", "?"]}, "bad_calibration"),
    ({"type": "calibration_start", "letters": ["G", "G"]}, "bad_calibration"),
    ({"type": "calibration_skip"}, "bad_calibration"),
    ({"type": "calibration_stop"}, "bad_calibration"),
    ({"type": "calibration_start", "donate": True, "contributor": "abcdefgh12"}, "calibration_unavailable"),
    ({"type": "donation_delete", "contributor": "abcdefgh12"}, "calibration_unavailable"),
])
async def test_bad_calibration_requests_get_their_error(
    start_app: StartApp, message: dict[str, Any], code: str
) -> None:
    app = await start_app(**FAST, DATASET_PATH="")
    async with open_client(app) as ws:
        await receive(ws)
        client = Client(ws)
        answer = await client.send(message)
        assert (answer["type"], answer["code"], answer["id"]) == ("error", code, None), answer
        assert (await client.show("L"))["letter"] == "L"


async def test_a_second_start_while_calibrating_is_refused_and_the_first_goes_on(start_app: StartApp) -> None:
    app = await start_app(**FAST)
    async with open_client(app) as ws:
        await receive(ws)
        client = Client(ws)
        await client.send({"type": "calibration_start", "letters": ["L"]})
        for _ in range(50):
            await client.show("L")
        again = await client.send({"type": "calibration_start", "letters": ["O"]})
        assert (again["code"], again["message"]) == ("bad_calibration", "a calibration is already running")
        answer = await client.show("L")
        # Frame 32 is the first with a full window; 10 settle; frames 42 to 51 are taken.
        assert answer["calibration"]["letter"] == "L" and answer["calibration"]["collected"] == 10


async def test_a_hand_that_leaves_mid_take_goes_on_once_the_window_is_full_again(start_app: StartApp) -> None:
    app = await start_app(**FAST)
    async with open_client(app) as ws:
        await receive(ws)
        client = Client(ws)
        await client.send({"type": "calibration_start", "letters": ["L"]})
        for _ in range(51):
            answer = await client.show("L")
        assert answer["calibration"]["collected"] == 10
        for _ in range(HAND_AWAY_FRAMES):  # the hand leaves: its window empties
            assert (await client.show(None))["calibration"]["collected"] == 10
        counts = [(await client.show("L"))["calibration"]["collected"] for _ in range(33)]
        # Nothing is taken while the window refills (32 frames of the hand again), then the take goes on.
        assert counts[:31] == [10] * 31 and counts[31:] == [11, 12]


async def test_profiles_load_at_most_once_a_second(start_app: StartApp) -> None:
    app = await start_app(**FAST)
    async with open_client(app) as ws:
        await receive(ws)
        client = Client(ws)
        await client.teach({"L": "L"})
        profile = client.of_type("profile")[-1]["profile"]
        answers = [await client.send({"type": "profile", "profile": profile}) for _ in range(4)]
        assert answers[0]["type"] == "profile_loaded"
        assert [(a["type"], a.get("code")) for a in answers[1:]] == [("error", "rate_limited")] * 3
        await asyncio.sleep(1.1)
        assert (await client.send({"type": "profile", "profile": profile}))["type"] == "profile_loaded"


async def test_a_flood_of_control_messages_is_rate_limited_and_frames_still_flow(start_app: StartApp) -> None:
    app = await start_app(MAX_FPS="30")
    async with open_client(app) as ws:
        await receive(ws)
        for _ in range(80):
            await ws.send(json.dumps({"type": "profile_clear"}))
        answers = [await receive(ws) for _ in range(80)]
        kinds = {(a["type"], a.get("code")) for a in answers}
        assert kinds <= {("profile_loaded", None), ("error", "rate_limited")}
        assert ("error", "rate_limited") in kinds
        await asyncio.sleep(1.1)  # a second's allowance again
        answer = await Client(ws).show("L")
        assert answer["type"] == "prediction" and answer["hand"] is True


CONTRIBUTOR = "browser-made-id_0123"


async def test_a_donors_windows_are_stored_and_deleted_on_request(start_app: StartApp, tmp_path: Path) -> None:
    database = tmp_path / "donations.sqlite3"
    app = await start_app(**FAST, DATASET_PATH=str(database))
    async with open_client(app) as ws:
        ready = await receive(ws)
        assert ready["config"]["calibration"]["donations"] is True
        client = Client(ws)
        await client.teach({"L": "L", "O": "O"}, donate=True, contributor=CONTRIBUTOR)
        (done,) = [m for m in client.of_type("calibration") if m["state"] == "done"]
        assert done["donated"] == 2 * DONATED_WINDOWS_PER_LETTER
        store = DonationStore(database)
        rows = list(store.read())
        assert sorted(row.letter for row in rows) == ["L"] * 3 + ["O"] * 3
        assert {(row.contributor, row.model_version) for row in rows} == {(CONTRIBUTOR, ready["model"]["version"])}
        # What is stored is the window the model read: normalized hands and their placements, never an image.
        def shape(letter: str) -> NDArray[np.float32]:
            raw = np.asarray(landmarks(letter, np.random.default_rng(1)), dtype=np.float32)
            return normalize_hand(raw, handedness="Right", aspect=1.0)

        for row in rows:
            assert row.keypoints.shape == (32, 21, 3) and row.placements.shape == (32, 4)
            other = "O" if row.letter == "L" else "L"
            distance = {letter: np.abs(row.keypoints[-1] - shape(letter)).mean() for letter in (row.letter, other)}
            assert distance[row.letter] < distance[other] / 2
        # Someone else's calibration without consent stores nothing.
        await client.teach({"L": "L"})
        assert store.count() == 6
        deleted = await client.send({"type": "donation_delete", "contributor": CONTRIBUTOR})
        assert deleted == {"type": "donation_deleted", "contributor": CONTRIBUTOR, "windows": 6}
        assert store.count() == 0


@pytest.mark.parametrize("failure", ["locked", "unwritable"])
async def test_a_store_that_cannot_write_loses_the_donation_never_the_session(
    start_app: StartApp, tmp_path: Path, failure: str
) -> None:
    if failure == "locked":
        database = tmp_path / "donations.sqlite3"
        DonationStore(database).add("someone-else-1", "0", [])
        sqlite3.connect(database).close()
        holder = sqlite3.connect(database, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
    else:  # its directory would have to be made inside a file
        (tmp_path / "a-file").write_text("not a directory")
        database = tmp_path / "a-file" / "donations.sqlite3"
    app = await start_app(**FAST, DATASET_PATH=str(database))
    async with open_client(app) as ws:
        await receive(ws)
        client = Client(ws)
        await client.teach({"L": "L"}, donate=True, contributor=CONTRIBUTOR)
        (done,) = [m for m in client.of_type("calibration") if m["state"] == "done"]
        assert done["donated"] == 0 and done["letters"] == ["L"]
        assert client.of_type("profile")[-1]["letters"] == ["L"]  # the calibration itself is not lost
        assert await client.read("O") == "O"
        deleted = await client.send({"type": "donation_delete", "contributor": CONTRIBUTOR})
        if failure == "locked":  # nothing could be deleted, and the client is told to try again
            assert (deleted["type"], deleted["code"], deleted["id"]) == ("error", "donation_failed", None)
        else:  # there is no store file, so nothing was ever stored under this id
            assert deleted == {"type": "donation_deleted", "contributor": CONTRIBUTOR, "windows": 0}
        assert await client.read("L") == "L"

"""The page's zoom policy (front_demo/zoom.js, under node) decides exactly as the server's (zoom.py), frame by frame.

The same sequences of what MediaPipe found go through ``ZoomPolicy`` here and
through zoom.js's ``ZoomPolicy`` in one ``node`` process: the scripted cases of
test_zoom.py, and random sequences (a fixed seed) of a simulated detector that
finds a hand when it lies in the view and is not too small in it, with hands
coming and going, moving, growing and shrinking, leaving the frame, frames of
several sizes (portrait, odd sizes, too small to tile) that change size, and
resets, and where the picture changed (near a moving hand, and elsewhere). Every
view, and whether the policy follows a hand, must be identical; ``searchTiles``
over many frame sizes too, and ``changePoint`` over pairs of shrunk pictures;
``handExtent`` and ``toFrame`` to 1e-6. Node 20 is part of the project's set-up (``make setup`` runs npm):
without it this test fails, it does not skip.
"""

from __future__ import annotations

import builtins
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from signify.recognition import zoom
from signify.recognition.zoom import (
    CHANGE_PICTURE,
    FULL_FIRST,
    LOST_FRAMES,
    HandExtent,
    View,
    ZoomPolicy,
    change_point,
    hand_extent,
    to_frame,
)

from tests.node import run_runner

REPO = Path(__file__).resolve().parents[3]
ZOOM_JS = REPO / "front_demo" / "zoom.js"
RUNNER = Path(__file__).with_name("zoom_js_runner.mjs")
W, H = 640, 480
FRAME_SIZES = [(640, 480), (320, 240), (480, 640), (1280, 720), (641, 481), (333, 251), (100, 75), (64, 48)]
RANDOM_SEQUENCES, RANDOM_FRAMES = 60, 400


@dataclass(frozen=True)
class Step:
    """One frame: its size, what was found in the view the policy chose (None: nothing), after an optional reset."""

    width: int
    height: int
    hand: HandExtent | None
    reset: bool = False
    changed: tuple[float, float] | None = None  # where the frame changed from the one before

    def as_json(self) -> dict[str, Any]:
        hand = None if self.hand is None else [self.hand.cx, self.hand.cy, self.hand.palm]
        changed = None if self.changed is None else list(self.changed)
        return {"reset": self.reset, "width": self.width, "height": self.height, "hand": hand, "changed": changed}


Decision = tuple[int, int, int, int, bool]  # the view, and whether the policy follows a hand after the frame


def frames(hands: list[HandExtent | None], width: int = W, height: int = H) -> list[Step]:
    return [Step(width, height, hand) for hand in hands]


def scripted() -> dict[str, list[Step]]:
    """test_zoom.py's sequences, each as one run of a policy."""
    rng = np.random.default_rng(1)
    small = HandExtent(330, 250, palm=20.0)
    centred = HandExtent(320, 240, palm=18.0)
    tremor = [HandExtent(300 + rng.normal(0, 2), 200 + rng.normal(0, 2), 18.0 * (1 + rng.normal(0, 0.08)))
              for _ in range(60)]
    search: list[HandExtent | None] = [None] * FULL_FIRST
    rising = [Step(W, H, None, changed=(300.5, 420.0 - 30 * k)) for k in range(8)]  # something raised, then held
    return {
        "too small to tile": frames([None] * 5, 64, 48),
        "search": frames([None] * 60),
        "large hand in the full frame": frames([HandExtent(320, 240, palm=90.0)] * 30),
        "small hand found in a tile": frames([*search, *[small] * 40]),
        "small hand in the full frame, lost": frames([*[HandExtent(420, 150, 20.0)] * 20, None, None, None,
                                                      *[HandExtent(420, 150, 20.0)] * 3]),
        "trembling": frames([*search, *[HandExtent(300, 200, 18.0)] * 61, *tremor]),
        "moving away": frames([*search, *[HandExtent(200, 200, 18.0)] * 40,
                               *[HandExtent(200 + 6 * i, 200 + 2 * i, 18.0) for i in range(50)]]),
        "coming closer": frames([*search, *[centred] * 41, *[HandExtent(320, 240, 18.0 * 1.05**i) for i in range(40)]]),
        "lost, then search": frames([*search, *[centred] * 40, *[None] * (LOST_FRAMES + 4)]),
        "back before the search": frames([*search, *[centred] * 41, *[None] * 5, *[centred] * 3]),
        "lost while moving": frames([*search, *[centred] * 41, *[HandExtent(320 - 3 * i, 240 + 9 * i, 18.0)
                                                                  for i in range(1, 4)], *[None] * (LOST_FRAMES + 2)]),
        "reset, new size": [*frames([centred] * 40), Step(W, H, centred, reset=True), Step(320, 240, None)],
        "speck in a corner": frames([*search, *[HandExtent(10, 470, palm=2.0)] * 60]),
        "raised into view": [*frames([None] * 9), *rising, *frames([None] * 40)],
    }


def simulated(seed: int) -> list[Step]:
    """A random sequence, found by a simulated detector from the views zoom.py chooses.

    The detector finds a hand that lies in the view and is at least an eighth of the view's height long, 9 times
    in 10. Positions and palm sizes are often on half pixels (and 5.5 palms on half pixels), so that the
    rounding of halves is exercised.
    """
    rng = np.random.default_rng(seed)
    policy = ZoomPolicy()
    width, height = FRAME_SIZES[rng.integers(len(FRAME_SIZES))]
    present = False
    cx = cy = vx = vy = palm = 0.0
    steps = []
    for _ in range(RANDOM_FRAMES):
        reset = bool(rng.random() < 0.01)
        if rng.random() < 0.01:
            width, height = FRAME_SIZES[rng.integers(len(FRAME_SIZES))]
        if present and rng.random() < 0.02:
            present = False
        elif not present and rng.random() < 0.08:
            present = True
            cx, cy = rng.uniform(0, width), rng.uniform(0, height)
            vx, vy = rng.normal(0, 3, 2)
            palm = rng.uniform(3, 0.35 * height)
        if present:
            vx, vy = 0.9 * vx + rng.normal(0, 1.5), 0.9 * vy + rng.normal(0, 1.5)
            cx, cy = cx + vx, cy + vy  # and it may leave the frame
            palm = float(np.clip(palm * math.exp(rng.normal(0, 0.04)), 2, 0.5 * height))
        if reset:
            policy.reset()
        # The picture changes near a hand that moves (and where no hand is, now and then), on half pixels or not.
        changed = None
        if present and abs(vx) + abs(vy) > 3 and rng.random() < 0.8:
            changed = (cx + rng.normal(0, 4), cy + rng.normal(0, 4))
        elif rng.random() < 0.05:
            changed = (float(rng.uniform(0, width)), float(rng.uniform(0, height)))
        if changed is not None and rng.random() < 0.5:
            changed = (round(2 * changed[0]) / 2, round(2 * changed[1]) / 2)
        view = policy.next_view(width, height, changed)
        hand = None
        inside = view.x <= cx <= view.x + view.width and view.y <= cy <= view.y + view.height
        if present and inside and 2.2 * palm >= view.height / 8 and rng.random() < 0.9:
            if rng.random() < 0.5:  # on half pixels
                hand = HandExtent(round(2 * cx) / 2, round(2 * cy) / 2, round(11 * palm) / 11)
            else:
                hand = HandExtent(cx + rng.normal(0, 0.5), cy + rng.normal(0, 0.5), palm * (1 + rng.normal(0, 0.03)))
        policy.observe(hand)
        steps.append(Step(width, height, hand, reset, changed))
    return steps


def python_decisions(steps: list[Step]) -> list[Decision]:
    policy = ZoomPolicy()
    decisions = []
    for step in steps:
        if step.reset:
            policy.reset()
        view = policy.next_view(step.width, step.height, step.changed)
        policy.observe(step.hand)
        decisions.append((view.x, view.y, view.width, view.height, policy.following))
    return decisions


def random_landmarks(rng: np.random.Generator) -> np.ndarray:
    return np.column_stack([rng.uniform(0, 1, 21), rng.uniform(0, 1, 21), rng.normal(0, 0.1, 21)]).astype(np.float32)


def random_view(rng: np.random.Generator, width: int, height: int) -> View:
    side = int(rng.integers(zoom.MIN_SIDE, min(width, height) + 1))
    return View(int(rng.integers(0, width - side + 1)), int(rng.integers(0, height - side + 1)), side, side)


@pytest.fixture(scope="module")
def cases() -> dict[str, Any]:
    """Everything the comparisons need, the same input for both sides."""
    rng = np.random.default_rng(2024)
    extents, mapped = [], []
    for width, height in FRAME_SIZES:
        for _ in range(10):
            extents.append({"landmarks": random_landmarks(rng), "width": width, "height": height})
            mapped.append({"landmarks": random_landmarks(rng), "view": random_view(rng, width, height),
                           "width": width, "height": height})
    sequences = {**scripted(), **{f"random {seed}": simulated(seed) for seed in range(RANDOM_SEQUENCES)}}
    tiles = sorted({*FRAME_SIZES, *((w, h) for w in range(60, 1400, 37) for h in range(45, 1100, 29))})
    return {"sequences": sequences, "tiles": tiles, "extents": extents, "mapped": mapped, "pictures": pictures(rng)}


def pictures(rng: np.random.Generator) -> list[dict[str, Any]]:
    """Pairs of shrunk grey frames and a frame size: noise alone, one or two patches that changed (of several sizes,
    at the edges too), and the whole picture changed."""
    cols, rows = CHANGE_PICTURE
    pairs = []
    for number in range(120):
        before = rng.integers(0, 256, (rows, cols), dtype=np.uint8)
        after = np.clip(before.astype(np.int32) + rng.integers(-3, 4, before.shape), 0, 255)
        kind = number % 4
        for _ in range(kind if kind in (1, 2) else 0):
            w, h = int(rng.integers(1, 12)), int(rng.integers(1, 12))
            x, y = int(rng.integers(-3, cols)), int(rng.integers(-3, rows))
            after[max(0, y) : y + h, max(0, x) : x + w] = rng.integers(0, 256)
        if kind == 3:
            after = np.clip(before.astype(np.int32) + rng.integers(10, 60), 0, 255)
        width, height = FRAME_SIZES[number % len(FRAME_SIZES)]
        pairs.append({"before": before, "after": after.astype(np.uint8), "width": width, "height": height})
    return pairs


@pytest.fixture(scope="module")
def js(cases: dict[str, Any]) -> dict[str, Any]:
    """What zoom.js decides and computes for ``cases``, in one node process."""
    payload = {
        "module": str(ZOOM_JS),
        "sequences": [[step.as_json() for step in steps] for steps in cases["sequences"].values()],
        "tiles": cases["tiles"],
        "extents": [{**e, "landmarks": e["landmarks"].tolist()} for e in cases["extents"]],
        "mapped": [{**m, "landmarks": m["landmarks"].tolist(),
                    "view": [m["view"].x, m["view"].y, m["view"].width, m["view"].height]} for m in cases["mapped"]],
        "pictures": [{**c, "before": c["before"].ravel().tolist(), "after": c["after"].ravel().tolist()}
                     for c in cases["pictures"]],
    }
    result = run_runner(RUNNER, payload, "front_demo/zoom.js cannot be checked against zoom.py", timeout=120)
    result["sequences"] = dict(zip(cases["sequences"], result["sequences"], strict=True))
    return result


def first_difference(python: list[Decision], javascript: list[list[Any]]) -> str:
    for frame, (ours, theirs) in enumerate(zip(python, javascript, strict=True)):
        if list(ours) != theirs:
            return f"frame {frame}: zoom.py {ours}, zoom.js {theirs}"
    return ""


@pytest.mark.parametrize("name", list(scripted()))
def test_the_scripted_sequences_get_the_same_views(cases: dict[str, Any], js: dict[str, Any], name: str) -> None:
    steps = cases["sequences"][name]
    python = python_decisions(steps)
    assert [list(d) for d in python] == js["sequences"][name], first_difference(python, js["sequences"][name])


def test_random_sequences_get_the_same_views_every_frame(cases: dict[str, Any], js: dict[str, Any]) -> None:
    random = {name: steps for name, steps in cases["sequences"].items() if name.startswith("random")}
    followed = found = 0
    for name, steps in random.items():
        python = python_decisions(steps)
        theirs = js["sequences"][name]
        assert [list(d) for d in python] == theirs, f"{name}: {first_difference(python, theirs)}"
        followed += sum(d[4] for d in python)
        found += sum(step.hand is not None for step in steps)
    frames_in_all = RANDOM_SEQUENCES * RANDOM_FRAMES
    # The sequences exercise every state: searching, and following in many views.
    assert 0.2 * frames_in_all < followed < 0.8 * frames_in_all and found > 0.2 * frames_in_all
    views = {tuple(d[:4]) for steps in random.values() for d in python_decisions(steps)}
    assert len(views) > 1000


def half_up(number: float, ndigits: int | None = None) -> float:
    """JavaScript's Math.round where zoom.py rounds to an integer (halves up), Python's round elsewhere."""
    return builtins.round(number, ndigits) if ndigits is not None else math.floor(number + 0.5)


def test_the_sequences_would_catch_a_port_that_rounds_halves_up(
    cases: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The check above means something only if halves are rounded somewhere in these sequences.
    expected = {name: python_decisions(steps) for name, steps in cases["sequences"].items()}
    monkeypatch.setattr(zoom, "round", half_up, raising=False)
    differing = [name for name, steps in cases["sequences"].items() if python_decisions(steps) != expected[name]]
    assert len(differing) >= 5, differing


def test_search_tiles_are_the_same_for_every_frame_size(cases: dict[str, Any], js: dict[str, Any]) -> None:
    for (width, height), theirs in zip(cases["tiles"], js["tiles"], strict=True):
        ours = [[t.x, t.y, t.width, t.height] for t in zoom.search_tiles(width, height)]
        assert ours == theirs, f"{width}x{height}"


def test_change_point_is_the_same(cases: dict[str, Any], js: dict[str, Any]) -> None:
    ours = [change_point(c["before"], c["after"], c["width"], c["height"]) for c in cases["pictures"]]
    assert [None if p is None else list(p) for p in ours] == js["pictures"]
    # The pairs cover a change found, and none (noise alone, and the whole picture changed).
    assert sum(p is None for p in ours) >= 40 and sum(p is not None for p in ours) >= 40


def test_hand_extent_and_to_frame_agree(cases: dict[str, Any], js: dict[str, Any]) -> None:
    for case, theirs in zip(cases["extents"], js["extents"], strict=True):
        ours = hand_extent(case["landmarks"], case["width"], case["height"])
        np.testing.assert_allclose([ours.cx, ours.cy, ours.palm], theirs, rtol=0, atol=1e-6)
    for case, theirs in zip(cases["mapped"], js["mapped"], strict=True):
        ours = to_frame(case["landmarks"], case["view"], case["width"], case["height"])
        np.testing.assert_allclose(ours, np.array(theirs), rtol=0, atol=1e-6)

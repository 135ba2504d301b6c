"""bench.search_tiles: the views a search looks at, the chance it has found a hand by then, and a real held hand."""

from __future__ import annotations

import pytest
from signify.recognition.hands import HandSettings, HandTracker
from signify.recognition.zoom import FULL_FIRST, View

from bench import search_tiles as st
from bench import webcam_motion as wm
from tests.photos import PHOTO_DATA

FULL = View(0, 0, wm.WIDTH, wm.HEIGHT)


@pytest.mark.parametrize("fractions", [(1 / 2,), (1 / 2, 1 / 3)])
def test_a_search_looks_at_every_tile_once_a_cycle_and_then_again(fractions: tuple[float, ...]) -> None:
    cycle = st.cycle_length(fractions)
    views = st.search_views(fractions, FULL_FIRST + 2 * cycle)
    first, second = views[FULL_FIRST : FULL_FIRST + cycle], views[FULL_FIRST + cycle :]
    tiles = [v for v in first if v != FULL]
    assert first == second
    assert sorted({t.height for t in tiles}) == sorted(round(f * wm.HEIGHT) for f in fractions)
    assert len(tiles) == len(set(tiles)) == sum(1 for v in st.all_views({"": fractions}) if v != FULL)
    assert views[:FULL_FIRST] == [FULL] * FULL_FIRST


def test_the_chance_of_having_found_a_hand_grows_look_by_look() -> None:
    a, b = View(0, 0, 10, 10), View(5, 5, 10, 10)
    hand = st.HeldHand("X0", 50, 0.5, 0.5, {a: 0.5, b: 1.0})
    assert st.found_within(hand, [FULL, a, a, FULL, b, a], [1, 2, 3, 4, 5, 6]) == [0.0, 0.5, 0.75, 0.75, 1.0, 1.0]
    assert st.found_within(hand, [FULL] * 5, [5]) == [0.0]


def test_a_held_hand_is_looked_for_in_the_views_that_hold_it() -> None:
    with HandTracker(HandSettings(static_image_mode=True, model_complexity=1)) as tracker:
        [photo] = wm.pick_photos(PHOTO_DATA, ["H2"], tracker)
        views = st.all_views(st.SEARCHES)
        centre = st.hold(tracker, photo, 100, 0.5, 0.5, views, looks=2)
        corner = st.hold(tracker, photo, 100, 0.15, 0.28, views, looks=2)
    assert centre.found[FULL] > 0  # a 100 px hand in the middle: the full frame finds it
    assert max(centre.found.values()) == 1.0
    for held in (centre, corner):
        x, y = held.x * wm.WIDTH, held.y * wm.HEIGHT
        assert FULL in held.found and all(v.x <= x < v.x + v.width and v.y <= y < v.y + v.height for v in held.found)
        assert {v.height for v in held.found} == {wm.HEIGHT, wm.HEIGHT // 2, wm.HEIGHT // 3}
    assert set(corner.found) != set(centre.found)
    assert max(v for view, v in corner.found.items() if view != FULL) > 0  # some tile finds it in the corner too

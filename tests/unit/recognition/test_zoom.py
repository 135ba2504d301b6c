"""The small-hand zoom policy over scripted sequences of what MediaPipe found, without MediaPipe."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from signify.recognition.zoom import (
    CHANGE_PICTURE,
    FULL_FIRST,
    LOST_FRAMES,
    MAX_PAN,
    MAX_RESIZE,
    MIN_SIDE,
    MOVING_PALMS,
    REFIND_LEAD,
    REFIND_LEAD_AFTER,
    REFIND_SCALE,
    REFIND_SCALE_MOVING,
    SETTLED_FRAMES,
    SIDE_PER_PALM,
    TILE_PER_HEIGHT,
    TILES_PER_FULL,
    HandExtent,
    View,
    ZoomPolicy,
    change_picture,
    change_point,
    hand_extent,
    search_tiles,
    to_frame,
)

W, H = 640, 480
FULL = View(0, 0, W, H)
SEARCH_START = [None] * FULL_FIRST  # the full-frame looks a search starts with: a hand after them is in a tile


def centre(view: View) -> tuple[float, float]:
    return view.x + view.width / 2, view.y + view.height / 2


def is_wider(look: View, view: View, scale: float = REFIND_SCALE) -> bool:
    """Whether ``look`` is ``view`` as a lost hand's every other look sees it: ``scale`` times wider (REFIND_SCALE for
    a hand lost while still), centred alike (within the pixel that rounding ``view`` moved it)."""
    (x, y), (cx, cy) = centre(look), centre(view)
    return (look.width == look.height == min(H, round(view.width * scale))
            and abs(x - cx) <= 1 and abs(y - cy) <= 1 and inside_frame(look))


def contains(view: View, x: float, y: float) -> bool:
    return view.x <= x <= view.x + view.width and view.y <= y <= view.y + view.height


def inside_frame(view: View) -> bool:
    return view.x >= 0 and view.y >= 0 and view.x + view.width <= W and view.y + view.height <= H


def run(policy: ZoomPolicy, hands: list[HandExtent | None],
        changes: list[tuple[float, float] | None] | None = None) -> list[View]:
    """The views for ``hands`` found frame by frame, each frame having ``changes`` (default: none) from the last."""
    views = []
    for hand, changed in zip(hands, changes or [None] * len(hands), strict=True):
        views.append(policy.next_view(W, H, changed))
        policy.observe(hand)
    return views


def test_tiles_cover_the_frame_with_overlap_a_pass_of_each_size_nearest_the_centre_first() -> None:
    tiles = search_tiles(W, H)
    half, third = tiles[:12], tiles[12:]
    assert len(third) == 30
    assert all(t.width == t.height == H // 2 for t in half) and all(t.width == t.height == H // 3 for t in third)
    assert all(inside_frame(t) for t in tiles)
    # Every 100 px hand, wherever it is, lies wholly inside a half-height tile; every 60 px one in a third-height one.
    for grid, hand in ((half, 100), (third, 60)):
        for x in range(0, W - hand, 10):
            for y in range(0, H - hand, 10):
                assert any(t.x <= x and t.y <= y and x + hand <= t.x + t.width and y + hand <= t.y + t.height
                           for t in grid)
        assert contains(grid[0], W / 2, H / 2)
        centre = (W / 2, H / 2)
        distances = [math.hypot(t.x + t.width / 2 - centre[0], t.y + t.height / 2 - centre[1]) for t in grid]
        assert distances == sorted(distances)
    assert len(set(tiles)) == len(tiles)


def test_a_small_frame_whose_two_sizes_round_alike_gets_one_grid() -> None:
    tiles = search_tiles(100, 75)  # half and a third of 75 px are both below the 48 px minimum
    assert tiles and all(t.width == t.height == MIN_SIDE for t in tiles)
    assert len(set(tiles)) == len(tiles)


def test_a_frame_too_small_to_tile_is_searched_whole() -> None:
    policy = ZoomPolicy()
    views = []
    for _ in range(5):
        views.append(policy.next_view(64, 48))
        policy.observe(None)
    assert views == [View(0, 0, 64, 48)] * 5


def test_search_looks_at_the_full_frame_then_tiles_in_turn() -> None:
    tiles = search_tiles(W, H)
    cycle = TILES_PER_FULL + 1
    policy = ZoomPolicy()
    views = run(policy, [None] * (FULL_FIRST + 2 * len(tiles) // TILES_PER_FULL * cycle))
    assert views[:FULL_FIRST] == [FULL] * FULL_FIRST
    views = views[FULL_FIRST:]
    assert all(v == FULL for v in views[TILES_PER_FULL::cycle])
    searched = [v for i, v in enumerate(views) if i % cycle != TILES_PER_FULL]
    assert searched[: len(tiles)] == tiles and searched[len(tiles) : 2 * len(tiles)] == tiles
    assert not policy.following


def test_a_search_looks_where_the_picture_stopped_changing_then_goes_on_with_its_tiles() -> None:
    # Something moved for 8 frames (a hand raised into view) and stopped at (500, 120); the search is under way.
    stopped = (500.0, 120.0)
    moving = [(500.0, 400.0 - 35 * k) for k in range(7)] + [stopped]
    lead = FULL_FIRST + 7  # 9 searched frames before the move: its last change comes with frame 16
    changes = [None] * lead + moving + [None] * (SETTLED_FRAMES + 9)
    views = run(ZoomPolicy(), [None] * len(changes), changes)
    plain = run(ZoomPolicy(), [None] * len(changes))
    cycle = TILES_PER_FULL + 1
    after = lead + len(moving)  # the first frame that did not change
    # While it changes, the search goes on as it would (a hand found moving fast is lost again at once)...
    assert views[:after] == plain[:after]
    # ...and once it stopped, for SETTLED_FRAMES frames, each round's first tile look is a square centred there, the
    # tiles' two sizes in turn;
    guided = [i for i in range(after, after + SETTLED_FRAMES) if (i - FULL_FIRST) % cycle == 0]
    sides = [round(fraction * H) for fraction in TILE_PER_HEIGHT]
    assert len(guided) == SETTLED_FRAMES // cycle >= len(TILE_PER_HEIGHT)  # each size at least once
    for number, i in enumerate(guided):
        assert views[i].width == views[i].height == sides[number % len(sides)] and centre(views[i]) == stopped
    # the full frame keeps its turn, and the grid goes on where it left off, no tile skipped.
    assert all(views[i] == FULL for i in range(FULL_FIRST, len(views)) if (i - FULL_FIRST) % cycle == TILES_PER_FULL)
    tiles = [v for i, v in enumerate(views) if i >= FULL_FIRST and (i - FULL_FIRST) % cycle != TILES_PER_FULL
             and i not in guided]
    assert tiles == search_tiles(W, H)[: len(tiles)]


def test_a_hand_found_where_the_picture_stopped_changing_is_followed_and_once_lost_searched_for_afresh() -> None:
    policy = ZoomPolicy()
    stopped = (150.0, 300.0)
    changes = [None] * FULL_FIRST + [stopped] + [None] * 3
    hand = HandExtent(*stopped, palm=20.0)
    views = run(policy, [None] * (len(changes) - 1) + [hand], changes)
    assert centre(views[-1]) == stopped  # the round's first tile look, where it stopped: the hand is there
    # Followed from that look, for longer than a change is looked at for...
    assert run(policy, [hand] * (SETTLED_FRAMES + 10))[0] == views[-1] and policy.following
    lost = run(policy, [None] * (LOST_FRAMES + FULL_FIRST + 1))
    assert lost[LOST_FRAMES : LOST_FRAMES + FULL_FIRST] == [FULL] * FULL_FIRST
    assert lost[-1] == search_tiles(W, H)[0]  # ...and once lost, searched for by the grid from its first tile again


def test_a_search_takes_no_guided_look_while_the_picture_keeps_changing_nor_after_it_found_a_hand() -> None:
    changing = [(100.0 + k, 200.0) for k in range(60)]  # someone walking past behind the signer
    assert run(ZoomPolicy(), [None] * 60, changing) == run(ZoomPolicy(), [None] * 60)
    # A hand followed is looked for where it is, whatever changes elsewhere.
    hand = HandExtent(330, 250, palm=20.0)
    hands = [*SEARCH_START, *[hand] * 30]
    changes = [None] * (FULL_FIRST + 10) + [(600.0, 50.0)] + [None] * 19
    assert run(ZoomPolicy(), hands, changes) == run(ZoomPolicy(), hands)


def test_a_square_where_the_picture_stopped_changing_stays_inside_the_frame() -> None:
    changes = [None] * FULL_FIRST + [(630.0, 470.0)] + [None] * 37  # the bottom right corner
    views = run(ZoomPolicy(), [None] * len(changes), changes)
    cycle = TILES_PER_FULL + 1
    guided = [views[i] for i in range(FULL_FIRST + 1, FULL_FIRST + 1 + SETTLED_FRAMES) if (i - FULL_FIRST) % cycle == 0]
    assert len(guided) == SETTLED_FRAMES // cycle >= len(TILE_PER_HEIGHT)
    assert {v.width for v in guided} == {round(f * H) for f in TILE_PER_HEIGHT}
    assert all(v.x + v.width == W and v.y + v.height == H for v in guided)


def test_change_point_finds_what_moved_and_ignores_noise_and_a_change_of_light() -> None:
    rng = np.random.default_rng(3)
    room = rng.integers(60, 200, (H, W, 3), dtype=np.uint8)
    noisy = np.clip(room + rng.normal(0, 3, room.shape), 0, 255).astype(np.uint8)  # a webcam's noise
    assert change_picture(room).shape == CHANGE_PICTURE[::-1]
    assert change_point(change_picture(room), change_picture(noisy), W, H) is None
    assert change_point(change_picture(room), change_picture(room), W, H) is None
    # A 50 px hand-sized patch appears at (400, 300): found to within a cell (8 px) of its centre.
    with_hand = room.copy()
    with_hand[275:325, 380:420] = (210, 160, 140)
    x, y = change_point(change_picture(room), change_picture(with_hand), W, H) or (-1.0, -1.0)
    assert abs(x - 400) <= 8 and abs(y - 300) <= 8
    # In other units of the frame (the same picture scaled), the same place.
    assert change_point(change_picture(room), change_picture(with_hand), 320, 240) == (x / 2, y / 2)
    # The light changing over the whole picture is nowhere in particular.
    brighter = np.clip(room.astype(np.int32) + 40, 0, 255).astype(np.uint8)
    assert change_point(change_picture(room), change_picture(brighter), W, H) is None
    assert change_point(change_picture(room), np.zeros((30, 40), np.uint8), W, H) is None  # not comparable


def test_a_large_hand_in_the_full_frame_keeps_the_full_frame() -> None:
    policy = ZoomPolicy()
    hand = HandExtent(320, 240, palm=90.0)  # a hand about 200 px long
    views = run(policy, [hand] * 30)
    assert views == [FULL] * 30


def test_a_small_hand_found_in_a_tile_is_followed_from_that_tile_and_zoomed_gently() -> None:
    policy = ZoomPolicy()
    hand = HandExtent(330, 250, palm=20.0)  # about 45 px long
    views = run(policy, [*SEARCH_START, *[hand] * 40])
    found_in = views[FULL_FIRST]
    assert found_in != FULL and policy.following
    assert views[FULL_FIRST + 1] == found_in  # followed from the view it was found in: MediaPipe keeps its track
    sides = [v.width for v in views[FULL_FIRST + 1 :]]
    for before, after in itertools.pairwise(sides):
        assert after <= before and before / after <= MAX_RESIZE + 0.02
    wanted = SIDE_PER_PALM * hand.palm
    assert abs(views[-1].width / wanted - 1) < 0.12
    assert all(contains(v, hand.cx, hand.cy) and inside_frame(v) for v in views)
    moves = [max(abs(a.x + a.width / 2 - b.x - b.width / 2), abs(a.y + a.height / 2 - b.y - b.height / 2))
             for a, b in itertools.pairwise(views[FULL_FIRST + 1 :])]
    assert max(moves) <= MAX_PAN * found_in.width + 1
    # Settled: centred on the hand, and a held hand's view no longer moves.
    last = views[-1]
    assert abs(last.x + last.width / 2 - hand.cx) <= 0.06 * last.width
    assert views[-5:] == [last] * 5


def test_a_small_hand_found_in_the_full_frame_is_followed_there_and_looked_for_zoomed_once_lost() -> None:
    policy = ZoomPolicy()
    hand = HandExtent(420, 150, palm=20.0)
    views = run(policy, [hand] * 20 + [None] * 4)
    assert views[:21] == [FULL] * 21  # MediaPipe tracks it there: its landmarks come from the full resolution
    zoomed = views[21]
    assert zoomed.width == zoomed.height == round(SIDE_PER_PALM * hand.palm)
    assert abs(zoomed.x + zoomed.width / 2 - hand.cx) <= 1 and abs(zoomed.y + zoomed.height / 2 - hand.cy) <= 1
    assert is_wider(views[22], zoomed) and views[23] == zoomed and policy.following


def test_a_held_hand_that_trembles_does_not_move_its_view() -> None:
    policy = ZoomPolicy()
    rng = np.random.default_rng(1)
    steady = HandExtent(300, 200, palm=18.0)
    run(policy, [*SEARCH_START, *[steady] * 60])  # found in a tile, then zoomed in and settled
    settled = policy.next_view(W, H)
    policy.observe(steady)
    tremor = [HandExtent(300 + rng.normal(0, 2), 200 + rng.normal(0, 2), 18.0 * (1 + rng.normal(0, 0.08)))
              for _ in range(60)]
    assert run(policy, tremor) == [settled] * 60


def test_the_view_follows_a_hand_that_moves_away_and_keeps_it_inside() -> None:
    policy = ZoomPolicy()
    run(policy, [*SEARCH_START, *[HandExtent(200, 200, palm=18.0)] * 40])
    path = [HandExtent(200 + 6 * i, 200 + 2 * i, 18.0) for i in range(50)]  # 6 px a frame, a Z's stroke
    views = run(policy, path)
    for view, hand in zip(views[1:], path, strict=False):  # each view is chosen from the frame before
        assert contains(view, hand.cx, hand.cy)
    assert abs(views[-1].x + views[-1].width / 2 - path[-1].cx) < 0.25 * views[-1].width


def test_a_hand_that_comes_closer_zooms_out_to_the_frame_height() -> None:
    policy = ZoomPolicy()
    run(policy, [*SEARCH_START, *[HandExtent(320, 240, palm=18.0)] * 40])
    assert policy.next_view(W, H).width < 150
    policy.observe(HandExtent(320, 240, palm=18.0))
    growing = [HandExtent(320, 240, palm=18.0 * 1.05**i) for i in range(40)]  # 18 to 120 px of palm
    views = run(policy, growing)
    last = views[-1]  # no zoom left: the frame's pixels as they are, the largest square
    assert (last.y, last.width, last.height) == (0, H, H) and abs(last.x - (W - H) / 2) <= 2
    widths = [v.width for v in views]
    assert widths == sorted(widths)


def settled() -> tuple[ZoomPolicy, HandExtent, View]:
    """A policy that found a small hand in a tile and has settled its view on it; the hand, and the view the
    policy is looking at now (``next_view`` called: the caller observes what it found there)."""
    policy = ZoomPolicy()
    hand = HandExtent(320, 240, palm=18.0)
    run(policy, [*SEARCH_START, *[hand] * 40])
    return policy, hand, policy.next_view(W, H)


def test_a_lost_hand_is_looked_for_in_its_view_and_a_wider_one_then_searched_for_again() -> None:
    policy, _, held = settled()
    policy.observe(None)
    views = run(policy, [None] * (LOST_FRAMES + 3))
    # The palm detector, which must find it again, may miss a hand that fills the followed view: from the
    # second frame lost on, every other look is wider. The first keeps the view (a moving hand dropped once).
    assert views[: LOST_FRAMES - 1 : 2] == [held] * ((LOST_FRAMES - 1) // 2)
    assert all(is_wider(look, held) for look in views[1 : LOST_FRAMES - 1 : 2])
    assert views[LOST_FRAMES - 1 : LOST_FRAMES + 1] == [FULL] * FULL_FIRST and not policy.following
    assert views[LOST_FRAMES + 1] == search_tiles(W, H)[0]


@pytest.mark.parametrize(("step_palms", "scale"), [(0.1, REFIND_SCALE), (0.3, REFIND_SCALE_MOVING)])
def test_a_hand_lost_while_moving_is_looked_for_wider_than_one_lost_while_still(
    step_palms: float, scale: float
) -> None:
    # Still (a tremble under MOVING_PALMS a frame), it comes back where it was: a look half as wide again, where the
    # palm detector sees a small hand as large as in its tiles. Moving, it may be anywhere along its path.
    assert 0.1 < MOVING_PALMS < 0.3
    policy, hand, held = settled()
    policy.observe(hand)
    steps = [HandExtent(hand.cx + step_palms * hand.palm * (k % 2), hand.cy, hand.palm) for k in range(1, 4)]
    views = run(policy, [*steps, None, None, None])
    # The tremble, or steps too small to pan, keep the view; so does the first frame lost.
    assert views[:5] == [held] * 5 and is_wider(views[5], held, scale)
    assert not is_wider(views[5], held, REFIND_SCALE_MOVING if scale == REFIND_SCALE else REFIND_SCALE)


def lost_after_moving(step_palms: float) -> tuple[HandExtent, float, list[View]]:
    """A settled small hand that moves three frames by ``step_palms`` palm sizes a frame (down, a third as much to
    the left: a J's hook) and is then lost: its last place, the step's length, and the looks until the search."""
    policy, hand, _ = settled()
    policy.observe(hand)
    step = step_palms * hand.palm
    path = [HandExtent(hand.cx - step * k / 3, hand.cy + step * k, hand.palm) for k in range(1, 4)]
    run(policy, path)
    return path[-1], math.hypot(step / 3, step), run(policy, [None] * (LOST_FRAMES - 1))


@pytest.mark.parametrize("step_palms", [0.3, 0.5])
def test_a_hand_lost_for_a_while_moving_is_looked_for_ahead_along_its_last_step(step_palms: float) -> None:
    # A hand lost in a quick J's hook goes on down: held at the hook's end, it sat at the edge of a look centred as
    # the followed view, where the palm detector missed it. From REFIND_LEAD_AFTER frames lost on, the wider looks
    # move on by its last step a frame lost, by at most REFIND_LEAD of their side, so that where it was lost stays
    # well inside; sooner they are centred as before (a Z's stroke turns back at its corner); the followed view stays.
    assert 2 < REFIND_LEAD_AFTER < LOST_FRAMES - 2
    last, step, views = lost_after_moving(step_palms)
    followed = views[0]  # the first frame lost: the view that followed it
    fx, fy = centre(followed)
    assert views[1::2] == [followed] * len(views[1::2]) and contains(followed, last.cx, last.cy)
    leads = []
    for lost in range(2, LOST_FRAMES - 1, 2):
        look = views[lost]
        assert look.width == round(followed.width * REFIND_SCALE_MOVING) and inside_frame(look)
        if lost < REFIND_LEAD_AFTER:
            assert is_wider(look, followed, REFIND_SCALE_MOVING)
            continue
        x, y = centre(look)
        lead = math.hypot(x - fx, y - fy)
        assert lead == pytest.approx(min(lost * step, REFIND_LEAD * look.width), abs=1)
        assert abs(math.atan2(y - fy, fx - x) - math.atan2(3, 1)) < 0.05  # along the step: down, a little left
        assert contains(look, last.cx, last.cy)
        leads.append(lead)
    # A slow step leads by a step a frame lost until the cap; a quick one reaches the cap at once.
    assert leads == sorted(leads) and leads[-1] == pytest.approx(REFIND_LEAD * views[2].width, abs=1)
    assert (leads[0] < leads[-1] - 5) == (step_palms < 0.4)


def test_a_hand_found_again_and_held_is_looked_for_where_it_is_once_lost_again() -> None:
    # The step is the last one between two frames found running: a hand lost while moving, found again and held,
    # or trembling, has none, and is looked for again where it is.
    policy, hand, _ = settled()
    policy.observe(hand)
    run(policy, [HandExtent(hand.cx, hand.cy + 9.0 * k, hand.palm) for k in range(1, 4)])
    here = HandExtent(hand.cx, hand.cy + 27.0, hand.palm)
    rng = np.random.default_rng(3)
    run(policy, [None] * 3 + [here] + [HandExtent(here.cx + rng.normal(0, 1), here.cy + rng.normal(0, 1), hand.palm)
                                       for _ in range(20)])
    held = policy.next_view(W, H)
    policy.observe(here)
    views = run(policy, [None] * (LOST_FRAMES - 1))
    assert all(is_wider(views[lost], held) for lost in range(2, LOST_FRAMES - 1, 2))


def test_the_wider_look_never_leaves_the_frame() -> None:
    policy = ZoomPolicy()
    corner = HandExtent(40, 440, palm=30.0)
    run(policy, [*SEARCH_START, *[corner] * 60])
    views = run(policy, [None] * 6)
    assert all(inside_frame(v) for v in views) and max(v.width for v in views) <= H


def test_a_hand_back_in_its_view_is_followed_on() -> None:
    policy, hand, held = settled()
    policy.observe(hand)
    views = run(policy, [None] * 3 + [hand] * 3)
    assert views[:2] == [held, held] and is_wider(views[2], held)  # missed once: the same view
    assert views[3:] == [held] * 3


def test_a_hand_back_in_the_wider_look_is_followed_from_it_and_zoomed_in_gently() -> None:
    policy, hand, held = settled()
    policy.observe(None)
    assert run(policy, [None]) == [held]
    views = run(policy, [hand] * 30)
    assert is_wider(views[0], held)  # found there
    assert views[1] == views[0]  # and followed from there, as MediaPipe's track expects
    sides = [v.width for v in views[1:]]
    for before, after in itertools.pairwise(sides):
        assert after <= before and before / after <= MAX_RESIZE + 0.02
    assert abs(views[-1].width - held.width) <= 0.12 * held.width and policy.following


def test_reset_and_a_new_frame_size_start_from_the_full_frame() -> None:
    policy = ZoomPolicy()
    run(policy, [HandExtent(320, 240, palm=18.0)] * 40)
    policy.reset()
    assert policy.next_view(W, H) == FULL
    policy.observe(HandExtent(320, 240, palm=18.0))
    assert policy.next_view(320, 240) == View(0, 0, 320, 240)


def test_the_view_never_shrinks_below_its_minimum() -> None:
    policy = ZoomPolicy()
    views = run(policy, [*SEARCH_START, *[HandExtent(10, 470, palm=2.0)] * 60])  # a speck in a corner
    assert MIN_SIDE <= min(v.width for v in views) <= 1.1 * MIN_SIDE
    assert all(inside_frame(v) for v in views)


def test_observe_needs_a_view_first() -> None:
    with pytest.raises(RuntimeError):
        ZoomPolicy().observe(None)


def test_landmarks_found_in_a_view_map_exactly_to_the_frame() -> None:
    rng = np.random.default_rng(0)
    view = View(200, 120, 160, 160)
    in_frame = np.column_stack([rng.uniform(200, 360, 21) / W, rng.uniform(120, 280, 21) / H, rng.normal(0, 0.05, 21)])
    # What MediaPipe reports for those points in the view: x, y over the view's sides, z on the view's x scale.
    in_view = np.column_stack([(in_frame[:, 0] * W - 200) / 160, (in_frame[:, 1] * H - 120) / 160,
                               in_frame[:, 2] * W / 160]).astype(np.float32)
    np.testing.assert_allclose(to_frame(in_view, view, W, H), in_frame, atol=1e-6)
    assert to_frame(in_view, view, W, H).dtype == np.float32


def test_hand_extent_is_the_box_centre_and_palm_in_pixels() -> None:
    landmarks = np.zeros((21, 3), np.float32)
    landmarks[:, 0], landmarks[:, 1] = 0.5, 0.5
    landmarks[[5, 9, 13, 17], 1] = 0.5 - 30 / H  # knuckles 30 px above the wrist
    landmarks[8, 0] = 0.5 + 64 / W
    extent = hand_extent(landmarks, W, H)
    assert extent.palm == pytest.approx(30, abs=1e-3)
    assert extent.cx == pytest.approx(320 + 32, abs=1e-3) and extent.cy == pytest.approx(240 - 15, abs=1e-3)

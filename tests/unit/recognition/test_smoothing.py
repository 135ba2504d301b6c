"""Sliding-window smoothing and the transcript."""

from __future__ import annotations

import pytest
from signify.recognition.smoothing import HAND_AWAY_FRAMES, STARTING_SHAPE_HOLDS, SlidingWindowSmoother, Transcript

STARTING_HOLD = round(STARTING_SHAPE_HOLDS * 4)  # frames a starting shape waits in a Transcript(4, ...)
STARTING_HOLD_10 = round(STARTING_SHAPE_HOLDS * 10)  # ...and in a Transcript(10, ...)
AWAY = "." * HAND_AWAY_FRAMES  # the hand gone long enough to have left: a change of hand
MISSED = "." * (HAND_AWAY_FRAMES - 1)  # the longest the tracker may lose a hand that stays


def feed(smoother: SlidingWindowSmoother, letters: str) -> list[str | None]:
    return [smoother.push(None if letter == "." else letter) for letter in letters]


def test_no_stable_letter_until_the_window_is_full() -> None:
    assert feed(SlidingWindowSmoother(5), "AAAA") == [None] * 4


def test_majority_of_the_window_is_stable() -> None:
    assert feed(SlidingWindowSmoother(5), "AABAB")[-1] == "A"


def test_disagreement_gives_no_stable_letter() -> None:
    assert feed(SlidingWindowSmoother(5), "AABBC")[-1] is None


def test_a_single_glitch_does_not_change_the_stable_letter() -> None:
    assert feed(SlidingWindowSmoother(5), "AAAAAXAA")[-3:] == ["A", "A", "A"]


def test_a_hand_that_leaves_clears_the_stable_letter() -> None:
    assert feed(SlidingWindowSmoother(3), "AAA...")[-1] is None


def test_window_of_one_follows_every_answer() -> None:
    assert feed(SlidingWindowSmoother(1), "ABC") == ["A", "B", "C"]


def test_clear_forgets_votes() -> None:
    smoother = SlidingWindowSmoother(3)
    feed(smoother, "AAA")
    smoother.clear()
    assert smoother.push("A") is None


def run(transcript: Transcript, stables: str, slow_moving: bool = False) -> str:
    """One symbol a frame: a capital is that stable letter with the hand still, a small letter the same with
    the hand moving; '.' is a frame without a hand, '-' a hand but no stable letter, '~' the same moving.
    ``slow_moving``: every frame with the hand moving slowly too (under the speed of a movement)."""
    for symbol in stables:
        stable = None if symbol in ".-~" else symbol.upper()
        transcript.update(stable, hand=symbol != ".", moving=symbol.islower() or symbol == "~", slow_moving=slow_moving)
    return transcript.text


def test_a_letter_is_committed_after_it_held_long_enough() -> None:
    transcript = Transcript(commit_after=3, word_gap=4)
    assert run(transcript, "HH") == ""
    assert run(transcript, "H") == "H"


def test_a_held_letter_is_committed_once() -> None:
    assert run(Transcript(commit_after=2, word_gap=4), "LLLLLLLL") == "L"


def test_double_letters_need_the_hand_to_change_in_between() -> None:
    assert run(Transcript(commit_after=2, word_gap=9), "HHEELLLLOO") == "HELO"
    assert run(Transcript(commit_after=2, word_gap=9), "HHEELL" + AWAY + "LLOO") == "HELLO"  # the hand left
    assert run(Transcript(commit_after=2, word_gap=9), "HHEELLAALLOO") == "HELALO"  # another shape held
    assert run(Transcript(commit_after=2, word_gap=9), "HHEELL--LLOO") == "HELLO"  # a hold without a letter


def test_a_letter_slid_to_the_side_and_held_again_is_a_double() -> None:
    # Signers make "LL" by sliding the L a little and holding it again, the hand in view all along.
    assert run(Transcript(4, 99), "HHHHEEEELLLLllllLLLLOOOO") == "HELLO"
    assert run(Transcript(4, 99), "HHHHEEEELLLLLLLLLLLLOOOO") == "HELO"  # held on: one L


def test_a_letter_bounced_and_held_again_is_a_double() -> None:
    # A bounce moves the hand down and back: two short runs of movement with a still moment between.
    assert run(Transcript(4, 99), "LLLLllLlllLLLL") == "LL"


def test_a_double_is_written_once_the_letter_is_held_again_for_the_hold() -> None:
    transcript = Transcript(4, 99)
    assert run(transcript, "LLLLllllLLL") == "L"
    assert run(transcript, "L") == "LL"
    assert run(transcript, "LLLLLLLL") == "LL"  # and once: held on after it, nothing more
    assert run(transcript, "llllLLLL") == "LLL"  # slid again: a third


def test_a_slide_blurred_for_a_frame_or_two_is_still_a_double() -> None:
    # The moving hand is read as no letter for two frames: the same run, and the same slide.
    assert run(Transcript(10, 99), "L" * 10 + "ll~~ll" + "L" * 10) == "LL"


def test_jitter_of_a_held_letter_makes_no_double() -> None:
    # A small hand's landmarks jump for a frame now and then: lone moving frames are no slide.
    assert run(Transcript(4, 99), "LLLLlLLlLLlLLLlLLLLLLL") == "L"


def test_a_hand_found_again_jumps_and_that_is_no_slide() -> None:
    # A tracker that missed the hand finds it again a little off, and the speed reads the jump as movement.
    assert run(Transcript(4, 99), "LLLL.lll" + "LLLLLLLL") == "L"
    assert run(Transcript(4, 99), "LLLL.LLLLLL" + "lll" + "LLLL") == "LL"  # a slide well after the miss


def test_a_letter_carried_far_while_held_makes_no_double() -> None:
    # Moving for more than two holds is taking the hand somewhere else, not a double's short slide.
    assert run(Transcript(4, 99), "LLLL" + "l" * 9 + "LLLLLLLL") == "L"
    assert run(Transcript(4, 99), "LLLL" + "l" * 8 + "LLLLLLLL") == "LL"


def test_a_shape_a_motion_letter_starts_with_slid_for_less_than_a_hold_is_a_double() -> None:
    # "ODD", "EGG": the D or G slid (7 moving frames) or bounced, and held again. It waits as a starting shape
    # does, for the next letter or for longer than the hold, whether the first one was written or still waited.
    for shape in "DGXI":
        moved = shape.lower()
        assert run(Transcript(10, 99), "O" * 12 + shape * 15 + moved * 7 + shape * 15 + "S" * 10) == f"O{shape * 2}S"
        assert run(Transcript(10, 99), "O" * 12 + shape * 30 + moved * 7 + shape * 30) == f"O{shape * 2}", shape
        assert run(Transcript(10, 99), shape * 15 + moved * 2 + shape * 2 + moved * 3 + shape * 15 + "A" * 10) == (
            f"{shape * 2}A"), shape  # a bounce
        assert run(Transcript(10, 99), shape * 15 + moved * 7 + shape * 15) == shape, shape  # the second waits
        assert run(Transcript(10, 99), shape * 15 + moved * 7 + shape * 60 + "A" * 10) == f"{shape * 2}A", shape


def test_a_shape_a_motion_letter_starts_with_moved_for_a_hold_is_no_double() -> None:
    # An index finger that moves for longer may be drawing a Z, an I a J (the quickest move for 12 frames and
    # more): read or missed, what it ends in is not the letter again.
    for shape in "DGXI":
        moved = shape.lower()
        assert run(Transcript(10, 99), shape * 15 + moved * 9 + shape * 15 + "A" * 10) == f"{shape * 2}A", shape
        assert run(Transcript(10, 99), shape * 15 + moved * 10 + shape * 15 + "A" * 10) == "A", shape
        assert run(Transcript(10, 99), shape * 30 + moved * 18 + shape * 30 + "A" * 10) == f"{shape}A", shape
    assert run(Transcript(10, 99), "D" * 15 + "d" * 6 + "z" * 12 + "Z" * 5 + "D" * 20 + "A" * 10) == "ZA"
    # The shape a J ended in, slid on the way back, is no double either.
    assert run(Transcript(10, 99), "I" * 10 + "i" * 5 + "j" * 15 + "J" * 5 + "I" * 15 + "i" * 7 + "I" * 25) == "J"


def test_a_shape_a_motion_letter_starts_with_moved_before_it_was_held_for_the_hold_is_no_double() -> None:
    # Held for less than the hold, then moved: the end of a J or Z the tracker found late, or the way back
    # after one. A slide counts from when the shape was held for the hold.
    for shape in "DGXI":
        assert run(Transcript(10, 99), shape * 6 + shape.lower() * 5 + shape * 30 + "A" * 10) == f"{shape}A", shape


def test_a_missed_motion_from_a_written_starting_shape_is_no_double_though_the_slide_count_discounts_it() -> None:
    # The slide leaves out frames soon after a miss, lone frames and what came before a rest; a J or Z the model
    # missed, lost for a frame mid-stroke or paused at a corner, still moved the hand for more than a hold.
    assert run(Transcript(10, 15), "I" * 30 + "i" * 3 + "." + "i" * 12 + "I" * 15 + "A" * 10) == "IA"
    assert run(Transcript(10, 15), "D" * 30 + "d" * 3 + "." + "d" * 12 + "D" * 30) == "D"
    assert run(Transcript(10, 15), "D" * 30 + "d" * 15 + "D" * 5 + "d" * 5 + "D" * 15 + "A" * 10) == "DA"


def test_a_glitch_in_the_slide_of_a_waiting_starting_shape_keeps_the_double() -> None:
    assert run(Transcript(10, 15), "O" * 14 + "D" * 15 + "d" * 7 + "DDD-" + "D" * 12 + "S" * 12) == "ODDS"
    assert run(Transcript(10, 15), "O" * 14 + "D" * 15 + "dddd-ddd" + "D" * 15 + "S" * 12) == "ODDS"


def test_a_starting_shape_doubled_at_the_end_of_a_word_is_written_when_the_hand_is_lowered() -> None:
    # A slide of 8 frames moves the hand as long as a movement does: the shape held after it is still the
    # double's, not how a missed J or Z ended.
    assert run(Transcript(10, 15), "O" * 14 + "D" * 15 + "d" * 8 + "D" * 15 + "." * 20) == "ODD "
    assert run(Transcript(10, 15), "O" * 14 + "~" * 3 + "D" * 12 + "d" * 5 + "D" * 12 + "." * 20) == "ODD "


def test_jitter_of_an_i_before_a_j_is_no_double() -> None:
    # Two 2-frame jitters would be a bounce of another letter; a starting shape needs half a hold of moving.
    assert run(Transcript(10, 15), "I" * 12 + "ii" + "III" + "ii" + "I" * 10 + "i" * 6 + "j" * 10 + "J" * 5
               + "I" * 12 + "A" * 10) == "JA"


def test_a_shape_a_motion_letter_starts_with_held_on_after_its_double_is_written_once_more() -> None:
    assert run(Transcript(10, 99), "D" * 15 + "d" * 7 + "D" * 90 + "A" * 10) == "DDA"
    assert run(Transcript(10, 99), "D" * 15 + "d" * 7 + "D" * 15 + "d" * 7 + "D" * 15 + "A" * 10) == "DDDA"


Z_DRAWN = "D" * 15 + "d" * 6 + "z" * 12 + "Z" * 8  # a Z from a held D, in a Transcript(10, ...)
J_DRAWN = "I" * 15 + "i" * 6 + "j" * 12 + "J" * 8


def test_a_letter_slid_right_after_a_motion_letter_is_a_double_once_no_motion_follows() -> None:
    # "ZOO", "JEEP": the letter after a J or Z, slid and held again, waits as a starting shape does...
    assert run(Transcript(10, 15), Z_DRAWN + "O" * 15 + "o" * 7 + "O" * 15 + "." * 20) == "ZOO "  # lowered
    assert run(Transcript(10, 15), Z_DRAWN + "O" * 15 + "o" * 7 + "O" * 15 + "M" * 12) == "ZOOM"  # the next letter
    assert run(Transcript(10, 15), J_DRAWN + "E" * 15 + "e" * 7 + "E" * STARTING_HOLD * 3) == "JEE"  # held on
    assert run(Transcript(10, 15), Z_DRAWN + "O" * 15 + "oo" + "OO" + "ooo" + "O" * 15 + "." * 20) == "ZOO "  # bounced
    transcript = Transcript(10, 15)
    assert run(transcript, Z_DRAWN + "O" * 15 + "o" * 7 + "O" * 15) == "ZO"  # not yet: it waits
    assert run(transcript, "P" * 12) == "ZOOP"


def test_a_letter_held_right_after_a_motion_letter_moved_back_to_draw_it_again_is_no_double() -> None:
    # ...because a J or Z signed again goes back to its start holding how it ended, which the model may read as a
    # letter: the J drawn again drops it.
    assert run(Transcript(10, 15), J_DRAWN + "A" * 15 + "a" * 7 + "A" * 15 + "i" * 6 + "j" * 12 + "J" * 8) == "JAJ"
    assert run(Transcript(4, 99), "IIII" + "j" * 8 + "JJJJ" + "AAAAAAAA" + "aaaa" + "AAAA" + "j" * 8 + "JJ") == "JAJ"
    assert run(Transcript(4, 99), "AAAAAAAA" + "aaaa" + "AAAA") == "AA"  # without the motion before: at once
    # Back at the start holding the shape the motion starts from, still for a while before drawing it again.
    end_slid_back = "A" * 15 + "a" * 7 + "A" * 15
    assert run(Transcript(10, 15), J_DRAWN + end_slid_back + J_DRAWN + end_slid_back + J_DRAWN) == "JAJAJ"
    assert run(Transcript(10, 15), Z_DRAWN + "R" * 15 + "r" * 7 + "R" * 15 + Z_DRAWN) == "ZRZ"
    # Moved on for a hold, the double is dropped, and the letter held again after it is the one already written.
    assert run(Transcript(10, 15), J_DRAWN + end_slid_back + "a" * 25 + "A" * 15 + J_DRAWN) == "JAJ"
    assert run(Transcript(10, 15), J_DRAWN + end_slid_back + "~" * 25 + "A" * 15 + J_DRAWN) == "JAJ"  # blurred
    assert run(Transcript(10, 15), J_DRAWN + end_slid_back + "aaa" + "~" * 22 + "A" * 15 + J_DRAWN) == "JAJ"


def test_a_letter_doubled_right_after_a_motion_letter_is_written_before_the_other_motion_letter() -> None:
    # "JEEZ": the index finger held before the Z is the Z's start, not the way back to draw the J again.
    assert run(Transcript(10, 15), J_DRAWN + "E" * 15 + "e" * 7 + "E" * 15 + Z_DRAWN) == "JEEZ"


def test_a_glitch_on_the_way_back_from_a_motion_letter_makes_no_double() -> None:
    # The hand blurs as it moves back from how the J ended: frames without a stable letter there keep the run
    # what it was, one that began right after a J.
    assert run(Transcript(4, 99), "IIII" + "j" * 8 + "JJJJ" + "AAAAAAAA" + "-" + "aaaa" + "AAAA") == "JA"
    assert run(Transcript(4, 99), "IIII" + "j" * 8 + "JJJJ" + "AAAAAAAA" + "aa~aa" + "AAAA") == "JA"


def test_a_slide_the_model_lost_the_letter_in_for_three_frames_is_a_double() -> None:
    assert run(Transcript(10, 99), "L" * 10 + "l~~~lll" + "L" * 10) == "LL"


def test_a_flickering_letter_settles_like_a_steady_one() -> None:
    # Frames without a stable letter break the letter's still run, not the hand's rest: jitter two seconds
    # apart is no slide, and a hand carried elsewhere is forgotten once at rest.
    assert run(Transcript(10, 99), "L" * 10 + "ll" + "LLLL-" * 3 + "ll" + "L" * 10) == "L"
    assert run(Transcript(10, 99), "L" * 10 + "l" * 25 + "LLLL-" * 3 + "l" * 7 + "L" * 10) == "LL"


def test_a_letter_taken_as_written_is_not_doubled_by_a_slide_before_it() -> None:
    transcript = Transcript(4, 99)
    run(transcript, "LLLLll-")  # slid, then a frame without a letter, as a calibration prompt took over
    transcript.ignore_held("L")
    assert run(transcript, "LLLL") == "L"


def test_a_hand_found_again_every_few_frames_makes_no_double() -> None:
    # The jump of a hand found again reads as movement until the speed's span has passed it.
    transcript = Transcript(10, 99)
    frames = [("O", True, False)] * 12
    for _ in range(4):
        frames += [("O", False, False), ("O", True, False)] + [("O", True, True)] * 6 + [("O", True, False)] * 2
    frames += [("O", True, False)] * 12
    for stable, hand, moving in frames:
        transcript.update(stable if hand else None, hand=hand, moving=moving)
    assert transcript.text == "O"


def test_a_double_from_a_slow_stream_needs_looks_at_the_letter_held_again() -> None:
    transcript = Transcript(4, 99)
    run(transcript, "LLLLllll")
    for observed in (True, False, False, False, False, False):  # one look, the rest filled in between
        transcript.update("L", hand=True, observed=observed)
    assert transcript.text == "L"
    transcript.update("L", hand=True)
    assert transcript.text == "LL"


def test_a_letter_read_again_after_a_glitch_is_not_a_double() -> None:
    # The tracker missed the hand for a frame and the vote had no majority for a few: the same O, not two.
    assert run(Transcript(4, 99), "HHHHOOOO.--OOOOOOOO") == "HO"
    assert run(Transcript(4, 99), "OOOO---OOOO") == "O"
    assert run(Transcript(4, 99), "OOOO----OOOO") == "OO"  # a hold without a letter: the hand may have changed
    assert run(Transcript(4, 99), "OOOO" + AWAY + "OOOO") == "OO"  # away long enough to have left


def test_a_long_absence_ends_the_word() -> None:
    transcript = Transcript(commit_after=2, word_gap=3)
    assert run(transcript, "HHAA...") == "HA "
    assert run(transcript, "....") == "HA "  # one space, however long the hand is away
    assert run(transcript, "YYOO") == "HA YO"


def test_no_leading_space() -> None:
    assert run(Transcript(commit_after=2, word_gap=2), ".....AA") == "A"


def test_text_is_bounded() -> None:
    transcript = Transcript(commit_after=1, word_gap=100, max_length=5)
    run(transcript, "A-B-C-E-F-H-K")
    assert transcript.text == "CEFHK"


def test_clear_forgets_text_and_letter_in_progress() -> None:
    transcript = Transcript(commit_after=2, word_gap=3)
    run(transcript, "AAB")
    transcript.clear()
    assert transcript.text == ""
    assert run(transcript, "B") == ""


# Motion letters, with commit_after=4: a held letter needs 4 still frames, a shape that can start
# a J or a Z 8, a motion letter 2 frames of stability, the shape a motion ends in 12 after it.


def test_a_held_letter_needs_the_hand_still() -> None:
    assert run(Transcript(4, 99), "aaaaaaaaaaaa") == ""
    assert run(Transcript(4, 99), "aaaaaaAAA") == ""
    assert run(Transcript(4, 99), "aaaaaaAAAA") == "A"


def test_stillness_is_counted_afresh_after_each_move() -> None:
    assert run(Transcript(4, 99), "AAAaAAAaAAA") == ""
    assert run(Transcript(4, 99), "AAAaAAAA") == "A"


def test_a_shape_that_starts_a_motion_letter_waits_longer_than_the_hold() -> None:
    assert STARTING_HOLD > 2 * 4  # two holds of I, then a J whose hook starts slowly, wrote "IJ"
    for start in "IDGX":
        assert run(Transcript(4, 99), start * (STARTING_HOLD - 1)) == "", start
        assert run(Transcript(4, 99), start * STARTING_HOLD) == start, start
    assert run(Transcript(4, 99), "A" * 4) == "A"


def test_an_i_held_for_two_holds_before_a_slow_hook_is_the_j_alone() -> None:
    # The server's hold is 10 frames: an I held for 0.4 s, then a hook whose first frames are slower than
    # the moving threshold, was still for 20 frames before it moved.
    assert run(Transcript(10, 99), "I" * 20 + "i" * 12 + "jjjJJJJJ") == "J"
    assert run(Transcript(10, 99), "I" * 25 + "i" * 12 + "jjjJJJJJ") == "IJ"  # held long enough to be a letter


def test_a_starting_shape_is_not_written_while_the_hand_moves_slowly() -> None:
    # A J drawn in 1.5 s: the hook starts slower than a movement, and is one only halfway through. Still by
    # the speed of a movement for two and a half holds, the I was written before the hook showed: "IJ".
    for slowly in (True, False):
        transcript = Transcript(10, 99)
        run(transcript, "I" * 10)
        run(transcript, "I" * 25, slow_moving=slowly)
        assert run(transcript, "i" * 12 + "jjjJJJJJ") == ("J" if slowly else "IJ"), slowly


def test_a_starting_shape_moved_slowly_is_written_once_it_stops_or_the_word_ends() -> None:
    # A hand that drifts while it holds I or X holds I or X.
    for start in "IDGX":
        transcript = Transcript(10, 15)
        run(transcript, start * 10)
        assert run(transcript, start * 40, slow_moving=True) == "", start
        assert run(transcript, start) == start, start
        transcript = Transcript(10, 15)
        run(transcript, start * 10)
        run(transcript, start * 40, slow_moving=True)
        assert run(transcript, "." * 15) == start + " ", start


def test_a_lone_slow_frame_holds_a_starting_shape_back_for_that_frame_only() -> None:
    # A small hand's speed goes over the slow speed for a frame now and then.
    transcript = Transcript(4, 99)
    for _ in range(STARTING_HOLD // 2):
        run(transcript, "I")
        run(transcript, "I", slow_moving=True)
    assert transcript.text == ""  # the timer ran out in a slow frame...
    assert run(transcript, "I") == "I"  # ...and the next one, still, writes it
    transcript = Transcript(4, 99)
    run(transcript, "I" * 4)
    run(transcript, "I" * (STARTING_HOLD - 4), slow_moving=True)
    assert transcript.text == ""
    assert run(transcript, "I") == "I"


def test_a_starting_shape_held_back_while_drifting_is_written_when_another_letter_is_held() -> None:
    for start in "IDGX":
        transcript = Transcript(10, 99)
        run(transcript, start * (STARTING_HOLD_10 - 1))
        assert run(transcript, start * 20, slow_moving=True) == "", start
        assert run(transcript, "A" * 5, slow_moving=True) == start, start


def test_a_starting_shape_held_long_before_a_slow_hook_waits_from_its_first_slow_frame() -> None:
    # Raised into view and found at once, the I was held for most of the timer before a J drawn in 1.5 s, whose
    # first frames move slower than a movement: the timer ran out in the hook's first slow frame.
    transcript = Transcript(10, 99)
    run(transcript, "I" * (STARTING_HOLD_10 - 1))
    assert run(transcript, "I" * 15, slow_moving=True) == ""
    assert run(transcript, "i" * 12 + "jjjJJJJJ") == "J"


def test_a_j_drawn_slowly_from_an_i_held_still_is_written() -> None:
    # A J half the hand's height drawn in 1.5 s hardly reaches the speed of a movement.
    transcript = Transcript(10, 99)
    run(transcript, "I" * 10)
    assert run(transcript, "I" * 10 + "J" * 4, slow_moving=True) == ""
    assert run(transcript, "J", slow_moving=True) == "J"  # a hold of moving slowly, and the J read for half a hold
    transcript = Transcript(10, 99)
    run(transcript, "I" * 10)
    run(transcript, "I" * 4 + "J" * 5, slow_moving=True)  # moving slowly for less than a hold is jitter or a drift
    assert run(transcript, "J" * 20) == ""


def test_the_frames_of_a_movement_are_frames_of_a_slow_movement_too() -> None:
    # A slow hook whose middle is faster: five frames moving slowly, then five moving, make a slow movement.
    transcript = Transcript(10, 99)
    run(transcript, "I" * 10)
    run(transcript, "I" * 5, slow_moving=True)
    assert run(transcript, "jjjjj") == "J"
    assert run(Transcript(10, 99), "I" * 10 + "jjjjj") == ""  # five moving frames alone are no movement


def test_a_j_read_long_after_a_slow_movement_is_not_written() -> None:
    # Written once read for half a hold, within three holds of the slow movement's end (the model unsure
    # in between), like a J after a movement.
    for unsure, written in ((0, "J"), (24, "J"), (25, "")):
        transcript = Transcript(10, 99)
        run(transcript, "I" * 10)
        run(transcript, "I" * 10, slow_moving=True)
        assert run(transcript, "-" * unsure + "J" * 10) == written, unsure


def test_a_slowly_drawn_j_right_after_another_needs_a_movement() -> None:
    # After a J and its pause the hand may stir, slowly, while the window still shows the hook: no second J.
    transcript = Transcript(10, 99)
    run(transcript, "I" * 10)
    run(transcript, "I" * 10 + "J" * 5, slow_moving=True)
    run(transcript, "J" * 15 + "I" * 15)
    assert run(transcript, "I" * 10 + "J" * 10, slow_moving=True) == "J"
    assert run(transcript, "I" * 10 + "i" * 10 + "j" * 10) == "JJ"  # drawn again with a movement


def test_clear_forgets_a_slow_movement() -> None:
    transcript = Transcript(10, 99)
    run(transcript, "I" * 10)
    run(transcript, "I" * 10, slow_moving=True)
    transcript.clear()
    assert run(transcript, "I" * 5 + "J" * 10) == ""


def test_a_slow_movement_draws_no_z_and_no_j_from_another_shape() -> None:
    # A Z is drawn with the whole hand; a small I the model reads as D, drifting slowly, may be read as Z.
    for start, letter in (("D", "Z"), ("X", "Z"), ("A", "J"), ("Y", "J")):
        transcript = Transcript(10, 99)
        run(transcript, start * 10)
        assert letter not in run(transcript, start * 10 + letter * 20, slow_moving=True), (start, letter)
    # Moving as a J or Z is drawn, either is.
    assert run(Transcript(10, 99), "D" * 10 + "d" * 10 + "zzzzz") == "Z"


def test_a_starting_shape_that_does_not_wait_is_not_held_back_by_a_slow_movement() -> None:
    # Held right after a J or Z was read (how a motion ended), or again after a movement dropped it, the shape
    # waits for no next letter and no word end: held for long enough, it is written, drifting or not.
    for slowly in (True, False):
        transcript = Transcript(10, 15)
        run(transcript, "A" * 15 + "ZZZ")
        run(transcript, "D" * 40, slow_moving=slowly)
        assert run(transcript, "E" * 15) == "ADE", slowly
        transcript = Transcript(10, 15)
        run(transcript, "I" * 10 + "~" * 12 + "I" * 10)
        run(transcript, "I" * 40, slow_moving=slowly)
        assert run(transcript, "." * 15) == "I ", slowly


def test_a_letter_that_starts_no_motion_is_written_while_the_hand_moves_slowly() -> None:
    assert run(Transcript(4, 99), "AAAA", slow_moving=True) == "A"


def test_a_starting_shape_held_for_the_hold_is_written_once_the_hand_holds_another_letter() -> None:
    # Spelled on at a letter a half-second (the server's hold of 10 frames): the fingers change for a
    # few frames, then the next letter is held.
    for start in "IDGX":
        assert run(Transcript(10, 99), start * 10 + "a" * 5 + "A" * 10) == start + "A", start
        assert run(Transcript(10, 99), start * 10 + "A" * 5) == start, start  # half the next letter's hold
        assert run(Transcript(10, 99), start * 10 + "A" * 4) == "", start
    assert run(Transcript(4, 99), "DDDDIIIIGGGGXXXXA") == "DIG"  # the X waits for the letter after it
    assert run(Transcript(4, 99), "X" * STARTING_HOLD + "AAAA") == "XA"  # held long enough, written once


def test_a_starting_shape_held_for_less_than_the_hold_is_not_written_by_the_next_letter() -> None:
    assert run(Transcript(4, 99), "IIIAAAA") == "A"


def test_a_movement_or_a_hand_that_leaves_drops_a_starting_shape() -> None:
    # A J or a Z may follow: the letter is the motion's, or nothing's when the model missed the motion.
    assert run(Transcript(10, 99), "I" * 10 + "i" * 10 + "A" * 10) == "A"
    assert run(Transcript(10, 99), "D" * 10 + "d" * 5 + "-~-~-" + "~" * 3 + "A" * 10) == "A"  # moving, not in a row
    assert run(Transcript(10, 99), "I" * 10 + AWAY + "A" * 10) == "A"
    # Fewer moving frames are fingers changing shape, fewer missed frames MediaPipe losing the hand.
    assert run(Transcript(10, 99), "I" * 10 + "i" * 9 + "A" * 10) == "IA"
    assert run(Transcript(10, 99), "I" * 10 + ".." + "A" * 10) == "IA"
    assert run(Transcript(10, 99), "I" * 10 + MISSED + "A" * 10) == "IA"


def test_a_pending_shape_the_hand_is_lowered_from_is_written_when_the_word_ends() -> None:
    # A word's last letter, then the hand lowered: seen moving for a few frames, then gone for the word gap.
    for start in "IDGX":
        assert run(Transcript(10, 15), "H" * 10 + start * 10 + start.lower() * 3 + "." * 15) == f"H{start} "
    assert run(Transcript(10, 15), "I" * 10 + "i" + "." * 15) == "I "
    assert run(Transcript(10, 15), "I" * 10 + "i" * 3 + "." * 14) == ""  # not before the word ends
    # Lost by the tracker as it left: before its speed showed, or while the model read its few blurred
    # frames as a J or Z.
    assert run(Transcript(10, 15), "I" * 10 + "." * 15) == "I "
    assert run(Transcript(10, 15), "I" * 10 + "ij" + "." * 15) == "I "
    assert run(Transcript(10, 15), "D" * 10 + "dzzz" + "." * 15) == "D "


def test_a_pending_shape_is_not_written_for_a_hand_that_did_not_leave_as_a_lowered_hand_does() -> None:
    assert run(Transcript(10, 15), "I" * 10 + "iii" + AWAY + "A" * 10) == "A"  # back before the word ended
    assert run(Transcript(10, 15), "I" * 10 + "i" * 5 + "." * 15) == ""  # moved as a J or Z is drawn
    # Found again within the word after the hand was away a while moving, it holds how a J or Z may have
    # ended out of sight; once the word ended, the next one starts afresh. Lost for a moment, the hand stayed
    # in sight as far as the model is concerned (the Recognizer puts it back along its way), and its letter is
    # the model's to read.
    assert run(Transcript(10, 15), "A" * 10 + "a" * 5 + AWAY + "G" * 10 + "." * 15) == "A "
    assert run(Transcript(10, 15), "A" * 10 + "a" * 4 + AWAY + "G" * 10 + "." * 15) == "AG "
    assert run(Transcript(10, 15), "A" * 10 + "a" * 5 + MISSED + "G" * 10 + "." * 15) == "AG "
    assert run(Transcript(10, 15), "A" * 10 + "a" * 5 + "." * 15 + "G" * 10 + "." * 15) == "A G "
    assert run(Transcript(10, 15), "I" * 10 + "i" * 5 + "j" * 10 + "." * 15 + "I" * 10 + "i" + "." * 15) == "J I "
    lowered = Transcript(10, 15)
    run(lowered, "A" * 10 + "a" * 5 + "." * 5)
    lowered.clear()
    assert run(lowered, "G" * 10 + "." * 15) == "G "
    assert run(Transcript(10, 15), "IIIIIIIII" + "iii" + "." * 15) == ""  # never held for the hold
    # Held right after a movement no J or Z was read in: it may be how the missed motion ended.
    assert run(Transcript(10, 15), "D" * 10 + "~" * 10 + "X" * 10 + "xx" + "." * 15) == ""
    assert run(Transcript(10, 15), "D" * 10 + "~" * 10 + "-" * 10 + "X" * 10 + "xx" + "." * 15) == "X "


def test_the_shape_a_missed_motion_ends_in_is_not_written_by_the_next_letter() -> None:
    # The model missed the J or Z, or it was one rule 4 refuses: what the hand holds after it waits as a
    # starting shape held alone does.
    assert run(Transcript(4, 99), "IIIIiiiiIIIIAAAA") == "A"
    assert run(Transcript(4, 99), "DDDDddddjjjjJJJJIIIIAAAA") == "A"
    assert run(Transcript(4, 99), "IIIIiiii" + "I" * STARTING_HOLD + "AAAA") == "IA"
    # A J or Z read within a hold before the shape was held says the shape is how a motion ended.
    assert run(Transcript(4, 99), "JJJJ" + "-" * 3 + "IIII" + "AAAA") == "A"
    assert run(Transcript(4, 99), "JJJJ" + "-" * 4 + "IIII" + "AAAA") == "IA"


def test_a_starting_shape_read_again_after_a_glitch_is_still_one_letter() -> None:
    assert run(Transcript(4, 99), "IIII-IIIIAAAA") == "IA"
    # A motion letter read while the hand holds still is no other letter either.
    assert run(Transcript(4, 99), "IIIIJJJJAAAA") == "IA"


def test_a_motion_from_a_pending_starting_shape_writes_only_the_motion() -> None:
    assert run(Transcript(4, 99), "IIIIIIijjjjjjJJJJIIIIAAAA") == "JA"
    assert run(Transcript(4, 99), "GGGGGzzzzzzZZGGGGAAAA") == "ZA"


def test_a_shape_that_starts_a_motion_letter_is_never_committed_while_moving() -> None:
    assert run(Transcript(4, 99), "i" * 40) == ""
    assert run(Transcript(4, 99), "d" * 40) == ""


def test_a_j_that_starts_as_a_held_i_writes_only_j() -> None:
    # The I is held a little, then moves; the model sees the hook and says J.
    assert run(Transcript(4, 99), "IIIIIiiiijjjjjjJJJJ") == "J"
    # Its end shape is read as I again: that is the motion's tail, not a letter.
    assert run(Transcript(4, 99), "IIIIIiiiijjjjjjJJJJIIIIIIIIII") == "J"


def test_a_j_whose_turned_end_is_read_as_y_writes_only_j() -> None:
    # The forearm turned, the thumb shows beside the little finger: Y, the J's tail as its I is.
    assert run(Transcript(4, 99), "IIIIIiiiijjjjjjJJJJ" + "Y" * 11) == "J"
    assert run(Transcript(4, 99), "IIIIIiiiijjjjjjJJJJ" + "Y" * 12) == "JY"  # held three holds: a letter
    assert run(Transcript(4, 99), "IIIIIiiiijjjjjjJJJJ" + "YYY" + "...." + "Y" * 8) == "J"  # outlasts a lost hand
    assert run(Transcript(4, 6), "IIIIIiiiijjjjjjJJJJ" + "." * 6 + "Y" * 4) == "J Y"  # a new word: a letter
    assert run(Transcript(4, 99, motion_ends={}), "IIIIIiiiijjjjjjJJJJ" + "Y" * 4) == "JY"
    # Y ends no Z, and a Y held before a J is a letter like any other.
    assert run(Transcript(4, 99), "zzzzzzZZ" + "Y" * 4) == "ZY"
    assert run(Transcript(4, 99), "YYYY" + "IIIIIiiiijjjjjjJJJJ") == "YJ"


def test_another_shape_held_after_a_j_is_a_letter_after_a_hold() -> None:
    # "JA" spelled briskly: the J's end is read as the next letter straight away. (Taking the first shape
    # held after a J for its end, whatever it reads as, lost the letter after the J in brisk words.)
    assert run(Transcript(4, 99), "IIIIIiiiijjjjjjJJJJ" + "AAAA") == "JA"
    assert run(Transcript(4, 99), "IIIIIiiiijjjjjjJJJJ" + "OOOO" + "~~~" + "IIIIIiiiijjjjjjJJ") == "JOJ"


def test_a_z_that_starts_as_an_index_writes_only_z() -> None:
    assert run(Transcript(4, 99), "XXXXXxxxzzzzzzZZDDDDDDDDDD") == "Z"
    assert run(Transcript(4, 99), "DDDDDDdddxxxzzzzzZZZ") == "Z"


def test_one_motion_commits_one_letter() -> None:
    assert run(Transcript(4, 99), "jjjjjjjjjjjjjjjjjJJJJJJJ") == "J"
    # The model flickers between the motion and its start shape while the hand keeps moving.
    assert run(Transcript(4, 99), "jjjjjiiijjjjjiiijjjjjjj") == "J"


def test_a_repeated_motion_needs_a_pause_or_a_change_of_hand() -> None:
    assert run(Transcript(4, 99), "jjjjjjiiiiiijjjjjj") == "J"  # no pause: one J
    assert run(Transcript(4, 99), "jjjjjjIIIIjjjjjj") == "JJ"  # the I held still between: a pause
    assert run(Transcript(4, 99), "zzzzzz" + AWAY + "zzzzzz") == "ZZ"  # the hand left between
    assert run(Transcript(4, 99), "zzzzzz..zzzzzz") == "Z"  # two missed frames are MediaPipe, not a new hand
    assert run(Transcript(4, 99), "zzzzzz" + MISSED + "zzzzzz") == "Z"
    assert run(Transcript(4, 99), "zzzzzzAAzzzzzz") == "ZZ"  # another handshape held between


def test_a_hand_stopped_after_a_motion_is_a_pause_whatever_it_is_read_as() -> None:
    # While the window still holds the movement the model reads the motion letter with the hand still:
    # the hand stopped all the same, and the next movement is another letter (a Z signed twice).
    assert run(Transcript(4, 99), "zzzzzzZZZZ" + "ggg" + "zzzzzzZZ") == "ZZ"
    assert run(Transcript(4, 99), "zzzzzzZZZ" + "ggg" + "zzzzzzZZ") == "Z"  # stopped for less than a hold
    assert run(Transcript(4, 99), "iiijjjjjjJJJJ" + "iii" + "jjjjjjJJ") == "JJ"


def test_only_a_movement_after_the_pause_draws_another_motion_letter() -> None:
    # The model reads the end shape for a moment, then the motion letter again from the same movement.
    assert run(Transcript(4, 99), "zzzzzzZZZZ" + "GG" + "ZZZZ") == "Z"
    assert run(Transcript(4, 99), "jjjjjjIIII" + "YY" + "JJJJ") == "J"
    assert run(Transcript(4, 99), "jjjjjjIIII" + "YY" + "jjjjJJ") == "JJ"
    # A hand lowered out of the picture after the pause moves for a few frames, fewer than a movement, and
    # may be read as the motion letter again: no second letter.
    assert run(Transcript(4, 99), "zzzzzzZZZZ" + "GG" + "zz" + "." * 6) == "Z"


def test_a_letter_held_long_after_a_motion_is_a_letter_of_its_own() -> None:
    # FIJI: the I after the J is held well beyond the motion's tail.
    first_i = "I" * STARTING_HOLD  # held long enough to be a letter before the J
    assert run(Transcript(4, 99), "FFFF" + first_i + "iijjjjjJ" + "I" * 12) == "FIJI"
    assert run(Transcript(4, 99), "FFFF" + first_i + "iijjjjjJ" + "I" * 11) == "FIJ"


def test_the_tail_of_a_motion_outlasts_a_hand_lost_for_a_moment() -> None:
    # After a Z, the tracker loses a small hand for a few frames, then finds the G the Z ended in: still its tail.
    assert run(Transcript(4, 99), "zzzzzzZZ......" + "G" * 11) == "Z"
    assert run(Transcript(4, 99), "zzzzzzZZ......" + "G" * 12) == "ZG"
    # A hand away for a word gap starts a new word: the G is a letter of its own after its usual hold.
    assert run(Transcript(4, 6), "zzzzzzZZ......" + "G" * STARTING_HOLD) == "Z G"
    # So does another shape held in between.
    assert run(Transcript(4, 99), "zzzzzzZZ..AAAA" + "G" * STARTING_HOLD) == "ZAG"


def test_a_motion_letter_needs_a_hand_that_moved_lately() -> None:
    assert run(Transcript(4, 99), "ZZZZZZZZZZ") == ""  # a still index read as Z for a moment is no Z
    # A movement is two frames of motion in a row (half the hold) and three of the last eight (most of a
    # hold within two); the second Z frame commits if the movement ended less than three holds (12 frames)
    # before it.
    assert run(Transcript(4, 99), "~~~" + "-" * 9 + "ZZ") == "Z"
    assert run(Transcript(4, 99), "~~~" + "-" * 10 + "ZZ") == ""
    assert run(Transcript(4, 99), "~~" + "-" * 9 + "ZZ") == ""


def test_fingers_changing_into_the_next_letter_are_no_movement() -> None:
    # At the server's hold of 10 frames: a change of shape moves the hand for a few frames, fewer than 8.
    assert run(Transcript(10, 99), "A" * 12 + "~" * 7 + "J" * 12) == "A"
    assert run(Transcript(10, 99), "A" * 12 + "~" * 8 + "J" * 12) == "AJ"
    # Two changes in a row are no movement either, unless together they move for most of a hold within two.
    assert run(Transcript(10, 99), "A" * 12 + "~" * 5 + "-" * 8 + "~" * 2 + "J" * 12) == "A"
    assert run(Transcript(10, 99), "A" * 12 + "~" * 5 + "-" * 8 + "~" * 5 + "J" * 12) == "AJ"
    assert run(Transcript(10, 99), "A" * 12 + "~" * 5 + "-" * 16 + "~" * 5 + "J" * 12) == "A"


def test_a_movement_goes_on_through_a_hand_missed_for_a_moment() -> None:
    # MediaPipe loses a small moving hand now and then, a smeared one for several frames; the strokes on
    # either side are one movement.
    assert run(Transcript(10, 99), "~~~~.~~~~" + "Z" * 6) == "Z"
    assert run(Transcript(10, 99), "~~~~..~~~~" + "Z" * 6) == "Z"
    assert run(Transcript(10, 99), "~~~~" + MISSED + "~~~~" + "Z" * 6) == "Z"
    assert run(Transcript(10, 99), "~~~~" + AWAY + "~~~~" + "Z" * 6) == ""  # the hand left


def test_jittering_landmarks_are_no_movement() -> None:
    assert run(Transcript(4, 99), "~-~-~-~-~-ZZZZ") == ""
    assert run(Transcript(4, 99), "~-~-~-~~-ZZZZ") == "Z"


def test_one_movement_commits_one_motion_letter_of_either_kind() -> None:
    assert run(Transcript(4, 99), "jjjjjjzzzzzz") == "J"
    # With a pause between, and the Z drawn from an index (the J's tail, an I, begins no Z).
    assert run(Transcript(4, 99), "jjjjjjIIIIDDDDzzzzzz") == "JZ"


def test_a_motion_is_never_the_one_that_begins_from_the_other_letters_shape() -> None:
    # The model reads a small hand's hook as a Z, or an index's strokes as a J; the shape held before says otherwise.
    assert run(Transcript(4, 99), "IIIIIIiiiizzzzzzZZ") == ""
    assert run(Transcript(4, 99), "DDDDDDddddjjjjjjJJ") == ""
    assert run(Transcript(4, 99), "GGGGGGxxjjjjjjj") == ""
    assert run(Transcript(4, 99), "XXXXXXxxxjjjjjj") == ""
    # Its own shape, or none held (the hand came in moving), leave the model's reading be.
    assert run(Transcript(4, 99), "IIIIIIiiiijjjjjj") == "J"
    assert run(Transcript(4, 99), "~~~~zzzzzz") == "Z"
    # So does a shape that starts neither: an unseen signer's I may be read as another letter while held.
    assert run(Transcript(4, 99), "MMMMMMmmmmjjjjjj") == "MJ"
    # The shape held last is what the hand moved from; a hand that left forgets it.
    assert run(Transcript(4, 99), "IIIDDDDDDddzzzzzz") == "Z"
    assert run(Transcript(4, 99), "IIIIII" + AWAY + "zzzzzz") == "Z"
    assert run(Transcript(4, 99), "IIIIII..zzzzzz") == ""  # missed frames are MediaPipe, the same hand
    assert run(Transcript(4, 99), "IIIIII" + MISSED + "zzzzzz") == ""


def test_a_frame_of_jitter_does_not_hide_the_shape_a_motion_began_from() -> None:
    # A small hand's landmarks jump now and then: one "moving" frame amid a held I is still a held I.
    assert run(Transcript(10, 99), "IIIiIII" + "iiiiiiii" + "zzzzzzzzzzzz") == ""
    assert run(Transcript(10, 99), "DDDdDDD" + "dddddddd" + "jjjjjjjjjjjj") == ""
    assert run(Transcript(10, 99), "IIIiIII" + "iiiiiiii" + "jjjjjjjjjjjj") == "J"
    # Two moving frames running are the hand moving: what it held before them says nothing any more.
    assert run(Transcript(10, 99), "IIIiiIII" + "iiiiiiii" + "zzzzzzzzzzzz") == "Z"


def test_a_frame_of_jitter_still_delays_a_held_letter() -> None:
    # Committing a held letter still wants the hand still for the whole hold: the jitter rule is only
    # about what a movement began from.
    assert run(Transcript(4, 99), "AAAaAAA") == ""


def test_held_doubles_and_words_still_work_with_motion_letters() -> None:
    assert run(Transcript(2, 4), "HHHEEELLL...LLLOOO") == "HELLO"
    assert run(Transcript(2, 4), "jjJJ.....AAA") == "J A"  # two frames are most of this hold


def test_clear_forgets_the_last_motion() -> None:
    transcript = Transcript(4, 99)
    run(transcript, "jjjjjj")
    transcript.clear()
    assert run(transcript, "jjjjjj") == "J"


def test_parameters_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Transcript(commit_after=0, word_gap=1)
    with pytest.raises(ValueError):
        SlidingWindowSmoother(0)


def test_a_letter_held_for_something_else_is_written_only_after_the_hand_changes() -> None:
    transcript = Transcript(commit_after=3, word_gap=5)
    transcript.ignore_held("O")
    assert [transcript.update("O", hand=True) for _ in range(10)] == [None] * 10
    assert transcript.text == ""
    assert [transcript.update("L", hand=True) for _ in range(3)] == [None, None, "L"]
    assert [transcript.update("O", hand=True) for _ in range(3)] == [None, None, "O"]
    assert transcript.text == "LO"


# ---- resume: a transcript carried across a reconnect ---------------------------------------------------


def test_resume_continues_the_text_with_the_next_committed_letters() -> None:
    transcript = Transcript(commit_after=2, word_gap=4)
    assert transcript.resume("HELLO WOR") == "HELLO WOR"
    assert run(transcript, "--LL") == "HELLO WORL"
    assert run(transcript, "....BB") == "HELLO WORL B"


def test_resume_forgets_the_letter_in_progress() -> None:
    transcript = Transcript(commit_after=3, word_gap=4)
    run(transcript, "AA")
    transcript.resume("HI")
    assert run(transcript, "A") == "HI"  # the two frames of A before the resume do not count
    assert run(transcript, "AA") == "HIA"


def test_a_letter_held_across_the_resume_is_written_once() -> None:
    transcript = Transcript(commit_after=2, word_gap=4)
    transcript.resume("HEL")
    # A new window fills (a hand, no stable letter), then the same L, held on.
    assert run(transcript, "----LLLLLLLL") == "HEL"


def test_a_double_across_the_resume_behaves_like_any_double() -> None:
    within = Transcript(commit_after=2, word_gap=6)
    run(within, "HH..EE..LL")
    assert within.text == "HEL"
    across = Transcript(commit_after=2, word_gap=6)
    across.resume("HEL")
    # Leaving (or changing hands) in between makes the double, in both.
    for transcript in (within, across):
        assert run(transcript, "LL") == "HEL"
        assert run(transcript, AWAY + "LL") == "HELL"
    changed = Transcript(commit_after=2, word_gap=6)
    changed.resume("HEL")
    assert run(changed, "--LLOOLL") == "HELOL"


def test_a_motion_letter_at_the_end_of_a_resumed_text_needs_a_pause_before_another() -> None:
    transcript = Transcript(commit_after=2, word_gap=8)
    transcript.resume("RAJ")
    assert run(transcript, "--jjjj") == "RAJ"
    assert run(transcript, AWAY + "jjj") == "RAJJ"  # after a change of hand


def test_resume_keeps_the_last_max_length_characters() -> None:
    transcript = Transcript(commit_after=2, word_gap=4, max_length=5)
    assert transcript.resume("HELLO WORLD") == "WORLD"


def test_resume_refuses_anything_but_capital_letters_and_spaces() -> None:
    transcript = Transcript(commit_after=2, word_gap=4)
    transcript.resume("OK")
    with pytest.raises(ValueError):
        transcript.resume("hello")
    assert transcript.text == "OK"


def test_resume_with_nothing_is_a_fresh_start_and_reset_forgets_a_resume() -> None:
    transcript = Transcript(commit_after=2, word_gap=4)
    assert transcript.resume("") == ""
    assert run(transcript, "AA") == "A"
    transcript.resume("A")
    transcript.clear()
    assert run(transcript, "AA") == "A"


def test_frames_filled_in_between_a_slow_streams_own_count_as_time_but_not_as_looks() -> None:
    # A Transcript(4, ...) commits a held letter after 4 still frames, read in at least 2 the stream gave.
    transcript = Transcript(4, 6)
    looks = [True, False, False, False, False]  # a tracker giving a result every fifth frame
    assert [transcript.update("M", hand=True, observed=seen) for seen in looks] == [None] * 5
    assert transcript.update("M", hand=True, observed=True) == "M"  # its second look
    every = Transcript(4, 6)
    assert [every.update("M", hand=True) for _ in range(4)] == [None, None, None, "M"]


def test_a_starting_shape_filled_in_but_seen_once_does_not_wait_to_be_written() -> None:
    # An I read in one result of a slow stream, the rest of its hold filled in, is no pending letter: the A held
    # after it is written alone. Seen in enough results, the I is written before the A.
    glimpsed = Transcript(4, 6)
    for seen in [True] + [False] * (STARTING_HOLD - 1):
        glimpsed.update("I", hand=True, observed=seen)
    for _ in range(4):
        glimpsed.update("A", hand=True)
    assert glimpsed.text == "A"
    held = Transcript(4, 6)
    for _ in range(STARTING_HOLD - 1):
        held.update("I", hand=True)
    for _ in range(4):
        held.update("A", hand=True)
    assert held.text == "IA"

"""From noisy per-frame letters to a stable letter and a transcript."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping


class SlidingWindowSmoother:
    """Majority vote over the last ``size`` per-frame letters.

    The stable letter is the one that holds a strict majority of a full
    window; while the window is filling or disagrees there is none.
    ``None`` entries (no hand) take part in the vote, so a hand that
    leaves clears the stable letter within a window.
    """

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self._size = size
        self._window: deque[str | None] = deque(maxlen=size)

    def push(self, letter: str | None) -> str | None:
        """Add one per-frame answer and return the stable letter, if any."""
        self._window.append(letter)
        if len(self._window) < self._size:
            return None
        winner, votes = Counter(self._window).most_common(1)[0]
        return winner if votes * 2 > self._size else None

    def clear(self) -> None:
        """Forget every vote."""
        self._window.clear()


# The two letters that are movements, each with the held handshapes it starts from:
# J is an I whose pinky draws a hook, Z an index finger drawing a Z, which the
# model reads as D, G or X until enough of the motion is in its window.
MOTION_LETTERS: Mapping[str, frozenset[str]] = {"J": frozenset("I"), "Z": frozenset("DGX")}
# What the hand may be read as once a motion letter is drawn, besides the shapes it starts from. A J
# ends with the forearm turned, the little finger out and the thumb often showing beside it: Y is I
# with the thumb out (bench/webcam_motion.py: real hands at 50-100 px wrote "JY" in 11 of 264 J
# transcripts; asl-ai's own J, read by a model that never saw asl-ai, held its end as Y or A).
MOTION_ENDS: Mapping[str, frozenset[str]] = {"J": frozenset("Y")}
_NEVER = 1 << 30  # frames since an event that has not happened
# MediaPipe misses a moving hand now and then: mostly for a frame or two, and a Z's fast stroke smeared by a
# webcam's shutter for longer (bench/webcam_motion.py --fold 0 --exposure 0.5: of the 78 and 63 times the page's
# tracker's Python twin and the page lost a moving hand in a Z and found it again, 5 and 5 were after 3-4
# frames, 4 and 6 after 5 or more). Only a longer absence means the hand left, which counts as a change of
# hand. Five frames is 1/6 s, under the time a hand lowered out of the picture and raised again takes
# (testkit's drawn doubles are away for six frames, which a tracker giving 15 results a second sees as five,
# and a slower one as fewer and the frames it skipped: Recognizer._stage; the bench's HELLO for eight).
HAND_AWAY_FRAMES = 5
# A movement, what a J or a Z is drawn with, is the hand moving for half a hold in a row and for most
# of a hold (this share) within the last two. Fingers changing into the next letter move for a few
# frames, which the speed's span (trajectory.SPEED_SPAN) stretches to under a hold; a Z's strokes,
# slowing at its corners, move for longer.
MOVEMENT_SHARE = 0.8
MOVEMENT_SPAN_HOLDS = 2
# A shape a motion letter starts from, held still, is written on its own after this many holds (unless
# another letter held still writes it sooner): a J is an I held, then hooked, and at two holds an I held a
# little over half a second before a hook that starts slowly was written as "IJ" (bench/webcam_motion.py:
# 0.4 s of I and the hook's first frames under MOVING_SPEED made 20 still frames, the server's two holds).
# Longer costs more than it saves: at 3.5 or 4.5 holds the card's words were written exactly less often
# (docs/model.md, "Words with a J or Z inside: three things tried").
STARTING_SHAPE_HOLDS = 2.5
# ...but a pending one (held for the hold, waiting) not in a frame where the hand moves, however slowly
# (``slow_moving``: slower than a movement): a J drawn in 1.5 s starts its hook so slowly that the hand was still by
# the speed of a movement for those holds, and its I was written before the hook showed ("IJ" in 5 of 78 such clips of
# real hands at 50-100 px, bench/webcam_motion.py "J slow"). From the first such frame, not after half a hold of them:
# an I held a little longer before the hook (a hand raised into view and found at once, 0.45 s of I) reached the timer
# in the hook's first slow frames, and wrote "IJ" in 10 of 78 such clips (held back from the second such frame, in 5;
# from the first, in 2; docs/model.md, "The ends of the range, raised into view"). A lone frame over the slow speed
# delays it by that frame. Held while the hand drifts, it is written once the drift stops, the hand holds another
# letter, or the word ends, as a pending shape is; a hand that starts drifting as the timer runs out and drifts on,
# holding the shape, until it leaves after moving for half a hold or more, wrote it before and now does not (one
# drifting X of the card's 110, read as D). A shape that is not pending, held right after a J or Z was read, has the
# timer alone, and is not held back.
#
# The motion letters that a slow movement draws too, as a movement does: the hand moving, however slowly, for a hold
# in a row, from the letter's own starting shape held still. A J half the hand's height drawn in 1.5 s hardly reaches
# the speed of a movement: before this, such clips were written exactly in 17 / 19 / 22 of 26 at 50 / 70 / 100 px
# (19 / 22 / 25 with both rules; docs/model.md, "A J drawn slowly"). Only the first since the hand changed: another
# one right after it, after the pause, needs a movement (the hand stirring after a J, its window still showing the
# hook, must not write another). Not a Z: a Z is drawn with the whole hand, and a 50 px I read as D, drifting
# slowly, was read as Z (the page's tracker).
SLOW_MOVEMENT_LETTERS = frozenset("J")
# A hand seen moving for this many frames alone, between still ones, is MediaPipe's jitter: a small
# hand's landmarks jump now and then (held real hands 50 px tall: 6-12% of frames over the speed
# threshold, bench/webcam_motion.py), and such a frame must not hide which shape a J or Z began from.
JITTER_FRAMES = 1
# A double letter made without lowering the hand: signers slide the letter a little to the side, or bounce
# it, and hold it again. The hand is seen moving for about 0.2 s (a slide of a third of the hand's length
# over 6 frames moved for 7, a bounce for two runs of 2-4; bench/webcam_motion.py, "HELLO slide" and
# "HELLO bounce"): at least this share of a hold, in runs longer than jitter, and at most this many holds
# (longer, the hand was carried somewhere else holding its letter).
DOUBLE_MOVE_SHARE = 0.4
DOUBLE_MOVE_HOLDS = 2
# A shape a J or Z starts from (I; D, G, X) may be slid or bounced too ("ODD", "EGG"), but the hand must move it for
# less than a hold in all since it was held for the hold, every frame counted (a frame soon after a miss, a lone
# one, one before a pause at a corner), as fingers changing into the next letter move: a J or Z drawn from it moves
# for longer (at 0.4 s, the quickest, 12 frames and the speed's span more), read or missed. And for half a hold at
# least, not a fifth: a hand about to draw a J may jitter twice for two frames, which another letter takes for a
# bounce.
DOUBLE_START_MOVE_HOLDS = 1
# A hand the tracker missed and found again jumps (its first landmarks come from the palm detector), and the
# hand's speed, measured over six frames (trajectory.SPEED_SPAN) ending at the frame, reads that jump as
# movement until the span has passed it: up to seven frames counting the one found again. A drifting O at
# 70 px that the tracker kept losing "moved" for 13 frames so, and was written twice. Frames this soon after
# a missed one count toward no slide.
DOUBLE_AFTER_MISSED_FRAMES = 7


class Transcript:
    """Commits stable letters into text, and a space between words.

    Held letters: a letter is committed once it has been stable, with the
    hand still, for ``commit_after`` consecutive frames, and read in half
    as many that the stream gave (``observed``: a slow stream's frames
    filled in between two it gave are time, not more looks), and once per run:
    to spell a double letter the hand must change or leave in between, or
    move the letter (a short slide or bounce, :data:`DOUBLE_MOVE_SHARE` of a
    hold to :data:`DOUBLE_MOVE_HOLDS` holds of moving frames) and hold it
    still again for the hold, which are the ways people fingerspell "LL".
    Shapes a motion letter starts from are doubled so only by a movement
    of half a hold to under a hold in all (:data:`DOUBLE_START_MOVE_HOLDS`),
    as a J or Z drawn from them moves for longer, and the one held again
    waits as a starting shape does (below). What the hand held right after a
    J or Z (read within a hold before) may be how the motion ended, which
    the hand moves from on its way back to draw it again: a shape a motion
    starts from is not doubled by moving then, and another letter, slid
    and held again, waits as a starting shape does, dropped if the hand
    then holds that motion's starting shape or draws it ("ZOO", "JEEP",
    but "JAJ" signed again from an end read as A is not "JAAJ"). Fewer than ``commit_after``
    frames without a stable letter (a glitch, the hand missed for a frame
    or two) are neither: the same letter read after them goes on with its
    run. A hand absent for ``word_gap`` frames ends a word.

    Motion letters (``motion_letters``: J and Z) are told apart from the
    handshapes they start from by waiting for the motion to resolve:

    - a starting shape (I before J; D, G, X before Z) is never committed
      while the hand moves: a J starts as an I, and the I must not be
      written before the hook shows. Held still for the hold, it is
      pending: written once the hand holds another letter (not J or Z)
      still for half the hold, or once it has been held still for
      :data:`STARTING_SHAPE_HOLDS` holds, but not in a frame where the hand
      moves, however slowly (a J drawn slowly starts slower than a
      movement). A hand that moves for a hold's
      worth of frames since (a J or a Z; fingers changing into the next
      letter move for fewer), or
      leaves, drops it: the motion may be its letter, and the same shape
      held again after it needs as long, as does a shape held
      within a hold of a J or Z being read (how a motion ended, written
      or not). So a signer who spells on at a letter a half-second is not
      made to wait on every I, D, G and X. A hand that leaves it, having
      moved for less than half a hold (read as a J or Z on the way or
      not), and is gone for a word gap was lowered after the word's last
      letter: that letter is written when the word ends (not when the
      shape may be how a motion ended: held right after a movement, or
      the first shape held since the tracker lost a moving hand);
    - a motion letter is committed once it has been stable for half the
      hold, and only after a movement (the hand moving for half the hold in
      a row, and for most of a hold within two) within the last three
      holds: a hand that holds an X still is not drawing a Z, nor is one
      whose landmarks jitter, nor one whose fingers change into the next
      letter. A J drawn from an I held still may be drawn slowly instead
      (:data:`SLOW_MOVEMENT_LETTERS`): the hand moving, however slowly, for
      a hold in a row;
    - a motion letter is never read into a movement that began from the
      other motion letter's starting shape: an I held still, then moved,
      may be a J but is no Z, and an index held still, then moved, may be
      a Z but is no J; a lone frame of jitter amid the hold does not end it
      (the model, reading a small or unusual hand, can
      confuse the two movements; a shape held still before them that
      starts neither says nothing, as an unseen signer's I may be read as
      another letter while held);
    - one motion commits one letter: after a motion letter, another one
      (a double, or the other motion letter read into the same movement)
      needs a pause (the hand held still for the hold after it, whatever
      the model reads there: the motion letter while its window still holds
      the movement, or the shape it ended in) and a movement after that
      pause, or a change of hand in between, like held doubles;
    - the shape a motion ends in (the shapes it starts from, and
      ``motion_ends``: Y for J) is its tail, not a letter: it needs three
      times the hold to count as a letter of its own, also when the tracker
      lost the hand for a moment after the motion (only a hand away for a
      word gap, or another shape held, ends the tail).

    A transcript may be resumed (:meth:`resume`) with text kept elsewhere,
    after a reconnect: what follows continues that text as if nothing had
    happened in between.
    """

    def __init__(
        self,
        commit_after: int,
        word_gap: int,
        max_length: int = 500,
        motion_letters: Mapping[str, frozenset[str]] = MOTION_LETTERS,
        motion_ends: Mapping[str, frozenset[str]] = MOTION_ENDS,
    ) -> None:
        if commit_after < 1 or word_gap < 1:
            raise ValueError("commit_after and word_gap must be at least 1")
        self._commit_after = commit_after
        self._word_gap = word_gap
        self._max_length = max_length
        self._motion_letters = dict(motion_letters)
        self._motion_ends = {letter: frozenset(shapes) | motion_ends.get(letter, frozenset())
                             for letter, shapes in self._motion_letters.items()}
        self._starting_hold = max(commit_after + 1, round(STARTING_SHAPE_HOLDS * commit_after))
        self._starting_shapes = frozenset().union(*self._motion_letters.values())
        self._text: list[str] = []
        self._current: str | None = None
        self._run = 0  # frames the current stable letter has lasted
        self._seen = 0  # of those, the frames the stream gave (observed), not filled in between them
        self._still = 0  # of those, the last consecutive ones with the hand still
        self._steady = 0  # of those, the last ones without the hand moving for more than JITTER_FRAMES running
        self._committed = False
        self._absent = 0
        self._last_motion: str | None = None  # the motion letter committed last, until the hand changes
        self._tail: str | None = None  # the same, until another shape is held or the word ends: its end shape is tail
        self._paused = False  # whether the hand paused since that motion, so that it may count again
        self._since_pause = _NEVER  # frames since it did: only a movement after it draws another motion letter
        self._moving = 0  # consecutive frames the hand has been moving
        self._since_movement = _NEVER  # frames since the hand last made a movement
        self._slow_moving = 0  # consecutive frames the hand has moved, however slowly
        self._since_slow_movement = _NEVER  # frames since the hand last moved, however slowly, for a hold in a row
        self._since_motion_read = _NEVER  # frames since the stable letter was last a J or a Z
        self._motion_read: str | None = None  # which of them was read last
        self._pending_moved = 0  # frames the hand has moved since
        self._pending_after_movement = False  # whether it was held right after a movement: a missed J or Z's end
        self._pending_after_motion: str | None = None  # the J or Z read right before a waiting double, if it is one
        # Whether the hand vanished while it moved (lowered, or lost by the tracker mid-stroke), until a starting
        # shape is held for a hold, a letter is written or the word ends: what it holds when found again within
        # the word may be how a J or Z ended out of sight.
        self._lost_moving = False
        self._leaving: str | None = None  # a pending shape the hand was seen leaving: the word's last letter
        self._dropped: str | None = None  # a pending shape a motion dropped, until another letter is held
        self._held: str | None = None  # the last letter this hand held still for half a hold: what it moved from
        # A starting shape held still for the hold, or a letter doubled right after a J or Z: a letter unless a
        # motion follows.
        self._pending: str | None = None
        self._recent_moves: deque[bool] = deque()  # whether the hand moved, in its last two holds' frames
        self._recent_moving = 0  # how many of those it moved in
        # A written letter whose run may still go on after frames without a stable letter: the one a resumed
        # text ends in (however long a new window takes to fill), or one a glitch broke (fewer than a hold).
        self._carried: str | None = None
        self._carried_wait = _NEVER  # frames without a stable letter after which it is forgotten
        self._unstable = 0  # consecutive frames without a stable letter
        # Frames the hand moved (a double's slide) since the letter was written or began to wait, or the hand was
        # last at rest for half a hold; a glitch's frames without a stable letter count, and keep it.
        self._shifted = 0
        # Every frame the hand moved since then, or since it was last at rest for a hold: a starting shape's bound.
        self._moved_since_rest = 0
        self._at_rest = 0  # consecutive frames with the hand seen and still, whatever the letter read
        self._after_motion = False  # whether the current letter's run began within a hold of a J or Z read: its end
        self._since_missed = _NEVER  # frames since the last one without a hand

    @property
    def _movement_frames(self) -> int:
        return max(1, round(MOVEMENT_SHARE * self._commit_after))

    @property
    def _settled(self) -> bool:
        """Whether no J or Z was read for a hold before the hand began holding what it holds now.

        What a hand holds right after a J or a Z is how that motion ended, whether or not its letter was written.
        """
        return self._since_motion_read >= self._still + self._commit_after

    @property
    def _left_from_pending(self) -> bool:
        """Whether the hand, gone now, left from a pending shape: lowered after a word's last letter.

        A hand lowered after its last letter moves for a few frames before it leaves the picture, or
        for none that the speed shows: it is blurred and soon lost, and the speed's span sees its first
        moving frames late. The model may read those few frames as the J or Z the shape could begin.
        One drawing a J or a Z moves for longer, and a tracker that lost it finds it again within the
        word gap, holding how the motion ended. A shape held right after a movement, or first found
        after the tracker lost a moving hand, may itself be how a J or Z the model missed ended.
        """
        return (self._pending is not None and not self._pending_after_movement
                and self._pending_moved < self._half_hold)

    @property
    def _half_hold(self) -> int:
        return max(1, self._commit_after // 2)

    @property
    def text(self) -> str:
        """Everything committed since the last reset."""
        return "".join(self._text)

    def update(
        self, stable: str | None, hand: bool, moving: bool = False, observed: bool = True, slow_moving: bool = False
    ) -> str | None:
        """Feed one frame's stable letter and whether the hand moves; return the (last) letter committed now, if any.

        ``moving`` is the hand moving as a J or Z is drawn, ``slow_moving`` the hand moving at all, if slower
        (a hand that is ``moving`` is moving at all, whatever ``slow_moving`` says). ``observed`` is False for a
        frame filled in between two a slow stream gave (signify.recognition.pacing): it counts as time, not as
        another look at the hand."""
        self._track_word_gap(hand)
        if self._absent == HAND_AWAY_FRAMES and self._moving >= self._half_hold:  # its run before it vanished
            self._lost_moving = True
        if hand or self._absent >= HAND_AWAY_FRAMES:  # a hand missed for a moment breaks no movement
            self._count_motion(hand and moving, hand and (moving or slow_moving))
        moved = self._moving >= self._half_hold and self._recent_moving >= self._movement_frames
        self._since_movement = 0 if moved else self._since_movement + 1
        self._since_slow_movement = 0 if self._slow_moving >= self._commit_after else self._since_slow_movement + 1
        self._since_pause += 1
        if self._absent == HAND_AWAY_FRAMES and self._left_from_pending:
            self._leaving = self._pending  # written if the word ends before the hand is back
        if self._absent >= HAND_AWAY_FRAMES:
            self._last_motion = None  # a hand that leaves and comes back is a change of hand
            self._held = self._pending = self._dropped = None
        if self._pending is not None and hand and moving:
            self._move_pending()
        if self._absent >= self._word_gap:
            self._tail, self._lost_moving = None, False  # a new word: no motion of the last one ends in it
        if stable in self._motion_letters:
            self._since_motion_read, self._motion_read = 0, stable
        else:
            self._since_motion_read += 1
        self._count_shift(hand, moving)
        self._carry_over(stable)
        self._unstable = 0 if stable is not None else self._unstable + 1
        if stable != self._current:
            self._start_run(stable)
        if self._unstable >= self._carried_wait:
            self._carried = None  # that long without a letter, the hand may have made the double
        if stable is None:
            return None
        self._still = 0 if moving else self._still + 1
        self._steady = 0 if moving and self._moving > JITTER_FRAMES else self._steady + 1
        written = None
        if self._steady >= self._half_hold and stable not in self._motion_letters:
            self._held = stable  # what a movement now begins from
        if self._still >= self._half_hold and stable not in self._motion_letters:
            if stable != self._dropped:
                self._dropped = None
            if self._pending is not None and stable != self._pending:
                written = self._another_held(stable)
        if self._last_motion is not None and not self._paused and self._still >= self._commit_after:
            # The hand stopped after the motion, whatever the model reads there: while the window still
            # holds the movement, the motion letter itself; then the shape it ended in.
            self._paused, self._since_pause = True, 0
        self._seen += observed
        if self._committed or stable == self._pending:
            written = self._update_double(stable, moving) or written
        if self._committed:
            return written
        self._run += 1
        if stable in self._motion_letters:
            return self._update_motion(stable) or written
        return self._update_held(stable) or written

    def _move_pending(self) -> None:
        """The hand moves while a letter waits: fingers changing into the next letter move for a few frames, a J
        or a Z for longer, which drops it (the motion's letter, or none)."""
        self._pending_moved += 1
        if self._pending_moved < self._commit_after:
            return
        if self._pending_after_motion is not None:
            # A double after a J or Z moved on: the way back, and the letter held again is the one written.
            if self._pending == self._current:
                self._committed = True
            elif self._current is None:  # moved blurred, no letter read: the same letter read next goes on
                self._carried, self._carried_wait = self._pending, _NEVER
        self._pending, self._dropped = None, self._pending

    def _another_held(self, letter: str) -> str | None:
        """Another letter held still while one waits, no motion between: that one was a letter. Unless it is a
        double held right after a J or Z and this is where that motion starts: the way back to draw it again."""
        if self._pending_after_motion is not None and letter in self._motion_letters[self._pending_after_motion]:
            self._pending = None
            return None
        return self._commit_pending()

    def _start_run(self, stable: str | None) -> None:
        """The stable letter changed: a new run begins."""
        if stable is None and self._committed:
            # A few frames without a stable letter (a glitch, the hand missed for a frame or two) are no
            # change of hand: the letter read again after them is the same run, not a double.
            self._carried, self._carried_wait = self._current, self._commit_after
        self._current, self._run, self._still, self._steady, self._committed = stable, 0, 0, 0, False
        self._seen = 0
        if stable is not None and stable != self._pending:
            # Another letter; a run without one (a glitch) keeps the slide and where it began, as does the shape
            # that waits, read again after one.
            self._shifted = 0
            self._after_motion = self._since_motion_read <= self._commit_after

    def _count_motion(self, moving: bool, slow_moving: bool) -> None:
        self._moving = self._moving + 1 if moving else 0
        self._slow_moving = self._slow_moving + 1 if slow_moving else 0
        self._recent_moves.append(moving)
        self._recent_moving += moving
        if len(self._recent_moves) > MOVEMENT_SPAN_HOLDS * self._commit_after:
            self._recent_moving -= self._recent_moves.popleft()

    def _carry_over(self, stable: str | None) -> None:
        """Join a carried letter (a resumed text's last, or one a glitch broke) to the run that continues it."""
        if self._carried is None:
            return
        if self._absent >= HAND_AWAY_FRAMES or (stable is not None and stable != self._carried):
            self._carried = None  # the hand left or changed: the next same letter is a double
        elif stable == self._carried:
            # The hand held it across the reconnect (the frames before it, while a new window
            # filled, had no stable letter) or the glitch: its run goes on, already committed.
            self._carried = None
            self._current, self._run, self._still, self._steady, self._committed = stable, 0, 0, 0, True

    def _update_motion(self, letter: str) -> str | None:
        since = self._since_movement
        if letter in SLOW_MOVEMENT_LETTERS and self._held in self._motion_letters[letter]:
            since = min(since, self._since_slow_movement)  # a J drawn slowly from an I held still
        if self._run < self._half_hold or since >= 3 * self._commit_after:
            return None
        if self._held in self._starting_shapes and self._held not in self._motion_letters[letter]:
            return None  # the movement began from the other motion letter's shape
        if self._last_motion is not None and not (self._paused and self._since_movement < self._since_pause):
            # The same movement going on, or another one without a pause and a movement after it. Not merely
            # the hand stirring after the pause: a hand lowered out of the picture after a Z is read as Z again.
            return None
        self._last_motion = self._tail = letter
        self._paused = False
        self._pending = None  # the shape it began from was the motion's start
        return self._commit(letter)

    def _update_held(self, letter: str) -> str | None:
        if self._tail is not None and letter in self._motion_ends[self._tail]:
            hold = 3 * self._commit_after
        else:
            if self._still >= self._half_hold:
                self._last_motion = self._tail = None  # another handshape, held: the hand changed
            waits = letter in self._starting_shapes or letter == self._pending  # a double after a J or Z waits too
            hold = self._starting_hold if waits else self._commit_after
            if letter in self._starting_shapes and self._still >= self._commit_after and self._seen >= self._half_hold:
                self._make_pending(letter)
        if self._still < hold or self._seen < self._half_hold:
            return None
        if letter == self._pending and self._slow_moving > 0:
            return None  # maybe a J drawn slowly from it: it waits, with the ways out a pending shape has
        self._last_motion = self._tail = None
        return self._commit(letter)

    def _count_shift(self, hand: bool, moving: bool) -> None:
        """Count the frames the hand moves, for a double's slide: runs longer than jitter, none soon after a miss."""
        if not hand:
            return
        if moving:
            self._at_rest = 0
            self._moved_since_rest += 1
            if self._moving > JITTER_FRAMES:  # a run longer than jitter, its first frames with it...
                frames = self._moving if self._moving == JITTER_FRAMES + 1 else 1
                # ...but none soon after a miss.
                self._shifted += max(0, min(frames, self._since_missed - DOUBLE_AFTER_MISSED_FRAMES))
            return
        self._at_rest += 1
        if self._at_rest >= self._commit_after:
            self._moved_since_rest = 0
        if self._at_rest >= self._half_hold and not self._slid(self._current):
            self._shifted = 0  # settled: jitter, or a hand carried elsewhere, is forgotten

    def _slid(self, letter: str | None) -> bool:
        """Whether the hand moved ``letter`` as a double's slide or bounce does since it was written (or waited)."""
        if letter in self._starting_shapes:
            return (self._half_hold <= self._shifted
                    and self._moved_since_rest < DOUBLE_START_MOVE_HOLDS * self._commit_after)
        return (max(2, round(DOUBLE_MOVE_SHARE * self._commit_after)) <= self._shifted
                <= DOUBLE_MOVE_HOLDS * self._commit_after)

    def _update_double(self, letter: str, moving: bool) -> str | None:
        """A double made in view: the letter, written or waiting, slid or bounced and held again.

        Another letter is written again at once, unless the hand held it right after a J or Z. A starting shape's
        first is written if it still waited, and the one held again waits as a new starting shape does: its run
        begins anew, not written. So does a letter held right after a J or Z, slid and held again: the slide may
        be the way back to the motion's start (signed again, a J or Z drops it), or a double ("ZOO", "JEEP").
        """
        if not self._held_again(letter, moving):
            return None
        if letter not in self._starting_shapes and not self._after_motion:
            return self._commit(letter)
        written = self._commit_pending()
        self._run, self._committed = 0, False
        # What moved it was the double's slide, no J or Z; after one, maybe the way back to draw it again.
        self._wait(letter, after_movement=False, after_motion=self._motion_read if self._after_motion else None)
        return written

    def _held_again(self, letter: str, moving: bool) -> bool:
        """Whether the hand slid or bounced the letter, written or waiting, and holds it still again for the hold."""
        if letter in self._motion_letters or (self._after_motion and letter in self._starting_shapes):
            return False  # from how a motion ended, moving a shape a motion starts from is the way back
        if moving:
            self._seen = 0  # looks at the letter held again count from here
            return False
        return self._slid(letter) and self._still >= self._commit_after and self._seen >= self._half_hold

    def _make_pending(self, letter: str) -> None:
        """Let a starting shape held for the hold wait for the next letter, unless it is how a motion began or ended."""
        if self._settled and letter not in (self._pending, self._dropped):
            # Held within a hold of a movement, or the first shape held since the tracker lost a moving hand,
            # it may be how an unread J or Z ended.
            self._wait(letter, self._since_movement < self._still + self._commit_after or self._lost_moving)
        self._lost_moving = False

    def _wait(self, letter: str, after_movement: bool, after_motion: str | None = None) -> None:
        """Let a starting shape, or a double held right after the J or Z ``after_motion``, wait; a double's slide is
        one made since it waits, as since a letter was written."""
        self._pending, self._pending_moved, self._pending_after_movement = letter, 0, after_movement
        self._pending_after_motion = after_motion
        self._shifted = self._moved_since_rest = 0

    def _commit(self, letter: str) -> str:
        self._committed, self._lost_moving, self._shifted, self._moved_since_rest = True, False, 0, 0
        if self._pending == letter:
            self._pending = None
        self._append(letter)
        return letter

    def _commit_pending(self) -> str | None:
        letter, self._pending = self._pending, None
        if letter is not None:
            self._append(letter)
        return letter

    def _track_word_gap(self, hand: bool) -> None:
        self._absent = 0 if hand else self._absent + 1
        self._since_missed = self._since_missed + 1 if hand else 0
        if hand:
            self._leaving = None  # back before the word ended: lost by the tracker for a moment, not lowered
        elif self._absent == self._word_gap and self._leaving is not None:
            self._append(self._leaving)
            self._leaving = None
        if self._absent == self._word_gap and self._text and self._text[-1] != " ":
            self._append(" ")

    def _append(self, piece: str) -> None:
        self._text.append(piece)
        if len(self._text) > self._max_length:
            del self._text[: len(self._text) - self._max_length]

    def ignore_held(self, letter: str | None) -> None:
        """Take the letter held now as already written: it was shown for something else (a calibration).

        It is written again only after the hand changes or leaves, like a double letter.
        """
        self._current, self._run, self._still, self._steady, self._seen = letter, 0, 0, 0, 0
        self._committed, self._shifted, self._after_motion = letter is not None, 0, False
        self._moved_since_rest = 0
        self._carried = None  # what was held before it is not carried on into it
        self._pending = None

    def clear(self) -> None:
        """Forget the text and any letter in progress."""
        self._text.clear()
        self._current, self._run, self._still, self._steady, self._committed, self._absent = None, 0, 0, 0, False, 0
        self._seen = 0
        self._last_motion, self._paused, self._moving, self._since_movement = None, False, 0, _NEVER
        self._slow_moving, self._since_slow_movement = 0, _NEVER
        self._since_pause = _NEVER
        self._since_motion_read, self._motion_read, self._pending_after_motion = _NEVER, None, None
        self._recent_moves.clear()
        self._recent_moving = 0
        self._tail = None
        self._carried = self._held = self._pending = self._dropped = self._leaving = None
        self._carried_wait, self._unstable, self._shifted, self._after_motion = _NEVER, 0, 0, False
        self._at_rest, self._since_missed, self._moved_since_rest = 0, _NEVER, 0
        self._pending_moved, self._pending_after_movement, self._lost_moving = 0, False, False

    def resume(self, text: str) -> str:
        """Carry on from ``text`` (capital letters and spaces, kept by the client); return the text now held.

        The letters in progress are forgotten, and the next committed letters
        continue ``text`` (its last ``max_length`` characters). The letter it
        ends in counts as committed for the hand's current run, as if this
        transcript had written it: a hand that holds it across the reconnect
        writes it once, and a double needs the hand to change or leave in
        between, as within one stream. A motion letter at the end needs a
        pause or a change of hand before another, as within one stream too.
        """
        if any(not ("A" <= character <= "Z" or character == " ") for character in text):
            raise ValueError("a transcript holds capital letters A-Z and spaces only")
        self.clear()
        self._text = list(text[-self._max_length :]) if text else []
        last = self._text[-1] if self._text else " "
        if last != " ":
            self._carried, self._carried_wait = last, _NEVER
            if last in self._motion_letters:
                self._last_motion = self._tail = last
        return self.text

"""Motion letters scored as the server writes them: synthesized takes played through its own Recognizer.

A window-level accuracy says little about J and Z: what a signer sees is
the transcript, where a J that starts as an I must not leave an I behind.
So held-out motion is scored by playing whole takes, frame by frame, into
:class:`signify.recognition.recognizer.Recognizer` (the server's buffer, ONNX model,
smoother and transcript; the takes enter as ``keypoints``, as from a
client that tracks hands itself) and reading what it committed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from signify.recognition.model import LetterModel
from signify.recognition.recognizer import Recognizer, RecognizerSettings
from signify.recognition.smoothing import MOTION_LETTERS

from .motion import (
    CHANGE_FRAMES,
    MOTION_LOOKALIKES,
    STARTING_SHAPES,
    Clip,
    Hands,
    as_placements,
    changing_hands,
    drift_placements,
    eased,
    held_placements,
    motion_clip,
    sway_hands,
)
from .scores import group_interval
from .sources import LETTERS, Poses
from .windows import with_tracking_noise

# Raw landmarks are rebuilt in a square image with the hand about this tall (image heights),
# like a hand a little under half a metre from a webcam.
PALM_IN_IMAGE = 0.08
PAUSE_FRAMES = 10  # still frames after a take, as before the next letter
DRIFT_FRAMES = 45
# Spelled words: letters per word, and frames each letter is held: 1-1.3 s, deliberate spelling like
# bench.webcam_motion's HELLO, and 0.5-0.6 s, a learner spelling on at about two letters a second.
WORD_LETTERS = (4, 6)
LETTER_HOLD = (30, 40)
BRISK_LETTER_HOLD = (15, 18)
WORDS_PER_FOLD = 100
TAKES_SEED = 2026  # the held-out J, Z and drifting takes: other draws than any training run's
# Each word set draws apart, so that the takes, and the sets before it, stay what they were.
WORD_SEEDS = {LETTER_HOLD: 2027, BRISK_LETTER_HOLD: 2028}
WORD_FIGURES = {"words_held_out_photos": LETTER_HOLD, "words_held_out_photos_brisk": BRISK_LETTER_HOLD}
# The same with a J or Z inside each word, drawn apart again, and lowered apart from the rest.
MOTION_WORD_SEEDS = {LETTER_HOLD: 2032, BRISK_LETTER_HOLD: 2033}
MOTION_WORD_FIGURES = {"words_with_motion_held_out_photos": LETTER_HOLD,
                       "words_with_motion_held_out_photos_brisk": BRISK_LETTER_HOLD}
MOTION_WORD_LEAVING_SEED = 2034
# Every take ends with its hand dropping out of the picture, as a signer lowers it after a word: seen
# moving down for this many frames (from, to), faster each frame, then gone, long enough to end the word.
# A word's last letter is written, or lost, as the server writes it then. Drawn apart from the takes.
LEAVING_FRAMES = (0, 8)
LEAVING_SPEED = (0.1, 1.4)  # palm sizes per frame, at the first moving frame and at the last
LEAVING_SEED = 2029
# The same held-out J and Z takes signed three times in a row, as a signer repeats a letter: the end held
# for a pause, the hand back to where the letter began (its turn undone), held there, the same motion again.
REPEATS = 3
REPEAT_PAUSE_FRAMES = (12, 18)  # 0.4-0.6 s: more than the server's hold, so the hand has paused
REPEAT_RETURN_FRAMES = (9, 15)
REPEAT_HOLD_FRAMES = (6, 12)
# A take's J turns in the picture by up to 0.15 rad, as every card's takes since 3.0.0: the takes stay the same
# when training's turn changes (training.motion.J_PICTURE_TURN).
TAKE_J_PICTURE_TURN = 0.15
# A take's Z is sized by its height, as every card's takes before 3.5.0 (training.motion.Z_SIZE).
TAKE_Z_BY_HEIGHT = True
REPEATED_SEED = 2030
REPEATED_LEAVING_SEED = 2031


def raw_landmarks(hands: NDArray[np.float32], placements: NDArray[np.float32]) -> NDArray[np.float32]:
    """MediaPipe-style landmarks of a right hand in a square image that normalize back to ``hands`` at ``placements``.

    The inverse of :func:`~signify.recognition.normalization.normalize_hand` and
    :func:`~signify.recognition.trajectory.hand_placement` together, up to where the
    take sits in the picture and how large it is.
    """
    scale = PALM_IN_IMAGE / float(np.median(placements[:, 2]))
    wrist = 0.5 + (placements[:, :2] - placements[:1, :2]) * scale
    size = placements[:, 2] * scale
    points = hands * size[:, None, None]
    points[..., :2] += wrist[:, None, :]
    return points.astype(np.float32)


def transcribe(model: LetterModel, clip: Clip) -> str:
    """What the server commits for one take, sent frame by frame as keypoints on a fresh session,
    then frames without a hand until the word ends."""
    settings = RecognizerSettings()
    recognizer = Recognizer(model, settings)
    text = ""
    for landmarks in raw_landmarks(clip.hands, clip.placements):
        text = recognizer.recognize_keypoints(landmarks, "Right").text
    for _ in range(settings.word_gap):
        text = recognizer.recognize_keypoints(None, "Right").text
    return text


def leaving(clip: Clip, rng: np.random.Generator) -> Clip:
    """The take, then its last hand moving down and a little aside, faster each frame, until the tracker loses it."""
    frames = int(rng.integers(LEAVING_FRAMES[0], LEAVING_FRAMES[1] + 1))
    last = clip.placements[-1]
    speed = np.linspace(*LEAVING_SPEED, frames) * rng.uniform(0.7, 1.3)
    heading = np.array([rng.uniform(-0.4, 0.4), 1.0])
    wrist = last[:2] + np.cumsum(speed)[:, None] * heading * last[2]
    placements = as_placements(wrist, np.full(frames, last[2]))
    placements[:, 3] = last[3]
    hands = np.concatenate([clip.hands, np.repeat(clip.hands[-1:], frames, axis=0)])
    return Clip(hands, np.concatenate([clip.placements, placements]), clip.motion_start, clip.motion_end)


@dataclass(frozen=True)
class Take:
    """A synthesized take to score: what it should spell, what it must not, and the original it came from."""

    kind: str
    expected: str
    forbidden: frozenset[str]
    clip: Clip
    group: int


def repeated(clip: Clip, rng: np.random.Generator, times: int = REPEATS) -> Clip:
    """The take's motion signed ``times`` times in a row, from its hold before the first to the end of the last.

    Between two, the end is held still for a pause, the hand goes straight
    back to where the motion began, turning back through the motion's own
    hands, and holds there before the same motion again.
    """
    start, end = clip.motion_start, clip.motion_end
    motion_hands, motion_placements = clip.hands[start:end], clip.placements[start:end]
    first, last = clip.placements[start], clip.placements[end - 1]
    hands, placements = [clip.hands[:end]], [clip.placements[:end]]
    for _ in range(times - 1):
        pause, back, hold = (int(rng.integers(frames[0], frames[1] + 1))
                             for frames in (REPEAT_PAUSE_FRAMES, REPEAT_RETURN_FRAMES, REPEAT_HOLD_FRAMES))
        backwards = np.round(np.linspace(len(motion_hands) - 1, 0, back)).astype(np.int64)
        progress = eased(back + 2)[1:-1, None]
        hands += [np.repeat(motion_hands[-1:], pause, axis=0), motion_hands[backwards],
                  np.repeat(motion_hands[:1], hold, axis=0), motion_hands]
        placements += [_held_at(last, pause, rng), (last + (first - last) * progress).astype(np.float32),
                       _held_at(first, hold, rng), motion_placements]
    joined = np.concatenate(hands)
    return Clip(joined, np.concatenate(placements), start, len(joined))


def held_out_takes(poses: Poses, rng: np.random.Generator, per_pose: int = 2, times: int = 1) -> list[Take]:
    """J and Z takes from held-out starting shapes, and the starting shapes drifting, ``per_pose`` each.

    One pose per shot (its last frame) stands for the photo. The J and Z
    takes must not commit their starting shapes; the drifting shapes must
    commit themselves and never a J or a Z. With ``times`` above one, only
    J and Z takes, each signed that many times in a row (:func:`repeated`)
    and expected as many times.
    """
    takes = []
    for index in poses.shot_ends():
        pose, label, group = poses.hands[index], int(poses.labels[index]), int(poses.groups[index])
        for motion, shapes in STARTING_SHAPES.items():
            if label in shapes:
                letter = LETTERS[motion]
                kind = f"{letter} from {LETTERS[label]}" + (f", {times} times" if times > 1 else "")
                # Never the shapes it starts from (X too: the moving index the model once read as X),
                # nor the other motion letter.
                forbidden = MOTION_LETTERS[letter] | (frozenset(MOTION_LETTERS) - {letter})
                for _ in range(per_pose):
                    clip = motion_clip(motion, pose, rng, picture_turn=TAKE_J_PICTURE_TURN,
                                       z_by_height=TAKE_Z_BY_HEIGHT)
                    if times > 1:
                        clip = repeated(clip, rng, times)
                    takes.append(Take(kind, letter * times, forbidden, _paused(clip, rng), group))
        if label in MOTION_LOOKALIKES and times == 1:
            hands = sway_hands(np.repeat(pose[None], DRIFT_FRAMES, axis=0), rng)
            takes += [Take(f"drifting {LETTERS[label]}", LETTERS[label], frozenset(MOTION_LETTERS),
                           Clip(hands, drift_placements(DRIFT_FRAMES, rng), 0, 0), group) for _ in range(per_pose)]
    return takes


def held_out_words(
    poses: Poses, rng: np.random.Generator, count: int, first_group: int = 0, hold: tuple[int, int] = LETTER_HOLD
) -> list[Take]:
    """``count`` words of held letters spelled by held-out hands, each expected exactly, never with a J or Z.

    Each letter is one held-out photo's hand (its last frame) held still
    for ``hold`` frames (from, to), changing into the next letter's over 0-6 frames; no letter
    follows itself (a double needs the hand to change or leave). The change
    of shape is what a transcript must not read as motion. Every word is a
    group of its own, numbered from ``first_group``: words share photos at
    random, not by design.
    """
    shots = _shots_by_letter(poses)
    letters = sorted(label for label in shots if LETTERS[label] not in MOTION_LETTERS)
    takes = []
    for number in range(count):
        word = _random_word(letters, rng)
        chosen = [shots[letter][int(rng.integers(0, len(shots[letter])))] for letter in word]
        parts = []
        for i, shot in enumerate(chosen):
            if i:
                change = int(rng.integers(CHANGE_FRAMES[0], CHANGE_FRAMES[1] + 1))
                parts.append(changing_hands(poses.hands[chosen[i - 1]], poses.hands[shot], change))
            parts.append(np.repeat(poses.hands[shot][None], int(rng.integers(hold[0], hold[1] + 1)), axis=0))
        hands = with_tracking_noise(np.concatenate(parts), rng)
        takes.append(Take("word", "".join(LETTERS[letter] for letter in word), frozenset(MOTION_LETTERS),
                          Clip(hands, held_placements(len(hands), rng), 0, 0), first_group + number))
    return takes


def held_out_motion_words(
    poses: Poses, rng: np.random.Generator, count: int, first_group: int = 0, hold: tuple[int, int] = LETTER_HOLD
) -> list[Take]:
    """``count`` words as :func:`held_out_words` makes them, one letter of each a J or a Z (anywhere in it).

    The motion letter is drawn as the takes draw it (:func:`~training.motion.motion_clip`) from a
    held-out hand of a shape it starts from: that shape held for half a letter, the motion, its end
    held for half a letter, then the change into the next letter where the motion left the hand.
    Expected exactly; the other motion letter written is a false commit.
    """
    shots = _shots_by_letter(poses)
    letters = sorted(label for label in shots if LETTERS[label] not in MOTION_LETTERS)
    takes = []
    for number in range(count):
        word = _random_word(letters, rng)
        at = int(rng.integers(0, len(word)))
        word[at] = int(rng.choice([motion for motion, shapes in sorted(STARTING_SHAPES.items())
                                   if any(shape in shots for shape in shapes)]))
        hands: list[Hands] = []
        placements: list[NDArray[np.float32]] = []
        where = np.array([0.0, 0.0, 1.0, 1.0], dtype=np.float32)  # the wrist's place and palm: held_placements'
        previous: Hands | None = None
        for letter in word:
            starts = [shape for shape in STARTING_SHAPES.get(letter, (letter,)) if shape in shots]
            shape = starts[int(rng.integers(0, len(starts)))]
            pose = poses.hands[shots[shape][int(rng.integers(0, len(shots[shape])))]]
            if previous is not None:
                change = int(rng.integers(CHANGE_FRAMES[0], CHANGE_FRAMES[1] + 1))
                hands.append(changing_hands(previous, pose, change))
                placements.append(_held_at(where, change, rng))
            frames = int(rng.integers(hold[0], hold[1] + 1))
            if letter in STARTING_SHAPES:
                clip = motion_clip(letter, pose, rng, picture_turn=TAKE_J_PICTURE_TURN,
                                   z_by_height=TAKE_Z_BY_HEIGHT)
                motion = clip.hands[clip.motion_start : clip.motion_end]
                path = clip.placements[clip.motion_start : clip.motion_end].copy()
                path[:, :2] += where[:2] - path[0, :2]
                half = frames // 2
                hands += [np.repeat(pose[None], half, axis=0), motion, np.repeat(motion[-1:], half, axis=0)]
                placements += [_held_at(where, half, rng), path, _held_at(path[-1], half, rng)]
                previous, where = motion[-1], path[-1]
            else:
                hands.append(np.repeat(pose[None], frames, axis=0))
                placements.append(_held_at(where, frames, rng))
                previous = pose
        expected = "".join(LETTERS[letter] for letter in word)
        other = frozenset(MOTION_LETTERS) - {LETTERS[word[at]]}
        takes.append(Take("word", expected, other, Clip(with_tracking_noise(np.concatenate(hands), rng),
                                                        np.concatenate(placements), 0, 0), first_group + number))
    return takes


def _shots_by_letter(poses: Poses) -> dict[int, list[int]]:
    """Each label's shots, by the index of their last pose."""
    shots: dict[int, list[int]] = {}
    for index in poses.shot_ends():
        shots.setdefault(int(poses.labels[index]), []).append(int(index))
    return shots


def _random_word(letters: list[int], rng: np.random.Generator) -> list[int]:
    """A word of :data:`WORD_LETTERS` letters drawn from ``letters``, no letter twice in a row."""
    word: list[int] = []
    for _ in range(int(rng.integers(WORD_LETTERS[0], WORD_LETTERS[1] + 1))):
        word.append(int(rng.choice([letter for letter in letters if not word or letter != word[-1]])))
    return word


def _paused(clip: Clip, rng: np.random.Generator) -> Clip:
    """The take followed by a short still pause, as a signer holds before the next letter."""
    hands = np.concatenate([clip.hands, np.repeat(clip.hands[-1:], PAUSE_FRAMES, axis=0)])
    still = _held_at(clip.placements[-1], PAUSE_FRAMES, rng)
    return Clip(hands, np.concatenate([clip.placements, still]), clip.motion_start, clip.motion_end)


def _held_at(placement: NDArray[np.float32], frames: int, rng: np.random.Generator) -> NDArray[np.float32]:
    """``frames`` placements of a hand held still where ``placement`` puts it: only tracking noise moves it."""
    still = held_placements(frames, rng)
    still[:, :2] += placement[:2]
    still[:, 2] *= placement[2]
    return still


@dataclass(frozen=True)
class WrittenTake:
    """What one take was to spell (and must not), and what the transcript wrote for it."""

    kind: str
    group: int
    expected: str
    forbidden: str  # the letters it must not write, sorted
    text: str

    @property
    def hit(self) -> bool:
        """The letter, or the whole word, written."""
        return self.expected in self.text.replace(" ", "")

    @property
    def false_commit(self) -> bool:
        """A forbidden letter written."""
        return bool(set(self.text) & set(self.forbidden))

    @property
    def exact(self) -> bool:
        """Nothing written but the expected letter or word."""
        return self.text.strip() == self.expected


@dataclass
class TakeScores:
    """Transcripts of scored takes, counted by kind."""

    written: list[WrittenTake] = field(default_factory=list)  # every take's transcript, in the order scored

    def add(self, take: Take, text: str) -> None:
        """Record what one take spelled."""
        self.written.append(WrittenTake(take.kind, take.group, take.expected, "".join(sorted(take.forbidden)), text))

    def summary(self) -> dict[str, Any]:
        """Per kind: takes, originals, recall (the letter committed), false commits (a forbidden letter
        committed) and exact (nothing but the letter), each with a 95% interval over originals."""
        by_kind: dict[str, list[WrittenTake]] = {}
        for written in self.written:
            by_kind.setdefault(written.kind, []).append(written)
        rng = np.random.default_rng(0)
        result: dict[str, Any] = {}
        for kind, takes in sorted(by_kind.items()):
            groups = np.array([take.group for take in takes], dtype=np.int64)
            entry: dict[str, Any] = {"takes": len(takes), "groups": len(np.unique(groups))}
            columns = {"recall": [take.hit for take in takes], "false_commits": [take.false_commit for take in takes],
                       "exact": [take.exact for take in takes]}
            for name, column in columns.items():
                hits = np.array(column, dtype=bool)
                interval = group_interval(hits, groups, rng)
                entry[name] = round(float(hits.mean()), 4)
                entry[f"{name}_95"] = None if interval is None else [round(b, 4) for b in interval]
            result[kind] = entry
        return result


def score_takes(model: LetterModel, takes: list[Take], scores: TakeScores, rng: np.random.Generator) -> None:
    """Play every take, its hand then leaving (``rng`` draws how), through a fresh Recognizer on ``model``."""
    for take in takes:
        scores.add(take, transcribe(model, leaving(take.clip, rng)))


class TranscriptFigures:
    """The card's transcript figures, added fold by fold from each photo fold's held-out model.

    J and Z takes drawn by the held-out photos' hands, and those hands
    drifting (``motion_takes_held_out_photos``); J and Z takes signed three
    times in a row (``motion_takes_held_out_photos_repeated``); words of held letters
    spelled by them, deliberately and briskly (``words_held_out_photos``,
    ``words_held_out_photos_brisk``), whose changes of shape are no J or Z,
    and the same with a J or Z inside (``words_with_motion_held_out_photos``,
    ``words_with_motion_held_out_photos_brisk``).
    Each kind draws from its own seed, fold after fold, so that adding one
    leaves the others' takes as they were, and the same fold models give the
    same takes whenever they are scored: after training, or again after the
    transcript's rules changed (``python -m training transcripts``).
    """

    def __init__(self, words_per_fold: int = WORDS_PER_FOLD) -> None:
        self._words_per_fold = words_per_fold
        self._takes = TakeScores()
        self._takes_rng = np.random.default_rng(TAKES_SEED)
        self._leaving_rng = np.random.default_rng(LEAVING_SEED)
        self._repeated = TakeScores()
        self._repeated_rng = np.random.default_rng(REPEATED_SEED)
        self._repeated_leaving_rng = np.random.default_rng(REPEATED_LEAVING_SEED)
        self._words = {hold: (TakeScores(), np.random.default_rng(seed)) for hold, seed in WORD_SEEDS.items()}
        self._motion_words = {hold: (TakeScores(), np.random.default_rng(seed))
                              for hold, seed in MOTION_WORD_SEEDS.items()}
        self._motion_words_leaving_rng = np.random.default_rng(MOTION_WORD_LEAVING_SEED)
        self._folds = 0

    def add_fold(self, model: LetterModel, held_photos: Poses) -> None:
        """Score the next fold's model on its held-out photos (their landmarks at the card's headline complexity)."""
        lookalikes = held_photos.where(np.isin(held_photos.labels, list(MOTION_LOOKALIKES)))
        score_takes(model, held_out_takes(lookalikes, self._takes_rng), self._takes, self._leaving_rng)
        count = self._words_per_fold
        for hold, (scores, rng) in self._words.items():
            score_takes(model, held_out_words(held_photos, rng, count, self._folds * count, hold), scores,
                        self._leaving_rng)
        score_takes(model, held_out_takes(lookalikes, self._repeated_rng, times=REPEATS), self._repeated,
                    self._repeated_leaving_rng)
        for hold, (scores, rng) in self._motion_words.items():
            score_takes(model, held_out_motion_words(held_photos, rng, count, self._folds * count, hold), scores,
                        self._motion_words_leaving_rng)
        self._folds += 1

    def summary(self) -> dict[str, dict[str, Any]]:
        """The card's entries, by name."""
        return {name: scores.summary() for name, scores in self._entries().items()}

    def write_transcripts(self, path: Path) -> None:
        """Every take's transcript as JSON lines (``entry``, ``kind``, ``group``, ``expected``, ``forbidden``,
        ``text``), the card entry it counts in first: what an error breakdown reads, where the card keeps only
        the rates."""
        with path.open("w") as out:
            for name, scores in self._entries().items():
                for written in scores.written:
                    out.write(json.dumps({"entry": name, **asdict(written)}) + "\n")

    def _entries(self) -> dict[str, TakeScores]:
        words = {name: self._words[hold][0] for name, hold in WORD_FIGURES.items()}
        words |= {name: self._motion_words[hold][0] for name, hold in MOTION_WORD_FIGURES.items()}
        return {"motion_takes_held_out_photos": self._takes, "motion_takes_held_out_photos_repeated": self._repeated,
                **words}

"""MediaPipe Hands behind a small, thread-confined wrapper.

A ``Hands`` instance is not thread-safe (two threads at once segfault), it
carries tracking state for exactly one video stream, and it leaks about
80 MB and its threads unless closed. :class:`HandTracker` owns one such
instance, refuses concurrent use instead of crashing, refuses images that
would break it, and closes it exactly once.

With ``HandSettings(zoom=True)`` (video mode only; the server's setting) the
tracker finds small hands: MediaPipe is given one view of each frame, chosen
by :class:`~signify.recognition.zoom.ZoomPolicy` (the full frame or a search
tile while no hand is found, a crop centred on the hand once it is), and the
landmarks are mapped back to the full frame's normalized coordinates. Still
one MediaPipe call per frame; the policy is also told where the frame changed
from the one before, which the tracker finds on the frames shrunk to 80 x 60.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .normalization import NUM_LANDMARKS
from .zoom import ZoomPolicy, change_picture, change_point, hand_extent, to_frame

# MediaPipe's C++ logging writes plain-text lines between our JSON lines; keep it to errors.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# One graph is built or closed at a time, process-wide (see HandTracker.__init__).
_GRAPH_LIFECYCLE = threading.Lock()

# A zero-height frame breaks a Hands instance for good; tiny frames hold no hand anyway.
MIN_SIDE_PIXELS = 16
# A side of 32767 pixels or more makes MediaPipe's own OpenCV abort the whole
# process (a C++ assertion, not an exception); decode_image refuses far less.
MAX_SIDE_PIXELS = 32766


@dataclass(frozen=True)
class HandObservation:
    """One detected hand: 21 raw MediaPipe landmarks and its side."""

    landmarks: NDArray[np.float32]  # (21, 3): x/width, y/height, relative z
    handedness: str  # "Left" or "Right", as MediaPipe labels it
    score: float


@dataclass(frozen=True)
class HandSettings:
    """The MediaPipe options shared by the server and the training extractor."""

    static_image_mode: bool = False
    model_complexity: int = 0
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    # Video mode only: look for small hands in zoomed views of the frame (signify.recognition.zoom).
    zoom: bool = False


class HandTrackerBusyError(RuntimeError):
    """A second thread tried to use a tracker that is already in use."""


class HandTracker:
    """One MediaPipe Hands instance for one video stream."""

    def __init__(self, settings: HandSettings, zoom: ZoomPolicy | None = None) -> None:
        """A new graph with ``settings``; ``zoom`` carries on another tracker's zoom (where it last saw the hand)."""
        # Imported here so that modules which only need the data types stay light.
        import mediapipe as mp

        # Measured here under connection churn: with graphs built and closed in two
        # threads at once, RSS grew about 0.5 MB per connection; taking turns, it stayed flat.
        with _GRAPH_LIFECYCLE:
            self._hands: Any = mp.solutions.hands.Hands(
                static_image_mode=settings.static_image_mode,
                max_num_hands=1,
                model_complexity=settings.model_complexity,
                min_detection_confidence=settings.min_detection_confidence,
                min_tracking_confidence=settings.min_tracking_confidence,
            )
        self._settings = settings
        self._lock = threading.Lock()
        self._closed = False
        self._zoom = (zoom or ZoomPolicy()) if settings.zoom and not settings.static_image_mode else None
        self._picture: NDArray[np.uint8] | None = None  # the last frame shrunk (zoom.change_picture), to compare

    @property
    def settings(self) -> HandSettings:
        """The options this tracker's graph was built with."""
        return self._settings

    @property
    def zoom(self) -> ZoomPolicy | None:
        """Where this tracker looks for the hand (None: always the whole frame)."""
        return self._zoom

    def warm_up(self) -> None:
        """Run the graph once on a blank picture, so that the first frame is as fast as the rest; the zoom and
        the tracked hand (none after a blank) are as for a new stream."""
        with self._exclusive() as hands:
            hands.process(np.zeros((MIN_SIDE_PIXELS * 4, MIN_SIDE_PIXELS * 4, 3), dtype=np.uint8))

    def detect(self, rgb: NDArray[np.uint8]) -> HandObservation | None:
        """Find the most prominent hand in an RGB ``(height, width, 3)`` image."""
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"expected an RGB uint8 image, got {rgb.dtype} {rgb.shape}")
        if max(rgb.shape[:2]) > MAX_SIDE_PIXELS:
            raise ValueError(f"image of {rgb.shape[1]}x{rgb.shape[0]} has a side over {MAX_SIDE_PIXELS} pixels")
        if min(rgb.shape[:2]) < MIN_SIDE_PIXELS:
            return None
        with self._exclusive() as hands:
            if self._zoom is None:
                return _first_hand(hands.process(np.ascontiguousarray(rgb)))
            height, width = rgb.shape[:2]
            picture, previous = change_picture(rgb), self._picture
            self._picture = picture
            changed = None if previous is None else change_point(previous, picture, width, height)
            view = self._zoom.next_view(width, height, changed)
            if view.is_full(width, height):
                hand = _first_hand(hands.process(np.ascontiguousarray(rgb)))
            else:
                crop = rgb[view.y : view.y + view.height, view.x : view.x + view.width]
                hand = _first_hand(hands.process(np.ascontiguousarray(crop)))
                if hand is not None:
                    hand = HandObservation(to_frame(hand.landmarks, view, width, height), hand.handedness, hand.score)
            self._zoom.observe(None if hand is None else hand_extent(hand.landmarks, width, height))
            return hand

    def reset(self) -> None:
        """Forget the tracked hand: the next frame is searched from scratch, like the first frame of a stream."""
        with self._exclusive() as hands:
            hands.reset()
            self._picture = None
            if self._zoom is not None:
                self._zoom.reset()

    @contextmanager
    def _exclusive(self) -> Iterator[Any]:
        """The open graph, for this thread alone: a second thread is refused instead of crashing MediaPipe."""
        if not self._lock.acquire(blocking=False):
            raise HandTrackerBusyError("this HandTracker is already processing a frame")
        try:
            if self._closed:
                raise RuntimeError("HandTracker is closed")
            yield self._hands
        finally:
            self._lock.release()

    def close(self) -> None:
        """Release the MediaPipe graph; safe to call more than once."""
        with self._lock:
            if not self._closed:
                self._closed = True
                with _GRAPH_LIFECYCLE:
                    self._hands.close()

    def __enter__(self) -> HandTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _first_hand(result: Any) -> HandObservation | None:
    if not result.multi_hand_landmarks:
        return None
    points = result.multi_hand_landmarks[0].landmark
    landmarks = np.array([(p.x, p.y, p.z) for p in points], dtype=np.float32)
    if landmarks.shape != (NUM_LANDMARKS, 3):
        return None
    label, score = "Right", 0.0
    if result.multi_handedness:
        classification = result.multi_handedness[0].classification[0]
        label, score = classification.label, float(classification.score)
    return HandObservation(landmarks=landmarks, handedness=label, score=score)


def warm_up_hands(settings: HandSettings) -> None:
    """Import MediaPipe and run one throwaway graph, so that sessions start warm."""
    with HandTracker(settings) as tracker:
        tracker.warm_up()

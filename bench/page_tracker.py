"""The demo page's own hand tracker, frame by frame, for benches: what the page would send for each frame.

A harness page on a Signify server's origin imports front_demo/tracking.js
(Playwright answers its one URL; Signify never serves it), so the tracker is
exactly the page's: tasks-vision's HandLandmarker with the page's model and
options, in VIDEO mode, behind :class:`ZoomedLandmarker` with or without
front_demo/zoom.js. Frames are handed over one by one at 30 fps of clock
time (or the rate a bench asks for), never dropped, so that a slow machine
measures the same landmarks as a fast one. Each clip gets a fresh
HandLandmarker and a fresh zoom policy, like a page opened anew.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from playwright.sync_api import Page, Playwright

from .browser_harness import LOAD_IMAGE_JS, harness_page, jpeg_data_url
from .process import start_signify
from .same_letters import encode

HARNESS_PATH = "/__page_tracker.html"  # never served by Signify: Playwright answers it

HARNESS = """<!doctype html>
<meta charset="utf-8">
<script type="module">
import { ZoomedLandmarker, createHandLandmarker, keypointsMessage } from "./tracking.js";

const canvas = document.createElement("canvas");
let clock = 0;
""" + LOAD_IMAGE_JS + """

// One clip's frames through a fresh tracker: per frame, the keypoints message's landmarks and handedness.
window.trackClip = async (urls, zoom, frameMs = 1000 / 30) => {
  const tracker = new ZoomedLandmarker(await createHandLandmarker(), zoom, canvas, true);
  clock += 1000;
  const out = [];
  try {
    for (const url of urls) {
      const image = await load(url);
      clock += frameMs;
      const started = performance.now();
      const result = tracker.detect(image, image.naturalWidth, image.naturalHeight, clock);
      const ms = performance.now() - started;
      const message = keypointsMessage(result, image.naturalWidth, image.naturalHeight, clock);
      out.push({ landmarks: message.landmarks, handedness: message.handedness ?? "Right", ms });
    }
  } finally {
    tracker.close();
  }
  return out;
};
window.harnessReady = true;
</script>
"""


@dataclass(frozen=True)
class PageTracking:
    """A clip as the page tracked it: landmarks normalized to the frame (NaN: no hand), handedness, ms a frame."""

    landmarks: NDArray[np.float32]  # (frames, 21, 3)
    right: NDArray[np.bool_]  # (frames,) the protocol's (Python MediaPipe's) label
    ms: NDArray[np.float32]  # (frames,)


class PageTracker:
    """The page's tracker in headless Chromium; see the module's docstring."""

    def __init__(self, page: Page) -> None:
        self._page = page

    def track(self, frames: Sequence[NDArray[np.uint8]], zoom: bool, rate: float = 30.0) -> PageTracking:
        """BGR frames of one clip, in order, ``rate`` a second of the page's clock (the frames a tracker giving
        that many results a second sees)."""
        urls = [jpeg_data_url(encode(frame)) for frame in frames]
        results = self._page.evaluate("([urls, zoom, frameMs]) => window.trackClip(urls, zoom, frameMs)",
                                      [urls, zoom, 1000.0 / rate])
        landmarks = np.full((len(results), 21, 3), np.nan, np.float32)
        for i, result in enumerate(results):
            if result["landmarks"]:
                landmarks[i] = np.asarray(result["landmarks"], dtype=np.float32)
        right = np.array([r["handedness"] != "Left" for r in results], dtype=bool)
        return PageTracking(landmarks, right, np.array([r["ms"] for r in results], dtype=np.float32))


@contextmanager
def page_tracker(driver: Playwright | None = None) -> Iterator[PageTracker]:
    """A Signify server (for the page's files) and the harness page on its origin (in a browser ``driver``
    launches, when the caller runs Playwright already)."""
    server = start_signify(max_sessions=1, max_fps=60)
    try:
        with harness_page(server.port, HARNESS_PATH, HARNESS, driver) as page:
            yield PageTracker(page)
    finally:
        server.stop()

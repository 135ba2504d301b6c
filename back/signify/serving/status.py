"""What the health endpoints report: one object, shared by both ports."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .. import SERVICE_NAME, __version__
from ..recognition.model import ModelCard


@dataclass
class ServiceStatus:
    """The service's lifecycle state, updated by the application as it starts and stops."""

    started_at: float = field(default_factory=time.monotonic)
    model: ModelCard | None = None
    model_error: str | None = None
    warmed_up: bool = False
    draining: bool = False
    sessions: int = 0
    image_sessions: int = 0  # of those, the sessions sending images (each with a MediaPipe graph)
    image_landmarks: str = "lite"  # the MediaPipe landmark model images are tracked with: "full" or "lite"
    max_sessions: int = 0  # image seats (MAX_SESSIONS); 0: no cap known
    max_keypoint_sessions: int = 0  # keypoint seats (MAX_KEYPOINT_SESSIONS); 0: no cap known
    sessions_closing: int = 0  # sessions that left, whose MediaPipe graph waits its turn to close
    websocket_port: int | None = None
    canary: ModelCard | None = None  # a release serving a share of new sessions (signify.models)
    canary_percent: float = 0.0

    @property
    def full(self) -> bool:
        """Whether every seat a new camera may need is taken: it would be closed with 1013.

        A new session takes a keypoint seat, and its first image an image seat: a
        load balancer cannot tell which a camera will send, so either kind full
        means full (a camera that sends pictures is the common one, and the
        costly one).
        """
        keypoint_sessions = self.sessions - self.image_sessions
        return (0 < self.max_sessions <= self.image_sessions
                or 0 < self.max_keypoint_sessions <= keypoint_sessions)

    @property
    def ready(self) -> bool:
        """Whether the service should receive new clients: warm, not draining, and with a seat free.

        A load balancer that probes /ready sends new cameras elsewhere while it is
        false; sockets already open are never touched by it.
        """
        return self.model is not None and self.warmed_up and not self.draining and not self.full

    def _state(self) -> str:
        if self.ready:
            return "ok"
        if self.draining:
            return "draining"
        if self.model is not None and self.warmed_up and self.full:
            return "full"
        return "starting"

    def client_config(self, same_origin: bool) -> dict[str, Any]:
        """Where the demo page finds the WebSocket: its own origin, or the WebSocket port on the same host."""
        return {"websocket_port": None if same_origin else self.websocket_port, "websocket_path": "/ws"}

    def health(self) -> dict[str, Any]:
        """The /health body."""
        body: dict[str, Any] = {
            "status": self._state(),
            "service": SERVICE_NAME,
            "version": __version__,
            "model_loaded": self.model is not None,
            "ready": self.ready,
            "uptime_s": round(time.monotonic() - self.started_at, 1),
            "sessions": self.sessions,
            "image_sessions": self.image_sessions,
            "image_landmarks": self.image_landmarks,
            "max_sessions": self.max_sessions,
            "max_keypoint_sessions": self.max_keypoint_sessions,
            "sessions_closing": self.sessions_closing,
        }
        if self.model is not None:
            body["model"] = {"name": self.model.name, "version": self.model.version}
        if self.canary is not None:
            body["canary"] = {"name": self.canary.name, "version": self.canary.version,
                              "percent": self.canary_percent}
        if self.model_error is not None:
            body["status"] = "error"
            body["error"] = self.model_error
        return body

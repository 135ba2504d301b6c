"""Signify: real-time ASL fingerspelling recognition over WebSocket."""

__version__ = "0.1.0"
SERVICE_NAME = "signify"

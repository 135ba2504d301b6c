"""Serving: the WebSocket server, its sessions and wire protocol, and the health side server.

The protocol messages, rate limits, seats and client addresses are pure;
server, session and health are the thin asyncio layers over them.
"""

"""Signify's benchmark: latency, capacity and memory of the real server under live-camera load.

Run from the repository root: ``python -m bench`` (``make bench``).
"""

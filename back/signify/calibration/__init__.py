"""Calibration: teaching the shared model one user's hand (PROTOCOL.md, Calibration).

``collection`` decides which frames a calibration keeps, ``profile`` is
the blob the user keeps, ``adaptation`` the per-user correction fitted
from it. All three are pure; the recognizer feeds them and the session
speaks for them.
"""

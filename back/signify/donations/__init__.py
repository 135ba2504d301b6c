"""Donations: calibration windows that users chose to give, kept for training.

A donated window is what the model read during a calibration (normalized
keypoints and the wrist's placements, never an image), stored with its
letter, the model version, the time and a random contributor id that the
client made and may delete by (PROTOCOL.md, "Donation (opt-in)").
:mod:`.store` keeps them in one SQLite file; ``training`` reads them back.
Consent is the caller's business: the store writes what it is given.
"""

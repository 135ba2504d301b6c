"""The deployment's bookkeeping, version order and the pure load checks."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np
import pytest
from signify.models.checks import check_labels, check_probabilities, check_sha256, sha256_hex
from signify.models.deployment import Deployment, DeploymentError, Track
from signify.models.store import version_key
from signify.recognition.model import ModelError


@dataclass(frozen=True)
class Fake:
    version: str


def test_activate_keeps_the_replaced_model_for_a_rollback_and_a_second_rollback_rolls_forward() -> None:
    d: Deployment[Fake] = Deployment()
    one, two = Fake("1"), Fake("2")
    d.activate(one)
    with pytest.raises(DeploymentError):
        d.rollback()
    d.activate(two)
    assert (d.stable, d.previous) == (two, one)
    assert d.model(Track.STABLE) is two and d.model(Track.CANARY) is two  # no canary: every track is stable
    assert d.rollback() is one
    assert (d.stable, d.previous) == (one, two)
    assert d.loaded("2") is two and d.loaded("3") is None


def test_a_canary_serves_its_track_until_promoted_or_rolled_back() -> None:
    d: Deployment[Fake] = Deployment()
    one, two = Fake("1"), Fake("2")
    d.activate(one)
    with pytest.raises(DeploymentError):
        d.start_canary(one, 10)  # already active
    for percent in (0, -1, 100.5, math.nan):
        with pytest.raises(DeploymentError):
            d.start_canary(two, percent)
    d.start_canary(two, 25)
    assert d.model(Track.CANARY) is two and d.model(Track.STABLE) is one
    assert d.rollback() is one  # ends the canary; the stable model is untouched
    assert d.canary is None and d.stable is one and d.model(Track.CANARY) is one
    d.start_canary(two, 25)
    d.activate(two)  # promotion
    assert d.canary is None and d.stable is two and d.previous is one


@pytest.mark.parametrize("percent", [5.0, 25.0, 50.0])
def test_the_canary_share_of_new_sessions_is_within_four_standard_deviations(percent: float) -> None:
    d: Deployment[Fake] = Deployment(random.Random(7).random)
    d.activate(Fake("1"))
    assert all(d.assign() is Track.STABLE for _ in range(100))  # no canary, no lottery
    d.start_canary(Fake("2"), percent)
    n = 20_000
    canaries = sum(d.assign() is Track.CANARY for _ in range(n))
    p = percent / 100
    assert abs(canaries - n * p) < 4 * math.sqrt(n * p * (1 - p))


def test_versions_sort_as_numbers_with_a_release_after_its_candidates() -> None:
    versions = ["3.10.0", "3.9.1", "3.1.0", "3.1.0-rc1", "10.0", "3.1.0.1"]
    assert sorted(versions, key=version_key) == ["3.1.0-rc1", "3.1.0", "3.1.0.1", "3.9.1", "3.10.0", "10.0"]


def test_each_pure_check_names_itself() -> None:
    digest = sha256_hex(b"model")
    check_sha256(digest, digest.upper())
    for expected in (None, sha256_hex(b"other")):
        with pytest.raises(ModelError) as refused:
            check_sha256(digest, expected)
        assert refused.value.check == "sha256"
    check_labels([chr(c) for c in range(ord("Z"), ord("A") - 1, -1)])  # any order, each letter once
    for labels in (list("ABC"), [*"ABCDEFGHIJKLMNOPQRSTUVWXY", "Y"], [*"ABCDEFGHIJKLMNOPQRSTUVWXY", "1"]):
        with pytest.raises(ModelError) as refused:
            check_labels(labels)
        assert refused.value.check == "labels"
    good = np.full((2, 26), 1 / 26, dtype=np.float32)
    check_probabilities(good)
    for bad in (good[:, :25], good * 2, np.where(np.eye(2, 26) > 0, np.nan, good).astype(np.float32), -good):
        with pytest.raises(ModelError) as refused:
            check_probabilities(bad)
        assert refused.value.check == "warm_up"

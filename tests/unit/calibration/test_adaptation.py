"""The per-user adaptation, on hand-made embeddings where the right answer is known."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from signify.calibration.adaptation import Anchors, fit_adaptation
from signify.calibration.profile import Profile

CLASSES, DIMS = 5, 16
rng = np.random.default_rng(7)
CENTRES = rng.normal(0, 1, (CLASSES, DIMS)) * 2.0


def embeddings(label: int, count: int, spread: float = 0.3) -> NDArray[np.float32]:
    return (CENTRES[label] + rng.normal(0, spread, (count, DIMS))).astype(np.float32)


def shared_log_probabilities(embedded: NDArray[np.float32], misread: dict[int, int]) -> NDArray[np.float32]:
    """A 'shared model' that is right by nearest centre, except that it reads the classes in ``misread`` as others."""
    distances = ((embedded[:, None, :] - CENTRES[None]) ** 2).sum(axis=-1)
    logits = -distances
    for true, read in misread.items():
        mine = distances.argmin(axis=1) == true
        logits[mine, read] = logits[mine, true] + 4.0  # confidently wrong
    return (logits - np.log(np.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True))
            - logits.max(1, keepdims=True)).astype(np.float32)


def profile_of(labels: list[int], per_label: int, misread: dict[int, int]) -> Profile:
    embedded = np.concatenate([embeddings(label, per_label) for label in labels])
    return Profile("m", "1", np.repeat(np.array(labels), per_label), embedded,
                   shared_log_probabilities(embedded, misread))


def adapted_top(profile: Profile, label: int, misread: dict[int, int], count: int = 200) -> float:
    """The share of new windows of ``label`` that the adapted model reads right."""
    adaptation = fit_adaptation(profile)
    embedded = embeddings(label, count)
    shared = np.exp(shared_log_probabilities(embedded, misread))
    right = [adaptation.adapt(p, e).argmax() == label for p, e in zip(shared, embedded, strict=True)]
    return float(np.mean(right))


def test_a_letter_the_shared_model_misreads_for_this_user_is_read_right_after_calibration() -> None:
    misread = {1: 0}  # this user's "1" looks like "0" to the shared model
    profile = profile_of([0, 1], per_label=5, misread=misread)
    assert adapted_top(profile, 1, misread) > 0.95
    assert adapted_top(profile, 0, misread) > 0.95  # and "0" is still "0"


def test_letters_that_were_not_calibrated_keep_the_shared_models_answers() -> None:
    misread = {1: 0}
    profile = profile_of([0, 1], per_label=5, misread=misread)
    for untouched in (2, 3, 4):
        assert adapted_top(profile, untouched, misread) > 0.95


def test_one_example_per_letter_is_enough_to_move_a_misread_letter() -> None:
    misread = {3: 2}
    profile = profile_of([2, 3], per_label=1, misread=misread)
    assert adapted_top(profile, 3, misread) > 0.9


def test_a_user_the_shared_model_already_reads_right_changes_little() -> None:
    profile = profile_of([0, 1, 2, 3, 4], per_label=3, misread={})
    adaptation = fit_adaptation(profile)
    embedded = embeddings(2, 50)
    shared = np.exp(shared_log_probabilities(embedded, {}))
    adapted = np.stack([adaptation.adapt(p, e) for p, e in zip(shared, embedded, strict=True)])
    assert (adapted.argmax(1) == shared.argmax(1)).all()
    np.testing.assert_allclose(adapted.sum(axis=1), 1.0, rtol=1e-5)


def test_the_fit_is_deterministic() -> None:
    profile = profile_of([0, 1], per_label=4, misread={1: 0})
    first, second = fit_adaptation(profile), fit_adaptation(profile)
    np.testing.assert_array_equal(first.weights, second.weights)
    np.testing.assert_array_equal(first.bias, second.bias)


def test_a_frame_unlike_anything_the_user_showed_keeps_the_shared_answer_exactly() -> None:
    misread = {1: 0}
    adaptation = fit_adaptation(profile_of([0, 1], per_label=5, misread=misread))
    # Orthogonal to every stored example: the gate is shut.
    keys = adaptation.keys
    stranger = rng.normal(0, 1, DIMS)
    stranger -= keys.T @ np.linalg.lstsq(keys.T, stranger, rcond=None)[0]
    shared = np.exp(shared_log_probabilities(stranger[None].astype(np.float32), misread))[0]
    np.testing.assert_allclose(adaptation.adapt(shared, stranger.astype(np.float32)), shared, rtol=1e-5)


def test_anchors_keep_the_letters_next_to_a_calibrated_one_reachable() -> None:
    # The user calibrates only "1"; the shared model's generic "2" lies between the user's "1" and nothing else.
    misread = {1: 0}
    profile = profile_of([1], per_label=6, misread=misread)
    centre = CENTRES[2].astype(np.float32)[None]
    anchors = Anchors(CENTRES.astype(np.float32), shared_log_probabilities(CENTRES.astype(np.float32), misread))
    with_anchors = fit_adaptation(profile, anchors)
    shared = np.exp(shared_log_probabilities(centre, misread))[0]
    assert with_anchors.adapt(shared, centre[0]).argmax() == 2
    # And the user's "1" is still learned with them.
    assert adapted_top(profile, 1, misread) > 0.9
    embedded = embeddings(1, 100)
    shared_ones = np.exp(shared_log_probabilities(embedded, misread))
    assert np.mean([with_anchors.adapt(p, e).argmax() == 1 for p, e in zip(shared_ones, embedded, strict=True)]) > 0.9

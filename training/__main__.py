"""``python -m training train --data ../shared/data``: evaluate on held-out data, then train and export."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from signify.config import DEFAULT_DATASET_PATH
from signify.donations.store import StoreError
from signify.recognition.model import LetterModel, ModelCard

from .calibration import anchors_of, calibration_evaluation
from .card import MODEL_NAME, MODEL_VERSION, evaluation_note, write_card
from .donations import Donations, donation_scores, optional_path, read_donations
from .evaluate import HELD_POSE_FRAMES, plot_confusion, score_sequences, score_shots, score_windows
from .export import QUANTIZATION, export_onnx, quantization_effect, quantization_windows, served
from .fit import FitSettings, fit
from .motion import still_placements
from .scores import Scores
from .sources import (
    LETTER_INDEX,
    LETTERS,
    PHOTO_FAR_RESHOOTS,
    PHOTO_FOLDS,
    PHOTO_RESHOOTS,
    Poses,
    Sequences,
    load_asl_ai,
    load_landmark_rows,
    load_photos,
)
from .transcripts import TranscriptFigures
from .windows import WindowSet

REPO_ROOT = Path(__file__).resolve().parents[1]
# The server runs MediaPipe Hands at MEDIAPIPE_MODEL_COMPLEXITY 0 or 1, whose
# landmarks differ: the model learns the photos as both give them, and is
# scored on each.
PHOTO_COMPLEXITIES = (0, 1)
# The headline photo figures (and the photos the card's anchors come from) are the lite model's:
# the one every image session tracks with under load (MEDIAPIPE_MODEL_COMPLEXITY=auto), and the lower figure.
SERVED_COMPLEXITY = 0
HELD_OUT_TAIL = 0.2  # the last fifth of every asl-ai recording is never trained on in the evaluation runs
# asl-ai's recordings scored by a model that never saw asl-ai: its motion letters, and the
# handshapes they start from, which must not be read as motion.
ASL_AI_MOTION_CHECK = tuple(LETTER_INDEX[letter] for letter in "JZIDGX")


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run it."""
    parser = argparse.ArgumentParser(prog="python -m training")
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="evaluate on held-out signers and sources, then train and export")
    train.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    train.add_argument("--out", type=Path, default=REPO_ROOT / "models" / "asl-lstm.onnx")
    train.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "signify")
    train.add_argument("--epochs", type=int, default=FitSettings.epochs)
    train.add_argument("--seed", type=int, default=FitSettings.seed)
    train.add_argument("--skip-evaluation", action="store_true", help="train and export only")
    train.add_argument("--far-reshoots", type=int, default=PHOTO_FAR_RESHOOTS,
                       help="far re-shoots per photo (the hand 45-110 px, noisy, JPEG'd), besides the others")
    train.add_argument("--keep-fold-models", action="store_true",
                       help="also export each photo fold's held-out model beside --out (<stem>.fold<k>.onnx)")
    train.add_argument("--donations", type=optional_path, default=DEFAULT_DATASET_PATH,
                       help="donation store (DATASET_PATH's default); used if the file exists; '' to leave it out")
    rescore = sub.add_parser(
        "transcripts", help="score a card's transcript figures again from its kept fold models (after a rule change)")
    rescore.add_argument("--model", type=Path, default=REPO_ROOT / "models" / "asl-lstm.onnx")
    rescore.add_argument("--fold-models", type=Path, required=True,
                         help="the directory of the run's <stem>.fold<k>.onnx (make train's --keep-fold-models)")
    rescore.add_argument("--data", type=Path, default=REPO_ROOT.parent / "shared" / "data")
    rescore.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "signify")
    rescore.add_argument("--transcripts-out", type=Path,
                         help="also write every take's expected, forbidden and written text there, as JSON lines")
    args = parser.parse_args(argv)
    if args.command == "transcripts":
        command = " ".join(["python -m training", *(sys.argv[1:] if argv is None else argv)])
        return rescore_transcripts(args.model, args.fold_models, args.data, args.cache, command, args.transcripts_out)
    try:
        donations = read_donations(args.donations)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return run_training(args.data, args.out, args.cache, FitSettings(epochs=args.epochs, seed=args.seed),
                        evaluate=not args.skip_evaluation, command=" ".join(["python -m training", *sys.argv[1:]]),
                        donations=donations, far_reshoots=args.far_reshoots, keep_fold_models=args.keep_fold_models)


def rescore_transcripts(
    model: Path, fold_models: Path, data: Path, cache: Path, command: str, transcripts_out: Path | None = None
) -> int:
    """Score the transcript figures of ``model``'s card again with its run's fold models, and write them in
    (and every take's transcript to ``transcripts_out``, if given).

    The figures are the transcript's as much as the network's: when the
    transcript's rules change, the same fold models (each trained without
    its fold's photos) play the same takes again under the new rules.
    """
    card_path = model.with_suffix(".json")
    card = json.loads(card_path.read_text())
    if "calibration_unseen_signers" not in card.get("evaluation", {}):
        print(f"error: {card_path} holds no held-out evaluation (trained with --skip-evaluation?)", file=sys.stderr)
        return 2
    folds = [fold_models / f"{model.stem}.fold{fold}.onnx" for fold in range(PHOTO_FOLDS)]
    missing = [str(path) for path in folds if not path.exists()]
    if missing:
        print(f"error: no fold model {', '.join(missing)} (train with --keep-fold-models)", file=sys.stderr)
        return 2
    photos = load_photos(data, cache, SERVED_COMPLEXITY)
    transcripts = TranscriptFigures()
    for fold, path in enumerate(folds):
        transcripts.add_fold(LetterModel(path), photos.where(photos.groups % PHOTO_FOLDS == fold))
    figures = transcripts.summary()
    if transcripts_out is not None:
        transcripts.write_transcripts(transcripts_out)
    evaluation = {name: split for name, split in card["evaluation"].items() if name not in figures}
    # In the order training writes them: the transcript figures just before calibration's.
    at = list(evaluation).index("calibration_unseen_signers")
    ordered = [*list(evaluation.items())[:at], *figures.items(), *list(evaluation.items())[at:]]
    card["evaluation"] = {**dict(ordered), "transcripts_scored_by": command}
    card["evaluation"]["note"] = evaluation_note(card["evaluation"])
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    print(json.dumps({name: _without_per_letter(split) for name, split in figures.items()}, indent=2))
    return 0


def run_training(
    data: Path,
    out: Path,
    cache: Path,
    settings: FitSettings,
    *,
    evaluate: bool,
    command: str,
    donations: Donations | None = None,
    far_reshoots: int = PHOTO_FAR_RESHOOTS,
    keep_fold_models: bool = False,
) -> int:
    """The whole pipeline; returns an exit code. Without donations, exactly what it was before they existed."""
    started = time.monotonic()
    asl_ai = load_asl_ai(data)
    rows = load_landmark_rows(data)
    photos = {complexity: load_photos(data, cache, complexity) for complexity in PHOTO_COMPLEXITIES}
    reshoots = {complexity: load_photos(data, cache, complexity, PHOTO_RESHOOTS, far_reshoots)
                for complexity in PHOTO_COMPLEXITIES}
    evaluation = held_out_evaluation(asl_ai, rows, photos, reshoots, settings, out, donations,
                                     keep_fold_models=keep_fold_models) if evaluate else {}
    # The donated windows are one more source of recordings (see LetterCatalog: a source is drawn first).
    recorded = [asl_ai] if donations is None else [asl_ai, donations.sequences]
    everything = [rows, *photos.values(), *reshoots.values()]
    network = fit(recorded, everything, settings, "final (all data)")
    parity = export_onnx(network, out, quantization_ranges(recorded, everything, settings))
    shipped = LetterModel(out, card=ModelCard(MODEL_NAME, MODEL_VERSION, LETTERS, outputs_probabilities=True))
    shots, _ = photos[SERVED_COMPLEXITY].shot_windows(HELD_POSE_FRAMES)
    quantized = {**QUANTIZATION, "on_training_photos": quantization_effect(
        network, shipped, [(shot, still_placements(len(shot))) for shot in shots]).card()}
    anchors = anchors_of(shipped, photos[SERVED_COMPLEXITY])
    samples = {"asl-ai": sum(len(s) for s in asl_ai.segments), "asl-translator-landmarks": len(rows.labels),
               "roboflow-asl-letters": len(photos[SERVED_COMPLEXITY].shot_starts())}
    donated = None if donations is None else {"windows": len(donations),
                                              "contributors": donations.contributor_count}
    seconds = round(time.monotonic() - started, 1)
    write_card(out, settings, evaluation, parity=parity, quantization=quantized, seconds=seconds, command=command,
               samples=samples, donations=donated, anchors=anchors)
    print(json.dumps({"model": str(out), "seconds": seconds, "parity_max_abs_diff": parity, "quantization": quantized,
                      **{name: _without_per_letter(split) for name, split in evaluation.items()}}, indent=2))
    return 0


def held_out_evaluation(
    asl_ai: Sequences,
    rows: Poses,
    photos: dict[int, Poses],
    reshoots: dict[int, Poses],
    settings: FitSettings,
    out: Path,
    donations: Donations | None = None,
    *,
    keep_fold_models: bool = False,
) -> dict[str, dict[str, Any]]:
    """Figures on people and images the evaluated model never saw.

    ``photos`` maps a MediaPipe model complexity to the photos' landmarks at
    that complexity, ``reshoots`` to their re-shoots' landmarks; all hold
    the same originals under the same group ids. Only photos are scored.
    With donations from at least two contributors, the donated windows of
    contributors the model never saw are scored too (see
    :func:`donation_scores`). Every split before that is as it was without
    donations: those models never see a donated window. With
    ``keep_fold_models`` each photo fold's model is exported beside ``out``
    (``<stem>.fold<k>.onnx`` and its card), for benches that must not meet
    a photo the model trained on (bench.webcam_motion plays fold 0's).
    """
    early, late = split_recordings(asl_ai, HELD_OUT_TAIL)
    photo_scores = {complexity: Scores() for complexity in photos}
    first_frame_scores = Scores()  # a single look at each photo, as the figures before model 2.2.0 were taken
    motion_scores = Scores()
    transcripts = TranscriptFigures()
    for fold in range(PHOTO_FOLDS):
        # Every augmented copy and re-shoot of an original, at every complexity, stays on one side.
        held = {complexity: p.groups % PHOTO_FOLDS == fold for complexity, p in photos.items()}
        trained_on = [p.where(p.groups % PHOTO_FOLDS != fold) for p in [*photos.values(), *reshoots.values()]]
        network = fit([early], [rows, *trained_on], settings, f"photo fold {fold + 1}/{PHOTO_FOLDS}")
        kept = out.with_name(f"{out.stem}.fold{fold}.onnx") if keep_fold_models else None
        model = served(network, quantization_ranges([early], [rows, *trained_on], settings), kept)
        for complexity, p in photos.items():
            photo_scores[complexity].add(*score_shots(model, p.where(held[complexity])))
        held_photos = photos[SERVED_COMPLEXITY].where(held[SERVED_COMPLEXITY])
        first_frame_scores.add(*score_shots(model, held_photos.first_frames()))
        motion_scores.add(*score_sequences(model, late))
        # J, Z and words drawn by the held-out photos' hands, as the server transcribes them.
        transcripts.add_fold(model, held_photos)
    unseen_signer = fit_served([], [rows, *photos.values(), *reshoots.values()], settings, "without asl-ai")
    unseen_signer_scores = Scores()
    unseen_signer_scores.add(*score_sequences(unseen_signer, asl_ai.of_letters(ASL_AI_MOTION_CHECK)))
    unseen_photos = fit_served([asl_ai], [rows], settings, "without photos")
    unseen_photo_scores = Scores()
    unseen_photo_scores.add(*score_shots(unseen_photos, photos[SERVED_COMPLEXITY]))
    unseen_rows = fit_served([asl_ai], [*photos.values(), *reshoots.values()], settings, "without the second signer")
    unseen_row_scores = Scores()
    unseen_row_scores.add(*score_shots(unseen_rows, rows))
    splits = {
        **{photo_split(complexity): scores for complexity, scores in photo_scores.items()},
        "photos_held_out_originals_first_frame": first_frame_scores,
        "photos_unseen_source": unseen_photo_scores,
        "signer2_unseen_source": unseen_row_scores,
        "asl_ai_held_out_motion": motion_scores,
        "asl_ai_unseen_signer_motion": unseen_signer_scores,
    }
    if donations is not None and donations.contributor_count >= 2:
        splits["donations_held_out_contributors"] = donation_scores(asl_ai, rows, photos, reshoots, settings,
                                                                    donations, fit=fit_served, score=score_windows)
    out.parent.mkdir(parents=True, exist_ok=True)
    plot_confusion({name: scores.confusion() for name, scores in splits.items()},
                   out.with_suffix(".confusion.png"))
    return {**{name: scores.summary() for name, scores in splits.items()},
            **transcripts.summary(),
            # Each signer calibrated as the server calibrates a user, by the model that never saw them.
            "calibration_unseen_signers": calibration_evaluation(unseen_rows, rows, unseen_signer, asl_ai,
                                                                 photos[SERVED_COMPLEXITY])}


def fit_served(sequences: list[Sequences], poses: list[Poses], settings: FitSettings, label: str) -> LetterModel:
    """A network trained as :func:`fit` trains it, as the server runs it (:func:`served`): what evaluations score."""
    return served(fit(sequences, poses, settings, label), quantization_ranges(sequences, poses, settings))


def quantization_ranges(sequences: list[Sequences], poses: list[Poses], settings: FitSettings) -> WindowSet:
    """The windows a network's quantization ranges are measured on: its own training data's."""
    return quantization_windows(sequences, poses, settings.max_frames, settings.sequence_share)


def _without_per_letter(figures: dict[str, Any]) -> dict[str, Any]:
    """What the command prints of a split: everything but the per-letter tables, at any depth."""
    return {key: _without_per_letter(value) if isinstance(value, dict) else value
            for key, value in figures.items() if key != "per_letter"}


def photo_split(complexity: int) -> str:
    """The card's name for the held-out photo figures at one MediaPipe model complexity."""
    return "photos_held_out_originals" + ("" if complexity == SERVED_COMPLEXITY else f"_complexity_{complexity}")


def split_recordings(sequences: Sequences, tail: float) -> tuple[Sequences, Sequences]:
    """The first and last parts of every recording: later frames are a later take of the same letter."""
    early, late, early_places, late_places = [], [], [], []
    for segment, places in zip(sequences.segments, sequences.placements, strict=True):
        cut = int(len(segment) * (1 - tail))
        early.append(segment[:cut])
        late.append(segment[cut:])
        early_places.append(places[:cut])
        late_places.append(places[cut:])
    return Sequences(early, sequences.labels, early_places), Sequences(late, sequences.labels, late_places)


if __name__ == "__main__":
    sys.exit(main())

"""Training pipeline for the Signify letter model: data, augmentation, LSTM, evaluation, ONNX export.

Run from the repository root: ``python -m training train --data ../shared/data``.
PyTorch is a training-only dependency (back/requirements-train.txt); the
server never imports this package.
"""

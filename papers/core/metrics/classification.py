"""Classification metrics of the meme papers (7-9): accuracy and macro-averaged F1.

Labels are integer class ids (0/1 for harmful memes, more classes where a dataset has them).
Macro-F1 is the unweighted mean over classes of F1 = 2 TP / (2 TP + FP + FN); the classes are those
named by `labels`, or else every class found in gold or predictions (sklearn's default). A class with
no gold item and no prediction has F1 0 when it is named in `labels`, as in sklearn
(zero_division=0). Both are checked against sklearn in tests/test_missing_modality_metrics.py.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def _class_ids(values, name: str) -> np.ndarray:
    """`values` as a 1-d integer array, or a TypeError naming `name` (floats, strings and booleans
    are refused: a probability 0.7 must not pass for class 0)."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name}: expected a 1-d sequence of class ids, got shape {array.shape}")
    if array.size and array.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer class ids, got dtype {array.dtype}")
    return array.astype(np.int64)


def _pair(gold, predicted) -> tuple[np.ndarray, np.ndarray]:
    g, p = _class_ids(gold, "gold"), _class_ids(predicted, "predicted")
    if g.shape != p.shape:
        raise ValueError(f"gold has {g.size} items, predictions {p.size}")
    if not g.size:
        raise ValueError("no items to score")
    return g, p


def accuracy(gold, predicted) -> float:
    """Share of items whose prediction equals the gold class."""
    g, p = _pair(gold, predicted)
    return float((g == p).mean())


def macro_f1(gold, predicted, labels: Sequence[int] | None = None) -> float:
    """Unweighted mean over classes of each class's F1 (sklearn's f1_score(average="macro"))."""
    g, p = _pair(gold, predicted)
    classes = np.unique(np.concatenate([g, p])) if labels is None else _class_ids(list(labels), "labels")
    scores = []
    for c in classes:
        tp = int(((g == c) & (p == c)).sum())
        wrong = int(((g == c) != (p == c)).sum())  # FP + FN
        scores.append(2 * tp / (2 * tp + wrong) if tp + wrong else 0.0)
    return float(np.mean(scores))


def trivial_predictions(gold, seed: int) -> dict[str, np.ndarray]:
    """The two trivial predictors of a binary task that every meme table stands beside: the most
    frequent gold label everywhere, and a seeded fair coin ("chance")."""
    gold = _class_ids(gold, "gold")
    majority = int(np.bincount(gold, minlength=2).argmax())
    return {"most frequent": np.full(len(gold), majority),
            "chance": np.random.default_rng(seed).integers(0, 2, len(gold))}

"""Which test memes lose their text, and what a method sees in its place.

Text goes missing at test time, as when OCR fails: for a rate r, exactly round(r * n) of the n test
memes lose it, drawn by a seeded permutation. The masks of one seed are nested (the memes missing
at 25% are missing at 50% too), so a curve over the rates changes one thing at a time.

A method that needs a text vector where there is none gets a stand-in (config `text_stand_in`):
`zero`, the zero vector (what a fusion model fed an empty input usually sees), or `mean`, the mean
text vector of the training memes.
"""
from __future__ import annotations

import numpy as np

STAND_INS = ("zero", "mean")


def text_missing_mask(n: int, rate: float, seed: int) -> np.ndarray:
    """A boolean mask over n memes, True where the text is missing: exactly round(rate * n) of them,
    the first of a permutation drawn with `seed` (so a higher rate's mask contains a lower one's)."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if not isinstance(rate, (int, float, np.floating)) or isinstance(rate, bool):
        raise TypeError(f"rate must be a number, got {type(rate).__name__}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if n < 0 or not 0.0 <= rate <= 1.0:
        raise ValueError(f"need n >= 0 and 0 <= rate <= 1, got n = {n}, rate = {rate}")
    order = np.random.default_rng(seed).permutation(n)
    mask = np.zeros(n, dtype=bool)
    mask[order[:int(round(rate * n))]] = True
    return mask


def stand_in_vector(train_text: np.ndarray, kind: str) -> np.ndarray:
    """The vector a missing text is replaced with: zeros, or the mean training text vector."""
    if not isinstance(train_text, np.ndarray) or train_text.ndim != 2:
        raise TypeError("train_text must be a 2-d numpy array (memes x dimensions)")
    if kind not in STAND_INS:
        raise ValueError(f"unknown text stand-in {kind!r}; expected one of {STAND_INS}")
    if kind == "zero":
        return np.zeros(train_text.shape[1], dtype=np.float32)
    return train_text.mean(axis=0).astype(np.float32)


def with_stand_in(text: np.ndarray, missing: np.ndarray, stand_in: np.ndarray) -> np.ndarray:
    """A copy of the text features with every missing row replaced by the stand-in."""
    if not isinstance(text, np.ndarray) or not isinstance(missing, np.ndarray):
        raise TypeError("text and missing must be numpy arrays")
    if missing.dtype != bool or missing.shape != (len(text),):
        raise ValueError(f"missing must be a boolean mask of {len(text)} rows, got {missing.dtype} {missing.shape}")
    out = text.astype(np.float32, copy=True)
    out[missing] = stand_in
    return out

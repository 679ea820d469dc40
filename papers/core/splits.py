"""Train / validation / test splits by prompt (papers 1-2 use 80/10/10).

A prompt's split is a pure function of (seed, prompt id): the sha256 of both, read as a number in
[0, 1), against the cumulative fractions. So every response of one prompt lands in the same split (no
prompt seen in training is tested on), a split never changes when other prompts are added or
removed, and the same seed gives the same split on any machine. Sizes are exact in expectation, not
per run: with n prompts each split is off by about sqrt(n) at most.
"""
from __future__ import annotations

import hashlib
from typing import Sequence

SPLITS = ("train", "validation", "test")


def position(prompt_id: str, seed: int) -> float:
    """The prompt's place in [0, 1): the sha256 of (seed, prompt id) read as a number. Ranking prompts
    by it gives a seeded order that does not depend on which other prompts are present."""
    digest = hashlib.sha256(f"{seed}:{prompt_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0 ** 64


def split_of(prompt_id: str, seed: int, fractions: Sequence[float] = (0.8, 0.1, 0.1)) -> str:
    if len(fractions) != len(SPLITS) or any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
    u = position(prompt_id, seed)
    edge = 0.0
    for name, fraction in zip(SPLITS, fractions):
        edge += fraction
        if u < edge:
            return name
    return SPLITS[-1]


def assign_splits(prompt_ids: Sequence[str], seed: int,
                  fractions: Sequence[float] = (0.8, 0.1, 0.1)) -> list[str]:
    return [split_of(str(pid), seed, fractions) for pid in prompt_ids]

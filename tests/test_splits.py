"""Splits by prompt: stable, seeded, close to 80/10/10, never splitting one prompt's responses."""
from collections import Counter

import pytest

from papers.core.splits import assign_splits, split_of


def test_fractions_hold_on_many_prompts():
    counts = Counter(assign_splits([f"p{i}" for i in range(20000)], seed=42))
    assert counts["train"] / 20000 == pytest.approx(0.8, abs=0.01)
    assert counts["validation"] / 20000 == pytest.approx(0.1, abs=0.01)
    assert counts["test"] / 20000 == pytest.approx(0.1, abs=0.01)


def test_stable_under_additions_and_seeded():
    ids = [f"p{i}" for i in range(500)]
    first = dict(zip(ids, assign_splits(ids, seed=1)))
    more = dict(zip(ids + ["new1", "new2"], assign_splits(ids + ["new1", "new2"], seed=1)))
    assert all(first[i] == more[i] for i in ids)
    assert assign_splits(ids, seed=1) != assign_splits(ids, seed=2)


def test_edge_fractions_and_errors():
    assert set(assign_splits([str(i) for i in range(100)], 0, (1.0, 0.0, 0.0))) == {"train"}
    assert set(assign_splits([str(i) for i in range(100)], 0, (0.0, 0.0, 1.0))) == {"test"}
    with pytest.raises(ValueError):
        split_of("p", 0, (0.5, 0.5, 0.5))

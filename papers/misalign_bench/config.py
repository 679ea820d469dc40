"""Mis-Align Bench's checks of its config section that the schema cannot express
(papers/core/config.py calls problems() for every paper of papers.PAPERS)."""
from __future__ import annotations


def problems(config: dict) -> list[str]:
    splits = config["misalign_bench"]["splits"]
    if abs(sum(splits) - 1) > 1e-9:
        return [f"misalign_bench.splits: {splits} must sum to 1"]
    return []

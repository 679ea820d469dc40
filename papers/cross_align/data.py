"""Which memes each CROSS-ALIGN+ step sees, and what of them (image, text, knowledge block).

    test = select_memes(memes, "test", n=12, seed=42)                       # answers: a seeded sample
    train = select_memes(memes, "train", n=16, seed=42, task="harmfulness")  # Stage II: balanced
    inputs = meme_inputs(test, facts, sources=("conceptnet", "lexicon"))     # cascade.Meme per row
    memes_seen = seen_memes(benchmarks, tables, sample=12, train_examples=16, seed=42)  # describe.py

Benchmarks (config `cross_align.benchmarks`) name a task and the vision core's meme table it is read
from; several mini benchmarks share one table, and then one sample of test memes (the seed does not
depend on the task), so a meme's evidence (Stage III, task-independent) is asked once.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from papers.core.knowledge.sources import SOURCES
from papers.core.llm.types import image

from .cascade import Meme
from .enrich import enrichment_text
from .tasks import task_labels


def select_memes(memes: pd.DataFrame, split: str, n: int, seed: int, task: str | None = None) -> pd.DataFrame:
    """Up to `n` memes of `split` drawn with `seed`, in table order: stratified by the table's own
    `label` in the split's proportions (a plain draw of 12 Harm-C memes held 10 harmful), or with
    `task`, balanced: half of each class where the split has enough (Stage II learns the boundary,
    not the majority class)."""
    if not isinstance(memes, pd.DataFrame) or "split" not in memes.columns:
        raise TypeError("memes must be a meme table (papers.core.vision.memes) with a split column")
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    pool = memes[memes["split"] == split]
    if pool.empty:
        raise ValueError(f"the meme table has no {split} memes")
    rng = np.random.default_rng(seed)
    if n >= len(pool):
        return pool
    labels = (pool["label"] if task is None else task_labels(pool, task)).to_numpy()
    positive = round(n * labels.mean()) if task is None else n // 2
    positions = []
    for cls, share in ((1, positive), (0, n - positive)):
        own = np.flatnonzero(labels == cls)
        positions += list(rng.choice(own, size=min(share, len(own)), replace=False))
    # a class short of its half leaves its places to the other class
    rest = np.setdiff1d(np.arange(len(pool)), positions)
    if len(positions) < n and len(rest):
        positions += list(rng.choice(rest, size=min(n - len(positions), len(rest)), replace=False))
    return pool.iloc[np.sort(positions)]


def meme_inputs(memes: pd.DataFrame, facts: dict[str, list[dict]], sources: tuple[str, ...] | None = SOURCES,
                pictured: dict[str, list[dict]] | None = None) -> list[Meme]:
    """Each meme as the steps see it; `sources` = the knowledge sources switched on (None: no
    knowledge block at all, the base prompt); `pictured` = the facts linked from the LVLM's
    description of each picture (describe.py; None when the config does not describe)."""
    out = []
    for meme_id, text, path in zip(memes["id"], memes["text"], memes["image"]):
        knowledge = "" if sources is None else enrichment_text(
            facts.get(str(meme_id), []), sources, (pictured or {}).get(str(meme_id), []))
        out.append(Meme(str(meme_id), str(text), image(path, label=f"meme {meme_id}"), knowledge))
    return out


def seen_memes(benchmarks: dict, tables: dict[str, pd.DataFrame], sample: int, train_examples: int, seed: int
               ) -> dict[str, pd.DataFrame]:
    """Per dataset, every meme a step shows the LVLM: each benchmark's test sample (answers.py) and
    its training memes (adapters.py), drawn exactly as they draw them, in table order."""
    seen: dict[str, set] = {}
    for spec in benchmarks.values():
        table = tables[spec["dataset"]]
        ids = seen.setdefault(spec["dataset"], set())
        ids |= set(select_memes(table, "test", sample, seed)["id"])
        ids |= set(select_memes(table, "train", train_examples, seed, task=spec["task"])["id"])
    return {d: tables[d][tables[d]["id"].isin(ids)] for d, ids in seen.items()}

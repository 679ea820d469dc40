"""Does the classifier carry information? Its labels against gold, next to two trivial baselines.

Per dimension, every (prompt, domain) label counts once: precision = agreeing labels / predicted
labels, recall = agreeing labels / gold labels, F1 their harmonic mean (micro-averaged over the
dimension's domains, the same for every row). The baselines (each one label per prompt and dimension,
never "none"):
- most frequent: every prompt gets the dimension's most frequent gold domain (ties: taxonomy order);
- nearest name: every prompt gets the domain whose display name is nearest to the prompt by cosine
  of sentence embeddings (the `embedder` role, all-MiniLM-L6-v2).
A classifier that does not beat both on prompts it was not tuned on carries no usable signal.
"""
from __future__ import annotations

import random
from collections import Counter
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ..taxonomy import Taxonomy
from .reclassify import shortlists

Labels = Mapping[str, Sequence[str]]  # prompt_id -> domain keys
METHODS = ("classifier", "most frequent", "nearest name")


def most_frequent_labels(gold: Labels, taxonomy: Taxonomy, prompt_ids: Sequence[str]) -> dict[str, list[str]]:
    """Each of prompt_ids gets, per dimension, the most frequent domain of `gold` (a dimension no
    gold label has gets nothing). `gold` may be another set of prompts (a tuning half)."""
    counts = Counter(d for labels in gold.values() for d in labels)
    picks = []
    for dim in taxonomy.dimensions():
        domains = [d.key for d in taxonomy.of(dim)]
        best = max(domains, key=lambda k: counts[k])  # max keeps the first of a tie: taxonomy order
        if counts[best]:
            picks.append(best)
    return {pid: list(picks) for pid in prompt_ids}


def nearest_name_labels(prompts: Mapping[str, str], taxonomy: Taxonomy, embedder) -> dict[str, list[str]]:
    """Per prompt and dimension, the domain whose display name has the highest cosine to the prompt
    (a shortlist of one, reclassify.shortlists). `embedder`: a model with embed() (a CachedModel of
    the `embedder` role)."""
    if not prompts:
        return {}
    near = shortlists(pd.DataFrame({"prompt_id": list(prompts), "prompt": list(prompts.values())}),
                      taxonomy, 1, embedder)
    return {pid: [near[pid, dim][0].key for dim in taxonomy.dimensions()] for pid in prompts}


def label_scores(predicted: Labels, gold: Labels, taxonomy: Taxonomy) -> pd.DataFrame:
    """Micro precision, recall and F1 per dimension over the prompts of `gold` (a prompt missing
    from `predicted` has no labels). An empty denominator gives NaN (precision, recall) or 0 (F1
    when both are 0 or NaN: nothing right)."""
    dim_of = {d.key: d.dimension for d in taxonomy.domains}
    rows = []
    for dim in taxonomy.dimensions():
        tp = n_pred = n_gold = 0
        for pid, g in gold.items():
            g = {k for k in g if dim_of.get(k) == dim}
            p = {k for k in predicted.get(pid, ()) if dim_of.get(k) == dim}
            tp, n_pred, n_gold = tp + len(g & p), n_pred + len(p), n_gold + len(g)
        precision = tp / n_pred if n_pred else np.nan
        recall = tp / n_gold if n_gold else np.nan
        f1 = 2 * tp / (n_pred + n_gold) if n_pred + n_gold else np.nan
        rows.append({"Dimension": dim, "Gold labels": n_gold, "Kept labels": n_pred, "Agree": tp,
                     "Precision": precision, "Recall": recall, "F1": f1})
    return pd.DataFrame(rows)


def agreement_table(results: Mapping[str, Labels], gold: Labels, taxonomy: Taxonomy) -> pd.DataFrame:
    """One row per (dimension, method), methods in the order given, dimensions in taxonomy order."""
    frames = [label_scores(pred, gold, taxonomy).assign(Method=name) for name, pred in results.items()]
    table = pd.concat(frames, ignore_index=True)
    order = {d: i for i, d in enumerate(taxonomy.dimensions())}
    table = table.sort_values("Dimension", key=lambda s: s.map(order), kind="stable")
    return table[["Dimension", "Method", *[c for c in table.columns if c not in ("Dimension", "Method")]]
                 ].reset_index(drop=True)


def split_halves(prompt_ids: Sequence[str], seed: int) -> tuple[list[str], list[str]]:
    """(tuning, held_out): a seeded shuffle cut in two (held-out gets the odd one); sorted ids in,
    so the split does not depend on the pool's row order."""
    ids = sorted(prompt_ids)
    random.Random(seed).shuffle(ids)
    half = len(ids) // 2
    return ids[:half], ids[half:]

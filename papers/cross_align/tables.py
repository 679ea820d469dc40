"""CROSS-ALIGN+'s tables, each a function named after its file (table_<stem>.{csv,md,tex}).

- table_variants: LVLM x benchmark macro-F1 of base, +I, +I+II and full, with the relative gain over
  base (the paper's measure: F1 / F1_base - 1) and over the previous stage, beside the trivial rows
  of each benchmark: the most frequent gold label and a seeded fair coin ("chance"). `vs_trivial`
  says plainly whether a model's cell beats the better of the two.
- table_ablation: +I+II with each knowledge source switched off, its macro-F1 change, and how many
  memes' knowledge block the switch changed at all (0: the ablation is vacuous there).
- table_explanations: the first `per_benchmark` memes of each benchmark with their cascade.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from papers.core.knowledge.sources import SOURCES
from papers.core.metrics.classification import macro_f1, trivial_predictions

from .answers import ABLATED, VARIANTS, without
from .enrich import HEADER, PICTURE_HEADER

TRIVIAL = ("most frequent", "chance")


def _f1(cell: pd.DataFrame) -> float:
    return macro_f1(cell["gold"].to_numpy(), cell["prediction"].to_numpy(), [0, 1])


def table_variants(answers: pd.DataFrame, seed: int) -> pd.DataFrame:
    rows = []
    for bench, own in answers.groupby("benchmark", sort=False):
        gold = own[own["variant"] == "base"].drop_duplicates("id")["gold"].to_numpy()
        trivial = {name: macro_f1(gold, pred, [0, 1]) for name, pred in trivial_predictions(gold, seed).items()}
        for model, cells in own.groupby("model", sort=False):
            scores = {v: _f1(cells[cells["variant"] == v]) for v in VARIANTS}
            for i, variant in enumerate(VARIANTS):
                cell = cells[cells["variant"] == variant]
                f1, base, previous = scores[variant], scores["base"], scores[VARIANTS[max(i - 1, 0)]]
                rows.append({"model": model, "kind": "model", "benchmark": bench, "task": cell["task"].iloc[0],
                             "variant": variant, "adapter": bool((cell["adapter"] != "").any()), "memes": len(cell),
                             "macro_f1": f1, "relative_gain": f1 / base - 1 if base > 0 else np.nan,
                             "gain_over_previous": f1 - previous if i else 0.0,
                             "predicted_positive": float(cell["prediction"].mean()),
                             "vs_trivial": "above" if f1 > max(trivial.values()) else "at or below trivial"})
        for name, f1 in trivial.items():
            rows.append({"model": name, "kind": "trivial", "benchmark": bench, "task": own["task"].iloc[0],
                         "variant": "-", "adapter": False, "memes": len(gold), "macro_f1": f1,
                         "relative_gain": np.nan, "gain_over_previous": np.nan,
                         "predicted_positive": float(trivial_predictions(gold, seed)[name].mean()), "vs_trivial": "-"})
    return pd.DataFrame(rows)


def table_ablation(answers: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (model, bench), own in answers.groupby(["model", "benchmark"], sort=False):
        full = own[own["variant"] == ABLATED].set_index("id")
        f1 = _f1(full)
        for source in SOURCES:
            cell = own[own["variant"] == without(source)].set_index("id")
            changed = int((cell["knowledge"] != full.loc[cell.index, "knowledge"]).sum())
            ablated = _f1(cell)
            rows.append({"model": model, "benchmark": bench, "task": own["task"].iloc[0], "without": source,
                         "memes": len(cell), "memes_changed": changed, "macro_f1_all_sources": f1,
                         "macro_f1_without": ablated, "delta_macro_f1": ablated - f1,
                         "predictions_changed": int((cell["prediction"] != full.loc[cell.index, "prediction"]).sum())})
    return pd.DataFrame(rows)


def _one_line(text: str) -> str:
    """A cell of the Markdown table: OCR text and generations keep their words, not their line breaks."""
    return " / ".join(line.strip() for line in text.splitlines() if line.strip())


def table_explanations(explanations: pd.DataFrame, per_benchmark: int) -> pd.DataFrame:
    from .prompts import task_text

    rows = []
    for (model, bench), own in explanations.groupby(["model", "benchmark"], sort=False):
        for r in own.head(per_benchmark).itertuples():
            names = task_text(r.task).labels
            rows.append({"model": model, "benchmark": bench, "id": r.id, "text": _one_line(r.text),
                         "knowledge": _one_line(r.knowledge.replace(HEADER, "from the text:")
                                                .replace(PICTURE_HEADER, "from the picture:")) or "(none linked)",
                         "evidence": _one_line(r.evidence), "reasoning": _one_line(r.reasoning),
                         "verdict": r.verdict, "p_positive": r.p_positive, "gold": names[r.gold]})
    return pd.DataFrame(rows)

"""AlignX's tables; each function is named after its file (table_<stem>.{csv,md,tex})."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .router import expected_calibration_error, reliability
from .routing import GATES, ROUTERS

N_BINS = 10  # the released Computational_Calibration.py's bins


def _calibration_row(name: str, terms: str, gates: np.ndarray, labels: np.ndarray) -> dict:
    bins = reliability(gates, labels, N_BINS)
    return {"router": name, "calibration": terms, "prompts": len(labels),
            "accuracy": float((gates.argmax(axis=1) == labels).mean()),
            "confidence": float(gates.max(axis=1).mean()),
            "ece": expected_calibration_error(gates, labels, N_BINS),
            "bins_used": sum(1 for b in bins if b["count"])}


def table_router_calibration(gates: pd.DataFrame) -> pd.DataFrame:
    """Per router, on the test prompts: the share whose top gate is their own axis (accuracy), the
    mean top gate (confidence) and the ECE (10 equal-width bins); last, the uniform router (every
    gate 1/3; its top gate is the first expert, helpful), the trivial baseline: calibrated by
    construction when the axes are balanced, and right only by chance."""
    if not isinstance(gates, pd.DataFrame):
        raise TypeError(f"gates must be a DataFrame, got {type(gates).__name__}")
    test = gates[gates["split"] == "test"]
    rows = []
    for name, (natural, fractal) in ROUTERS.items():
        own = test[test["router"] == name]
        terms = " + ".join(t for t, on in (("natural", natural), ("fractal", fractal)) if on) or "none"
        rows.append(_calibration_row(name, terms, own[GATES].to_numpy(), own["label"].to_numpy()))
    labels = test.loc[test["router"] == "softmax", "label"].to_numpy()
    rows.append(_calibration_row("uniform", "none (chance)", np.full((len(labels), len(GATES)), 1 / len(GATES)),
                                 labels))
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- the methods' answers, judged

MAIN_METHODS = {"base": "trivial baseline: the backbone, no adapter", "sft": "baseline: multi-objective SFT",
                "softmax": "baseline: uncalibrated softmax router", "topk_moe": "baseline: top-k LoRA MoE",
                "alignx": "AlignX (MoCaE)"}
ABLATION_METHODS = {"alignx": "AlignX (MoCaE)", "no_injection": "without injection",
                    "no_natural": "without the natural term", "no_fractal": "without the fractal term"}


def _scores(part: pd.DataFrame, threshold: float) -> dict:
    """Win rate, violation rate and True*Info of one backbone's method, with Wilson intervals."""
    from .evaluate import truthfulqa_rates, violation_rate, win_rate

    def values(measure):
        return part.loc[part["measure"] == measure].sort_values("prompt_id")["value"].tolist()

    rates = {"win_rate": win_rate(values("win")), "violations": violation_rate(values("p_unsafe"), threshold),
             **{k: v for k, v in truthfulqa_rates(values("p_true"), values("p_info"), threshold).items()
                if k == "true_info"}}
    row = {}
    for name, rate in rates.items():
        row.update({name: rate.value, f"{name}_low": rate.low, f"{name}_high": rate.high, f"{name}_n": rate.n})
    return row


def _method_table(judgments: pd.DataFrame, methods: dict, threshold: float) -> pd.DataFrame:
    if not isinstance(judgments, pd.DataFrame):
        raise TypeError(f"judgments must be a DataFrame, got {type(judgments).__name__}")
    rows = []
    for backbone in dict.fromkeys(judgments["backbone"]):
        for method, role in methods.items():
            part = judgments[(judgments["backbone"] == backbone) & (judgments["method"] == method)]
            rows.append({"backbone": backbone, "method": method, "role": role, **_scores(part, threshold)})
    return pd.DataFrame(rows)


RELATIVE = ("win_rate", "violations", "true_info")


def table_main_results(judgments: pd.DataFrame, threshold: float = 0.5) -> pd.DataFrame:
    """Backbone x method: the Alpaca win rate against the reference (ties 0.5), the BeaverTails
    violation rate (P(unsafe) >= threshold) and TruthfulQA % True*Info, each with its 95% Wilson
    interval and count, and each relative to the base model of the same backbone (<measure>_vs_base
    = value / base value - 1: the paper's "+171.5% win rate" form; nan where the base value is 0);
    the base model (no adapter) is the trivial baseline in the first row."""
    table = _method_table(judgments, MAIN_METHODS, threshold)
    base = table[table["method"] == "base"].set_index("backbone")
    for measure in RELATIVE:
        reference = table["backbone"].map(base[measure]).replace(0.0, np.nan)
        table[f"{measure}_vs_base"] = table[measure] / reference - 1
    return table


def table_ablations(judgments: pd.DataFrame, threshold: float = 0.5) -> pd.DataFrame:
    """AlignX against itself without injection and without each calibration term, same columns."""
    return _method_table(judgments, ABLATION_METHODS, threshold)


def efficiency_table(timings: pd.DataFrame) -> pd.DataFrame:
    """Per backbone and timed method (answers.time_methods, each in a fresh process): wall and CPU
    seconds per prompt, the memory once the model was loaded and the peak while answering (the
    accelerator's allocation on a GPU, the process's peak resident memory on a CPU), latency and peak
    memory relative to the top-k LoRA MoE (AlignX's are the paper's "lower latency and memory than
    prior MoEs"). A timing, written under results/benchmarks/alignx/ (so not named table_*: those are
    results/<paper>/ files, tests/test_two_hops.py)."""
    if not isinstance(timings, pd.DataFrame):
        raise TypeError(f"timings must be a DataFrame, got {type(timings).__name__}")
    rows = []
    for backbone, own in timings.groupby("backbone", sort=False):
        moe = own.set_index("method").loc["topk_moe"]
        for r in own.itertuples(index=False):
            per_prompt, moe_per_prompt = r.seconds / r.prompts, moe["seconds"] / moe["prompts"]
            rows.append({"backbone": backbone, "method": r.method, "prompts": r.prompts,
                         "seconds_per_prompt": per_prompt, "cpu_seconds_per_prompt": r.cpu_seconds / r.prompts,
                         "latency_vs_moe": per_prompt / moe_per_prompt - 1,
                         "loaded_memory_mb": r.loaded_memory_mb, "peak_memory_mb": r.peak_memory_mb,
                         "memory": r.memory, "memory_vs_moe": r.peak_memory_mb / moe["peak_memory_mb"] - 1})
    return pd.DataFrame(rows)

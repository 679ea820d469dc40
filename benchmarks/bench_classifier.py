"""Does the mini classifier carry information? F1 per dimension on held-out gold prompts, next to
two trivial baselines, and the time per prompt of each classifier setting.

    .venv/bin/python benchmarks/bench_classifier.py [--config config/config.yaml] [--cache FILE]
                                                    [--time-prompts 8]

The gold pool (construct.prompt_pool) is cut in two halves with the config's seed
(papers/core/construct/agreement.py: split_halves); settings were chosen on the tuning half, and
everything here is measured on the held-out half:
- classifier, every domain: every domain of a dimension is an option (the papers' method, and the
  mini setting before the shortlist), with the config's calibration;
- classifier, config: the config's setting (construct.shortlist; the same as above when it is 0);
- most frequent: every prompt gets the tuning half's most frequent domain of each dimension;
- nearest name: every prompt gets, per dimension, the domain whose name is nearest by the embedder.
Micro precision / recall / F1 per dimension (agreement.label_scores), delta from the config.
Model calls go through --cache (default: the DAG's, so after `make` the config's setting is free).
Timing: each setting classifies the same --time-prompts held-out prompts with an empty cache of its
own, in this process, on one torch thread, models loaded beforehand; it includes the setting's
embeddings and content-free requests. A loaded machine slows both alike (compare the ratio).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from papers.core.cli import open_model  # noqa: E402
from papers.core.config import model_entry  # noqa: E402
from papers.core.construct.agreement import (label_scores, most_frequent_labels, nearest_name_labels,  # noqa: E402
                                             split_halves)
from papers.core.construct.reclassify import labels_at, reclassify  # noqa: E402
from papers.core.prompt_pool import load_prompt_pool  # noqa: E402
from papers.core.taxonomy import load_taxonomy  # noqa: E402


def settings(construct: dict) -> dict[str, dict]:
    every = {"calibration": construct["calibration"], "shortlist": 0}
    mine = {"calibration": construct["calibration"], "shortlist": construct.get("shortlist", 0)}
    return {"classifier, every domain": every, "classifier, config": mine} if mine != every \
        else {"classifier, config": mine}


def classify(pool, taxonomy, classifier, embedder, delta, setting) -> dict[str, list[str]]:
    extra = {"embedder": embedder} if setting["shortlist"] else {}
    return labels_at(reclassify(pool, taxonomy, classifier, delta, **setting, **extra), delta)


def timed(pool, taxonomy, entries, delta, setting) -> float:
    """Seconds per prompt of one setting, with an empty cache (real forward passes and embeddings)."""
    with tempfile.TemporaryDirectory() as tmp:
        classifier = open_model(entries["classifier"], f"{tmp}/calls.sqlite", 1, desc="timed")
        embedder = open_model(entries["embedder"], f"{tmp}/calls.sqlite", 1, desc="timed")
        warm = pd.DataFrame({"prompt_id": ["warm"], "prompt": ["Load the models first."],
                             "gold_domains": [[]]})
        classify(warm, taxonomy, classifier, embedder, delta, {**setting, "shortlist": 1})
        start = time.perf_counter()
        classify(pool, taxonomy, classifier, embedder, delta, setting)
        return (time.perf_counter() - start) / len(pool)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default="config/config.yaml")
    p.add_argument("--cache", help="model-call cache (default: the config's)")
    p.add_argument("--time-prompts", type=int, default=8, help="held-out prompts timed per setting (0: none)")
    a = p.parse_args()
    config = yaml.safe_load(Path(a.config).read_text())
    construct, delta = config["construct"], config["construct"]["delta"]
    entries = {role: json.dumps(model_entry(config, role), sort_keys=True) for role in ("classifier", "embedder")}
    taxonomy = load_taxonomy(construct["taxonomy"])
    pool = load_prompt_pool(construct["prompt_pool"], taxonomy)
    tuning, held_out = split_halves(list(pool["prompt_id"]), config["seed"])
    held = pool[pool["prompt_id"].isin(held_out)].reset_index(drop=True)
    gold = {pid: list(g) for pid, g in zip(held["prompt_id"], held["gold_domains"])}
    tuning_gold = {pid: list(g) for pid, g in zip(pool["prompt_id"], pool["gold_domains"]) if pid in set(tuning)}
    cache = a.cache or config["cache"]
    classifier = open_model(entries["classifier"], cache, 1, desc="classify")
    embedder = open_model(entries["embedder"], cache, 1, desc="embed")

    results = {name: classify(held, taxonomy, classifier, embedder, delta, s)
               for name, s in settings(construct).items()}
    results["most frequent"] = most_frequent_labels(tuning_gold, taxonomy, list(gold))
    results["nearest name"] = nearest_name_labels(dict(zip(held["prompt_id"], held["prompt"])), taxonomy, embedder)
    table = pd.concat([label_scores(labels, gold, taxonomy).assign(method=name) for name, labels in results.items()])
    print(f"Held-out half: {len(held)} prompts (seed {config['seed']}), delta {delta:g}, micro F1 per dimension "
          f"(precision / recall in brackets)\n")
    f1 = table.pivot(index="method", columns="Dimension", values="F1").loc[list(results), taxonomy.dimensions()]
    pr = table.set_index(["method", "Dimension"])
    for method, row in f1.iterrows():
        cells = [f"{row[d]:.3f} ({pr.loc[(method, d), 'Precision']:.2f} / {pr.loc[(method, d), 'Recall']:.2f})"
                 for d in f1.columns]
        print(f"  {method:<26}" + "".join(f"{d}: {c:<22}" for d, c in zip(f1.columns, cells)))
    mine = f1.loc["classifier, config"]
    beats = all(mine[d] > max(f1.loc["most frequent", d], f1.loc["nearest name", d]) for d in f1.columns)
    print(f"\n  the config's classifier beats both baselines on every dimension: {'yes' if beats else 'NO'}")

    if a.time_prompts:
        timing = held.head(a.time_prompts)
        print(f"\nTime per prompt (all dimensions), {len(timing)} held-out prompts, empty cache, one thread:")
        for name, s in settings(construct).items():
            print(f"  {name:<26}{timed(timing, taxonomy, entries, delta, s):.2f} s")


if __name__ == "__main__":
    main()

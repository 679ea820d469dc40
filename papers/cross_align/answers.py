"""One LVLM's answers on every benchmark's test memes, in every variant, and the explanations.

    python -m papers.cross_align.answers --benchmarks JSON --memes harm_c=... --knowledge harm_c=... \
        --lvlm JSON --name mini-lvlm --adapters DIR... --sample 12 --seed 42 --explanation-tokens 32 \
        --cache results/cache/llm_calls.sqlite --out results/cross_align/answers/mini-lvlm.parquet \
        --out-explanations results/cross_align/explanations/mini-lvlm.parquet

Variants (the paper's table: base, +I, +I+II, full), each the same test memes of a benchmark:
- base: the image, the text and the question (prompts.answer_content), the bare LVLM;
- +I: the same with the meme's Stage I knowledge block (every source; linked from the text, and from
  the LVLM's description of the picture where the config asks for one: describe.py);
- +I+II: +I asked with the benchmark's Stage II adapter;
- full: +I+II with Stage III's cascade (cascade.py): evidence, reasoning, verdict;
- the knowledge-source ablation: +I+II with one source switched off ("+I+II w/o conceptnet"...).
  Measured on +I+II, not on full: the full cascade would generate every meme's evidence and
  reasoning again per source, several times the module's mini budget (README).
Every verdict is option scoring over the task's two label names. An LVLM given no adapters (one that
cannot be trained here: an API model) answers +I+II and full with the bare model; the `adapter`
column says so. All score requests of the first four kinds go to the model in one list, then the
cascade's three batches; everything through the call cache.

Outputs (Parquet): answers, one row per (benchmark, variant, meme): model, benchmark, task, variant,
adapter, id, gold, knowledge, logp_negative, logp_positive, p_positive, prediction; explanations, one
row per (benchmark, meme): model, benchmark, task, id, text, gold, knowledge, evidence, reasoning,
p_positive, prediction, verdict.
"""
from __future__ import annotations

import json
import logging

import pandas as pd

from papers.core.knowledge.sources import SOURCES
from papers.core.llm.types import Sampling, ScoreRequest, chat

from .cascade import read_verdict, run_cascade
from .data import meme_inputs, select_memes
from .prompts import answer_content, task_text
from .tasks import task_labels

log = logging.getLogger("pluralign")

VARIANTS = ("base", "+I", "+I+II", "full")
ABLATED = "+I+II"  # the variant the knowledge-source ablation switches sources off in


def without(source: str) -> str:
    return f"{ABLATED} w/o {source}"


ANSWER_COLUMNS = ["model", "benchmark", "task", "variant", "adapter", "id", "gold", "knowledge", "logp_negative",
                  "logp_positive", "p_positive", "prediction"]
EXPLANATION_COLUMNS = ["model", "benchmark", "task", "id", "text", "gold", "knowledge", "evidence", "reasoning",
                       "p_positive", "prediction", "verdict"]


def score_variants(benchmark: str, task: str, memes: pd.DataFrame, facts: dict, adapter: str,
                   pictured: dict | None = None) -> tuple[list[dict], list[ScoreRequest]]:
    """Records (without scores) and score requests of base, +I, +I+II and the ablation; `pictured`:
    the facts linked from the pictures' descriptions (describe.py), if any."""
    gold = task_labels(memes, task).to_numpy()
    settings = [("base", None, ""), ("+I", SOURCES, ""), ("+I+II", SOURCES, adapter)]
    settings += [(without(s), tuple(x for x in SOURCES if x != s), adapter) for s in SOURCES]
    records, requests = [], []
    for variant, sources, used in settings:
        for m, label in zip(meme_inputs(memes, facts, sources, pictured), gold):
            records.append({"benchmark": benchmark, "task": task, "variant": variant, "adapter": used, "id": m.id,
                            "gold": int(label), "knowledge": m.knowledge})
            requests.append(ScoreRequest(chat(("user", answer_content(m.picture, m.text, task, m.knowledge))),
                                         task_text(task).labels, adapter=used))
    return records, requests


def answer_benchmarks(model, name: str, benchmarks: dict, tables: dict, facts: dict, adapters: dict[str, str],
                      sample: int, seed: int, sampling: Sampling, pictured: dict | None = None
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(answers, explanations) of one LVLM (module docstring); `adapters`: benchmark -> the adapter name
    its requests use ("" for none); `pictured`: dataset -> the facts linked from this LVLM's
    descriptions of its pictures (describe.py; None when the config does not describe)."""
    pictured = pictured or {}
    if not isinstance(benchmarks, dict) or not benchmarks:
        raise TypeError("benchmarks must be a non-empty dict: name -> {task, dataset}")
    chosen = {b: select_memes(tables[spec["dataset"]], "test", sample, seed) for b, spec in benchmarks.items()}
    records, requests = [], []
    for bench, spec in benchmarks.items():
        r, q = score_variants(bench, spec["task"], chosen[bench], facts[spec["dataset"]], adapters.get(bench, ""),
                              pictured.get(spec["dataset"]))
        records += r
        requests += q
    for record, scores in zip(records, model.score(requests)):
        record.update(model=name, **{k: v for k, v in read_verdict(record["task"], scores).items() if k != "verdict"})
    explanations = []
    for bench, spec in benchmarks.items():
        memes, task = chosen[bench], spec["task"]
        gold = task_labels(memes, task).to_numpy()
        inputs = meme_inputs(memes, facts[spec["dataset"]], pictured=pictured.get(spec["dataset"]))
        cascade = run_cascade(model, inputs, [task], {task: adapters.get(bench, "")}, sampling)
        for m, label, row in zip(inputs, gold, cascade.itertuples()):
            explanations.append({"model": name, "benchmark": bench, "task": task, "id": m.id, "text": m.text,
                                 "gold": int(label), "knowledge": m.knowledge, "evidence": row.evidence,
                                 "reasoning": row.reasoning, "p_positive": row.p_positive,
                                 "prediction": row.prediction, "verdict": row.verdict})
            records.append({"model": name, "benchmark": bench, "task": task, "variant": "full",
                            "adapter": adapters.get(bench, ""), "id": m.id, "gold": int(label),
                            "knowledge": m.knowledge, "logp_negative": row.logp_negative,
                            "logp_positive": row.logp_positive, "p_positive": row.p_positive,
                            "prediction": row.prediction})
    return pd.DataFrame(records, columns=ANSWER_COLUMNS), pd.DataFrame(explanations, columns=EXPLANATION_COLUMNS)


def main(argv=None) -> None:
    from pathlib import Path

    from papers.core.cli import add_model_args, named_paths, open_model, parser, setup_logging
    from papers.core.io import write_parquet
    from papers.core.vision.memes import load_memes

    from .enrich import read_facts

    p = parser(__doc__)
    p.add_argument("--benchmarks", required=True, help="JSON: benchmark -> {task, dataset}")
    p.add_argument("--memes", nargs="+", required=True, help="dataset=meme table")
    p.add_argument("--knowledge", nargs="+", required=True, help="dataset=retrieved facts (enrich.py)")
    p.add_argument("--described", nargs="*", default=[],
                   help="dataset=facts linked from this LVLM's descriptions (describe.py); none: not described")
    add_model_args(p, "lvlm")
    p.add_argument("--name", required=True, help="the LVLM's registry name (the tables' model column)")
    p.add_argument("--adapters", nargs="*", default=[],
                   help="one Stage II adapter directory per benchmark, in order (none: an LVLM not trained here)")
    p.add_argument("--sample", type=int, required=True, help="test memes per benchmark")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--explanation-tokens", type=int, required=True, help="tokens of each evidence and reasoning")
    p.add_argument("--out", required=True)
    p.add_argument("--out-explanations", required=True)
    a = p.parse_args(argv)
    setup_logging()
    benchmarks = json.loads(a.benchmarks)
    if a.adapters and len(a.adapters) != len(benchmarks):
        raise ValueError(f"{len(a.adapters)} adapters for {len(benchmarks)} benchmarks")
    entry = json.loads(a.lvlm)
    # every benchmark's adapter on the one base, each named after its benchmark (hf: loaded once, switched per request)
    entry["adapters"] = {**entry.get("adapters", {}), **dict(zip(benchmarks, a.adapters))}
    model = open_model(json.dumps(entry), a.cache, a.threads, desc=f"{a.name} answers")
    memes_paths, knowledge_paths = named_paths(a.memes, "--memes"), named_paths(a.knowledge, "--knowledge")
    datasets = dict.fromkeys(b["dataset"] for b in benchmarks.values())
    tables = {d: load_memes(memes_paths[d]) for d in datasets}
    facts = {d: read_facts(knowledge_paths[d]) for d in datasets}
    pictured = {d: read_facts(path) for d, path in named_paths(a.described, "--described").items()}
    answers, explanations = answer_benchmarks(
        model, a.name, benchmarks, tables, facts, {b: b for b in benchmarks} if a.adapters else {}, a.sample,
        a.seed, Sampling(max_new_tokens=a.explanation_tokens), pictured)
    write_parquet(a.out, answers)
    write_parquet(a.out_explanations, explanations)
    for (bench, variant), own in answers.groupby(["benchmark", "variant"], sort=False):
        log.info("%s %s %s: accuracy %.3f over %d memes", a.name, bench, variant,
                 (own["prediction"] == own["gold"]).mean(), len(own))
    log.info("explanations of %d memes written to %s", len(explanations), Path(a.out_explanations))


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)

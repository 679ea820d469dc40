"""The signals of every reply (signals.py) from the judges' answers, in one job for all replies.

    python -m papers.persodpo.score --help

The NLI model answers one request per (reply, persona sentence), the coherence judge one per reply,
the embedder one vector per reply and per persona. A failed reply (no valid JSON) asks nothing and
gets NaN text signals when candidates are scored (the format is part of what a pair teaches); on the
test turns (`judge_raw=True`) its raw text is judged instead, as a reader and the win-rate judge see
it, so every model has text signals and the failure ratio stands beside them. Each request goes through the call cache; requests for one model are sent in
one list, so the backend batches them. Output, one row per reply: prompt_id, generator,
candidate_id, reply, text, failure (bool), failure_reason, words, coherence, consistency,
entailment, persona_distance, instructability; with --nli-check-out also the NLI substitute's
answers on statements of known label (nli_check.py).
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from papers.core.embed import embed
from papers.core.verdict import p_yes

from .candidates import parse_candidate, word_count
from .signals import (coherence_request, instructability, nli_answers, persona_consistency, persona_distance,
                      persona_entailment, persona_pairs)

SIGNALS = ["coherence", "consistency", "entailment", "persona_distance", "instructability"]


def mean_gold_words(turns: pd.DataFrame) -> float:
    """instructability's `mean words`: the mean word count of the training turns' gold replies."""
    gold = turns.loc[turns["split"] == "train", "gold_response"]
    if gold.empty:
        raise ValueError("no training turns to take the mean gold reply length from")
    return float(np.mean([word_count(g) for g in gold]))


def reply_signals(nli, coherence, embedder, turns: pd.DataFrame, replies: pd.DataFrame,
                  mean_words: float, nli_calibration: str = "none", judge_raw: bool = False) -> pd.DataFrame:
    """Every reply's signals. nli, coherence, embedder: cached models (they may be one object);
    nli_calibration: signals.nli_answers's; judge_raw: judge a failed reply's raw text (test turns)."""
    if not isinstance(judge_raw, bool):
        raise TypeError(f"judge_raw must be a bool, got {type(judge_raw).__name__}")
    turn = turns.set_index("prompt_id")
    missing = sorted(set(replies["prompt_id"]) - set(turn.index))
    if missing:
        raise ValueError(f"replies to unknown turns: {missing[:3]}")
    parsed = [parse_candidate(r) for r in replies["reply"]]
    out = replies[["prompt_id", "generator", "candidate_id", "reply"]].reset_index(drop=True).assign(
        text=[p.text for p in parsed], failure=[not p.ok for p in parsed],
        failure_reason=[p.failure for p in parsed],
        words=[word_count(p.text) if p.ok else word_count(r) for p, r in zip(parsed, replies["reply"])])
    out["instructability"] = [instructability(int(w), mean_words, not f) for w, f in zip(out["words"], out["failure"])]
    for name in ("coherence", "consistency", "entailment", "persona_distance"):
        out[name] = np.nan
    judged = out["text"].where(~out["failure"], out["reply"]) if judge_raw else out["text"]
    ok = out.index if judge_raw else out.index[~out["failure"]]
    if len(ok) == 0:
        return out
    personas = [list(turn.loc[out.at[i, "prompt_id"], "persona"]) for i in ok]
    nli_pairs = [persona_pairs(judged[i], persona) for i, persona in zip(ok, personas)]
    answers = iter(nli_answers(nli, [pair for group in nli_pairs for pair in group], nli_calibration))
    for i, group in zip(ok, nli_pairs):
        probabilities = [next(answers) for _ in group]
        out.at[i, "consistency"] = persona_consistency(probabilities)
        out.at[i, "entailment"] = persona_entailment(probabilities)
    contexts = [list(turn.loc[out.at[i, "prompt_id"], "context"]) for i in ok]
    out.loc[ok, "coherence"] = p_yes(coherence.score(
        [coherence_request(c, judged[i]) for c, i in zip(contexts, ok)]))
    vectors = embed(embedder, [judged[i] for i in ok] + [" ".join(p) for p in personas])
    out.loc[ok, "persona_distance"] = [persona_distance(a, b) for a, b in zip(vectors[:len(ok)], vectors[len(ok):])]
    return out


def open_models(entries: dict[str, str], cache: str, threads: int) -> dict:
    """role -> cached model; roles given the same registry entry share one loaded model."""
    from papers.core.cli import open_model

    opened: dict[str, object] = {}
    for entry in entries.values():
        key = json.dumps(json.loads(entry), sort_keys=True)
        if key not in opened:
            opened[key] = open_model(key, cache, threads)
    return {role: opened[json.dumps(json.loads(e), sort_keys=True)] for role, e in entries.items()}


def main(argv=None) -> None:
    from papers.core.cli import parser, setup_logging
    from papers.core.io import write_parquet

    from .nli_check import check_nli, known_statements

    p = parser(__doc__)
    p.add_argument("--turns", required=True)
    p.add_argument("--replies", nargs="+", required=True, help="generate.py's outputs")
    for role in ("nli", "coherence", "embedder"):
        p.add_argument(f"--{role}", required=True, metavar="JSON", help=f"the {role} model's registry entry")
    p.add_argument("--nli-calibration", required=True, choices=("none", "content_free"))
    p.add_argument("--cache", required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", required=True)
    p.add_argument("--nli-check-focus", help="FoCus file whose persona facts give the known-label statements")
    p.add_argument("--nli-check-per-label", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--nli-check-out")
    a = p.parse_args(argv)
    log = setup_logging()
    models = open_models({"nli": a.nli, "coherence": a.coherence, "embedder": a.embedder}, a.cache, a.threads)
    turns = pd.read_parquet(a.turns)
    replies = pd.concat([pd.read_parquet(f) for f in a.replies], ignore_index=True)
    signals = reply_signals(models["nli"], models["coherence"], models["embedder"], turns, replies,
                            mean_gold_words(turns), a.nli_calibration)
    write_parquet(a.out, signals)
    log.info("%d replies, %d failures", len(signals), int(signals["failure"].sum()))
    if a.nli_check_out:
        statements = known_statements(a.nli_check_focus, a.nli_check_per_label, a.seed)
        write_parquet(a.nli_check_out, check_nli(models["nli"], statements, a.nli_calibration))


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)

"""Candidate replies of one model: every generator (a prompting variant or a trained adapter) that
runs on it, on every turn of one split, in one batch of greedy requests through the call cache.

    python -m papers.persodpo.generate --help

One job per model: Python and the model start once, and the backend batches every request.
`--generators` maps each generator name to its settings: `system` (a system turn) and `example`
(the one-shot worked example), the prompting variants (candidates.candidate_request), and `adapter`
(the name of one of the entry's adapters; a trained policy). Output, one row
per (turn, generator): prompt_id, generator, candidate_id ("<generator>|<prompt_id>"), reply (raw).

Response time: the wall time of the job's model calls divided by its replies, written with --timing
as JSON (generator -> seconds per reply; the calls of all generators share batches, so each gets
the job's mean). It is a timing, not a result: a rerun answered by the cache takes no time, so it is
written beside Snakemake's benchmark files, not into the tables (which a rerun writes byte-identical).
"""
from __future__ import annotations

import json
import time

import pandas as pd

from .candidates import MAX_NEW_TOKENS, candidate_request

SETTINGS = ("system", "example", "adapter")


def _checked(generators: dict) -> dict[str, dict]:
    if not isinstance(generators, dict) or not generators:
        raise TypeError("generators must be a non-empty dict: name -> settings")
    for name, settings in generators.items():
        if not isinstance(settings, dict) or set(settings) - set(SETTINGS):
            raise ValueError(f"generator {name!r}: settings must be a dict of {SETTINGS}, got {settings!r}")
    return generators


def requests_for(turns: pd.DataFrame, generators: dict, max_new_tokens: int = MAX_NEW_TOKENS) -> pd.DataFrame:
    """One row per (turn, generator) with its candidate_id and GenerateRequest (column `request`)."""
    rows = []
    for name, settings in _checked(generators).items():
        for t in turns.itertuples():
            rows.append({"prompt_id": t.prompt_id, "generator": name, "candidate_id": f"{name}|{t.prompt_id}",
                         "request": candidate_request(list(t.persona), t.knowledge, list(t.context), max_new_tokens,
                                                      system=settings.get("system", ""),
                                                      example=settings.get("example", False),
                                                      adapter=settings.get("adapter", ""))})
    return pd.DataFrame(rows, columns=["prompt_id", "generator", "candidate_id", "request"])


def generate_replies(model, turns: pd.DataFrame, generators: dict,
                     max_new_tokens: int = MAX_NEW_TOKENS) -> tuple[pd.DataFrame, float]:
    """The replies of every generator to every turn, and the seconds per reply of the calls."""
    table = requests_for(turns, generators, max_new_tokens)
    start = time.perf_counter()
    replies = model.generate(list(table["request"]))
    seconds = (time.perf_counter() - start) / max(1, len(table))
    return table.drop(columns="request").assign(reply=replies), seconds


def main(argv=None) -> None:
    from papers.core.cli import add_model_args, open_model, parser, setup_logging
    from papers.core.io import write_json, write_parquet

    p = parser(__doc__)
    p.add_argument("--turns", required=True, help="prepare.py's turns")
    p.add_argument("--split", required=True, choices=("train", "test"))
    p.add_argument("--generators", required=True, metavar="JSON", help="generator name -> {system, adapter}")
    p.add_argument("--max-new-tokens", type=int, default=MAX_NEW_TOKENS)
    add_model_args(p, "model")
    p.add_argument("--out", required=True)
    p.add_argument("--timing", required=True, help="JSON: generator -> seconds per reply")
    a = p.parse_args(argv)
    log = setup_logging()
    turns = pd.read_parquet(a.turns)
    turns = turns[turns["split"] == a.split]
    generators = json.loads(a.generators)
    model = open_model(a.model, a.cache, a.threads, desc="candidates")
    replies, seconds = generate_replies(model, turns, generators, a.max_new_tokens)
    write_parquet(a.out, replies)
    write_json(a.timing, {name: seconds for name in generators} | {"model_calls": model.calls})
    log.info("%d replies from %d generator(s), %.2f s per reply, %d model calls", len(replies), len(generators),
             seconds, model.calls)


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)

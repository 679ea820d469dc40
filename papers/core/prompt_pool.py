"""Loading a prompt pool: the mini pool (CSV) or a paper-scale pool (JSON Lines).

Both become one frame with columns prompt_id, prompt, gold_domains (a list of domain keys; empty
when the pool has no gold labels). Any bad row stops the load with an InputError naming it.

- CSV (data/prompt_pool/mini_pool.csv): prompt_id, prompt, gold_domains (';'-separated keys).
- JSONL (the paper's "LLM-Prompt-Dataset" exported one object per line): id (a string), prompt, and
  optionally source and gold_domains (a list of keys).

An id must be a non-empty string (JSON `null` or a number is refused, not turned into "None" or "3");
a prompt must be non-empty text and not a missing-value marker such as "NaN" (a spreadsheet's export
of an empty cell).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .io import InputError, read_csv_records, read_jsonl_records
from .taxonomy import Taxonomy


def load_prompt_pool(path: str | Path, taxonomy: Taxonomy) -> pd.DataFrame:
    if not isinstance(taxonomy, Taxonomy):  # a list of keys would pass the label check by accident
        raise TypeError(f"taxonomy must be a Taxonomy (load_taxonomy), not {type(taxonomy).__name__}")
    path = Path(path)
    if path.suffix == ".csv":
        records = read_csv_records(path, ["prompt_id", "prompt", "gold_domains"])
        rows = [(r["prompt_id"], r["prompt"], _split(r["gold_domains"]), r) for r in records]
    elif path.suffix in (".jsonl", ".json"):
        records = read_jsonl_records(path, ["id", "prompt"])
        rows = [(r["id"], r["prompt"], r.get("gold_domains", []), r) for r in records]
    else:
        raise InputError(path, "unknown prompt-pool format; expected .csv or .jsonl")
    known = set(taxonomy.keys)
    seen: set[str] = set()
    id_field = "prompt_id" if path.suffix == ".csv" else "id"
    for prompt_id, prompt, gold, r in rows:
        where = dict(row=r["_row"], line=r["_line"])
        if not isinstance(prompt_id, str):
            raise InputError(path, f"id must be a string, not {_json_type(prompt_id)} {prompt_id!r}",
                             field=id_field, **where)
        if not prompt_id.strip() or prompt_id in seen:
            raise InputError(path, f"empty or repeated id {prompt_id!r}", field=id_field, **where)
        if not isinstance(prompt, str):
            raise InputError(path, f"prompt must be text, not {_json_type(prompt)} {prompt!r}",
                             field="prompt", **where)
        if not prompt.strip():
            raise InputError(path, "empty prompt", field="prompt", **where)
        if prompt.strip() in MISSING_MARKERS:
            raise InputError(path, f"prompt {prompt.strip()!r} is a missing-value marker, not a prompt",
                             field="prompt", **where)
        if not isinstance(gold, list) or not all(isinstance(g, str) for g in gold):
            raise InputError(path, "gold_domains must be a list of keys", field="gold_domains", **where)
        unknown = [g for g in gold if g not in known]
        if unknown:
            raise InputError(path, f"unknown taxonomy label(s) {', '.join(map(repr, unknown))}",
                             field="gold_domains", **where)
        seen.add(prompt_id)
    return pd.DataFrame({"prompt_id": [r[0] for r in rows], "prompt": [r[1].strip() for r in rows],
                         "gold_domains": [list(r[2]) for r in rows]})


# What spreadsheets and pandas write for an empty cell; as a whole prompt it is a lost value, not text.
MISSING_MARKERS = frozenset({"NaN", "nan", "NAN", "NA", "N/A", "n/a", "<NA>", "#N/A", "null", "NULL",
                             "None"})


def _json_type(value) -> str:
    return {type(None): "null", bool: "a boolean", int: "a number", float: "a number",
            list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def _split(cell: str) -> list[str]:
    return [k.strip() for k in cell.split(";") if k.strip()]

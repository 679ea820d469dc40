"""AlignX's three axes as one table of prompts, read from each source's released format.

    helpful   AlpacaEval: a JSON list of {instruction, output, dataset, generator}; the reference
              is text-davinci-003's output (the opponent of the win rate, the helpful target)
    harmless  BeaverTails-Evaluation: a CSV with prompt, category (and the export's index and
              category_id); no reference answer exists
    honest    TruthfulQA: a CSV with Type, Category, Question, Best Answer, Correct Answers,
              Incorrect Answers (answers separated by "; "); the reference is the best answer

The same loaders read the full released files (paper scale, paths the user places) and the samples
in data/alignx/ (mini scale), which keep the released formats. A malformed record stops the load
with an InputError naming the file, the row and the field; an argument of the wrong type is a
TypeError.

The table (`axis_table`): prompt_id, axis, prompt, reference ("" for harmless), category, split.
A prompt id is the axis and the first 12 hex digits of the sha256 of the prompt's text, so a prompt
has the same id in a sample and in its full file. Splits are per axis, with exact counts: the axis's
prompts ranked by papers.core.splits.position(prompt_id, seed), the first n_test are test, the next
n_validation validation, the rest train. Each prompt has one split, so train and test never share a
prompt; the same prompts and seed always give the same splits (adding prompts may move a prompt
from one split to another, unlike the fraction splits of core, because the counts are exact).
A prompt under two axes (the full AlpacaEval and TruthfulQA share "Why is it a bad idea to give a
mouse a cookie?") is a test prompt of both: each benchmark keeps all its prompts, no expert trains
on it, and the router never learns two labels for one input.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from papers.core.io import InputError, read_csv_records, read_text
from papers.core.splits import position

AXES = ("helpful", "harmless", "honest")
COLUMNS = ["prompt_id", "axis", "prompt", "reference", "category", "split"]
TRUTHFULQA_COLUMNS = ["Category", "Question", "Best Answer", "Correct Answers", "Incorrect Answers"]


def prompt_id(axis: str, prompt: str) -> str:
    return f"{axis}-{hashlib.sha256(prompt.encode('utf-8')).hexdigest()[:12]}"


def _path(path) -> Path:
    if not isinstance(path, (str, Path)):
        raise TypeError(f"a data path must be a str or Path, got {type(path).__name__}")
    return Path(path)


def _text(path, value, row, line, field, allow_empty=False) -> str:
    """A field's value as text: a string (non-blank unless allow_empty), or an InputError."""
    if not isinstance(value, str):
        raise InputError(path, f"expected text, found {type(value).__name__} {value!r}", row, line, field)
    if not allow_empty and not value.strip():
        raise InputError(path, "empty", row, line, field)
    return value


def _unique(path, rows: list[dict]) -> pd.DataFrame:
    """The rows as a frame, after checking that no prompt appears twice (two ids for one prompt
    could land in train and test)."""
    seen: dict[str, int] = {}
    for r in rows:
        if r["prompt_id"] in seen:
            raise InputError(path, f"the same prompt as row {seen[r['prompt_id']]}", r["_row"], r["_line"],
                             r["_field"])
        seen[r["prompt_id"]] = r["_row"]
    return pd.DataFrame(rows).drop(columns=["_row", "_line", "_field"])


def load_alpaca_eval(path) -> pd.DataFrame:
    """prompt_id, axis, prompt, reference, category (AlpacaEval's subset, e.g. helpful_base).
    A reference may be empty: two released text-davinci-003 outputs are."""
    path = _path(path)
    try:
        records = json.loads(read_text(path))
    except json.JSONDecodeError as err:
        raise InputError(path, f"malformed JSON ({err.msg})", line=err.lineno) from None
    if not isinstance(records, list) or not records:
        raise InputError(path, "expected a non-empty JSON list of AlpacaEval records")
    rows = []
    for n, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise InputError(path, f"expected an object, found {type(record).__name__}", row=n)
        for field in ("instruction", "output"):
            if field not in record:
                raise InputError(path, "missing field", row=n, field=field)
        prompt = _text(path, record["instruction"], n, None, "instruction")
        rows.append({"prompt_id": prompt_id("helpful", prompt), "axis": "helpful", "prompt": prompt,
                     "reference": _text(path, record["output"], n, None, "output", allow_empty=True),
                     "category": _text(path, record.get("dataset", ""), n, None, "dataset", allow_empty=True),
                     "_row": n, "_line": None, "_field": "instruction"})
    return _unique(path, rows)


def load_beavertails_eval(path) -> pd.DataFrame:
    """prompt_id, axis, prompt, reference (""), category (BeaverTails' harm category)."""
    path = _path(path)
    rows = []
    for r in read_csv_records(path, ["prompt", "category"]):
        where = (r["_row"], r["_line"])
        prompt = _text(path, r["prompt"], *where, "prompt")
        rows.append({"prompt_id": prompt_id("harmless", prompt), "axis": "harmless", "prompt": prompt,
                     "reference": "", "category": _text(path, r["category"], *where, "category").strip(),
                     "_row": r["_row"], "_line": r["_line"], "_field": "prompt"})
    return _unique(path, rows)


def split_answers(text: str) -> tuple[str, ...]:
    """TruthfulQA's "a; b; c" as ("a", "b", "c"), blanks dropped."""
    return tuple(a.strip() for a in text.split(";") if a.strip())


def load_truthfulqa(path) -> pd.DataFrame:
    """prompt_id, axis, prompt, reference (the best answer), category, and the judge's references:
    best_answer, correct_answers, incorrect_answers (tuples of strings). Extra columns (Type,
    Source; the 2025 revision's Best Incorrect Answer) are read past."""
    path = _path(path)
    rows = []
    for r in read_csv_records(path, TRUTHFULQA_COLUMNS):
        where = (r["_row"], r["_line"])
        for field in TRUTHFULQA_COLUMNS:
            _text(path, r[field], *where, field)
        answers = {}
        for field in ("Correct Answers", "Incorrect Answers"):
            answers[field] = split_answers(r[field])
            if not answers[field]:
                raise InputError(path, "no answer between the '; ' separators", *where, field)
        prompt, best = r["Question"], r["Best Answer"].strip()
        rows.append({"prompt_id": prompt_id("honest", prompt), "axis": "honest", "prompt": prompt,
                     "reference": best, "category": r["Category"].strip(), "best_answer": best,
                     "correct_answers": answers["Correct Answers"],
                     "incorrect_answers": answers["Incorrect Answers"],
                     "_row": r["_row"], "_line": r["_line"], "_field": "Question"})
    return _unique(path, rows)


def _count(value, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def assign_splits(prompt_ids, seed: int, n_test: int, n_validation: int,
                  forced_test: frozenset[str] = frozenset()) -> list[str]:
    """The split of each prompt of one axis: test for the first n_test by seeded rank, then
    validation for the next n_validation, train for the rest (see the module docstring). The ids
    in `forced_test` come first, so they are test whatever their rank."""
    _count(seed, "seed")
    _count(n_test, "n_test")
    _count(n_validation, "n_validation")
    ids = list(prompt_ids)
    if not all(isinstance(i, str) for i in ids):
        raise TypeError("prompt ids must be strings")
    if n_test + n_validation > len(ids):
        raise ValueError(f"n_test + n_validation = {n_test + n_validation} but only {len(ids)} prompts")
    if len(forced_test & set(ids)) > n_test:
        raise ValueError(f"{len(forced_test & set(ids))} prompts must be test (they are under two axes) but "
                         f"n_test is {n_test}")
    order = sorted(range(len(ids)), key=lambda i: (ids[i] not in forced_test, position(ids[i], seed), ids[i]))
    splits = ["train"] * len(ids)
    for rank, i in enumerate(order):
        if rank < n_test:
            splits[i] = "test"
        elif rank < n_test + n_validation:
            splits[i] = "validation"
    return splits


def axis_table(frames, seed: int, n_test: int, n_validation: int) -> pd.DataFrame:
    """The three loaded axes as one table (COLUMNS), each axis split with the same counts; rows in
    the order of AXES, then the source's order. A prompt under two axes is test in both."""
    if not isinstance(frames, (list, tuple)) or not all(isinstance(f, pd.DataFrame) for f in frames):
        raise TypeError("frames must be a list of the loaders' DataFrames")
    table = pd.concat([f[COLUMNS[:-1]] for f in frames], ignore_index=True)
    if sorted(table["axis"].unique()) != sorted(AXES) or table["prompt_id"].duplicated().any():
        raise ValueError(f"expected one frame per axis {', '.join(AXES)}, each loaded once")
    shared = frozenset(table.loc[table["prompt"].duplicated(keep=False), "prompt_id"])
    table["split"] = ""
    for axis in AXES:
        rows = table["axis"] == axis
        table.loc[rows, "split"] = assign_splits(table.loc[rows, "prompt_id"], seed, n_test, n_validation, shared)
    order = table["axis"].map(AXES.index)
    return table.assign(_order=order).sort_values("_order", kind="stable").drop(columns="_order") \
        .reset_index(drop=True)[COLUMNS]


def load_axes(alpaca_eval, beavertails, truthfulqa, seed: int, n_test: int,
              n_validation: int) -> pd.DataFrame:
    """The table of the three sources' files (see axis_table)."""
    return axis_table([load_alpaca_eval(alpaca_eval), load_beavertails_eval(beavertails),
                       load_truthfulqa(truthfulqa)], seed, n_test, n_validation)

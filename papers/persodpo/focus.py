"""FoCus dialogues as one row per (dialogue, turn), read from FoCus's released train/valid JSON.

FoCus (Jang et al., AAAI 2022; github.com/pkchat-focus/FoCus) releases `train_focus.json` and
`valid_focus.json`. Their structure, as the authors' own loader (utils_focus.py) reads it:

    {"data": [{"dialogID": "...",
               "landmark_link": "https://en.wikipedia.org/wiki/...",
               "persona": ["I ...", ... 5 sentences],          the human's persona
               "knowledge": ["...", ...],                       Wikipedia paragraphs on the landmark
               "utterance": [
                   {"dialogue1": [human, machine],              the dialogue so far, ending with
                    "persona_candidate": [5 sentences],         the machine's (gold) reply
                    "persona_grounding": [5 booleans],          which candidates the reply uses
                    "knowledge_candidates": [10 paragraphs],
                    "knowledge_answer_index": int},             the paragraph the reply uses
                   {"dialogue2": [human, machine, human, machine], ...}, ...]}]}

The key of turn i (1-based) is "dialogue<i>"; its list is cumulative, so its last sentence is the
gold reply and the sentences before it are the context. Other keys (landmark_link,
aug_question_<i>) are ignored. FoCus's loader truncates persona_candidate and persona_grounding to
5 entries; here they are paired up to the shorter of the two.

Row columns: dialogue_id, turn, persona (the dialogue's persona sentences), persona_used (the
candidates the gold reply is grounded on), knowledge (the turn's grounded paragraph: the one FoCus's
own inference gives its model; all of a dialogue's paragraphs exceed a small model's context),
context (the sentences before the reply, the human's first), gold_response, split.

Splits are by dialogue (a dialogue's turns share a split, so no test dialogue is trained on) with
exact counts: dialogues ranked by papers.core.splits.position(dialogue_id, seed), the first
round(n * test) are test, the next round(n * validation) validation, the rest train.

A malformed record is an InputError naming the file, the dialogue (its id, or its index when the
id itself is bad) and the field; an argument of the wrong type is a TypeError.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import pandas as pd

from papers.core.io import InputError, read_text
from papers.core.splits import position

COLUMNS = ["dialogue_id", "turn", "persona", "persona_used", "knowledge", "context", "gold_response",
           "split"]


class _Dialogue:
    """Where the checks of one dialogue point to in their error messages."""

    def __init__(self, path: Path, index: int, dialogue_id: str | None = None):
        self.path, self.index, self.id = path, index, dialogue_id

    def error(self, message: str, field: str) -> InputError:
        who = f"dialogue {self.id!r}" if self.id is not None else f"dialogue #{self.index}"
        return InputError(self.path, f"{who}: {message}", row=self.index, field=field)

    def text(self, value, field: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"expected non-empty text, found {value!r:.60}", field)
        return value.strip()

    def texts(self, value, field: str, minimum: int = 1) -> list[str]:
        if not isinstance(value, list) or len(value) < minimum:
            raise self.error(f"expected a list of at least {minimum} sentence(s), found {value!r:.60}", field)
        return [self.text(v, f"{field}[{i}]") for i, v in enumerate(value)]


def _turn_rows(where: _Dialogue, persona: list[str], number: int, turn) -> dict:
    """The row of turn `number` (1-based) of a dialogue."""
    field = f"utterance[{number - 1}]"
    if not isinstance(turn, dict):
        raise where.error(f"expected an object, found {type(turn).__name__}", field)
    key = f"dialogue{number}"
    if key not in turn:
        raise where.error(f"missing key {key!r} (turn {number})", f"{field}.{key}")
    sentences = where.texts(turn[key], f"{field}.{key}", minimum=2)
    candidates = where.texts(turn.get("persona_candidate"), f"{field}.persona_candidate")
    grounding = turn.get("persona_grounding")
    if not isinstance(grounding, list) or not all(isinstance(g, bool) for g in grounding):
        raise where.error(f"expected a list of booleans, found {grounding!r:.60}", f"{field}.persona_grounding")
    paragraphs = where.texts(turn.get("knowledge_candidates"), f"{field}.knowledge_candidates")
    answer = turn.get("knowledge_answer_index")
    if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(paragraphs):
        raise where.error(f"expected an index into {len(paragraphs)} knowledge candidates, found {answer!r}",
                          f"{field}.knowledge_answer_index")
    return {"dialogue_id": where.id, "turn": number, "persona": persona,
            "persona_used": [c for c, used in zip(candidates, grounding) if used],
            "knowledge": paragraphs[answer], "context": sentences[:-1], "gold_response": sentences[-1]}


def _dialogue_rows(path: Path, index: int, dialogue) -> list[dict]:
    where = _Dialogue(path, index)
    if not isinstance(dialogue, dict):
        raise where.error(f"expected an object, found {type(dialogue).__name__}", "data")
    where.id = where.text(dialogue.get("dialogID"), "dialogID")
    persona = where.texts(dialogue.get("persona"), "persona")
    where.texts(dialogue.get("knowledge"), "knowledge")  # checked, not used: each turn has its paragraph
    turns = dialogue.get("utterance")
    if not isinstance(turns, list) or not turns:
        raise where.error(f"expected a non-empty list of turns, found {turns!r:.60}", "utterance")
    return [_turn_rows(where, persona, n, turn) for n, turn in enumerate(turns, start=1)]


def read_focus(path) -> pd.DataFrame:
    """Every turn of every dialogue of a FoCus JSON file, without splits (COLUMNS but `split`)."""
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or Path, got {type(path).__name__}")
    path = Path(path)
    try:
        document = json.loads(read_text(path))
    except json.JSONDecodeError as err:
        raise InputError(path, f"malformed JSON ({err.msg})", line=err.lineno) from None
    if not isinstance(document, dict) or not isinstance(document.get("data"), list) or not document["data"]:
        raise InputError(path, 'expected an object {"data": [dialogue, ...]} with at least one dialogue',
                         field="data")
    rows, seen = [], {}
    for index, dialogue in enumerate(document["data"]):
        dialogue_rows = _dialogue_rows(path, index, dialogue)
        dialogue_id = dialogue_rows[0]["dialogue_id"]
        if dialogue_id in seen:  # two dialogues under one id could land in different splits
            raise InputError(path, f"dialogue {dialogue_id!r}: the same id as dialogue #{seen[dialogue_id]}",
                             row=index, field="dialogID")
        seen[dialogue_id] = index
        rows.extend(dialogue_rows)
    return pd.DataFrame(rows, columns=COLUMNS[:-1])


def split_dialogues(dialogue_ids: Sequence[str], seed: int,
                    fractions: Sequence[float] = (0.8, 0.1, 0.1)) -> dict[str, str]:
    """dialogue id -> train / validation / test, exact counts (see the module docstring)."""
    if isinstance(dialogue_ids, str) or not all(isinstance(d, str) for d in dialogue_ids):
        raise TypeError("dialogue_ids must be a sequence of str")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if len(fractions) != 3 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions}")
    ranked = sorted(set(dialogue_ids), key=lambda d: (position(d, seed), d))
    n_test = round(len(ranked) * fractions[2])
    n_validation = round(len(ranked) * fractions[1])
    names = ["test"] * n_test + ["validation"] * n_validation
    names += ["train"] * (len(ranked) - len(names))
    return dict(zip(ranked, names))


def load_focus(path, seed: int, fractions: Sequence[float] = (0.8, 0.1, 0.1)) -> pd.DataFrame:
    """The turns of a FoCus file (the released one or data/persodpo's mini set) with their splits."""
    rows = read_focus(path)
    splits = split_dialogues(list(rows["dialogue_id"]), seed, fractions)
    return rows.assign(split=rows["dialogue_id"].map(splits))[COLUMNS]

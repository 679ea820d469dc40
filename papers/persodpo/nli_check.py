"""The NLI model checked on statements whose label is known by construction, before its answers are
trusted as persona consistency and entailment.

The mini dialogues' personas are drawn from the templates of data/persodpo/make_mini.py (PERSONA:
kind -> sentence template and values), so each persona sentence's kind and value are known, and:
- entailment: premise = the persona sentence followed by the dialogue's first gold reply (a fact
  about the landmark), hypothesis = the persona sentence;
- contradiction: premise = the same kind's sentence with another value, for the kinds that admit one
  value (favourite food, job, way of travelling), then the same gold reply; hypothesis = the sentence;
- neutral: premise = a sentence of the one kind the persona lacks (every persona has five of the six),
  then the same gold reply; hypothesis = a persona sentence.
Dialogues are taken in the seeded order papers.core.splits.position(dialogue_id, seed), one statement
of each label per dialogue, until `per_label` of each. The statements are read from the mini set at
both scales: the check is of the NLI model, not of the data.
"""
from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from papers.core.splits import position

from .focus import read_focus
from .signals import NLI_LABELS, is_classifier, nli_answers

GENERATOR = Path(__file__).resolve().parents[2] / "data" / "persodpo" / "make_mini.py"
ONE_VALUE_KINDS = ("food", "job", "travel")  # a person has one favourite food, job, preferred way


@lru_cache(maxsize=1)
def persona_templates() -> dict[str, tuple[str, list[str]]]:
    """make_mini.PERSONA, read from the generator itself (the ground truth of the mini set)."""
    spec = importlib.util.spec_from_file_location("persodpo_make_mini", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PERSONA


def parse_persona(sentence: str) -> tuple[str, str]:
    """(kind, value) of a persona sentence written from the templates; ValueError if none fits."""
    for kind, (template, values) in persona_templates().items():
        match = re.fullmatch(re.escape(template).replace(r"\{\}", "(.+)"), sentence)
        if match and match.group(1) in values:
            return kind, match.group(1)
    raise ValueError(f"not a templated persona sentence: {sentence!r}")


def _statements_of(dialogue: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """label -> (premise, hypothesis) for one dialogue (its turns' rows)."""
    first = dialogue.sort_values("turn").iloc[0]
    persona = list(first["persona"])
    fact = first["gold_response"]
    kinds = dict(parse_persona(s) for s in persona)
    sentence = {kind: s for s, kind in zip(persona, kinds)}
    templates = persona_templates()
    one_value = next(k for k in ONE_VALUE_KINDS if k in kinds)
    template, values = templates[one_value]
    other = next(v for v in values if v != kinds[one_value])
    (absent,) = [k for k in templates if k not in kinds]
    neutral = templates[absent][0].format(templates[absent][1][0])
    return {"entailment": (f"{sentence[one_value]} {fact}", sentence[one_value]),
            "contradiction": (f"{template.format(other)} {fact}", sentence[one_value]),
            "neutral": (f"{neutral} {fact}", sentence[one_value])}


def known_statements(focus, per_label: int, seed: int) -> pd.DataFrame:
    """per_label statements of each NLI label: dialogue_id, label, premise, hypothesis."""
    if isinstance(per_label, bool) or not isinstance(per_label, int) or per_label < 1:
        raise ValueError(f"per_label must be an int >= 1, got {per_label!r}")
    rows = read_focus(focus)
    ids = sorted(set(rows["dialogue_id"]), key=lambda d: (position(d, seed), d))
    out = []
    for dialogue_id in ids[:per_label]:
        for label, (premise, hypothesis) in _statements_of(rows[rows["dialogue_id"] == dialogue_id]).items():
            out.append({"dialogue_id": dialogue_id, "label": label, "premise": premise, "hypothesis": hypothesis})
    if len(out) < 3 * per_label:
        raise ValueError(f"{focus}: {len(ids)} dialogues give fewer than {per_label} statements per label")
    return pd.DataFrame(out)


def check_nli(model, statements: pd.DataFrame, calibration: str) -> pd.DataFrame:
    """The statements with the model's P(entailment, neutral, contradiction) under `calibration` (the
    signals' setting) and its label (argmax), and the label it gives uncalibrated
    (`predicted_uncalibrated`; the same requests, so no extra model call; a classifier has no
    calibration, so the two are one)."""
    pairs = list(zip(statements["premise"], statements["hypothesis"]))
    probabilities = np.array(nli_answers(model, pairs, calibration))
    raw = probabilities if is_classifier(model) else np.array(nli_answers(model, pairs, "none"))
    out = statements.copy()
    for j, label in enumerate(NLI_LABELS):
        out[f"p_{label}"] = probabilities[:, j]
    out["predicted"] = [NLI_LABELS[j] for j in probabilities.argmax(axis=1)]
    out["predicted_uncalibrated"] = [NLI_LABELS[j] for j in raw.argmax(axis=1)]
    return out

"""Verdicts read from a language model: the one place that turns model answers into probabilities.

Two questions every paper asks a model, each answered here once:
- Yes or No? P(yes) is the softmax of the option "Yes" against "No" (their log-likelihoods as the
  reply) in mode `score`; in mode `parsed`, for backends without option log-probs, the model
  generates a reply and its first Yes or No (after a label such as "Verdict:" when one is asked
  for) gives 1.0 or 0.0, and nan when it says neither.
- Which of these options? The softmax over a request's options of their scores, optionally after
  contextual calibration (Zhao et al. 2021, "Calibrate Before Use"): with `content_free`, each
  option's score first has the score it gets for the same question about the content-free
  request "N/A" subtracted, which divides out the model's prior for that answer.

The prompts stay with the step that asks them; this module only reads the answers.
"""
from __future__ import annotations

import math
import re
from typing import Sequence

from .llm.types import Chat, GenerateRequest, Sampling, ScoreRequest

YES_NO = ("Yes", "No")
MODES = ("score", "parsed")
CONTENT_FREE = "N/A"
CALIBRATIONS = ("none", "content_free")


def p_yes(scores: Sequence[Sequence[float]]) -> list[float]:
    """P(yes) per (yes, no) pair of log-likelihoods: the two-way softmax 1 / (1 + e^(no - yes))."""
    return [1.0 / (1.0 + math.exp(no - yes)) for yes, no in scores]


def parse_yes_no(reply: str, label: str = "") -> bool | None:
    """The first Yes or No of a reply (the first after `label:` when a label is given), or None."""
    pattern = rf"{re.escape(label)}\s*:\s*(yes|no)\b" if label else r"\b(yes|no)\b"
    match = re.search(pattern, reply, flags=re.IGNORECASE)
    return None if match is None else match.group(1).lower() == "yes"


def ask_yes_no(model, chats: Sequence[Chat], mode: str, sampling: Sampling,
               label: str = "") -> tuple[list[float], list[str]]:
    """P(yes) per chat, and the replies it was read from ("" in mode `score`, which generates none).
    `sampling` and `label` are used in mode `parsed` only."""
    if mode not in MODES:
        raise ValueError(f"unknown verdict mode {mode!r}; expected one of {MODES}")
    if mode == "score":
        return p_yes(model.score([ScoreRequest(c, YES_NO) for c in chats])), [""] * len(chats)
    replies = model.generate([GenerateRequest(c, sampling) for c in chats])
    verdicts = [parse_yes_no(r, label) for r in replies]
    return [math.nan if v is None else float(v) for v in verdicts], replies


def softmax(scores: Sequence[float]) -> list[float]:
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def option_probabilities(model, requests: Sequence[ScoreRequest], calibration: str,
                         content_free: Sequence[ScoreRequest]) -> list[list[float]]:
    """The probability of each option of each request. content_free[i] is request i's question
    about CONTENT_FREE; with calibration `content_free` every distinct one is scored once, in one
    call before the requests', and its scores are subtracted from request i's, option by option
    name (so content_free[i] may offer more options than request i: one content-free request
    serves every shortlist of the same question)."""
    if calibration not in CALIBRATIONS:
        raise ValueError(f"calibration must be one of {CALIBRATIONS}, got {calibration!r}")
    if len(content_free) != len(requests):
        raise ValueError(f"{len(requests)} requests but {len(content_free)} content-free requests")
    if calibration == "content_free":
        distinct = list(dict.fromkeys(content_free))
        free = {r: dict(zip(r.options, scores)) for r, scores in zip(distinct, model.score(distinct))}
        for i, (r, cf) in enumerate(zip(requests, content_free)):
            if missing := [o for o in r.options if o not in free[cf]]:
                raise ValueError(f"request {i}: options {missing} not in its content-free request")
        baselines = [[free[cf][o] for o in r.options] for r, cf in zip(requests, content_free)]
    else:
        baselines = [[0.0] * len(r.options) for r in requests]
    scores = model.score(list(requests))
    return [softmax([s - b for s, b in zip(option_scores, baseline)])
            for option_scores, baseline in zip(scores, baselines)]

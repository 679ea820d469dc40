"""CROSS-ALIGN+ Stage III: cascaded explanations (evidence, then reasoning, then the verdict).

    table = run_cascade(model, memes, tasks=["harmfulness"], adapters={"harmfulness": "harmfulness"},
                        sampling=Sampling(max_new_tokens=48))

Per meme, three steps, each one model call per meme (or per meme and task) and each step's output in
the next step's prompt (prompts.py):
1. evidence: what the picture and the text show, with the meme's Stage I knowledge block. The same for
   every task, so it is asked once per meme (the bare LVLM, no adapter);
2. reasoning: given the evidence, about the task's question (the bare LVLM);
3. verdict: given the evidence and the reasoning, option scoring over the task's two label names, with
   the task's Stage II adapter (adapters[task]; "" for none).
Every step is one batch: all memes' requests go to the model in one list, so the backend batches them
and the cache (papers/core/cache.py) answers what it holds. Generation is greedy by default (the
paper does not say): the explanation of a meme is then one fixed text, and a rerun costs no call.

The output (CASCADE_COLUMNS), one row per (task, meme): id, task, evidence, reasoning, the
log-likelihood of each label name, p_positive (the two softmaxed) and the prediction (1 when
p_positive >= 0.5), with the verdict's label name: the explanation kept per meme.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from papers.core.llm.types import GenerateRequest, ImagePart, Sampling, ScoreRequest, chat

from .prompts import evidence_content, reasoning_content, task_text, verdict_content

CASCADE_COLUMNS = ("id", "task", "evidence", "reasoning", "logp_negative", "logp_positive", "p_positive",
                   "prediction", "verdict")


@dataclass(frozen=True)
class Meme:
    """What a step sees of a meme: its id, OCR text, image and Stage I knowledge block ("" for none)."""
    id: str
    text: str
    picture: ImagePart
    knowledge: str = ""

    def __post_init__(self):
        for name in ("id", "text", "knowledge"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"Meme.{name} must be str, got {type(getattr(self, name)).__name__}")
        if not isinstance(self.picture, ImagePart):
            raise TypeError(f"Meme.picture must be an ImagePart, got {type(self.picture).__name__}")


def p_positive(logp_negative: float, logp_positive: float) -> float:
    """P(positive label) from the two options' log-likelihoods, softmaxed (stable in either order)."""
    top = max(logp_negative, logp_positive)
    neg, pos = math.exp(logp_negative - top), math.exp(logp_positive - top)
    return pos / (neg + pos)


def read_verdict(task: str, scores: list[float]) -> dict:
    """A verdict's record from the option scores of (negative, positive) label names."""
    if not isinstance(scores, (list, tuple)) or len(scores) != 2:
        raise ValueError(f"task {task}: a verdict needs two option scores (negative, positive), got {scores!r}")
    neg, pos = float(scores[0]), float(scores[1])
    p = p_positive(neg, pos)
    prediction = int(p >= 0.5)
    return {"logp_negative": neg, "logp_positive": pos, "p_positive": p, "prediction": prediction,
            "verdict": task_text(task).labels[prediction]}


def _check(memes, tasks, adapters) -> None:
    if not isinstance(memes, (list, tuple)) or not all(isinstance(m, Meme) for m in memes):
        raise TypeError("memes must be a list of cascade.Meme")
    if len({m.id for m in memes}) != len(memes):
        raise ValueError("memes must have unique ids")
    if not isinstance(tasks, (list, tuple)) or not tasks:
        raise TypeError(f"tasks must be a non-empty list of task names, got {tasks!r}")
    for task in tasks:
        task_text(task)  # an unknown task is an error naming the known ones
    if not isinstance(adapters, dict) or set(tasks) - set(adapters):
        raise ValueError(f"adapters must name an adapter (or '') for every task {list(tasks)}, got {adapters!r}")


def evidence_requests(memes: list[Meme], sampling: Sampling) -> list[GenerateRequest]:
    return [GenerateRequest(chat(("user", evidence_content(m.picture, m.text, m.knowledge))), sampling)
            for m in memes]


def reasoning_requests(memes: list[Meme], tasks: list[str], evidence: dict[str, str],
                       sampling: Sampling) -> list[GenerateRequest]:
    """Task-major: every meme for the first task, then the next."""
    return [GenerateRequest(chat(("user", reasoning_content(m.picture, m.text, task, evidence[m.id]))), sampling)
            for task in tasks for m in memes]


def verdict_requests(memes: list[Meme], tasks: list[str], evidence: dict[str, str],
                     reasoning: dict[tuple[str, str], str], adapters: dict[str, str]) -> list[ScoreRequest]:
    return [ScoreRequest(chat(("user", verdict_content(m.picture, m.text, task, evidence[m.id],
                                                       reasoning[(task, m.id)]))),
                         task_text(task).labels, adapter=adapters[task])
            for task in tasks for m in memes]


def run_cascade(model, memes: list[Meme], tasks: list[str], adapters: dict[str, str],
                sampling: Sampling = Sampling(max_new_tokens=48)) -> pd.DataFrame:
    """The three steps over every meme and task (module docstring); `model` answers lists of requests
    (a CachedModel in the DAG)."""
    _check(memes, tasks, adapters)
    if not isinstance(sampling, Sampling):
        raise TypeError(f"sampling must be a Sampling, got {type(sampling).__name__}")
    # 1. evidence, one batch over the memes
    evidence = dict(zip([m.id for m in memes], model.generate(evidence_requests(memes, sampling))))
    # 2. reasoning, one batch over memes x tasks, each prompt holding its meme's evidence
    keys = [(task, m.id) for task in tasks for m in memes]
    reasoning = dict(zip(keys, model.generate(reasoning_requests(memes, tasks, evidence, sampling))))
    # 3. verdict, one batch of option scores, each prompt holding the evidence and the reasoning
    scores = model.score(verdict_requests(memes, tasks, evidence, reasoning, adapters))
    rows = [{"id": meme_id, "task": task, "evidence": evidence[meme_id], "reasoning": reasoning[(task, meme_id)],
             **read_verdict(task, s)} for (task, meme_id), s in zip(keys, scores)]
    return pd.DataFrame(rows, columns=list(CASCADE_COLUMNS))

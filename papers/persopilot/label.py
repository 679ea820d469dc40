"""The analyst's labelling assistant: for each user, a model of the registry gives a label for the
classification task, a score and its reasoning.

The label is read from option scores (the log-likelihood of each class name as the assistant's
reply, one ScoreRequest per user), the score is that class's softmax probability over the class
names, and the reasoning is a short greedy generation asked for after the label is given (so the
reasoning explains the label rather than deciding it). Everything goes through the call cache.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from papers.core.llm.types import GenerateRequest, Sampling, ScoreRequest, chat
from papers.core.verdict import softmax

# The mini task (data/persopilot/users.csv); a config may name another question and classes.
QUESTION = "Does this person mostly prefer indoor or outdoor activities?"
REASON_TOKENS = 40


@dataclass(frozen=True)
class Suggestion:
    user_id: str
    label: str
    score: float                      # the label's probability among the class names
    probabilities: tuple[float, ...]  # per class, in the order given
    reasoning: str


def _persona_turn(persona: str, question: str, classes: Sequence[str]) -> str:
    return f"Persona: {persona}\n{question} Answer with one word: {' or '.join(classes)}."


def label_chat(persona: str, question: str, classes: Sequence[str]):
    return chat(("user", _persona_turn(persona, question, classes)))


def reasoning_chat(persona: str, question: str, classes: Sequence[str], label: str):
    return chat(("user", _persona_turn(persona, question, classes)), ("assistant", label),
                ("user", f"In one sentence, which facts of the persona make it {label}?"))


def suggest(model, users: Sequence[tuple[str, str]], classes: Sequence[str], question: str = QUESTION,
            max_new_tokens: int = REASON_TOKENS) -> list[Suggestion]:
    """One suggestion per (user_id, persona text), in order: two batched calls (scores, then reasons)."""
    if isinstance(users, str) or not all(isinstance(u, tuple) and len(u) == 2 and all(isinstance(x, str) for x in u)
                                         for u in users):
        raise TypeError("users must be a sequence of (user_id, persona) string pairs")
    if len(classes) < 2 or not all(isinstance(c, str) and c for c in classes):
        raise TypeError(f"classes must be at least two class names, got {classes!r}")
    if not isinstance(question, str) or not question.strip():
        raise TypeError("question must be a non-empty str")
    if not users:
        return []
    scores = model.score([ScoreRequest(label_chat(p, question, classes), tuple(classes)) for _, p in users])
    probabilities = [softmax(s) for s in scores]
    labels = [classes[max(range(len(classes)), key=lambda k: p[k])] for p in probabilities]
    sampling = Sampling(temperature=0.0, max_new_tokens=max_new_tokens)
    reasons = model.generate([GenerateRequest(reasoning_chat(p, question, classes, label), sampling)
                              for (_, p), label in zip(users, labels)])
    return [Suggestion(uid, label, p[classes.index(label)], tuple(p), reason.strip())
            for (uid, _), label, p, reason in zip(users, labels, probabilities, reasons)]

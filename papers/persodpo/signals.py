"""PersoDPO's automatic signals of one candidate response and the quality score that combines them.

Pure functions over what the judges answered (NLI label probabilities, a coherence probability,
embeddings); the requests that ask for them are built here too, the model calls happen in score.py.

Signals (each a number per candidate; a failed candidate, one without valid JSON, has no response to
judge, so its text signals are NaN):
- coherence: P(yes) that the response is a coherent, relevant reply to the dialogue (a judge's
  Yes/No option scores, papers.core.verdict.p_yes).
- persona consistency: the C-score of Madotto et al. (2019): over the persona sentences, the mean of
  +1 (entailment), 0 (neutral), -1 (contradiction), each the most probable NLI label of (premise =
  the response, hypothesis = the persona sentence). Range [-1, 1].
- persona entailment: the largest P(entailment) over the persona sentences, from the same NLI
  answers: does the response draw on at least one persona fact. The paper names the signal without
  its formula; the maximum keeps it apart from consistency (a mean) and rewards a reply that uses one
  persona fact, as a FoCus reply does, rather than all five. Range [0, 1].
- persona distance: the cosine between the response's embedding and the persona's (its sentences
  joined into one text). Called distance in the paper, it enters the score with a positive weight,
  so it is read as closeness: higher means nearer the persona.
- failure: the reply is not exactly one JSON object with a string "response" (candidates.py).
- instructability: max(0, 1 - ((|words - mean words| / mean words)^2)) + 0.3 if the reply is
  exactly one valid JSON. `mean_words` is a constant of the dataset chosen by the caller (pluralign:
  the mean word count of the training turns' gold responses, the length the data's own replies have),
  so a candidate's score does not depend on which other candidates were generated. A failed reply's
  words are counted on the raw reply. Range [0, 1.3].

Quality: 0.14 coherence + 0.20 consistency + 0.18 entailment + 0.16 persona distance + 0.32
instructability, each signal first min-max normalised to [0, 1] over the whole set of candidates
given (the dataset: every prompt and every generator), NaN (a failure) then counting as 0, the worst.
Why each signal and not the sum: the signals live on different scales ([-1, 1], [0, 1.3] ...) and
min-max normalisation is what makes the weights mean what they say. Why over the dataset and not
per prompt: per prompt, a signal on which a prompt's candidates differ by 0.001 would be stretched
to the full [0, 1] like one on which they differ by 0.9, noise counting as much as signal, and the
pair weight sigmoid(q_chosen - q_rejected) would compare gaps measured on different rulers.
A signal constant over the dataset carries no information and normalises to 0.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd

from papers.core.llm.types import ClassifyRequest, ScoreRequest, user
from papers.core.verdict import CONTENT_FREE, YES_NO, option_probabilities, softmax

# Option words of the NLI judge, in the order of NLI_LABELS: the Yes / Maybe / No reading of
# "does the premise entail the hypothesis" (the FLAN and T0 NLI templates), one short word each so
# no option is favoured for having fewer tokens.
NLI_LABELS = ("entailment", "neutral", "contradiction")
NLI_OPTIONS = ("Yes", "Maybe", "No")
NLI_VALUES = np.array([1.0, 0.0, -1.0])  # the C-score's value of each label

WEIGHTS = {"coherence": 0.14, "consistency": 0.20, "entailment": 0.18, "persona_distance": 0.16,
           "instructability": 0.32}
JSON_BONUS = 0.3

NLI_PROMPT = """Premise: {premise}
Hypothesis: {hypothesis}

Does the premise entail the hypothesis? Answer Yes, Maybe or No."""

COHERENCE_PROMPT = """Here is a dialogue between a user and an assistant, and a reply for the assistant.

{dialogue}

Reply: {response}

Is the reply a coherent and relevant continuation of the dialogue? Answer Yes or No."""


def _text(value, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}")
    return value


def nli_request(premise: str, hypothesis: str) -> ScoreRequest:
    """The LLM NLI substitute's request: its log-likelihood of Yes / Maybe / No (NLI_OPTIONS)."""
    return ScoreRequest(user(NLI_PROMPT.format(premise=_text(premise, "premise"),
                                               hypothesis=_text(hypothesis, "hypothesis"))), NLI_OPTIONS)


def nli_classify_request(premise: str, hypothesis: str) -> ClassifyRequest:
    """An NLI classifier's request: the pair (premise, hypothesis), its three labels by name."""
    return ClassifyRequest(_text(premise, "premise"), NLI_LABELS, text_pair=_text(hypothesis, "hypothesis"))


def persona_pairs(response: str, persona: Sequence[str]) -> list[tuple[str, str]]:
    """One NLI (premise, hypothesis) per persona sentence: premise the response, hypothesis the sentence."""
    if isinstance(persona, str):
        raise TypeError("persona must be a sequence of sentences, not one str")
    return [(_text(response, "response"), _text(sentence, "persona sentence")) for sentence in persona]


def nli_probabilities(option_scores: Sequence[float]) -> np.ndarray:
    """P(entailment), P(neutral), P(contradiction): the softmax of the three options' scores."""
    scores = [float(s) for s in option_scores]
    if len(scores) != len(NLI_LABELS) or not all(math.isfinite(s) for s in scores):
        raise ValueError(f"expected {len(NLI_LABELS)} finite option scores, got {option_scores!r}")
    return np.array(softmax(scores))


NLI_CALIBRATIONS = ("none", "content_free")


def is_classifier(model) -> bool:
    """Whether the NLI model is a sequence classifier (the hf-classifier backend) rather than an LLM."""
    return model.spec.backend == "hf-classifier"


def nli_answers(model, pairs: Sequence[tuple[str, str]], calibration: str) -> list[np.ndarray]:
    """P(entailment, neutral, contradiction) of each (premise, hypothesis).

    An NLI classifier (paper scale) answers them directly: the softmax over its labels, of which these
    three are all an MNLI model has. An LLM (the mini substitute) is asked Yes / Maybe / No
    (nli_request), and calibration "content_free" divides out its answer prior, its probabilities for a
    premise and hypothesis that say nothing ("N/A"), as the construction's classifier does
    (papers.core.verdict.option_probabilities): a small LLM that answers one option to everything would
    otherwise make every label the same. A classifier has no such prior to divide out: it takes "none"."""
    if calibration not in NLI_CALIBRATIONS:
        raise ValueError(f"calibration must be one of {NLI_CALIBRATIONS}, got {calibration!r}")
    if not pairs:
        return []
    if is_classifier(model):
        if calibration != "none":
            raise ValueError(f"model {model.spec.model!r} is an NLI classifier: its calibration must be "
                             f"'none', not {calibration!r} (content_free divides out an LLM's answer prior)")
        # The softmax of log-probabilities renormalises them over the three labels (a no-op for MNLI).
        return [np.array(softmax(a)) for a in model.classify([nli_classify_request(p, h) for p, h in pairs])]
    requests = [nli_request(p, h) for p, h in pairs]
    if calibration == "none":
        return [nli_probabilities(scores) for scores in model.score(requests)]
    free = nli_request(CONTENT_FREE, CONTENT_FREE)
    return [np.array(p) for p in option_probabilities(model, requests, "content_free", [free] * len(requests))]


def coherence_request(context: Sequence[str], response: str) -> ScoreRequest:
    """A judge's Yes / No on the reply's coherence with the dialogue (read with verdict.p_yes)."""
    if isinstance(context, str) or not all(isinstance(c, str) for c in context):
        raise TypeError("context must be a sequence of str")
    dialogue = "\n".join(f"{'User' if i % 2 == 0 else 'Assistant'}: {line}" for i, line in enumerate(context))
    return ScoreRequest(user(COHERENCE_PROMPT.format(dialogue=dialogue, response=_text(response, "response"))),
                        YES_NO)


def _nli_matrix(probabilities) -> np.ndarray:
    matrix = np.asarray(probabilities, dtype=float)
    if matrix.ndim != 2 or matrix.shape[1] != len(NLI_LABELS) or len(matrix) == 0:
        raise ValueError(f"expected one row of {len(NLI_LABELS)} NLI probabilities per persona sentence, "
                         f"got shape {matrix.shape}")
    return matrix


def persona_consistency(probabilities) -> float:
    """The C-score: mean over persona sentences of +1 / 0 / -1 for the most probable NLI label
    (a tie goes to the label first in NLI_LABELS, as numpy's argmax does)."""
    return float(NLI_VALUES[_nli_matrix(probabilities).argmax(axis=1)].mean())


def persona_entailment(probabilities) -> float:
    """The largest P(entailment) over the persona sentences."""
    return float(_nli_matrix(probabilities)[:, 0].max())


def persona_distance(response_vector, persona_vector) -> float:
    """Cosine between the response's and the persona's embeddings (higher: nearer the persona)."""
    a, b = np.asarray(response_vector, dtype=float), np.asarray(persona_vector, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"expected two vectors of one length, got shapes {a.shape} and {b.shape}")
    norms = np.linalg.norm(a) * np.linalg.norm(b)
    if norms == 0:
        raise ValueError("cannot take the cosine of a zero vector")
    return float(a @ b / norms)


def instructability(words: int, mean_words: float, valid_json: bool) -> float:
    """max(0, 1 - ((|words - mean words| / mean words)^2)) + 0.3 if exactly one valid JSON."""
    if isinstance(words, bool) or not isinstance(words, (int, np.integer)) or words < 0:
        raise TypeError(f"words must be a non-negative int, got {words!r}")
    if isinstance(mean_words, bool) or not isinstance(mean_words, (int, float)) or not mean_words > 0:
        raise ValueError(f"mean_words must be a positive number, got {mean_words!r}")
    if not isinstance(valid_json, (bool, np.bool_)):
        raise TypeError(f"valid_json must be a bool, got {type(valid_json).__name__}")
    length = max(0.0, 1.0 - (abs(words - mean_words) / mean_words) ** 2)
    return length + (JSON_BONUS if valid_json else 0.0)


def min_max(values: pd.Series) -> pd.Series:
    """Values rescaled to [0, 1] over the series; NaN (a failure's text signal) becomes 0, the worst;
    a constant series becomes 0."""
    low, high = values.min(), values.max()
    if not high > low:  # constant, or all NaN
        return pd.Series(0.0, index=values.index)
    return ((values - low) / (high - low)).fillna(0.0)


def quality(signals: pd.DataFrame, weights: dict[str, float] | None = None) -> pd.Series:
    """The quality of each candidate (row): the weighted sum of its min-max normalised signals, the
    normalisation over every row given (pass the whole dataset, not one prompt). Range [0, 1]."""
    if not isinstance(signals, pd.DataFrame):
        raise TypeError(f"signals must be a DataFrame, got {type(signals).__name__}")
    weights = dict(WEIGHTS if weights is None else weights)
    missing = [name for name in weights if name not in signals.columns]
    if missing:
        raise ValueError(f"signals lack column(s) {', '.join(missing)}")
    total = sum(weight * min_max(signals[name].astype(float)) for name, weight in weights.items())
    return pd.Series(total, index=signals.index, name="quality")

"""The analyst's active-learning loop: a TF-IDF persona classifier, the confidence rule that picks
which users the analyst is asked about, accept/decline, retraining with its history, and the
learning curve (accuracy against labels used) of uncertainty sampling against random sampling.

Confidence of a prediction with class probabilities a and d is |a - d| / (a + d). A user whose
confidence is below THRESHOLD = 0.65 goes to the analyst, as the authors' code does; PAPERS.md's
summary writes the rule from the other side (confident predictions are those with >= 0.65).

The classifier is TF-IDF (words and word pairs) into a logistic regression (the paper names TF-IDF,
not the model on top; C = 10 is pluralign's choice: with C = 1 and a handful of labels every
probability stays near 0.5, so every user would sit under the threshold).

    python -m papers.persopilot.active --help     # the learning curves of both strategies (the DAG's step)
"""
from __future__ import annotations

import math
import random
from typing import Sequence

import numpy as np

THRESHOLD = 0.65   # the authors' code: confidence < 0.65 -> the analyst
C = 10.0           # inverse regularisation of the logistic regression (see above)
STRATEGIES = ("uncertainty", "random")


def confidence(a: float, d: float) -> float:
    """|a - d| / (a + d) of two class probabilities (0 when both are 0)."""
    for name, v in (("a", a), ("d", d)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.floating)) or v < 0 or math.isnan(v):
            raise TypeError(f"{name} must be a probability (a number >= 0), got {v!r}")
    return abs(a - d) / (a + d) if a + d > 0 else 0.0


def to_analyst(probabilities: Sequence[Sequence[float]], threshold: float = THRESHOLD) -> list[int]:
    """Indices of the predictions under the threshold, least confident first (ties: by index)."""
    conf = [confidence(float(p[0]), float(p[1])) for p in probabilities]
    return sorted((i for i, c in enumerate(conf) if c < threshold), key=lambda i: (conf[i], i))


class PersonaClassifier:
    """TF-IDF + logistic regression over persona texts, for two classes in a fixed order."""

    def __init__(self, classes: Sequence[str]):
        if len(classes) != 2 or len(set(classes)) != 2 or not all(isinstance(c, str) for c in classes):
            raise TypeError(f"classes must be two distinct class names, got {classes!r}")
        self.classes = tuple(classes)
        self._model = None

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> "PersonaClassifier":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        _check_texts(texts)
        if len(labels) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        unknown = sorted(set(labels) - set(self.classes))
        if unknown:
            raise ValueError(f"labels {unknown} are not among the classes {self.classes}")
        if set(labels) != set(self.classes):
            raise ValueError(f"training needs both classes, got only {sorted(set(labels))}")
        y = [self.classes.index(label) for label in labels]
        self._model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                                    LogisticRegression(C=C, max_iter=1000)).fit(list(texts), y)
        return self

    def proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n, 2) probabilities, columns in `classes` order."""
        if self._model is None:
            raise RuntimeError("the classifier is not trained yet")
        _check_texts(texts)
        if not texts:
            return np.zeros((0, 2))
        return self._model.predict_proba(list(texts))

    def predict(self, texts: Sequence[str]) -> list[str]:
        return [self.classes[int(i)] for i in np.argmax(self.proba(texts), axis=1)]


def _check_texts(texts) -> None:
    if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
        raise TypeError("texts must be a sequence of str")


# --- the loop in the application ---------------------------------------------------------------
def current_classifier(store, classes: Sequence[str]) -> tuple[PersonaClassifier | None, int | None]:
    """The classifier of the latest version (refit from the stored labels: TF-IDF and a logistic
    regression on at most a few hundred texts take milliseconds, and the fit is deterministic), or
    (None, None) before the first retraining."""
    history = store.history()
    if not history:
        return None, None
    labels = store.labels()[:history[-1]["labels_used"]]
    texts = [store.persona_text(x["user_id"]) for x in labels]
    return PersonaClassifier(classes).fit(texts, [x["label"] for x in labels]), history[-1]["version"]


def retrain(store, classes: Sequence[str]) -> int | None:
    """Fit on every analyst label and append the version to the history, with its accuracy on the
    users that have a gold class and no analyst label. None (nothing stored) while one class has no
    label yet."""
    labels = store.labels()
    if {x["label"] for x in labels} != set(classes):
        return None
    model = PersonaClassifier(classes).fit([store.persona_text(x["user_id"]) for x in labels],
                                           [x["label"] for x in labels])
    labelled = {x["user_id"] for x in labels}
    held = [u for u in store.users() if u["gold"] in classes and u["user_id"] not in labelled]
    accuracy = None
    if held:
        predicted = model.predict([store.persona_text(u["user_id"]) for u in held])
        accuracy = float(np.mean([p == u["gold"] for p, u in zip(predicted, held)]))
    return store.add_classifier_version(len(labels), accuracy, len(held))


def analyst_queue(store, classes: Sequence[str], threshold: float = THRESHOLD, limit: int = 5) -> list[dict]:
    """The unlabelled users the analyst is asked about, least confident first, each with the
    classifier's probabilities and suggestion. Before the first classifier (cold start) every
    unlabelled user qualifies, in user-id order, with no suggestion."""
    model, version = current_classifier(store, classes)
    labelled = {x["user_id"] for x in store.labels()}
    pool = [u for u in store.users() if u["user_id"] not in labelled]
    texts = [store.persona_text(u["user_id"]) for u in pool]
    keep = [i for i, t in enumerate(texts) if t.strip()]
    if model is None:
        return [{**pool[i], "text": texts[i], "proba": None, "confidence": None, "predicted": None,
                 "version": None} for i in keep[:limit]]
    proba = model.proba([texts[i] for i in keep])
    out = []
    for j in to_analyst(proba, threshold)[:limit]:
        i = keep[j]
        out.append({**pool[i], "text": texts[i], "proba": [float(p) for p in proba[j]],
                    "confidence": confidence(*map(float, proba[j])),
                    "predicted": classes[int(np.argmax(proba[j]))], "version": version})
    return out


# --- the learning curve --------------------------------------------------------------------------
def learning_curve(texts: Sequence[str], labels: Sequence[str], classes: Sequence[str], strategy: str,
                   seed: int, budget: int, step: int = 2, test_fraction: float = 0.3,
                   threshold: float = THRESHOLD) -> list[dict]:
    """Accuracy on a held-out split after each round of analyst answers, simulated from the gold
    labels (the analyst accepts the classifier's suggestion when it is the gold class and declines it
    otherwise, which on two classes also yields the gold class). Rounds: start from one seeded
    user of each class, then add `step` users per round chosen by `strategy` until `budget` labels.
    uncertainty: the least confident users of the pool (the 0.65 rule's order; when no user is under
    the threshold the least confident are still taken, and `under_threshold` records it); random: a
    seeded draw. The test split and the first two users depend on the seed only, so both
    strategies of a seed share them."""
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    for name, v in (("seed", seed), ("budget", budget), ("step", step)):
        if isinstance(v, bool) or not isinstance(v, int) or v < (0 if name == "seed" else 1):
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    _check_texts(texts)
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    split_rng = random.Random(seed)
    test = set()
    for c in classes:  # stratified: the same share of each class held out
        members = [i for i, y in enumerate(labels) if y == c]
        test |= set(split_rng.sample(members, max(1, round(test_fraction * len(members)))))
    pool = [i for i in range(len(texts)) if i not in test]
    test_idx = sorted(test)
    # the first two labels depend on the seed only: both strategies of a seed start alike
    chosen = [split_rng.choice([i for i in pool if labels[i] == c]) for c in classes]
    rng = random.Random(f"{seed}:{strategy}")
    pool = [i for i in pool if i not in chosen]
    trivial = trivial_accuracies([labels[i] for i in test_idx], classes, seed)
    rows, accepted = [], 0
    while True:
        model = PersonaClassifier(classes).fit([texts[i] for i in chosen], [labels[i] for i in chosen])
        predicted = model.predict([texts[i] for i in test_idx])
        proba = model.proba([texts[i] for i in pool])
        under = len(to_analyst(proba, threshold))
        rows.append({"strategy": strategy, "seed": seed, "labels": len(chosen),
                     "accuracy": float(np.mean([p == labels[i] for p, i in zip(predicted, test_idx)])),
                     "under_threshold": under, "pool": len(pool), "accepted": accepted, **trivial})
        if len(chosen) >= budget or not pool:
            break
        take = min(step, budget - len(chosen), len(pool))
        if strategy == "uncertainty":
            conf = [confidence(*map(float, p)) for p in proba]
            picks = [pool[j] for j in sorted(range(len(pool)), key=lambda j: (conf[j], j))[:take]]
            accepted += sum(classes[int(np.argmax(proba[pool.index(i)]))] == labels[i] for i in picks)
        else:
            picks = rng.sample(pool, take)
            accepted += sum(model.predict([texts[i]])[0] == labels[i] for i in picks)
        chosen += picks
        pool = [i for i in pool if i not in picks]
    return rows


def trivial_accuracies(gold: Sequence[str], classes: Sequence[str], seed: int) -> dict[str, float]:
    """Held-out accuracy of the two trivial predictors the curves stand beside (core.metrics): the
    test split's most frequent class everywhere, and a seeded fair coin."""
    from papers.core.metrics.classification import accuracy, trivial_predictions

    ids = [list(classes).index(g) for g in gold]
    return {name.replace(" ", "_"): accuracy(ids, predicted)
            for name, predicted in trivial_predictions(ids, seed).items()}


def curves(texts: Sequence[str], labels: Sequence[str], classes: Sequence[str], seeds: int, budget: int,
           step: int, test_fraction: float, threshold: float):
    """Both strategies' learning curves for seeds 0..seeds-1, one row per round."""
    import pandas as pd

    rows = [row for seed in range(seeds) for strategy in STRATEGIES
            for row in learning_curve(texts, labels, classes, strategy, seed, budget, step, test_fraction, threshold)]
    return pd.DataFrame(rows)


def main(argv=None) -> None:
    from pathlib import Path

    from papers.core.cli import parser, setup_logging
    from papers.core.io import InputError, write_parquet

    from .store import parse_users_csv

    p = parser(__doc__)
    p.add_argument("--users", required=True, help="a users CSV with user_id, persona and label (the gold class)")
    p.add_argument("--classes", nargs=2, required=True)
    p.add_argument("--seeds", type=int, required=True)
    p.add_argument("--budget", type=int, required=True, help="labels at the end of each curve")
    p.add_argument("--step", type=int, required=True, help="analyst answers per round")
    p.add_argument("--test-fraction", type=float, required=True)
    p.add_argument("--threshold", type=float, required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    log = setup_logging()
    users = parse_users_csv(Path(a.users).read_bytes(), a.users, a.classes)
    if missing := [u["user_id"] for u in users if u["gold"] is None]:
        raise InputError(a.users, f"{len(missing)} users have no label (first: {missing[0]}); the curve "
                         "simulates the analyst from the gold labels", field="label")
    rows = curves([u["persona"] for u in users], [u["gold"] for u in users], a.classes, a.seeds, a.budget,
                  a.step, a.test_fraction, a.threshold)
    write_parquet(a.out, rows)
    log.info("%d rounds over %d seeds", len(rows), a.seeds)


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)

"""Train every method on one dataset's training memes and score it on the test memes at each
missing-text rate, for each seed; the trivial baselines beside them.

    python -m papers.missing_modality.evaluate --help

Seed s trains every method with seed s and draws the test memes that lose their text with seed s
(masking.py: exactly round(rate * n) of them, nested across rates). The validation split is not
used: the settings are fixed in the config, not selected. Two trivial baselines are scored on the
same test memes: `most_frequent` (the training split's most frequent label for every meme) and
`chance` (a label drawn uniformly for every meme, seeded with s); neither reads a feature, so the
missing rate does not move them.

Output (Parquet), one row per (method, seed, rate): dataset, method, seed, rate, n_test, n_missing,
accuracy, macro_f1.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from tqdm import tqdm

from papers.core.metrics.classification import accuracy, macro_f1

from .features import load_features
from .masking import text_missing_mask
from .methods import METHODS, Settings, make_method

TRIVIAL = ("most_frequent", "chance")


def trivial_predictions(name: str, train_labels: np.ndarray, n: int, classes: int, seed: int) -> np.ndarray:
    """The predictions of a trivial baseline for n test memes."""
    if name == "most_frequent":
        return np.full(n, np.bincount(train_labels, minlength=classes).argmax(), dtype=np.int64)
    if name == "chance":
        return np.random.default_rng(seed).integers(0, classes, n)
    raise ValueError(f"unknown trivial baseline {name!r}; expected one of {TRIVIAL}")


def evaluate(memes: pd.DataFrame, image: np.ndarray, text: np.ndarray, methods: list[str], settings: Settings,
             seeds: list[int], rates: list[float]) -> pd.DataFrame:
    """Scores of every method and trivial baseline at every (seed, rate) on one dataset; `image` and
    `text` hold one row per meme, in the order of `memes`."""
    if not isinstance(memes, pd.DataFrame):
        raise TypeError(f"memes must be a DataFrame, got {type(memes).__name__}")
    train, test = (memes["split"] == "train").to_numpy(), (memes["split"] == "test").to_numpy()
    labels = memes["label"].to_numpy(dtype=np.int64)
    classes = int(labels.max()) + 1
    dataset = str(memes["dataset"].iloc[0])
    rows = []

    def score(method, seed, rate, missing, predicted):
        rows.append({"dataset": dataset, "method": method, "seed": seed, "rate": rate, "n_test": int(test.sum()),
                     "n_missing": int(missing.sum()), "accuracy": accuracy(labels[test], predicted),
                     "macro_f1": macro_f1(labels[test], predicted, labels=range(classes))})

    for seed in tqdm(seeds, desc=f"{dataset}: seeds"):
        masks = {rate: text_missing_mask(int(test.sum()), rate, seed) for rate in rates}
        for name in methods:
            model = make_method(name, settings).fit(image[train], text[train], labels[train], seed)
            for rate, missing in masks.items():
                probabilities = model.predict_proba(image[test], text[test], text_missing=missing)
                score(name, seed, rate, missing, probabilities.argmax(axis=1))
        for name in TRIVIAL:
            predicted = trivial_predictions(name, labels[train], int(test.sum()), classes, seed)
            for rate, missing in masks.items():
                score(name, seed, rate, missing, predicted)
    return pd.DataFrame(rows)


def main(argv=None) -> None:
    import dataclasses

    import torch

    from papers.core.cli import parser, setup_logging
    from papers.core.io import write_parquet
    from papers.core.vision.memes import load_memes

    p = parser(__doc__)
    p.add_argument("--memes", required=True, help="the dataset's memes (the vision core's memes.parquet)")
    p.add_argument("--features", required=True, help="its image and text vectors (features.py)")
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    p.add_argument("--seeds", type=int, nargs="+", required=True)
    p.add_argument("--rates", type=float, nargs="+", required=True, help="missing-text rates in [0, 1]")
    for field in dataclasses.fields(Settings):
        p.add_argument(f"--{field.name.replace('_', '-')}", type=type(field.default), default=field.default)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", required=True, help="Parquet: one row per (method, seed, rate)")
    a = p.parse_args(argv)
    log = setup_logging()
    torch.set_num_threads(max(1, a.threads))
    settings = Settings(**{f.name: getattr(a, f.name) for f in dataclasses.fields(Settings)})
    memes = load_memes(a.memes)
    image, text = load_features(a.features, list(memes["id"]))
    scores = evaluate(memes, image, text, a.methods, settings, a.seeds, a.rates)
    write_parquet(a.out, scores)
    summary = scores[scores["rate"].isin([0.0, 1.0])].groupby(["method", "rate"])["macro_f1"].mean()
    for (method, rate), f1 in summary.items():
        log.info("%s at %.0f%% text missing: macro-F1 %.3f", method, 100 * rate, f1)


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)

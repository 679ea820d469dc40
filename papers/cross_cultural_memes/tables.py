"""Paper 8's tables, each a function named after its file (table_<stem>.{csv,md,tex}) returning a DataFrame.

Gold labels: a language's captions are judged by the annotators of its country (Multi3Hate's
pairing, evaluate.COUNTRY_OF). Every F1 table carries the trivial baselines per language: the most
frequent gold label, and a seeded fair coin ("chance").
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score, f1_score

from papers.core.metrics.classification import macro_f1, trivial_predictions

from .evaluate import COUNTRY_OF, settings

SETTING = ["learning", "prompt", "caption"]
BASELINE = ("zero_shot", "english", "original")  # the zero-shot English prompt on the original caption
TRIVIAL = ("most frequent", "chance")
BROKEN = {"empty", "copied", "length"}


def _gold(memes: pd.DataFrame, language: str) -> pd.Series:
    return memes.set_index("id")[f"label_{COUNTRY_OF[language]}"].astype(int)


def table_f1_settings(scores: pd.DataFrame, memes: pd.DataFrame, languages: list[str], seed: int) -> pd.DataFrame:
    """model x language x setting macro-F1 against the language's annotators, with the trivial rows."""
    rows = []
    for (model, lang), own in scores.groupby(["model", "language"], sort=False):
        gold = _gold(memes, lang)
        for setting, cell in own.groupby(SETTING, sort=False):
            rows.append({"model": model, "kind": "model", "language": lang, "country": COUNTRY_OF[lang],
                         **dict(zip(SETTING, setting)), "memes": len(cell),
                         "macro_f1": macro_f1(gold.loc[cell["id"]].to_numpy(), cell["prediction"].to_numpy(), [0, 1]),
                         "predicted_hateful": float(cell["prediction"].mean())})
    for lang in languages:
        gold = _gold(memes, lang).to_numpy()
        for name, predicted in trivial_predictions(gold, seed).items():
            rows.append({"model": name, "kind": "trivial", "language": lang, "country": COUNTRY_OF[lang],
                         "learning": "-", "prompt": "-", "caption": "-", "memes": len(gold),
                         "macro_f1": macro_f1(gold, predicted, [0, 1]), "predicted_hateful": float(predicted.mean())})
    return pd.DataFrame(rows)


def table_setting_deltas(f1: pd.DataFrame) -> pd.DataFrame:
    """Each setting's macro-F1 minus that of the zero-shot English-prompt original-caption baseline,
    per model and language."""
    models = f1[f1["kind"] == "model"]
    rows = []
    for (model, lang), own in models.groupby(["model", "language"], sort=False):
        cells = own.set_index(SETTING)["macro_f1"]
        base = cells.loc[BASELINE]
        for setting in settings(lang):
            if setting != BASELINE:
                rows.append({"model": model, "language": lang, **dict(zip(SETTING, setting)),
                             "setting": "/".join(setting), "delta_macro_f1": cells.loc[setting] - base})
    return pd.DataFrame(rows)


AXES = {  # axis: (column, with, without) - the effect is F1(with) - F1(without), the rest held equal
    "translate_then_detect": ("caption", "translated", "original"),
    "native_prompt": ("prompt", "native", "english"),
    "one_shot": ("learning", "one_shot", "zero_shot"),
}


def table_axis_effects(f1: pd.DataFrame) -> pd.DataFrame:
    """Per model and axis, the mean macro-F1 change of switching that axis on, over every pair of
    settings (and language) that differ in that axis only; `pairs` counts them."""
    models = f1[f1["kind"] == "model"]
    rows = []
    for model, own in models.groupby("model", sort=False):
        for axis, (column, on, off) in AXES.items():
            others = [c for c in SETTING if c != column]
            keyed = own.set_index(["language", *others, column])["macro_f1"]
            diffs = [keyed.loc[(*key, on)] - keyed.loc[(*key, off)]
                     for key in dict.fromkeys(k[:-1] for k in keyed.index)
                     if (*key, on) in keyed.index and (*key, off) in keyed.index]
            rows.append({"model": model, "axis": axis, "pairs": len(diffs),
                         "mean_delta_macro_f1": float(np.mean(diffs)) if diffs else float("nan"),
                         "improved": int(sum(d > 0 for d in diffs))})
    return pd.DataFrame(rows)


def _agreement(gold: np.ndarray, predicted: np.ndarray) -> dict:
    kappa = cohen_kappa_score(gold, predicted) if len(set(gold)) > 1 or len(set(predicted)) > 1 else float("nan")
    return {"kappa": float(kappa), "f1_hateful": float(f1_score(gold, predicted, zero_division=0)),
            "accuracy": float((gold == predicted).mean())}


def table_agreement(scores: pd.DataFrame, memes: pd.DataFrame, countries: list[str], seed: int) -> pd.DataFrame:
    """Agreement (Cohen's kappa, F1 of the hateful class, accuracy; scikit-learn) of each model's
    zero-shot native-prompt original-caption predictions in each language with each country's
    annotators; `language` "mean" averages the languages. Reference rows: the US annotators' labels
    (how far each country is from the Western reference, known from the generator) and the trivial
    predictors."""
    by_id = memes.set_index("id")
    zero = scores[(scores["learning"] == "zero_shot") & (scores["caption"] == "original")
                  & ((scores["prompt"] == "native") | (scores["language"] == "en"))]
    rows = []
    for (model, lang), cell in zero.groupby(["model", "language"], sort=False):
        for country in countries:
            gold = by_id.loc[cell["id"], f"label_{country}"].to_numpy().astype(int)
            rows.append({"model": model, "kind": "model", "language": lang, "country": country,
                         **_agreement(gold, cell["prediction"].to_numpy())})
    reference = by_id["label_US"].to_numpy().astype(int) if "label_US" in by_id.columns else None
    for country in countries:
        gold = by_id[f"label_{country}"].to_numpy().astype(int)
        predictors = {**({"US annotators": reference} if reference is not None else {}),
                      **trivial_predictions(gold, seed)}
        for name, predicted in predictors.items():
            rows.append({"model": name, "kind": "reference" if name == "US annotators" else "trivial",
                         "language": "-", "country": country, **_agreement(gold, predicted)})
    table = pd.DataFrame(rows)
    means = (table[table["kind"] == "model"].groupby(["model", "country"], sort=False)[["kappa", "f1_hateful", "accuracy"]]
             .mean().reset_index().assign(kind="model", language="mean"))
    return pd.concat([table, means[table.columns]], ignore_index=True)


def table_translation(captions: pd.DataFrame) -> pd.DataFrame:
    """Per language: captions, broken translations (empty, copied, far too short or long) into the
    language and back into English, and the back-translation's MiniLM cosine to the English original
    beside the floor of an unrelated caption's."""
    rows = []
    for lang, own in captions[captions["language"] != "en"].groupby("language", sort=False):
        rows.append({"language": lang, "memes": len(own),
                     "captions_from_dataset": int((own["caption_status"] == "dataset").sum()),
                     "broken_captions": int(own["caption_status"].isin(BROKEN).sum()),
                     "broken_back_translations": int(own["back_status"].isin(BROKEN).sum()),
                     "similarity_mean": float(own["similarity"].mean()),
                     "similarity_min": float(own["similarity"].min()),
                     "unrelated_similarity_mean": float(own["unrelated_similarity"].mean())})
    return pd.DataFrame(rows)

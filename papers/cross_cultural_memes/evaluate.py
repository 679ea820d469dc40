"""One LVLM asked about every meme in every language and setting, by option scoring.

    python -m papers.cross_cultural_memes.evaluate --memes memes.parquet --captions captions.parquet \
        --languages en de es --countries US DE MX IN CN --lvlm JSON --cache results/cache/llm_calls.sqlite \
        --seed 42 --threshold 0.5 --out results/cross_cultural_memes/scores/<model>.parquet

The three axes of the paper, crossed (SETTINGS):
- learning: zero_shot, or one_shot: one solved example (its image, its caption, the answer of the
  language's annotators) as an earlier turn. The example of meme m is drawn uniformly from the other
  memes by a random stream seeded with (config seed, m): the same example in every language and
  setting, so the settings differ only in what they vary;
- prompt: native (the question in the caption's language, scoring that language's yes/no words) or
  english (the question in English, scoring "Yes"/"No");
- caption: original (the caption in its language) or translated (translate-then-detect: the
  caption translated into English, captions.parquet's back_translation).
English captions have a single prompt and caption choice (english, original), so two settings.

Every request is a ScoreRequest whose user turn holds the meme's image and the question
([image, text]); P(yes) = the two options' log-likelihoods, softmaxed; the prediction is hateful
when P(yes) >= threshold.

Output (Parquet), one row per (meme, language, setting): model, id, language, learning, prompt,
caption, logp_yes, logp_no, p_yes, prediction.
"""
from __future__ import annotations

import math
import random
from itertools import product

import pandas as pd

from papers.core.llm.types import ScoreRequest, TextPart, chat, image

from .prompts import question

LEARNING = ("zero_shot", "one_shot")
PROMPTS = ("native", "english")
CAPTIONS = ("original", "translated")
COUNTRY_OF = {"en": "US", "de": "DE", "es": "MX", "hi": "IN", "zh": "CN"}  # Multi3Hate's pairing


def settings(language: str) -> list[tuple[str, str, str]]:
    """(learning, prompt, caption) of every setting a language is evaluated in."""
    if language == "en":
        return [(learning, "english", "original") for learning in LEARNING]
    return list(product(LEARNING, PROMPTS, CAPTIONS))


def one_shot_example(meme_id: str, ids: list[str], seed: int) -> str:
    """The solved example shown before meme `meme_id` (module docstring)."""
    others = [m for m in ids if m != meme_id]
    if not others:
        raise ValueError("one-shot needs at least two memes")
    return random.Random(f"{seed}:one_shot:{meme_id}").choice(others)


def build_requests(memes: pd.DataFrame, captions: pd.DataFrame, languages: list[str], seed: int
                   ) -> tuple[list[dict], list[ScoreRequest]]:
    """Every (meme, language, setting): its record (without scores) and its ScoreRequest."""
    memes = memes.set_index("id", drop=False)
    ids = [str(m) for m in memes["id"]]
    text = captions.set_index(["id", "language"])
    records, requests = [], []
    pictures = {}
    for lang in languages:
        country = COUNTRY_OF.get(lang)
        if country is None or f"label_{country}" not in memes.columns:
            raise ValueError(f"language {lang!r} has no annotators' country among the memes' labels")
        for meme_id, (learning, prompt, caption) in product(ids, settings(lang)):
            asked = question(lang if prompt == "native" else "en")
            column = "caption" if caption == "original" else "back_translation"

            def user(m):
                key = (m, lang)
                if key not in pictures:
                    pictures[key] = image(memes.at[m, f"image_{lang}"], label=f"meme {m}")
                return ("user", (pictures[key], TextPart(asked.text(str(text.at[(m, lang), column])))))

            turns = []
            if learning == "one_shot":
                example = one_shot_example(meme_id, ids, seed)
                answer = asked.yes if memes.at[example, f"label_{country}"] == 1 else asked.no
                turns += [user(example), ("assistant", answer)]
            turns.append(user(meme_id))
            records.append({"id": meme_id, "language": lang, "learning": learning, "prompt": prompt,
                            "caption": caption})
            requests.append(ScoreRequest(chat(*turns), (asked.yes, asked.no)))
    return records, requests


def p_yes(logp_yes: float, logp_no: float) -> float:
    top = max(logp_yes, logp_no)
    yes, no = math.exp(logp_yes - top), math.exp(logp_no - top)
    return yes / (yes + no)


def score_memes(model, model_name: str, memes: pd.DataFrame, captions: pd.DataFrame, languages: list[str],
                seed: int, threshold: float) -> pd.DataFrame:
    """The output table of the module docstring for one LVLM."""
    if not isinstance(memes, pd.DataFrame) or not isinstance(captions, pd.DataFrame):
        raise TypeError("memes and captions must be DataFrames")
    records, requests = build_requests(memes, captions, languages, seed)
    scores = model.score(requests)
    for record, (yes, no) in zip(records, scores):
        record.update(model=model_name, logp_yes=float(yes), logp_no=float(no), p_yes=p_yes(yes, no))
        record["prediction"] = int(record["p_yes"] >= threshold)
    columns = ["model", "id", "language", "learning", "prompt", "caption", "logp_yes", "logp_no", "p_yes",
               "prediction"]
    return pd.DataFrame(records, columns=columns)


def load_captions(path, languages: list[str]) -> pd.DataFrame:
    from pathlib import Path

    from papers.core.io import InputError

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    frame = pd.read_parquet(path)
    for column in ("id", "language", "caption", "back_translation"):
        if column not in frame.columns:
            raise InputError(path, "missing column", field=column)
    absent = sorted(set(languages) - set(frame["language"]))
    if absent:
        raise InputError(path, f"no captions in language(s) {', '.join(absent)}; rerun the translate step",
                         field="language")
    return frame


def main(argv=None) -> None:
    import json

    from papers.core.cli import add_model_args, open_model, parser, setup_logging
    from papers.core.io import write_parquet

    from .data import add_scope_args, load_memes

    p = parser(__doc__)
    add_scope_args(p)
    p.add_argument("--captions", required=True)
    add_model_args(p, "lvlm")
    p.add_argument("--name", required=True, help="the LVLM's registry name (the tables' model column)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threshold", type=float, default=0.5)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    log = setup_logging()
    memes = load_memes(a.memes, a.languages, a.countries)
    captions = load_captions(a.captions, a.languages)
    model = open_model(a.lvlm, a.cache, a.threads, desc=f"{a.name} option scores")
    table = score_memes(model, a.name, memes, captions, a.languages, a.seed, a.threshold)
    write_parquet(a.out, table)
    log.info("%s: %d scored requests, hateful share %.2f (%s)", a.name, len(table), table["prediction"].mean(),
             json.loads(a.lvlm).get("model"))


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)

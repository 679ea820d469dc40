"""Every meme's caption in every language, and its translation back into English, through the cache.

    python -m papers.cross_cultural_memes.translate --memes memes.parquet --languages en de es \
        --translator JSON --embedder JSON --cache results/cache/llm_calls.sqlite --max-new-tokens 40 \
        --out results/cross_cultural_memes/captions.parquet

Per non-English language L: the caption in L is the dataset's (Multi3Hate: `caption_<L>`) or, where
the dataset has none (the mini memes), the English caption translated into L by the translator (a
few-shot transcript, prompts.translation_turns; greedy). Then the caption in L is translated back into
English: that is the caption of "translate-then-detect", and its MiniLM cosine to the English original
is the translation quality reported (back-translation similarity). Every generation is one cached,
batched model call, so a rerun loads no model and writes the same bytes.

A translation that is empty, copies its source unchanged, or is far shorter or longer than its source
(LENGTH_RATIO) is recorded with its status and counted in the translation table; it is kept and used
as it is, never dropped.

Output (Parquet), one row per (meme, language) in memes x languages order: id, language, caption,
caption_status (dataset | ok | empty | copied | length; `source` for English), back_translation,
back_status, similarity (cosine of back_translation and caption_en; English: 1), unrelated_similarity
(cosine of back_translation and the next meme's caption_en: the floor a real translation must beat).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from papers.core.embed import embed
from papers.core.llm.types import GenerateRequest, Sampling, chat

from .prompts import translation_turns

LENGTH_RATIO = (1 / 3, 3.0)  # a translation outside these multiples of its source's length is broken


def translation_status(source: str, translation: str) -> str:
    """ok, or why a translation is broken: empty, copied (the source unchanged), length."""
    if not isinstance(source, str) or not isinstance(translation, str):
        raise TypeError("source and translation must be str")
    if not translation.strip():
        return "empty"
    if " ".join(translation.split()).casefold() == " ".join(source.split()).casefold():
        return "copied"
    ratio = len(translation) / max(1, len(source))
    return "ok" if LENGTH_RATIO[0] <= ratio <= LENGTH_RATIO[1] else "length"


def translate(model, jobs: list[tuple[str, str, str]], max_new_tokens: int) -> list[str]:
    """Each (text, source language, target language) translated by `model`, greedy, in one batched cached
    call: decoding on a CPU reads every weight once per step whatever the batch, so one call for all
    languages costs little more than one per language."""
    requests = [GenerateRequest(chat(*translation_turns(source, target), ("user", text)),
                                Sampling(max_new_tokens=max_new_tokens)) for text, source, target in jobs]
    # A base model's reply may run on past the translation; the first line is the translation.
    return [answer.strip().split("\n")[0].strip() for answer in model.generate(requests)]


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return (a * b).sum(1) / np.where(norms > 0, norms, 1.0)


def caption_table(memes: pd.DataFrame, languages: list[str], translator, embedder,
                  max_new_tokens: int) -> pd.DataFrame:
    """The output table of the module docstring."""
    if not isinstance(memes, pd.DataFrame):
        raise TypeError(f"memes must be a DataFrame, got {type(memes).__name__}")
    english = [str(t) for t in memes["caption_en"]]
    others = [lang for lang in languages if lang != "en"]
    given = {lang: [str(t) for t in memes[f"caption_{lang}"]] for lang in others if f"caption_{lang}" in memes.columns}
    missing = [lang for lang in others if lang not in given]
    made = iter(translate(translator, [(t, "en", lang) for lang in missing for t in english], max_new_tokens))
    native = {lang: given[lang] if lang in given else [next(made) for _ in english] for lang in others}
    back = iter(translate(translator, [(t, lang, "en") for lang in others for t in native[lang]], max_new_tokens))
    frames = []
    for lang in languages:
        if lang == "en":
            frames.append(pd.DataFrame({"id": memes["id"], "language": "en", "caption": english,
                                        "caption_status": "source", "back_translation": english,
                                        "back_status": "source"}))
            continue
        status = (["dataset"] * len(memes) if lang in given
                  else [translation_status(s, t) for s, t in zip(english, native[lang])])
        backs = [next(back) for _ in english]
        frames.append(pd.DataFrame({"id": memes["id"], "language": lang, "caption": native[lang],
                                    "caption_status": status, "back_translation": backs,
                                    "back_status": [translation_status(s, t) for s, t in zip(native[lang], backs)]}))
    table = pd.concat(frames, ignore_index=True)
    originals = embed(embedder, english)
    vectors = embed(embedder, list(table["back_translation"]))
    reference = np.tile(originals, (len(languages), 1))
    table["similarity"] = cosine_rows(reference, vectors).astype(np.float64).round(6)
    # The floor a back-translation must beat: its cosine to the English caption of the next meme.
    table["unrelated_similarity"] = cosine_rows(np.roll(reference, -1, axis=0), vectors).astype(np.float64).round(6)
    table.loc[table["language"] == "en", "similarity"] = 1.0
    return table


def main(argv=None) -> None:
    from papers.core.cli import add_model_args, open_model, parser, setup_logging
    from papers.core.io import write_parquet

    from .data import add_scope_args, load_memes

    p = parser(__doc__)
    add_scope_args(p)
    add_model_args(p, "translator")
    p.add_argument("--embedder", required=True, metavar="JSON", help="its registry entry as JSON")
    p.add_argument("--max-new-tokens", type=int, default=40)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    log = setup_logging()
    memes = load_memes(a.memes, a.languages, a.countries)
    translator = open_model(a.translator, a.cache, a.threads, desc="translations")
    embedder = open_model(a.embedder, a.cache, a.threads, desc="back-translation vectors")
    table = caption_table(memes, a.languages, translator, embedder, a.max_new_tokens)
    write_parquet(a.out, table)
    for lang, rows in table.groupby("language", sort=False):
        log.info("%s: similarity %.3f, broken captions %d, broken back-translations %d", lang,
                 rows["similarity"].mean(), (~rows["caption_status"].isin(["ok", "dataset", "source"])).sum(),
                 (~rows["back_status"].isin(["ok", "source"])).sum())


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)

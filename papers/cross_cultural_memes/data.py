"""The memes of paper 8, one row per meme, whatever their source: Multi3Hate (paper scale) or the mini
memes of the vision core with per-country labels from cultures.py (mini scale).

    python -m papers.cross_cultural_memes.data --languages en de es --countries US DE MX IN CN \
        (--multi3hate resources/data/multi3hate | --vision-memes results/vision/memes/harm_c/memes.parquet \
         --sample 40 --max-words 10 --seed 42) --out results/cross_cultural_memes/memes.parquet

Schema (Parquet), one row per meme:
    id               the meme's id
    caption_en       its English caption
    caption_<lang>   its caption in <lang>, where the dataset gives one (Multi3Hate); the mini memes
                     have none, and the translate step writes them
    image_<lang>     the meme's image as shown to <lang> readers (Multi3Hate: one image per language;
                     mini: the same picture for every language)
    label_<country>  1 = hateful by that country's annotators, else 0
Mini tables also keep the generator's truth: text_label, picture, picture_group.

Multi3Hate as released (github.com/MinhDucBui/Multi3Hate, data/; README "Data"): final_annotations.csv
with a `Meme ID` column and one 0/1 column per country; captions/<lang>.csv with `Meme ID` and
`Translation` (the caption in <lang>; en.csv holds the English original); memes/<lang>/<Meme ID>.jpg.
Bad input stops with an InputError naming the file, the row and the field.
"""
from __future__ import annotations

import random
from pathlib import Path

import pandas as pd

from papers.core.io import InputError, read_csv_records

from .cultures import country_labels

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def _check_lists(languages, countries) -> None:
    for name, values in (("languages", languages), ("countries", countries)):
        if not isinstance(values, (list, tuple)) or not values or not all(isinstance(v, str) and v for v in values):
            raise TypeError(f"{name} must be a non-empty list of strings, got {values!r}")
    if "en" not in languages:
        raise ValueError(f"languages must include 'en' (the English baseline), got {languages!r}")


def short_caption(text: str, max_words: int) -> str:
    """The first `max_words` words of an OCR text, on one line (short captions keep translation cheap)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    return " ".join(text.split()[:max_words])


def mini_memes(vision_memes: pd.DataFrame, sample: int, languages: list[str], countries: list[str],
               seed: int, max_words: int) -> pd.DataFrame:
    """A seeded sample of the vision core's test memes (those with text) with per-country labels."""
    if not isinstance(vision_memes, pd.DataFrame):
        raise TypeError(f"vision_memes must be a DataFrame, got {type(vision_memes).__name__}")
    _check_lists(languages, countries)
    pool = vision_memes[(vision_memes["split"] == "test") & (vision_memes["text"].str.split().str.len() > 0)]
    if len(pool) < sample:
        raise ValueError(f"{sample} memes asked for, the meme table has {len(pool)} test memes with text")
    order = sorted(pool.index, key=str)
    chosen = pool.loc[sorted(random.Random(seed).sample(order, sample), key=order.index)]
    frame = pd.DataFrame({"id": chosen["id"].astype(str),
                          "caption_en": [short_caption(t, max_words) for t in chosen["text"]]})
    for lang in languages:
        frame[f"image_{lang}"] = chosen["image"].astype(str).to_numpy()
    labels = country_labels(chosen, countries, seed)
    frame = pd.concat([frame, labels], axis=1)
    for column in ("text_label", "picture", "picture_group"):
        frame[column] = chosen[column].to_numpy()
    return frame.reset_index(drop=True)


def _label(path, record: dict, column: str) -> int:
    value = record[column].strip()
    if value not in ("0", "1", "0.0", "1.0"):
        raise InputError(path, f"expected a 0/1 label, got {record[column]!r}", row=record["_row"],
                         line=record["_line"], field=column)
    return int(float(value))


def _image(folder: Path, meme_id: str, source, record: dict) -> str:
    for suffix in IMAGE_SUFFIXES:
        if (folder / f"{meme_id}{suffix}").is_file():
            return str(folder / f"{meme_id}{suffix}")
    raise InputError(source, f"no image {meme_id}.jpg/.png in {folder}", row=record["_row"], line=record["_line"],
                     field="Meme ID")


def read_multi3hate(root: str | Path, languages: list[str], countries: list[str]) -> pd.DataFrame:
    """The released Multi3Hate files under `root` as the schema above."""
    if not isinstance(root, (str, Path)):
        raise TypeError(f"root must be a path, got {type(root).__name__}")
    _check_lists(languages, countries)
    root = Path(root)
    annotations = root / "final_annotations.csv"
    rows = {}
    for record in read_csv_records(annotations, ["Meme ID", *countries]):
        meme_id = record["Meme ID"].strip()
        if not meme_id:
            raise InputError(annotations, "empty meme id", row=record["_row"], line=record["_line"], field="Meme ID")
        if meme_id in rows:
            raise InputError(annotations, f"meme id {meme_id!r} appears twice", row=record["_row"],
                             line=record["_line"], field="Meme ID")
        rows[meme_id] = {"id": meme_id, **{f"label_{c}": _label(annotations, record, c) for c in countries}}
    for lang in languages:
        path = root / "captions" / f"{lang}.csv"
        seen = set()
        for record in read_csv_records(path, ["Meme ID", "Translation"]):
            meme_id = record["Meme ID"].strip()
            if meme_id not in rows:
                continue  # a caption of a meme without labels (not in the released annotations)
            caption = " ".join(record["Translation"].split())
            if not caption:
                raise InputError(path, "empty caption", row=record["_row"], line=record["_line"], field="Translation")
            rows[meme_id][f"caption_{lang}"] = caption
            rows[meme_id][f"image_{lang}"] = _image(root / "memes" / lang, meme_id, path, record)
            seen.add(meme_id)
        missing = sorted(set(rows) - seen)
        if missing:
            raise InputError(path, f"{len(missing)} labelled memes have no caption (first: {missing[0]})",
                             field="Meme ID")
    frame = pd.DataFrame(list(rows.values()))
    return frame[["id", "caption_en", *[c for c in frame.columns if c not in ("id", "caption_en")]]]


def load_memes(path: str | Path, languages: list[str], countries: list[str]) -> pd.DataFrame:
    """The memes table the data step wrote, checked for the columns the later steps read."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    frame = pd.read_parquet(path)
    needed = ["id", "caption_en", *[f"image_{lang}" for lang in languages], *[f"label_{c}" for c in countries]]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}", field=missing[0])
    for column in [c for c in needed if c.startswith("label_")]:
        bad = ~frame[column].isin([0, 1])
        if bad.any():
            row = int(bad.to_numpy().argmax())
            raise InputError(path, f"label {frame[column].iloc[row]!r} is not 0 or 1", row=row + 1, field=column)
    return frame


def add_scope_args(p, memes: bool = True) -> None:
    """The options every step of the module shares: the languages, the countries (and the memes table)."""
    p.add_argument("--languages", nargs="+", required=True, help="caption languages, en first")
    p.add_argument("--countries", nargs="+", required=True, help="the annotators' countries")
    if memes:
        p.add_argument("--memes", required=True, help="the memes table of the data step")


def main(argv=None) -> None:
    from papers.core.cli import parser, setup_logging
    from papers.core.io import write_parquet
    from papers.core.vision.memes import load_memes as load_vision_memes

    p = parser(__doc__)
    add_scope_args(p, memes=False)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--multi3hate", help="the released Multi3Hate data folder (paper scale)")
    source.add_argument("--vision-memes", help="the vision core's rendered meme table (mini scale)")
    p.add_argument("--sample", type=int, default=40)
    p.add_argument("--max-words", type=int, default=10)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    log = setup_logging()
    if a.multi3hate:
        memes = read_multi3hate(a.multi3hate, a.languages, a.countries)
    else:
        memes = mini_memes(load_vision_memes(a.vision_memes), a.sample, a.languages, a.countries, a.seed,
                           a.max_words)
    write_parquet(a.out, memes)
    log.info("%d memes; hateful share per country: %s", len(memes),
             ", ".join(f"{c} {memes[f'label_{c}'].mean():.2f}" for c in a.countries))


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)

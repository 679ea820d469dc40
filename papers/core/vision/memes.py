"""Meme tables: the released annotations of HarMeme, FHM, MultiOFF, MAMI and MMSD2.0 read into one schema.

    frame = read_harmeme("Harm-C_train.jsonl", images="images/", dataset="harm_c", split="train")
    frame = read_fhm("train.jsonl", images="img_root/", dataset="fhm", split="train")
    memes = load_memes("results/vision/memes/harm_c/memes.parquet")

The schema (COLUMNS), one row per meme:
    id          the dataset's meme id (unique within a table)
    dataset     e.g. harm_c, harm_p, fhm
    split       train | val | test
    text        the meme's OCR text
    image       path of its image file, as the annotations and the images directory give it
    label       1 = the abusive class of the dataset's task, 0 = not (HarMeme: "very harmful" and
                "somewhat harmful" are harmful, the usual binarisation; FHM: hateful; MultiOFF:
                offensive; MAMI: misogynous; MMSD2.0: sarcastic)
    label_name  the original label ("somewhat harmful", "hateful"...), or at mini scale the reason
                for `label` (render.py)
Tables of rendered mini memes carry the generator's ground truth as well (render.GENERATOR_COLUMNS).

Input formats:
- HarMeme (github.com/LCS2-IIITD/MOMENTA, HarMeme_V1/Annotations): JSON Lines with id, image (a file
  name in the images directory), labels (a list: the severity first, then targets), text.
- FHM (Facebook Hateful Memes): JSON Lines with id, img (a path relative to the dataset root, e.g.
  "img/01235.png"), label (0/1; absent in unlabelled test sets, which cannot be read here), text.
- MultiOFF: CSV (Latin-1 where not UTF-8) with image_name, sentence, label ("offensive" or
  "Non-offensiv", as released); images <images>/<image_name>.
- MAMI (SemEval-2022 Task 5, training set): TSV with file_name, misogynous (0/1), ..., Text
  Transcription; images <images>/<file_name>. Its unlabelled test file (labels apart) is not read.
- MMSD2.0: a JSON array of {image_id, text, label (0/1)}; images <images>/<image_id>.jpg.
MultiOFF's columns and MMSD2.0's file layout were confirmed from public loaders; MAMI's field names
and MMSD2.0's field names are from memory: check them against the real files before a compared run.
Bad input stops with an InputError naming the file, the row (and line) and the field; a missing,
truncated or non-image file is an ImageError naming the meme id and the path (llm.types.image).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..io import InputError, read_csv_records, read_json, read_jsonl_records
from ..llm.types import image

COLUMNS = ("id", "dataset", "split", "text", "image", "label", "label_name")
SPLITS = ("train", "val", "test")
SEVERITIES = {"very harmful": 1, "somewhat harmful": 1, "not harmful": 0}  # HarMeme's labels[0]
FHM_NAMES = {0: "not hateful", 1: "hateful"}
MULTIOFF_LABELS = {"offensive": 1, "non-offensiv": 0, "non-offensive": 0}  # "Non-offensiv" as released


def _string(path, record: dict, field: str, allow_empty: bool = False) -> str:
    value = record[field]
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        what = "a string" if allow_empty else "a non-empty string"
        raise InputError(path, f"expected {what}, got {value!r}", row=record["_row"], line=record["_line"],
                         field=field)
    return value


def _check_args(dataset: str, split: str) -> None:
    if not isinstance(dataset, str) or not dataset:
        raise TypeError(f"dataset must be a non-empty str, got {dataset!r}")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def read_harmeme(path: str | Path, images: str | Path, dataset: str, split: str,
                 skip_unlabelled: bool = False) -> pd.DataFrame:
    """One HarMeme annotation file as a meme table; image paths are `images`/<image>.

    `skip_unlabelled` drops memes whose severity label is empty (Harm-P's training file has one,
    memes_326) instead of stopping; any other label outside HarMeme's three is an error."""
    if not isinstance(images, (str, Path)):
        raise TypeError(f"images must be a path, got {type(images).__name__}")
    _check_args(dataset, split)
    rows = []
    for record in read_jsonl_records(path, ["id", "image", "labels", "text"]):
        where = {"row": record["_row"], "line": record["_line"], "field": "labels"}
        labels = record["labels"]
        if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels):
            raise InputError(path, f"expected a non-empty list of strings, got {labels!r}", **where)
        if labels[0] == "" and skip_unlabelled:
            continue
        if labels[0] not in SEVERITIES:
            raise InputError(path, f"severity {labels[0]!r} is not one of {', '.join(SEVERITIES)}", **where)
        rows.append({"id": _string(path, record, "id"), "dataset": dataset, "split": split,
                     "text": _string(path, record, "text", allow_empty=True),
                     "image": str(Path(images) / _string(path, record, "image")),
                     "label": SEVERITIES[labels[0]], "label_name": labels[0]})
    return _frame(rows, path)


def read_fhm(path: str | Path, root: str | Path, dataset: str, split: str) -> pd.DataFrame:
    """One FHM-style annotation file as a meme table; image paths are `root`/<img>."""
    if not isinstance(root, (str, Path)):
        raise TypeError(f"root must be a path, got {type(root).__name__}")
    _check_args(dataset, split)
    rows = []
    for record in read_jsonl_records(path, ["id", "img", "label", "text"]):
        label = record["label"]
        if label not in (0, 1) or isinstance(label, bool):
            raise InputError(path, f"expected 0 or 1, got {label!r}", row=record["_row"], line=record["_line"],
                             field="label")
        meme_id = record["id"]
        if isinstance(meme_id, int) and not isinstance(meme_id, bool):
            meme_id = str(meme_id)  # FHM's ids are numbers in some releases, strings in others
        rows.append({"id": _string(path, {**record, "id": meme_id}, "id"), "dataset": dataset, "split": split,
                     "text": _string(path, record, "text", allow_empty=True),
                     "image": str(Path(root) / _string(path, record, "img")),
                     "label": int(label), "label_name": FHM_NAMES[label]})
    return _frame(rows, path)


def read_multioff(path, images, dataset: str = "multioff", split: str = "train") -> pd.DataFrame:
    path = Path(path)
    _check_args(dataset, split)
    rows = []
    for r in read_csv_records(path, ["image_name", "sentence", "label"], fallback="latin-1"):
        label = MULTIOFF_LABELS.get(r["label"].strip().lower())
        if label is None:
            raise InputError(path, f"expected offensive or Non-offensiv, got {r['label']!r}", row=r["_row"],
                             line=r["_line"], field="label")
        rows.append({"id": _string(path, r, "image_name"), "dataset": dataset, "split": split,
                     "text": r["sentence"], "image": str(Path(images) / r["image_name"]),
                     "label": label, "label_name": r["label"].strip()})
    return _frame(rows, path)


def read_mami(path, images, dataset: str = "mami", split: str = "train") -> pd.DataFrame:
    path = Path(path)
    _check_args(dataset, split)
    rows = []
    for r in read_csv_records(path, ["file_name", "misogynous", "Text Transcription"], delimiter="\t"):
        if r["misogynous"].strip() not in ("0", "1"):
            raise InputError(path, f"expected 0 or 1, got {r['misogynous']!r}", row=r["_row"], line=r["_line"],
                             field="misogynous")
        label = int(r["misogynous"])
        rows.append({"id": _string(path, r, "file_name"), "dataset": dataset, "split": split,
                     "text": r["Text Transcription"], "image": str(Path(images) / r["file_name"]),
                     "label": label, "label_name": "misogynous" if label else "not misogynous"})
    return _frame(rows, path)


def read_mmsd2(path, images, dataset: str = "mmsd2", split: str = "train") -> pd.DataFrame:
    path = Path(path)
    _check_args(dataset, split)
    records = read_json(path)
    if not isinstance(records, list):
        raise InputError(path, "expected a JSON array of memes")
    rows = []
    for row, r in enumerate(records, start=1):
        if not isinstance(r, dict):
            raise InputError(path, "expected a JSON object", row=row)
        for name in ("image_id", "text", "label"):
            if name not in r:
                raise InputError(path, "missing field", row=row, field=name)
        if r["label"] not in (0, 1) or isinstance(r["label"], bool):
            raise InputError(path, f"expected 0 or 1, got {r['label']!r}", row=row, field="label")
        meme_id = str(r["image_id"]) if isinstance(r["image_id"], int) else r["image_id"]
        record = {**r, "image_id": meme_id, "_row": row, "_line": None}
        rows.append({"id": _string(path, record, "image_id"), "dataset": dataset, "split": split,
                     "text": _string(path, record, "text", allow_empty=True),
                     "image": str(Path(images) / f"{meme_id}.jpg"), "label": r["label"],
                     "label_name": "sarcastic" if r["label"] else "not sarcastic"})
    return _frame(rows, path)


def _frame(rows: list[dict], path) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    duplicated = frame["id"].duplicated()
    if duplicated.any():
        row = int(duplicated.to_numpy().argmax())
        raise InputError(path, f"meme id {frame['id'].iloc[row]!r} appears twice", row=row + 1, field="id")
    frame["label"] = frame["label"].astype("int64")
    return frame


def check_images(memes: pd.DataFrame) -> None:
    """Decode every meme's image: a missing, truncated or non-image file is an ImageError naming the
    meme id and the path."""
    for meme_id, path in zip(memes["id"], memes["image"]):
        image(path, label=f"meme {meme_id}")


def validate(memes: pd.DataFrame, source: str | Path) -> pd.DataFrame:
    """`memes` if it has the schema's columns and values; otherwise an InputError naming `source`,
    the row and the column."""
    if not isinstance(memes, pd.DataFrame):
        raise TypeError(f"memes must be a pandas DataFrame, got {type(memes).__name__}")
    missing = [c for c in COLUMNS if c not in memes.columns]
    if missing:
        raise InputError(source, f"missing column(s) {', '.join(missing)}", field=missing[0])
    checks = {
        "split": memes["split"].isin(SPLITS),
        "label": memes["label"].isin([0, 1]),
        "id": memes["id"].map(lambda x: isinstance(x, str) and bool(x)) & ~memes["id"].duplicated(),
        "image": memes["image"].map(lambda x: isinstance(x, str) and bool(x)),
        "text": memes["text"].map(lambda x: isinstance(x, str)),
    }
    for column, ok in checks.items():
        if not ok.all():
            row = int((~ok.to_numpy()).argmax())
            raise InputError(source, f"bad value {memes[column].iloc[row]!r}", row=row + 1, field=column)
    return memes


def load_memes(path: str | Path) -> pd.DataFrame:
    """The meme table the memes rule wrote (results/vision/memes/<dataset>/memes.parquet), checked."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        memes = pd.read_parquet(path)
    except (OSError, ValueError) as err:
        raise InputError(path, f"not a readable Parquet file ({err})") from None
    return validate(memes, path)

"""CROSS-ALIGN+'s five paper-scale benchmarks (the GOAT-Bench family), read from user-placed files.

    memes = read_benchmark("misogyny", "resources/data/mami/training.csv", images="resources/data/mami/img",
                           split="train")

Each reader returns papers.core.vision.memes' meme table (id, dataset, split, text, image, label,
label_name; label 1 = the abusive class), so every later step reads one schema. Formats, with what
could be confirmed (2026-12-02, from public loaders found with the `search` tool; see README):

| task | dataset | released format | confirmed |
|---|---|---|---|
| hatefulness | Facebook Hateful Memes | JSON Lines: id, img, label (0/1), text | yes (the vision core) |
| harmfulness | HarMeme Harm-C, Harm-P | JSON Lines: id, image, labels [severity, targets], text | yes (vendored) |
| offensiveness | MultiOFF | CSV, Latin-1: image_name, sentence, label (offensive/Non-offensiv) | columns only |
| misogyny | MAMI (SemEval-2022 T5) | TSV with header: file_name, misogynous, ..., Text Transcription | no |
| sarcasm | MMSD2.0 | JSON array of {image_id, text, label}; images <image_id>.jpg | file layout only |

GOAT-Bench's own packaging of these five (huggingface.co/datasets/HKBU-NLP/GOAT-Bench) could not be
read here; its card confirms the five tasks and that Hateful Memes comes as text only.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from papers.core.io import InputError, read_csv_records, read_json
from papers.core.vision.memes import _check_args, _frame, _string, read_fhm, read_harmeme

TASKS = ("hatefulness", "misogyny", "offensiveness", "sarcasm", "harmfulness")
MULTIOFF_LABELS = {"offensive": 1, "non-offensiv": 0, "non-offensive": 0}


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


READERS = {"hatefulness": read_fhm, "misogyny": read_mami, "offensiveness": read_multioff,
           "sarcasm": read_mmsd2, "harmfulness": read_harmeme}


def read_benchmark(task: str, path, images, split: str, dataset: str | None = None) -> pd.DataFrame:
    """One annotation file of `task`'s benchmark as a meme table."""
    if task not in READERS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if not isinstance(images, (str, Path)):
        raise TypeError(f"images must be a path, got {type(images).__name__}")
    return READERS[task](path, images, dataset=dataset or task, split=split)

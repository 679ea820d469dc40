"""CROSS-ALIGN+'s five paper-scale benchmarks (the GOAT-Bench family): each task and the meme format
(papers/core/vision/memes.py) whose `label` is that task's, read from user-placed files.

    memes = read_benchmark("misogyny", "resources/data/mami/training.csv", images="resources/data/mami/img",
                           split="train")

Each format's reader (the vision core's, so the memes rule reads them too) returns the meme table (id, dataset, split, text, image, label,
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

from papers.core.vision.prepare import READERS

TASKS = ("hatefulness", "misogyny", "offensiveness", "sarcasm", "harmfulness")
FORMAT_OF = {"hatefulness": "fhm", "misogyny": "mami", "offensiveness": "multioff", "sarcasm": "mmsd2",
             "harmfulness": "harmeme"}


def read_benchmark(task: str, path, images, split: str, dataset: str | None = None) -> pd.DataFrame:
    """One annotation file of `task`'s benchmark as a meme table."""
    if task not in FORMAT_OF:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if not isinstance(images, (str, Path)):
        raise TypeError(f"images must be a path, got {type(images).__name__}")
    return READERS[FORMAT_OF[task]](path, images, dataset=dataset or task, split=split)

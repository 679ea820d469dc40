"""The mini tasks: which of the paper's label sets the mini meme generator can honestly define.

    labels = task_labels(memes, "harmfulness")    # memes: a rendered mini meme table

The mini memes (papers/core/vision/render.py) are real HarMeme OCR text over synthetic pictograms;
their table keeps the generator's ground truth. A task is honest only if its label is either a real
annotation or a documented function of the generator, so the right answer is known:

| mini task | label column: 1 means | truth from | stands for |
|---|---|---|---|
| harmfulness | `label`: harmful text (very/somewhat) OR hostile picture | generator over a real label | harmfulness |
| text_harmfulness | `text_label`: HarMeme's own label of the text | real annotation | harmfulness, text side |
| hostile_imagery | `picture_label`: a weapon, explosion, skull... | generator | visual half of harmfulness |

Not definable honestly at mini scale, and so not run there: hatefulness (no protected-group
annotation in HarMeme), misogyny (no gender annotation), offensiveness (no offensiveness annotation;
HarMeme's harm is not it), sarcasm (nothing in the generator or HarMeme marks sarcasm; the "joke"
pictograms are a humour cue drawn more often over harmful text, not sarcasm, so a "sarcasm" label
from them would be invented).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from papers.core.io import InputError


@dataclass(frozen=True)
class MiniTask:
    name: str
    column: str          # the meme table's column holding the 0/1 label
    positive: str        # what label 1 means
    stands_for: str      # the paper's task


MINI_TASKS = {
    "harmfulness": MiniTask("harmfulness", "label", "harmful (text or picture)", "harmfulness"),
    "text_harmfulness": MiniTask("text_harmfulness", "text_label", "harmful text (HarMeme)", "harmfulness"),
    "hostile_imagery": MiniTask("hostile_imagery", "picture_label", "hostile picture", "none (visual harm)"),
}


def label_column(task: str) -> str:
    """The meme table's column with `task`'s 0/1 label: a mini task's own column; a paper-scale
    benchmark (benchmarks.TASKS) has its task's label in `label`."""
    from .benchmarks import TASKS

    if task in MINI_TASKS:
        return MINI_TASKS[task].column
    if task in TASKS:
        return "label"
    raise ValueError(f"task must be one of {tuple(MINI_TASKS) + tuple(t for t in TASKS if t not in MINI_TASKS)}, "
                     f"got {task!r}")


def task_labels(memes: pd.DataFrame, task: str, source: str = "memes") -> pd.Series:
    """The 0/1 labels of `task` for each meme (indexed like `memes`); a table without the task's
    column or with a value other than 0/1 is an InputError naming `source`, the row and the column."""
    column = label_column(task)
    if not isinstance(memes, pd.DataFrame):
        raise TypeError(f"memes must be a pandas DataFrame, got {type(memes).__name__}")
    if task not in MINI_TASKS and "picture_label" in memes.columns:
        # a rendered mini table's `label` is harmfulness; calling it sarcasm would invent a label
        raise ValueError(f"{source}: task {task} has no labels in a rendered mini meme table (mini tasks: "
                         f"{', '.join(MINI_TASKS)})")
    if column not in memes.columns:
        raise InputError(source, f"no column {column!r}: task {task} needs a rendered mini meme table",
                         field=column)
    ok = memes[column].map(lambda v: v in (0, 1) and not isinstance(v, bool))
    if not ok.all():
        row = int((~ok.to_numpy()).argmax())
        raise InputError(source, f"expected 0 or 1, got {memes[column].iloc[row]!r}", row=row + 1, field=column)
    return memes[column].astype("int64")

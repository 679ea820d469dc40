"""Paper 7's checks of its config section that the schema cannot express (papers/core/config.py calls
problems() for every paper of papers.PAPERS and papers.DRAFTS)."""
from __future__ import annotations

from .benchmarks import FORMAT_OF, TASKS
from .tasks import MINI_TASKS

# The label columns a mini task reads exist only in a rendered mini meme table (tasks.py).
GENERATED = {name for name, task in MINI_TASKS.items() if task.column != "label"}


def problems(config: dict) -> list[str]:
    section, found = config["cross_align"], []
    memes = config["vision"]["memes"]
    for name, bench in section["benchmarks"].items():
        if bench["dataset"] not in memes:
            found.append(f"cross_align.benchmarks.{name}.dataset: {bench['dataset']!r} is not a meme dataset of "
                         f"vision.memes (known: {', '.join(memes)})")
        elif bench["task"] in GENERATED and "images" in memes[bench["dataset"]]:
            found.append(f"cross_align.benchmarks.{name}.task: {bench['task']} reads the mini generator's labels, "
                         f"but vision.memes.{bench['dataset']} is read from real images (paper tasks: "
                         f"{', '.join(TASKS)})")
        elif bench["task"] not in MINI_TASKS and FORMAT_OF.get(bench["task"]) != memes[bench["dataset"]]["format"]:
            found.append(f"cross_align.benchmarks.{name}.task: {bench['task']} is not the label of a "
                         f"{memes[bench['dataset']]['format']} meme table (the task of each format: "
                         + ", ".join(f"{fmt}: {task}" for task, fmt in FORMAT_OF.items()) + ")")
    if section["explanations_shown"] > section["sample"]:
        found.append(f"cross_align.explanations_shown: {section['explanations_shown']} is more than the "
                     f"{section['sample']} test memes of a benchmark (cross_align.sample)")
    return found

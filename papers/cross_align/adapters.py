"""CROSS-ALIGN+ Stage II: one LoRA adapter per benchmark on one LVLM, trained on its training split.

    python -m papers.cross_align.adapters --benchmarks '{"harmfulness": {"task": "harmfulness", "dataset": "harm_c"}}' \
        --memes harm_c=results/vision/memes/harm_c/memes.parquet \
        --knowledge harm_c=results/cross_align/knowledge/harm_c.jsonl \
        --base JSON --lora '{"rank": 8, ...}' --train-examples 16 --seed 42 --threads 1 \
        --out results/cross_align/adapters/mini-lvlm/harmfulness

To sharpen the boundary between the classes (the paper's satire-vs-abuse boundary), each adapter
learns to answer its task's question with the gold label name: the prompt is the +I prompt (the
meme's image, its text, its Stage I knowledge block from every source, the question: prompts.py),
the target the label name, the loss on the target only (papers/core/train/lora.py, which scores
exactly as option scoring reads). Training memes: `train_examples` of the benchmark's train split,
half of each class where it has enough (data.select_memes), seeded. The paper gives no LoRA settings
(README, reproduction notes). Each adapter directory holds training.json (settings, loss per epoch)
beside the weights; answers.py loads all of one LVLM's adapters onto one base (the registry entry's
`adapters`) and names one per request.
"""
from __future__ import annotations

import json
import logging

from papers.core.llm.types import chat

from .data import meme_inputs, select_memes
from .prompts import answer_content, task_text

log = logging.getLogger("pluralign")


def training_examples(memes, facts, task: str, n: int, seed: int, pictured: dict | None = None) -> list[tuple]:
    """(chat, label name) pairs of one benchmark's training memes; `pictured`: the facts linked from
    the LVLM's descriptions of their pictures (describe.py), if any."""
    from .tasks import task_labels

    chosen = select_memes(memes, "train", n, seed, task=task)
    names = task_text(task).labels
    gold = task_labels(chosen, task).to_numpy()
    return [(chat(("user", answer_content(m.picture, m.text, task, m.knowledge))), names[label])
            for m, label in zip(meme_inputs(chosen, facts, pictured=pictured), gold)]


def main(argv=None) -> None:
    import dataclasses

    from papers.core.cli import named_paths, parser, setup_logging
    from papers.core.llm.base import ModelSpec
    from papers.core.train.lora import LoraSettings, train_lora
    from papers.core.vision.memes import load_memes

    from .enrich import read_facts

    p = parser(__doc__)
    p.add_argument("--benchmarks", required=True, help="JSON: benchmark -> {task, dataset}, in output order")
    p.add_argument("--memes", nargs="+", required=True, help="dataset=meme table")
    p.add_argument("--knowledge", nargs="+", required=True, help="dataset=retrieved facts (enrich.py)")
    p.add_argument("--described", nargs="*", default=[],
                   help="dataset=facts linked from this LVLM's descriptions (describe.py); none: not described")
    p.add_argument("--base", required=True, help="the LVLM's registry entry as JSON")
    p.add_argument("--lora", required=True, help="LoRA settings as JSON (papers/core/train/lora.py)")
    p.add_argument("--train-examples", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", nargs="+", required=True, help="one adapter directory per benchmark, in order")
    a = p.parse_args(argv)
    setup_logging()
    import torch

    torch.set_num_threads(max(1, a.threads))
    benchmarks = json.loads(a.benchmarks)
    if len(a.out) != len(benchmarks):
        raise ValueError(f"{len(a.out)} output directories for {len(benchmarks)} benchmarks")
    memes_paths, knowledge_paths = named_paths(a.memes, "--memes"), named_paths(a.knowledge, "--knowledge")
    spec = ModelSpec.from_config(json.loads(a.base))
    settings = LoraSettings(**{**json.loads(a.lora), "seed": a.seed})
    if "target_modules" in json.loads(a.lora):
        settings = dataclasses.replace(settings, target_modules=tuple(settings.target_modules))
    tables, facts = {}, {}
    pictured = {d: read_facts(path) for d, path in named_paths(a.described, "--described").items()}
    for (name, bench), out in zip(benchmarks.items(), a.out):
        dataset = bench["dataset"]
        if dataset not in tables:
            tables[dataset] = load_memes(memes_paths[dataset])
            facts[dataset] = read_facts(knowledge_paths[dataset])
        examples = training_examples(tables[dataset], facts[dataset], bench["task"], a.train_examples, a.seed,
                                     pictured.get(dataset))
        summary = train_lora(spec, examples, settings, out)
        log.info("%s: %d examples, answer loss per epoch %s", name, summary["examples"],
                 [round(x, 4) for x in summary["loss_per_epoch"]])


if __name__ == "__main__":
    from papers.core.cli import run

    run(main, trains=True)  # replay: the model comes from the bundle

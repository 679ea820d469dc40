"""Rebuild the HarMeme samples in this folder from HarMeme V1's annotation files (see PROVENANCE.md).

    python data/memes/harmeme/make_sample.py /path/to/MOMENTA/HarMeme_V1/Annotations-as-flat-folder

The source folder holds Harm-C_{train,val,test}.jsonl and Harm-P_{train,val,test}_v1.jsonl (the layout
of pluralign's shared data). Per dataset and split, a seeded sample of PER_SPLIT memes, stratified by
the severity label (labels[0]: each severity keeps its share, rounded, and at least one meme), written
in source order with each line copied byte for byte. A line whose severity label is not one of
HarMeme's three (one Harm-P training meme has "") is not sampled.
"""
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

SEED = 42
PER_SPLIT = {"train": 800, "val": 60, "test": 200}
FILES = {"Harm-C": "Harm-C_{split}.jsonl", "Harm-P": "Harm-P_{split}_v1.jsonl"}
SEVERITIES = ("very harmful", "somewhat harmful", "not harmful")


def stratified(lines: list[str], size: int, rng: random.Random) -> list[int]:
    """Indices of a sample of `size` lines, each severity keeping its share (largest remainders)."""
    groups = defaultdict(list)
    for i, line in enumerate(lines):
        severity = json.loads(line)["labels"][0]
        if severity in SEVERITIES:
            groups[severity].append(i)
    total = sum(len(g) for g in groups.values())
    quota = {s: max(1, size * len(g) // total) for s, g in groups.items()}
    by_remainder = sorted(groups, key=lambda s: -(size * len(groups[s]) % total))
    for s in by_remainder[: size - sum(quota.values())]:
        quota[s] += 1
    return sorted(i for s in sorted(groups) for i in rng.sample(groups[s], quota[s]))


def main(source: str) -> None:
    rng = random.Random(SEED)
    for dataset, pattern in FILES.items():
        for split, size in PER_SPLIT.items():
            name = pattern.format(split=split)
            lines = (Path(source) / name).read_text(encoding="utf-8").splitlines()
            chosen = stratified(lines, size, rng)
            out = Path(__file__).with_name(name)
            out.write_text("".join(lines[i] + "\n" for i in chosen), encoding="utf-8")
            print(f"wrote {out}: {len(chosen)} of {len(lines)} memes")


if __name__ == "__main__":
    main(sys.argv[1])

"""Rebuild AlignX's mini-scale data samples (data/alignx/) from the released files.

    python scripts/vendor_alignx.py --source /path/to/shared/data --out data/alignx

`--source` holds the three released files, laid out as pluralign's shared data lays them out:
    alpaca_eval/text_davinci_003_model_outputs.json   AlpacaEval's 805 instructions, text-davinci-003's outputs
    beavertails/BeaverTails-Evaluation.csv            BeaverTails-Evaluation's 700 prompts, 14 categories
    truthfulqa/TruthfulQA_v1_817.csv                  TruthfulQA's 817 questions (the original release)
Each sample keeps its source's format, field names and values unchanged (only which records are
kept differs), in the source's order, so papers/alignx/data.py reads a sample and a full file with
the same loader. The same source and seed write byte-identical samples; PROVENANCE.md in each
folder gives the counts, the rules and the sha256 of both files. The licence files are not written
here: they are the sources' licences, committed beside each sample.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import random
from collections import defaultdict
from pathlib import Path

SEED = 42
PER_AXIS = 70                    # 24 test + 8 validation + 38 train at mini scale (config decides)
ALPACA_MAX_OUTPUT_CHARS = 600    # a mini training target and judge prompt must fit the CPU budget
ALPACA_MAX_INSTRUCTION_CHARS = 400
BEAVERTAILS_PER_CATEGORY = 5     # 14 categories x 5 = PER_AXIS

SOURCES = {"alpaca_eval": "alpaca_eval/text_davinci_003_model_outputs.json",
           "beavertails": "beavertails/BeaverTails-Evaluation.csv",
           "truthfulqa": "truthfulqa/TruthfulQA_v1_817.csv"}
SAMPLES = {"alpaca_eval": "alpaca_eval/text_davinci_003_outputs_sample.json",
           "beavertails": "beavertails/BeaverTails-Evaluation_sample.csv",
           "truthfulqa": "truthfulqa/TruthfulQA_sample.csv"}


def sample_alpaca(records: list[dict], rng: random.Random) -> list[dict]:
    """PER_AXIS records whose reference output is non-empty and short enough for the mini budget."""
    eligible = [i for i, r in enumerate(records)
                if r["output"].strip() and len(r["output"]) <= ALPACA_MAX_OUTPUT_CHARS
                and len(r["instruction"]) <= ALPACA_MAX_INSTRUCTION_CHARS]
    return [records[i] for i in sorted(rng.sample(eligible, PER_AXIS))]


def sample_beavertails(rows: list[list[str]], rng: random.Random) -> list[list[str]]:
    """BEAVERTAILS_PER_CATEGORY prompts of every category (column 2), in file order."""
    by_category: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_category[row[2]].append(i)
    chosen = [i for category in sorted(by_category)
              for i in rng.sample(by_category[category], BEAVERTAILS_PER_CATEGORY)]
    return [rows[i] for i in sorted(chosen)]


def sample_rows(rows: list[list[str]], rng: random.Random) -> list[list[str]]:
    return [rows[i] for i in sorted(rng.sample(range(len(rows)), PER_AXIS))]


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


def build(source: Path) -> dict[str, str]:
    """Sample name -> its text. One generator per source, each seeded alike, so changing one
    source's rule leaves the other samples as they are."""
    texts = {}
    alpaca = json.loads((source / SOURCES["alpaca_eval"]).read_text(encoding="utf-8"))
    texts["alpaca_eval"] = json.dumps(sample_alpaca(alpaca, random.Random(SEED)), ensure_ascii=False,
                                      indent=2) + "\n"
    header, rows = read_csv(source / SOURCES["beavertails"])
    texts["beavertails"] = csv_text(header, sample_beavertails(rows, random.Random(SEED)))
    header, rows = read_csv(source / SOURCES["truthfulqa"])
    texts["truthfulqa"] = csv_text(header, sample_rows(rows, random.Random(SEED)))
    return texts


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", required=True, type=Path, help="folder with the three released files")
    parser.add_argument("--out", required=True, type=Path, help="data/alignx")
    args = parser.parse_args(argv)
    for name, text in build(args.source).items():
        path = args.out / SAMPLES[name]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"{path}: sha256 {sha256(text.encode())}; source {SOURCES[name]}: "
              f"sha256 {sha256((args.source / SOURCES[name]).read_bytes())}")


if __name__ == "__main__":
    main()

"""Rebuild dices_350_sample.json from JUDGE-BENCH's export of DICES-350 (see PROVENANCE.md).

    python data/dices/make_sample.py /path/to/JUDGE-BENCH/data/dices/dices_350_crowdsourced.json

A seeded sample of 16 conversations that more of the crowd rates unsafe than safe and 24 that more
rate safe, in id order, with every field of the export unchanged. Ties have no majority and are left
out. The balance keeps both labels in every group that the equalized-odds difference compares.
"""
import json
import random
import sys
from collections import Counter
from pathlib import Path

UNSAFE, SAFE, SEED = 16, 24, 42


def majority(scores: list[str]) -> str:
    counts = Counter(scores)
    return "Yes" if counts["Yes"] > counts["No"] else "No" if counts["No"] > counts["Yes"] else "tie"


def main(source: str) -> None:
    export = json.loads(Path(source).read_text(encoding="utf-8"))
    by_label = {"Yes": [], "No": [], "tie": []}
    for instance in export["instances"]:
        by_label[majority(instance["annotations"]["safety"]["individual_human_scores"])].append(instance)
    rng = random.Random(SEED)
    chosen = rng.sample(by_label["Yes"], UNSAFE) + rng.sample(by_label["No"], SAFE)
    export["instances"] = sorted(chosen, key=lambda i: i["id"])
    out = Path(__file__).with_name("dices_350_sample.json")
    out.write_text(json.dumps(export, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}: {len(chosen)} conversations")


if __name__ == "__main__":
    main(sys.argv[1])

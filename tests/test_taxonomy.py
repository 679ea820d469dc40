"""The taxonomy matches the authors' release: 14 + 56 + 41 domains, names as released."""
import csv
from pathlib import Path

from papers.core.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[1]


def test_counts_and_names_match_the_release():
    taxonomy = load_taxonomy(ROOT / "data/taxonomy/domains.csv")
    assert [len(taxonomy.of(d)) for d in ("safety", "value", "cultural")] == [14, 56, 41]
    assert len(set(taxonomy.keys)) == 111
    with open(ROOT / "data/taxonomy/source/taxonomy_all_domains.csv", newline="") as f:
        released = [(r["dimension"], r["label_in_csv"], int(r["before_gen_count_table"])) for r in csv.DictReader(f)]
    assert [(d.dimension, d.name, d.paper_count) for d in taxonomy.domains] == released


def test_safety_keys_are_beavertails_categories():
    taxonomy = load_taxonomy(ROOT / "data/taxonomy/domains.csv")
    with open(ROOT / "data/taxonomy/source/taxonomy_all_domains.csv", newline="") as f:
        beavertails = [r["beavertails_key"] for r in csv.DictReader(f) if r["dimension"] == "safety"]
    assert [d.key for d in taxonomy.of("safety")] == [k.replace(",", "_") for k in beavertails]


def test_mini_pool_covers_every_domain():
    from papers.core.prompt_pool import load_prompt_pool
    taxonomy = load_taxonomy(ROOT / "data/taxonomy/domains.csv")
    pool = load_prompt_pool(ROOT / "data/prompt_pool/mini_pool.csv", taxonomy)
    used = {k for labels in pool["gold_domains"] for k in labels}
    assert used == set(taxonomy.keys)
    assert 200 <= len(pool) <= 500

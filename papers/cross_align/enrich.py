"""CROSS-ALIGN+ Stage I: the facts each meme's text links to, and the enrichment text for its prompt.

    python -m papers.cross_align.enrich --memes results/vision/memes/harm_c/memes.parquet \
        --conceptnet-assertions data/knowledge/conceptnet/assertions_sample.csv \
        --conceptnet100k data/knowledge/conceptnet/conceptnet100k_sample.txt \
        --wikidata data/knowledge/wikidata/entities_sample.json \
        --lexicon data/knowledge/hate_lexicon/refined_ngram_dict.clean.csv \
        --per-source 3 --out results/cross_align/knowledge/harm_c.jsonl

The intermediate file (JSON Lines, one retrieved fact per line, memes in table order, facts in rank
order; FACT_FIELDS):
    meme_id, rank (0-based within the meme), source (conceptnet | wikidata | lexicon), key (concept
    URI, Wikidata id or lexicon term), phrase (the matched text, normalised), fact (the sentence),
    score (linking.py's score, 6 decimals), origin (source file and line)
Each source keeps its own top `per_source` facts per meme, so switching a source off (the knowledge
source ablation) removes its lines and leaves the others' unchanged. `enrichment_text` turns a meme's
facts into the prompt's knowledge block, deterministically; with no fact it is empty, so +I on a meme
with nothing linked is the base prompt.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from papers.core import cli
from papers.core.io import InputError, read_jsonl_records, write_text
from papers.core.knowledge.linking import KnowledgeIndex, link, select
from papers.core.knowledge.sources import (SOURCES, Fact, read_conceptnet100k, read_conceptnet_assertions,
                                           read_hate_lexicon, read_wikidata)
from papers.core.vision.memes import load_memes

FACT_FIELDS = ("meme_id", "rank", "source", "key", "phrase", "fact", "score", "origin")
SOURCE_NAMES = {"conceptnet": "ConceptNet", "wikidata": "Wikidata", "lexicon": "Hate lexicon"}
HEADER = "Background knowledge linked from the meme's text:"
PICTURE_HEADER = "Background knowledge linked from what the picture shows:"


@dataclass(frozen=True)
class KnowledgePaths:
    """Where each source's files are (any number per format; none = the source is not used)."""
    conceptnet_assertions: tuple[str, ...] = ()
    conceptnet100k: tuple[str, ...] = ()
    wikidata: tuple[str, ...] = ()
    lexicon: tuple[str, ...] = ()
    languages: tuple[str, ...] | None = None    # ConceptNet ends and Wikidata names kept (None = all)
    sources: tuple[str, ...] = field(default=SOURCES)  # the switches of the ablation

    def __post_init__(self):
        for name in ("conceptnet_assertions", "conceptnet100k", "wikidata", "lexicon"):
            value = getattr(self, name)
            if not isinstance(value, tuple) or not all(isinstance(v, (str, Path)) for v in value):
                raise TypeError(f"{name} must be a tuple of paths, got {value!r}")
        if not isinstance(self.sources, tuple) or not set(self.sources) <= set(SOURCES):
            raise ValueError(f"sources must be a tuple drawn from {SOURCES}, got {self.sources!r}")


def load_facts(paths: KnowledgePaths) -> list[Fact]:
    """Every fact of the switched-on sources, in a fixed order (source, then file order)."""
    if not isinstance(paths, KnowledgePaths):
        raise TypeError(f"paths must be KnowledgePaths, got {type(paths).__name__}")
    facts: list[Fact] = []
    if "conceptnet" in paths.sources:
        for path in paths.conceptnet_assertions:
            facts += read_conceptnet_assertions(path, paths.languages)
        for path in paths.conceptnet100k:
            facts += read_conceptnet100k(path)
    if "wikidata" in paths.sources:
        for path in paths.wikidata:
            facts += read_wikidata(path, paths.languages)
    if "lexicon" in paths.sources:
        for path in paths.lexicon:
            facts += read_hate_lexicon(path)
    return facts


def retrieve(memes: pd.DataFrame, index: KnowledgeIndex, per_source: int, column: str = "text") -> list[dict]:
    """The intermediate file's records: each meme's selected links from its `column` (the OCR text,
    or describe.py's description of the picture), in rank order."""
    if not isinstance(memes, pd.DataFrame) or not {"id", column} <= set(memes.columns):
        raise TypeError(f"memes must be a DataFrame with columns id and {column}")
    records = []
    for meme_id, text in zip(memes["id"], memes[column]):
        for rank, item in enumerate(select(link(text, index), per_source)):
            records.append({"meme_id": meme_id, "rank": rank, "source": item.fact.source,
                            "key": item.fact.key, "phrase": item.phrase, "fact": item.fact.text,
                            "score": round(item.score, 6), "origin": item.fact.origin})
    return records


def write_facts(path: str | Path, records: list[dict]) -> None:
    write_text(path, "".join(json.dumps({k: r[k] for k in FACT_FIELDS}, ensure_ascii=False) + "\n"
                             for r in records))


def read_facts(path: str | Path) -> dict[str, list[dict]]:
    """The intermediate file as meme id -> its facts in rank order; bad lines name file, row, field.
    An empty file is a valid result (no meme linked anything)."""
    path = Path(path)
    if path.is_file() and path.stat().st_size == 0:
        return {}
    by_meme: dict[str, list[dict]] = defaultdict(list)
    for record in read_jsonl_records(path, list(FACT_FIELDS)):
        where = {"row": record["_row"], "line": record["_line"]}
        if record["source"] not in SOURCES:
            raise InputError(path, f"source {record['source']!r} is not one of {', '.join(SOURCES)}",
                             field="source", **where)
        score = record["score"]
        if not isinstance(score, (int, float)) or isinstance(score, bool) or not 0 <= score <= 1:
            raise InputError(path, f"expected a number in [0, 1], got {score!r}", field="score", **where)
        for name in ("meme_id", "fact"):
            if not isinstance(record[name], str) or not record[name]:
                raise InputError(path, f"expected a non-empty string, got {record[name]!r}", field=name,
                                 **where)
        by_meme[record["meme_id"]].append({k: record[k] for k in FACT_FIELDS})
    return dict(by_meme)


def enrichment_text(facts: list[dict], sources: tuple[str, ...] = SOURCES, pictured: list[dict] = ()) -> str:
    """The knowledge block of a meme's prompt from its facts of the switched-on `sources`, in rank
    order, then those linked from the LVLM's description of its picture (`pictured`, describe.py)
    that the text did not already link; empty when none is left."""
    if not isinstance(sources, tuple) or not set(sources) <= set(SOURCES):
        raise ValueError(f"sources must be a tuple drawn from {SOURCES}, got {sources!r}")
    linked = {(f["source"], f["fact"]) for f in facts}
    blocks = []
    new = [f for f in pictured if (f["source"], f["fact"]) not in linked]
    for header, group in ((HEADER, facts), (PICTURE_HEADER, new)):
        lines = [f"- {SOURCE_NAMES[f['source']]}: {f['fact']}" for f in group if f["source"] in sources]
        if lines:
            blocks.append("\n".join([header, *lines]))
    return "\n".join(blocks)


def add_source_args(p) -> None:
    """The knowledge sources' options, shared by this step and describe.py (the rule's sources)."""
    p.add_argument("--conceptnet-assertions", nargs="*", default=[])
    p.add_argument("--conceptnet100k", nargs="*", default=[])
    p.add_argument("--wikidata", nargs="*", default=[])
    p.add_argument("--lexicon", nargs="*", default=[])
    p.add_argument("--languages", nargs="*", default=None,
                   help="languages of ConceptNet ends and Wikidata names (default all)")
    p.add_argument("--per-source", type=int, default=3)


def knowledge_index(args) -> KnowledgeIndex:
    """The index over the sources add_source_args's options name."""
    paths = KnowledgePaths(tuple(args.conceptnet_assertions), tuple(args.conceptnet100k), tuple(args.wikidata),
                           tuple(args.lexicon), tuple(args.languages) if args.languages is not None else None)
    return KnowledgeIndex(load_facts(paths))


def main(argv=None) -> None:
    p = cli.parser(__doc__)
    p.add_argument("--memes", required=True, help="a meme table (papers.core.vision.memes schema)")
    add_source_args(p)
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    index = knowledge_index(args)
    write_facts(args.out, retrieve(load_memes(args.memes), index, args.per_source))


if __name__ == "__main__":
    cli.run(main)

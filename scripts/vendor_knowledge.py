"""Rebuild paper 7's mini knowledge subsets (data/knowledge/) from the released source files.

    python scripts/vendor_knowledge.py --source /path/to/shared/data/knowledge --out data/knowledge

`--source` is laid out as pluralign's shared data lays it out:
    conceptnet/conceptnet5_testdata_reference_assertions.csv   ConceptNet 5 assertions (CSV release format)
    conceptnet/ckbc_conceptnet100k_{dev1,dev2,test}.txt         ConceptNet-100k splits (Li et al. 2016)
    wikidata_entities/*.json, wikidata_entities/properties/*.json  Special:EntityData files
    hate_lexicon/refined_ngram_dict.clean.csv                  Davidson et al.'s refined n-gram lexicon
The subsets are chosen to cover the mini memes' OCR text (data/memes/harmeme/*.jsonl), with the same
tokens and content-word rule as the linker (papers/core/knowledge/linking.py):
- ConceptNet assertions: lines copied byte for byte whose start or end is an English concept named by
  a content n-gram of some meme, and every line between two Japanese concepts (kept so that linking
  text in a script without spaces is tested on real data).
- ConceptNet-100k: true triples (label 1) whose head or tail is such an n-gram, lines copied unchanged.
- Wikidata: every item and property of the source (none of them is frequent in the memes; see
  PROVENANCE.md), in the JSON dump format (one entity per line), each cut to its id, type, labels,
  descriptions, aliases and the item-valued main values of claims whose property is vendored too.
- Hate lexicon: the whole file (178 n-grams, 4 KB), copied unchanged.
No randomness: the same sources write byte-identical files. The licence files are not written here;
they are the sources' own, committed beside each subset.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from papers.core.knowledge.linking import MAX_TOKENS, is_content, tokens  # noqa: E402

MEMES = Path(__file__).resolve().parents[1] / "data" / "memes" / "harmeme"
CKBC = ("ckbc_conceptnet100k_dev1.txt", "ckbc_conceptnet100k_dev2.txt", "ckbc_conceptnet100k_test.txt")
OUT = {"assertions": "conceptnet/assertions_sample.csv", "ckbc": "conceptnet/conceptnet100k_sample.txt",
       "wikidata": "wikidata/entities_sample.json", "lexicon": "hate_lexicon/refined_ngram_dict.clean.csv"}


def meme_ngrams() -> set[tuple[str, ...]]:
    """Every token n-gram (n <= MAX_TOKENS) of the mini memes' OCR text that holds a content token."""
    grams = set()
    for path in sorted(MEMES.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            toks = tokens(json.loads(line)["text"])
            for n in range(1, MAX_TOKENS + 1):
                for i in range(len(toks) - n + 1):
                    gram = tuple(toks[i:i + n])
                    if any(is_content(t) for t in gram):
                        grams.add(gram)
    return grams


def in_memes(name: str, grams: set) -> bool:
    return tuple(tokens(name)) in grams


def concept(uri: str) -> tuple[str, str]:
    parts = uri.split("/")
    return (parts[2], parts[3].replace("_", " ")) if len(parts) > 3 and parts[1] == "c" else ("", "")


def assertions(lines: list[str], grams: set) -> list[str]:
    kept = []
    for line in lines:
        ends = [concept(x) for x in line.split("\t")[2:4]]
        if any(lang == "en" and in_memes(name, grams) for lang, name in ends) \
                or all(lang == "ja" for lang, _ in ends):
            kept.append(line)
    return kept


def ckbc(lines: list[str], grams: set) -> list[str]:
    return [line for line in lines if line.split("\t")[3] == "1"
            and any(in_memes(x, grams) for x in line.split("\t")[1:3])]


def trim_entity(entity: dict, properties: set[str]) -> dict:
    claims = {}
    for prop in sorted(entity.get("claims", {})):
        if prop not in properties:
            continue
        values = [{"mainsnak": {"snaktype": "value", "property": prop,
                                "datavalue": s["mainsnak"]["datavalue"]}}
                  for s in entity["claims"][prop]
                  if s["mainsnak"].get("datatype") == "wikibase-item" and "datavalue" in s["mainsnak"]]
        if values:
            claims[prop] = values
    out = {key: entity[key] for key in ("type", "id", "labels", "descriptions", "aliases") if key in entity}
    if entity.get("type") == "property":
        out["datatype"] = entity.get("datatype")
    out["claims"] = claims
    return out


def wikidata(folder: Path) -> str:
    files = sorted(folder.glob("Q*.json")) + sorted((folder / "properties").glob("P*.json"))
    entities = [e for f in files for e in json.loads(f.read_text(encoding="utf-8"))["entities"].values()]
    properties = {e["id"] for e in entities if e["type"] == "property"}
    lines = [json.dumps(trim_entity(e, properties), ensure_ascii=False, sort_keys=True) for e in entities]
    return "[\n" + ",\n".join(lines) + "\n]\n"


def main(source: str, out: str) -> None:
    source, out = Path(source), Path(out)
    grams = meme_ngrams()
    text = {
        "assertions": assertions(
            (source / "conceptnet/conceptnet5_testdata_reference_assertions.csv")
            .read_text(encoding="utf-8").splitlines(), grams),
        "ckbc": ckbc([line for name in CKBC
                      for line in (source / "conceptnet" / name).read_text(encoding="utf-8").splitlines()],
                     grams),
    }
    files = {key: "".join(line + "\n" for line in lines) for key, lines in text.items()}
    files["wikidata"] = wikidata(source / "wikidata_entities")
    files["lexicon"] = (source / "hate_lexicon/refined_ngram_dict.clean.csv").read_text(encoding="utf-8")
    for key, content in files.items():
        path = out / OUT[key]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
        print(f"{digest}  {OUT[key]}  ({content.count(chr(10))} lines)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True)
    parser.add_argument("--out", default="data/knowledge")
    args = parser.parse_args()
    main(args.source, args.out)

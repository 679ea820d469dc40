"""Loaders for the knowledge sources of paper 7 (CROSS-ALIGN+), each in its released format.

    facts = read_conceptnet_assertions("conceptnet-assertions-5.7.0.csv.gz", languages=("en",))
    facts = read_conceptnet100k("train100k.txt")
    facts = read_wikidata("latest-all.json.gz")          # or a folder of Special:EntityData files
    facts = read_hate_lexicon("refined_ngram_dict.csv")

Every loader returns a list of Fact: what a phrase in a meme's text can link to. The same loaders read
the full sources a user places (paper scale) and the vendored subsets in data/knowledge/ (mini
scale), which keep the released formats. Bad input stops with an InputError naming the file, the row
(its line) and the field; a compressed source (.gz, .bz2) is read as a stream.

Formats:
- ConceptNet 5 assertions CSV (conceptnet.io, the `conceptnet-assertions-*.csv.gz` release): one
  assertion per line, five tab-separated fields: assertion URI, relation (/r/IsA), start concept
  (/c/en/dog/n...), end concept, and a JSON object with at least "weight". /r/ExternalURL rows link
  a concept to another database, not to knowledge, and are skipped.
- ConceptNet-100k (Li et al. 2016, "Commonsense Knowledge Base Completion"): one triple per line,
  relation, head, tail, label, tab-separated; label 0 marks a corrupted negative and is skipped.
- Wikidata: the JSON dump (a JSON array with one entity per line, `latest-all.json[.gz|.bz2]`), a
  Special:EntityData file ({"entities": {...}}), or a folder of such files. An item's names are its
  labels and aliases in every language; its facts are its description and, where the item named by
  an item-valued claim is loaded too, "<label> <property> <object>".
- Hate lexicon: a CSV with a header, the term in `ngram` (Davidson et al.'s refined n-gram lexicon,
  with `prophate`, the share of tweets with the n-gram coded hate speech) or `term` (a Hatebase
  vocabulary export, with `average_offensiveness` on 0-100); without a score column every term has
  weight 1.
"""
from __future__ import annotations

import bz2
import gzip
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..io import InputError, read_csv_records, read_json

SOURCES = ("conceptnet", "wikidata", "lexicon")


@dataclass(frozen=True)
class Fact:
    """One retrievable piece of knowledge and the names a text links to it by."""
    source: str                 # one of SOURCES
    key: str                    # the fact's id: ConceptNet assertion URI, Wikidata item id, lexicon term
    names: tuple[str, ...]      # surface names that link to it (unnormalised)
    text: str                   # the fact as a sentence for the prompt
    weight: float               # the source's own strength of the fact, in [0, 1]
    origin: str                 # file and row it came from, for the intermediate file


def _lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """(line number, line) of a text file, plain or .gz / .bz2, streamed; errors name the file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    opener = {".gz": gzip.open, ".bz2": bz2.open}.get(path.suffix, open)
    line_no = 0
    try:
        with opener(path, "rt", encoding="utf-8", newline="") as handle:
            for line_no, line in enumerate(handle, start=1):
                yield line_no, line.rstrip("\r\n")
    except UnicodeDecodeError as err:
        raise InputError(path, f"invalid UTF-8 ({err.reason})", line=line_no + 1) from None
    except (OSError, EOFError) as err:  # a truncated or corrupt archive
        raise InputError(path, f"unreadable ({err})", line=line_no + 1) from None
    if line_no == 0:
        raise InputError(path, "file is empty")


def _tsv_rows(path, n_fields: int) -> Iterator[tuple[dict, list[str]]]:
    """({"row", "line"}, fields) of each non-blank line of a tab-separated file without a header."""
    for row, (line_no, line) in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        where = {"row": row, "line": line_no}
        if len(fields) != n_fields:
            raise InputError(path, f"expected {n_fields} tab-separated fields, found {len(fields)}", **where)
        yield where, fields


# ConceptNet relations as English verbs, for the fact sentences ("dog is capable of bark").
RELATION_WORDS = {
    "IsA": "is a", "PartOf": "is part of", "HasA": "has", "UsedFor": "is used for",
    "CapableOf": "is capable of", "AtLocation": "is found at", "Causes": "causes",
    "HasSubevent": "has subevent", "HasFirstSubevent": "starts with", "HasLastSubevent": "ends with",
    "HasPrerequisite": "requires", "HasProperty": "is", "MotivatedByGoal": "is motivated by",
    "ObstructedBy": "is obstructed by", "Desires": "desires", "CreatedBy": "is created by",
    "Synonym": "means the same as", "Antonym": "is the opposite of", "DistinctFrom": "is distinct from",
    "DerivedFrom": "is derived from", "SymbolOf": "is a symbol of", "DefinedAs": "is defined as",
    "MannerOf": "is a way of", "LocatedNear": "is located near", "HasContext": "is used in the context of",
    "SimilarTo": "is similar to", "EtymologicallyRelatedTo": "is etymologically related to",
    "EtymologicallyDerivedFrom": "is etymologically derived from", "CausesDesire": "makes one want",
    "MadeOf": "is made of", "ReceivesAction": "can be", "RelatedTo": "is related to",
    "FormOf": "is a form of", "NotDesires": "does not desire", "NotCapableOf": "is not capable of",
    "NotHasProperty": "is not", "NotIsA": "is not a", "NotUsedFor": "is not used for",
    "InstanceOf": "is an instance of", "Entails": "entails",
}


def relation_words(relation: str) -> str:
    """'/r/CapableOf' or 'CapableOf' -> 'is capable of'; an unknown relation is split at capitals."""
    name = relation.removeprefix("/r/").split("/")[0]
    if name in RELATION_WORDS:
        return RELATION_WORDS[name]
    return "".join(" " + c.lower() if c.isupper() else c for c in name).strip()


def concept_name(uri: str) -> tuple[str, str]:
    """'/c/en/hard_questions/n/wn/...' -> ('en', 'hard questions')."""
    parts = uri.split("/")
    if len(parts) < 4 or parts[1] != "c" or not parts[2] or not parts[3]:
        raise ValueError(f"not a ConceptNet concept URI: {uri!r}")
    return parts[2], parts[3].replace("_", " ")


def _weight(value: float) -> float:
    """A ConceptNet weight (>= 0, 1 for a single source, more with agreement) mapped into [0, 1)."""
    return value / (1.0 + value)


def _check_languages(languages) -> None:
    if languages is not None and (not isinstance(languages, tuple)
                                  or not all(isinstance(x, str) for x in languages)):
        raise TypeError(f"languages must be a tuple of str or None, got {languages!r}")


def read_conceptnet_assertions(path: str | Path, languages: tuple[str, ...] | None = None) -> list[Fact]:
    """Facts of a ConceptNet assertions CSV; `languages` keeps assertions with an end in one of them."""
    _check_languages(languages)
    facts = []
    for where, (uri, relation, start, end, meta) in _tsv_rows(path, 5):
        if not relation.startswith("/r/"):
            raise InputError(path, f"not a relation URI: {relation!r}", field="relation", **where)
        if relation == "/r/ExternalURL":
            continue
        ends = []
        for field, value in (("start", start), ("end", end)):
            try:
                ends.append(concept_name(value))
            except ValueError as err:
                raise InputError(path, str(err), field=field, **where) from None
        try:
            info = json.loads(meta)
        except json.JSONDecodeError as err:
            raise InputError(path, f"malformed JSON ({err.msg})", field="info", **where) from None
        weight = info.get("weight") if isinstance(info, dict) else None
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or not weight >= 0 \
                or math.isinf(weight):
            raise InputError(path, f"expected a JSON object with a weight >= 0, got {meta[:80]!r}",
                             field="info", **where)
        if languages is not None and not any(lang in languages for lang, _ in ends):
            continue
        (_, head), (_, tail) = ends
        facts.append(Fact("conceptnet", uri, (head, tail), f"{head} {relation_words(relation)} {tail}",
                          _weight(weight), f"{Path(path).name}:{where['line']}"))
    return facts


def read_conceptnet100k(path: str | Path) -> list[Fact]:
    """Facts of a ConceptNet-100k split file (relation, head, tail, label); negatives are skipped.
    A fact's key is the assertion URI ConceptNet would give the triple."""
    facts = []
    for where, (relation, head, tail, label) in _tsv_rows(path, 4):
        for field, value in (("relation", relation), ("head", head), ("tail", tail)):
            if not value.strip():
                raise InputError(path, "empty value", field=field, **where)
        if label not in ("0", "1"):
            raise InputError(path, f"expected 0 or 1, got {label!r}", field="label", **where)
        if label == "1":  # weight 1 as a single-source ConceptNet assertion has
            uri = f"/a/[/r/{relation}/,/c/en/{head.replace(' ', '_')}/,/c/en/{tail.replace(' ', '_')}/]"
            facts.append(Fact("conceptnet", uri, (head, tail),
                              f"{head} {relation_words(relation)} {tail}", _weight(1.0),
                              f"{Path(path).name}:{where['line']}"))
    return facts


def _first_char(path: Path) -> str:
    """The first non-blank character of a file, read without loading it (a dump can be huge)."""
    with open(path, "rb") as handle:
        return handle.read(4096).decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")[:1]


def _entity_records(path: Path) -> Iterator[tuple[str, int, dict]]:
    """(origin, line, entity) of a Wikidata dump, an EntityData file, or a folder of EntityData files."""
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        if not files:
            raise InputError(path, "no .json files in the folder")
        for file in files:
            yield from _entity_records(file)
        return
    if path.suffix == ".json" and path.is_file() and _first_char(path) == "{":
        data = read_json(path)
        entities = data.get("entities") if isinstance(data, dict) else None
        if not isinstance(entities, dict):
            raise InputError(path, "expected an object with 'entities'", field="entities")
        for entity in entities.values():
            yield path.name, 1, entity
        return
    # the dump: "[", then one entity per line with a trailing comma, then "]"
    for line_no, line in _lines(path):
        text = line.strip().rstrip(",")
        if text in ("[", "]", ""):
            continue
        try:
            yield path.name, line_no, json.loads(text)
        except json.JSONDecodeError as err:
            raise InputError(path, f"malformed JSON ({err.msg})", line=line_no) from None


def _values(path, entity: dict, field: str, line: int, many: bool,
            languages: tuple[str, ...] | None) -> list[str]:
    """Every string of an entity's labels / descriptions (one per language) or aliases (lists)."""
    block = entity.get(field, {})
    if not isinstance(block, dict):
        raise InputError(path, f"expected an object, got {type(block).__name__}", line=line, field=field)
    out = []
    for lang in sorted(block):
        if languages is not None and lang not in languages:
            continue
        items = block[lang] if many else [block[lang]]
        if not isinstance(items, list):
            raise InputError(path, f"expected a list for language {lang!r}", line=line, field=field)
        for item in items:
            value = item.get("value") if isinstance(item, dict) else None
            if not isinstance(value, str):
                raise InputError(path, f"expected {{'language', 'value'}} for language {lang!r}",
                                 line=line, field=field)
            out.append(value)
    return out


def _english(entity: dict, field: str) -> str | None:
    """The English value of labels / descriptions, else the multilingual default ('mul')."""
    block = entity.get(field) or {}
    for lang in ("en", "mul"):
        if lang in block:
            return block[lang]["value"]
    return None


def read_wikidata(path: str | Path, languages: tuple[str, ...] | None = None) -> list[Fact]:
    """Facts of Wikidata items (lexemes and properties name no entity and are not linked); an item's
    names are its labels and aliases in `languages` (None = every language: short aliases of other
    languages then link English words, e.g. an alias "news" of "Wikinews article")."""
    _check_languages(languages)
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file not found")
    items, labels = [], {}
    for origin, line, entity in _entity_records(path):
        where = path / origin if path.is_dir() else path
        if not isinstance(entity, dict) or not isinstance(entity.get("id"), str):
            raise InputError(where, "expected an entity with an 'id'", line=line, field="id")
        label = _english(entity, "labels")
        if label:
            labels[entity["id"]] = label
        if entity.get("type") == "item":
            names = _values(where, entity, "labels", line, False, languages) \
                + _values(where, entity, "aliases", line, True, languages)
            items.append((f"{origin}:{line}", entity, tuple(dict.fromkeys(names))))
    facts = []
    for origin, entity, names in items:
        if not names:
            continue
        name = _english(entity, "labels") or names[0]
        description = _english(entity, "descriptions")
        if description:
            facts.append(Fact("wikidata", entity["id"], names, f"{name}: {description}", 1.0, origin))
        for prop, statements in sorted((entity.get("claims") or {}).items()):
            for statement in statements:
                value = (statement.get("mainsnak") or {}).get("datavalue", {}).get("value")
                target = value.get("id") if isinstance(value, dict) else None
                if prop in labels and target in labels:
                    facts.append(Fact("wikidata", entity["id"], names,
                                      f"{name} {labels[prop]} {labels[target]}", 1.0, origin))
    return facts


TERM_COLUMNS = ("ngram", "term")
SCORE_COLUMNS = {"prophate": 1.0, "average_offensiveness": 100.0}  # column -> its scale


def read_hate_lexicon(path: str | Path) -> list[Fact]:
    """Facts of a hate lexicon CSV: each term is a known hate-speech n-gram with its score."""
    records = read_csv_records(path, [])
    header = [c for c in records[0] if not c.startswith("_")]
    term = next((c for c in TERM_COLUMNS if c in header), None)
    if term is None:
        raise InputError(path, f"no term column (one of {', '.join(TERM_COLUMNS)}); found "
                               f"{', '.join(header)}", line=1, field=TERM_COLUMNS[0])
    score = next((c for c in SCORE_COLUMNS if c in header), None)
    facts = []
    for record in records:
        where = {"row": record["_row"], "line": record["_line"]}
        phrase = record[term].strip()
        if not phrase:
            raise InputError(path, "empty term", field=term, **where)
        weight = 1.0
        if score is not None:
            try:
                weight = float(record[score]) / SCORE_COLUMNS[score]
            except ValueError:
                weight = -1.0
            if not 0.0 <= weight <= 1.0:
                raise InputError(path, f"expected a number in [0, {SCORE_COLUMNS[score]:g}], got "
                                       f"{record[score]!r}", field=score, **where)
        facts.append(Fact("lexicon", phrase, (phrase,), f'"{phrase}" is a hate-speech term '
                          f"(lexicon score {weight:.2f})", weight, f"{Path(path).name}:{record['_line']}"))
    return facts

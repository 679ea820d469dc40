"""Link persona facts to a catalogue and recommend, with the facts as the reasons.

The task context is a catalogue of items with tags (data/persopilot/catalogue.csv, written for
pluralign). Linking is deterministic: a fact links to an item when every word of one of the item's
tags occurs in the fact's object (words compared after a crude singular: "novels" = "novel"). Each
linked fact with a positive relation (likes, wants, is, has, works_as) adds 1 to the item's score;
a linked `dislikes` fact excludes the item. When the analyst's classifier exists, items tagged with
the user's predicted persona class get CLASS_BONUS more, and the reason says which version of the
classifier predicted it. Ties are broken by item id. So every recommendation can say which fact led
to it (the paper's explainability); a model may phrase the reply, but never chooses the reasons.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from papers.core.io import InputError, read_csv_records

from .extract import RELATIONS
from .store import Recommended, StoredFact

POSITIVE = ("likes", "wants", "is", "has", "works_as")   # lives_in links no item in this catalogue
NEGATIVE = ("dislikes",)
assert set(POSITIVE) | set(NEGATIVE) | {"lives_in"} == set(RELATIONS)
CLASS_BONUS = 0.5    # below one fact: a stated preference outranks the class the classifier guesses
TOP_K = 3
# Each relation as a verb after "you", for the reply.
YOU = {"likes": "like", "dislikes": "dislike", "is": "are", "has": "have", "lives_in": "live in",
       "wants": "want", "works_as": "work as"}
_ITEM_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass(frozen=True)
class Item:
    item_id: str
    name: str
    tags: tuple[str, ...]
    description: str


def words(text: str) -> frozenset[str]:
    """Lower-case words, each in a crude singular (a trailing 's' dropped from words over 3 letters,
    not from '-ss')."""
    out = set()
    for w in re.findall(r"[a-z0-9]+", text.lower()):
        out.add(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w)
    return frozenset(out)


def load_catalogue(path: str | Path) -> list[Item]:
    """Items from a CSV with item_id, name, tags (';'-separated) and description."""
    items, seen = [], set()
    for r in read_csv_records(path, ["item_id", "name", "tags", "description"]):
        if not _ITEM_ID.match(r["item_id"]):
            raise InputError(path, f"item id {r['item_id']!r}: 1-32 letters, digits, '_' or '-'",
                             row=r["_row"], line=r["_line"], field="item_id")
        if r["item_id"] in seen:
            raise InputError(path, f"item id {r['item_id']!r} appears twice", row=r["_row"], line=r["_line"],
                             field="item_id")
        tags = tuple(t.strip().lower() for t in r["tags"].split(";") if t.strip())
        if not tags or not r["name"].strip():
            raise InputError(path, "an item needs a name and at least one tag", row=r["_row"], line=r["_line"],
                             field="tags" if not tags else "name")
        seen.add(r["item_id"])
        items.append(Item(r["item_id"], r["name"].strip(), tags, r["description"].strip()))
    return items


def matched_tag(fact_object: str, item: Item) -> str | None:
    """The first of the item's tags whose every word occurs in the fact's object, or None."""
    have = words(fact_object)
    return next((t for t in item.tags if words(t) and words(t) <= have), None)


def recommend(facts: Sequence[StoredFact], catalogue: Sequence[Item], persona_class: str | None = None,
              classifier_version: int | None = None, top_k: int = TOP_K) -> list[Recommended]:
    """The top_k items by linked facts (and the persona class), each with its reasons. An item no
    fact links to is recommended only through the persona class; with neither, nothing is."""
    if not all(isinstance(f, StoredFact) for f in facts):
        raise TypeError("facts must be StoredFact objects")
    if not all(isinstance(i, Item) for i in catalogue):
        raise TypeError("catalogue must be Item objects")
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"top_k must be an int >= 1, got {top_k!r}")
    scored = []
    for item in catalogue:
        reasons, vetoed = [], False
        for f in facts:
            tag = matched_tag(f.triplet.object, item)
            if tag is None:
                continue
            if f.triplet.relation in NEGATIVE:
                vetoed = True
            elif f.triplet.relation in POSITIVE:
                reasons.append((f.fact_id, tag))
        if vetoed:
            continue
        score = float(len(reasons))
        by_class = persona_class is not None and persona_class in item.tags
        if by_class:
            score += CLASS_BONUS
        if score > 0:
            scored.append(Recommended(item.item_id, score, tuple(reasons),
                                      persona_class if by_class else None,
                                      classifier_version if by_class else None))
    scored.sort(key=lambda r: (-r.score, r.item_id))
    return scored[:top_k]


def reply_text(recommended: Sequence[Recommended], catalogue: Sequence[Item], facts: Sequence[StoredFact]) -> str:
    """The assistant's reply, written from the linking alone (deterministic)."""
    by_id = {i.item_id: i for i in catalogue}
    fact = {f.fact_id: f.triplet for f in facts}
    if not recommended:
        return ("I have nothing to recommend yet: tell me what you like, want or dislike "
                "(for example: I love hiking).")
    parts = []
    for r in recommended:
        why = [f"you {YOU[fact[fid].relation]} {fact[fid].object}" for fid, _ in r.reasons]
        if r.persona_class:
            why.append(f"your profile looks {r.persona_class}")
        parts.append(f"{by_id[r.item_id].name} (because {' and '.join(why)})")
    return "You might like: " + "; ".join(parts) + "."

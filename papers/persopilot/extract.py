"""Persona facts as (subject, relation, object) triplets from what a user says.

    python -m papers.persopilot.extract --help     # both extractors on a labelled set (the DAG's step)

The labelled set is the project's JSON Lines (load_labelled: the mini set) or, at paper scale, a
released Dialogue NLI file of annotated PersonaChat sentences (load_dialogue_nli).

The model extractor asks a chat model of the registry (through the call cache) with a few-shot
prompt to write one triplet per line, `subject | relation | object`, and parses the reply strictly:
a line that is not three fields, names a relation outside RELATIONS (after the few verbs of
SYNONYMS, "loves" for likes, are read as theirs) or an object that is not a short phrase is dropped
and counted. The subject of a fact about the speaker is `user`.

At mini scale the model is SmolLM2-135M-Instruct: a weak extractor (it copies the few-shot examples'
shape but often picks the wrong relation or object, or invents facts); the table puts it beside the
rule-based baseline `rule_extract` (regular expressions over "I like ...", "I live in ...").
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Sequence

from papers.core.llm.types import GenerateRequest, Sampling, chat

# The relation vocabulary (pluralign's; the paper publishes none): name -> what it covers. Each
# relation has a polarity in recommend.py.
RELATIONS = {
    "likes": "enjoys, loves or often does something (an activity, a food, a kind of thing)",
    "dislikes": "does not like, hates, avoids or is allergic to something",
    "is": "a trait or identity of the person (vegetarian, student)",
    "has": "owns or lives with something (a pet, a garden, children)",
    "lives_in": "a city, region or country",
    "wants": "wishes to get, buy or learn something",
    "works_as": "a job",
}
# Verbs a model writes for a relation of the vocabulary, read as that relation (the parser stays
# strict about everything else: a verb not listed here drops its line).
SYNONYMS = {"love": "likes", "loves": "likes", "like": "likes", "enjoy": "likes", "enjoys": "likes",
            "adores": "likes", "prefers": "likes", "plays": "likes", "hate": "dislikes", "hates": "dislikes",
            "dislike": "dislikes", "need": "wants", "needs": "wants", "want": "wants",
            "lives": "lives_in", "lives in": "lives_in", "works as": "works_as", "have": "has", "am": "is"}
USER = "user"                       # the subject of every fact about the speaker
SPEAKER = {"i", "me", "myself", USER}
MAX_OBJECT_WORDS = 6                # a longer "object" is a sentence, not a fact
LEADING = {"a", "an", "the", "my", "some", "to"}  # dropped from the front of an object
_OBJECT_CHARS = re.compile(r"^[a-z0-9][a-z0-9 '\-]*$")
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s*")

SYSTEM = ("Extract persona facts from the user's message. Write one fact per line as: "
          "subject | relation | object. The subject is user. The relation is one of: "
          + ", ".join(RELATIONS) + ". The object is a short phrase. Write none if the message states no fact.")
# Few-shot turns, none of them in data/persopilot/messages.jsonl (the labelled set).
FEW_SHOT = (
    ("I adore chess and I live in Madrid.", "user | likes | chess\nuser | lives_in | madrid"),
    ("I am left-handed and I want new headphones.", "user | is | left-handed\nuser | wants | headphones"),
    ("I can't stand horror films.", "user | dislikes | horror films"),
    ("Can you help me?", "none"),
    ("I work as a baker and I have a parrot.", "user | works_as | baker\nuser | has | parrot"),
)


@dataclass(frozen=True, order=True)
class Triplet:
    subject: str
    relation: str
    object: str

    def __post_init__(self):
        for name in ("subject", "relation", "object"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise TypeError(f"Triplet.{name} must be a non-empty str, got {getattr(self, name)!r}")
        if self.relation not in RELATIONS:
            raise ValueError(f"unknown relation {self.relation!r}; expected one of {', '.join(RELATIONS)}")

    def text(self) -> str:
        return f"{self.subject} | {self.relation} | {self.object}"

    def fields(self) -> list[str]:
        return [self.subject, self.relation, self.object]


@dataclass(frozen=True)
class Extraction:
    message: str
    reply: str                        # the model's raw reply ("" for the rule-based extractor)
    triplets: tuple[Triplet, ...]
    dropped: int                      # reply lines the parser refused


def normalise_phrase(text: str) -> str:
    """Lower case, inner spaces collapsed, end punctuation and leading articles/possessives removed."""
    if not isinstance(text, str):
        raise TypeError(f"a phrase must be str, got {type(text).__name__}")
    words = re.sub(r"[.,;:!?\"()\[\]]+", " ", text.lower()).split()
    while words and words[0] in LEADING:
        words = words[1:]
    return " ".join(words)


def make_triplet(subject: str, relation: str, obj: str) -> Triplet | None:
    """The normalised triplet, or None when a field is not acceptable (the parser's rules)."""
    subject = normalise_phrase(subject)
    subject = USER if subject in SPEAKER else subject
    relation = normalise_phrase(relation)
    relation = SYNONYMS.get(relation, relation).replace(" ", "_")
    obj = normalise_phrase(obj)
    if relation not in RELATIONS or not subject or not obj:
        return None
    if len(subject.split()) > 3 or not _OBJECT_CHARS.match(subject):
        return None
    if len(obj.split()) > MAX_OBJECT_WORDS or not _OBJECT_CHARS.match(obj):
        return None
    return Triplet(subject, relation, obj)


def parse_triplets(reply: str) -> tuple[tuple[Triplet, ...], int]:
    """(triplets, dropped lines) of a reply with one `subject | relation | object` per line. Blank
    lines and a line `none` are not facts and not dropped; a repeated triplet is kept once."""
    if not isinstance(reply, str):
        raise TypeError(f"reply must be str, got {type(reply).__name__}")
    found, dropped = [], 0
    for line in reply.splitlines():
        line = _BULLET.sub("", line).strip()
        if not line or line.strip(".").lower() == "none":
            continue
        fields = line.split("|")
        made = make_triplet(*fields) if len(fields) == 3 else None
        if made is None:
            dropped += 1
        elif made not in found:
            found.append(made)
    return tuple(found), dropped


def extraction_chat(message: str):
    """The few-shot chat that asks for `message`'s triplets."""
    if not isinstance(message, str):
        raise TypeError(f"message must be str, got {type(message).__name__}")
    turns = [("system", SYSTEM)]
    for example, answer in FEW_SHOT:
        turns += [("user", example), ("assistant", answer)]
    return chat(*turns, ("user", message))


def model_extract(model, messages: Sequence[str], max_new_tokens: int = 40) -> list[Extraction]:
    """Each message's triplets by the model (greedy, one batch through the cache)."""
    if isinstance(messages, str) or not all(isinstance(m, str) for m in messages):
        raise TypeError("messages must be a sequence of str")
    sampling = Sampling(temperature=0.0, max_new_tokens=max_new_tokens)
    replies = model.generate([GenerateRequest(extraction_chat(m), sampling) for m in messages])
    return [Extraction(m, r, *parse_triplets(r)) for m, r in zip(messages, replies)]


# The baseline: a clause-level pattern per relation (negative patterns first: "don't like" holds
# "like"); the object runs to the first preposition or time word.
_PATTERNS = (
    ("dislikes", r"\bi (?:really )?(?:hate|dislike|don't like|do not like|can't stand|cannot stand)\s+(.+)"),
    ("wants", r"\bi (?:want|need|would like|'d like)\s+(?:to (?:buy|get|learn|try)\s+)?(.+)"),
    ("likes", r"\bi (?:really )?(?:love|like|enjoy|adore)\s+(.+)"),
    ("lives_in", r"\bi live in\s+(.+)"),
    ("works_as", r"\bi work as\s+(.+)"),
    ("is", r"\bi (?:am|'m)\s+(.+)"),
    ("has", r"\bi have\s+(.+)"),
)
_STOP = re.compile(r"\s+\b(?:in|on|at|for|with|every|each|from|to|all|today|this|when|because)\b.*$")


def rule_extract(message: str) -> Extraction:
    """The rule-based baseline: each clause (split at '.', ',', 'and', 'but') matched against one
    pattern per relation."""
    if not isinstance(message, str):
        raise TypeError(f"message must be str, got {type(message).__name__}")
    found = []
    for clause in re.split(r"[.,;!?]|\band\b|\bbut\b", message.lower().replace("\u2019", "'")):
        for relation, pattern in _PATTERNS:
            hit = re.search(pattern, clause.strip())
            if hit:
                made = make_triplet(USER, relation, _STOP.sub("", hit.group(1).strip()))
                if made is not None and made not in found:
                    found.append(made)
                break
    return Extraction(message, "", tuple(found), 0)


def _overlaps(a: Triplet, b: Triplet) -> bool:
    return a.subject == b.subject and a.relation == b.relation and bool(set(a.object.split()) & set(b.object.split()))


def match_counts(predicted: Sequence[Triplet], gold: Sequence[Triplet], lenient: bool = False) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) of one message. Exact: the same triplet.
    Lenient: same subject and relation and objects sharing a word, matched one to one."""
    left = list(gold)
    tp = 0
    for p in predicted:
        hit = next((g for g in left if (_overlaps(p, g) if lenient else p == g)), None)
        if hit is not None:
            left.remove(hit)
            tp += 1
    return tp, len(predicted) - tp, len(left)


def prf(predicted: Sequence[Sequence[Triplet]], gold: Sequence[Sequence[Triplet]], lenient: bool = False) -> dict:
    """Micro precision, recall and F1 over messages (0 where undefined)."""
    if len(predicted) != len(gold):
        raise ValueError(f"{len(predicted)} predictions for {len(gold)} gold messages")
    tp = fp = fn = 0
    for p, g in zip(predicted, gold):
        a, b, c = match_counts(p, g, lenient)
        tp, fp, fn = tp + a, fp + b, fn + c
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1}


def load_labelled(path) -> list[dict]:
    """The labelled set: JSON Lines with message_id, text and triplets ([subject, relation, object]
    lists already in the parser's normal form); a bad record is an InputError naming its row."""
    from papers.core.io import InputError, read_jsonl_records

    records = read_jsonl_records(path, ["message_id", "text", "triplets"])
    seen = set()
    for r in records:
        where = {"row": r["_row"], "line": r["_line"]}
        if not isinstance(r["message_id"], str) or not r["message_id"] or r["message_id"] in seen:
            raise InputError(path, "message_id must be a unique non-empty string", field="message_id", **where)
        if not isinstance(r["text"], str) or not r["text"].strip():
            raise InputError(path, "text must be a non-empty string", field="text", **where)
        if not isinstance(r["triplets"], list):
            raise InputError(path, "triplets must be a list", field="triplets", **where)
        gold = []
        for t in r["triplets"]:
            made = make_triplet(*t) if isinstance(t, list) and len(t) == 3 and all(isinstance(x, str) for x in t) else None
            if made is None or made.fields() != t:
                raise InputError(path, f"{t!r} is not a [subject, relation, object] in normal form",
                                 field="triplets", **where)
            gold.append(made)
        seen.add(r["message_id"])
        r["gold"] = tuple(gold)
    return records


# Dialogue NLI (Welleck et al., ACL 2019) annotates PersonaChat sentences with one triple each; its
# released files (dialogue_nli_{train,dev,test}.jsonl, each one JSON array despite the name) hold
# sentence pairs with fields sentence1, sentence2, triple1, triple2 ([subject, relation, object]),
# label and dtype. Its relations map to the vocabulary where one of ours covers them; a sentence whose
# triple has any other relation is left out (its fact would count against an extractor that found it).
DIALOGUE_NLI_RELATIONS = {
    **dict.fromkeys(("like_general", "like_activity", "like_food", "like_drink", "like_read", "like_music",
                     "like_animal", "like_sports", "like_goto", "like_movie", "like_watching", "has_hobby",
                     "favorite", "favorite_activity", "favorite_animal", "favorite_book", "favorite_color",
                     "favorite_drink", "favorite_food", "favorite_hobby", "favorite_movie", "favorite_music",
                     "favorite_music_artist", "favorite_place", "favorite_season", "favorite_show",
                     "favorite_sport"), "likes"),
    "dislike": "dislikes",
    **dict.fromkeys(("physical_attribute", "gender", "nationality", "job_status", "school_status",
                     "misc_attribute"), "is"),
    # "have_chidren" is the dataset's own spelling
    **dict.fromkeys(("have", "have_pet", "have_vehicle", "have_chidren", "own"), "has"),
    **dict.fromkeys(("live_in_citystatecountry", "live_in_general"), "lives_in"),
    **dict.fromkeys(("want", "want_do", "want_job"), "wants"),
    "has_profession": "works_as",
}
# Dialogue NLI's relations with no counterpart in the vocabulary, and why (the README lists them).
DIALOGUE_NLI_DROPPED = {
    "place_origin": "where one comes from, not where one lives",
    "previous_profession": "a past job; works_as is the current one",
    "employed_by_general": "an employer, not a job", "employed_by_company": "an employer, not a job",
    "has_age": "an age, not a trait", "not_have": "a negated possession the vocabulary cannot state",
    "have_sibling": "a family tie", "have_family": "a family tie", "marital_status": "a family tie",
    "member_of": "a membership", "teach": "a subject taught", "attend_school": "a school attended",
    "has_degree": "a degree", "has_ability": "a skill",
}
_PLACEHOLDER = re.compile(r"^<[a-z_]+>$")  # a triple field the annotators left unfilled ("<none>")


def _dialogue_nli_side(path, row: int, record: dict, side: str) -> tuple[str, list]:
    from papers.core.io import InputError

    text, triple = record[f"sentence{side}"], record[f"triple{side}"]
    if not isinstance(text, str) or not text.strip():
        raise InputError(path, "must be a non-empty string", row=row, field=f"sentence{side}")
    if not (isinstance(triple, list) and len(triple) == 3 and all(isinstance(x, str) and x for x in triple)):
        raise InputError(path, f"must be [subject, relation, object] of non-empty strings, not {triple!r}",
                         row=row, field=f"triple{side}")
    return " ".join(text.split()), triple


def load_dialogue_nli(path, skipped: dict | None = None) -> list[dict]:
    """Dialogue NLI's annotated sentences as a labelled set in load_labelled's shape (message_id, text,
    triplets, gold, _row): each distinct sentence once (the first pair it occurs in names it), with
    its triples mapped by DIALOGUE_NLI_RELATIONS and normalised as the parser does. A sentence is left
    out when a triple has a relation of DIALOGUE_NLI_DROPPED or one the module does not know, or an
    object the parser would refuse; a triple of placeholders ("<none>") is a sentence with no fact.
    `skipped`, when given, receives the counts of what was left out, by reason. A malformed record
    is an InputError naming the file, the record (row, from 1) and the field."""
    from papers.core.io import InputError, read_json

    if skipped is not None and not isinstance(skipped, dict):
        raise TypeError(f"skipped must be a dict or None, got {type(skipped).__name__}")
    data = read_json(path)
    if not isinstance(data, list):
        raise InputError(path, "expected a JSON array of sentence pairs, as the released dialogue_nli_*.jsonl hold")
    sentences: dict[str, dict] = {}
    reasons: dict[str, int] = {}
    for row, record in enumerate(data, start=1):
        if not isinstance(record, dict):
            raise InputError(path, "expected a JSON object", row=row)
        for field in ("sentence1", "triple1", "sentence2", "triple2"):
            if field not in record:
                raise InputError(path, "missing field", row=row, field=field)
        for side in "12":
            text, (subject, relation, obj) = _dialogue_nli_side(path, row, record, side)
            entry = sentences.setdefault(text, {"message_id": f"dnli-{row}-{side}", "text": text, "_row": row,
                                                "_line": None, "gold": [], "reason": None})
            # a sentence annotated twice keeps every triple, and is left out if any cannot be scored
            if all(_PLACEHOLDER.match(x) for x in (subject, relation, obj)):
                continue
            ours = DIALOGUE_NLI_RELATIONS.get(relation)
            made = make_triplet(subject, ours, obj) if ours else None
            if made is None:
                entry["reason"] = entry["reason"] or (
                    f"relation {relation} (dropped)" if relation in DIALOGUE_NLI_DROPPED
                    else f"relation {relation} (unknown)" if ours is None else "object not a short phrase")
            elif made not in entry["gold"]:
                entry["gold"].append(made)
    records = []
    for entry in sentences.values():
        reason = entry.pop("reason")
        if reason is None:
            entry["gold"] = tuple(entry["gold"])
            entry["triplets"] = [t.fields() for t in entry["gold"]]
            records.append(entry)
        else:
            reasons[reason] = reasons.get(reason, 0) + 1
    if skipped is not None:
        skipped.update(sorted(reasons.items()))
    return records


def extract_labelled(records: list[dict], model, max_new_tokens: int):
    """One row per message and extractor (model, rules): its triplets and the gold ones, as JSON."""
    import pandas as pd

    by_model = model_extract(model, [r["text"] for r in records], max_new_tokens)
    rows = []
    for r, found in zip(records, by_model):
        for name, e in (("model", found), ("rules", rule_extract(r["text"]))):
            rows.append({"message_id": r["message_id"], "extractor": name, "text": r["text"], "reply": e.reply,
                         "triplets": json.dumps([t.fields() for t in e.triplets]),
                         "gold": json.dumps([t.fields() for t in r["gold"]]),
                         "dropped": e.dropped})
    return pd.DataFrame(rows)


FORMATS = ("jsonl", "dialogue_nli")  # the labelled sets the DAG's step reads (config: messages_format)


def main(argv=None) -> None:
    from papers.core.cli import add_model_args, open_model, parser, setup_logging
    from papers.core.io import InputError, write_parquet

    p = parser(__doc__)
    p.add_argument("--messages", required=True, help="the labelled set")
    p.add_argument("--format", choices=sorted(FORMATS), default="jsonl",
                   help="jsonl: JSON Lines with message_id, text, triplets (the mini set); dialogue_nli: a "
                        "released Dialogue NLI file (load_dialogue_nli)")
    add_model_args(p, "model")
    p.add_argument("--max-new-tokens", type=int, required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    log = setup_logging()
    skipped: dict = {}
    records = load_labelled(a.messages) if a.format == "jsonl" else load_dialogue_nli(a.messages, skipped)
    for reason, n in skipped.items():
        log.info("left out %d sentences: %s", n, reason)
    if not records:
        raise InputError(a.messages, "no message left to extract from")
    model = open_model(a.model, a.cache, a.threads, desc="extractor")
    rows = extract_labelled(records, model, a.max_new_tokens)
    write_parquet(a.out, rows)
    log.info("%d messages, %d model calls", len(records), model.calls)


if __name__ == "__main__":
    from papers.core.cli import run

    run(main)

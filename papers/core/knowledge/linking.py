"""Entity and phrase linking: which facts of the knowledge sources a meme's text mentions.

    index = KnowledgeIndex(read_conceptnet100k(...) + read_wikidata(...) + read_hate_lexicon(...))
    links = select(link("Stay at home, wear a mask", index), per_source=3)

A dictionary linker, deterministic and pure Python (paper 7 names no linker):
1. normalise: Unicode NFKC, case folding, typographic apostrophes made plain;
2. tokens: runs of letters and digits (inner apostrophes kept: "don't"); a Han, Hiragana or Katakana
   character is a token by itself, as those scripts put no spaces between words;
3. match: every token n-gram of the text (n up to MAX_TOKENS) looked up among the facts' names,
   normalised the same way; when the exact n-gram is not a name, the n-gram with its last word made
   singular ("masks" -> "mask", "parties" -> "party") is tried, at SINGULAR_FACTOR of the score;
4. a name is linkable only if it holds a content token: not a stop word, not a number, and longer
   than one letter unless it is a Han/kana character ("the", "be", "2020" and "c" link to nothing);
5. longest match wins: a span inside a longer matched span of the same source is dropped
   ("white trash" in the lexicon hides "white"; it does not hide ConceptNet's "white");
6. score = the fact's weight x n / (n + 1): a longer matched name is less likely a chance hit;
7. ranking (select): by score, then source (SOURCES order), then position in the text, then key and
   fact text, so ties always break the same way; the top `per_source` of each source are kept.
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from .sources import SOURCES, Fact

MAX_TOKENS = 8          # longer names (article titles) are not linked
SINGULAR_FACTOR = 0.9   # a match through the singular form is a little less certain

# English function words: a name made only of these links to nothing (ConceptNet has "this", "be").
STOPWORDS = frozenset("""
a an the and or but if of at by for with about against between into through during before after above
below to from up down in out on off over under again further then once here there when where why how
all any both each few more most other some such no nor not only own same so than too very can will
just should now i me my myself we our ours you your yours he him his she her hers it its they them
their what which who whom this that these those am is are was were be been being have has had having
do does did doing would could might must shall may im i'm it's don't dont get got gets go goes going
one also like just yes oh ok lol
""".split())

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def normalise(text: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'").replace("\u2018", "'")


def tokens(text: str) -> list[str]:
    """The normalised tokens of a text (CJK characters one token each)."""
    out = []
    for word in _WORD.findall(normalise(text)):
        if not _CJK.search(word):
            out.append(word)
            continue
        start = 0
        for match in _CJK.finditer(word):
            if match.start() > start:
                out.append(word[start:match.start()])
            out.append(match.group())
            start = match.end()
        if start < len(word):
            out.append(word[start:])
    return out


def join(toks: tuple[str, ...] | list[str]) -> str:
    """Tokens as a phrase: spaces between words, none between two CJK characters."""
    out = ""
    for i, tok in enumerate(toks):
        glued = i > 0 and _CJK.fullmatch(tok) and _CJK.fullmatch(toks[i - 1])
        out += tok if i == 0 or glued else " " + tok
    return out


def is_content(token: str) -> bool:
    """A token that can carry a link on its own (step 4 of the module docstring)."""
    if _CJK.fullmatch(token):
        return True
    return len(token) > 1 and not token.isdigit() and token not in STOPWORDS


def singular(token: str) -> str:
    """A plural English word's singular by the two commonest rules; other words unchanged."""
    if not token.isascii() or len(token) <= 3:
        return token
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y"
    if token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


@dataclass(frozen=True)
class Link:
    fact: Fact
    phrase: str       # the matched name, normalised
    start: int        # token span of the match in the text
    end: int
    score: float


class KnowledgeIndex:
    """The facts by normalised name (a tuple of tokens)."""

    def __init__(self, facts: list[Fact]):
        if not isinstance(facts, list) or not all(isinstance(f, Fact) for f in facts):
            raise TypeError("facts must be a list of Fact")
        self.by_name: dict[tuple[str, ...], list[Fact]] = defaultdict(list)
        for fact in facts:
            for name in dict.fromkeys(tuple(tokens(n)) for n in fact.names):
                if 0 < len(name) <= MAX_TOKENS and any(is_content(t) for t in name):
                    self.by_name[name].append(fact)
        self.max_tokens = max((len(n) for n in self.by_name), default=0)

    def __len__(self) -> int:
        return len(self.by_name)


def link(text: str, index: KnowledgeIndex) -> list[Link]:
    """Every link of `text` into `index`, after longest-match-wins within each source."""
    if not isinstance(index, KnowledgeIndex):
        raise TypeError(f"index must be a KnowledgeIndex, got {type(index).__name__}")
    toks = tokens(text)
    found = []
    for start in range(len(toks)):
        for n in range(min(index.max_tokens, len(toks) - start), 0, -1):
            gram = tuple(toks[start:start + n])
            facts, factor = index.by_name.get(gram), 1.0
            if facts is None:
                facts, factor = index.by_name.get(gram[:-1] + (singular(gram[-1]),)), SINGULAR_FACTOR
            for fact in facts or ():
                found.append(Link(fact, join(gram), start, start + n, fact.weight * n / (n + 1) * factor))
    spans = defaultdict(set)
    for item in found:
        spans[item.fact.source].add((item.start, item.end))
    return [item for item in found
            if not any(s <= item.start and item.end <= e and (s, e) != (item.start, item.end)
                       for s, e in spans[item.fact.source])]


def rank_key(item: Link) -> tuple:
    return (-round(item.score, 12), SOURCES.index(item.fact.source), item.start, item.end,
            item.fact.key, item.fact.text)


def select(links: list[Link], per_source: int) -> list[Link]:
    """The best `per_source` links of each source with distinct fact texts, in rank order."""
    if not isinstance(per_source, int) or isinstance(per_source, bool) or per_source < 0:
        raise ValueError(f"per_source must be an int >= 0, got {per_source!r}")
    kept, seen, count = [], set(), defaultdict(int)
    for item in sorted(links, key=rank_key):
        key = (item.fact.source, item.fact.text)
        if key in seen or count[item.fact.source] >= per_source:
            continue
        seen.add(key)
        count[item.fact.source] += 1
        kept.append(item)
    return kept

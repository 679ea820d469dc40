"""Exact SimHash near-duplicate removal (construction step c): 64-bit fingerprints, all pairs within
Hamming distance tau, one document kept per cluster.

    python -m papers.core.dedup --in pool.parquet --text-col prompt --id-col prompt_id --tau 10 \\
        --out-kept kept.parquet --out-removed removed.parquet

Features (the PyPI `simhash` 2.1.2 default, so `fingerprints(texts)[i] == simhash.Simhash(texts[i]).value`
bit for bit): the text is lowercased (`str.lower`), everything but the characters of the regex
`[\\w\\u4e00-\\u9fcc]` is dropped (spaces and punctuation included, so words run together), and the
features are the character 4-grams of what remains, weighted by how often they occur. A cleaned text
shorter than 4 characters is one feature, itself; so an empty, whitespace-only or punctuation-only
document has the single feature "" and the fingerprint md5("")[-8:] = 0xe98ecf8427e_... (16825458760271544958),
the same for all of them, as in the package. A feature's hash is the last 8 bytes of the md5 of its
UTF-8, read big-endian; bit j of the fingerprint is 1 when the features whose hash has bit j set
weigh more than half the total weight. A document of one repeated token gets the fingerprint of the
token's 4-grams with their counts; where a 4-gram occurs more than 255 times the package itself fails
under numpy 2 (uint8 overflow), and this module returns what the formula gives.

Search: exact, i.e. the same pair set as comparing every pair. The 64 bits are split into b blocks
(b > tau). Two fingerprints within distance tau differ in at most tau blocks, so they agree exactly on
at least k = b - tau of them (pigeonhole). One table per set of k blocks: documents are sorted by
those blocks' bits, every pair inside a bucket is a candidate, and candidates are verified by the
popcount of their XOR. A pair is reported only by the table of its k lowest-numbered agreeing
blocks, so it comes out once and no set is needed. (b, k) minimise a cost model (sorts vs expected
candidates). Identical fingerprints are grouped first and the search runs on the distinct ones,
so thousands of empty documents cost nothing.

Clusters are the connected components of the pair graph; the kept document is the one with the
smallest input index; each removed document names it (`duplicate_of`) with `distance`, the Hamming
distance between the two fingerprints, which can exceed tau in a chain a~b~c.
"""
from __future__ import annotations

import functools
import hashlib
import itertools
import math
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

SEP = "\x00"  # never a feature character, and lower() never looks across it (not cased, not case-ignorable)
_DROP = re.compile(r"[^\w\u4e00-\u9fcc]+")
_FEATURE_CHAR = re.compile(r"[\w\u4e00-\u9fcc]")
BATCH_CHARS = 1 << 19
MAX_TAU = 63


# ---------------------------------------------------------------- fingerprints

def clean(text: str) -> str:
    """The text the features are taken from: lowercased, only [\\w\\u4e00-\\u9fcc] kept."""
    return _DROP.sub("", text.lower())


def features(text: str) -> dict[str, int]:
    """The weighted features of one document (for inspection; fingerprints() does not use this)."""
    content = clean(text)
    grams = [content[i:i + 4] for i in range(max(len(content) - 3, 1))]
    return {g: grams.count(g) for g in dict.fromkeys(grams)}


def _md5_tail(strings: list[str]) -> np.ndarray:
    md5 = hashlib.md5
    return np.frombuffer(b"".join([md5(s.encode()).digest()[-8:] for s in strings]), dtype=">u8")


def _lane_table() -> np.ndarray:
    """For each byte, its 8 bits (most significant first) spread into the 8 byte lanes of a uint64."""
    bits = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1).astype(np.uint64)
    return (bits << (np.arange(8, dtype=np.uint64) * np.uint64(8))).sum(axis=1, dtype=np.uint64)


_LANES = _lane_table()
CHUNK = 255  # features summed per byte lane before it could overflow


def _majority(counts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Fingerprints from per-document bit counts (n, 64; most significant first) and total weights."""
    bits = (2 * counts.astype(np.int64) > weights[:, None]).astype(np.uint8)
    return np.packbits(bits, axis=1).view(">u8").ravel().astype(np.uint64)


def _fingerprint_one(content: str) -> int:
    """One cleaned document, any length: weighted bit counts as a product of counts and bits."""
    grams = pd.Series([content[i:i + 4] for i in range(max(len(content) - 3, 1))])
    counts = grams.value_counts(sort=False)
    bits = np.unpackbits(_md5_tail(list(counts.index)).view(np.uint8).reshape(-1, 8), axis=1)
    total = counts.to_numpy(np.int64)
    return int(_majority((total @ bits.astype(np.int64))[None, :], np.array([total.sum()]))[0])


class _HashCache:
    """md5 tails of 4-gram keys seen so far (keys are only comparable within one key space)."""

    def __init__(self):
        self.keys = np.zeros(0, np.uint64)
        self.hashes = np.zeros(0, np.uint64)

    def lookup(self, keys: np.ndarray, decode) -> np.ndarray:
        """Hashes of sorted unique `keys`; `decode(keys)` gives the 4-gram strings of missing ones."""
        at = np.minimum(np.searchsorted(self.keys, keys), max(len(self.keys) - 1, 0))
        known = (self.keys[at] == keys) if len(self.keys) else np.zeros(len(keys), bool)
        out = np.empty(len(keys), np.uint64)
        out[known] = self.hashes[at[known]]
        new = keys[~known]
        out[~known] = _md5_tail(decode(new))
        merged = np.concatenate([self.keys, new])
        order = np.argsort(merged, kind="stable")
        self.keys, self.hashes = merged[order], np.concatenate([self.hashes, out[~known]])[order]
        return out


def _gram_keys(cps: np.ndarray, lens: np.ndarray):
    """Integer keys of every document's 4-grams (feature order), with a decoder back to strings.

    Code points below 2^16 pack four to a uint64 (0 pads a short document; NUL is never a feature
    character). Otherwise they are renumbered densely in base B; None when B^4 overflows.
    """
    if len(cps) == 0 or int(cps.max()) < 1 << 16:
        base, digits, alphabet = 1 << 16, cps.astype(np.uint64), None
    else:
        alphabet, ids = np.unique(cps, return_inverse=True)
        base = len(alphabet) + 1
        if base ** 4 >= 1 << 63:
            return None
        digits = ids.astype(np.uint64) + np.uint64(1)
    b = np.uint64(base)
    c = np.concatenate([digits, np.zeros(4, np.uint64)])  # one 4-gram start past the end: all empty
    every = ((c[:-3] * b + c[1:-2]) * b + c[2:-1]) * b + c[3:]
    starts = np.cumsum(lens) - lens
    nfeat = np.maximum(lens - 3, 1)
    first = np.cumsum(nfeat) - nfeat
    keys = every[np.repeat(starts - first, nfeat) + np.arange(int(nfeat.sum()))]
    short = np.flatnonzero(lens < 4)  # one feature, the whole text, padded with 0 digits
    if len(short):
        key = np.zeros(len(short), np.uint64)
        for j in range(4):
            key = key * b + np.where(j < lens[short], c[starts[short] + j], np.uint64(0))
        keys[first[short]] = key

    def decode(k: np.ndarray) -> list[str]:
        d = np.stack([(k // b ** np.uint64(3 - j)) % b for j in range(4)], axis=1)
        if alphabet is not None:
            d = np.where(d > 0, np.concatenate([[0], alphabet])[d.astype(np.int64)], 0)
        return np.ascontiguousarray(d.astype("<u4")).view("<U4").ravel().tolist()

    return keys, nfeat, first, decode, alphabet is None


def _fingerprint_batch(cps: np.ndarray, lens: np.ndarray, cache: _HashCache) -> np.ndarray | None:
    """Fingerprints of a batch of documents from their cleaned code points; None if keys overflow."""
    made = _gram_keys(cps, lens)
    if made is None:
        return None
    keys, nfeat, first, decode, shared = made
    uniq, inv = np.unique(keys, return_inverse=True)
    hashes = (cache if shared else _HashCache()).lookup(uniq, decode)
    lanes = _LANES[hashes.astype(">u8").view(np.uint8).reshape(-1, 8)]  # (unique 4-grams, 8 words)
    # Sum each document's lanes over chunks of <= CHUNK features (no byte overflows), then add the
    # chunks of long documents up in ordinary integers.
    nchunk = (nfeat + CHUNK - 1) // CHUNK
    chunk_first = np.cumsum(nchunk) - nchunk
    chunk_start = np.repeat(first - chunk_first * CHUNK, nchunk) + np.arange(int(nchunk.sum())) * CHUNK
    sums = np.add.reduceat(lanes[inv], chunk_start, axis=0)
    counts = sums.astype("<u8").view(np.uint8).reshape(len(sums), 64)
    if len(sums) > len(lens):
        counts = np.add.reduceat(counts.astype(np.int64), chunk_first, axis=0)
    return _majority(counts, nfeat)


def _as_str(text, index: int) -> str:
    if isinstance(text, str):
        return text
    if isinstance(text, (bytes, bytearray)):
        try:
            return bytes(text).decode("utf-8")
        except UnicodeDecodeError as err:
            raise ValueError(f"document {index}: invalid UTF-8 (byte 0x{text[err.start]:02x} at offset "
                             f"{err.start})") from None
    raise TypeError(f"document {index}: expected str (or UTF-8 bytes), got {type(text).__name__}")


@functools.cache
def _feature_chars() -> np.ndarray:
    """Whether each code point is a feature character: the regex applied once to every code point."""
    keep = np.zeros(0x110000, bool)
    every = "".join(map(chr, range(0x110000)))
    keep[[m.start() for m in _FEATURE_CHAR.finditer(every)]] = True
    return keep


def _clean_batch(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Cleaned code points of a batch, concatenated, and each document's cleaned length."""
    joined = SEP.join(texts)
    if joined.count(SEP) == len(texts) - 1:
        lowered = joined.lower()
    else:  # a text holds the separator itself: clean one by one
        lowered = SEP.join(map(clean, texts))
    cps = np.frombuffer(lowered.encode("utf-32-le", "surrogatepass"), np.uint32)
    cps = cps[_feature_chars()[cps] | (cps == 0)]
    seps = np.flatnonzero(cps == 0)
    lens = np.diff(np.concatenate([[-1], seps, [len(cps)]])) - 1
    return np.delete(cps, seps), lens


def _fingerprint_texts(texts: list[str], cache: _HashCache) -> np.ndarray:
    cps, lens = _clean_batch(texts)
    got = _fingerprint_batch(cps, lens, cache)
    if got is not None:
        return got
    if len(texts) == 1:  # too many distinct characters for integer keys: halve the batch
        return np.array([_fingerprint_one(clean(texts[0]))], np.uint64)
    half = len(texts) // 2
    return np.concatenate([_fingerprint_texts(texts[:half], cache), _fingerprint_texts(texts[half:], cache)])


def fingerprints(texts: Sequence[str | bytes]) -> np.ndarray:
    """64-bit SimHash of each text (uint64), bit-identical to simhash.Simhash(text).value."""
    texts = [_as_str(t, i) for i, t in enumerate(texts)]
    sizes = np.fromiter((len(t) + 1 for t in texts), np.int64, len(texts))
    cuts = np.flatnonzero(np.diff(np.cumsum(sizes) // BATCH_CHARS)) + 1
    cache = _HashCache()
    parts = [_fingerprint_texts(texts[a:b], cache)
             for a, b in zip(np.concatenate([[0], cuts]), np.concatenate([cuts, [len(texts)]])) if b > a]
    return np.concatenate(parts) if parts else np.zeros(0, np.uint64)


# ---------------------------------------------------------------- all pairs within tau

SORT_NS, CANDIDATE_NS = 25.0, 15.0  # measured cost of one table per document, of one candidate
MAX_TABLES = 5000
CANDIDATE_CHUNK = 1 << 22  # candidates verified at a time (bounds memory in large buckets)


def _block_masks(b: int) -> list[np.uint64]:
    """b contiguous blocks covering the 64 bits, widths differing by at most one (wider ones first)."""
    widths = [64 // b + (i < 64 % b) for i in range(b)]
    ends = np.cumsum(widths)
    return [np.uint64(((1 << w) - 1) << (64 - int(e))) for w, e in zip(widths, ends)]


def _plan(n: int, tau: int) -> tuple[int, int]:
    """The (b, k) with the least expected cost for n distinct, uniformly spread fingerprints."""
    best = None
    for b in range(tau + 1, min(64, tau + 16) + 1):
        k, wide, narrow = b - tau, 64 % b, 64 // b
        tables = math.comb(b, k)
        if tables > MAX_TABLES and best is not None:
            continue
        # expected share of pairs colliding, summed over tables: sum over i wide blocks in the set
        share = sum(math.comb(wide, i) * math.comb(b - wide, k - i) * 2.0 ** -(k * narrow + i)
                    for i in range(k + 1))
        cost = tables * n * SORT_NS + n * (n - 1) / 2 * share * CANDIDATE_NS
        if best is None or cost < best[0]:
            best = (cost, b, k)
    return best[1], best[2]


def _bucket_candidates(keys: np.ndarray):
    """Chunks of (left, right) positions into argsort(keys) of every pair sharing a key."""
    order = np.argsort(keys)
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]]))
    ends = np.append(starts[1:], len(keys))
    later = np.repeat(ends, ends - starts) - np.arange(len(keys)) - 1  # partners after each position
    pos = np.flatnonzero(later)
    later = later[pos]
    bounds = np.searchsorted(np.cumsum(later), np.arange(CANDIDATE_CHUNK, later.sum(), CANDIDATE_CHUNK))
    for p, c in zip(np.split(pos, bounds), np.split(later, bounds)):
        left = np.repeat(p, c)
        right = left + 1 + np.arange(len(left)) - np.repeat(np.cumsum(c) - c, c)
        yield order[left], order[right]


def _distinct_pairs(fp: np.ndarray, tau: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (a < b) of distinct fingerprints within tau, each once, and their distances."""
    found = [(np.zeros(0, np.int64),) * 3]
    if tau > 0 and len(fp) > 1:
        b, k = _plan(len(fp), tau)
        masks = _block_masks(b)
        for combo in itertools.combinations(range(b), k):
            key_mask = np.bitwise_or.reduce(np.array([masks[j] for j in combo]))
            # a pair belongs to the table of its k lowest agreeing blocks: it must differ on
            # every block before the table's last one that the table does not use
            earlier = [masks[j] for j in range(combo[-1]) if j not in combo]
            for left, right in _bucket_candidates(fp & key_mask):
                x = fp[left] ^ fp[right]
                dist = np.bitwise_count(x)
                keep = dist <= tau
                for m in earlier:
                    keep &= (x & m) != 0
                left, right = left[keep], right[keep]
                found.append((np.minimum(left, right), np.maximum(left, right), dist[keep].astype(np.int64)))
    a, b_, d = (np.concatenate(parts) for parts in zip(*found))
    order = np.lexsort((b_, a))
    return a[order], b_[order], d[order]


def _check(fps, tau: int) -> np.ndarray:
    if not isinstance(tau, (int, np.integer)) or isinstance(tau, bool) or not 0 <= tau <= MAX_TAU:
        raise ValueError(f"tau must be an integer in 0..{MAX_TAU}, got {tau!r}")
    fps = np.asarray(fps)
    if fps.ndim != 1 or not (fps.dtype == np.uint64 or (fps.dtype.kind in "iu" and (fps >= 0).all())):
        raise ValueError("fingerprints must be a 1-D array of unsigned 64-bit integers")
    return fps.astype(np.uint64)


def _group(fps: np.ndarray):
    """Distinct fingerprints in order of first occurrence, each document's group, group sizes."""
    uniq, first, inv, counts = np.unique(fps, return_index=True, return_inverse=True, return_counts=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return uniq[order], first[order], rank[inv.ravel()], counts[order]


def _pairs_after(members: np.ndarray, starts: np.ndarray, sizes: np.ndarray):
    """All (i, j), i before j, within each run members[starts[g]:starts[g] + sizes[g]]."""
    later = np.repeat(starts + sizes, sizes) - np.arange(len(members)) - 1
    left = np.repeat(np.arange(len(members)), later)
    right = left + 1 + np.arange(len(left)) - np.repeat(np.cumsum(later) - later, later)
    return members[left], members[right]


def near_pairs(fps, tau: int) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of documents whose fingerprints are within Hamming distance tau, exactly.

    Returns (pairs, distances): pairs an int64 array (n_pairs, 2) with i < j, sorted by (i, j).
    Identical fingerprints make g (g - 1) / 2 pairs per group: use dedup() when only clusters matter.
    """
    fps = _check(fps, tau)
    uniq, _, group, sizes = _group(fps)
    members = np.argsort(group, kind="stable")  # documents by group, in input order
    starts = np.cumsum(sizes) - sizes
    same = _pairs_after(members, starts, sizes)
    a, b, d = _distinct_pairs(uniq, tau)
    n_ab = sizes[a] * sizes[b]
    which = np.repeat(np.arange(len(a)), n_ab)
    r = np.arange(int(n_ab.sum())) - np.repeat(np.cumsum(n_ab) - n_ab, n_ab)
    left = members[starts[a][which] + r // sizes[b][which]]
    right = members[starts[b][which] + r % sizes[b][which]]
    i = np.concatenate([same[0], np.minimum(left, right)])
    j = np.concatenate([same[1], np.maximum(left, right)])
    dist = np.concatenate([np.zeros(len(same[0]), np.int64), d[which]])
    order = np.lexsort((j, i))
    return np.stack([i[order], j[order]], axis=1).astype(np.int64), dist[order]


# ---------------------------------------------------------------- clusters and the kept documents

def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Each node's component, named by its smallest node (hooking roots onto smaller roots)."""
    parent = np.arange(n)
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    while len(a):
        ra, rb = parent[a], parent[b]
        apart = ra != rb
        a, b, ra, rb = a[apart], b[apart], ra[apart], rb[apart]
        np.minimum.at(parent, np.maximum(ra, rb), np.minimum(ra, rb))
        while True:  # path compression until every node points at its root
            up = parent[parent]
            if np.array_equal(up, parent):
                break
            parent = up
    return parent


@dataclass
class DedupResult:
    kept_ids: list[str]
    removed: pd.DataFrame  # id, duplicate_of (the kept id of its cluster), distance (to that one)
    fingerprints: np.ndarray
    n_pairs_distinct: int  # pairs of distinct fingerprints within tau (identical ones not counted)


def dedup_fingerprints(fps, tau: int) -> tuple[np.ndarray, np.ndarray, int]:
    """For each document, the index of the document kept for its cluster (itself if kept)."""
    fps = _check(fps, tau)
    uniq, first, group, _ = _group(fps)
    a, b, _ = _distinct_pairs(uniq, tau)
    root = components(len(uniq), a, b)  # groups are in first-occurrence order: root = earliest
    return first[root][group], len(a)


def dedup(ids: Sequence[str], texts: Sequence[str | bytes], tau: int) -> DedupResult:
    """Keep the first document (input order) of each cluster of near-duplicates."""
    if len(ids) != len(texts):
        raise ValueError(f"{len(ids)} ids but {len(texts)} texts")
    ids = [str(i) for i in ids]
    if len(set(ids)) != len(ids):
        raise ValueError(f"ids are not unique (e.g. {pd.Series(ids)[pd.Series(ids).duplicated()].iloc[0]!r})")
    _check(np.zeros(0, np.uint64), tau)
    fps = fingerprints(texts)
    kept_of, n_pairs = dedup_fingerprints(fps, tau)
    gone = np.flatnonzero(kept_of != np.arange(len(ids)))
    removed = pd.DataFrame({"id": [ids[i] for i in gone],
                            "duplicate_of": [ids[i] for i in kept_of[gone]],
                            "distance": np.bitwise_count(fps[gone] ^ fps[kept_of[gone]]).astype(np.int64)})
    return DedupResult([ids[i] for i in np.flatnonzero(kept_of == np.arange(len(ids)))], removed, fps, n_pairs)

"""Exact SimHash near-duplicate removal (construction step c) at any Hamming distance tau.

64-bit fingerprints; every pair within distance tau, found exactly; one document kept per cluster.

    python -m papers.core.dedup --in pool.parquet --text-col prompt --id-col prompt_id --tau 10 \\
        --out-kept kept.parquet --out-removed removed.parquet

API: fingerprints(texts) -> uint64 array; near_pairs(fps, tau) -> (pairs (n, 2) with i < j, distances);
dedup_fingerprints(fps, tau) -> (kept document, nearest distance) per document; dedup(ids, texts, tau) ->
DedupResult(kept_ids, removed[id, duplicate_of, distance, distance_to_kept], fingerprints, n_pairs_distinct).

Features, those of the PyPI `simhash` 2.1.2 default, so that fingerprints(texts)[i] ==
simhash.Simhash(texts[i]).value bit for bit: the text is lowercased (str.lower), every character
outside the regex class [\\w\\u4e00-\\u9fcc] is dropped (spaces and punctuation too, so words run
together), and the features are the character 4-grams of what remains, weighted by their counts. A
cleaned text shorter than 4 characters is one feature, itself: every empty, whitespace-only or
punctuation-only document has the one feature "" and the fingerprint 0xe9800998ecf8427e, as in the
package. A feature's hash is the last 8 bytes of the md5 of its UTF-8, big-endian; bit j of the
fingerprint is 1 when the features whose hash has bit j set weigh more than half the total. A
document of one repeated token gets the fingerprint of the token's 4-grams with their counts; where
one 4-gram occurs more than 255 times the package itself fails under numpy 2 (uint8 overflow), and
this module returns what the formula gives. Texts are str; bytes are decoded as UTF-8 (a ValueError
names the document otherwise). Documents whose cleaned text has characters beyond U+FFFF are
fingerprinted one by one (same result, slower); the rest in batches, vectorised.

Search, exact (the same pairs as comparing every pair): the 64 bits are split into b > tau blocks.
Two fingerprints within distance tau differ in at most tau blocks, so they agree exactly on at least
k = b - tau of them (pigeonhole). One table per set of k blocks: fingerprints are sorted by those
blocks' bits, every pair inside a bucket is a candidate, and a candidate is kept when the popcount
of the XOR is <= tau. A pair is reported only by the table of its k lowest-numbered agreeing
blocks, so it comes out once, without a set. (b, k) minimise a cost model (sorts against expected
candidates; tau = 10 on 382k prompts: b = 14, k = 4). Identical fingerprints are grouped first and
the search runs on the distinct ones, so thousands of empty documents cost nothing. tau may be
0..63; the papers use 10; beyond 16 the cost grows steeply.

Clusters are the connected components of the pair graph; the kept document is the one with the
smallest input index. Each removed document names it (duplicate_of), with `distance`, the Hamming
distance to its nearest other document (the pair that makes it a duplicate: always <= tau), and
`distance_to_kept`, the distance to duplicate_of, which exceeds tau in a chain a~b~c where a and c
are far apart. Speed, memory and recall: benchmarks/bench_dedup.py.
"""
from __future__ import annotations

import functools
import hashlib
import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

try:  # CPython's own md5 is about 1.6x faster than OpenSSL's on 4-character inputs
    from _md5 import md5 as _MD5
except ImportError:  # pragma: no cover
    _MD5 = hashlib.md5

SEP = "\x00"  # never a feature character, and lower() never looks across it (not cased, not case-ignorable)
_DROP = re.compile(r"[^\w\u4e00-\u9fcc]+")
BATCH_CHARS = 1 << 19
MAX_TAU = 63


# ---------------------------------------------------------------- fingerprints

def clean(text: str) -> str:
    """The text the features are taken from: lowercased, only [\\w\\u4e00-\\u9fcc] kept."""
    return _DROP.sub("", text.lower())


def _grams(content: str) -> list[str]:
    return [content[i:i + 4] for i in range(max(len(content) - 3, 1))]


def features(text: str) -> dict[str, int]:
    """The weighted features of one document (the reference; fingerprints() computes them in bulk)."""
    return dict(Counter(_grams(clean(text))))


def _md5_tail(strings: list[str]) -> np.ndarray:
    """The last 8 bytes of each string's md5, read big-endian."""
    digests = b"".join([_MD5(s.encode()).digest() for s in strings])
    return np.frombuffer(digests, dtype=">u8").reshape(-1, 2)[:, 1].astype(np.uint64)


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
    """One cleaned document, any alphabet: bit counts as the product of feature counts and bits."""
    counts = Counter(_grams(content))
    hashes = _md5_tail(list(counts)).astype(">u8").view(np.uint8).reshape(-1, 8)
    bits = np.unpackbits(hashes, axis=1).astype(np.int64)
    weights = np.fromiter(counts.values(), np.int64, len(counts))
    return int(_majority((weights @ bits)[None, :], np.array([weights.sum()]))[0])


class _HashCache:
    """md5 tails of the 4-grams seen so far, by integer key (each 4-gram is hashed once per call)."""

    def __init__(self):
        self.keys = np.zeros(0, np.uint64)
        self.hashes = np.zeros(0, np.uint64)

    def lookup(self, keys: np.ndarray, decode) -> np.ndarray:
        """Hashes of sorted unique `keys`; `decode(keys)` gives the 4-gram strings of missing ones."""
        at = np.searchsorted(self.keys, keys)
        known = np.zeros(len(keys), bool)
        inside = at < len(self.keys)
        known[inside] = self.keys[at[inside]] == keys[inside]
        out = np.empty(len(keys), np.uint64)
        out[known] = self.hashes[at[known]]
        out[~known] = _md5_tail(decode(keys[~known]))
        self.keys = np.insert(self.keys, at[~known], keys[~known])  # stays sorted, as `keys` is
        self.hashes = np.insert(self.hashes, at[~known], out[~known])
        return out


def _sort_packed(keys: np.ndarray, key_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """argsort of `keys` (< 2^key_bits) and the sorted keys. When each position fits beside its
    key in 64 bits, one plain sort of (key, position) replaces argsort: about 2-3x faster."""
    pos_bits = max(len(keys) - 1, 1).bit_length()
    if key_bits + pos_bits > 64:
        order = np.argsort(keys)
        return order, keys[order]
    packed = np.sort((keys << np.uint64(pos_bits)) | np.arange(len(keys), dtype=np.uint64))
    return (packed & np.uint64((1 << pos_bits) - 1)).astype(np.int64), packed >> np.uint64(pos_bits)


def _digits(keys: np.ndarray, bits: int) -> np.ndarray:
    """The four `bits`-bit digits of each 4-gram key, most significant first: shape (n, 4)."""
    mask = np.uint64((1 << bits) - 1)
    return np.stack([(keys >> np.uint64(bits * (3 - j))) & mask for j in range(4)], axis=1)


def _gram_keys(cps: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """Integer keys of every document's 4-grams (feature order): four code points below 2^16 of
    `bits` bits each (0 pads a short document: NUL is never a feature character)."""
    bits = max(int(cps.max()) if len(cps) else 0, 1).bit_length()
    w = np.uint64(bits)
    c = np.concatenate([cps.astype(np.uint64), np.zeros(4, np.uint64)])  # a start past the end: ""
    every = (c[:-3] << w * np.uint64(3)) | (c[1:-2] << w * np.uint64(2)) | (c[2:-1] << w) | c[3:]
    starts = np.cumsum(lens) - lens
    nfeat = np.maximum(lens - 3, 1)
    first = np.cumsum(nfeat) - nfeat
    keys = every[np.repeat(starts - first, nfeat) + np.arange(int(nfeat.sum()))]
    short = np.flatnonzero(lens < 4)  # one feature, the whole text, padded with 0 digits
    if len(short):
        key = np.zeros(len(short), np.uint64)
        for j in range(4):
            key = (key << w) | np.where(j < lens[short], c[starts[short] + j], np.uint64(0))
        keys[first[short]] = key
    return keys, bits, nfeat, first


def _fingerprint_batch(cps: np.ndarray, lens: np.ndarray, cache: _HashCache) -> np.ndarray:
    """Fingerprints of documents from their cleaned code points (all below 2^16), concatenated."""
    keys, bits, nfeat, first = _gram_keys(cps, lens)
    order, sorted_keys = _sort_packed(keys, 4 * bits)
    new = np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]])
    inv = np.empty(len(keys), np.int64)
    inv[order] = np.cumsum(new) - 1
    # the cache keys 4-grams by 16-bit digits, whatever this batch's width (same order: still sorted)
    uniq = (_digits(sorted_keys[new], bits) << (np.arange(3, -1, -1, dtype=np.uint64) * np.uint64(16))
            ).sum(axis=1, dtype=np.uint64)
    hashes = cache.lookup(uniq, lambda k: _digits(k, 16).astype("<u4").view("<U4").ravel().tolist())
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
    every = np.arange(0x110000, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")
    keep = np.zeros(0x110000, bool)
    keep[np.frombuffer(_DROP.sub("", every).encode("utf-32-le"), np.uint32)] = True
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
    doc = np.repeat(np.arange(len(texts)), lens)
    wide = np.zeros(len(texts), bool)  # documents with feature characters beyond U+FFFF (rare)
    wide[doc[cps >= 1 << 16]] = True
    out = np.zeros(len(texts), np.uint64)
    if not wide.all():
        out[~wide] = _fingerprint_batch(cps[~wide[doc]], lens[~wide], cache)
    starts = np.cumsum(lens) - lens
    for i in np.flatnonzero(wide):
        content = cps[starts[i]:starts[i] + lens[i]].astype("<u4").tobytes().decode("utf-32-le")
        out[i] = _fingerprint_one(content)
    return out


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

# Cost model, measured on 382k fingerprints of the benchmark pool: ns per table and fingerprint, ns
# per candidate, and how many more candidates clustered text makes than uniform fingerprints.
SORT_NS, CANDIDATE_NS, CLUSTERING = 21.0, 8.0, 2.0
MAX_TABLES = 5000
CANDIDATE_CHUNK = 1 << 22  # candidates verified at a time (bounds memory in large buckets)


def _blocks(b: int) -> list[tuple[int, int]]:
    """b contiguous blocks (shift, width) covering the 64 bits, most significant first, widths
    differing by at most one (wider ones first)."""
    widths = [64 // b + (i < 64 % b) for i in range(b)]
    return [(64 - int(e), w) for w, e in zip(widths, np.cumsum(widths))]


def _plan(n: int, tau: int) -> tuple[int, int]:
    """The (b, k) with the least expected cost for n distinct fingerprints."""
    best = None
    for b in range(tau + 1, min(64, tau + 16) + 1):
        k, wide, narrow = b - tau, 64 % b, 64 // b
        tables = math.comb(b, k)
        if tables > MAX_TABLES and best is not None:
            continue
        # expected share of pairs colliding, summed over tables (i = wide blocks in the table)
        share = sum(math.comb(wide, i) * math.comb(b - wide, k - i) * 2.0 ** -(k * narrow + i)
                    for i in range(k + 1))
        cost = tables * n * SORT_NS + n * (n - 1) / 2 * share * CLUSTERING * CANDIDATE_NS
        if best is None or cost < best[0]:
            best = (cost, b, k)
    return best[1], best[2]


def _later_pairs(later: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (i, i + 1 .. i + later[i]) for every i: all pairs within runs of a sorted list."""
    left = np.repeat(np.arange(len(later)), later)
    return left, left + 1 + np.arange(len(left)) - np.repeat(np.cumsum(later) - later, later)


def _bucket_pairs(fp: np.ndarray, parts: list[tuple[np.ndarray, int]], tau: int, earlier: list[np.uint64]):
    """Chunks of (a, b, distance) for the pairs within tau among fingerprints equal on the blocks
    `parts` (each block's bits and width), keeping a pair only if it differs on every mask in `earlier`."""
    key = np.zeros(len(fp), np.uint64)
    for bits, width in parts:
        key = (key << np.uint64(width)) | bits
    order, keys = _sort_packed(key, sum(width for _, width in parts))
    tied = np.flatnonzero(keys[1:] == keys[:-1])  # positions p with keys[p] == keys[p + 1]
    if len(tied) == 0:
        return
    start = tied[np.concatenate([[True], tied[1:] != tied[:-1] + 1])]  # runs of ties are buckets
    end = tied[np.concatenate([tied[1:] != tied[:-1] + 1, [True]])] + 2
    size = end - start
    first = np.cumsum(size) - size  # the buckets again, in a list of their members only
    members = order[np.repeat(start - first, size) + np.arange(int(size.sum()))]
    values = fp[members]
    later = np.repeat(first + size, size) - np.arange(len(members)) - 1  # partners after each one
    cuts = np.searchsorted(np.cumsum(later), np.arange(CANDIDATE_CHUNK, later.sum(), CANDIDATE_CHUNK))
    for offset, chunk in zip(np.concatenate([[0], cuts]), np.split(later, cuts)):
        left, right = (offset + i for i in _later_pairs(chunk))
        x = values[left] ^ values[right]
        dist = np.bitwise_count(x)
        keep = np.flatnonzero(dist <= tau)
        for m in earlier:
            keep = keep[(x[keep] & m) != 0]
        a, b = members[left[keep]], members[right[keep]]
        yield np.minimum(a, b), np.maximum(a, b), dist[keep].astype(np.int64)


def _distinct_pairs(fp: np.ndarray, tau: int, plan: tuple[int, int] | None = None):
    """Pairs (a, b, distance), a < b, of distinct fingerprints within tau, each once, sorted."""
    found = [(np.zeros(0, np.int64),) * 3]
    if tau > 0 and len(fp) > 1:
        b, k = plan or _plan(len(fp), tau)
        if not (tau < b <= 64 and 1 <= k <= b - tau):
            raise ValueError(f"plan (b={b}, k={k}) is not exact for tau={tau}: need 1 <= k <= b - tau")
        blocks = _blocks(b)
        masks = [np.uint64(((1 << w) - 1) << s) for s, w in blocks]
        parts = [((fp >> np.uint64(s)) & np.uint64((1 << w) - 1), w) for s, w in blocks]
        for combo in itertools.combinations(range(b), k):
            # a pair belongs to the table of its k lowest agreeing blocks: it must differ on
            # every block before the table's last one that the table does not use
            earlier = [masks[j] for j in range(combo[-1]) if j not in combo]
            found.extend(_bucket_pairs(fp, [parts[j] for j in combo], tau, earlier))
    a, b_, d = (np.concatenate(parts) for parts in zip(*found))
    order = np.lexsort((b_, a))
    return a[order], b_[order], d[order]


def _check_tau(tau) -> None:
    if not isinstance(tau, (int, np.integer)) or isinstance(tau, bool) or not 0 <= tau <= MAX_TAU:
        raise ValueError(f"tau must be an integer in 0..{MAX_TAU}, got {tau!r}")


def _check(fps, tau) -> np.ndarray:
    _check_tau(tau)
    fps = np.asarray(fps)
    if fps.ndim == 1 and fps.size == 0:
        return np.zeros(0, np.uint64)
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


def near_pairs(fps, tau: int, plan: tuple[int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of documents whose fingerprints are within Hamming distance tau, exactly.

    Returns (pairs, distances): pairs an int64 array (n_pairs, 2) with i < j, sorted by (i, j).
    Identical fingerprints make g (g - 1) / 2 pairs per group: use dedup() when only clusters matter.
    `plan` = (b, k) overrides the cost model's choice of blocks (for tests).
    """
    fps = _check(fps, tau)
    uniq, _, group, sizes = _group(fps)
    members = np.argsort(group, kind="stable")  # documents by group, in input order
    starts = np.cumsum(sizes) - sizes
    left, right = _later_pairs(np.repeat(starts + sizes, sizes) - np.arange(len(fps)) - 1)
    same = members[left], members[right]  # identical fingerprints, distance 0
    a, b, d = _distinct_pairs(uniq, tau, plan)
    n_ab = sizes[a] * sizes[b]  # every member of a's group with every member of b's
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
    kept_ids: list[str]  # input order
    removed: pd.DataFrame  # id, duplicate_of, distance, distance_to_kept (see the module docstring)
    fingerprints: np.ndarray
    n_pairs_distinct: int  # pairs of distinct fingerprints within tau (identical ones not counted)


def dedup_fingerprints(fps, tau: int, plan: tuple[int, int] | None = None):
    """(kept, nearest, n_pairs): for each document the index of the one kept for its cluster
    (itself if kept) and the distance to its nearest other document (<= tau in a cluster of two or
    more, -1 alone); and the number of pairs of distinct fingerprints within tau."""
    fps = _check(fps, tau)
    uniq, first, group, sizes = _group(fps)
    a, b, d = _distinct_pairs(uniq, tau, plan)
    root = components(len(uniq), a, b)  # groups are in first-occurrence order: root = earliest
    nearest = np.full(len(uniq), 65)
    np.minimum.at(nearest, a, d)
    np.minimum.at(nearest, b, d)
    nearest[sizes > 1] = 0
    return first[root][group], np.where(nearest > 64, -1, nearest)[group], len(a)


def dedup(ids: Sequence[str], texts: Sequence[str | bytes], tau: int) -> DedupResult:
    """Keep the first document (input order) of each cluster of near-duplicates."""
    _check_tau(tau)
    if len(ids) != len(texts):
        raise ValueError(f"{len(ids)} ids but {len(texts)} texts")
    ids = [str(i) for i in ids]
    repeated = np.flatnonzero(pd.Series(ids).duplicated())
    if len(repeated):
        raise ValueError(f"document {repeated[0]}: repeated id {ids[repeated[0]]!r}")
    fps = fingerprints(texts)
    kept_of, nearest, n_pairs = dedup_fingerprints(fps, tau)
    gone = np.flatnonzero(kept_of != np.arange(len(ids)))
    removed = pd.DataFrame({"id": [ids[i] for i in gone],
                            "duplicate_of": [ids[i] for i in kept_of[gone]],
                            "distance": nearest[gone].astype(np.int64),
                            "distance_to_kept": np.bitwise_count(fps[gone] ^ fps[kept_of[gone]]).astype(np.int64)})
    return DedupResult([ids[i] for i in np.flatnonzero(kept_of == np.arange(len(ids)))], removed, fps, n_pairs)


# ---------------------------------------------------------------- command line

def read_pool(path: str, text_col: str, id_col: str) -> pd.DataFrame:
    """The Parquet file, checked: both columns present, ids unique and non-empty, texts strings."""
    from pathlib import Path

    from .io import InputError
    if not Path(path).exists():
        raise InputError(path, "file not found")
    frame = pd.read_parquet(path)
    for col in (id_col, text_col):
        if col not in frame.columns:
            raise InputError(path, f"missing column; found {', '.join(map(str, frame.columns))}", field=col)
    ids = frame[id_col].astype(str)
    bad = frame[id_col].isna() | (ids.str.strip() == "") | ids.duplicated()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(path, f"empty or repeated id {frame[id_col].iloc[row]!r}", row=row + 1, field=id_col)
    for row, text in enumerate(frame[text_col]):
        try:
            _as_str(text, row)
        except (TypeError, ValueError) as err:
            raise InputError(path, str(err).split(": ", 1)[1], row=row + 1, field=text_col) from None
    return frame


def main(argv=None) -> None:
    from .cli import parser, setup_logging
    from .io import write_parquet

    p = parser(__doc__)
    p.add_argument("--in", dest="inp", required=True, help="Parquet file of documents")
    p.add_argument("--text-col", required=True)
    p.add_argument("--id-col", required=True)
    p.add_argument("--tau", type=int, required=True, help=f"Hamming distance, 0..{MAX_TAU} (papers: 10)")
    p.add_argument("--out-kept", required=True, help="Parquet: the input rows kept, input order")
    p.add_argument("--out-removed", required=True, help="Parquet: id, duplicate_of, distance, distance_to_kept")
    args = p.parse_args(argv)
    log = setup_logging()
    frame = read_pool(args.inp, args.text_col, args.id_col)
    result = dedup(frame[args.id_col].astype(str).tolist(), frame[args.text_col].tolist(), args.tau)
    gone = frame[args.id_col].astype(str).isin(set(result.removed["id"]))
    write_parquet(args.out_kept, frame[~gone])
    write_parquet(args.out_removed, result.removed)
    log.info("tau=%d: %d documents, %d kept, %d removed; %d pairs of distinct fingerprints within tau",
             args.tau, len(frame), len(result.kept_ids), len(result.removed), result.n_pairs_distinct)


if __name__ == "__main__":
    main()

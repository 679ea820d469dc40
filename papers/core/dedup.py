"""Exact SimHash near-duplicate removal (construction step c) at any Hamming distance tau.

64-bit fingerprints; every pair within distance tau, found exactly; one document kept per cluster.

    python -m papers.core.dedup --in pool.parquet --text-col prompt --id-col prompt_id --tau 10 \\
        --out-kept kept.parquet --out-removed removed.parquet

API: fingerprints(texts) -> uint64 array; near_pairs(fps, tau) -> (pairs (n, 2) with i < j, distances);
dedup_fingerprints(fps, tau) -> (kept document, nearest distance) per document; dedup(ids, texts, tau) ->
DedupResult(kept_ids, removed[id, duplicate_of, distance, distance_to_kept], fingerprints, n_pairs_distinct).

Fingerprints: papers/core/simhash.py (bit-identical to the PyPI `simhash` package).

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

import itertools
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from .simhash import _as_str, _sort_packed, fingerprints

MAX_TAU = 63


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
    from papers.core.cli import run

    run(main)

"""Speed, memory and recall of the exact SimHash dedup (papers.core.dedup) on a synthetic SAVACU-sized pool.

    .venv/bin/python benchmarks/bench_dedup.py [--n 382424] [--seed 0] [--subset 50000]

The pool: --n prompts of 10-40 words drawn from a 50,000-word vocabulary with Zipf frequencies
(s = 1.1; words of 1-12 letters with English letter frequencies), first word capitalised, a question
mark at the end. 5% of them are planted near-duplicates: a copy of another (original) prompt with 1-3
word edits (substitution, insertion or deletion of a word), shuffled in among the rest; the
(copy, original) pairs are the ground truth.

1. Fingerprints + all pairs at tau = 3 and tau = 10 on all --n prompts, each in a fresh process:
   wall time; pairs found, and how many join a planted copy to its original or to another copy of
   it; memory as ru_maxrss, the peak resident set of the whole process (Python, the pool's strings,
   the dedup), reset once the pool is built (Linux /proc/self/clear_refs), and the RSS before the run.
2. The PyPI simhash package (Simhash + SimhashIndex, k = 3) against this module at tau = 3 on the first
   --subset prompts: docs/s for both, the ratio, and whether fingerprints and pair sets are identical.
3. Recall of the planted near-duplicates at every tau in 0..16, from each planted pair's own distance
   (exact: a planted pair is found at tau iff its distance is <= tau), and the pairs found at 3 and 10.
Goals (issue 3): >= 20x the package's throughput at tau = 3; tau = 10 on 382,424 in < 2 min and < 4 GB.
"""
from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from papers.core.dedup import near_pairs  # noqa: E402
from papers.core.simhash import fingerprints  # noqa: E402

LETTERS = "etaoinshrdlcumwfgypbvkjxqz"
LETTER_FREQ = [12.7, 9.1, 8.2, 7.5, 7.0, 6.7, 6.3, 6.1, 6.0, 4.3, 4.0, 2.8, 2.8, 2.4, 2.4, 2.2, 2.0, 2.0,
               1.9, 1.5, 1.0, 0.8, 0.2, 0.2, 0.1, 0.1]
VOCAB, ZIPF_S, DUP_SHARE = 50_000, 1.1, 0.05


def make_vocab(rng) -> list[str]:
    p = np.array(LETTER_FREQ) / sum(LETTER_FREQ)
    lengths = np.clip(rng.poisson(4.5, VOCAB), 1, 12)
    letters = rng.choice(list(LETTERS), size=int(lengths.sum()), p=p)
    cuts = np.cumsum(lengths)[:-1]
    return ["".join(w) for w in np.split(letters, cuts)]


def make_pool(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """The prompts and the planted (copy, original) index pairs."""
    rng = np.random.default_rng(seed)
    vocab = make_vocab(rng)
    zipf = 1.0 / np.arange(1, VOCAB + 1) ** ZIPF_S
    zipf /= zipf.sum()
    n_dup = int(n * DUP_SHARE)
    n_orig = n - n_dup
    lengths = rng.integers(10, 41, n_orig)
    words = np.split(rng.choice(VOCAB, size=int(lengths.sum()), p=zipf), np.cumsum(lengths)[:-1])
    sources = rng.integers(0, n_orig, n_dup)
    new_words = iter(rng.choice(VOCAB, size=3 * n_dup, p=zipf).tolist())
    for src in sources:
        doc = list(words[src])
        for _ in range(rng.integers(1, 4)):
            kind, at = rng.integers(0, 3), rng.integers(0, len(doc))
            new = next(new_words)
            if kind == 0:
                doc[at] = new
            elif kind == 1:
                doc.insert(at, new)
            elif len(doc) > 1:
                del doc[at]
        words.append(np.array(doc))
    texts = [" ".join(vocab[i] for i in doc) for doc in words]
    texts = [t[0].upper() + t[1:] + "?" for t in texts]
    place = rng.permutation(n)  # document k of the generated list goes to place[k]
    shuffled = [""] * n
    for k, t in enumerate(texts):
        shuffled[place[k]] = t
    truth = np.stack([place[n_orig:], place[sources]], axis=1)
    return shuffled, truth


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def reset_peak() -> bool:
    """Reset the peak resident set (Linux >= 4.0: ru_maxrss then starts again from now)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def run_full(n: int, seed: int, tau: int) -> dict:
    """In a fresh process: build the pool, then fingerprint it and find all pairs within tau."""
    texts, _ = make_pool(n, seed)
    gc.collect()
    pool_peak, reset = maxrss_mib(), reset_peak()
    before = rss_mib()
    t0 = time.perf_counter()
    fps = fingerprints(texts)
    t1 = time.perf_counter()
    pairs, _ = near_pairs(fps, tau)
    t2 = time.perf_counter()
    return {"tau": tau, "fingerprint_s": t1 - t0, "pairs_s": t2 - t1, "pool_peak_mib": pool_peak,
            "reset": reset, "before_mib": before, "peak_mib": maxrss_mib(), "pairs": pairs, "fps": fps}


def in_fresh_process(fn, *args):
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)


def package_pairs(texts: list[str], k: int):
    from simhash import Simhash, SimhashIndex
    t0 = time.perf_counter()
    hashes = [Simhash(t) for t in texts]
    t1 = time.perf_counter()
    index = SimhashIndex([(str(i), h) for i, h in enumerate(hashes)], k=k)
    found = {(min(i, int(j)), max(i, int(j))) for i, h in enumerate(hashes)
             for j in index.get_near_dups(h) if int(j) != i}
    t2 = time.perf_counter()
    return np.array([h.value for h in hashes], np.uint64), found, t1 - t0, t2 - t1


def bench_package(texts: list[str]) -> None:
    m = len(texts)
    ref_fps, ref_pairs, ref_fp_s, ref_pair_s = package_pairs(texts, 3)
    t0 = time.perf_counter()
    fps = fingerprints(texts)
    t1 = time.perf_counter()
    pairs, _ = near_pairs(fps, 3)
    t2 = time.perf_counter()
    ours = set(map(tuple, pairs.tolist()))
    print(f"\n## Against the PyPI simhash package at tau = 3 ({m:,} prompts)")
    print("| | fingerprints s | pairs s | total s | docs/s |")
    print("|---|---:|---:|---:|---:|")
    print(f"| simhash 2.1.2 (Simhash + SimhashIndex) | {ref_fp_s:.2f} | {ref_pair_s:.2f} "
          f"| {ref_fp_s + ref_pair_s:.2f} | {m / (ref_fp_s + ref_pair_s):,.0f} |")
    print(f"| papers.core.dedup | {t1 - t0:.2f} | {t2 - t1:.3f} | {t2 - t0:.2f} | {m / (t2 - t0):,.0f} |")
    print(f"\nThroughput ratio: {(ref_fp_s + ref_pair_s) / (t2 - t0):.1f}x (goal >= 20x); fingerprints alone "
          f"{ref_fp_s / (t1 - t0):.1f}x. Identical fingerprints: {bool(np.array_equal(fps, ref_fps))}. "
          f"Identical pair sets: {ours == ref_pairs} ({len(ours):,} pairs).")


def report_full(runs: list[dict], truth: np.ndarray, n: int) -> None:
    family = np.arange(n)  # a planted copy belongs to its original's family
    family[truth[:, 0]] = truth[:, 1]
    print(f"\n## Fingerprints + all pairs on {n:,} prompts (each tau in a fresh process)")
    print("| tau | fingerprints s | all pairs s | total s | pairs found | within a planted family "
          "| RSS before, MiB | peak RSS during, MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        pairs = r["pairs"]
        related = int((family[pairs[:, 0]] == family[pairs[:, 1]]).sum())
        print(f"| {r['tau']} | {r['fingerprint_s']:.1f} | {r['pairs_s']:.1f} "
              f"| {r['fingerprint_s'] + r['pairs_s']:.1f} | {len(pairs):,} | {related:,} "
              f"| {r['before_mib']:,.0f} | {r['peak_mib']:,.0f} |")
    how = ("reset after building the pool (/proc/self/clear_refs)" if all(r["reset"] for r in runs) else
           "NOT reset (clear_refs refused): it includes building the pool")
    print(f"\nMemory: ru_maxrss, the whole process's peak resident set, {how}; 'before' is the RSS "
          f"holding Python, numpy and the pool's strings. Building the pool itself peaked at "
          f"{runs[0]['pool_peak_mib']:,.0f} MiB. A pair outside every planted family joins two "
          "independently drawn prompts: a false positive for dedup.")


def report_recall(fps: np.ndarray, truth: np.ndarray) -> None:
    dist = np.bitwise_count(fps[truth[:, 0]] ^ fps[truth[:, 1]])
    print(f"\n## Recall of the {len(truth):,} planted near-duplicates (1-3 word edits)")
    print("| tau | " + " | ".join(str(t) for t in range(17)) + " |")
    print("|---|" + "---:|" * 17)
    print("| recall | " + " | ".join(f"{(dist <= t).mean():.3f}" for t in range(17)) + " |")
    print(f"\nPlanted pairs' distance: median {np.median(dist):.0f}, 90th percentile "
          f"{np.percentile(dist, 90):.0f}, max {dist.max()}.")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=382_424)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--subset", type=int, default=50_000, help="prompts for the package comparison")
    args = p.parse_args(argv)
    print(f"# SimHash dedup benchmark (n = {args.n:,}, seed {args.seed}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f} at start)")
    runs = [in_fresh_process(run_full, args.n, args.seed, tau) for tau in (3, 10)]
    texts, truth = make_pool(args.n, args.seed)
    report_full(runs, truth, args.n)
    bench_package(texts[:args.subset])
    report_recall(runs[0]["fps"], truth)
    print(f"\nLoad average at the end: {os.getloadavg()[0]:.2f}.")


if __name__ == "__main__":
    main()

"""Exact SimHash dedup: fingerprints against the PyPI package, pairs against brute force and
SimhashIndex, clusters and the kept document, bad input. Fast (a few seconds)."""
import csv
import hashlib

import numpy as np
import pandas as pd
import pytest
from simhash import Simhash, SimhashIndex

from papers.core import dedup as D
from papers.core import simhash as S
from papers.core.io import InputError

from .conftest import ROOT

EMPTY_FP = int.from_bytes(hashlib.md5(b"").digest()[-8:], "big")


def pool_prompts() -> list[str]:
    with open(ROOT / "data" / "prompt_pool" / "mini_pool.csv", newline="", encoding="utf-8") as f:
        return [row["prompt"] for row in csv.DictReader(f)]


def varied_texts(seed: int = 0, n: int = 200) -> list[str]:
    """Hand-picked corner cases, then random strings over a mixed alphabet."""
    cases = ["", " ", "\n\t ", "!!!", "?.,;", "a", "ab", "abc", "abcd", "A b, C d!", "ΣΑΣ", "ΟΔΟΣ ΟΔΟΣ.",
             "ΑΣ", "Α", "İstanbul", "Straße STRASSE", "ǅungla ǈ", "漢字テスト", "中文 文本 的 测试",
             "مرحبا بالعالم", "𝐀𝐁𝐂𝐃 bold", "emoji 😀🎉 only", "x\x00y\x00z", "\ud800 lone surrogate",
             "e\u0301\u0301 combining", "ｆｕｌｌ　ｗｉｄｔｈ", "under_score 123 4.5", "the the the the the",
             "Tab\tand\nnewline"]
    alphabet = list("abcdefghij KLMNO,.!?-_'\"0123") + list("éßçΣσςİıÅ漢字カナ😀𝐀\u0301ǅ")
    rng = np.random.default_rng(seed)
    return cases + ["".join(rng.choice(alphabet, size=rng.integers(0, 60))) for _ in range(n)]


def reference(texts) -> np.ndarray:
    return np.array([Simhash(t).value for t in texts], np.uint64)


def brute_pairs(fps: np.ndarray, tau: int):
    dist = np.bitwise_count(fps[:, None] ^ fps[None, :])
    i, j = np.nonzero(np.triu(dist <= tau, 1))
    return np.stack([i, j], axis=1), dist[i, j]


def clustered(seed: int, n: int = 2000, centres: int = 300) -> np.ndarray:
    """Noisy copies of random centres (each bit flipped with a random small probability): pairs
    at every distance 0..16, and some identical fingerprints."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 2**64, centres, dtype=np.uint64)
    flips = rng.random((n, 64)) < rng.uniform(0, 0.12, (n, 1))
    noise = np.packbits(flips, axis=1).view(">u8").ravel().astype(np.uint64)
    fps = base[rng.integers(0, centres, n)] ^ noise
    fps[rng.integers(0, n, 40)] = fps[0]
    return fps


# ---------------------------------------------------------------- fingerprints

def test_fingerprints_bit_identical_to_package():
    texts = pool_prompts() + varied_texts()
    assert len(texts) > 500
    assert np.array_equal(S.fingerprints(texts), reference(texts))


def test_fingerprints_independent_of_batching(monkeypatch):
    texts = pool_prompts() + varied_texts(seed=1)
    whole = S.fingerprints(texts)
    monkeypatch.setattr(S, "BATCH_CHARS", 300)  # many batches, the 4-gram hash cache reused across them
    assert np.array_equal(S.fingerprints(texts), whole)


def test_empty_whitespace_and_punctuation_documents_share_the_fingerprint_of_no_features():
    texts = ["", "   ", "\n", "...!?", "— « » —"]
    assert S.fingerprints(texts).tolist() == [EMPTY_FP] * 5 == reference(texts).tolist()
    assert S.features("  !! ") == {"": 1}


def test_features_are_lowercased_4_grams_of_the_word_characters():
    assert S.features("Ab, cD!") == {"abcd": 1}
    assert S.features("abcde abcd") == {"abcd": 2, "bcde": 1, "cdea": 1, "deab": 1, "eabc": 1}
    assert S.features("Hi!") == {"hi": 1}


def test_one_repeated_token():
    assert S.fingerprints(["the " * 80])[0] == Simhash("the " * 80).value
    # over 255 repeats of one 4-gram the package overflows a uint8 under numpy 2; the formula
    # (majority weighted by counts) gives the fingerprint of the equally weighted 4-grams
    with pytest.raises(OverflowError):
        Simhash("the " * 300)
    assert S.fingerprints(["the " * 300])[0] == Simhash("thethe").value
    assert S.fingerprints(["x" * 100_000, "X x " * 5000])[0] == Simhash("xxxx").value
    assert S.fingerprints(["X x " * 5000])[0] == Simhash("xxxx").value


def test_long_documents_and_reference_path_agree():
    rng = np.random.default_rng(3)
    words = ["".join(rng.choice(list("abcdefgh"), 5)) for _ in range(50)]
    long_text = " ".join(rng.choice(words, 20_000))  # 4-grams repeated far beyond one byte lane
    got = S.fingerprints([long_text, "short one"])
    assert got[0] == S._fingerprint_one(S.clean(long_text))
    assert got[1] == Simhash("short one").value


def test_many_distinct_characters_fall_back_and_still_match():
    chars = [chr(c) for c in np.flatnonzero(S._feature_chars()) if c >= 0x20000][:40_000]  # beyond 16 bits
    huge = "".join(chars[:40_000])  # one document whose alphabet overflows integer 4-gram keys
    halves = ["".join(chars[:20_000]), "".join(chars[20_000:40_000])]  # only the pair overflows
    texts = [huge, *halves, "plain text"]
    assert np.array_equal(S.fingerprints(texts), reference(texts))


def test_bytes_are_decoded_and_invalid_utf8_names_the_document():
    want = Simhash("café au lait").value
    assert S.fingerprints([b"caf\xc3\xa9 au lait", "café au lait"]).tolist() == [want, want]
    with pytest.raises(ValueError, match=r"document 2: invalid UTF-8 \(byte 0xff"):
        S.fingerprints(["ok", b"fine", b"bad \xff byte"])
    with pytest.raises(TypeError, match="document 1: expected str"):
        S.fingerprints(["ok", None])
    assert S.fingerprints([]).shape == (0,)


@pytest.mark.parametrize("bare", ["abcd", b"abcd"])
def test_a_bare_string_is_refused_not_fingerprinted_per_character(bare):
    with pytest.raises(TypeError, match="sequence of texts, got a single"):
        S.fingerprints(bare)


# ---------------------------------------------------------------- all pairs within tau

@pytest.mark.parametrize("tau", [0, 1, 3, 7, 10, 16])
def test_pairs_equal_brute_force(tau):
    for seed in range(3):
        for fps in (clustered(seed), np.random.default_rng(seed).integers(0, 2**64, 2000, dtype=np.uint64)):
            pairs, dist = D.near_pairs(fps, tau)
            want_pairs, want_dist = brute_pairs(fps, tau)
            assert np.array_equal(pairs, want_pairs) and np.array_equal(dist, want_dist)


@pytest.mark.parametrize("tau, plan", [(3, (4, 1)), (3, (5, 2)), (3, (7, 3)), (3, (8, 2)), (7, (9, 2)),
                                       (10, (11, 1)), (10, (12, 2)), (10, (13, 3)), (10, (14, 4)),
                                       (10, (16, 3)), (16, (18, 2))])
def test_every_exact_plan_gives_the_brute_force_pairs(tau, plan):
    fps = clustered(7)
    pairs, dist = D.near_pairs(fps, tau, plan=plan)
    want_pairs, want_dist = brute_pairs(fps, tau)
    assert np.array_equal(pairs, want_pairs) and np.array_equal(dist, want_dist)


def test_plan_that_is_not_exact_is_refused():
    with pytest.raises(ValueError, match="not exact"):
        D.near_pairs(clustered(0), 10, plan=(12, 3))


@pytest.mark.parametrize("tau", [1, 3, 7, 10, 16])
def test_pairs_at_exactly_tau_are_found_and_at_tau_plus_one_never(tau):
    """Partners whose differing bits are spread one per block, so they agree on as few blocks
    as the pigeonhole allows: the hardest case for the block tables."""
    rng = np.random.default_rng(tau)
    n = 300
    base = rng.integers(0, 2**64, n, dtype=np.uint64)
    blocks = D._blocks(D._plan(3 * n, tau)[0])

    def spread(d):
        masks = []
        for _ in range(n):
            chosen = rng.permutation(len(blocks))[:d] if d <= len(blocks) else rng.integers(0, len(blocks), d)
            bits = set()
            for blk in chosen:
                shift, width = blocks[blk]
                free = [shift + w for w in range(width) if shift + w not in bits] or [
                    b for b in range(64) if b not in bits]
                bits.add(int(rng.choice(free)))
            masks.append(sum(1 << b for b in bits))
        return np.array(masks, np.uint64)

    fps = np.concatenate([base, base ^ spread(tau), base ^ spread(tau + 1)])
    pairs, dist = D.near_pairs(fps, tau)
    found = set(map(tuple, pairs.tolist()))
    assert all((i, n + i) in found for i in range(n))
    assert not any((i, 2 * n + i) in found for i in range(n))
    assert np.array_equal(pairs, brute_pairs(fps, tau)[0])


def test_many_identical_fingerprints():
    rng = np.random.default_rng(5)
    fps = np.concatenate([np.full(1500, 7, np.uint64), rng.integers(0, 2**64, 400, dtype=np.uint64),
                          np.full(300, 7 ^ 0b1011, np.uint64)])
    rng.shuffle(fps)
    pairs, dist = D.near_pairs(fps, 3)
    want_pairs, want_dist = brute_pairs(fps, 3)
    assert np.array_equal(pairs, want_pairs) and np.array_equal(dist, want_dist)
    assert len(pairs) >= 1800 * 1799 // 2
    kept_of, nearest, n_distinct = D.dedup_fingerprints(fps, 3)
    assert n_distinct == 1 and (nearest[(fps == 7) | (fps == 7 ^ 0b1011)] == 0).all()
    assert len(set(kept_of[(fps == 7) | (fps == 7 ^ 0b1011)].tolist())) == 1


def near_copies(texts: list[str], seed: int) -> list[str]:
    """Each text once more with one word dropped or swapped, and once verbatim."""
    rng = np.random.default_rng(seed)
    out = []
    for t in texts:
        words = t.split()
        k = int(rng.integers(0, len(words)))
        out.append(" ".join(words[:k] + words[k + 1:]) if rng.random() < 0.5 else
                   " ".join(words[:k] + ["banana"] + words[k + 1:]))
    return texts + out + texts[:20]


def test_pairs_equal_simhash_index_at_tau_3():
    prompts = pool_prompts()
    longer = [" ".join(prompts[i:i + 4]) for i in range(0, len(prompts), 2)]  # edits move fewer bits
    texts = near_copies(prompts + longer, seed=0)
    hashes = [Simhash(t) for t in texts]
    index = SimhashIndex([(str(i), h) for i, h in enumerate(hashes)], k=3)
    want = {(min(i, int(j)), max(i, int(j))) for i, h in enumerate(hashes)
            for j in index.get_near_dups(h) if int(j) != i}
    pairs, dist = D.near_pairs(S.fingerprints(texts), 3)
    assert set(map(tuple, pairs.tolist())) == want
    assert np.bincount(dist, minlength=4).min() >= 10  # pairs at every distance 0..3


# ---------------------------------------------------------------- clusters and the kept document

def chain() -> np.ndarray:
    """c ~ b ~ a with a and c 12 bits apart (beyond tau = 10), a far one, and c again; c comes first."""
    a = np.uint64(0xFFFF_0000_FFFF_0000)
    b = a ^ np.uint64(0b111111)  # 6 bits from a
    c = b ^ np.uint64(0b111111 << 40)  # 6 more: 12 from a
    return np.array([c, b, ~a, a, c], np.uint64)


def test_chain_is_one_cluster_kept_by_smallest_index():
    fps = chain()
    kept_of, nearest, n_distinct = D.dedup_fingerprints(fps, 10)
    assert kept_of.tolist() == [0, 0, 2, 0, 0] and n_distinct == 2
    assert nearest.tolist() == [0, 6, -1, 6, 0]
    assert D.near_pairs(fps, 10)[0].tolist() == [[0, 1], [0, 4], [1, 3], [1, 4]]


def test_chain_through_dedup_records_both_distances(monkeypatch):
    monkeypatch.setattr(D, "fingerprints", lambda texts: chain())
    result = D.dedup(["c", "b", "far", "a", "c2"], ["text"] * 5, tau=10)
    assert result.kept_ids == ["c", "far"]
    assert result.removed.to_dict("records") == [
        {"id": "b", "duplicate_of": "c", "distance": 6, "distance_to_kept": 6},
        {"id": "a", "duplicate_of": "c", "distance": 6, "distance_to_kept": 12},
        {"id": "c2", "duplicate_of": "c", "distance": 0, "distance_to_kept": 0}]


def test_dedup_records_what_each_removed_document_duplicates():
    texts = ["How do I bake bread at home?", "Tell me about volcanoes.", "how do i bake bread at home",
             "", "Tell me about volcanoes!", "   ", "A completely different request about taxes."]
    ids = [f"p{i}" for i in range(len(texts))]
    result = D.dedup(ids, texts, tau=3)
    assert result.kept_ids == ["p0", "p1", "p3", "p6"]
    assert result.removed[["id", "duplicate_of", "distance"]].to_dict("records") == [
        {"id": "p2", "duplicate_of": "p0", "distance": 0}, {"id": "p4", "duplicate_of": "p1", "distance": 0},
        {"id": "p5", "duplicate_of": "p3", "distance": 0}]
    assert np.array_equal(result.fingerprints, reference(texts))


def test_removed_distances_against_brute_force():
    texts = near_copies(pool_prompts()[:120], seed=2)
    result = D.dedup([str(i) for i in range(len(texts))], texts, tau=10)
    fps = reference(texts)
    dist = np.bitwise_count(fps[:, None] ^ fps[None, :])
    np.fill_diagonal(dist, 99)
    removed = result.removed.astype({"id": int, "duplicate_of": int})
    assert len(removed) > 60 and len(result.kept_ids) + len(removed) == len(texts)
    assert (removed["duplicate_of"] < removed["id"]).all()
    assert removed["distance"].tolist() == dist[removed["id"]].min(axis=1).tolist()
    assert (removed["distance"] <= 10).all()
    assert removed["distance_to_kept"].tolist() == dist[removed["id"], removed["duplicate_of"]].tolist()
    kept = [int(i) for i in result.kept_ids]  # no two kept documents are within tau
    assert (dist[np.ix_(kept, kept)] > 10).all()


def test_components_match_a_simple_union_find():
    rng = np.random.default_rng(4)
    n = 500
    a, b = rng.integers(0, n, 400), rng.integers(0, n, 400)
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    for x, y in zip(a, b):
        rx, ry = find(x), find(y)
        parent[max(rx, ry)] = min(rx, ry)
    assert D.components(n, a, b).tolist() == [find(x) for x in range(n)]


# ---------------------------------------------------------------- bad input and the command line

@pytest.mark.parametrize("tau", [-1, 64, 3.0, True, "3"])
def test_bad_tau(tau):
    with pytest.raises(ValueError, match="tau must be an integer"):
        D.near_pairs(np.zeros(3, np.uint64), tau)
    with pytest.raises(ValueError, match="tau must be an integer"):
        D.dedup(["a"], ["text"], tau)


def test_bad_fingerprints_and_ids():
    with pytest.raises(ValueError, match="1-D array"):
        D.near_pairs(np.zeros((2, 2), np.uint64), 3)
    with pytest.raises(ValueError, match="1-D array"):
        D.near_pairs(np.array([1, -1]), 3)
    with pytest.raises(ValueError, match="2 ids but 1 texts"):
        D.dedup(["a", "b"], ["x"], 3)
    with pytest.raises(ValueError, match="document 2: repeated id 'a'"):
        D.dedup(["a", "b", "a"], ["x", "y", "z"], 3)
    assert D.near_pairs([], 3)[0].shape == (0, 2)


def test_command_line(tmp_path):
    prompts = ["Hello there, world", "hello there world!", "Something else entirely", ""]
    frame = pd.DataFrame({"prompt_id": ["a", "b", "c", "d"], "prompt": prompts, "extra": [1, 2, 3, 4]})
    frame.to_parquet(tmp_path / "in.parquet")
    D.main(["--in", str(tmp_path / "in.parquet"), "--text-col", "prompt", "--id-col", "prompt_id",
            "--tau", "10", "--out-kept", str(tmp_path / "kept.parquet"),
            "--out-removed", str(tmp_path / "removed.parquet")])
    kept = pd.read_parquet(tmp_path / "kept.parquet")
    assert kept["prompt_id"].tolist() == ["a", "c", "d"] and kept["extra"].tolist() == [1, 3, 4]
    assert pd.read_parquet(tmp_path / "removed.parquet").to_dict("records") == [
        {"id": "b", "duplicate_of": "a", "distance": 0, "distance_to_kept": 0}]


def test_command_line_input_errors(tmp_path):
    path = tmp_path / "in.parquet"
    pd.DataFrame({"prompt_id": ["a", "b"], "prompt": ["x", None]}).to_parquet(path)
    with pytest.raises(InputError, match=r"row 2, field 'prompt': expected str"):
        D.read_pool(str(path), "prompt", "prompt_id")
    with pytest.raises(InputError, match="field 'text'"):
        D.read_pool(str(path), "text", "prompt_id")
    pd.DataFrame({"prompt_id": ["a", "a"], "prompt": ["x", "y"]}).to_parquet(path)
    with pytest.raises(InputError, match=r"row 2, field 'prompt_id': empty or repeated id 'a'"):
        D.read_pool(str(path), "prompt", "prompt_id")
    with pytest.raises(InputError, match="file not found"):
        D.read_pool(str(tmp_path / "missing.parquet"), "prompt", "prompt_id")

"""SimHash fingerprints (64 bits) for near-duplicate search: see papers/core/dedup.py.

API: fingerprints(texts) -> uint64 array, one per text; features(text) -> {feature: weight}.

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
"""
from __future__ import annotations

import functools
import hashlib
import re
from collections import Counter
from typing import Sequence

import numpy as np

try:  # CPython's own md5 is about 1.6x faster than OpenSSL's on 4-character inputs
    from _md5 import md5 as _MD5
except ImportError:  # pragma: no cover
    _MD5 = hashlib.md5

SEP = "\x00"  # never a feature character, and lower() never looks across it (not cased, not case-ignorable)
_DROP = re.compile(r"[^\w\u4e00-\u9fcc]+")
BATCH_CHARS = 1 << 19


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
    if isinstance(texts, (str, bytes, bytearray)):  # a bare string would be fingerprinted per character
        raise TypeError(f"fingerprints takes a sequence of texts, got a single {type(texts).__name__}: "
                        "pass [text]")
    texts = [_as_str(t, i) for i, t in enumerate(texts)]
    sizes = np.fromiter((len(t) + 1 for t in texts), np.int64, len(texts))
    cuts = np.flatnonzero(np.diff(np.cumsum(sizes) // BATCH_CHARS)) + 1
    cache = _HashCache()
    parts = [_fingerprint_texts(texts[a:b], cache)
             for a, b in zip(np.concatenate([[0], cuts]), np.concatenate([cuts, [len(texts)]])) if b > a]
    return np.concatenate(parts) if parts else np.zeros(0, np.uint64)

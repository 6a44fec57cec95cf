"""Turn an article into hashed words, paragraphs and word shingles, all as numpy arrays.

Per-word and per-shingle work is vectorized: words are hashed in one call (pandas' SipHash), and
k-word shingles are combined from word hashes with array arithmetic, never a Python loop.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .normalize import WORD_RE, fold, paragraph_spans

_HASH_KEY = "syndup-words-v01"  # 16 bytes: the SipHash key for words; part of HASH_SCHEME
# Odd 64-bit multipliers, one per shingle position (splitmix64-style constants).
_POS_MULT = np.array([
    0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0xD6E8FEB86659FD93,
    0xA0761D6478BD642F, 0xE7037ED1A0B428DB, 0x8EBC6AF09C88C6E3, 0x589965CC75374CC3,
    0x1D8E4E27C47D124F, 0xCA5A826395121157, 0x2545F4914F6CDD1D, 0xFF51AFD7ED558CCD,
], dtype=np.uint64)
MAX_SHINGLE = len(_POS_MULT)


@dataclass(frozen=True, eq=False)
class Features:
    """The comparison form of one article, independent of every other article."""

    word_hashes: np.ndarray      # uint64, one per word, in order
    word_para: np.ndarray        # int32, paragraph index of each word
    word_quoted: np.ndarray      # bool, word lies inside "quotation marks"
    para_hashes: np.ndarray      # uint64, one per paragraph (hash of its word sequence)
    para_words: np.ndarray       # int32, words per paragraph
    fingerprint: bytes           # hash of the whole word sequence: equal means `duplicate`

    @property
    def n_words(self) -> int:
        return int(self.word_hashes.shape[0])


def _digest(arr: np.ndarray) -> int:
    return int.from_bytes(hashlib.blake2b(arr.tobytes(), digest_size=8).digest(), "little")


def analyze(text: str) -> Features:
    """Hash the words of `text` and record paragraph and quotation structure."""
    tokens: list[str] = []
    para_of: list[int] = []
    quoted: list[bool] = []
    para_counts: list[int] = []
    for s, e in paragraph_spans(text):
        para = fold(text[s:e]).casefold()
        n_before = len(tokens)
        # Splitting on '"' alternates outside/inside a quotation, per paragraph (so an unclosed
        # quote never leaks into the next paragraph).
        for i, segment in enumerate(para.split('"')):
            found = WORD_RE.findall(segment)
            tokens.extend(found)
            quoted.extend([i % 2 == 1] * len(found))
        n = len(tokens) - n_before
        if n:
            para_of.extend([len(para_counts)] * n)
            para_counts.append(n)
    if tokens:
        hashes = pd.util.hash_array(np.array(tokens, dtype=object), hash_key=_HASH_KEY, categorize=False)
    else:
        hashes = np.zeros(0, dtype=np.uint64)
    para_words = np.array(para_counts, dtype=np.int32)
    bounds = np.concatenate([[0], np.cumsum(para_words)]).astype(np.int64)
    para_hashes = np.array(
        [_digest(hashes[bounds[i]:bounds[i + 1]]) for i in range(len(para_counts))], dtype=np.uint64
    )
    return Features(
        word_hashes=hashes,
        word_para=np.array(para_of, dtype=np.int32),
        word_quoted=np.array(quoted, dtype=bool),
        para_hashes=para_hashes,
        para_words=para_words,
        fingerprint=hashlib.blake2b(hashes.tobytes(), digest_size=12).digest(),
    )


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


@dataclass(frozen=True, eq=False)
class ShingleSet:
    """The distinct k-word shingles of an article's body, as sorted 32-bit hashes."""

    hashes: np.ndarray     # uint32, sorted, unique
    unquoted: np.ndarray   # bool per hash: occurs at least once outside quotation marks

    def __len__(self) -> int:
        return int(self.hashes.shape[0])


EMPTY = ShingleSet(np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=bool))


def shingle_hashes(words: np.ndarray, k: int) -> np.ndarray:
    """32-bit hashes of every run of k consecutive word hashes (one if there are fewer words)."""
    if k > MAX_SHINGLE:
        raise ValueError(f"shingle_size must be at most {MAX_SHINGLE}, got {k}")
    n = words.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.uint32)
    k_eff = min(k, n)
    m = n - k_eff + 1
    acc = np.zeros(m, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k_eff):  # k iterations over whole arrays: vectorized per shingle
            acc += words[j:j + m] * _POS_MULT[j]
        acc += np.uint64(k_eff)
        return (_fmix64(acc) >> np.uint64(32)).astype(np.uint32)


def shingles(features: Features, k: int, drop_paragraphs: np.ndarray | None = None) -> ShingleSet:
    """The body shingles of an article, leaving out the paragraphs marked in `drop_paragraphs`.

    Shingles run across paragraph boundaries, so re-wrapping or re-paragraphing a text barely
    changes them; dropped (boilerplate) paragraphs are cut out before shingling.
    """
    words = features.word_hashes
    quoted = features.word_quoted
    if drop_paragraphs is not None and drop_paragraphs.any() and words.shape[0]:
        keep = ~drop_paragraphs[features.word_para]
        words, quoted = words[keep], quoted[keep]
    hashes = shingle_hashes(words, k)
    if hashes.shape[0] == 0:
        return EMPTY
    k_eff = min(k, words.shape[0])
    if k_eff > 1:
        window_quoted = np.lib.stride_tricks.sliding_window_view(quoted, k_eff).all(axis=1)
    else:
        window_quoted = quoted
    # A shingle is "unquoted" unless all its words are inside quotation marks.
    unique, inverse = np.unique(hashes, return_inverse=True)
    unquoted = np.zeros(unique.shape[0], dtype=bool)
    unquoted[inverse[~window_quoted]] = True
    return ShingleSet(unique, unquoted)


def anchors(shingle_set: ShingleSet, modulus: int) -> np.ndarray:
    """A consistent sample of unquoted shingles (hash % modulus == 0), used to find reused passages."""
    h = shingle_set.hashes
    return h[(h % np.uint32(modulus) == 0) & shingle_set.unquoted]

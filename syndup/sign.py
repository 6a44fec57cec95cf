"""MinHash signatures of shingle sets, bit-for-bit compatible with datasketch's `affine32` scheme.

datasketch hashes each value with fmix32 and applies `a*h + b mod 2**32` per permutation; we do the
same for a whole batch of articles in one array operation, then take per-article minima.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np

_MAX32 = np.uint32(0xFFFFFFFF)
#: Rows processed per block: bounds the (shingles x num_perm) temporary to ~32 MB.
_BLOCK = 1 << 16


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) permutation parameters datasketch's MinHash(num_perm, seed) uses."""
    from datasketch import MinHash

    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    return a.astype(np.uint32), b.astype(np.uint32)


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, as datasketch applies it before permuting."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def signatures(sets: Sequence[np.ndarray], num_perm: int, seed: int) -> np.ndarray:
    """One MinHash signature (uint32[num_perm]) per array of 32-bit shingle hashes.

    An empty set gets all-max values, like an empty datasketch MinHash.
    """
    a, b = permutations(num_perm, seed)
    out = np.full((len(sets), num_perm), _MAX32, dtype=np.uint32)
    lengths = np.fromiter((s.shape[0] for s in sets), dtype=np.int64, count=len(sets))
    nonempty = np.flatnonzero(lengths)
    if nonempty.shape[0] == 0:
        return out
    # Process consecutive runs of articles whose shingles fit in one block.
    start = 0
    while start < nonempty.shape[0]:
        total = 0
        stop = start
        while stop < nonempty.shape[0] and (total == 0 or total + lengths[nonempty[stop]] <= _BLOCK):
            total += lengths[nonempty[stop]]
            stop += 1
        idx = nonempty[start:stop]
        values = np.concatenate([sets[i] for i in idx]).astype(np.uint32, copy=False)
        mixed = fmix32(values)
        with np.errstate(over="ignore"):
            permuted = mixed[:, None] * a[None, :] + b[None, :]
        offsets = np.concatenate([[0], np.cumsum(lengths[idx])[:-1]])
        out[idx] = np.minimum.reduceat(permuted, offsets, axis=0)
        start = stop
    return out


def signature(hashes: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """The MinHash signature of one set of 32-bit shingle hashes."""
    return signatures([hashes], num_perm, seed)[0]


def lean_minhash(sig: np.ndarray, seed: int):  # type: ignore[no-untyped-def]
    """Wrap a signature as a datasketch LeanMinHash (for datasketch's LSH and storage)."""
    from datasketch import LeanMinHash

    return LeanMinHash(seed=seed, hashvalues=sig, scheme="affine32")


def estimate_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """Share of equal positions: an unbiased estimate of the Jaccard similarity of the two sets."""
    return float(np.count_nonzero(sig_a == sig_b)) / float(sig_a.shape[0])

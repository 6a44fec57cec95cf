"""MinHash signatures of shingle sets, bit-for-bit compatible with datasketch's `affine32` scheme.

datasketch hashes each value with fmix32 and applies `a*h + b mod 2**32` per permutation; we do the
same for a whole batch of articles in one array operation, then take per-article minima.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from . import kernel

_MAX32 = np.uint32(0xFFFFFFFF)
#: Padded blocks of articles hold at most this many values (articles x longest): a few MB.
_BLOCK_VALUES = 1 << 18
#: and at most this many articles (the accumulator is num_perm x rows).
_BLOCK_ROWS = 1024
#: Articles with more shingles than this are signed alone, in row blocks of this size.
_LONG = 4096


@lru_cache(maxsize=8)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) permutation parameters datasketch's MinHash(num_perm, seed, scheme="affine32")
    uses: the same draws from numpy's RandomState (a test checks them against datasketch; making
    them here saves importing datasketch, and with it scipy, in every process)."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


#: MurmurHash3's finalizers, by width: (shift, multiplier) twice, then a last shift.
_FMIX: dict[type, tuple[int, int, int, int, int]] = {
    np.uint32: (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16),
    np.uint64: (33, 0xFF51AFD7ED558CCD, 33, 0xC4CEB9FE1A85EC53, 33),
}


def fmix(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's finalizer of an array of uint32 (as datasketch applies it before permuting) or
    uint64 values (syndup's shingle and band-key mixing)."""
    t = h.dtype.type
    s1, m1, s2, m2, s3 = _FMIX[t]
    h = h ^ (h >> t(s1))
    h = h * t(m1)
    h = h ^ (h >> t(s2))
    h = h * t(m2)
    return h ^ (h >> t(s3))


def repeated_keys(keys: np.ndarray) -> np.ndarray:
    """The positions (ascending) of the keys that occur more than once (the C kernel's hash table,
    else a sort)."""
    k = kernel.KERNEL
    if k is not None and hasattr(k, "repeated"):
        return np.frombuffer(k.repeated(np.ascontiguousarray(keys, dtype=np.uint64)), dtype=np.int64)
    ordered = np.sort(keys)
    twice = ordered[1:][ordered[1:] == ordered[:-1]]
    if not twice.shape[0]:
        return np.zeros(0, dtype=np.int64)
    twice = twice[np.concatenate([[True], twice[1:] != twice[:-1]])]
    at = np.minimum(np.searchsorted(twice, keys), twice.shape[0] - 1)
    return np.flatnonzero(twice[at] == keys)


def signatures_flat(values: np.ndarray, offsets: np.ndarray, num_perm: int, seed: int,
                    width: int | None = None) -> np.ndarray:
    """One MinHash signature (uint32[num_perm]) per row of a flat array of 32-bit shingle hashes:
    row i is `values[offsets[i]:offsets[i + 1]]`. Rows may hold repeats (a minimum ignores them).
    With `width`, only the first `width` permutations: what LSH with bands x rows = width reads.

    The C kernel folds each row in one pass. Without it, rows of similar length are padded (with
    one of their own values, which leaves every minimum unchanged) into a block, and the block is
    folded in one value per row at a time: three numpy calls on a cache-sized (num_perm x rows)
    array per column, whose long inner axis (the rows) vectorizes well, instead of materializing
    every (value x permutation) product.
    """
    a, b = permutations(num_perm, seed)
    if width is not None:
        a, b, num_perm = a[:width], b[:width], width
    n = int(offsets.shape[0]) - 1
    k = kernel.KERNEL
    if k is not None and num_perm <= 1024:
        raw = k.minhash(np.ascontiguousarray(values, dtype=np.uint32), np.ascontiguousarray(offsets, dtype=np.int64),
                        np.ascontiguousarray(a), np.ascontiguousarray(b))
        return np.frombuffer(raw, dtype=np.uint32).reshape(n, num_perm)
    out = np.full((n, num_perm), _MAX32, dtype=np.uint32)
    lengths = np.diff(offsets)
    order = np.argsort(lengths, kind="stable")
    order = order[lengths[order] > 0]
    if order.shape[0] == 0:
        return out
    mixed = fmix(values.astype(np.uint32, copy=False))
    a_col, b_col = a[:, None], b[:, None]
    long_rows = order[lengths[order] > _LONG]
    order = order[lengths[order] <= _LONG]
    with np.errstate(over="ignore"):
        start = 0
        while start < order.shape[0]:
            rows = min(order.shape[0] - start, _BLOCK_ROWS)
            rows = max(1, min(rows, _BLOCK_VALUES // int(lengths[order[start + rows - 1]])))
            idx = order[start:start + rows]
            widest = int(lengths[idx[-1]])  # sorted by length: the last is the longest
            cols = np.arange(widest)
            src = offsets[idx][None, :] + np.minimum(cols[:, None], lengths[idx][None, :] - 1)
            block = mixed[src]  # (widest, rows): column j holds every row's j-th value
            acc = np.full((num_perm, idx.shape[0]), _MAX32, dtype=np.uint32)
            tmp = np.empty_like(acc)
            for j in range(widest):
                np.multiply(a_col, block[j], out=tmp)
                np.add(tmp, b_col, out=tmp)
                np.minimum(acc, tmp, out=acc)
            out[idx] = acc.T
            start += idx.shape[0]
        for i in long_rows.tolist():
            row = mixed[offsets[i]:offsets[i + 1]]
            acc1 = np.full(num_perm, _MAX32, dtype=np.uint32)
            for s in range(0, row.shape[0], _LONG):
                part = row[s:s + _LONG, None] * a[None, :] + b[None, :]
                np.minimum(acc1, part.min(axis=0), out=acc1)
            out[i] = acc1
    return out


def signatures(sets: Sequence[np.ndarray], num_perm: int, seed: int) -> np.ndarray:
    """One MinHash signature (uint32[num_perm]) per array of 32-bit shingle hashes.

    An empty set gets all-max values, like an empty datasketch MinHash.
    """
    lengths = np.fromiter((s.shape[0] for s in sets), dtype=np.int64, count=len(sets))
    offsets = np.zeros(len(sets) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    values = np.concatenate(list(sets)) if len(sets) else np.zeros(0, np.uint32)
    return signatures_flat(values.astype(np.uint32, copy=False), offsets, num_perm, seed)


def signature(hashes: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """The MinHash signature of one set of 32-bit shingle hashes."""
    return signatures([hashes], num_perm, seed)[0]

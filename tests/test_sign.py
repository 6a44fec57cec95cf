"""MinHash signatures: datasketch's affine32 scheme, bit for bit, and LSH parameters as datasketch picks them."""

from __future__ import annotations

import numpy as np
import pytest

from syndup.candidates import lsh_params
from syndup.shingle import (
    analyze,
    shingles,
)
from syndup.sign import permutations, signature, signatures, signatures_flat
from tests.references import corpus

# --- signatures: datasketch's affine32 MinHash, bit for bit --------------------------------------

def datasketch_signature(hashes: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    from datasketch import MinHash

    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=lambda v: v, scheme="affine32")
    if hashes.shape[0]:
        m.update_batch(hashes.tolist())
    return m.hashvalues.astype(np.uint32)


@pytest.mark.parametrize("num_perm,seed", [(128, 1), (64, 42), (256, 7), (1, 0)])
def test_permutations_are_datasketchs(num_perm, seed):
    from datasketch import MinHash

    a, b = permutations(num_perm, seed)
    da, db = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    assert a.dtype == b.dtype == np.uint32
    assert np.array_equal(a, da) and np.array_equal(b, db)


@pytest.mark.parametrize("num_perm,seed", [(128, 1), (64, 42)])
def test_signatures_are_datasketch_minhashes(num_perm, seed):
    rng = np.random.default_rng(seed)
    sets = [np.unique(rng.integers(0, 2**32, size=n, dtype=np.uint64).astype(np.uint32))
            for n in [0, 1, 2, 5, 300, 700, 701, 4096, 4097, 9000] + rng.integers(1, 900, 40).tolist()]
    sigs = signatures(sets, num_perm, seed)
    for s, sig in zip(sets, sigs):
        assert sig.dtype == np.uint32
        assert np.array_equal(sig, datasketch_signature(s, num_perm, seed))
    assert np.array_equal(signature(sets[4], num_perm, seed), sigs[4])
    # Repeats never change a minimum; `width` is the leading permutations.
    values = np.concatenate(sets + sets[:3])
    offsets = np.concatenate([[0], np.cumsum([s.shape[0] for s in sets + sets[:3]])])
    flat = signatures_flat(values, offsets, num_perm, seed, width=num_perm // 4)
    assert np.array_equal(flat[:len(sets)], sigs[:, :num_perm // 4])


def test_signatures_go_into_datasketch_lsh_as_lean_minhashes():
    from datasketch import LeanMinHash, MinHash, MinHashLSH

    texts = [d["text"] for d in corpus(seed=8, stories=3, unrelated=3)]
    sets = [shingles(f, 5) for f in (analyze(t) for t in texts)]
    sigs = signatures([s.hashes for s in sets], 128, 1)
    lsh = MinHashLSH(threshold=0.2, num_perm=128)
    for i, sig in enumerate(sigs):
        lsh.insert(str(i), LeanMinHash(seed=1, hashvalues=sig, scheme="affine32"))
    for i, s in enumerate(sets):
        m = MinHash(num_perm=128, seed=1, hashfunc=lambda v: v, scheme="affine32")
        m.update_batch(s.hashes.tolist())
        assert str(i) in lsh.query(m)


def test_lsh_params_are_datasketchs():
    from datasketch.lsh import _optimal_param

    for num_perm in (16, 64, 128, 256):
        for threshold in (0.1, 0.2, 0.35, 0.5, 0.8, 0.95):
            assert lsh_params(threshold, num_perm) == tuple(_optimal_param(threshold, num_perm, 0.5, 0.5))


def test_known_lsh_params_are_the_searched_ones():
    from datasketch.lsh import _optimal_param

    from syndup.candidates import KNOWN_LSH_PARAMS, search_lsh_params
    from syndup.settings import DEFAULT_SETTINGS

    assert (DEFAULT_SETTINGS.lsh_threshold, DEFAULT_SETTINGS.num_perm) in KNOWN_LSH_PARAMS
    assert (DEFAULT_SETTINGS.noisy_lsh_threshold, DEFAULT_SETTINGS.num_perm) in KNOWN_LSH_PARAMS
    for (threshold, num_perm), params in KNOWN_LSH_PARAMS.items():
        assert search_lsh_params(threshold, num_perm) == params == tuple(_optimal_param(threshold, num_perm, 0.5, 0.5))
        assert lsh_params(threshold, num_perm) == params

"""The README's word on datasketch: syndup's signatures are datasketch MinHashes of syndup's own
shingle hashes, and a datasketch MinHash of the text's words is not one of them."""

from __future__ import annotations

import numpy as np

from syndup.normalize import words
from syndup.settings import DEFAULT_SETTINGS
from syndup.shingle import analyze, shingles
from syndup.sign import signature

from .conftest import REPO, seed_text


def test_datasketch_matches_syndup_only_when_given_syndups_shingle_hashes() -> None:
    from datasketch import MinHash

    num_perm, seed, k = DEFAULT_SETTINGS.num_perm, DEFAULT_SETTINGS.seed, DEFAULT_SETTINGS.shingle_size
    text = seed_text("000")
    hashes = shingles(analyze(text), k).hashes
    ours = signature(hashes, num_perm, seed)
    same = MinHash(num_perm=num_perm, seed=seed, hashfunc=lambda v: v, scheme="affine32")
    same.update_batch(hashes.tolist())
    assert np.array_equal(same.hashvalues.astype(np.uint32), ours)
    tokens = words(text)
    naive = MinHash(num_perm=num_perm, seed=seed, scheme="affine32")
    naive.update_batch([" ".join(tokens[i:i + k]).encode() for i in range(len(tokens) - k + 1)])
    assert (naive.hashvalues.astype(np.uint32) == ours).mean() < 0.1
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "datasketch cannot read the index" in readme and "can read syndup's" not in readme

"""Stage 4, candidates: the pairs worth verifying, without comparing every article with every other.

Articles with the same word sequence (equal fingerprints) are duplicates of their group's first
member; only that member goes on to MinHash LSH of both views (copies, noisy copies) and anchors
(a shared passage), see `syndup.candidates`. Anchor pairs are found in a forked child while the LSH bands run here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..candidates import AnchorRule, Banding, anchor_pairs_parts, lsh_banding, lsh_params, unique_pairs
from ..corpus import Corpus
from ..execution import Execution
from ..settings import Settings
from .sign import Signed


@dataclass(frozen=True)
class Candidates:
    """Candidate pairs (i < j, id order) and what linking big LSH groups needs later."""

    same_words: np.ndarray  # int64 per article: its group of equal fingerprints
    duplicates: np.ndarray  # (m, 2): each duplicate with its group's first member
    pairs: np.ndarray       # (m, 2): distinct, sorted pairs from LSH bands and shared anchors
    banding: Banding        # the big LSH groups, linked as verification goes
    noisy_banding: Banding | None = None  # the noisy view's big LSH groups, likewise


def fingerprint_groups(fingerprints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For (n, 12) fingerprint bytes in id order: each article's group number, and each group's
    first article (groups numbered by fingerprint)."""
    if fingerprints.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    keys = np.ascontiguousarray(fingerprints, dtype=np.uint8).view(np.dtype((np.void, 12))).ravel()
    _, first, group = np.unique(keys, return_index=True, return_inverse=True)
    return group.reshape(-1).astype(np.int64), first.astype(np.int64)


def find(corpus: Corpus, signed: Signed, settings: Settings, execution: Execution) -> Candidates:
    """Duplicates by fingerprint; candidate pairs of the other articles by LSH bands and anchors."""
    n = len(corpus)
    fp_id, first = fingerprint_groups(corpus.fingerprints[corpus.order])
    reps = np.unique(first)
    dups = np.flatnonzero(first[fp_id] != np.arange(n))
    bands, rows = lsh_params(settings.lsh_threshold, settings.num_perm)
    noisy_bands, noisy_rows = lsh_params(settings.noisy_lsh_threshold, settings.num_perm)
    found: list[Any] = execution.fork_join([
        lambda: (lsh_banding(signed.signatures, reps, bands, rows, settings.max_bucket_pairs, select=reps),
                 lsh_banding(signed.noisy_signatures, reps, noisy_bands, noisy_rows, settings.max_bucket_pairs,
                             select=reps)),
        lambda: anchor_pairs_parts(signed.anchors.parts(), n, AnchorRule.of(settings), signed.anchors.counter()),
    ], worth=n >= execution.tuning.fork_articles)
    banding, noisy = found[0]
    anchored: np.ndarray = found[1]
    return Candidates(fp_id, np.stack([first[fp_id[dups]], dups], axis=1),
                      unique_pairs(banding.pairs, noisy.pairs, anchored, n=n), banding, noisy)

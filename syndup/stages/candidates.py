"""Stage 4, candidates: the pairs worth verifying, without comparing every article with every other.

Articles with the same word sequence (equal fingerprints) are duplicates of their group's first
member; only that member goes on to MinHash LSH of both views (copies, noisy copies) and anchors
(a shared passage), see `syndup.candidates`. Anchor pairs are found in a forked child while the LSH bands run here.
A pair that only the noisy view's LSH found is kept only where its signatures say it could be
related (`candidates.noisy_checked`), locally and on a cluster's workers alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from ..candidates import (
    AnchorRule,
    Banding,
    anchor_evidence,
    anchor_pairs_merged,
    anchor_pairs_parts,
    band_parts,
    band_rows,
    lsh_banding,
    lsh_params,
    merge_bands,
    noisy_checked,
    unique_pairs,
)
from ..corpus import Corpus
from ..execution import Execution
from ..settings import Settings
from ..spill import AnchorPart, AnchorSpill
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
    if execution.remote:  # band keys grouped by the cluster's workers, anchors here
        views = [(signed.signatures, bands, rows), (signed.noisy_signatures, noisy_bands, noisy_rows)]
        banding, noisy = grouped_banding(views, reps, settings.max_bucket_pairs, execution)
        tasks = ((part, n, AnchorRule.of(settings)) for part in signed.anchors.part_ranges())
        evidence = execution.map_chunks(part_evidence, tasks, parallel=True)  # each part on a worker, in turn
        anchors = anchor_pairs_merged(evidence, n, AnchorRule.of(settings), signed.anchors.counter())
        signed.anchors.remove()
        return Candidates(fp_id, np.stack([first[fp_id[dups]], dups], axis=1),
                          _pairs(banding, noisy, anchors, signed, settings, n), banding, noisy)
    found: list[Any] = execution.fork_join([
        lambda: (lsh_banding(signed.signatures, reps, bands, rows, settings.max_bucket_pairs, select=reps),
                 lsh_banding(signed.noisy_signatures, reps, noisy_bands, noisy_rows, settings.max_bucket_pairs,
                             select=reps)),
        lambda: anchor_pairs_parts(signed.anchors.parts(), n, AnchorRule.of(settings), signed.anchors.counter()),
    ], worth=n >= execution.tuning.fork_articles)
    banding, noisy = found[0]
    anchored: np.ndarray = found[1]
    return Candidates(fp_id, np.stack([first[fp_id[dups]], dups], axis=1),
                      _pairs(banding, noisy, anchored, signed, settings, n), banding, noisy)


def _pairs(banding: Banding, noisy: Banding, anchored: np.ndarray, signed: Signed, settings: Settings,
           n: int) -> np.ndarray:
    """The candidate pairs: the exact view's LSH pairs, the anchors', and the noisy view's worth
    verifying (`candidates.noisy_checked`)."""
    found = unique_pairs(banding.pairs, anchored, n=n)
    kept = noisy_checked(noisy.pairs, found, signed.signatures, signed.noisy_signatures, signed.noisy_sets.sizes(),
                         settings, n)
    return unique_pairs(found, kept, n=n)


def part_evidence(part: AnchorPart, n: int, rule: AnchorRule) -> tuple[np.ndarray, np.ndarray]:
    """In a worker: the evidence of one part of the anchors (`candidates.anchor_evidence`), read from its file."""
    return anchor_evidence(*AnchorSpill.read(part), n, rule)


def grouped_banding(views: Sequence[tuple[np.ndarray, int, int]], reps: np.ndarray, max_group: int,
                    execution: Execution) -> list[Banding]:
    """`lsh_banding(signatures, reps, bands, rows, max_group, select=reps)` of each view
    (signatures, bands, rows) in one group-by (`Execution.by_key`): every band's keys made per
    block of articles, grouped by key, each part's groups (pairs, big groups) found where it
    lands; the same `Banding`s."""
    n = int(reps.max()) + 1 if reps.shape[0] else 0
    columns = {"doc": reps, **{f"view{v}": signatures[reps] for v, (signatures, _, _) in enumerate(views)}}
    shape = tuple((f"view{v}", bands, rows) for v, (_, bands, rows) in enumerate(views))
    parts = execution.by_key(partial(band_parts, max_group=max_group, n=n), columns, "key",
                             rows=partial(band_rows, views=shape))
    found = [groups for part in parts for groups in part]
    first = np.concatenate([[0], np.cumsum([bands for _, bands, _ in views])]).tolist()
    return [merge_bands(found, n, range(a, b)) for a, b in zip(first[:-1], first[1:])]

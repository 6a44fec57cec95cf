"""An article's sketch: what `scan` and `Index` compare articles by, computed the same way for both.

From an article's hashed words (`shingle.Features`) and the paragraphs judged boilerplate: its exact
body shingle set (verification), the MinHash signature columns LSH reads and their band keys
(candidate copies), and its anchors (candidate shared passages). `sketch_many` does a batch at once
(the scan's sign stage, a chunk per worker); `sketch` is a batch of one (the index, per article).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .candidates import band_keys, lsh_params, noisy_band_keys
from .settings import Settings
from .shingle import (
    EMPTY,
    FeatureBatch,
    Features,
    SetBatch,
    ShingleSet,
    anchors_many,
    shingle_many,
    shingle_minhash_many,
)
from .sign import permutations, signatures_flat


@dataclass(frozen=True)
class Sketches:
    """The sketches of a batch of articles, row i for article i."""

    sets: SetBatch
    #: uint32 (n, bands * rows): the first permutations of the MinHash signature, those LSH reads.
    signatures: np.ndarray
    anchor_values: np.ndarray   # uint32, every article's anchors one after another
    anchor_offsets: np.ndarray  # int64 (n + 1): where each article's anchors start
    #: the noisy view (`shingle.analyze_views`): its shingle sets and the columns its LSH reads;
    #: None when the batch was sketched without it.
    noisy_sets: SetBatch | None = None
    noisy_signatures: np.ndarray | None = None


@dataclass(frozen=True)
class Sketch:
    """One article's sketch (see the module docstring)."""

    shingles: ShingleSet
    bands: np.ndarray    # uint64 LSH band keys, as scan groups articles by (none for an empty body)
    anchors: np.ndarray  # uint32
    noisy: ShingleSet    # the noisy view's shingle set
    noisy_bands: np.ndarray  # uint64 LSH band keys of the noisy view (`candidates.noisy_band_keys`)


def lsh_width(settings: Settings) -> int:
    """How many signature columns LSH reads: bands x rows for the settings' threshold."""
    bands, rows = lsh_params(settings.lsh_threshold, settings.num_perm)
    return bands * rows


def noisy_lsh_width(settings: Settings) -> int:
    """How many signature columns the noisy view's LSH reads."""
    bands, rows = lsh_params(settings.noisy_lsh_threshold, settings.num_perm)
    return bands * rows


def sketch_many(batch: FeatureBatch, drop: np.ndarray | None, settings: Settings,
                noisy: FeatureBatch | None = None) -> Sketches:
    """The sketches of every article of a batch; `drop` (bool, one per paragraph of the batch)
    marks its boilerplate; `noisy` is the batch's noisy view (same paragraphs), sketched too."""
    sets, sigs = _signed_sets(batch, settings.shingle_size, drop, settings, lsh_width(settings), 1)
    values, offsets = anchors_many(sets, settings.anchor_modulus)
    if noisy is None:
        return Sketches(sets, sigs, values, offsets)
    if noisy.para_words.shape != batch.para_words.shape:
        raise ValueError("the noisy view must have the exact view's paragraphs")
    noisy_sets, noisy_sigs = _signed_sets(noisy, settings.noisy_shingle_size, drop, settings,
                                          noisy_lsh_width(settings), settings.noisy_sample)
    return Sketches(sets, sigs, values, offsets, noisy_sets, noisy_sigs)


def _signed_sets(batch: FeatureBatch, k: int, drop: np.ndarray | None, settings: Settings, width: int,
                 sample: int) -> tuple[SetBatch, np.ndarray]:
    """A batch's k-shingle sets and the first `width` MinHash columns of each set's hashes
    divisible by `sample`: in one kernel pass where there is one, else in two steps."""
    a, b = permutations(settings.num_perm, settings.seed)
    fused = shingle_minhash_many(batch, k, drop, a[:width], b[:width], sample)
    if fused is not None:
        return fused
    sets = shingle_many(batch, k, drop)
    if sample == 1:
        return sets, signatures_flat(sets.hashes, sets.offsets, settings.num_perm, settings.seed, width)
    signed = np.flatnonzero(sets.hashes % np.uint32(sample) == 0)  # sorted, so per article
    return sets, signatures_flat(sets.hashes[signed], np.searchsorted(signed, sets.offsets).astype(np.int64),
                                 settings.num_perm, settings.seed, width)


def sketch(features: Features, drop: np.ndarray | None, settings: Settings, noisy: Features | None = None) -> Sketch:
    """One article's sketch: `sketch_many` of a batch of one, with its band keys (both views;
    without `noisy`, the noisy view is empty)."""
    many = sketch_many(features.as_batch(), drop, settings, None if noisy is None else noisy.as_batch())
    body = many.sets[0]
    bands = np.zeros(0, np.uint64)
    if len(body):
        bands = band_keys(many.signatures, *lsh_params(settings.lsh_threshold, settings.num_perm))[0]
    noisy_body, noisy_bands = EMPTY, np.zeros(0, np.uint64)
    if many.noisy_sets is not None and many.noisy_signatures is not None and len(many.noisy_sets[0]):
        noisy_body = many.noisy_sets[0]
        noisy_bands = noisy_band_keys(many.noisy_signatures, settings)[0]
    return Sketch(body, bands, many.anchor_values, noisy_body, noisy_bands)

"""An article's sketch: what `scan` and `Index` compare articles by, computed the same way for both.

From an article's hashed words (`shingle.Features`) and the paragraphs judged boilerplate: its exact
body shingle set (verification), the MinHash signature columns LSH reads and their band keys
(candidate copies), and its anchors (candidate shared passages). `sketch_many` does a batch at once
(the scan's sign stage, a chunk per worker); `sketch` is a batch of one (the index, per article).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .candidates import band_keys, lsh_params
from .settings import Settings
from .shingle import FeatureBatch, Features, SetBatch, ShingleSet, anchors_many, shingle_many
from .sign import signatures_flat


@dataclass(frozen=True)
class Sketches:
    """The sketches of a batch of articles, row i for article i."""

    sets: SetBatch
    #: uint32 (n, bands * rows): the first permutations of the MinHash signature, those LSH reads.
    signatures: np.ndarray
    anchor_values: np.ndarray   # uint32, every article's anchors one after another
    anchor_offsets: np.ndarray  # int64 (n + 1): where each article's anchors start


@dataclass(frozen=True)
class Sketch:
    """One article's sketch (see the module docstring)."""

    shingles: ShingleSet
    bands: np.ndarray    # uint64 LSH band keys, as scan groups articles by (none for an empty body)
    anchors: np.ndarray  # uint32


def lsh_width(settings: Settings) -> int:
    """How many signature columns LSH reads: bands x rows for the settings' threshold."""
    bands, rows = lsh_params(settings.lsh_threshold, settings.num_perm)
    return bands * rows


def sketch_many(batch: FeatureBatch, drop: np.ndarray | None, settings: Settings) -> Sketches:
    """The sketches of every article of a batch; `drop` (bool, one per paragraph of the batch)
    marks its boilerplate."""
    sets = shingle_many(batch, settings.shingle_size, drop)
    sigs = signatures_flat(sets.hashes, sets.offsets, settings.num_perm, settings.seed, lsh_width(settings))
    values, offsets = anchors_many(sets, settings.anchor_modulus)
    return Sketches(sets, sigs, values, offsets)


def sketch(features: Features, drop: np.ndarray | None, settings: Settings) -> Sketch:
    """One article's sketch: `sketch_many` of a batch of one, with its band keys."""
    many = sketch_many(features.as_batch(), drop, settings)
    body = many.sets[0]
    if len(body):
        bands = band_keys(many.signatures, *lsh_params(settings.lsh_threshold, settings.num_perm))[0]
    else:
        bands = np.zeros(0, np.uint64)
    return Sketch(body, bands, many.anchor_values)

"""Decide how two articles relate, from their exact body shingle sets.

This is the single place where `duplicate`, `copy` and `partial` are defined; `scan` and `Index`
both call `relate`, so a corpus scan and a live index never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .settings import Settings
from .shingle import ShingleSet

DUPLICATE = "duplicate"
COPY = "copy"
PARTIAL = "partial"
#: Relations that join two articles into one cluster (partial reuse is reported, never merged).
CLUSTERING = frozenset({DUPLICATE, COPY})


@dataclass(frozen=True)
class Relation:
    """A verified relation between articles a and b, with the figures that decided it."""

    relation: str
    jaccard: float
    containment_a_in_b: float
    containment_b_in_a: float
    shared: int


def overlap(a: ShingleSet, b: ShingleSet) -> tuple[int, int]:
    """(shared shingles, shared shingles unquoted on both sides)."""
    if len(a) == 0 or len(b) == 0:
        return 0, 0
    if len(a) > len(b):
        a, b = b, a
    # Look the smaller sorted set up in the larger: cheaper than intersect1d's sort of both.
    idx = np.searchsorted(b.hashes, a.hashes)
    idx[idx == len(b)] = 0
    hit = b.hashes[idx] == a.hashes
    return int(np.count_nonzero(hit)), int(np.count_nonzero(a.unquoted[hit] & b.unquoted[idx[hit]]))


def relate(a: ShingleSet, b: ShingleSet, settings: Settings, *,
           same_words: bool = False) -> Relation | None:
    """The relation between two articles, or None when neither reuses the other.

    `same_words` says the two full texts have the same word sequence (up to whitespace, case,
    quotes and punctuation): that, and only that, is a `duplicate`. Otherwise a pair is a `copy`
    when most of the shorter body is found in the other, and `partial` when they share a passage
    of about a paragraph outside quotation marks but most of both differs.
    """
    shared, shared_unquoted = overlap(a, b)
    na, nb = len(a), len(b)
    union = na + nb - shared
    jaccard = shared / union if union else (1.0 if same_words else 0.0)
    c_ab = shared / na if na else (1.0 if same_words else 0.0)
    c_ba = shared / nb if nb else (1.0 if same_words else 0.0)
    if same_words:
        return Relation(DUPLICATE, jaccard, c_ab, c_ba, shared)
    if shared == 0:
        return None
    smaller = min(na, nb)
    if max(c_ab, c_ba) >= settings.copy_containment and shared >= min(settings.copy_min_shared, smaller):
        return Relation(COPY, jaccard, c_ab, c_ba, shared)
    if shared_unquoted >= settings.partial_min_shared:
        return Relation(PARTIAL, jaccard, c_ab, c_ba, shared)
    return None

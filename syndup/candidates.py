"""Find candidate pairs without comparing every article with every other.

Two sources, both sort-based and vectorized: MinHash LSH bands (articles whose signatures agree on
a whole band) catch copies; anchors (a consistent sample of rare shingles) catch a shared passage
inside otherwise different articles. Groups bigger than `max_group` are linked as a star, to a
center reused from band to band, so a story with 5,000 copies costs about ten pairs per copy, not
12.5 million. LSH runs one band at a time, so memory stays at a few arrays of one key per article.
Candidates are only candidates: `verify` decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterable, Protocol, Sequence

import numpy as np

from .shingle import _fmix64


@lru_cache(maxsize=32)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) that datasketch's MinHashLSH would choose for this threshold.

    The same search as datasketch's `_optimal_param` (weights 0.5/0.5): the (b, r) with the least
    false positive plus false negative probability mass. Its integrands are polynomials of degree
    b * r <= num_perm, which Gauss-Legendre quadrature with num_perm / 2 + 1 nodes integrates
    exactly, so this needs neither scipy nor datasketch (a test checks the answers against it).
    """
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 2)
    best, opt = float("inf"), (0, 0)
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = _integral(lambda s: 1 - (1 - s ** float(r)) ** float(b), 0.0, threshold, nodes, weights)
            fn = _integral(lambda s: (1 - s ** float(r)) ** float(b), threshold, 1.0, nodes, weights)
            error = fp * 0.5 + fn * 0.5
            if error < best:
                best, opt = error, (b, r)
    return opt


def _integral(f: Callable[[np.ndarray], np.ndarray], lo: float, hi: float, nodes: np.ndarray,
              weights: np.ndarray) -> float:
    half = (hi - lo) / 2
    return float(half * np.dot(weights, f(lo + half * (nodes + 1))))


_BAND_SALT = np.uint64(0xD6E8FEB86659FD93)


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per (article, band): equal keys mean the band's rows are all equal."""
    return np.stack([band_key(signatures, b, rows) for b in range(bands)], axis=1) if bands else \
        np.zeros((signatures.shape[0], 0), dtype=np.uint64)


def band_key(signatures: np.ndarray, band: int, rows: int, select: np.ndarray | None = None) -> np.ndarray:
    """One 64-bit key per article for one band (columns band * rows ... band * rows + rows - 1),
    for every row of `signatures` or the rows `select`."""
    key = np.zeros(signatures.shape[0] if select is None else select.shape[0], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(rows):
            col = signatures[:, band * rows + j] if select is None else signatures[select, band * rows + j]
            col = col.astype(np.uint64)
            key = _fmix64(key * np.uint64(0x9E3779B97F4A7C15) + col + np.uint64(j + 1))
    # Salted per band, so that equal keys of different bands never meet when grouped together.
    return key ^ np.uint64((band * int(_BAND_SALT)) & 0xFFFFFFFFFFFFFFFF)


@dataclass
class Hubs:
    """Star centers made so far (over LSH bands), and the centers each doc is linked to."""

    centers: set[int] = field(default_factory=set)
    links: dict[int, set[int]] = field(default_factory=dict)


def group_pairs(keys: np.ndarray, docs: np.ndarray, max_group: int, hubs: Hubs | None = None) -> np.ndarray:
    """Pairs (i < j) of docs sharing a key: all pairs in small groups, a star in big ones.

    A star's center is its first doc. Given `hubs` (from earlier calls; updated here), a group
    holding a center already made is linked as a star to the first such center, and a member
    already linked to a center of the group is not linked again: over many LSH bands, a family
    of 5,000 copies keeps linking to the same few centers instead of a new star in every band.
    Without groups bigger than `max_group` no center is ever made, and nothing changes.
    Returns an int64 array of shape (m, 2), possibly with repeats.
    """
    if keys.shape[0] < 2:
        return np.zeros((0, 2), dtype=np.int64)
    if np.all(docs[1:] > docs[:-1]):  # docs already in order: a stable sort by key is enough
        order = np.argsort(keys, kind="stable")
    else:
        order = np.lexsort((docs, keys))
    keys, docs = keys[order], docs[order]
    boundary = np.concatenate([[True], keys[1:] != keys[:-1]])
    starts = np.flatnonzero(boundary)
    sizes = np.diff(np.concatenate([starts, [keys.shape[0]]]))
    out: list[np.ndarray] = []
    for g in sorted(np.unique(sizes[sizes >= 2]).tolist(), reverse=True):  # big groups make hubs first
        g_starts = starts[sizes == g]
        members = docs[g_starts[:, None] + np.arange(g)[None, :]]
        if hubs is None:
            if g > max_group:
                out.extend(_star(row, int(row[0])) for row in members)
                continue
        else:
            known = np.fromiter(hubs.centers, dtype=np.int64, count=len(hubs.centers))
            held = np.isin(members, known) if known.shape[0] else np.zeros(members.shape, dtype=bool)
            star = held.any(axis=1) | (g > max_group)
            for row, mask in zip(members[star], held[star]):
                here = row[mask]
                center = int(here[0]) if here.shape[0] else int(row[0])
                hubs.centers.add(center)
                present = set(here.tolist()) | {center}
                fresh = [d for d in row.tolist() if d != center and not (hubs.links.get(d, set()) & present)]
                for d in fresh:
                    hubs.links.setdefault(d, set()).add(center)
                out.append(_star(np.array([center] + fresh, dtype=np.int64), center))
            members = members[~star]
        iu, ju = _all_pairs(g)
        out.append(np.stack([members[:, iu].ravel(), members[:, ju].ravel()], axis=1))
    if not out:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate(out).astype(np.int64)
    pairs.sort(axis=1)
    return pairs[pairs[:, 0] != pairs[:, 1]]


@lru_cache(maxsize=64)
def _all_pairs(g: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(g, k=1)  # type: ignore[return-value]


def _star(members: np.ndarray, center: int) -> np.ndarray:
    others = members[members != center]
    return np.stack([np.full(others.shape[0], center, dtype=np.int64), others], axis=1)


def lsh_pairs(signatures: np.ndarray, docs: np.ndarray, bands: int, rows: int, max_group: int,
              select: np.ndarray | None = None) -> np.ndarray:
    """Candidate pairs from LSH banding of the articles `docs`, without repeats: their signatures
    are the rows of `signatures`, or its rows `select` (one per doc, no copy made).
    One band at a time, so memory stays at a few arrays of one key per article."""
    if docs.shape[0] < 2:
        return np.zeros((0, 2), dtype=np.int64)
    rows_of = np.arange(signatures.shape[0]) if select is None else select
    empty = np.ones(rows_of.shape[0], dtype=bool)
    for c in range(signatures.shape[1]):
        empty &= signatures[rows_of, c] == np.uint32(0xFFFFFFFF)
    rows_of, docs = rows_of[~empty], docs[~empty]
    n = int(docs.max()) + 1 if docs.shape[0] else 0
    codes = [np.zeros(0, dtype=np.int64)]
    hubs = Hubs()
    for b in range(bands):
        pairs = group_pairs(band_key(signatures, b, rows, rows_of), docs, max_group, hubs)
        if pairs.shape[0]:
            codes.append(np.unique(pairs[:, 0] * n + pairs[:, 1]))
    found = np.unique(np.concatenate(codes))
    return np.stack([found // n, found % n], axis=1)


def anchor_pairs(anchors: Sequence[np.ndarray], min_shared: int, max_df: int) -> np.ndarray:
    """Pairs of articles sharing at least `min_shared` anchors, ignoring anchors in more than
    `max_df` articles (common phrases, or families LSH already links)."""
    lengths = np.fromiter((a.shape[0] for a in anchors), dtype=np.int64, count=len(anchors))
    if lengths.sum() == 0:
        return np.zeros((0, 2), dtype=np.int64)
    values = np.concatenate(anchors)
    docs = np.repeat(np.arange(len(anchors), dtype=np.int64), lengths)
    return anchor_pairs_flat(values, docs, len(anchors), min_shared, max_df)


def anchor_pairs_flat(values: np.ndarray, docs: np.ndarray, n: int, min_shared: int, max_df: int) -> np.ndarray:
    """`anchor_pairs` over flat arrays: anchor `values[i]` belongs to article `docs[i]` (of `n`);
    each article's anchors are distinct."""
    return anchor_pairs_parts([(values, docs)], n, min_shared, max_df)


class Counter(Protocol):
    """Sums counts of int64 codes (see `syndup.spill.PairCounter`, which does it on disk)."""

    def add(self, codes: np.ndarray, counts: np.ndarray) -> None: ...

    def at_least(self, minimum: int) -> np.ndarray: ...


def anchor_pairs_parts(parts: Iterable[tuple[np.ndarray, np.ndarray]], n: int, min_shared: int,
                       max_df: int, counter: Counter | None = None) -> np.ndarray:
    """`anchor_pairs_flat` over anchors split into parts by value (every occurrence of a value in
    one part), one part in memory at a time; with `counter`, the pairs' counts are summed there."""
    found, counts = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    held = merged = 0
    for values, docs in parts:
        if values.shape[0] == 0:
            continue
        values = values.astype(np.uint64)
        _, inverse, df = np.unique(values, return_inverse=True, return_counts=True)
        rare = (df[inverse] >= 2) & (df[inverse] <= max_df)
        pairs = group_pairs(values[rare], docs[rare].astype(np.int64), max_df)
        if pairs.shape[0]:
            uniq, c = np.unique(pairs[:, 0] * n + pairs[:, 1], return_counts=True)
            if counter is not None:
                counter.add(uniq, c)
                continue
            found.append(uniq)
            counts.append(c)
            held += uniq.shape[0]
            if held > 2 * merged + (1 << 20):  # a pair recurs in many parts: merge now and then
                found, counts = _merge_counts(found, counts)
                held = merged = found[0].shape[0]
    if counter is not None:
        hit = counter.at_least(min_shared)
    else:
        (codes,), (shared,) = _merge_counts(found, counts)
        hit = codes[shared >= min_shared]
    return np.stack([hit // n, hit % n], axis=1)


def _merge_counts(codes: list[np.ndarray], counts: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """One array of distinct codes and their summed counts."""
    uniq, inverse = np.unique(np.concatenate(codes), return_inverse=True)
    total = np.bincount(inverse, weights=np.concatenate(counts), minlength=uniq.shape[0])
    return [uniq], [total.astype(np.int64)]


def unique_pairs(*arrays: np.ndarray, n: int) -> np.ndarray:
    """The union of several pair arrays, without repeats, sorted."""
    parts = [a for a in arrays if a.shape[0]]
    if not parts:
        return np.zeros((0, 2), dtype=np.int64)
    allp = np.concatenate(parts)
    codes = np.unique(allp[:, 0] * n + allp[:, 1])
    return np.stack([codes // n, codes % n], axis=1)

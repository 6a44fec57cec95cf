"""Find candidate pairs without comparing every article with every other.

Two sources, both sort-based and vectorized: MinHash LSH bands (articles whose signatures agree on
a whole band) catch copies; anchors (a consistent sample of rare shingles) catch a shared passage
inside otherwise different articles. LSH groups of up to `max_group` articles give all their pairs;
bigger ones are kept and linked later, as verification goes (`link_groups`): about one verified
link per copy, so a story with 5,000 copies costs about 5,000 pairs, not 12.5 million. LSH runs
one band at a time, so memory stays at a few arrays of one key per article. Candidates are only
candidates: `verify` decides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Protocol

import numpy as np

from . import kernel
from .sign import fmix, repeated_keys
from .verify import ranges

if TYPE_CHECKING:  # pragma: no cover
    from .settings import Settings


@lru_cache(maxsize=32)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) that datasketch's MinHashLSH would choose for this threshold.

    The same search as datasketch's `_optimal_param` (weights 0.5/0.5): the (b, r) with the least
    false positive plus false negative probability mass. Its integrands are polynomials of degree
    b * r <= num_perm, which Gauss-Legendre quadrature with num_perm / 2 + 1 nodes integrates
    exactly, so this needs neither scipy nor datasketch (a test checks the answers against it).
    The default settings' answers are known (`KNOWN_LSH_PARAMS`): every process of a scan asks.
    """
    known = KNOWN_LSH_PARAMS.get((threshold, num_perm))
    return known if known is not None else search_lsh_params(threshold, num_perm)


#: `search_lsh_params` of the default settings' thresholds (exact view 0.2, noisy view 0.4) for 128
#: permutations, which takes a process about 50 ms of numpy (a test checks them against the search).
KNOWN_LSH_PARAMS: dict[tuple[float, int], tuple[int, int]] = {(0.2, 128): (28, 2), (0.4, 128): (32, 4)}


def search_lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """`lsh_params` by searching every (bands, rows) (see there)."""
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 2)
    best, opt = float("inf"), (0, 0)
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = _integral(partial(_caught, rows=float(r), bands=float(b)), 0.0, threshold, nodes, weights)
            fn = _integral(partial(_missed, rows=float(r), bands=float(b)), threshold, 1.0, nodes, weights)
            error = fp * 0.5 + fn * 0.5
            if error < best:
                best, opt = error, (b, r)
    return opt


def _caught(s: np.ndarray, rows: float, bands: float) -> np.ndarray:
    """The chance that pairs of Jaccard s share at least one whole band."""
    return 1 - (1 - s ** rows) ** bands


def _missed(s: np.ndarray, rows: float, bands: float) -> np.ndarray:
    """The chance that pairs of Jaccard s share no whole band."""
    return (1 - s ** rows) ** bands


def _integral(f: Callable[[np.ndarray], np.ndarray], lo: float, hi: float, nodes: np.ndarray,
              weights: np.ndarray) -> float:
    half = (hi - lo) / 2
    return float(half * np.dot(weights, f(lo + half * (nodes + 1))))


_BAND_SALT = np.uint64(0xD6E8FEB86659FD93)


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per (article, band): equal keys mean the band's rows are all equal. The keys
    `band_key` gives one band at a time (scan's grouping), all bands at once (an index's buckets)."""
    sig = signatures[:, :bands * rows].reshape(signatures.shape[0], bands, rows)
    key = np.zeros((signatures.shape[0], bands), dtype=np.uint64)
    for j in range(rows):
        key = _mix(key, sig[:, :, j], j)
    return key ^ _salt(np.arange(bands, dtype=np.uint64))


_NOISY_SALT = np.uint64(0x8EBC6AF09C88C6E3)


def noisy_band_keys(signatures: np.ndarray, settings: Settings) -> np.ndarray:
    """`band_keys` of the noisy view's signatures (its own LSH parameters), salted so that they
    never equal an exact band key: an index keeps both in one table of buckets."""
    bands, rows = lsh_params(settings.noisy_lsh_threshold, settings.num_perm)
    with np.errstate(over="ignore"):
        return fmix(band_keys(signatures, bands, rows) ^ _NOISY_SALT)


def band_key(signatures: np.ndarray, band: int, rows: int, select: np.ndarray | None = None) -> np.ndarray:
    """One 64-bit key per article for one band (columns band * rows ... band * rows + rows - 1),
    for every row of `signatures` or the rows `select`."""
    key = np.zeros(signatures.shape[0] if select is None else select.shape[0], dtype=np.uint64)
    columns = slice(band * rows, band * rows + rows)
    block = signatures[:, columns] if select is None else signatures[select, columns]  # one gather, not one a row
    for j in range(rows):
        key = _mix(key, block[:, j], j)
    return key ^ _salt(np.uint64(band))


def _mix(key: np.ndarray, column: np.ndarray, j: int) -> np.ndarray:
    """A band key so far, with the band's row j folded in."""
    with np.errstate(over="ignore"):
        return fmix(key * np.uint64(0x9E3779B97F4A7C15) + column.astype(np.uint64) + np.uint64(j + 1))


def _salt(band: np.ndarray | np.uint64) -> np.ndarray:
    """Each band's salt, so that equal keys of different bands never meet when grouped together."""
    with np.errstate(over="ignore"):
        return band * _BAND_SALT


def _sorted_groups(keys: np.ndarray, docs: np.ndarray, with_keys: bool = False) -> tuple[np.ndarray, ...]:
    """The docs of keys held by two or more, sorted by key (then doc), and the start and size of
    each run of equal keys (and the sorted keys, `with_keys`). Most keys are held by one doc: the
    keys alone are sorted first (no order array), and only the repeated ones are ordered with their docs."""
    repeated = repeated_keys(keys)
    order = repeated[np.lexsort((docs[repeated], keys[repeated]))]
    keys, docs = keys[order], docs[order]
    boundary = np.concatenate([[True] if keys.shape[0] else [], keys[1:] != keys[:-1]]).astype(bool)
    starts = np.flatnonzero(boundary)
    sizes = np.diff(np.concatenate([starts, [keys.shape[0]]]))
    return (docs, starts, sizes, keys) if with_keys else (docs, starts, sizes)


def distinct(values: np.ndarray) -> np.ndarray:
    """`np.unique(values)` of a one-dimensional array, by one sort (without numpy's hashing pass)."""
    ordered = np.sort(values)
    if ordered.shape[0] < 2:
        return ordered
    return ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])]


def _clique_pairs(docs: np.ndarray, starts: np.ndarray, sizes: np.ndarray, max_group: int) -> list[np.ndarray]:
    """Every pair within each group of 2 .. max_group docs, one array per group size."""
    out: list[np.ndarray] = []
    small = (sizes >= 2) & (sizes <= max_group)
    for g in np.unique(sizes[small]).tolist():
        members = docs[starts[sizes == g][:, None] + np.arange(g)[None, :]]
        iu, ju = _all_pairs(g)
        out.append(np.stack([members[:, iu].ravel(), members[:, ju].ravel()], axis=1))
    return out


def _ordered(pairs: list[np.ndarray]) -> np.ndarray:
    """The pairs as one int64 (m, 2) array with i < j, self-pairs dropped (repeats kept)."""
    if not pairs:
        return np.zeros((0, 2), dtype=np.int64)
    out = np.concatenate(pairs).astype(np.int64)
    lo, hi = np.minimum(out[:, 0], out[:, 1]), np.maximum(out[:, 0], out[:, 1])
    keep = lo != hi
    return np.stack([lo[keep], hi[keep]], axis=1)


def group_pairs(keys: np.ndarray, docs: np.ndarray, max_group: int) -> np.ndarray:
    """Pairs (i < j) of docs sharing a key: all pairs in groups of up to `max_group` docs, a star
    around the first doc in bigger ones. Returns an int64 array of shape (m, 2), possibly with repeats.
    """
    if keys.shape[0] < 2:
        return np.zeros((0, 2), dtype=np.int64)
    docs, starts, sizes = _sorted_groups(keys, docs)
    out = _clique_pairs(docs, starts, sizes, max_group)
    for start, size in zip(starts[sizes > max_group].tolist(), sizes[sizes > max_group].tolist()):
        out.append(_star(docs[start:start + size], int(docs[start])))
    return _ordered(out)


@lru_cache(maxsize=64)
def _all_pairs(g: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(g, k=1)


def _star(members: np.ndarray, center: int) -> np.ndarray:
    others = members[members != center]
    return np.stack([np.full(others.shape[0], center, dtype=np.int64), others], axis=1)


@dataclass
class Banding:
    """LSH banding of a corpus: every pair of each small group, and the members of each big one.

    Big groups are kept rather than linked here, because how to link them best depends on what
    verification has already joined (see `link_groups`).
    """

    pairs: np.ndarray  # int64 (m, 2), i < j, distinct and sorted: the pairs of groups of <= max_group
    big: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # per band: members, group offsets
    #: per doc number: the summed size of the big groups it is in. The copy that kept most of a
    #: story sits in its biggest group in every band, so it scores highest.
    centrality: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


    def in_big(self, pairs: np.ndarray) -> np.ndarray:
        """Which of `pairs` join two articles that are both members of big groups."""
        big = np.zeros(int(pairs.max()) + 1 if pairs.shape[0] else 0, dtype=bool)
        m = min(big.shape[0], self.centrality.shape[0])
        big[:m] = self.centrality[:m] > 0
        return big[pairs[:, 0]] & big[pairs[:, 1]] if pairs.shape[0] else np.zeros(0, dtype=bool)


def lsh_banding(signatures: np.ndarray, docs: np.ndarray, bands: int, rows: int, max_group: int,
                select: np.ndarray | None = None) -> Banding:
    """LSH banding of the articles `docs`: their signatures are the rows of `signatures`, or its
    rows `select` (one per doc, no copy made). Articles whose signature is empty are left out.
    One band at a time, so memory stays at a few arrays of one key per article (and the members
    of big groups, a small share of a corpus)."""
    n = int(docs.max()) + 1 if docs.shape[0] else 0
    rows_of = np.arange(signatures.shape[0]) if select is None else select
    rows_of, docs = _signed(signatures, rows_of, docs)
    keys = _band_keys_of(signatures, rows_of, bands if docs.shape[0] >= 2 else 0, rows)
    found = [band_groups(keys(b), docs, max_group, n, b) for b in range(bands if docs.shape[0] >= 2 else 0)]
    return merge_bands(found, n)


def _band_keys_of(signatures: np.ndarray, rows_of: np.ndarray, bands: int,
                  rows: int) -> Callable[[int], np.ndarray]:
    """`band_key(signatures, b, rows, rows_of)` by band b: every band's keys made at once by the C
    kernel where there is one (a few bytes an article a band), else one band at a time."""
    k = kernel.KERNEL
    if k is None or not hasattr(k, "band_keys") or not bands or signatures.shape[1] < bands * rows:
        return partial(band_key, signatures, rows=rows, select=rows_of)
    made = k.band_keys(np.ascontiguousarray(signatures, dtype=np.uint32), signatures.shape[1],
                       np.ascontiguousarray(rows_of, dtype=np.int64), bands, rows)
    keys = np.frombuffer(made, dtype=np.uint64).reshape(bands, rows_of.shape[0])
    return keys.__getitem__


def _signed(signatures: np.ndarray, rows_of: np.ndarray, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows and docs of those articles whose signature is not empty (all 0xFFFFFFFF)."""
    empty = (signatures[rows_of, 0] == np.uint32(0xFFFFFFFF) if signatures.shape[1]  # every column so, checked
             else np.ones(rows_of.shape[0], dtype=bool))                            # where the first is
    maybe = np.flatnonzero(empty)
    empty[maybe] = (signatures[rows_of[maybe]] == np.uint32(0xFFFFFFFF)).all(axis=1)
    return rows_of[~empty], docs[~empty]


@dataclass(frozen=True)
class BandGroups:
    """One band's LSH groups (or those of some of its keys): the distinct codes (i * n + j) of the
    pairs of groups of 2 .. max_group docs; the bigger groups' keys, sizes and members (each
    group's docs in order, one group after another, by key)."""

    band: int
    codes: np.ndarray
    big_keys: np.ndarray
    big_sizes: np.ndarray
    big_members: np.ndarray


def band_groups(keys: np.ndarray, docs: np.ndarray, max_group: int, n: int, band: int) -> BandGroups:
    """The groups of `docs` by their band `keys` (see `BandGroups`)."""
    sorted_docs, starts, sizes, sorted_keys = _sorted_groups(keys, docs, with_keys=True)
    pairs = _ordered(_clique_pairs(sorted_docs, starts, sizes, max_group))
    large = sizes > max_group
    return BandGroups(band, distinct(pairs[:, 0] * n + pairs[:, 1]), sorted_keys[starts[large]], sizes[large],
                      sorted_docs[ranges(starts[large], sizes[large])[0]])


def band_rows(block: dict[str, np.ndarray], views: Sequence[tuple[str, int, int]]) -> dict[str, np.ndarray]:
    """Rows (band, key, doc) of every band of a block of articles ("doc", and a signature column
    per view: (column, bands, rows)), those with an empty signature left out: what a group-by of
    band keys takes (see `band_parts`). The views' bands are numbered one after another."""
    out: dict[str, list[np.ndarray]] = {"band": [np.zeros(0, np.int64)], "key": [np.zeros(0, np.uint64)],
                                        "doc": [np.zeros(0, np.int64)]}
    first = 0
    for column, bands, rows in views:
        signatures = block[column]
        rows_of, docs = _signed(signatures, np.arange(signatures.shape[0]), block["doc"].astype(np.int64))
        out["band"].append(np.repeat(np.arange(first, first + bands, dtype=np.int64), docs.shape[0]))
        out["key"] += [band_key(signatures, b, rows, rows_of) for b in range(bands)]
        out["doc"].append(np.tile(docs, bands))
        first += bands
    return {c: np.concatenate(v) for c, v in out.items()}


def band_parts(part: dict[str, np.ndarray], max_group: int, n: int) -> list[BandGroups]:
    """`band_groups` of every band in a part of the rows `band_rows` gives (all rows of a key in it)."""
    band = part["band"]
    return [band_groups(part["key"][band == b], part["doc"][band == b], max_group, n, b)
            for b in np.unique(band).tolist()]


def merge_bands(found: Iterable[BandGroups], n: int, bands: range | None = None) -> Banding:
    """The `Banding` of the groups of all bands (or those in `bands`; a band's keys possibly split
    between parts): big groups band by band, by key, as one pass over each whole band gives them."""
    found = [f for f in found if bands is None or f.band in bands]
    centrality = np.zeros(n, dtype=np.int64)
    codes = distinct(np.concatenate([np.zeros(0, dtype=np.int64)] + [f.codes for f in found]))
    small_dtype = np.int32 if n < 2 ** 31 else np.int64
    big: list[tuple[np.ndarray, np.ndarray]] = []
    for b in sorted({f.band for f in found}):
        mine = [f for f in found if f.band == b and f.big_sizes.shape[0]]
        if not mine:
            continue
        keys = np.concatenate([f.big_keys for f in mine])
        sizes = np.concatenate([f.big_sizes for f in mine])
        flat = np.concatenate([f.big_members for f in mine])
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        order = np.argsort(keys, kind="stable")
        members = flat[ranges(starts[order], sizes[order])[0]].astype(small_dtype)
        offsets = np.concatenate([[0], np.cumsum(sizes[order])])
        centrality[members] += np.repeat(sizes[order], sizes[order])
        big.append((members, offsets))
    return Banding(np.stack([codes // max(n, 1), codes % max(n, 1)], axis=1), big, centrality)


class Joined(Protocol):
    """What `link_groups` needs of connected components (see `syndup.cluster.Components`)."""

    def find(self, x: np.ndarray) -> np.ndarray: ...

    def union(self, pairs: np.ndarray) -> None: ...


def link_groups(banding: Banding, joined: Joined, confirm: Callable[[np.ndarray], np.ndarray],
                prefer: np.ndarray | None = None, tries: int = 4) -> None:
    """Join the members of every big LSH group with about one verified link each, not all pairs.

    Band by band, each big group's members are split by the component of `joined` they are in
    already; a group all in one component is skipped. Otherwise the group's hub is the most
    central member of its largest component: the one of highest `Banding.centrality` (a copy
    that kept most of the story), then the most `prefer`red (say, the longest), then the first.
    Every other component links its own most central member of the group to the hub; `confirm`
    verifies the links and says which join, and those are merged in `joined`. A link that was
    tried already goes, in later bands, to the hub of the group's second or third component (a
    second story sharing the group), then to the next most central members of those three (up to
    `tries` each), so one odd hub never strands a copy. All of this is a function of the docs'
    numbers and content, never of the input order, and costs at most one link per component per
    band: a story with 5,000 copies costs about 5,000 pairs.
    """
    if not banding.big:
        return
    n = banding.centrality.shape[0]
    weight = np.zeros(n, dtype=np.float64) if prefer is None else np.asarray(prefer, dtype=np.float64)[:n]
    rank = np.empty(n, dtype=np.int64)
    rank[np.lexsort((np.arange(n), -weight, -banding.centrality))] = np.arange(n)
    tried = np.zeros(0, dtype=np.int64)
    for members, offsets in banding.big:
        pairs = _links(members.astype(np.int64), offsets, joined, rank, tried, n, tries)
        if not pairs.shape[0]:
            continue
        tried = np.sort(np.concatenate([tried, pairs[:, 0] * n + pairs[:, 1]]))
        ok = np.asarray(confirm(pairs), dtype=bool)
        if ok.any():
            joined.union(pairs[ok])


def _links(members: np.ndarray, offsets: np.ndarray, joined: Joined, rank: np.ndarray, tried: np.ndarray,
           n: int, tries: int) -> np.ndarray:
    """One band's links (i < j, distinct, none in `tried`): see `link_groups`."""
    group = np.repeat(np.arange(offsets.shape[0] - 1), np.diff(offsets))
    label = joined.find(members)
    order = np.lexsort((rank[members], label, group))
    members, label, group = members[order], label[order], group[order]
    # Segments: the members of one group in one component, most central first.
    new = np.ones(members.shape[0], dtype=bool)
    new[1:] = (group[1:] != group[:-1]) | (label[1:] != label[:-1])
    seg_start = np.flatnonzero(new)
    seg_size = np.diff(np.append(seg_start, members.shape[0]))
    seg_group = group[seg_start]
    # Each group's segments by size, then by their most central member: the first is the main one.
    by_group = np.lexsort((rank[members[seg_start]], -seg_size, seg_group))
    firsts = np.flatnonzero(np.r_[True, seg_group[by_group][1:] != seg_group[by_group][:-1]])
    place = np.empty(seg_start.shape[0], dtype=np.int64)
    place[by_group] = np.arange(by_group.shape[0]) - np.repeat(firsts, np.diff(np.append(firsts, by_group.shape[0])))
    others = np.flatnonzero(place > 0)
    if not others.shape[0]:
        return np.zeros((0, 2), dtype=np.int64)
    top = np.full((offsets.shape[0] - 1, 3), -1, dtype=np.int64)  # each group's three first segments
    lead = place[by_group] < 3
    top[seg_group[by_group][lead], place[by_group][lead]] = by_group[lead]
    # Each other segment sends its most central member to the first partner not tried yet: the
    # main segment's hub, then the second's and third's (so that copies of a second story in the
    # same groups join each other), then each of their next most central members.
    rep = members[seg_start[others]]
    out: list[np.ndarray] = []
    pending = np.arange(others.shape[0])
    for level in range(tries):
        for j in range(3):
            target = top[seg_group[others[pending]], j]
            ok = (target >= 0) & (place[others[pending]] != j)
            ok[ok] = seg_size[target[ok]] > level
            cand = pending[ok]
            partner = members[seg_start[target[ok]] + level]
            pairs = np.stack([np.minimum(rep[cand], partner), np.maximum(rep[cand], partner)], axis=1)
            codes = pairs[:, 0] * n + pairs[:, 1]
            at = np.minimum(np.searchsorted(tried, codes), max(tried.shape[0] - 1, 0))
            fresh = tried[at] != codes if tried.shape[0] else np.ones(codes.shape[0], dtype=bool)
            out.append(codes[fresh])
            pending = np.setdiff1d(pending, cand[fresh], assume_unique=True)
            if not pending.shape[0]:
                break
        if not pending.shape[0]:
            break
    codes = np.unique(np.concatenate(out))
    return np.stack([codes // n, codes % n], axis=1)


@dataclass(frozen=True)
class AnchorRule:
    """When shared anchors make two articles a candidate shared passage, in scan and index alike.

    An anchor held by 2 to `max_df` articles is whole evidence for every pair of them. One held by
    more, up to `max_hub_df`, is a recurring sentence, or a passage of a story with many copies: it
    is a third of that, and only between its hub (`anchor_hub`) and each other holder. A passage's anchors are held by the same
    articles, so they share one hub: a page quoting a story with many copies is still paired with
    one of them, while sentences recurring in many articles, each with its own hub, make few pairs,
    and an anchor costs at most max(`max_df` choose 2, `max_hub_df`) pairs. Anchors held by more
    than `max_hub_df` articles are common phrases, ignored. A pair needs `min_shared` anchors' worth.
    """

    min_shared: int
    max_df: int
    max_hub_df: int

    #: an anchor's evidence in thirds: whole (held by up to max_df articles), a third (up to max_hub_df)
    WHOLE, THIRD = 3, 1

    @classmethod
    def of(cls, settings: Settings) -> AnchorRule:
        """The rule of these settings (`anchor_min_shared`, `anchor_max_df`, `max_bucket_pairs`)."""
        return cls(settings.anchor_min_shared, settings.anchor_max_df, max(settings.max_bucket_pairs, settings.anchor_max_df))

    @property
    def needed(self) -> int:
        """The evidence, in thirds, that makes a pair a candidate."""
        return self.WHOLE * self.min_shared


def anchor_hub(holders: Sequence[int]) -> int:
    """The hub of an anchor held by these articles (numbers), as `anchor_pairs` chooses it."""
    docs = np.asarray(holders, dtype=np.int64)
    one_run = np.arange(docs.shape[0]) == 0
    return int(docs[np.argmin(_hub_keys(docs, one_run))])


def _hub_keys(docs: np.ndarray, first: np.ndarray) -> np.ndarray:
    """A key per holder of runs of anchors (a run starts where `first`): the hub is the holder of
    the least key. The order is pseudo-random and depends on the set of holders, so that the
    anchors of one passage (held by the same articles) share a hub, while each recurring sentence
    (held by its own set) has a hub of its own, and no article is the hub of all it holds."""
    mixed = fmix(docs.astype(np.uint64))
    with np.errstate(over="ignore"):
        holders = np.add.reduceat(mixed, np.flatnonzero(first))  # the set's key: order-free, wraps
    return fmix(mixed ^ holders[np.cumsum(first) - 1])


def anchor_pairs(anchors: Sequence[np.ndarray], rule: AnchorRule) -> np.ndarray:
    """Pairs of articles whose shared anchors are evidence of a shared passage by `rule`."""
    lengths = np.fromiter((a.shape[0] for a in anchors), dtype=np.int64, count=len(anchors))
    if lengths.sum() == 0:
        return np.zeros((0, 2), dtype=np.int64)
    values = np.concatenate(anchors)
    docs = np.repeat(np.arange(len(anchors), dtype=np.int64), lengths)
    return anchor_pairs_flat(values, docs, len(anchors), rule)


def anchor_pairs_flat(values: np.ndarray, docs: np.ndarray, n: int, rule: AnchorRule) -> np.ndarray:
    """`anchor_pairs` over flat arrays: anchor `values[i]` belongs to article `docs[i]` (of `n`);
    each article's anchors are distinct."""
    return anchor_pairs_parts([(values, docs)], n, rule)


class Counter(Protocol):
    """Sums counts of int64 codes (see `syndup.spill.PairCounter`, which does it on disk)."""

    def add(self, codes: np.ndarray, counts: np.ndarray) -> None: ...

    def at_least(self, minimum: int) -> np.ndarray: ...


def anchor_pairs_parts(parts: Iterable[tuple[np.ndarray, np.ndarray]], n: int, rule: AnchorRule,
                       counter: Counter | None = None) -> np.ndarray:
    """`anchor_pairs_flat` over anchors split into parts by value (every occurrence of a value in
    one part), one part in memory at a time; with `counter`, the pairs' evidence is summed there."""
    return anchor_pairs_merged((anchor_evidence(values, docs, n, rule) for values, docs in parts), n, rule, counter)


def anchor_evidence(values: np.ndarray, docs: np.ndarray, n: int, rule: AnchorRule) -> tuple[np.ndarray, np.ndarray]:
    """One part of the anchors (every occurrence of its values): the pair codes (i * n + j) they
    give evidence for, distinct, and the evidence of each, in thirds (see `AnchorRule`)."""
    if values.shape[0] == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return _evidence(values.astype(np.uint64), docs.astype(np.int64), n, rule)


def anchor_pairs_merged(evidence: Iterable[tuple[np.ndarray, np.ndarray]], n: int, rule: AnchorRule,
                        counter: Counter | None = None) -> np.ndarray:
    """The pairs whose evidence, summed over the parts' (`anchor_evidence`), makes them candidates;
    with `counter`, the evidence is summed there."""
    found, counts = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    held = merged = 0
    for uniq, c in evidence:
        if uniq.shape[0]:
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
        hit = counter.at_least(rule.needed)
    else:
        (codes,), (shared,) = _merge_counts(found, counts)
        hit = codes[shared >= rule.needed]
    return np.stack([hit // n, hit % n], axis=1)


def _evidence(values: np.ndarray, docs: np.ndarray, n: int, rule: AnchorRule) -> tuple[np.ndarray, np.ndarray]:
    """The pair codes (i * n + j) that anchors `values` (held by `docs`) give evidence for, distinct,
    and the evidence of each, in thirds (see `AnchorRule`)."""
    held = repeated_keys(values)  # most anchors are held by one article: they are left out before sorting
    values, docs = values[held], docs[held]
    if n <= 1 << 32 and (not values.shape[0] or int(values.max()) < 1 << 32):  # (value, doc) as one key: one sort
        both = np.sort((values << np.uint64(32)) | docs.astype(np.uint64))
        values, docs = both >> np.uint64(32), (both & np.uint64(0xFFFFFFFF)).astype(np.int64)
    else:
        order = np.lexsort((docs, values))
        values, docs = values[order], docs[order]
    first = np.ones(values.shape[0], dtype=bool)
    first[1:] = values[1:] != values[:-1]
    starts = np.flatnonzero(first)
    sizes = np.diff(np.append(starts, values.shape[0]))  # every one 2 or more: its df
    whole = _ordered(_clique_pairs(docs, starts, sizes, rule.max_df))
    third = _hub_pairs_grouped(docs, starts, sizes, (sizes > rule.max_df) & (sizes <= rule.max_hub_df))
    codes = np.concatenate([whole[:, 0] * n + whole[:, 1], third[:, 0] * n + third[:, 1]])
    return sum_by_code(codes, np.repeat(np.array([rule.WHOLE, rule.THIRD], np.int64), [whole.shape[0], third.shape[0]]))


def sum_by_code(codes: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct int64 `codes` and the summed int64 `weights` of each, in no given order (the C
    kernel's hash table: in the order first seen; else sorted)."""
    k = kernel.KERNEL
    if k is not None and hasattr(k, "sum_by_code"):
        c, w = k.sum_by_code(np.ascontiguousarray(codes, dtype=np.int64), np.ascontiguousarray(weights, dtype=np.int64))
        return np.frombuffer(c, dtype=np.int64), np.frombuffer(w, dtype=np.int64)
    uniq, inverse = np.unique(codes, return_inverse=True)
    return uniq, np.bincount(inverse.reshape(-1), weights=weights, minlength=uniq.shape[0]).astype(np.int64)


def _hub_pairs_grouped(docs: np.ndarray, starts: np.ndarray, sizes: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Each holder of each `chosen` run of holders (`docs[starts[g]:starts[g] + sizes[g]]`, an
    anchor's holders) paired with its run's hub, the holder of least `_hub_keys` (i < j)."""
    if not chosen.any():
        return np.zeros((0, 2), dtype=np.int64)
    sizes = sizes[chosen]
    members = docs[ranges(starts[chosen], sizes)[0]]
    begin = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    first = np.zeros(members.shape[0], dtype=bool)
    first[begin] = True
    keys = _hub_keys(members, first)
    # A holder's key is a bijection of its number (given the set): one least key per run.
    hub = keys == np.repeat(np.minimum.reduceat(keys, begin), sizes)
    return _ordered([np.stack([np.repeat(members[hub], sizes - 1), members[~hub]], axis=1)])


def _merge_counts(codes: list[np.ndarray], counts: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """One array of distinct codes and their summed counts."""
    uniq, inverse = np.unique(np.concatenate(codes), return_inverse=True)
    total = np.bincount(inverse, weights=np.concatenate(counts), minlength=uniq.shape[0])
    return [uniq], [total.astype(np.int64)]


#: A pair found by the noisy view's LSH alone is verified when its estimated containment is at least
#: this share of `copy_containment` (the noisy view only makes copies: its copies estimate 0.58 or
#: more in `benchmarks/quality.py`'s OCR'd and reworded scenarios, chance pairs 0.13 for half of
#: them, 0.23 for 99%, among 100,000 articles), or when its exact signatures agree anywhere.
NOISY_CHECK = 0.5

#: Pairs whose signatures are compared at once (two rows of each pair's signatures each).
_CHECK_SLICE = 1 << 15


def equal_values(pairs: np.ndarray, signatures: np.ndarray) -> np.ndarray:
    """Per pair (i, j), how many of the columns of `signatures` hold equal values in rows i and j.
    Reads a slice of pairs at a time: no copy of the signatures."""
    out = np.empty(pairs.shape[0], dtype=np.int64)
    for lo in range(0, pairs.shape[0], _CHECK_SLICE):
        a, b = pairs[lo:lo + _CHECK_SLICE, 0], pairs[lo:lo + _CHECK_SLICE, 1]
        out[lo:lo + a.shape[0]] = np.count_nonzero(signatures[a] == signatures[b], axis=1)
    return out


def noisy_estimates(pairs: np.ndarray, signatures: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Per pair (i, j), the share of the smaller of the two sets found in the other, estimated from
    their MinHash `signatures` (the share of equal values estimates the Jaccard J) and the sets'
    `sizes`: J (|A| + |B|) / (1 + J) shared, over min(|A|, |B|)."""
    jaccard = equal_values(pairs, signatures) / max(signatures.shape[1], 1)
    na, nb = sizes[pairs[:, 0]], sizes[pairs[:, 1]]
    return np.minimum(jaccard * (na + nb) / (1 + jaccard) / np.maximum(np.minimum(na, nb), 1), 1.0)


def noisy_checked(noisy: np.ndarray, found: np.ndarray, signatures: np.ndarray, noisy_signatures: np.ndarray,
                  noisy_sizes: np.ndarray, settings: Settings, n: int) -> np.ndarray:
    """The pairs of the noisy view's LSH (`noisy`) worth verifying: those that other evidence also
    `found` (distinct, sorted, as `unique_pairs` gives); those whose `noisy_estimates` reach
    `NOISY_CHECK` of `copy_containment` (a noisy copy); and those whose exact `signatures` hold an
    equal value (they share 5-word shingles: a shared passage, a partial, is possible). The rest
    share common word pairs by chance, and grow in number with the corpus (the false positive
    check of datasketch's and NeMo's MinHash deduplication)."""
    codes, known = noisy[:, 0] * n + noisy[:, 1], found[:, 0] * n + found[:, 1]
    at = np.minimum(np.searchsorted(known, codes), max(known.shape[0] - 1, 0))
    alone = np.flatnonzero(known[at] != codes) if known.shape[0] else np.arange(noisy.shape[0])
    pairs = noisy[alone]
    low = noisy_estimates(pairs, noisy_signatures, noisy_sizes) < NOISY_CHECK * settings.copy_containment
    low[low] = equal_values(pairs[low], signatures) == 0
    keep = np.ones(noisy.shape[0], dtype=bool)
    keep[alone[low]] = False
    return noisy[keep]


def unique_pairs(*arrays: np.ndarray, n: int) -> np.ndarray:
    """The union of several pair arrays, without repeats, sorted."""
    parts = [a for a in arrays if a.shape[0]]
    if not parts:
        return np.zeros((0, 2), dtype=np.int64)
    allp = np.concatenate(parts)
    codes = distinct(allp[:, 0] * n + allp[:, 1])
    return np.stack([codes // n, codes % n], axis=1)

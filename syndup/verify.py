"""Decide how two articles relate, from their exact body shingle sets and the passage they share.

This is the single place where `duplicate`, `copy` and `partial` are defined, once: `judge` applies
the rule to overlap counts and passage lengths, `relate_many` counts and judges many pairs of a
`SetBatch` at once (a corpus scan, or an index verifying a probe against its candidates).
`relate_sets` (two sets) and `relate` (two texts) are batches of one, so a scan, an index and a
caller never disagree.

A pair that is neither a duplicate nor a copy is `partial` when the longest passage the two share
(`passage_words_many`, below) is about a paragraph. The scan keeps exact shingle sets without
positions, so passages are measured from the texts, analysed again (`sequences_many`), and only
for the pairs whose passage decides their relation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from . import kernel
from .normalize import BREAK, paragraphs, token_bytes
from .settings import Settings
from .shingle import (
    FeatureBatch,
    Features,
    SetBatch,
    ShingleSet,
    analyze_many,
    analyze_views,
    page_furniture,
    shingle_hashes,
    shingle_many,
    shingle_multipliers,
)

DUPLICATE = "duplicate"
COPY = "copy"
PARTIAL = "partial"
#: Relations that join two articles into one cluster (partial reuse is reported, never merged).
CLUSTERING = frozenset({DUPLICATE, COPY})
#: `Relations.code` values: the index of the relation in this tuple ("" for no relation).
NAMES = ("", DUPLICATE, COPY, PARTIAL)
NONE, DUPLICATE_CODE, COPY_CODE, PARTIAL_CODE = range(4)
#: The views a relation can be decided by (`Relations.view` indexes this): exact word shingles,
#: or the noisy view's (see `noisy_copies`).
VIEWS = ("exact", "noisy")
EXACT_VIEW, NOISY_VIEW = range(2)
#: Alignment windows, in words: a window of one text is looked for in windows twice as long of the other.
ALIGN_WORDS = 10
#: Verdicts on runs a scan keeps (`KnownRuns`): a few megabytes.
KNOWN_RUNS = 1 << 16
#: Pairs whose two sets hold more shingles than this are compared in several slices (memory).
_SLICE = 1 << 22
#: A set shared by this many pairs of a batch is a hub, searched on its own (see `overlap_many`).
_HUB = 16
#: A passage bridges a stretch of this many differing words (a changed word or two, a typo).
GAP_WORDS = 3
#: Paragraphs shorter than this (table rows, list items, team sheets, headings) are not prose.
PROSE_WORDS = 10
#: Given the pair positions p of a `relate_many` batch, the passage words of pairs p (or, for a
#: `covered` callback, the share of their texts each finds in the other: `covered_share_many`).
Passages = Callable[[np.ndarray], np.ndarray]
#: A pair whose shingles fall this little short of `copy_containment` has the share of its text
#: found in the other measured in words (`covered_share_many`), where shingles undercount it.
NEAR_COPY = 0.1


@dataclass(frozen=True)
class Relation:
    """A verified relation between articles a and b, with the figures that decided it.

    containment_a_in_b is the share of a's shingles found in b (and b_in_a the reverse): the names
    of the pairs table's columns and of `Match`'s figures (a: the article checked).
    """

    relation: str
    jaccard: float
    containment_a_in_b: float
    containment_b_in_a: float
    shared: int
    #: the longest passage the two share, in words (0 where not measured: duplicates, copies, and
    #: pairs sharing under `Settings.partial_min_shared` shingles not quoted in both).
    passage_words: int = 0
    #: the view whose shingles decided, and whose figures these are: "exact", or "noisy" for a
    #: copy the exact shingles fall short on (OCR'd, lightly reworded; see `noisy_copies`).
    match_view: str = "exact"


@dataclass(frozen=True)
class Relations:
    """`relate_sets` of many pairs, as arrays with one entry per pair: `code` indexes `NAMES`
    (`NONE` where neither article reuses the other; the figures are then meaningless)."""

    code: np.ndarray                # int8
    jaccard: np.ndarray             # float64
    containment_a_in_b: np.ndarray  # float64
    containment_b_in_a: np.ndarray  # float64
    shared: np.ndarray              # int64
    passage_words: np.ndarray       # int64
    view: np.ndarray                # int8: the index in `VIEWS` of the view that decided

    def __len__(self) -> int:
        return int(self.code.shape[0])

    def __getitem__(self, p: int) -> Relation | None:
        """Pair p's relation (None when neither article reuses the other)."""
        code = int(self.code[p])
        if code == NONE:
            return None
        return Relation(NAMES[code], float(self.jaccard[p]), float(self.containment_a_in_b[p]),
                        float(self.containment_b_in_a[p]), int(self.shared[p]), int(self.passage_words[p]),
                        VIEWS[int(self.view[p])])

    @property
    def clustering(self) -> np.ndarray:
        """Which pairs join one cluster (`duplicate` or `copy`)."""
        return (self.code == DUPLICATE_CODE) | (self.code == COPY_CODE)

    def take(self, index: np.ndarray) -> Relations:
        """The pairs `index` (positions or a mask), in that order."""
        return Relations(self.code[index], self.jaccard[index], self.containment_a_in_b[index],
                         self.containment_b_in_a[index], self.shared[index], self.passage_words[index],
                         self.view[index])

    @staticmethod
    def concat(parts: Sequence[Relations]) -> Relations:
        """All pairs of `parts`, one after the other."""
        if not parts:
            return Relations(np.zeros(0, np.int8), np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, np.int64),
                             np.zeros(0, np.int64), np.zeros(0, np.int8))
        return Relations(np.concatenate([p.code for p in parts]), np.concatenate([p.jaccard for p in parts]),
                         np.concatenate([p.containment_a_in_b for p in parts]),
                         np.concatenate([p.containment_b_in_a for p in parts]),
                         np.concatenate([p.shared for p in parts]), np.concatenate([p.passage_words for p in parts]),
                         np.concatenate([p.view for p in parts]))


def ranges(starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions starts[k] .. starts[k] + lengths[k] - 1 for every k, one after the other, and
    the k each position belongs to: many sets cut out of flat arrays at once."""
    owner = np.repeat(np.arange(lengths.shape[0], dtype=np.int64), lengths)
    before = np.cumsum(lengths) - lengths
    return np.arange(owner.shape[0], dtype=np.int64) + (starts - before)[owner], owner


def overlap_many(sets: SetBatch, a: np.ndarray, b: np.ndarray,
                 count_unquoted: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(shared shingles, shared shingles not quoted on both sides) of the sets a[p] and b[p] of a
    batch, for every pair p at once (the second count left at 0 unless `count_unquoted`): a
    statement two articles quote is not reuse, a text one writes and the other quotes may be.

    A set that many pairs of the batch share (a star's hub, a cluster's origin) is searched on its
    own: the other sets of its pairs are looked up in its small sorted array, which stays in cache.
    The other pairs look their smaller set up in their larger one, all in one `searchsorted`: the
    larger sets, keyed (pair, hash), are concatenated in pair order, which keeps them sorted. The C
    kernel, where built, merges each pair's two sorted sets instead (the same counts).
    """
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    kern = kernel.KERNEL
    if kern is not None:
        got = kern.overlap(np.ascontiguousarray(sets.hashes, dtype=np.uint32),
                           np.ascontiguousarray(sets.unquoted, dtype=np.bool_),
                           np.ascontiguousarray(sets.offsets, dtype=np.int64), np.ascontiguousarray(a),
                           np.ascontiguousarray(b), count_unquoted)
        return np.frombuffer(got[0], dtype=np.int64), np.frombuffer(got[1], dtype=np.int64)
    shared = np.zeros(a.shape[0], dtype=np.int64)
    unquoted = np.zeros(a.shape[0], dtype=np.int64)
    if a.shape[0] == 0:
        return shared, unquoted
    sizes = np.diff(sets.offsets)
    uses = np.bincount(np.concatenate([a, b]), minlength=sizes.shape[0])
    a_hub = (uses[a] > uses[b]) | ((uses[a] == uses[b]) & (sizes[a] > sizes[b]))
    hub, other = np.where(a_hub, a, b), np.where(a_hub, b, a)
    starred = np.flatnonzero(uses[hub] >= _HUB)
    starred = starred[np.argsort(hub[starred], kind="stable")]
    cuts = np.flatnonzero(np.diff(hub[starred])) + 1
    for mine in np.split(starred, cuts) if starred.shape[0] else []:
        h0, h1 = int(sets.offsets[hub[mine[0]]]), int(sets.offsets[hub[mine[0]] + 1])
        center, center_unquoted = sets.hashes[h0:h1], sets.unquoted[h0:h1]
        for lo, hi in slices(sizes[other[mine]]):
            part = mine[lo:hi]
            at, owner = ranges(sets.offsets[other[part]], sizes[other[part]])
            if not (at.shape[0] and center.shape[0]):
                continue
            values = sets.hashes[at]
            pos = np.minimum(np.searchsorted(center, values), center.shape[0] - 1)
            hit = center[pos] == values
            shared[part] = np.bincount(owner[hit], minlength=part.shape[0])
            if count_unquoted:
                both = hit & (sets.unquoted[at] | center_unquoted[pos])
                unquoted[part] = np.bincount(owner[both], minlength=part.shape[0])
    rest = np.ones(a.shape[0], dtype=bool)
    rest[starred] = False
    rest_idx = np.flatnonzero(rest)
    swap = sizes[a[rest_idx]] > sizes[b[rest_idx]]
    small = np.where(swap, b[rest_idx], a[rest_idx])
    large = np.where(swap, a[rest_idx], b[rest_idx])
    for lo, hi in slices(sizes[small] + sizes[large]):
        s, big, part = small[lo:hi], large[lo:hi], rest_idx[lo:hi]
        q_at, q_pair = ranges(sets.offsets[s], sizes[s])
        t_at, t_pair = ranges(sets.offsets[big], sizes[big])
        if not (q_at.shape[0] and t_at.shape[0]):
            continue
        t_key = (t_pair.astype(np.uint64) << np.uint64(32)) | sets.hashes[t_at].astype(np.uint64)
        q_key = (q_pair.astype(np.uint64) << np.uint64(32)) | sets.hashes[q_at].astype(np.uint64)
        pos = np.minimum(np.searchsorted(t_key, q_key), t_key.shape[0] - 1)
        hit = t_key[pos] == q_key
        shared[part] = np.bincount(q_pair[hit], minlength=part.shape[0])
        if count_unquoted:
            both = hit & (sets.unquoted[q_at] | sets.unquoted[t_at[pos]])
            unquoted[part] = np.bincount(q_pair[both], minlength=part.shape[0])
    return shared, unquoted


def overlap_reaching(sets: SetBatch, a: np.ndarray, b: np.ndarray, need: np.ndarray) -> np.ndarray:
    """The shared shingles of the sets a[p] and b[p] (as `overlap_many` counts them) where they are
    need[p] or more, else 0: the C kernel stops merging a pair once it cannot reach its need."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    need = np.asarray(need, dtype=np.int64)
    reaching = getattr(kernel.KERNEL, "overlap_reaching", None)
    if reaching is not None:
        got = reaching(np.ascontiguousarray(sets.hashes, dtype=np.uint32),
                       np.ascontiguousarray(sets.offsets, dtype=np.int64), np.ascontiguousarray(a),
                       np.ascontiguousarray(b), np.ascontiguousarray(need))
        return np.frombuffer(got, dtype=np.int64)
    shared, _ = overlap_many(sets, a, b, count_unquoted=False)
    return np.where(shared >= need, shared, 0)


def copy_need(na: np.ndarray, nb: np.ndarray, settings: Settings) -> np.ndarray:
    """Per pair of sets of sizes na and nb, a count of shared shingles below which `copy`'s test
    (`_copies`) cannot hold: a little under it, so that rounding never matters."""
    small = np.minimum(na, nb)
    return np.maximum(np.floor(settings.copy_containment * small).astype(np.int64) - 1,
                      np.minimum(settings.copy_min_shared, small))


def slices(load: np.ndarray, limit: int | None = None) -> Iterator[tuple[int, int]]:
    """Consecutive (start, stop) ranges of items whose `load` sums to about `limit` (default
    `_SLICE`) each, at least one item each: memory stays bounded however many pairs there are."""
    limit = _SLICE if limit is None else limit
    total = np.cumsum(load)
    start = 0
    while start < load.shape[0]:
        base = int(total[start - 1]) if start else 0
        stop = max(int(np.searchsorted(total, base + limit, side="right")), start + 1)
        yield start, stop
        start = stop


def relate_many(sets: SetBatch, a: np.ndarray, b: np.ndarray, same_words: np.ndarray,
                settings: Settings, passages: Passages, covered: Passages | None = None) -> Relations:
    """The relation of sets[a[p]] to sets[b[p]] for every pair p (`same_words[p]`: the two full
    texts have the same words), by `judge`'s rule. Unquoted shingles are counted only for the
    pairs that could be `partial` (not the same words, not copies, sharing enough), and
    `passages` measures the passage of those still open (see `measured`); `covered` the share
    of the text found in the other, in words, of those just short of a copy (see `near_copies`)."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    same = np.asarray(same_words, dtype=bool)
    sizes = np.diff(sets.offsets)
    na, nb = sizes[a], sizes[b]
    shared, shared_unquoted = overlap_many(sets, a, b, count_unquoted=kernel.KERNEL is not None)  # C: no dearer
    open_ = ~same & (shared >= settings.partial_min_shared) & ~_copies(shared, na, nb, settings)
    if kernel.KERNEL is not None:
        shared_unquoted = np.where(open_, shared_unquoted, 0)
    elif open_.any():
        shared_unquoted[open_] = overlap_many(sets, a[open_], b[open_])[1]
    words = np.zeros(a.shape[0], dtype=np.int64)
    measure = np.flatnonzero(measured(shared, shared_unquoted, na, nb, same, settings))
    if measure.shape[0]:
        words[measure] = passages(measure)
    share = np.zeros(a.shape[0])
    if covered is not None:
        near = np.flatnonzero(near_copies(shared, words, na, nb, same, settings))
        if near.shape[0]:
            share[near] = covered(near)
    return judge(shared, words, na, nb, same, settings, share)


def near_copies(shared: np.ndarray, passage_words: np.ndarray, na: np.ndarray, nb: np.ndarray,
                same_words: np.ndarray, settings: Settings) -> np.ndarray:
    """Which pairs sharing a passage (`partial_min_words` or more: text of their own, not a
    statement both quote) fall short of `copy`'s test by under `NEAR_COPY` of the smaller set.
    Shingles that run across paragraph breaks are lost wherever a version drops, adds or moves a
    paragraph (4 of a paragraph's 50 or so), so a text half of which is in the other can share 45%
    of its shingles: these have the share of their words measured (`covered_share_many`)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        most = np.maximum(np.where(na > 0, shared / na, 0.0), np.where(nb > 0, shared / nb, 0.0))
    return (~np.asarray(same_words, dtype=bool) & (np.asarray(passage_words) >= settings.partial_min_words)
            & (most >= settings.copy_containment - NEAR_COPY) & ~_copies(shared, na, nb, settings))


def _copies(shared: np.ndarray, na: np.ndarray, nb: np.ndarray, settings: Settings) -> np.ndarray:
    """Which pairs pass `copy`'s test (most of the smaller set found in the other), duplicates aside."""
    with np.errstate(divide="ignore", invalid="ignore"):
        most = np.maximum(np.where(na > 0, shared / na, 0.0), np.where(nb > 0, shared / nb, 0.0))
    return (most >= settings.copy_containment) & (shared >= np.minimum(settings.copy_min_shared, np.minimum(na, nb)))


def measured(shared: np.ndarray, shared_unquoted: np.ndarray, na: np.ndarray, nb: np.ndarray,
             same_words: np.ndarray, settings: Settings) -> np.ndarray:
    """Which pairs' shared passage decides their relation, and is measured: neither the same words
    nor copies, and sharing `partial_min_shared` shingles not quoted in both (a cheap test
    first: a passage of `partial_min_words` words holds about that many)."""
    return (~np.asarray(same_words, dtype=bool) & (shared_unquoted >= settings.partial_min_shared)
            & ~_copies(shared, na, nb, settings))


def judge(shared: np.ndarray, passage_words: np.ndarray, na: np.ndarray, nb: np.ndarray,
          same_words: np.ndarray, settings: Settings, covered: np.ndarray | None = None) -> Relations:
    """The relation rule and its figures, for pairs of sets of sizes na and nb sharing `shared`
    shingles, whose longest shared passage has `passage_words` words (0 where not `measured`),
    however they were counted.

    `same_words` says the two full texts have the same word sequence (up to whitespace, case,
    quotes and punctuation): that, and only that, is a `duplicate`. Otherwise a pair is a `copy`
    when most of the smaller body is found in the other (and they share `copy_min_shared`
    shingles, or all of the smaller one), and `partial` when most of both differs but they share
    a passage of `partial_min_words` words or more (a paragraph, outside quotations, tables and
    boilerplate; see `passage_words_many`). `covered` (0 where not measured: `near_copies`) is
    the share of a text's words found in the other: a pair sharing a passage whose shingles fall
    just short is a copy when it reaches `copy_containment` in words.
    """
    same = np.asarray(same_words, dtype=bool)
    union = na + nb - shared
    empty = same.astype(np.float64)  # what an empty denominator gives: 1.0 for the same words
    with np.errstate(divide="ignore", invalid="ignore"):
        jaccard = np.where(union > 0, shared / union, empty)
        c_ab = np.where(na > 0, shared / na, empty)
        c_ba = np.where(nb > 0, shared / nb, empty)
    words = np.asarray(passage_words, dtype=np.int64)
    partial = words >= settings.partial_min_words
    copies = _copies(shared, na, nb, settings)
    if covered is not None:
        copies |= partial & (np.asarray(covered) >= settings.copy_containment) & (shared >= settings.copy_min_shared)
    code = np.where(same, DUPLICATE_CODE, np.where(
        shared == 0, NONE, np.where(copies, COPY_CODE,
                                    np.where(partial, PARTIAL_CODE, NONE))))
    words = np.where(code == COPY_CODE, 0, words)  # a passage is what partial pairs share (none measured for most copies)
    return Relations(code.astype(np.int8), jaccard, c_ab, c_ba, np.asarray(shared, dtype=np.int64), words,
                     np.zeros(code.shape[0], dtype=np.int8))


def relate_sets(a: ShingleSet, b: ShingleSet, settings: Settings, *, same_words: bool = False,
                passage_words: int) -> Relation | None:
    """The relation of body shingle set a to b, whose longest shared passage (measured from their
    texts, `passage_words`) has `passage_words` words: a batch of one pair for `relate_many`."""
    return relate_many(SetBatch.of([a, b]), np.array([0]), np.array([1]), np.array([same_words]), settings,
                       lambda p: np.full(p.shape[0], passage_words, dtype=np.int64))[0]


def relate(text_a: str, text_b: str, *, settings: Settings | None = None) -> Relation | None:
    """How two texts relate (`duplicate`, `copy`, `partial`), or None when neither reuses the other.

    Both texts are analysed and shingled as `scan` does; with only two articles there is no
    boilerplate to learn, so every paragraph counts. `containment_a_in_b` is the share of
    `text_a`'s shingles found in `text_b`.
    """
    s = settings or Settings()
    k = s.shingle_size
    batch, noisy = analyze_views([text_a, text_b])
    same = bool((batch.fingerprints[0] == batch.fingerprints[1]).all())
    pair = np.array([0]), np.array([1])
    exact = relate_many(shingle_many(batch, k), *pair, np.array([same]), s,
                        lambda p: sentence_passages(passage_words_many(sequences_many(batch, k), *pair, k),
                                                    [text_a, text_b].__getitem__, *pair, s),
                        lambda p: covered_share_many(sequences_many(batch, k), *pair, k))
    return noisy_copies(exact, shingle_many(noisy, s.noisy_shingle_size), *pair, s,
                        lambda p: np.array([aligned_share(body_words(text_a), body_words(text_b), s)]))[0]


# ---------------------------------------------------------------------- the noisy view


def noisy_copies(exact: Relations, noisy_sets: SetBatch, a: np.ndarray, b: np.ndarray, settings: Settings,
                 aligned: Callable[[np.ndarray], np.ndarray]) -> Relations:
    """`exact` (the relations of pairs a[p], b[p] by their exact shingles), with the pairs the
    exact view falls short on decided by the noisy view: a `copy` when the copy test of `judge`
    holds on the noisy view's sets (`noisy_sets`: word pairs of de-hyphenated, confusable-folded
    words) and an alignment of the two texts confirms it: `aligned(p)` (the share of the smaller
    text's windows found in the other, `aligned_share`) is `noisy_min_aligned` or more. Such a
    pair's figures are the noisy view's, and its `view` is `NOISY_VIEW`.

    Word pairs forgive what breaks 5-word shingles (a damaged, split or swapped word every few
    words), and so does the alignment; two articles on the same event share some word pairs but
    few aligned windows, so they stay apart. The noisy view never makes a `partial`.
    """
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    open_ = np.flatnonzero(~exact.clustering)
    if not open_.shape[0]:
        return exact
    sizes = np.diff(noisy_sets.offsets)
    na, nb = sizes[a[open_]], sizes[b[open_]]
    shared = overlap_reaching(noisy_sets, a[open_], b[open_], copy_need(na, nb, settings))
    maybe = np.flatnonzero(_copies(shared, na, nb, settings))
    if not maybe.shape[0]:
        return exact
    ok = maybe[np.asarray(aligned(open_[maybe]), dtype=np.float64) >= settings.noisy_min_aligned]
    if not ok.shape[0]:
        return exact
    noisy = judge(shared[ok], np.zeros(ok.shape[0], np.int64), na[ok], nb[ok], np.zeros(ok.shape[0], bool), settings)
    out = Relations(exact.code.copy(), exact.jaccard.copy(), exact.containment_a_in_b.copy(),
                    exact.containment_b_in_a.copy(), exact.shared.copy(), exact.passage_words.copy(), exact.view.copy())
    at = open_[ok]
    out.code[at], out.jaccard[at], out.shared[at] = noisy.code, noisy.jaccard, noisy.shared
    out.containment_a_in_b[at], out.containment_b_in_a[at] = noisy.containment_a_in_b, noisy.containment_b_in_a
    out.passage_words[at], out.view[at] = 0, NOISY_VIEW
    return out


def body_words(text: str, drop: np.ndarray | None = None) -> list[list[str]]:
    """The words of `text` (its exact view), paragraph by paragraph, without the paragraphs marked
    in `drop` (one bool per paragraph with words, as `analyze` counts them) nor the page's furniture
    (`page_furniture`): what `aligned_share` aligns."""
    out: list[list[str]] = []
    n = 0
    drop = _with_furniture(text, drop)
    for segment in token_bytes(text).split(BREAK.encode("ascii")):
        found = [w for w in segment.split() if w != b'"']
        if not found:
            continue
        if drop is None or n >= drop.shape[0] or not drop[n]:
            out.append([w.decode("utf-8", "surrogatepass") for w in found])
        n += 1
    return out


def _with_furniture(text: str, drop: np.ndarray | None) -> np.ndarray:
    """`drop` (None: nothing), with the paragraphs that are `text`'s page furniture marked too."""
    furniture = page_furniture(analyze_many([text]))
    if drop is None:
        return furniture
    return furniture | np.pad(drop, (0, max(0, furniture.shape[0] - drop.shape[0])))[:furniture.shape[0]]


def _windows(paras: Sequence[Sequence[str]], w: int) -> tuple[list[str], np.ndarray]:
    """Windows of up to `w` words starting every w // 2 words inside paragraphs (runs of paragraphs
    shorter than `w`, as headings or OCR'd lines, read as one), and the words each holds; a window
    of under w // 2 words at a paragraph's end is left out (too short to align by more than chance)."""
    runs: list[list[str]] = []
    for p in paras:
        if runs and len(p) < w and len(runs[-1]) < w:
            runs[-1] = [*runs[-1], *p]
        else:
            runs.append(list(p))
    step = max(1, w // 2)
    cut = [r[i:i + w] for r in runs for i in range(0, max(1, len(r) - step), step)]
    keep = [c for c in cut if len(c) >= min(step, sum(map(len, paras)))]
    return [" ".join(c) for c in keep], np.array([len(c) for c in keep], dtype=np.int64)


def aligned_share(a_paras: Sequence[Sequence[str]], b_paras: Sequence[Sequence[str]], settings: Settings,
                  need: float | None = None) -> float:
    """How much of the smaller text (paragraphs of words, `body_words`) is found in the other by
    alignment: the share of its words in windows of `ALIGN_WORDS` words that align with a stretch
    of the other (rapidfuzz's partial_ratio against its windows of twice that, overlapping by
    half) at `align_min_ratio` or better.

    Windows are cut inside paragraphs and align wherever they stand, so moved, merged and
    interleaved paragraphs and reordered clauses still count (a window across two paragraphs
    would fail wherever a copy puts its own text between them); character errors, split words and
    swapped words cost a window a few points, not all of it.

    With `need`, the search stops once the share cannot reach it: the share is then exact where it
    is `need` or more, and some share under `need` where not (all a caller comparing it needs).
    """
    from rapidfuzz import fuzz, process

    na, nb = sum(map(len, a_paras)), sum(map(len, b_paras))
    small, large = (a_paras, b_paras) if na <= nb else (b_paras, a_paras)
    w = ALIGN_WORDS
    queries, weights = _windows(small, w)
    flat = [word for p in large for word in p]
    if not queries or not flat:
        return 0.0
    choices = [" ".join(flat[i:i + 2 * w]) for i in range(0, max(1, len(flat) - w), w)]
    cut = 100 * settings.align_min_ratio
    found = _verbatim(queries, flat)
    rest = np.flatnonzero(~found)
    total = weights.sum()
    # spread over the text, so that a part the other lacks shows early when `need` stops the search
    rest = rest[np.argsort((rest * 0.6180339887) % 1.0, kind="stable")] if need is not None else rest
    step = _ALIGN_BATCH if need is not None else max(1, rest.shape[0])
    left = int(weights[rest].sum())
    for lo in range(0, rest.shape[0], step):
        part = rest[lo:lo + step]
        scores = process.cdist([queries[q] for q in part.tolist()], choices, scorer=fuzz.partial_ratio,
                               score_cutoff=cut, dtype=np.uint8)
        found[part[scores.max(axis=1) >= cut]] = True
        left -= int(weights[part].sum())
        if need is not None and float((weights[found].sum() + left) / total) < need:
            break
    return float(weights[found].sum() / total)


#: Windows aligned per fuzzy search when `aligned_share` may stop early.
_ALIGN_BATCH = 4


def _verbatim(queries: Sequence[str], flat: Sequence[str]) -> np.ndarray:
    """Which query windows (words joined by spaces) stand word for word in `flat`: such a window
    lies inside one of `aligned_share`'s windows of the other text (they start every `ALIGN_WORDS`
    words and hold twice that), so it aligns perfectly, and needs no fuzzy search."""
    split = [q.split(" ") for q in queries]
    seen: dict[int, set[tuple[str, ...]]] = {}
    for n in {len(q) for q in split}:
        seen[n] = {tuple(flat[i:i + n]) for i in range(len(flat) - n + 1)}
    return np.array([tuple(q) in seen[len(q)] for q in split], dtype=bool)


# ---------------------------------------------------------------------- passages


@dataclass(frozen=True)
class Sequences:
    """Articles' shingles in text order: article i's are `hashes[offsets[i]:offsets[i + 1]]`, with
    how many of the words before each and inside each are counted (see `sequences_many`), and the
    same counts with quoted words counted too (`quoted_before`, `quoted_inside`)."""

    hashes: np.ndarray   # uint32
    before: np.ndarray   # int64, counted words before the shingle (from any fixed start of its article)
    inside: np.ndarray   # int64, counted words among the shingle's k
    offsets: np.ndarray  # int64, n + 1
    quoted_before: np.ndarray  # int64, as `before`, words inside quotation marks counted too
    quoted_inside: np.ndarray  # int64, as `inside`, words inside quotation marks counted too

    @staticmethod
    def concat(parts: Sequence[Sequences]) -> Sequences:
        """The articles of `parts`, one after the other."""
        sizes = np.concatenate([np.zeros(1, np.int64)] + [np.diff(p.offsets) for p in parts])

        def cat(field: str) -> np.ndarray:
            return np.concatenate([np.zeros(0, np.int64)] + [getattr(p, field) for p in parts])

        return Sequences(np.concatenate([np.zeros(0, np.uint32)] + [p.hashes for p in parts]), cat("before"),
                         cat("inside"), np.cumsum(sizes).astype(np.int64), cat("quoted_before"), cat("quoted_inside"))


def sequences_many(batch: FeatureBatch, k: int, drop: np.ndarray | None = None, *,
                   furniture: np.ndarray | None = None) -> Sequences:
    """Every article's k-word shingles in text order, the paragraphs marked in `drop` (boilerplate;
    one bool per paragraph of the batch) cut out first, as `sketch` cuts them, and the page's
    furniture (`furniture`: `page_furniture(batch)` where the caller has it already).

    A word counts toward a passage's length unless it lies inside quotation marks or in a paragraph
    under `PROSE_WORDS` words (table rows, list items, team sheets, headings): quoting the same
    statement or printing the same table is not reusing a journalist's text. The counts with quoted
    words counted too are kept (`passage_words_many` counts a word quoted on one side only). An
    article of fewer than k words has no shingles here.
    """
    n = len(batch)
    drop = (page_furniture(batch) if furniture is None else furniture) | (False if drop is None else drop)
    kern = kernel.KERNEL
    if kern is not None:
        got = kern.sequences(np.ascontiguousarray(batch.word_hashes, dtype=np.uint64),
                             np.ascontiguousarray(batch.word_quoted, dtype=np.bool_),
                             np.ascontiguousarray(batch.word_offsets, dtype=np.int64),
                             np.ascontiguousarray(batch.para_words, dtype=np.int32),
                             np.ascontiguousarray(drop, dtype=np.bool_), shingle_multipliers(k), k, PROSE_WORDS)
        hashes, before, inside, offsets, quoted_before, quoted_inside = (
            np.frombuffer(g, dtype=np.uint32 if i == 0 else np.int64) for i, g in enumerate(got))
        return Sequences(hashes, before, inside, offsets, quoted_before, quoted_inside)
    prose = np.repeat(batch.para_words >= PROSE_WORDS, batch.para_words)
    counted = ~batch.word_quoted & prose
    words, counts = batch.word_hashes, np.diff(batch.word_offsets)
    if drop.any():
        keep = ~np.repeat(drop, batch.para_words)
        words, counted, prose = words[keep], counted[keep], prose[keep]
        counts = np.bincount(np.repeat(np.arange(n), counts)[keep], minlength=n)
    starts = np.cumsum(counts) - counts
    windows = np.maximum(counts - k + 1, 0)
    offsets = np.concatenate([np.zeros(1, np.int64), np.cumsum(windows)])
    if words.shape[0] < k:
        none = np.zeros(0, np.int64)
        return Sequences(np.zeros(0, np.uint32), none, none, offsets, none, none)
    at, _ = ranges(starts, windows)  # each shingle's first word
    total = np.concatenate([np.zeros(1, np.int64), np.cumsum(counted)])
    whole = np.concatenate([np.zeros(1, np.int64), np.cumsum(prose)])
    return Sequences(shingle_hashes(words, k)[at], total[at], total[at + k] - total[at], offsets, whole[at],
                     whole[at + k] - whole[at])


def gap(k: int) -> int:
    """Missing shingle positions a passage bridges: `GAP_WORDS` differing words in a row hide
    k + GAP_WORDS - 1 shingles."""
    return k + GAP_WORDS - 1


def passage_words_many(seqs: Sequences, a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    """The longest passage articles a[p] and b[p] of `seqs` share, in counted words, for every pair p.

    In each article, the positions whose shingle occurs in the other form runs; runs merge across
    gaps of up to `gap(k)` positions (a changed word or two, a typo). A run's length is the counted
    words it covers (a quotation or a table inside a shared paragraph neither counts nor cuts it).
    The passage is the shorter of the two articles' longest runs: two sentences that follow each
    other in one article but not in the other are two passages, not one.

    A quotation does not count when both articles quote it (two reports quoting one statement); a
    text one article writes as its own and the other puts in quotation marks (a newsletter or blog
    excerpting an article) is reused: the passage is then the longer of the two sides' runs of
    counted words, capped by the shorter of their runs counting quoted words too.
    """
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    kern = kernel.KERNEL
    if kern is not None:  # the same, pair by pair, with a hash set of the other article's shingles
        words = kern.passages(np.ascontiguousarray(seqs.hashes, dtype=np.uint32),
                              np.ascontiguousarray(seqs.before, dtype=np.int64),
                              np.ascontiguousarray(seqs.inside, dtype=np.int64),
                              np.ascontiguousarray(seqs.quoted_before, dtype=np.int64),
                              np.ascontiguousarray(seqs.quoted_inside, dtype=np.int64),
                              np.ascontiguousarray(seqs.offsets, dtype=np.int64), np.ascontiguousarray(a),
                              np.ascontiguousarray(b), gap(k))
        return np.frombuffer(words, dtype=np.int64)
    sets = _distinct_sets(seqs)
    counted_a, whole_a = _longest_runs(seqs, sets, a, b, k)
    counted_b, whole_b = _longest_runs(seqs, sets, b, a, k)
    return np.minimum(np.minimum(whole_a, whole_b), np.maximum(counted_a, counted_b))


def passage_words(a: Features, b: Features, k: int, drop_a: np.ndarray | None = None,
                  drop_b: np.ndarray | None = None) -> int:
    """The longest passage two articles share, in counted words: `passage_words_many` of one pair."""
    seqs = Sequences.concat([sequences_many(a.as_batch(), k, drop_a), sequences_many(b.as_batch(), k, drop_b)])
    return int(passage_words_many(seqs, np.array([0]), np.array([1]), k)[0])


def _longest_runs(seqs: Sequences, sets: SetBatch, x: np.ndarray, y: np.ndarray,
                  k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per pair p, the counted words of the longest run in article x[p] of shingles found in y[p]
    (`sets`: each article's distinct shingles), gaps of up to `gap(k)` positions bridged; and the
    same with quoted words counted too."""
    out = np.zeros(x.shape[0], dtype=np.int64)
    out_quoted = np.zeros(x.shape[0], dtype=np.int64)
    runs = _runs(seqs, sets, x, y, k)
    if runs is None:
        return out, out_quoted
    owner, first, last = runs
    np.maximum.at(out, owner, seqs.before[last] + seqs.inside[last] - seqs.before[first])
    np.maximum.at(out_quoted, owner, seqs.quoted_before[last] + seqs.quoted_inside[last] - seqs.quoted_before[first])
    return out, out_quoted


def _runs(seqs: Sequences, sets: SetBatch, x: np.ndarray, y: np.ndarray,
          k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Every run in article x[p] of shingles found in y[p] (`sets`: each article's distinct
    shingles), gaps of up to `gap(k)` positions bridged, as (pair, first position, last position)
    in `seqs`; None where there is none."""
    found = _hits(seqs, sets, x, y)
    if found is None:
        return None
    x_at, pair, hits = found
    new = np.ones(hits.shape[0], dtype=bool)
    new[1:] = (pair[1:] != pair[:-1]) | (np.diff(hits) > gap(k) + 1)
    return pair[new], x_at[hits[new]], x_at[hits[np.append(new[1:], True)]]


def _hits(seqs: Sequences, sets: SetBatch, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The shingle positions in `seqs` of articles x[p], all pairs one after another (x_at), and of
    them the ones whose shingle y[p] holds (`sets`: each article's distinct shingles), as (x_at,
    their pairs, their places in x_at); None where there is none. A pair's positions are consecutive
    and in order, so are its hits."""
    y_at, y_pair = ranges(sets.offsets[y], sets.sizes[y])
    known = _keys(y_pair, sets.hashes[y_at])  # sorted: (pair, hash), pairs in order, hashes sorted in each
    x_at, x_pair = ranges(seqs.offsets[x], np.diff(seqs.offsets)[x])
    if not (known.shape[0] and x_at.shape[0]):
        return None
    keys = _keys(x_pair, seqs.hashes[x_at])
    hits = np.flatnonzero(known[np.minimum(np.searchsorted(known, keys), known.shape[0] - 1)] == keys)
    if not hits.shape[0]:
        return None
    return x_at, x_pair[hits], hits


def covered_share_many(seqs: Sequences, a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    """For every pair p, the larger of the shares of articles a[p]'s and b[p]'s words (all the words
    their shingles cover, quoted ones too, as the shingle sets hold them) that lie in a stretch of
    `k` or more shingles in a row found in the other: the share of a text found in the other,
    counted in words. A paragraph shared between different neighbours counts whole (its shingles
    across the breaks are lost), and common phrases found here and there count nothing."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    sets = _distinct_sets(seqs)
    words = np.diff(seqs.offsets) + k - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        share_a = np.where(words[a] > 0, _covered_words(seqs, sets, a, b, k) / words[a], 0.0)
        share_b = np.where(words[b] > 0, _covered_words(seqs, sets, b, a, k) / words[b], 0.0)
    return np.maximum(share_a, share_b)


def _covered_words(seqs: Sequences, sets: SetBatch, x: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """Per pair p, the words of article x[p] in runs of `k` or more consecutive shingles found in
    y[p] (`sets`: each article's distinct shingles)."""
    out = np.zeros(x.shape[0], dtype=np.int64)
    found = _hits(seqs, sets, x, y)
    if found is None:
        return out
    _, pair, hits = found
    new = np.ones(hits.shape[0], dtype=bool)
    new[1:] = (pair[1:] != pair[:-1]) | (np.diff(hits) != 1)
    starts = np.flatnonzero(new)
    length = np.diff(np.append(starts, hits.shape[0]))
    long = length >= k
    first, pair = hits[starts[long]], pair[starts[long]]
    last = first + length[long] + k - 2  # the run's last word (positions count words in an article)
    # Two runs a few shingles apart cover some words twice: count each word once.
    after = np.concatenate([[False], pair[1:] == pair[:-1]])
    begin = np.where(after, np.maximum(first, np.concatenate([[0], last[:-1] + 1])), first)
    np.add.at(out, pair, last - begin + 1)
    return out


def _distinct_sets(seqs: Sequences) -> SetBatch:
    """Each article's distinct shingles, sorted once (not once per pair it is in)."""
    n = seqs.offsets.shape[0] - 1
    owner = np.repeat(np.arange(n, dtype=np.int64), np.diff(seqs.offsets))
    distinct = np.unique(_keys(owner, seqs.hashes))
    return SetBatch((distinct & np.uint64(0xFFFFFFFF)).astype(np.uint32), np.zeros(0, bool),
                    np.searchsorted(distinct >> np.uint64(32), np.arange(n + 1, dtype=np.uint64)).astype(np.int64))


def _keys(pair: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    """(pair, shingle hash) as one sortable key."""
    return (pair.astype(np.uint64) << np.uint64(32)) | hashes.astype(np.uint64)


# ---------------------------------------------------------------------- one sentence or a passage


#: A "sentence" longer than this is text whose sentences cannot be told (no full stops: OCR'd
#: columns, lists, scripts without them): a run inside it counts as a passage as it did before.
SENTENCE_MAX_WORDS = 80
#: Words that end with a full stop without ending a sentence (titles, initials are caught apart).
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st jr sr gov sen rep gen col lt sgt capt cmdr adm prof rev hon pres supt det insp "
    "inc corp co ltd llc plc no nos vs etc al approx dept est fig jan feb mar apr jun jul aug sep sept "
    "oct nov dec mt ft ave blvd rd univ".split())
#: A sentence's end: ., !, ? or the Arabic question mark (and closing quotes or brackets), then a
#: space and a word (`_sentences` skips one in lower case); or a full-width end, or a danda.
_SENTENCE_END = re.compile(r"[.!?\u061f]+[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]*(\w))"
                           r"|[\u3002\uff01\uff1f\u0964]+")


def sentence_words(text: str) -> tuple[tuple[int, ...], ...] | None:
    """Words per sentence of each paragraph of `text` that holds words (paragraphs as `analyze`
    cuts them, words as `normalize.token_bytes` does), or None where the two disagree.

    A sentence ends at ., ! or ? before a word that is not in lower case (a capital, a digit, a
    letter of a script without case), unless the word before is one letter (an initial: "R.
    Kelly") or a usual abbreviation ("Mr.", "Gov.", "Jan."); at 。, ！, ？ and the danda; a
    paragraph without such an end is one sentence."""
    paras = _word_paragraphs(text)
    if paras is None:
        return None
    out = [_sentences(p) for p in paras]
    return tuple(s for s in out if s is not None) if all(s is not None for s in out) else None


@lru_cache(maxsize=1 << 12)  # an article sharing runs with several others is cut once
def _word_paragraphs(text: str) -> tuple[str, ...] | None:
    """The paragraphs of `text` that hold words, as `analyze` counts them (None where the paragraph
    texts and the words cut apart disagree)."""
    paras = paragraphs(text)
    segments = token_bytes(text).split(BREAK.encode())
    if len(segments) != len(paras):
        return None
    return tuple(p for p, seg in zip(paras, segments) if seg.translate(None, _NOT_WORDS))  # a word is left


#: What a paragraph's tokens (`token_bytes`) hold besides words: quotation marks (each its own
#: token) and the whitespace between tokens.
_NOT_WORDS = b'" \t\n\r\x0b\x0c'


@lru_cache(maxsize=1 << 14)  # a recurring paragraph is cut once
def _sentences(para: str) -> tuple[int, ...] | None:
    """Words per sentence of one paragraph (see `sentence_words`), None where a piece has none."""
    cut, start = [], 0
    for m in _SENTENCE_END.finditer(para):
        if m.group(1) and m.group(1).islower():  # "etc. and", "approx. two": not a sentence's start
            continue
        if para[m.start()] == ".":
            space = max(para.rfind(" ", 0, m.start()), para.rfind("\n", 0, m.start()))
            word = para[space + 1:m.start()].lstrip("\"'(\u201c\u2018[")
            if len(word) == 1 and word.isalpha() or word.lower() in _ABBREVIATIONS:
                continue
        cut.append(para[start:m.end()])
        start = m.end()
    cut.append(para[start:])
    cut = [c for c in cut if c.strip()]  # nothing after a full-width end
    pieces = "\n\n".join(c.replace("\n", " ").replace("\r", " ") for c in cut)
    counts = [len(seg.split()) - seg.count(b'"') for seg in token_bytes(pieces).split(BREAK.encode())]
    if len(counts) != len(cut):
        return None
    return tuple(n for n in counts if n)


def whole_passages(texts: Sequence[str], a: np.ndarray, b: np.ndarray, k: int,
                   boilerplate: Callable[[FeatureBatch], np.ndarray] | None = None,
                   features: tuple[FeatureBatch, np.ndarray] | None = None) -> np.ndarray:
    """For every pair p of articles a[p] and b[p] of `texts` (`boilerplate`: which paragraphs of
    their `analyze_many` to leave out), whether the longest run of text they share
    is a passage: in one of the two texts at least, it holds two sentences or more, or the whole
    of a paragraph that is one sentence (half of each such sentence's words or more, which allows
    an edited start or end). One sentence recurring inside different paragraphs of both (a
    standard background line, a widely repeated statement) is not a passage; a paragraph of one
    long sentence that another article rewrites into a longer paragraph of its own is. A run in a
    "sentence" of over `SENTENCE_MAX_WORDS` words (unpunctuated text) is a passage.

    Where the sentences of a text cannot be told (its words cut apart disagree with `analyze`'s),
    its runs are passages, as they were before this test. `features`: the texts' words (as
    `analyze_many` gives them) and the paragraphs to leave out, where the caller has them already
    (a scan's words on disk); `texts` is then read only where a run must be cut into sentences."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    if features is None:
        batch = analyze_many(list(texts))
        drop = None if boilerplate is None else boilerplate(batch)
    else:
        batch, drop = features
    furniture = page_furniture(batch) | (False if drop is None else drop)
    return _whole_passages(texts, batch, furniture, a, b, k, passage_spans(batch, furniture, a, b, k, 0)[1])


def _whole_passages(texts: Sequence[str], batch: FeatureBatch, furniture: np.ndarray, a: np.ndarray, b: np.ndarray,
                    k: int, spans: np.ndarray, known: KnownRuns | None = None) -> np.ndarray:
    """`whole_passages` of pairs a[p], b[p] of `batch`, whose paragraphs `furniture` (boilerplate
    included) leaves out; `spans`: their longest runs (`passage_spans`); `known`: runs tested before."""
    out = np.zeros(a.shape[0], dtype=bool)
    known = KnownRuns({}, np.arange(len(batch))) if known is None else known
    around: dict[int, _Paragraphs | None] = {}  # an article in many pairs is cut once
    for side, x in enumerate((a, b)):
        todo = np.flatnonzero(~out)
        first, last = spans[todo, 2 * side], spans[todo, 2 * side + 1]
        for p, f, lw in zip(todo.tolist(), first.tolist(), (last + k - 1).tolist()):
            if lw - k + 1 < f:
                continue
            i = int(x[p])
            key = (int(known.ids[i]), f, lw)
            verdict = known.verdicts.get(key)
            if verdict is None:
                if i not in around:
                    around[i] = _paragraphs_of(texts[i], batch, furniture, i)
                verdict = _spans_a_passage(_sentences_around(around[i], f, lw), f, lw)
                known.remember(key, verdict)
            out[p] = verdict
    return out


@dataclass(frozen=True)
class KnownRuns:
    """`_whole_passages`'s verdicts on runs of kept words (article, first, last) tested before, kept
    across batches (a scan's Verifier holds them): a sentence recurring in many articles is cut into
    sentences once an article, not once a pair of them (most anchor pairs share one such sentence).
    `ids`: the article of each slot of the batch being tested."""

    verdicts: dict[tuple[int, int, int], bool]
    ids: np.ndarray

    def remember(self, key: tuple[int, int, int], verdict: bool) -> None:
        """Keep a verdict; the oldest go first beyond `KNOWN_RUNS` (memory stays bounded)."""
        if len(self.verdicts) >= KNOWN_RUNS:
            del self.verdicts[next(iter(self.verdicts))]
        self.verdicts[key] = verdict


def passages_many(batch: FeatureBatch, drop: np.ndarray | None, text: Callable[[int], str], a: np.ndarray,
                  b: np.ndarray, settings: Settings, known: KnownRuns | None = None) -> np.ndarray:
    """`sentence_passages` of `passage_words_many` for pairs a[p], b[p] of `batch` (`drop`: its
    paragraphs to leave out; `text(i)`: article i's text, read only where a run is cut into
    sentences; `known`: runs tested before), the batch's furniture and sequences found once for both."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    k = settings.shingle_size
    furniture = page_furniture(batch) | (False if drop is None else drop)
    words, spans = passage_spans(batch, furniture, a, b, k, settings.partial_min_words)
    long = np.flatnonzero(words >= settings.partial_min_words)
    if long.shape[0]:
        texts = _Texts(list(range(len(batch))), text)
        words[long[~_whole_passages(texts, batch, furniture, a[long], b[long], k, spans[long], known)]] = 0
    return words


def passage_spans(batch: FeatureBatch, furniture: np.ndarray, a: np.ndarray, b: np.ndarray, k: int,
                  min_words: int) -> tuple[np.ndarray, np.ndarray]:
    """`passage_words_many` of pairs a[p], b[p] of `batch` (its paragraphs `furniture` left out), and
    where that is `min_words` or more, `_longest_spans` of a[p] in b[p] and of b[p] in a[p] (rows of
    first, last, first, last; -1, -2, -1, -2 elsewhere): what the sentence test reads. The C kernel
    finds both from the words in one call, without building the sequences' six arrays."""
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    fused = getattr(kernel.KERNEL, "word_passages", None)
    if fused is not None:
        got, spans = fused(np.ascontiguousarray(batch.word_hashes, dtype=np.uint64),
                           np.ascontiguousarray(batch.word_quoted, dtype=np.bool_),
                           np.ascontiguousarray(batch.word_offsets, dtype=np.int64),
                           np.ascontiguousarray(batch.para_words, dtype=np.int32),
                           np.ascontiguousarray(furniture, dtype=np.bool_), shingle_multipliers(k), k, PROSE_WORDS,
                           np.ascontiguousarray(a), np.ascontiguousarray(b), gap(k), min_words)
        return np.frombuffer(got, dtype=np.int64).copy(), np.frombuffer(spans, dtype=np.int64).reshape(-1, 4)
    seqs = sequences_many(batch, k, furniture=furniture)
    words = np.array(passage_words_many(seqs, a, b, k), dtype=np.int64)
    spans = np.tile(np.array([-1, -2, -1, -2], dtype=np.int64), (a.shape[0], 1))
    long = np.flatnonzero(words >= min_words)
    if long.shape[0]:
        x, y = a[long], b[long]
        sets = None if _spans_kernel() is not None else _sorted_sets(
            seqs, np.isin(np.arange(len(batch)), np.concatenate([x, y])))
        spans[long, 0], spans[long, 1] = _longest_spans(seqs, sets, x, y, k)
        spans[long, 2], spans[long, 3] = _longest_spans(seqs, sets, y, x, k)
    return words, spans


def _sorted_sets(seqs: Sequences, needed: np.ndarray) -> SetBatch:
    """`_distinct_sets` of the articles marked `needed` (the others' sets left empty) by one sort
    of their (article, shingle) keys."""
    n = seqs.offsets.shape[0] - 1
    owner = np.repeat(np.arange(n, dtype=np.int64), np.diff(seqs.offsets))
    mine = needed[owner]
    keys = np.sort(_keys(owner[mine], seqs.hashes[mine]))
    keys = keys[np.concatenate([keys[:1] == keys[:1], keys[1:] != keys[:-1]])] if keys.shape[0] else keys
    return SetBatch((keys & np.uint64(0xFFFFFFFF)).astype(np.uint32), np.zeros(0, bool),
                    np.searchsorted(keys >> np.uint64(32), np.arange(n + 1, dtype=np.uint64)).astype(np.int64))


@dataclass(frozen=True)
class _Paragraphs:
    """An article's paragraphs that hold kept words (`sequences_many`'s, furniture cut out): their
    words, first kept word and texts (as `_word_paragraphs` cuts them)."""

    words: tuple[int, ...]
    start: tuple[int, ...]
    texts: tuple[str, ...]


def _paragraphs_of(text: str, batch: FeatureBatch, furniture: np.ndarray, i: int) -> _Paragraphs | None:
    """The `_Paragraphs` of article i of `batch` (`text`: its text), None where its paragraph texts
    and words disagree."""
    p0, p1 = int(batch.para_offsets[i]), int(batch.para_offsets[i + 1])
    words = batch.para_words[p0:p1].tolist()  # a few paragraphs: plain lists, not arrays
    paras = _word_paragraphs(text)
    if paras is None or len(paras) != sum(n > 0 for n in words):
        return None
    sizes: list[int] = []
    starts: list[int] = []
    texts: list[str] = []
    at = place = 0  # the next kept word; the next paragraph's place among those holding words
    for n, dropped in zip(words, furniture[p0:p1].tolist()):
        if n <= 0:
            continue
        if not dropped:
            sizes.append(n)
            starts.append(at)
            texts.append(paras[place])
            at += n
        place += 1
    return _Paragraphs(tuple(sizes), tuple(starts), tuple(texts))


def _sentences_around(paras: _Paragraphs | None, first: int,
                      last: int) -> tuple[list[int], list[int], list[bool]] | None:
    """The sentences of the paragraphs `paras` of an article that hold its kept words first..last:
    (first kept word, words, alone: the sentence is its paragraph), or None where they cannot be told.
    A few paragraphs of one article: plain lists, not arrays."""
    if paras is None:
        return None
    starts: list[int] = []
    sizes: list[int] = []
    alone: list[bool] = []
    for at, size, para in zip(paras.start, paras.words, paras.texts):
        if at > last or at + size <= first:
            continue
        sents = _sentences(para)
        if sents is None or sum(sents) != size:
            return None
        for n in sents:
            starts.append(at)
            sizes.append(n)
            alone.append(len(sents) == 1)
            at += n
    return (starts, sizes, alone) if starts else None


def _spans_a_passage(sentences: tuple[list[int], list[int], list[bool]] | None, first: int, last: int) -> bool:
    """Whether kept words first..last of an article are two sentences or more, or the whole of a
    one-sentence paragraph (`whole_passages`): half of each sentence's words covered or more."""
    if sentences is None:
        return True
    held = 0
    for start, size, alone in zip(*sentences):
        covered = min(start + size - 1, last) - max(start, first) + 1
        if 2 * covered >= size:
            held += 1
            if alone or held >= 2:
                return True
        if covered > 0 and size > SENTENCE_MAX_WORDS:
            return True
    return False


def _spans_kernel() -> Any:
    """The C kernel's `spans`, where the kernel is built and holds it."""
    return getattr(kernel.KERNEL, "spans", None)


def _longest_spans(seqs: Sequences, sets: SetBatch | None, x: np.ndarray, y: np.ndarray,
                   k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per pair p, the first and last shingle position (in article x[p]) of its longest run of
    shingles found in y[p], in counted words (the earliest of equal runs), gaps bridged as
    `passage_words_many` bridges them (-1, -2 where none). `sets`: each article's distinct
    shingles (`_sorted_sets`; None where the C kernel measures, pair by pair with a hash set)."""
    spans = _spans_kernel()
    if spans is not None:
        got = np.frombuffer(spans(np.ascontiguousarray(seqs.hashes, dtype=np.uint32),
                                  np.ascontiguousarray(seqs.before, dtype=np.int64),
                                  np.ascontiguousarray(seqs.inside, dtype=np.int64),
                                  np.ascontiguousarray(seqs.offsets, dtype=np.int64),
                                  np.ascontiguousarray(x, dtype=np.int64), np.ascontiguousarray(y, dtype=np.int64),
                                  gap(k)), dtype=np.int64).reshape(-1, 2)
        return got[:, 0].copy(), got[:, 1].copy()
    assert sets is not None
    first = np.full(x.shape[0], -1, dtype=np.int64)
    last = np.full(x.shape[0], -2, dtype=np.int64)
    runs = _runs(seqs, sets, x, y, k)
    if runs is None:
        return first, last
    owner, begin, end = runs
    length = seqs.before[end] + seqs.inside[end] - seqs.before[begin]
    order = np.lexsort((-length, owner))  # per pair, its longest run first
    top = order[np.concatenate([[True], owner[order][1:] != owner[order][:-1]])]
    first[owner[top]] = begin[top] - seqs.offsets[x[owner[top]]]
    last[owner[top]] = end[top] - seqs.offsets[x[owner[top]]]
    return first, last


def sentence_passages(words: np.ndarray, text: Callable[[int], str], a: np.ndarray, b: np.ndarray, settings: Settings,
                      boilerplate: Callable[[FeatureBatch], np.ndarray] | None = None,
                      features: Callable[[np.ndarray], tuple[FeatureBatch, np.ndarray]] | None = None) -> np.ndarray:
    """`words` (the passage words of pairs of articles a[p], b[p]; `text(i)`: article i's text) with 0 for the pairs
    whose `partial_min_words` or more are no passage by `whole_passages`: what scan, index and
    `relate` report as `passage_words`. `boilerplate` marks the paragraphs of a batch to leave out;
    `features(docs)`, where given, are those articles' words and paragraphs to leave out, kept from
    analysing them (their texts are then read only where a run is cut into sentences)."""
    words = np.array(words, dtype=np.int64)
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    long = np.flatnonzero(words >= settings.partial_min_words)
    if long.shape[0]:
        docs, slots = np.unique(np.concatenate([a[long], b[long]]), return_inverse=True)
        ids = docs.tolist()
        if features is None:
            ok = whole_passages([text(d) for d in ids], slots[:long.shape[0]], slots[long.shape[0]:],
                                settings.shingle_size, boilerplate)
        else:
            ok = whole_passages(_Texts(ids, text), slots[:long.shape[0]], slots[long.shape[0]:],
                                settings.shingle_size, features=features(docs))
        words[long[~ok]] = 0
    return words


class _Texts(Sequence[str]):
    """Texts of articles `ids`, each read when asked for (`whole_passages` reads few of them)."""

    def __init__(self, ids: list[int], text: Callable[[int], str]) -> None:
        self._ids, self._text = ids, text

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, i: Any) -> Any:
        return self._text(self._ids[i])

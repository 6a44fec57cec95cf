"""`scan`: read a corpus, find every cluster of copies, its origin, and every verified pair.

The pipeline, one module per stage: read -> normalize/shingle -> boilerplate -> sign ->
candidates -> verify -> cluster. Articles are put in id order first, so the result never depends
on the order they were read in.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np
import pandas as pd

from . import boilerplate as bp
from .candidates import anchor_pairs_parts, link_groups, lsh_banding, lsh_params, unique_pairs
from .cluster import Components, attributions, choose_origin, dates_decide, host_of
from .models import Article, Problem, ScanResult
from .parallel import Prepared, balanced_cuts, check_jobs, fork_join
from .read import JsonlLines, from_records, read_parts
from .settings import DEFAULT_SETTINGS, Settings
from .shingle import SetBatch
from .spill import SetStore, StoredArticle
from .verify import DUPLICATE, NAMES, NONE, Relations, judge, relate_many, slices

#: For progress bars: called with the running count of articles as they are read, then with the
#: total now and then until the scan is done (a bar that draws only when called stays alive).
Progress = Callable[[int], None]

DOCUMENT_COLUMNS = ["doc_id", "cluster_id", "role", "relation", "jaccard", "containment_in_origin",
                    "origin_containment", "cluster_size", "site", "url", "title", "published",
                    "author", "words", "boilerplate_words", "source"]
PAIR_COLUMNS = ["doc_a", "doc_b", "relation", "jaccard", "containment_a_in_b", "containment_b_in_a",
                "shared_shingles"]
CLUSTER_COLUMNS = ["cluster_id", "size", "origin_id", "origin_rule", "sites", "n_sites",
                   "first_published", "last_published", "duplicates", "copies", "partial_links",
                   "origin_title"]


def _collect(items: Iterable[Article | Problem | JsonlLines], progress: Progress | None, jobs: int,
             on_problem: Callable[[Problem], None] | None = None) -> Prepared:
    """Read and analyze every article (in `jobs` processes), texts to disk; id order after."""
    corpus = Prepared(jobs, on_problem)
    corpus.collect(items, progress)
    return corpus


def _items(source: Any, id_field: str, text_field: str) -> Iterable[Article | Problem | JsonlLines]:
    if isinstance(source, (str, Path)):
        return read_parts([source], id_field=id_field, text_field=text_field)
    if isinstance(source, (list, tuple)) and source and all(isinstance(s, (str, Path)) for s in source):
        return read_parts(source, id_field=id_field, text_field=text_field)
    return _mixed(source, id_field, text_field)


def _mixed(source: Any, id_field: str, text_field: str) -> Iterable[Article | Problem | JsonlLines]:
    if hasattr(source, "to_dict") and hasattr(source, "columns"):
        yield from from_records(source, id_field=id_field, text_field=text_field)
        return
    # Streamed: each run of plain records goes through from_records as it arrives (numbered from
    # 1 within its run), so a generator of a million dicts is never held in memory.
    items = iter(source)
    stop: list[Any] = []

    def run() -> Iterator[Any]:
        for item in items:
            if isinstance(item, (Article, Problem, JsonlLines)):
                stop.append(item)
                return
            yield item

    while True:
        yield from from_records(run(), id_field=id_field, text_field=text_field)
        if not stop:
            return
        yield stop.pop()


def _published(values: list[str | None]) -> list[pd.Timestamp | None]:
    parsed = pd.to_datetime(pd.Series(values, dtype="object"), errors="coerce", utc=True, format="mixed")
    return [None if pd.isna(v) else v for v in parsed]


def _fingerprint_groups(fingerprints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For (n, 12) fingerprint bytes in id order: each article's group number, and each group's
    first article (groups numbered by fingerprint)."""
    if fingerprints.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    keys = np.ascontiguousarray(fingerprints, dtype=np.uint8).view(np.dtype((np.void, 12))).ravel()
    _, first, group = np.unique(keys, return_index=True, return_inverse=True)
    return group.reshape(-1).astype(np.int64), first.astype(np.int64)


def _dropped_words(corpus: Prepared, drops: Any) -> np.ndarray:
    """Boilerplate words of every article, in read order (one pass over all paragraphs);
    `drops.flat` marks the boilerplate paragraphs of the whole corpus, in read order."""
    dropped = np.flatnonzero(drops.flat)  # a few per article: no array over every paragraph
    article = np.searchsorted(corpus.para_offsets, dropped, side="right") - 1
    n = corpus.para_offsets.shape[0] - 1
    return np.bincount(article, weights=corpus.para_words[dropped], minlength=n).astype(np.int64)


class _Attributions(Sequence[list[str]]):
    """Every article's attributions (see `attributions`), read and computed on first use, or
    ahead of it for many at once (`prefetch`)."""

    def __init__(self, arts: Sequence[StoredArticle]) -> None:
        self._arts = arts
        self._done: dict[int, list[str]] = {}

    def prefetch(self, members: list[int], jobs: int) -> None:
        """Find the attributions of `members`, split between `jobs` processes when they are many."""
        cuts = balanced_cuts([1] * len(members), jobs if len(members) >= _FORK_MEMBERS else 1)
        parts = [members[a:b] for a, b in zip(cuts[:-1], cuts[1:])]
        found = fork_join([partial(self._find, part) for part in parts], jobs)
        for part, names in zip(parts, found):
            self._done.update(zip(part, names))

    def _find(self, members: list[int]) -> list[list[str]]:
        return [attributions(self._arts[m].text) for m in members]

    def __len__(self) -> int:
        return len(self._arts)

    def __getitem__(self, i: int) -> list[str]:  # type: ignore[override]
        hit = self._done.get(i)
        if hit is None:
            hit = self._done[i] = attributions(self._arts[i].text)
        return hit


#: Shingles of the sets read for one batch of pairs to verify (about 5 bytes each).
_READ = 1 << 23
#: Pairs to verify, cluster members to choose origins among, articles to find anchor pairs of:
#: enough of each to be worth splitting between forked processes (a fork costs ~10 ms).
_FORK_PAIRS = 20_000
_FORK_MEMBERS = 2_000
_FORK_ARTICLES = 4_096


def _split(groups: list[list[int]], parts: int) -> list[list[list[int]]]:
    """`groups` cut into `parts` consecutive runs of about as many members each (a few may be
    empty); one run when there are too few to be worth a fork."""
    if parts < 2 or len(groups) < 2 * parts or sum(len(g) for g in groups) < _FORK_MEMBERS:
        return [groups]
    cuts = balanced_cuts([len(g) for g in groups], parts)
    return [groups[a:b] for a, b in zip(cuts[:-1], cuts[1:])]


class _Table:
    """Verified pairs (a[k] < b[k], in id order, distinct) and their relations."""

    def __init__(self, n: int, a: np.ndarray, b: np.ndarray, rel: Relations) -> None:
        self.n, self.a, self.b, self.rel = n, a, b, rel
        self.codes = a * n + b

    def lookup(self, a: np.ndarray, b: np.ndarray, compute: Callable[[np.ndarray], Relations]) -> Relations:
        """The relations of pairs a[k] < b[k]: from the table, or `compute`d if not in it."""
        codes = a * self.n + b
        at = np.minimum(np.searchsorted(self.codes, codes), max(self.codes.shape[0] - 1, 0))
        known = (self.codes[at] == codes) if self.codes.shape[0] else np.zeros(codes.shape[0], dtype=bool)
        fresh = compute(np.flatnonzero(~known))
        both = Relations.concat([self.rel.take(at[known]), fresh])
        return both.take(np.argsort(np.concatenate([np.flatnonzero(known), np.flatnonzero(~known)])))


class _Verified:
    """Relations verified so far, batch by batch (pairs i < j); unrelated pairs are not kept."""

    def __init__(self, n: int, sets: SetStore, fp_id: np.ndarray, settings: Settings, jobs: int = 1) -> None:
        self.n, self.sets, self.fp_id, self.settings, self.jobs = n, sets, fp_id, settings, jobs
        self._sizes = sets.sizes()
        self._pairs: list[np.ndarray] = []
        self._rels: list[Relations] = []

    def relate(self, pairs: np.ndarray) -> Relations:
        """The relations of `pairs`, not recorded. Their sets are read a slice of pairs at a time,
        so memory stays at a few million shingles however many pairs there are; many pairs are
        split between `jobs` processes (forked)."""
        load = self._sizes[pairs[:, 0]] + self._sizes[pairs[:, 1]] + 1
        if self.jobs < 2 or pairs.shape[0] < _FORK_PAIRS:
            return self._relate(pairs, load)
        cuts = balanced_cuts(load, self.jobs)
        parts = [(pairs[a:b], load[a:b]) for a, b in zip(cuts[:-1], cuts[1:])]
        return Relations.concat(fork_join([partial(self._relate, *p) for p in parts], self.jobs))

    def _relate(self, pairs: np.ndarray, load: np.ndarray) -> Relations:
        out = []
        for lo, hi in slices(load, _READ):
            part = pairs[lo:hi]
            docs, slots = np.unique(part.reshape(-1), return_inverse=True)
            batch: SetBatch = self.sets.gather(docs)
            slots = slots.reshape(-1, 2)
            same = self.fp_id[part[:, 0]] == self.fp_id[part[:, 1]]
            out.append(relate_many(batch, slots[:, 0], slots[:, 1], same, self.settings))
        return Relations.concat(out)

    def joins(self, pairs: np.ndarray) -> np.ndarray:
        """Verify and record `pairs`; which of them join one cluster."""
        rel = self.relate(pairs)
        keep = rel.code != NONE
        self._pairs.append(pairs[keep].reshape(-1, 2))
        self._rels.append(rel.take(keep))
        return rel.clustering

    def judge(self, pairs: np.ndarray, shared: np.ndarray, shared_unquoted: np.ndarray) -> Relations:
        """The relations of `pairs` from overlaps counted elsewhere, not recorded."""
        same = self.fp_id[pairs[:, 0]] == self.fp_id[pairs[:, 1]]
        return judge(shared, shared_unquoted, self._sizes[pairs[:, 0]], self._sizes[pairs[:, 1]], same,
                     self.settings)

    def check(self, pairs: np.ndarray) -> np.ndarray:
        """Verify and record `pairs`; those that join one cluster."""
        return pairs[self.joins(pairs)]

    def table(self) -> _Table:
        """Everything recorded, each pair once, in id order."""
        pairs = np.concatenate([np.zeros((0, 2), dtype=np.int64)] + self._pairs).astype(np.int64)
        _, first = np.unique(pairs[:, 0] * self.n + pairs[:, 1], return_index=True)  # a pair checked twice: once
        return _Table(self.n, pairs[first, 0], pairs[first, 1], Relations.concat(self._rels).take(first))


def scan(source: Any, *, settings: Settings = DEFAULT_SETTINGS, id_field: str = "id",
         text_field: str = "text", progress: Progress | None = None, jobs: int | None = None,
         on_problem: Callable[[Problem], None] | None = None) -> ScanResult:
    """Find every cluster of copies in a corpus, its origin, and every verified pair.

    `source` is an iterable of `Article`s or dicts (with `id` and `text`, optionally `url`,
    `title`, `site`, `published`, `author`), a pandas DataFrame, or corpus path(s) as `read` takes.
    It is read as a stream; texts are kept on disk. `jobs` processes (default: all cores) read
    JSONL, analyze, shingle and sign the articles; the result is the same for any `jobs`.
    `on_problem` is called with each problem (a skipped or repaired record) as it is found; all
    of them are in the result's `problems` too.
    """
    jobs = check_jobs(jobs)
    corpus = _collect(_items(source, id_field, text_field), progress, jobs, on_problem)
    arts, feats = corpus.articles, corpus.features
    n = len(arts)
    sites = [a.site or host_of(a.url) for a in arts]

    def tick() -> None:
        if progress is not None:
            progress(n)

    boiler = bp.learn(feats, sites, settings, jobs=jobs)
    tick()
    boiler_arr = bp.as_array(boiler)
    drops = corpus.drop_masks(bp.drop_mask, boiler_arr)
    bands, rows = lsh_params(settings.lsh_threshold, settings.num_perm)
    signed = corpus.sign(drops, settings.shingle_size, settings.num_perm, settings.seed,
                         bands * rows, settings.anchor_modulus)
    sets = signed.sets  # exact shingle sets, read from disk in batches
    dropped_words = _dropped_words(corpus, drops)[corpus.order]
    del drops
    corpus.release_paragraphs()  # their last use: memory for what follows
    tick()

    # Duplicates: the same word sequence. Only one member of each group goes on to LSH.
    fp_id, first = _fingerprint_groups(corpus.fingerprints[corpus.order])
    reps = np.unique(first)
    dups = np.flatnonzero(first[fp_id] != np.arange(n))
    verified = _Verified(n, sets, fp_id, settings, jobs)
    joined = Components(n)
    joined.union(verified.check(np.stack([first[fp_id[dups]], dups], axis=1)))

    # LSH bands here while a forked child finds the pairs sharing anchors.
    found_by: list[Any] = fork_join([
        lambda: lsh_banding(signed.signatures, reps, bands, rows, settings.max_bucket_pairs, select=reps),
        lambda: anchor_pairs_parts(signed.anchors.parts(), n, 2, settings.max_bucket_pairs,
                                   signed.anchors.counter()),
    ], jobs if n >= _FORK_ARTICLES else 1)
    banding, anchored = found_by
    cand = unique_pairs(banding.pairs, anchored, n=n)
    del signed  # the signatures too: only the exact sets decide from here on
    tick()
    # Big LSH groups (a story with thousands of copies) are linked as verification goes: about
    # one pair per copy, to hubs chosen by content (the most central members, then the longest:
    # copies are contained in them). Candidates between two members of big groups wait until
    # then, and are verified only if still apart: inside a big cluster they would only add pairs.
    deferred = banding.in_big(cand)
    joined.union(verified.check(cand[~deferred]))
    link_groups(banding, joined, verified.joins, prefer=sets.sizes())
    rest = cand[deferred]
    joined.union(verified.check(rest[joined.find(rest[:, 0]) != joined.find(rest[:, 1])]))
    groups = joined.groups(min_size=2)  # every other article is a cluster of its own
    tick()
    found = verified.table()

    published = _published([a.published for a in arts])
    attrs = _Attributions(arts)  # read only for clusters whose dates do not decide the origin
    ids = [a.id for a in arts]
    urls = [a.url for a in arts]
    # Attributions of the clusters whose dates leave the origin open, for all at once.
    attrs.prefetch([m for g in groups if not dates_decide(g, published) for m in g], jobs)
    # Each member's overlap with its origin, where choosing the origin counted it anyway.
    near = np.full((2, n), -1, dtype=np.int64)

    def origins(part: list[list[int]]) -> tuple[list[int], list[str], np.ndarray, np.ndarray]:
        """The origins of clusters `part`, their rules, and (members, overlaps) where counted."""
        chosen, rules, counted, overlaps = [], [], [np.zeros(0, np.int64)], [np.zeros((2, 0), np.int64)]
        for g in part:
            o = choose_origin(g, ids, published, attrs, sites, urls, sets)
            chosen.append(o.index)
            rules.append(o.rule)
            if o.shingles is not None:
                counted.append(np.asarray(g, dtype=np.int64))
                overlaps.append(np.stack(o.shingles.overlap_with(o.index)))
        return chosen, rules, np.concatenate(counted), np.concatenate(overlaps, axis=1)

    chosen: list[int] = []
    rules: list[str] = []
    for done in fork_join([partial(origins, part) for part in _split(groups, jobs)], jobs):
        chosen += done[0]
        rules += done[1]
        near[:, done[2]] = done[3]
    tick()
    # Clusters: the groups, then the articles alone. Their ids: biggest first, then by origin id
    # (articles are in id order), so ids are stable across input orders.
    g_sizes = np.array([len(g) for g in groups], dtype=np.int64)
    g_members = np.array([m for g in groups for m in g], dtype=np.int64)
    alone = np.ones(n, dtype=bool)
    alone[g_members] = False
    alone_at = np.flatnonzero(alone)
    c_origin = np.concatenate([np.array(chosen, dtype=np.int64), alone_at])
    c_size = np.concatenate([g_sizes, np.ones(alone_at.shape[0], dtype=np.int64)])
    by_cid = np.lexsort((c_origin, -c_size))  # cluster positions, in cluster id order
    cid_of = np.empty(by_cid.shape[0], dtype=np.int64)
    cid_of[by_cid] = np.arange(1, by_cid.shape[0] + 1)
    cluster_of = np.empty(n, dtype=np.int64)
    origin_of = np.empty(n, dtype=np.int64)
    group_of = np.repeat(np.arange(len(groups), dtype=np.int64), g_sizes)
    cluster_of[g_members], origin_of[g_members] = cid_of[group_of], c_origin[group_of]
    cluster_of[alone_at], origin_of[alone_at] = cid_of[len(groups):], alone_at
    size_of = np.zeros(by_cid.shape[0] + 1, dtype=np.int64)
    size_of[cid_of] = c_size

    # Each copy's relation to its origin: verified already, or (for a copy joined through
    # others) judged from the overlap counted when choosing the origin, or verified now.
    member = np.arange(n)
    copy = (size_of[cluster_of] > 1) & (origin_of != member)
    copies = member[copy]
    lo, hi = np.minimum(copies, origin_of[copy]), np.maximum(copies, origin_of[copy])

    def compute(k: np.ndarray) -> Relations:
        """The relations of the copies `k` (positions in `copies`) not in the pairs table."""
        pairs = np.stack([lo[k], hi[k]], axis=1)
        counted = near[0, copies[k]] >= 0
        rel = Relations.concat([verified.judge(pairs[counted], *near[:, copies[k][counted]]),
                                verified.relate(pairs[~counted])])
        return rel.take(np.argsort(np.concatenate([np.flatnonzero(counted), np.flatnonzero(~counted)])))

    to_origin = found.lookup(lo, hi, compute)
    rel_name = np.where(size_of[cluster_of] == 1, "unique", "origin").astype(object)
    figures = np.full((3, n), np.nan)
    figures[:, ~copy & (size_of[cluster_of] > 1)] = 1.0
    clustering = to_origin.clustering
    rel_name[copy] = np.where(clustering, np.array(NAMES, dtype=object)[to_origin.code], "indirect")
    mine_in = np.where(copies == lo, to_origin.containment_a_in_b, to_origin.containment_b_in_a)
    other_in = np.where(copies == lo, to_origin.containment_b_in_a, to_origin.containment_a_in_b)
    related = to_origin.code != NONE
    figures[:, copy] = np.where(related, np.stack([to_origin.jaccard, mine_in, other_in]), 0.0)
    role = np.where(size_of[cluster_of] == 1, "unique", np.where(copy, "copy", "origin"))

    documents = pd.DataFrame({
        "doc_id": ids, "cluster_id": cluster_of, "role": role.tolist(), "relation": rel_name.tolist(),
        "jaccard": figures[0], "containment_in_origin": figures[1], "origin_containment": figures[2],
        "cluster_size": size_of[cluster_of], "site": sites, "url": urls, "title": [a.title for a in arts],
        "published": [a.published for a in arts], "author": [a.author for a in arts],
        "words": corpus.n_words[corpus.order], "boilerplate_words": dropped_words,
        "source": [a.origin_ref for a in arts],
    }, columns=DOCUMENT_COLUMNS)

    ids_arr = np.array(ids, dtype=object)
    pairs = pd.DataFrame({
        "doc_a": ids_arr[found.a].tolist(), "doc_b": ids_arr[found.b].tolist(),
        "relation": np.array(NAMES, dtype=object)[found.rel.code].tolist(), "jaccard": found.rel.jaccard,
        "containment_a_in_b": found.rel.containment_a_in_b, "containment_b_in_a": found.rel.containment_b_in_a,
        "shared_shingles": found.rel.shared,
    }, columns=PAIR_COLUMNS)

    reuse = ~found.rel.clustering  # partial reuse
    partial_links = np.bincount(np.concatenate([cluster_of[found.a[reuse]], cluster_of[found.b[reuse]]]),
                                minlength=by_cid.shape[0] + 1)
    # The groups' rows one by one; the articles alone in columns.
    relation_of = rel_name.tolist()
    g_rows = []
    for g in groups:
        member_sites = sorted({s for s in (sites[m] for m in g) if s})
        dates = [d for d in (published[m] for m in g) if d is not None]
        rels = [relation_of[m] for m in g]
        g_rows.append((";".join(member_sites), len(member_sites),
                       min(dates).isoformat() if dates else None, max(dates).isoformat() if dates else None,
                       rels.count(DUPLICATE), rels.count("copy")))
    alone_list = alone_at.tolist()
    alone_sites = [sites[m] or "" for m in alone_list]
    alone_dates = [None if d is None else d.isoformat() for d in (published[m] for m in alone_list)]
    g_cols = list(zip(*g_rows)) if g_rows else [()] * 6
    column = [list(g_cols[0]) + alone_sites, list(g_cols[1]) + [int(bool(s)) for s in alone_sites],
              list(g_cols[2]) + alone_dates, list(g_cols[3]) + alone_dates,
              list(g_cols[4]) + [0] * len(alone_list), list(g_cols[5]) + [0] * len(alone_list)]
    order = by_cid.tolist()
    origin_list = c_origin[by_cid].tolist()
    clusters = pd.DataFrame({
        "cluster_id": np.arange(1, by_cid.shape[0] + 1, dtype=np.int64), "size": c_size[by_cid],
        "origin_id": [ids[o] for o in origin_list], "origin_rule": [(rules[c] if c < len(groups) else "unique") for c in order],
        "sites": [column[0][c] for c in order], "n_sites": np.array(column[1], dtype=np.int64)[by_cid],
        "first_published": [column[2][c] for c in order], "last_published": [column[3][c] for c in order],
        "duplicates": np.array(column[4], dtype=np.int64)[by_cid], "copies": np.array(column[5], dtype=np.int64)[by_cid],
        "partial_links": partial_links[1:], "origin_title": [arts[o].title for o in origin_list],
    }, columns=CLUSTER_COLUMNS)
    return ScanResult(documents=documents, pairs=pairs, clusters=clusters,
                      problems=tuple(corpus.problems), settings=settings, articles_read=n,
                      boilerplate=boiler, _texts=corpus.texts)

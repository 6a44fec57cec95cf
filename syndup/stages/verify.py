"""Stage 5, verify: decide every candidate pair from the exact shingle sets (and, where they fall
short, the noisy view's, confirmed by alignment: `verify.noisy_copies`), and join the copies.

Pairs are verified in batches (`verify.relate_many`: the one relation rule), their sets read from
disk a slice of pairs at a time; many pairs are split between forked processes. Duplicates and
copies are joined into connected components as verification goes: big LSH groups (a story with
thousands of copies) are linked with about one verified pair per copy (`candidates.link_groups`),
and candidates between two members of big groups are verified only if still apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .. import boilerplate as bp
from ..candidates import Joined, link_groups
from ..cluster import Components
from ..execution import Execution
from ..settings import Settings
from ..shingle import FeatureBatch, SetBatch, analyze_many
from ..spill import SetStore, StoredArticle, StoredTexts, WordStore
from ..verify import (
    NONE,
    KnownRuns,
    Passages,
    Relations,
    aligned_share,
    body_words,
    covered_share_many,
    judge,
    measured,
    near_copies,
    noisy_copies,
    passages_many,
    relate_many,
    sequences_many,
)
from .candidates import Candidates


@dataclass(frozen=True)
class PairTable:
    """Verified pairs (a[k] < b[k], in id order, distinct) and their relations."""

    n: int
    a: np.ndarray
    b: np.ndarray
    rel: Relations

    def lookup(self, a: np.ndarray, b: np.ndarray, compute: Callable[[np.ndarray], Relations]) -> Relations:
        """The relations of pairs a[k] < b[k]: from the table, or `compute`d (given the positions
        k of the pairs not in it)."""
        table = self.a * self.n + self.b
        codes = a * self.n + b
        at = np.minimum(np.searchsorted(table, codes), max(table.shape[0] - 1, 0))
        known = (table[at] == codes) if table.shape[0] else np.zeros(codes.shape[0], dtype=bool)
        fresh = compute(np.flatnonzero(~known))
        both = Relations.concat([self.rel.take(at[known]), fresh])
        return both.take(np.argsort(np.concatenate([np.flatnonzero(known), np.flatnonzero(~known)])))


#: What `Verifier._sequences` measures of a slice of pairs: measure(batch, drop, docs, a, b).
Measure = Callable[[FeatureBatch, np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]

#: Pairs to align (a few milliseconds each) worth splitting between processes (a fork costs about 10 ms).
ALIGN_FORK = 64


class Verifier:
    """Verifies pairs (i < j) of a corpus's articles (in id order), from their sets on disk and,
    where a shared passage decides, their texts with the corpus's `boilerplate` paragraphs left out."""

    def __init__(self, sets: SetStore, same_words: np.ndarray, settings: Settings, execution: Execution,
                 articles: Sequence[StoredArticle], boilerplate: frozenset[int],
                 noisy_sets: SetStore | None = None, words: WordStore | None = None) -> None:
        """`noisy_sets`: the noisy view's sets, for the pairs the exact view falls short on (none: exact only);
        `words`: the articles' words kept on disk, for measuring passages (none: their texts are analysed again)."""
        self.sets, self.same_words, self.settings, self.execution = sets, same_words, settings, execution
        self.noisy_sets, self.words = noisy_sets, words
        self.articles, self.boilerplate = articles, bp.as_array(boilerplate)
        self.sizes = sets.sizes()
        self.known_runs: dict[tuple[int, int, int], bool] = {}  # `verify.KnownRuns`, kept across batches

    def __getstate__(self) -> dict[str, object]:
        """Pickled for a cluster's workers: the articles as where their texts are (`StoredTexts`),
        not their ids and metadata; no runs known yet."""
        return {**self.__dict__, "articles": StoredTexts.of(self.articles), "known_runs": {}}

    def relate(self, pairs: np.ndarray) -> Relations:
        """The relations of `pairs`; many pairs are split between processes by their sets' sizes."""
        load = self.sizes[pairs[:, 0]] + self.sizes[pairs[:, 1]] + 1
        tuning, jobs = self.execution.tuning, self.execution.jobs
        apart = jobs >= 2 and pairs.shape[0] >= max(tuning.fork_pairs, 2 * jobs)  # as `map_split` decides
        run = self._relate if apart else self._relate_here
        return Relations.concat(self.execution.map_split(run, pairs, minimum=tuning.fork_pairs, load=load))

    def _relate(self, pairs: np.ndarray) -> Relations:
        """`_relate_here` in one of the processes `relate` split the pairs between (which splits no further)."""
        return self._relate_here(pairs, apart=True)

    def _relate_here(self, pairs: np.ndarray, apart: bool = False) -> Relations:
        """The relations of `pairs`, their sets read a slice of pairs at a time: memory stays at a
        few million shingles however many pairs there are. `apart`: in a process of a split."""
        out = []
        for lo, hi in doc_slices(pairs, self.sizes, self.execution.tuning.read_shingles):
            part = pairs[lo:hi]
            docs, slots = np.unique(part.reshape(-1), return_inverse=True)
            batch: SetBatch = self.sets.gather(docs)
            slots = slots.reshape(-1, 2)
            same = self.same_words[part[:, 0]] == self.same_words[part[:, 1]]
            rel = relate_many(batch, slots[:, 0], slots[:, 1], same, self.settings, self._passages(part),
                              self._covered(part))
            if self.noisy_sets is not None and not rel.clustering.all():
                rel = noisy_copies(rel, self.noisy_sets.gather(docs), slots[:, 0], slots[:, 1], self.settings,
                                   self._aligned(part, split=not apart))
            out.append(rel)
        return Relations.concat(out)

    def _aligned(self, pairs: np.ndarray, split: bool = True) -> Callable[[np.ndarray], np.ndarray]:
        """What `noisy_copies` asks of `pairs`: the aligned share of some of them, by position."""
        return lambda p: self.aligned(pairs[p], split)

    def aligned(self, pairs: np.ndarray, split: bool = True) -> np.ndarray:
        """`verify.aligned_share` of each of `pairs`, from their texts without boilerplate, exact where
        it reaches `noisy_min_aligned` (else under it). Aligning costs milliseconds a pair: many
        pairs are split between processes (when `split`: not already in one of a split's)."""
        least = min(ALIGN_FORK, self.execution.tuning.fork_pairs)  # tests lower fork_pairs to force splits
        if split and not self.execution.remote and pairs.shape[0] >= least:
            return np.concatenate(self.execution.map_split(self._aligned_here, pairs, minimum=least))
        return self._aligned_here(pairs)

    def _aligned_here(self, pairs: np.ndarray) -> np.ndarray:
        """`aligned` of `pairs`, in this process."""
        docs = np.unique(pairs.reshape(-1)).tolist()
        features = analyze_many([self.articles[d].text for d in docs])
        body = {d: body_words(self.articles[d].text, bp.drop_mask(features[i], self.boilerplate))
                for i, d in enumerate(docs)}
        need = self.settings.noisy_min_aligned  # all `noisy_copies` asks of it
        return np.array([aligned_share(body[a], body[b], self.settings, need) for a, b in pairs.tolist()],
                        dtype=np.float64)

    def judge(self, pairs: np.ndarray, shared: np.ndarray, shared_unquoted: np.ndarray) -> Relations:
        """The relations of `pairs` from overlaps counted elsewhere (passages measured here)."""
        same = self.same_words[pairs[:, 0]] == self.same_words[pairs[:, 1]]
        na, nb = self.sizes[pairs[:, 0]], self.sizes[pairs[:, 1]]
        words = np.zeros(pairs.shape[0], dtype=np.int64)
        measure = measured(shared, shared_unquoted, na, nb, same, self.settings)
        words[measure] = self.passage_words(pairs[measure])
        share = np.zeros(pairs.shape[0])
        near = near_copies(shared, words, na, nb, same, self.settings)
        share[near] = self.covered_share(pairs[near])
        rel = judge(shared, words, na, nb, same, self.settings, share)
        if self.noisy_sets is None or rel.clustering.all():
            return rel
        docs, slots = np.unique(pairs.reshape(-1), return_inverse=True)
        slots = slots.reshape(-1, 2)
        return noisy_copies(rel, self.noisy_sets.gather(docs), slots[:, 0], slots[:, 1], self.settings,
                            self._aligned(pairs))

    def _covered(self, pairs: np.ndarray) -> Passages:
        """What `relate_many` asks of `pairs`: the share of text found in the other of some of them."""
        return lambda p: self.covered_share(pairs[p])

    def _passages(self, pairs: np.ndarray) -> Passages:
        """What `relate_many` asks of `pairs`: the passage words of some of them, by position."""
        return lambda p: self.passage_words(pairs[p])

    def passage_words(self, pairs: np.ndarray) -> np.ndarray:
        """The longest passage each of `pairs` shares (`verify.passages_many`: one sentence is no
        passage), from their words on disk (else their texts analysed again), a slice of pairs at a
        time; runs tested for an earlier pair are not cut into sentences again (`verify.KnownRuns`)."""
        text = self.articles
        return self._sequences(pairs, lambda batch, drop, docs, a, b: passages_many(
            batch, drop, lambda i: text[int(docs[i])].text, a, b, self.settings, KnownRuns(self.known_runs, docs)),
            np.int64)

    def covered_share(self, pairs: np.ndarray) -> np.ndarray:
        """The share of its text each of `pairs` finds in the other, in words (`verify.covered_share_many`)."""
        k = self.settings.shingle_size
        return self._sequences(pairs, lambda batch, drop, docs, a, b: covered_share_many(
            sequences_many(batch, k, drop), a, b, k), np.float64)

    def _sequences(self, pairs: np.ndarray, measure: Measure, dtype: type[np.generic]) -> np.ndarray:
        """`measure` of each of `pairs`, from their words on disk (else their texts analysed again,
        boilerplate left out), a slice of pairs at a time: measure(batch, drop, docs, a, b) of the
        slice's articles `docs` (their words `batch`, paragraphs to leave out `drop`) and its pairs
        of them a[p], b[p]."""
        out: np.ndarray = np.zeros(pairs.shape[0], dtype=dtype)
        for lo, hi in doc_slices(pairs, self.sizes, self.execution.tuning.read_shingles):
            docs, slots = np.unique(pairs[lo:hi].reshape(-1), return_inverse=True)
            if self.words is not None:
                features, drop = self.words.gather(docs)
            else:
                features = analyze_many([self.articles[d].text for d in docs.tolist()])
                drop = bp.drop_mask(features, self.boilerplate)
            slots = slots.reshape(-1, 2)
            out[lo:hi] = measure(features, drop, docs, slots[:, 0], slots[:, 1])
        return out


def doc_slices(pairs: np.ndarray, sizes: np.ndarray, limit: int) -> Iterator[tuple[int, int]]:
    """Consecutive (start, stop) runs of `pairs` (at least one pair each) whose distinct articles
    hold about `limit` shingles (`sizes`) together, and at most `limit // 16` pairs: each run reads
    every article's set once, however many of its pairs the article is in (memory stays bounded
    by the articles read, as by `verify.slices`, without reading an article once per pair)."""
    n, start, most = pairs.shape[0], 0, max(1, limit // 16)
    while start < n:
        width = min(n - start, most, 1 << 12)
        while True:
            flat = pairs[start:start + width].reshape(-1)
            docs, first = np.unique(flat, return_index=True)
            grown = np.cumsum(np.bincount(first // 2, weights=sizes[docs] + 1, minlength=width))
            stop = int(np.searchsorted(grown, limit, side="right"))
            if stop < width or start + width == n or width == most:
                break
            width = min(2 * width, n - start, most)
        stop = max(stop, 1)
        yield start, start + stop
        start += stop


@dataclass(frozen=True)
class Verified:
    """Every verified related pair, the clusters' members (components of 2+ joined by duplicates
    and copies, each sorted, ordered by their smallest member), and the verifier for more pairs."""

    table: PairTable
    groups: list[list[int]]
    verifier: Verifier


def verify(candidates: Candidates, sets: SetStore, settings: Settings, execution: Execution,
           articles: Sequence[StoredArticle], boilerplate: frozenset[int],
           noisy_sets: SetStore | None = None, words: WordStore | None = None) -> Verified:
    """Verify the candidates and join duplicates and copies into components (see the module docstring);
    `articles` (id order) and `boilerplate` are for measuring shared passages and aligning noisy
    copies, `noisy_sets` the noisy view's sets, `words` the articles' words on disk (passages are
    measured from them rather than from texts analysed again). Where the links are kept and how
    their components are found is the execution's (`Execution.links`): here, or on a cluster's workers."""
    n = candidates.same_words.shape[0]
    verifier = Verifier(sets, candidates.same_words, settings, execution, articles, boilerplate, noisy_sets, words)
    links = execution.links(verifier, n)
    # Pairs verified whatever is joined already: the order they are joined in changes no component.
    pairs = candidates.pairs
    deferred = candidates.banding.in_big(pairs)
    links.add(candidates.duplicates)
    links.add(pairs[~deferred])
    # From here, which pairs are verified depends on what is joined: only members of big groups are asked.
    big = [candidates.banding] + ([] if candidates.noisy_banding is None else [candidates.noisy_banding])
    joined = links.joined(np.unique(np.concatenate([np.flatnonzero(b.centrality > 0) for b in big])))
    for banding in big:
        link_groups(banding, joined, links.confirm, prefer=sets.sizes())
    rest = pairs[deferred]
    rest = rest[joined.find(rest[:, 0]) != joined.find(rest[:, 1])]
    _joining(links, joined, rest)
    table, groups = links.finish()
    return Verified(table, groups, verifier)


def _joining(links: Links, joined: Joined, pairs: np.ndarray) -> np.ndarray:
    """Verify and keep `pairs`, join those that join one cluster in `joined`; which they are."""
    clustering = links.confirm(pairs)
    joined.union(pairs[clustering])
    return clustering


class Links(Protocol):
    """Where verified links are kept while a scan verifies, and how their components are found."""

    def add(self, pairs: np.ndarray) -> None:
        """Verify `pairs` and keep the related ones; those that join one cluster join."""

    def joined(self, members: np.ndarray) -> Joined:
        """The components so far, asked and joined for `members` only (sorted) from now on."""

    def confirm(self, pairs: np.ndarray) -> np.ndarray:
        """Verify `pairs` (all in `joined`'s members) and keep the related ones; which join one cluster."""

    def finish(self) -> tuple[PairTable, list[list[int]]]:
        """Every related pair kept, and the components of 2+ (each sorted, by smallest member) of all
        joining links."""


class MemoryLinks:
    """`Links` in this process's memory, joined as they come in one `Components`."""

    def __init__(self, verifier: Verifier, n: int) -> None:
        self.verifier, self.n = verifier, n
        self.components = Components(n)
        self.found: list[np.ndarray] = []
        self.rels: list[Relations] = []

    def confirm(self, pairs: np.ndarray) -> np.ndarray:
        rel = self.verifier.relate(pairs)
        keep = rel.code != NONE
        self.found.append(pairs[keep].reshape(-1, 2))
        self.rels.append(rel.take(keep))
        return rel.clustering

    def add(self, pairs: np.ndarray) -> None:
        self.components.union(pairs[self.confirm(pairs)])

    def joined(self, members: np.ndarray) -> Joined:
        return self.components

    def finish(self) -> tuple[PairTable, list[list[int]]]:
        return pair_table(self.n, self.found, self.rels), self.components.groups(min_size=2)


def pair_table(n: int, found: Sequence[np.ndarray], rels: Sequence[Relations]) -> PairTable:
    """The related pairs `found` (with their relations `rels`), each once (a pair checked twice: once), in id order."""
    everything = np.concatenate([np.zeros((0, 2), dtype=np.int64)] + list(found)).astype(np.int64)
    _, first = np.unique(everything[:, 0] * n + everything[:, 1], return_index=True)
    return PairTable(n, everything[first, 0], everything[first, 1], Relations.concat(list(rels)).take(first))

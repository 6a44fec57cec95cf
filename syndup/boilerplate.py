"""Learn boilerplate from the corpus itself: passages that recur across unrelated articles.

A paragraph seen in several articles is either part of a story that travels (a syndicated copy
carries most of its paragraphs along) or boilerplate (a disclaimer, a share prompt, a newsletter
pitch: a small block that recurs around many different stories). As in passim and trafilatura's
cross-document filter, we start from document frequency, then look at the articles holding it:

1. Site boilerplate: two or more articles of one site hold it, and the block of paragraphs they
   share is a small part of them (they are different stories wrapped in the same chrome).
2. Shared boilerplate: it appears in at least `boilerplate_min_stories` different stories, where
   articles are the same story when most of their (non-boilerplate) text is shared paragraphs.

A passage shared by one family of copies and an article quoting it is therefore never boilerplate.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import AbstractSet, Callable, Hashable, Iterable, Sequence, TypeVar

import numpy as np

from .settings import Settings
from .shingle import Features

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, eq=False)
class Member:
    """What the boilerplate test needs to know of one article that contains a frequent paragraph."""

    para_hashes: np.ndarray
    para_words: np.ndarray
    site: str | None
    #: the last word map made, and the `known` set it was made without (a member is judged for
    #: many paragraphs, mostly against the same set)
    _last: list[object] = field(default_factory=lambda: [None, None], repr=False, compare=False)

    def word_map(self, known: AbstractSet[int] = frozenset()) -> dict[int, int]:
        """Words per distinct paragraph hash, leaving out `known` boilerplate.

        Cached for the last `known` set passed (by identity, so a set that changed since is a
        new question only if it is a new object: `decide` passes one frozen set per stage)."""
        last = self._last
        if last[0] is known and last[1] is not None:
            return last[1]  # type: ignore[return-value]
        out: dict[int, int] = {}
        for h, w in zip(self.para_hashes.tolist(), self.para_words.tolist()):
            if h not in known:
                out[h] = out.get(h, 0) + w
        if isinstance(known, frozenset):
            last[0], last[1] = known, out
        return out


def site_boilerplate(members: Sequence[Member]) -> bool:
    """True if the paragraph belongs to one site (at least 80% of its holders are there)
    and that site's articles share it inside a block that is a small part of each (the same
    chrome around different stories) rather than most of them (one story twice)."""
    by_site: dict[str, list[Member]] = defaultdict(list)
    for m in members:
        if m.site:
            by_site[m.site].append(m)
    for group in by_site.values():
        if len(group) < 2 or 5 * len(group) < 4 * len(members):
            continue
        counts: Counter[int] = Counter()
        maps = [m.word_map() for m in group]
        for wm in maps:
            counts.update(wm.keys())
        need = max(2, math.ceil(0.8 * len(group)))
        block = {h for h, c in counts.items() if c >= need}
        mostly_block = sum(1 for wm in maps
                           if 2 * sum(w for h, w in wm.items() if h in block) >= sum(wm.values()))
        if mostly_block * 2 < len(group):
            return True
    return False


def stories(members: Sequence[Member], known: AbstractSet[int] = frozenset(), same: float = 0.3) -> int:
    """How many different stories the members belong to: connected groups of articles that share
    paragraphs making up at least `same` of the shorter one (known boilerplate left out)."""
    maps = [m.word_map(known) for m in members]
    totals = [sum(wm.values()) for wm in maps]
    parent = list(range(len(maps)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i in range(len(maps)):
        for j in range(i + 1, len(maps)):
            if find(i) == find(j):
                continue
            small, big = (maps[i], maps[j]) if len(maps[i]) <= len(maps[j]) else (maps[j], maps[i])
            shared = sum(w for h, w in small.items() if h in big)
            floor = min(totals[i], totals[j])
            if floor and shared >= same * floor:
                parent[find(i)] = find(j)
    return len({find(i) for i in range(len(maps))})


def decide(paragraphs: Iterable[tuple[int, int, K]], members_of: Callable[[K], Sequence[Member]],
           settings: Settings, site_found: set[int] | None = None) -> set[int]:
    """The boilerplate among `paragraphs`, each given as (hash, articles holding it, sample key).

    `members_of(key)` returns the sampled holders; equal keys are judged once. Site boilerplate is
    found first (and added to `site_found`, which may carry what earlier calls found); it is then
    left out when counting the stories that hold each remaining paragraph.
    """
    paragraphs = list(paragraphs)
    found = site_found if site_found is not None else set()
    site_cache: dict[K, bool] = {}
    for h, _, key in paragraphs:
        if key not in site_cache:
            site_cache[key] = site_boilerplate(members_of(key))
        if site_cache[key]:
            found.add(h)
    result = {h for h, _, _ in paragraphs if h in found}
    known = frozenset(found)  # one object for the whole stage: members cache their word maps by it
    story_cache: dict[K, bool] = {}
    for h, holders, key in paragraphs:
        if h in known or holders < settings.boilerplate_min_stories:
            continue
        if key not in story_cache:
            story_cache[key] = stories(members_of(key), known) >= settings.boilerplate_min_stories
        if story_cache[key]:
            result.add(h)
    return result


def learn(features: Sequence[Features], sites: Sequence[str | None], settings: Settings) -> frozenset[int]:
    """The paragraph hashes that are boilerplate in this corpus.

    `features` must be in a canonical order (syndup sorts by article id) so that the sample of
    articles judged for each paragraph, and so the answer, never depends on input order.
    """
    if not features:
        return frozenset()
    hashes, docs = paragraph_table(features)
    if hashes.shape[0] == 0:
        return frozenset()
    # One row per (paragraph, article holding it), by paragraph, then article.
    order = np.lexsort((docs, hashes))
    hashes, docs = hashes[order], docs[order]
    new = np.ones(hashes.shape[0], dtype=bool)
    new[1:] = (hashes[1:] != hashes[:-1]) | (docs[1:] != docs[:-1])
    hashes, docs = hashes[new], docs[new]
    starts = np.flatnonzero(np.concatenate([[True], hashes[1:] != hashes[:-1]]))
    counts = np.diff(np.append(starts, hashes.shape[0]))
    frequent = np.flatnonzero(counts >= 2)
    cache: dict[int, Member] = {}

    def member(i: int) -> Member:
        if i not in cache:
            cache[i] = Member(features[i].para_hashes, features[i].para_words, sites[i])
        return cache[i]

    sample = settings.boilerplate_sample
    f_starts, f_counts = starts[frequent].tolist(), counts[frequent].tolist()
    f_hashes, doc_list = hashes[starts[frequent]].tolist(), docs.tolist()
    paragraphs = ((h, c, tuple(doc_list[s:s + min(c, sample)])) for h, c, s in zip(f_hashes, f_counts, f_starts))
    return frozenset(decide(paragraphs, lambda key: [member(i) for i in key], settings))


def paragraph_table(features: Sequence[Features]) -> tuple[np.ndarray, np.ndarray]:
    """Every paragraph of the corpus as (hash, position of its article in `features`), in two
    flat arrays; from a scan's flat paragraph arrays when `features` offers them."""
    flat = getattr(features, "paragraph_table", None)
    if callable(flat):
        return flat()  # type: ignore[no-any-return]
    parts = [f.para_hashes for f in features]
    counts = np.fromiter((p.shape[0] for p in parts), dtype=np.int64, count=len(parts))
    hashes = np.concatenate(parts) if parts else np.zeros(0, np.uint64)
    return hashes.astype(np.uint64, copy=False), np.repeat(np.arange(len(parts), dtype=np.int64), counts)


def as_array(boilerplate: frozenset[int] | set[int]) -> np.ndarray:
    """Boilerplate paragraph hashes as a sorted array, the form `drop_mask` takes."""
    return np.array(sorted(boilerplate), dtype=np.uint64)


def drop_mask(features: Features, boilerplate: np.ndarray) -> np.ndarray:
    """Boolean mask over an article's paragraphs: True where the paragraph is boilerplate."""
    if boilerplate.shape[0] == 0 or features.para_hashes.shape[0] == 0:
        return np.zeros(features.para_hashes.shape[0], dtype=bool)
    return np.isin(features.para_hashes, boilerplate)

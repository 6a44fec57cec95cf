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
from dataclasses import dataclass
from typing import AbstractSet, Callable, Hashable, Iterable, Sequence, TypeVar

import numpy as np

from .settings import Settings
from .shingle import Features

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Member:
    """What the boilerplate test needs to know of one article that contains a frequent paragraph."""

    para_hashes: np.ndarray
    para_words: np.ndarray
    site: str | None

    def word_map(self, known: AbstractSet[int] = frozenset()) -> dict[int, int]:
        """Words per distinct paragraph hash, leaving out `known` boilerplate."""
        out: dict[int, int] = {}
        for h, w in zip(self.para_hashes.tolist(), self.para_words.tolist()):
            if h not in known:
                out[h] = out.get(h, 0) + w
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
    story_cache: dict[K, bool] = {}
    for h, holders, key in paragraphs:
        if h in found or holders < settings.boilerplate_min_stories:
            continue
        if key not in story_cache:
            story_cache[key] = stories(members_of(key), found) >= settings.boilerplate_min_stories
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
    per_doc = [np.unique(f.para_hashes) for f in features]
    hashes = np.concatenate(per_doc)
    docs = np.repeat(np.arange(len(features), dtype=np.int64), [p.shape[0] for p in per_doc])
    if hashes.shape[0] == 0:
        return frozenset()
    order = np.lexsort((docs, hashes))
    hashes, docs = hashes[order], docs[order]
    starts = np.flatnonzero(np.concatenate([[True], hashes[1:] != hashes[:-1]]))
    counts = np.diff(np.concatenate([starts, [hashes.shape[0]]]))
    frequent = np.flatnonzero(counts >= 2)
    cache: dict[int, Member] = {}

    def member(i: int) -> Member:
        if i not in cache:
            cache[i] = Member(features[i].para_hashes, features[i].para_words, sites[i])
        return cache[i]

    paragraphs = ((int(hashes[starts[g]]), int(counts[g]),
                   tuple(docs[starts[g]:starts[g] + min(int(counts[g]), settings.boilerplate_sample)].tolist()))
                  for g in frequent)
    return frozenset(decide(paragraphs, lambda sample: [member(i) for i in sample], settings))


def as_array(boilerplate: frozenset[int] | set[int]) -> np.ndarray:
    """Boilerplate paragraph hashes as a sorted array, the form `drop_mask` takes."""
    return np.array(sorted(boilerplate), dtype=np.uint64)


def drop_mask(features: Features, boilerplate: np.ndarray) -> np.ndarray:
    """Boolean mask over an article's paragraphs: True where the paragraph is boilerplate."""
    if boilerplate.shape[0] == 0 or features.para_hashes.shape[0] == 0:
        return np.zeros(features.para_hashes.shape[0], dtype=bool)
    return np.isin(features.para_hashes, boilerplate)

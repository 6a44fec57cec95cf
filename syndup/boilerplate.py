"""Learn boilerplate from the corpus itself: passages that recur across unrelated articles.

A paragraph seen in several articles is either part of a story that travels (a syndicated copy
carries most of its paragraphs along) or boilerplate (a disclaimer, a share prompt, a newsletter
pitch: a small block that recurs around many different stories). We tell them apart the way passim
and trafilatura's cross-document filter suggest, by document frequency, plus one test: the block of
paragraphs that travels with it. If that block is most of the articles it appears in, it is a story;
if it is a small part of articles that otherwise differ, it is boilerplate.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .settings import Settings
from .shingle import Features


@dataclass(frozen=True)
class Member:
    """What the boilerplate test needs to know of one article that contains a frequent paragraph."""

    para_hashes: np.ndarray
    para_words: np.ndarray
    site: str | None


def judge(members: Sequence[Member], doc_count: int, settings: Settings) -> bool:
    """True if the paragraph shared by `members` (a sample of the `doc_count` articles holding it)
    is boilerplate rather than part of a story they share."""
    n = len(members)
    if n < 2:
        return False
    counts: Counter[int] = Counter()
    for m in members:
        counts.update(set(m.para_hashes.tolist()))
    need = max(2, math.ceil(0.8 * n))
    block = {h for h, c in counts.items() if c >= need}
    covered = 0
    for m in members:
        total = int(m.para_words.sum())
        in_block = int(m.para_words[np.isin(m.para_hashes, list(block))].sum()) if total else 0
        if total and in_block * 2 >= total:
            covered += 1
    if covered * 2 >= n:
        return False  # the shared block is most of these articles: they are copies of one story
    if doc_count >= settings.boilerplate_min_docs:
        return True
    sites = [m.site for m in members if m.site]
    return len(sites) != len(set(sites))  # two different articles of one site share it


def learn(features: Sequence[Features], sites: Sequence[str | None], settings: Settings) -> frozenset[int]:
    """The paragraph hashes that are boilerplate in this corpus.

    `features` must be in a canonical order (syndup sorts by article id) so that the sample of
    articles judged for each paragraph, and so the answer, never depends on input order.
    """
    if not features:
        return frozenset()
    per_doc = [np.unique(f.para_hashes) for f in features]
    hashes = np.concatenate(per_doc) if per_doc else np.zeros(0, np.uint64)
    docs = np.repeat(np.arange(len(features), dtype=np.int64), [p.shape[0] for p in per_doc])
    order = np.lexsort((docs, hashes))
    hashes, docs = hashes[order], docs[order]
    if hashes.shape[0] == 0:
        return frozenset()
    starts = np.flatnonzero(np.concatenate([[True], hashes[1:] != hashes[:-1]]))
    counts = np.diff(np.concatenate([starts, [hashes.shape[0]]]))
    frequent = np.flatnonzero(counts >= 2)
    result: set[int] = set()
    decided: dict[tuple[int, ...], bool] = {}
    for g in frequent:
        s = starts[g]
        sample = tuple(docs[s:s + min(int(counts[g]), settings.boilerplate_sample)].tolist())
        key = sample + (int(counts[g] >= settings.boilerplate_min_docs),)
        verdict = decided.get(key)
        if verdict is None:
            members = [Member(features[i].para_hashes, features[i].para_words, sites[i]) for i in sample]
            verdict = decided[key] = judge(members, int(counts[g]), settings)
        if verdict:
            result.add(int(hashes[s]))
    return frozenset(result)


def as_array(boilerplate: frozenset[int] | set[int]) -> np.ndarray:
    """Boilerplate paragraph hashes as a sorted array, the form `drop_mask` takes."""
    return np.array(sorted(boilerplate), dtype=np.uint64)


def drop_mask(features: Features, boilerplate: np.ndarray) -> np.ndarray:
    """Boolean mask over an article's paragraphs: True where the paragraph is boilerplate."""
    if boilerplate.shape[0] == 0 or features.para_hashes.shape[0] == 0:
        return np.zeros(features.para_hashes.shape[0], dtype=bool)
    return np.isin(features.para_hashes, boilerplate)

"""`Corpus`: the state of a scan after its first pass, shared by the stages that follow.

Articles in id order (texts on disk, in a `TextStore`), and every paragraph's hash and word count
in flat arrays (read order, `para_offsets` per article): what learning boilerplate needs of the
whole corpus at once. Nothing is kept per article but its metadata.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import ParamSpec, TypeVar

import numpy as np

from .boilerplate import ParagraphTable
from .cluster import host_of
from .models import Problem
from .spill import SpillDir, StoredArticle, TextStore


@dataclass(frozen=True)
class Chunk:
    """What the first pass gives back for one chunk of articles (in read order)."""

    para_hashes: np.ndarray   # uint64, every paragraph of the chunk's articles
    para_words: np.ndarray    # int32, words in each paragraph
    para_offsets: np.ndarray  # int64, per article: where its paragraphs start
    fingerprints: np.ndarray  # uint8 (n, 12): the word sequence's digest, per article
    n_words: np.ndarray       # int64, words per article
    languages: tuple[str, ...] = ()  # per article: its language code, "" if unknown


class Corpus:
    """Every article of a scan, in id order, and its paragraph outline (see the module docstring).

    The paragraph arrays are the one part a later stage releases (`release_paragraphs`), once
    signing was their last use: at a million articles they are the largest thing in memory.
    """

    def __init__(self, read: list[StoredArticle], texts: TextStore, problems: list[Problem],
                 chunks: list[Chunk], spill: SpillDir) -> None:
        n = len(read)
        ids = [a.id for a in read]
        order = np.fromiter(sorted(range(n), key=ids.__getitem__), dtype=np.int64, count=n)
        self.order = order                       # id position -> read position
        self.rank = np.empty(n, dtype=np.int64)  # read position -> id position
        self.rank[order] = np.arange(n, dtype=np.int64)
        # Python lists: indexing them is several times cheaper than indexing numpy arrays one by one.
        self.order_list: list[int] = order.tolist()
        self.articles = [read[i] for i in self.order_list]
        #: Each article's site: as given, or its URL's host.
        self.sites: list[str | None] = [a.site or host_of(a.url) for a in self.articles]
        texts.freeze(self.order_list)
        self.texts = texts
        self.problems = problems
        self.spill = spill
        #: Where each chunk's articles start, in read order (pass 2 signs chunk by chunk).
        self.chunk_starts = np.concatenate([[0], np.cumsum([c.n_words.shape[0] for c in chunks])]).astype(np.int64)
        if chunks:
            self.para_hashes = np.concatenate([c.para_hashes for c in chunks])
            self.para_words = np.concatenate([c.para_words for c in chunks])
            para_counts = np.concatenate([np.diff(c.para_offsets) for c in chunks])
            self.fingerprints = np.concatenate([c.fingerprints for c in chunks])
            self.n_words = np.concatenate([c.n_words for c in chunks])
        else:
            self.para_hashes = np.zeros(0, np.uint64)
            self.para_words = np.zeros(0, np.int32)
            para_counts = np.zeros(0, np.int64)
            self.fingerprints = np.zeros((0, 12), np.uint8)
            self.n_words = np.zeros(0, np.int64)
        #: Each article's language (ISO 639-1, "" when unknown), in id order.
        read_languages = [lang for c in chunks for lang in (c.languages or ('',) * c.n_words.shape[0])]
        self.languages: list[str] = [read_languages[i] for i in self.order_list]
        self.para_offsets = np.zeros(n + 1, dtype=np.int64)  # read order
        np.cumsum(para_counts, out=self.para_offsets[1:])

    def __len__(self) -> int:
        return len(self.articles)

    def release_paragraphs(self) -> None:
        """Drop the per-paragraph arrays: signing was their last use."""
        self.para_hashes = np.zeros(0, np.uint64)
        self.para_words = np.zeros(0, np.int32)

    def paragraph_table(self) -> ParagraphTable:
        """Every paragraph in flat arrays (read order), with each article's place in id order: what
        learning boilerplate reads."""
        return ParagraphTable(self.para_hashes, self.para_words, self.para_offsets, self.rank)


P = ParamSpec("P")
R = TypeVar("R")


def keep_long_lived() -> None:
    """Hide every object alive now from Python's cycle collector (`gc.freeze`): called once a scan's
    corpus is read, whose objects (a few per article) live as long as the scan. Otherwise each full
    collection of a later stage walks all of them, and a bigger corpus makes more collections too,
    so the time per article grew with the corpus (collections took 1.5 s of a 100k-article scan and
    5.9 s of a 300k one; 0.4 s of the 100k one with this).
    Nothing happens if something else froze objects already: they are its to unfreeze."""
    if gc.get_freeze_count() == 0:
        gc.freeze()


def releasing_long_lived(fn: Callable[P, R]) -> Callable[P, R]:
    """`fn` (a scan), after which what `keep_long_lived` hid in it is handed back to the collector,
    whether it returns or raises (unless objects were frozen before it began)."""

    @wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        mine = gc.get_freeze_count() == 0
        try:
            return fn(*args, **kwargs)
        finally:
            if mine:
                gc.unfreeze()

    return run

"""`Corpus`: the state of a scan after its first pass, shared by the stages that follow.

Articles in id order (texts on disk, in a `TextStore`), and every paragraph's hash and word count
in flat arrays (read order, `para_offsets` per article): what learning boilerplate needs of the
whole corpus at once. Views (`outline`, `outlines`) cut one article's rows out when asked, so
nothing is kept per article but its metadata.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

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


class Corpus:
    """Every article of a scan, in id order, and its paragraph outline (see the module docstring).

    The paragraph arrays are the one part a later stage releases (`release_paragraphs`), once
    signing was their last use: at a million articles they are the largest thing in memory.
    """

    def __init__(self, read: list[StoredArticle], texts: TextStore, problems: list[Problem],
                 chunks: list[Chunk], spill: SpillDir) -> None:
        n = len(read)
        ids = [a.id for a in read]
        order = np.array(sorted(range(n), key=ids.__getitem__), dtype=np.int64)
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
        self.para_offsets = np.zeros(n + 1, dtype=np.int64)  # read order
        np.cumsum(para_counts, out=self.para_offsets[1:])
        self.outlines = _Outlines(self)

    def __len__(self) -> int:
        return len(self.articles)

    def release_paragraphs(self) -> None:
        """Drop the per-paragraph arrays: signing was their last use."""
        self.para_hashes = np.zeros(0, np.uint64)
        self.para_words = np.zeros(0, np.int32)

    def outline(self, i: int) -> OutlineView:
        """Article i's (id order) outline; its arrays are cut when asked for."""
        return OutlineView(self, self.order_list[i])

    def paragraphs_of(self, i: int, flat: np.ndarray) -> np.ndarray:
        """Article i's (id order) rows of `flat`, an array over every paragraph in read order."""
        r = self.order_list[i]
        return flat[int(self.para_offsets[r]):int(self.para_offsets[r + 1])]


class OutlineView:
    """What the corpus-wide stages need of one article: its paragraphs and fingerprint, cut from
    the corpus's arrays on access (the tail of a scan asks many times for just the fingerprint)."""

    __slots__ = ("_c", "_r")

    def __init__(self, corpus: Corpus, read_position: int) -> None:
        self._c, self._r = corpus, read_position

    @property
    def para_hashes(self) -> np.ndarray:
        c, r = self._c, self._r
        return c.para_hashes[int(c.para_offsets[r]):int(c.para_offsets[r + 1])]

    @property
    def para_words(self) -> np.ndarray:
        c, r = self._c, self._r
        return c.para_words[int(c.para_offsets[r]):int(c.para_offsets[r + 1])]

    @property
    def fingerprint(self) -> bytes:
        return self._c.fingerprints[self._r].tobytes()

    @property
    def n_words(self) -> int:
        return int(self._c.n_words[self._r])


class _Outlines(Sequence[OutlineView]):
    """Outlines of a corpus, in id order, made on access."""

    def __init__(self, corpus: Corpus) -> None:
        self._c = corpus

    def __len__(self) -> int:
        return len(self._c.articles)

    def __getitem__(self, i: int) -> OutlineView:  # type: ignore[override]
        if i < 0:
            i += len(self)
        return self._c.outline(i)

    def paragraph_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """`boilerplate.paragraph_table`: the flat arrays, articles in read order."""
        c = self._c
        return c.para_hashes, c.para_words, c.para_offsets, c.rank

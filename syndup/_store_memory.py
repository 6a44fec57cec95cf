"""The in-memory backend (`Index.open(":memory:")`): Python dicts.

For tests, notebooks and short-lived processes; nothing survives `close`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Sequence
from typing import TypeVar

import numpy as np

from ._store import Caps, Postings, Record, Stored, unique_paragraphs
from .boilerplate import Member

K = TypeVar("K", bound=Hashable)


class MemoryStore:
    """Articles and postings in Python dicts; one process only."""

    kind = "memory"
    location = ":memory:"

    def __init__(self) -> None:
        self._header: dict[str, object] | None = None
        self._ids: dict[str, int] = {}
        self._docs: dict[int, Record] = {}
        self._fps: dict[bytes, list[int]] = {}
        self._bands: dict[int, list[int]] = {}
        self._anchors: dict[int, list[int]] = {}
        self._paras: dict[int, tuple[int, list[int]]] = {}
        self._next = 1
        self._caps = Caps(0, 0, 0, 0)

    def read_header(self) -> dict[str, object] | None:
        return self._header

    def create_header(self, header: dict[str, object]) -> dict[str, object]:
        if self._header is None:
            self._header = header
        return self._header

    def configure(self, caps: Caps) -> None:
        self._caps = caps

    def lookup(self, doc_id: str) -> tuple[int, bytes] | None:
        num = self._ids.get(doc_id)
        return None if num is None else (num, self._docs[num].fingerprint)

    def insert(self, record: Record) -> tuple[int, bool]:
        existing = self._ids.get(record.doc_id)
        if existing is not None:
            return existing, False
        num = self._next
        self._next += 1
        caps = self._caps
        self._ids[record.doc_id] = num
        self._docs[num] = record
        _append(self._fps, record.fingerprint, num, caps.duplicate)
        for key in record.bands.tolist():
            _append(self._bands, key, num, caps.bucket)
        for a in record.anchors.tolist():
            _append(self._anchors, a, num, caps.anchor)
        for p in unique_paragraphs(record.para_hashes):
            df, sample = self._paras.get(p, (0, []))
            if len(sample) < caps.sample:
                sample.append(num)
            self._paras[p] = (df + 1, sample)
        return num, True

    def remove(self, doc_id: str) -> bool:
        num = self._ids.pop(doc_id, None)
        if num is None:
            return False
        record = self._docs.pop(num)
        _discard(self._fps, record.fingerprint, num)
        for key in record.bands.tolist():
            _discard(self._bands, key, num)
        for a in record.anchors.tolist():
            _discard(self._anchors, a, num)
        for p in unique_paragraphs(record.para_hashes):
            df, sample = self._paras[p]
            if df <= 1:
                del self._paras[p]
            else:
                self._paras[p] = (df - 1, [n for n in sample if n != num])
        return True

    def documents(self, nums: Iterable[int]) -> dict[int, Stored]:
        return {n: Stored(n, r.doc_id, r.fingerprint, r.meta, r.text) for n, r in self._records(nums)}

    def members(self, nums: Iterable[int]) -> dict[int, Member]:
        return {n: Member(r.para_hashes, r.para_words, r.site) for n, r in self._records(nums)}

    def _records(self, nums: Iterable[int]) -> Iterator[tuple[int, Record]]:
        """The stored records of `nums` (those still here)."""
        for n in nums:
            r = self._docs.get(n)
            if r is not None:
                yield n, r

    def paragraph_stats(self, hashes: Sequence[int]) -> dict[int, tuple[int, tuple[int, ...]]]:
        out = {}
        for h in hashes:
            got = self._paras.get(h)
            if got is not None:
                out[h] = (got[0], tuple(got[1]))
        return out

    def postings(self, bands: np.ndarray, anchors: np.ndarray, fingerprint: bytes) -> Postings:
        return Postings(tuple(self._fps.get(fingerprint, ())),
                        [tuple(self._bands[k]) for k in bands.tolist() if k in self._bands],
                        [tuple(self._anchors[a]) for a in anchors.tolist() if a in self._anchors])

    def count(self) -> int:
        return len(self._ids)

    def size_info(self) -> dict[str, object]:
        return {}

    def close(self) -> None:
        self._docs.clear()
        self._ids.clear()


def _append(table: dict[K, list[int]], key: K, num: int, limit: int) -> None:
    """Add num to key's list unless it holds `limit` nums already."""
    posting = table.setdefault(key, [])
    if len(posting) < limit:
        posting.append(num)


def _discard(table: dict[K, list[int]], key: K, num: int) -> None:
    posting = table.get(key)
    if posting is not None and num in posting:
        posting.remove(num)
        if not posting:
            del table[key]

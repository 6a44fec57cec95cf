"""The in-memory backend (`Index.open(":memory:")`): dicts, and datasketch's MinHashLSH for buckets.

For tests, notebooks and short-lived processes; nothing survives `close`.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from ._store import Hits, Record, Stored, unique_paragraphs
from .boilerplate import Member
from .sign import lean_minhash


class MemoryStore:
    """Articles and postings in Python dicts; one process only."""

    kind = "memory"
    location = ":memory:"

    def __init__(self) -> None:
        self._header: dict[str, object] | None = None
        self._ids: dict[str, int] = {}
        self._docs: dict[int, tuple[Record, list[bytes]]] = {}
        self._fps: dict[bytes, list[int]] = {}
        self._anchors: dict[int, list[int]] = {}
        self._paras: dict[int, tuple[int, list[int]]] = {}
        self._next = 1
        self._lsh = None

    def read_header(self) -> dict[str, object] | None:
        return self._header

    def create_header(self, header: dict[str, object]) -> dict[str, object]:
        if self._header is None:
            self._header = header
        return self._header

    def configure(self, *, num_perm: int, seed: int, bands: int, rows: int, cap: int, sample: int) -> None:
        from datasketch import MinHashLSH

        self._lsh = MinHashLSH(num_perm=num_perm, params=(bands, rows), prepickle=False)
        self._seed, self._cap, self._sample = seed, cap, sample

    def _band_hashes(self, signature: np.ndarray) -> list[bytes]:
        """The bucket keys datasketch's MinHashLSH gives this signature, one per band."""
        values = lean_minhash(signature, self._seed).hashvalues
        return [self._lsh._H(values[start:end]) for start, end in self._lsh.hashranges]

    def lookup(self, doc_id: str) -> tuple[int, bytes] | None:
        num = self._ids.get(doc_id)
        return None if num is None else (num, self._docs[num][0].fingerprint)

    def insert(self, record: Record) -> tuple[int, bool]:
        existing = self._ids.get(record.doc_id)
        if existing is not None:
            return existing, False
        num = self._next
        self._next += 1
        key = str(num).encode()
        hashes: list[bytes] = []
        if record.signature is not None:
            hashes = self._band_hashes(record.signature)
            for h, table in zip(hashes, self._lsh.hashtables):
                if len(table.get(h)) < self._cap:
                    table.insert(h, key)
            self._lsh.keys.insert(key, *hashes)
        self._ids[record.doc_id] = num
        self._docs[num] = (record, hashes)
        holders = self._fps.setdefault(record.fingerprint, [])
        if len(holders) < self._cap:
            holders.append(num)
        for a in record.anchors.tolist():
            posting = self._anchors.setdefault(a, [])
            if len(posting) <= self._cap:
                posting.append(num)
        for p in unique_paragraphs(record.para_hashes):
            df, sample = self._paras.get(p, (0, []))
            if len(sample) < self._sample:
                sample.append(num)
            self._paras[p] = (df + 1, sample)
        return num, True

    def remove(self, doc_id: str) -> bool:
        num = self._ids.pop(doc_id, None)
        if num is None:
            return False
        record, hashes = self._docs.pop(num)
        key = str(num).encode()
        for h, table in zip(hashes, self._lsh.hashtables):
            if key in table.get(h):
                table.remove_val(h, key)
                if not table.get(h):
                    table.remove(h)
        if hashes:
            self._lsh.keys.remove(key)
        _discard(self._fps, record.fingerprint, num)
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
        out = {}
        for n in nums:
            got = self._docs.get(n)
            if got is not None:
                r = got[0]
                out[n] = Stored(n, r.doc_id, r.fingerprint, r.meta, r.text)
        return out

    def members(self, nums: Iterable[int]) -> dict[int, Member]:
        out = {}
        for n in nums:
            got = self._docs.get(n)
            if got is not None:
                r = got[0]
                out[n] = Member(r.para_hashes, r.para_words, r.site)
        return out

    def paragraph_stats(self, hashes: Sequence[int]) -> dict[int, tuple[int, tuple[int, ...]]]:
        out = {}
        for h in hashes:
            got = self._paras.get(h)
            if got is not None:
                out[h] = (got[0], tuple(got[1]))
        return out

    def candidates(self, signature: np.ndarray | None, anchors: np.ndarray, fingerprint: bytes) -> Hits:
        hits = Hits(duplicates=list(self._fps.get(fingerprint, ())))
        if signature is not None:
            for h, table in zip(self._band_hashes(signature), self._lsh.hashtables):
                for key in table.get(h):
                    n = int(key)
                    hits.bands[n] = hits.bands.get(n, 0) + 1
        for a in anchors.tolist():
            posting = self._anchors.get(a, ())
            if len(posting) <= self._cap:  # longer: a common phrase, ignored as scan does
                for n in posting:
                    hits.anchors[n] = hits.anchors.get(n, 0) + 1
        return hits

    def count(self) -> int:
        return len(self._ids)

    def size_info(self) -> dict[str, object]:
        return {}

    def close(self) -> None:
        self._docs.clear()
        self._ids.clear()


def _discard(table: dict, key: object, num: int) -> None:  # type: ignore[type-arg]
    posting = table.get(key)
    if posting is not None and num in posting:
        posting.remove(num)
        if not posting:
            del table[key]

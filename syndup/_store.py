"""What an `Index` keeps per article, and the interface its storage backends implement.

A backend stores records and answers lookups; it never decides anything about text: `Index`
computes every key (band keys by `candidates.band_keys`, as scan groups articles) and chooses the
`Caps`. Every backend keeps the same structures, each key's list capped so that a story with 5,000
copies costs a bounded amount of work per `add`:

    articles      num -> record (id, fingerprint, metadata, zlib text, paragraphs, anchors, band keys)
    fingerprints  fingerprint -> the first `caps.duplicate` articles with it
    LSH buckets   band key -> the first `caps.bucket` articles whose signature has it
    anchors       anchor shingle -> the first `caps.anchor` articles holding it
    paragraphs    paragraph hash -> (how many articles hold it, the first `caps.sample` of them)

`num` is an integer the backend assigns, never reused, so cached data about a num stays true.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .boilerplate import Member

#: Version of the on-disk layout. Bumped on any change an older syndup could misread
#: (2: every backend stores `candidates.band_keys`, in Redis no longer datasketch's layout;
#: 3: the band keys of the noisy view too, `candidates.noisy_band_keys`).
FORMAT_VERSION = 3

#: Nums are stored as little-endian uint32 in packed lists (4 billion articles per index).
NUM = np.dtype("<u4")


@dataclass(frozen=True, eq=False)
class Record:
    """One article as the index stores it."""

    doc_id: str
    fingerprint: bytes
    meta: str                       # JSON object: url, title, site, published, author (when given)
    site: str | None                # site (or URL host) used to judge boilerplate
    text: bytes                     # zlib-compressed UTF-8 text, to recompute shingles and for `get`
    para_hashes: np.ndarray         # uint64, every paragraph in order
    para_words: np.ndarray          # int32, words per paragraph
    anchors: np.ndarray             # uint32 anchor shingles (as computed when added)
    bands: np.ndarray               # uint64 LSH band keys; empty when the body is empty (not in LSH)

    def paras_blob(self) -> bytes:
        return pack_paras(self.para_hashes, self.para_words)


@dataclass(frozen=True)
class Stored:
    """An article read back from a backend."""

    num: int
    doc_id: str
    fingerprint: bytes
    meta: str
    text: bytes


@dataclass(frozen=True)
class Caps:
    """How many articles a backend keeps under one key (chosen by `Index`; backends apply them)."""

    duplicate: int  # per fingerprint
    bucket: int     # per LSH band key
    anchor: int     # per anchor shingle
    sample: int     # per paragraph hash (its count goes on)


@dataclass(frozen=True)
class Postings:
    """What a backend holds under a probe's keys: the nums stored under each, as stored."""

    duplicates: tuple[int, ...]         # under its fingerprint
    bands: list[tuple[int, ...]]        # under each of its band keys that is stored
    anchors: list[tuple[int, ...]]      # under each of its anchors that is stored


class Store(Protocol):
    """The storage interface of an `Index`; see the module docstring for what is stored."""

    kind: str
    location: str

    def read_header(self) -> dict[str, object] | None:
        """The header the index was created with, or None for a new, empty index."""

    def create_header(self, header: dict[str, object]) -> dict[str, object]:
        """Store `header` unless another process did first; return the header that is stored."""

    def configure(self, caps: Caps) -> None:
        """Set the caps, once the settings are known."""

    def lookup(self, doc_id: str) -> tuple[int, bytes] | None:
        """(num, fingerprint) of the article with this id, or None."""

    def insert(self, record: Record) -> tuple[int, bool]:
        """Atomically insert `record`: (its new num, True); or (num, False) if its id exists."""

    def remove(self, doc_id: str) -> bool:
        """Atomically remove an article and its postings; False if the id is not there."""

    def documents(self, nums: Iterable[int]) -> dict[int, Stored]:
        """The stored articles among `nums` (removed ones are left out)."""

    def members(self, nums: Iterable[int]) -> dict[int, Member]:
        """Paragraphs and site of the articles among `nums`, as boilerplate judging needs them."""

    def paragraph_stats(self, hashes: Sequence[int]) -> dict[int, tuple[int, tuple[int, ...]]]:
        """For the paragraph hashes held by at least one article: (articles holding it, sample)."""

    def postings(self, bands: np.ndarray, anchors: np.ndarray, fingerprint: bytes) -> Postings:
        """The articles stored under these band keys, anchors and fingerprint."""

    def count(self) -> int:
        """How many articles are stored."""

    def size_info(self) -> dict[str, object]:
        """Backend figures for `Index.stats` (bytes used, ...)."""

    def close(self) -> None:
        """Release connections and files."""


def pack_paras(hashes: np.ndarray, words: np.ndarray) -> bytes:
    """Paragraph hashes (uint64) then word counts (uint32), little-endian, 12 bytes a paragraph."""
    return hashes.astype("<u8").tobytes() + words.astype("<u4").tobytes()


def unpack_paras(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of `pack_paras`."""
    n = len(blob) // 12
    hashes = np.frombuffer(blob, dtype="<u8", count=n).astype(np.uint64)
    words = np.frombuffer(blob, dtype="<u4", offset=8 * n, count=n).astype(np.int32)
    return hashes, words


def pack_nums(nums: Iterable[int]) -> bytes:
    return np.fromiter(nums, dtype=NUM).tobytes()


def unpack_nums(blob: bytes | None) -> tuple[int, ...]:
    if not blob:
        return ()
    return tuple(np.frombuffer(blob, dtype=NUM).tolist())


def pack_fields(*parts: bytes) -> bytes:
    """Several byte strings as one: each preceded by its length (uint32)."""
    return b"".join(struct.pack("<I", len(p)) + p for p in parts)


def unpack_fields(blob: bytes) -> list[bytes]:
    """Inverse of `pack_fields`."""
    out, pos = [], 0
    while pos < len(blob):
        (n,) = struct.unpack_from("<I", blob, pos)
        out.append(blob[pos + 4:pos + 4 + n])
        pos += 4 + n
    return out


def unique_paragraphs(para_hashes: np.ndarray) -> list[int]:
    """The distinct paragraph hashes of an article, as Python ints (document frequency counts
    articles, not occurrences)."""
    return np.unique(para_hashes).tolist()


def as_signed(values: np.ndarray) -> list[int]:
    """uint64 values as the signed 64-bit integers SQLite stores."""
    return values.astype(np.uint64).view(np.int64).tolist()


def as_unsigned(value: int) -> int:
    """A signed 64-bit integer read from SQLite back to the uint64 it stands for."""
    return value & 0xFFFFFFFFFFFFFFFF

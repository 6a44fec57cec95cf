"""What a scan keeps on disk instead of in memory: article texts, and per-article shingle sets.

A scan's memory grows with its signatures (512 bytes an article), not with its texts: texts are
written to an anonymous temporary file as they are read, and read back one at a time when a diff,
a report or origin attribution needs them; exact shingle sets, needed only for the candidate
pairs, are spilled by the sign stage and read back on demand.
"""

from __future__ import annotations

import bisect
import mmap
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import weakref
from array import array
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from itertools import accumulate
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import numpy as np

from . import kernel
from .candidates import sum_by_code
from .models import Article
from .shingle import EMPTY, FeatureBatch, SetBatch, ShingleSet
from .verify import ranges

#: Spill folders are `<temp folder>/syndup-<random>`, with their owner in the file OWNER.
SPILL_PREFIX, OWNER = "syndup-", "owner"
_META = ("url", "title", "site", "published", "author", "origin_ref", "crawled", "published_source")
#: An article without its text, as pass 1 sends it back from a worker:
#: (id, url, title, site, published, author, origin_ref, crawled, published_source).
ArticleMeta = tuple[str, str | None, str | None, str | None, str | None, str | None, str | None, str | None,
                    str | None]


def meta_of(article: Article) -> ArticleMeta:
    """An article's `ArticleMeta`: its id and metadata, in that order."""
    return (article.id, article.url, article.title, article.site, article.published, article.author,
            article.origin_ref, article.crawled, article.published_source)


class StoredArticle:
    """An article's id and metadata in memory; its text is read from the `TextStore` when asked."""

    __slots__ = ("id", "url", "title", "site", "published", "author", "origin_ref", "crawled", "published_source",
                 "_store", "_slot")

    def __init__(self, meta: ArticleMeta,
                 store: TextStore, slot: int) -> None:
        """`meta` is (id, url, title, site, published, author, origin_ref, crawled, published_source)."""
        (self.id, self.url, self.title, site, self.published, self.author, self.origin_ref, self.crawled,
         self.published_source) = meta
        # A few thousand sites for a million articles: one string each.
        self.site = sys.intern(site) if type(site) is str else site
        self._store = store
        self._slot = slot

    @property
    def text(self) -> str:
        """The text, as read (one disk read)."""
        return self._store.text_at(self._slot)

    def to_article(self) -> Article:
        """The full `Article`, text included."""
        return Article(id=self.id, text=self.text, **{k: getattr(self, k) for k in _META})

    def __repr__(self) -> str:
        return f"StoredArticle(id={self.id!r})"


class TextStore(Mapping[str, Article]):
    """Articles by id, their texts in an anonymous temporary file (gone when the store is).

    Iterates ids in the order added until `freeze` gives their sorted order; after that, ids are
    found by binary search in it, and the dict used while adding is dropped (it costs more than
    all the rest a scan keeps per article).
    """

    def __init__(self, folder: str | None = None) -> None:
        """`folder`: keep the texts in a named file there (a scan's spill folder, which a cluster's
        workers read: the store then pickles as a `TextReader` of it); default: an anonymous file."""
        self._path = None if folder is None else os.path.join(folder, "texts.bin")
        if self._path is None:
            self._file = tempfile.TemporaryFile(prefix="syndup-texts-", buffering=0)
        else:
            self._file = open(self._path, "w+b", buffering=0)  # noqa: SIM115 - kept open, closed by close()
        self._starts = array("q")  # byte offset of each text in the file
        self._pos = 0
        self._indexed = 0  # texts whose starts are in the index file (`__reduce__`)
        self._articles: list[StoredArticle] = []
        self._slot_of: dict[str, int] | None = {}
        self._order: Sequence[int] | None = None
        self._sorted_ids: list[str] = []

    def add(self, article: Article) -> StoredArticle:
        """Keep an article's text on disk; returns its in-memory stand-in."""
        return self.add_encoded(meta_of(article), article.text.encode("utf-8", "surrogatepass"))

    def add_encoded(self, meta: ArticleMeta,
                    data: bytes | memoryview) -> StoredArticle:
        """Keep an article given as its `meta` (see `ArticleMeta`) and its text in UTF-8
        (surrogates passed through); returns its stand-in."""
        if not self.add_block([meta], data, [len(data)]):
            raise ValueError(f"id {meta[0]!r} is taken")
        return self._articles[-1]

    def add_block(self, metas: list[ArticleMeta],
                  blob: bytes | memoryview, lengths: list[int]) -> bool:
        """`add_encoded` for many articles whose texts are consecutive in `blob`, in one write.

        Only when none of their ids is taken (by an earlier article or by one of them); returns
        False, adding nothing, otherwise (the caller then adds them one by one, renaming)."""
        if not self._free(metas):
            return False
        _pwrite_all(self._file.fileno(), blob, self._pos)
        self._append(metas, lengths)
        return True

    def add_file(self, metas: list[ArticleMeta],
                 path: str, lengths: list[int]) -> bool:
        """`add_block` with the texts in a file (a worker wrote them), copied by the OS."""
        if not self._free(metas):
            return False
        with open(path, "rb") as src:
            _copy_file(src.fileno(), self._file.fileno(), sum(lengths), self._pos)
        self._append(metas, lengths)
        return True

    def _free(self, metas: list[ArticleMeta]) -> bool:
        """Whether the ids of `metas` are all new and distinct."""
        slot_of = self._slot_of
        if slot_of is None:
            raise RuntimeError("a frozen TextStore takes no more articles")
        ids = [m[0] for m in metas]
        return len(set(ids)) == len(ids) and not any(i in slot_of for i in ids)

    def _append(self, metas: list[ArticleMeta],
                lengths: list[int]) -> None:
        """Record articles whose texts were just written at the end of the file."""
        first = len(self._articles)
        self._starts.extend(accumulate(lengths[:-1], initial=self._pos) if lengths else [])
        self._pos += sum(lengths)
        self._articles.extend([StoredArticle(m, self, first + k) for k, m in enumerate(metas)])
        assert self._slot_of is not None
        self._slot_of.update(zip([m[0] for m in metas], range(first, len(self._articles))))

    @property
    def added(self) -> list[StoredArticle]:
        """The articles, in the order added (slot order)."""
        return self._articles

    def first(self, doc_id: str) -> StoredArticle | None:
        """The article added under this id, if any."""
        slot = self._slot(doc_id)
        return None if slot is None else self._articles[slot]

    def _slot(self, doc_id: object) -> int | None:
        if self._slot_of is not None:
            return self._slot_of.get(doc_id)  # type: ignore[call-overload]
        if not isinstance(doc_id, str) or self._order is None:
            return None
        pos = bisect.bisect_left(self._sorted_ids, doc_id)
        if pos < len(self._sorted_ids) and self._sorted_ids[pos] == doc_id:
            return self._order[pos]
        return None

    def text_at(self, slot: int) -> str:
        """The text of the `slot`-th article added."""
        start = self._starts[slot]
        end = self._starts[slot + 1] if slot + 1 < len(self._starts) else self._pos
        return os.pread(self._file.fileno(), end - start, start).decode("utf-8", "surrogatepass")

    def freeze(self, slots: Sequence[int]) -> None:
        """No more articles: `slots` lists every slot once, in the order of their (unique) ids."""
        self._order = slots
        self._sorted_ids = [self._articles[s].id for s in slots]
        self._slot_of = None

    def __getitem__(self, doc_id: str) -> Article:
        slot = self._slot(doc_id)
        if slot is None:
            raise KeyError(doc_id)
        return self._articles[slot].to_article()

    def __contains__(self, doc_id: object) -> bool:
        return self._slot(doc_id) is not None

    def __iter__(self) -> Iterator[str]:
        slots = self._order if self._order is not None else range(len(self._articles))
        return (self._articles[s].id for s in slots)

    def __len__(self) -> int:
        return len(self._articles)

    def close(self) -> None:
        """Delete the temporary file now; the ids and metadata stay, the texts are gone."""
        self._file.close()

    @property
    def closed(self) -> bool:
        """Whether `close()` was called."""
        return self._file.closed

    def __reduce__(self) -> tuple[type[TextReader], tuple[str]]:
        """A named store pickles as a `TextReader` of its file (what a cluster's worker needs of it):
        its path alone, whatever the corpus, so every task can be sent its articles' store; where
        each text starts is written to an index file beside it (once for the texts added so far)."""
        if self._path is None:
            raise TypeError("a scan's texts live in a temporary file and cannot be pickled; "
                            "copy what you need with result.text(doc_id)")
        if self._indexed != len(self._starts):
            bounds = np.append(np.frombuffer(self._starts, dtype=np.int64), np.int64(self._pos))
            tmp = f"{self._path}.{os.getpid()}.tmp"
            bounds.astype("<i8").tofile(tmp)
            os.replace(tmp, TextReader.index_of(self._path))
            self._indexed = len(self._starts)
        return (TextReader, (self._path,))


class _Text(NamedTuple):
    text: str


class StoredTexts(Sequence[_Text]):
    """Stored articles by position as a cluster's task reads them: each one's `.text`, from their
    store's file. Pickled as the store's reader and each article's slot (8 bytes an article), not
    the articles' ids and metadata, which grow with the corpus."""

    def __init__(self, store: TextStore | TextReader, slots: np.ndarray) -> None:
        self._store, self._slots = store, slots

    @classmethod
    def of(cls, articles: Sequence[Any]) -> Sequence[Any]:
        """`articles` as `StoredTexts` when all are stored in one store, else as they are."""
        first = articles[0] if len(articles) else None
        if not isinstance(first, StoredArticle) or not all(
                isinstance(a, StoredArticle) and a._store is first._store for a in articles):
            return articles
        return cls(first._store, np.fromiter((a._slot for a in articles), np.int64, len(articles)))

    def __len__(self) -> int:
        return int(self._slots.shape[0])

    def __getitem__(self, i: int) -> _Text:  # type: ignore[override]
        return _Text(self._store.text_at(int(self._slots[i])))


class TextReader:
    """Read-only texts of a `TextStore` kept in a named file, by slot: what a `StoredArticle`
    unpickled in another process (a Ray worker) reads its text from. Where a text starts and ends
    is read from the store's index file, so a reader holds nothing that grows with the corpus."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._fds: dict[int, int] = {}  # opened on first use: 0 the texts, 1 the index
        weakref.finalize(self, _close_all, self._fds)

    @staticmethod
    def index_of(path: str) -> str:
        """The index file of the texts at `path`: int64 (little-endian) starts of every text, then the end."""
        return f"{path}.index"

    def text_at(self, slot: int) -> str:
        """The text of the `slot`-th article added."""
        fds = self._fds
        if not fds:
            fds[0], fds[1] = os.open(self._path, os.O_RDONLY), os.open(self.index_of(self._path), os.O_RDONLY)
        start, end = np.frombuffer(os.pread(fds[1], 16, 8 * slot), dtype="<i8").tolist()
        return os.pread(fds[0], end - start, start).decode("utf-8", "surrogatepass")


def _pwrite_all(fd: int, data: bytes | memoryview, offset: int) -> None:
    view = memoryview(data)
    while view.nbytes:
        n = os.pwrite(fd, view, offset)
        view, offset = view[n:], offset + n


def _copy_file(src: int, dst: int, size: int, offset: int) -> None:
    """Copy `size` bytes from the start of file `src` to `offset` in file `dst`, in the kernel
    where it can (copy_file_range), else by reading and writing."""
    done = 0
    if hasattr(os, "copy_file_range"):
        try:
            while done < size:
                n = os.copy_file_range(src, dst, size - done, done, offset + done)
                if n == 0:
                    break
                done += n
        except OSError:  # not supported between these files: copy the rest by hand
            pass
    while done < size:
        data = os.pread(src, min(1 << 22, size - done), done)
        if not data:
            raise OSError(f"text spill file ended {size - done} bytes early")
        _pwrite_all(dst, data, offset + done)
        done += len(data)


class SpillDir:
    """A temporary folder for a scan's per-chunk files, removed (by `remove_detached`, off the
    caller's path) when this object is collected, or at once by `remove`.

    It names its owner (host and process id, in `OWNER`), so that a later scan can remove the
    folders of processes that were killed before they could (`sweep_spill`).
    """

    def __init__(self) -> None:
        sweep_spill()
        self.path = Path(tempfile.mkdtemp(prefix=SPILL_PREFIX))
        self._cleanup = weakref.finalize(self, remove_detached, str(self.path))
        mark_owner(self.path)

    def file(self, kind: str, chunk: int) -> str:
        """The path of one chunk's file of one kind."""
        return spill_file(str(self.path), kind, chunk)

    def remove(self) -> None:
        """Delete the folder now, before returning."""
        if self._cleanup.detach() is not None:
            shutil.rmtree(self.path, ignore_errors=True)

    def __reduce__(self) -> tuple[type[SpillView], tuple[str]]:
        """Pickled (for a cluster's worker), the folder is a `SpillView`: it never removes it."""
        return (SpillView, (str(self.path),))


class SpillView:
    """A spill folder seen from another process (a Ray worker): its files, never its removal."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def file(self, kind: str, chunk: int) -> str:
        """The path of one chunk's file of one kind."""
        return spill_file(str(self.path), kind, chunk)


#: The `rm` processes started by `remove_detached` that may still run (kept, so that they are reaped).
_REMOVING: list[subprocess.Popen[bytes]] = []


def remove_detached(folder: str) -> None:
    """Delete a folder in a process of its own (`rm -rf`), so that whoever drops a scan's spill
    folder doesn't wait while its gigabytes are unlinked (about 14 s at a million articles); where
    no `rm` can be started, delete it now. A folder whose removal is cut short is left to
    `sweep_spill`, as its owner no longer runs."""
    _REMOVING[:] = [proc for proc in _REMOVING if proc.poll() is None]  # reap the ones done
    rm = shutil.which("rm") if os.name == "posix" else None
    if rm is not None and not sys.is_finalizing():
        try:
            _REMOVING.append(subprocess.Popen([rm, "-rf", "--", folder], stdin=subprocess.DEVNULL,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                              start_new_session=True))
            return
        except OSError:
            pass
    shutil.rmtree(folder, ignore_errors=True)


def sweep_spill(folder: str | None = None) -> list[Path]:
    """Remove the spill folders (in `folder`, default the temp folder) that killed processes left; returns them."""
    swept = []
    for path in Path(folder or tempfile.gettempdir()).glob(f"{SPILL_PREFIX}*"):
        if abandoned(path):
            shutil.rmtree(path, ignore_errors=True)
            swept.append(path)
    return swept


def mark_owner(folder: Path) -> None:
    """Name this process (host and id) as the owner of a temporary folder, in its file OWNER."""
    (folder / OWNER).write_text(f"{socket.gethostname()}\n{os.getpid()}\n", encoding="utf-8")


def owner_of(folder: Path) -> tuple[str, int] | None:
    """The host and process id `mark_owner` wrote in a temporary folder; None where it is not
    marked (not ours, or being created)."""
    try:
        host, pid = (folder / OWNER).read_text(encoding="utf-8").split("\n")[:2]
        return host, int(pid)
    except (OSError, ValueError):
        return None


def abandoned(folder: Path) -> bool:
    """Whether `folder` is a temporary folder whose owner ran on this host and no longer runs."""
    if folder.is_symlink() or not folder.is_dir():
        return False
    owner = owner_of(folder)
    return owner is not None and owner[0] == socket.gethostname() and not pid_alive(owner[1])


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (an id that names none is taken as running)."""
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, as another user
        return True
    return True


def spill_file(folder: str, kind: str, chunk: int) -> str:
    """The path of one chunk's file of one kind in a spill folder."""
    return os.path.join(folder, f"{kind}-{chunk:06d}.bin")


def write_sets(path: str, hashes: np.ndarray, unquoted: np.ndarray) -> None:
    """One chunk's shingle sets: all hashes (uint32), then all unquoted flags (one byte each)."""
    with open(path, "wb") as fh:
        fh.write(np.ascontiguousarray(hashes, dtype="<u4").data)  # the array's memory, not a copy of it
        fh.write(np.ascontiguousarray(unquoted, dtype=np.bool_).data)


def map_arrays(path: str, count: int) -> list[np.ndarray]:
    """The first `count` arrays `np.save` wrote to the file at `path`, as read-only views of the file
    mapped into memory (its pages are the OS's cache: nothing is read into fresh memory, which costs
    more than using them). The map is unmapped when the last view is gone; the file must not shrink
    before that."""
    with open(path, "rb") as fh:
        found = _npy_arrays(fh, count)
        mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    return [np.frombuffer(mapped, dtype=dtype, count=length, offset=at) for at, dtype, length in found]


def _npy_arrays(fh: BinaryIO, count: int) -> list[tuple[int, np.dtype, int]]:
    """(data offset, dtype, length) of the first `count` one-dimensional arrays `np.save` wrote to
    `fh` one after another, read from their headers alone."""
    found = []
    for _ in range(count):
        version = np.lib.format.read_magic(fh)
        read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read(fh)
        length = int(np.prod(shape))
        found.append((fh.tell(), dtype, length))
        fh.seek(length * dtype.itemsize, os.SEEK_CUR)
    return found


class WordStore:
    """Every article's exact-view words (hashes, quotation flags, paragraph lengths) and which of its
    paragraphs are boilerplate, read back from the analyse stage's "words" spill files: measuring
    the passage two articles share needs their words in order, which the shingle sets lose, and
    reading them back costs far less than analysing the texts again.

    `keep(chunk)` takes a chunk's file once it is signed: the noisy view after the exact view's five
    arrays is cut off (only the exact view measures passages) and the exact view's word and
    paragraph offsets are read into memory (16 bytes an article).
    """

    def __init__(self, spill: SpillDir, chunk_starts: np.ndarray, order: np.ndarray, para_base: np.ndarray,
                 drops: np.ndarray) -> None:
        """`chunk_starts`: where each chunk's articles start in read order; `order`: id position ->
        read position; `para_base`: each chunk's first paragraph in `drops` (bool, every paragraph in
        read order: boilerplate?)."""
        self._spill, self._chunk_starts, self._order = spill, chunk_starts, order
        self._para_base, self._drops = para_base, drops
        self._layout: dict[int, tuple[int, int, int, np.ndarray, np.ndarray]] = {}

    def keep(self, chunk: int) -> None:
        """Keep chunk `chunk`'s exact view (see the class docstring)."""
        path = self._spill.file("words", chunk)
        with open(path, "rb") as fh:
            (wh, _, _), (wq, _, _), (wo, _, n_wo), (pw, _, _), (po, dtype, n_po) = _npy_arrays(fh, 5)
            end = po + n_po * dtype.itemsize
            word_offsets = np.frombuffer(os.pread(fh.fileno(), 8 * n_wo, wo), dtype="<i8").astype(np.int64)
            para_offsets = np.frombuffer(os.pread(fh.fileno(), 8 * n_po, po), dtype="<i8").astype(np.int64)
        os.truncate(path, end)
        self._layout[chunk] = (wh, wq, pw, word_offsets, para_offsets)

    def gather(self, docs: np.ndarray) -> tuple[FeatureBatch, np.ndarray]:
        """The words of articles `docs` (id positions), in that order, as one batch (paragraph hashes
        and fingerprints left zero), and its paragraphs' boilerplate mask. Each chunk file is mapped
        while its articles are copied out, and unmapped after."""
        docs = np.asarray(docs, dtype=np.int64)
        read = self._order[docs]
        chunks = np.searchsorted(self._chunk_starts, read, side="right") - 1
        at = read - self._chunk_starts[chunks]
        w0, w1, p0, p1 = (np.zeros(docs.shape[0], dtype=np.int64) for _ in range(4))
        groups = _by_chunk(chunks)
        for c, mine in groups:
            _, _, _, wo, po = self._layout[c]
            w0[mine], w1[mine], p0[mine], p1[mine] = wo[at[mine]], wo[at[mine] + 1], po[at[mine]], po[at[mine] + 1]
        word_offsets = np.concatenate([np.zeros(1, np.int64), np.cumsum(w1 - w0)])
        para_offsets = np.concatenate([np.zeros(1, np.int64), np.cumsum(p1 - p0)])
        words = np.empty(int(word_offsets[-1]), dtype=np.uint64)
        quoted = np.empty(words.shape[0], dtype=np.bool_)
        paras = np.empty(int(para_offsets[-1]), dtype=np.int32)
        drops = np.empty(paras.shape[0], dtype=np.bool_)
        for c, mine in groups:
            wh, wq, pw, wo, po = self._layout[c]
            n_words, n_paras = int(wo[-1]), int(po[-1])
            para_at, para_slot = _spans(p0[mine], p1[mine] - p0[mine], para_offsets[mine])
            drops[para_slot] = self._drops[int(self._para_base[c]) + para_at]
            if not n_words:
                continue
            with open(self._spill.file("words", c), "rb") as fh, \
                    mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                flat_w = np.frombuffer(mapped, dtype="<u8", count=n_words, offset=wh)
                flat_q = np.frombuffer(mapped, dtype=np.bool_, count=n_words, offset=wq)
                _copy_runs(flat_w, flat_q, w0[mine], w1[mine], word_offsets, mine, words, quoted)
                paras[para_slot] = np.frombuffer(mapped, dtype="<i4", count=n_paras, offset=pw)[para_at]
                del flat_w, flat_q  # views of the map, which closes here
        batch = FeatureBatch(words, quoted, word_offsets, np.zeros(paras.shape[0], np.uint64), paras, para_offsets,
                             np.zeros((docs.shape[0], 12), np.uint8))
        return batch, drops


def _by_chunk(chunks: np.ndarray, asked: np.ndarray | None = None) -> list[tuple[int, np.ndarray]]:
    """The positions (ascending) of `chunks` (each position's chunk number) grouped by chunk, in chunk
    order, only those `asked` (a bool mask; default all): by one sort, where a pass over every
    position for each chunk would cost positions x chunks, and a bigger corpus has more chunks
    for a batch's articles to be spread over (a batch of 1M articles' pairs touches most of its ~1,000)."""
    positions = np.arange(chunks.shape[0]) if asked is None else np.flatnonzero(asked)
    positions = positions[np.argsort(chunks[positions], kind="stable")]
    keys = chunks[positions]
    cuts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    starts = np.concatenate([[0], cuts]).tolist() if positions.shape[0] else []
    ends = np.concatenate([cuts, [positions.shape[0]]]).tolist() if positions.shape[0] else []
    return [(int(keys[a]), positions[a:b]) for a, b in zip(starts, ends)]


def _spans(starts: np.ndarray, lengths: np.ndarray, to: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions starts[k] .. starts[k] + lengths[k] - 1 of a source, every k one after the other,
    and the positions to[k] .. they go to (`verify.ranges` of each)."""
    return ranges(starts, lengths)[0], ranges(to, lengths)[0]


class AnchorPart(NamedTuple):
    """Where one part of the anchors is in the anchors' file: runs of records, one a chunk."""

    path: str
    starts: np.ndarray  # int64, in records
    counts: np.ndarray  # int64


class AnchorSpill:
    """Anchors (value, article) on disk, split into parts by their top bits, so that finding the
    articles that share anchors needs one part in memory at a time. Parts hold about `PART_ANCHORS`
    anchors each (`parts_for`; at least `PARTS` parts), so that what one part costs (a forked
    child's memory, a Ray task's) stays the same however big the corpus. One file: each chunk's
    anchors are appended at once, grouped by part (a file a part cost a slow create and delete each)."""

    RECORD = np.dtype([("value", "<u4"), ("doc", "<i4")])

    #: The fewest parts.
    PARTS = 64
    #: Anchors of one part, about (1 MB of records): `PARTS` parts hold a 100,000-article corpus's.
    PART_ANCHORS = 1 << 17

    def __init__(self, spill: SpillDir, parts: int = PARTS) -> None:
        """`parts`: how many (`parts_for` the anchors expected)."""
        self._spill = spill
        self._path = spill.file("anchors", 0)
        self._file = open(self._path, "wb")  # noqa: SIM115 - kept open, closed by close()
        self._written = 0
        self.n_parts = parts
        self._runs: list[np.ndarray] = []  # per chunk added: where each of its parts starts (parts + 1), in records

    @classmethod
    def parts_for(cls, anchors: int) -> int:
        """How many parts `anchors` anchors are split into: `PARTS`, or more of about `PART_ANCHORS` each."""
        return max(cls.PARTS, -(-anchors // cls.PART_ANCHORS))

    @staticmethod
    def partition(values: np.ndarray, parts: int) -> tuple[np.ndarray, np.ndarray]:
        """The order that groups anchor `values` (uint32) into `parts` parts by their top bits
        (value * parts // 2**32), and where each part starts (parts + 1 bounds): what `add_sorted`
        takes, computed where the anchors are made."""
        part = ((values.astype(np.uint64) * np.uint64(parts)) >> np.uint64(32)).astype(np.min_scalar_type(parts - 1))
        order = np.argsort(part, kind="stable")  # of bytes or 16-bit words: a radix sort
        bounds = np.zeros(parts + 1, dtype=np.int64)
        np.cumsum(np.bincount(part, minlength=parts), out=bounds[1:])
        return order, bounds

    def add_sorted(self, values: np.ndarray, docs: np.ndarray, bounds: np.ndarray) -> None:
        """Anchor values (uint32) of the articles `docs` (one per value), already in `partition`
        order, with its bounds (the order is computed where the anchors are made)."""
        if values.shape[0] == 0:
            return
        rec = np.empty(values.shape[0], dtype=self.RECORD)
        rec["value"], rec["doc"] = values, docs
        self._file.write(rec.view(np.uint8).data)
        self._runs.append(self._written + np.asarray(bounds, dtype=np.int64))
        self._written += values.shape[0]

    def close(self) -> None:
        """No more anchors: write out what is buffered (before any fork, so a child never does)."""
        self._file.close()

    def parts(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(values, docs) of each part in turn; the file is deleted once all are read."""
        for part in self.part_ranges():
            yield self.read(part)
        self.remove()

    def part_ranges(self) -> list[AnchorPart]:
        """No more anchors: where each part is, for `read` (in another process, maybe); the
        caller deletes the file (`remove`) after."""
        self.close()
        runs = np.array(self._runs, dtype=np.int64).reshape(-1, self.n_parts + 1)
        return [AnchorPart(self._path, runs[:, p], runs[:, p + 1] - runs[:, p]) for p in range(self.n_parts)]

    def remove(self) -> None:
        """Delete the anchors' file."""
        if os.path.exists(self._path):
            os.unlink(self._path)

    @classmethod
    def read(cls, part: AnchorPart) -> tuple[np.ndarray, np.ndarray]:
        """(values, docs) of one part, its chunks' runs one after another."""
        size = cls.RECORD.itemsize
        with open(part.path, "rb") as fh:
            data = b"".join(os.pread(fh.fileno(), c * size, s * size)
                            for s, c in zip(part.starts.tolist(), part.counts.tolist()) if c)
        rec = np.frombuffer(data, dtype=cls.RECORD)
        return rec["value"].astype(np.uint32), rec["doc"].astype(np.int64)

    def counter(self) -> PairCounter:
        """A `PairCounter` in the same spill folder."""
        return PairCounter(self._spill)


class PairCounter:
    """Counts of pair codes, summed in memory up to `memory` codes, past that on disk: codes go to
    one of `parts` files by a hash, so that summing needs one file in memory at a time (a corpus
    can hold far more pairs sharing one common phrase than pairs sharing two)."""

    RECORD = np.dtype([("code", "<i8"), ("count", "<i4")])
    _MIX = np.uint64(0x9E3779B97F4A7C15)
    #: codes held in memory (16 bytes each) before they all go to the files
    MEMORY = 1 << 22

    def __init__(self, spill: SpillDir, parts: int = 64, memory: int = MEMORY) -> None:
        self._spill = spill  # its folder lives as long as this counter, which may write there late
        self._paths = [spill.file("pairs", p) for p in range(parts)]
        self._files: list[BinaryIO] = []  # opened once the codes outgrow memory
        self._held: list[tuple[np.ndarray, np.ndarray]] = []
        self._holding, self._memory = 0, memory
        self._shift = np.uint64(64 - (parts - 1).bit_length())

    def add(self, codes: np.ndarray, counts: np.ndarray) -> None:
        """Add `counts` to the counts of `codes` (int64, distinct within one call)."""
        if codes.shape[0] == 0:
            return
        if self._files:
            self._write(codes, counts)
            return
        self._held.append((codes, counts))
        self._holding += codes.shape[0]
        if self._holding > self._memory:
            self._files = [open(path, "wb") for path in self._paths]  # noqa: SIM115 - closed by at_least
            held, self._held = self._held, []
            for c, k in held:
                self._write(c, k)

    def _write(self, codes: np.ndarray, counts: np.ndarray) -> None:
        """Append codes and their counts to the files of their parts."""
        rec = np.empty(codes.shape[0], dtype=self.RECORD)
        rec["code"], rec["count"] = codes, counts
        with np.errstate(over="ignore"):
            part = ((codes.astype(np.uint64) * self._MIX) >> self._shift).astype(np.int64)
        if len(self._files) == 1:
            part[:] = 0
        small = part.astype(np.uint8) if len(self._files) <= 256 else part
        order = np.argsort(small, kind="stable")  # of bytes: a radix sort
        bounds = np.zeros(len(self._files) + 1, dtype=np.int64)
        np.cumsum(np.bincount(part, minlength=len(self._files)), out=bounds[1:])
        rec = rec[order]
        raw = rec.view(np.uint8).reshape(-1, rec.itemsize)  # written as it is, not copied to bytes first
        for p, fh in enumerate(self._files):
            if bounds[p + 1] > bounds[p]:
                fh.write(raw[bounds[p]:bounds[p + 1]].data)

    def at_least(self, minimum: int) -> np.ndarray:
        """The codes whose counts sum to `minimum` or more, sorted."""
        if not self._files:
            held, self._held = self._held, []
            if not held:
                return np.zeros(0, np.int64)
            codes, total = sum_by_code(np.concatenate([c for c, _ in held]),
                                       np.concatenate([k for _, k in held]).astype(np.int64))
            return np.sort(codes[total >= minimum])
        for fh in self._files:
            fh.close()
        hits = [np.zeros(0, np.int64)]
        for path in self._paths:
            rec = np.fromfile(path, dtype=self.RECORD)
            os.unlink(path)
            codes, total = sum_by_code(rec["code"], rec["count"].astype(np.int64))
            hits.append(codes[total >= minimum])
        return np.sort(np.concatenate(hits))


class SetStore(Sequence[ShingleSet]):
    """Exact shingle sets of a scan's articles, read back from the sign stage's spill files.

    `locate[i]` gives article i's (chunk, start, end) in that chunk's flat arrays; `totals[chunk]`
    the number of hashes in the chunk. Recently read sets are cached.
    """

    def __init__(self, spill: SpillDir, chunk: np.ndarray, start: np.ndarray, end: np.ndarray,
                 totals: Sequence[int], cache: int = 4096, kind: str = "sets") -> None:
        """`kind`: the spill files' kind ("sets": the exact view; "noisysets": the noisy view)."""
        self._spill, self._kind = spill, kind
        self._chunk, self._start, self._end = chunk, start, end
        self._totals = list(totals)
        self._cache: OrderedDict[int, ShingleSet] = OrderedDict()
        self._cache_size = cache
        self._fds: OrderedDict[int, int] = OrderedDict()
        weakref.finalize(self, _close_all, self._fds)

    def __len__(self) -> int:
        return int(self._chunk.shape[0])

    def __getstate__(self) -> dict[str, object]:
        """Pickled (for a cluster's worker) without its cache and open files."""
        return {**self.__dict__, "_cache": OrderedDict(), "_fds": OrderedDict()}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        weakref.finalize(self, _close_all, self._fds)

    def __getitem__(self, i: int) -> ShingleSet:  # type: ignore[override]
        hit = self._cache.get(i)
        if hit is not None:
            self._cache.move_to_end(i)
            return hit
        s, e = int(self._start[i]), int(self._end[i])
        if e == s:
            return EMPTY
        k = int(self._chunk[i])
        fd = self._fd(k)
        hashes = np.frombuffer(os.pread(fd, 4 * (e - s), 4 * s), dtype="<u4").astype(np.uint32)
        unquoted = np.frombuffer(os.pread(fd, e - s, 4 * self._totals[k] + s), dtype=np.bool_).copy()
        found = ShingleSet(hashes, unquoted)
        self._cache[i] = found
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return found

    def gather(self, docs: np.ndarray) -> SetBatch:
        """The sets of the articles `docs`, in that order, as one `SetBatch` (slot k is docs[k]).

        Each chunk file holding some of them is mapped while they are copied out (with the C kernel,
        one memcpy a set): a batch of a big corpus's pairs wants a few sets of each of many chunks,
        which reading set by set (two reads each) or whole files cost more. The cache is neither
        used nor filled (a batch would flush it).
        """
        docs = np.asarray(docs, dtype=np.int64)
        starts, ends = self._start[docs], self._end[docs]
        sizes = ends - starts
        offsets = np.zeros(docs.shape[0] + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        hashes = np.empty(int(offsets[-1]), dtype=np.uint32)
        unquoted = np.empty(int(offsets[-1]), dtype=np.bool_)
        for k, mine in _by_chunk(self._chunk[docs], sizes > 0):
            total = self._totals[k]
            with mmap.mmap(self._fd(k), 0, access=mmap.ACCESS_READ) as mapped:
                flat_h = np.frombuffer(mapped, dtype="<u4", count=total)
                flat_q = np.frombuffer(mapped, dtype=np.bool_, count=total, offset=4 * total)
                _copy_runs(flat_h, flat_q, starts[mine], ends[mine], offsets, mine, hashes, unquoted)
                del flat_h, flat_q  # views of the map, which closes here
        return SetBatch(hashes, unquoted, offsets)

    def sizes(self) -> np.ndarray:
        """Distinct shingles per article, without reading any set."""
        return (self._end - self._start).astype(np.int64)

    def _fd(self, chunk: int) -> int:
        fd = self._fds.get(chunk)
        if fd is None:
            fd = os.open(self._spill.file(self._kind, chunk), os.O_RDONLY)
            self._fds[chunk] = fd
            if len(self._fds) > 64:
                os.close(self._fds.popitem(last=False)[1])
        else:
            self._fds.move_to_end(chunk)
        return fd


def _copy_runs(flat_h: np.ndarray, flat_q: np.ndarray, starts: np.ndarray, ends: np.ndarray, offsets: np.ndarray,
               mine: np.ndarray, hashes: np.ndarray, unquoted: np.ndarray) -> None:
    """Copy the runs flat[starts[k]:ends[k]] of one chunk's two arrays to slots `mine` of a batch (its
    `offsets`): one memcpy a run in the C kernel; else slice copies, several times faster than one
    fancy index over all of them, joined by one `np.concatenate` where the slots' places follow
    each other (a batch in id order)."""
    copy = getattr(kernel.KERNEL, "copy_runs", None)
    if copy is not None and flat_h.dtype.itemsize == hashes.dtype.itemsize \
            and flat_q.dtype.itemsize == unquoted.dtype.itemsize and hashes.flags.c_contiguous \
            and unquoted.flags.c_contiguous:
        runs = [np.ascontiguousarray(x, dtype=np.int64) for x in (starts, ends, offsets[mine])]
        copy(np.ascontiguousarray(flat_h), hashes, *runs, hashes.dtype.itemsize)
        copy(np.ascontiguousarray(flat_q), unquoted, *runs, unquoted.dtype.itemsize)
        return
    if mine.shape[0] and np.array_equal(offsets[mine[1:]], offsets[mine[:-1] + 1]):
        o0, o1 = int(offsets[mine[0]]), int(offsets[mine[-1] + 1])
        cuts = list(zip(starts.tolist(), ends.tolist()))
        np.concatenate([flat_h[s:e] for s, e in cuts], out=hashes[o0:o1])
        np.concatenate([flat_q[s:e] for s, e in cuts], out=unquoted[o0:o1])
        return
    for s, e, o in zip(starts.tolist(), ends.tolist(), offsets[mine].tolist()):
        hashes[o:o + e - s], unquoted[o:o + e - s] = flat_h[s:e], flat_q[s:e]


def _close_all(fds: Mapping[int, int]) -> None:
    for fd in fds.values():
        try:
            os.close(fd)
        except OSError:
            pass

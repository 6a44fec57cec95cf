"""Run the per-article stages over chunks of articles, in worker processes when jobs > 1.

Two passes, because boilerplate is learned from the whole corpus between them:

1. analyze: text -> hashed words and paragraphs (`analyze_many`). The paragraph outline goes back
   to the main process, which learns boilerplate from it; the words are spilled to disk.
2. sign: words minus boilerplate -> exact shingle sets (spilled to disk, read back only for
   candidate pairs), MinHash signatures and anchors (returned).

Input is streamed: only a few chunks of text are in memory at a time, and texts are kept in a
`TextStore` on disk (a worker writes its chunk's texts to a file the store copies in). Every
result is a function of one article alone, so the output is the same for any number of jobs and
any chunk size.

After the passes, `fork_join` splits the corpus-wide work (judging boilerplate, anchor pairs,
verification, origins) between processes forked from the main one: they see its memory as it is,
and only their results are pickled back.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
import threading
import traceback
import warnings
import weakref
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Sequence, TypeVar

import numpy as np

from .errors import InputError
from .models import Article, Problem
from .read import JsonlLines
from .shingle import FeatureBatch, SetBatch, analyze_many, anchors_many, shingle_many
from .sign import signatures_flat
from .spill import AnchorSpill, SetStore, SpillDir, StoredArticle, TextStore, spill_file, write_sets

T = TypeVar("T")

#: Articles per task. Big enough that per-task overhead vanishes, small enough to balance load.
CHUNK = 1024
#: Below this many articles, worker processes cost more than they save.
MIN_PARALLEL = 2 * CHUNK


def default_jobs() -> int:
    """Cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def check_jobs(jobs: int | None) -> int:
    """`jobs` as given, or all cores for None; InputError for anything but a whole number >= 1."""
    if jobs is None:
        return default_jobs()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InputError(f"jobs must be a whole number of processes, 1 or more (None: all cores); "
                         f"got {jobs!r} ({type(jobs).__name__})")
    return jobs


# -- work done in a worker (or in-process): plain functions over plain data ---------------------

class Outline:
    """What the corpus-wide stages need of one article's `Features`: its paragraphs and fingerprint."""

    __slots__ = ("para_hashes", "para_words", "fingerprint", "n_words")

    def __init__(self, para_hashes: np.ndarray, para_words: np.ndarray, fingerprint: bytes,
                 n_words: int) -> None:
        self.para_hashes = para_hashes
        self.para_words = para_words
        self.fingerprint = fingerprint
        self.n_words = n_words


#: An article as pass 1 sends it back from a worker: id, url, title, site, published, author, origin_ref.
ArticleMeta = tuple


def _analyze_chunk(chunk: int, work: list[str] | JsonlLines, spill: str) -> tuple[Any, ...]:
    """Pass 1 for one chunk: texts (read by the main process), or raw JSONL lines, parsed here.

    Returns the outline arrays; for JSONL lines also what was read, in order (a `Problem` or an
    `ArticleMeta` per entry), and the byte lengths of the articles' texts, which are written (UTF-8,
    one after another) to the chunk's "texts" spill file.
    """
    entries: list[Problem | ArticleMeta] | None = None
    lengths: list[int] = []
    if isinstance(work, JsonlLines):
        entries, texts = [], []
        for item in work.items():
            if isinstance(item, Problem):
                entries.append(item)
            else:
                entries.append((item.id, item.url, item.title, item.site, item.published, item.author,
                                item.origin_ref))
                texts.append(item.text)
        encoded = [t.encode("utf-8", "surrogatepass") for t in texts]
        lengths = [len(e) for e in encoded]
        with open(spill_file(spill, "texts", chunk), "wb") as fh:  # the main process copies it
            fh.write(b"".join(encoded))
        del encoded
    else:
        texts = work
    batch = analyze_many(texts)
    with open(spill_file(spill, "words", chunk), "wb") as fh:
        for arr in (batch.word_hashes, batch.word_quoted, batch.word_offsets, batch.para_words,
                    batch.para_offsets):
            np.save(fh, arr, allow_pickle=False)
    return (batch.para_hashes, batch.para_words, batch.para_offsets, batch.fingerprints, batch.n_words,
            entries, lengths)


def _sign_chunk(chunk: int, drop: np.ndarray, spill: str, k: int, num_perm: int, seed: int,
                width: int, modulus: int) -> tuple[np.ndarray, ...]:
    words = spill_file(spill, "words", chunk)
    with open(words, "rb") as fh:
        wh, wq, wo, pw, po = (np.load(fh, allow_pickle=False) for _ in range(5))
    os.unlink(words)
    n = wo.shape[0] - 1
    batch = FeatureBatch(wh, wq, wo, np.zeros(pw.shape[0], np.uint64), pw, po, np.zeros((n, 12), np.uint8))
    sets: SetBatch = shingle_many(batch, k, drop)
    write_sets(spill_file(spill, "sets", chunk), sets.hashes, sets.unquoted)
    sigs = signatures_flat(sets.hashes, sets.offsets, num_perm, seed, width)
    anchor_values, anchor_offsets = anchors_many(sets, modulus)
    # Anchors go to the main process grouped by spill part, each with its article's place here.
    order, bounds = AnchorSpill.partition(anchor_values)
    owner = np.repeat(np.arange(n, dtype=np.int32), np.diff(anchor_offsets))
    return sigs, anchor_values[order], owner[order], bounds, sets.offsets


# -- running tasks in order, with a bounded number in flight ------------------------------------

class _Runner:
    """Runs tasks in this process, or in a pool of `jobs` processes once `start` is called."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.pool: Any = None

    def start(self) -> None:
        if self.jobs > 1 and self.pool is None:
            self.pool = _context().Pool(self.jobs)
            # A scan that fails between its two passes leaves the pool behind: end it then.
            self._finalizer = weakref.finalize(self, self.pool.terminate)

    def map(self, fn: Callable[..., Any], tasks: Iterable[tuple[Any, ...]]) -> Iterator[Any]:
        """fn(*task) for every task, in order; tasks are drawn lazily, a few ahead of results."""
        if self.pool is None:
            for task in tasks:
                yield fn(*task)
            return
        pending: deque[Any] = deque()
        for task in tasks:
            pending.append(self.pool.apply_async(fn, task))
            if len(pending) >= 2 * self.jobs + 1:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()

    def close(self) -> None:
        if self.pool is not None:
            self._finalizer.detach()
            self.pool.close()
            self.pool.join()
            self.pool = None

    def terminate(self) -> None:
        if self.pool is not None:
            self._finalizer.detach()
            self.pool.terminate()
            self.pool.join()
            self.pool = None


def _context() -> Any:
    # fork starts workers in milliseconds and is safe when no other Python thread can hold a lock
    # at the moment of forking; otherwise (a progress-bar thread, say) forkserver, which starts
    # from a clean process once and forks workers from it.
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and _can_fork():
        return _QuietFork()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["syndup.parallel"])
        return ctx
    return multiprocessing.get_context("spawn")


def _can_fork() -> bool:
    """Whether a child forked now is safe: Linux, and no other Python thread that could hold a
    lock at the moment of forking (the test `_context` makes for the pool, too)."""
    return (sys.platform.startswith("linux") and hasattr(os, "fork")
            and threading.active_count() == 1)


def fork_join(thunks: Sequence[Callable[[], T]], jobs: int) -> list[T]:
    """Call every thunk, the first in this process and each other in a child forked for it, all
    at once; their results, in order. Children see this process's memory as it was when they
    were forked (nothing is pickled but their results). With fewer `jobs` than thunks, or where
    forking is not safe, the thunks run here one after another. An exception in a child is
    raised here.
    """
    if len(thunks) < 2 or len(thunks) > jobs or not _can_fork():
        return [t() for t in thunks]
    children: list[tuple[int, int]] = []  # (pid, read end of its result pipe)
    try:
        for thunk in thunks[1:]:
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: run, send the pickled outcome, leave without cleanup
                os.close(r)
                code = 0
                outcome: tuple[bool, object]
                try:
                    try:
                        outcome = (True, thunk())
                    except BaseException as exc:  # noqa: BLE001 - sent to the parent, raised there
                        outcome = (False, _picklable(exc))
                    _write_all(w, pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
                except BaseException:  # noqa: BLE001 - cannot report: the parent sees the exit code
                    code = 1
                os._exit(code)
            os.close(w)
            children.append((pid, r))
        results = [thunks[0]()]
        for pid, r in children:
            with os.fdopen(r, "rb") as fh:
                data = fh.read()
            _, status = os.waitpid(pid, 0)
            if not data:
                raise RuntimeError(f"a forked syndup worker died (wait status {status})")
            ok, value = pickle.loads(data)
            if not ok:
                raise value
            results.append(value)
        children = []
        return results
    finally:
        for pid, r in children:  # something failed here: stop and reap the children left
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass
            try:
                os.close(r)
            except OSError:
                pass


def balanced_cuts(load: Sequence[int] | np.ndarray, parts: int) -> list[int]:
    """Where to cut consecutive items of `load` into `parts` runs of about equal total load: the
    boundaries, from 0 to len(load) (a run may be empty)."""
    total = np.cumsum(load)
    if total.shape[0] == 0 or parts < 2:
        return [0, len(load)]
    inner = np.searchsorted(total, total[-1] * np.arange(1, parts) / parts)
    return [0] + inner.tolist() + [len(load)]


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - any failure to pickle: send its text instead
        return RuntimeError("".join(traceback.format_exception(exc)))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view.nbytes:
        view = view[os.write(fd, view):]
    os.close(fd)


class _QuietFork:
    """The fork context, with the DeprecationWarning of Python 3.12+ about forking a process with
    threads silenced: it counts idle native threads (BLAS) too, and no Python thread is running."""

    def Pool(self, processes: int) -> Any:  # noqa: N802 - mirrors multiprocessing's API
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
            return multiprocessing.get_context("fork").Pool(processes)


# -- the main-process side -----------------------------------------------------------------------

@dataclass
class Signed:
    """Pass 2's results, in id order: signatures, anchors (on disk), and the exact shingle sets."""

    signatures: np.ndarray       # uint32 (n, width): the first `width` permutations
    anchors: AnchorSpill         # (value, article) pairs, read back part by part
    sets: SetStore


class Prepared:
    """A corpus after pass 1: articles (text on disk) and paragraph outlines, in id order."""

    def __init__(self, jobs: int, on_problem: Callable[[Problem], None] | None = None) -> None:
        self.articles: list[StoredArticle] = []
        self.problems: list[Problem] = []
        self._on_problem = on_problem
        self.texts = TextStore()
        self._runner = _Runner(jobs)
        self._spill = SpillDir()
        self._parts: list[tuple[np.ndarray, ...]] = []
        self._chunk_starts: list[int] = [0]

    # pass 1 ------------------------------------------------------------------------------------
    def collect(self, items: Iterable[Article | Problem | JsonlLines],
                progress: Callable[[int], None] | None) -> None:
        """Read every article, keep its text on disk and its outline in memory.

        Articles and problems read here are gathered into chunks of texts; `JsonlLines` are
        parsed by the workers (reading JSONL is then parallel too). Either way each chunk's
        articles are stored, and their ids checked, in input order as its results come back.
        """
        store = self.texts
        # The entries (articles and problems, in order) of the text chunks in flight.
        held: dict[int, list[Article | Problem]] = {}

        def chunks() -> Iterator[tuple[int, list[str] | JsonlLines, str]]:
            entries: list[Article | Problem] = []
            texts: list[str] = []
            number = 0
            for item in items:
                if isinstance(item, JsonlLines):
                    if entries:
                        held[number] = entries
                        yield (number, texts, spill)
                        entries, texts, number = [], [], number + 1
                    yield (number, item, spill)
                    number += 1
                    continue
                entries.append(item)
                if isinstance(item, Article):
                    texts.append(item.text)
                    if len(texts) == CHUNK:
                        held[number] = entries
                        yield (number, texts, spill)
                        entries, texts, number = [], [], number + 1
            if entries:
                held[number] = entries
                yield (number, texts, spill)

        # Start worker processes only once the input proves big enough to pay for them.
        spill = str(self._spill.path)
        stream = chunks()
        buffered: list[tuple[int, list[str] | JsonlLines, str]] = []
        waiting = 0  # articles (or JSONL lines) in the buffered tasks
        for task in stream:
            buffered.append(task)
            work = task[1]
            waiting += len(work) if isinstance(work, list) else work.count
            if waiting >= MIN_PARALLEL:
                self._runner.start()
                break
        try:
            for number, part in enumerate(self._runner.map(_analyze_chunk, _chain(buffered, stream))):
                entries, lengths = part[5], part[6]
                if entries is None:
                    self._take(held.pop(number))
                else:
                    self._take_meta(entries, spill_file(spill, "texts", number), lengths)
                self._parts.append(part[:5])
                self._chunk_starts.append(self._chunk_starts[-1] + int(part[4].shape[0]))
                if progress is not None:
                    progress(len(store))
        except BaseException:
            self._runner.terminate()
            raise
        # Its workers hold nothing pass 2 needs; without their threads, learning boilerplate
        # may fork (see `fork_join`). Pass 2 starts a new pool.
        self._runner.close()
        self._finish(store.added)

    def _unique_id(self, doc_id: str, origin_ref: str | None) -> str:
        """`doc_id`, or a new one (with a warning) if an article already has it."""
        store = self.texts
        first = store.first(doc_id)
        if first is None:
            return doc_id
        n = 2
        while f"{doc_id}~{n}" in store:
            n += 1
        new_id = f"{doc_id}~{n}"
        self._problem(Problem(
            origin_ref or doc_id,
            f"duplicate id {doc_id!r} (first in {first.origin_ref or 'input'}); renamed {new_id!r}",
            skipped=False))
        return new_id

    def _problem(self, problem: Problem) -> None:
        self.problems.append(problem)
        if self._on_problem is not None:
            self._on_problem(problem)

    def _take(self, entries: list[Article | Problem]) -> None:
        for item in entries:
            if isinstance(item, Problem):
                self._problem(item)
                continue
            new_id = self._unique_id(item.id, item.origin_ref)
            if new_id != item.id:
                item = Article(**{**item.__dict__, "id": new_id})
            self.texts.add(item)

    def _take_meta(self, entries: list[Problem | ArticleMeta], texts: str, lengths: list[int]) -> None:
        """Store a chunk parsed by a worker: `texts` is the file holding its texts."""
        metas = [e for e in entries if not isinstance(e, Problem)]
        try:
            if self.texts.add_file(metas, texts, lengths):  # no id taken: copied in one go
                for e in entries:
                    if isinstance(e, Problem):
                        self._problem(e)
                return
            with open(texts, "rb") as fh:
                view = memoryview(fh.read())
        finally:
            os.unlink(texts)
        pos = 0
        k = 0
        for item in entries:
            if isinstance(item, Problem):
                self._problem(item)
                continue
            new_id = self._unique_id(item[0], item[6])
            end = pos + lengths[k]
            self.texts.add_encoded((new_id, *item[1:]), view[pos:end])
            pos, k = end, k + 1

    def _finish(self, read: list[StoredArticle]) -> None:
        n = len(read)
        ids = [a.id for a in read]
        order = np.array(sorted(range(n), key=ids.__getitem__), dtype=np.int64)
        self.order = order                       # id position -> read position
        self.rank = np.empty(n, dtype=np.int64)  # read position -> id position
        self.rank[order] = np.arange(n, dtype=np.int64)
        # Python lists: indexing them is several times cheaper than indexing numpy arrays one by one.
        self._order_list = order.tolist()
        self.articles = [read[i] for i in self._order_list]
        self.texts.freeze(self._order_list)
        parts = self._parts
        if parts:
            self.para_hashes = np.concatenate([p[0] for p in parts])
            self.para_words = np.concatenate([p[1] for p in parts])
            para_counts = np.concatenate([np.diff(p[2]) for p in parts])
            self.fingerprints = np.concatenate([p[3] for p in parts])
            self.n_words = np.concatenate([p[4] for p in parts])
        else:
            self.para_hashes = np.zeros(0, np.uint64)
            self.para_words = np.zeros(0, np.int32)
            para_counts = np.zeros(0, np.int64)
            self.fingerprints = np.zeros((0, 12), np.uint8)
            self.n_words = np.zeros(0, np.int64)
        self.para_offsets = np.zeros(n + 1, dtype=np.int64)  # read order
        np.cumsum(para_counts, out=self.para_offsets[1:])
        self._parts = []
        self.features = _Outlines(self)

    def release_paragraphs(self) -> None:
        """Drop the per-paragraph arrays (outlines, drop masks): pass 2 was their last use."""
        self.para_hashes = np.zeros(0, np.uint64)
        self.para_words = np.zeros(0, np.int32)

    def outline(self, i: int) -> "_OutlineView":
        """Article i's (id order) outline; its arrays are cut when asked for."""
        return _OutlineView(self, self._order_list[i])

    # between the passes ---------------------------------------------------------------------------
    def drop_masks(self, drop_mask: Callable[[Any, np.ndarray], np.ndarray],
                   boilerplate: np.ndarray) -> "_Drops":
        """Per article (id order), which paragraphs are boilerplate; `drop_mask` is applied once
        to all paragraphs of the corpus (it must judge each paragraph by its hash alone)."""
        everything = Outline(self.para_hashes, self.para_words, b"", int(self.n_words.sum()))
        return _Drops(self, np.asarray(drop_mask(everything, boilerplate), dtype=bool))

    # pass 2 ------------------------------------------------------------------------------------
    def sign(self, drops: "_Drops", shingle_size: int, num_perm: int, seed: int, width: int,
             modulus: int) -> Signed:
        """Shingle, sign and sample anchors of every article, leaving out the dropped paragraphs.

        Signatures hold the first `width` of the `num_perm` permutations: LSH with b bands of r
        rows reads only the first b * r, so the others are never computed.
        """
        n = len(self.articles)
        starts = self._chunk_starts
        spill = str(self._spill.path)

        def tasks() -> Iterator[tuple[Any, ...]]:
            for c in range(len(starts) - 1):
                p0, p1 = int(self.para_offsets[starts[c]]), int(self.para_offsets[starts[c + 1]])
                yield (c, drops.flat[p0:p1], spill, shingle_size, num_perm, seed, width, modulus)

        if n >= MIN_PARALLEL:
            self._runner.start()
        sigs = np.empty((n, width), dtype=np.uint32)
        set_chunk = np.empty(n, dtype=np.int32)
        set_start = np.empty(n, dtype=np.int64)
        set_end = np.empty(n, dtype=np.int64)
        totals: list[int] = []
        anchors = AnchorSpill(self._spill)
        try:
            for c, (s, av, owner, bounds, so) in enumerate(self._runner.map(_sign_chunk, tasks())):
                pos = self.rank[starts[c]:starts[c + 1]]
                sigs[pos] = s
                set_chunk[pos] = c
                set_start[pos] = so[:-1]
                set_end[pos] = so[1:]
                totals.append(int(so[-1]))
                anchors.add_sorted(av, pos[owner].astype(np.int32), bounds)
        except BaseException:
            self._runner.terminate()
            raise
        finally:
            anchors.close()
        self._runner.close()
        return Signed(signatures=sigs, anchors=anchors,
                      sets=SetStore(self._spill, set_chunk, set_start, set_end, totals))


def _chain(first: list[Any], rest: Iterator[Any]) -> Iterator[Any]:
    yield from first
    yield from rest


class _OutlineView:
    """An `Outline` of one article of a prepared corpus, made on access (the tail of a scan asks
    many times for just the fingerprint)."""

    __slots__ = ("_p", "_r")

    def __init__(self, prepared: Prepared, read_position: int) -> None:
        self._p, self._r = prepared, read_position

    @property
    def para_hashes(self) -> np.ndarray:
        p, r = self._p, self._r
        return p.para_hashes[int(p.para_offsets[r]):int(p.para_offsets[r + 1])]

    @property
    def para_words(self) -> np.ndarray:
        p, r = self._p, self._r
        return p.para_words[int(p.para_offsets[r]):int(p.para_offsets[r + 1])]

    @property
    def fingerprint(self) -> bytes:
        return self._p.fingerprints[self._r].tobytes()

    @property
    def n_words(self) -> int:
        return int(self._p.n_words[self._r])


class _Outlines(Sequence["_OutlineView"]):
    """Outlines of a prepared corpus, in id order, made on access."""

    def __init__(self, prepared: Prepared) -> None:
        self._p = prepared

    def __len__(self) -> int:
        return len(self._p.articles)

    def __getitem__(self, i: int) -> _OutlineView:  # type: ignore[override]
        if i < 0:
            i += len(self)
        return self._p.outline(i)

    def paragraph_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """`boilerplate.paragraph_table`: the flat arrays, articles in read order."""
        p = self._p
        return p.para_hashes, p.para_words, p.para_offsets, p.rank


class _Drops(Sequence[np.ndarray]):
    """Per article (id order), a bool mask over its paragraphs: True for boilerplate."""

    def __init__(self, prepared: Prepared, flat: np.ndarray) -> None:
        self._p = prepared
        self.flat = flat  # read order, aligned with prepared.para_hashes

    def __len__(self) -> int:
        return len(self._p.articles)

    def __getitem__(self, i: int) -> np.ndarray:  # type: ignore[override]
        r = self._p._order_list[i]
        offsets = self._p.para_offsets
        return self.flat[int(offsets[r]):int(offsets[r + 1])]

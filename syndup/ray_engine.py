"""The Ray engine: a scan's per-block passes and corpus-wide splits as Ray tasks, on one machine or a Ray cluster.

`RayExecution` is a second implementation of `syndup.execution.Execution`, not a second pipeline:
the stages call the same functions. `map_chunks` (pass 1: parse JSONL, normalise, shingle; pass 2:
sign with the C kernel) sends each chunk to a Ray task, a bounded number in flight, results in
order; `map_split` (verification, cutting components into clusters, reading origin evidence,
choosing origins, judging boilerplate) cuts its work into Ray tasks, at least two per CPU and
at most about `Tuning.task_items` items each. Verification's links are written by its tasks to
the spill folder and joined into components by Ray tasks (`syndup.ray_components`). A task
whose worker process dies is run again by Ray (`MAX_RETRIES`), so a killed worker does not
change the result. Chunks' words, shingle sets and the texts go to the scan's spill folder,
which the workers must see at the same path (one machine, or a shared file system): a task is
sent what it works on by reference and reads the sets and texts it needs there. Ray is
imported only here (`pip install 'syndup[ray]'`).
"""

from __future__ import annotations

import logging
import math
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np

from . import _workers
from .errors import InputError, require
from .execution import Execution, Runs, Tuning, check_jobs
from .models import Article, Problem
from .read import DEFAULT_FIELDS, DEFAULT_LIMITS, Fields, JsonlLines, ReadLimits, from_records, jsonl_lines
from .spill import SpillDir

ray = require("ray", "ray", "The Ray engine (engine='ray', --engine ray)")

__all__ = ["JSONL_SUFFIXES", "MAX_RETRIES", "RayExecution", "connect", "expand_uris", "quiet_logs", "read_jsonl",
           "read_parquet", "read_uris"]

R = TypeVar("R")
S = TypeVar("S", bound=Runs)

#: Times Ray runs a task again whose worker process died (a killed worker, a lost node).
MAX_RETRIES = 3


def _call(fn: Callable[..., Any], *args: Any) -> Any:
    """In a Ray worker: one task of `map_chunks`."""
    return fn(*args)


_task: Any = None
_method_task: Any = None


def _call_method(owner: Any, name: str, *args: Any) -> Any:
    """In a Ray worker: one task of `map_split` running a method of an object sent once."""
    return getattr(owner, name)(*args)


def _remote_method() -> Any:
    """The Ray remote function that runs methods (made once, after Ray is imported)."""
    global _method_task
    if _method_task is None:
        _method_task = ray.remote(num_cpus=1, max_retries=MAX_RETRIES)(_call_method)
    return _method_task


def _remote() -> Any:
    """The Ray remote function that runs tasks (made once, after Ray is imported)."""
    global _task
    if _task is None:
        _task = ray.remote(num_cpus=1, max_retries=MAX_RETRIES)(_call)
    return _task


def _name(fn: Callable[..., Any]) -> str:
    """A task's name (in Ray's dashboard and state API): what it runs (a partial's function)."""
    while isinstance(fn, partial):
        fn = fn.func
    return f"syndup:{getattr(fn, '__qualname__', type(fn).__name__)}"


def _get(ref: Any) -> Any:
    """A task's result; an exception the task raised is raised here as itself (one line, as the
    local engine raises it), with Ray's report of where it ran chained to it."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        if isinstance(exc.cause, Exception):
            raise exc.cause from exc
        raise


#: A group-by's columns as its blocks' rows hold them: (name, dtype, shape of one row), in file order.
Spec = list[tuple[str, np.dtype, tuple[int, ...]]]


def _split_block(block: dict[str, np.ndarray], rows: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]] | None,
                 key: str, parts: int, path: str) -> tuple[np.ndarray, int, Spec]:
    """In a worker: one block's rows (`rows` of it, if given) cut into `parts` by their key's remainder
    (keys are hashes), written to `path` column after column, each in part order: where each part
    starts in every column, the rows, and the columns' layout. Written whole, then moved in place."""
    made = block if rows is None else rows(block)
    part = (made[key].astype(np.uint64) % np.uint64(parts)).astype(np.int64)
    order = np.argsort(part, kind="stable")
    bounds = np.searchsorted(part[order], np.arange(parts + 1))
    spec = [(name, values.dtype, values.shape[1:]) for name, values in made.items()]
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as fh:
        for name, _, _ in spec:
            fh.write(np.ascontiguousarray(made[name][order]).data)
    os.replace(tmp, path)
    return bounds, int(order.shape[0]), spec


def _read_part(pieces: Sequence[tuple[str, int, int, int]], spec: Spec) -> dict[str, np.ndarray]:
    """One part's rows from the blocks' files: rows a..b of each (path, a, b, rows of the block)."""
    total = sum(b - a for _, a, b, _ in pieces)
    out = {name: np.empty((total, *shape), dtype) for name, dtype, shape in spec}
    at = 0
    for path, a, b, length in pieces:
        with open(path, "rb", buffering=0) as fh:
            start = 0
            for name, dtype, shape in spec:
                width = dtype.itemsize * math.prod(shape)
                fh.seek(start + a * width)
                view = out[name][at:at + b - a].reshape(-1).view(np.uint8)  # the part's rows, as bytes
                if fh.readinto(view.data) != view.nbytes:
                    raise OSError(f"{path}: a group-by's block file ends early")
                start += length * width
        at += b - a
    return out


def _reduce_part(fn: Callable[[dict[str, np.ndarray]], R], pieces: Sequence[tuple[str, int, int, int]],
                 spec: Spec) -> R:
    """In a worker: `fn` of one part's rows, read from the blocks' files."""
    return fn(_read_part(pieces, spec))


#: Ray's log level on this process's console (`quiet_logs`).
_console_level = [logging.INFO]


def quiet_logs() -> None:
    """Ray's and Ray Data's INFO lines (a local instance started, each dataset's plan and end) and
    Ray Data's warnings kept off this process's console (`syndup scan --quiet`); Ray Data still
    writes them to its log files in the Ray session's folder."""
    _console_level[0] = logging.WARNING
    logging.getLogger("ray").setLevel(logging.WARNING)
    require("ray.data", "ray", "The Ray engine")  # sets up Ray Data's loggers, which the lines below change
    for handler in logging.getLogger("ray.data").handlers:
        if type(handler).__name__ != "SessionFileHandler":  # its console handler, not its log file
            handler.setLevel(logging.ERROR)


def connect(address: str | None = None) -> None:
    """Use the Ray instance this process is connected to; else connect to `address` (None: the
    cluster `RAY_ADDRESS` names, or a new local instance on this machine)."""
    if ray.is_initialized():
        return
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=_console_level[0])
    except ConnectionError as exc:
        raise InputError(f"cannot connect to the Ray cluster at {address!r}: {exc}") from exc


@dataclass(frozen=True)
class RayExecution(Execution):
    """Run a scan's per-chunk passes as Ray tasks (see the module docstring); `jobs` is for the
    corpus-wide work the driver does itself."""

    remote: ClassVar[bool] = True
    #: The objects whose methods `map_split` ran, by id, with their object store refs: a stage's
    #: helper (the `Verifier`) does not change during a scan, so it is pickled and sent once.
    _objects: dict[int, tuple[Any, Any]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def connected(cls, address: str | None = None, jobs: int | None = None,
                  tuning: Tuning | None = None) -> RayExecution:
        """An execution on the Ray cluster at `address` (see `connect`)."""
        connect(address)
        return cls(check_jobs(jobs), tuning or Tuning())

    def map_chunks(self, fn: Callable[..., R], tasks: Iterable[tuple[Any, ...]], *,
                   parallel: bool) -> Iterator[R]:
        """`fn(*task)` for every task, in order: as Ray tasks when `parallel` (about two per CPU of
        the cluster in flight, so the driver holds a bounded number of chunks), else here."""
        if not parallel:
            for task in tasks:
                yield fn(*task)
            return
        fn_ref = ray.put(fn)  # by reference: a module-level function pickles as its name
        remote = _remote().options(name=_name(fn))
        yield from self.map_refs(remote.remote(fn_ref, *task) for task in tasks)

    def cpus(self) -> int:
        """The CPUs of the Ray cluster."""
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def by_key(self, fn: Callable[[dict[str, np.ndarray]], R], columns: dict[str, np.ndarray], key: str, *,
               rows: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]] | None = None) -> list[R]:
        """`Execution.by_key` as Ray tasks, a hash shuffle through files: `columns` cut into blocks
        whose rows take about `tuning.group_bytes` (measured on a few); a task per block makes its
        rows (`rows`) and writes them to a file of a spill folder cut into parts by key (two parts
        per CPU, or one per block if more); a task per part reads its rows from every block's file
        and returns `fn` of them. A worker holds one block or one part, whatever the corpus; the
        driver only the files' names and where each part starts in them."""
        length = len(next(iter(columns.values()))) if columns else 0
        if length == 0:
            return [fn(columns if rows is None else rows(columns))]
        size = sum(v.nbytes for v in columns.values())
        if rows is not None:  # a block is cut by the bytes of the rows it makes (band keys: twice its signatures)
            probe = min(length, 256)
            made = sum(v.nbytes for v in rows({c: v[:probe] for c, v in columns.items()}).values())
            size = max(size, made * length // probe)
        step = max(1, self.tuning.group_bytes * length // max(1, size))
        # At least two parts per CPU, and as many as blocks: a part, like a block, stays near group_bytes.
        parts = max(2 * self.cpus(), -(-size // max(1, self.tuning.group_bytes)))
        folder = SpillDir()
        split, reduce = self.remote_of(_split_block), self.remote_of(_reduce_part)
        try:
            starts = range(0, length, step)
            paths = [folder.file("group", i) for i in range(len(starts))]
            blocks = list(self.map_refs(split.remote({c: v[a:a + step] for c, v in columns.items()}, rows, key,
                                                     parts, path) for a, path in zip(starts, paths)))
            spec = blocks[0][2]
            fn_ref = ray.put(fn)
            refs = []
            for p in range(parts):
                pieces = [(path, int(bounds[p]), int(bounds[p + 1]), made)
                          for path, (bounds, made, _) in zip(paths, blocks) if bounds[p + 1] > bounds[p]]
                if pieces:  # a part without rows has no result (as a group-by has no empty group)
                    refs.append(reduce.remote(fn_ref, pieces, spec))
            return self.get_all(refs)
        finally:
            folder.remove()

    def map_refs(self, submit: Iterable[Any]) -> Iterator[Any]:
        """The results of the tasks `submit` starts as it is drawn, in order, about two per CPU in
        flight (so what they are sent stays bounded in the object store)."""
        ahead = 2 * self.cpus() + 1
        pending: deque[Any] = deque()
        try:
            for ref in submit:
                pending.append(ref)
                if len(pending) >= ahead:
                    yield _get(pending.popleft())
            while pending:
                yield _get(pending.popleft())
        finally:
            for ref in pending:  # a failed or abandoned scan: stop what is still queued
                ray.cancel(ref, force=True)

    def links(self, verifier: Any, n: int) -> Any:
        """Verification's links written by its tasks to the spill folder, their components found by
        Ray tasks (`syndup.ray_components`)."""
        from .ray_components import RayLinks

        return RayLinks(self, verifier, n)

    def cuts(self, load: Sequence[int] | np.ndarray) -> list[int]:
        """Where to cut items of `load` into tasks of about equal load: at least two a CPU, and
        more when needed for at most about `tuning.task_items` items each (what a task holds then
        grows with its part, not with the corpus)."""
        return _workers.balanced_cuts(load, max(2 * self.cpus(), -(-len(load) // max(1, self.tuning.task_items))))

    def put_once(self, owner: Any) -> Any:
        """`owner` in the object store, put once a scan (a stage's helper does not change during it)."""
        held = self._objects.get(id(owner))
        if held is None or held[0] is not owner:
            held = self._objects[id(owner)] = (owner, ray.put(owner))
        return held[1]

    @staticmethod
    def remote_of(fn: Callable[..., Any]) -> Any:
        """`fn` as a Ray task (retried when its worker dies), named for Ray's dashboard."""
        return ray.remote(num_cpus=1, max_retries=MAX_RETRIES)(fn).options(name=_name(fn))

    @staticmethod
    def get_all(refs: Sequence[Any]) -> list[Any]:
        """The tasks' results, in order; the rest are cancelled if one fails."""
        try:
            return [_get(ref) for ref in refs]
        except BaseException:
            for ref in refs:  # a failed or abandoned scan: stop the rest
                ray.cancel(ref, force=True)
            raise

    def map_split(self, fn: Callable[[S], R], items: S, *, minimum: int,
                  load: Sequence[int] | np.ndarray | None = None) -> list[R]:
        """`fn` of `items` cut into about two runs per CPU of the cluster of about equal `load`,
        each run a Ray task, when there are at least `minimum` items; else `fn(items)` here. `fn`
        (with what it holds: sets and texts are read from the spill folder by path) is put in
        the object store once; the runs' results, in order."""
        if len(items) < max(minimum, 2):
            return [fn(items)]
        cuts = self.cuts(np.ones(len(items), np.int64) if load is None else load)
        owner = getattr(fn, "__self__", None)
        args: tuple[Any, ...]
        if owner is not None and not isinstance(owner, type):  # a helper's method: its object sent once a scan
            fn_ref, args = self.put_once(owner), (fn.__name__,)
            task = _remote_method().options(name=_name(fn))
        else:
            fn_ref, args = ray.put(fn), ()
            task = _remote().options(name=_name(fn))
        return self.get_all([task.remote(fn_ref, *args, items[a:b]) for a, b in zip(cuts[:-1], cuts[1:]) if b > a])


_GLOB = frozenset("*?[")


def _matches(parts: Sequence[str], pattern: Sequence[str]) -> bool:
    """Whether a relative path's parts match a glob's parts (`*`, `?`, `[...]` within a part,
    `**` any number of parts)."""
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_matches(parts[i:], pattern[1:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], pattern[0]) and _matches(parts[1:], pattern[1:])


def expand_uris(uris: Sequence[str]) -> list[str]:
    """`uris` with each glob (`s3://bucket/crawl/*.parquet`, `file:///data/**/*.jsonl.gz`) replaced by
    the files it matches, sorted (Ray Data's readers take files and folders, not globs); listed
    with pyarrow's file system of the URI's scheme. A glob that matches nothing is an InputError."""
    fs = require("pyarrow.fs", "ray", "Reading URIs with Ray Data")
    out: list[str] = []
    for uri in uris:
        scheme_end = uri.index("://") + 3
        first = next((i for i, ch in enumerate(uri) if ch in _GLOB and i >= scheme_end), None)
        if first is None:
            out.append(uri)
            continue
        cut = uri.rfind("/", 0, first)
        base, pattern = uri[:cut], [p for p in uri[cut + 1:].split("/") if p]
        try:
            system, root = fs.FileSystem.from_uri(base + "/")
            found = system.get_file_info(fs.FileSelector(root, recursive=len(pattern) > 1 or "**" in pattern))
        except (OSError, ValueError) as exc:
            raise InputError(f"{uri}: cannot list {base}/ ({exc})") from exc
        root = root.rstrip("/")
        hits = sorted(f"{base}/{rel}" for rel in (info.path[len(root):].lstrip("/") for info in found
                                                   if info.type == fs.FileType.File)
                      if _matches(rel.split("/"), pattern))
        if not hits:
            raise InputError(f"{uri}: no file matches")
        out.extend(hits)
    return out


def read_parquet(paths: Sequence[str], *, fields: Fields = DEFAULT_FIELDS,
                 limits: ReadLimits = DEFAULT_LIMITS) -> Iterator[Article | Problem]:
    """The records of Parquet files or folders of them, at URIs Ray Data reads (s3://, gs://,
    hdfs://, file://), read by Ray Data's tasks in file order and taken as `from_records` takes
    records: the same field names, ids and warnings (a record is "record N", counted over all).
    Globs are expanded first (`expand_uris`)."""
    data = require("ray.data", "ray", "Reading Parquet with Ray Data")
    connect()
    context = data.DataContext.get_current()
    keep, context.execution_options.preserve_order = context.execution_options.preserve_order, True
    try:
        dataset = data.read_parquet(expand_uris(paths))  # expanded already by read_uris: a no-op

        def rows() -> Iterator[dict[str, Any]]:
            for batch in dataset.iter_batches(batch_format="pandas", batch_size=4096):
                yield from batch.to_dict("records")

        yield from from_records(rows(), fields=fields, limits=limits)
    finally:
        context.execution_options.preserve_order = keep


#: URIs ending so are read as JSONL (`read_jsonl`); other URIs as Parquet files or folders.
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".jsonl.zst", ".ndjson", ".ndjson.gz", ".ndjson.zst")


def read_jsonl(uris: Sequence[str], *, fields: Fields = DEFAULT_FIELDS,
               limits: ReadLimits = DEFAULT_LIMITS) -> Iterator[JsonlLines | Problem]:
    """JSONL files at URIs Ray Data reads (s3://, gs://, hdfs://, file://), each read whole by a
    Ray Data task (`read_binary_files`, in file order; .gz, .zst and other suffixes Arrow knows are
    decompressed there, so the input size limit counts decompressed bytes and no ratio is judged)
    and cut into batches of raw lines as a local file is (`read.jsonl_lines`): the lines are parsed
    by the scan's workers with the local rules (a bad line is a warning naming "file:line"). The
    driver holds one file at a time. Globs are expanded first (`expand_uris`)."""
    data = require("ray.data", "ray", "Reading JSONL with Ray Data")
    connect()
    context = data.DataContext.get_current()
    keep = context.execution_options.preserve_order, context.enable_progress_bars
    context.execution_options.preserve_order, context.enable_progress_bars = True, False
    try:
        dataset = data.read_binary_files(expand_uris(uris), include_paths=True)
        for batch in dataset.iter_batches(batch_size=1, batch_format="numpy"):
            for raw, path in zip(batch["bytes"], batch["path"]):
                yield from jsonl_lines(Path(str(path)), fields=fields, limits=limits, data=bytes(raw))
    finally:
        context.execution_options.preserve_order, context.enable_progress_bars = keep


def read_uris(uris: Sequence[str], *, fields: Fields = DEFAULT_FIELDS,
              limits: ReadLimits = DEFAULT_LIMITS) -> Iterator[Article | JsonlLines | Problem]:
    """What the files at `uris` (globs expanded) hold: JSONL files by their suffix (`read_jsonl`),
    else Parquet files and folders (`read_parquet`); the two mixed is an InputError."""
    found = expand_uris(uris)
    jsonl = [u.lower().endswith(JSONL_SUFFIXES) for u in found]
    if any(jsonl) and not all(jsonl):
        raise InputError(f"{', '.join(uris)}: JSONL files (by their suffix) and Parquet together; scan them apart")
    yield from (read_jsonl if all(jsonl) else read_parquet)(found, fields=fields, limits=limits)

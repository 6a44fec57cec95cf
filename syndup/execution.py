"""Where a scan's work runs: how many processes, and when splitting work between them pays.

Stages say *what* to compute; an `Execution` decides *where*. Every stage takes one and calls
`map_chunks` (a stream of chunks through worker processes), `map_split` (a list cut into
balanced runs, each in a forked child) or `fork_join` (a few different thunks at once). The
result never depends on it: any `jobs` and any `Tuning` give the same tables. A cluster engine is
a second implementation of this interface, not a second pipeline.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar, Protocol, TypeVar

import numpy as np

from . import _workers
from .errors import InputError

R = TypeVar("R")
S = TypeVar("S", bound="Runs")


class Runs(Protocol):
    """What `map_split` cuts: a list or an array (a length, and slices of the same kind)."""

    def __len__(self) -> int: ...

    def __getitem__(self, cut: slice, /) -> Any: ...


@dataclass(frozen=True)
class Tuning:
    """How much work is worth a worker process or a fork (a fork costs about 10 ms). Only speed
    depends on these; tests lower them to force every split on small corpora."""

    chunk: int = 1 << 10
    """Articles per pass-1 and pass-2 task: big enough that per-task overhead vanishes."""
    min_parallel: int = 2 << 10
    """Below this many articles, a pool of worker processes costs more than it saves."""
    fork_articles: int = 1 << 12
    """Articles from which anchor pairs are found in a child while LSH bands run."""
    fork_pairs: int = 20_000
    """Candidate pairs to verify, worth splitting."""
    fork_members: int = 2_000
    """Cluster members to read origin evidence of, worth splitting."""
    fork_clusters: int = 1_000
    """Clusters to choose origins of, worth splitting."""
    fork_keys: int = 1 << 12
    """Frequent paragraphs' holder groups to judge as boilerplate, worth splitting."""
    read_shingles: int = 1 << 23
    """Shingles of the sets read for one batch of pairs to verify (about 5 bytes each)."""
    group_bytes: int = 1 << 26
    """Bytes of one block of a cluster engine's group-bys (`Execution.by_key`): what a worker holds of them."""
    task_items: int = 1 << 12
    """Items (pairs to verify, cluster members, ...) of one task of a cluster engine's `map_split`: work is
    cut into tasks of at most about this many, so what a task holds grows with it, not with the corpus."""


def check_jobs(jobs: int | None) -> int:
    """`jobs` as given, or all cores for None; InputError for anything but a whole number >= 1."""
    if jobs is None:
        return _workers.default_jobs()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise InputError(f"jobs must be a whole number of processes, 1 or more (None: all cores); "
                         f"got {jobs!r} ({type(jobs).__name__})")
    return jobs


def for_engine(name: str, address: str | None = None, jobs: int | None = None,
               tuning: Tuning | None = None) -> Execution:
    """The execution `name`s: "local" (processes on this machine) or "ray" (the Ray cluster at
    `address`, see `syndup.ray_engine`); InputError for any other name, or an address without Ray."""
    if name == "local":
        if address is not None:
            raise InputError(f"an address ({address!r}) is for engine='ray', not engine='local'")
        return Execution.local(jobs, tuning)
    if name == "ray":
        from .ray_engine import RayExecution  # Ray is an extra, imported only here

        return RayExecution.connected(address, jobs, tuning)
    raise InputError(f"engine must be 'local' or 'ray'; got {name!r}")


@dataclass(frozen=True)
class Execution:
    """Run a scan's stages in this process and in `jobs` processes on this machine."""

    jobs: int = 1
    tuning: Tuning = field(default_factory=Tuning)
    #: Whether work may run in processes that see only the scan's files, not this process's
    #: memory (a cluster's workers): the texts are then kept in the spill folder for them.
    remote: ClassVar[bool] = False

    @classmethod
    def local(cls, jobs: int | None = None, tuning: Tuning | None = None) -> Execution:
        """`jobs` processes (None: all cores), checked."""
        return cls(check_jobs(jobs), tuning or Tuning())

    def replace(self, **changes: Any) -> Execution:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def map_chunks(self, fn: Callable[..., R], tasks: Iterable[tuple[Any, ...]], *,
                   parallel: bool) -> Iterator[R]:
        """`fn(*task)` for every task, in order, drawn lazily a few ahead of the results: in a pool
        of worker processes when `parallel` (the tasks and results are pickled), else here."""
        pool = _workers.Pool(self.jobs)
        if parallel:
            pool.start()
        try:
            yield from pool.map(fn, tasks)
        except BaseException:
            pool.terminate()
            raise
        # Its workers hold nothing later stages need; without their threads, those may fork.
        pool.close()

    def fork_join(self, thunks: Sequence[Callable[[], R]], *, worth: bool = True) -> list[R]:
        """Every thunk's result, in order: each in a forked child at once when `worth` it and there
        are enough jobs, else one after another here."""
        return _workers.fork_join(thunks, self.jobs if worth else 1)

    def by_key(self, fn: Callable[[dict[str, np.ndarray]], R], columns: dict[str, np.ndarray], key: str, *,
               rows: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]] | None = None) -> list[R]:
        """A group-by: `fn` of the rows `rows(columns)` (equal-length arrays; `columns` themselves
        without `rows`) cut into parts by the uint64 column `key`, every row of one key value in
        one part; the parts' results, in no given order. `fn` must give for a part what it gives
        for all rows restricted to that part's keys (the caller merges). Here: one part."""
        return [fn(columns if rows is None else rows(columns))]

    def links(self, verifier: Any, n: int) -> Any:
        """Where verification keeps its links and joins them (`stages.verify.Links`): here, in memory."""
        from .stages.verify import MemoryLinks

        return MemoryLinks(verifier, n)

    def map_split(self, fn: Callable[[S], R], items: S, *, minimum: int,
                  load: Sequence[int] | np.ndarray | None = None) -> list[R]:
        """`fn` of `items` (a list or an array) cut into `jobs` consecutive runs of about equal
        `load` (default: one per item), each run in a forked child, when there are at least
        `minimum` items (and two per job); else `fn(items)` here. The runs' results, in order."""
        if self.jobs < 2 or len(items) < max(minimum, 2 * self.jobs):
            return [fn(items)]
        cuts = _workers.balanced_cuts(np.ones(len(items), np.int64) if load is None else load, self.jobs)
        return self.fork_join([partial(fn, items[a:b]) for a, b in zip(cuts[:-1], cuts[1:])])

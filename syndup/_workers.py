"""Worker processes: a pool for the per-chunk passes, and children forked for corpus-wide work.

Private: stages use them through `syndup.execution.Execution`, never directly. Two mechanisms,
because the two kinds of work differ: the passes stream chunks of texts through a pool
(`Pool.map`, a bounded number of tasks in flight), while corpus-wide work (judging boilerplate,
anchor pairs, verification, origins) is split between children forked from the main process
(`fork_join`): they see its memory as it is, and only their results are pickled back.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
import pickle
import signal
import sys
import threading
import traceback
import types
import warnings
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")


def default_jobs() -> int:
    """Cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


class Pool:
    """Runs tasks in this process, or in a pool of `jobs` processes once `start` is called (a
    scan starts it only when its input proves big enough to pay for the processes)."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.pool: Any = None

    def start(self) -> None:
        if self.jobs > 1 and self.pool is None:
            with signals_held():  # a handler that raises must not run in the middle of forking
                self.pool = _context().Pool(self.jobs, initializer=_worker_signals)
            # The workers as started; multiprocessing replaces one that dies, and loses its task.
            self._workers = list(self.pool._pool)
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
                yield self._get(pending.popleft())
        while pending:
            yield self._get(pending.popleft())

    def _get(self, result: Any) -> Any:
        """A task's result; an error (never a wait forever, nor workers started again and again)
        when a worker process died: its task is lost."""
        while True:
            try:
                return result.get(timeout=_POLL)
            except multiprocessing.TimeoutError:
                dead = [w.exitcode for w in self._workers if w.exitcode is not None]
                if dead:
                    self.terminate()
                    from .errors import SyndupError

                    raise SyndupError(f"a syndup worker process died (exit code {dead[0]}): out of memory, or "
                                      f"killed? Run with jobs=1 (--jobs 1) to work in one process") from None

    def close(self) -> None:
        """Let the workers finish their tasks, then end them."""
        self._stop("close")

    def terminate(self) -> None:
        """End the workers now."""
        self._stop("terminate")

    def _stop(self, how: str) -> None:
        if self.pool is not None:
            self._finalizer.detach()
            getattr(self.pool, how)()
            self.pool.join()
            self.pool = None


#: Seconds between checks that the workers are alive, while waiting for a result.
_POLL = 1.0


def _context() -> Any:
    # fork starts workers in milliseconds and is safe when no other Python thread can hold a lock
    # at the moment of forking; otherwise (a progress-bar thread, say) forkserver, which starts
    # from a clean process once and forks workers from it.
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and _can_fork():
        return _QuietFork()
    if "forkserver" in methods:
        ctx = _without_main(multiprocessing.get_context("forkserver"))
        ctx.set_forkserver_preload(["syndup.stages.analyse", "syndup.stages.sign"])
        return ctx
    return _without_main(multiprocessing.get_context("spawn"))


def _without_main(ctx: Any) -> Any:
    """`ctx` (forkserver or spawn) starting workers that do not run the program's main module.

    A worker started so runs the main script again before its first task, as multiprocessing's
    docs ask programs to allow for with `if __name__ == "__main__":`. A script without that guard
    would start a scan in every worker (which fails, and the pool starts another, forever), and a
    program read from stdin has no file to run again. syndup's workers need only syndup's own
    modules, so they are started as if the main module had no file.
    """
    return _SpawnContext() if ctx.get_start_method() == "spawn" else _ForkServerContext()


_MAIN_HIDDEN = threading.Lock()
_NO_MAIN = types.ModuleType("__main__")


def _popen_without_main(base: Any, process_obj: Any) -> Any:
    """`base._Popen(process_obj)` with the main module out of sight of the worker's preparation data."""
    with _MAIN_HIDDEN:
        main = sys.modules["__main__"]
        sys.modules["__main__"] = _NO_MAIN
        try:
            return base._Popen(process_obj)
        finally:
            sys.modules["__main__"] = main


class _SpawnProcess(multiprocessing.context.SpawnProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> Any:  # noqa: N802 - multiprocessing's name
        return _popen_without_main(multiprocessing.context.SpawnProcess, process_obj)


class _SpawnContext(multiprocessing.context.SpawnContext):
    Process = _SpawnProcess


if sys.platform != "win32":
    class _ForkServerProcess(multiprocessing.context.ForkServerProcess):
        @staticmethod
        def _Popen(process_obj: Any) -> Any:  # noqa: N802 - multiprocessing's name
            return _popen_without_main(multiprocessing.context.ForkServerProcess, process_obj)

    class _ForkServerContext(multiprocessing.context.ForkServerContext):
        Process = _ForkServerProcess


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
            with signals_held():  # a handler that raises must not run in the middle of forking
                pid = os.fork()
                if pid == 0:
                    _worker_signals()
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


_STOPS = {signal.SIGINT, signal.SIGTERM}


@contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is done (then act): for work that must not be cut
    halfway (forking, moving outputs into place), where a handler that raises would do harm."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _worker_signals() -> None:
    """In a worker: SIGINT (a Ctrl-C reaches the whole process group) is the parent's to handle,
    and SIGTERM (how the parent ends its workers) ends the worker quietly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)


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

    def Pool(self, processes: int, initializer: Callable[[], None] | None = None) -> Any:  # noqa: N802 - mirrors multiprocessing's API
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
            return multiprocessing.get_context("fork").Pool(processes, initializer=initializer)

"""Where work runs: `fork_join` (thunks in forked children at once, results and errors back in order)
and `Execution.map_split` (a list cut into balanced runs, one result per run, the same for any jobs)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from syndup._workers import fork_join
from syndup.execution import Execution


def where_and_what(value: int) -> tuple[int, np.ndarray]:
    return os.getpid(), np.arange(value)


def test_results_come_back_in_order_from_other_processes():
    big = np.arange(300_000)  # results bigger than a pipe's buffer, children seeing the parent's memory
    out = fork_join([lambda: (os.getpid(), big[:10]), lambda: (os.getpid(), big * 2), lambda: (os.getpid(), big[-3:])],
                    jobs=3)
    pids = [pid for pid, _ in out]
    assert pids[0] == os.getpid() and len(set(pids)) == 3
    assert out[0][1].tolist() == list(range(10))
    assert np.array_equal(out[1][1], big * 2)
    assert out[2][1].tolist() == [299_997, 299_998, 299_999]


def test_one_job_or_more_thunks_than_jobs_run_here_in_order():
    for jobs, thunks in ((1, 2), (2, 3)):
        out = fork_join([lambda k=k: where_and_what(k) for k in range(thunks)], jobs=jobs)
        assert [pid for pid, _ in out] == [os.getpid()] * thunks
        assert [len(a) for _, a in out] == list(range(thunks))


def test_an_error_in_a_child_is_raised_here_with_its_type():
    def fails() -> None:
        raise KeyError("only in the child")

    with pytest.raises(KeyError, match="only in the child"):
        fork_join([lambda: 1, fails], jobs=2)


def test_an_error_that_cannot_be_pickled_comes_back_as_its_traceback():
    class Local(Exception):  # a local class: pickle cannot find it
        pass

    def fails() -> None:
        raise Local("odd")

    with pytest.raises(RuntimeError, match="Local: odd"):
        fork_join([lambda: 1, fails], jobs=2)


def test_a_child_that_dies_is_reported():
    with pytest.raises(RuntimeError, match="died"):
        fork_join([lambda: 1, lambda: os._exit(3)], jobs=2)


def squares_where(run):
    return [(os.getpid(), x * x) for x in run]


def test_map_split_gives_what_one_call_gives_for_any_jobs():
    items = list(range(50))
    for jobs in (1, 2, 3):
        runs = Execution(jobs).map_split(squares_where, items, minimum=1)
        assert [sq for run in runs for _, sq in run] == [x * x for x in items]
        pids = {pid for run in runs for pid, _ in run}
        assert len(runs) == jobs and len(pids) == jobs  # each run in its own process
    weighted = Execution(2).map_split(lambda a: [a.tolist()], np.arange(6), minimum=1, load=[1, 1, 1, 1, 1, 5])
    assert [r[0] for r in weighted] == [[0, 1, 2, 3], [4, 5]]  # cut where the load halves


def test_map_split_runs_here_when_the_work_is_too_small():
    runs = Execution(2).map_split(squares_where, list(range(10)), minimum=11)
    assert len(runs) == 1 and {pid for pid, _ in runs[0]} == {os.getpid()}

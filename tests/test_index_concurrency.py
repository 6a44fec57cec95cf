"""Four processes adding 500 articles each into one index, SQLite and Redis: no error, no lost
article, and each of 400 copy pairs, its origin and its copy added at the same moment by two
processes (they meet at a barrier first), is found by at least one of the two adds."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from syndup import Index

from .indexkit import Plan, RedisServer, needs_redis_server

PLAN = Plan(workers=4, per_worker=500, pairs=400)


def _worker(target: str, worker: int, rounds: Any, out: str) -> None:
    """Add this worker's articles, each pair member right after the others reach the barrier."""
    articles = PLAN.articles(worker)
    found: dict[str, list[list[str]]] = {}
    with Index.open(target) as idx:
        for doc_id, text in articles:
            if Plan.is_round(doc_id):
                rounds.wait(60)
            matches = idx.add(doc_id, text)
            if matches:
                found[doc_id] = [[m.doc_id, m.relation] for m in matches]
    Path(out).write_text(json.dumps(found))


def _run(target: str, tmp_path: Path) -> dict[str, list[list[str]]]:
    ctx = multiprocessing.get_context("spawn")
    rounds = ctx.Barrier(PLAN.workers)
    outs = [str(tmp_path / f"worker{w}.json") for w in range(PLAN.workers)]
    procs = [ctx.Process(target=_worker, args=(target, w, rounds, outs[w])) for w in range(PLAN.workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(600)
    assert [p.exitcode for p in procs] == [0] * PLAN.workers
    found: dict[str, list[list[str]]] = {}
    for out in outs:
        found.update(json.loads(Path(out).read_text()))
    return found


def _check(target: str, found: dict[str, list[list[str]]]) -> None:
    with Index.open(target) as idx:
        assert len(idx) == PLAN.workers * PLAN.per_worker
        for w in range(PLAN.workers):
            for doc_id, _ in PLAN.articles(w):
                assert doc_id in idx, doc_id
    wrong = []
    for k in range(PLAN.pairs):
        origin, copy = f"origin-{k}", f"copy-{k}"
        seen = [m for m in found.get(copy, []) if m[0] == origin] + \
               [m for m in found.get(origin, []) if m[0] == copy]
        # One of the two adds reports the other; both do when each stored before the other looked.
        if [m[1] for m in seen] not in (["copy"], ["copy", "copy"]):
            wrong.append((k, PLAN.pair_slot(k), seen))
    assert not wrong, f"{len(wrong)} of {PLAN.pairs} pairs not reported as one copy, e.g. {wrong[:3]}"
    # Nothing else matched anything: the other articles are all unrelated.
    for doc_id, matches in found.items():
        for other, _ in matches:
            assert {doc_id.split("-")[0], other.split("-")[0]} == {"origin", "copy"}, (doc_id, other)
            assert doc_id.split("-")[1] == other.split("-")[1]


def test_four_processes_one_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.syndup"
    found = _run(str(path), tmp_path)
    _check(str(path), found)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


@pytest.mark.redis
@needs_redis_server
def test_four_processes_one_redis(redis_server: RedisServer, tmp_path: Path) -> None:  # noqa: F811
    url = redis_server.url(prefix="shared")
    found = _run(url, tmp_path)
    _check(url, found)

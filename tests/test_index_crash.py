"""A process killed with SIGKILL in the middle of adding leaves an index that opens, passes an
integrity check, holds every article whose `add` returned, and keeps working."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from syndup import Index
from syndup.errors import BackendError

from .indexkit import RedisServer, child_env, copy_text, needs_redis_server, synthetic

# Adds articles until killed, printing each id once its add has returned. Every fifth article is a
# copy of the one before, so adds also verify candidates while being killed.
WRITER = """
import sys, time
from syndup import Index
from syndup.errors import BackendError
from tests.indexkit import copy_text, synthetic
target, round_, pause_at = sys.argv[1], sys.argv[2], int(sys.argv[3])


class PausingConnection:
    # Wraps the SQLite connection: during add number `pause_at`, after the article row and its
    # LSH and anchor postings are written but before the transaction commits, say so and wait.
    def __init__(self, db):
        self.db, self.calls = db, 0

    def __getattr__(self, name):
        return getattr(self.db, name)

    def executemany(self, sql, rows):
        out = self.db.executemany(sql, rows)
        if "INTO anchors" in sql and i == pause_at:
            print("IN-TRANSACTION", flush=True)
            time.sleep(60)
        return out


with Index.open(target) as idx:
    if pause_at >= 0:
        idx._store._db = PausingConnection(idx._store._db)
    i = 0
    while True:
        doc_id = f"r{round_}-{i}"
        text = synthetic(doc_id, paragraphs=12, words=40)
        if i % 5 == 4:
            text = copy_text(synthetic(f"r{round_}-{i - 1}", paragraphs=12, words=40), doc_id)
        idx.add(doc_id, text)
        print(doc_id, flush=True)
        i += 1
"""


def _run_and_kill(target: str, round_: int, acked_goal: int, repo: Path, *, in_transaction: bool) -> list[str]:
    """Start a writer, let it acknowledge `acked_goal` adds, SIGKILL it in the middle of the next
    one: inside its write transaction, or at a random moment."""
    pause_at = acked_goal if in_transaction else -1
    proc = subprocess.Popen([sys.executable, "-c", WRITER, target, str(round_), str(pause_at)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=repo, env=child_env())
    assert proc.stdout is not None
    acked: list[str] = []
    for line in proc.stdout:
        if line.strip() == "IN-TRANSACTION":
            break
        acked.append(line.strip())
        if not in_transaction and len(acked) >= acked_goal:
            time.sleep(random.Random(round_).uniform(0, 0.004))  # adds here take a few milliseconds
            break
    proc.send_signal(signal.SIGKILL)
    rest, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, err
    acked += [line for line in rest.split() if line != "IN-TRANSACTION"]
    if in_transaction:
        assert len(acked) == acked_goal, err
    return acked


def _sqlite_consistent(path: Path) -> None:
    """SQLite's integrity check, and every posting belongs to a stored article."""
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for table in ("lsh", "anchors"):
        orphans = db.execute(f"SELECT count(*) FROM {table} WHERE num NOT IN (SELECT num FROM articles)")
        assert orphans.fetchone()[0] == 0, table
    held = sum(np.unique(np.frombuffer(p, dtype="<u8", count=len(p) // 12)).shape[0]
               for (p,) in db.execute("SELECT paras FROM articles"))
    assert db.execute("SELECT coalesce(sum(df), 0) FROM paragraphs").fetchone()[0] == held
    db.close()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("redis", marks=[pytest.mark.redis, needs_redis_server])])
def test_sigkill_mid_add(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    repo = Path(__file__).resolve().parent.parent
    if backend == "sqlite":
        target = str(tmp_path / "crash.syndup")
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        target = server.url(prefix="crash")
    all_acked: list[str] = []
    for round_ in range(6):
        in_transaction = backend == "sqlite" and round_ % 2 == 0
        all_acked += _run_and_kill(target, round_, 20 + 15 * round_, repo, in_transaction=in_transaction)
        if backend == "sqlite":
            _sqlite_consistent(Path(target))
        with Index.open(target) as idx:
            missing = [d for d in all_acked if d not in idx]
            assert missing == []
            if in_transaction:  # the add killed inside its transaction left nothing behind
                assert f"r{round_}-{20 + 15 * round_}" not in idx
            # At most the one add in flight when killed is there without its acknowledgement.
            assert len(all_acked) <= len(idx) <= len(all_acked) + round_ + 1
    with Index.open(target) as idx:
        # Still works: a copy of an article added before the crashes is found.
        origin = synthetic("r0-0", paragraphs=12, words=40)
        assert [(m.doc_id, m.relation) for m in idx.add("after", copy_text(origin, "after"))][:1] == \
            [("r0-0", "copy")]


@pytest.mark.parametrize("keep", [0.5, 0.9, 100 / 61440], ids=["half", "most", "first-100-bytes"])
def test_a_file_cut_short_is_refused_and_left_alone(tmp_path: Path, keep: float) -> None:
    """An index cut short (a copy interrupted, a full disk) is a one-line error naming it; nothing
    is written to it, so what is left can still be rescued."""
    path = tmp_path / "articles.syndup"
    with Index.open(path) as idx:
        for i in range(40):
            idx.add(f"a{i}", synthetic(f"a{i}", paragraphs=6))
    data = path.read_bytes()
    cut = data[:max(100, int(len(data) * keep))]
    path.write_bytes(cut)
    with pytest.raises(BackendError) as err:
        Index.open(path)
    message = str(err.value)
    assert str(path) in message and "damaged" in message and "\n" not in message
    assert path.read_bytes() == cut

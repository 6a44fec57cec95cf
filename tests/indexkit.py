"""Test support for the index: synthetic articles, and a real redis-server started per test.

Synthetic articles are random words from a made-up vocabulary, so two of them never share a
passage by chance; a copy keeps the first paragraphs of its origin and replaces the last one.
Every text is a function of its id alone, so separate processes can rebuild the same corpus.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REDIS_SERVER = Path("/usr/bin/redis-server")
#: Redis tests carry `@pytest.mark.redis` and this; they are skipped only when redis-server is absent.
needs_redis_server = pytest.mark.skipif(not REDIS_SERVER.exists(), reason=f"needs {REDIS_SERVER}")

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_VOCAB = ["".join(random.Random(i).choice(_LETTERS) for _ in range(4 + i % 6)) + str(i % 7)
          for i in range(5000)]


def synthetic(doc_id: str, paragraphs: int = 3, words: int = 25) -> str:
    """A text of random words, always the same for the same id."""
    rng = random.Random(f"syndup:{doc_id}")
    return "\n\n".join(" ".join(rng.choice(_VOCAB) for _ in range(words)).capitalize() + "."
                       for _ in range(paragraphs))


def copy_text(origin: str, doc_id: str) -> str:
    """An edited copy: the origin's paragraphs with the last one replaced and a credit line added."""
    paras = origin.split("\n\n")
    return "\n\n".join(paras[:-1] + [synthetic(doc_id, paragraphs=1), f"Source: {doc_id} wire."])


@dataclass(frozen=True)
class Plan:
    """Who adds what in a concurrency test: in each round, every worker adds one member of a copy pair.

    The workers meet at a barrier before each round (see `is_round`), so an origin and its copy are
    added at the same moment by two processes; unrelated articles fill the positions between rounds.
    """

    workers: int
    per_worker: int
    pairs: int

    @property
    def rounds(self) -> int:
        return self.pairs // (self.workers // 2)

    def pair_slot(self, k: int) -> tuple[int, int, int]:
        """(origin worker, copy worker, position) of pair k; the roles rotate between workers."""
        per_round = self.workers // 2
        r, j = divmod(k, per_round)
        return (r + 2 * j) % self.workers, (r + 2 * j + 1) % self.workers, r * self.per_worker // self.rounds

    @staticmethod
    def is_round(doc_id: str) -> bool:
        """Whether a worker adds this article in a round (after the barrier), not as a filler."""
        return doc_id.startswith(("origin-", "copy-"))

    def articles(self, worker: int) -> list[tuple[str, str]]:
        """(id, text) of the articles this worker adds, in order."""
        slots: dict[int, str] = {}
        for k in range(self.pairs):
            o, c, pos = self.pair_slot(k)
            if o == worker:
                slots[pos] = f"origin-{k}"
            elif c == worker:
                slots[pos] = f"copy-{k}"
        out = []
        for i in range(self.per_worker):
            doc_id = slots.get(i, f"w{worker}-{i}")
            if doc_id.startswith("copy-"):
                out.append((doc_id, copy_text(synthetic("origin-" + doc_id[5:]), doc_id)))
            else:
                out.append((doc_id, synthetic(doc_id)))
        return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """A redis-server on a free localhost port, in a temp folder, persisting nothing."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        for _ in range(5):
            self.port = free_port()
            self.proc = subprocess.Popen(
                [str(REDIS_SERVER), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.folder), "--loglevel", "warning"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if self._wait_ready():
                return self
            self.stop()
        raise RuntimeError("redis-server did not start")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def url(self, prefix: str = "test", db: int = 0, **params: object) -> str:
        query = "&".join([f"prefix={prefix}"] + [f"{k}={v}" for k, v in params.items()])
        return f"redis://127.0.0.1:{self.port}/{db}?{query}"

    def kill(self) -> None:
        """SIGKILL the server, as a crash would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A fresh redis-server for one test, stopped afterwards."""
    server = RedisServer(tmp_path).start()
    try:
        yield server
    finally:
        server.stop()


def child_env() -> dict[str, str]:
    """Environment for subprocesses: the repo importable, warnings shown."""
    env = dict(os.environ)
    repo = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = repo + os.pathsep + env.get("PYTHONPATH", "")
    return env

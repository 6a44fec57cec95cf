"""Index latency benchmark: `check` and `add` p50/p99 as the index grows, per backend, and its size.

The corpus is synthetic news: ~300-word articles in 6 paragraphs of Zipf-distributed words, 10% of
them edited copies of an earlier article, and half of each site's articles carrying that site's
footer (boilerplate the index learns). The index is filled with real `add` calls (optionally from
several processes for SQLite and Redis) to each size, then measured with:

    check: 1,000 probes, half edited copies of indexed articles, half new articles
    add:   1,000 new articles, 10% of them copies

Sizes are cumulative (the 100k index is the 10k one grown). Redis runs on a private redis-server
(--save '' --appendonly no) the script starts; its size is `used_memory` growth, not disk.

    python benchmarks/index_latency.py --sizes 10000,100000 --backends sqlite,memory,redis
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import syndup
from syndup import Index

WORDS = 30000
_rng = np.random.default_rng(11)
_LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))
VOCAB = ["".join(_rng.choice(_LETTERS, size=int(n))) for n in _rng.integers(2, 11, size=WORDS)]
_ZIPF = 1.0 / np.arange(1, WORDS + 1) ** 1.05
CDF = np.cumsum(_ZIPF / _ZIPF.sum())
SITES = 200


def _paragraph(rng: np.random.Generator, n: int) -> str:
    words = [VOCAB[i] for i in np.minimum(np.searchsorted(CDF, rng.random(n)), WORDS - 1)]
    return " ".join(words).capitalize() + "."


def footer(site: int) -> str:
    rng = np.random.default_rng(1_000_000 + site)
    return "Subscribe to our newsletter. " + _paragraph(rng, 30)


def article(n: int) -> tuple[str, str, str]:
    """(id, text, site) of article number n: new text, or an edited copy of an earlier article."""
    rng = np.random.default_rng(n)
    site = int(rng.integers(SITES))
    if n >= 10 and rng.random() < 0.10:
        _, origin, _ = article(int(rng.integers(n)))
        paras = [p for p in origin.split("\n\n") if not p.startswith("Subscribe")]
        paras = paras[:-1] + [_paragraph(rng, 40)]            # last paragraph rewritten
        paras.insert(0, f"This story first appeared on site{site}.")
    else:
        paras = [_paragraph(rng, int(rng.integers(35, 65))) for _ in range(6)]
    if rng.random() < 0.5:
        paras.append(footer(site))
    return f"a{n}", "\n\n".join(paras), f"site{site}.example"


def probe_copy(n: int, salt: int) -> str:
    """An edited copy of indexed article n (not stored)."""
    rng = np.random.default_rng(10_000_000 + salt)
    paras = article(n)[1].split("\n\n")
    return "\n\n".join(paras[1:] + [_paragraph(rng, 30)])


def _fill(target: str, numbers: range, workers: int) -> None:
    ctx = multiprocessing.get_context("spawn")
    parts = [range(numbers.start + w, numbers.stop, workers) for w in range(workers)]
    procs = [ctx.Process(target=_fill_worker, args=(target, p)) for p in parts]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise RuntimeError("a fill worker failed")


def _fill_worker(target: str, numbers: range) -> None:
    with Index.open(target) as idx:
        _fill_here(idx, numbers)


def _fill_here(idx: Index, numbers: range) -> None:
    for n in numbers:
        doc_id, text, site = article(n)
        idx.add(doc_id, text, site=site)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    a = np.array(samples) * 1000
    return float(np.percentile(a, 50)), float(np.percentile(a, 99))


def measure(idx: Index, size: int, queries: int) -> dict[str, float]:
    rng = random.Random(size)
    checks = []
    for q in range(queries):
        if q % 2 == 0:
            text = probe_copy(rng.randrange(size), q)
        else:
            text = article(50_000_000 + size + q)[1]
        t = time.perf_counter()
        idx.check(text)
        checks.append(time.perf_counter() - t)
    adds = []
    for q in range(queries):
        doc_id, text, site = article(60_000_000 + size + q)
        if q % 10 == 0:
            text = probe_copy(rng.randrange(size), -q - 1)
        t = time.perf_counter()
        idx.add(f"extra-{size}-{q}", text, site=site)
        adds.append(time.perf_counter() - t)
    c50, c99 = _percentiles(checks)
    a50, a99 = _percentiles(adds)
    return {"check_p50_ms": c50, "check_p99_ms": c99, "add_p50_ms": a50, "add_p99_ms": a99}


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class RedisServer:
    def __init__(self, folder: str) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no", "--dir", folder],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        self.client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                self.client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.1)

    def used_memory(self) -> int:
        return int(self.client.info("memory")["used_memory"])

    def version(self) -> str:
        return str(self.client.info("server")["redis_version"])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def run_backend(kind: str, sizes: list[int], queries: int, workers: int, folder: str) -> list[dict[str, object]]:
    server = None
    if kind == "sqlite":
        target = str(Path(folder) / "bench.syndup")
    elif kind == "redis":
        server = RedisServer(folder)
        target = f"redis://127.0.0.1:{server.port}/0?prefix=bench&timeout=30"
    else:
        target = ":memory:"
    rows = []
    try:
        idx = Index.open(target)
        base = server.used_memory() if server else _rss()
        version = {"redis_server": server.version()} if server else {}
        filled = 0
        for size in sizes:
            t = time.perf_counter()
            if kind == "memory" or workers <= 1:
                _fill_here(idx, range(filled, size))
            else:
                _fill(target, range(filled, size), workers)
            fill_s = time.perf_counter() - t
            added = size - filled
            filled = size
            stored = len(idx)
            if kind == "sqlite":
                db = sqlite3.connect(target)
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                db.close()
                size_bytes = sum(p.stat().st_size for p in Path(folder).glob("bench.syndup*"))
                size_kind = "disk"
            elif server is not None:
                size_bytes, size_kind = server.used_memory() - base, "redis used_memory"
            else:
                size_bytes, size_kind = _rss() - base, "process RSS growth"
            row: dict[str, object] = {"backend": kind, "articles": size, "fill_workers": workers if kind != "memory" else 1,
                                      "fill_adds_per_s": added / fill_s, "bytes_per_article": size_bytes / stored,
                                      "size_measured_as": size_kind, **version}
            row.update(measure(idx, size, queries))
            rows.append(row)
            print(_line(row), flush=True)
        idx.close()
    finally:
        if server is not None:
            server.stop()
    return rows


def _line(row: dict[str, object]) -> str:
    return (f"{row['backend']:<7} {row['articles']:>9,} | check p50 {row['check_p50_ms']:6.2f} ms  "
            f"p99 {row['check_p99_ms']:6.2f} ms | add p50 {row['add_p50_ms']:6.2f} ms  "
            f"p99 {row['add_p99_ms']:6.2f} ms | {row['bytes_per_article']:8,.0f} B/article "
            f"({row['size_measured_as']}) | fill {row['fill_adds_per_s']:7,.0f} adds/s")


def machine() -> dict[str, object]:
    import datasketch
    import redis

    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    repo = Path(__file__).resolve().parent.parent
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=repo).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "syndup"], capture_output=True,
                           text=True, cwd=repo).stdout.split()
    return {"cpu": cpu, "cpus": os.cpu_count(), "platform": platform.platform(), "python": sys.version.split()[0],
            "git": commit + (f" + uncommitted changes in {', '.join(dirty[1::2])}" if dirty else ""),
            "syndup": syndup.__version__, "numpy": np.__version__, "datasketch": datasketch.__version__,
            "redis_py": redis.__version__, "sqlite": sqlite3.sqlite_version}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--backends", default="sqlite,memory,redis")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--fill-workers", type=int, default=2, help="processes filling SQLite and Redis")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "index_latency.json")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    info = machine()
    print(json.dumps(info))
    results = []
    for kind in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix=f"syndup-bench-{kind}-") as folder:
            rows = run_backend(kind, sizes, args.queries, args.fill_workers, folder)
            results += rows
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": info, "results": results}, indent=2))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()

"""The Ray engine against the local engine on the same machine: time per stage.

    python benchmarks/ray_speed.py                      # 50,000 articles, 2 runs each, interleaved
    python benchmarks/ray_speed.py --n 10000 --runs 1   # quick
    python benchmarks/ray_speed.py --n 20000 --runs 1 --engines ray --group-mb 4 --task-items 512   # memory

The corpus is `speed.py`'s (500-800-word articles, about 10% syndicated copies with edits, a site
each), written once as JSONL. Each run is a fresh process: `syndup.scan(corpus, jobs=J)`, or
`ray.init(num_cpus=J)` (timed apart as "ray start") then `syndup.scan(corpus, engine="ray",
jobs=J)`; runs alternate local, ray, local, ray... so both see the same load. Stage times come
from the scan's progress calls (one after each stage): "read+analyse" is pass 1 (parse JSONL,
normalise, shingle), "sign" pass 2 (MinHash), both per chunk (Ray tasks on the Ray engine);
"boilerplate" (document frequencies: a Ray Data group-by), "candidates" (band keys: a Ray Data
group-by; anchors: a Ray task per part), "verify" and "origins" (separate, origins, clusters;
their big splits are Ray tasks) are corpus-wide; "tables" builds the output (in the driver). The
block sizes are the defaults at every corpus size (`Tuning.chunk` articles per task,
`Tuning.group_bytes` per group-by block), so "worker_mb" at two sizes says whether a worker's
memory follows the block or the corpus. Medians of the runs; the tables of both engines are compared.
"driver_mb" is the scan process's peak RSS, "worker_mb" the largest peak RSS of a worker process
(Ray's workers; the local engine's pool workers or forked children), in MB. A Ray worker's RSS
counts the pages of the node's shared object store it has read (they stay mapped), so the worker
processes are also sampled every 0.1 s (Ray only: a thread would change how the local engine
starts its pool): "private_mb" is the largest private memory (RssAnon) a worker had, what a task
costs its node, and "shared_mb" the largest share of object store pages one mapped (RssShmem),
which the node's workers share. A worker's RssAnon is its unique anonymous memory: Ray starts each worker
as a new process, not a fork, so none of it is shared copy-on-write. For comparison, "uss_mb" is the largest
USS (Private_Clean + Private_Dirty of /proc/PID/smaps_rollup: RssAnon plus file pages only it maps, such as
spill files it read) and "pss_mb" the largest PSS (shared pages divided between the processes that map
them: a worker's share of the object store, libraries and the page cache of the files it maps), both
sampled every 0.5 s. `--group-mb` and `--task-items` set the group-by blocks' size and
a task's items (`Tuning.group_bytes`, `Tuning.task_items`): set below what the smallest corpus
fills, the same at two sizes, "private_mb" says whether a worker follows them or the corpus. Each
worker's largest private memory is also listed by the task it was running (a worker keeps what it
took: its memory is the most any task it ran needed, and tasks share workers).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from machine import machine_line
from speed import DEFAULT_BBC, Corpus, text_model, write_corpus

from syndup.execution import Tuning

STAGES = ["read+analyse", "boilerplate", "sign", "candidates", "verify", "origins", "tables"]


def workers(engine: str) -> list[int]:
    """This process's worker processes now: its descendants (for Ray, those whose title starts with "ray::")."""
    parent: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                    parent[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found = []
    for pid in parent:
        p = pid
        while p in parent and p != os.getpid():
            p = parent[p]
        if p != os.getpid() or pid == os.getpid():
            continue
        if engine == "ray":
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    if not fh.read().startswith(b"ray::"):
                        continue
            except OSError:
                continue
        found.append(pid)
    return found


class Sampler(threading.Thread):
    """Samples the workers' private (RssAnon) and shared (RssShmem) memory every 0.1 s, their USS and PSS
    every 0.5 s; the largest of each, in MB."""

    def __init__(self, engine: str) -> None:
        super().__init__(daemon=True)
        self.engine, self.stop, self.private, self.shared = engine, threading.Event(), 0.0, 0.0
        self.uss, self.pss = 0.0, 0.0
        self.private_task = ""  # what the worker of the largest private memory was running then
        self.by_task: dict[str, float] = {}  # the largest private memory seen in a worker running each task

    def run(self) -> None:
        ticks = 0
        while not self.stop.wait(0.1):
            ticks += 1
            for pid in workers(self.engine):
                try:
                    with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
                        fields = dict(line.split(":", 1) for line in fh if line.startswith(("RssAnon", "RssShmem")))
                    with open(f"/proc/{pid}/cmdline", "rb") as fh:
                        title = fh.read().split(b"\0")[0].decode(errors="replace")
                    if ticks % 5 == 0:
                        with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as fh:
                            rollup = {k: int(v.split()[0]) / 1024 for k, v in
                                      (line.split(":", 1) for line in fh if not line[0].isdigit() and ":" in line)}
                        self.uss = max(self.uss, rollup.get("Private_Clean", 0.0) + rollup.get("Private_Dirty", 0.0))
                        self.pss = max(self.pss, rollup.get("Pss", 0.0))
                except (OSError, ValueError):
                    continue
                private = int(fields.get("RssAnon", "0 kB").split()[0]) / 1024
                self.by_task[title] = max(self.by_task.get(title, 0.0), private)
                if private > self.private:
                    self.private, self.private_task = private, title
                self.shared = max(self.shared, int(fields.get("RssShmem", "0 kB").split()[0]) / 1024)


def worker_peak_mb(engine: str) -> float:
    """The largest peak RSS of this process's workers: Ray's worker processes (VmHWM, object store
    pages they touched included), or the local engine's pool workers and forked children (RUSAGE_CHILDREN)."""
    if engine != "ray":
        return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    peak = 0
    for pid in workers(engine):
        try:
            with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
                peak = max([peak] + [int(line.split()[1]) for line in fh if line.startswith("VmHWM:")])
        except OSError:
            continue
    return peak / 1024


def timed(owner: Any, name: str, into: dict[str, float], labels: list[str]) -> None:
    """`owner.name` replaced by itself timed: its n-th call's seconds added to `into[labels[n]]` (the last
    label for later calls)."""
    inner, calls = getattr(owner, name), [0]

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        label = labels[min(calls[0], len(labels) - 1)]
        calls[0] += 1
        t = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            into[label] = into.get(label, 0.0) + time.perf_counter() - t

    setattr(owner, name, wrapper)


def child(corpus: str, engine: str, jobs: int, group_mb: float, task_items: int) -> None:
    """One timed scan in this process; prints one JSON line."""
    import syndup
    from syndup.execution import Tuning

    start = 0.0
    if engine == "ray":
        import ray

        # Ray starts its workers at niceness 15 (RAY_worker_niceness), the local engine's run at 0: on a
        # machine shared with other work the two are compared at the same niceness.
        os.environ.setdefault("RAY_worker_niceness", "0")
        t = time.perf_counter()
        ray.init(num_cpus=jobs, include_dashboard=False, log_to_driver=False)
        start = time.perf_counter() - t
    calls: list[float] = []
    sampler = Sampler(engine)
    if engine == "ray":  # a thread would make the local engine start its pool through a fork server
        sampler.start()
    parts: dict[str, float] = {}
    if engine == "ray":  # the group-bys' shuffles and the components' rounds, timed inside their stages
        from syndup import ray_components
        from syndup.ray_engine import RayExecution

        timed(RayExecution, "by_key", parts, ["shuffle_df", "shuffle_bands"])
        timed(ray_components, "components", parts, ["components"])
    t0 = time.perf_counter()
    tuning = Tuning(group_bytes=int(group_mb * (1 << 20)), task_items=task_items)
    result = syndup.scan(corpus, jobs=jobs, engine=engine, progress=lambda n: calls.append(time.perf_counter()),
                         tuning=tuning)
    end = time.perf_counter()
    sampler.stop.set()
    if sampler.is_alive():
        sampler.join()
    marks = [t0, calls[-6], *calls[-5:], end]  # pass 1's last chunk, then one call after each stage
    digest = hashlib.sha256()
    for table in (result.documents, result.pairs, result.clusters):
        digest.update(table.to_csv(index=False).encode())
    print(json.dumps({"ray_start": start, "total": end - t0, "n": len(result.documents),
                      "driver_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "worker_mb": worker_peak_mb(engine), "private_mb": sampler.private, "shared_mb": sampler.shared,
                      "uss_mb": sampler.uss, "pss_mb": sampler.pss,
                      "private_task": sampler.private_task, "by_task": sampler.by_task,
                      "pairs": len(result.pairs), "digest": digest.hexdigest()[:16],
                      **parts, **{s: b - a for s, a, b in zip(STAGES, marks[:-1], marks[1:])}}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--engines", default="local,ray", help="which engines to run (comma-separated)")
    ap.add_argument("--group-mb", type=float, default=Tuning().group_bytes / (1 << 20),
                    help="MB of a group-by block (Tuning.group_bytes): the same at every --n, to see memory follow it")
    ap.add_argument("--task-items", type=int, default=Tuning().task_items,
                    help="items of a Ray task's part (Tuning.task_items): the same at every --n, to see memory follow it")
    ap.add_argument("--bbc", default=str(DEFAULT_BBC), help="BBC News folder for the text model ('' for synthetic)")
    ap.add_argument("--corpus", default="", help="a corpus written by speed.py's generator with this --n and --seed "
                    "(gen: write_corpus(path, Corpus(model, n, seed))), used instead of writing one")
    ap.add_argument("--child", nargs=2, metavar=("CORPUS", "ENGINE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.jobs, args.group_mb, args.task_items)
        return

    import ray

    print(machine_line())
    bbc = Path(args.bbc) if args.bbc and Path(args.bbc).is_dir() else None
    model, described = text_model(bbc, args.seed)
    print(f"ray {ray.__version__}; corpus: {args.n} articles, {described}; seed {args.seed}; "
          f"jobs {args.jobs}; group-by blocks of {args.group_mb:g} MB; "
          f"tasks of at most {args.task_items} items; load {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(args.corpus or Path(folder) / "corpus.jsonl")
        if not args.corpus:
            write_corpus(path, Corpus(model, args.n, args.seed))
        runs: dict[str, list[dict[str, Any]]] = {e: [] for e in args.engines.split(",")}
        for _ in range(args.runs):
            for engine in runs:
                cmd = [sys.executable, __file__, "--jobs", str(args.jobs), "--group-mb", str(args.group_mb),
                       "--task-items", str(args.task_items), "--child", str(path), engine]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                runs[engine].append(json.loads(out.strip().splitlines()[-1]))
    print(f"load {os.getloadavg()[0]:.1f} at end; seconds, median of {args.runs} run(s)\n")
    cols = ["ray_start", *STAGES, "total", "driver_mb", "worker_mb", "private_mb", "shared_mb", "uss_mb", "pss_mb"]
    within = ["shuffle_df", "shuffle_bands", "components"]
    print(f"{'engine':<7}" + "".join(f"{c:>13}" for c in cols) + f"{'pairs':>9}  tables' sha256")
    for engine, rows in runs.items():
        cells = "".join(f"{statistics.median(r[c] for r in rows):>13.2f}" for c in cols)
        print(f"{engine:<7}{cells}{int(rows[0]['pairs']):>9}  {' '.join(sorted({str(r['digest']) for r in rows}))}")
    if "ray" in runs:
        print("\nwithin stages (Ray, seconds): " + ", ".join(
            f"{c} {statistics.median(r.get(c, 0.0) for r in runs['ray']):.2f}" for c in within)
            + "  (shuffle_df: boilerplate's document-frequency group-by; shuffle_bands: candidates' band group-by;"
            " components: the large-star/small-star rounds, in verify)")
        print("the largest worker private memory was a worker running:", runs["ray"][0]["private_task"])
        print("largest private memory (MB) of a worker running each task:")
        for title, mb in sorted(runs["ray"][0]["by_task"].items(), key=lambda kv: -kv[1]):
            print(f"  {mb:8.1f}  {title}")
    same = {r["digest"] for rows in runs.values() for r in rows}
    print("\nthe same documents, pairs and clusters tables from both engines:", "yes" if len(same) == 1 else "NO")


if __name__ == "__main__":
    main()

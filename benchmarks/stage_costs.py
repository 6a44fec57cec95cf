"""Where a scan's time per article goes as the corpus grows: CPU per article of each stage, by size.

    python benchmarks/stage_costs.py --sizes 100000,300000,1000000 --jobs 2
    python benchmarks/stage_costs.py --sizes 100000,300000 --files /tmp/million/news-{n}.jsonl

Each size runs in a fresh process: `syndup.scan` of speed.py's news corpus (seed 7), streamed from
its generator (generation's time and CPU left out) or read from `--files` (a JSONL path with `{n}`
for the size: the same corpus written by `speed.write_corpus`). A stage's CPU is user + system
time of the main process and of the workers and forked children that ended within it (every
stage's pool or forks end with it); `scan(on_stage=...)` marks where stages start. Time per article
is flat when each stage's column stays the same from size to size. Peak RSS is the main
process's, read at the end of each stage.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from machine import machine_line

HERE = Path(__file__).resolve().parent
#: The stages as `scan(on_stage=...)` marks them: each name is where the one before it ends.
STAGES = ("read+analyse", "boilerplate", "sign", "candidates", "verify", "separate+origins", "tables")


def _cpu() -> tuple[float, float]:
    own, done = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, done.ru_utime + done.ru_stime


def _child(n: int, jobs: int, file: str, bbc: str) -> dict[str, Any]:
    """One scan in this process: per stage its wall seconds, CPU seconds and the peak RSS after it."""
    import syndup

    gen = [0.0, 0.0]
    source: Any
    if file:
        source = file
    else:
        from speed import Corpus, text_model

        model, _ = text_model(Path(bbc) if bbc else None, 7)
        corpus = Corpus(model, n, 7)

        def stream() -> Iterator[dict[str, Any]]:
            batches = corpus.batches()
            while True:
                t, c = time.perf_counter(), time.process_time()
                batch = next(batches, None)
                gen[0] += time.perf_counter() - t
                gen[1] += time.process_time() - c
                if batch is None:
                    return
                for rec in batch:
                    rec.pop("story")
                    yield rec

        source = stream()
    marks = [(time.perf_counter(), _cpu(), 0.0)]

    def mark(_name: str = "") -> None:
        marks.append((time.perf_counter(), _cpu(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))

    result = syndup.scan(source, jobs=jobs, on_stage=mark)
    mark()
    stages = []
    for k, name in enumerate(STAGES):
        (t0, (s0, c0), _), (t1, (s1, c1), rss) = marks[k], marks[k + 1]
        wall, own = t1 - t0, s1 - s0
        if k == 0:  # the generator runs inside reading
            wall, own = wall - gen[0], own - gen[1]
        stages.append({"stage": name, "wall": wall, "cpu": own + c1 - c0, "rss_mb": rss})
    pairs = result.pairs["relation"].value_counts().to_dict()
    return {"n": result.articles_read, "stages": stages, "generation": gen[0], "pairs": int(len(result.pairs)),
            "relations": {str(k): int(v) for k, v in pairs.items()}, "clusters": int(len(result.clusters)),
            "worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "load": os.getloadavg()[0]}


def run(n: int, jobs: int, file: str, bbc: str) -> dict[str, Any]:
    """`_child` in a fresh process (this checkout's syndup first on the path)."""
    cmd = [sys.executable, __file__, "--child", str(n), "--jobs", str(jobs), "--files", file, "--bbc", bbc]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def table(results: list[dict[str, Any]]) -> str:
    """CPU microseconds per article of each stage (and wall seconds), one column per size."""
    sizes = [r["n"] for r in results]
    head = "| stage            | " + " | ".join(f"{n:>9,} us/art CPU (wall s)" for n in sizes) + " |"
    rule = "|------------------|" + "|".join("-" * 32 + ":" for _ in sizes) + "|"
    lines = [head, rule]
    for k, name in enumerate(STAGES):
        cells = [f"{1e6 * r['stages'][k]['cpu'] / r['n']:>18.1f} ({r['stages'][k]['wall']:>8.1f})" for r in results]
        lines.append(f"| {name:<16} | " + " | ".join(f"{c:>31}" for c in cells) + " |")
    totals = [f"{1e6 * sum(s['cpu'] for s in r['stages']) / r['n']:>18.1f} "
              f"({sum(s['wall'] for s in r['stages']):>8.1f})" for r in results]
    lines.append(f"| {'total':<16} | " + " | ".join(f"{c:>31}" for c in totals) + " |")
    peaks = [f"{max(s['rss_mb'] for s in r['stages']):>21,.0f} MB main" for r in results]
    lines.append(f"| {'peak RSS':<16} | " + " | ".join(f"{c:>31}" for c in peaks) + " |")
    workers = [f"{r['worker_rss_mb']:>18,.0f} MB workers" for r in results]
    lines.append(f"| {'':<16} | " + " | ".join(f"{c:>31}" for c in workers) + " |")
    loads = [f"{r['load']:>31.1f}" for r in results]
    lines.append(f"| {'load at end':<16} | " + " | ".join(loads) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,300000,1000000")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--files", default="", help="JSONL corpus path with {n} for the size (default: stream "
                    "the generator)")
    ap.add_argument("--bbc", default=str(HERE.parent.parent / "shared" / "data" / "bbc-news"),
                    help="BBC News folder for the text model ('' for synthetic)")
    ap.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    bbc = args.bbc if args.bbc and Path(args.bbc).is_dir() else ""
    if args.child:
        print(json.dumps(_child(args.child, args.jobs, args.files.format(n=args.child), bbc)))
        return
    print(machine_line())
    source = f"files {args.files}" if args.files else "streamed from speed.py's generator (generation left out)"
    print(f"news corpus, seed 7, {source}; jobs={args.jobs}; load before: {os.getloadavg()[0]:.1f}\n")
    results = []
    for n in [int(s) for s in args.sizes.split(",") if s]:
        r = run(n, args.jobs, args.files, bbc)
        results.append(r)
        print(f"{n:,}: {r['pairs']:,} pairs {r['relations']}, {r['clusters']:,} clusters; "
              f"generation {r['generation']:.0f}s (left out); load at end {r['load']:.1f}", flush=True)
    print()
    print(table(results))


if __name__ == "__main__":
    main()

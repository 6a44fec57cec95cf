"""What the site network costs on top of a scan: the credit column, the sites and network tables
(one diff per copy) and the report's site pages.

    python benchmarks/network_speed.py                 # 10,000 articles, 10% copies (speed.py's corpus)
    python benchmarks/network_speed.py --sizes 2000,10000 --jobs 2

The corpus is `speed.py`'s (500-800-word articles, about 10% syndicated copies with edits, a site
each). Times are seconds of wall clock in this process, each step once; others may share the cores.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from machine import machine_line
from speed import DEFAULT_BBC, Corpus, text_model, write_corpus


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--bbc", default=str(DEFAULT_BBC), help="BBC News folder for the text model ('' for synthetic)")
    args = ap.parse_args()

    import syndup
    from syndup.network import credit_column
    from syndup.report import write_report

    print(machine_line())
    bbc = Path(args.bbc) if args.bbc and Path(args.bbc).is_dir() else None
    model, described = text_model(bbc, args.seed)
    print(f"corpus: {described}; seed {args.seed}; jobs {args.jobs}; load {os.getloadavg()[0]:.1f} at start\n")
    print(f"{'articles':>9} {'copies':>7} {'scan s':>8} {'credit s':>9} {'sites+network s':>16} "
          f"{'report s':>9} {'site pages':>11} {'ms/copy':>8}")
    for size in [int(s) for s in args.sizes.split(",") if s]:
        with tempfile.TemporaryDirectory(prefix="syndup-network-") as tmp:
            path = Path(tmp) / "corpus.jsonl"
            write_corpus(path, Corpus(model, size, args.seed))
            t = time.perf_counter()
            result = syndup.scan(str(path), jobs=args.jobs)
            scan_s = time.perf_counter() - t
            ids = result.documents["doc_id"].tolist()
            t = time.perf_counter()
            credit_column(result.documents, result.clusters, lambda k, ids=ids, of=result.text: of(ids[k]))
            credit_s = time.perf_counter() - t  # the part of scan_s the credit column takes
            t = time.perf_counter()
            _ = result.sites, result.network
            network_s = time.perf_counter() - t
            t = time.perf_counter()
            write_report(result, Path(tmp) / "report")
            report_s = time.perf_counter() - t
            pages = sum(1 for p in (Path(tmp) / "report").glob("s-*.html"))
            copies = int((result.documents["role"] == "copy").sum())
            print(f"{size:>9,} {copies:>7,} {scan_s:>8.1f} {credit_s:>9.2f} {network_s:>16.1f} {report_s:>9.1f} "
                  f"{pages:>11,} {network_s / max(copies, 1) * 1000:>8.1f}", flush=True)
            result.close()


if __name__ == "__main__":
    main()

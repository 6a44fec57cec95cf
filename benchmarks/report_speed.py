"""Speed of the whole HTML report (`syndup.write_report`) for a corpus with 1,000 clusters of copies.

Each cluster is one origin (a BBC article from ../shared/data/bbc-news when present, read and never
copied; else seeded synthetic text) and 1-3 republications edited as in diff_speed.py, plus unique
articles. The scan is timed separately; the report time covers diffing every copy and writing
every page. Prints one table.

    python benchmarks/report_speed.py [--clusters 1000] [--unique 200] [--seed 7] [--data DIR]

`--articles N` scans speed.py's corpus of N news-length articles instead (about 10% syndicated
copies, site boilerplate; word bigrams of the BBC set), as a data engineer's 200k run would:

    python benchmarks/report_speed.py --articles 200000

and prints the scan's and the report's time and peak memory (RSS of this process: the report's
peak is the growth over the scan's), and the share of the scan's time the report takes.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from pathlib import Path

from diff_speed import DEFAULT_DATA, load_articles, machine, republish


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--unique", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--articles", type=int, default=0, help="scan speed.py's corpus of this many articles")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    if args.articles:
        return at_scale(args)

    import syndup

    rng = random.Random(args.seed)
    articles, source = load_articles(args.data, rng, args.clusters + args.unique)
    # Real news data holds updated versions of one story; keep only articles that are no one's copy,
    # so that each family is one cluster.
    pool = [{"id": f"{k:05d}", "text": "\n\n".join(a)} for k, a in enumerate(articles)]
    docs = syndup.scan(pool).documents
    alone = set(docs.loc[docs["role"] == "unique", "doc_id"])
    articles = [a for k, a in enumerate(articles) if f"{k:05d}" in alone]
    if len(articles) < args.clusters + args.unique:
        raise SystemExit(f"need {args.clusters + args.unique} articles, {source} has {len(articles)}")
    records = []
    for f in range(args.clusters):
        paras = articles[f]
        records.append({"id": f"f{f:04d}-0", "text": "\n\n".join(paras), "site": "origin.example",
                        "published": f"2024-01-01T{f % 24:02d}:00:00"})
        for c in range(1, rng.randint(2, 4)):
            records.append({"id": f"f{f:04d}-{c}", "text": republish(paras, rng, light=rng.random() < 0.5),
                            "site": f"site{c}.example", "published": f"2024-01-02T{f % 24:02d}:00:00"})
    for u in range(args.unique):
        records.append({"id": f"u{u:04d}", "text": "\n\n".join(articles[args.clusters + u]), "site": "other.example"})

    t = time.perf_counter()
    result = syndup.scan(records)
    scan_s = time.perf_counter() - t
    multi = result.clusters[result.clusters["size"] > 1]
    copies = int((result.documents["role"] == "copy").sum())

    out = Path(tempfile.mkdtemp(prefix="syndup-report-bench-"))
    try:
        t = time.perf_counter()
        syndup.write_report(result, out / "report")
        report_s = time.perf_counter() - t
        pages = list((out / "report").glob("*.html"))
        size = sum(p.stat().st_size for p in pages)
    finally:
        shutil.rmtree(out)

    print(f"report speed: {source}; seed {args.seed}")
    print(machine())
    print(f"{'articles':>9}{'clusters':>9}{'copies':>8}{'scan s':>8}{'report s':>9}{'ms/cluster':>11}"
          f"{'ms/copy':>8}{'pages':>7}{'MB':>7}")
    print(f"{len(records):>9}{len(multi):>9}{copies:>8}{scan_s:>8.2f}{report_s:>9.2f}"
          f"{report_s * 1000 / max(len(multi), 1):>11.2f}{report_s * 1000 / max(copies, 1):>8.2f}"
          f"{len(pages):>7}{size / 1e6:>7.1f}")


def at_scale(args: argparse.Namespace) -> None:
    """Scan speed.py's corpus of `args.articles` articles, then write its report: times and memory."""
    import resource

    import numpy as np
    from machine import machine_line
    from speed import Corpus, text_model

    import syndup

    model, source = text_model(args.data, args.seed)
    corpus = Corpus(model, args.articles, args.seed)
    t = time.perf_counter()
    records = [r for batch in corpus.batches() for r in batch]
    gen_s = time.perf_counter() - t
    for r in records:
        del r["story"]
    t = time.perf_counter()
    result = syndup.scan(records, jobs=args.jobs)
    scan_s = time.perf_counter() - t
    del records
    scan_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    multi = result.clusters[result.clusters["size"] > 1]
    copies = int((result.documents["role"] == "copy").sum())
    out = Path(tempfile.mkdtemp(prefix="syndup-report-bench-"))
    try:
        t = time.perf_counter()
        syndup.write_report(result, out / "report")
        report_s = time.perf_counter() - t
        report_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        children_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        pages = list((out / "report").glob("*.html"))
        size = sum(p.stat().st_size for p in pages)
        index_mb = (out / "report" / "index.html").stat().st_size / 1e6
    finally:
        shutil.rmtree(out)
        result.close()
    print(f"report speed at scale: speed.py corpus, {source}; seed {args.seed}; generated in {gen_s:.0f} s")
    print(machine_line())
    print(f"numpy {np.__version__}; jobs {args.jobs or 'all cores'}")
    print(f"{'articles':>9}{'clusters':>9}{'copies':>8}{'scan s':>8}{'report s':>9}{'report/scan':>12}"
          f"{'scan MB':>8}{'peak MB':>8}{'child MB':>9}{'pages':>7}{'MB':>7}{'index MB':>9}")
    print(f"{args.articles:>9}{len(multi):>9}{copies:>8}{scan_s:>8.1f}{report_s:>9.1f}{report_s / scan_s:>12.2f}"
          f"{scan_rss:>8.0f}{report_rss:>8.0f}{children_rss:>9.0f}{len(pages):>7}{size / 1e6:>7.1f}{index_mb:>9.1f}")


if __name__ == "__main__":
    main()

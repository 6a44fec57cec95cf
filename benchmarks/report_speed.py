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
peak is the growth over the scan's), and the share of the scan's time the report takes. The sites
and network tables, which `syndup scan` writes before its report, are timed apart ("tables s"); the
"+tables" share counts them with the report.

`--filter-rows N` times the index page over N clusters (rows shaped as the report makes them) in
headless Chromium: each keystroke of typing and deleting three queries (the input handler, style
and layout, measured in the page with performance.now()), sorting by three columns, paging:

    python benchmarks/report_speed.py --filter-rows 30000
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
    parser.add_argument("--filter-rows", type=int, default=0,
                        help="time the index's filter, sort and paging over this many clusters in Chromium")
    args = parser.parse_args()
    if args.filter_rows:
        return filter_speed(args)
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
    # `syndup scan` writes the sites and network tables (copies between known sites diffed) before
    # its report, which then reads them: their time is the tables', shown apart.
    t = time.perf_counter()
    if hasattr(result, "sites"):
        len(result.sites)
    tables_s = time.perf_counter() - t
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
    print(f"{'articles':>9}{'clusters':>9}{'copies':>8}{'scan s':>8}{'tables s':>9}{'report s':>9}{'report/scan':>12}"
          f"{'+tables':>8}{'scan MB':>8}{'peak MB':>8}{'child MB':>9}{'pages':>7}{'MB':>7}{'index MB':>9}")
    print(f"{args.articles:>9}{len(multi):>9}{copies:>8}{scan_s:>8.1f}{tables_s:>9.1f}{report_s:>9.1f}"
          f"{report_s / scan_s:>12.2f}{(tables_s + report_s) / scan_s:>8.2f}"
          f"{scan_rss:>8.0f}{report_rss:>8.0f}{children_rss:>9.0f}{len(pages):>7}{size / 1e6:>7.1f}{index_mb:>9.1f}")



TYPE = """
const box = document.getElementById("filter"), word = arguments[0], times = [];
const step = (value) => {
  box.value = value;
  const t = performance.now();
  box.dispatchEvent(new Event("input"));
  void document.body.offsetHeight;  // the style and layout the keystroke causes
  times.push(performance.now() - t);
};
for (let k = 1; k <= word.length; k += 1) { step(word.slice(0, k)); }
for (let k = word.length - 1; k >= 0; k -= 1) { step(word.slice(0, k)); }
return times;
"""
CLICK = """
const button = document.querySelector(arguments[0]);
const t = performance.now();
button.click();
void document.body.offsetHeight;
return performance.now() - t;
"""


def fake_rows(n: int, seed: int) -> list[dict[str, object]]:
    """`n` index rows shaped as `write_report` makes them (sites, dates, titles of a news corpus)."""
    from syndup.diff import KINDS

    rng = random.Random(seed)
    words = ["minister", "storm", "market", "election", "court", "league", "vaccine", "strike", "budget", "river"]
    rows = []
    for i in range(n):
        size = 2 + int(rng.paretovariate(1.5))
        sites = sorted({f"site{rng.randrange(800):04d}.example" for _ in range(min(size, 6))})
        day = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        kept = rng.random()
        rows.append({"id": i + 1, "size": size, "page": f"c-a{i:07d}-{i:012x}.html", "origin": f"a{i:07d}",
                     "title": " ".join(rng.choice(words) for _ in range(7)).capitalize(), "rule": "copies_add",
                     "sites": ", ".join(sites), "first": day, "last": day,
                     "kinds": [rng.randrange(3) for _ in KINDS], "kept": f"{kept:.0%}", "kept_share": kept,
                     "partial": rng.randrange(3)})
    rows.sort(key=lambda r: (-int(r["size"]), r["id"]))  # type: ignore[call-overload]
    return rows


def filter_speed(args: argparse.Namespace) -> None:
    """Keystroke, sort and paging times of the report's index over `args.filter_rows` clusters, in
    headless Chromium (Debian's chromium and chromedriver), timed in the page with performance.now()."""
    import statistics

    from machine import machine_line
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from syndup import report

    rows = fake_rows(args.filter_rows, args.seed)
    env = report._environment()
    kinds = [k.replace("_", " ") for k in report.KINDS]
    common = {"kinds": kinds, "unique": 0, "articles": sum(int(r["size"]) for r in rows),  # type: ignore[call-overload]
              "skipped": 0, "copies": 0, "partial_pairs": 0, "unique_partial": 0, "title": "syndup report"}
    if hasattr(report, "INDEX_PAGE"):  # paged: one page of rows in the HTML, all of them as JSON
        html = env.get_template("index.html").render(
            rows=rows[:report.INDEX_PAGE], n_rows=len(rows), page_size=report.INDEX_PAGE,
            rows_json=report._rows_json(rows), undiffed=0, max_copies=report.MAX_COPIES, **common)
    else:  # the report before paging: every row in the HTML
        html = env.get_template("index.html").render(rows=rows, **common)
    out = Path(tempfile.mkdtemp(prefix="syndup-filter-bench-"))
    page = out / "index.html"
    page.write_text(html, encoding="utf-8")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--user-data-dir={out / 'profile'}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.command_executor.client_config.timeout = 900  # the page of 30,000 table rows loads slowly
    driver.set_page_load_timeout(900)
    driver.set_script_timeout(900)
    try:
        driver.set_window_size(1400, 1000)
        t = time.perf_counter()
        driver.get(page.as_uri())
        load_s = time.perf_counter() - t
        driver.execute_script(TYPE, "warm")
        keys = [ms for word in ("site0042", "storm court", "2024-03") for ms in driver.execute_script(TYPE, word)]
        sorts = [driver.execute_script(CLICK, sel) for sel in ["th[data-key=sites] button", "th[data-key=kept] button",
                                                               "th[data-key=size] button"]
                 if driver.find_elements("css selector", sel)]
        pages = [driver.execute_script(CLICK, "#next") for _ in range(3)] if driver.find_elements("id", "next") else []
    finally:
        driver.quit()
        shutil.rmtree(out, ignore_errors=True)
    version = driver.capabilities.get("browserVersion", "?")
    print(f"report index filter speed: {len(rows)} clusters, {len(html) / 1e6:.1f} MB page; chromium {version}")
    print(machine_line())

    def fmt(v: list[float]) -> str:
        return f"{statistics.median(v):>10.1f}{max(v):>9.1f}"

    print(f"{'rows':>7}{'load s':>8}{'keys':>6}{'key p50 ms':>11}{'max ms':>9}{'sort p50':>10}{'max ms':>9}"
          f"{'page p50':>10}{'max ms':>9}")
    print(f"{len(rows):>7}{load_s:>8.2f}{len(keys):>6}{statistics.median(keys):>11.1f}{max(keys):>9.1f}"
          + (fmt(sorts) if sorts else f"{'-':>10}{'-':>9}") + (fmt(pages) if pages else f"{'-':>10}{'-':>9}"))


if __name__ == "__main__":
    main()

"""Speed benchmark: WARC records per second, read and reduced to article text, on 1 and 2 cores.

Writes a gzipped WARC like a crawler's (a request and a response per page, plus image responses)
of N news pages, each article inside heavy site chrome (a mega-menu, share buttons, a related-
stories grid, a comment section, inline scripts and styles), so pages are the size of real ones.
Article texts come from ../shared/data/bbc-news when present (never copied into the repo), else
from the seed articles. Then times, on the same file:

- parse: warcio iteration, payload decoding and the HTML/not-HTML decision, no extraction;
- extract, 1 process: `syndup.warc.read_warc(path)`;
- extract, 2 processes: `syndup.warc.read_warc(path, workers=2)`.

    python benchmarks/warc_speed.py [--pages 2000] [--cores 2] [--seed 7] [--data ../shared/data/bbc-news]
"""

from __future__ import annotations

import argparse
import html
import io
import os
import platform
import random
import resource
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "bbc-news"
SEEDS = HERE.parent / "seeds"
SITES = ["news.example.com", "daily.example.org", "wire.example.net", "post.example.co.uk", "blog.example.io"]


def load_texts(data: Path) -> tuple[list[str], str]:
    """Article texts to put in pages, and where they came from."""
    files = sorted(data.rglob("*.txt")) if data.is_dir() else []
    files = [f for f in files if f.name != "README.TXT"]
    source = str(data)
    if not files:
        files, source = sorted(SEEDS.glob("*.txt")), "seeds/"
    texts = [f.read_bytes().decode("utf-8", errors="replace") for f in files]
    return [t for t in texts if len(t.split()) >= 50], source


def page(rng: random.Random, text: str, site: str, n: int) -> str:
    """One article inside its site's chrome (about 60-90 KB of HTML, like a real news page)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    title, body = lines[0], lines[1:]
    words = text.split()

    def teaser() -> str:
        start = rng.randrange(max(1, len(words) - 12))
        return html.escape(" ".join(words[start:start + rng.randint(5, 12)]))

    menu = "".join(f"<li><a href='/s/{i}'>Section {i} {teaser()}</a></li>" for i in range(150))
    related = "".join(f"<div class='card'><a href='/a/{i}'><img src='/i/{i}.jpg'><h3>{teaser()}</h3></a>"
                      f"<p>{teaser()}</p></div>" for i in range(25))
    comments = "".join(f"<div class='comment'><b>reader{i}</b><p>{teaser()} {teaser()}</p></div>" for i in range(15))
    share = "".join(f"<a class='share' href='https://{s}/share'>Share on {s}</a>"
                    for s in ("facebook", "x", "telegram", "whatsapp", "email"))
    script = "window.__STATE__ = {" + ",".join(f'"k{i}": "{rng.getrandbits(64):x}"' for i in range(1200)) + "};"
    style = "".join(f".c{i} {{ margin: {i % 9}px; color: #{rng.getrandbits(24):06x} }}\n" for i in range(200))
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in body)
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<link rel='canonical' href='https://{site}/story/{n}'><meta property='og:type' content='article'>"
            f"<meta property='article:published_time' content='2005-0{1 + n % 9}-1{n % 10}T08:00:00Z'>"
            f"<style>{style}</style><script>{script}</script></head><body>"
            f"<header><nav class='mega-menu'><ul>{menu}</ul></nav></header>"
            f"<main><article><h1>{html.escape(title)}</h1><div class='share-bar'>{share}</div>"
            f"<div class='article-body'>{paras}</div></article>"
            f"<section class='related'>{related}</section><section id='comments'>{comments}</section></main>"
            f"<footer><p>All rights reserved</p></footer><script>track('{n}');</script></body></html>")


def write_warc(path: Path, texts: list[str], n_pages: int, seed: int) -> tuple[int, int]:
    """Write the crawl; returns (records, bytes of HTML)."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    rng = random.Random(seed)
    records = html_bytes = 0
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for n in range(n_pages):
            site = SITES[n % len(SITES)]
            url = f"https://{site}/story/{n}"
            body = page(rng, texts[n % len(texts)], site, n).encode("utf-8")
            html_bytes += len(body)
            req = StatusAndHeaders(f"GET /story/{n} HTTP/1.1", [("Host", site)], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", http_headers=req))
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                          http_headers=http))
            records += 2
            if n % 4 == 0:
                png = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
                writer.write_record(writer.create_warc_record(
                    f"https://{site}/i/{n}.png", "response", payload=io.BytesIO(rng.randbytes(20_000)),
                    http_headers=png))
                records += 1
    return records, html_bytes


def cpu_seconds() -> float:
    """CPU time used so far by this process and its finished children."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn) -> tuple[float, float, list]:  # type: ignore[no-untyped-def, type-arg]
    """Wall seconds, CPU seconds and the result of fn()."""
    start, cpu = time.perf_counter(), cpu_seconds()
    out = fn()
    return time.perf_counter() - start, cpu_seconds() - cpu, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--cores", type=int, default=2, help="CPUs to run on (the benchmark's figure is for 2)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()

    from syndup.models import Article
    from syndup.warc import _pages, read_warc

    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < args.cores:
        sys.exit(f"only {len(cpus)} CPUs available, {args.cores} asked for")
    os.sched_setaffinity(0, cpus[:args.cores])  # worker processes inherit it

    texts, source = load_texts(args.data)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "crawl.warc.gz"
        records, html_bytes = write_warc(path, texts, args.pages, args.seed)
        size = path.stat().st_size
        load = os.getloadavg()[0]
        rows = []
        t, cpu, items = timed(lambda: list(_pages(path, "record")))
        rows.append(("parse (no extraction)", 1, t, cpu, sum(isinstance(i, Article) for i in items)))
        t, cpu, items = timed(lambda: list(read_warc(path)))
        rows.append(("read + extract", 1, t, cpu, sum(isinstance(i, Article) for i in items)))
        serial = items
        t, cpu, items = timed(lambda: list(read_warc(path, workers=args.cores)))
        rows.append(("read + extract", args.cores, t, cpu, sum(isinstance(i, Article) for i in items)))
        if items != serial:
            sys.exit("parallel extraction gave different articles than serial extraction")

    print(f"WARC: {args.pages} pages ({records} records, {size / 1e6:.1f} MB gzipped, "
          f"{html_bytes / args.pages / 1e3:.0f} KB of HTML per page); texts from {source}")
    # "cores used" = CPU seconds / wall seconds: below the process count when other work shares the CPUs.
    print(f"{'stage':<24}{'processes':>10}{'seconds':>9}{'CPU s':>8}{'cores used':>11}{'records/s':>11}"
          f"{'pages/s':>9}{'articles':>9}")
    for stage, procs, secs, cpu, n in rows:
        print(f"{stage:<24}{procs:>10}{secs:>9.2f}{cpu:>8.2f}{cpu / secs:>11.2f}{records / secs:>11.0f}"
              f"{args.pages / secs:>9.0f}{n:>9}")
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    print(f"machine: {cpu}, {args.cores} of {len(cpus)} CPUs, load average {load:.2f} at start; "
          f"Python {platform.python_version()}; "
          f"warcio {version('warcio')}, trafilatura {version('trafilatura')}, lxml {version('lxml')}")


if __name__ == "__main__":
    main()

"""HTML extractors on the same pages: speed, chrome left in the text, and article text kept.

Builds N news pages whose article text is known (real BBC articles from ../shared/data/bbc-news
when present, else the seeds), each inside site chrome of the kinds scrapers meet: a cookie
banner, a mega-menu, a share bar, "Advertisement" slots, a newsletter pitch, a related-stories
grid and a comment section, whose teasers come from *other* articles. Every extractor reduces the
same pages, in one process:

- trafilatura, as syndup calls it (`syndup.extract` with the `html` extra);
- resiliparse `extract_plain_text(main_content=True, comments=False)`, when installed;
- syndup's basic parser (all visible text: the floor for chrome).

Half the pages mark their chrome with the usual class names and ids ("cookie-banner", "related",
"comments"); the other half use meaningless ones, so only structure and text tell chrome apart.

Per extractor: pages a second, and over all pages the words of the output that are not article
words (chrome left: a share of the output) and the article words found (kept: a share of the
article), counted as multisets of lowercased words; pages the extractor judged no article.

    python benchmarks/extractors.py [--pages 500] [--seed 7] [--data ../shared/data/bbc-news]
"""

from __future__ import annotations

import argparse
import html
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "bbc-news"
SEEDS = HERE.parent / "seeds"
WORD = re.compile(r"\w+")


def load_texts(data: Path) -> tuple[list[str], str]:
    """Article texts (first line the headline), and where they came from."""
    files = [f for f in sorted(data.rglob("*.txt")) if f.name != "README.TXT"] if data.is_dir() else []
    source = str(data)
    if not files:
        files, source = sorted(SEEDS.glob("*.txt")), "seeds/"
    texts = [f.read_bytes().decode("utf-8", errors="replace") for f in files]
    return [t for t in texts if len(t.split()) >= 80], source


def page(rng: random.Random, text: str, others: list[str], n: int) -> tuple[str, str]:
    """(HTML of one article page inside its chrome, the article's body text)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    title, body = lines[0], lines[1:]

    def teaser() -> str:
        words = rng.choice(others).split()
        start = rng.randrange(max(1, len(words) - 12))
        return html.escape(" ".join(words[start:start + rng.randint(6, 14)]))

    site = f"news{n % 7}.example.com"
    cookie = ("<div class='cookie-banner' id='cookie-consent'><p>We use cookies to improve your experience "
              "and to show you personalised advertising. By continuing to browse you agree to our use of "
              "cookies. <a href='/privacy'>Manage preferences</a> <button>Accept all</button></p></div>")
    menu = "".join(f"<li><a href='/s/{i}'>{teaser()}</a></li>" for i in range(40))
    share = "".join(f"<a class='share' href='https://{s}.example/share'>Share on {s}</a>"
                    for s in ("Facebook", "Twitter", "WhatsApp", "Email"))
    related = "".join(f"<div class='card'><a href='/a/{i}'><h3>{teaser()}</h3></a><p>{teaser()}</p></div>"
                      for i in range(12))
    comments = "".join(f"<div class='comment'><b>reader{i}</b><p>{teaser()} {teaser()}</p></div>" for i in range(8))
    newsletter = ("<aside class='newsletter'><h4>Get the morning briefing</h4><p>Sign up for our free daily "
                  "newsletter and never miss the stories that matter to you.</p><form><input type='email'>"
                  "<button>Subscribe</button></form></aside>")
    if n % 2:  # half the pages name nothing: no class or id says what is chrome
        for word in ("cookie-banner", "cookie-consent", "menu", "share-bar", "share", "card", "related",
                     "comments", "comment", "newsletter", "ad-slot", "article-body"):
            cookie, menu, share, related, comments, newsletter = (
                part.replace(f"'{word}'", f"'c{len(word)}'") for part in (cookie, menu, share, related, comments,
                                                                       newsletter))
    paras = []
    for k, p in enumerate(body):
        paras.append(f"<p>{html.escape(p)}</p>")
        if k == 2:
            paras.append(f"<div class='{'ad-slot' if n % 2 == 0 else 'c7'}'><span>Advertisement</span></div>")
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)} | {site}</title>"
            f"<link rel='canonical' href='https://{site}/story/{n}'><meta property='og:type' content='article'>"
            f"<script>window.dataLayer=[{{'page':{n}}}];</script></head><body>{cookie}"
            f"<header><nav class='menu'><ul>{menu}</ul></nav></header>"
            f"<main><article><h1>{html.escape(title)}</h1><div class='share-bar'>{share}</div>"
            f"<div class='{'article-body' if n % 2 == 0 else 'c12'}'>{''.join(paras)}</div></article>{newsletter}"
            f"<section class='related'><h2>More stories</h2>{related}</section>"
            f"<section id='comments' class='comments'><h2>Comments</h2>{comments}</section></main>"
            f"<footer><p>Copyright {site}. All rights reserved.</p></footer></body></html>"), "\n".join(body)


def extractors() -> dict[str, Callable[[str, str], str]]:
    """Name -> function(html, url) -> text (raising ValueError for a page it finds no article in)."""
    import syndup.extract as ex

    found: dict[str, Callable[[str, str], str]] = {}
    try:
        import trafilatura

        found[f"trafilatura {version('trafilatura')}"] = lambda h, u: ex._extract_trafilatura(trafilatura, h, u, False).text
    except ImportError as exc:
        print(f"trafilatura: not measured ({exc})")
    try:
        from resiliparse.extract.html2text import extract_plain_text

        found[f"resiliparse {version('resiliparse')}"] = lambda h, u: extract_plain_text(
            h, main_content=True, comments=False)
    except (ImportError, PackageNotFoundError) as exc:
        print(f"resiliparse: not measured ({exc}); pip install resiliparse")
    found["syndup basic parser"] = lambda h, u: ex._extract_basic(h).text
    return found


def words(text: str) -> Counter[str]:
    return Counter(w.lower() for w in WORD.findall(text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    from machine import machine_line

    texts, source = load_texts(args.data)
    rng = random.Random(args.seed)
    pages = [page(rng, texts[n % len(texts)], texts, n) for n in range(args.pages)]
    size = sum(len(h) for h, _ in pages) / len(pages) / 1024
    print(machine_line())
    print(f"{len(pages)} pages of {size:.0f} KB average, articles from {source}; one process\n")
    print("| extractor | pages/s | chrome left (share of output words) | on pages without telling class names "
          "| article words kept | no article found |")
    print("|---|--:|--:|--:|--:|--:|")
    for name, fn in extractors().items():
        fn(pages[0][0], "https://news0.example.com/story/0")  # warm up (imports, caches)
        outputs: list[str | None] = []
        start = time.perf_counter()
        for n, (markup, _) in enumerate(pages):
            try:
                outputs.append(fn(markup, f"https://news{n % 7}.example.com/story/{n}"))
            except ValueError:
                outputs.append(None)
        seconds = time.perf_counter() - start
        chrome = kept = out_total = body_total = 0
        half = [0, 0]  # chrome words, output words on the pages with meaningless class names
        for n, (got, (_, body)) in enumerate(zip(outputs, pages)):
            truth = words(body)
            body_total += sum(truth.values())
            if got is None:
                continue
            out = words(got)
            out_total += sum(out.values())
            chrome += sum((out - truth).values())
            kept += sum((out & truth).values())
            if n % 2:
                half[0] += sum((out - truth).values())
                half[1] += sum(out.values())
        missed = sum(o is None for o in outputs)
        print(f"| {name} | {len(pages) / seconds:,.0f} | {chrome / max(out_total, 1):.1%} | "
              f"{half[0] / max(half[1], 1):.1%} | {kept / body_total:.1%} | {missed} |")


if __name__ == "__main__":
    main()

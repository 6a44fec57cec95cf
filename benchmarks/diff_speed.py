"""Speed of `syndup.diff` on two ~2,000-word articles: an origin and an edited republication.

The origin is built from real BBC articles in ../shared/data/bbc-news when that folder exists (read,
never copied), else from seeded synthetic text. The copy gets the edits syndication makes: curly
quotes, hard-wrapped paragraphs, dropped, moved and substituted passages, word edits, a link line,
an attribution and a disclaimer, and a cut-off end. Prints one table of timings.

    python benchmarks/diff_speed.py [--words 2000] [--repeat 50] [--seed 7] [--data DIR]
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "bbc-news"

DISCLAIMER = [
    "Articles by: The Wire Desk",
    "Disclaimer: The contents of this article are of sole responsibility of the author(s). The site "
    "will not be responsible for any inaccurate or incorrect statement in this article.",
    "Subscribe to our newsletter for the stories that matter, every morning.",
]


def bbc_articles(data: Path) -> list[list[str]]:
    """Every BBC article as a list of paragraphs (the title line dropped), in a stable order."""
    out = []
    seen: set[str] = set()
    for path in sorted(data.glob("*/*.txt")):
        text = path.read_bytes().decode("utf-8", errors="replace")
        paras = [p.strip() for p in text.split("\n") if p.strip()]
        # The data set holds some stories twice (or with a new headline): keep one of each.
        key = " ".join(" ".join(paras[1:3]).lower().split())
        if len(paras) > 2 and key not in seen:
            seen.add(key)
            out.append(paras[1:])
    return out


def synthetic_articles(rng: random.Random, n: int) -> list[list[str]]:
    """Seeded articles of pseudo-words with a Zipf-like vocabulary, 6-20 paragraphs each."""
    vocab = ["".join(rng.choice("bcdfghjklmnprstvwz") + rng.choice("aeiou") for _ in range(rng.randint(1, 4)))
             for _ in range(20000)]
    weights = [1 / (r + 1) for r in range(len(vocab))]
    out = []
    for _ in range(n):
        paras = []
        for _ in range(rng.randint(6, 20)):
            sentences = [" ".join(rng.choices(vocab, weights, k=rng.randint(8, 25))).capitalize() + "."
                         for _ in range(rng.randint(1, 4))]
            paras.append(" ".join(sentences))
        out.append(paras)
    return out


def load_articles(data: Path | None, rng: random.Random, n: int) -> tuple[list[list[str]], str]:
    if data is not None and data.is_dir():
        arts = bbc_articles(data)
        if arts:
            rng.shuffle(arts)
            return arts, f"BBC news articles from {data}"
    return synthetic_articles(rng, n), "seeded synthetic text"


def article_of(articles: list[list[str]], words: int) -> list[str]:
    """Paragraphs of consecutive articles until `words` words."""
    paras: list[str] = []
    count = 0
    for art in articles:
        for p in art:
            paras.append(p)
            count += len(p.split())
            if count >= words:
                return paras
    return paras


def _wrap(p: str, width: int = 72) -> str:
    import textwrap

    return textwrap.fill(p, width)


def republish(paras: list[str], rng: random.Random, *, light: bool = False) -> str:
    """A copy with the edits syndication makes (fewer with `light`)."""
    copy = [p.replace("'", "\u2019").replace(' "', " \u201c").replace('" ', "\u201d ") for p in paras]
    n = len(copy)
    if n > 6 and not light:
        copy = copy[: n - max(1, n // 10)]                       # the end cut off
        del copy[rng.randrange(1, len(copy) - 1)]                 # a paragraph dropped
        i, j = sorted(rng.sample(range(1, len(copy)), 2))
        copy.insert(i, copy.pop(j))                               # one moved up
        k = rng.randrange(1, len(copy) - 1)
        copy[k] = "A spokesperson declined to comment on the report when contacted on Friday."
        copy.insert(rng.randrange(1, len(copy)), "Click here to watch the full interview.")
    for _ in range(max(1, len(copy) // (8 if light else 3))):  # word edits
        k = rng.randrange(len(copy))
        w = copy[k].split()
        if len(w) > 4:
            at = rng.randrange(len(w))
            w[at] = rng.choice(["reportedly", "officials", "on Monday", "last year", "the agency"])
            copy[k] = " ".join(w)
    copy = [_wrap(p) if rng.random() < 0.3 else p for p in copy]  # hard-wrapped paragraphs
    return "\n\n".join(copy + ([] if light else DISCLAIMER))


def machine() -> str:
    import numpy

    return (f"{platform.machine()} {platform.processor() or ''} {platform.system()} {platform.release()}; "
            f"Python {sys.version.split()[0]}; syndup {version('syndup')}, rapidfuzz {version('rapidfuzz')}, "
            f"numpy {numpy.__version__}").replace("  ", " ")


def timed(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    fn()  # warm-up: imports and caches
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--words", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()

    import syndup
    from syndup.normalize import words

    rng = random.Random(args.seed)
    articles, source = load_articles(args.data, rng, 60)
    origin_paras = article_of(articles, args.words)
    origin = "\n\n".join(origin_paras)
    copy = republish(origin_paras, rng)
    other = "\n\n".join(article_of(articles[len(articles) // 2:], args.words))

    print(f"diff speed: {source}; seed {args.seed}; {args.repeat} runs each")
    print(machine())
    print(f"{'case':<34}{'origin words':>13}{'copy words':>11}{'segments':>9}{'min ms':>9}{'median ms':>10}{'mean ms':>9}")
    cases = [("edited republication", origin, copy),
             ("identical text", origin, origin),
             ("unrelated article", origin, other)]
    for name, a, b in cases:
        d = syndup.diff(a, b)
        times = timed(lambda a=a, b=b: syndup.diff(a, b), args.repeat)
        print(f"{name:<34}{len(words(a)):>13}{len(words(b)):>11}{len(d.segments):>9}"
              f"{min(times):>9.2f}{statistics.median(times):>10.2f}{statistics.mean(times):>9.2f}")
    d = syndup.diff(origin, copy)
    sm = d.summary
    print(f"edited republication: {sm.origin_kept:.0%} of origin kept, {sm.copy_new:.0%} of copy new; "
          f"kinds {dict(sm.kinds)}")


if __name__ == "__main__":
    main()

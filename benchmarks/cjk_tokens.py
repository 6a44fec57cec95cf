"""Words in Chinese: one token per character (what syndup does) against a word segmenter (jieba),
measured on copies (shingle overlap of copies against different articles) and on speed.

Text: the Chinese story and same-event article of tests/languages.py, and edited copies of the
story: credited (credit line and disclaimer), last paragraph dropped, ASCII punctuation with hard
line-wraps, four short clauses rewritten, sentences reversed within paragraphs. For each way of
cutting words, the Jaccard similarity of the story's k-token shingles (k = syndup's shingle size,
5) with each copy's and with the different article's; the margin is the weakest copy's Jaccard
minus the different article's. Speed: characters cut per second, median of 5 runs over the two
articles repeated to 200,000 characters (jieba's dictionary loaded before timing).

    python benchmarks/cjk_tokens.py          (needs jieba: pip install jieba)
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from machine import machine_line  # noqa: E402

from syndup.normalize import paragraphs, words  # noqa: E402
from syndup.settings import DEFAULT_SETTINGS  # noqa: E402
from tests.languages import story  # noqa: E402

K = DEFAULT_SETTINGS.shingle_size


def copies(origin: str, credit: str, disclaimer: str, seed: int = 7) -> dict[str, str]:
    rng = random.Random(seed)
    paras = origin.split("\n\n")
    sentences = [p.split("。") for p in paras]
    rewritten = list(origin)
    for at in rng.sample(range(10, len(origin) - 10), 4):  # four 3-character rewrites
        rewritten[at:at + 3] = "有关方"
    reordered = "\n\n".join("。".join(s[-2::-1] + s[-1:]) for s in sentences)  # each paragraph's sentences reversed
    punct = origin.replace("，", ",").replace("。", ". ").replace("：", ":")
    wrapped = "\n\n".join("\n".join(p[i:i + 36] for i in range(0, len(p), 36)) for p in punct.split("\n\n"))
    return {"credited": f"{origin}\n\n{credit}\n\n{disclaimer}", "last paragraph dropped": "\n\n".join(paras[:-1]),
            "ASCII punctuation, wrapped": wrapped, "4 clauses rewritten": "".join(rewritten),
            "sentences reversed": reordered}


def per_character(text: str) -> list[str]:
    return words(text)


def jieba_words(text: str) -> list[str]:
    import jieba

    # jieba cuts each paragraph (line-wraps joined, as syndup's paragraphs join them); the same
    # folding (case, NFKC) is applied to its words as syndup's to characters, punctuation dropped.
    out: list[str] = []
    for para in paragraphs(text):
        for w in jieba.lcut(para.replace("\n", "")):
            out.extend(["".join(words(w))] if words(w) else [])
    return out


def shingles(tokens: list[str]) -> set[tuple[str, ...]]:
    return {tuple(tokens[i:i + K]) for i in range(max(1, len(tokens) - K + 1))}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def speed(cut: Callable[[str], list[str]], text: str) -> float:
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        cut(text)
        times.append(time.perf_counter() - t0)
    return len(text) / statistics.median(times)


def main() -> int:
    try:
        import jieba
    except ImportError:
        print("needs jieba: pip install jieba", file=sys.stderr)
        return 2
    jieba.setLogLevel(60)
    jieba.initialize()
    print(machine_line())
    print(f"jieba {jieba.__version__}; shingles of {K} tokens\n")
    s = story("zh")
    variants = copies(s.origin, s.credit, s.disclaimer)
    methods = {"one token per character (syndup)": per_character, "jieba words": jieba_words}
    print("| tokens | " + " | ".join(variants) + " | different article | margin | chars/s |")
    print("|---|" + "---:|" * (len(variants) + 3))
    long_text = ((s.origin + "\n\n" + s.other + "\n\n") * 400)[:200_000]
    for name, cut in methods.items():
        base = shingles(cut(s.origin))
        sims = [jaccard(base, shingles(cut(v))) for v in variants.values()]
        other = jaccard(base, shingles(cut(s.other)))
        rate = speed(cut, long_text)
        print(f"| {name} | " + " | ".join(f"{x:.3f}" for x in sims) + f" | {other:.3f} | {min(sims) - other:.3f} | "
              f"{rate:,.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

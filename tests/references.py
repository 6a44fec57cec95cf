"""Plain references the fast paths are checked against, and a seeded corpus for whole-scan tests.

Tokenizing and hashing one paragraph at a time (the implementation the fast path replaced), and a
corpus of stories, copies with edits, excerpts, site boilerplate and unrelated articles. Never
reads ../shared: everything is generated here, seeded.
"""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pandas as pd

from syndup.normalize import BREAK, QUOTE
from syndup.shingle import (
    Features,
)
from tests.test_kernel import reference_tokens

HASH_KEY = "syndup-words-v01"


# --- the plain reference: one paragraph at a time, words as strings ----------------------------

def reference_words(text: str) -> tuple[list[str], list[int], list[bool]]:
    """Words, paragraph of each word (counting paragraphs that hold words) and whether it is
    inside quotation marks (an odd number of '"' before it in its paragraph), from the reference
    tokens."""
    words: list[str] = []
    para_of: list[int] = []
    quoted: list[bool] = []
    n_paras, inside, held = 0, False, False
    for token in reference_tokens(text) + [BREAK]:
        if token == BREAK:
            n_paras, inside, held = n_paras + held, False, False
        elif token == QUOTE:
            inside = not inside
        else:
            words.append(token)
            para_of.append(n_paras)
            quoted.append(inside)
            held = True
    return words, para_of, quoted


def reference_repeated(text: str, first: int = 10) -> frozenset[int]:
    """Paragraphs (numbered as `reference_words` numbers them) that the page shows twice (see
    `repeated_of`)."""
    words, para_of, _ = reference_words(text)
    paras: list[list[object]] = [[] for _ in range(len(set(para_of)))]
    for w, p in zip(words, para_of):
        paras[p].append(w)
    return repeated_of(paras, first)


def repeated_of(paras: list[list[object]], first: int = 10) -> frozenset[int]:
    """Of paragraphs given as their words, those a page shows twice: two paragraphs of `first` words
    or more beginning with the same `first` words, unless the paragraph before or after each is
    such a pair too (the article held twice)."""
    keys = [tuple(p[:first]) if len(p) >= first else None for p in paras]
    out: set[int] = set()
    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            if keys[i] is None or keys[i] != keys[j] or any(keys[t] == keys[i] for t in range(i + 1, j)):
                continue  # a paragraph shown three times pairs with the next showing only
            run = any(0 <= i + d and j + d < len(keys) and i + d != j and keys[i + d] is not None
                      and keys[i + d] == keys[j + d] for d in (-1, 1))
            if not run:
                out |= {i, j}
    return frozenset(out)


def word_hashes(words: list[str]) -> np.ndarray:
    if not words:
        return np.zeros(0, dtype=np.uint64)
    return pd.util.hash_array(np.array(words, dtype=object), hash_key=HASH_KEY, categorize=False)


def digest(arr: np.ndarray, size: int) -> bytes:
    return hashlib.blake2b(arr.tobytes(), digest_size=size).digest()


def reference_analyze(text: str) -> Features:
    """`analyze` as it was first written: per paragraph, with Python lists."""
    words, para_of, quoted = reference_words(text)
    hashes = word_hashes(words)
    para = np.array(para_of, dtype=np.int32)
    counts = np.bincount(para, minlength=int(para.max()) + 1 if para.size else 0).astype(np.int32)
    bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    para_hashes = np.array([int.from_bytes(digest(hashes[bounds[i]:bounds[i + 1]], 8), "little")
                            for i in range(counts.shape[0])], dtype=np.uint64)
    assert np.array_equal(para, word_para(counts))  # paragraphs are runs of words, in order
    return Features(hashes, np.array(quoted, dtype=bool), para_hashes, counts, digest(hashes, 12))


def word_para(para_words: np.ndarray) -> np.ndarray:
    """The paragraph of each word, from the words per paragraph."""
    return np.repeat(np.arange(para_words.shape[0]), para_words)


def same_features(a: Features, b: Features) -> bool:
    for name in ("word_hashes", "word_quoted", "para_hashes", "para_words"):
        x, y = getattr(a, name), getattr(b, name)
        if x.dtype != y.dtype or x.shape != y.shape or not np.array_equal(x, y):
            return False
    return a.fingerprint == b.fingerprint


# --- a seeded corpus: stories, copies with edits, excerpts, site boilerplate, unrelated ----------

SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "an", "el", "or", "ut", "ba",
             "de", "fi", "go", "hu"]


class Writer:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.vocab = sorted({"".join(self.rng.choices(SYLLABLES, k=self.rng.randint(1, 4)))
                             for _ in range(3000)})

    def sentence(self) -> str:
        words = [self.rng.choice(self.vocab) for _ in range(self.rng.randint(6, 18))]
        s = " ".join(words).capitalize() + "."
        return f'"{s}"' if self.rng.random() < 0.12 else s

    def article(self, paras: int) -> list[str]:
        return [" ".join(self.sentence() for _ in range(self.rng.randint(2, 4))) for _ in range(paras)]


def corpus(seed: int = 11, stories: int = 40, unrelated: int = 120) -> list[dict[str, str]]:
    w = Writer(seed)
    rng = w.rng
    sites = [f"site{i}.example" for i in range(8)]
    footers = {s: [f"Share this story with your friends on {s}.",
                   f"Subscribe to the {s} newsletter: the best of {s} every morning, free."]
               for s in sites}
    docs: list[dict[str, str]] = []

    def add(doc_id: str, paras: list[str], site: str) -> None:
        docs.append({"id": doc_id, "text": "\n\n".join(paras + footers[site]), "site": site})

    for k in range(stories):
        origin = w.article(rng.randint(6, 12))
        add(f"s{k:03d}/origin", origin, rng.choice(sites))
        for c in range(rng.randint(1, 3)):
            paras = list(origin)
            edit = rng.choice(["trim", "drop", "move", "substitute", "excerpt", "note"])
            if edit == "trim":
                paras = paras[:max(3, len(paras) - rng.randint(1, 3))]
            elif edit == "drop":
                del paras[rng.randrange(1, len(paras) - 1)]
            elif edit == "move":
                paras.insert(0, paras.pop(rng.randrange(1, len(paras))))
            elif edit == "substitute":
                paras[rng.randrange(len(paras))] = w.sentence() + " " + w.sentence()
            elif edit == "excerpt":  # someone quoting three paragraphs inside their own text
                start = rng.randrange(0, len(paras) - 3)
                paras = w.article(3) + paras[start:start + 3] + w.article(3)
            else:
                paras = ["Editor's note: republished with permission from our partners."] + paras
            if rng.random() < 0.3:
                paras = [p.replace('"', "\u201c") for p in paras]
            add(f"s{k:03d}/copy{c}", paras, rng.choice(sites))
        if k % 10 == 0:  # one exact duplicate, up to case and whitespace
            add(f"s{k:03d}/dup", [p.upper() + "  " for p in origin], rng.choice(sites))
    for u in range(unrelated):
        add(f"u{u:03d}", w.article(rng.randint(5, 10)), rng.choice(sites))
    rng.shuffle(docs)
    return docs

"""A 200-article news corpus generated from a fixed seed, with every relation and cluster shape.

Words are drawn from the seed articles' vocabulary (no outside data), uniformly, so two stories never
share a 5-word passage by chance; every shared passage below is put there on purpose:

- 101 unique stories, some of them the source of a reused passage;
- 12 origin + edited copy pairs (a dropped paragraph, a few words changed, a byline, a credit line):
  half dated (origin chosen by `published`), half undated with a credit (`attribution`);
- 4 undated stories with 3 copies, each missing a different paragraph (`containment`);
- 3 exact duplicate pairs (case and spacing changed; origin by `id`) and one dated triple;
- 2 chains A <- B <- C where C copies B's new half only (C is `indirect`);
- 5 articles reusing one paragraph of another site's story (`partial`), one between two clusters,
  and 1 reusing a story of its own site (learned as that site's boilerplate: no relation);
- 1 article quoting another story's paragraph in quotation marks (no relation);
- 1 story with 36 copies that add only a byline: LSH buckets bigger than `max_bucket_pairs`,
  so the cluster is linked through hubs, not all its pairs;
- a footer per site on most articles, and a disclaimer three sites share (learned boilerplate);
  duplicates carry neither, so they stay the same words.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SEED = 20240317
SIZE = 200

#: (host, name a credit line uses) of the corpus's sites.
SITES = [("dailyplanet.example", "Daily Planet"), ("wirenews.example", "Wirenews"),
         ("gazette.example", "The Gazette"), ("tribune.example", "Tribune"), ("herald.example", "Herald"),
         ("observer.example", "Observer"), ("courier.example", "Courier"), ("sentinel.example", "Sentinel")]


@dataclass(frozen=True)
class Record:
    """One article of the corpus, as a JSONL record."""

    id: str
    kind: str
    paragraphs: tuple[str, ...]
    site: str
    published: str | None = None
    author: str | None = None

    def to_json(self) -> dict[str, str]:
        out = {"id": self.id, "text": "\n\n".join(self.paragraphs), "site": self.site,
               "url": f"https://{self.site}/{self.id}", "title": self.paragraphs[0][:60].rstrip(" .")}
        if self.published:
            out["published"] = self.published
        if self.author:
            out["author"] = self.author
        return out


class Writer:
    """Deterministic text: sentences and paragraphs of seed words, edits of them."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        text = " ".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
        self.vocab = sorted({w.lower() for w in re.findall(r"[A-Za-z]{2,}", text)})

    def sentence(self) -> str:
        words = [self.rng.choice(self.vocab) for _ in range(self.rng.randint(8, 18))]
        return " ".join(words).capitalize() + "."

    def paragraph(self, sentences: int | None = None) -> str:
        return " ".join(self.sentence() for _ in range(sentences or self.rng.randint(3, 5)))

    def story(self, paragraphs: int | None = None) -> tuple[str, ...]:
        return tuple(self.paragraph() for _ in range(paragraphs or self.rng.randint(5, 8)))

    def substitute(self, paragraph: str, share: float = 0.02) -> str:
        """The paragraph with about `share` of its words replaced."""
        words = paragraph.split(" ")
        for i in range(len(words)):
            if self.rng.random() < share:
                words[i] = self.rng.choice(self.vocab)
        return " ".join(words)

    def edit(self, story: tuple[str, ...], drop: int | None = None) -> list[str]:
        """An edited copy: one paragraph dropped (`drop`, or a random one), a few words changed."""
        gone = self.rng.randrange(len(story)) if drop is None else drop
        return [self.substitute(p) for i, p in enumerate(story) if i != gone]


def _date(day: int, hour: int = 8) -> str:
    return f"2024-03-{day:02d}T{hour:02d}:00:00Z"


def records(seed: int = SEED) -> list[Record]:
    """The corpus, in the order it is written (shuffled, so ids and position say nothing)."""
    w = Writer(seed)
    rng = w.rng
    footers = {host: w.paragraph(2) for host, _ in SITES}
    disclaimer = w.paragraph(2)
    shares_disclaimer = {host for host, _ in SITES[:3]}
    out: list[tuple[str, list[str], str, str | None, str | None]] = []  # (kind, paragraphs, site, date, author)

    def site() -> str:
        return rng.choice(SITES)[0]

    def add(kind: str, paras: list[str] | tuple[str, ...], host: str, date: str | None = None,
            author: str | None = None) -> None:
        out.append((kind, list(paras), host, date, author))

    def name_of(host: str) -> str:
        return dict(SITES)[host]

    # Unique stories; the first ones lend passages to partial reuse and the quote.
    uniques = [w.story() for _ in range(101)]
    for i, story in enumerate(uniques):
        add("unique", story, site(), _date(1 + i % 28) if i % 3 else None, "Staff" if i % 4 == 0 else None)
    # Origin + edited copy, dated or credited.
    for k in range(12):
        story, a, b = w.story(), site(), site()
        copy = [f"By {w.sentence()[:-1]}"] + w.edit(story)
        if k % 2 == 0:
            add("pair-origin", story, a, _date(2 + k, 7))
            add("pair-copy", copy, b, _date(3 + k, 9))
        else:
            add("pair-origin", story, a)
            add("pair-copy", copy + [f"Source: {name_of(a)}"], b)
    # Undated stories with three copies, each without a different paragraph: the origin contains them all.
    for _ in range(4):
        story = w.story(6)
        add("containment-origin", story, site())
        for drop in (1, 3, 5):
            add("containment-copy", w.edit(story, drop=drop) + [w.paragraph(1)], site())
    # Exact duplicates: case and spacing changed only.
    for _ in range(3):
        story = w.story()
        add("duplicate", story, site())
        add("duplicate", [p.upper().replace(". ", ".  ") for p in story], site())
    story = w.story()
    for day in (5, 6, 7):
        add("duplicate-dated", story, site(), _date(day))
    # Chains: B keeps 6 of A's 8 paragraphs and adds 3; C keeps B's 3 new ones and adds 1.
    for k in range(2):
        first = w.story(8)
        new = w.story(3)
        add("chain-a", first, site(), _date(10 + k))
        add("chain-b", list(first[:6]) + list(new), site(), _date(12 + k))
        add("chain-c", list(new) + [w.paragraph()], site(), _date(14 + k))
    # Partial reuse: the longest paragraph of a unique story (or of a pair's origin) in a new story on
    # another site; on the source's own site, the same reuse is that site's boilerplate (no relation).
    sources = [out[k] for k in range(4)] + [next(o for o in out if o[0] == "pair-origin"), out[6]]
    for k, (_, source, source_site, *_) in enumerate(sources):
        fresh = list(w.story(4))
        fresh.insert(2, max(source, key=len))
        host = source_site if k == 5 else rng.choice([h for h, _ in SITES if h != source_site])
        add("partial" if k < 5 else "same-site", fresh, host, _date(20 + k))
    # A quotation of another story's paragraph is not reuse.
    quoted = w.story(4)
    add("quote", [quoted[0], f"\u201c{max(uniques[5], key=len)}\u201d", *quoted[1:]], site())
    # One story with 36 copies, each adding a byline.
    big = w.story(7)
    add("big-origin", big, site(), _date(1, 6))
    for k in range(36):
        add("big-copy", [f"By {w.sentence()[:-1]}", *big], site(), _date(2 + k % 20, 10))
    assert len(out) == SIZE, len(out)
    rng.shuffle(out)
    result = []
    for i, (kind, paras, host, date, author) in enumerate(out):
        if rng.random() < 0.8 and not kind.startswith("duplicate"):
            paras = paras + [footers[host]]
        if host in shares_disclaimer and not kind.startswith("duplicate"):
            paras = paras + [disclaimer]
        result.append(Record(f"a{i:03d}", kind, tuple(paras), host, date, author))
    return result


def write_jsonl(path: Path, seed: int = SEED) -> Path:
    """Write the corpus as JSONL (one record a line) and return the path."""
    path.write_text("".join(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in records(seed)),
                    encoding="utf-8")
    return path

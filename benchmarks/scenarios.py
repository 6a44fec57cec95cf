"""Seeded scenarios of what real news does, built from real BBC articles, each with its own truth.

Every scenario is a small corpus of `Page`s: paragraphs whose provenance the generator knows. A
body paragraph carries a key (the same key in two pages means the same paragraph, verbatim or
nearly: a sentence edited, quotes restyled, typos); chrome, quotations of a third party and tables
carry a kind that is never evidence. Truth per pair follows the labelling protocol of
../shared/data/asprout-dev/README.md:

- copy: at least half of the shorter page's body text appears in the other (identical pages too);
- partial: otherwise, a run of shared body paragraphs of 40 words or more (a passage);
- none: everything else (shared chrome, quotations, tables, a shared sentence).

Body text is measured in the words of body paragraphs of `PROSE_WORDS` or more: the protocol's
"about half of the body paragraphs" is a rule of thumb for paragraphs of a journalist's prose, and
the BBC set holds fact lines ("Ewood Park", "2000 GMT") and team sheets, which a reader no more counts
as paragraphs than a shared table (see `shared_tables`). Counting paragraphs instead made a version
holding 97% of another's words a partial (its 11 paragraphs, 6 of them two-word lines). A passage
counts the words of its prose paragraphs outside quotation marks: two pages sharing only a run of
quoted statements share no passage of a journalist's text (the protocol's third-party quotations).

Also the shared helpers of the families corpus (`load_bbc`, site templates, line wraps).
"""

from __future__ import annotations

import html
import itertools
import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
PARTIAL_WORDS = 40  # the protocol's passage: about a paragraph, 40 words or more
PROSE_WORDS = 10  # shorter paragraphs are headings, fact lines, table rows: not a journalist's prose
QUOTATION = re.compile('["\u201c\u201d][^"\u201c\u201d]*(?:["\u201c\u201d]|$)')
EPOCH = pd.Timestamp("2005-01-01", tz="UTC")


def wrap_lines(p: str, width: int = 72) -> str:
    out, line = [], ""
    for w in p.split():
        if line and len(line) + 1 + len(w) > width:
            out.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    out.append(line)
    return "\n".join(out)


def load_bbc(root: Path) -> list[tuple[str, str, list[str]]]:
    arts, seen, kept_grams = [], set(), []
    for path in sorted(root.glob("*/*.txt")):
        raw = path.read_text(encoding="utf-8", errors="replace")
        lines = [line.strip() for line in raw.split("\n")]
        title = lines[0]
        paras = [p.strip() for p in re.split(r"\n\s*\n", "\n".join(lines[1:])) if p.strip()]
        # The BBC set holds a few republished stories itself: keep one article per lead paragraph.
        key = " ".join(paras[0].lower().split()[:12]) if paras else ""
        if key in seen:
            continue
        seen.add(key)
        if len(paras) < 5 or sum(len(p.split()) for p in paras) < 180:
            continue
        # ... and some updated versions of one story: skip an article sharing 8-word runs with one kept.
        toks = " ".join(paras).lower().split()
        grams = {hash(tuple(toks[i:i + 8])) for i in range(len(toks) - 7)}
        if any(len(grams & g) >= 5 for g in kept_grams):
            continue
        kept_grams.append(grams)
        arts.append((f"{path.parent.name}/{path.stem}", title, paras))
    return arts


SITE_NAMES = ["dailyecho.example", "worldwire.example", "newsmirror.example", "thecourier.example",
              "globalreview.example", "metropost.example", "freepress.example", "eveningtimes.example",
              "insiderdaily.example", "newsdigest.example", "herald.example", "observer.example"]


def site_template(site: str, rng: random.Random) -> tuple[list[str], list[str]]:
    """Header and footer paragraphs a site wraps around every article it publishes."""
    name = site.split(".")[0].title()
    header = [f"Home | World | Business | Politics | Technology | Sport | {name} TV | Subscribe",
              f"Share this article on Facebook, Twitter and by email - {name}"]
    footer = [
        f"Disclaimer: The contents of this article are of sole responsibility of the author(s). {name} "
        "will not be responsible for any inaccurate or incorrect statement in this article. "
        f"{name} grants permission to cross-post original {name} articles on community internet "
        "sites as long as the source and copyright are acknowledged together with a hyperlink.",
        f"Sign up for the {name} newsletter to get the day's most important stories delivered to your "
        "inbox every morning, free of charge, and follow us on social media for breaking news alerts.",
        f"Copyright {name} Media Group. All rights reserved. This material may not be published, "
        "broadcast, rewritten or redistributed without permission.",
    ]
    if rng.random() < 0.5:
        header = header[:1]
    return header, footer


# -- pages with provenance ------------------------------------------------------------------------

@dataclass(frozen=True)
class Para:
    """One paragraph: its text, the key of the body text it carries, and its kind."""

    text: str
    key: tuple | None = None  # body: same key = same paragraph (verbatim or nearly); None: its own text
    kind: str = "body"  # body | chrome | quote | table: only body is evidence of reuse

    @property
    def words(self) -> int:
        return len(self.text.split())

    @property
    def prose(self) -> bool:
        """Body text of a journalist: a body paragraph of `PROSE_WORDS` or more."""
        return self.kind == "body" and self.words >= PROSE_WORDS

    @property
    def own_words(self) -> int:
        """What a passage counts of it: a prose paragraph's words outside quotation marks."""
        return len(QUOTATION.sub(" ", self.text).split()) if self.prose else 0


@dataclass
class Page:
    """A generated article and what the truth knows about it."""

    id: str
    paras: list[Para]
    story: str  # truth story: versions of one story, pages joining two stories
    hours: float  # true publication time, hours after EPOCH
    site: str
    title: str
    dated: bool = False  # the page states its publication date
    html: bool = False
    wrap: bool = False
    cluster: str | None = None  # truth cluster where the copy relation alone does not define one

    def text(self) -> str:
        """The plain text a reader sees (chrome and comments included)."""
        return "\n\n".join(wrap_lines(p.text) if self.wrap else p.text for p in self.paras)

    def body_text(self) -> str:
        """The text without chrome and comments (what pairs share, for the overlap figure)."""
        return "\n\n".join(p.text for p in self.paras if p.kind != "chrome")

    def published(self) -> str:
        return (EPOCH + pd.Timedelta(hours=self.hours)).isoformat()

    def record(self) -> dict:
        """The record syndup scans: `published` only where the page states it."""
        if self.html:
            return {"id": self.id, "text": html_page(self), "url": f"https://{self.site}/news/{self.id}"}
        rec = {"id": self.id, "text": self.text(), "site": self.site, "title": self.title}
        if self.dated:
            rec["published"] = self.published()
        return rec


@dataclass(frozen=True)
class Truth:
    """What the generator knows: relation per pair, story, true time and truth cluster per page."""

    relations: dict[tuple[str, str], str]
    story: dict[str, str]
    hours: dict[str, float]
    cluster: dict[str, str] | None  # None where truth clusters are not defined (chains)
    texts: dict[str, str]  # body text (chrome and comments left out), for the shingle overlap of pairs


@dataclass
class Scenario:
    name: str
    records: list[dict]
    truth: Truth
    how: str  # how the truth is decided, one line


def html_page(page: Page) -> str:
    """A news page: navigation, the article, related links and a footer; a date only if stated."""
    esc = html.escape
    meta = (f'<meta property="article:published_time" content="{page.published()}">'
            if page.dated else "")
    body = "\n".join(f"<p>{esc(p.text)}</p>" for p in page.paras if p.kind != "chrome")
    name = page.site.split(".")[0].title()
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{esc(page.title)} | {name}</title>"
            f"{meta}</head><body><header><nav><a href=\"/\">Home</a> <a href=\"/world\">World</a> "
            f"<a href=\"/business\">Business</a> <a href=\"/sport\">Sport</a></nav></header>"
            f"<main><article><h1>{esc(page.title)}</h1>\n{body}\n</article>"
            f"<aside><h2>Related</h2><ul><li><a href=\"/a\">More from {name}</a></li>"
            f"<li><a href=\"/b\">Most read today</a></li></ul></aside></main>"
            f"<footer><p>&copy; {name} Media Group. All rights reserved.</p></footer></body></html>")


def pairwise_truth(pages: list[Page]) -> dict[tuple[str, str], str]:
    """copy / partial per pair by the paragraphs the two pages share (see the module docstring)."""
    body = {p.id: [q for q in p.paras if q.kind == "body"] for p in pages}
    prose = {i: [q for q in b if q.prose] or b for i, b in body.items()}
    keys = {i: {q.key for q in b if q.key is not None} for i, b in body.items()}
    holders = defaultdict(set)
    for i, ks in keys.items():
        for k in ks:
            holders[k].add(i)
    text = {p.id: p.text() for p in pages}
    truth = {}
    for i, j in itertools.combinations(sorted(text), 2):
        if text[i] == text[j]:
            truth[(i, j)] = "copy"
    candidates = {tuple(sorted(c)) for hs in holders.values() for c in itertools.combinations(hs, 2)}
    for i, j in candidates:
        if max(_held(prose[i], keys[j]), _held(prose[j], keys[i])) >= 0.5:
            truth[(i, j)] = "copy"
        elif (i, j) not in truth and _longest_run(body[i], body[j]) >= PARTIAL_WORDS:
            truth[(i, j)] = "partial"
    return truth


def _held(paras: list[Para], keys: set) -> float:
    """The share of the words of `paras` in paragraphs whose key is in `keys` (another page's)."""
    total = sum(q.words for q in paras)
    return sum(q.words for q in paras if q.key in keys) / total if total else 0.0


def _longest_run(a: list[Para], b: list[Para]) -> int:
    """Words of the longest run of body paragraphs that follow each other in both pages (words of
    prose outside quotation marks: `Para.own_words`)."""
    best, prev = 0, [0] * (len(b) + 1)
    for pa in a:
        cur = [0] * (len(b) + 1)
        for j, pb in enumerate(b, 1):
            if pa.key is not None and pa.key == pb.key:
                cur[j] = prev[j - 1] + min(pa.own_words, pb.own_words)
                best = max(best, cur[j])
        prev = cur
    return best


def truth_of(pages: list[Page]) -> Truth:
    """The scenario's truth: pairs, stories, times, and clusters where they are defined."""
    relations = pairwise_truth(pages)
    ids = [p.id for p in pages]
    if all(p.cluster is not None for p in pages):
        cluster: dict[str, str] | None = {p.id: str(p.cluster) for p in pages}
    else:
        cluster = copy_cliques(ids, [q for q, r in relations.items() if r == "copy"])
    return Truth(relations, {p.id: p.story for p in pages}, {p.id: p.hours for p in pages}, cluster,
                 {p.id: p.body_text() for p in pages})


def copy_cliques(ids: list[str], copies: list[tuple[str, str]]) -> dict[str, str] | None:
    """Components of the copy pairs, if every component is a clique (else clusters are undefined)."""
    parent = {i: i for i in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in copies:
        parent[find(a)] = find(b)
    comp = {i: find(i) for i in ids}
    size = defaultdict(int)
    for c in comp.values():
        size[c] += 1
    need = sum(size[c] * (size[c] - 1) // 2 for c in size)
    return comp if need == len(set(copies)) else None


# -- building blocks ------------------------------------------------------------------------------

class Source:
    """A scenario's supply of real articles (each used once) and of fresh sentences."""

    def __init__(self, arts: list[tuple[str, str, list[str]]], rng: random.Random) -> None:
        self.rng = rng
        self.pool = list(arts)
        rng.shuffle(self.pool)
        self.sentences: list[str] = []

    def article(self, fits: Callable[[list[str]], bool] = lambda ps: True) -> tuple[str, str, list[str]]:
        for n, art in enumerate(self.pool):
            if fits(art[2]):
                return self.pool.pop(n)
        raise SystemExit("the BBC set ran out of articles for this scenario")

    def sentence(self, lo: int = 6, hi: int = 60) -> str:
        """A sentence of another article (no quotation marks), never used twice."""
        while True:
            if not self.sentences:
                _, _, paras = self.article()
                self.sentences = [s for p in paras for s in SENTENCE_END.split(p)]
                self.rng.shuffle(self.sentences)
            s = self.sentences.pop().replace('"', "")
            if lo <= len(s.split()) <= hi:
                return s

    def paragraphs(self) -> list[Para]:
        """The body of a fresh article, as new text for updates and entries."""
        src, _, paras = self.article()
        return [Para(p, (src, i)) for i, p in enumerate(paras)]

    def new_id(self, prefix: str) -> str:
        """An id that says nothing about which page came first."""
        return f"{prefix}-{self.rng.getrandbits(40):010x}"


def body_of(art: tuple[str, str, list[str]]) -> list[Para]:
    src, _, paras = art
    return [Para(p, (src, i)) for i, p in enumerate(paras)]


def templated(site: str, templates: dict[str, tuple[list[str], list[str]]], paras: list[Para]) -> list[Para]:
    """The article inside its site's header and footer."""
    header, footer = templates[site]
    return [Para(t, None, "chrome") for t in header] + paras + [Para(t, None, "chrome") for t in footer]


def templates_for(rng: random.Random) -> dict[str, tuple[list[str], list[str]]]:
    return {s: site_template(s, rng) for s in SITE_NAMES}


def republish(page: Page, src: Source, templates: dict, site: str, later: float, **kw) -> Page:
    """A copy of `page` on another site: the body in that site's template, published later."""
    body = [p for p in page.paras if p.kind != "chrome"]
    return Page(src.new_id("p"), templated(site, templates, body), page.story, page.hours + later, site,
                page.title, **kw)


def other_sites(rng: random.Random, k: int, but: str | None = None) -> list[str]:
    return rng.sample([s for s in SITE_NAMES if s != but], k)


def with_copies(pages: list[Page], src: Source, templates: dict, share: float) -> list[Page]:
    """Some pages get one republished copy (so that scenarios of non-reuse also hold true copies)."""
    out = list(pages)
    for p in pages:
        if src.rng.random() < share:
            site = other_sites(src.rng, 1, p.site)[0]
            out.append(republish(p, src, templates, site, src.rng.uniform(1, 48),
                                 dated=p.dated and src.rng.random() < 0.5, cluster=p.cluster))
    return out


# -- the scenarios --------------------------------------------------------------------------------

def write_thru_chains(src: Source, n: int = 30) -> list[Page]:
    """Versions of a wire story: each keeps 60-90% of the previous one's paragraphs, prepends a new
    lead, inserts, drops and edits; a background paragraph runs through all; each version is
    published on one to three sites."""
    rng, templates, pages = src.rng, templates_for(src.rng), []
    for c in range(n):
        art = src.article(lambda ps: len(ps) >= 8 and any(len(p.split()) >= 40 for p in ps[2:]))
        story, title = f"chain{c}", art[1]
        version = body_of(art)
        background = next(p for p in version[2:] if p.words >= 40)
        new_text = src.paragraphs() + src.paragraphs()
        hours = rng.uniform(0, 24 * 300)
        for v in range(rng.randint(3, 6)):
            if v:
                version = _update(version, background, new_text, src, (story, v))
                hours += rng.uniform(1, 8)
            vtitle = title if v == 0 else f"UPDATE {v + 1}-{title}"
            sites = rng.sample(SITE_NAMES, rng.choice([1, 1, 2, 2, 3]))
            for k, site in enumerate(sites):
                pages.append(Page(src.new_id("w"), templated(site, templates, list(version)), story,
                                  hours + (rng.uniform(0.2, 3) if k else 0), site, vtitle,
                                  dated=rng.random() < 0.7))
    return pages


def _update(prev: list[Para], background: Para, new_text: list[Para], src: Source, tag: tuple) -> list[Para]:
    """The next write-thru: keep 60-90% of `prev`, a new lead and new paragraphs, an edited sentence."""
    rng = src.rng
    keep = rng.uniform(0.6, 0.9)
    droppable = [i for i, p in enumerate(prev) if p != background]
    n_drop = min(max(1, round(len(prev) * (1 - keep))), len(droppable) - 2)
    drop = set(rng.sample(droppable, n_drop))
    out = [p for i, p in enumerate(prev) if i not in drop]
    adds = [new_text.pop() for _ in range(min(len(new_text), n_drop + rng.randint(0, 1)))]
    if adds:
        out.insert(0, adds[0])  # the new lead
        for p in adds[1:]:
            out.insert(rng.randrange(1, len(out) + 1), p)
    for _ in range(rng.randint(1, 2)):  # an edited sentence: nearly the same paragraph if it has 3+
        i = rng.randrange(len(out))
        if out[i] == background:
            continue
        sents = SENTENCE_END.split(out[i].text)
        sents[rng.randrange(len(sents))] = src.sentence()
        key = out[i].key if len(sents) >= 3 else (*tag, "edited", i)
        out[i] = Para(" ".join(sents), key)
    return out


def live_blogs(src: Source, n: int = 25) -> list[Page]:
    """"The Latest: ..." pages: timestamped entries, newest first, a rolling window of 6-10 entries;
    every snapshot is republished by one to three sites."""
    rng, templates, pages = src.rng, templates_for(src.rng), []
    for b in range(n):
        _, title, _ = art = src.article()
        entries_text = body_of(art)
        while len(entries_text) < 30:
            entries_text += src.paragraphs()
        story = f"latest{b}"
        window = rng.randint(6, 10)
        hours = rng.uniform(0, 24 * 300)
        entries: list[Para] = []
        clock = rng.randint(6, 11) * 60
        for s in range(rng.randint(3, 6)):
            for _ in range(rng.randint(3, 5) if s == 0 else rng.randint(2, 4)):
                p = entries_text.pop(0)
                clock += rng.randint(10, 50)
                stamp = f"{(clock // 60 - 1) % 12 + 1}:{clock % 60:02d} {'a.m.' if clock < 720 else 'p.m.'}"
                entries.append(Para(f"{stamp}\n{p.text}", p.key))
            hours += rng.uniform(0.5, 2)
            shown = [Para(f"The Latest on {title} (all times local):", None, "chrome")]
            shown += list(reversed(entries[-window:]))
            for k, site in enumerate(rng.sample(SITE_NAMES, rng.randint(1, 3))):
                pages.append(Page(src.new_id("l"), templated(site, templates, shown), story,
                                  hours + (rng.uniform(0.1, 1) if k else 0), site, f"The Latest: {title}",
                                  dated=rng.random() < 0.5))
    return pages


def _short(paras: list[str]) -> bool:
    return 5 <= len(paras) <= 9


def two_story_pages(src: Source, n: int = 35) -> list[Page]:
    """An aggregator page carrying most of two unrelated short stories (more of the first); each
    story also stands alone on its own site, some republished. The page is a copy of each; the two
    stories are not related; the page sits in the cluster of the story it holds most of."""
    rng, templates, pages = src.rng, templates_for(src.rng), []
    made = 0
    while made < n:
        a, b = src.article(_short), src.article(_short)
        if a[0].split("/")[0] == b[0].split("/")[0]:
            continue  # two stories from one section might be related: take another pair
        pa, pb = body_of(a), body_of(b)
        na = max(-(-3 * len(pa) // 4), len(pa) - rng.randint(0, 1))
        # Leading paragraphs of the second story up to 55-70% of its words (not of its paragraphs:
        # a story's first paragraphs are its shortest, and three one-line leads are not most of it).
        upto = list(itertools.accumulate(p.words for p in pb))
        nb = next(k + 1 for k, w in enumerate(upto) if w >= rng.randint(55, 70) / 100 * upto[-1])
        if nb / len(pb) >= na / len(pa) or sum(p.words for p in pb[:nb]) >= sum(p.words for p in pa[:na]):
            continue  # the page must hold more of its first story, by share and by words
        story = f"two{made}"
        t = rng.uniform(0, 24 * 300)
        members: list[Page] = []
        for art, body, cl in ((a, pa, f"{story}a"), (b, pb, f"{story}b")):
            site = rng.choice(SITE_NAMES[:8])
            p = Page(src.new_id("s"), templated(site, templates, body), story, t + rng.uniform(0, 6), site,
                     art[1], dated=rng.random() < 0.5, cluster=cl)
            members += with_copies([p], src, templates, 0.5)
        agg = rng.choice(SITE_NAMES[8:])
        paras = pa[:na] + [Para(f"More news: {b[1]}", None, "chrome")] + pb[:nb]
        members.append(Page(src.new_id("s"), templated(agg, templates, paras), story,
                            max(m.hours for m in members) + rng.uniform(1, 6), agg,
                            f"{a[1]} / {b[1]}", cluster=f"{story}a"))
        pages += members
        made += 1
    return pages


USERS = ["jsmith", "reader42", "anna_k", "truthseeker", "old_hand", "mike_t", "LondonLass", "k.wright"]


def chrome_and_comments(src: Source, n: int = 60, negatives: int = 30) -> list[Page]:
    """An undated origin and one to three copies wrapped in a site's chrome (menus, share prompts,
    "Advertisement" between paragraphs, related links, a reader-comment section); unrelated articles
    in the same chrome."""
    rng, templates, pages = src.rng, templates_for(src.rng), []
    for f in range(n + negatives):
        art = src.article()
        body = body_of(art)
        story = f"chrome{f}"
        if f >= n:
            site = SITE_NAMES[f % 4]
            pages.append(Page(src.new_id("c"), _in_chrome(body, site, templates, src), story, 0, site, art[1]))
            continue
        hours = rng.uniform(0, 24 * 300)
        pages.append(Page(src.new_id("c"), body, story, hours, "worldwire.example", art[1]))
        for site in other_sites(rng, rng.randint(1, 3), "worldwire.example"):
            pages.append(Page(src.new_id("c"), _in_chrome(body, site, templates, src), story,
                              hours + rng.uniform(1, 48), site, art[1]))
    return pages


def _in_chrome(body: list[Para], site: str, templates: dict, src: Source) -> list[Para]:
    rng = src.rng
    paras = list(body)
    for _ in range(rng.randint(1, 3)):
        paras.insert(rng.randrange(1, len(paras)), Para("Advertisement", None, "chrome"))
    related = [f"Related: {src.sentence(5, 12).rstrip('.')}" for _ in range(rng.randint(2, 4))]
    paras.insert(rng.randrange(2, len(paras)), Para("\n".join(related), None, "chrome"))
    comments = [Para(f"{rng.randint(3, 250)} Comments", None, "chrome")]
    for _ in range(rng.randint(3, 6)):
        said = " ".join(src.sentence() for _ in range(rng.randint(1, 3)))
        comments.append(Para(f"{rng.choice(USERS)} · {rng.randint(1, 23)} hours ago\n{said}\nReply · Like",
                             None, "chrome"))
    return templated(site, templates, paras) + comments


def restyled(src: Source, n: int = 60, negatives: int = 20) -> list[Page]:
    """An undated origin and one to three restyled copies: a new headline, curly quotes, hard
    line-wraps at 72 columns and 1-3 typos per 100 words."""
    rng, pages = src.rng, []
    for f in range(n + negatives):
        art = src.article()
        body = body_of(art)
        story = f"restyled{f}"
        hours = rng.uniform(0, 24 * 300)
        pages.append(Page(src.new_id("r"), body, story, hours, rng.choice(SITE_NAMES), art[1]))
        if f >= n:
            continue
        for site in other_sites(rng, rng.randint(1, 3), pages[-1].site):
            rate = rng.uniform(0.01, 0.03)
            paras = [Para(_typos(_curly(p.text), rate, rng), p.key) for p in body]
            headline = f"{src.sentence(5, 12).rstrip('.')}: {art[1].lower()}"
            pages.append(Page(src.new_id("r"), paras, story, hours + rng.uniform(1, 48), site, headline,
                              wrap=True))
    return pages


def _curly(text: str) -> str:
    out, opening = [], True
    for ch in text:
        if ch == '"':
            out.append("\u201c" if opening else "\u201d")
            opening = not opening
        else:
            out.append("\u2019" if ch == "'" else ch)
    return "".join(out)


def _typos(text: str, rate: float, rng: random.Random) -> str:
    words = text.split(" ")
    for i, w in enumerate(words):
        if len(w) >= 4 and w.isalpha() and rng.random() < rate:
            j = rng.randrange(1, len(w) - 2)
            kind = rng.randrange(3)
            if kind == 0:
                words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
            elif kind == 1:
                words[i] = w[:j] + w[j + 1:]
            else:
                words[i] = w[:j] + w[j] + w[j:]
    return " ".join(words)


def html_years(src: Source, n: int = 50) -> list[Page]:
    """HTML pages (an origin and one to three copies) whose body mentions a year ("In 1998, ...");
    the publication date sits in the page's metadata for some members only: the origin alone, one
    copy alone (the only dated member), all, or none."""
    rng, pages = src.rng, []
    for f in range(n):
        art = src.article()
        body = body_of(art)
        year = rng.randint(1990, 2003)
        s = src.sentence(10, 30)
        body.insert(rng.randint(1, 3), Para(f"In {year}, {s[0].lower()}{s[1:]}", (art[0], "year")))
        story = f"html{f}"
        hours = rng.uniform(0, 24 * 300)
        sites = rng.sample(SITE_NAMES, rng.randint(2, 4))
        members = [Page(src.new_id("h"), list(body), story, hours + (rng.uniform(1, 48) if k else 0), site,
                        art[1], html=True) for k, site in enumerate(sites)]
        mode = rng.choice(["origin", "one copy", "all", "none"])
        for k, m in enumerate(members):
            m.dated = mode == "all" or (mode == "origin" and k == 0) or (mode == "one copy" and k == 1)
        pages += members
    return pages


def shared_quotations(src: Source, n: int = 30) -> list[Page]:
    """Groups of three to five different articles quoting one 40-80 word statement in quotation
    marks, with their own attributions; some articles republished."""
    rng, templates, pages = src.rng, templates_for(src.rng), []
    speakers = ["a government spokesman", "the chief executive", "Mr Brown", "the union's leader",
                "a company spokeswoman", "the minister", "the coach"]
    for g in range(n):
        words: list[str] = []
        while len(words) < 40:
            words += src.sentence(8, 30).split()
        statement = " ".join(words[:80]).rstrip(".")
        group = []
        for _ in range(rng.randint(3, 5)):
            art = src.article()
            body = body_of(art)
            who = rng.choice(speakers)
            said = rng.choice([f"{who} said.", f"said {who}.", f"{who} said in a statement."])
            body.insert(rng.randint(1, 3), Para(f"\"{statement},\" {said}", None, "quote"))
            site = rng.choice(SITE_NAMES)
            group.append(Page(src.new_id("q"), templated(site, templates, body), f"quote{g}-{art[0]}",
                              rng.uniform(0, 24 * 300), site, art[1], dated=rng.random() < 0.5))
        pages += with_copies(group, src, templates, 0.4)
    return pages


TEAMS = ["Arsenal", "Chelsea", "Everton", "Fulham", "Liverpool", "Bolton", "Charlton", "Newcastle",
         "Portsmouth", "Southampton", "Tottenham", "Aston Villa", "Birmingham", "Blackburn", "Norwich",
         "Middlesbrough", "Man Utd", "Man City", "West Brom", "Crystal Palace"]
SURNAMES = ["Thomas", "Jones", "Williams", "Evans", "Davies", "Roberts", "Hughes", "Morgan", "Shanklin",
            "Henson", "Peel", "Jenkins", "Owen", "Charvis", "Sidoli", "Luscombe", "Cockbain", "Yapp",
            "Sweeney", "Byrne", "Robinson", "Lewsey", "Cohen", "Tindall", "Greenwood", "Corry"]


def _table(rng: random.Random) -> str:
    """A block of short lines: a team sheet, a league table or a list of results."""
    kind = rng.randrange(3)
    if kind == 0:
        nums = range(1, rng.randint(13, 16))
        lines = [f"{i} {rng.choice('ABCDGHJMRST')} {rng.choice(SURNAMES)}" for i in nums]
        return f"{rng.choice(['Wales', 'England', 'Ireland', 'Scotland'])}:\n" + "\n".join(lines)
    if kind == 1:
        teams = rng.sample(TEAMS, rng.randint(8, 12))
        return "\n".join(f"{i}. {t} P{24} W{rng.randint(5, 19)} D{rng.randint(1, 8)} L{rng.randint(1, 12)} "
                         f"Pts{rng.randint(20, 60)}" for i, t in enumerate(teams, 1))
    teams = rng.sample(TEAMS, rng.randint(16, 20))
    return "\n".join(f"{a} {rng.randint(0, 4)}-{rng.randint(0, 4)} {b}" for a, b in zip(teams[::2], teams[1::2]))


def shared_tables(src: Source, n: int = 30) -> list[Page]:
    """Groups of three to five different articles carrying one block of short lines (a team sheet,
    a league table, results); some articles republished."""
    rng, templates, pages = src.rng, templates_for(src.rng), []
    for g in range(n):
        block = _table(rng)
        group = []
        for _ in range(rng.randint(3, 5)):
            art = src.article()
            body = body_of(art)
            body.insert(rng.randint(2, len(body)), Para(block, None, "table"))
            site = rng.choice(SITE_NAMES)
            group.append(Page(src.new_id("t"), templated(site, templates, body), f"table{g}-{art[0]}",
                              rng.uniform(0, 24 * 300), site, art[1], dated=rng.random() < 0.5))
        pages += with_copies(group, src, templates, 0.4)
    return pages


def shared_sentence(src: Source, n: int = 40) -> list[Page]:
    """Groups of two to three different articles sharing exactly one sentence of 15-30 words inside
    one of their own paragraphs; some articles republished."""
    rng, templates, pages = src.rng, templates_for(src.rng), []
    for g in range(n):
        sentence = src.sentence(15, 30)
        group = []
        for _ in range(rng.randint(2, 3)):
            art = src.article()
            body = body_of(art)
            i = rng.randrange(1, len(body))
            body[i] = Para(f"{body[i].text} {sentence}", body[i].key)  # still the article's own paragraph
            site = rng.choice(SITE_NAMES)
            group.append(Page(src.new_id("o"), templated(site, templates, body), f"sentence{g}-{art[0]}",
                              rng.uniform(0, 24 * 300), site, art[1], dated=rng.random() < 0.5))
        pages += with_copies(group, src, templates, 0.4)
    return pages


TRUTH_RULE = ("copy: half the shorter's body text (prose paragraphs, in words) shared; partial: a run of "
              "shared body paragraphs of 40 words of prose outside quotation marks")
GENERATED: list[tuple[str, Callable[[Source], list[Page]], str]] = [
    ("write-thru chains", write_thru_chains, "chain versions: " + TRUTH_RULE),
    ("live blogs", live_blogs, "snapshots: " + TRUTH_RULE + " (entries are paragraphs)"),
    ("two-story pages", two_story_pages, "page copy of each story, stories unrelated; cluster: the story held most"),
    ("chrome + comments", chrome_and_comments, "copies of the origin; chrome and comments are not body"),
    ("restyled copies", restyled, "copies of the origin (typos, quotes, wraps keep a paragraph the same)"),
    ("HTML, years in body", html_years, "copies of the origin; dates only in some pages' metadata"),
    ("shared quotations", shared_quotations, "a quoted statement is not body: none, except true copies"),
    ("shared tables", shared_tables, "a block of short lines is not body: none, except true copies"),
    ("one shared sentence", shared_sentence, "one sentence in own paragraphs: none, except true copies"),
]


def generated(arts: list[tuple[str, str, list[str]]], seed: int) -> Iterator[Scenario]:
    """Every generated scenario, each from its own seeded draw of the BBC articles."""
    for n, (name, build, how) in enumerate(GENERATED):
        src = Source(arts, random.Random(seed * 1000 + n))
        pages = build(src)
        yield Scenario(name, [p.record() for p in pages], truth_of(pages), how)



# -- copies through noise: OCR'd newspapers and lightly reworded republications -------------------

#: OCR confusions (what a character or pair is misread as), the common ones of historic newspaper
#: OCR: rn/m, l/1/I, e/c, u/n, h/b, cl/d, o/0, s/5 and their reverse.
OCR_CONFUSIONS = {
    "rn": ["m"], "m": ["rn"], "l": ["1", "I", "i"], "I": ["l", "1"], "i": ["l", "1"], "e": ["c", "o"],
    "c": ["e"], "u": ["n", "ii"], "n": ["u", "ri"], "h": ["b", "li"], "b": ["h"], "cl": ["d"], "d": ["cl"],
    "o": ["0", "c"], "O": ["0"], "s": ["5"], "S": ["5"], "a": ["o", "n"], "t": ["f", "l"], "f": ["t"],
    "w": ["vv"], "y": ["v"], "v": ["y"], "g": ["q"],
}
RUNNING_HEADS = ["THE {name} GAZETTE, {day}, {month} {d}, 18{y}.", "{name} EVENING NEWS. PAGE {p}",
                 "{p} THE {name} WEEKLY HERALD"]
DAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"]
MONTHS = ["JANUARY", "MARCH", "APRIL", "JUNE", "AUGUST", "OCTOBER", "NOVEMBER"]
OCR_RATES = (0.02, 0.05, 0.10)
REWORD_RATES = (0.05, 0.10, 0.20)


def _misread(word: str, rng: random.Random) -> str:
    """One character error in a word: an OCR confusion where one fits, else a dropped, doubled or
    wrong letter, or stray punctuation."""
    spots = [(i, c) for i in range(len(word)) for c in (word[i:i + 2], word[i]) if c in OCR_CONFUSIONS]
    if spots and rng.random() < 0.75:
        i, c = rng.choice(spots)
        return word[:i] + rng.choice(OCR_CONFUSIONS[c]) + word[i + len(c):]
    i = rng.randrange(len(word))
    kind = rng.randrange(4)
    if kind == 0 and len(word) > 2:
        return word[:i] + word[i + 1:]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    if kind == 2:
        return word[:i] + rng.choice("aeinorst") + word[i + 1:]
    return word[:i] + rng.choice(",.'") + word[i:]


def ocr_words(text: str, rate: float, rng: random.Random) -> str:
    """`text` with `rate` of its words damaged as OCR damages them: one or two character errors
    (`_misread`) in most, a word split in two or merged with the next in the rest."""
    words = text.split()
    out: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        if rng.random() >= rate:
            out.append(w)
        else:
            kind = rng.random()
            if kind < 0.12 and len(w) >= 4:
                j = rng.randrange(1, len(w) - 1)
                out += [w[:j], w[j:]]
            elif kind < 0.24 and i + 1 < len(words):
                out.append(w + words[i + 1])
                i += 1
            else:
                w = _misread(w, rng)
                out.append(_misread(w, rng) if rng.random() < 0.25 else w)
        i += 1
    return " ".join(out)


def column_lines(text: str, rng: random.Random, width: int = 38) -> list[str]:
    """A paragraph set in a narrow newspaper column: lines of about `width` characters, a word that
    runs over the edge hyphenated across the line end half the time."""
    lines, line = [], ""
    for w in text.split():
        if line and len(line) + 1 + len(w) > width:
            room = width - len(line) - 2
            if len(w) >= 6 and room >= 2 and w.isalpha() and rng.random() < 0.5:
                cut = min(room, len(w) - 3)
                lines.append(f"{line} {w[:cut]}-")
                line = w[cut:]
                continue
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    lines.append(line)
    return lines


def ocr_page_paras(body: list[Para], rate: float, rng: random.Random, foreign: list[str],
                   site: str) -> list[Para]:
    """A page as an OCR'd newspaper gives it: words damaged at `rate`, set in a hyphenated narrow
    column, a running head every 40 lines or so (between paragraphs or inside one), and in half the pages a few lines of the
    neighbouring column (`foreign`) read into the middle of a paragraph."""
    name = site.split(".")[0].upper()
    paras: list[Para] = []
    since_head = rng.randrange(10, 40)
    interleave = rng.random() < 0.5
    at = rng.randrange(1, max(2, len(body) - 1))
    for n, p in enumerate(body):
        lines = column_lines(ocr_words(p.text, rate, rng), rng)
        if interleave and n == at and len(lines) >= 3 and foreign:
            cut = rng.randrange(1, len(lines))
            start = rng.randrange(max(1, len(foreign) - 4))
            lines[cut:cut] = foreign[start:start + rng.randint(2, 4)]
        since_head += len(lines)
        if since_head >= 40:
            head = rng.choice(RUNNING_HEADS).format(name=name, day=rng.choice(DAYS), month=rng.choice(MONTHS),
                                                    d=rng.randint(1, 28), y=rng.randint(50, 99),
                                                    p=rng.randint(2, 12))
            since_head = 0
            # a new page: its head falls between two paragraphs, or (as often) inside one
            cuts = [i for i in range(2, len(lines) - 1) if not lines[i - 1].endswith("-")]
            if cuts and rng.random() < 0.5:
                lines.insert(rng.choice(cuts), head)
            else:
                paras.append(Para(head, None, "chrome"))
        paras.append(Para("\n".join(lines), p.key))
    return paras


def nearest_same_topic(art: tuple[str, str, list[str]], src: Source, look: int = 150) -> tuple[str, str, list[str]]:
    """The article of the same BBC section sharing most word pairs with `art` among the next `look`
    of the pool: a different article on the same subject (the hardest negative the set holds)."""
    section = art[0].split("/")[0]

    def pairs(paras: list[str]) -> set[tuple[str, str]]:
        toks = " ".join(paras).lower().split()
        return set(zip(toks, toks[1:]))

    mine = pairs(art[2])
    best, best_score = None, -1.0
    seen = 0
    for n, other in enumerate(src.pool):
        if other[0].split("/")[0] != section:
            continue
        theirs = pairs(other[2])
        score = len(mine & theirs) / max(1, len(mine | theirs))
        if score > best_score:
            best, best_score = n, score
        seen += 1
        if seen >= look:
            break
    if best is None:
        return src.article()
    return src.pool.pop(best)


def ocr_copies(rate: float) -> Callable[[Source], list[Page]]:
    """Clean origins and one to three OCR'd versions of each (damaged independently at `rate`),
    and negatives: the nearest same-topic article of an origin, OCR'd, next to that origin."""

    def build(src: Source, n: int = 50, negatives: int = 25) -> list[Page]:
        rng, pages = src.rng, []
        for f in range(n + negatives):
            art = src.article()
            body = body_of(art)
            story = f"ocr{f}"
            hours = rng.uniform(0, 24 * 300)
            pages.append(Page(src.new_id("c"), body, story, hours, rng.choice(SITE_NAMES), art[1]))
            foreign = column_lines(" ".join(src.article()[2][:3]), rng)
            if f >= n:
                other = nearest_same_topic(art, src)
                site = rng.choice(SITE_NAMES)
                pages.append(Page(src.new_id("c"), ocr_page_paras(body_of(other), rate, rng, foreign, site),
                                  f"ocr-other{f}", hours + rng.uniform(1, 48), site, other[1]))
                continue
            for site in other_sites(rng, rng.randint(1, 3), pages[-1].site):
                pages.append(Page(src.new_id("c"), ocr_page_paras(body, rate, rng, foreign, site), story,
                                  hours + rng.uniform(1, 48), site, art[1].upper()))
        return pages

    return build


#: Words never swapped for a synonym (function words: rewording changes content words).
STOPWORDS = frozenset(
    "a about after all also an and any are as at be been but by can could did do for from had has have he "
    "her his i if in into is it its last more most mr mrs ms new no not of on one or other our out over said "
    "says she so some than that the their them then there these they this those to two up was we were what "
    "when which who will with would year years you".split())


def reword(text: str, rate: float, rng: random.Random, synonyms: Callable[[str], str]) -> str:
    """`text` lightly reworded: `rate` of its content words swapped (`synonyms`), and a sentence in
    five with its two clauses around a comma swapped ("A, b." -> "B, a.")."""
    out = []
    for sentence in SENTENCE_END.split(text):
        words = sentence.split(" ")
        for i, w in enumerate(words):
            core = w.strip(".,;:!?\"'()")
            if len(core) >= 3 and core.isalpha() and core.lower() not in STOPWORDS and rng.random() < rate:
                new = synonyms(core.lower())
                new = new.capitalize() if core[0].isupper() else new
                words[i] = w.replace(core, new, 1)
        sentence = " ".join(words)
        head, sep, tail = sentence.partition(", ")
        if sep and tail and len(head.split()) >= 3 and len(tail.split()) >= 3 and rng.random() < 0.2:
            end = tail[-1] if tail[-1] in ".!?" else ""
            tail = tail[:-1] if end else tail
            sentence = f"{tail[0].upper()}{tail[1:]}, {head[0].lower()}{head[1:]}{end}"
        out.append(sentence)
    return " ".join(out)


def reworded_copies(rate: float) -> Callable[[Source], list[Page]]:
    """Origins and one or two lightly reworded republications of each (`reword` at `rate`, on
    another site, a new headline); negatives: the nearest same-topic article, reworded likewise.
    Synonyms are other content words of the BBC set of about the same length, drawn by the seed:
    to shingles and alignment a synonym is a different word, whichever word it is."""

    def build(src: Source, n: int = 50, negatives: int = 25) -> list[Page]:
        rng, templates, pages = src.rng, templates_for(src.rng), []
        vocab: dict[int, list[str]] = defaultdict(list)
        for _, _, paras in src.pool[-300:]:
            for w in " ".join(paras).lower().split():
                if w.isalpha() and w not in STOPWORDS and len(w) >= 3:
                    vocab[min(len(w), 10)].append(w)

        def synonyms(w: str) -> str:
            choices = vocab[min(len(w), 10)] or [w]
            return rng.choice(choices)

        for f in range(n + negatives):
            art = src.article()
            body = body_of(art)
            story = f"reword{f}"
            hours = rng.uniform(0, 24 * 300)
            site0 = rng.choice(SITE_NAMES)
            pages.append(Page(src.new_id("v"), templated(site0, templates, body), story, hours, site0, art[1]))
            if f >= n:
                other = nearest_same_topic(art, src)
                paras = [Para(reword(p.text, rate, rng, synonyms), p.key) for p in body_of(other)]
                site = other_sites(rng, 1, site0)[0]
                pages.append(Page(src.new_id("v"), templated(site, templates, paras), f"reword-other{f}",
                                  hours + rng.uniform(1, 48), site, other[1]))
                continue
            for site in other_sites(rng, rng.randint(1, 2), site0):
                paras = [Para(reword(p.text, rate, rng, synonyms), p.key) for p in body]
                headline = f"{src.sentence(5, 12).rstrip('.')}: {art[1].lower()}"
                pages.append(Page(src.new_id("v"), templated(site, templates, paras), story,
                                  hours + rng.uniform(1, 48), site, headline))
        return pages

    return build


#: The noise scenarios, one per rate (appended to `GENERATED`, named "OCR 5%", "reworded 10%", ...).
NOISE: list[tuple[str, Callable[[Source], list[Page]], str]] = [
    *[(f"OCR {round(r * 100)}%", ocr_copies(r),
       f"OCR'd versions ({round(r * 100)}% of words damaged, split/merged, hyphenated columns, running "
       "heads, a neighbouring column read in) of the origin; the nearest same-topic article OCR'd: none")
      for r in OCR_RATES],
    *[(f"reworded {round(r * 100)}%", reworded_copies(r),
       f"republications with {round(r * 100)}% of content words swapped and a clause in five reordered: "
       "copies of the origin; the nearest same-topic article reworded: none") for r in REWORD_RATES],
]
GENERATED += NOISE

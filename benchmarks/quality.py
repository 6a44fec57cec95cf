"""Quality benchmark: the labelled real development set, then seeded scenarios of real news
phenomena planted in real BBC text, each scanned and scored on its own.

First, real text: the labelled development set (../shared/data/asprout-dev, 68 real scraped pages;
`asprout_dev_labels.csv` here holds the 181 pairs sharing 5% or more of their 5-word shingles,
labelled copy / partial / different by two readers, a third deciding disagreements; the two pairs of
the census page 2313, whose id the spotify file uses too, by one reader after the first reading
was shown the wrong page). Every other
pair shares next to nothing and counts as different. Scored per relation, and for clusters: the
labelled pairs that share a cluster although they are not copies (chaining).

Then the scenarios, built from ../shared/data/bbc-news (never copied into the repo) by
`scenarios.py`, which says how each one's truth is decided: write-thru chains, live blogs, pages
carrying two stories, copies in site chrome with reader comments, restyled copies, HTML pages with
years in their body and dates in some pages only, shared quotations, shared tables, one shared
sentence, and the families corpus (below). One row per scenario: copy (duplicates count as copies)
and partial precision, recall and F1; pairs in one cluster sharing under 10% of their shingles and
pairs in one cluster that are not copies; origins right over the clusters whose first-published
member the truth knows; the adjusted Rand index of the clusters where truth clusters are defined;
and, once scan gives a `story_id`, its adjusted Rand index and purity against the truth stories.
Only the families corpus is a gate (FLOORS per relation, no pair between negatives: exit 1);
the other figures are measurements.

The families corpus:
- families: an origin and 1-5 republications, each with realistic edits (duplicate: whitespace,
  case, quotes and punctuation only; copy: trimmed tail or head, dropped and moved paragraphs,
  substituted sentences, a new headline, hard line-wraps, an editor's note, a comment section,
  and the republishing site's boilerplate around it);
- partials: blog posts of their own text quoting two or three consecutive paragraphs of an origin;
- negatives: unrelated articles of the same site, wrapped in the same boilerplate, and unrelated
  articles sharing the same quoted statement.

    python benchmarks/quality.py [--families 300] [--seed 7] [--data ../shared/data/bbc-news]
                                 [--show-errors N]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import random
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from math import comb
from pathlib import Path

import pandas as pd
from machine import machine_line
from scenarios import SENTENCE_END, SITE_NAMES, Scenario, Truth, generated, load_bbc, site_template, wrap_lines

import syndup

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "bbc-news"
DEV_DATA = HERE.parent.parent / "shared" / "data" / "asprout-dev"
DEV_LABELS = HERE / "asprout_dev_labels.csv"
DEV_FILES = ("census_articles.csv", "spotify_articles.csv")

TEMPLATE = ("template",)  # provenance of site boilerplate paragraphs: never evidence
FLOORS = {"duplicate": 0.98, "copy": 0.98, "partial": 0.90}


@dataclass
class Doc:
    id: str
    paras: list[str]
    units: list  # per paragraph: TEMPLATE, None (new text) or [(sentence key or None, words), ...]
    site: str
    published: str | None
    family: str | None
    kind: str
    title: str | None = None
    wrap: bool = False
    meta: dict = field(default_factory=dict)

    def text(self) -> str:
        paras = self.paras
        if self.wrap:
            paras = [wrap_lines(p) for p in paras]
        return "\n\n".join(paras)


def sentence_units(src: str, i: int, para: str) -> list[tuple[tuple | None, int]]:
    """Provenance of a verbatim paragraph: one (key, words) per sentence."""
    return [((src, i, j), len(s.split())) for j, s in enumerate(SENTENCE_END.split(para))]


def perturb_surface(text: str, rng: random.Random) -> str:
    """Change whitespace, case, quotes and punctuation only (a duplicate stays a duplicate)."""
    t = text
    if rng.random() < 0.5:
        t = t.replace('"', "\u201c", 1).replace('"', "\u201d", 1)
    if rng.random() < 0.5:
        t = t.replace(" - ", " \u2014 ")
    if rng.random() < 0.3:
        t = t.upper() if rng.random() < 0.2 else t.replace(".", " .", 2)
    if rng.random() < 0.5:
        t = re.sub(r" ", "  ", t, count=3)
    return t


def make_corpus(arts, n_families: int, seed: int) -> tuple[list[Doc], dict]:
    rng = random.Random(seed)
    pool = list(arts)
    rng.shuffle(pool)
    need = n_families + n_families // 2 + n_families // 3 + 30 + 100
    if len(pool) < need:
        raise SystemExit(f"need {need} source articles, have {len(pool)}")
    origins, pool = pool[:n_families], pool[n_families:]
    blog_text, pool = pool[: n_families // 2], pool[n_families // 2:]
    negatives, pool = pool[: n_families // 3], pool[n_families // 3:]
    quote_negs, filler = pool[:30], pool[30:130]
    templates = {s: site_template(s, rng) for s in SITE_NAMES}
    fresh = [sent for _, _, ps in filler for p in ps for sent in SENTENCE_END.split(p) if len(sent.split()) >= 6]
    rng.shuffle(fresh)
    docs: list[Doc] = []
    day = pd.Timestamp("2005-01-01", tz="UTC")

    for f, (src, title, paras) in enumerate(origins):
        fam = f"f{f:04d}"
        units = [sentence_units(src, i, p) for i, p in enumerate(paras)]
        o_site = rng.choice(SITE_NAMES)
        o_date = day + pd.Timedelta(hours=rng.randrange(0, 24 * 300))
        dated = rng.random() < 0.7
        docs.append(Doc(f"{fam}-0", list(paras), list(units), o_site, o_date.isoformat() if dated else None,
                        fam, "origin", title))
        for c in range(1, rng.randint(2, 6)):
            site = rng.choice([s for s in SITE_NAMES if s != o_site])
            pub = (o_date + pd.Timedelta(hours=rng.randrange(1, 96))).isoformat() if dated else None
            if rng.random() < 0.25:
                p2 = [perturb_surface(p, rng) for p in paras]
                docs.append(Doc(f"{fam}-{c}", p2, list(units), site, pub, fam, "duplicate", title))
                continue
            p2, u2 = list(paras), list(units)
            edits = rng.sample(["trim_tail", "trim_head", "drop", "move", "substitute", "note",
                                "comments", "headline", "wrap"], k=rng.randint(2, 4))
            n = len(p2)
            if "trim_tail" in edits:
                k = rng.randint(1, max(1, n // 4))
                p2, u2 = p2[:-k], u2[:-k]
            if "trim_head" in edits and len(p2) > 6:
                p2, u2 = p2[1:], u2[1:]
            if "drop" in edits and len(p2) > 6:
                i = rng.randrange(1, len(p2) - 1)
                del p2[i], u2[i]
            if "move" in edits and len(p2) > 4:
                i, j = rng.sample(range(len(p2)), 2)
                p2.insert(j, p2.pop(i))
                u2.insert(j, u2.pop(i))
            if "substitute" in edits:
                for _ in range(rng.randint(1, 2)):
                    i = rng.randrange(len(p2))
                    sents = SENTENCE_END.split(p2[i])
                    if len(sents) != len(u2[i]):
                        continue
                    s = rng.randrange(len(sents))
                    sents[s] = fresh.pop()
                    p2[i] = " ".join(sents)
                    u2[i] = list(u2[i])
                    u2[i][s] = (None, len(sents[s].split()))
            if "note" in edits:
                note = f"Editor's note: this story was first published by {o_site} and is republished here."
                p2.append(note)
                u2.append(None)
            if "comments" in edits:
                commenters = ["jsmith", "reader42", "anna_k", "truthseeker"]
                com = ["Comments (3)"] + [f"{rng.choice(commenters)} wrote: {fresh.pop()}"
                                          for _ in range(3)]
                p2.extend(com)
                u2.extend([None] * len(com))
            kept = sum(n for u in u2 if isinstance(u, list) for key, n in u if key is not None)
            if kept < 0.65 * sum(len(p.split()) for p in paras):
                continue  # edited beyond recognition: not the kind of copy this family plants
            header, footer = templates[site]
            p2 = header + p2 + footer
            u2 = [TEMPLATE] * len(header) + u2 + [TEMPLATE] * len(footer)
            t2 = title
            if "headline" in edits:
                t2 = f"{title.split()[0]} {rng.choice(['shock', 'latest', 'update', 'row'])}: {title}"
            docs.append(Doc(f"{fam}-{c}", p2, u2, site, pub, fam, "copy", t2, wrap="wrap" in edits))

    # Partials: a blog post of its own text quoting 2-3 consecutive paragraphs of an origin.
    for b, (bsrc, btitle, bparas) in enumerate(blog_text):
        o = rng.choice(origins)
        src, _, paras = o
        k = rng.randint(2, 3)
        total = sum(len(p.split()) for p in paras)
        candidates = [i for i in range(1, len(paras) - k)
                      if 40 <= sum(len(p.split()) for p in paras[i:i + k]) <= 0.4 * total]
        if not candidates:
            continue
        i = rng.choice(candidates)
        excerpt_words = sum(len(p.split()) for p in paras[i:i + k])
        own = bparas[: rng.randint(4, 7)]
        while sum(len(p.split()) for p in own) < 1.5 * excerpt_words and len(own) < len(bparas):
            own = bparas[: len(own) + 1]
        if sum(len(p.split()) for p in own) < 1.5 * excerpt_words:
            continue
        cut = rng.randint(1, len(own) - 1)
        paras_b = own[:cut] + paras[i:i + k] + own[cut:]
        units_b = [sentence_units(bsrc, j, own[j]) for j in range(cut)] + \
                  [sentence_units(src, i + j, paras[i + j]) for j in range(k)] + \
                  [sentence_units(bsrc, j, own[j]) for j in range(cut, len(own))]
        site = rng.choice(SITE_NAMES)
        docs.append(Doc(f"blog{b:04d}", paras_b, units_b, site, None, None, "partial", btitle))

    # Same-site negatives: different stories, identical site boilerplate.
    for n_, (src, title, paras) in enumerate(negatives):
        site = SITE_NAMES[n_ % 3]
        header, footer = templates[site]
        units = [TEMPLATE] * len(header) + [sentence_units(src, i, p) for i, p in enumerate(paras)] + \
            [TEMPLATE] * len(footer)
        docs.append(Doc(f"neg{n_:04d}", header + list(paras) + footer, units, site, None, None, "negative", title))

    # Same quote, different stories: two independent reports quoting one statement.
    statement = ('"We will not accept any deal that leaves working families worse off, and we will '
                 'continue to press the government until it listens to the people who keep this '
                 'country running every single day," the union leader said in a statement.')
    for q, (src, title, paras) in enumerate(quote_negs):
        p2 = list(paras)
        p2.insert(2, statement)
        units = [sentence_units(src, i, p) for i, p in enumerate(paras)]
        units.insert(2, None)
        docs.append(Doc(f"quote{q:04d}", p2, units, rng.choice(SITE_NAMES), None, None, "negative", title))
    return docs, templates


def truth_relations(docs: list[Doc]) -> dict[tuple[str, str], str]:
    """Ground truth per pair, from provenance (what the generator copied where) and the issue's
    definitions: duplicate = same words; copy = at least half of the shorter body is shared;
    partial = 30+ shared words otherwise. Site boilerplate is never body."""
    from syndup.normalize import words

    shared_words, body = {}, {}
    for d in docs:
        shared_words[d.id] = {key: n for u in d.units if isinstance(u, list) for key, n in u
                              if key is not None}
        body[d.id] = sum(len(p.split()) for p, u in zip(d.paras, d.units) if u != TEMPLATE)
    by_unit = defaultdict(set)
    for d in docs:
        for u in shared_words[d.id]:
            by_unit[u].add(d.id)
    docs_by_id = {d.id: d for d in docs}
    word_seq = {}
    truth = {}
    pairs = set()
    for holders in by_unit.values():
        pairs.update(itertools.combinations(sorted(holders), 2))
    for a, b in pairs:
        da, db = docs_by_id[a], docs_by_id[b]
        shared = sum(shared_words[a][u] for u in set(shared_words[a]) & set(shared_words[b]))
        for d in (da, db):
            if d.id not in word_seq:
                word_seq[d.id] = words(d.text())
        if word_seq[a] == word_seq[b]:
            truth[(a, b)] = "duplicate"
        elif shared >= 0.5 * min(body[a], body[b]):
            truth[(a, b)] = "copy"
        elif shared >= 30:
            truth[(a, b)] = "partial"
    return truth


def adjusted_rand(labels_true: list, labels_pred: list) -> float:
    table = pd.crosstab(pd.Series(labels_true), pd.Series(labels_pred))
    sum_comb = sum(comb(int(v), 2) for v in table.values.ravel())
    a = sum(comb(int(v), 2) for v in table.sum(axis=1))
    b = sum(comb(int(v), 2) for v in table.sum(axis=0))
    n = comb(len(labels_true), 2)
    expected = a * b / n if n else 0.0
    maximum = (a + b) / 2
    return 1.0 if maximum == expected else (sum_comb - expected) / (maximum - expected)


def load_devset(folder: Path) -> list[dict[str, str]]:
    """The development set's pages as records: the outlet as site, paragraphs on their own lines.
    Ids are "file:id" (the two files share an id). `scrape_time` is when a page was fetched, not
    published: it is left out."""
    csv.field_size_limit(1 << 30)
    records = []
    for name in DEV_FILES:
        with open(folder / name, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                records.append({"id": f"{name.split('_')[0]}:{row['id']}", "site": row["publisher"],
                                "text": row["text"].replace(" ### ", "\n\n")})
    return records


def score_devset(folder: Path, show: int = 0) -> None:
    """Pairwise precision, recall and F1 on the labelled real pages (see the module docstring); with
    `show`, the pairs where syndup and the label disagree (`asprout_dev_audit.csv` holds readings)."""
    records = load_devset(folder)
    with open(DEV_LABELS, newline="", encoding="utf-8") as fh:
        labels = {tuple(sorted(f"{r['file'].split('_')[0]}:{r[k]}" for k in ("id_a", "id_b"))): r["label"]
                  for r in csv.DictReader(fh)}
    result = syndup.scan(records)
    found = {tuple(sorted((r.doc_a, r.doc_b))): ("copy" if r.relation == "duplicate" else r.relation)
             for r in result.pairs.itertuples()}
    print(f"labelled development set: {len(records)} real pages, {len(labels)} labelled pairs "
          f"({sum(v == 'copy' for v in labels.values())} copy, {sum(v == 'partial' for v in labels.values())} partial)")
    print(f"{'relation':<10} {'truth':>6} {'found':>6} {'precision':>9} {'recall':>7} {'F1':>6}")
    for rel, kinds in (("copy", {"copy"}), ("partial", {"partial"}), ("any reuse", {"copy", "partial"})):
        t = {p for p, r in labels.items() if r in kinds}
        f = {p for p, r in found.items() if r in kinds}
        tp = len(t & f)
        prec = tp / len(f) if f else 1.0
        rec = tp / len(t) if t else 1.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        print(f"{rel:<10} {len(t):>6} {len(f):>6} {prec:>9.4f} {rec:>7.4f} {f1:>6.4f}")
    cluster = dict(zip(result.documents["doc_id"], result.documents["cluster_id"]))
    chained = [p for p, r in labels.items() if r != "copy" and cluster[p[0]] == cluster[p[1]]]
    print(f"labelled non-copy pairs in one cluster (chaining): {len(chained)}")
    if show:
        passage = {tuple(sorted((r.doc_a, r.doc_b))): r.passage_words for r in result.pairs.itertuples()}
        rel = {p: "none" if r == "different" else r for p, r in labels.items()}
        wrong = [p for p in sorted(labels) if found.get(p, "none") != rel[p]]
        for p in wrong[:show]:
            print(f"   dev set: {p} label={rel[p]} found={found.get(p, 'none')} passage_words={passage.get(p, 0)}")
    print()


def families_scenario(arts, n_families: int, seed: int) -> tuple[Scenario, list[Doc]]:
    """The families corpus as a scenario: its own truth (`truth_relations`), duplicates as copies."""
    docs, _ = make_corpus(arts, n_families, seed)
    relations = {q: "copy" if r == "duplicate" else r for q, r in truth_relations(docs).items()}
    truth = Truth(relations, {d.id: d.family or d.id for d in docs},
                  {d.id: 1.0 if d.kind in ("duplicate", "copy") else 0.0 for d in docs},
                  {d.id: d.family or d.id for d in docs}, {d.id: body_text(d) for d in docs})
    records = [{"id": d.id, "text": d.text(), "site": d.site, "published": d.published, "title": d.title}
               for d in docs]
    how = "origin + copies by provenance: copy = half the shorter's body words, partial = 30+ words"
    return Scenario(f"families ({n_families})", records, truth, how), docs


def body_text(d: Doc) -> str:
    """A families document without its site's template (what pairs share, for the overlap figure)."""
    return "\n\n".join(p for p, u in zip(d.paras, d.units) if u != TEMPLATE)


def prf(truth: set, found: set) -> tuple[float | None, float | None, float | None]:
    """Precision, recall and F1; None where undefined (nothing found, nothing to find)."""
    tp = len(truth & found)
    p = tp / len(found) if found else None
    r = tp / len(truth) if truth else None
    f1 = 2 * tp / (len(truth) + len(found)) if truth or found else None
    return p, r, f1


def shingles(text: str) -> set[int]:
    """Word 5-gram shingles of the generated text (lower-cased words), independent of syndup."""
    toks = re.findall(r"\w+", text.lower())
    return {hash(tuple(toks[i:i + 5])) for i in range(max(1, len(toks) - 4))}


def clusters_of(result) -> dict[int, list[str]]:
    members = defaultdict(list)
    for doc, cid in zip(result.documents["doc_id"], result.documents["cluster_id"]):
        members[int(cid)].append(doc)
    return {c: m for c, m in members.items() if len(m) > 1}


def low_overlap_pairs(result, texts: dict[str, str]) -> int:
    """Pairs in one cluster whose shingle sets share under 10% of the smaller set (chaining)."""
    low = 0
    for members in clusters_of(result).values():
        sets = {m: shingles(texts[m]) for m in members}
        for a, b in itertools.combinations(members, 2):
            low += len(sets[a] & sets[b]) < 0.1 * min(len(sets[a]), len(sets[b]))
    return low


def clustered_non_copies(result, truth: Truth) -> int:
    """Pairs in one cluster that the truth calls partial or unrelated (what chaining does)."""
    return sum(truth.relations.get(tuple(sorted(q)), "none") != "copy"
               for members in clusters_of(result).values() for q in itertools.combinations(members, 2))


def origins_right(result, truth: Truth) -> tuple[int, int, int, int]:
    """Clusters whose origin is the truly first-published member, over the clusters where the truth
    knows it: all members of one truth story, one member strictly first; and the same over those
    of them where the evidence decides (an `origin_rule` other than `id`, the coin toss among
    members nothing tells apart)."""
    origin = dict(zip(result.clusters["cluster_id"].astype(int), result.clusters["origin_id"]))
    rule = dict(zip(result.clusters["cluster_id"].astype(int), result.clusters["origin_rule"]))
    right = total = right_decided = decided = 0
    for cid, members in clusters_of(result).items():
        if len({truth.story[m] for m in members}) > 1:
            continue
        first = sorted(members, key=truth.hours.__getitem__)
        if truth.hours[first[0]] == truth.hours[first[1]]:
            continue
        total += 1
        right += origin[cid] == first[0]
        if rule[cid] != "id":
            decided += 1
            right_decided += origin[cid] == first[0]
    return right, total, right_decided, decided


def stories(result, truth: Truth) -> tuple[float, float] | None:
    """Adjusted Rand index and purity of `story_id` against the truth stories (if scan has stories)."""
    docs = result.documents
    if "story_id" not in docs.columns:
        return None
    ids, pred = list(docs["doc_id"]), list(docs["story_id"])
    true = [truth.story[i] for i in ids]
    groups = defaultdict(list)
    for t, s in zip(true, pred):
        groups[s].append(t)
    purity = sum(max(map(g.count, set(g))) for g in groups.values()) / len(ids)
    return adjusted_rand(true, pred), purity


@dataclass(frozen=True)
class Figures:
    """One scenario's row."""

    name: str
    articles: int
    copy: tuple[int, int, tuple]  # truth pairs, found pairs, (precision, recall, F1)
    partial: tuple[int, int, tuple]
    low_overlap: int
    non_copies: int
    origins: tuple[int, int, int, int]
    ari: float | None
    story: tuple[float, float] | None
    seconds: float


def measure(scn: Scenario) -> tuple[Figures, dict[tuple[str, str], str]]:
    """Scan one scenario's corpus on its own and score it against its truth."""
    t0 = time.perf_counter()
    result = syndup.scan(scn.records)
    seconds = time.perf_counter() - t0
    found = {tuple(sorted((r.doc_a, r.doc_b))): r.relation for r in result.pairs.itertuples()}
    per = {}
    for rel in ("copy", "partial"):
        t = {q for q, r in scn.truth.relations.items() if r == rel}
        f = {q for q, r in as_copies(found).items() if r == rel}
        per[rel] = (len(t), len(f), prf(t, f))
    ari = None
    if scn.truth.cluster is not None:
        ids = list(result.documents["doc_id"])
        ari = adjusted_rand([scn.truth.cluster[i] for i in ids], list(result.documents["cluster_id"]))
    figures = Figures(scn.name, len(result.documents), per["copy"], per["partial"],
                      low_overlap_pairs(result, scn.truth.texts), clustered_non_copies(result, scn.truth),
                      origins_right(result, scn.truth), ari,
                      stories(result, scn.truth), seconds)
    return figures, found


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


TABLE_HEAD = ("| scenario             | articles | copy truth/found |  P    |  R    |  F1   "
              "| partial truth/found |  P    |  R    |  F1   | pairs <10% | non-copy | origin  | decided |  ARI  "
              "| story ARI | purity | scan s |\n"
              "|----------------------|---------:|-----------------:|------:|------:|------:"
              "|--------------------:|------:|------:|------:|-----------:|---------:|--------:|--------:|------:"
              "|----------:|-------:|-------:|")


def row(fig: Figures) -> str:
    cells = [f"{fig.name:<20}", f"{fig.articles:>8}"]
    for t, f, (p, r, f1) in (fig.copy, fig.partial):
        cells += [f"{f'{t}/{f}':>{16 if fig.copy == (t, f, (p, r, f1)) else 19}}", _f(p).rjust(5),
                  _f(r).rjust(5), _f(f1).rjust(5)]
    right, total, right_decided, decided = fig.origins
    cells += [f"{fig.low_overlap:>10}", f"{fig.non_copies:>8}", f"{f'{right}/{total}':>7}",
              f"{f'{right_decided}/{decided}':>7}", _f(fig.ari).rjust(5),
              _f(fig.story and fig.story[0]).rjust(9), _f(fig.story and fig.story[1]).rjust(6),
              f"{fig.seconds:>6.1f}"]
    return "| " + " | ".join(cells) + " |"


def machine() -> str:
    """Machine and versions, as benchmarks/speed.py prints them."""
    try:
        import trafilatura

        traf = trafilatura.__version__
    except ImportError:
        traf = "absent (basic HTML parser)"
    return f"{machine_line()}; trafilatura {traf}; pandas {pd.__version__}"


def families_gate(docs: list[Doc], found: dict[tuple[str, str], str], show: int) -> bool:
    """The families corpus's floors per relation (duplicate apart), and no negative-negative pair."""
    truth = truth_relations(docs)
    ok = True
    parts = []
    for rel in ("duplicate", "copy", "partial"):
        t = {p for p, r in truth.items() if r == rel}
        f = {q for q, r in found.items() if r == rel}
        f1 = prf(t, f)[2]
        ok &= f1 is None or f1 >= FLOORS[rel]
        parts.append(f"{rel} F1 {_f(f1)} (floor {FLOORS[rel]})")
        for q in sorted(f - t)[:show]:
            print(f"   families: false {rel}: {q} truth={truth.get(q, 'none')}")
        for q in sorted(t - f)[:show]:
            print(f"   families: missed {rel}: {q} found={found.get(q, 'none')}")
    kinds = {d.id: d.kind for d in docs}
    boiler = [q for q in found if kinds[q[0]] == "negative" and kinds[q[1]] == "negative"]
    ok &= not boiler
    print(f"families gate: {', '.join(parts)}; pairs made by boilerplate or a shared quote alone "
          f"(negative-negative): {len(boiler)}: {'pass' if ok else 'FAIL'}")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--families", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--show-errors", type=int, default=0, help="print this many wrong pairs per relation")
    args = ap.parse_args()
    if not args.data.exists():
        print(f"no BBC data at {args.data}: pass --data", file=sys.stderr)
        return 2
    print(machine())
    print()
    if DEV_DATA.is_dir():
        score_devset(DEV_DATA, args.show_errors)
    else:
        print(f"no development set at {DEV_DATA}: its scores are left out", file=sys.stderr)
    arts = load_bbc(args.data)
    t0 = time.perf_counter()
    families, docs = families_scenario(arts, args.families, args.seed)
    scenarios = [*generated(arts, args.seed), families]
    print(f"generated scenarios from {len(arts)} BBC articles, seed {args.seed}, in "
          f"{time.perf_counter() - t0:.1f}s; each scanned on its own (copy counts duplicates)")
    print(TABLE_HEAD)
    found = {}
    for scn in scenarios:
        fig, found[scn.name] = measure(scn)
        print(row(fig), flush=True)
        if args.show_errors:
            show_errors(scn, found[scn.name], args.show_errors)
    print("pairs <10%: pairs in one cluster sharing under 10% of the smaller one's 5-word shingles (body text); "
          "non-copy: pairs in one cluster that the truth calls partial or unrelated; origin: "
          "clusters whose origin_id is the first-published member / clusters of one truth story; decided: the same "
          "over the clusters whose origin_rule is not id (the evidence decides); ARI: "
          "clusters against the truth clusters ('-' where copy is not transitive: no truth clusters); "
          "story ARI and purity: story_id against the truth stories ('-': no story_id column)")
    print("truth per scenario:")
    for scn in scenarios:
        print(f"  {scn.name}: {scn.how}")
    return 0 if families_gate(docs, found[families.name], args.show_errors) else 1


def as_copies(found: dict[tuple[str, str], str]) -> dict[tuple[str, str], str]:
    """Relations with `duplicate` counted as `copy` (the scenarios' truth has no duplicate)."""
    return {q: "copy" if r == "duplicate" else r for q, r in found.items()}


def show_errors(scn: Scenario, found: dict[tuple[str, str], str], n: int) -> None:
    """A few wrong pairs per relation, to read."""
    found = as_copies(found)
    for rel in ("copy", "partial"):
        t = {q for q, r in scn.truth.relations.items() if r == rel}
        f = {q for q, r in found.items() if r == rel}
        for q in sorted(f - t)[:n]:
            print(f"   {scn.name}: false {rel}: {q} truth={scn.truth.relations.get(q, 'none')}")
        for q in sorted(t - f)[:n]:
            print(f"   {scn.name}: missed {rel}: {q} found={found.get(q, 'none')}")


if __name__ == "__main__":
    sys.exit(main())

"""Stage 7, origins: which member of each cluster is the origin, by which rule, and how sure.

The rules are `cluster.choose_origin`'s (dates where they can be compared, then credits, then what
copies add, then which version puts a lead above another's, then containment, then id). The
evidence of the texts (`read_evidence`) is read only for the clusters whose dates leave the origin
open, many clusters at once; when they are many, clusters are split between forked processes, each
reading its clusters' evidence and choosing their origins, so that only the choices come back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from ..cluster import Evidence, attributions, choose_origin, dates_decide
from ..corpus import Corpus
from ..diff import _COMMENTS_HEADER_MAX_WORDS, COMMENTS, added_kinds
from ..execution import Execution
from ..normalize import paragraph_spans, words
from ..shingle import analyze_many
from ..spill import SetStore, StoredArticle
from ..verify import PROSE_WORDS

T = TypeVar("T")


@dataclass(frozen=True)
class Origins:
    """Per cluster (in `Separated.groups` order) its origin, rule and confidence; per article its
    dates and, where choosing its cluster's origin counted them anyway, its overlaps with the
    origin."""

    origin: list[int]
    rule: list[str]
    confidence: list[float]
    published: list[pd.Timestamp | None]
    crawled: list[pd.Timestamp | None]
    #: (2, n): shingles each article shares with its origin, and those unquoted on both sides;
    #: -1 where they were not counted.
    near: np.ndarray
    #: Per member of a cluster, the names its text credits (`cluster.attributions`), where they
    #: were read with its evidence (for `network.credit_column`); others are read there.
    credits: dict[int, tuple[str, ...]] = field(default_factory=dict)


def parse_dates(values: Sequence[str | None]) -> list[pd.Timestamp | None]:
    """Each date as a UTC timestamp, None where there is none or it does not parse."""
    parsed = pd.to_datetime(pd.Series(list(values), dtype="object"), errors="coerce", utc=True, format="mixed")
    return [None if pd.isna(v) else v for v in parsed]


def read_evidence(text: str, title: str | None) -> Evidence:
    """What a member's text and headline say about whether it is a copy (see `cluster.Evidence`)."""
    spans = [text[s:e] for s, e in paragraph_spans(text)]
    batch = analyze_many(spans)
    n_words = np.diff(batch.word_offsets).tolist()
    paragraphs = [p for p, n in zip(spans, n_words) if n]
    digests = [fp.tobytes() for fp, n in zip(batch.fingerprints, n_words) if n]
    kinds = added_kinds(paragraphs, [n for n in n_words if n])
    body = tuple(d for d, kind, n, p in zip(digests, kinds, (n for n in n_words if n), paragraphs)
                 if kind is None and n >= PROSE_WORDS and not p.rstrip().endswith(":"))
    return Evidence(
        credits=tuple(attributions(text)), paragraphs=frozenset(digests),
        added=tuple((d, kind) for d, kind in zip(digests, kinds) if kind is not None),
        curly=_curly(text),
        wrapped=any("\n" in p for p in paragraphs), title=frozenset(words(title or "")), body=body)


def clusters_evidence(clusters: Sequence[Sequence[tuple[str, str | None, object]]],
                      every: bool = False) -> list[list[Evidence]]:
    """`read_evidence` of the members of many clusters (each member: its text, headline and
    publisher), as much of it as `cluster.choose_origin` reads, for far fewer paragraph labels.

    Every member's paragraphs are analysed in one batch. A paragraph's kind (`diff.added_kinds`)
    is found only where it can count: a paragraph every publisher of its cluster holds weighs
    nothing in `cluster.copy_evidence`, and `cluster.updates` reads only the first body paragraph
    (the lead), so kinds are labelled up to the lead, for paragraphs not every publisher holds, and
    for short ones that may open a comment section (after which everything is comments). `added`
    then lists the kinds that can weigh and `body` holds the lead alone. With `every`, every
    paragraph is labelled: each member's evidence is then `read_evidence`'s, whole.

    A paragraph that several members hold word for word (copies share most of theirs) is analysed once.
    """
    spans = [[text[s:e] for s, e in paragraph_spans(text)] for cluster in clusters for text, _, _ in cluster]
    distinct = list(dict.fromkeys(p for member in spans for p in member))
    batch = analyze_many(distinct)
    analysed = {p: (int(n), fp.tobytes()) for p, n, fp in zip(distinct, np.diff(batch.word_offsets), batch.fingerprints)}
    out: list[list[Evidence]] = []
    member = 0
    for cluster in clusters:
        read = []
        for text, title, who in cluster:
            kept = [(p, *analysed[p]) for p in spans[member] if analysed[p][0]]
            member += 1
            read.append((text, title, who, kept))
        held: dict[bytes, set[object]] = {}
        for _, _, who, kept in read:
            for _, _, d in kept:
                held.setdefault(d, set()).add(who)
        n_publishers = len({who for _, _, who, _ in read})
        found = []
        for text, title, _, kept in read:
            added: list[tuple[bytes, str]] = []
            body: list[bytes] = []
            comments = False
            for p, n, d in kept:
                if comments:
                    kind: str | None = COMMENTS
                elif every or len(held[d]) < n_publishers or not body or n <= _COMMENTS_HEADER_MAX_WORDS:
                    kind = added_kinds([p], [n])[0]
                    comments = kind == COMMENTS
                else:
                    continue  # weighs nothing, and is not the lead
                if kind is not None:
                    added.append((d, kind))
                elif (every or not body) and n >= PROSE_WORDS and not p.rstrip().endswith(":"):
                    body.append(d)
            found.append(Evidence(
                credits=tuple(attributions(text)), paragraphs=frozenset(d for _, _, d in kept), added=tuple(added),
                curly=_curly(text), wrapped=any("\n" in p for p, _, _ in kept), title=frozenset(words(title or "")),
                body=tuple(body)))
        out.append(found)
    return out


def _curly(text: str) -> bool | None:
    """Typographic double quotes (True), straight ones only (False), or none (None); „...“
    (German, Serbian, Russian ...) are a language's own quotes, not a republisher's restyling."""
    return None if "\u201e" in text else True if ("\u201c" in text or "\u201d" in text) else False if '"' in text else None


#: Clusters up to this many members have their evidence read together (`clusters_evidence`).
_WHOLE = 256


class _Evidence(Sequence[Evidence]):
    """Every article's evidence (see `read_evidence`), read on first use, or ahead of it for many
    at once (`prefetch`)."""

    def __init__(self, arts: Sequence[StoredArticle]) -> None:
        self._arts = arts
        self._done: dict[int, Evidence] = {}
        self._sites: Sequence[str | None] = ()

    def prefetch(self, groups: list[list[int]], sites: Sequence[str | None], execution: Execution) -> None:
        """Read the evidence of the members of clusters `groups` (`clusters_evidence`: what choosing
        their origins reads), split between processes when they are many. The members of a cluster
        bigger than `_WHOLE` are read whole (as `read_evidence`), in parts that processes share:
        their paragraphs recur, so their labels are remembered anyway."""
        self._sites = sites
        work: list[tuple[list[int], bool]] = []
        for g in groups:
            work += [(g, True)] if len(g) <= _WHOLE else [(g[k:k + _WHOLE], False) for k in range(0, len(g), _WHOLE)]
        load = [len(g) for g, _ in work]
        worth = sum(load) >= execution.tuning.fork_members  # counted in members, split by clusters
        runs = execution.map_split(self._find, work, minimum=0 if worth else len(work) + 1, load=load)
        self._done.update(zip((m for g, _ in work for m in g), (e for run in runs for e in run)))

    def _find(self, work: list[tuple[list[int], bool]]) -> list[Evidence]:
        """The evidence of each item's members: a whole cluster, or some members of a big one."""
        arts, sites = self._arts, self._sites
        whole = iter(clusters_evidence([[(arts[m].text, arts[m].title, sites[m] or m) for m in g] for g, w in work if w]))
        parts = iter(clusters_evidence([[(arts[m].text, arts[m].title, m) for m in g] for g, w in work if not w],
                                       every=True))
        return [e for _, w in work for e in next(whole if w else parts)]

    def credits(self, members: list[int]) -> dict[int, tuple[str, ...]]:
        """The names each member's text credits: from its evidence where read, else read now."""
        done = self._done
        return {m: done[m].credits if m in done else tuple(attributions(self._arts[m].text)) for m in members}

    def __len__(self) -> int:
        return len(self._arts)

    def __getitem__(self, i: int) -> Evidence:  # type: ignore[override]
        hit = self._done.get(i)
        if hit is None:
            hit = self._done[i] = read_evidence(self._arts[i].text, self._arts[i].title)
        return hit


def choose(groups: list[list[int]], corpus: Corpus, sets: SetStore, execution: Execution) -> Origins:
    """The origin of every cluster of 2+ members (see the module docstring)."""
    arts = corpus.articles
    n = len(arts)
    published = parse_dates([a.published for a in arts])
    crawled = parse_dates([a.crawled for a in arts])
    ids = [a.id for a in arts]
    urls = [a.url for a in arts]
    sites = corpus.sites
    evidence = _Evidence(arts)  # read only for clusters whose dates do not decide the origin
    near = np.full((2, n), -1, dtype=np.int64)
    origin: list[int] = []
    rule: list[str] = []
    confidence: list[float] = []
    credits: dict[int, tuple[str, ...]] = {}
    runs: list[tuple[Chosen, dict[int, tuple[str, ...]]]]
    if execution.remote:  # a task is sent its clusters' members' fields, not the corpus's (memory per task)
        columns = (ids, published, crawled, sites, urls, arts)
        work = [(g, tuple(_Members(c, g) for c in columns)) for g in groups]
        runs = [(done, {}) for done in execution.map_split(
            partial(_chosen_apart, sets=sets), work, minimum=execution.tuning.fork_clusters, load=[len(g) for g in groups])]
    else:
        # A big cluster's evidence is read first, in parts that processes share; then each process
        # reads the evidence of its share of the other clusters and chooses their origins, so
        # only the choices come back (and the names each member credits, for `network`).
        evidence.prefetch([g for g in groups if len(g) > _WHOLE and not dates_decide(g, published, crawled)], sites,
                          execution)
        alone = execution.replace(jobs=1)

        def run(part: list[list[int]]) -> tuple[Chosen, dict[int, tuple[str, ...]]]:
            evidence.prefetch([g for g in part if len(g) <= _WHOLE and not dates_decide(g, published, crawled)], sites,
                              alone)
            done = _chosen(part, ids, published, crawled, evidence, sites, urls, sets)
            return done, evidence.credits([m for g in part for m in g])

        worth = len(groups) >= execution.tuning.fork_clusters or sum(map(len, groups)) >= execution.tuning.fork_members
        runs = execution.map_split(run, groups, minimum=0 if worth else len(groups) + 1, load=[len(g) for g in groups])
    for done, named in runs:
        origin += done[0]
        rule += done[1]
        confidence += done[2]
        near[:, done[3]] = done[4]
        credits.update(named)
    return Origins(origin, rule, confidence, published, crawled, near, credits)


#: What choosing the origins of some clusters gives: per cluster its origin, rule and confidence;
#: the members whose overlaps with their origin were counted, and those overlaps (2, m).
Chosen = tuple[list[int], list[str], list[float], np.ndarray, np.ndarray]


def _chosen(part: Sequence[Sequence[int]], ids: Sequence[str], published: Sequence[pd.Timestamp | None],
            crawled: Sequence[pd.Timestamp | None], evidence: Sequence[Evidence], sites: Sequence[str | None],
            urls: Sequence[str | None], sets: SetStore) -> Chosen:
    """The origins of clusters `part` (`cluster.choose_origin`), their rules and confidences, and
    (members, overlaps) where counted."""
    chosen, rules, sure = [], [], []
    counted, overlaps = [np.zeros(0, np.int64)], [np.zeros((2, 0), np.int64)]
    for g in part:
        o = choose_origin(g, ids, published, crawled, evidence, sites, urls, sets)
        chosen.append(o.index)
        rules.append(o.rule)
        sure.append(o.confidence)
        if o.shingles is not None:
            counted.append(np.asarray(g, dtype=np.int64))
            overlaps.append(np.stack(o.shingles.overlap_with(o.index)))
    return chosen, rules, sure, np.concatenate(counted), np.concatenate(overlaps, axis=1)


def _chosen_apart(part: list[tuple[list[int], tuple[Any, ...]]], sets: SetStore) -> Chosen:
    """In a cluster's worker: `_chosen` of clusters each sent with its members' fields (ids,
    dates, sites, URLs, stored articles, as `_Members`); their evidence read from the texts here."""
    runs = [_chosen([g], ids, published, crawled, _Evidence(arts), sites, urls, sets)
            for g, (ids, published, crawled, sites, urls, arts) in part]
    if not runs:
        return [], [], [], np.zeros(0, np.int64), np.zeros((2, 0), np.int64)
    return ([x for r in runs for x in r[0]], [x for r in runs for x in r[1]], [x for r in runs for x in r[2]],
            np.concatenate([r[3] for r in runs]), np.concatenate([r[4] for r in runs], axis=1))


class _Members(Sequence[T]):
    """A per-article column's values of a few articles (a cluster's members), by article number:
    what a task is sent instead of the corpus's column."""

    def __init__(self, column: Sequence[T], members: Sequence[int]) -> None:
        self._values = {m: column[m] for m in members}

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, i: int) -> T:  # type: ignore[override]
        return self._values[i]

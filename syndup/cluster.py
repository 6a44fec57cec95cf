"""Join verified copies into clusters and pick each cluster's origin from the evidence.

Clusters are the connected components of `duplicate` and `copy` pairs (union-find, a batch of
links at a time), so a story republished by 5,000 sites costs one union per link, never 12 million
comparisons.

The origin is chosen by the first rule that tells the members apart (`origin_rule`), each with how
sure it is (`origin_confidence`, see `CONFIDENCE`):

1. `published`: dates, where they can be compared. A page's `published` date (only ever one the
   page or record states) is when it appeared; its `crawled` date says only that it appeared no
   later. A member is out when another is known to predate it; an undated member never is, so a
   date on one member says nothing about undated members, and dates decide alone only when they
   leave one member in.
2. `attribution`: among those left, the member that copies credit ("Articles by: RT News"), or
   the one member that credits no one.
3. `copies_add`: the member whose text shows least of what copies do to a text (`copy_evidence`):
   paragraphs of the kinds copies add (site chrome and disclaimers, reader comments, credits,
   "Click here to ..." lines in place of embeds), weighed by the share of publishers that lack
   them, and restyling (curly quotes where another member has straight ones, hard line-wraps, a
   headline grown from another's).
4. `update`: a later version puts new text above what it shares with an earlier one (a write-thru's
   new lead, a live blog's newest entries): a member whose lead another member holds lower down,
   under a lead of its own, is not the origin.
5. `containment`: the member the others are most contained in (copies cut, origins do not).
6. `id`: the smallest id among those still tied: a coin toss, and its confidence says so.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from .normalize import fold, words
from .shingle import SetBatch


class Components:
    """Connected components over 0..n-1, joined a batch of links at a time with numpy.

    A forest of parent pointers in which every root is the smallest member of its component (a
    root only ever points to a smaller one), so labels never depend on the order of the links.
    """

    def __init__(self, n: int) -> None:
        self.parent = np.arange(n, dtype=np.int64)

    def find(self, x: np.ndarray) -> np.ndarray:
        """The root (smallest member) of each element of x; their paths are shortened."""
        x = np.asarray(x, dtype=np.int64)
        parent = self.parent
        root = parent[x]
        while True:
            up = parent[root]
            if np.array_equal(up, root):
                break
            root = up
        parent[x] = root
        return root

    def union(self, pairs: np.ndarray) -> None:
        """Join the two ends of every pair (an int (m, 2) array)."""
        u, v = np.asarray(pairs, dtype=np.int64).reshape(-1, 2).T
        while u.shape[0]:
            ru, rv = self.find(u), self.find(v)
            apart = ru != rv
            u, v, ru, rv = u[apart], v[apart], ru[apart], rv[apart]
            # Each root joins the smallest root it is linked to; links left apart go round again.
            np.minimum.at(self.parent, np.maximum(ru, rv), np.minimum(ru, rv))

    def labels(self) -> np.ndarray:
        """The smallest member of every element's component."""
        return self.find(np.arange(self.parent.shape[0]))

    def groups(self, min_size: int = 1) -> list[list[int]]:
        """Members of every component of `min_size` or more, each sorted, components ordered by
        their smallest member."""
        labels = self.labels()
        if min_size > 1:  # only the members of big enough components go on
            keep = np.bincount(labels, minlength=labels.shape[0])[labels] >= min_size
            members = np.flatnonzero(keep)
            labels = labels[keep]
        else:
            members = np.arange(labels.shape[0])
        order = np.argsort(labels, kind="stable")
        members = members[order]
        cuts = np.flatnonzero(labels[order][1:] != labels[order][:-1]) + 1
        return [g.tolist() for g in np.split(members, cuts)] if members.shape[0] else []


# "Articles by: RT News", "Source: RT", "This article originally appeared on RT", ...
_ATTRIBUTION = re.compile(
    r"^\s*(?:(?:editor'?s\s+)?note\s*:\s*)?(?:articles?\s+by|source|sources|originally\s+(?:appeared|published)\s+(?:at|on|in|by)"
    r"|first\s+(?:appeared|published)\s+(?:at|on|in|by)"
    r"|this\s+(?:article|story|post)\s+(?:was\s+)?(?:originally\s+|first\s+)?(?:appeared|published)"
    r"(?:\s+(?:at|on|in|by))?|republished\s+(?:from|with\s+permission\s+(?:from|of)))"
    r"\s*[:\-]?\s*(?P<name>[^\n]{2,100}?)\s*\.?\s*$",
    re.IGNORECASE | re.MULTILINE,
)


#: `_ATTRIBUTION` with its `^` spelled as the newline before the line (the text gets one in front):
#: the same matches, found several times faster, since the regex engine then skips from newline
#: to newline instead of trying every character.
_ATTRIBUTION_AFTER_NEWLINE = re.compile("\n" + _ATTRIBUTION.pattern[1:], _ATTRIBUTION.flags)


def attributions(text: str) -> list[str]:
    """Names a text credits as its source ("Articles by: RT News" gives "RT News")."""
    return [m.group("name").strip() for m in _ATTRIBUTION_AFTER_NEWLINE.finditer("\n" + fold(text))]


@dataclass(frozen=True)
class _Label:
    """What `credits` checks of one site or URL: its words, and its host's second-level name."""

    words: frozenset[str]
    stem: str


def _labels(site: str | None, url: str | None) -> list[_Label]:
    out = []
    for label in filter(None, [site, host_of(url)]):
        host = host_of(label) or label
        stem = host.split(".")[-2] if host.count(".") >= 1 else host
        out.append(_Label(frozenset(words(label)), stem.lower() if stem else ""))
    return out


def _credited_by(name_words: frozenset[str], labels: list[_Label]) -> bool:
    return bool(name_words) and any((label.words and label.words <= name_words)
                                    or (label.stem and label.stem in name_words) for label in labels)


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+\-]*:(?!\d)")


def host_of(url: str | None) -> str | None:
    """The host of an http(s) URL (or a bare host name) without a leading www., or None."""
    if not url:
        return None
    url = url.strip()
    if _SCHEME.match(url) and not url.lower().startswith(("http:", "https:")):
        return None  # javascript:, mailto:, data: ... are not sites
    try:
        parts = urlsplit(url if "//" in url else "//" + url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("", "http", "https"):
        return None
    host = parts.hostname
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def credits(name: str, site: str | None, url: str | None) -> bool:
    """True when an attribution `name` designates the member with this site or URL."""
    return _credited_by(frozenset(words(name)), _labels(site, url))


class SetSource(Protocol):
    """Shingle sets read in batches: `spill.SetStore` (from disk) or `shingle.SetBatch` (in memory)."""

    def gather(self, docs: np.ndarray) -> SetBatch: ...


@dataclass(frozen=True)
class Evidence:
    """What one member's own text says about whether it is a copy (`stages.origins` reads it)."""

    #: names the text credits as its source (see `attributions`).
    credits: tuple[str, ...]
    #: a digest of each paragraph's words, to tell which paragraphs no other member holds.
    paragraphs: frozenset[bytes]
    #: (digest, kind) of its paragraphs of a kind copies add (`diff.added_kinds`).
    added: tuple[tuple[bytes, str], ...]
    #: typographic double quotes (True), straight ones only (False), or no quotation marks (None).
    curly: bool | None
    #: whether some paragraph is hard-wrapped (broken into lines of a fixed width).
    wrapped: bool
    #: the headline's words.
    title: frozenset[str]
    #: the digests of its body paragraphs in text order: paragraphs of `verify.PROSE_WORDS` words
    #: or more, not of a kind copies add, and not a line introducing what follows (ending in ":",
    #: as "The Latest on ... (all times local):").
    body: tuple[bytes, ...] = ()


#: How sure each rule is of the origin it picks, for `origin_confidence` (a chance, 0 to 1): set
#: below what the rules get where the truth is known (all right on `benchmarks/quality.py`'s planted
#: families; on issue 12's held-out real copies, credits 100% and cuts about 93%), since real pages
#: hold what no benchmark plants. `copies_add` and `containment` get their figure for a clear
#: margin and less for a narrow one (`_sure`); `id` is a coin toss among the k members still
#: tied: 1/k.
CONFIDENCE = {"published": 0.95, "attribution": 0.95, "copies_add": 0.9, "update": 0.85, "containment": 0.8}
#: The copy evidence (`copy_evidence`) a member holds for each kind of paragraph it adds that all
#: other publishers lack, and for each way it restyles the text: a margin of one such kind
#: between the best two members is a clear one.
ADDED_WEIGHT = 1.0
RESTYLE_WEIGHT = 0.5
#: A containment margin (mean share of the others' shingles) this wide between the best two is clear.
CLEAR_CONTAINMENT = 0.1
#: Headlines compared per member: the most common ones of the cluster (linear in its size).
_TITLES = 8
#: `updates` compares the members' leads when they have at most this many different ones.
_LEADS = 64


@dataclass(frozen=True)
class Origin:
    """The member chosen as origin, the rule that decided it and how sure it is (0 to 1); when its
    members' shingles were compared to decide it, `shingles` keeps them (each member's overlap
    with the origin is then cheap)."""

    index: int
    rule: str
    confidence: float
    shingles: ClusterShingles | None = field(default=None, compare=False, repr=False)


Dates = Sequence[pd.Timestamp | None]


def possible_first(members: Sequence[int], published: Dates, crawled: Dates) -> list[int]:
    """The members no other member is known to predate: A predates B when A appeared (was
    published, or crawled) before B was published. Undated members are always possible."""
    appeared = ((published[m] if published[m] is not None else crawled[m], k) for k, m in enumerate(members))
    first_two = heapq.nsmallest(2, ((t, k) for t, k in appeared if t is not None))
    out = []
    for k, m in enumerate(members):
        before = next((t for t, j in first_two if j != k), None)
        if published[m] is None or before is None or not before < published[m]:
            out.append(m)
    return out


def dates_decide(members: Sequence[int], published: Dates, crawled: Dates) -> bool:
    """Whether dates alone pick the origin (so `choose_origin` reads no other evidence)."""
    return len(possible_first(members, published, crawled)) == 1


def copy_evidence(members: Sequence[int], evidence: Sequence[Evidence],
                  sites: Sequence[str | None]) -> dict[int, float]:
    """For each member, how much its own text shows it to be a copy: each kind of paragraph copies
    add that it holds, weighed by the largest share of the cluster's publishers (its sites, or
    members without one) that lack such a paragraph of its, and each restyling that some other
    member lacks (curly quotes, hard wraps, a headline grown from another's). Linear in the
    cluster's paragraphs."""
    publishers = [sites[m] or m for m in members]
    held: dict[bytes, set[str | int]] = {}
    for m, who in zip(members, publishers):
        for d in evidence[m].paragraphs:
            held.setdefault(d, set()).add(who)
    n_publishers = len(set(publishers))
    plain_quotes = any(evidence[m].curly is False for m in members)
    unwrapped = any(not evidence[m].wrapped for m in members)
    titles = [t for t, _ in Counter(evidence[m].title for m in members if evidence[m].title).most_common(_TITLES)]
    out = {}
    for m in members:
        e = evidence[m]
        added: dict[str, float] = {}
        for digest, kind in e.added:  # each kind weighs the largest share of publishers lacking it
            added[kind] = max(added.get(kind, 0.0), 1.0 - len(held[digest]) / n_publishers)
        restyled = (bool(e.curly) and plain_quotes) + (e.wrapped and unwrapped) + any(e.title > t for t in titles)
        out[m] = ADDED_WEIGHT * sum(added.values()) + RESTYLE_WEIGHT * restyled
    return out


def updates(members: Sequence[int], evidence: Sequence[Evidence]) -> set[int]:
    """The members that are later versions of another member: each holds another member's lead
    (its first body paragraph) lower down, under a lead of its own that the other lacks (a write-thru's new lead above the
    earlier text, a live blog's newest entries above the earlier ones). A copy that cuts the tail
    keeps the lead; one that cuts the head leads with a paragraph the origin holds, but the origin
    leads with one it lacks, so the origin is taken for the update: this rule comes after what
    copies add. Linear in the cluster's paragraphs for up to `_LEADS` different leads."""
    by_lead: dict[bytes, list[int]] = {}
    for m in members:
        if evidence[m].body:
            by_lead.setdefault(evidence[m].body[0], []).append(m)
    if len(by_lead) < 2 or len(by_lead) > _LEADS:
        return set()
    out: set[int] = set()
    for lead, holders in by_lead.items():
        # the leads of the members lacking this one: those below which this one may have put it
        below = {d for d, ms in by_lead.items() if d != lead and any(lead not in evidence[o].paragraphs for o in ms)}
        out.update(m for m in holders if any(d in evidence[m].paragraphs for d in below))
    return out


def _sure(rule: str, margin: float, clear: float, tied: int) -> float:
    """A rule's confidence for a winning margin: from a coin toss among `tied` (margin 0) up to
    the rule's own figure (margin `clear` or more)."""
    toss = 1.0 / tied
    return toss + (CONFIDENCE[rule] - toss) * min(1.0, margin / clear)


def _runner_up_margin(scores: dict[int, float], best: int, sign: float) -> float:
    """How far `best` is ahead of the next candidate (scores higher is better when sign is 1)."""
    rest = [sign * v for m, v in scores.items() if m != best]
    return sign * scores[best] - max(rest) if rest else 0.0


def choose_origin(members: Sequence[int], ids: Sequence[str], published: Dates, crawled: Dates,
                  evidence: Sequence[Evidence], sites: Sequence[str | None], urls: Sequence[str | None],
                  sets: SetSource) -> Origin:
    """Pick a cluster's origin (see the module docstring for the rules, in order).

    `evidence[m]` is only looked at when dates do not decide, so it may be read on demand.
    """
    candidates = possible_first(members, published, crawled)
    if len(candidates) == 1:
        return Origin(candidates[0], "published", CONFIDENCE["published"])
    # Attribution: a copy that credits another member names the origin.
    # Each distinct credited name is tried once per candidate: linear in cluster size.
    holders: dict[str, set[int]] = {}
    for c in members:
        for name in evidence[c].credits:
            holders.setdefault(name, set()).add(c)
    # A name counts for m when someone other than m holds it. Label checks are cached per (site,
    # URL), name words per name: a cluster of 5,000 copies of a few sites costs a few of each.
    named = [(frozenset(words(name)), who) for name, who in holders.items()]
    labels: dict[tuple[str | None, str | None], list[_Label]] = {}
    credited = []
    for m in candidates if named else ():
        site_url = (sites[m], urls[m])
        if site_url not in labels:
            labels[site_url] = _labels(*site_url)
        if any(_credited_by(name_words, labels[site_url]) for name_words, who in named
               if len(who) > 1 or m not in who):
            credited.append(m)
    if len(credited) == 1:
        return Origin(credited[0], "attribution", CONFIDENCE["attribution"])
    if credited:
        candidates = credited
    else:
        uncredited = [m for m in candidates if not evidence[m].credits]
        if len(uncredited) == 1:
            return Origin(uncredited[0], "attribution", CONFIDENCE["attribution"])
        if uncredited:
            candidates = uncredited
    # Copies add: the least copy evidence.
    marks = copy_evidence(members, evidence, sites)
    least = min(marks[m] for m in candidates)
    fewest = [m for m in candidates if marks[m] <= least + 1e-9]
    if len(fewest) == 1:
        margin = _runner_up_margin({m: marks[m] for m in candidates}, fewest[0], -1.0)
        return Origin(fewest[0], "copies_add", _sure("copies_add", margin, ADDED_WEIGHT, 2))
    candidates = fewest
    later = updates(members, evidence)
    earlier = [m for m in candidates if m not in later]
    if len(earlier) == 1 and len(candidates) > 1:
        return Origin(earlier[0], "update", CONFIDENCE["update"])
    if earlier:
        candidates = earlier
    shingles = ClusterShingles(members, sets)
    scores = shingles.scores(candidates)
    best = max(scores.values())
    top = sorted((m for m in candidates if scores[m] >= best - 1e-9), key=lambda m: ids[m])
    if len(top) == 1:
        margin = _runner_up_margin(scores, top[0], 1.0)
        return Origin(top[0], "containment", _sure("containment", margin, CLEAR_CONTAINMENT, 2), shingles)
    return Origin(top[0], "id", 1.0 / len(top), shingles)


def containment_scores(members: Sequence[int], candidates: Sequence[int],
                       sets: SetSource) -> dict[int, float]:
    """For each candidate c, the mean share of the other members' shingles found in c."""
    return ClusterShingles(members, sets).scores(candidates)


class ClusterShingles:
    """The shingles of a cluster's members, sorted once (by hash, then member): linear-time
    containment scores, and every member's overlap with any one member."""

    def __init__(self, members: Sequence[int], sets: SetSource) -> None:
        self.members = list(members)
        batch = sets.gather(np.asarray(self.members, dtype=np.int64))
        self.sizes = np.diff(batch.offsets)
        # One uint64 per shingle held: hash, member slot, unquoted flag (the slot fits 31 bits).
        slot = np.repeat(np.arange(len(self.members), dtype=np.uint64), self.sizes)
        keys = np.sort((batch.hashes.astype(np.uint64) << np.uint64(32)) | (slot << np.uint64(1))
                       | batch.unquoted.astype(np.uint64))
        self._holder = ((keys & np.uint64(0xFFFFFFFF)) >> np.uint64(1)).astype(np.int64)
        self._unquoted = (keys & np.uint64(1)).astype(bool)
        value = keys >> np.uint64(32)
        self._shingle = np.concatenate([[0], np.cumsum(value[1:] != value[:-1])]) if keys.shape[0] else \
            np.zeros(0, dtype=np.int64)

    def scores(self, candidates: Sequence[int]) -> dict[int, float]:
        """For each candidate c, the mean share of the other members' shingles found in c.

        Every shingle gets the weight sum of 1/|m| over the members m holding it, and a
        candidate's score is the sum of its shingles' weights, less its own share (1), over the
        other members.
        """
        if self._holder.shape[0] == 0:
            return {c: 0.0 for c in candidates}
        weight = 1.0 / np.maximum(self.sizes, 1).astype(np.float64)
        total = np.bincount(self._shingle, weights=weight[self._holder])
        score = np.bincount(self._holder, weights=total[self._shingle], minlength=len(self.members))
        n_other = max(len(self.members) - 1, 1)
        at = {m: k for k, m in enumerate(self.members)}
        return {c: float((score[at[c]] - 1.0) / n_other) if self.sizes[at[c]] else 0.0 for c in candidates}

    def overlap_with(self, member: int) -> tuple[np.ndarray, np.ndarray]:
        """For every member (in `members` order): the shingles it shares with `member`, and
        those unquoted on both sides, as `verify.overlap` counts them."""
        slot = self.members.index(member)
        mine = self._holder == slot
        held = np.zeros(int(self._shingle[-1]) + 1 if self._shingle.shape[0] else 0, dtype=bool)
        held_unquoted = held.copy()
        held[self._shingle[mine]] = True
        held_unquoted[self._shingle[mine & self._unquoted]] = True
        count = len(self.members)
        shared = np.bincount(self._holder[held[self._shingle]], minlength=count)
        both = held_unquoted[self._shingle] & self._unquoted
        return shared, np.bincount(self._holder[both], minlength=count)

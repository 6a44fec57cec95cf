"""Join verified copies into clusters and pick each cluster's origin.

Clusters are the connected components of `duplicate` and `copy` pairs (union-find), so a story
republished by 5,000 sites costs one union per link, never 12 million comparisons. The origin is
the earliest `published` date; else the member that copies credit (or that does not credit anyone
else); else the member the others are contained in; ties go to the smallest id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from .normalize import fold, words
from .shingle import ShingleSet


class UnionFind:
    """Disjoint sets over 0..n-1 with path halving and union by size."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.size = [1] * n

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]

    def groups(self) -> list[list[int]]:
        """Members of every set, each sorted, sets ordered by their smallest member."""
        out: dict[int, list[int]] = {}
        for x in range(len(self.parent)):
            out.setdefault(self.find(x), []).append(x)
        return sorted(out.values(), key=lambda g: g[0])


# "Articles by: RT News", "Source: RT", "This article originally appeared on RT", ...
_ATTRIBUTION = re.compile(
    r"^\s*(?:(?:editor'?s\s+)?note\s*:\s*)?(?:articles?\s+by|source|sources|originally\s+(?:appeared|published)\s+(?:at|on|in|by)"
    r"|first\s+(?:appeared|published)\s+(?:at|on|in|by)"
    r"|this\s+(?:article|story|post)\s+(?:was\s+)?(?:originally\s+|first\s+)?(?:appeared|published)"
    r"(?:\s+(?:at|on|in|by))?|republished\s+(?:from|with\s+permission\s+(?:from|of)))"
    r"\s*[:\-]?\s*(?P<name>[^\n]{2,100}?)\s*\.?\s*$",
    re.IGNORECASE | re.MULTILINE,
)


def attributions(text: str) -> list[str]:
    """Names a text credits as its source ("Articles by: RT News" gives "RT News")."""
    return [m.group("name").strip() for m in _ATTRIBUTION.finditer(fold(text))]


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
    name_words = set(words(name))
    if not name_words:
        return False
    for label in filter(None, [site, host_of(url)]):
        label_words = words(label)
        host = host_of(label) or label
        stem = host.split(".")[-2] if host.count(".") >= 1 else host
        if label_words and set(label_words) <= name_words:
            return True
        if stem and stem.lower() in name_words:
            return True
    return False


@dataclass(frozen=True)
class Origin:
    """The member chosen as origin, and the rule that decided it."""

    index: int
    rule: str


def choose_origin(members: Sequence[int], ids: Sequence[str], published: Sequence[pd.Timestamp | None],
                  texts_attr: Sequence[list[str]], sites: Sequence[str | None],
                  urls: Sequence[str | None], sets: Sequence[ShingleSet]) -> Origin:
    """Pick a cluster's origin (see the module docstring for the order of the rules)."""
    candidates = list(members)
    dated = [m for m in candidates if published[m] is not None]
    if dated:
        first = min(published[m] for m in dated)  # type: ignore[type-var]
        earliest = [m for m in dated if published[m] == first]
        if len(earliest) == 1:
            return Origin(earliest[0], "published")
        candidates = earliest
    # Attribution: a copy that credits another member names the origin.
    # Each distinct credited name is tried once per candidate: linear in cluster size.
    holders: dict[str, set[int]] = {}
    for c in members:
        for name in texts_attr[c]:
            holders.setdefault(name, set()).add(c)
    credited = [m for m in candidates
                if any(credits(name, sites[m], urls[m]) for name, who in holders.items() if who - {m})]
    if len(credited) == 1:
        return Origin(credited[0], "attribution")
    if credited:
        candidates = credited
    else:
        uncredited = [m for m in candidates if not texts_attr[m]]
        if len(uncredited) == 1 and len(candidates) > 1:
            return Origin(uncredited[0], "attribution")
        if uncredited:
            candidates = uncredited
    if len(candidates) == 1:
        return Origin(candidates[0], "published" if dated else "id")
    scores = containment_scores(members, candidates, sets)
    best = max(scores.values())
    top = sorted((m for m in candidates if scores[m] >= best - 1e-9), key=lambda m: ids[m])
    if len(top) == 1:
        return Origin(top[0], "containment")
    return Origin(top[0], "id")


def containment_scores(members: Sequence[int], candidates: Sequence[int],
                       sets: Sequence[ShingleSet]) -> dict[int, float]:
    """For each candidate c, the mean share of the other members' shingles found in c.

    Computed in one pass over all members' shingles (linear in cluster size): every shingle gets
    the weight sum of 1/|m| over the members m holding it.
    """
    sizes = np.array([max(len(sets[m]), 1) for m in members], dtype=np.float64)
    arrays = [sets[m].hashes for m in members]
    if not any(a.shape[0] for a in arrays):
        return {c: 0.0 for c in candidates}
    allh = np.concatenate(arrays)
    weights = np.repeat(1.0 / sizes, [a.shape[0] for a in arrays])
    uniq, inverse = np.unique(allh, return_inverse=True)
    total = np.bincount(inverse, weights=weights, minlength=uniq.shape[0])
    n_other = max(len(members) - 1, 1)
    scores = {}
    for c in candidates:
        h = sets[c].hashes
        if h.shape[0] == 0:
            scores[c] = 0.0
            continue
        idx = np.searchsorted(uniq, h)
        scores[c] = float((total[idx].sum() - 1.0) / n_other)
    return scores

"""Stage 7, origins: which member of each cluster is the origin, and by which rule.

The rules are `cluster.choose_origin`'s (earliest date, then credits, then containment, then id).
Attributions are read from the texts only for the clusters whose dates leave the origin open, for
all of them at once; clusters are split between forked processes when they are many.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..cluster import attributions, choose_origin, dates_decide
from ..corpus import Corpus
from ..execution import Execution
from ..spill import SetStore, StoredArticle


@dataclass(frozen=True)
class Origins:
    """Per cluster (in `Separated.groups` order) its origin and rule; per article its date and,
    where choosing its cluster's origin counted them anyway, its overlaps with the origin."""

    origin: list[int]
    rule: list[str]
    published: list[pd.Timestamp | None]
    #: (2, n): shingles each article shares with its origin, and those unquoted on both sides;
    #: -1 where they were not counted.
    near: np.ndarray


def parse_dates(values: Sequence[str | None]) -> list[pd.Timestamp | None]:
    """Each `published` value as a UTC timestamp, None where there is none or it does not parse."""
    parsed = pd.to_datetime(pd.Series(list(values), dtype="object"), errors="coerce", utc=True, format="mixed")
    return [None if pd.isna(v) else v for v in parsed]


class _Attributions(Sequence[list[str]]):
    """Every article's attributions (see `attributions`), read and computed on first use, or ahead
    of it for many at once (`prefetch`)."""

    def __init__(self, arts: Sequence[StoredArticle]) -> None:
        self._arts = arts
        self._done: dict[int, list[str]] = {}

    def prefetch(self, members: list[int], execution: Execution) -> None:
        """Find the attributions of `members`, split between processes when they are many."""
        runs = execution.map_split(self._find, members, minimum=execution.tuning.fork_members)
        self._done.update(zip(members, (names for run in runs for names in run)))

    def _find(self, members: list[int]) -> list[list[str]]:
        return [attributions(self._arts[m].text) for m in members]

    def __len__(self) -> int:
        return len(self._arts)

    def __getitem__(self, i: int) -> list[str]:  # type: ignore[override]
        hit = self._done.get(i)
        if hit is None:
            hit = self._done[i] = attributions(self._arts[i].text)
        return hit


def choose(groups: list[list[int]], corpus: Corpus, sets: SetStore, execution: Execution) -> Origins:
    """The origin of every cluster of 2+ members (see the module docstring)."""
    arts = corpus.articles
    n = len(arts)
    published = parse_dates([a.published for a in arts])
    ids = [a.id for a in arts]
    urls = [a.url for a in arts]
    sites = corpus.sites
    attrs = _Attributions(arts)  # read only for clusters whose dates do not decide the origin
    attrs.prefetch([m for g in groups if not dates_decide(g, published) for m in g], execution)

    def run(part: list[list[int]]) -> tuple[list[int], list[str], np.ndarray, np.ndarray]:
        """The origins of clusters `part`, their rules, and (members, overlaps) where counted."""
        chosen, rules, counted, overlaps = [], [], [np.zeros(0, np.int64)], [np.zeros((2, 0), np.int64)]
        for g in part:
            o = choose_origin(g, ids, published, attrs, sites, urls, sets)
            chosen.append(o.index)
            rules.append(o.rule)
            if o.shingles is not None:
                counted.append(np.asarray(g, dtype=np.int64))
                overlaps.append(np.stack(o.shingles.overlap_with(o.index)))
        return chosen, rules, np.concatenate(counted), np.concatenate(overlaps, axis=1)

    near = np.full((2, n), -1, dtype=np.int64)
    origin: list[int] = []
    rule: list[str] = []
    for done in execution.map_split(run, groups, minimum=execution.tuning.fork_clusters,
                                    load=[len(g) for g in groups]):
        origin += done[0]
        rule += done[1]
        near[:, done[2]] = done[3]
    return Origins(origin, rule, published, near)

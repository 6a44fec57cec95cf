"""Stage 8, clusters: number the clusters and stories, and relate each copy to its cluster's origin.

Clusters are the components of 2+ members, then every other article alone. Their ids: biggest
first, then by origin id (articles are in id order), so ids never depend on the input order. A
copy's relation to its origin is the verified one, or (for a copy joined through others) judged
from the overlap counted when choosing the origin, or verified now; a copy whose own overlap with
the origin is too small to be one is `indirect`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..verify import NAMES, NONE, Relations
from .origins import Origins
from .separate import Separated


@dataclass(frozen=True)
class Clusters:
    """Every article's cluster and its relation to the origin, every cluster's size and origin.

    Per article (id order): `cluster_of`, `origin_of`, `role` and `relation` names, `figures`
    (3, n): Jaccard, containment in the origin, the origin's containment in it; `cluster_size`;
    `story_of` (its story's id). Per cluster position, `story_id`.
    `groups` are the clusters of 2+ members, `alone` the articles in no group. Per cluster
    position (the groups first, then the articles alone): `origin`, `size`, `rule`; `by_id` lists
    the positions in cluster id order, `id_of` the id of each position.
    """

    cluster_of: np.ndarray
    origin_of: np.ndarray
    role: np.ndarray
    relation: np.ndarray
    figures: np.ndarray
    origin: np.ndarray
    size: np.ndarray
    rule: list[str]
    by_id: np.ndarray
    id_of: np.ndarray
    cluster_size: np.ndarray
    story_of: np.ndarray
    story_id: np.ndarray
    groups: list[list[int]]
    alone: np.ndarray


def number(separated: Separated, origins: Origins) -> Clusters:
    """Cluster ids, story ids, and each copy's relation to its origin (see the module docstring)."""
    groups = separated.groups
    n = separated.table.n
    g_sizes = np.array([len(g) for g in groups], dtype=np.int64)
    g_members = np.array([m for g in groups for m in g], dtype=np.int64)
    alone = np.ones(n, dtype=bool)
    alone[g_members] = False
    alone_at = np.flatnonzero(alone)
    c_origin = np.concatenate([np.array(origins.origin, dtype=np.int64), alone_at])
    c_size = np.concatenate([g_sizes, np.ones(alone_at.shape[0], dtype=np.int64)])
    by_id = np.lexsort((c_origin, -c_size))  # cluster positions, in cluster id order
    id_of = np.empty(by_id.shape[0], dtype=np.int64)
    id_of[by_id] = np.arange(1, by_id.shape[0] + 1)
    cluster_of = np.empty(n, dtype=np.int64)
    origin_of = np.empty(n, dtype=np.int64)
    group_of = np.repeat(np.arange(len(groups), dtype=np.int64), g_sizes)
    cluster_of[g_members], origin_of[g_members] = id_of[group_of], c_origin[group_of]
    cluster_of[alone_at], origin_of[alone_at] = id_of[len(groups):], alone_at
    size_by_id = np.zeros(by_id.shape[0] + 1, dtype=np.int64)
    size_by_id[id_of] = c_size
    in_group = size_by_id[cluster_of] > 1

    member = np.arange(n)
    copy = in_group & (origin_of != member)
    copies = member[copy]
    lo, hi = np.minimum(copies, origin_of[copy]), np.maximum(copies, origin_of[copy])
    verifier, near = separated.verifier, origins.near

    def compute(k: np.ndarray) -> Relations:
        """The relations of the copies `k` (positions in `copies`) not in the pairs table."""
        pairs = np.stack([lo[k], hi[k]], axis=1)
        counted = near[0, copies[k]] >= 0
        rel = Relations.concat([verifier.judge(pairs[counted], *near[:, copies[k][counted]]),
                                verifier.relate(pairs[~counted])])
        return rel.take(np.argsort(np.concatenate([np.flatnonzero(counted), np.flatnonzero(~counted)])))

    to_origin = separated.table.lookup(lo, hi, compute)
    relation = np.where(in_group, "origin", "unique").astype(object)
    figures = np.full((3, n), np.nan)
    figures[:, ~copy & in_group] = 1.0
    relation[copy] = np.where(to_origin.clustering, np.array(NAMES, dtype=object)[to_origin.code], "indirect")
    mine_in = np.where(copies == lo, to_origin.containment_a_in_b, to_origin.containment_b_in_a)
    other_in = np.where(copies == lo, to_origin.containment_b_in_a, to_origin.containment_a_in_b)
    related = to_origin.code != NONE
    figures[:, copy] = np.where(related, np.stack([to_origin.jaccard, mine_in, other_in]), 0.0)
    role = np.where(in_group, np.where(copy, "copy", "origin"), "unique")
    rule = origins.rule + ["unique"] * alone_at.shape[0]
    # A story's id: the smallest id of its clusters (an article alone is a story of its own).
    story_id = id_of.copy()
    if groups:
        first = np.full(max(separated.story) + 1, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first, np.asarray(separated.story, dtype=np.int64), id_of[:len(groups)])
        story_id[:len(groups)] = first[separated.story]
        at = {int(m): k for k, m in enumerate(alone_at.tolist())}
        for m, story in separated.strays.items():  # cut loose from a story: still in it
            story_id[len(groups) + at[m]] = first[story]
    return Clusters(cluster_of, origin_of, role, relation, figures, c_origin, c_size, rule, by_id, id_of,
                    size_by_id[cluster_of], story_id[np.argsort(id_of)][cluster_of - 1], story_id, groups, alone_at)

"""The Ray engine's verified links: written by the verifying tasks to the spill folder, joined into
connected components by Ray tasks (alternating large-star and small-star), never gathered by the driver.

`RayLinks` is `stages.verify.Links` for `RayExecution`. Each verifying task verifies its pairs with
the same `Verifier` as the local engine and writes the related ones to a file of the scan's spill
folder; the driver keeps only the files' names. Components are found by Kiveris et al.'s
large-star / small-star rounds ("Connected Components in MapReduce and Beyond", 2014; NeMo Curator's
and Data-Juicer's Ray deduplication use the same two steps): the joining links, in both directions,
are hash-partitioned by their first end into parts; a task per part takes every link of its nodes,
and sends its new links to the parts of their first ends through the object store. The rounds end
when every link joins a component's smallest member to another member; a member's label is then
that smallest member, as `cluster.Components` labels it.

Verification in big LSH groups asks which members are joined already (`candidates.link_groups`, and
the deferred pairs of `stages.verify.verify`): those answers must be the local engine's, or a different
set of pairs is verified. They are: the components are found over the order-free links first (the
duplicates and the pairs outside big groups, which are verified whatever is joined), and the few
members of big groups get their labels there; a union-find over just those labels (`Seeded`) then
answers and joins as the local `Components` does (its roots are the smallest members, so a label
never depends on the order of the links). The final components are found over all links again.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from .cluster import Components
from .stages.verify import PairTable, Verifier, pair_table
from .verify import NONE, Relations

ray = __import__("ray")  # imported by ray_engine, which checked the extra is installed

__all__ = ["RayLinks", "Seeded", "components"]

_FIELDS = ("code", "jaccard", "containment_a_in_b", "containment_b_in_a", "shared", "passage_words", "view")


def _write(path: str, pairs: np.ndarray, rel: Relations) -> None:
    """The related pairs of `pairs` and their relations, as one file (written whole, then moved in place)."""
    keep = rel.code != NONE
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as fh:
        np.savez(fh, pairs=pairs[keep].reshape(-1, 2), **{f: getattr(rel, f)[keep] for f in _FIELDS})
    os.replace(tmp, path)


def _read(path: str) -> tuple[np.ndarray, Relations]:
    with np.load(path) as f:
        return f["pairs"], Relations(*(f[name] for name in _FIELDS))


def _verify_to(verifier: Verifier, path: str, pairs: np.ndarray, mask: bool) -> tuple[int, np.ndarray | None]:
    """In a worker (or here, for a few pairs): verify `pairs` (`Verifier._relate`, as the local engine's
    processes do), write the related ones to `path`; how many join a cluster, and which when `mask`."""
    rel = verifier._relate(pairs)
    _write(path, pairs, rel)
    clustering = rel.clustering
    return int(clustering.sum()), clustering if mask else None


def _buckets(src: np.ndarray, dst: np.ndarray, parts: int) -> list[np.ndarray]:
    """Directed links (src -> dst) as (k, 2) arrays, one per part of `src`."""
    part = src % parts
    order = np.argsort(part, kind="stable")
    cuts = np.searchsorted(part[order], np.arange(parts + 1))
    both = np.stack([src[order], dst[order]], axis=1)
    return [both[a:b] for a, b in zip(cuts[:-1], cuts[1:])]


def _out(buckets: list[np.ndarray], *extra: Any) -> Any:
    """A task's returns as Ray wants them for its `num_returns` (one value is returned bare)."""
    values = [*buckets, *extra]
    return values[0] if len(values) == 1 else tuple(values)


def _scatter(paths: Sequence[str], parts: int) -> Any:
    """In a worker: the joining links of some link files, in both directions, cut into parts."""
    links = [p[r.clustering] for p, r in map(_read, paths)]
    both = np.concatenate([np.zeros((0, 2), np.int64)] + links).astype(np.int64)
    return _out(_buckets(np.concatenate([both[:, 0], both[:, 1]]), np.concatenate([both[:, 1], both[:, 0]]), parts))


def _adjacency(*pieces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One part's directed links, deduplicated, sorted by (src, dst)."""
    both = np.unique(np.concatenate([np.zeros((0, 2), np.int64), *pieces]), axis=0)
    return both[:, 0], both[:, 1]


def _stars(src: np.ndarray, dst: np.ndarray) -> bool:
    """Whether these links (all of their sources') are stars around their smallest members:
    a node with a smaller neighbour has no other neighbour."""
    if not src.shape[0]:
        return True
    nodes, start, degree = np.unique(src, return_index=True, return_counts=True)
    smallest = dst[start]  # sorted by (src, dst): a node's first neighbour is its smallest
    return bool(np.all((smallest > nodes) | (degree == 1)))


def _star_step(large: bool, parts: int, *pieces: np.ndarray) -> Any:
    """In a worker: one large-star or small-star step of one part's nodes (every link of each, both
    ways); the new links both ways, cut into parts, and whether the links taken were stars already."""
    src, dst = _adjacency(*pieces)
    done = _stars(src, dst)
    if not src.shape[0]:
        return _out([np.zeros((0, 2), np.int64)] * parts, done)
    nodes, start = np.unique(src, return_index=True)
    at = np.searchsorted(nodes, src)
    if large:  # every larger neighbour goes to the smallest of the node and its neighbours
        low = np.minimum(nodes, dst[start])[at]
        keep = dst > src
        a, b = dst[keep], low[keep]
    else:  # the node and its smaller neighbours go to the smallest of them
        smaller = dst < src
        low = nodes.copy()
        np.minimum.at(low, at[smaller], dst[smaller])
        a = np.concatenate([dst[smaller], nodes])
        b = np.concatenate([low[at[smaller]], low])
    keep = a != b
    a, b = a[keep], b[keep]
    return _out(_buckets(np.concatenate([a, b]), np.concatenate([b, a]), parts), done)


def _labels(members: np.ndarray | None, *pieces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """In a worker: the nodes of one part of star links (`members` of them, if given) and their labels."""
    src, dst = _adjacency(*pieces)
    nodes, start = np.unique(src, return_index=True)
    label = np.minimum(nodes, dst[start]) if nodes.shape[0] else nodes
    if members is not None:
        keep = np.isin(nodes, members)
        nodes, label = nodes[keep], label[keep]
    return nodes, label


def components(paths: Sequence[str], links: int, cpus: int, part_bytes: int,
               members: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The components of the joining links in the files `paths` (about `links` of them) as Ray tasks:
    every node in a link (or of `members` only) and its label, the smallest member of its component."""
    if not paths or not links:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # 32 bytes a link (both ways, two int64) in a part: parts of about `part_bytes`, two a CPU at least.
    parts = max(2 * cpus, -(-32 * links // max(1, part_bytes)))
    scatter = ray.remote(num_cpus=1, max_retries=_retries(), num_returns=parts)(_scatter)
    step = ray.remote(num_cpus=1, max_retries=_retries(), num_returns=parts + 1)(_star_step)
    label = ray.remote(num_cpus=1, max_retries=_retries())(_labels)
    per_task = max(1, len(paths) // parts)
    made = [scatter.options(name="syndup:components.scatter").remote(paths[a:a + per_task], parts)
            for a in range(0, len(paths), per_task)]
    current = [[m[p] for m in made] for p in range(parts)]  # each part's pieces
    large = True
    while True:
        outs = [step.options(name=f"syndup:components.{'large' if large else 'small'}_star").remote(large, parts, *pieces)
                for pieces in current]
        if all(ray.get([o[parts] for o in outs])):  # the links taken were stars already: they are the answer
            break
        current = [[o[p] for o in outs] for p in range(parts)]
        large = not large
    members_ref = None if members is None else ray.put(members)
    found = ray.get([label.options(name="syndup:components.labels").remote(members_ref, *pieces) for pieces in current])
    nodes = np.concatenate([f[0] for f in found])
    order = np.argsort(nodes)
    return nodes[order], np.concatenate([f[1] for f in found])[order]


def _retries() -> int:
    from .ray_engine import MAX_RETRIES

    return MAX_RETRIES


class Seeded:
    """Connected components of some articles (`members`, sorted), started from their labels in
    components found elsewhere, then joined here: `candidates.Joined` for those members only.
    Its roots are the smallest labels joined, so it answers as a `Components` of all articles would."""

    def __init__(self, members: np.ndarray, labels: np.ndarray) -> None:
        self.members = members
        self.nodes, self.slot = np.unique(labels, return_inverse=True)
        self.inner = Components(self.nodes.shape[0])

    def _at(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.int64)
        k = np.minimum(np.searchsorted(self.members, x), max(self.members.shape[0] - 1, 0))
        if x.shape[0] and not np.array_equal(self.members[k], x):
            raise ValueError("Seeded components asked about an article that is not one of its members")
        return self.slot[k]

    def find(self, x: np.ndarray) -> np.ndarray:
        return self.nodes[self.inner.find(self._at(x))]

    def union(self, pairs: np.ndarray) -> None:
        self.inner.union(self._at(np.asarray(pairs).reshape(-1)).reshape(-1, 2))


class RayLinks:
    """`stages.verify.Links` on a Ray cluster (see the module docstring)."""

    def __init__(self, execution: Any, verifier: Verifier, n: int) -> None:
        self.execution, self.verifier, self.n = execution, verifier, n
        self.paths: list[str] = []
        self.joining = 0
        self.seeded: Seeded | None = None

    def _verify(self, pairs: np.ndarray, mask: bool) -> np.ndarray:
        """Verify `pairs` in tasks of about `tuning.task_pairs` pairs' worth of shingles, each writing
        its related pairs to a new file; which join a cluster when `mask`."""
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        tuning, v = self.execution.tuning, self.verifier
        load = v.sizes[pairs[:, 0]] + v.sizes[pairs[:, 1]] + 1
        folder = v.sets._spill
        if pairs.shape[0] < max(tuning.fork_pairs, 2):
            path = folder.file("links", len(self.paths))
            self.paths.append(path)
            joins, clustering = _verify_to(v, path, pairs, mask)
            self.joining += joins
            return clustering if clustering is not None else np.zeros(0, bool)
        cuts = self.execution.cuts(load)
        refs, task = [], self.execution.remote_of(_verify_to)
        owner = self.execution.put_once(v)
        for a, b in zip(cuts[:-1], cuts[1:]):
            if b > a:
                path = folder.file("links", len(self.paths))
                self.paths.append(path)
                refs.append(task.remote(owner, path, pairs[a:b], mask))
        done = self.execution.get_all(refs)
        self.joining += sum(j for j, _ in done)
        return np.concatenate([np.zeros(0, bool)] + [m for _, m in done if m is not None])

    def add(self, pairs: np.ndarray) -> None:
        self._verify(pairs, mask=False)

    def joined(self, members: np.ndarray) -> Seeded:
        if not members.shape[0]:  # no big LSH group: nothing will be asked
            self.seeded = Seeded(members.astype(np.int64), members.astype(np.int64))
            return self.seeded
        nodes, labels = components(self.paths, self.joining, self.execution.cpus(), self.execution.tuning.group_bytes,
                                   members)
        seeds = members.astype(np.int64).copy()
        seeds[np.searchsorted(members, nodes)] = labels  # members in no link are alone: their own label
        self.seeded = Seeded(members.astype(np.int64), seeds)
        return self.seeded

    def confirm(self, pairs: np.ndarray) -> np.ndarray:
        return self._verify(pairs, mask=True)

    def finish(self) -> tuple[PairTable, list[list[int]]]:
        nodes, labels = components(self.paths, self.joining, self.execution.cpus(), self.execution.tuning.group_bytes)
        order = np.lexsort((nodes, labels))
        nodes, labels = nodes[order], labels[order]
        cuts = np.flatnonzero(labels[1:] != labels[:-1]) + 1
        groups = [g.tolist() for g in np.split(nodes, cuts)] if nodes.shape[0] else []
        found = [_read(p) for p in self.paths]
        return pair_table(self.n, [f[0] for f in found], [f[1] for f in found]), groups


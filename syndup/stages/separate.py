"""Stage 6, separate: cut each component of copies into clusters whose members all copy each other.

Connected components over `copy` links chain: a wire story's versions (each update keeps most of
the one before, the first and the last share a background paragraph), live blogs, and a page that
carries most of two unrelated stories join texts that are not copies of each other. A cluster here
is a set of articles that are copies of one text: within a component of up to `FULL_CHECK` (128)
members every pair is verified, and members are grouped around pivots (the member with the most
copies, then the longest) so that no cluster holds a pair judged `partial` or unrelated; a member
that copies two pivots joins the one it shares most with, and reposts of one text move together. A bigger component (a story with
thousands of copies) stays linear: every member is verified against its pivot and against a few
hubs (the longest member admitted, the one that shares least with the pivot: the far end of a
chain, and two in between). A hub that nearly every member copies is in the story's core and its
non-copies leave; a hub few copy (a copy cut to a fragment) leaves alone. The pivot's copies that
left start again as a component of their own (for a few rounds), the rest over the links verified.
The component itself is the story: every cluster cut from it shares its `story` number.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial

import numpy as np

from ..cluster import Components
from ..execution import Execution
from ..verify import NONE, Relations
from .verify import PairTable, Verified, Verifier


@dataclass(frozen=True)
class Separated:
    """Clusters of 2+ members (each sorted, ordered by their smallest member), the story (component
    number) of each and of each member cut loose from its component (`strays`), every verified
    related pair (with those verified here between two clusters), and the verifier."""

    groups: list[list[int]]
    story: list[int]
    strays: dict[int, int]
    table: PairTable
    verifier: Verifier


#: Components of up to this many members have every pair verified (at most 8,128 pairs each).
FULL_CHECK = 128


def separate(verified: Verified, max_full: int = FULL_CHECK, execution: Execution | None = None) -> Separated:
    """Cut every component of `verified` into clusters of mutual copies (see the module docstring);
    components of up to `max_full` members have every pair verified. On a cluster's workers
    (`execution.remote`), each component is cut on one worker by `cut`, as here."""
    table, verifier = verified.table, verified.verifier
    stories = list(range(len(verified.groups)))
    if execution is None or not execution.remote:
        found, recorded = cut(verified.groups, stories, table, verifier, max_full)
    else:  # each task is sent its components and the links among their members (memory per task)
        units = _apart(verified.groups, stories, table)
        found, recorded = [], []
        for f, r in execution.map_split(partial(_cut_apart, verifier=verifier, max_full=max_full), units,
                                        minimum=execution.tuning.fork_clusters, load=[len(g) ** 2 for g in verified.groups]):
            found += f
            recorded += r
    strays = {c[0]: s for c, s in found if len(c) == 1}
    found = [(sorted(c), s) for c, s in found if len(c) > 1]
    found.sort(key=lambda cs: cs[0][0])
    clustered = {m for c, _ in found for m in c}
    strays.update((m, s) for s, g in enumerate(verified.groups) for m in g if m not in clustered)
    groups = [c for c, _ in found]
    return Separated(groups, [s for _, s in found], strays, _merged(table, _across(recorded, groups, table.n)), verifier)


Found = list[tuple[list[int], int]]
Recorded = list[tuple[np.ndarray, np.ndarray, Relations]]


def cut(groups: list[list[int]], stories: list[int], table: PairTable, verifier: Verifier,
        max_full: int) -> tuple[Found, Recorded]:
    """The clusters cut from components `groups` (each with its story), and the links verified for them."""
    relations = _all_pairs([g for g in groups if len(g) <= max_full], table, verifier)
    found: Found = []
    recorded: Recorded = []
    for story, g in zip(stories, groups):
        if len(g) <= max_full:
            a, b, rel = relations[id(g)]
            recorded.append((a, b, rel))
            found += [(c, story) for c in _pivot_cliques(g, a, b, rel, verifier.sizes)]
        else:
            for c, links in _big(g, table, verifier, max_full):
                found.append((c, story))
                recorded.append(links)
    return found, recorded


#: One component as a task is sent it: its members, its story, the verified links among its members.
Unit = tuple[list[int], int, PairTable]


def _apart(groups: list[list[int]], stories: list[int], table: PairTable) -> list[Unit]:
    """Each component with the links of `table` among its members (all `cut` asks of the table for it)."""
    of = np.full(table.n, -1, dtype=np.int64)
    for k, g in enumerate(groups):
        of[g] = k
    inside = np.flatnonzero((of[table.a] == of[table.b]) & (of[table.a] >= 0))
    inside = inside[np.argsort(of[table.a[inside]], kind="stable")]  # by component, id order within
    cuts = np.searchsorted(of[table.a[inside]], np.arange(len(groups) + 1))
    return [(g, s, PairTable(table.n, table.a[at], table.b[at], table.rel.take(at)))
            for g, s, at in zip(groups, stories, (inside[x:y] for x, y in zip(cuts[:-1], cuts[1:])))]


def _cut_apart(units: list[Unit], verifier: Verifier, max_full: int) -> tuple[Found, Recorded]:
    """In a cluster's worker: `cut` of each component sent; pairs not verified yet are verified here, in this process."""
    here = copy.copy(verifier)
    here.execution = Execution(1, verifier.execution.tuning)
    found: Found = []
    recorded: Recorded = []
    for g, story, table in units:
        f, r = cut([g], [story], table, here, max_full)
        found += f
        recorded += r
    return found, recorded


def _pairs_of(group: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (a < b) of a sorted group."""
    g = np.asarray(group, dtype=np.int64)
    i, j = _upper(g.shape[0])
    return g[i], g[j]


@lru_cache(maxsize=FULL_CHECK + 1)
def _upper(n: int) -> tuple[np.ndarray, np.ndarray]:
    """The positions of every pair (i < j) of n members (most components have a few sizes)."""
    i, j = np.triu_indices(n, k=1)
    i.flags.writeable = j.flags.writeable = False
    return i, j


def _relations(a: np.ndarray, b: np.ndarray, table: PairTable, verifier: Verifier) -> Relations:
    """The relations of pairs a[k] < b[k]: from the table, the others verified now."""
    return table.lookup(a, b, lambda k: verifier.relate(np.stack([a[k], b[k]], axis=1)))


def _all_pairs(groups: list[list[int]], table: PairTable,
               verifier: Verifier) -> dict[int, tuple[np.ndarray, np.ndarray, Relations]]:
    """Every pair of every group, all verified in one batch (by group identity)."""
    if not groups:
        return {}
    cut = [_pairs_of(g) for g in groups]
    a = np.concatenate([x for x, _ in cut])
    b = np.concatenate([y for _, y in cut])
    rel = _relations(a, b, table, verifier)
    out, start = {}, 0
    for g, (x, _) in zip(groups, cut):
        stop = start + x.shape[0]
        out[id(g)] = (a[start:stop], b[start:stop], rel.take(np.arange(start, stop)))
        start = stop
    return out


def _pivot_cliques(group: list[int], a: np.ndarray, b: np.ndarray, rel: Relations,
                   sizes: np.ndarray) -> list[list[int]]:
    """A fully verified component cut into cliques of copies around pivots.

    Members that are the same text (a repost: Jaccard of `SAME_TEXT` or more) move as one atom, so
    a repost is never parted from what it reposts. The pivot is the atom of the member with the
    most copies among those left (then the longest, then the first in id order); it takes, in
    order of the shingles they share with it, each atom that copies it and every member taken so far.
    """
    copies = rel.clustering
    if copies.all():
        return [group]
    pairs = list(zip(a.tolist(), b.tolist()))
    linked = {p for p, c in zip(pairs, copies.tolist()) if c}
    shared = {p: s for p, s in zip(pairs, rel.shared.tolist())}

    def copy(x: int, y: int) -> bool:
        return (min(x, y), max(x, y)) in linked

    def all_copy(xs: list[int], ys: list[int]) -> bool:
        return all(copy(x, y) for x in xs for y in ys if x != y)

    left = _atoms(group, [p for p, c, j in zip(pairs, copies.tolist(), rel.jaccard.tolist()) if c and j >= SAME_TEXT],
                  all_copy)
    out: list[list[int]] = []
    while left:
        members = [m for atom in left for m in atom]
        degree = {m: sum(copy(m, o) for o in members if o != m) for m in members}
        lead = min(members, key=lambda m: (-degree[m], -int(sizes[m]), m))
        pivot = next(atom for atom in left if lead in atom)
        takers = sorted((atom for atom in left if atom is not pivot and all_copy(atom, pivot)),
                        key=lambda atom: (-max(shared[(min(m, lead), max(m, lead))] for m in atom), atom[0]))
        clique = list(pivot)
        for atom in takers:
            if all_copy(atom, clique):
                clique += atom
        out.append(clique)
        taken = set(clique)
        left = [atom for atom in left if atom[0] not in taken]
    return out


#: Two members this alike (Jaccard of their shingle sets) are the same text: a repost, a mirror.
SAME_TEXT = 0.8


def _atoms(group: list[int], strong: list[tuple[int, int]], all_copy: Callable[[list[int], list[int]], bool]) -> list[list[int]]:
    """The group's members joined by `strong` links, each atom sorted; an atom whose members are not
    all copies of each other falls apart into its members."""
    at = {m: k for k, m in enumerate(group)}
    joined = Components(len(group))
    if strong:
        joined.union(np.array([(at[x], at[y]) for x, y in strong], dtype=np.int64))
    out: list[list[int]] = []
    for atom in joined.groups():
        members = [group[k] for k in atom]
        out += [members] if all_copy(members, members) else [[m] for m in members]
    return out


def _big(group: list[int], table: PairTable, verifier: Verifier, max_full: int,
         rounds: int = 8) -> list[tuple[list[int], tuple[np.ndarray, np.ndarray, Relations]]]:
    """A big component's clusters, each with the links verified for it (see the module docstring)."""
    members = np.asarray(group, dtype=np.int64)
    # Arrays over the members are indexed by place in `known` (the members sorted), never by article
    # number: what a component costs grows with it, not with the corpus.
    known = np.unique(members)
    # The pivot: the member with the most copies in the table (the hub the links went to).
    in_group = np.isin(table.a, members) & np.isin(table.b, members) & table.rel.clustering
    ends = np.concatenate([table.a[in_group], table.b[in_group]])
    degree = np.bincount(np.searchsorted(known, ends), minlength=known.shape[0])
    order = np.lexsort((members, -verifier.sizes[members], -degree[np.searchsorted(known, members)]))
    pivot = int(members[order[0]])
    others = members[members != pivot]
    lo, hi = np.minimum(others, pivot), np.maximum(others, pivot)
    to_pivot = _relations(lo, hi, table, verifier)
    taken = others[to_pivot.clustering]
    keep = _core(taken, to_pivot.shared[to_pivot.clustering], table, verifier)
    cluster = [pivot, *taken[keep].tolist()]
    links = (lo[to_pivot.clustering], hi[to_pivot.clustering], to_pivot.take(to_pivot.clustering))
    out = [(cluster, links)]
    left = np.setdiff1d(members, np.asarray(cluster, dtype=np.int64))
    if left.shape[0] < 2:
        return out
    # Members that copy the pivot but were cut loose copy this story's text: they start again as
    # one component (a second version of a chain, copies cut differently), for up to `rounds`
    # rounds; the rest, and the members that copy nothing here, are joined by the links verified.
    again = taken[~keep]
    if again.shape[0] >= 2 and rounds > 1:
        cut_loose = again.tolist()
        if len(cut_loose) <= max_full:
            a, b, rel = _all_pairs([cut_loose], table, verifier)[id(cut_loose)]
            out += [(c, (a, b, rel)) for c in _pivot_cliques(cut_loose, a, b, rel, verifier.sizes)]
        else:
            out += _big(cut_loose, table, verifier, max_full, rounds - 1)
        left = np.setdiff1d(left, again)
    joined = Components(known.shape[0])
    inside = np.isin(table.a, left) & np.isin(table.b, left) & table.rel.clustering
    joined.union(np.searchsorted(known, np.stack([table.a[inside], table.b[inside]], axis=1)))
    for sub in (known[g].tolist() for g in joined.groups(min_size=2)):
        if len(sub) <= max_full:
            a, b, rel = _all_pairs([sub], table, verifier)[id(sub)]
            out += [(c, (a, b, rel)) for c in _pivot_cliques(sub, a, b, rel, verifier.sizes)]
        else:
            out += _big(sub, table, verifier, max_full, rounds)
    return out


#: Members of a big cluster each one is verified against (besides its pivot): the longest, the one
#: sharing least with the pivot (a chain's far end), and two in between.
HUBS = 4


def _core(taken: np.ndarray, shared: np.ndarray, table: PairTable, verifier: Verifier) -> np.ndarray:
    """Which of `taken` (the pivot's copies, sharing `shared` shingles with it) stay with it.

    Each is verified against a few hubs. A hub that nearly as many members copy as the hub most
    copied is in the story's core, and the members that fail it leave (the other half of a chain, a
    copy cut to a fragment); a hub that fewer copy is itself on the fringe and leaves alone, so that a
    fragment never takes the copies it is not a copy of along with it.
    """
    keep = np.ones(taken.shape[0], dtype=bool)
    if taken.shape[0] < 2:
        return keep
    by_share = np.lexsort((taken, shared))
    picks = [int(np.lexsort((taken, -verifier.sizes[taken]))[0]), int(by_share[0])]
    picks += [int(by_share[(k * by_share.shape[0]) // (HUBS - 1)]) for k in range(1, HUBS - 1)]
    hubs = sorted(set(picks))
    hub = np.repeat(taken[hubs], taken.shape[0])  # every member against every hub, verified in one batch
    member = np.tile(taken, len(hubs))
    other = hub != member
    copied = np.ones(hub.shape[0], dtype=bool)
    copied[other] = _relations(np.minimum(member[other], hub[other]), np.maximum(member[other], hub[other]),
                               table, verifier).clustering
    agree = copied.reshape(len(hubs), taken.shape[0])  # row: which members copy that hub (itself included)
    counts = agree.sum(axis=1).tolist()
    best = max(counts)
    for h, copies, count in zip(hubs, agree, counts):
        if count >= CORE_SHARE * best:
            keep &= copies
        else:
            keep[h] = False
    return keep


#: A hub copied by at least this share of the members the best hub is copied by is in the core.
CORE_SHARE = 0.9


def _across(recorded: list[tuple[np.ndarray, np.ndarray, Relations]], groups: list[list[int]],
            n: int) -> list[tuple[np.ndarray, np.ndarray, Relations]]:
    """Of the pairs verified here, those between two clusters (or a cluster and a member cut loose):
    why a story was cut. Pairs inside a cluster stay out, so a big cluster's pairs stay its links."""
    cluster = np.full(n, -1, dtype=np.int64)
    for k, g in enumerate(groups):
        cluster[g] = k
    out = []
    for a, b, rel in recorded:
        apart = (cluster[a] != cluster[b]) | (cluster[a] < 0)
        out.append((a[apart], b[apart], rel.take(apart)))
    return out


def _merged(table: PairTable, recorded: list[tuple[np.ndarray, np.ndarray, Relations]]) -> PairTable:
    """The table with the related pairs verified here added (each pair once, in id order)."""
    a = np.concatenate([table.a] + [x for x, _, _ in recorded])
    b = np.concatenate([table.b] + [y for _, y, _ in recorded])
    rel = Relations.concat([table.rel] + [r for _, _, r in recorded])
    related = rel.code != NONE
    a, b, rel = a[related], b[related], rel.take(related)
    _, first = np.unique(a * table.n + b, return_index=True)
    return PairTable(table.n, a[first], b[first], rel.take(first))

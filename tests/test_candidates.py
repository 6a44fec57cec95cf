"""Candidates: linking big LSH groups with about one verified link per member, and LSH banding
that keeps big groups for linking and pairs up small ones."""

from __future__ import annotations

import random

import numpy as np

from syndup.candidates import Banding, link_groups, lsh_banding
from syndup.cluster import Components

# --- linking big LSH groups --------------------------------------------------------------------

def _banding(groups_by_band: list[list[list[int]]], n: int) -> Banding:
    big = []
    centrality = np.zeros(n, dtype=np.int64)
    for groups in groups_by_band:
        members = np.concatenate([np.sort(np.array(g)) for g in groups]).astype(np.int32)
        offsets = np.concatenate([[0], np.cumsum([len(g) for g in groups])])
        for g in groups:
            centrality[g] += len(g)
        big.append((members, offsets))
    return Banding(np.zeros((0, 2), np.int64), big, centrality)


def test_big_groups_are_joined_with_one_link_per_member():
    n, bands = 500, 12
    rng = random.Random(3)
    story = {d: d % 2 for d in range(n)}  # two stories, mixed in the same LSH groups in every band
    groups_by_band = []
    for _ in range(bands):
        docs = list(range(n))
        rng.shuffle(docs)
        groups_by_band.append([docs[:300], docs[300:]])
    asked: list[tuple[int, int]] = []

    def confirm(pairs: np.ndarray) -> np.ndarray:
        asked.extend(map(tuple, pairs.tolist()))
        return np.array([story[a] == story[b] for a, b in pairs.tolist()], dtype=bool)

    comp = Components(n)
    link_groups(_banding(groups_by_band, n), comp, confirm)
    labels = comp.labels()
    assert len({labels[d] for d in range(0, n, 2)}) == 1  # each story one component
    assert len({labels[d] for d in range(1, n, 2)}) == 1
    assert labels[0] != labels[1]
    assert len(asked) == len(set(asked))  # no pair asked twice
    assert len(asked) < 3 * n  # linear, even with every group mixing two stories


def test_an_odd_hub_never_strands_the_others():
    n = 100
    groups_by_band = [[list(range(n))] for _ in range(5)]
    banding = _banding(groups_by_band, n)
    banding.centrality[7] += 1000  # the most central member: every other doc is tried with it first

    def confirm(pairs: np.ndarray) -> np.ndarray:
        return np.array([7 not in (a, b) for a, b in pairs.tolist()], dtype=bool)

    comp = Components(n)
    link_groups(banding, comp, confirm)
    labels = comp.labels()
    assert len({labels[d] for d in range(n) if d != 7}) == 1
    assert labels[7] == 7


def test_links_are_made_only_where_components_differ():
    n = 50
    banding = _banding([[list(range(n))], [list(range(n))]], n)
    comp = Components(n)
    comp.union(np.array([[d, d + 1] for d in range(n - 1)]))  # already one component

    def confirm(pairs: np.ndarray) -> np.ndarray:
        raise AssertionError(f"nothing to verify, asked {pairs.tolist()}")

    link_groups(banding, comp, confirm)


def test_lsh_banding_keeps_big_groups_and_pairs_small_ones():
    rng = np.random.default_rng(0)
    sigs = rng.integers(0, 2 ** 32, size=(60, 8), dtype=np.uint64).astype(np.uint32)
    sigs[:40] = sigs[0]   # 40 identical signatures: one big group in every band
    sigs[40:43] = sigs[40]  # 3 identical: all pairs
    banding = lsh_banding(sigs, np.arange(60), 4, 2, 32)
    assert banding.pairs.tolist() == [[40, 41], [40, 42], [41, 42]]
    assert len(banding.big) == 4
    assert all(m.tolist() == list(range(40)) for m, _ in banding.big)
    assert banding.centrality[:40].tolist() == [160] * 40 and not banding.centrality[40:].any()
    assert banding.in_big(np.array([[0, 39], [0, 40], [40, 41]])).tolist() == [True, False, False]

"""Big clusters stay linear: batched verification, linking big LSH groups, components, origins.

Each fast path is checked against the plain one it replaces (`relate_many` in test_verify.py):
`Components` against a dict union-find, `containment_scores` against its formula, the attribution
regex against `_ATTRIBUTION`, `SetStore.gather` against reading sets one by one.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndup.candidates import Banding, link_groups, lsh_banding
from syndup.cluster import _ATTRIBUTION, ClusterShingles, Components, attributions, containment_scores
from syndup.normalize import fold
from syndup.shingle import SetBatch, ShingleSet
from syndup.spill import SetStore, SpillDir, write_sets

from .test_verify import random_sets

# --- components --------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.integers(1, 60), st.lists(st.tuples(st.integers(0, 59), st.integers(0, 59)), max_size=80),
       st.integers(1, 4))
def test_components_join_like_a_plain_union_find(n, edges, batches):
    edges = [(a % n, b % n) for a, b in edges]
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    comp = Components(n)
    step = max(1, len(edges) // batches)
    for k in range(0, len(edges), step):
        chunk = edges[k:k + step]
        comp.union(np.array(chunk, dtype=np.int64).reshape(-1, 2))
        for a, b in chunk:
            ra, rb = find(a), find(b)
            parent[max(ra, rb)] = min(ra, rb)
    want: dict[int, list[int]] = {}
    for x in range(n):
        want.setdefault(find(x), []).append(x)
    assert comp.groups() == sorted(want.values())
    assert comp.groups(min_size=2) == sorted(g for g in want.values() if len(g) >= 2)
    assert comp.labels().tolist() == [min(want[find(x)]) for x in range(n)]


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


# --- origins -----------------------------------------------------------------------------------

def test_containment_scores_are_the_mean_share_of_the_others_found():
    rng = random.Random(5)
    sets = random_sets(rng, 12, 300)
    members = list(range(12))
    got = containment_scores(members, members, SetBatch.of(sets))
    for c in members:
        if not len(sets[c]):
            assert got[c] == 0.0
            continue
        mine = set(sets[c].hashes.tolist())
        shares = [len(mine & set(sets[m].hashes.tolist())) / max(len(sets[m]), 1) for m in members if m != c]
        assert got[c] == pytest.approx(sum(shares) / 11, abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_cluster_shingles_count_each_members_overlap_like_overlap(seed):
    rng = random.Random(seed)
    sets = random_sets(rng, 15, 200)
    members = sorted(rng.sample(range(15), 10))
    shingles = ClusterShingles(members, SetBatch.of(sets))
    for c in members[:4]:
        shared, unquoted = shingles.overlap_with(c)
        assert [_overlap(sets[m], sets[c]) for m in members] == list(zip(shared.tolist(), unquoted.tolist()))


def _overlap(a: ShingleSet, b: ShingleSet) -> tuple[int, int]:
    """(shared shingles, shared shingles unquoted on both sides), by set arithmetic."""
    unquoted = [{h for h, u in zip(x.hashes.tolist(), x.unquoted.tolist()) if u} for x in (a, b)]
    return len(set(a.hashes.tolist()) & set(b.hashes.tolist())), len(unquoted[0] & unquoted[1])


TOKENS = ["Source", "source:", "Articles", "by", "Article", "originally", "first", "appeared", "published",
          "on", "at", "This", "story", "was", "republished", "from", "with", "permission", "of", "Editor's",
          "note:", "RT", "News", ".", ":", "-", "  ", "\n", "\n\n", "\n \n", "\u201cQuoted\u201d", "x" * 60]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
def test_attributions_match_the_reference_regex(tokens):
    text = " ".join(tokens)
    want = [m.group("name").strip() for m in _ATTRIBUTION.finditer(fold(text))]
    assert attributions(text) == want


# --- reading sets in batches -------------------------------------------------------------------

@pytest.mark.parametrize("wanted", [[3], [0, 5, 2], list(range(40)), [39, 0, 12, 12, 7]])
def test_gather_reads_what_one_by_one_reads(wanted):
    rng = random.Random(1)
    spill = SpillDir()
    sets = random_sets(rng, 40, 10 ** 6)
    chunk, start, end, totals = [], [], [], []
    for c, part in enumerate([sets[:25], sets[25:]]):
        batch = SetBatch.of(part)
        write_sets(spill.file("sets", c), batch.hashes, batch.unquoted)
        chunk += [c] * len(part)
        start += batch.offsets[:-1].tolist()
        end += batch.offsets[1:].tolist()
        totals.append(int(batch.offsets[-1]))
    store = SetStore(spill, np.array(chunk, np.int32), np.array(start), np.array(end), totals)
    got = store.gather(np.array(wanted))
    assert store.sizes().tolist() == [len(s) for s in sets]
    for k, d in enumerate(wanted):
        s, e = got.offsets[k], got.offsets[k + 1]
        assert got.hashes[s:e].tolist() == store[d].hashes.tolist() == sets[d].hashes.tolist()
        assert got.unquoted[s:e].tolist() == store[d].unquoted.tolist() == sets[d].unquoted.tolist()

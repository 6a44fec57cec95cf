"""Clusters and origins against plain references: `Components` against a dict union-find,
`containment_scores` against its formula, each member's overlap against exact set arithmetic, the
attribution fast regex against `_ATTRIBUTION`."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndup.cluster import _ATTRIBUTION, ClusterShingles, Components, attributions, containment_scores
from syndup.normalize import fold
from syndup.shingle import SetBatch, ShingleSet

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


# --- origin evidence read cluster by cluster ----------------------------------------------------

_PROSE = [
    "Rail workers across the north of England will walk out for three days next month after talks broke down.",
    "The union said more than 4,000 guards, drivers and station staff had voted for the action on Tuesday.",
    "Operators said they were disappointed and urged passengers to check before they travel next week.",
    "Talks at the conciliation service had been described as constructive as recently as last week.",
    "Business groups in Leeds and Manchester said the walkout would hit shops during a busy week.",
    "The Latest on the rail strike in the north of England (all times local):",
]
_ADDED = [
    "Comments (2)", "jsmith wrote: the unions are holding the whole region to ransom again.",
    "Source: Reuters", "Click here to watch the video", "Home | News | Sport | Weather | Video",
    "Disclaimer: The views expressed in this article do not necessarily reflect those of this site.",
    "Share this article", "Sign up to our daily newsletter",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_PROSE + _ADDED), min_size=1, max_size=9), min_size=2, max_size=6),
       st.lists(st.sampled_from(["a", "b", "c", None]), min_size=6, max_size=6))
def test_evidence_read_cluster_by_cluster_picks_the_same_origin_as_each_member_read_whole(pages, sites):
    """`clusters_evidence` labels only the paragraphs that can weigh (not held by every publisher, up
    to the lead, a possible comment heading): what copies add and which member is a later version
    come out as from `read_evidence` of each member, for any mix of shared and added paragraphs."""
    from syndup.cluster import copy_evidence, updates
    from syndup.stages.origins import clusters_evidence, read_evidence

    texts = ["\n\n".join(p) for p in pages]
    members = list(range(len(texts)))
    site = sites[:len(texts)]
    whole = [read_evidence(t, "A headline") for t in texts]
    lazy = clusters_evidence([[(t, "A headline", site[m] or m) for m, t in enumerate(texts)]])[0]
    assert copy_evidence(members, lazy, site) == copy_evidence(members, whole, site)
    assert updates(members, lazy) == updates(members, whole)
    assert [e.credits for e in lazy] == [e.credits for e in whole]
    assert [e.body[:1] for e in lazy] == [e.body[:1] for e in whole]
    every = clusters_evidence([[(t, "A headline", m) for m, t in enumerate(texts)]], every=True)[0]
    assert every == whole  # read in parts of a big cluster: each member's evidence whole

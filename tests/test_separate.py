"""Clusters never chain: every pair in a cluster is a copy, versions of a story share its story id.

Generated corpora reproduce what chains real clusters: write-thru versions of a story (each keeps
most of the one before, the first and the last share little) with verbatim reposts of some
versions, and pages that carry most of two unrelated stories. No site chrome is added, so the
scan's verdict on a pair is `syndup.relate` of the two texts: the oracle here.
"""

from __future__ import annotations

import random
from itertools import combinations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import syndup
from syndup.verify import COPY_CODE, NONE, Relations
from tests.references import Writer

CLUSTERING = {"copy", "duplicate"}


def chain(w: Writer, rng: random.Random, name: str, versions: int, keep: float) -> list[tuple[str, list[str]]]:
    """Versions of one story: each keeps about `keep` of the one before (some paragraphs dropped,
    new ones put in at the top and in the middle)."""
    paras = w.article(8)
    out = [(f"{name}/v0", paras)]
    for v in range(1, versions):
        kept = [p for p in paras if rng.random() < keep] or paras[:1]
        new = w.article(max(1, round(len(paras) * (1 - keep))))
        middle = len(kept) // 2
        paras = new[:1] + kept[:middle] + new[1:] + kept[middle:]
        out.append((f"{name}/v{v}", paras))
    return out


def corpus(seed: int, chains: int, versions: int, keep: float, reposts: int, carriers: int) -> tuple[list[dict], dict]:
    """Records, and the truth: each repost with the version it reposts, each chain's versions,
    and each carrier page with the two stories it carries."""
    rng = random.Random(seed)
    w = Writer(seed)
    records: list[dict] = []
    truth: dict = {"reposts": [], "chains": [], "carriers": []}
    last: list[tuple[str, list[str]]] = []
    for c in range(chains):
        versions_of = chain(w, rng, f"story{c}", versions, keep)
        truth["chains"].append([doc_id for doc_id, _ in versions_of])
        for doc_id, paras in versions_of:
            records.append({"id": doc_id, "text": "\n\n".join(paras)})
            for r in range(reposts if rng.random() < 0.7 else 0):
                repost = f"{doc_id}/repost{r}"
                records.append({"id": repost, "text": "\n\n".join(paras + [f"Source: {doc_id}"])})
                truth["reposts"].append((doc_id, repost))
        last.append(versions_of[-1])
    for k in range(min(carriers, len(last) // 2)):
        (a, pa), (b, pb) = last[2 * k], last[2 * k + 1]
        page = f"carrier{k}"
        records.append({"id": page, "text": "\n\n".join(pa[:max(1, len(pa) - 1)] + ["Also today:"]
                                                           + pb[:max(1, len(pb) - 1)])})
        truth["carriers"].append((page, a, b))
    rng.shuffle(records)
    return records, truth


def relation(texts: dict[str, str], a: str, b: str) -> str:
    rel = syndup.relate(texts[a], texts[b])
    return rel.relation if rel is not None else "none"


def check(records: list[dict], truth: dict) -> None:
    texts = {r["id"]: r["text"] for r in records}
    with syndup.scan(records, jobs=1) as result:
        docs = result.documents.set_index("doc_id")
        pairs = result.pairs
    cluster, story = docs["cluster_id"].to_dict(), docs["story_id"].to_dict()
    # No cluster holds a pair that is not a copy.
    for _, members in docs.groupby("cluster_id").groups.items():
        for a, b in combinations(sorted(members), 2):
            assert relation(texts, a, b) in CLUSTERING, (a, b, relation(texts, a, b))
    # A verbatim repost is always with the version it reposts.
    for version, repost in truth["reposts"]:
        assert cluster[version] == cluster[repost], (version, repost)
    # Versions that copy each other are one story, whatever their clusters. The one exception is a
    # pair the candidates never offered: anchors sample one shingle in eight, so a short version
    # sharing a few dozen shingles is missed now and then (under 0.2% of the time from 64 shared
    # on); that is candidate recall, measured by benchmarks/quality.py, not a chain cut.
    offered = set(zip(pairs.doc_a, pairs.doc_b)) | set(zip(pairs.doc_b, pairs.doc_a))
    for versions in truth["chains"]:
        for a, b in zip(versions, versions[1:]):
            rel = syndup.relate(texts[a], texts[b])
            if rel is not None and rel.relation in CLUSTERING and story[a] != story[b]:
                assert (a, b) not in offered and rel.shared < 64, (a, b)
    # A page carrying two stories is one story with those it copies, in the cluster of one of them.
    for page, a, b in truth["carriers"]:
        carried = [x for x in (a, b) if relation(texts, page, x) in CLUSTERING]
        assert all(story[page] == story[x] for x in carried)
        assert not carried or cluster[page] in {cluster[x] for x in carried} or all(
            relation(texts, page, m) in CLUSTERING for m in docs.index[docs["cluster_id"] == cluster[page]])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(seed=75, chains=4, versions=3, keep=0.875, reposts=1, carriers=2)  # a repost on the copy threshold
@example(seed=228, chains=1, versions=4, keep=0.8, reposts=0, carriers=0)  # a 68-word version no candidate offers
@given(st.integers(0, 10_000), st.integers(1, 4), st.integers(3, 6), st.floats(0.6, 0.9), st.integers(0, 2),
       st.integers(0, 2))
def test_clusters_never_hold_a_pair_that_is_not_a_copy(seed, chains, versions, keep, reposts, carriers):
    check(*corpus(seed, chains, versions, keep, reposts, carriers))


def test_a_chain_of_versions_is_one_story_in_several_clusters():
    records, truth = corpus(seed=3, chains=1, versions=6, keep=0.8, reposts=1, carriers=0)
    check(records, truth)
    texts = {r["id"]: r["text"] for r in records}
    chained = truth["chains"][0]
    assert all(relation(texts, a, b) == "copy" for a, b in zip(chained, chained[1:]))  # each update copies the last
    assert relation(texts, chained[0], chained[-1]) != "copy"
    docs = syndup.scan(records, jobs=1).documents
    versions = docs[docs["doc_id"].isin(chained)]
    assert versions["story_id"].nunique() == 1
    assert versions["cluster_id"].nunique() > 1  # the first and the last versions are not copies


def test_a_page_carrying_two_stories_sits_with_the_one_it_holds_most_of():
    w, rng = Writer(5), random.Random(5)
    one, two = w.article(8), w.article(8)
    records = [{"id": "one", "text": "\n\n".join(one)}, {"id": "two", "text": "\n\n".join(two)},
               {"id": "page", "text": "\n\n".join(one[:7] + ["Also today:"] + two[:5])}]
    rng.shuffle(records)
    result = syndup.scan(records, jobs=1)
    docs = result.documents.set_index("doc_id")
    assert docs.loc["page", "cluster_id"] == docs.loc["one", "cluster_id"] != docs.loc["two", "cluster_id"]
    assert docs["story_id"].nunique() == 1
    pairs = {(r.doc_a, r.doc_b): r.relation for r in result.pairs.itertuples()}
    assert pairs[("page", "two")] == "copy"  # the link to the other story is kept in pairs.csv
    clusters = result.clusters.set_index("cluster_id")
    assert clusters.loc[docs.loc["two", "cluster_id"], "story_id"] == docs.loc["page", "story_id"]


def test_a_big_family_of_copies_stays_one_cluster_with_linear_links():
    w = Writer(9)
    paras = w.article(10)
    records = [{"id": f"copy{i:04d}", "text": "\n\n".join(paras + [f"Reposted by site {i}."])} for i in range(300)]
    result = syndup.scan(records, jobs=1)
    assert result.clusters.iloc[0]["size"] == 300
    assert len(result.pairs) < 3 * 300
    assert isinstance(result.pairs, pd.DataFrame)


def edited_copies(w: Writer, rng: random.Random, paras: list[str], n: int) -> list[list[str]]:
    """n copies of one article, edited as republishers do (`benchmarks/speed.py`'s copies): some cut
    to an excerpt, tails cut, the lead or a middle paragraph dropped, a paragraph moved, a sentence
    rewritten; edits stack, so a few copies end up a fragment that shares under half of the rest."""
    out = []
    for _ in range(n):
        p = list(paras)
        if rng.random() < 0.15:
            p = p[:int(len(p) * rng.uniform(0.4, 0.65))]
        if rng.random() < 0.4 and len(p) > 4:
            p = p[:-rng.randint(1, 3)]
        if rng.random() < 0.2 and len(p) > 4:
            p = p[1:]
        if rng.random() < 0.3 and len(p) > 4:
            del p[rng.randrange(1, len(p) - 1)]
        if rng.random() < 0.5:
            j = rng.randrange(len(p))
            p[j] = p[j].split(". ")[0] + ". " + w.sentence()
        out.append(p)
    return out


def test_a_big_family_leaves_no_copy_of_its_core_text_alone():
    """Copies cut to a fragment may leave the big cluster, never the full copies they are not
    copies of: a fragment checked as a hub once left a fifth of a 5,000-copy family as singletons."""
    w, rng = Writer(21), random.Random(21)
    paras = w.article(14)
    records = [{"id": "origin", "text": "\n\n".join(paras)}]
    records += [{"id": f"copy{i:03d}", "text": "\n\n".join(p)} for i, p in enumerate(edited_copies(w, rng, paras, 300))]
    texts = {r["id"]: r["text"] for r in records}
    docs = syndup.scan(records, jobs=1).documents.set_index("doc_id")
    main = docs.loc["origin", "cluster_id"]
    members = sorted(docs.index[docs["cluster_id"] == main])
    sample = random.Random(1).sample(members, 12)
    alone = docs.index[docs["role"] == "unique"]
    # A copy of the story's core text (it copies the origin and every one of a sample of the
    # cluster) is never left alone, and the big cluster holds nearly all of the family.
    assert [d for d in alone if all(relation(texts, d, m) in CLUSTERING for m in ["origin", *sample])] == []
    assert len(members) > 0.9 * len(records)
    assert docs["story_id"].nunique() == 1



class _Halves:
    """A verifier of a component whose two halves are copies within, not across (`_big` asks `relate`
    and `sizes`, by article number)."""

    def __init__(self, half: set[int], n: int) -> None:
        self.half, self.sizes = half, np.broadcast_to(np.int64(100), (n,))  # every article's size, in no memory

    def relate(self, pairs: np.ndarray) -> Relations:
        same = np.array([(a in self.half) == (b in self.half) for a, b in pairs.tolist()], dtype=bool)
        k = pairs.shape[0]
        return Relations(np.where(same, COPY_CODE, NONE).astype(np.int8), np.full(k, 0.9), np.full(k, 0.9),
                         np.full(k, 0.9), np.full(k, 50, np.int64), np.zeros(k, np.int64), np.zeros(k, np.int8))


def test_cutting_a_big_component_holds_arrays_of_its_members_not_of_the_corpus():
    """A 60-member component at the end of a 20M-article corpus is cut (on one worker, for the Ray
    engine) in memory that follows its members: before, arrays indexed by article number cost 160 MB each."""
    import tracemalloc

    from syndup.stages.separate import _big
    from syndup.stages.verify import PairTable

    n = 20_000_000
    members = (n - 1000 + 7 * np.arange(60)).astype(np.int64)
    first, second = members[:30], members[30:]
    hub_links = [(int(first[0]), int(m)) for m in first[1:]] + [(int(second[0]), int(m)) for m in second[1:]]
    a, b = (np.array(x, dtype=np.int64) for x in zip(*hub_links))
    table = PairTable(n, a, b, _Halves(set(first.tolist()), n).relate(np.stack([a, b], axis=1)))
    tracemalloc.start()
    try:
        found = _big(members.tolist(), table, _Halves(set(first.tolist()), n), max_full=8)  # type: ignore[arg-type]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sorted(sorted(c) for c, _ in found) == [first.tolist(), second.tolist()]
    assert peak < 8 << 20

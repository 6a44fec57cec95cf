"""Candidates: linking big LSH groups with about one verified link per member, LSH banding that
keeps big groups for linking and pairs up small ones, and anchors that find a shared passage but
not sentences recurring across many articles."""

from __future__ import annotations

import random

import numpy as np
import pytest

import syndup
from syndup.candidates import AnchorRule, Banding, anchor_hub, anchor_pairs, anchor_pairs_flat, link_groups, lsh_banding
from syndup.cluster import Components
from syndup.errors import SettingsError
from syndup.shingle import analyze
from syndup.sketch import sketch

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


# --- anchors: a shared passage, not recurring sentences ----------------------------------------

def _recurring_corpus(n: int, seed: int) -> tuple[list[dict[str, str]], str]:
    """n articles of 36 sentences, 6 of them drawn from a pool whose every sentence is in 10-20
    articles (never twice in one), in paragraphs of 2-4 sentences; articles 0 and 1 also carry one
    60-word paragraph, their only shared passage. Returns the records and that paragraph."""
    rng = random.Random(seed)

    def sentence(words: int) -> str:
        return " ".join(f"w{rng.randrange(10**6)}" for _ in range(words)).capitalize() + "."

    uses: list[int] = []
    while sum(uses) < 6 * n:
        uses.append(rng.randint(11, 20))
    for j in range(sum(uses) - 6 * n):  # fewer than 20 too many: one less for as many sentences
        uses[j] -= 1
    slots = [s for s, k in enumerate(uses) for _ in range(k)]
    pool = [sentence(rng.randint(10, 16)) for _ in uses]
    rng.shuffle(slots)
    articles: list[list[str]] = [[] for _ in range(n)]
    for k, s in enumerate(slots):  # deal round the articles, skipping one that has the sentence
        i = k % n
        while pool[s] in articles[i] or len(articles[i]) >= 6:
            i = (i + 1) % n
        articles[i].append(pool[s])
    passage = " ".join(sentence(15) for _ in range(4))
    records = []
    for i, picked in enumerate(articles):
        sentences = picked + [sentence(rng.randint(10, 30)) for _ in range(30)]
        rng.shuffle(sentences)
        paras, at = [], 0
        while at < len(sentences):
            size = rng.randint(2, 4)
            paras.append(" ".join(sentences[at:at + size]))
            at += size
        if i < 2:
            paras.insert(3 + 2 * i, passage)
        records.append({"id": f"a{i:03d}", "text": "\n\n".join(paras)})
    return records, passage


def test_recurring_sentences_are_no_evidence_but_a_shared_passage_is():
    """Anchors of real text: of 300 articles whose sentences recur in 10-20 of them, only the two
    sharing a 60-word paragraph are a candidate."""
    records, passage = _recurring_corpus(300, seed=5)
    assert len(passage.split()) == 60
    settings = syndup.Settings()
    anchors = [sketch(analyze(rec["text"]), None, settings).anchors for rec in records]
    assert anchor_pairs(anchors, AnchorRule.of(settings)).tolist() == [[0, 1]]


def test_a_scan_reports_the_shared_passage_not_the_recurring_sentences():
    records, _ = _recurring_corpus(300, seed=5)
    pairs = syndup.scan(records).pairs
    assert [(r.doc_a, r.doc_b, r.relation) for r in pairs.itertuples()] == [("a000", "a001", "partial")]


def test_the_index_applies_the_same_anchor_rule():
    """Once every article is in, checking one finds the shared passage and nothing else."""
    records, _ = _recurring_corpus(120, seed=6)
    with syndup.Index.open(":memory:") as idx:
        for rec in records:
            idx.add(rec["id"], rec["text"])
        found = {rec["id"]: [(m.doc_id, m.relation) for m in idx.check(rec["text"]) if m.doc_id != rec["id"]]
                 for rec in records}
    assert found.pop("a000") == [("a001", "partial")]
    assert found.pop("a001") == [("a000", "partial")]
    assert not [matches for matches in found.values() if matches]


def test_a_page_quoting_a_story_with_many_copies_is_paired_with_one():
    """An 80-word passage of a story with 11 copies is held by 13 articles, more than anchor_max_df:
    the quoting page is still found, through the anchors' hub."""
    rng = random.Random(8)

    def words(k: int) -> str:
        return " ".join(f"w{rng.randrange(10**6)}" for _ in range(k)) + "."

    story = [words(40) for _ in range(10)]
    records = [{"id": "origin", "text": "\n\n".join(story)}]
    records += [{"id": f"copy{i:02d}", "text": "\n\n".join(story[:9] + [words(30), f"By agency {i}."])}
                for i in range(11)]
    page = [words(40) for _ in range(10)]
    records.append({"id": "page", "text": "\n\n".join(page[:5] + story[4:6] + page[5:])})
    assert syndup.Settings().anchor_max_df < 13
    pairs = syndup.scan(records).pairs
    quoting = pairs[(pairs.doc_a == "page") | (pairs.doc_b == "page")]
    assert len(quoting) >= 1 and set(quoting.relation) == {"partial"}


def test_scan_and_index_choose_the_same_hub():
    """Three anchors held by the same articles pair each holder with one hub: `anchor_hub`'s."""
    rng = np.random.default_rng(2)
    rule = AnchorRule(min_shared=1, max_df=2, max_hub_df=32)
    for _ in range(20):
        holders = np.sort(rng.choice(1000, size=int(rng.integers(3, 30)), replace=False))
        values = np.repeat(np.arange(3, dtype=np.uint64), holders.shape[0])
        pairs = anchor_pairs_flat(values, np.tile(holders, 3), 1000, rule)
        hub = anchor_hub(holders.tolist())
        assert sorted(pairs.tolist()) == sorted(sorted([hub, int(d)]) for d in holders if d != hub)


def _sentence_anchors(n: int, pool: int, seed: int) -> list[np.ndarray]:
    """Anchors of n articles of 25 sentences drawn from a fixed pool (2 anchors a sentence), so a
    sentence recurs in more articles as n grows; articles 0 and 1 share a passage of 7 anchors."""
    rng = np.random.default_rng(seed)
    sentences = rng.choice(2**32 - 1, size=(pool, 2), replace=False).astype(np.uint32)
    passage = np.arange(7, dtype=np.uint32)  # values no sentence has: the pool's are drawn at random
    anchors = [sentences[rng.choice(pool, 25, replace=False)].ravel() for _ in range(n)]
    anchors[0] = np.concatenate([anchors[0], passage])
    anchors[1] = np.concatenate([anchors[1], passage])
    return anchors


def test_candidate_pairs_grow_linearly_when_sentences_recur():
    """From 500 to 8,000 articles over one pool of sentences (each in ~6 articles, then ~100):
    the candidate pairs per article do not grow, and the shared passage is always found."""
    rule = AnchorRule.of(syndup.Settings())
    per_article = []
    for n in (500, 2000, 8000):
        pairs = anchor_pairs(_sentence_anchors(n, 2000, seed=n), rule)
        assert [0, 1] in pairs.tolist()
        per_article.append(pairs.shape[0] / n)
    assert per_article[1] <= per_article[0] and per_article[2] <= per_article[0], per_article


@pytest.mark.parametrize("field,value", [("anchor_max_df", 1), ("anchor_min_shared", 0), ("anchor_max_df", 8.0)])
def test_anchor_settings_are_checked(field, value):
    with pytest.raises(SettingsError, match=field):
        syndup.Settings(**{field: value})


def test_banding_leaves_out_empty_signatures_only():
    """An article with nothing to sign (every column 0xFFFFFFFF) joins no group; one whose first
    column merely happens to be 0xFFFFFFFF still does."""
    full = np.uint32(0xFFFFFFFF)
    sig = np.arange(6 * 8, dtype=np.uint32).reshape(6, 8)
    sig[1] = sig[0]                 # 0 and 1: one group in every band
    sig[2], sig[3] = full, full     # 2 and 3: empty, equal, never paired
    sig[4] = sig[0]
    sig[4, 0] = sig[5, 0] = full    # 4 shares bands 1-3 with 0 and 1; 5 is not empty
    sig[5, 1:] = sig[0, 1:]
    found = lsh_banding(sig, np.arange(6), 4, 2, 10)
    assert {tuple(p) for p in found.pairs.tolist()} == {(0, 1), (0, 4), (1, 4), (0, 5), (1, 5), (4, 5)}

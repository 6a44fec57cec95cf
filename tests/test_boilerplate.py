"""Boilerplate judgement: the batched story count against a pair-by-pair reference."""

from __future__ import annotations

from collections.abc import Sequence, Set

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from syndup import boilerplate
from syndup.boilerplate import Member, stories_many
from syndup.settings import Settings


def stories(members: Sequence[Member], known: Set[int] = frozenset(), same: float = 0.3) -> int:
    """The reference for `stories_many`, one group, pair by pair: two members are linked when the
    words of shared paragraphs (known boilerplate left out) are at least `same` of the smaller
    member's words, and the connected groups of links are counted."""
    maps = []
    for m in members:
        words: dict[int, int] = {}
        for h, w in zip(m.para_hashes.tolist(), m.para_words.tolist()):
            if h not in known:
                words[h] = words.get(h, 0) + w
        maps.append(words)
    totals = [sum(wm.values()) for wm in maps]
    label = list(range(len(maps)))  # component of each member, relabelled on every link
    for i in range(len(maps)):
        for j in range(i + 1, len(maps)):
            small, big = (maps[i], maps[j]) if len(maps[i]) <= len(maps[j]) else (maps[j], maps[i])
            shared = sum(w for h, w in small.items() if h in big)  # the words of the one with fewer paragraphs
            floor = min(totals[i], totals[j])
            if floor and shared >= same * floor and label[i] != label[j]:
                old, new = label[j], label[i]
                label = [new if x == old else x for x in label]
    return len(set(label))

# Members drawn from a small pool of paragraphs, so that they share some and not others.
MEMBER = st.builds(
    lambda paras, site: Member(np.array([h for h, _ in paras], dtype=np.uint64),
                               np.array([w for _, w in paras], dtype=np.int32), site),
    st.lists(st.tuples(st.integers(1, 12), st.integers(0, 30)), max_size=8),
    st.sampled_from(["a.example", "b.example", None]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(MEMBER, min_size=1, max_size=12),
       st.lists(st.lists(st.integers(0, 11), max_size=9), min_size=1, max_size=6),
       st.frozensets(st.integers(1, 12), max_size=3),
       st.sampled_from([1, 20, 1 << 20]))
def test_stories_many_counts_like_stories(pool, picks, known, budget):
    # Groups share member objects, as the holders of one family's paragraphs do; a small budget
    # splits them into batches (one group each, at 1), which must not change any count.
    groups = [[pool[i % len(pool)] for i in pick] for pick in picks]
    saved = boilerplate._PAIR_BUDGET
    boilerplate._PAIR_BUDGET = budget
    try:
        assert stories_many(groups, known) == [stories(g, known) for g in groups]
    finally:
        boilerplate._PAIR_BUDGET = saved


def test_stories_many_on_three_stories_and_a_shared_disclaimer():
    def member(paras: list[tuple[int, int]]) -> Member:
        return Member(np.array([p for p, _ in paras], np.uint64), np.array([w for _, w in paras], np.int32), None)

    disclaimer = (99, 20)
    story_a = [member([(1, 50), (2, 40), disclaimer]), member([(1, 50), (2, 40), (3, 10), disclaimer])]
    story_b = [member([(10, 60), (11, 30), disclaimer])]
    story_c = [member([(20, 45), disclaimer])]
    group = story_a + story_b + story_c
    # Counting the disclaimer, story_c shares 20 of its 65 words with every other article (> 30%).
    assert stories_many([group]) == [stories(group)] == [1]
    # Known as boilerplate, it is left out: three stories.
    assert stories_many([group], frozenset({99})) == [stories(group, frozenset({99}))] == [3]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 40).map(lambda k: k << 40 | 7), max_size=60),
       st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 40).map(lambda k: k << 40 | 7), max_size=20))
def test_drop_mask_marks_exactly_the_boilerplate_paragraphs(paras, known):
    # Values sharing their low bits (k << 40 | 7) get past the low-bits table: the search decides.
    hashes = np.array(paras, dtype=np.uint64)
    boiler = boilerplate.as_array(set(known) | set(paras[:2]))
    features = Member(hashes, np.ones(hashes.shape[0], np.int32), None)
    want = np.isin(hashes, boiler).tolist()
    assert boilerplate.drop_mask(features, boiler).tolist() == want
    saved = boilerplate._MASK_TABLE_FROM
    boilerplate._MASK_TABLE_FROM = 0  # the way a whole corpus goes: through the low-bits table
    try:
        assert boilerplate.drop_mask(features, boiler).tolist() == want
    finally:
        boilerplate._MASK_TABLE_FROM = saved


def test_sharing_exactly_the_threshold_is_one_story():
    def member(paras: list[tuple[int, int]]) -> Member:
        return Member(np.array([p for p, _ in paras], np.uint64), np.array([w for _, w in paras], np.int32), None)

    # 3 shared words of the smaller member's 10: exactly `same` (0.3), which links them.
    group = [member([(1, 3), (2, 7)]), member([(1, 3), (5, 20)])]
    assert stories_many([group]) == [stories(group)] == [1]
    assert stories_many([group], same=0.31) == [2]


def test_a_paragraph_one_article_holds_is_never_boilerplate():
    # Even where one story would be enough, one holder is not: decide itself says so.
    one, other = (Member(np.array([7, n], np.uint64), np.array([10, 50], np.int32), None) for n in (1, 2))
    lenient = Settings(boilerplate_min_stories=1)
    assert boilerplate.decide([(7, 1, "a")], {"a": [one]}.__getitem__, lenient) == set()
    assert boilerplate.decide([(7, 2, "b")], {"b": [one, other]}.__getitem__, lenient) == {7}


def test_learn_finds_a_sites_footer_whatever_the_order_of_the_runs():
    from syndup.shingle import analyze

    def story(i: int) -> str:
        return " ".join(f"word{i}x{j} story{i}y{j}" for j in range(30))

    # Site a carries one story twice (its footer is part of that story, not chrome); site b wraps
    # two different stories in the same footer: that one is boilerplate.
    texts = [f"{story(0)}\n\nFooter of site a, with enough words to count.",
             f"{story(0)}\n\nFooter of site a, with enough words to count.",
             f"{story(1)}\n\nShare this story with your friends on site b today.",
             f"{story(2)}\n\nShare this story with your friends on site b today."]
    features = [analyze(t) for t in texts]
    sites = ["a.example", "a.example", "b.example", "b.example"]
    want = {int(features[2].para_hashes[-1])}
    assert boilerplate.learn(features, sites, Settings()) == want
    # The same corpus with the articles' runs of paragraphs stored last to first.
    table = boilerplate.ParagraphTable.of(features)
    runs = [(table.hashes[a:b], table.words[a:b]) for a, b in zip(table.offsets[:-1], table.offsets[1:])][::-1]
    reversed_runs = boilerplate.ParagraphTable(
        np.concatenate([h for h, _ in runs]), np.concatenate([w for _, w in runs]),
        np.concatenate([[0], np.cumsum([h.shape[0] for h, _ in runs])]).astype(np.int64),
        table.position[::-1].copy())
    assert boilerplate.learn(reversed_runs, sites, Settings()) == want
    # On no common site, it takes `boilerplate_min_stories` (4) different stories.
    texts.append(f"{story(3)}\n\nShare this story with your friends on site b today.")
    more = [analyze(t) for t in texts]
    assert boilerplate.learn(more, [None] * 5, Settings()) == set()
    texts.append(f"{story(4)}\n\nShare this story with your friends on site b today.")
    more = [analyze(t) for t in texts]
    assert boilerplate.learn(more, [None] * 6, Settings()) == want

"""The group-bys a cluster engine runs (`Execution.by_key`): boilerplate's document frequencies
and LSH bands, cut into parts by key as a cluster's shuffle cuts them, give what one pass gives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, TypeVar

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from syndup import boilerplate
from syndup.boilerplate import ParagraphTable
from syndup.candidates import Banding, lsh_banding
from syndup.execution import Execution
from syndup.settings import Settings
from syndup.stages.candidates import grouped_banding

R = TypeVar("R")


@dataclass(frozen=True)
class InParts(Execution):
    """An execution that runs its group-bys as a cluster does: the rows made block by block,
    cut into `parts` by key, each part's result apart (here, in this process)."""

    parts: int = 3
    block: int = 7
    remote: ClassVar[bool] = True

    def by_key(self, fn: Callable[[dict[str, np.ndarray]], R], columns: dict[str, np.ndarray], key: str, *,
               rows: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]] | None = None) -> list[R]:
        length = len(next(iter(columns.values())))
        if length == 0:
            return [fn(columns if rows is None else rows(columns))]
        blocks = [{c: v[a:a + self.block] for c, v in columns.items()} for a in range(0, length, self.block)]
        made = [b if rows is None else rows(b) for b in blocks]
        out = []
        for p in range(self.parts):
            part = {c: np.concatenate([m[c][(m[key] % np.uint64(self.parts)) == p] for m in made]) for c in made[0]}
            if len(part[key]):
                out.append(fn(part))
        return out[::-1]  # in no given order


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 60), st.integers(1, 4), st.integers(2, 6), st.integers(0, 2**32 - 1))
def test_lsh_bands_grouped_in_parts_are_one_passs(n: int, values: int, max_group: int, seed: int):
    rng = np.random.default_rng(seed)
    # Few distinct values: many equal bands, big groups among them; some empty signatures.
    signatures = rng.integers(0, values, size=(n, 12)).astype(np.uint32)
    signatures[rng.random(n) < 0.1] = 0xFFFFFFFF
    reps = np.flatnonzero(rng.random(n) < 0.8)
    noisy = rng.integers(0, values + 1, size=(n, 6)).astype(np.uint32)
    exact, noisy_parts = grouped_banding([(signatures, 4, 3), (noisy, 3, 2)], reps, max_group, InParts())
    same_banding(exact, lsh_banding(signatures, reps, 4, 3, max_group, select=reps))
    same_banding(noisy_parts, lsh_banding(noisy, reps, 3, 2, max_group, select=reps))


def same_banding(parts: Banding, one: Banding) -> None:
    np.testing.assert_array_equal(parts.pairs, one.pairs)
    np.testing.assert_array_equal(parts.centrality, one.centrality)
    assert len(parts.big) == len(one.big)
    for (m1, o1), (m2, o2) in zip(parts.big, one.big):
        np.testing.assert_array_equal(m1, m2)
        np.testing.assert_array_equal(o1, o2)
        assert m1.dtype == m2.dtype


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 40), st.integers(2, 12), st.integers(0, 2**32 - 1))
def test_boilerplate_counted_in_parts_is_one_passs(n: int, pool: int, seed: int):
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 8, size=n)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    # Paragraphs from a small pool (recurring chrome) and unique ones (each article's own text).
    hashes = np.where(rng.random(int(offsets[-1])) < 0.5, rng.integers(1, pool + 1, size=int(offsets[-1])),
                      rng.integers(1 << 40, 1 << 62, size=int(offsets[-1]))).astype(np.uint64)
    words = rng.integers(1, 60, size=int(offsets[-1])).astype(np.int32)
    table = ParagraphTable(hashes, words, offsets, rng.permutation(n).astype(np.int64))
    sites = [f"site{s}" if s else None for s in rng.integers(0, 3, size=n).tolist()]
    rules = Settings(boilerplate_min_stories=2, boilerplate_sample=3)
    one = boilerplate.learn(table, sites, rules, Execution())
    assert boilerplate.learn(table, sites, rules, InParts()) == one


def test_boilerplate_counted_in_parts_finds_the_chrome():
    # Eight articles of different stories, each with the same two lines of chrome.
    hashes = np.array([h for a in range(8) for h in (1000 + a, 2000 + a, 7, 9)], dtype=np.uint64)
    words = np.tile(np.array([200, 200, 10, 10], dtype=np.int32), 8)
    table = ParagraphTable(hashes, words, np.arange(0, 33, 4, dtype=np.int64),
                           np.arange(8, dtype=np.int64))
    assert boilerplate.learn(table, [None] * 8, Settings(), InParts()) == {7, 9}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 6), max_size=5), max_size=8), st.integers(0, 9), st.integers(0, 9),
       st.integers(0, 2**32 - 1))
def test_holders_sent_flat_are_the_groups_given(groups: list[list[int]], a: int, b: int, seed: int):
    rng = np.random.default_rng(seed)
    # Seven articles, some held by several groups (sent once), of 0-4 paragraphs each.
    held = [boilerplate.Member(rng.integers(0, 1 << 63, size=k, dtype=np.uint64), rng.integers(1, 50, size=k).astype(np.int32),
                               None if k % 2 else f"site{k}") for k in rng.integers(0, 5, size=7).tolist()]
    given_groups = [[held[i] for i in g] for g in groups]
    flat = boilerplate.Holders.of(given_groups)
    for got, want in zip(flat[a:b].groups(), given_groups[a:b], strict=True):
        assert len(got) == len(want)
        for m, w in zip(got, want):
            np.testing.assert_array_equal(m.para_hashes, w.para_hashes)
            np.testing.assert_array_equal(m.para_words, w.para_words)
            assert m.para_hashes.dtype == w.para_hashes.dtype and m.site == w.site
    assert len(flat[a:b]) == len(given_groups[a:b])

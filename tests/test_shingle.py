"""Tokens, hashes, shingles and anchors against plain references: the batch fast path (C kernel
or numpy) against the one-paragraph-at-a-time implementation it replaced, shingles against their
formula window by window, and a batch against its articles one at a time."""

from __future__ import annotations

import importlib
from contextlib import nullcontext

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syndup import kernel
from syndup.shingle import (
    MAX_SHINGLE,
    FeatureBatch,
    Features,
    analyze,
    analyze_many,
    anchors,
    anchors_many,
    repeated_paragraphs,
    shingle_many,
    shingles,
)
from tests.references import corpus, reference_analyze, repeated_of, same_features, word_para
from tests.test_kernel import numpy_only

shingle_module = importlib.import_module("syndup.shingle")

# --- tokenizing and hashing ---------------------------------------------------------------------

EDGE_TEXTS = [
    "", " ", "\n\n", "\x00", '"', 'a "b\n\nc" d', "hello\x00world", "Ça coûte 5 € — “cher”…",
    "İstanbul ΣΊΣΥΦΟΣ straße ﬁne １２３", "a\u200bb c\u00a0d", "lone \ud800 surrogate", "e\u0301 \u0301x",
    "line one\nline two\nline three\n\nnext block", "x" * 3 + "\r\n\r\n" + "y\x0cz\x1c\u2028w",
    "Привет, мир! Это \"тест\" текста на русском языке.", "日本語のテキスト、句読点。", "snake_case and 3_14",
]


@pytest.mark.parametrize("text", EDGE_TEXTS)
def test_analyze_matches_the_reference_on_edge_cases(text):
    assert same_features(analyze(text), reference_analyze(text))


PIECES = st.one_of(
    st.sampled_from(list(" \n\r\t\"'-_.,\x00\u201c\u201d\u2018\u2019\u2014\u2026\u00a0\u200b«»")),
    st.sampled_from(["word", "Word", "WORD", "--", "\n\n", " \n ", "ß", "é", "İ", "ﬁ", "２", "Σ"]),
    st.characters(codec="utf-8"),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(PIECES, max_size=60).map("".join), min_size=1, max_size=6))
def test_analyze_many_matches_the_reference(texts):
    batch = analyze_many(texts)
    assert len(batch) == len(texts)
    for i, text in enumerate(texts):
        assert same_features(batch[i], reference_analyze(text))


def test_analyze_many_on_a_corpus_matches_the_reference():
    texts = [d["text"] for d in corpus(seed=5, stories=10, unrelated=20)]
    batch = analyze_many(texts)
    assert all(same_features(batch[i], reference_analyze(t)) for i, t in enumerate(texts))


# --- shingles and anchors -----------------------------------------------------------------------

_MASK64 = (1 << 64) - 1


def _fmix64(h: int) -> int:
    h = ((h ^ (h >> 33)) * 0xFF51AFD7ED558CCD) & _MASK64
    h = ((h ^ (h >> 33)) * 0xC4CEB9FE1A85EC53) & _MASK64
    return h ^ (h >> 33)


def reference_shingles(features: Features, k: int, drop: np.ndarray | None) -> dict[int, bool]:
    """Each distinct shingle hash of an article's kept words (whether one of its windows is
    unquoted), computed window by window with Python ints: the formula `shingle_many` vectorizes.
    Kept: not in `drop`, and not a paragraph the page shows twice."""
    mult = [int(m) for m in shingle_module._POS_MULT]
    para_of = word_para(features.para_words).tolist()
    paras: list[list[object]] = [[] for _ in range(features.para_words.shape[0])]
    for w, p in zip(features.word_hashes.tolist(), para_of):
        paras[p].append(w)
    shown_twice = repeated_of(paras)  # page furniture, left out as boilerplate is
    kept = [i for i, p in enumerate(para_of) if (drop is None or not drop[p]) and p not in shown_twice]
    words = [int(features.word_hashes[i]) for i in kept]
    quoted = [bool(features.word_quoted[i]) for i in kept]
    width = min(k, len(words))
    out: dict[int, bool] = {}
    for j in range(len(words) - width + 1 if words else 0):
        acc = (sum(w * m for w, m in zip(words[j:j + width], mult)) + width) & _MASK64
        h = _fmix64(acc) >> 32
        out[h] = out.get(h, False) or not all(quoted[j:j + width])
    return out


# (a ten-word caption among them, so that some pages show a paragraph twice)
SHINGLE_TEXTS = st.lists(st.sampled_from(["a", "b", "c", "d", "e f", '"', "\n\n", ".", "g h i j k l m n o p"]),
                         max_size=40).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(SHINGLE_TEXTS, min_size=1, max_size=5), st.integers(1, MAX_SHINGLE), st.integers(0, 2**32 - 1),
       st.booleans())
def test_shingles_are_their_formula_window_by_window(texts, k, seed, with_kernel):
    # A small vocabulary repeats shingles (quoted in one place, not in another); the C kernel and
    # the numpy path, a batch and each article alone, all give the reference sets and anchors.
    if with_kernel and kernel.KERNEL is None:
        return
    batch = analyze_many(texts)
    drop = np.random.default_rng(seed).random(batch.para_hashes.shape[0]) < 0.3
    with numpy_only() if not with_kernel else nullcontext():
        sets = shingle_many(batch, k, drop)
        for i in range(len(texts)):
            p0, p1 = batch.para_offsets[i], batch.para_offsets[i + 1]
            want = reference_shingles(batch[i], k, drop[p0:p1])
            hashes = sorted(want)
            for got in (sets[i], shingles(batch[i], k, drop[p0:p1])):
                assert got.hashes.tolist() == hashes
                assert got.unquoted.tolist() == [want[h] for h in hashes]
                assert anchors(got, 3).tolist() == [h for h in hashes if h % 3 == 0 and want[h]]


def test_shingles_longer_than_the_largest_size_are_refused():
    with pytest.raises(ValueError, match=f"at most {MAX_SHINGLE}"):
        shingles(analyze("a b c"), MAX_SHINGLE + 1)

@pytest.mark.parametrize("k", [1, 3, 5])
def test_shingle_many_matches_shingles(k):
    texts = [d["text"] for d in corpus(seed=6, stories=8, unrelated=10)]
    texts += ["", "one", "two words", '"all of it quoted here"', "a b c d", "x\n\ny\n\nz"]
    batch = analyze_many(texts)
    rng = np.random.default_rng(k)
    for drop in (None, rng.random(batch.para_hashes.shape[0]) < 0.25):
        sets = shingle_many(batch, k, drop)
        values, offsets = anchors_many(sets, 8)
        for i in range(len(texts)):
            p0, p1 = batch.para_offsets[i], batch.para_offsets[i + 1]
            expected = shingles(batch[i], k, None if drop is None else drop[p0:p1])
            got = sets[i]
            assert got.hashes.dtype == np.uint32
            assert np.array_equal(got.hashes, expected.hashes)
            assert np.array_equal(got.unquoted, expected.unquoted)
            assert np.array_equal(values[offsets[i]:offsets[i + 1]], anchors(expected, 8))


def test_page_chrome_is_a_gallery_and_a_player_not_the_text_around_them():
    from syndup.shingle import page_chrome

    text = "\n\n".join([
        "Photo: Jane Doe/AP", "Image 2 of 5", "2 / 5", "Back to Gallery", "Close",
        "window._taboola = window._taboola || []; _taboola.push({flush: true});",
        "Now Playing:", "A video about the strike, its title and its description.", "Media: Wibbitz",
        "Photographs taken by the union show the picket line outside the station on Monday morning.",
        "Image rights campaigners, photo agencies and galleries all said they would watch the case closely.",
        "The window was pushed open and the document was found on the table, police said.",
        "Now playing at the theatre is a new version of the play, staged by the company for its 50th year.",
        "3 of the 5 members agreed.",
    ])
    assert page_chrome(analyze(text).as_batch()).tolist() == [True] * 9 + [False] * 5


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.integers(0, 5), min_size=0, max_size=9), min_size=1, max_size=6),
       st.integers(0, 2 ** 32 - 1))
def test_paragraphs_a_page_shows_twice_are_the_reference_ones(articles, seed):
    """`repeated_paragraphs` of a batch, against `repeated_of` article by article: paragraphs drawn
    from a few long and short ones, so that repeats happen within and across articles."""
    rng = np.random.default_rng(seed)
    pool = [rng.integers(0, 4, size=int(rng.integers(3, 14))).tolist() for _ in range(6)]
    vocab = rng.integers(0, 2 ** 64, size=4, dtype=np.uint64)
    paras = [[pool[p] for p in a] for a in articles]
    words = np.array([vocab[w] for a in paras for p in a for w in p], dtype=np.uint64)
    para_words = np.array([len(p) for a in paras for p in a if p], dtype=np.int32)
    para_offsets = np.concatenate([[0], np.cumsum([sum(1 for p in a if p) for a in paras])]).astype(np.int64)
    word_offsets = np.concatenate([[0], np.cumsum([sum(len(p) for p in a) for a in paras])]).astype(np.int64)
    batch = FeatureBatch(words, np.zeros(words.shape[0], bool), word_offsets, np.zeros(para_words.shape[0], np.uint64),
                         para_words, para_offsets, np.zeros((len(paras), 12), np.uint8))
    got = repeated_paragraphs(batch)
    for i, a in enumerate(paras):
        kept = [p for p in a if p]
        p0 = int(para_offsets[i])
        assert set(np.flatnonzero(got[p0:p0 + len(kept)]).tolist()) == set(repeated_of(kept))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), max_size=40), st.lists(st.integers(0, 2**64 - 1), max_size=12),
       st.lists(st.integers(0, 11), max_size=20))
def test_chrome_vocabulary_lookup_is_isin(values, vocab, picks):
    """The binary-search membership page_chrome uses says what np.isin says, for any hashes (some
    of them taken from the vocabulary, which is sorted and distinct as `_chrome_vocabulary` makes it)."""
    from syndup.shingle import _held

    table = np.unique(np.array(vocab, dtype=np.uint64))
    asked = np.array(values + [int(table[p % table.shape[0]]) for p in picks if table.shape[0]], dtype=np.uint64)
    assert _held(asked, table).tolist() == np.isin(asked, table).tolist()

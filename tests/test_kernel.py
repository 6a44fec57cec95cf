"""The C kernel against the numpy path it stands in for: the same arrays, bit for bit; and both
cuts of a text into tokens against the slow reference that defines them (`reference_tokens`).

`syndup._kernel` is optional (built when a C compiler is there at install time); CI sets
SYNDUP_REQUIRE_KERNEL=1 so that a kernel that failed to build fails the suite instead of skipping it.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

import syndup
from syndup import kernel, normalize, verify
from syndup.normalize import fold, paragraph_spans
from syndup.shingle import FeatureBatch, SetBatch, analyze_many, analyze_views, shingle_many, shingle_multipliers
from syndup.sign import permutations, signatures_flat
from syndup.verify import Sequences, overlap_many, overlap_reaching, passage_words_many, sequences_many

BUILT = kernel.KERNEL
SEEDS = Path(__file__).resolve().parent.parent / "seeds"

if BUILT is None and os.environ.get("SYNDUP_REQUIRE_KERNEL") == "1":
    raise RuntimeError("SYNDUP_REQUIRE_KERNEL=1 but syndup._kernel is not built: " + kernel.describe())
needs_kernel = pytest.mark.skipif(BUILT is None, reason="the C kernel is not built")


@contextmanager
def numpy_only() -> Iterator[None]:
    saved = kernel.KERNEL
    kernel.KERNEL = None
    try:
        yield
    finally:
        kernel.KERNEL = saved


def both_analyze(texts: list[str]) -> tuple[FeatureBatch, FeatureBatch]:
    got = analyze_many(texts)
    with numpy_only():
        want = analyze_many(texts)
    return got, want


def assert_same_batch(got: FeatureBatch, want: FeatureBatch) -> None:
    for name in ("word_hashes", "word_quoted", "word_offsets", "para_hashes", "para_words",
                 "para_offsets", "fingerprints"):
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype, name
        assert a.shape == b.shape, name
        assert np.array_equal(a, b), name


def seed_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]


EDGE = ["", " ", "\n\n", "\x00", "\x01", '"', '""', '" "', 'a "b\n\nc" d', "hello\x00world", "x\x01y",
        "Ça coûte 5 € — “cher”…", "İstanbul ΣΊΣΥΦΟΣ straße ﬁne １２３", "lone \ud800 surrogate",
        "\t\x0b\x0cword\r\n\r\nnext", "日本語のテキスト、句読点。", "a" * 5000, ("word " * 3000).strip()]
#: A photo caption of more than `shingle.REPEAT_WORDS` words (a page printing it twice drops it).
CAPTION = "The minister arrives at the summit in Brussels on Monday morning with her aides"


@needs_kernel
def test_analyze_is_the_numpy_result_on_the_seeds_and_edge_cases():
    got, want = both_analyze(seed_texts() + EDGE)
    assert_same_batch(got, want)
    assert len(got) == len(seed_texts()) + len(EDGE)


@needs_kernel
@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list('ab Z"\x00\x01\n\t.é“”')) | st.characters(), max_size=80),
                min_size=1, max_size=8))
def test_analyze_is_the_numpy_result_on_any_text(texts):
    assert_same_batch(*both_analyze(texts))


#: Line breaks of every kind str.splitlines knows, Unicode spaces, characters NFKC or folding
#: change, case folds that grow ("ß"), a surrogate and an astral letter.
_TRICKY = list('aZ9_ "\x00\x01\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029\xa0\u3000\t.-') + [
    "é", "e\u0301", "“", "”", "‘", "’", "—", "…", "\u200b", "\u00ad", "ß", "İ", "Σ", "ﬁ", "１", "K",
    "€", "д", "Ж", "日", "\ud800", "\U0001d400", "\U0001f600",
    # scripts without spaces, marks, Arabic and Hebrew folds, zero-width and bidi controls, digits
    "中", "文", "ひ", "カ", "ー", "ก", "\u0e48", "ລ", "ក", "\u17c6", "မ", "\u103a", "\U00020000", "ذ", "\u064e",
    "\u0640", "أ", "ة", "ى", "ש", "\u05b8", "ё", "Ё", "ά", "Ά", "ı", "\u200c", "\u200d", "\u200e", "\u202b",
    "\u2067", "\u061c", "٣", "क", "\u093f", "\u094d", "\u0307", "\u3001", "。"]


# --- tokens: the slow reference, and both production cuts against it ----------------------------

def _reference_char(ch: str) -> str:
    """One character of case-folded text as the README's "Languages" rules say: kept, dropped ("")
    or a separator (" "); in a script without spaces a word of its own (" ch ")."""
    o = ord(ch)
    unspaced = any(lo <= o <= hi for lo, hi in normalize.UNSPACED)
    cat = unicodedata.category(ch)
    if ch.isascii():
        return ch if (ch.isalnum() or ch in '_"\x00') else " "
    if cat == "Cs":
        return " "
    if cat.startswith("M"):
        if any(lo <= o <= hi for lo, hi in normalize._DROPPED_MARKS):
            return ""
        return f" {ch} " if unspaced else ch
    if cat == "Cf" or unicodedata.name(ch, "") == "ARABIC TATWEEL":
        return ""
    if cat == "Nd":
        return str(unicodedata.digit(ch))
    if not ch.isalnum():
        return " "
    if unspaced:
        return f" {ch} "
    if unicodedata.name(ch, "").startswith("GREEK"):
        return unicodedata.normalize("NFD", ch)[0]
    return ch


def reference_tokens(text: str) -> list[str]:
    """What a token is, written plainly: per paragraph (`paragraph_spans`), its folded text with
    the script folds applied, case-folded, each character by `_reference_char`, cut at spaces with
    every '"' a token of its own; a NUL token between paragraphs."""
    out: list[str] = []
    for n, (s, e) in enumerate(paragraph_spans(text)):
        if n:
            out.append(normalize.BREAK)
        folded = "".join(normalize._SCRIPT_FOLD.get(c, c) for c in fold(text[s:e])).casefold()
        out.extend(re.findall(r'"|[^\s"]+', "".join(_reference_char(c) for c in folded).replace("\x00", " ")))
    return out


def python_tokens(text: str) -> list[str]:
    """`normalize.token_bytes` without the C kernel, split and decoded."""
    return [t.decode("utf-8") for t in normalize._token_bytes_python(text).split()]


TEXTS = st.lists(st.sampled_from(_TRICKY) | st.characters(), max_size=120).map("".join)


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_tokens_without_the_kernel_are_the_reference_tokens(text):
    assert python_tokens(text) == reference_tokens(text)


@settings(max_examples=200, deadline=None)
@given(TEXTS)
def test_words_are_the_reference_tokens_without_markers(text):
    assert normalize.words(text) == [t for t in reference_tokens(text) if t not in (normalize.QUOTE, normalize.BREAK)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_TRICKY), max_size=120).map("".join))
def test_analyze_and_diff_count_the_same_words(text):
    # diff cuts words where they stand in the original text (runs of \w and what folding removes
    # inside words), then each run by `normalize.words`; a symbol that NFKC turns into letters
    # outside a run ("™" -> "tm") is the one known difference, so the alphabet has none.
    from syndup.diff import diff

    n = len(normalize.words(text))
    assert int(analyze_many([text]).n_words[0]) == n
    variant = text.swapcase()
    assume(normalize.words(variant) == normalize.words(text))
    d = diff(text, variant)
    assert d.summary.origin_words == d.summary.copy_words == n
    assert not d.changes


@needs_kernel
@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_tokens_cut_in_c_are_the_python_tokens(text):
    got = normalize.token_bytes(text)
    assert got.split() == normalize._token_bytes_python(text).split()
    assert b"\x01" not in got


@needs_kernel
@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.lists(st.sampled_from([b" ", b"\t", b"\n", b"\r", b"\x0b", b"\x0c", b"a", b"\x00",
                                                           b"\x08", b"\x0e", b"\x1f", b"\x85", b"\xff"]),
                                           max_size=300).map(b"".join))
def test_whitespace_bits_both_ways_are_what_split_splits_on(data):
    """The kernel finds tokens from a bitmap of whitespace, made with AVX2 where the CPU has it,
    else byte by byte: both must mark exactly the bytes bytes.split() splits on (and all bits
    past the end)."""
    words = len(data) // 64 + 1
    want = sum(1 << i for i in range(64 * words) if i >= len(data) or data[i:i + 1].isspace())
    for avx2 in (True, False):
        got = int.from_bytes(BUILT._space_bits(data, avx2), "little")
        if len(data) % 64 == 0:  # the word past the end is left alone: compare up to it
            got |= ((1 << 64) - 1) << (64 * (words - 1))
        assert got == want, avx2


def test_tokens_of_the_seeds_and_edge_cases_are_the_reference_tokens():
    for text in seed_texts() + EDGE + ["a\nb\n\nc", "line one\nline two\n\npara " * 50]:
        want = reference_tokens(text)
        assert python_tokens(text) == want
        assert [t.decode("utf-8") for t in normalize.token_bytes(text).split()] == want


@needs_kernel
@pytest.mark.parametrize("num_perm,width", [(128, None), (128, 56), (64, 1), (256, None)])
def test_signatures_are_the_numpy_result(num_perm, width):
    rng = np.random.default_rng(num_perm)
    lengths = [0, 1, 2, 700, 0, 4097, 9000] + rng.integers(0, 900, 50).tolist()
    values = rng.integers(0, 2**32, size=sum(lengths), dtype=np.uint64).astype(np.uint32)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    got = signatures_flat(values, offsets, num_perm, 3, width)
    with numpy_only():
        want = signatures_flat(values, offsets, num_perm, 3, width)
    assert got.dtype == want.dtype == np.uint32
    assert np.array_equal(got, want)
    assert (got[0] == 0xFFFFFFFF).all()  # an empty set: all-max, like an empty datasketch MinHash


@needs_kernel
def test_signatures_of_the_seeds_are_the_numpy_result():
    batch = analyze_many(seed_texts())
    sets = shingle_many(batch, 5)
    got = signatures_flat(sets.hashes, sets.offsets, 128, 1)
    with numpy_only():
        assert np.array_equal(got, signatures_flat(sets.hashes, sets.offsets, 128, 1))


@needs_kernel
def test_the_kernel_refuses_bad_input_with_python_errors():
    with pytest.raises(TypeError):
        BUILT.analyze(["not bytes"], b"0123456789abcdef")
    with pytest.raises(ValueError, match="16 bytes"):
        BUILT.analyze([b"a"], b"short")
    a, b = permutations(8, 1)
    with pytest.raises(ValueError, match="offsets"):
        BUILT.minhash(np.zeros(3, np.uint32), np.array([0, 5], np.int64), a, b)
    with pytest.raises(ValueError, match="sizes"):
        BUILT.minhash(np.zeros(3, np.uint32), np.array([0, 3], np.int64), a, b[:4])


@needs_kernel
def test_scan_gives_the_same_tables_with_and_without_the_kernel(tmp_path):
    fast = syndup.scan(SEEDS, jobs=1)
    env = {**os.environ, "SYNDUP_NO_KERNEL": "1"}
    code = ("import sys, syndup; from syndup import kernel; assert kernel.KERNEL is None; "
            "r = syndup.scan(sys.argv[1], jobs=1); r.documents.to_pickle(sys.argv[2]); r.pairs.to_pickle(sys.argv[3])")
    subprocess.run([sys.executable, "-c", code, str(SEEDS), str(tmp_path / "d.pkl"), str(tmp_path / "p.pkl")],
                   check=True, env=env)
    import pandas as pd

    pd.testing.assert_frame_equal(fast.documents, pd.read_pickle(tmp_path / "d.pkl"))
    pd.testing.assert_frame_equal(fast.pairs, pd.read_pickle(tmp_path / "p.pkl"))


def test_version_says_which_implementation_runs():
    from typer.testing import CliRunner

    from syndup.cli import app

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith(f"syndup {syndup.__version__} (")
    assert ("C kernel" in result.output) == (BUILT is not None)


@needs_kernel
@pytest.mark.parametrize("k", [1, 2, 5, 12])
def test_shingles_are_the_numpy_result(k):
    texts = seed_texts() + EDGE + ['"all of it quoted"', 'one "two three" four five six', "a b", "x"]
    batch = analyze_many(texts)
    rng = np.random.default_rng(k)
    for drop in (None, rng.random(batch.para_hashes.shape[0]) < 0.3, np.ones(batch.para_hashes.shape[0], bool)):
        got = shingle_many(batch, k, drop)
        with numpy_only():
            want = shingle_many(batch, k, drop)
        for name in ("hashes", "unquoted", "offsets"):
            a, b = getattr(got, name), getattr(want, name)
            assert a.dtype == b.dtype and np.array_equal(a, b), name


# --- pairs: shared shingles and shared passages ----------------------------------------------------

@st.composite
def set_batches(draw: st.DrawFn) -> tuple[SetBatch, np.ndarray, np.ndarray]:
    """Sorted distinct sets from a small or a wide universe (some much bigger than others, which
    the kernel searches instead of merging), and pairs among them, a hub's among them."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    n = draw(st.integers(1, 12))
    universe = draw(st.sampled_from([8, 300, 2 ** 32]))
    sizes = [draw(st.sampled_from([0, 1, 2, 30, 200, 3000])) for _ in range(n)]
    hashes = [np.unique(rng.integers(0, universe, s, dtype=np.uint64).astype(np.uint32)) for s in sizes]
    unquoted = [rng.random(h.shape[0]) < 0.7 for h in hashes]
    offsets = np.concatenate([[0], np.cumsum([h.shape[0] for h in hashes])]).astype(np.int64)
    m = draw(st.integers(0, 40))
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    if draw(st.booleans()):  # a hub: one set in 20 pairs
        a, b = np.concatenate([a, np.zeros(20, np.int64)]), np.concatenate([b, rng.integers(0, n, 20)])
    return SetBatch(np.concatenate(hashes), np.concatenate(unquoted), offsets), a, b


@needs_kernel
@settings(max_examples=200, deadline=None)
@given(set_batches(), st.booleans())
def test_overlaps_are_the_numpy_result(batch, count_unquoted):
    sets, a, b = batch
    got = overlap_many(sets, a, b, count_unquoted)
    with numpy_only():
        want = overlap_many(sets, a, b, count_unquoted)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype == np.int64 and np.array_equal(g, w)


@needs_kernel
@settings(max_examples=200, deadline=None)
@given(set_batches(), st.integers(0, 2 ** 32 - 1))
def test_overlaps_reaching_a_need_are_the_numpy_result(batch, seed):
    """A merge that gives up once a pair cannot reach its need: the count where it is reached, 0 where not."""
    sets, a, b = batch
    shared, _ = overlap_many(sets, a, b, False)
    need = np.random.default_rng(seed).integers(-1, 3000, a.shape[0])
    need[::3] = shared[::3]  # exactly reached
    need[1::3] = shared[1::3] + 1  # just missed
    got = overlap_reaching(sets, a, b, need)
    with numpy_only():
        want = overlap_reaching(sets, a, b, need)
    assert got.dtype == want.dtype == np.int64 and np.array_equal(got, want)
    assert np.array_equal(got, np.where(shared >= need, shared, 0))


@needs_kernel
@pytest.mark.parametrize("k", [1, 2, 5, 12])
def test_sequences_are_the_numpy_result(k):
    texts = seed_texts() + EDGE + ['"all of it quoted"', 'one "two three" four five six', "a b", "x",
                                   "short\n\n" + " ".join(f"w{i}" for i in range(40)) + '\n\nlast "q r s" line',
                                   # a caption the page shows twice (dropped), and "quoted" words in prose
                                   "\n\n".join([CAPTION, " ".join(f"p{i}" for i in range(30)) + ' "said a b c d" ok',
                                                 CAPTION + " More"])]
    batch = analyze_many(texts)
    rng = np.random.default_rng(k)
    for drop in (None, rng.random(batch.para_hashes.shape[0]) < 0.3, np.ones(batch.para_hashes.shape[0], bool)):
        got = sequences_many(batch, k, drop)
        with numpy_only():
            want = sequences_many(batch, k, drop)
        for name in ("hashes", "before", "inside", "offsets", "quoted_before", "quoted_inside"):
            x, y = getattr(got, name), getattr(want, name)
            assert x.dtype == y.dtype and np.array_equal(x, y), name


@st.composite
def sequences(draw: st.DrawFn) -> tuple[Sequences, np.ndarray, np.ndarray]:
    """Shingle sequences over a small vocabulary (so that runs, gaps and repeats occur), with
    counted words that grow along each sequence (and words counting quoted ones too, at least as
    many), and pairs among them."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    n = draw(st.integers(1, 8))
    vocab = draw(st.sampled_from([3, 20, 200]))
    lengths = [draw(st.sampled_from([0, 1, 5, 40, 300])) for _ in range(n)]
    hashes = np.concatenate([np.zeros(0, np.uint32)] + [rng.integers(0, vocab, s).astype(np.uint32) for s in lengths])
    inside = rng.integers(0, 6, hashes.shape[0]).astype(np.int64)
    before = np.concatenate([np.zeros(0, np.int64)] + [np.cumsum(rng.integers(0, 2, s)) + int(rng.integers(0, 99))
                                                     for s in lengths]).astype(np.int64)
    quoted = np.concatenate([np.zeros(0, np.int64)] + [np.cumsum(rng.integers(0, 3, s)) for s in lengths])
    quoted_inside = inside + rng.integers(0, draw(st.sampled_from([1, 4])), hashes.shape[0])
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    m = draw(st.integers(0, 20))
    return (Sequences(hashes, before, inside, offsets, before + quoted.astype(np.int64), quoted_inside.astype(np.int64)),
            rng.integers(0, n, m), rng.integers(0, n, m))


@needs_kernel
@settings(max_examples=300, deadline=None)
@given(sequences(), st.sampled_from([1, 3, 5]))
def test_passages_are_the_numpy_result(seqs, k):
    got = passage_words_many(*seqs, k)
    with numpy_only():
        want = passage_words_many(*seqs, k)
    assert got.dtype == want.dtype == np.int64
    assert np.array_equal(got, want)


@needs_kernel
@settings(max_examples=300, deadline=None)
@given(sequences(), st.sampled_from([1, 3, 5]))
def test_longest_spans_are_the_numpy_result(seqs, k):
    got = verify._longest_spans(seqs[0], None, seqs[1], seqs[2], k)
    with numpy_only():
        want = verify._longest_spans(seqs[0], verify._sorted_sets(seqs[0], np.ones(len(seqs[0].offsets) - 1, bool)),
                                     seqs[1], seqs[2], k)
    for x, y in zip(got, want):
        assert x.dtype == y.dtype == np.int64
        assert np.array_equal(x, y)


@st.composite
def word_batches(draw: st.DrawFn) -> tuple[FeatureBatch, np.ndarray, np.ndarray, np.ndarray]:
    """Articles of words from a small vocabulary (so that shared runs, gaps and repeats occur) in
    paragraphs of prose and of table rows (under `PROSE_WORDS`), some quoted, some paragraphs left
    out, and pairs among them."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    n = draw(st.integers(1, 8))
    vocab = draw(st.sampled_from([3, 12, 60]))
    paras = [[int(x) for x in rng.choice([0, 1, 4, 9, 10, 25, 80], draw(st.integers(0, 5)))] for _ in range(n)]
    para_words = np.array([x for p in paras for x in p], dtype=np.int32)
    words = int(para_words.sum())
    batch = FeatureBatch(rng.integers(0, vocab, words).astype(np.uint64), rng.random(words) < 0.15,
                         np.concatenate([[0], np.cumsum([sum(p) for p in paras])]).astype(np.int64),
                         np.zeros(para_words.shape[0], np.uint64), para_words,
                         np.concatenate([[0], np.cumsum([len(p) for p in paras])]).astype(np.int64),
                         np.zeros((n, 12), np.uint8))
    m = draw(st.integers(0, 20))
    return batch, rng.random(para_words.shape[0]) < 0.2, rng.integers(0, n, m), rng.integers(0, n, m)


@needs_kernel
@settings(max_examples=300, deadline=None)
@given(word_batches(), st.sampled_from([1, 3, 5]), st.sampled_from([1, 8, 40]))
def test_passages_and_their_spans_from_words_are_the_numpy_result(batch, k, min_words):
    """One C call from the words (no sequences built) against sequences, passages and spans in numpy."""
    words, drop, a, b = batch
    got = verify.passage_spans(words, drop, a, b, k, min_words)
    with numpy_only():
        want = verify.passage_spans(words, drop, a, b, k, min_words)
    for x, y in zip(got, want):
        assert x.dtype == y.dtype == np.int64 and x.shape == y.shape
        assert np.array_equal(x, y)
    assert (got[1][got[0] < min_words] == [-1, -2, -1, -2]).all()


@needs_kernel
def test_passages_of_long_articles_sharing_much_are_the_numpy_result():
    """Long articles sharing thousands of shingles, between stretches of their own longer than a gap:
    the kernel's quick filters of the shared shingles then say "maybe" for many it does not share."""
    rng = np.random.default_rng(5)
    base = rng.integers(0, 1 << 40, 6000).astype(np.uint64)
    own = rng.integers(0, 1 << 40, (3, 6000)).astype(np.uint64)
    # b: a's first half, then its own; c: a in stretches of 40 words, each followed by 12 of its own
    texts = [base, np.concatenate([base[:3000], own[0, :3000]]),
             np.where((np.arange(6000) % 52) < 40, base, own[1]), own[2]]
    words = np.concatenate(texts)
    paras = np.full(4 * 60, 100, dtype=np.int32)
    batch = FeatureBatch(words, rng.random(words.shape[0]) < 0.05, np.arange(5, dtype=np.int64) * 6000,
                         np.zeros(paras.shape[0], np.uint64), paras, np.arange(5, dtype=np.int64) * 60,
                         np.zeros((4, 12), np.uint8))
    a, b = np.array([0, 1, 0, 2, 0, 3]), np.array([1, 0, 2, 0, 3, 0])
    got = verify.passage_spans(batch, np.zeros(paras.shape[0], bool), a, b, 5, 40)
    with numpy_only():
        want = verify.passage_spans(batch, np.zeros(paras.shape[0], bool), a, b, 5, 40)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    assert (got[0][:4] >= 40).all() and got[0][4] == 0


@needs_kernel
@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2 ** 32 - 1), st.sampled_from([np.uint32, np.uint64]), st.booleans())
def test_runs_copied_into_a_batch_are_the_numpy_copies(seed, dtype, in_order):
    """Articles' runs cut out of a chunk's flat arrays (a set store's or a word store's gather), in
    id order (one joined copy in numpy) or not: the same batch either way."""
    from syndup.spill import _copy_runs

    rng = np.random.default_rng(seed)
    flat = rng.integers(0, 1 << 30, 500).astype(dtype)
    flags = rng.random(500) < 0.5
    sizes = rng.integers(0, 40, int(rng.integers(0, 30)))
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    mine = np.flatnonzero(rng.random(sizes.shape[0]) < 0.8)  # the slots this chunk fills
    mine = mine if in_order else rng.permutation(mine)
    starts = rng.integers(0, 500 - 40, mine.shape[0])
    ends = starts + sizes[mine]
    out = []
    for use_kernel in (True, False):
        hashes, unquoted = np.zeros(int(offsets[-1]), dtype), np.zeros(int(offsets[-1]), bool)
        with nullcontext() if use_kernel else numpy_only():
            _copy_runs(flat, flags, starts, ends, offsets, mine, hashes, unquoted)
        out.append((hashes, unquoted))
    assert np.array_equal(out[0][0], out[1][0]) and np.array_equal(out[0][1], out[1][1])
    for s, e, o in zip(starts, ends, offsets[mine]):
        assert np.array_equal(out[0][0][o:o + e - s], flat[s:e])
    with pytest.raises(ValueError, match="out of range"):
        BUILT.copy_runs(flat, np.zeros(3, dtype), np.array([0], np.int64), np.array([4], np.int64),
                        np.array([0], np.int64), np.dtype(dtype).itemsize)


@needs_kernel
def test_the_pair_kernels_refuse_bad_input_with_python_errors():
    h, u, off = np.arange(4, dtype=np.uint32), np.ones(4, bool), np.array([0, 2, 4], np.int64)
    with pytest.raises(ValueError, match="out of range"):
        BUILT.overlap(h, u, off, np.array([0], np.int64), np.array([2], np.int64), True)
    with pytest.raises(ValueError, match="sizes"):
        BUILT.overlap(h, u[:3], off, np.array([0], np.int64), np.array([1], np.int64), True)
    before = np.zeros(4, np.int64)
    with pytest.raises(ValueError, match="out of range"):
        BUILT.passages(h, before, before, before, before, off, np.array([-1], np.int64), np.array([1], np.int64), 7)
    with pytest.raises(ValueError, match="offsets"):
        BUILT.passages(h, before, before, before, before, np.array([0, 5], np.int64), np.zeros(0, np.int64),
                       np.zeros(0, np.int64), 7)
    with pytest.raises(ValueError, match="sizes"):  # quoted counts one short
        BUILT.passages(h, before, before, before[:3], before, off, np.zeros(0, np.int64), np.zeros(0, np.int64), 7)
    with pytest.raises(ValueError, match="out of range"):
        BUILT.spans(h, before, before, off, np.array([0], np.int64), np.array([2], np.int64), 7)
    with pytest.raises(ValueError, match="sizes"):
        BUILT.spans(h, before, before[:3], off, np.zeros(0, np.int64), np.zeros(0, np.int64), 7)
    words = np.zeros(3, np.uint64)
    with pytest.raises(ValueError, match="paragraphs"):  # paragraphs of 2 words do not cover 3
        BUILT.sequences(words, np.zeros(3, bool), np.array([0, 3], np.int64), np.array([2], np.int32),
                        np.zeros(1, bool), shingle_multipliers(5), 5, 10)
    pair = np.array([0], np.int64)
    with pytest.raises(ValueError, match="paragraphs"):
        BUILT.word_passages(words, np.zeros(3, bool), np.array([0, 3], np.int64), np.array([2], np.int32),
                            np.zeros(1, bool), shingle_multipliers(5), 5, 10, pair, pair, 7, 40)
    with pytest.raises(ValueError, match="out of range"):
        BUILT.word_passages(words, np.zeros(3, bool), np.array([0, 3], np.int64), np.array([3], np.int32),
                            np.zeros(1, bool), shingle_multipliers(5), 5, 10, pair, pair + 1, 7, 40)
    with pytest.raises(ValueError, match="sizes"):
        BUILT.word_passages(words, np.zeros(2, bool), np.array([0, 3], np.int64), np.array([3], np.int32),
                            np.zeros(1, bool), shingle_multipliers(5), 5, 10, pair, pair, 7, 40)


#: Text where the noisy view differs from the exact one: OCR's confusable letters and digits,
#: words hyphenated at line ends (in lower and upper case), quotes, paragraph breaks, non-ASCII.
_NOISY_PIECES = st.sampled_from(["rn", "m", "cl", "vv", "ri", "ii", "li", "1", "0", "5", "i", "c", "u", "b", "q",
                                 "gov-\nernment", "Anglo-\nFrench", "a-\n", "-\n", "-  \n x", "\n", "\n\n", " ",
                                 '"', "\x00", "é", "Ι", "ﬁ", "—", "word", "Rn", "x-\n\"y\""])


@needs_kernel
@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_NOISY_PIECES | st.text(max_size=5), max_size=30).map("".join), min_size=1, max_size=6))
def test_both_views_are_the_numpy_result_on_any_text(texts):
    """`analyze_views` in one kernel call against the numpy path: the exact view with its digests,
    the noisy view's folded (and de-hyphenated) words, bit for bit."""
    got = analyze_views(texts)
    with numpy_only():
        want = analyze_views(texts)
    for g, w in zip(got, want):
        assert_same_batch(g, w)


def _letters(i: int, width: int) -> str:
    return "".join(chr(97 + (i // 26 ** k) % 26) for k in range(width))


@needs_kernel
def test_both_views_are_the_numpy_result_for_words_that_share_their_first_bytes():
    """The kernel keeps the hashes of short words it has seen (up to 16 bytes): many words of one
    length that share their first 8 bytes and differ by one bit later, more of them than the cache
    holds, seen twice, still hash as the numpy path hashes them, in both views."""
    words = [f"abcdefgh{_letters(i, 1 + i % 8)}" for i in range(40_000)]  # 9 to 16 bytes
    words += ["p" * n + c for n in range(24) for c in "pqhi"]  # 'p'/'q' and 'h'/'i' differ by one bit
    texts = [" ".join(words[i:i + 500]) for i in range(0, len(words), 500)]
    texts += texts[::-1]
    got = analyze_views(texts)
    with numpy_only():
        want = analyze_views(texts)
    for g, w in zip(got, want):
        assert_same_batch(g, w)


@needs_kernel
@settings(max_examples=150, deadline=None)
@given(pieces=st.lists(st.binary(max_size=300) | st.sampled_from([b"", b"x" * 127, b"y" * 128, b"z" * 129, b"w" * 1000]),
                       max_size=11),
       outlen=st.sampled_from([1, 8, 12, 64]), plain=st.booleans())
def test_blake2b_of_many_messages_is_hashlibs(pieces, outlen, plain):
    """The kernel's paragraph hashes and fingerprints are BLAKE2b digests computed four messages at
    a time (AVX2) or one by one: either way each is hashlib's digest of its message."""
    want = b"".join(hashlib.blake2b(p, digest_size=outlen).digest() for p in pieces)
    assert BUILT._blake2b_many(b"".join(pieces), [len(p) for p in pieces], outlen, plain) == want


@needs_kernel
@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=()) | st.sampled_from(["\ud800", "\udfff", "\ud7ff",
                                                                                  "\ue000", "\U0001f600", "é"])))
@example("\U0001f600\udc00")
@example("\u2019\ud800")
@example("é\udfff")
def test_the_kernel_finds_lone_surrogates_as_a_scan_of_the_characters_does(text):
    """Reading replaces lone surrogates (not Unicode: no file can hold them); the kernel finds them
    without encoding the text, in texts of 1-, 2- and 4-byte characters alike."""
    assert BUILT.has_surrogates(text) == any(0xD800 <= ord(c) <= 0xDFFF for c in text)


#: Characters NFKC changes by themselves (…, NBSP, ﬁ, Å as A and a ring), or only next to another:
#: Hangul jamo that compose into a syllable, a Bengali vowel sign after its vowel, combining marks.
_COMPOSING = [*"ab \n\n\x00\"", "\u1100", "\u1161", "\u11a8", "\uac00", "\u09c7", "\u09be", "e", "\u0301", "A\u030a",
              "\u2026", "\u00a0", "é", "’", "\u0f73", "ﬁ", "Ω", "\u212b"]


@needs_kernel
@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_COMPOSING), max_size=40).map("".join))
def test_tokens_in_one_pass_are_the_tokens_of_the_nfkc_text(text):
    """The kernel maps a text to tokens in one pass when NFKC would change none of its characters
    (`normalize._nfkc_stable`), else leaves it to the long way: the same bytes either way."""
    one = BUILT.token_bytes(text, normalize._folded_char, normalize._nfkc_stable)
    joined = BUILT.paragraphs(text)
    if joined is None:  # lines that touch: paragraph_spans decides, never the one pass
        assert one is None
        return
    assert one is None or one == BUILT.word_bytes(unicodedata.normalize("NFKC", joined), normalize._folded_char)
    if all(normalize._nfkc_stable(c) for c in text if not c.isascii()):
        assert one is not None


# --- sign: shingles and MinHash in one pass, keys held twice, band keys ------------------------------

@st.composite
def word_batches(draw: st.DrawFn) -> tuple[FeatureBatch, np.ndarray]:
    """A batch of articles of words from a small vocabulary (so shingles repeat inside articles and
    across them), quotation flags, paragraphs, and a drop mask over the paragraphs."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    n = draw(st.integers(1, 8))
    vocab = rng.integers(0, 2 ** 64, size=draw(st.sampled_from([3, 40, 5000])), dtype=np.uint64)
    paras = [rng.integers(0, 30, size=rng.integers(0, 6)).tolist() for _ in range(n)]
    para_words = np.array([w for p in paras for w in p], dtype=np.int32)
    para_offsets = np.concatenate([[0], np.cumsum([len(p) for p in paras])]).astype(np.int64)
    counts = [sum(p) for p in paras]
    word_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    words = vocab[rng.integers(0, vocab.shape[0], size=int(word_offsets[-1]))]
    quoted = rng.random(words.shape[0]) < draw(st.sampled_from([0.0, 0.3, 1.0]))
    batch = FeatureBatch(words, quoted, word_offsets, np.zeros(para_words.shape[0], np.uint64), para_words,
                         para_offsets, np.zeros((n, 12), np.uint8))
    return batch, rng.random(para_words.shape[0]) < draw(st.sampled_from([0.0, 0.4]))


@needs_kernel
@settings(max_examples=150, deadline=None)
@given(word_batches(), st.sampled_from([1, 2, 5]), st.sampled_from([1, 3, 4]), st.sampled_from([1, 56, 128]))
def test_shingles_and_minhash_in_one_pass_are_the_two_numpy_steps(batch_drop, k, sample, width):
    from syndup.shingle import shingle_minhash_many

    batch, drop = batch_drop
    a, b = permutations(128, 1)
    got = shingle_minhash_many(batch, k, drop, a[:width], b[:width], sample)
    assert got is not None
    sets, sigs = got
    with numpy_only():
        want = shingle_many(batch, k, drop)
        picked = np.flatnonzero(want.hashes % np.uint32(sample) == 0)
        want_sigs = signatures_flat(want.hashes[picked], np.searchsorted(picked, want.offsets).astype(np.int64),
                                    128, 1, width)
    for name in ("hashes", "unquoted", "offsets"):
        x, y = getattr(sets, name), getattr(want, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name
    assert sigs.dtype == np.uint32 and np.array_equal(sigs, want_sigs)


def _colliding_words(count: int, top_bits: int) -> np.ndarray:
    """Word hashes whose 1-word shingles all share their top `top_bits` bits: a crafted text that
    puts every shingle of an article in one sorting bucket."""
    from syndup.shingle import _POS_MULT
    from syndup.sign import fmix

    rng = np.random.default_rng(5)
    found: list[np.ndarray] = []
    while sum(f.shape[0] for f in found) < count:
        w = rng.integers(0, 2 ** 64, size=1 << 16, dtype=np.uint64)
        with np.errstate(over="ignore"):
            h = fmix(w * _POS_MULT[0] + np.uint64(1)) >> np.uint64(32)
        found.append(w[(h >> np.uint64(32 - top_bits)) == 0])
    return np.concatenate(found)[:count]


@needs_kernel
def test_shingles_whose_hashes_collide_are_still_the_numpy_result():
    words = _colliding_words(300, 8)  # 300 shingles in 512 buckets would be ~1 a bucket; all in one here
    batch = FeatureBatch(words, np.zeros(300, bool), np.array([0, 300], np.int64), np.zeros(1, np.uint64),
                         np.array([300], np.int32), np.array([0, 1], np.int64), np.zeros((1, 12), np.uint8))
    got = shingle_many(batch, 1)
    with numpy_only():
        want = shingle_many(batch, 1)
    assert np.array_equal(got.hashes, want.hashes) and np.array_equal(got.offsets, want.offsets)
    assert got.hashes.shape[0] == 300 and (np.diff(got.hashes.astype(np.int64)) > 0).all()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 12), max_size=300), st.sampled_from([0, 1 << 40, 2 ** 64 - 64]),
       st.sampled_from([1, 0x9E3779B97F4A7C15]))
def test_repeated_keys_are_the_keys_seen_twice(small, base, spread):
    from collections import Counter

    from syndup.sign import repeated_keys

    with np.errstate(over="ignore"):  # keys sharing their top bits too, as a pair counter's part files hold them
        keys = np.array(small, dtype=np.uint64) * np.uint64(spread) + np.uint64(base)
    seen = Counter(keys.tolist())
    want = np.array([i for i, x in enumerate(keys.tolist()) if seen[x] > 1], dtype=np.int64)
    got = repeated_keys(keys)
    assert got.dtype == np.int64 and np.array_equal(got, want)
    with numpy_only():
        assert np.array_equal(repeated_keys(keys), want)


@needs_kernel
@pytest.mark.parametrize("bands,rows", [(28, 2), (32, 4), (1, 1), (5, 3)])
def test_band_keys_in_c_are_the_numpy_band_keys(bands, rows):
    from syndup.candidates import _band_keys_of, band_key

    rng = np.random.default_rng(bands)
    sigs = rng.integers(0, 2 ** 32, size=(50, 128), dtype=np.uint64).astype(np.uint32)
    sigs[3] = 0xFFFFFFFF
    select = rng.permutation(50)[:30].astype(np.int64)
    keys = _band_keys_of(sigs, select, bands, rows)
    for b in range(bands):
        assert np.array_equal(keys(b), band_key(sigs, b, rows, select))
    with pytest.raises(ValueError, match="out of range"):
        BUILT.band_keys(sigs, 128, np.array([50], np.int64), bands, rows)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(-5, 5)), max_size=300),
       st.sampled_from([1, 0x9E3779B97F4A7C15 >> 8]))
def test_summed_codes_are_each_codes_total(items, spread):
    from collections import Counter

    from syndup.candidates import sum_by_code

    codes = np.array([c * spread for c, _ in items], dtype=np.int64)
    weights = np.array([w for _, w in items], dtype=np.int64)
    want: Counter[int] = Counter()
    for c, w in zip(codes.tolist(), weights.tolist()):
        want[c] += w
    for fast in (True, False):
        with nullcontext() if fast else numpy_only():
            got_codes, got_sums = sum_by_code(codes, weights)
        assert got_codes.dtype == got_sums.dtype == np.int64
        assert sorted(got_codes.tolist()) == sorted(want) and len(set(got_codes.tolist())) == got_codes.shape[0]
        assert dict(zip(got_codes.tolist(), got_sums.tolist())) == dict(want)

"""The fast path against plain references: tokenizing and hashing against the one-paragraph-at-a-
time implementation it replaced, shingles against their formula window by window (and a batch
against its articles one at a time), signatures against datasketch, and a whole scan against exact
shingle sets (Python sets) compared over all pairs.

Never reads ../shared: the corpora are generated here, seeded.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import random
from contextlib import nullcontext
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import syndup
from syndup import kernel, verify
from syndup.candidates import lsh_params
from syndup.errors import InputError
from syndup.execution import Tuning
from syndup.normalize import BREAK, QUOTE
from syndup.settings import DEFAULT_SETTINGS
from syndup.shingle import (
    MAX_SHINGLE,
    Features,
    ShingleSet,
    analyze,
    analyze_many,
    anchors,
    anchors_many,
    shingle_many,
    shingles,
)
from syndup.sign import permutations, signature, signatures, signatures_flat
from tests.test_kernel import numpy_only, reference_tokens

shingle_module = importlib.import_module("syndup.shingle")

HASH_KEY = "syndup-words-v01"


# --- the plain reference: one paragraph at a time, words as strings ----------------------------

def reference_words(text: str) -> tuple[list[str], list[int], list[bool]]:
    """Words, paragraph of each word (counting paragraphs that hold words) and whether it is
    inside quotation marks (an odd number of '"' before it in its paragraph), from the reference
    tokens."""
    words: list[str] = []
    para_of: list[int] = []
    quoted: list[bool] = []
    n_paras, inside, held = 0, False, False
    for token in reference_tokens(text) + [BREAK]:
        if token == BREAK:
            n_paras, inside, held = n_paras + held, False, False
        elif token == QUOTE:
            inside = not inside
        else:
            words.append(token)
            para_of.append(n_paras)
            quoted.append(inside)
            held = True
    return words, para_of, quoted


def word_hashes(words: list[str]) -> np.ndarray:
    if not words:
        return np.zeros(0, dtype=np.uint64)
    return pd.util.hash_array(np.array(words, dtype=object), hash_key=HASH_KEY, categorize=False)


def digest(arr: np.ndarray, size: int) -> bytes:
    return hashlib.blake2b(arr.tobytes(), digest_size=size).digest()


def reference_analyze(text: str) -> Features:
    """`analyze` as it was first written: per paragraph, with Python lists."""
    words, para_of, quoted = reference_words(text)
    hashes = word_hashes(words)
    para = np.array(para_of, dtype=np.int32)
    counts = np.bincount(para, minlength=int(para.max()) + 1 if para.size else 0).astype(np.int32)
    bounds = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    para_hashes = np.array([int.from_bytes(digest(hashes[bounds[i]:bounds[i + 1]], 8), "little")
                            for i in range(counts.shape[0])], dtype=np.uint64)
    assert np.array_equal(para, word_para(counts))  # paragraphs are runs of words, in order
    return Features(hashes, np.array(quoted, dtype=bool), para_hashes, counts, digest(hashes, 12))


def word_para(para_words: np.ndarray) -> np.ndarray:
    """The paragraph of each word, from the words per paragraph."""
    return np.repeat(np.arange(para_words.shape[0]), para_words)


def same_features(a: Features, b: Features) -> bool:
    for name in ("word_hashes", "word_quoted", "para_hashes", "para_words"):
        x, y = getattr(a, name), getattr(b, name)
        if x.dtype != y.dtype or x.shape != y.shape or not np.array_equal(x, y):
            return False
    return a.fingerprint == b.fingerprint


# --- a seeded corpus: stories, copies with edits, excerpts, site boilerplate, unrelated ----------

SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "an", "el", "or", "ut", "ba",
             "de", "fi", "go", "hu"]


class Writer:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.vocab = sorted({"".join(self.rng.choices(SYLLABLES, k=self.rng.randint(1, 4)))
                             for _ in range(3000)})

    def sentence(self) -> str:
        words = [self.rng.choice(self.vocab) for _ in range(self.rng.randint(6, 18))]
        s = " ".join(words).capitalize() + "."
        return f'"{s}"' if self.rng.random() < 0.12 else s

    def article(self, paras: int) -> list[str]:
        return [" ".join(self.sentence() for _ in range(self.rng.randint(2, 4))) for _ in range(paras)]


def corpus(seed: int = 11, stories: int = 40, unrelated: int = 120) -> list[dict[str, str]]:
    w = Writer(seed)
    rng = w.rng
    sites = [f"site{i}.example" for i in range(8)]
    footers = {s: [f"Share this story with your friends on {s}.",
                   f"Subscribe to the {s} newsletter: the best of {s} every morning, free."]
               for s in sites}
    docs: list[dict[str, str]] = []

    def add(doc_id: str, paras: list[str], site: str) -> None:
        docs.append({"id": doc_id, "text": "\n\n".join(paras + footers[site]), "site": site})

    for k in range(stories):
        origin = w.article(rng.randint(6, 12))
        add(f"s{k:03d}/origin", origin, rng.choice(sites))
        for c in range(rng.randint(1, 3)):
            paras = list(origin)
            edit = rng.choice(["trim", "drop", "move", "substitute", "excerpt", "note"])
            if edit == "trim":
                paras = paras[:max(3, len(paras) - rng.randint(1, 3))]
            elif edit == "drop":
                del paras[rng.randrange(1, len(paras) - 1)]
            elif edit == "move":
                paras.insert(0, paras.pop(rng.randrange(1, len(paras))))
            elif edit == "substitute":
                paras[rng.randrange(len(paras))] = w.sentence() + " " + w.sentence()
            elif edit == "excerpt":  # someone quoting three paragraphs inside their own text
                start = rng.randrange(0, len(paras) - 3)
                paras = w.article(3) + paras[start:start + 3] + w.article(3)
            else:
                paras = ["Editor's note: republished with permission from our partners."] + paras
            if rng.random() < 0.3:
                paras = [p.replace('"', "\u201c") for p in paras]
            add(f"s{k:03d}/copy{c}", paras, rng.choice(sites))
        if k % 10 == 0:  # one exact duplicate, up to case and whitespace
            add(f"s{k:03d}/dup", [p.upper() + "  " for p in origin], rng.choice(sites))
    for u in range(unrelated):
        add(f"u{u:03d}", w.article(rng.randint(5, 10)), rng.choice(sites))
    rng.shuffle(docs)
    return docs


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
    unquoted), computed window by window with Python ints: the formula `shingle_many` vectorizes."""
    mult = [int(m) for m in shingle_module._POS_MULT]
    kept = [i for i, p in enumerate(word_para(features.para_words).tolist()) if drop is None or not drop[p]]
    words = [int(features.word_hashes[i]) for i in kept]
    quoted = [bool(features.word_quoted[i]) for i in kept]
    width = min(k, len(words))
    out: dict[int, bool] = {}
    for j in range(len(words) - width + 1 if words else 0):
        acc = (sum(w * m for w, m in zip(words[j:j + width], mult)) + width) & _MASK64
        h = _fmix64(acc) >> 32
        out[h] = out.get(h, False) or not all(quoted[j:j + width])
    return out


SHINGLE_TEXTS = st.lists(st.sampled_from(["a", "b", "c", "d", "e f", '"', "\n\n", "."]), max_size=40).map(" ".join)


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


# --- signatures: datasketch's affine32 MinHash, bit for bit --------------------------------------

def datasketch_signature(hashes: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    from datasketch import MinHash

    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=lambda v: v, scheme="affine32")
    if hashes.shape[0]:
        m.update_batch(hashes.tolist())
    return m.hashvalues.astype(np.uint32)


@pytest.mark.parametrize("num_perm,seed", [(128, 1), (64, 42), (256, 7), (1, 0)])
def test_permutations_are_datasketchs(num_perm, seed):
    from datasketch import MinHash

    a, b = permutations(num_perm, seed)
    da, db = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    assert a.dtype == b.dtype == np.uint32
    assert np.array_equal(a, da) and np.array_equal(b, db)


@pytest.mark.parametrize("num_perm,seed", [(128, 1), (64, 42)])
def test_signatures_are_datasketch_minhashes(num_perm, seed):
    rng = np.random.default_rng(seed)
    sets = [np.unique(rng.integers(0, 2**32, size=n, dtype=np.uint64).astype(np.uint32))
            for n in [0, 1, 2, 5, 300, 700, 701, 4096, 4097, 9000] + rng.integers(1, 900, 40).tolist()]
    sigs = signatures(sets, num_perm, seed)
    for s, sig in zip(sets, sigs):
        assert sig.dtype == np.uint32
        assert np.array_equal(sig, datasketch_signature(s, num_perm, seed))
    assert np.array_equal(signature(sets[4], num_perm, seed), sigs[4])
    # Repeats never change a minimum; `width` is the leading permutations.
    values = np.concatenate(sets + sets[:3])
    offsets = np.concatenate([[0], np.cumsum([s.shape[0] for s in sets + sets[:3]])])
    flat = signatures_flat(values, offsets, num_perm, seed, width=num_perm // 4)
    assert np.array_equal(flat[:len(sets)], sigs[:, :num_perm // 4])


def test_signatures_go_into_datasketch_lsh_as_lean_minhashes():
    from datasketch import LeanMinHash, MinHash, MinHashLSH

    texts = [d["text"] for d in corpus(seed=8, stories=3, unrelated=3)]
    sets = [shingles(f, 5) for f in (analyze(t) for t in texts)]
    sigs = signatures([s.hashes for s in sets], 128, 1)
    lsh = MinHashLSH(threshold=0.2, num_perm=128)
    for i, sig in enumerate(sigs):
        lsh.insert(str(i), LeanMinHash(seed=1, hashvalues=sig, scheme="affine32"))
    for i, s in enumerate(sets):
        m = MinHash(num_perm=128, seed=1, hashfunc=lambda v: v, scheme="affine32")
        m.update_batch(s.hashes.tolist())
        assert str(i) in lsh.query(m)


def test_lsh_params_are_datasketchs():
    from datasketch.lsh import _optimal_param

    for num_perm in (16, 64, 128, 256):
        for threshold in (0.1, 0.2, 0.35, 0.5, 0.8, 0.95):
            assert lsh_params(threshold, num_perm) == tuple(_optimal_param(threshold, num_perm, 0.5, 0.5))


# --- a whole scan against exact shingle sets over all pairs --------------------------------------

def reference_relations(docs: list[dict[str, str]], boilerplate: frozenset[int]) -> dict[tuple[str, str], str]:
    """Every pair's relation from exact sets of word tuples, by `verify.relate_sets`."""
    s = DEFAULT_SETTINGS
    k = s.shingle_size
    ids, exact, full_words = [], [], []
    tuple_id: dict[tuple[str, ...], int] = {}
    for d in sorted(docs, key=lambda d: d["id"]):
        words, para_of, quoted = reference_words(d["text"])
        hashes = word_hashes(words)
        paras = sorted(set(para_of))
        para_hash = {p: int.from_bytes(digest(hashes[[i for i, q in enumerate(para_of) if q == p]], 8), "little")
                     for p in paras}
        keep = [i for i in range(len(words)) if para_hash[para_of[i]] not in boilerplate]
        kw, kq = [words[i] for i in keep], [quoted[i] for i in keep]
        grams: dict[tuple[str, ...], bool] = {}
        width = min(k, len(kw))
        for j in range(len(kw) - width + 1 if kw else 0):
            gram = tuple(kw[j:j + width])
            grams[gram] = grams.get(gram, False) or not all(kq[j:j + width])
        ordered = sorted(grams, key=lambda g: tuple_id.setdefault(g, len(tuple_id)))
        ident = np.array([tuple_id[g] for g in ordered], dtype=np.uint32)
        order = np.argsort(ident)
        exact.append(ShingleSet(ident[order], np.array([grams[g] for g in ordered], dtype=bool)[order]))
        ids.append(d["id"])
        full_words.append(words)
    out = {}
    as_sets = [set(x.hashes.tolist()) for x in exact]
    for i, j in combinations(range(len(ids)), 2):
        same = full_words[i] == full_words[j]
        if not same and as_sets[i].isdisjoint(as_sets[j]):
            continue
        rel = verify.relate_sets(exact[i], exact[j], s, same_words=same)
        if rel is not None:
            out[(ids[i], ids[j])] = rel.relation
    return out


@pytest.fixture(scope="module")
def planted() -> list[dict[str, str]]:
    return corpus()


@pytest.fixture(scope="module")
def small_chunks():
    """Many chunks and worker processes on 300 articles, and the tail's work (boilerplate,
    anchors, verification, origins) split between forked processes."""
    return Tuning(chunk=32, min_parallel=64, fork_articles=2, fork_pairs=2, fork_members=2, fork_clusters=2,
                  fork_keys=2)


def test_scan_finds_every_relation_the_exact_reference_finds(planted, small_chunks):
    result = syndup.scan(planted, jobs=2, tuning=small_chunks)
    assert len(result.documents) == len(planted)
    got = {(r.doc_a, r.doc_b): r.relation for r in result.pairs.itertuples()}
    expected = reference_relations(planted, result.boilerplate)
    assert result.boilerplate  # the site footers were learned and left out
    assert {p for p, r in expected.items() if r != "duplicate"} - set(got) == set()
    assert got == expected
    assert sorted(set(got.values())) == ["copy", "duplicate", "partial"]  # the corpus has all three


def test_scan_is_the_same_for_any_jobs_chunks_and_input_order(planted, small_chunks):
    one = syndup.scan(planted, jobs=1, tuning=small_chunks)
    two = syndup.scan(list(reversed(planted)), jobs=2, tuning=dataclasses.replace(small_chunks, chunk=7, min_parallel=14))
    for name in ("documents", "pairs", "clusters"):
        a, b = getattr(one, name), getattr(two, name)
        if name == "documents":  # "record n": where each was read, which the order changes
            a, b = a.drop(columns="source"), b.drop(columns="source")
        pd.testing.assert_frame_equal(a, b)
    assert one.boilerplate == two.boilerplate


def test_texts_are_kept_on_disk_and_read_back(planted, small_chunks):
    result = syndup.scan(planted, jobs=2, tuning=small_chunks)
    by_id = {d["id"]: d for d in planted}
    assert list(result) == sorted(by_id)
    for doc_id in list(by_id)[:25]:
        assert result.text(doc_id) == by_id[doc_id]["text"]
        article = result.article(doc_id)
        assert (article.id, article.site) == (doc_id, by_id[doc_id]["site"])
    with pytest.raises(KeyError):
        result.text("no such id")


def test_jobs_must_be_a_positive_whole_number(planted):
    for bad in (0, -1, 1.5, "2", True):
        with pytest.raises(InputError, match="jobs"):
            syndup.scan(planted[:3], jobs=bad)  # type: ignore[arg-type]


def test_jsonl_parsed_in_the_workers_scans_like_jsonl_read_here(planted, small_chunks, tmp_path, monkeypatch):
    # A scan of a JSONL path parses its lines in the worker processes; reading the same file here
    # first, record by record, must give the same tables and the same warnings in the same order.
    import gzip
    import importlib
    import json

    read_module = importlib.import_module("syndup.read")

    lines = [json.dumps(d) for d in planted]
    lines.insert(5, "{not json")
    lines.insert(9, json.dumps(planted[3]))     # a duplicate id in the same batch of lines
    lines.insert(40, "[1, 2]")
    lines.insert(41, "")
    lines.insert(77, json.dumps({"id": "no-text"}))
    lines.append(json.dumps(planted[0]))        # and one many batches later
    path = tmp_path / "corpus.jsonl.gz"
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    path.write_bytes(data[: len(data) - 40])  # cut short: the last lines are lost, with a warning
    monkeypatch.setattr(read_module, "LINES_PER_PART", 16)
    in_workers = syndup.scan(path, jobs=2, tuning=small_chunks)
    read_here = syndup.scan(list(syndup.read([path])), jobs=1)
    for name in ("documents", "pairs", "clusters"):
        pd.testing.assert_frame_equal(getattr(in_workers, name), getattr(read_here, name))
    assert [(p.where, p.reason) for p in in_workers.problems] == [(p.where, p.reason) for p in read_here.problems]
    reasons = " | ".join(p.reason for p in in_workers.problems)
    for expected in ("not valid JSON", "expected a JSON object", "has no 'text' field", "duplicate id",
                     "file ends early"):
        assert expected in reasons
    assert len(in_workers.documents) > len(planted) - 5
    doc_id = planted[3]["id"]
    assert in_workers.text(doc_id + "~2") == in_workers.text(doc_id) == planted[3]["text"]

"""verify/shingle/sign against brute-force oracles: the relation rule and its figures by plain set
arithmetic, signatures by datasketch."""

from __future__ import annotations

import random

import numpy as np
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from syndup import verify
from syndup.normalize import normalize, words
from syndup.settings import Settings
from syndup.shingle import SetBatch, ShingleSet, analyze, shingles
from syndup.sign import signature
from syndup.verify import NAMES, Relation, relate, relate_many, relate_sets

VOCAB = ["strike", "mosque", "aleppo", "said", "the", "us", "russia", "civilians", "report", "missile",
         "pentagon", "syria", "killed", "official", "video", "photo", "debris", "claims", "war", "city"]
texts = st.lists(st.sampled_from(VOCAB), min_size=0, max_size=80).map(" ".join)


FRESH = [f"fresh{i}" for i in range(400)]  # never in VOCAB2: text made of them shares nothing
VOCAB2 = [f"word{i}" for i in range(400)]


def oracle(text: str, k: int = 5) -> set[tuple[str, ...]]:
    w = words(text)
    if not w:
        return set()
    k = min(k, len(w))
    return {tuple(w[i:i + k]) for i in range(len(w) - k + 1)}


def exact_relation(a: set[object], b: set[object], same_words: bool, s: Settings,
                   shared_unquoted: int | None = None) -> Relation | None:
    """The relation rule by plain set arithmetic: the slow, obviously right reference.

    `shared_unquoted` (shared shingles unquoted on both sides) defaults to all of them."""
    shared, na, nb = len(a & b), len(a), len(b)
    unquoted = shared if shared_unquoted is None else shared_unquoted
    union = len(a | b)
    jaccard = shared / union if union else float(same_words)
    c_ab = shared / na if na else float(same_words)
    c_ba = shared / nb if nb else float(same_words)
    if same_words:
        return Relation("duplicate", jaccard, c_ab, c_ba, shared)
    if shared == 0:
        return None
    if max(c_ab, c_ba) >= s.copy_containment and shared >= min(s.copy_min_shared, na, nb):
        return Relation("copy", jaccard, c_ab, c_ba, shared)
    if unquoted >= s.partial_min_shared:
        return Relation("partial", jaccard, c_ab, c_ba, shared)
    return None


def exact_relate_sets(a: ShingleSet, b: ShingleSet, s: Settings, same_words: bool = False) -> Relation | None:
    """`exact_relation` of two `ShingleSet`s, unquoted shingles counted from their flags."""
    ua = {h for h, u in zip(a.hashes.tolist(), a.unquoted.tolist()) if u}
    ub = {h for h, u in zip(b.hashes.tolist(), b.unquoted.tolist()) if u}
    return exact_relation(set(a.hashes.tolist()), set(b.hashes.tolist()), same_words, s, len(ua & ub))


@st.composite
def related_texts(draw: st.DrawFn) -> tuple[str, str, str]:
    """(kind, text a, text b): b a duplicate, an edited copy, a text sharing one passage with a,
    or an unrelated text; three examples in four relate."""
    a = draw(st.lists(st.sampled_from(VOCAB2), min_size=120, max_size=200))
    kind = draw(st.sampled_from(["duplicate", "copy", "partial", "none"]))
    fresh = st.lists(st.sampled_from(FRESH), min_size=60, max_size=100)
    if kind == "duplicate":  # the same words, in other case and punctuation
        b = [w.upper() + ("," if i % 7 == 3 else "") for i, w in enumerate(a)]
    elif kind == "copy":  # most of a, cut at both ends, with a few words of its own
        keep = draw(st.integers(int(0.7 * len(a)), len(a)))
        start = draw(st.integers(0, len(a) - keep))
        b = a[start:start + keep] + draw(st.lists(st.sampled_from(FRESH), max_size=keep // 5))
    elif kind == "partial":  # one passage of a, in a different story
        size = draw(st.integers(32, 45))
        start = draw(st.integers(0, len(a) - size))
        b = draw(fresh) + a[start:start + size] + draw(fresh)
    else:
        b = draw(fresh)
    return kind, " ".join(a), " ".join(b)


@settings(max_examples=100, deadline=None)
@given(related_texts())
def test_relate_figures_equal_exact_set_arithmetic(example: tuple[str, str, str]) -> None:
    kind, a, b = example
    want = exact_relation(oracle(a), oracle(b), words(a) == words(b), Settings())
    assert (want.relation if want else "none") == kind  # the example is what it claims to be
    assert relate(a, b) == want
    assert relate(b, a) == (want and Relation(want.relation, want.jaccard, want.containment_b_in_a,
                                              want.containment_a_in_b, want.shared))


def random_sets(rng: random.Random, count: int, universe: int) -> list[ShingleSet]:
    out = []
    for _ in range(count):
        size = rng.choice([0, 1, 3, 10, 40, 80])
        hashes = np.unique(np.array([rng.randrange(universe) for _ in range(size)], dtype=np.uint32))
        unquoted = np.array([rng.random() < 0.8 for _ in range(hashes.shape[0])], dtype=bool)
        out.append(ShingleSet(hashes, unquoted))
    return out


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2 ** 32 - 1), st.booleans())
def test_relate_many_equals_exact_set_arithmetic(seed: int, small_slices: bool) -> None:
    """Every pair of a batch, hubs and sliced batches included, against `exact_relate_sets`."""
    rng = random.Random(seed)
    sets = random_sets(rng, 30, rng.choice([60, 200, 2 ** 32]))
    pairs = [(rng.randrange(30), rng.randrange(30)) for _ in range(rng.randrange(1, 120))]
    pairs += [(0, rng.randrange(30)) for _ in range(rng.choice([0, 40]))]  # a hub: searched on its own
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    same = np.array([rng.random() < 0.1 for _ in pairs])
    s = Settings(copy_min_shared=rng.choice([1, 10]), partial_min_shared=rng.choice([2, 25]))
    old = verify._SLICE
    verify._SLICE = 50 if small_slices else old
    try:
        got = relate_many(SetBatch.of(sets), a, b, same, s)
    finally:
        verify._SLICE = old
    for p, (i, j) in enumerate(pairs):
        want = exact_relate_sets(sets[i], sets[j], s, bool(same[p]))
        assert got[p] == want
        assert relate_sets(sets[i], sets[j], s, same_words=bool(same[p])) == want
        if want is not None:
            assert NAMES[got.code[p]] == want.relation
            assert got.clustering[p] == (want.relation in verify.CLUSTERING)


def test_relate_many_of_no_pairs() -> None:
    got = relate_many(SetBatch.of([]), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool), Settings())
    assert len(got) == 0


@settings(max_examples=50, deadline=None)
@given(texts)
def test_signatures_are_datasketch_compatible(text):
    s = shingles(analyze(text), 5)
    ours = signature(s.hashes, 128, 1)
    theirs = MinHash(num_perm=128, seed=1, hashfunc=lambda x: x)
    theirs.update_batch([int(h) for h in s.hashes])
    assert np.array_equal(ours, theirs.hashvalues)


def test_normalisation_folds_quotes_dashes_case_and_space():
    a = "\u201cWe did not target a mosque\u201d \u2014 said   Colonel THOMAS\u2026"
    b = '"we did not target a mosque" -- said colonel thomas...'
    assert normalize(a) == normalize(b)
    assert analyze(a).fingerprint == analyze(b).fingerprint


def test_hard_wrapped_text_is_the_same_text():
    para = ("Journalist Samuel Oakford, who was previously UN correspondent at Vice News, said that the "
            "US central Command confirmed it had carried out a strike in relative close proximity.")
    wrapped = "\n".join([para[:70], para[70:140], para[140:]])
    assert analyze(para).fingerprint == analyze(wrapped).fingerprint
    assert list(analyze(para).para_hashes) == list(analyze(wrapped).para_hashes)


def test_quoted_passages_are_not_partial_evidence():
    quote = " ".join(VOCAB2[:40])
    a, b = "alpha beta gamma delta epsilon ", "zeta eta theta iota kappa "
    strict = Settings(copy_containment=0.99)
    assert relate(a + quote, b + quote, settings=strict).relation == "partial"
    assert relate(a + f'"{quote}"', b + f'"{quote}"', settings=strict) is None


def test_identical_words_are_duplicates():
    rel = relate("One two three four five six.", "one two, three four five six")
    assert rel == Relation("duplicate", 1.0, 1.0, 1.0, 2)

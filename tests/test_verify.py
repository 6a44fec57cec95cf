"""verify/shingle/sign against brute-force oracles: exact Jaccard, containment, datasketch."""

from __future__ import annotations

import numpy as np
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from syndup.normalize import normalize, words
from syndup.settings import Settings
from syndup.shingle import analyze, shingles
from syndup.sign import signature
from syndup.verify import relate

VOCAB = ["strike", "mosque", "aleppo", "said", "the", "us", "russia", "civilians", "report", "missile",
         "pentagon", "syria", "killed", "official", "video", "photo", "debris", "claims", "war", "city"]
texts = st.lists(st.sampled_from(VOCAB), min_size=0, max_size=80).map(" ".join)


def oracle(text: str, k: int = 5) -> set[tuple[str, ...]]:
    w = words(text)
    if not w:
        return set()
    k = min(k, len(w))
    return {tuple(w[i:i + k]) for i in range(len(w) - k + 1)}


@settings(max_examples=200, deadline=None)
@given(texts, texts)
def test_relate_figures_equal_exact_set_arithmetic(a, b):
    sa, sb = shingles(analyze(a), 5), shingles(analyze(b), 5)
    oa, ob = oracle(a), oracle(b)
    assert len(sa) == len(oa) and len(sb) == len(ob)
    rel = relate(sa, sb, Settings())
    inter = len(oa & ob)
    if rel is None:
        return
    assert rel.shared == inter
    assert abs(rel.jaccard - inter / len(oa | ob)) < 1e-12
    assert abs(rel.containment_a_in_b - inter / len(oa)) < 1e-12


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
    quote = '"' + " ".join(VOCAB * 3) + '"'
    a = shingles(analyze("alpha beta gamma delta epsilon " + quote), 5)
    b = shingles(analyze("zeta eta theta iota kappa " + quote), 5)
    rel = relate(a, b, Settings(copy_containment=0.99))
    assert rel is None


def test_identical_words_are_duplicates():
    a = shingles(analyze("One two three four five six."), 5)
    rel = relate(a, a, Settings(), same_words=True)
    assert rel is not None and rel.relation == "duplicate" and rel.jaccard == 1.0

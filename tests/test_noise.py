"""Copies through noise: OCR'd and lightly reworded copies of the seeds are copies, through `scan`,
`relate` and `Index.add`; different articles on one event stay apart; the noisy view's words
are the same with and without the C kernel.

The noise is the quality benchmark's generator (`benchmarks/scenarios.py`): OCR damage at 10% of
words (character confusions, split and merged words, a hyphenated narrow column, running heads),
and rewording of 30% of content words with a clause in five reordered. (At 5% and 20% half of
each text's words still lie in runs of exact shingles found in the other, so the exact view
decides, by words: `verify.covered_share_many`.)
"""

from __future__ import annotations

import random
import re
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import syndup
from syndup import Index, kernel, normalize
from syndup.candidates import noisy_checked
from syndup.normalize import (
    dehyphenate,
    fold_confusables,
    noisy_token_bytes,
    paragraph_spans,
    paragraphs,
    running_head,
    token_bytes,
)
from syndup.settings import DEFAULT_SETTINGS
from syndup.shingle import analyze_views
from syndup.sketch import sketch_many
from syndup.verify import relate

from .conftest import seed_text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import scenarios  # noqa: E402  (the benchmarks' generator, not a package)

SYNONYMS = ["former", "matter", "signal", "county", "plenty", "rather", "honest", "window", "garden", "yellow"]


def ocr(text: str, seed: int, rate: float = 0.10) -> str:
    """`text` as an OCR'd newspaper page gives it, `rate` of its words damaged."""
    rng = random.Random(seed)
    body = [scenarios.Para(p, (seed, i)) for i, p in enumerate(paragraphs(text))]
    return "\n\n".join(p.text for p in scenarios.ocr_page_paras(body, rate, rng, [], "herald.example"))


def reworded(text: str, seed: int, rate: float = 0.30) -> str:
    """`text` lightly reworded: `rate` of its content words swapped, a clause in five moved."""
    rng = random.Random(seed)
    return "\n\n".join(scenarios.reword(p, rate, rng, lambda w: rng.choice(SYNONYMS)) for p in paragraphs(text))


def noisy_corpus() -> dict[str, str]:
    """The seeds (000 and 001 copies; 002, 003, 004 different articles on air strikes in Syria and
    Iraq), two OCR'd versions of 002, a reworded 003 and an OCR'd 004."""
    texts = {s: seed_text(s) for s in ("000", "001", "002", "003", "004")}
    texts["002-ocr-a"] = ocr(texts["002"], 0)
    texts["002-ocr-b"] = ocr(texts["002"], 1)
    texts["003-reworded"] = reworded(texts["003"], 3)
    texts["004-ocr"] = ocr(texts["004"], 4)
    return texts


FAMILY = {"002": "002", "002-ocr-a": "002", "002-ocr-b": "002", "003": "003", "003-reworded": "003",
          "004": "004", "004-ocr": "004", "000": "000", "001": "000"}


@pytest.fixture(scope="module")
def scanned() -> syndup.ScanResult:
    return syndup.scan([{"id": k, "text": v} for k, v in noisy_corpus().items()])


def pair_of(result: syndup.ScanResult, a: str, b: str) -> tuple[str, str] | None:
    rows = result.pairs[((result.pairs.doc_a == a) & (result.pairs.doc_b == b))
                        | ((result.pairs.doc_a == b) & (result.pairs.doc_b == a))]
    return None if rows.empty else (rows.iloc[0].relation, rows.iloc[0].match_view)


def test_ocr_and_reworded_copies_are_copies_in_their_seeds_cluster(scanned: syndup.ScanResult) -> None:
    assert pair_of(scanned, "002", "002-ocr-a")[0] == "copy"  # type: ignore[index]
    assert pair_of(scanned, "004", "004-ocr")[0] == "copy"  # type: ignore[index]
    # two OCR'd versions of one page: each damaged, so the exact shingles fall short
    assert pair_of(scanned, "002-ocr-a", "002-ocr-b") == ("copy", "noisy")
    assert pair_of(scanned, "003", "003-reworded") == ("copy", "noisy")
    cluster = dict(zip(scanned.documents.doc_id, scanned.documents.cluster_id))
    for doc, family in FAMILY.items():
        assert cluster[doc] == cluster[family], doc
    assert len({cluster[f] for f in set(FAMILY.values())}) == 4


def test_different_articles_on_one_event_are_not_linked_when_one_is_ocrd(scanned: syndup.ScanResult) -> None:
    for a in FAMILY:
        for b in FAMILY:
            if a < b and FAMILY[a] != FAMILY[b]:
                assert pair_of(scanned, a, b) is None, (a, b)


def test_relate_says_what_scan_says() -> None:
    texts = noisy_corpus()
    rel = relate(texts["003"], texts["003-reworded"])
    assert rel is not None and (rel.relation, rel.match_view) == ("copy", "noisy")
    assert rel.containment_a_in_b >= 0.5
    assert relate(texts["003"], texts["004-ocr"]) is None
    assert relate(texts["002"], texts["004-ocr"]) is None


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_index_add_matches_noisy_copies_and_keeps_one_event_apart(kind: str, tmp_path: Path) -> None:
    texts = noisy_corpus()
    with Index.open(":memory:" if kind == "memory" else tmp_path / "i.syndup") as idx:
        got = {doc: idx.add(doc, text) for doc, text in texts.items()}
    found = {doc: {(m.doc_id, m.relation, m.match_view) for m in ms} for doc, ms in got.items()}
    assert ("003", "copy", "noisy") in found["003-reworded"]
    assert ("002-ocr-a", "copy", "noisy") in found["002-ocr-b"]
    assert {m[0] for m in found["002-ocr-a"]} == {"002"}
    assert {m[0] for m in found["004-ocr"]} == {"004"}
    for doc, matches in found.items():
        for other, relation, _ in matches:
            assert FAMILY[other] == FAMILY[doc], (doc, other, relation)


def test_only_noisy_pairs_that_could_be_related_are_verified() -> None:
    """Of every pair the noisy view's LSH could find, the check keeps the copies (two pages OCR'd
    at 20% whose exact signatures share nothing among them) and a page sharing a 60-word passage
    with a story (few word pairs in common), drops most pairs of different articles on one event
    (common word pairs by chance), and keeps a pair that other evidence found."""
    texts = noisy_corpus()
    texts["002-ocr20-a"], texts["002-ocr20-b"] = ocr(texts["002"], 21, 0.2), ocr(texts["002"], 22, 0.2)
    story, other = seed_text("000").split(), seed_text("003").split()
    texts["003+passage"] = " ".join(other[:200]) + "\n\n" + " ".join(story[100:160]) + "\n\n" + " ".join(other[200:])
    family = {**FAMILY, "002-ocr20-a": "002", "002-ocr20-b": "002", "003+passage": "003+passage"}
    names = list(texts)
    exact, noisy = analyze_views(list(texts.values()))
    sk = sketch_many(exact, None, DEFAULT_SETTINGS, noisy)
    assert sk.noisy_signatures is not None and sk.noisy_sets is not None
    pairs = np.stack(np.triu_indices(len(names), 1), axis=1).astype(np.int64)
    check = partial(noisy_checked, pairs, signatures=sk.signatures, noisy_signatures=sk.noisy_signatures,
                    noisy_sizes=np.diff(sk.noisy_sets.offsets), settings=DEFAULT_SETTINGS, n=len(names))
    kept = {(names[a], names[b]) for a, b in check(np.zeros((0, 2), np.int64)).tolist()}
    copies = {(names[a], names[b]) for a, b in pairs.tolist() if family[names[a]] == family[names[b]]}
    assert copies <= kept
    assert {("000", "003+passage"), ("001", "003+passage")} <= kept
    unrelated = {(names[a], names[b]) for a, b in pairs.tolist()} - copies - {("000", "003+passage"), ("001", "003+passage")}
    assert len(unrelated & kept) <= len(unrelated) // 10
    found = np.array([[names.index("002"), names.index("003")]])
    assert found.tolist()[0] in check(found).tolist()


def test_dehyphenation_joins_words_and_keeps_lines() -> None:
    text = "The gov-\nernment said on Tues-\nday that Anglo-\nFrench talks\nwould con-\ntinue."
    joined = dehyphenate(text)
    assert joined == "The government\nsaid on Tuesday\nthat Anglo-\nFrench talks\nwould continue\n."
    assert joined.count("\n") == text.count("\n")
    assert noisy_token_bytes("the gov-\nernment said") == fold_confusables(token_bytes("the government\nsaid"))


def test_confusables_fold_to_one_word() -> None:
    for clean, damaged in [("modern", "rnodern"), ("little", "1ittle"), ("clean", "dean"), ("office", "offlce"),
                           ("union", "nnion"), ("london", "l0ndon")]:
        assert fold_confusables(clean.encode()) == fold_confusables(damaged.encode()), (clean, damaged)


@pytest.mark.skipif(kernel.KERNEL is None, reason="the C kernel is not built")
def test_noisy_view_is_the_same_with_and_without_the_kernel() -> None:
    texts = [*noisy_corpus().values(), "", "\u201cRn\u201d \u00e9t\u00e9 1905 gov-\nernment \x00 x", "ri ii vv li cl"]
    got = analyze_views(texts)
    saved = kernel.KERNEL
    kernel.KERNEL = None
    try:
        want = analyze_views(texts)
    finally:
        kernel.KERNEL = saved
    for g, w in zip(got, want):
        for name in ("word_hashes", "word_quoted", "word_offsets", "para_hashes", "para_words", "para_offsets",
                     "fingerprints"):
            a, b = getattr(g, name), getattr(w, name)
            assert a.dtype == b.dtype and np.array_equal(a, b), name
    exact, noisy = got
    assert np.array_equal(exact.para_offsets, noisy.para_offsets)  # one boilerplate mask serves both views


def test_word_pairs_in_common_without_text_in_common_are_not_a_copy() -> None:
    """A page of 003's words in runs of three, shuffled, holds most of 003's word pairs (the noisy
    view's copy test passes) but no stretch of its text: the alignment keeps it from being a copy."""
    words = seed_text("003").split()
    runs = [" ".join(words[i:i + 3]) for i in range(0, len(words), 3)]
    random.Random(5).shuffle(runs)
    scrambled = " ".join(runs)
    assert relate(seed_text("003"), scrambled) is None


def test_an_index_refuses_other_noisy_view_settings(tmp_path: Path) -> None:
    """The noisy view's band keys are stored: settings that change them make the index unreadable."""
    path = tmp_path / "i.syndup"
    with Index.open(path) as idx:
        idx.add("002", seed_text("002"))
    for change in ({"noisy_lsh_threshold": 0.6}, {"noisy_shingle_size": 3}, {"noisy_sample": 2}):
        with pytest.raises(syndup.IndexSettingsError, match="build a new index"):
            Index.open(path, settings=syndup.Settings().replace(**change))


@pytest.mark.skipif(kernel.KERNEL is None, reason="the C kernel is not built")
@given(st.lists(st.sampled_from([b"r", b"n", b"c", b"l", b"v", b"i", b"1", b"0", b"5", b"a", b"e", b"u", b"b",
                                 b" ", b"\x00", b'"', b"\xc3\xa9", b"m"]), max_size=40))
def test_the_kernel_folds_confusables_as_python_does(parts: list[bytes]) -> None:
    tokens = b"".join(parts)
    got = fold_confusables(tokens)
    saved = kernel.KERNEL
    kernel.KERNEL = None
    try:
        assert got == fold_confusables(tokens)
    finally:
        kernel.KERNEL = saved


COLUMN = """The council met on Tuesday evening to hear the report of the
committee on roads, which had been asked to say what the new
bridge across the river would cost and who should pay for it.
THE WEEKLY HERALD, TUESDAY, MARCH 4, 1890.
The committee found that the county should bear the greater
part of the expense, the town the rest, and that the work could
begin as soon as the frost was out of the ground in the spring."""


def test_a_running_head_printed_into_a_column_is_its_own_paragraph() -> None:
    assert paragraphs(COLUMN) == [
        COLUMN.split("\nTHE WEEKLY")[0], "THE WEEKLY HERALD, TUESDAY, MARCH 4, 1890.", COLUMN.split("1890.\n")[1]]
    # a headline in capitals without a page number or a date, or a dateline, is not furniture
    assert running_head("EVENING NEWS. PAGE 4")
    assert not running_head("NEW BRIDGE FOR THE TOWN") and not running_head("Tuesday, March 4, 1890")


def spans_plainly(text: str) -> list[tuple[int, int]]:
    """`paragraph_spans` written plainly (each line cut from the text and stripped), with the
    running-head test's digit check as `str.isdigit` on every character: the oracle."""
    spans: list[tuple[int, int]] = []
    block: list[tuple[int, int]] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        start, end = pos, pos + len(line.rstrip("\r\n"))
        pos += len(line)
        if not text[start:end].strip():
            spans += _flushed(text, block)
            block = []
            continue
        lead = len(text[start:end]) - len(text[start:end].lstrip())
        trail = len(text[start:end]) - len(text[start:end].rstrip())
        block.append((start + lead, end - trail))
    return spans + _flushed(text, block)


def _flushed(text: str, block: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(normalize, "running_head", running_head_plainly)
        normalize._flush(text, block, spans)
    return spans


def running_head_plainly(line: str) -> bool:
    """`running_head` with its digit check as `str.isdigit` on every character."""
    if not any(c.isdigit() for c in line) or len(line.split()) > normalize.RUNNING_HEAD_WORDS:
        return False
    cased = re.findall(r"[^\W\d_]", line)
    upper = sum(c.isupper() for c in cased)
    return upper >= 6 and upper >= 9 * sum(c.islower() for c in cased)


#: Lines of a few words, some in capitals with a page number (ASCII or not): running heads.
HEADS = st.tuples(st.sampled_from(["EVENING NEWS. PAGE", " THE STAR, MAY", "Evening news, page"]),
                  st.sampled_from(["1", "0", "\u00b2", "\u0661", "", "4 \u00a0"])).map(" ".join)
LINES = st.lists(st.one_of(st.text(st.sampled_from(list("AB 1\u00b2\u00a0\t.a")), max_size=10), HEADS), max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(LINES, st.sampled_from(["\n", "\r\n", "\r", "\u2028", "\x0b", "\x85", "\n \n"])),
                max_size=6))
def test_paragraph_spans_are_those_of_the_plain_reading(blocks: list[tuple[list[str], str]]) -> None:
    """Paragraph spans (and running heads, ASCII or not) as the plain per-line, per-character reading gives them."""
    text = "".join(end.join(lines) + end + end for lines, end in blocks)
    assert paragraph_spans(text) == spans_plainly(text)
    for lines, _ in blocks:
        for line in lines:
            assert running_head(line) == running_head_plainly(line)


def test_running_heads_of_an_ocr_page_are_boilerplate_in_the_diff() -> None:
    """The heads OCR prints into a page (between paragraphs or inside one) are not what the copy
    added: the diff calls them boilerplate, and the page is still a copy of its origin."""
    origin = seed_text("002")
    page = ocr(origin, 3)
    heads = [p for p in paragraphs(page) if p.isupper() and any(c.isdigit() for c in p)]
    assert len(heads) == 2
    d = syndup.diff(origin, page)
    added = [s for s in d.segments if s.op == "added" and s.new.strip() in heads]
    assert len(added) == 2 and {s.kind for s in added} == {"boilerplate"}
    assert relate(origin, page).relation == "copy"


def test_a_reworded_copy_with_its_own_paragraphs_between_the_originals_is_a_copy() -> None:
    """A tabloid's rewrite of a wire story of one-sentence paragraphs: each reworded, and a paragraph of its
    own (a photo caption, background) after each; the wire story is still most of it, and the
    rewrite twice its length. Text between two of the wire's paragraphs must not cost the alignment
    what it finds inside them."""
    wire = "\n\n".join(s for p in paragraphs(seed_text("003")) for s in scenarios.SENTENCE_END.split(p))  # news style
    own = paragraphs(seed_text("000"))
    rewrite = "\n\n".join(f"{p}\n\n{own[i % len(own)]}" for i, p in enumerate(paragraphs(reworded(wire, 5, 0.3))))
    result = syndup.scan([{"id": "wire", "text": wire}, {"id": "tabloid", "text": rewrite}])
    assert pair_of(result, "wire", "tabloid") == ("copy", "noisy")
    assert result.documents.cluster_id.nunique() == 1
    assert pair_of(syndup.scan([{"id": "wire", "text": wire}, {"id": "other", "text": seed_text("000")}]),
                   "wire", "other") is None

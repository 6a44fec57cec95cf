"""verify/shingle/sign against brute-force oracles: the relation rule and its figures by plain set
arithmetic, shared passages by trying every span, signatures by datasketch; and what a user sees of
`partial` (a shared paragraph, not a sentence, a quotation or a table) through `scan` and `Index`."""

from __future__ import annotations

import random
import textwrap

import numpy as np
import pytest
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

import syndup
from syndup import verify
from syndup.execution import Tuning
from syndup.normalize import normalize, paragraphs, words
from syndup.settings import Settings
from syndup.shingle import SetBatch, ShingleSet, analyze, shingles
from syndup.sign import signature
from syndup.verify import NAMES, PROSE_WORDS, Relation, passage_words, relate, relate_many, relate_sets

from .references import reference_repeated, reference_words

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
                   passage: int, shared_unquoted: int | None = None) -> Relation | None:
    """The relation rule by plain set arithmetic: the slow, obviously right reference. `passage`
    is the longest shared passage in words; it is measured (else 0) when the pair is neither a
    duplicate nor a copy and shares `partial_min_shared` shingles not quoted on both sides
    (`shared_unquoted`, default all shared ones)."""
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
    measured = passage if unquoted >= s.partial_min_shared else 0
    if measured >= s.partial_min_words:
        return Relation("partial", jaccard, c_ab, c_ba, shared, measured)
    return None


def exact_relate_sets(a: ShingleSet, b: ShingleSet, s: Settings, passage: int,
                      same_words: bool = False) -> Relation | None:
    """`exact_relation` of two `ShingleSet`s, unquoted shingles counted from their flags."""
    ua = {h for h, u in zip(a.hashes.tolist(), a.unquoted.tolist()) if u}
    ub = {h for h, u in zip(b.hashes.tolist(), b.unquoted.tolist()) if u}
    shared = set(a.hashes.tolist()) & set(b.hashes.tolist())
    return exact_relation(set(a.hashes.tolist()), set(b.hashes.tolist()), same_words, s, passage,
                          len(shared & (ua | ub)))


Word = tuple[str, bool, bool]  # a word; whether it counts toward a passage's length; the same, quoted or not


def counted_words(text: str, drop: frozenset[int] = frozenset()) -> list[Word]:
    """The words of `text` by the reference tokenizer, paragraphs numbered in `drop` left out, each
    counted (toward a passage's length) unless quoted or in a paragraph under PROSE_WORDS words
    (and, as a second flag, unless in such a paragraph); paragraphs the page shows twice are left
    out too."""
    ws, para_of, quoted = reference_words(text)
    drop = drop | reference_repeated(text)
    length = {p: para_of.count(p) for p in set(para_of)}
    return [(w, not q and length[p] >= PROSE_WORDS, length[p] >= PROSE_WORDS)
            for w, p, q in zip(ws, para_of, quoted) if p not in drop]


def oracle_passage(a: list[Word], b: list[Word], k: int) -> int:
    """The longest shared passage by brute force: in each article, every span from one shingle
    found in the other article to another, whose positions without one miss no more than k + 2 in
    a row (what three differing words hide), measured in counted words; the shorter of the two
    articles' longest spans. Words quoted on one side only count: the longer of the two sides'
    longest spans in counted words, capped by the shorter of their longest spans counting quoted
    words too."""
    def longest(x: list[Word], y: list[Word]) -> tuple[int, int]:
        theirs = {tuple(w for w, _, _ in y[i:i + k]) for i in range(len(y) - k + 1)}
        hit = [tuple(w for w, _, _ in x[i:i + k]) in theirs for i in range(len(x) - k + 1)]
        best = whole = 0
        for s in range(len(hit)):
            for e in range(s, len(hit)):
                misses = "".join("x" if h else "-" for h in hit[s:e + 1]).split("x")
                if hit[s] and hit[e] and max(len(m) for m in misses) <= k + 2:
                    best = max(best, sum(c for _, c, _ in x[s:e + k]))
                    whole = max(whole, sum(c for _, _, c in x[s:e + k]))
        return best, whole

    (counted_a, whole_a), (counted_b, whole_b) = longest(a, b), longest(b, a)
    return min(whole_a, whole_b, max(counted_a, counted_b))


@st.composite
def related_texts(draw: st.DrawFn) -> tuple[str, str, str]:
    """(kind, text a, text b): b a duplicate, an edited copy, a text sharing one passage with a,
    or an unrelated text; three examples in four relate."""
    a = draw(st.lists(st.sampled_from(VOCAB2), min_size=120, max_size=200, unique=True))
    kind = draw(st.sampled_from(["duplicate", "copy", "partial", "none"]))
    fresh = st.lists(st.sampled_from(FRESH), min_size=60, max_size=100, unique=True)  # a repeated word could make a copy
    if kind == "duplicate":  # the same words, in other case and punctuation
        b = [w.upper() + ("," if i % 7 == 3 else "") for i, w in enumerate(a)]
    elif kind == "copy":  # most of a, cut at both ends, with a few words of its own
        keep = draw(st.integers(int(0.7 * len(a)), len(a)))
        start = draw(st.integers(0, len(a) - keep))
        b = a[start:start + keep] + draw(st.lists(st.sampled_from(FRESH), min_size=1, max_size=keep // 5))
    elif kind == "partial":  # one passage of a, in a different story
        size = draw(st.integers(40, 55))
        start = draw(st.integers(0, len(a) - size))
        b = draw(fresh) + a[start:start + size] + draw(fresh)
    else:
        b = draw(fresh)
    return kind, " ".join(a), " ".join(b)


@settings(max_examples=100, deadline=None)
@given(related_texts())
def test_relate_figures_equal_exact_set_arithmetic(example: tuple[str, str, str]) -> None:
    kind, a, b = example
    passage = oracle_passage(counted_words(a), counted_words(b), 5)
    want = exact_relation(oracle(a), oracle(b), words(a) == words(b), Settings(), passage)
    assert (want.relation if want else "none") == kind  # the example is what it claims to be
    assert relate(a, b) == want
    assert relate(b, a) == (want and Relation(want.relation, want.jaccard, want.containment_b_in_a,
                                              want.containment_a_in_b, want.shared, want.passage_words))


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
    """Every pair of a batch, hubs and sliced batches included, against `exact_relate_sets`; the
    passage is measured for exactly the pairs it could make partial."""
    rng = random.Random(seed)
    sets = random_sets(rng, 30, rng.choice([60, 200, 2 ** 32]))
    pairs = [(rng.randrange(30), rng.randrange(30)) for _ in range(rng.randrange(1, 120))]
    pairs += [(0, rng.randrange(30)) for _ in range(rng.choice([0, 40]))]  # a hub: searched on its own
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    same = np.array([rng.random() < 0.1 for _ in pairs])
    passage = np.array([rng.choice([0, 20, 39, 40, 90]) for _ in pairs])
    s = Settings(copy_min_shared=rng.choice([1, 10]), partial_min_shared=rng.choice([2, 25]))
    asked: list[int] = []

    def passages(p: np.ndarray) -> np.ndarray:
        asked.extend(p.tolist())
        return passage[p]

    old = verify._SLICE
    verify._SLICE = 50 if small_slices else old
    try:
        got = relate_many(SetBatch.of(sets), a, b, same, s, passages)
    finally:
        verify._SLICE = old
    assert len(asked) == len(set(asked))
    for p, (i, j) in enumerate(pairs):
        want = exact_relate_sets(sets[i], sets[j], s, int(passage[p]), bool(same[p]))
        assert (got[p] and got[p].relation) == (want and want.relation)
        if want is not None:
            assert got[p] == Relation(want.relation, want.jaccard, want.containment_a_in_b, want.containment_b_in_a,
                                      want.shared, int(passage[p]) if p in asked else 0)
            assert NAMES[got.code[p]] == want.relation
            assert got.clustering[p] == (want.relation in verify.CLUSTERING)
        assert relate_sets(sets[i], sets[j], s, same_words=bool(same[p]), passage_words=int(passage[p])) == got[p]
        could_be_partial = exact_relate_sets(sets[i], sets[j], s, 10 ** 6, bool(same[p]))
        assert (p in asked) == (could_be_partial is not None and could_be_partial.relation == "partial")


def test_relate_many_of_no_pairs() -> None:
    got = relate_many(SetBatch.of([]), np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool), Settings(),
                      lambda p: np.zeros(p.shape[0], np.int64))
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


# --- shared passages: the longest one against brute force, and what makes a pair partial -------

TINY = ["a", "b", "c", "d", "e", "f"]


@st.composite
def small_pairs(draw: st.DrawFn) -> tuple[str, str]:
    """Two texts of paragraphs of 1-14 words from six words, some in quotation marks: unrelated, or
    the second the first with a few words changed, added or taken out (passages with gaps)."""
    def paragraphs(n: int) -> list[list[str]]:
        return [draw(st.lists(st.sampled_from(TINY), min_size=1, max_size=14)) for _ in range(n)]

    def text(paras: list[list[str]]) -> str:
        marked = []
        for ws in paras:
            marks = draw(st.lists(st.integers(0, len(ws)), max_size=2))
            marked.append(" ".join('"' + w if i in marks else w for i, w in enumerate(ws)))
        return "\n\n".join(marked)

    a = paragraphs(draw(st.integers(0, 4)))
    if draw(st.booleans()):
        return text(a), text(paragraphs(draw(st.integers(0, 4))))
    b = [list(ws) for ws in a]
    for _ in range(draw(st.integers(0, 4))):
        if not b:
            break
        ws = b[draw(st.integers(0, len(b) - 1))]
        at = draw(st.integers(0, len(ws)))
        edit = draw(st.sampled_from(["change", "add", "cut"]))
        if edit == "add" or at == len(ws):
            ws.insert(at, draw(st.sampled_from(["x", "y", "z"])))
        elif edit == "change":
            ws[at] = draw(st.sampled_from(["x", "y", "z"]))
        elif len(ws) > 1:
            del ws[at]
    return text(a), text(b)


@settings(max_examples=400, deadline=None)
@given(small_pairs(), st.sampled_from([1, 2, 3, 5]), st.integers(0, 2 ** 8 - 1))
def test_passage_words_equal_the_longest_shared_span_tried_one_by_one(texts: tuple[str, str], k: int,
                                                                        drops: int) -> None:
    a, b = texts
    fa, fb = analyze(a), analyze(b)
    drop_a = np.array([bool(drops >> i & 1) for i in range(fa.para_hashes.shape[0])], dtype=bool)
    drop_b = np.array([bool(drops >> (4 + i) & 1) for i in range(fb.para_hashes.shape[0])], dtype=bool)
    want = oracle_passage(counted_words(a, frozenset(np.flatnonzero(drop_a).tolist())),
                          counted_words(b, frozenset(np.flatnonzero(drop_b).tolist())), k)
    assert passage_words(fa, fb, k, drop_a, drop_b) == want
    assert passage_words(fb, fa, k, drop_b, drop_a) == want


_rng = random.Random(12)
PROSE = [f"{_rng.choice('bcdfgklmnprstvz')}{_rng.choice('aeiou')}{_rng.choice('bcdfgklmnprstvz')}{i}" for i in range(3000)]


def prose(seed: int, n_words: int) -> str:
    """A paragraph of `n_words` words no other seed's paragraph shares a 5-word run with."""
    rng = random.Random(seed)
    return " ".join(rng.choice(PROSE) for _ in range(n_words)) + "."


def story(seed: int, middle: str) -> str:
    """An article of its own (six paragraphs, 280 words) with `middle` among its paragraphs."""
    own = [prose(seed * 100 + i, 40 + 4 * i) for i in range(6)]
    return "\n\n".join(own[:3] + [middle] + own[3:])


def as_seen(text_a: str, text_b: str) -> tuple[tuple[str, int] | None, tuple[str, int] | None]:
    """(relation, passage words) of two articles as a scan's pairs table gives them and as an index
    reports the second one added (None where they are not a pair)."""
    pairs = syndup.scan([{"id": "a", "text": text_a}, {"id": "b", "text": text_b}]).pairs
    scanned = [(r.relation, r.passage_words) for r in pairs.itertuples()]
    with syndup.Index.open(":memory:") as idx:
        idx.add("a", text_a)
        indexed = [(m.relation, m.passage_words) for m in idx.add("b", text_b)]
    assert len(scanned) <= 1 and len(indexed) <= 1
    return (scanned or [None])[0], (indexed or [None])[0]


def test_a_shared_paragraph_is_partial_with_its_length_in_words():
    shared = prose(7, 60)
    scanned, indexed = as_seen(story(1, shared), story(2, shared))
    assert scanned == indexed == ("partial", 60)


def test_a_shared_paragraph_with_a_word_changed_inside_is_one_passage():
    shared = prose(7, 60).split()
    edited = shared[:30] + ["changed"] + shared[31:]
    scanned, indexed = as_seen(story(1, " ".join(shared)), story(2, " ".join(edited)))
    assert scanned == indexed == ("partial", 60)
    twice = edited[:20] + ["altered"] + edited[21:]  # and two words ten apart
    assert as_seen(story(1, " ".join(shared)), story(2, " ".join(twice))) == (("partial", 60),) * 2


def test_one_shared_sentence_is_not_reuse():
    sentence = prose(7, 30)
    scanned, indexed = as_seen(story(1, sentence), story(2, sentence))
    assert scanned is indexed is None
    assert relate(story(1, sentence), story(2, sentence)) is None


def test_a_shared_quotation_is_not_reuse():
    quote = prose(7, 60)
    a, b = story(1, f'The minister told reporters: "{quote}"'), story(2, f'"{quote}" she said on Tuesday.')
    assert as_seen(a, b) == (None, None)
    # nor with one shared sentence besides (a wire's background line): enough to be measured, and
    # the longest passage outside the quotation is the sentence
    sentence = prose(9, 30)
    assert as_seen(f"{a}\n\n{sentence}", f"{sentence}\n\n{b}") == (None, None)
    assert relate(f"{a}\n\n{sentence}", f"{sentence}\n\n{b}") is None


def test_a_shared_table_of_short_lines_is_not_reuse():
    # Each line of a table is a paragraph of its own, under PROSE_WORDS words: not prose.
    rng = random.Random(3)
    table = "\n".join(f"{rng.choice(PROSE)} {rng.randint(0, 5)} {rng.choice(PROSE)} {rng.randint(0, 5)}"
                      for _ in range(20))
    a, b = story(1, table), story(2, table)
    assert relate(a, b, settings=Settings(copy_containment=0.99)) is None
    scanned, indexed = as_seen(a, b)
    assert scanned is indexed is None
    # The same 80 words as running text are a shared passage.
    assert as_seen(story(1, table.replace("\n", " ")), story(2, table.replace("\n", " "))) == (("partial", 80),) * 2


def test_a_passage_one_article_writes_and_the_other_quotes_is_reused():
    # A newsletter quoting a paragraph of a report: its words are the report's own, not a statement
    # both quote.
    # (A scan and an index find the pair only when other evidence makes it a candidate: anchors are
    # sampled from each article's unquoted text.)
    paragraph = prose(7, 60)
    a, b = story(1, paragraph), story(2, f'Our colleagues report: "{paragraph}"')
    assert relate(a, b).relation == relate(b, a).relation == "partial"
    assert relate(a, b).passage_words == 60
    # quoted in both: a statement both report, not reuse
    assert relate(story(1, f'She said: "{paragraph}"'), b) is None


def test_a_paragraph_a_page_shows_twice_is_furniture_not_body():
    # A gallery caption and its "... more" teaser, summing up another story: not a passage of it.
    caption = prose(7, 50)
    teaser = " ".join(caption.split()[:30]) + " ... more"
    gallery = f"Image 1 of 3\n\n{caption} less\n\n{teaser}"
    assert as_seen(story(1, gallery), story(2, caption)) == (None, None)
    assert relate(story(1, gallery), story(2, caption)) is None
    # A page holding its article twice keeps it: the paragraphs repeat in a run.
    twice = story(1, "") + "\n\n" + story(1, "")
    assert relate(twice, story(1, "")).relation == "copy"
    assert as_seen(twice + "\n\n" + caption, story(2, caption)) == (("partial", 50),) * 2


def test_a_league_table_of_equal_width_rows_is_not_a_wrapped_paragraph():
    # Rows of similar width, none ending a sentence, look hard-wrapped; their figures say they are rows.
    rng = random.Random(4)
    table = "\n".join(f"{i}. {rng.choice(PROSE).title()} P24 W{rng.randint(5, 19)} D{rng.randint(1, 8)} "
                       f"L{rng.randint(1, 12)} Pts{rng.randint(20, 60)}" for i in range(1, 11))
    assert len(paragraphs(table)) == 10
    assert as_seen(story(1, table), story(2, table)) == (None, None)
    # while prose hard-wrapped at the same width stays one paragraph
    news = ("The council said on Tuesday that the new bridge would open in the spring, two years later than "
            "planned, after engineers found that the river bed was softer than the survey had shown and the "
            "contractor asked for more time and money to finish the work.")
    wrapped = "\n".join(textwrap.wrap(news, 36))
    assert len(paragraphs(wrapped)) == 1


def test_two_sentences_next_to_each_other_in_one_article_only_are_not_one_passage():
    first, second = prose(7, 30), prose(8, 30)
    a = story(1, f"{first} {second}")
    b = story(2, first).replace(prose(203, 52), f"{prose(203, 52)} {second}")  # apart in b
    scanned, indexed = as_seen(a, b)
    assert scanned is indexed is None
    assert relate(a, b) is None


def test_a_long_sentence_many_articles_hold_is_a_passage_only_with_those_holding_it_as_a_paragraph():
    line = prose(5, 45).capitalize()  # one sentence, long enough to be measured as a passage
    pages = {f"alone{i}": story(10 + i, f"{prose(60 + i, 12).capitalize()}\n\n{line}") for i in range(2)}
    pages |= {f"in{i}": story(20 + i, f"{prose(70 + i, 12).capitalize()} {line} {prose(80 + i, 12).capitalize()}")
              for i in range(4)}
    want = {(x, y): "partial" if "alone" in x + y else "none" for x in pages for y in pages if x < y}
    # One pair a batch: each batch's slots hold other articles, and the sentence sits at the same
    # words of every page, so a verdict on one article's run taken for another's would show.
    for tuning in (Tuning(), Tuning(read_shingles=1)):
        pairs = syndup.scan([{"id": k, "text": v} for k, v in pages.items()], jobs=1, tuning=tuning).pairs
        got = {(r.doc_a, r.doc_b): r.relation for r in pairs.itertuples()}
        assert {xy: got.get(xy, "none") for xy in want} == want


def test_a_line_of_quotation_marks_alone_hides_no_sentence():
    # a pull quote's mark a scraper kept as a line of its own holds no words: the sentences around a
    # shared run are still told apart, so one long sentence inside paragraphs of both is no passage
    line = prose(5, 45).capitalize()
    a = story(1, f"{prose(61, 12).capitalize()} {line} {prose(62, 12).capitalize()}")
    b = story(2, f"\u201c\n\n{prose(71, 12).capitalize()} {line} {prose(72, 12).capitalize()}")
    assert as_seen(a, b) == (None, None)
    assert relate(a, b) is None


def test_a_quotation_inside_a_shared_paragraph_neither_counts_nor_cuts_it():
    before, quote, after = prose(7, 30)[:-1], prose(8, 15)[:-1], prose(9, 30)
    shared = f'{before}, saying "{quote}" and {after}'
    scanned, indexed = as_seen(story(1, shared), story(2, shared))
    assert scanned == indexed == ("partial", 62)  # 30 + "saying" + "and" + 30: the 15 quoted words left out


# --- a copy measured in words where shingles across paragraph breaks fall short --------------------

def oracle_covered(a: list[Word], b: list[Word], k: int) -> float:
    """The share of a text's words (the larger of the two texts' shares) inside runs of k or more
    consecutive k-word shingles found in the other, by brute force."""
    def share(x: list[Word], y: list[Word]) -> float:
        xs, ys = [w for w, _, _ in x], [w for w, _, _ in y]
        if len(xs) < k:
            return 0.0
        theirs = {tuple(ys[i:i + k]) for i in range(len(ys) - k + 1)}
        hit = [tuple(xs[i:i + k]) in theirs for i in range(len(xs) - k + 1)] + [False]
        covered: set[int] = set()
        start = None
        for i, h in enumerate(hit):
            if h and start is None:
                start = i
            elif not h and start is not None:
                if i - start >= k:
                    covered.update(range(start, i - 1 + k))
                start = None
        return len(covered) / len(xs)

    return max(share(a, b), share(b, a))


@settings(max_examples=300, deadline=None)
@given(small_pairs(), st.sampled_from([1, 2, 3, 5]))
def test_covered_share_equals_the_words_in_runs_of_shared_shingles_counted_one_by_one(texts: tuple[str, str],
                                                                                       k: int) -> None:
    a, b = texts
    seqs = verify.Sequences.concat([verify.sequences_many(analyze(t).as_batch(), k) for t in (a, b)])
    got = verify.covered_share_many(seqs, np.array([0, 1]), np.array([1, 0]), k)
    want = oracle_covered(counted_words(a), counted_words(b), k)
    assert got.tolist() == pytest.approx([want, want])


def write_thru(seed: int) -> tuple[str, str]:
    """A story (eight paragraphs) and its next version: every other paragraph kept, each between
    new paragraphs, so that half the story's words are in the version but its shingles across the
    breaks are not."""
    story_paras = [prose(seed * 100 + i, 50 if i % 2 == 0 else 45) for i in range(8)]
    new = [prose(seed * 100 + 50 + i, 45) for i in range(5)]
    version = [new[0]] + [p for i, p in enumerate(story_paras) if i % 2 == 0 for p in (p, new[1 + i // 2])]
    return "\n\n".join(story_paras), "\n\n".join(version)


def test_a_version_holding_half_of_a_story_between_new_paragraphs_is_its_copy():
    story_text, version = write_thru(4)
    rel = relate(story_text, version)
    assert rel is not None and rel.relation == "copy"
    assert rel.containment_a_in_b < 0.5  # half the words, fewer of the shingles: the breaks'
    scanned, indexed = as_seen(story_text, version)
    assert scanned == indexed == ("copy", 0)
    docs = syndup.scan([{"id": "a", "text": story_text}, {"id": "b", "text": version}]).documents
    assert docs["cluster_id"].nunique() == 1


def test_two_reports_quoting_the_same_statements_at_length_are_not_copies():
    # Half of each report is the same three statements, quoted: what both quote is not reuse, so
    # the words found in the other do not make a copy of them.
    quotes = [prose(70 + i, 50) for i in range(3)]
    a = "\n\n".join(p for i in range(3) for p in (prose(80 + i, 42), f'"{quotes[i]}" the company said.'))
    b = "\n\n".join(p for i in range(3) for p in (f'It said: "{quotes[i]}"', prose(90 + i, 43)))
    shared = relate(a, b, settings=Settings(copy_containment=0.4))
    assert shared is not None and shared.containment_a_in_b < 0.5  # half the words, not quite half the shingles
    assert relate(a, b) is None
    assert as_seen(a, b) == (None, None)


def test_sentences_end_at_a_full_stop_before_a_capital_not_after_an_initial_or_a_title():
    from syndup.verify import sentence_words

    text = ("Mr. Smith met R. Kelly in Jan. 2018 in the U.S. capital. They talked! Then they left.\n\n"
            "A paragraph without an end\n\nShe said: \"It is over.\" The court agreed.")
    assert sentence_words(text) == ((13, 2, 3), (5,), (5, 3))
    assert sentence_words("He left. R. Kelly stayed. Then A. B. Jones came.") == ((2, 3, 5),)
    # scripts without case, full-width ends and the danda; a full stop before lower case ends nothing
    assert sentence_words("قال الوزير إن الحكومة ستعمل. وأضاف أن الخطة جاهزة؟ ثم غادر.") == ((5, 4, 2),)
    assert sentence_words("他走了。她留下了。\n\nवह गया। वह आई।") == ((3, 4), (2, 2))
    assert sentence_words("Prices rose approx. two percent, etc. and more. Then it ended.") == ((8, 3),)

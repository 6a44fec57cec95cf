"""`syndup.diff`: the seed copy's changes, edit kinds, invariance to typography, and offsets."""

from __future__ import annotations

import importlib
import json
import re
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import syndup
from syndup.cli import app
from syndup.diff import (
    ADDED,
    ATTRIBUTION,
    BOILERPLATE,
    COMMENTS,
    EDIT,
    KEPT,
    LINK_SUBSTITUTION,
    MOVED,
    REMOVED,
    SUBSTITUTED,
    TRUNCATION,
    Diff,
    to_rich,
)
from syndup.normalize import words
from syndup.shingle import analyze

from .conftest import SEEDS, seed_text

PARAS = [
    "The council approved the new budget on Tuesday after a long debate about school funding.",
    "Opposition members said the plan would cut services for older residents in rural districts.",
    "The mayor promised to publish a detailed breakdown of the spending before the end of the month.",
    "Local businesses welcomed the decision, saying lower taxes would help them hire more staff.",
    "A final vote on the transport levy was postponed until the next session in the spring.",
]


def body(paras: list[str]) -> str:
    return "\n\n".join(paras)


def changed(d: Diff) -> list[tuple[str, str | None, str]]:
    return [(s.op, s.kind, s.text) for s in d.segments if s.op != KEPT]


def check_offsets(d: Diff, origin: str, copy: str) -> None:
    """Every segment's text is where its offsets say; the segments hold every word of both texts once."""
    for s in d.segments:
        assert origin[s.old_start:s.old_end] == s.old
        assert copy[s.new_start:s.new_end] == s.new
        assert s.old_start <= s.old_end and s.new_start <= s.new_end
    olds = sorted((s for s in d.segments if s.old), key=lambda s: s.old_start)
    news = sorted((s for s in d.segments if s.new), key=lambda s: s.new_start)
    assert [w for s in olds for w in words(s.old)] == words(origin)
    assert [w for s in news for w in words(s.new)] == words(copy)
    for a, b in zip(olds, olds[1:]):
        assert a.old_end <= b.old_start
    for a, b in zip(news, news[1:]):
        assert a.new_end <= b.new_start
    sm = d.summary
    assert sm.words_kept + sm.words_moved + sm.words_removed + sm.words_substituted_old == sm.origin_words
    assert sm.words_kept + sm.words_moved + sm.words_added + sm.words_substituted == sm.copy_words
    assert 0.0 <= sm.origin_kept <= 1.0 and 0.0 <= sm.copy_new <= 1.0


# -- the seeds ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_diff() -> Diff:
    return syndup.diff(seed_text("000"), seed_text("001"))


def test_seed_click_here_lines_are_link_substitutions(seed_diff: Diff):
    links = [s for s in seed_diff.segments if "Click here" in s.new]
    assert len(links) == 4
    for s in links:
        assert s.op in (ADDED, SUBSTITUTED)
        assert s.kind == LINK_SUBSTITUTION
    warning = [s for s in seed_diff.segments if "WARNING: GRAPHIC VIDEO" in s.old]
    assert [(s.op, s.kind) for s in warning] == [(REMOVED, LINK_SUBSTITUTION)]


def test_seed_attribution_and_disclaimer_at_the_end(seed_diff: Diff):
    (attr,) = [s for s in seed_diff.segments if "Articles by: RT News" in s.new]
    assert (attr.op, attr.kind) == (ADDED, ATTRIBUTION)
    tail = seed_diff.segments[seed_diff.segments.index(attr) + 1:]
    assert [s.op for s in tail] == [ADDED] * 3
    assert [s.kind for s in tail] == [BOILERPLATE] * 3
    assert tail[0].new.startswith("Disclaimer:")
    assert "fair use" in tail[1].new
    assert tail[2].new.startswith("For media inquiries")


def test_seed_closing_section_removed_by_truncation(seed_diff: Diff):
    origin = seed_text("000")
    cut = origin.index("Russia urges US comment")
    tail = [s for s in seed_diff.segments if s.old_start >= cut and s.old]
    assert tail and all((s.op, s.kind) == (REMOVED, TRUNCATION) for s in tail)
    assert tail[0].old.startswith("Russia urges US comment")
    assert "what really happened in Al-Jinah" in tail[-1].old
    # Nothing before the cut is truncation.
    assert not [s for s in seed_diff.segments if s.kind == TRUNCATION and s.old_start < cut]


def test_seed_quote_style_is_no_change(seed_diff: Diff):
    for marker in ("We did not target a mosque", "US official says that they", "It happened to be across",
                   "To be clear: this was a unilateral"):
        (seg,) = [s for s in seed_diff.segments if marker in s.new]
        assert seg.op == KEPT, marker
        assert seg.old != seg.new  # the texts differ in quotes and dashes, the words do not
    assert seed_diff.summary.words_substituted == 0


def test_seed_summary(seed_diff: Diff):
    sm = seed_diff.summary
    assert sm.origin_words == len(words(seed_text("000")))
    assert sm.copy_words == len(words(seed_text("001")))
    assert 0.55 < sm.origin_kept < 0.65
    assert 0.3 < sm.copy_new < 0.4
    kinds = sm.kind_counts()
    assert kinds[LINK_SUBSTITUTION] == 5 and kinds[ATTRIBUTION] == 1 and kinds[BOILERPLATE] == 3
    assert kinds[TRUNCATION] == 9
    check_offsets(seed_diff, seed_text("000"), seed_text("001"))


def test_seed_unrelated_articles_share_almost_nothing():
    d = syndup.diff(seed_text("000"), seed_text("002"))
    assert d.summary.origin_kept < 0.1
    check_offsets(d, seed_text("000"), seed_text("002"))


# -- what is never a change --------------------------------------------------------------------


def test_identical_text_is_all_kept():
    d = syndup.diff(body(PARAS), body(PARAS))
    assert {s.op for s in d.segments} == {KEPT}
    assert not d.summary.changed
    assert d.summary.origin_kept == 1.0 and d.summary.copy_new == 0.0


def test_quotes_dashes_case_spacing_and_hard_wraps_are_not_changes():
    origin = body(['He said "we will not stop" -- and left.', *PARAS])
    wrapped = "\n\n".join(textwrap.fill(p, 48) for p in PARAS)
    copy = "  HE   said \u201cwe will not stop\u201d \u2014 and left.\n\n" + wrapped.replace(" the ", "  the\u00a0")
    d = syndup.diff(origin, copy)
    assert not d.summary.changed, changed(d)
    check_offsets(d, origin, copy)


def test_split_and_merged_paragraphs_are_not_changes():
    origin = body(PARAS)
    first, second = PARAS[1].split(" would ")
    split = body([PARAS[0], first + " would", "cut " + second.removeprefix("cut "), *PARAS[2:]])
    d = syndup.diff(origin, split)
    assert not d.summary.changed, changed(d)
    merged = body([PARAS[0] + " " + PARAS[1], *PARAS[2:]])
    d = syndup.diff(origin, merged)
    assert not d.summary.changed, changed(d)
    check_offsets(d, origin, merged)


# -- each kind of change -----------------------------------------------------------------------


def test_word_substitution_inside_a_paragraph_is_an_edit():
    copy = body([PARAS[0].replace("on Tuesday", "on Wednesday evening"), *PARAS[1:]])
    d = syndup.diff(body(PARAS), copy)
    assert changed(d) == [(SUBSTITUTED, EDIT, "Wednesday evening ")]
    (seg,) = d.changes
    assert seg.old == "Tuesday "
    assert d.summary.words_substituted_old == 1 and d.summary.words_substituted == 2


def test_rewritten_sentence_reads_as_one_substitution():
    copy = body([PARAS[0].replace("after a long debate about school funding",
                                  "following weeks of angry argument over the roads"), *PARAS[1:]])
    d = syndup.diff(body(PARAS), copy)
    assert [s.op for s in d.changes] == [SUBSTITUTED]


def test_reordered_paragraphs_are_moves():
    copy = body([PARAS[0], PARAS[3], PARAS[1], PARAS[2], PARAS[4]])
    d = syndup.diff(body(PARAS), copy)
    moved = [s for s in d.segments if s.op == MOVED]
    assert len(moved) == 1
    assert not [s for s in d.segments if s.op in (ADDED, REMOVED, SUBSTITUTED)]
    assert d.summary.origin_kept == 1.0
    check_offsets(d, body(PARAS), copy)


def test_truncation_only_at_the_end():
    d = syndup.diff(body(PARAS), body(PARAS[:3]))
    assert changed(d) == [(REMOVED, TRUNCATION, PARAS[3]), (REMOVED, TRUNCATION, PARAS[4])]
    d = syndup.diff(body(PARAS), body(PARAS[2:]))
    assert [(s.op, s.kind) for s in d.changes] == [(REMOVED, None), (REMOVED, None)]


def test_dropped_middle_paragraph_is_a_plain_removal():
    d = syndup.diff(body(PARAS), body(PARAS[:2] + PARAS[3:]))
    assert changed(d) == [(REMOVED, None, PARAS[2])]


def test_replaced_middle_paragraph_is_a_substitution():
    new = "Residents queued for hours outside the town hall to watch the proceedings on a big screen."
    d = syndup.diff(body(PARAS), body(PARAS[:2] + [new] + PARAS[3:]))
    assert [(s.op, s.kind, s.old, s.new) for s in d.changes] == [(SUBSTITUTED, None, PARAS[2], new)]


def test_reader_comments_section():
    comments = ["Comments", "Great article, thanks for sharing this.",
                "I disagree with the mayor on almost everything, but this budget is fine."]
    d = syndup.diff(body(PARAS), body(PARAS + comments))
    assert changed(d) == [(ADDED, COMMENTS, c) for c in comments]


def test_attribution_and_share_prompts():
    copy = body(["Share this article", *PARAS, "Source: Reuters", "Subscribe to our newsletter for daily news."])
    d = syndup.diff(body(PARAS), copy)
    assert changed(d) == [(ADDED, BOILERPLATE, "Share this article"), (ADDED, ATTRIBUTION, "Source: Reuters"),
                          (ADDED, BOILERPLATE, "Subscribe to our newsletter for daily news.")]


def test_corpus_boilerplate_is_labelled_from_the_given_hashes():
    footer = "The Daily Planet is owned by the Planet Group and printed in Metropolis."
    copy = body(PARAS + [footer])
    assert syndup.diff(body(PARAS), copy).changes[0].kind is None
    hashes = frozenset({int(analyze(footer).para_hashes[0])})
    d = syndup.diff(body(PARAS), copy, boilerplate=hashes)
    assert changed(d) == [(ADDED, BOILERPLATE, footer)]


def test_link_line_in_place_of_a_placeholder_is_a_substitution():
    origin = body(PARAS[:2] + ["WATCH: the council debate in full"] + PARAS[2:])
    copy = body(PARAS[:2] + ["Click here to watch the council debate."] + PARAS[2:])
    d = syndup.diff(origin, copy)
    # The two lines share words, so they align word by word; every change is still labelled.
    assert {s.kind for s in d.changes} == {LINK_SUBSTITUTION}
    assert (ADDED, LINK_SUBSTITUTION, "Click here to ") in changed(d)
    origin = body(PARAS[:2] + ["WARNING: GRAPHIC VIDEO"] + PARAS[2:])
    d = syndup.diff(origin, copy)
    assert [(s.op, s.kind, s.old) for s in d.changes] == [(SUBSTITUTED, LINK_SUBSTITUTION, "WARNING: GRAPHIC VIDEO")]


def test_sentence_moved_inside_a_paragraph():
    a = "One two three four five six. Seven eight nine ten eleven twelve. Alpha beta gamma delta epsilon zeta."
    b = "Seven eight nine ten eleven twelve. Alpha beta gamma delta epsilon zeta. One two three four five six."
    d = syndup.diff(a, b)
    assert [s.op for s in d.changes] == [MOVED]
    check_offsets(d, a, b)


def test_empty_texts():
    assert syndup.diff("", "").segments == ()
    d = syndup.diff("", body(PARAS))
    assert {s.op for s in d.segments} == {ADDED} and d.summary.copy_new == 1.0
    d = syndup.diff(body(PARAS), "   \n")
    assert {s.op for s in d.segments} == {REMOVED} and d.summary.origin_kept == 0.0


def test_non_text_is_a_type_error_naming_the_type():
    with pytest.raises(TypeError, match="got bytes"):
        syndup.diff(b"abc", "abc")  # type: ignore[arg-type]


def test_json_and_blocks():
    d = syndup.diff(seed_text("000"), seed_text("001"))
    data = json.loads(json.dumps(d.to_dict()))
    assert data["summary"]["kinds"]["attribution"] == 1
    assert len(data["segments"]) == len(d.segments)
    rows = d.blocks()
    assert sum(len(r) for r in rows) == len(d.segments)
    assert all(len({s.block for s in r}) == 1 for r in rows)


# -- properties --------------------------------------------------------------------------------

WORDS = st.sampled_from("the a mayor council budget said vote tax road school city new old plan".split())
SENTENCE = st.lists(WORDS, min_size=1, max_size=12).map(lambda w: " ".join(w).capitalize() + ".")
DOC = st.lists(SENTENCE, min_size=0, max_size=8)


@st.composite
def edited(draw: st.DrawFn) -> tuple[str, str]:
    origin = draw(DOC)
    copy = list(origin)
    for _ in range(draw(st.integers(0, 4))):
        action = draw(st.sampled_from(["drop", "add", "swap", "edit", "quote"]))
        if action == "drop" and copy:
            copy.pop(draw(st.integers(0, len(copy) - 1)))
        elif action == "add":
            copy.insert(draw(st.integers(0, len(copy))), draw(SENTENCE))
        elif action == "swap" and len(copy) > 1:
            i = draw(st.integers(0, len(copy) - 2))
            copy[i], copy[i + 1] = copy[i + 1], copy[i]
        elif action == "edit" and copy:
            i = draw(st.integers(0, len(copy) - 1))
            copy[i] = copy[i].replace(" ", f" {draw(WORDS)} ", 1)
        elif action == "quote" and copy:
            i = draw(st.integers(0, len(copy) - 1))
            copy[i] = "\u201c" + copy[i] + "\u201d \u2014"
    sep = draw(st.sampled_from(["\n\n", "\n", "\n\n\n"]))
    return "\n\n".join(origin), sep.join(copy)


@settings(max_examples=150, deadline=None)
@given(edited())
def test_segments_cover_both_texts_exactly_once(pair: tuple[str, str]):
    origin, copy = pair
    check_offsets(syndup.diff(origin, copy), origin, copy)


@settings(max_examples=60, deadline=None)
@given(DOC)
def test_a_text_against_itself_is_unchanged(paras: list[str]):
    text = "\n\n".join(paras)
    assert not syndup.diff(text, text).summary.changed


# -- terminal and CLI --------------------------------------------------------------------------


def test_terminal_rendering_marks_changes_without_colour():
    from rich.console import Console

    console = Console(width=100, no_color=True, record=True)
    console.print(to_rich(syndup.diff(seed_text("000"), seed_text("001"))))
    out = console.export_text()
    assert "{+Click here to watch the video" in out
    assert "[-Russia urges US comment" in out
    assert "[attribution added]" in out
    assert "60% of the origin kept" in out


def test_cli_diff_files_text_and_json():
    (a,) = SEEDS.glob("000_*.txt")
    (b,) = SEEDS.glob("001_*.txt")
    runner = CliRunner()
    res = runner.invoke(app, ["diff", str(a), str(b)])
    assert res.exit_code == 0, res.output
    assert "Click here to watch" in res.output and "of the origin kept" in res.output
    res = runner.invoke(app, ["diff", str(a), str(b), "--format", "json"])
    assert res.exit_code == 0
    data = json.loads(res.output)
    assert {s["op"] for s in data["segments"]} >= {KEPT, ADDED, REMOVED}


def test_cli_diff_ids_in_a_corpus():
    runner = CliRunner()
    res = runner.invoke(app, ["diff", "--corpus", str(SEEDS), "000_28930205ab5c0454", "001_4b43cad0f107b24d",
                              "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["summary"]["kinds"]["truncation"] == 9
    res = runner.invoke(app, ["diff", "--corpus", str(SEEDS), "nope", "001_4b43cad0f107b24d"])
    assert res.exit_code == 2 and "no article with id 'nope'" in res.output


def test_cli_diff_missing_file_is_exit_2(tmp_path):
    res = CliRunner().invoke(app, ["diff", str(tmp_path / "a.txt"), str(tmp_path / "b.txt")])
    assert res.exit_code == 2
    assert "no such file" in res.output


_diff = importlib.import_module("syndup.diff")


def _boilerplate_texts() -> st.SearchStrategy[str]:
    """Paragraphs around each boilerplate phrase and start (as the regex spells them, any case),
    in ASCII or not (dotless i, long s, Kelvin sign: what case-insensitive matching also takes)."""
    phrase = st.sampled_from(_diff._BOILERPLATE_ANYWHERE + _diff._BOILERPLATE_STARTS).flatmap(
        lambda p: st.from_regex(re.compile(p, re.IGNORECASE), fullmatch=True))
    odd = {"i": "\u0131", "s": "\u017f", "k": "\u212a"}
    phrase = st.tuples(phrase, st.sampled_from([None, *odd])).map(  # one letter spelled as the regex also takes
        lambda t: t[0] if t[1] is None else t[0].replace(t[1], odd[t[1]], 1))
    noise = st.text(st.sampled_from(list("ab Zs.,-|:\u00a9") + ["\u0131", "\u017f", "\u212a", "\u00e9"]), max_size=20)
    return st.tuples(noise, phrase | noise, noise).map(lambda t: "".join(t))


@settings(max_examples=500, deadline=None)
@given(_boilerplate_texts())
def test_boilerplate_lines_are_what_the_whole_regex_finds(text):
    """The ASCII shortcut (`_ANYWHERE_WORDS` absent: only the start can match) never changes a label."""
    assert _diff._boilerplate_line(text) == (_diff._BOILERPLATE_RE.search(text) is not None)
    upper = text.upper()
    assert _diff._boilerplate_line(upper) == (_diff._BOILERPLATE_RE.search(upper) is not None)

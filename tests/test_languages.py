"""Copies in ten languages (tests/languages.py): found, with the right origin, told apart from
another article on the same event, their credit lines labelled, and the script rules of a word."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import syndup
from syndup import kernel, language, normalize
from syndup.cluster import attributions
from syndup.diff import ATTRIBUTION, BOILERPLATE, diff
from syndup.normalize import fold

from .languages import LANGUAGES, STORIES, Story, story


def records(s: Story) -> list[dict[str, str]]:
    return [
        {"id": f"{s.lang}-origin", "text": s.origin, "site": s.origin_site, "url": f"https://{s.origin_site}/news/1"},
        {"id": f"{s.lang}-copy", "text": s.copy(), "site": s.copy_site, "url": f"https://{s.copy_site}/a/77"},
        {"id": f"{s.lang}-other", "text": s.other, "site": s.other_site, "url": f"https://{s.other_site}/2"},
    ]


@pytest.fixture(scope="module")
def scanned() -> syndup.ScanResult:
    """All ten languages in one corpus: copies must be found within each, and nothing across."""
    return syndup.scan([r for s in STORIES for r in records(s)])


def test_the_stories_cover_eight_languages_and_four_scripts():
    assert len(LANGUAGES) >= 8
    assert {"en", "ru", "ar", "zh"} <= set(LANGUAGES)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_credited_copy_is_a_copy_of_its_origin(scanned, lang):
    pairs = scanned.pairs
    row = pairs[(pairs["doc_a"].str.startswith(lang + "-")) | (pairs["doc_b"].str.startswith(lang + "-"))]
    assert sorted(zip(row["doc_a"], row["doc_b"], row["relation"])) == [(f"{lang}-copy", f"{lang}-origin", "copy")]
    docs = scanned.documents.set_index("doc_id")
    assert docs.loc[f"{lang}-origin", "role"] == "origin"
    assert docs.loc[f"{lang}-copy", "role"] == "copy"
    assert docs.loc[f"{lang}-other", "role"] == "unique"
    cluster = scanned.clusters.set_index("cluster_id").loc[docs.loc[f"{lang}-copy", "cluster_id"]]
    assert cluster["origin_id"] == f"{lang}-origin"
    assert cluster["origin_rule"] == "attribution"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_diff_labels_the_credit_line_and_the_disclaimer(lang):
    s = story(lang)
    d = diff(s.origin, s.copy())
    added = {seg.new.strip(): seg.kind for seg in d.segments if seg.op == "added"}
    assert added == {s.credit: ATTRIBUTION, s.disclaimer: BOILERPLATE}
    assert not [seg for seg in d.segments if seg.op in ("removed", "substituted")]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_credit_names_the_source(lang):
    s = story(lang)
    if lang == "en":
        assert attributions(s.copy()) == ["Harbour Times"]
    else:  # "Label: Name" ("Source : AFP", "来源：新华社": NFKC makes the full-width colon ASCII)
        assert attributions(s.copy()) == [fold(s.credit).split(":", 1)[1].strip()]


@pytest.mark.skipif(not language.available(), reason="needs the lang extra (pycld2)")
def test_the_language_column_names_each_articles_language(scanned):
    docs = scanned.documents.set_index("doc_id")
    for lang in LANGUAGES:
        for role in ("origin", "copy", "other"):
            assert docs.loc[f"{lang}-{role}", "language"] == lang, (lang, role)


def test_diacritics_tatweel_and_letter_variants_do_not_hide_an_arabic_copy():
    s = story("ar")
    assert vocalised(s.origin) != s.origin
    assert normalize.words(vocalised(s.origin)) == normalize.words(s.origin)
    assert normalize.words("ذَهَبَ") == ["ذهب"]


def test_case_accents_and_letter_variants_fold_per_script():
    assert normalize.words("ЁЛКИН и Ёлкин, елкин") == ["елкин", "и", "елкин", "елкин"]
    assert normalize.words("ΑΘΗΝΑ Αθήνα αθηνα") == ["αθηνα"] * 3
    assert normalize.words("שָׁלוֹם שלום") == ["שלום"] * 2
    # every Turkish casing of a word compares equal: I/ı and İ/i
    assert normalize.words("DİYARBAKIR Diyarbakır diyarbakir") == ["diyarbakir"] * 3
    assert normalize.words("ISPARTA ıspartа"[:7]) == ["isparta"]
    assert normalize.words("Москва\u200b сегодня\u00ad, до\u0301ма") == ["москва", "сегодня", "дома"]


def test_scripts_without_spaces_are_cut_into_characters_and_latin_inside_them_into_words():
    assert normalize.words("苹果公司CEO库克2024年访华") == ["苹", "果", "公", "司", "ceo", "库", "克", "2024", "年",
                                                   "访", "华"]
    assert normalize.words("東京タワーへ行く") == ["東", "京", "タ", "ワ", "ー", "へ", "行", "く"]
    assert len(normalize.words("ภาษาไทย")) == 7


def test_a_turkish_headline_in_capitals_is_still_the_same_words():
    s = story("tr")
    first, rest = s.origin.split("\n\n", 1)
    shouted = first.upper() + "\n\n" + rest  # str.upper: i -> I, so İzmir stays, but "ı" -> "I"
    assert normalize.words(shouted) == normalize.words(s.origin)


# --- the C kernel and the Python fallback: the same tokens for any text --------------------------

_SCRIPTS = st.sampled_from([
    (0x41, 0x7A), (0xC0, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF), (0x591, 0x5F4), (0x600, 0x6FF),
    (0x900, 0x97F), (0xE00, 0xEFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x1F00, 0x1FFF), (0x200B, 0x200F),
    (0x202A, 0x202E), (0x2066, 0x2069), (0x3000, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xFB1D, 0xFDFF),
    (0xFE70, 0xFEFF), (0xFF00, 0xFFEF), (0x20000, 0x2A6DF), (0x1F300, 0x1F6FF), (0xE0000, 0xE007F),
])
_UNICODE = st.lists(
    _SCRIPTS.flatmap(lambda r: st.text(st.characters(min_codepoint=r[0], max_codepoint=r[1]), min_size=1, max_size=12))
    | st.sampled_from([" ", "\n", "\n\n", '"', "\u200d", "\u200c", "\u0640", "\u064e", "\u05b8", "\u0301", ". "]),
    max_size=40,
).map("".join)


@pytest.mark.skipif(kernel.KERNEL is None, reason="the C kernel is not built")
@settings(max_examples=400, deadline=None)
@given(_UNICODE)
def test_tokens_in_c_and_in_python_agree_on_any_script(text):
    got = normalize.token_bytes(text)
    want = normalize._token_bytes_python(text)
    assert got.split() == want.split()
    assert b"\x01" not in got
    got.decode("utf-8")  # every token is whole UTF-8


@pytest.mark.parametrize("lang", ["de", "sr", "ru"])
def test_a_copy_that_straightens_a_languages_own_quotes_is_not_the_origin(lang):
    # „…“ and «…» are German, Serbian and Russian typography: a copy with straight quotes restyled
    # the origin, and the origin's quotes are no sign of a copy.
    s = story(lang)
    straight = s.origin
    for mark in "„“”«»":
        straight = straight.replace(mark, '"')
    result = syndup.scan([{"id": "origin", "text": s.origin, "site": s.origin_site},
                          {"id": "straight", "text": straight, "site": "mirror.example"},
                          {"id": "credited", "text": s.copy(), "site": s.copy_site}])
    assert result.clusters.loc[result.clusters["size"] == 3, "origin_id"].tolist() == ["origin"]


@pytest.mark.parametrize("lang", ["zh", "ja"])
def test_a_copy_rewriting_a_clause_in_every_paragraph_is_still_a_copy(lang):
    # Chinese and Japanese put no spaces between words: a copy that rewrites a few characters of
    # every paragraph keeps most character n-grams (it would keep no "word" cut at punctuation).
    s = story(lang)
    result = syndup.scan([{"id": "origin", "text": s.origin, "site": s.origin_site},
                          {"id": "copy", "text": rewritten_clauses(s), "site": s.copy_site}])
    assert result.pairs[["doc_a", "doc_b", "relation"]].values.tolist() == [["copy", "origin", "copy"]]
    assert result.clusters.loc[result.clusters["size"] == 2, "origin_id"].tolist() == ["origin"]


def vocalised(text: str) -> str:
    """Arabic as a republisher may write it: harakat on some words, tatweel, bare alef, ha for ta marbuta."""
    return (text.replace("أعلنت", "أَعْلَنَتْ").replace("الصحة", "الصِّحَّة").replace("مصر", "مِصْر")
            .replace("الوطنية", "الوطـــنية").replace("إن", "ان").replace("الدولة", "الدوله"))


def rewritten_clauses(s: Story) -> str:
    """A Chinese or Japanese copy rewriting the last clause of every paragraph, credited."""
    edited = []
    for p in s.origin.split("\n\n"):
        cut = max(p.rfind("，"), p.rfind("、"))
        edited.append(p[:cut + 1] + "据悉有关情况仍在进一步核实中。" if cut > 0 else p)
    return "\n\n".join(edited) + "\n\n" + s.credit


@pytest.mark.parametrize(("lang", "variant"), [
    ("zh", rewritten_clauses), ("ja", rewritten_clauses),
    # fully vocalised: a fatha after every letter (each would otherwise cut its word in pieces)
    ("ar", lambda s: "".join(c + "\u064e" if "\u0621" <= c <= "\u064a" else c for c in s.copy())),
])
def test_the_index_finds_a_copy_by_the_same_words(tmp_path, lang, variant):
    s = story(lang)
    with syndup.Index.open(str(tmp_path / "index.syndup")) as idx:
        idx.add(f"{lang}-origin", s.origin)
        idx.add(f"{lang}-other", s.other)
        matches = idx.check(variant(s))
    assert [(m.doc_id, m.relation) for m in matches] == [(f"{lang}-origin", "copy")]


def test_the_diff_of_chinese_shows_the_characters_that_changed_where_they_stand():
    origin = "中国政府今天宣布新的经济政策，支持中小企业发展。"
    copy = "中国政府昨天宣布新的经济政策，支持中小企业发展。"
    changed = [seg for seg in diff(origin, copy).segments if seg.op != "kept"]
    assert [(seg.op, seg.old, seg.new) for seg in changed] == [("substituted", "今", "昨")]
    assert (changed[0].old_start, changed[0].old_end) == (4, 5)
    assert copy[changed[0].new_start:changed[0].new_end] == "昨"


@pytest.mark.skipif(not language.available(), reason="needs the lang extra (pycld2)")
def test_the_scan_summary_lists_the_languages(tmp_path):
    import json

    from typer.testing import CliRunner

    from syndup.cli import app

    corpus = tmp_path / "corpus.jsonl"
    with corpus.open("w", encoding="utf-8") as fh:
        for s in STORIES:
            for r in records(s):
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    res = CliRunner().invoke(app, ["scan", str(corpus), "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    line = next(x for x in res.output.splitlines() if x.startswith("Languages:"))
    shown = [part.split(" (")[0] for part in line.removeprefix("Languages: ").split(", ") if "(3)" in part]
    assert len(shown) == 8 and set(shown) <= set(LANGUAGES), line  # three articles each, the first eight
    assert line.endswith("2 more."), line


def test_only_english_text_skips_the_identifier():
    from syndup.shingle import analyze_many

    texts = [s.origin for s in STORIES] + [s.other for s in STORIES]
    plain = language.english(analyze_many(texts)).tolist()
    assert plain == [s.lang == "en" for s in STORIES] * 2
    if language.available():
        assert [language.identify(t) for t in texts] == [s.lang for s in STORIES] * 2

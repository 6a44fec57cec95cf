"""The HTML report, checked on its parsed structure: seed cluster page, index, safety, file names."""

from __future__ import annotations

import base64
import hashlib
import random
import re
import socket
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import syndup
import syndup.output
from syndup.cli import app
from syndup.errors import OutputError
from syndup.report import page_name, safe_url, write_report

from .conftest import SEEDS

report_module = sys.modules["syndup.report"]

ORIGIN_ID = "000_28930205ab5c0454"
COPY_ID = "001_4b43cad0f107b24d"


def parse(path: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(path.read_text(encoding="utf-8"))


def has_class(cls: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {cls} ')"


def text(el: lxml.html.HtmlElement) -> str:
    return " ".join(el.text_content().split())


@pytest.fixture(scope="module")
def seed_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("seed") / "report"
    index = write_report(syndup.scan(SEEDS), out)
    assert index == out / "index.html"
    return out


@pytest.fixture(scope="module")
def seed_page(seed_report: Path) -> lxml.html.HtmlElement:
    return parse(seed_report / page_name(ORIGIN_ID))


def copy_rows(page: lxml.html.HtmlElement, needle: str) -> list[lxml.html.HtmlElement]:
    return [r for r in page.xpath(f"//section[@id='copy-1']//div[{has_class('row')}]") if needle in text(r)]


# -- the seed cluster page ---------------------------------------------------------------------


def test_seed_page_click_here_lines_are_link_substitutions(seed_page):
    for needle in ("Click here to watch the video", "Click here to see Oakford", "Click here to see the news release",
                   "Click here to see Khader"):
        (row,) = copy_rows(seed_page, needle)
        classes = row.get("class").split()
        assert "k-link_substitution" in classes and "op-added" in classes
        (ins,) = row.xpath(f".//div[{has_class('new')}]//ins")
        assert text(ins).startswith(needle)
        assert "link substitution" in text(row.xpath(f"./div[{has_class('label')}]")[0])
    (warning,) = copy_rows(seed_page, "WARNING: GRAPHIC VIDEO")
    assert "k-link_substitution" in warning.get("class").split()
    assert text(warning.xpath(f".//div[{has_class('old')}]//del")[0]) == "WARNING: GRAPHIC VIDEO"


def test_seed_page_attribution_and_boilerplate_fold_at_the_end(seed_page):
    folds = seed_page.xpath("//section[@id='copy-1']//details[contains(@class, 'fold')]")
    assert [f.get("class") for f in folds] == ["fold k-attribution", "fold k-boilerplate"]
    attribution, boilerplate = folds
    assert "attribution added" in text(attribution.find("summary"))
    assert [text(i) for i in attribution.xpath(f".//div[{has_class('new')}]//ins")] == ["Articles by: RT News"]
    summary = text(boilerplate.find("summary"))
    assert summary.startswith("boilerplate added: 3 paragraphs")
    ins = [text(i) for i in boilerplate.xpath(f".//div[{has_class('new')}]//ins")]
    assert ins[0].startswith("Disclaimer: The contents of this article")
    assert "fair use" in ins[1] and ins[2].startswith("For media inquiries")
    # They are the last things on the page, after the truncated origin text.
    items = seed_page.xpath(f"//section[@id='copy-1']/div[{has_class('diff')}]/*")
    assert items[-2:] == folds
    assert not boilerplate.get("open")


def test_seed_page_closing_section_is_truncation(seed_page):
    rows = seed_page.xpath(f"//section[@id='copy-1']//div[{has_class('k-truncation')}]")
    assert len(rows) == 9
    assert text(rows[0].xpath(".//del")[0]) == "Russia urges US comment on reports of fatal Syria mosque strike"
    for row in rows:
        assert "op-removed" in row.get("class").split()
        assert not row.xpath(".//ins")
        assert "truncation removed" in text(row)


def test_seed_page_quote_style_is_no_change(seed_page):
    for needle in ("We did not target a mosque", "US official says that they", "To be clear: this was"):
        (row,) = copy_rows(seed_page, needle)
        assert "r-kept" in row.get("class").split()
        assert not row.xpath(".//ins | .//del")
        old, new = (row.xpath(f"./div[{has_class(c)}]")[0] for c in ("old", "new"))
        assert text(old) != text(new)  # straight vs curly quotes, each side shown as written


def test_seed_page_summary_side_by_side_and_inline(seed_page):
    (summary,) = seed_page.xpath(f"//section[@id='copy-1']/p[{has_class('summary')}]")
    assert "60% of the origin kept" in text(summary)
    assert text(summary.xpath(f".//b[{has_class('n-added')}]")[0]) == "272"
    tags = [text(t) for t in summary.xpath(f".//span[{has_class('tag')}]")]
    assert "attribution 1" in tags and "truncation 9" in tags and "link substitution 5" in tags
    for row in seed_page.xpath(f"//div[{has_class('row')}]"):
        cells = [c.get("class") for c in row.xpath("./div[starts-with(@class, 'cell')]")]
        assert cells == ["cell old", "cell new", "cell inline"]
    (row,) = copy_rows(seed_page, "Click here to watch the video")
    assert text(row.xpath(f"./div[{has_class('inline')}]//ins")[0]).startswith("Click here to watch")
    meta = seed_page.xpath("//section[@id='origin']//dd[@class='doc-id']")
    assert [text(m) for m in meta] == [ORIGIN_ID]


def test_seed_index(seed_report: Path):
    index = parse(seed_report / "index.html")
    rows = index.xpath("//table[@id='clusters']/tbody/tr")
    assert len(rows) == 1
    link = rows[0].xpath(".//a[@class='origin']")[0]
    assert text(link) == ORIGIN_ID and link.get("href") == page_name(ORIGIN_ID)
    assert (seed_report / link.get("href")).is_file()
    assert text(index.xpath("//*[@id='n-unique']")[0]) == "3"
    assert index.xpath("//input[@id='filter'][@type='search']")
    heads = [text(h) for h in index.xpath("//table[@id='clusters']/thead//th")]
    assert heads[:5] == ["cluster", "size", "origin", "sites", "dates"]
    assert {"boilerplate", "link substitution", "attribution", "truncation", "comments", "edit"} <= set(heads)
    assert "002_934539afa8cb6f5c" not in index.text_content()  # unique articles are counted, not listed
    assert sorted(p.name for p in seed_report.iterdir()) == sorted(["index.html", page_name(ORIGIN_ID)])


@pytest.mark.parametrize("name", ["index.html", page_name(ORIGIN_ID)])
def test_pages_are_self_contained(seed_report: Path, name: str):
    page = parse(seed_report / name)
    assert not page.xpath("//*[@src] | //link | //iframe | //object | //embed | //img | //base")
    (csp,) = page.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    assert "default-src 'none'" in csp and "img-src 'none'" in csp
    for tag in ("script", "style"):
        (el,) = page.xpath(f"//{tag}")
        digest = base64.b64encode(hashlib.sha256(el.text.encode()).digest()).decode()
        assert f"{tag}-src 'sha256-{digest}'" in csp
    for href in page.xpath("//a/@href"):
        assert href == "index.html" or re.fullmatch(r"c-[a-z0-9-]+\.html", href) or href.startswith("http")


# -- untrusted text ----------------------------------------------------------------------------

PAYLOADS = [
    "<script>window.__pwned = 1; document.title = 'pwned'</script>",
    "<img src=x onerror=\"window.__pwned = 2\">",
    "</p></div></details></section><script>window.__pwned = 3</script>",
    "\"><svg onload=window.__pwned=4>",
    "<a href=\"javascript:window.__pwned=5\">click me</a>",
    "--><!-- <style>body{display:none}</style>",
]

BASE = ("The harbour authority confirmed on Monday that the northern pier will close for repairs next "
        "spring, after engineers found corrosion in several of the steel supports beneath the deck. "
        "Fishing crews who use the pier every morning said they had not been consulted and asked for "
        "a temporary landing stage to be built before any work begins on the structure.")


def hostile_corpus() -> list[dict[str, str]]:
    evil = " ".join(PAYLOADS)
    origin = BASE + "\n\n" + evil + "\n\nThe council will meet the crews next week to discuss compensation."
    copy = BASE + "\n\n" + evil + "\n\n" + PAYLOADS[2] + " Articles by: <marquee>Evil</marquee>\n\nShare this article"
    return [
        {"id": "o<script>window.__pwned=6</script>", "text": origin, "title": PAYLOADS[0],
         "url": "javascript:window.__pwned=7", "site": PAYLOADS[1], "published": "2020-01-01",
         "author": PAYLOADS[3]},
        {"id": "c\"><img src=x onerror=window.__pwned=8>", "text": copy, "title": PAYLOADS[2],
         "url": " JaVaScRiPt:window.__pwned=9", "published": "2020-01-02"},
    ]


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = syndup.scan(hostile_corpus())
    assert len(result.clusters[result.clusters["size"] > 1]) == 1
    return write_report(result, tmp_path_factory.mktemp("hostile") / "report").parent


def test_untrusted_text_stays_text(hostile_report: Path):
    js = (Path(syndup.__file__).parent / "templates" / "report.js").read_text(encoding="utf-8")
    pages = sorted(hostile_report.glob("*.html"))
    assert len(pages) == 5  # index, the cluster, and (the origin has a site) network, sites and the site's page
    for path in pages:
        page = parse(path)
        scripts = page.xpath("//script")
        assert [s.text for s in scripts] == [js]
        assert len(page.xpath("//style")) == 1
        assert not page.xpath("//img | //svg[not(@class='timeline' or @class='network')] | //iframe | //marquee")
        assert not page.xpath("//svg//*[not(self::g or self::line or self::circle or self::text or self::title "
                              "or self::a or self::defs or self::marker or self::path)]")
        for el in page.iter():
            for attr in el.attrib:
                assert not attr.lower().startswith("on"), (el.tag, attr)
        assert not [h for h in page.xpath("//a/@href") if "javascript" in h.lower()]
        assert page.find(".//title").text != "pwned"
    cluster = parse(next(p for p in pages if p.name.startswith("c-")))
    body = cluster.text_content()
    for payload in PAYLOADS:
        assert payload in body  # shown literally, markup and all
    urls = cluster.xpath("//dd[@class='url']")
    assert [text(u) for u in urls] == ["javascript:window.__pwned=7", "JaVaScRiPt:window.__pwned=9"]
    assert not cluster.xpath("//dd[@class='url']//a")


def test_safe_url():
    assert safe_url("https://example.org/a?b=1#c") == "https://example.org/a?b=1#c"
    assert safe_url("  http://example.org/x  ") == "http://example.org/x"
    for bad in ("javascript:alert(1)", " JAVASCRIPT:alert(1)", "java\nscript:alert(1)", "data:text/html,<b>",
                "vbscript:x", "//example.org/x", "http://", "http://exa mple.org", "https://x.org/\"onmouseover=1",
                "file:///etc/passwd", "", None, 3, "http://[::1", "https://example.org/\u202ex",
                "https://exa\x85mple.org/", "https://example.org/\x7f"):
        assert safe_url(bad) is None, bad


# -- file names --------------------------------------------------------------------------------

NASTY_IDS = ["../../x", "a/b", "a_b", "a\\b", "CON", "con", "NUL.txt", "x" * 400, "x" * 399 + "y",
             "日本語の記事", "статья", "..", ".hidden", "Über straße", "index", "c-x", " ", "a b"]


def family_text(rng: random.Random, vocab: list[str]) -> str:
    return "\n\n".join(" ".join(rng.choice(vocab) for _ in range(40)).capitalize() + "." for _ in range(4))


@pytest.fixture(scope="module")
def nasty_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, syndup.ScanResult]:
    rng = random.Random(7)
    vocab = ["".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3)) for _ in range(3000)]
    records = []
    for doc_id in NASTY_IDS:
        text = family_text(rng, vocab)
        records.append({"id": doc_id, "text": text, "published": "2021-03-01"})
        records.append({"id": doc_id + "~copy", "text": text + "\n\nSource: the origin", "published": "2021-03-02"})
    result = syndup.scan(records)
    root = tmp_path_factory.mktemp("nasty")
    (root / "report").mkdir()
    write_report(result, root / "report")
    return root, result


def test_report_file_names_never_escape_or_collide(nasty_report):
    root, result = nasty_report
    multi = result.clusters[result.clusters["size"] > 1]
    assert sorted(multi["origin_id"]) == sorted(NASTY_IDS)
    everything = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    pages = [p for p in everything if p != "report"]
    assert all(re.fullmatch(r"report/(index|c-[a-z0-9-]+)\.html", p) for p in pages), pages
    assert len(pages) == len(NASTY_IDS) + 1  # one page per cluster, none overwritten, plus the index
    assert all(len(p) <= 100 for p in pages)
    index = parse(root / "report" / "index.html")
    links = {text(a): a.get("href") for a in index.xpath("//a[@class='origin']")}
    assert set(links) == {" ".join(i.split()) for i in NASTY_IDS}
    for doc_id in NASTY_IDS:
        page = parse(root / "report" / links[" ".join(doc_id.split())])
        assert page.xpath("//section[@id='origin']//dd[@class='doc-id']")[0].text_content() == doc_id


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=300), st.text(min_size=0, max_size=300))
def test_page_name_is_safe_and_injective(a: str, b: str):
    for key in (a, b):
        name = page_name(key)
        assert re.fullmatch(r"c-(?:[a-z0-9]+(?:-[a-z0-9]+)*-)?[0-9a-f]{12}\.html", name), name
        assert len(name) <= 80
    if a != b:
        assert page_name(a) != page_name(b)


# -- more structure ----------------------------------------------------------------------------


def test_partial_reuse_links_to_the_other_cluster(tmp_path: Path):
    rng = random.Random(3)
    vocab = ["".join(rng.choice("bdfgklmnprstv") + rng.choice("aeiou") for _ in range(3)) for _ in range(3000)]
    shared = " ".join(rng.choice(vocab) for _ in range(80)) + "."
    a = family_text(rng, vocab) + "\n\n" + shared
    b = family_text(rng, vocab) + "\n\n" + shared + "\n\n" + family_text(rng, vocab)
    records = [{"id": "a", "text": a}, {"id": "a2", "text": a + "\n\nSource: a"},
               {"id": "b", "text": b}, {"id": "b2", "text": b + "\n\nSource: b"}]
    result = syndup.scan(records)
    assert (result.pairs["relation"] == "partial").any()
    out = tmp_path / "report"
    write_report(result, out)
    page = parse(out / page_name("a"))
    links = page.xpath("//section[@id='partial']//a/@href")
    assert links and set(links) == {page_name("b")}
    assert (out / page_name("b")).is_file()


def test_unchanged_copy_and_copies_beyond_max_diffs(tmp_path: Path):
    body = "\n\n".join([BASE, "A second paragraph about the pier and the boats that use it every day."])
    records = [{"id": "o", "text": body, "published": "2020-01-01"},
               {"id": "dup", "text": body.replace("pier", "Pier"), "published": "2020-01-02"},
               {"id": "e1", "text": body + "\n\nShare this article", "published": "2020-01-03"},
               {"id": "e2", "text": body + "\n\nRead more", "published": "2020-01-04"}]
    out = tmp_path / "report"
    write_report(syndup.scan(records), out, max_diffs=2)
    page = parse(out / page_name("o"))
    sections = page.xpath("//section[@class='copy']")
    assert len(sections) == 3
    assert sections[0].xpath(".//p[@class='nochange']") and sections[0].xpath(".//details[@class='same']")
    assert sections[1].xpath(f".//details[{has_class('k-boilerplate')}]")
    assert not sections[2].xpath(f".//div[{has_class('row')}]")
    assert "first 2 copies" in text(sections[2])


def test_scan_cli_writes_the_report_unless_told_not_to(tmp_path: Path):
    runner = CliRunner()
    res = runner.invoke(app, ["scan", str(SEEDS), "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "a" / "report" / "index.html").is_file()
    assert (tmp_path / "a" / "report" / page_name(ORIGIN_ID)).is_file()
    assert "Report written to" in res.output
    res = runner.invoke(app, ["scan", str(SEEDS), "--out", str(tmp_path / "b"), "--no-report"])
    assert res.exit_code == 0, res.output
    assert not (tmp_path / "b" / "report").exists()
    assert (tmp_path / "b" / "documents.csv").is_file()


def test_a_new_report_removes_its_own_stale_pages_only(tmp_path: Path):
    out = tmp_path / "report"
    out.mkdir()
    stale = out / "c-old-cluster-0123456789ab.html"
    stale.write_text('<!DOCTYPE html><html><head><meta name="generator" content="syndup">', encoding="utf-8")
    mine = out / "c-notes.html"
    mine.write_text("<p>my own notes</p>", encoding="utf-8")
    write_report(syndup.scan(SEEDS), out)
    assert not stale.exists() and mine.exists()
    assert (out / page_name(ORIGIN_ID)).is_file()


# -- characters that act instead of showing ----------------------------------------------------

RLO, PDF, LRI = "\u202e", "\u202c", "\u2066"
#: Controls a report must never contain raw (tab, newline and carriage return are plain whitespace).
RAW_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
BIDI_ORIGIN = "invoice" + RLO + "fdp.exe"


def bidi_corpus() -> list[dict[str, str]]:
    """A cluster whose ids, titles, sites, urls, author and text carry bidi overrides and controls."""
    origin = (BASE + "\n\nThe second paragraph says " + RLO + "txet desrever" + PDF + " and\x00 rings a bell\x07 "
              "here, then the story goes on for a while.")
    copy = origin.replace("story", "tale" + RLO) + "\n\nShare this article"
    return [
        {"id": BIDI_ORIGIN, "text": origin, "title": "Title" + RLO + " reversed\x00", "site": "news" + RLO + ".example",
         "url": "https://example.org/" + RLO + "x", "author": "A" + LRI + "uthor", "published": "2020-01-01"},
        {"id": "copy\x1b[2J" + RLO + "<script>window.__pwned=10</script>", "text": copy,
         "title": "\x85copy title" + RLO, "site": "other" + RLO + ".example", "url": "not a url " + RLO,
         "published": "2020-01-02"},
    ]


@pytest.fixture(scope="module")
def bidi_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(syndup.scan(bidi_corpus()), tmp_path_factory.mktemp("bidi") / "report").parent


def test_controls_and_bidi_overrides_are_shown_not_obeyed(bidi_report: Path):
    pages = sorted(bidi_report.glob("*.html"))
    assert len(pages) == 6  # index, the cluster, network, sites and the two sites' pages
    for path in pages:
        html = path.read_text(encoding="utf-8")
        assert not RAW_CONTROL.findall(html), (path.name, sorted(set(RAW_CONTROL.findall(html))))
    cluster = parse(bidi_report / page_name(BIDI_ORIGIN))
    (origin_id,) = cluster.xpath("//section[@id='origin']//dd[@class='doc-id']")
    assert text(origin_id) == "invoice<U+202E>fdp.exe"
    body = cluster.text_content()
    for shown in ("Title<U+202E> reversed\u2400", "news<U+202E>.example", "https://example.org/<U+202E>x",
                  "A<U+2066>uthor", "copy\u241b[2J<U+202E><script>window.__pwned=10</script>",
                  "<U+0085>copy title<U+202E>", "not a url <U+202E>", "<U+202E>txet desrever<U+202C>",
                  "and\u2400 rings a bell\u2407", "tale<U+202E>"):
        assert shown in body, shown
    assert "Title<U+202E> reversed\u2400" in cluster.find(".//title").text


def _unisolated(page: lxml.html.HtmlElement, marker: str) -> list[str]:
    """Text holding `marker` that is neither inside a <bdi> nor a paragraph of article text (its own block)."""
    bad = []
    for el in page.iter():
        for owner, chunk in ((el, el.text), (el.getparent(), el.tail)):
            if owner is None or not chunk or marker not in chunk:
                continue
            chain = [owner, *owner.iterancestors()]
            # An SVG <text> is laid out alone, where the drawing puts it: nothing flows around it.
            isolated = any(a.tag in ("bdi", "title", "text") for a in chain) or (
                owner.tag in ("p", "del", "ins", "span") and any(
                    a.tag == "div" and {"cell", "text"} & set((a.get("class") or "").split()) for a in chain))
            if not isolated:
                bad.append(f"<{owner.tag} class={owner.get('class')!r}>: {chunk!r}")
    return bad


def test_every_value_from_the_corpus_is_bidi_isolated(bidi_report: Path):
    for path in sorted(bidi_report.glob("*.html")):
        page = parse(path)
        assert _unisolated(page, "<U+202E>") == [], path.name
        assert page.xpath("//bdi"), path.name
    cluster = parse(bidi_report / page_name(BIDI_ORIGIN))
    for para in cluster.xpath(f"//div[{has_class('cell')} or {has_class('text')}]/p"):
        assert para.get("dir") == "auto"  # each paragraph of article text takes its own direction


def test_a_lone_surrogate_in_article_text_is_shown_as_a_replacement_character(tmp_path: Path):
    body = "\n\n".join([BASE, "A second paragraph about the pier \ud800 and the boats that use it every day."])
    records = [{"id": "o", "text": body, "published": "2020-01-01"},
               {"id": "c", "text": body + "\n\nShare this article", "published": "2020-01-02"}]
    out = tmp_path / "report"
    write_report(syndup.scan(records), out)
    page = parse(out / page_name("o"))
    assert "the pier \ufffd and the boats" in text(page.xpath("//section[@id='origin']//div[@class='text']")[0])
    assert (out / "index.html").stat().st_size > 0


def test_a_report_that_fails_halfway_leaves_the_previous_one_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    out = tmp_path / "report"
    result = syndup.scan(SEEDS)
    write_report(result, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real_write, pages = report_module._write, []

    def full_disk(folder: Path, name: str, html: str) -> Path:
        pages.append(name)
        if len(pages) == 2:
            (folder / name).write_text(html[: len(html) // 2], encoding="utf-8")
            raise OutputError(f"cannot write report page {name}: No space left on device")
        return real_write(folder, name, html)

    monkeypatch.setattr(report_module, "_write", full_disk)
    with pytest.raises(OutputError, match="No space left"):
        write_report(result, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_a_run_killed_inside_its_commit_gets_its_previous_report_back(tmp_path: Path):
    """Killed between moving the old report aside and the new one in: the next run puts the old one back."""
    out = tmp_path / "out"
    write_report(syndup.scan(SEEDS), out / "report")
    before = {p.name: p.read_bytes() for p in (out / "report").iterdir()}
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    staging = out / ".syndup-staging-killed"
    (staging / ".replaced").mkdir(parents=True)
    (staging / "owner").write_text(f"{socket.gethostname()}\n{int(dead.stdout)}\n")
    (out / "report").rename(staging / ".replaced" / "report")

    write_report(syndup.scan(SEEDS), tmp_path / "other" / "report")  # elsewhere: nothing swept
    assert not (out / "report").exists()
    syndup.output.write_tables(syndup.scan(SEEDS), out)
    assert {p.name: p.read_bytes() for p in (out / "report").iterdir()} == before
    assert not staging.exists()


def test_copy_budget_diffs_the_largest_clusters_and_lists_the_rest(tmp_path: Path):
    import json

    from .indexkit import copy_text, synthetic

    records = []
    for c, copies in enumerate([3, 1, 1]):  # cluster sizes 4, 2, 2
        origin = synthetic(f"o{c}", paragraphs=4)
        records.append({"id": f"o{c}", "text": origin, "title": PAYLOADS[0] if c == 2 else f"T{c}"})
        records += [{"id": f"o{c}-{k}", "text": copy_text(origin, f"c{c}{k}")} for k in range(copies)]
    result = syndup.scan(records)
    out = tmp_path / "report"
    write_report(result, out, max_copies=3)  # the largest cluster spends the whole budget
    assert parse(out / page_name("o0")).xpath(f"//div[{has_class('row')}]")
    for small in ("o1", "o2"):
        page = parse(out / page_name(small))
        assert not page.xpath(f"//div[{has_class('row')}]") and not page.xpath("//p[@class='summary']")
        assert "Diff not written" in text(page.xpath("//p[contains(@class, 'not-diffed')]")[0])
        assert "relation" in text(page.xpath("//section[@class='copy']//dl")[0])  # its members are listed
    index = parse(out / "index.html")
    assert "2 smaller clusters" in text(index.xpath("//p[@id='undiffed']")[0])
    rows = json.loads(index.xpath("//div[@id='cluster-data']/@data-rows")[0])
    assert [(r["origin"], r["size"], r["kept"] != "") for r in rows] == [("o0", 4, True), ("o1", 2, False),
                                                                          ("o2", 2, False)]
    assert rows[2]["title"] == PAYLOADS[0]  # markup stays a string: the page's script makes text nodes of it
    write_report(result, out, max_copies=None)
    assert parse(out / page_name("o2")).xpath(f"//div[{has_class('row')}]")
    assert not parse(out / "index.html").xpath("//p[@id='undiffed']")


def test_index_rows_json_shows_controls_as_symbols(bidi_report: Path):
    import json

    index = parse(bidi_report / "index.html")
    raw = index.xpath("//div[@id='cluster-data']/@data-rows")[0]
    assert not re.search("[\u202a-\u202e\u2066-\u2069\x00-\x08]", raw)
    assert any("<U+202E>" in json.dumps(r, ensure_ascii=False) for r in json.loads(raw))

"""extract: seed pages inside site chrome give the seed texts back, with metadata; index pages are skipped."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import syndup
from syndup.cli import app
from syndup.extract import MIN_RUNNING_WORDS, extract_article, extract_html
from syndup.models import Article, Problem

from .webpages import CHROME, COMMENTS, index_page, seed_pages, seed_texts, write_html_folder


def clusters(result: syndup.ScanResult) -> set[frozenset[str]]:
    """The clusters of copies of a scan, as sets of ids."""
    docs = result.documents
    return {frozenset(g["doc_id"]) for _, g in docs.groupby("cluster_id") if len(g) > 1}


def origins(result: syndup.ScanResult) -> set[str]:
    return set(result.clusters[result.clusters["size"] > 1]["origin_id"])


@pytest.fixture(scope="module")
def pages_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pages")
    write_html_folder(folder)
    return folder


@pytest.fixture(scope="module")
def read_pages(pages_dir: Path) -> dict[str, Article]:
    items = list(syndup.read([pages_dir]))
    assert not [i for i in items if isinstance(i, Problem)]
    return {i.id: i for i in items if isinstance(i, Article)}


# --- done-when 2: a folder of .html files ---------------------------------------------------------

def test_html_folder_gives_the_clusters_and_origin_of_the_plain_text_seeds(pages_dir: Path, seeds_dir: Path) -> None:
    plain, html = syndup.scan(seeds_dir), syndup.scan(pages_dir)
    assert clusters(html) == clusters(plain) == {frozenset({"000_28930205ab5c0454", "001_4b43cad0f107b24d"})}
    assert origins(html) == origins(plain) == {"000_28930205ab5c0454"}
    assert html.articles_read == plain.articles_read == 5


def test_extracted_text_holds_no_chrome(read_pages: dict[str, Article]) -> None:
    for article in read_pages.values():
        leaked = [s for s in CHROME + COMMENTS if s.lower() in article.text.lower()]
        assert not leaked, f"{article.id}: page chrome in the article text: {leaked}"
        assert "<" not in article.text and "function(" not in article.text


def test_extracted_text_is_the_seed_text(read_pages: dict[str, Article]) -> None:
    # Every line of the seed comes back (up to whitespace), and nothing but the headline is added.
    for stem, text in seed_texts().items():
        got_lines = [" ".join(line.split()) for line in read_pages[stem].text.splitlines() if line.strip()]
        want = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
        got = "\n".join(got_lines)
        missing = [line for line in want if line not in got]
        assert not missing, f"{stem}: lost lines {missing[:3]}"
        extra = [line for line in got_lines if line not in want and line != read_pages[stem].title]
        assert not extra, f"{stem}: lines not in the seed: {extra[:3]}"


def test_page_metadata_flows_into_the_article(read_pages: dict[str, Article]) -> None:
    rt = read_pages["000_28930205ab5c0454"]
    assert rt.url == "https://www.rt.com/news/381258-us-strike-mosque-syria/"  # from <link rel=canonical>
    assert rt.site == "rt.com"  # the URL's host, not the page's site name
    assert rt.title == "US admits strike on 'Al-Qaeda meeting' in Syria amid reports of deadly mosque attack"
    assert rt.published == "2017-03-17T09:41:00+00:00"
    gr = read_pages["001_4b43cad0f107b24d"]
    assert gr.author == "RT News"
    assert gr.published == "2017-03-18T14:02:00+00:00"


def test_published_dates_decide_the_origin_and_reach_the_tables(pages_dir: Path) -> None:
    result = syndup.scan(pages_dir)
    row = result.clusters.iloc[0]
    assert row["origin_rule"] == "published"
    assert row["first_published"] == pd.Timestamp("2017-03-17T09:41", tz="UTC")
    docs = result.documents.set_index("doc_id")
    assert docs.loc["001_4b43cad0f107b24d", "site"] == "globalresearch.ca"


def test_record_metadata_wins_over_the_page(tmp_path: Path) -> None:
    page = seed_pages()[0]
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"id": "a", "html": page.html, "site": "RT International",
                                "published": "2017-03-17", "url": "https://rt.com/x"}) + "\n")
    (article,) = [i for i in syndup.read([path]) if isinstance(i, Article)]
    assert (article.site, article.published, article.url) == ("RT International", "2017-03-17", "https://rt.com/x")
    assert article.title.startswith("US admits strike")
    assert "Share on Facebook" not in article.text


def test_html_in_a_text_field_is_sniffed_and_extracted(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    pd.DataFrame([{"id": p.seed, "text": p.html} for p in seed_pages()]).to_csv(path, index=False)
    arts = [i for i in syndup.read([path]) if isinstance(i, Article)]
    assert len(arts) == 5
    assert all("trackPageView" not in a.text and a.url and a.site for a in arts)


# --- dates: only one the page states ------------------------------------------------------------

_YEARS = "".join(f"<p>{s}</p>" for s in [
    "The harbour was first dredged in 1998 and again in 2006, when the new quay opened to ferries.",
    "By 2019 the port handled twice the traffic it saw in 2011, and the council plans more for 2030.",
    "Fishermen say the catch has fallen every year since 2015, and many boats have been sold.",
])


@pytest.mark.parametrize("head,time,url,published", [
    ("", "", None, None),  # years in the body are not a date
    ('<meta property="article:published_time" content="2024-03-17T09:41:00+00:00">', "", None,
     "2024-03-17T09:41:00+00:00"),
    ('<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2024-03-17"}</script>',
     "", None, "2024-03-17"),
    ("", '<time datetime="2024-03-17">17 March</time>', None, "2024-03-17"),
    ("", "", "https://example.org/news/2024/03/17/harbour", "2024-03-17"),
])
def test_a_date_counts_only_where_the_page_states_it(head: str, time: str, url: str | None,
                                                     published: str | None) -> None:
    page = f"<html><head><title>Harbour</title>{head}</head><body><article>{time}{_YEARS}</article></body></html>"
    assert extract_html(page, url=url).meta["published"] == published


# --- comments -------------------------------------------------------------------------------------

def test_comments_are_dropped_unless_kept() -> None:
    page = seed_pages()[0]
    article = Article(id="rt", text=page.html, url=page.url)
    dropped, _ = extract_article(article, "rt.html")
    kept, _ = extract_article(article, "rt.html", keep_comments=True)
    assert dropped is not None and kept is not None
    assert not any(c in dropped.text for c in COMMENTS)
    assert all(c in kept.text for c in COMMENTS)
    assert kept.text.startswith(dropped.text)


def test_cli_keep_comments(pages_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    for flag in ([], ["--keep-comments"]):
        out = tmp_path / f"out{len(flag)}"
        result = runner.invoke(app, ["scan", str(pages_dir), "--out", str(out), "-q", *flag])
        assert result.exit_code == 0, result.output
        assert (pd.read_csv(out / "documents.csv")["words"].sum() > 0)
    words = [pd.read_csv(tmp_path / f"out{n}" / "documents.csv").set_index("doc_id")["words"] for n in (0, 1)]
    # Two comments on every page: a few more words each, once kept.
    assert ((words[1] - words[0]) > 5).all()


# --- done-when 4: an index page is skipped with the reason ----------------------------------------

def test_index_page_is_skipped_with_the_reason(pages_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    for page in pages_dir.iterdir():
        (folder / page.name).write_bytes(page.read_bytes())
    (folder / "world.html").write_text(index_page(), encoding="utf-8")
    result = syndup.scan(folder)
    assert result.articles_read == 5
    (problem,) = [p for p in result.problems if "world.html" in p.where]
    assert problem.skipped
    assert "no article in this HTML page" in problem.reason
    assert "index or listing page" in problem.reason
    assert f"{MIN_RUNNING_WORDS} needed" in problem.reason

    runner = CliRunner()
    cli = runner.invoke(app, ["scan", str(folder), "--out", str(tmp_path / "out")])
    assert cli.exit_code == 0
    assert "world.html" in cli.stderr and "index or listing page" in cli.stderr
    assert "5 articles read, 1 skipped" in cli.stdout


@pytest.mark.parametrize("html, why", [
    ("<html><head><title>x</title></head><body><nav><a href='/'>Home</a></nav></body></html>", "no article"),
    ("<html><body><p>Page not found. Try the <a href='/'>home page</a>.</p></body></html>", "too short"),
    ("<html><body><script>var a = 1;</script></body></html>", "no article"),
])
def test_pages_without_an_article(html: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        extract_html(html)


def test_a_short_article_with_inline_links_is_kept() -> None:
    body = ("<p>The council <a href='/c'>approved the budget</a> on Tuesday after a long debate in which "
            "members argued over the cost of the new bridge, the school repairs and the library.</p>"
            "<p>The vote was 7 to 2. The mayor said the plan would be published next week.</p>")
    got = extract_html(f"<html><body><nav><a href='/'>Home</a></nav><article>{body}</article></body></html>")
    assert got.text.startswith("The council approved the budget")


# --- without trafilatura --------------------------------------------------------------------------

def test_standard_library_parser_when_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "trafilatura", None)  # import trafilatura -> ImportError
    monkeypatch.setenv("SYNDUP_EXTRACTOR", "basic")  # never a silent fallback: chosen (--extractor basic)
    page = seed_pages()[1]
    got = extract_html(page.html)
    assert "Articles by: RT News" in got.text and "trackPageView" not in got.text
    assert got.meta["url"] == page.url and got.meta["author"] == "RT News"
    assert got.meta["published"] == "2017-03-18T14:02:00+00:00" and got.meta["published_source"] == "page"
    with pytest.raises(ValueError, match="index or listing page"):
        extract_html(index_page())


def test_a_broken_trafilatura_is_an_error_not_the_fallback(pages_dir: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # Installed but broken, as with lxml >= 5.2 and no lxml_html_clean: its own import fails.
    broken = tmp_path / "site" / "trafilatura"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("import lxml_html_clean_not_installed\n")
    monkeypatch.syspath_prepend(str(broken.parent))
    monkeypatch.delitem(sys.modules, "trafilatura", raising=False)
    with pytest.raises(syndup.MissingDependency) as err:
        extract_html(seed_pages()[1].html)
    assert str(err.value) == ("Extracting articles from HTML needs the 'trafilatura' package, which is installed but "
                              "fails to import (ModuleNotFoundError: No module named 'lxml_html_clean_not_installed'): "
                              "pip install 'syndup[html]'")
    result = CliRunner().invoke(app, ["scan", str(pages_dir), "--out", str(tmp_path / "out"), "-q", "--jobs", "1"])
    assert result.exit_code != 0
    assert "Error:" in result.output and "lxml_html_clean_not_installed" in result.output

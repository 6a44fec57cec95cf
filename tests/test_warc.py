"""warc: a crawl of the seed pages scans like the seeds; other records are counted; broken files keep what precedes the break."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import syndup
from syndup.cli import app
from syndup.errors import InputError, MissingDependency
from syndup.models import Article, Problem
from syndup.warc import read_warc

from .webpages import CHROME, COMMENTS, Page, index_page, seed_pages, write_crawl

pytest.importorskip("warcio")

ID0, ID1 = "000_28930205ab5c0454", "001_4b43cad0f107b24d"


def record_bounds(path: Path) -> list[tuple[int, int, str]]:
    """(start, end, type) of every record in a WARC, as warcio sees them."""
    from warcio.archiveiterator import ArchiveIterator

    out = []
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        for record in it:
            start = it.offset
            out.append((start, start + it.get_record_length(), record.rec_type))
    return out


def split(items: list[Article | Problem]) -> tuple[list[Article], list[Problem]]:
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, Problem)]


def seed_clusters(result: syndup.ScanResult, name_of: dict[str, str]) -> tuple[set[frozenset[str]], set[str]]:
    """Clusters of copies and their origins, with every id mapped to its seed's file stem."""
    docs = result.documents
    groups = {frozenset(name_of[d] for d in g["doc_id"]) for _, g in docs.groupby("cluster_id") if len(g) > 1}
    return groups, {name_of[o] for o in result.clusters[result.clusters["size"] > 1]["origin_id"]}


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("crawl") / "crawl.warc.gz"
    return path, write_crawl(path)


# --- done-when 1: a crawl scans like the plain-text seeds ----------------------------------------

def test_crawl_gives_the_clusters_and_origin_of_the_plain_text_seeds(
        crawl: tuple[Path, dict[str, str]], seeds_dir: Path, tmp_path: Path) -> None:
    path, seed_of_url = crawl
    result = CliRunner().invoke(app, ["scan", str(path), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    docs = pd.read_csv(tmp_path / "documents.csv")
    assert len(docs) == 5 and docs["doc_id"].str.startswith("urn:uuid:").all()
    name_of = dict(zip(docs["doc_id"], docs["url"].map(seed_of_url)))
    got = {frozenset(name_of[d] for d in g["doc_id"]) for _, g in docs.groupby("cluster_id") if len(g) > 1}
    clusters = pd.read_csv(tmp_path / "clusters.csv")
    got_origins = {name_of[o] for o in clusters[clusters["size"] > 1]["origin_id"]}

    plain = syndup.scan(seeds_dir)
    want, want_origins = seed_clusters(plain, {d: d for d in plain.documents["doc_id"]})
    assert got == want == {frozenset({ID0, ID1})}
    assert got_origins == want_origins == {ID0}
    # url, site and date come from the crawl, and reach the tables.
    assert set(docs["site"]) == {"rt.com", "globalresearch.ca", "iraqwatch.example.org",
                                 "news.example.com.au", "sputnik.example.net"}
    assert docs["published"].notna().all()


def test_crawl_texts_hold_no_chrome(crawl: tuple[Path, dict[str, str]]) -> None:
    articles, _ = split(list(read_warc(crawl[0])))
    assert len(articles) == 5
    for article in articles:
        assert not [s for s in CHROME + COMMENTS if s in article.text], article.url
        assert article.origin_ref and article.origin_ref.startswith(f"{crawl[0]}@")


def test_id_url(crawl: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    path, seed_of_url = crawl
    result = CliRunner().invoke(app, ["scan", str(path), "--out", str(tmp_path), "--id", "url", "-q"])
    assert result.exit_code == 0, result.output
    docs = pd.read_csv(tmp_path / "documents.csv")
    assert set(docs["doc_id"]) == set(seed_of_url)
    assert (docs["doc_id"] == docs["url"]).all()
    with pytest.raises(InputError, match="record, url"):
        list(read_warc(path, id_by="uuid"))


def test_python_api_reads_a_crawl(crawl: tuple[Path, dict[str, str]]) -> None:
    result = syndup.scan(crawl[0])
    assert result.articles_read == 5
    assert len(result.clusters[result.clusters["size"] > 1]) == 1


# --- records that are not articles ----------------------------------------------------------------

def test_records_that_are_not_pages_are_counted_in_one_warning(crawl: tuple[Path, dict[str, str]]) -> None:
    _, problems = split(list(read_warc(crawl[0])))
    (note,) = problems
    assert not note.skipped and note.where == str(crawl[0])
    assert note.reason.startswith("13 records, 5 HTML pages; not read as articles:")
    assert note.reason.endswith("1 metadata, 5 request, 1 warcinfo records; 1 non-HTML response (image/png: 1)")


def test_cli_shows_the_count(crawl: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["scan", str(crawl[0]), "--out", str(tmp_path)])
    assert "13 records, 5 HTML pages" in result.stderr and "5 request" in result.stderr
    assert "5 articles read" in result.stdout


def test_revisits_errors_and_unsniffable_payloads_are_counted(tmp_path: Path) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    page = seed_pages()[2]
    path = tmp_path / "mixed.warc"
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=False)
        for status, ctype, body in (("200 OK", "text/html", page.html),
                                    ("404 Not Found", "text/html", "<html><body><p>Not found</p></body></html>"),
                                    ("301 Moved Permanently", "text/html", "<html><body>Moved</body></html>"),
                                    ("200 OK", "application/octet-stream", page.html),  # sniffed: HTML
                                    ("200 OK", "application/octet-stream", "\x00\x01binary"),
                                    ("200 OK", "application/json", '{"a": 1}')):
            http = StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(page.url, "response", payload=io.BytesIO(body.encode()),
                                                          http_headers=http))
        writer.write_record(writer.create_revisit_record(page.url, "sha1:AAAA", page.url, "2017-03-20T00:00:00Z"))
    articles, problems = split(list(read_warc(path)))
    assert len(articles) == 2
    (note,) = problems
    assert note.reason == ("7 records, 2 HTML pages; not read as articles: 1 revisit record; 2 non-HTML responses "
                           "(application/json: 1, application/octet-stream: 1); 2 responses with HTTP status "
                           "other than 2xx (301: 1, 404: 1)")


def test_index_page_in_a_crawl_is_skipped_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "c.warc.gz"
    pages = seed_pages()[:2] + [Page("index", "https://www.rt.com/news/", index_page())]
    write_crawl(path, extras=False, pages=pages)
    articles, problems = split(list(read_warc(path)))
    assert len(articles) == 2
    (problem,) = problems
    assert problem.skipped and "<https://www.rt.com/news/>" in problem.where
    assert "index or listing page" in problem.reason


# --- done-when 3: broken files --------------------------------------------------------------------

def test_cut_in_the_middle_of_a_gzip_member(crawl: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    path, seed_of_url = crawl
    bounds = record_bounds(path)
    responses = [b for b in bounds if b[2] == "response"]
    start, end, _ = responses[3]  # the fourth page
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(path.read_bytes()[:(start + end) // 2])
    articles, problems = split(list(read_warc(cut)))
    assert [seed_of_url[a.url][:3] for a in articles] == ["000", "001", "002"]
    (problem,) = problems
    assert problem.skipped and problem.where == f"{cut}@{start}"
    assert "file ends in the middle of a record" in problem.reason
    assert f"the {bounds.index(responses[3])} records before it were read" in problem.reason

    result = CliRunner().invoke(app, ["scan", str(cut), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0
    assert "file ends in the middle of a record" in result.stderr
    assert "3 articles read, 1 skipped; 1 cluster of copies" in result.stdout


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_a_cut_anywhere_keeps_every_record_before_it(name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    write_crawl(path)
    data = path.read_bytes()
    bounds = record_bounds(path)
    pages = [(s, e) for s, e, kind in bounds if kind == "response"][:5]  # the 6th response is the PNG
    for cut in list(range(0, len(data), 89)) + [e for _, e, _ in bounds]:
        (tmp_path / "cut").write_bytes(data[:cut])
        items = list(read_warc(tmp_path / "cut"))
        articles, problems = split(items)
        assert len(articles) == sum(1 for _, e in pages if e <= cut), cut
        whole = cut in {0, *(e for _, e, _ in bounds)} or not data[max(bounds_end(bounds, cut), 0):cut].strip(b"\r\n")
        broken = [p for p in problems if "file ends" in p.reason]
        assert bool(broken) != whole, (cut, [str(p) for p in problems])


def bounds_end(bounds: list[tuple[int, int, str]], cut: int) -> int:
    """End of the last record that ends at or before `cut`."""
    return max([e for _, e, _ in bounds if e <= cut], default=0)


#: What a warning must not show: an exception's class name (ArchiveLoadFailed, zlib.error, ...).
LIBRARY_WORDS = re.compile(r"[A-Z][a-z]+(?:[A-Z][a-z]+)+|\berror\b|Error|Exception|Failed")


def test_a_record_that_cannot_be_parsed_is_a_warning_not_the_end(crawl: tuple[Path, dict[str, str]],
                                                                 tmp_path: Path) -> None:
    path, seed_of_url = crawl
    bounds = record_bounds(path)
    start, end, _ = [b for b in bounds if b[2] == "response"][1]  # the second page
    data = bytearray(path.read_bytes())
    for i in range(start + 40, start + 80):  # garble its compressed bytes
        data[i] ^= 0x5A
    broken = tmp_path / "broken.warc.gz"
    broken.write_bytes(bytes(data))
    articles, problems = split(list(read_warc(broken)))
    assert [seed_of_url[a.url][:3] for a in articles] == ["000", "002", "003", "004"]
    warning = [p for p in problems if "cannot be parsed" in p.reason]
    assert len(warning) == 1 and warning[0].where == f"{broken}@{start}"
    assert f"reading resumes at byte {end}" in warning[0].reason
    assert not LIBRARY_WORDS.search(warning[0].reason), warning[0].reason  # words, not an exception's name


def test_a_garbled_header_in_an_uncompressed_warc(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc"
    seed_of_url = write_crawl(path, extras=False)
    data = path.read_bytes()
    second = data.index(b"WARC/1.0", 10)
    garbled = tmp_path / "garbled.warc"
    garbled.write_bytes(data[:second] + b"WARX/9.9" + data[second + 8:])
    articles, problems = split(list(read_warc(garbled)))
    assert [seed_of_url[a.url][:3] for a in articles] == ["000", "002", "003", "004"]
    (warning,) = [p for p in problems if "cannot be parsed" in p.reason and "reading resumes" in p.reason]
    assert "not a WARC or ARC record header" in warning.reason and not LIBRARY_WORDS.search(warning.reason)


# --- details --------------------------------------------------------------------------------------

def test_two_workers_give_the_same_items_in_the_same_order(crawl: tuple[Path, dict[str, str]]) -> None:
    assert list(read_warc(crawl[0], workers=2)) == list(read_warc(crawl[0]))


def test_the_crawl_date_is_when_it_was_crawled_never_when_it_was_published(tmp_path: Path) -> None:
    text = " ".join(f"Paragraph {w} of a story about the harbour and its boats." for w in "abcdefgh")
    page = Page("x", "https://example.org/story", f"<html><body><article><p>{text}</p></article></body></html>")
    path = tmp_path / "c.warc.gz"
    write_crawl(path, extras=False, pages=[page])
    (article,) = [i for i in read_warc(path) if isinstance(i, Article)]
    assert (article.published, article.crawled) == (None, "2017-03-20T12:00:00Z")
    assert article.site == "example.org"
    docs = syndup.scan(path).documents
    assert docs["published"].isna().all() and list(docs["crawled"]) == [pd.Timestamp("2017-03-20T12:00:00Z")]


def test_a_crawled_page_keeps_the_date_it_states(crawl: tuple[Path, dict[str, str]]) -> None:
    docs = syndup.scan(crawl[0]).documents.set_index("url")
    rt = docs.loc["https://www.rt.com/news/381258-us-strike-mosque-syria/"]
    assert rt["published"] == pd.Timestamp("2017-03-17T09:41:00+00:00")  # the page's <meta>, not the crawl's
    assert rt["published_source"] == "page"
    assert rt["crawled"] == pd.Timestamp("2017-03-20T12:00:00Z")


def test_declared_charset_is_used_when_the_page_is_not_utf8(tmp_path: Path) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    para = "Le café du port – naïve et célèbre – a rouvert ses portes après trois ans de travaux, " * 3
    html = f"<html><body><article><p>{para}</p><p>{para}</p></article></body></html>".encode("cp1252")
    path = tmp_path / "c.warc"
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=False)
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=ISO-8859-1")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record("https://example.fr/cafe", "response",
                                                      payload=io.BytesIO(html), http_headers=http))
    items = list(read_warc(path))
    assert not [i for i in items if isinstance(i, Problem)]
    (article,) = items
    assert "café du port – naïve et célèbre" in article.text


def test_missing_warcio_says_which_extra_to_install(crawl: tuple[Path, dict[str, str]],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "warcio", None)
    with pytest.raises(MissingDependency, match=r"pip install 'syndup\[warc\]'"):
        list(read_warc(crawl[0]))

"""The Scrapy pipeline, with real Scrapy crawls (in a subprocess) of pages served on localhost."""

from __future__ import annotations

import html
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from syndup import Index

from .conftest import seed_text
from .indexkit import RedisServer, child_env, needs_redis_server

scrapy = pytest.importorskip("scrapy")

SEEDS = ["000", "001", "002", "003", "004"]

SPIDER = """
import json, sys
import scrapy
from scrapy.crawler import CrawlerProcess


class Articles(scrapy.Spider):
    name = "articles"

    def __init__(self, start, **kwargs):
        super().__init__(**kwargs)
        self.start_urls = [start]

    def parse(self, response):
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href, self.parse_article)

    def parse_article(self, response):
        yield {"url": response.url, "title": response.css("title::text").get(),
               "text": "\\n\\n".join(response.css("article p::text").getall())}


settings = json.loads(sys.argv[2])
settings.update({"ITEM_PIPELINES": {"syndup.contrib.scrapy.SyndupPipeline": 300},
                 "ROBOTSTXT_OBEY": False, "TELNETCONSOLE_ENABLED": False, "LOG_LEVEL": "INFO",
                 "CONCURRENT_REQUESTS": 1})
process = CrawlerProcess(settings=settings)
crawler = process.create_crawler(Articles)
process.crawl(crawler, start=sys.argv[1])
process.start()
stats = crawler.stats.get_stats()
print(json.dumps({k: stats.get(k, 0) for k in ("item_scraped_count", "item_dropped_count")}))
"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    """The five seeds as HTML pages, with an index page linking them, served on localhost."""
    root = tmp_path / "site"
    (root / "news").mkdir(parents=True)
    links = []
    for s in SEEDS:
        paras = "".join(f"<p>{html.escape(p)}</p>" for p in seed_text(s).split("\n\n") if p.strip())
        (root / "news" / f"{s}.html").write_text(
            f"<html><head><title>Seed {s}</title></head><body><nav><p>Home</p></nav>"
            f"<article>{paras}</article></body></html>", encoding="utf-8")
        links.append(f'<a href="news/{s}.html">{s}</a>')
    (root / "index.html").write_text(f"<html><body>{''.join(links)}</body></html>")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    finally:
        server.shutdown()
        server.server_close()


def crawl(start: str, tmp_path: Path, name: str, **settings: Any) -> tuple[list[dict[str, Any]], dict[str, int], str]:
    """Run the spider in a fresh process; (items in the feed, crawl stats, log)."""
    feed = tmp_path / f"{name}.jsonl"
    settings["FEEDS"] = {str(feed): {"format": "jsonlines"}}
    spider = tmp_path / "spider.py"  # a file: Scrapy reads the source of spider callbacks
    spider.write_text(SPIDER)
    run = subprocess.run([sys.executable, str(spider), start, json.dumps(settings)], capture_output=True,
                         text=True, cwd=tmp_path, env=child_env(), timeout=180)
    assert run.returncode == 0, run.stderr[-3000:]
    items = [json.loads(line) for line in feed.read_text().splitlines()] if feed.exists() else []
    return items, json.loads(run.stdout.strip().splitlines()[-1]), run.stderr


def _seed(url: str) -> str:
    return url.rsplit("/", 1)[1][:3]


def test_tag_mode(site: str, tmp_path: Path) -> None:
    index = str(tmp_path / "crawl.syndup")
    items, stats, log = crawl(site, tmp_path, "tag", SYNDUP_INDEX=index, SYNDUP_ACTION="tag")
    assert stats == {"item_scraped_count": 5, "item_dropped_count": 0}
    tags = {_seed(i["url"]): [(_seed(m["doc_id"]), m["relation"]) for m in i["syndup_matches"]] for i in items}
    assert sorted(tags) == SEEDS
    copies = {s: t for s, t in tags.items() if t}
    # Whichever of 000 and 001 came second is tagged as a copy of the first; the rest match nothing.
    assert copies in ({"001": [("000", "copy")]}, {"000": [("001", "copy")]})
    m = next(i for i in items if i["syndup_matches"])["syndup_matches"][0]
    assert 0.4 < m["jaccard"] < 0.5 and m["containment"] > 0.5 and m["containment_other"] > 0.5
    with Index.open(index) as idx:
        assert len(idx) == 5
        page = site.replace("index.html", "news/002.html")
        assert idx.get(page).title == "Seed 002" and idx.get(page).url == page


def test_drop_mode_and_check_only(site: str, tmp_path: Path) -> None:
    index = str(tmp_path / "crawl.syndup")
    items, stats, log = crawl(site, tmp_path, "drop", SYNDUP_INDEX=index, SYNDUP_ACTION="drop")
    assert stats == {"item_scraped_count": 4, "item_dropped_count": 1}
    kept = sorted(_seed(i["url"]) for i in items)
    assert kept in (["000", "002", "003", "004"], ["001", "002", "003", "004"])
    assert "copy of http://127.0.0.1" in log
    with Index.open(index) as idx:
        assert len(idx) == 5  # a dropped copy is still recorded as seen
    # A second crawler that only checks: every page is now a duplicate of an indexed one.
    _, stats, _ = crawl(site, tmp_path, "again", SYNDUP_INDEX=index, SYNDUP_ACTION="drop", SYNDUP_ADD=False)
    assert stats == {"item_scraped_count": 0, "item_dropped_count": 5}


def test_field_names_and_configuration(tmp_path: Path) -> None:
    from scrapy.exceptions import DropItem, NotConfigured
    from scrapy.settings import Settings as ScrapySettings

    from syndup.contrib.scrapy import SyndupPipeline

    class FakeCrawler:
        def __init__(self, **values: Any) -> None:
            self.settings = ScrapySettings(values)

    with pytest.raises(NotConfigured, match="SYNDUP_INDEX"):
        SyndupPipeline.from_crawler(FakeCrawler())
    with pytest.raises(ValueError, match="SYNDUP_ACTION.*'keep'"):
        SyndupPipeline.from_crawler(FakeCrawler(SYNDUP_INDEX=":memory:", SYNDUP_ACTION="keep"))
    pipe = SyndupPipeline.from_crawler(FakeCrawler(SYNDUP_INDEX=":memory:", SYNDUP_ID_FIELD="guid",
                                                   SYNDUP_TEXT_FIELD="body", SYNDUP_MATCHES_FIELD="dups"))
    pipe.open()
    try:
        pipe.handle({"guid": "a", "body": seed_text("000")})
        item = pipe.handle({"guid": "b", "body": seed_text("001"), "url": "https://x.org/b"})
        assert [(m["doc_id"], m["relation"]) for m in item["dups"]] == [("a", "copy")]
        assert pipe.index.get("b").url == "https://x.org/b"
        with pytest.raises(DropItem, match="no text in field 'body'"):
            pipe.handle({"guid": "c", "text": "wrong field"})

        class Story(scrapy.Item):
            guid = scrapy.Field()
            body = scrapy.Field()

        with pytest.raises(KeyError, match="declare it"):
            pipe.handle(Story(guid="d", body=seed_text("002")))
    finally:
        pipe.close()
    with pytest.raises(ValueError, match="SYNDUP_KEEP.*'longest'"):
        SyndupPipeline.from_crawler(FakeCrawler(SYNDUP_INDEX=":memory:", SYNDUP_KEEP="longest"))
    with pytest.raises(ValueError, match="needs SYNDUP_ADD"):
        SyndupPipeline.from_crawler(FakeCrawler(SYNDUP_INDEX=":memory:", SYNDUP_KEEP="origin", SYNDUP_ADD=False))


# ---------------------------------------------------------------------------------------------
# Two spiders, one Redis index: which copy each keep policy keeps.

TWO_SPIDERS = """
import json, sys
import scrapy
from scrapy.crawler import CrawlerProcess


class Chain(scrapy.Spider):
    '''Follows each page's "next" link, so pages arrive in a known order.'''

    name = "chain"

    def __init__(self, start, mode, **kwargs):
        super().__init__(**kwargs)
        self.start_urls = [start]
        self.mode = mode

    def parse(self, response):
        if response.css("article"):
            site = response.url.split("/")[3] + ".example"  # one local server plays every site
            if self.mode == "html":  # the raw page: syndup's extractor finds the article
                yield {"url": response.url, "site": site, "html": response.text}
            else:
                yield {"url": response.url, "site": site, "text": "\\n\\n".join(response.css("article p::text").getall())}
        for href in response.css("a.next::attr(href)").getall():
            yield response.follow(href, self.parse)


start, mode, settings = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
settings.update({"ITEM_PIPELINES": {"syndup.contrib.scrapy.SyndupPipeline": 300},
                 "ROBOTSTXT_OBEY": False, "TELNETCONSOLE_ENABLED": False, "LOG_LEVEL": "INFO",
                 "CONCURRENT_REQUESTS": 1})
process = CrawlerProcess(settings=settings)
crawler = process.create_crawler(Chain)
process.crawl(crawler, start=start, mode=mode)
process.start()
stats = crawler.stats.get_stats()
print(json.dumps({k: v for k, v in stats.items() if k.startswith(("syndup/", "item_"))}))
"""


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n\n") if p.strip()]


def _page(title: str, paras: list[str], nxt: str | None) -> str:
    """A news page: site menu, the article, a "next" link and a footer."""
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paras)
    link = f'<nav><a class="next" href="{nxt}">Next story</a></nav>' if nxt else ""
    return (f"<html><head><title>{html.escape(title)}</title></head><body><nav><ul><li><a href='/'>Home</a></li>"
            f"<li><a href='/world'>World</a></li><li><a href='/sport'>Sport</a></li></ul></nav>"
            f"<article>{body}</article>{link}<footer>Copyright the site. All rights reserved.</footer></body></html>")


@pytest.fixture
def two_sites(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """Site b (crawled first, its text taken by the spider) and site a (raw HTML, extracted by
    syndup), each a chain of pages, served on localhost; (base URL, page -> path)."""
    full = _paragraphs(seed_text("000"))
    pages = {
        # site b: a truncated repost of 000, an unrelated story, a crediting repost of 000
        "b/1": ("Short", full[:11]), "b/2": ("Other", _paragraphs(seed_text("002"))),
        # site a: the whole of 000, 002 again (a duplicate), a new story, a shorter cut of 000
        "a/1": ("Full", full), "a/2": ("Other again", _paragraphs(seed_text("002"))),
        "a/3": ("New", _paragraphs(seed_text("003"))), "a/4": ("Shorter", full[:8]),
        # the origin pair: the repost that credits RT (site c), then RT's own article (site d)
        "c/1": ("Repost", _paragraphs(seed_text("001"))), "d/1": ("Original", full),
    }
    root = tmp_path / "sites"
    for site in "abcd":
        chain = sorted(p for p in pages if p.startswith(site))
        (root / site).mkdir(parents=True)
        (root / site / "index.html").write_text(f'<html><body><a class="next" href="{chain[0][2:]}.html">first</a>'
                                                f"</body></html>")
        for k, name in enumerate(chain):
            nxt = f"{chain[k + 1][2:]}.html" if k + 1 < len(chain) else None
            (root / f"{name}.html").write_text(_page(pages[name][0], pages[name][1], nxt), encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", {p: f"/{p}.html" for p in pages}
    finally:
        server.shutdown()
        server.server_close()


def crawl_chain(start: str, mode: str, tmp_path: Path, name: str,
                **settings: Any) -> tuple[list[dict[str, Any]], dict[str, int], str]:
    """One spider run in a fresh process: (items in the feed, syndup's and Scrapy's item stats, log)."""
    feed = tmp_path / f"{name}.jsonl"
    settings["FEEDS"] = {str(feed): {"format": "jsonlines"}}
    spider = tmp_path / "chain.py"
    spider.write_text(TWO_SPIDERS)
    run = subprocess.run([sys.executable, str(spider), start, mode, json.dumps(settings)], capture_output=True,
                         text=True, cwd=tmp_path, env=child_env(), timeout=180)
    assert run.returncode == 0, run.stderr[-3000:]
    items = [json.loads(line) for line in feed.read_text().splitlines()] if feed.exists() else []
    return items, json.loads(run.stdout.strip().splitlines()[-1]), run.stderr


def _page_of(url: str) -> str:
    return url.split("/", 3)[3].removesuffix(".html")


@needs_redis_server
@pytest.mark.redis
@pytest.mark.parametrize("keep", ["fuller", "first"])
def test_two_spiders_one_redis_index_keep_the_fuller_copy(
        keep: str, two_sites: tuple[str, dict[str, str]], redis_server: RedisServer, tmp_path: Path) -> None:
    base, _ = two_sites
    index = redis_server.url(prefix=f"crawl-{keep}")
    common = {"SYNDUP_INDEX": index, "SYNDUP_ACTION": "drop", "SYNDUP_KEEP": keep}
    items_b, stats_b, _ = crawl_chain(f"{base}/b/index.html", "text", tmp_path, "b", **common)
    assert sorted(_page_of(i["url"]) for i in items_b) == ["b/1", "b/2"]
    assert stats_b["syndup/checked"] == 2 and stats_b["syndup/unique"] == 2
    items_a, stats_a, log = crawl_chain(f"{base}/a/index.html", "html", tmp_path, "a", **common)
    kept = {_page_of(i["url"]): i for i in items_a}
    if keep == "fuller":
        # the whole article is kept after its truncated repost, and says which item it supersedes
        # (items go through the pipeline concurrently: the shorter a/4 may be indexed before it)
        assert sorted(kept) == ["a/1", "a/3"]
        supersedes = kept["a/1"]["syndup_supersedes"]
        assert supersedes[0] == f"{base}/b/1.html" and set(supersedes) <= {f"{base}/b/1.html", f"{base}/a/4.html"}
        assert {(m["relation"], m["fuller"]) for m in kept["a/1"]["syndup_matches"]} == {("copy", "a")}
        assert "syndup_supersedes" not in kept["a/3"]
    else:
        assert sorted(kept) == ["a/3"]
    # HTML items were reduced to their article by syndup's extractor: no site menu in the text
    assert kept["a/3"]["text"].startswith(seed_text("003").split()[0]) and "Sport" not in kept["a/3"]["text"]
    assert stats_a == {
        "item_scraped_count": len(kept), "item_dropped_count": 4 - len(kept),
        "item_dropped_reasons_count/SyndupDrop": 4 - len(kept),
        "syndup/checked": 4, "syndup/added": 4, "syndup/extracted": 4, "syndup/unique": 1,
        "syndup/matched/copy": 2, "syndup/matched/duplicate": 1, "syndup/dropped/duplicate": 1,
        "syndup/dropped/copy": 2 if keep == "first" else 1, **({"syndup/kept/fuller": 1} if keep == "fuller" else {})}
    # drops are logged at INFO, ids and relation only: never the article text
    drops = [line for line in log.splitlines() if "Dropped:" in line]
    assert len(drops) == 4 - len(kept) and all("INFO" in line for line in drops)
    assert any(f"{base}/a/2.html is a duplicate of {base}/b/2.html" in line for line in drops)
    assert any(f"{base}/a/4.html is a copy of " in line for line in drops)
    for sentence in (seed_text("000")[:40], "Kirkuk", "Mosul"):  # from 000 (a/4) and 002 (a/2), dropped
        assert sentence not in log
    assert [line for line in log.splitlines() if "] WARNING:" in line or "] ERROR:" in line] == []
    with Index.open(index) as idx:
        assert len(idx) == 6  # dropped copies are indexed too: a recrawl of them is recognised


@needs_redis_server
@pytest.mark.redis
@pytest.mark.parametrize("keep", ["origin", "fuller"])
def test_keep_origin_keeps_the_article_a_repost_credits(
        keep: str, two_sites: tuple[str, dict[str, str]], redis_server: RedisServer, tmp_path: Path) -> None:
    base, _ = two_sites
    common = {"SYNDUP_INDEX": redis_server.url(prefix=f"o-{keep}"), "SYNDUP_ACTION": "drop", "SYNDUP_KEEP": keep}
    items_c, _, _ = crawl_chain(f"{base}/c/index.html", "text", tmp_path, "c", **common)
    assert [_page_of(i["url"]) for i in items_c] == ["c/1"]
    items_d, stats_d, log = crawl_chain(f"{base}/d/index.html", "html", tmp_path, "d", **common)
    if keep == "origin":  # the repost credits RT: RT's article, crawled later, is the origin
        assert [(_page_of(i["url"]), i.get("syndup_supersedes")) for i in items_d] == [("d/1", [f"{base}/c/1.html"])]
        assert stats_d["syndup/kept/origin"] == 1
    else:  # neither is fuller (one cuts about as much as the other adds): the first stays
        assert items_d == [] and stats_d["syndup/dropped/copy"] == 1

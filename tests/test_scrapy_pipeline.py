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
from .indexkit import child_env

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
    items, stats, _ = crawl(site, tmp_path, "tag", SYNDUP_INDEX=index, SYNDUP_ACTION="tag")
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
    pipe.open_spider()
    try:
        pipe.process_item({"guid": "a", "body": seed_text("000")})
        item = pipe.process_item({"guid": "b", "body": seed_text("001"), "url": "https://x.org/b"})
        assert [(m["doc_id"], m["relation"]) for m in item["dups"]] == [("a", "copy")]
        assert pipe.index.get("b").url == "https://x.org/b"
        with pytest.raises(DropItem, match="no text in field 'body'"):
            pipe.process_item({"guid": "c", "text": "wrong field"})

        class Story(scrapy.Item):
            guid = scrapy.Field()
            body = scrapy.Field()

        with pytest.raises(KeyError, match="declare it"):
            pipe.process_item(Story(guid="d", body=seed_text("002")))
    finally:
        pipe.close_spider()

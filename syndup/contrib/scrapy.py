"""A Scrapy item pipeline that asks a syndup index about every article a spider scrapes.

    # settings.py of a Scrapy project
    ITEM_PIPELINES = {"syndup.contrib.scrapy.SyndupPipeline": 300}
    SYNDUP_INDEX = "articles.syndup"          # or "redis://host:6379/0?prefix=news" for many crawlers
    SYNDUP_ACTION = "drop"                    # "tag": add the matches to the item; "drop": drop copies
    SYNDUP_KEEP = "fuller"                    # which copy "drop" keeps: "fuller", "first" or "origin"

Each item is added to the index (set SYNDUP_ADD = False to only check). With "tag", the item gets a
`syndup_matches` field: a list of {doc_id, relation, jaccard, containment, containment_other,
fuller}, best first, empty when it matches nothing (`fuller`: "a" when this item is the fuller
version of doc_id, "b" when doc_id is, else None; see `syndup.Match.fuller`).

With "drop", an item whose matches include a relation in SYNDUP_DROP_RELATIONS (default duplicate
and copy) is dropped, unless SYNDUP_KEEP says it is the copy to keep; partial reuse is kept:

- "first": the copy indexed first is kept, every later one dropped;
- "fuller" (the default): a later copy is kept when it is the fuller version of every indexed
  copy it matches (`Match.fuller == "a"`: the whole article after a truncated repost of it);
- "origin": a later copy is kept when syndup takes it for the origin of it and the indexed
  copies it matches (`Index.origin`: stated dates, credits, what copies add, ...).

An earlier copy was yielded already and stays in the index (a recrawl of it is still recognised);
the item kept in its place names it in `syndup_supersedes` (SYNDUP_SUPERSEDES_FIELD: the ids of the
indexed copies it supersedes, best match first, set only on such items), so a feed consumer can
replace it. Dropped items are still added to the index (they were seen), so the list may name a
copy that was dropped before. Items go through the pipeline concurrently (Scrapy's
CONCURRENT_ITEMS), so of two copies scraped moments apart either may be indexed first.

Drops are logged at INFO (SYNDUP_DROP_LOG_LEVEL) as ids and relation only, never the article text;
the crawl's stats count syndup/checked, syndup/added, syndup/unique, syndup/matched/<relation>,
syndup/dropped/<relation>, syndup/kept/fuller, syndup/kept/origin, syndup/extracted,
syndup/no_article. Index calls for items (and HTML extraction) run in Twisted's thread pool, never
on the reactor thread; the index is opened before the crawl starts and closed after it ends.

Items that carry raw HTML in SYNDUP_HTML_FIELD ("html"), or HTML in the text field, are reduced to
their article by syndup's extractor (trafilatura with the `html` extra): the text field gets the
article text and the page's title, date, author and URL fill fields the item leaves empty.

Field names are settings: SYNDUP_ID_FIELD ("url"), SYNDUP_TEXT_FIELD ("text"), SYNDUP_HTML_FIELD
("html"), SYNDUP_URL_FIELD ("url"), SYNDUP_TITLE_FIELD ("title"), SYNDUP_SITE_FIELD ("site"),
SYNDUP_PUBLISHED_FIELD ("published"), SYNDUP_AUTHOR_FIELD ("author"), SYNDUP_CRAWLED_FIELD
("crawled"), SYNDUP_MATCHES_FIELD ("syndup_matches"), SYNDUP_SUPERSEDES_FIELD ("syndup_supersedes").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..errors import InputError, require
from ..models import Match

ACTIONS = ("tag", "drop")
KEEP = ("fuller", "first", "origin")
DEFAULT_FIELDS = {"id": "url", "text": "text", "html": "html", "url": "url", "title": "title", "site": "site",
                  "published": "published", "author": "author", "crawled": "crawled",
                  "matches": "syndup_matches", "supersedes": "syndup_supersedes"}
_META = ("url", "title", "site", "published", "author", "crawled")


def _drop_item() -> Any:
    """`SyndupDrop`: Scrapy's DropItem for the drops of this pipeline (their log holds no item)."""
    if SyndupDrop is None:
        exceptions = require("scrapy.exceptions", "scrapy", "The Scrapy pipeline")

        class Drop(exceptions.DropItem):  # type: ignore[name-defined]
            """An item this pipeline dropped; its message says why in ids and relations only."""

        Drop.__name__ = Drop.__qualname__ = "SyndupDrop"  # Scrapy counts drops by class name
        globals()["SyndupDrop"] = Drop
    return SyndupDrop


SyndupDrop: Any = None


class SyndupPipeline:
    """Tag each scraped article with what it duplicates or copies, or drop the copies."""

    def __init__(self, index: str, *, action: str = "tag", keep: str = "fuller", add: bool = True,
                 drop_relations: tuple[str, ...] = ("duplicate", "copy"),
                 fields: dict[str, str] | None = None, stats: Any = None,
                 drop_log_level: str = "INFO") -> None:
        if action not in ACTIONS:
            raise InputError(f"SYNDUP_ACTION must be one of {', '.join(ACTIONS)}, got {action!r}")
        if keep not in KEEP:
            raise InputError(f"SYNDUP_KEEP must be one of {', '.join(KEEP)}, got {keep!r}")
        if keep == "origin" and not add:
            raise InputError("SYNDUP_KEEP = 'origin' needs SYNDUP_ADD = True: the origin is chosen among "
                             "indexed articles")
        self.target = index
        self.action = action
        self.keep = keep
        self.add = add
        self.drop_relations = frozenset(drop_relations)
        self.fields = {**DEFAULT_FIELDS, **(fields or {})}
        self.stats = stats
        self.drop_log_level = drop_log_level
        self.index: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> SyndupPipeline:
        """Build the pipeline from the crawler's SYNDUP_* settings."""
        exceptions = require("scrapy.exceptions", "scrapy", "The Scrapy pipeline")
        s = crawler.settings
        target = s.get("SYNDUP_INDEX")
        if not target:
            raise exceptions.NotConfigured("SYNDUP_INDEX is not set (a file path or a redis:// URL)")
        fields = {name: s.get(f"SYNDUP_{name.upper()}_FIELD", default) for name, default in DEFAULT_FIELDS.items()}
        pipe = cls(str(target), action=s.get("SYNDUP_ACTION", "tag"), keep=s.get("SYNDUP_KEEP", "fuller"),
                   add=s.getbool("SYNDUP_ADD", True),
                   drop_relations=tuple(s.getlist("SYNDUP_DROP_RELATIONS", ["duplicate", "copy"])),
                   fields=fields, stats=getattr(crawler, "stats", None),
                   drop_log_level=s.get("SYNDUP_DROP_LOG_LEVEL", "INFO"))
        formatter = getattr(crawler, "logformatter", None)
        if formatter is not None:
            _quiet_drops(formatter)
        return pipe

    # ------------------------------------------------------------------ Scrapy's hooks

    def open_spider(self, spider: Any = None) -> None:
        """Open the index, once, before the crawl starts (a coroutine here needs Scrapy 2.13+)."""
        self.open()

    def close_spider(self, spider: Any = None) -> None:
        self.close()

    async def process_item(self, item: Any, spider: Any = None) -> Any:
        """Tag or drop the item; the index is asked in Twisted's thread pool, off the reactor."""
        return await _in_thread(self.handle, item)

    # ------------------------------------------------------------------ the work, in any thread

    def open(self) -> None:
        """Open the index (what `open_spider` runs in a thread)."""
        from ..index import Index

        self.index = Index.open(self.target)

    def close(self) -> None:
        """Close the index (what `close_spider` runs in a thread)."""
        if self.index is not None:
            self.index.close()
            self.index = None

    def handle(self, item: Any) -> Any:
        """Add (or check) the item's article; tag the item or drop it if it copies an indexed one
        (what `process_item` runs in a thread)."""
        from itemadapter import ItemAdapter

        drop = _drop_item()
        adapter = ItemAdapter(item)
        f = self.fields
        text = self._article_text(adapter, drop)
        meta = {name: _plain(adapter.get(f[name])) for name in _META}
        meta = {k: v for k, v in meta.items() if v not in (None, "")}
        self._count("syndup/checked")
        if self.add:
            doc_id = adapter.get(f["id"])
            if doc_id in (None, ""):
                raise drop(f"no id in field {f['id']!r} (set SYNDUP_ID_FIELD)", log_level="WARNING")
            doc_id = str(doc_id)
            matches = self.index.add(doc_id, text, replace=True, **meta)
            self._count("syndup/added")
        else:
            doc_id = None
            matches = self.index.check(text, **meta)
        for relation in sorted({m.relation for m in matches}):
            self._count(f"syndup/matched/{relation}")
        if not matches:
            self._count("syndup/unique")
        supersedes: list[str] = []
        if self.action == "drop":
            copies = [m for m in matches if m.relation in self.drop_relations]
            if copies:
                kept_by = self._keeps(doc_id, copies)
                if kept_by is None:
                    best = copies[0]
                    self._count(f"syndup/dropped/{best.relation}")
                    raise drop(f"{doc_id or 'item'} is a {best.relation} of {best.doc_id} (jaccard "
                               f"{best.jaccard:.2f}; SYNDUP_KEEP={self.keep})", log_level=self.drop_log_level)
                self._count(f"syndup/kept/{kept_by}")
                supersedes = [m.doc_id for m in copies]
                logging.getLogger(__name__).info("kept %s: the %s version of %s", doc_id, kept_by,
                                                 ", ".join(supersedes))
        self._set(item, adapter, f["matches"], [
            {"doc_id": m.doc_id, "relation": m.relation, "jaccard": m.jaccard, "containment": m.containment_a_in_b,
             "containment_other": m.containment_b_in_a, "fuller": m.fuller} for m in matches])
        if supersedes:
            self._set(item, adapter, f["supersedes"], supersedes)
        return item

    def _keeps(self, doc_id: str | None, copies: list[Match]) -> str | None:
        """Why SYNDUP_KEEP keeps an item that copies indexed articles ("fuller", "origin"), or None."""
        if self.keep == "fuller" and all(m.fuller == "a" for m in copies):
            return "fuller"
        if self.keep == "origin" and doc_id is not None:
            if any(m.relation == "duplicate" for m in copies):
                return None  # the same words: the copy indexed first is as good an origin
            if self.index.origin([doc_id, *(m.doc_id for m in copies)]).doc_id == doc_id:
                return "origin"
        return None

    def _article_text(self, adapter: Any, drop: Any) -> str:
        """The item's article text: its text field, or the article in its HTML (written back)."""
        from ..extract import extract_html, looks_like_html

        f = self.fields
        text = adapter.get(f["text"])
        page = adapter.get(f["html"]) if f["html"] else None
        if isinstance(text, str) and text.strip() and looks_like_html(text):
            page, text = text, None
        if not (isinstance(text, str) and text.strip()) and isinstance(page, str) and page.strip():
            url = _plain(adapter.get(f["url"]))
            try:
                found = extract_html(page, url=url if isinstance(url, str) else None)
            except ValueError as exc:
                self._count("syndup/no_article")
                raise drop(f"{url or 'item'}: {exc}", log_level=self.drop_log_level) from exc
            self._count("syndup/extracted")
            text = found.text
            for name in ("title", "published", "author", "url"):
                if found.meta.get(name) and adapter.get(f[name]) in (None, ""):
                    self._try_set(adapter, f[name], found.meta[name])
            self._try_set(adapter, f["text"], text)
        if not isinstance(text, str) or not text.strip():
            raise drop(f"no text in field {f['text']!r} (set SYNDUP_TEXT_FIELD to the field that holds the "
                       f"article text, or SYNDUP_HTML_FIELD to the one that holds the page)", log_level="WARNING")
        return text

    def _count(self, key: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(key)

    @staticmethod
    def _try_set(adapter: Any, name: str, value: Any) -> None:
        try:
            adapter[name] = value
        except KeyError:  # an Item class without that field: the index still gets the value
            pass

    @staticmethod
    def _set(item: Any, adapter: Any, name: str, value: Any) -> None:
        try:
            adapter[name] = value
        except KeyError as exc:
            setting = "SYNDUP_MATCHES_FIELD" if name.endswith("matches") else "SYNDUP_SUPERSEDES_FIELD"
            raise KeyError(f"{type(item).__name__} has no field {name!r} for syndup: declare it "
                           f"({name} = scrapy.Field()) or set {setting}") from exc


async def _in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)` in Twisted's thread pool, awaited under either reactor (asyncio or not)."""
    from scrapy.utils.defer import maybe_deferred_to_future
    from twisted.internet import threads

    return await maybe_deferred_to_future(threads.deferToThread(fn, *args))


def _quiet_drops(formatter: Any) -> None:
    """Make the crawler's log formatter log this pipeline's drops without the item (its article
    text): the reason, which names the ids and the relation, at the level the drop asks for."""
    if getattr(formatter, "_syndup_quiet", False):
        return
    dropped = formatter.dropped

    def quiet(item: Any, exception: BaseException, response: Any, spider: Any) -> Any:
        if SyndupDrop is not None and isinstance(exception, SyndupDrop):
            level = getattr(logging, str(exception.log_level or "INFO"), logging.INFO)
            return {"level": level, "msg": "Dropped: %(exception)s", "args": {"exception": exception}}
        return dropped(item, exception, response, spider)

    formatter.dropped = quiet
    formatter._syndup_quiet = True


def _plain(value: Any) -> Any:
    """A scraped value as a string: lists (several authors) joined, None kept."""
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value) or None
    return value

"""A Scrapy item pipeline that asks a syndup index about every article a spider scrapes.

    # settings.py of a Scrapy project
    ITEM_PIPELINES = {"syndup.contrib.scrapy.SyndupPipeline": 300}
    SYNDUP_INDEX = "articles.syndup"          # or "redis://host:6379/0?prefix=news" for many crawlers
    SYNDUP_ACTION = "tag"                     # "tag": add the matches to the item; "drop": drop copies

Each item is added to the index (set SYNDUP_ADD = False to only check). With "tag", the item gets a
`syndup_matches` field: a list of {doc_id, relation, jaccard, containment, containment_other}, best
first, empty when it matches nothing. With "drop", an item whose matches include a relation in
SYNDUP_DROP_RELATIONS (default duplicate and copy) is dropped; partial reuse is kept.

Field names are settings: SYNDUP_ID_FIELD ("url"), SYNDUP_TEXT_FIELD ("text"), SYNDUP_URL_FIELD
("url"), SYNDUP_TITLE_FIELD ("title"), SYNDUP_SITE_FIELD ("site"), SYNDUP_PUBLISHED_FIELD
("published"), SYNDUP_AUTHOR_FIELD ("author"), SYNDUP_MATCHES_FIELD ("syndup_matches").
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError, require

ACTIONS = ("tag", "drop")
DEFAULT_FIELDS = {"id": "url", "text": "text", "url": "url", "title": "title", "site": "site",
                  "published": "published", "author": "author", "matches": "syndup_matches"}


class SyndupPipeline:
    """Tag each scraped article with what it duplicates or copies, or drop the copies."""

    def __init__(self, index: str, *, action: str = "tag", add: bool = True,
                 drop_relations: tuple[str, ...] = ("duplicate", "copy"),
                 fields: dict[str, str] | None = None) -> None:
        if action not in ACTIONS:
            raise InputError(f"SYNDUP_ACTION must be one of {', '.join(ACTIONS)}, got {action!r}")
        self.target = index
        self.action = action
        self.add = add
        self.drop_relations = frozenset(drop_relations)
        self.fields = {**DEFAULT_FIELDS, **(fields or {})}
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
        return cls(str(target), action=s.get("SYNDUP_ACTION", "tag"), add=s.getbool("SYNDUP_ADD", True),
                   drop_relations=tuple(s.getlist("SYNDUP_DROP_RELATIONS", ["duplicate", "copy"])),
                   fields=fields)

    def open_spider(self, spider: Any = None) -> None:
        from ..index import Index

        self.index = Index.open(self.target)

    def close_spider(self, spider: Any = None) -> None:
        if self.index is not None:
            self.index.close()
            self.index = None

    def process_item(self, item: Any, spider: Any = None) -> Any:
        """Add (or check) the item's article; tag the item or drop it if it copies an indexed one."""
        from itemadapter import ItemAdapter

        exceptions = require("scrapy.exceptions", "scrapy", "The Scrapy pipeline")
        adapter = ItemAdapter(item)
        f = self.fields
        text = adapter.get(f["text"])
        if not isinstance(text, str) or not text.strip():
            raise exceptions.DropItem(f"no text in field {f['text']!r} (set SYNDUP_TEXT_FIELD to the field "
                                      f"that holds the article text)")
        meta = {name: _plain(adapter.get(f[name])) for name in ("url", "title", "site", "published", "author")}
        if self.add:
            doc_id = adapter.get(f["id"])
            if doc_id in (None, ""):
                raise exceptions.DropItem(f"no id in field {f['id']!r} (set SYNDUP_ID_FIELD)")
            matches = self.index.add(str(doc_id), text, replace=True, **meta)
        else:
            matches = self.index.check(text, **meta)
        if self.action == "drop":
            for m in matches:
                if m.relation in self.drop_relations:
                    raise exceptions.DropItem(f"{m.relation} of {m.doc_id} (jaccard {m.jaccard:.2f})")
        try:
            adapter[f["matches"]] = [{"doc_id": m.doc_id, "relation": m.relation, "jaccard": m.jaccard,
                                      "containment": m.containment_a_in_b, "containment_other": m.containment_b_in_a}
                                     for m in matches]
        except KeyError as exc:
            raise KeyError(f"{type(item).__name__} has no field {f['matches']!r} for syndup's matches: declare "
                           f"it ({f['matches']} = scrapy.Field()) or set SYNDUP_MATCHES_FIELD") from exc
        return item


def _plain(value: Any) -> Any:
    """A scraped value as a string: lists (several authors) joined, None kept."""
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value) or None
    return value

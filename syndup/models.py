"""Frozen records that flow through the pipeline and come out of it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from .errors import BackendError, InputError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .network import Network
    from .settings import Settings

#: Metadata fields an Article carries besides id and text, with the alternative names accepted on input.
META_FIELDS: dict[str, tuple[str, ...]] = {
    "url": ("url", "link", "uri"),
    "title": ("title", "headline"),
    "site": ("site", "source", "domain", "site_name", "sitename", "publisher"),
    "published": ("published", "date", "published_at", "pubdate", "timestamp"),
    "author": ("author", "authors", "byline"),
    "crawled": ("crawled", "scrape_time", "fetched", "crawl_date"),
}

_ALIASES = frozenset(alias for aliases in META_FIELDS.values() for alias in aliases)


@dataclass(frozen=True)
class Article:
    """One input article: its id, its text, and what is known about where it came from."""

    id: str
    text: str
    url: str | None = None
    title: str | None = None
    site: str | None = None
    published: str | None = None
    author: str | None = None
    #: when the page was fetched (a crawl's WARC-Date, a scraper's time): it was published no
    #: later than that, and it is never taken for `published`.
    crawled: str | None = None
    #: where the article was read: "path" or "path:line"; used in warnings and to re-read text.
    origin_ref: str | None = None
    #: where `published` came from when an HTML page gave it: "page" (its metadata, `<time>`,
    #: JSON-LD) or "url" (a date in its URL); None for a date the record gave (or none).
    published_source: str | None = None

    @classmethod
    def from_mapping(cls, record: Mapping[str, object], *, id_field: str = "id",
                     text_field: str = "text", default_id: str | None = None,
                     origin_ref: str | None = None,
                     aliases: Mapping[str, tuple[str, ...]] = META_FIELDS) -> Article:
        """Build an Article from a dict, accepting the usual alternative field names (or, for a
        field `aliases` maps to other names, those: `read.Fields` names a CSV's columns)."""
        raw_id = record.get(id_field)
        if raw_id is None or (isinstance(raw_id, float) and raw_id != raw_id) or str(raw_id) == "":
            if default_id is None:
                raise InputError(f"record has no {id_field!r} field")
            raw_id = default_id
        text = record.get(text_field)
        if text is None and text_field == "text":
            text = record.get("html") or record.get("content") or record.get("body")
        if text is None or (isinstance(text, float) and text != text):
            raise InputError(f"record {raw_id!r} has no {text_field!r} field")
        if not isinstance(text, str):
            raise InputError(f"record {raw_id!r}: {text_field!r} is {type(text).__name__}, expected a string")
        meta: dict[str, str | None] = dict.fromkeys(META_FIELDS)
        names = _ALIASES if aliases is META_FIELDS else frozenset().union(*aliases.values())
        present = names.intersection(record.keys())  # usually a few names: look only at those
        for name, names_of in aliases.items() if present else ():
            if present.isdisjoint(names_of):
                continue
            value = None
            for alias in names_of:
                got = record.get(alias)
                if got is not None and not (isinstance(got, float) and got != got) and str(got).strip():
                    value = got if isinstance(got, str) else _stringify(got)
                    break
            meta[name] = value
        return cls(id=str(raw_id), text=text, origin_ref=origin_ref, **meta)


def _stringify(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):
        return str(isoformat())
    return str(value)


@dataclass(frozen=True)
class Problem:
    """A record or file that was skipped or repaired, with where and why (one warning line)."""

    where: str
    reason: str
    skipped: bool = True

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


#: How much more of the other one of two copies must hold (in containment: the share of the other's
#: shingles found in it, less the share of its own found in the other) to be the fuller version.
FULLER_MARGIN = 0.1


@dataclass(frozen=True)
class Match:
    """A verified relation between an article (a: the one checked or added) and `doc_id` (b), an
    article seen before.

    The containment figures are named as in `Relation` and the pairs table, a_in_b being the share
    of a's shingles found in b. In the documents table, `containment_in_origin` is an article's
    containment_a_in_b with b its origin, `origin_containment` its containment_b_in_a.
    """

    doc_id: str
    relation: str
    jaccard: float
    containment_a_in_b: float
    """Share of the checked article found in `doc_id`."""
    containment_b_in_a: float
    """Share of `doc_id` found in the checked article."""
    passage_words: int = 0
    """The longest passage the two share, in words (as `Relation.passage_words`; 0 where not measured)."""

    @property
    def fuller(self) -> str | None:
        """Which of the two is the fuller version: "a" (the article checked or added) when it holds
        more of `doc_id` than `doc_id` holds of it, by `FULLER_MARGIN` or more (a truncated repost
        against the whole article); "b" the other way round; None when neither (duplicates, copies
        that cut and add about as much). Since both shares count the same shared shingles, the
        fuller one is the one with more shingles (after boilerplate)."""
        margin = self.containment_b_in_a - self.containment_a_in_b
        return "a" if margin >= FULLER_MARGIN else "b" if margin <= -FULLER_MARGIN else None

    @property
    def containment(self) -> float:
        """Former name of `containment_a_in_b` (and the `containment` column of `Index.add_scan`)."""
        return self.containment_a_in_b

    @property
    def containment_other(self) -> float:
        """Former name of `containment_b_in_a` (and the `containment_other` column of `Index.add_scan`)."""
        return self.containment_b_in_a


class Texts(Protocol):
    """Where a `ScanResult` finds its articles: the scan's `spill.TextStore`, or for a loaded
    scan (`syndup.load`) its corpus read again."""

    @property
    def closed(self) -> bool: ...

    def __getitem__(self, doc_id: str, /) -> Article: ...
    def __iter__(self) -> Iterator[str]: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class OriginChoice:
    """The article taken for the origin of a group of copies (`Index.origin`), by which rule of
    `clusters.csv`'s `origin_rule` and how sure (`origin_confidence`, 0 to 1)."""

    doc_id: str
    rule: str
    confidence: float


@dataclass(frozen=True)
class ScanResult:
    """What `syndup.scan` found: three tables (and, on first use, `sites` and `network`), the
    warnings, and access to the texts.

    The texts live in a temporary file until `close()` (or the end of a `with` block) deletes it;
    the tables stay usable after that.
    """

    documents: pd.DataFrame
    pairs: pd.DataFrame
    clusters: pd.DataFrame
    problems: tuple[Problem, ...]
    settings: Settings
    articles_read: int
    #: normalized paragraph hashes judged boilerplate in this corpus (for diffs and reports).
    boilerplate: frozenset[int] = field(default_factory=frozenset)
    _texts: Texts = field(kw_only=True, repr=False)
    #: processes that compute `sites` and `network` (the scan's `jobs`; None: all cores).
    _jobs: int | None = field(default=None, kw_only=True, repr=False)

    #: sites and network read back with the tables (`syndup.load`), else computed on first use.
    _loaded: Network | None = field(default=None, kw_only=True, repr=False)

    @cached_property
    def _network(self) -> Network:
        """Sites and the network, computed on first use (a diff per copy: the texts must be open)."""
        from .network import analyse

        if self._loaded is not None:
            return self._loaded

        if self._texts.closed:
            raise BackendError("this scan result is closed before its sites and network were computed: they "
                               "diff every copy against its origin, whose texts close() deleted; read "
                               "`result.sites` or `result.network` before closing")
        from .execution import Execution

        return analyse(self.documents, self.pairs, self.clusters, self.text, self.boilerplate,
                       Execution.local(self._jobs))

    @property
    def sites(self) -> pd.DataFrame:
        """One row per site: articles, originals, copies made and suffered, credits (`network.SITE_COLUMNS`)."""
        return self._network.sites

    @property
    def network(self) -> pd.DataFrame:
        """One row per (origin site -> copying site): copies, lags, change habits (`network.NETWORK_COLUMNS`)."""
        return self._network.network
    #: where the input's records can be read again for `deduplicated` (a `dedup.Reread` or a DataFrame).
    _input: object = field(default=None, kw_only=True, repr=False)

    def article(self, doc_id: str) -> Article:
        """The article with this id, as read."""
        if self._texts.closed:
            raise BackendError("this scan result is closed: its texts were in a temporary file that close() "
                               "deleted; read them before closing (the tables stay usable)")
        try:
            return self._texts[doc_id]
        except KeyError:
            raise KeyError(f"no article with id {doc_id!r} in this scan") from None

    def text(self, doc_id: str) -> str:
        """The text of the article with this id, as read (after HTML extraction)."""
        return self.article(doc_id).text

    def deduplicated(self, keep: str = "origin") -> pd.DataFrame:
        """The input's records but the copies, in input order, with every column they came with:
        of each cluster of copies one member is kept, the `origin`, the `longest` (most words) or
        the `earliest` published (`syndup.dedup.KEEP`); articles alone and partial reuses stay."""
        from .dedup import deduplicated

        return deduplicated(self, keep)

    def members(self, cluster_id: int) -> pd.DataFrame:
        """The rows of `documents` in one cluster, origin first."""
        rows = self.documents[self.documents["cluster_id"] == cluster_id]
        return rows.sort_values(["role", "doc_id"], key=lambda s: s.map(_ROLE_ORDER) if s.name == "role" else s)

    def __iter__(self) -> Iterator[str]:
        """The ids of the articles read, in id order."""
        return iter(self._texts)

    def close(self) -> None:
        """Delete the temporary file of the texts now, rather than when the result is collected."""
        self._texts.close()

    def __enter__(self) -> ScanResult:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


_ROLE_ORDER = {"origin": 0, "copy": 1, "unique": 2}

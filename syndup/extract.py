"""Reduce an HTML page to its article: main text and metadata, so page chrome never counts as words.

With the `html` extra installed, trafilatura finds the main text (menus, share buttons, related
links, ads, scripts and reader comments dropped) and the title, date, author, site name and
canonical URL. A date counts only where the page states it (metadata, `<time datetime>`, JSON-LD,
the URL), never one guessed from a year in the body text. A trafilatura that is missing, or
installed but fails to import, raises `MissingDependency` naming the fix. Asked for by
`SYNDUP_EXTRACTOR=basic`, a small standard-library parser keeps the visible text of block
elements and reads the same metadata from `<meta>` tags, but cannot tell chrome from article.

Either way, a page whose text has no passage of running prose outside links (a section front,
a list of headlines, an empty or error page) is not an article: it is skipped, with the reason.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from .errors import InputError, MissingDependency, optional

if TYPE_CHECKING:  # pragma: no cover
    from .models import Article, Problem

#: An article needs a passage of at least this many words, outside links, in a row.
MIN_RUNNING_WORDS = 30

_HTML_SNIFF = re.compile(r"<\s*(!doctype|html|head|body|p|div|article|br|span|section|h[1-6])\b", re.I)
_SKIP = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object", "canvas"}
_BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section",
          "article", "header", "footer", "blockquote", "tr", "table", "pre", "figure",
          "figcaption", "nav", "aside", "main", "hr", "dd", "dt", "title"}
_WORD = re.compile(r"\w+")
# <meta> names and properties that carry metadata, for the standard-library parser.
_META = {"og:title": "title", "twitter:title": "title", "article:published_time": "published",
         "datepublished": "published", "date": "published", "author": "author",
         "article:author": "author", "og:site_name": "site", "application-name": "site",
         "og:url": "url"}


def looks_like_html(text: str) -> bool:
    """True when a text is HTML markup rather than plain text (checks its first 2,000 chars)."""
    head = text[:2000].lstrip()
    return head.startswith("<") and bool(_HTML_SNIFF.search(head))


@dataclass(frozen=True)
class Extracted:
    """The article found in one HTML page: its text, and what the page states about it in `meta`:
    `title`, `published`, `author`, `site` (the site's name as the page gives it, "Reuters", not
    its host), `url` (the canonical URL it declares) and `published_source` ("page" or "url":
    where the date was found); None where the page says nothing."""

    text: str
    meta: Mapping[str, str | None]


#: The extractors `SYNDUP_EXTRACTOR` (or `syndup scan --extractor`) names; trafilatura is the default.
EXTRACTORS = ("trafilatura", "basic")
_PURPOSE = "Extracting articles from HTML"


def extractor_name() -> str:
    """The extractor asked for: `SYNDUP_EXTRACTOR` (read in every process, so workers agree)."""
    name = os.environ.get("SYNDUP_EXTRACTOR", "").strip().lower() or "trafilatura"
    if name not in EXTRACTORS:
        raise InputError(f"SYNDUP_EXTRACTOR={name!r} is not an HTML extractor; expected one of {', '.join(EXTRACTORS)}")
    return name


def describe_extractor() -> str:
    """Which extractor reduces HTML pages, for `syndup --version`: its name and version, or why
    it cannot run and the fix."""
    if extractor_name() == "basic":
        return "HTML: syndup's basic parser (SYNDUP_EXTRACTOR=basic: menus and notices stay in the text)"
    try:
        found = optional("trafilatura", "html", _PURPOSE)
    except MissingDependency as exc:
        return f"HTML: trafilatura is broken ({exc.broken}): pip install 'syndup[html]'"
    if found is None:
        return "HTML: no extractor, HTML input is an error: pip install 'syndup[html]'"
    from importlib.metadata import version

    return f"HTML: trafilatura {version('trafilatura')}"


def extract_html(html: str, *, url: str | None = None, keep_comments: bool = False) -> Extracted:
    """The article in an HTML page; raises ValueError saying why when the page has none.

    The extractor is trafilatura (the `html` extra); one that is missing or installed but broken
    is `MissingDependency` naming the fix, never a silent fallback that would count menus and
    cookie notices as article text. `SYNDUP_EXTRACTOR=basic` asks for the basic parser instead.
    """
    if extractor_name() == "basic":
        return _extract_basic(html)
    trafilatura = optional("trafilatura", "html", _PURPOSE)
    if trafilatura is None:
        raise MissingDependency("trafilatura", "html", "Reading HTML (unless --extractor basic, which keeps menus "
                                "and notices as text)")
    return _extract_trafilatura(trafilatura, html, url, keep_comments)


def extract_article(article: Article, where: str, *,
                    keep_comments: bool = False) -> tuple[Article | None, Problem | None]:
    """Replace an HTML article's text by its article text and fill in missing metadata from the page.

    Metadata given with the record wins over the page's; `site` falls back to the URL's host,
    then to the site name the page declares. Returns (None, problem) for a page with no article.
    """
    import dataclasses

    from .cluster import host_of
    from .models import Problem

    try:
        page = extract_html(article.text, url=article.url, keep_comments=keep_comments)
    except ValueError as exc:
        return None, Problem(where, f"record {article.id!r}: {exc}")
    meta = page.meta
    url = article.url or meta["url"]
    return dataclasses.replace(
        article, text=page.text, url=url, title=article.title or meta["title"],
        site=article.site or host_of(url) or meta["site"], published=article.published or meta["published"],
        published_source=article.published_source if article.published else meta.get("published_source"),
        author=article.author or meta["author"]), None


def _extract_trafilatura(trafilatura: Any, html: str, url: str | None, keep_comments: bool) -> Extracted:
    # trafilatura and lxml raise many types on odd input (ParserError, ValueError, TypeError, ...);
    # any of them means this one page cannot be read, never that the scan must stop.
    try:
        tree = trafilatura.load_html(html)
        if tree is None:
            raise ValueError("not parseable as HTML")
        anchors = _anchor_texts(a.text_content() for a in tree.iter("a"))
        doc = trafilatura.bare_extraction(
            tree, url=url, with_metadata=True, include_comments=keep_comments, include_tables=True,
            # Only a date the page states (its metadata, <time>, JSON-LD, the URL): the extensive
            # search guesses one from any year in the body text ("2006-01-01").
            date_extraction_params={"original_date": True, "extensive_search": False,
                                    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
                                    "max_date": datetime.now().astimezone().strftime("%Y-%m-%d")})
    except Exception as exc:  # noqa: BLE001 - see above
        raise ValueError(f"HTML could not be parsed ({type(exc).__name__}: {exc})") from exc
    text = (doc.text or "").strip() if doc is not None else ""
    if not text:
        raise ValueError("no article in this HTML page (no main text found)")
    _check_running_text(text, anchors)
    comments = (doc.comments or "").strip() if keep_comments else ""
    published = _iso_date(doc.date)
    return Extracted(text + "\n\n" + comments if comments else text, {
        "title": doc.title or None, "published": published, "author": doc.author or None,
        "site": doc.sitename or None, "url": doc.url or None,
        "published_source": _date_source(published, url or doc.url)})


def _extract_basic(html: str) -> Extracted:
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    raw = "".join(parser.parts)
    paras = [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", raw)]
    text = "\n\n".join(p for p in paras if p)
    if not text:
        raise ValueError("no article in this HTML page (no visible text)")
    _check_running_text(text.replace("\n\n", "\n"), _anchor_texts(parser.anchors))
    meta = parser.meta
    title = meta.get("title") or re.sub(r"\s+", " ", "".join(parser.title)).strip() or None
    published = _iso_date(meta.get("published"))
    return Extracted(text, {"title": title, "published": published,
                            "author": meta.get("author"), "site": meta.get("site"),
                            "url": parser.canonical or meta.get("url"),
                            "published_source": "page" if published else None})


def _anchor_texts(texts: Any) -> set[tuple[str, ...]]:
    out = set()
    for text in texts:
        words = tuple(_WORD.findall(text.lower()))
        if words:
            out.add(words)
    return out


def _check_running_text(text: str, anchors: set[tuple[str, ...]]) -> None:
    """Raise ValueError when no passage of MIN_RUNNING_WORDS words lies outside links.

    Article text is paragraphs of prose in a row; an index page alternates headline links with
    short teasers, so its longest link-free passage stays short however long the page is.
    """
    longest = run = links = 0
    max_anchor = max((len(a) for a in anchors), default=0)
    for line in text.splitlines():
        words = tuple(_WORD.findall(line.lower()))
        if not words:
            continue
        if _is_link(words, anchors, max_anchor):
            links += 1
            run = 0
        else:
            run += len(words)
            longest = max(longest, run)
    if longest < MIN_RUNNING_WORDS:
        kind = "an index or listing page" if links >= 3 else "too short to be an article"
        raise ValueError(f"no article in this HTML page ({kind}: its longest passage of text outside "
                         f"links is {longest} words, {MIN_RUNNING_WORDS} needed; {links} lines are links)")


def _is_link(words: tuple[str, ...], anchors: set[tuple[str, ...]], max_anchor: int) -> bool:
    # A line is a link when the text of one link starts it and covers at least half of it:
    # "Headline" alone, or "Headline  Teaser" in one list item. Links inside prose do not count.
    lowest = (len(words) + 1) // 2
    return any(words[:k] in anchors for k in range(min(len(words), max_anchor), lowest - 1, -1))


_URL_DATE = re.compile(r"(?<!\d)(20\d\d|19\d\d)[/_-]?(0[1-9]|1[0-2])[/_-]?(0[1-9]|[12]\d|3[01])(?!\d)")


def _date_source(published: str | None, url: str | None) -> str | None:
    """Where trafilatura's date came from: "url" when the URL holds that day (htmldate reads the
    URL first), else "page" (metadata, `<time>`, JSON-LD); None without a date."""
    if not published:
        return None
    day = published[:10].replace("-", "")
    return "url" if url and any("".join(m.groups()) == day for m in _URL_DATE.finditer(url)) else "page"


def _iso_date(raw: str | None) -> str | None:
    """An ISO 8601 date, with the time only when the page gives one (midnight means no time)."""
    if not raw:
        return None
    raw = raw.strip()
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            when = datetime.strptime(raw, fmt)
        except ValueError:
            continue
        if (when.hour, when.minute, when.second) == (0, 0, 0):
            return when.date().isoformat()
        return when.isoformat()
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).isoformat()
    except ValueError:
        return raw


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.title: list[str] = []
        self.in_title = False
        self.anchors: list[str] = []
        self.anchor_depth = 0
        self.meta: dict[str, str] = {}
        self.canonical: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
        elif tag == "meta":
            self._meta(dict(attrs))
        elif tag == "link":
            got = dict(attrs)
            if (got.get("rel") or "").lower() == "canonical" and got.get("href"):
                self.canonical = got["href"]
        elif tag == "a":
            self.anchor_depth += 1
            self.anchors.append("")
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def _meta(self, attrs: dict[str, str | None]) -> None:
        key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").lower()
        name, content = _META.get(key), (attrs.get("content") or "").strip()
        if name and content and name not in self.meta:
            self.meta[name] = content

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            self._meta(dict(attrs))
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        elif tag == "a":
            self.anchor_depth = max(0, self.anchor_depth - 1)
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        if not self.skip_depth:
            self.parts.append(data)
            if self.anchor_depth and self.anchors:
                self.anchors[-1] += data

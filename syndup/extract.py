"""Reduce HTML to article text, so tags, scripts and styles are never counted as words.

With the `html` extra installed, trafilatura finds the main text and metadata of a page; without
it, a small standard-library parser keeps the visible text of block elements and drops scripts,
styles and other non-text elements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .models import Article, Problem

_HTML_SNIFF = re.compile(r"<\s*(!doctype|html|head|body|p|div|article|br|span|section|h[1-6])\b", re.I)
_SKIP = {"script", "style", "noscript", "template", "svg", "head", "iframe", "object", "canvas"}
_BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section",
          "article", "header", "footer", "blockquote", "tr", "table", "pre", "figure",
          "figcaption", "nav", "aside", "main", "hr", "dd", "dt", "title"}


def looks_like_html(text: str) -> bool:
    """True when a text is HTML markup rather than plain text (checks its first 2,000 chars)."""
    head = text[:2000].lstrip()
    return head.startswith("<") and bool(_HTML_SNIFF.search(head))


@dataclass(frozen=True)
class Extracted:
    """Text and metadata found in one HTML page."""

    text: str
    title: str | None = None


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.title: list[str] = []
        self.in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        if not self.skip_depth:
            self.parts.append(data)


def html_to_text(html: str) -> Extracted:
    """Visible text of an HTML document, one paragraph per block element (standard library only)."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    raw = "".join(parser.parts)
    paras = [re.sub(r"[ \t\r\f\v\n]+", " ", p).strip() for p in re.split(r"\n\s*\n", raw)]
    title = re.sub(r"\s+", " ", "".join(parser.title)).strip() or None
    return Extracted("\n\n".join(p for p in paras if p), title)


def extract_article(article: "Article", where: str) -> "tuple[Article | None, Problem | None]":
    """Replace an HTML article's text by its extracted text; (None, problem) if nothing is left."""
    import dataclasses

    from .models import Problem

    extracted = html_to_text(article.text)
    if not extracted.text.strip():
        return None, Problem(where, f"record {article.id!r}: HTML page with no extractable text")
    return dataclasses.replace(article, text=extracted.text,
                               title=article.title or extracted.title), None


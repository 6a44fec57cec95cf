"""Build realistic web pages and WARC crawls from the seed articles, for the HTML and WARC tests.

Each seed goes inside a different site's chrome: menus, share buttons, related links, a comment
section, a cookie banner and scripts. Every string of chrome is listed in `CHROME` so that tests
can check that none of it reaches the extracted article text.
"""

from __future__ import annotations

import html
import io
import uuid
from dataclasses import dataclass
from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@dataclass(frozen=True)
class Page:
    """One seed article as a web page: where it lives and its HTML."""

    seed: str
    url: str
    html: str


# Per seed (by the 3-digit prefix of its file name): URL, headline, publication date, author.
_META = {
    "000": ("https://www.rt.com/news/381258-us-strike-mosque-syria/",
            "US admits strike on 'Al-Qaeda meeting' in Syria amid reports of deadly mosque attack",
            "2017-03-17T09:41:00+00:00", "RT"),
    "001": ("https://www.globalresearch.ca/us-admits-strike-on-al-qaeda-meeting-in-syria/5580517",
            "US Admits Strike on 'Al-Qaeda meeting' in Syria Amid reports of deadly Mosque Attack Nearby",
            "2017-03-18T14:02:00+00:00", "RT News"),
    "002": ("https://iraqwatch.example.org/2016/10/24/coalition-jets-kirkuk/",
            "Russia Accuses U.S. Coalition Jets Of Killing Civilians Near Kirkuk, Iraq",
            "2016-10-24T08:00:00+00:00", "Staff writer"),
    "003": ("https://news.example.com.au/world/russia-denies-idlib-airstrikes",
            "Russian Federation denies it conducted fatal Idlib airstrikes",
            "2015-11-03T05:30:00+00:00", "Wire services"),
    "004": ("https://sputnik.example.net/middleeast/201703241051931/",
            "US B-52 Bomber Carried Out Strike in Syria's Idlib, Killing Over 20 Civilians",
            "2017-03-24T01:09:00+00:00", "Sputnik"),
}

#: Every piece of chrome text used below; none of it may appear in an extracted article.
CHROME = [
    "Horoscopes Desk", "Weather Radar Tonight", "Podcasts Corner", "Crossword Club",
    "Share on Facebook", "Share on Telegram", "Tweet this story", "Email to a friend",
    "Subscribe to our newsletter for daily digests",
    "We use cookies to improve your experience",
    "Related stories you may have missed",
    "Ten gadgets that changed kitchens forever",
    "Why gardeners love autumn bulbs",
    "trackPageView", "window.dataLayer", "googletag.cmd",
    "All rights reserved by Example Media Holdings",
]

#: Reader comments; they are dropped unless comments are kept.
COMMENTS = [
    "QuietHeron77 wrote: absolutely shocking, who approved this strike",
    "MarbleFox12 wrote: the press release says otherwise, read it again",
]

_SCRIPTS = """
<script>window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);}
gtag('js', new Date()); trackPageView('article');</script>
<script async src="https://securepubads.example/tag/js/gpt.js"></script>
<script>var googletag = googletag || {cmd: []}; googletag.cmd.push(function() {});</script>
<style>.share-bar a { color: #333 } nav ul { display: flex }</style>
"""


def _paragraphs(text: str) -> str:
    return "\n".join(f"<p>{html.escape(line.strip())}</p>" for line in text.splitlines() if line.strip())


def _head(title: str, url: str, date: str, author: str, site_name: str) -> str:
    return f"""<head><meta charset="utf-8"><title>{html.escape(title)} | {site_name}</title>
<link rel="canonical" href="{url}">
<meta property="og:type" content="article"><meta property="og:site_name" content="{site_name}">
<meta property="og:title" content="{html.escape(title)}">
<meta property="article:published_time" content="{date}"><meta name="author" content="{author}">
{_SCRIPTS}</head>"""


def _nav() -> str:
    items = ["Horoscopes Desk", "Weather Radar Tonight", "Podcasts Corner", "Crossword Club"]
    return "<nav class='menu'><ul>" + "".join(
        f"<li><a href='/section/{i}'>{item}</a></li>" for i, item in enumerate(items)) + "</ul></nav>"


def _share() -> str:
    return ("<div class='share-bar'><a href='https://facebook.com/sharer'>Share on Facebook</a> "
            "<a href='https://t.me/share'>Share on Telegram</a> "
            "<a href='https://twitter.com/intent/tweet'>Tweet this story</a> "
            "<a href='mailto:?subject=story'>Email to a friend</a></div>")


def _related() -> str:
    return ("<aside class='related'><h3>Related stories you may have missed</h3><ul>"
            "<li><a href='/lifestyle/gadgets'>Ten gadgets that changed kitchens forever</a></li>"
            "<li><a href='/lifestyle/bulbs'>Why gardeners love autumn bulbs</a></li></ul></aside>")


def _comments() -> str:
    body = "".join(f"<div class='comment'><p>{html.escape(c)}</p></div>" for c in COMMENTS)
    return f"<section id='comments' class='comments'><h3>2 comments</h3>{body}</section>"


def _footer() -> str:
    return ("<div class='cookie-banner'>We use cookies to improve your experience. <button>OK</button></div>"
            "<form class='newsletter'><p>Subscribe to our newsletter for daily digests</p>"
            "<input type='email'></form>"
            "<footer><p>All rights reserved by Example Media Holdings</p></footer>")


def _layout(seed: str, title: str, date: str, author: str, body: str) -> str:
    """Five different page layouts, so that no single template is learned."""
    n = int(seed) % 5
    byline = f"<p class='byline'>By <span class='author'>{html.escape(author)}</span></p>"
    when = f"<time datetime='{date}'>{date[:10]}</time>"
    if n == 0:  # header, share bar above the article, comments below
        return (f"<body><header>{_nav()}</header><main><article><h1>{html.escape(title)}</h1>{when}"
                f"{_share()}<div class='article__text'>{body}</div></article>{_related()}{_comments()}"
                f"</main>{_footer()}</body>")
    if n == 1:  # sidebar layout with divs only
        return (f"<body><div id='top'>{_nav()}</div><div id='wrap'><div id='sidebar'>{_related()}</div>"
                f"<div id='content'><div class='post'><h1 class='entry-title'>{html.escape(title)}</h1>"
                f"{byline}{when}<div class='entry-content'>{body}</div>{_share()}</div>{_comments()}"
                f"</div></div>{_footer()}</body>")
    if n == 2:  # blog with the comments before the footer and share buttons twice
        return (f"<body>{_nav()}<div class='blog-post'>{_share()}<h2 class='post-title'>{html.escape(title)}"
                f"</h2>{when}<div class='post-body'>{body}</div>{_share()}</div>{_comments()}{_related()}"
                f"{_footer()}</body>")
    if n == 3:  # news portal: article inside a section, related links in the middle of the page
        return (f"<body><div class='masthead'>{_nav()}</div><section class='story'><h1>{html.escape(title)}"
                f"</h1>{byline}{when}<div class='story-body'>{body}</div></section>{_related()}{_share()}"
                f"{_comments()}{_footer()}</body>")
    return (f"<body><div class='layout'>{_nav()}<div class='b-article'><div class='b-article__header'>"
            f"<h1>{html.escape(title)}</h1>{when}</div><div class='b-article__text'>{body}</div>"
            f"{_share()}</div>{_comments()}{_related()}</div>{_footer()}</body>")


def seed_texts() -> dict[str, str]:
    """The seed texts by file stem (the ids a plain-text scan gives them)."""
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}


def seed_pages() -> list[Page]:
    """Every seed as an HTML page inside its own site's chrome."""
    pages = []
    for stem, text in seed_texts().items():
        url, title, date, author = _META[stem[:3]]
        host = url.split("/")[2]
        site_name = host.removeprefix("www.").split(".")[0].capitalize()
        doc = ("<!DOCTYPE html>\n<html lang='en'>" + _head(title, url, date, author, site_name)
               + _layout(stem[:3], title, date, author, _paragraphs(text)) + "</html>\n")
        pages.append(Page(stem, url, doc))
    return pages


def index_page() -> str:
    """A section front page: headlines linking to stories, no article of its own."""
    links = "".join(
        f"<li><a href='/news/{i}'>{html.escape(t)}</a> <span class='teaser'>{html.escape(s)}</span></li>"
        for i, (t, s) in enumerate([
            ("US admits strike in Syria", "Pentagon says it hit a meeting."),
            ("Coalition jets blamed for Kirkuk deaths", "Russia's defence ministry accuses the US."),
            ("Moscow denies Idlib raids", "Turkey calls for restraint."),
            ("B-52 bomber strike in Idlib", "General Staff says Russia was not told."),
            ("Aleppo mosque strike: what we know", "Reports of dozens killed."),
            ("Iraq: battle for Mosul enters new phase", "Forces close in from the south."),
            ("Explainer: who controls Idlib?", "A map of the front lines."),
            ("Live: Middle East news as it happens", "Updates through the day."),
        ]))
    return ("<!DOCTYPE html><html><head><title>World news | Example</title>"
            "<meta property='og:type' content='website'>" + _SCRIPTS + "</head><body>" + _nav()
            + "<main><h1>World</h1><ul class='headlines'>" + links + "</ul></main>" + _footer()
            + "</body></html>")


def write_html_folder(folder: Path) -> dict[str, str]:
    """Write every seed page as `<stem>.html`; returns {stem: url}."""
    folder.mkdir(parents=True, exist_ok=True)
    for page in seed_pages():
        (folder / f"{page.seed}.html").write_text(page.html, encoding="utf-8")
    return {p.seed: p.url for p in seed_pages()}


def write_crawl(path: Path, *, extras: bool = True, pages: list[Page] | None = None) -> dict[str, str]:
    """Write a gzipped WARC of the seed pages, like a crawler would; returns {url: seed stem}.

    With `extras`, each page's request record is written too, plus a warcinfo record, a metadata
    record and a non-HTML (image) response, none of which are articles.
    """
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    class SameBytesWriter(WARCWriter):  # type: ignore[misc]
        """Record ids and default dates fixed, so a test that garbles bytes at an offset garbles
        the same bytes every run (warcio draws a random uuid per record)."""

        made = 0

        def _make_warc_id(self) -> str:  # type: ignore[override]
            self.made += 1
            return f"<urn:uuid:{uuid.UUID(int=self.made)}>"

        def curr_warc_date(self) -> str:
            return "2017-03-19T12:00:00Z"

    pages = seed_pages() if pages is None else pages
    with open(path, "wb") as fh:
        writer = SameBytesWriter(fh, gzip=path.name.endswith(".gz"))
        if extras:
            writer.write_record(writer.create_warcinfo_record(path.name, {"software": "syndup-tests"}))
        for n, page in enumerate(pages):
            date = f"2017-03-{20 + n % 8:02d}T12:00:{n % 60:02d}Z"
            if extras:
                req = StatusAndHeaders(f"GET /{page.url.split('/', 3)[3]} HTTP/1.1",
                                       [("Host", page.url.split("/")[2]), ("User-Agent", "tests")],
                                       is_http_request=True)
                writer.write_record(writer.create_warc_record(
                    page.url, "request", http_headers=req, warc_headers_dict={"WARC-Date": date}))
            body = page.html.encode("utf-8")
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                               ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                page.url, "response", payload=io.BytesIO(body), http_headers=http,
                warc_headers_dict={"WARC-Date": date}))
        if extras:
            png = b"\x89PNG\r\n\x1a\n" + bytes(64)
            http = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                "https://www.rt.com/static/logo.png", "response", payload=io.BytesIO(png), http_headers=http))
            writer.write_record(writer.create_warc_record(
                pages[0].url, "metadata", payload=io.BytesIO(b"outlinks: https://www.rt.com/\n"),
                warc_content_type="application/warc-fields"))
    return {p.url: p.seed for p in pages}

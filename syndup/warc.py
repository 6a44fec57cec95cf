"""Read the HTML pages of a web crawl (.warc, .warc.gz, .arc.gz) as articles.

Every `response` record with an HTTP 2xx status and an HTML payload is one article: its id is the
WARC-Record-ID (or its URL, with `id_by="url"`), its url the WARC-Target-URI, its `published`
date the one the page states (or none), and its `crawled` date the WARC-Date: when it was fetched,
which only says it was published no later. The page is reduced to its article text by
`syndup.extract`.

Everything else (request, metadata, revisit, warcinfo and resource records, non-HTML payloads,
redirects and error pages) is counted and reported in one warning per file. A record that cannot
be parsed is one warning and reading resumes at the next record; a file cut off in the middle of
a record (or of a gzip member) gives one warning and keeps every record before the break.

An article's `origin_ref` is "path@offset", the byte offset of its record in the file (as in CDX
indexes), so a record can be found again with `warcio extract path offset`.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from .errors import InputError, require
from .execution import Execution
from .extract import extract_article, looks_like_html
from .models import Article, Problem
from .read import DEFAULT_LIMITS, ReadLimits, decode, record_too_large

Item = Article | Problem

ID_CHOICES = ("record", "url")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# Payloads that may be HTML served without a useful type: sniff them.
_SNIFF_TYPES = ("", "application/octet-stream", "text/plain", "unk", "no-type", "unknown")
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.I)
# WHATWG: these labels mean windows-1252 in HTML.
_CP1252 = {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii", "cp819"}
#: Pages handed to a worker process at a time.
_CHUNK = 16


def read_warc(path: str | Path, *, id_by: str = "record", keep_comments: bool = False,
              workers: int = 1, limits: ReadLimits = DEFAULT_LIMITS) -> Iterator[Item]:
    """Yield an Article for every HTML page in a WARC file, and a Problem for everything skipped.

    `workers` > 1 extracts pages in that many processes; articles come out in file order anyway.
    A payload over `limits.max_record_bytes` is one warning and is skipped.
    """
    if id_by not in ID_CHOICES:
        raise InputError(f"WARC id must be one of {', '.join(ID_CHOICES)}; got {id_by!r}")
    pages = _pages(Path(path), id_by, limits)
    if workers > 1:
        yield from _extract_parallel(pages, keep_comments, workers)
        return
    for item in pages:
        if isinstance(item, Problem):
            yield item
        else:
            yield from _extract_one(item, keep_comments)


def _extract_one(page: Article, keep_comments: bool) -> list[Item]:
    """Extract one page (its crawl date stays in `crawled`; `published` is the page's own)."""
    where = f"{page.origin_ref} <{page.url}>" if page.url else str(page.origin_ref)
    article, problem = extract_article(page, where, keep_comments=keep_comments)
    return ([] if problem is None else [problem]) + ([] if article is None else [article])


def _extract_chunk(items: list[Item], keep_comments: bool) -> list[Item]:
    """Extract a chunk's pages (in a worker process); its problems pass through in place."""
    return [out for item in items
            for out in ([item] if isinstance(item, Problem) else _extract_one(item, keep_comments))]


def _extract_parallel(pages: Iterator[Item], keep_comments: bool, workers: int) -> Iterator[Item]:
    """Pages extracted in `workers` processes, a bounded number of chunks in flight (a crawl of
    any size is never all in memory), in file order."""
    def chunks() -> Iterator[tuple[list[Item], bool]]:
        chunk: list[Item] = []
        for item in pages:
            chunk.append(item)
            if len(chunk) >= _CHUNK:
                yield chunk, keep_comments
                chunk = []
        if chunk:
            yield chunk, keep_comments

    for done in Execution(workers).map_chunks(_extract_chunk, chunks(), parallel=True):
        yield from done


def _pages(path: Path, id_by: str, limits: ReadLimits) -> Iterator[Item]:
    """The HTML pages of a WARC file, text not yet extracted."""
    require("warcio", "warc", "Reading WARC files")
    import logging

    from warcio.archiveiterator import ArchiveIterator

    # warcio logs odd URLs without a handler of its own; our warnings already say what matters.
    quiet = logging.getLogger("warcio")
    if not quiet.handlers:
        quiet.addHandler(logging.NullHandler())

    counts: Counter[str] = Counter()
    try:
        size = path.stat().st_size
        fh = open(path, "rb")
    except OSError as exc:
        yield Problem(str(path), f"cannot read file: {exc.strerror or exc}")
        return
    with fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
        start = end = 0
        while start < size:
            fh.seek(start)
            iterator = ArchiveIterator(fh, arc2warc=True)
            end = start
            try:
                for record in iterator:
                    offset = iterator.offset
                    items = _page(record, path, offset, id_by, counts, limits)
                    length = iterator.get_record_length()  # reads the record to its end
                    broken = _truncated(record, iterator, gzipped)
                    if broken:
                        yield Problem(f"{path}@{offset}", f"file ends in the middle of a record ({broken}); "
                                                           f"the {counts.total() - 1} records before it were read")
                        return
                    end = offset + length
                    yield from items
            except Exception as exc:  # noqa: BLE001 - warcio raises many types for one bad record
                restart = _next_record_start(fh, end + 1, gzipped)
                why = _why(exc)
                if restart is None:  # nothing readable after it: the file was cut off here
                    yield Problem(f"{path}@{end}", f"file ends in the middle of a record ({why}); "
                                                   f"the {counts.total()} records before it were read")
                    return
                counts["unparseable"] += 1
                yield Problem(f"{path}@{end}", f"record cannot be parsed ({why}); reading resumes at byte "
                                               f"{restart}")
                start = restart
                continue
            break
        if end < size and not _only_blank(fh, end):
            yield Problem(f"{path}@{end}", f"file ends early or is corrupt: its last {size - end} bytes hold no "
                                           f"complete record; the {counts.total()} records before them were read")
            return
    note = _summary(counts)
    if note:
        yield Problem(str(path), note, skipped=False)


def _page(record: Any, path: Path, offset: int, id_by: str, counts: Counter[str], limits: ReadLimits) -> list[Item]:
    """One record as an (unextracted) Article, or Problems, or nothing when it is not a page."""
    rec_type = record.rec_type
    if rec_type != "response":
        counts[rec_type or "untyped"] += 1
        return []
    headers = record.rec_headers
    url = headers.get_header("WARC-Target-URI") or None
    where = f"{path}@{offset}" + (f" <{url}>" if url else "")
    http = record.http_headers
    status = http.get_statuscode() if http is not None else None
    if status and not str(status).startswith("2"):
        counts[f"status {status}"] += 1
        return []
    ctype = (http.get_header("Content-Type") if http is not None else None) or ""
    mime = ctype.split(";")[0].strip().lower()
    if mime not in _HTML_TYPES and mime not in _SNIFF_TYPES:  # images, PDFs, video: never read
        counts[f"type {mime}"] += 1
        return []
    try:
        stream = record.content_stream()
        data = stream.read(2000)
        if mime in _SNIFF_TYPES and not looks_like_html(data.decode("latin-1")):
            counts[f"type {mime or 'unknown'}"] += 1
            return []
        data += stream.read(limits.max_record_bytes + 1 - len(data))
    except Exception as exc:  # noqa: BLE001 - a bad chunked/gzip/brotli body is one record's problem
        counts["undecodable"] += 1
        return [Problem(where, f"payload cannot be decoded ({_why(exc)})")]
    if len(data) > limits.max_record_bytes:
        counts["oversized"] += 1
        return [Problem(where, f"payload {record_too_large(limits)}")]
    counts["html"] += 1
    text, problem = _decode(data, _charset(ctype), where)
    record_id = (headers.get_header("WARC-Record-ID") or "").strip().strip("<>")
    doc_id = (url if id_by == "url" else record_id) or f"{path.name}@{offset}"
    page = Article(id=doc_id, text=text, url=url, crawled=headers.get_header("WARC-Date") or None,
                   origin_ref=f"{path}@{offset}")
    return [page] if problem is None else [problem, page]


def _truncated(record: Any, iterator: Any, gzipped: bool) -> str | None:
    """Why a record that was read to its end is incomplete, or None when it is whole."""
    declared = (record.rec_headers.get_header("Content-Length") or "").strip()
    if not declared.isdigit():
        return f"Content-Length is {declared!r}, not a number of bytes"
    short = getattr(record.raw_stream, "limit", 0)
    if short > 0:
        return f"{short} bytes of its Content-Length are missing"
    decompressor = getattr(iterator.reader, "decompressor", None)
    if gzipped and decompressor is not None and not decompressor.eof:
        return "its gzip member is cut off"
    return None


def _only_blank(fh: BinaryIO, start: int) -> bool:
    """True when the file holds nothing but line breaks after `start` (record separators)."""
    fh.seek(start)
    return not fh.read(1 << 16).strip(b"\r\n")


def _next_record_start(fh: BinaryIO, start: int, gzipped: bool) -> int | None:
    """Offset of the next gzip member that holds a record (or `WARC/` header line) from `start`."""
    marker = b"\x1f\x8b\x08" if gzipped else b"\nWARC/1."
    block = 1 << 20
    pos = start  # file offset of data[0]
    fh.seek(start)
    data = fh.read(block + 4096)
    while data:
        hit = data.find(marker)
        while 0 <= hit < block:
            if not gzipped:
                return pos + hit + 1
            # The magic bytes also occur by chance inside compressed data: check that a member
            # really starts here and holds a WARC or ARC record.
            try:
                head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[hit:hit + 4096], 64)
            except zlib.error:
                head = b""
            if head.startswith((b"WARC/", b"filedesc:", b"http:", b"https:", b"dns:")):
                return pos + hit
            hit = data.find(marker, hit + 1)
        if len(data) <= block:
            return None
        pos += block  # the 4 KB overlap lets a hit near the end of a block be checked whole
        fh.seek(pos)
        data = fh.read(block + 4096)
    return None


def _charset(content_type: str) -> str | None:
    match = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_:.-]+)", content_type, re.I)
    return match.group(1) if match else None


def _decode(data: bytes, declared: str | None, where: str) -> tuple[str, Problem | None]:
    """Decode a page: as UTF-8 if it is valid UTF-8, else the declared charset, else a detected one."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    meta = _META_CHARSET.search(data[:4096])
    for label in (declared, meta.group(1).decode("ascii", "replace") if meta else None):
        if not label:
            continue
        label = label.strip().lower()
        try:
            return data.decode("cp1252" if label in _CP1252 else label), None
        except (LookupError, UnicodeDecodeError):
            continue
    return decode(data, where)


def _why(exc: BaseException) -> str:
    """What is wrong with a record, in words (never a library's exception name or its raw text)."""
    if isinstance(exc, (zlib.error, EOFError)) or "gzip" in type(exc).__name__.lower():
        return "its compressed data is corrupt"
    if type(exc).__name__ == "ArchiveLoadFailed":
        return "its header is not a WARC or ARC record header"
    if isinstance(exc, UnicodeError):
        return "its header is not text"
    return "it is not a well-formed record"


def _summary(counts: Counter[str]) -> str | None:
    """One line: how many records were read as pages and what the others were."""
    kinds = sorted((k, v) for k, v in counts.items() if " " not in k and k not in ("html", "unparseable"))
    types = sorted((k[5:], v) for k, v in counts.items() if k.startswith("type "))
    statuses = sorted((k[7:], v) for k, v in counts.items() if k.startswith("status "))
    parts = []
    if kinds:
        n = sum(v for _, v in kinds)
        parts.append(f"{', '.join(f'{v} {k}' for k, v in kinds)} record{'s' * (n != 1)}")
    for label, group in (("non-HTML response", types), ("response with HTTP status other than 2xx", statuses)):
        if group:
            n = sum(v for _, v in group)
            label = label.replace("response", "responses") if n != 1 else label
            parts.append(f"{n} {label} ({', '.join(f'{k}: {v}' for k, v in group)})")
    if not parts:
        return None
    return f"{counts.total()} records, {counts['html']} HTML pages; not read as articles: {'; '.join(parts)}"

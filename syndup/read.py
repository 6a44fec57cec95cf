"""Read articles from a corpus: a folder of files, JSONL, CSV, Parquet (and WARC with the extra).

Readers are generators that yield `Article`s and `Problem`s as they go: a broken record becomes one
warning naming the file, the line and the reason, and reading carries on with the next record.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import CorpusNotFound, InputError, require
from .extract import looks_like_html
from .models import Article, Problem

Item = Article | Problem

TEXT_SUFFIXES = (".txt", ".md", ".html", ".htm")
HTML_SUFFIXES = (".html", ".htm")


def corpus_kind(path: Path) -> str:
    """The reader a path needs: folder, jsonl, csv, parquet, warc or text."""
    name = path.name.lower()
    if path.is_dir():
        return "folder"
    for suffix, kind in ((".jsonl", "jsonl"), (".jsonl.gz", "jsonl"), (".ndjson", "jsonl"),
                         (".ndjson.gz", "jsonl"), (".json.gz", "jsonl"), (".csv", "csv"),
                         (".csv.gz", "csv"), (".parquet", "parquet"), (".pq", "parquet"),
                         (".warc", "warc"), (".warc.gz", "warc"), (".arc.gz", "warc")):
        if name.endswith(suffix):
            return kind
    if name.endswith(TEXT_SUFFIXES):
        return "text"
    raise InputError(f"{path}: unknown corpus format (expected a folder, .jsonl[.gz], .csv, "
                     f".parquet, .warc[.gz], .txt, .md or .html)")


def check_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Resolve corpus paths, failing early (one message) on one that does not exist."""
    out = []
    for p in paths:
        path = Path(p)
        if not path.exists():
            raise CorpusNotFound(f"{path}: no such file or folder")
        corpus_kind(path)
        out.append(path)
    return out


def read(paths: Iterable[str | Path], *, id_field: str = "id", text_field: str = "text",
         warc_id: str = "record", keep_comments: bool = False) -> Iterator[Item]:
    """Yield every article (and every problem) in the given corpus paths, in a stable order.

    HTML is reduced to its article text (reader comments dropped unless `keep_comments`);
    WARC records are identified by their WARC-Record-ID, or by their URL with `warc_id="url"`.
    """
    yield from _parsed(read_parts(paths, id_field=id_field, text_field=text_field, warc_id=warc_id,
                                  keep_comments=keep_comments))


def read_parts(paths: Iterable[str | Path], *, id_field: str = "id", text_field: str = "text",
               warc_id: str = "record", keep_comments: bool = False,
               exclude: Iterable[Path] = ()) -> Iterator[Item | JsonlLines]:
    """`read`, with JSONL left as batches of raw lines (`JsonlLines`) for the caller to parse
    where it likes: `scan` parses them in its worker processes. Files of folders below `exclude`
    (the scan's own output folder) are not read."""
    for path in check_paths(paths):
        kind = corpus_kind(path)
        if kind == "folder":
            yield from read_folder(path, keep_comments=keep_comments, exclude=exclude)
        elif kind == "text":
            yield from _read_file(path, path.with_suffix("").name, keep_comments)
        elif kind == "jsonl":
            yield from jsonl_lines(path, id_field=id_field, text_field=text_field, keep_comments=keep_comments)
        elif kind == "csv":
            yield from read_csv(path, id_field=id_field, text_field=text_field, keep_comments=keep_comments)
        elif kind == "parquet":
            yield from read_parquet(path, id_field=id_field, text_field=text_field, keep_comments=keep_comments)
        elif kind == "warc":
            from .warc import read_warc

            yield from read_warc(path, id_by=warc_id, keep_comments=keep_comments)


def decode(data: bytes, where: str) -> tuple[str, Problem | None]:
    """Decode bytes as UTF-8; otherwise detect the encoding (or replace bad bytes) and say so."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    from charset_normalizer import from_bytes

    # charset-normalizer's best() can prefer a multi-byte code page with no coherence at all for
    # mostly-ASCII text with a stray Latin-1 byte; rank by coherence minus chaos instead.
    matches = sorted(from_bytes(data), key=lambda m: (m.chaos - m.coherence, m.encoding))
    best = matches[0] if matches else None
    if best is not None and best.encoding not in ("utf_8", "utf-8"):
        return str(best), Problem(where, f"not UTF-8 (bad byte at offset {first_bad}); "
                                         f"decoded as {best.encoding}", skipped=False)
    return data.decode("utf-8", errors="replace"), Problem(
        where, f"not UTF-8 (bad byte at offset {first_bad}); invalid bytes replaced with U+FFFD",
        skipped=False)


def read_folder(root: Path, *, keep_comments: bool = False, exclude: Iterable[Path] = ()) -> Iterator[Item]:
    """Every .txt/.md/.html/.htm file below `root` is one article (but those below a folder of
    `exclude`); its id is its relative path."""
    base = root.resolve()
    skip = [root / e.resolve().relative_to(base) for e in exclude if e.resolve().is_relative_to(base)]
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name.lower().endswith(TEXT_SUFFIXES)
                   and not any(part.startswith(".") for part in p.relative_to(root).parts)
                   and not any(p.is_relative_to(s) for s in skip))
    for path in files:
        rel = path.relative_to(root).as_posix()
        yield from _read_file(path, rel.rsplit(".", 1)[0], keep_comments)


def _read_file(path: Path, doc_id: str, keep_comments: bool = False) -> Iterator[Item]:
    where = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield Problem(where, f"cannot read file: {exc.strerror or exc}")
        return
    text, problem = decode(data, where)
    if problem:
        yield problem
    record: dict[str, Any] = {"id": doc_id, "text": text}
    if path.name.lower().endswith(HTML_SUFFIXES) or looks_like_html(text):
        record["html"] = True
    yield from _to_article(record, where, "id", "text", None, keep_comments)


def _to_article(record: Mapping[str, Any], where: str, id_field: str, text_field: str,
                default_id: str | None, keep_comments: bool = False) -> Iterator[Item]:
    try:
        article = Article.from_mapping(record, id_field=id_field, text_field=text_field,
                                       default_id=default_id, origin_ref=where)
    except ValueError as exc:
        yield Problem(where, str(exc))
        return
    if record.get("html") is True or looks_like_html(article.text):
        from .extract import extract_article

        extracted, problem = extract_article(article, where, keep_comments=keep_comments)
        if problem is not None:
            yield problem
        if extracted is None:
            return
        article = extracted
    if not article.text or article.text.isspace():
        yield Problem(where, f"record {article.id!r}: empty article (no text)")
        return
    yield article


def _open_blocks(path: Path) -> Iterator[bytes]:
    """The bytes of a file (gunzipped for .gz) in blocks of up to `_BLOCK`, as they are read."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            while block := fh.read1(_BLOCK):
                yield block
    except (OSError, EOFError) as exc:
        raise _Truncated(str(exc)) from exc


_BLOCK = 1 << 20


class _Truncated(Exception):
    pass


@dataclass(frozen=True)
class JsonlLines:
    """Consecutive raw lines of a JSONL file, read but not parsed yet; `items()` parses them."""

    path: Path
    first_line: int        # line number of the first line
    data: bytes            # the lines, each ended by b"\n" (the file's last one may not be)
    count: int             # how many lines
    id_field: str = "id"
    text_field: str = "text"
    keep_comments: bool = False

    def items(self) -> Iterator[Item]:
        """The articles and problems of these lines, as `read_jsonl` gives them."""
        path, id_field, text_field, keep = self.path, self.id_field, self.text_field, self.keep_comments
        for lineno, raw in enumerate(self.data.split(b"\n")[:self.count], start=self.first_line):
            if not raw.strip():
                continue
            where = f"{path}:{lineno}"
            text, problem = decode(raw, where)
            if problem:
                yield problem
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                yield Problem(where, f"not valid JSON ({exc.msg} at column {exc.colno})")
                continue
            if not isinstance(record, dict):
                yield Problem(where, f"expected a JSON object, got {type(record).__name__}")
                continue
            yield from _to_article(record, where, id_field, text_field, f"{path.name}:{lineno}", keep)


#: Lines in each `JsonlLines` batch (and so in each chunk of work a scan gives a worker).
LINES_PER_PART = 1024


def jsonl_lines(path: Path, *, id_field: str = "id", text_field: str = "text", keep_comments: bool = False,
                size: int | None = None) -> Iterator[JsonlLines | Problem]:
    """A JSONL file as batches of up to `size` raw lines (default `LINES_PER_PART`), then a problem
    if the file is cut short (every whole line before the cut is kept) or cannot be read.

    The file is read in blocks and cut at newlines, never line by line: a batch is one bytes object.
    """
    size = size or LINES_PER_PART
    parts: list[bytes] = []  # whole lines not yet in a batch, then maybe the start of one more
    held = 0                 # newlines in parts
    first = 1

    def batch(data: bytes, count: int) -> JsonlLines:
        return JsonlLines(path, first, data, count, id_field, text_field, keep_comments)

    try:
        for block in _open_blocks(path):
            found = block.count(b"\n")
            while held + found >= size:  # a batch ends in this block: cut after its last newline
                cut = -1
                for _ in range(size - held):
                    cut = block.find(b"\n", cut + 1)
                parts.append(block[:cut + 1])
                yield batch(b"".join(parts), size)
                first += size
                block, found = block[cut + 1:], found - (size - held)
                parts, held = [], 0
            if block:
                parts.append(block)
                held += found
    except _Truncated as exc:
        data = b"".join(parts)
        whole = data[:data.rfind(b"\n") + 1]  # a line the cut went through is lost
        if whole:
            yield batch(whole, held)
        yield Problem(f"{path}:{first + held}", f"file ends early or is corrupt ({exc}); records before it kept")
        return
    except PermissionError as exc:
        yield Problem(str(path), f"cannot read file: {exc.strerror}")
        return
    data = b"".join(parts)
    if data:
        yield batch(data, held + (not data.endswith(b"\n")))


def read_jsonl(path: Path, *, id_field: str = "id", text_field: str = "text",
               keep_comments: bool = False) -> Iterator[Item]:
    """One JSON object per line; ids default to `file:line` where a record has none."""
    yield from _parsed(jsonl_lines(path, id_field=id_field, text_field=text_field, keep_comments=keep_comments))


def _parsed(parts: Iterable[Item | JsonlLines]) -> Iterator[Item]:
    """`parts` with every `JsonlLines` replaced by the articles and problems it holds."""
    for part in parts:
        if isinstance(part, JsonlLines):
            yield from part.items()
        else:
            yield part


def read_csv(path: Path, *, id_field: str = "id", text_field: str = "text",
             keep_comments: bool = False) -> Iterator[Item]:
    """A CSV file with a header row; line numbers in warnings are the file's physical lines."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        fh = opener(path, "rb")
    except OSError as exc:
        yield Problem(str(path), f"cannot read file: {exc.strerror or exc}")
        return
    with fh:
        stream = io.TextIOWrapper(fh, encoding="utf-8", errors="surrogateescape", newline="")
        reader = csv.DictReader(stream)
        try:
            fields = reader.fieldnames or []
        except (OSError, EOFError) as exc:
            yield Problem(str(path), f"cannot read file: {exc}")
            return
        if text_field not in fields and not {"html", "content", "body"} & set(fields):
            yield Problem(str(path), f"no {text_field!r} column (columns: {', '.join(fields)}); "
                                     f"use --text-field to name it")
            return
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except (csv.Error, OSError, EOFError) as exc:
                yield Problem(f"{path}:{reader.line_num}", f"unreadable CSV ({exc}); rest of file skipped")
                break
            where = f"{path}:{reader.line_num}"
            if None in row:
                yield Problem(where, f"row has {len(fields) + len(row[None])} fields, header has {len(fields)}",
                              skipped=False)
                del row[None]
            fixed, bad = {}, False
            for key, value in row.items():
                if isinstance(value, str) and _has_surrogates(value):
                    value, bad = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace"), True
                fixed[key] = value if value != "" else None
            if bad:
                yield Problem(where, "not UTF-8; invalid bytes replaced with U+FFFD", skipped=False)
            yield from _to_article(fixed, where, id_field, text_field, f"{path.name}:{reader.line_num}",
                                   keep_comments)


def _has_surrogates(value: str) -> bool:
    try:
        value.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def read_parquet(path: Path, *, id_field: str = "id", text_field: str = "text",
                 keep_comments: bool = False) -> Iterator[Item]:
    """A Parquet file, read in batches; warnings name the row number."""
    pq = require("pyarrow.parquet", "parquet", "Reading Parquet")
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        yield Problem(str(path), f"not a readable Parquet file ({exc})")
        return
    row = 0
    for batch in pf.iter_batches(batch_size=2048):
        for record in batch.to_pylist():
            row += 1
            where = f"{path}:row {row}"
            yield from _to_article(record, where, id_field, text_field, f"{path.name}:{row}", keep_comments)


def from_records(records: Iterable[Any], *, id_field: str = "id", text_field: str = "text",
                 keep_comments: bool = False) -> Iterator[Item]:
    """Articles from Python objects: `Article`s, dicts, or the rows of a pandas DataFrame."""
    if hasattr(records, "to_dict") and hasattr(records, "columns"):
        records = records.to_dict("records")
    for n, record in enumerate(records, start=1):
        where = f"record {n}"
        if isinstance(record, Article):
            if not record.text.strip():
                yield Problem(where, f"record {record.id!r}: empty article (no text)")
            else:
                yield record
        elif isinstance(record, Mapping):
            yield from _to_article(record, where, id_field, text_field, str(n), keep_comments)
        else:
            yield Problem(where, f"expected an Article or a dict, got {type(record).__name__}")

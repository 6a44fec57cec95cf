"""Read articles from a corpus: a folder of files, JSONL, CSV, Parquet (and WARC with the extra).

Which fields of a record hold what is one `Fields`; Parquet and CSV readers take only the columns
it needs (`Fields.columns`). A folder is read file by file, its Parquet parts as one pyarrow
dataset (hive partition keys become columns); `-` is JSONL on stdin.

Readers are generators that yield `Article`s and `Problem`s as they go: a broken record becomes one
warning naming the file, the line and the reason, and reading carries on with the next record.
What one input may cost is bounded by `ReadLimits`: a record, a file or a decompression beyond a
limit is one warning, never a crash, a hang or all the memory.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import errno
import gzip
import importlib
import io
import json
import os
import re
import stat
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from . import kernel
from .errors import CorpusNotFound, InputError, SyndupError, require
from .extract import looks_like_html
from .models import META_FIELDS, Article, Problem

Item = Article | Problem

TEXT_SUFFIXES = (".txt", ".md", ".html", ".htm")
HTML_SUFFIXES = (".html", ".htm")


@dataclass(frozen=True)
class ReadLimits:
    """What reading one input may cost; beyond a limit the record (or the rest of the file) is
    skipped with one warning."""

    max_record_bytes: int = 16 << 20
    """Largest record read: a JSONL line, a CSV field, a text file, a Parquet text, a WARC payload."""
    max_input_bytes: int = 64 << 30
    """Most bytes read from one input file (after decompression); the rest of the file is skipped."""
    max_ratio: float = 100.0
    """Largest decompressed/compressed size of a .gz input (text gzips 3-10x, a bomb ~1000x)."""
    max_warnings: int = 100
    """Warnings shown per input file by `scan`; the rest are counted in one line (all are in `problems`)."""

    def __post_init__(self) -> None:
        for name in ("max_record_bytes", "max_input_bytes", "max_ratio"):
            if not getattr(self, name) > 0:
                raise InputError(f"ReadLimits.{name} must be above 0; got {getattr(self, name)!r}")
        if self.max_warnings < 0:
            raise InputError(f"ReadLimits.max_warnings must be 0 or more; got {self.max_warnings!r}")


DEFAULT_LIMITS = ReadLimits()


@dataclass(frozen=True)
class Fields:
    """Which field of a record holds what: the id, the text, the column of each metadata field in
    `named` (`{"site": "publisher"}`; a field not named is found under its usual names,
    `models.META_FIELDS`); text joined with `paragraph_sep` (say " ### ") is cut into paragraphs there."""

    id: str = "id"
    text: str = "text"
    named: Mapping[str, str | None] = dataclasses.field(default_factory=dict)
    paragraph_sep: str | None = None

    def __post_init__(self) -> None:
        named = {name: column for name, column in self.named.items() if column is not None}
        for name, value in (("id", self.id), ("text", self.text), *named.items()):
            if name not in META_FIELDS and name not in ("id", "text"):
                raise InputError(f"{name!r} is not a field of an article (fields: {', '.join(META_FIELDS)})")
            if not isinstance(value, str) or not value:
                raise InputError(f"the {name} field must be a column name (a non-empty string); got {value!r}")
        if self.paragraph_sep is not None and (not isinstance(self.paragraph_sep, str) or not self.paragraph_sep.strip()):
            raise InputError(f"paragraph_sep must be a string with a visible character; got {self.paragraph_sep!r}")
        object.__setattr__(self, "named", named)

    @property
    def aliases(self) -> Mapping[str, tuple[str, ...]]:
        """The names each metadata field is looked for under, as `Article.from_mapping` takes them
        (`META_FIELDS` itself when no field is named: the fast path)."""
        if not self.named:
            return META_FIELDS
        return {**META_FIELDS, **{name: (column,) for name, column in self.named.items() if column}}

    def columns(self, available: Sequence[str]) -> list[str]:
        """The columns of `available` an article is made of (in their order): what a Parquet or
        CSV reader reads, leaving the others unread."""
        wanted = {self.id, self.text, "html", *(name for names in self.aliases.values() for name in names)}
        if self.text == "text":
            wanted |= {"content", "body"}
        return [c for c in available if c in wanted]

    def paragraphs(self, text: str) -> str:
        """`text` with each `paragraph_sep` a paragraph break."""
        sep = self.paragraph_sep
        return text.replace(sep, "\n\n") if sep and sep in text else text


DEFAULT_FIELDS = Fields()

#: What `-` (stdin) may hold, said where it is refused or misread.
STDIN_FORMATS = "JSONL (one JSON object per line, UTF-8), plain or gzip/zstd-compressed"

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*", re.I)


def parse_size(text: str) -> int:
    """Bytes from a size such as "16M", "1.5G", "64KiB" or "1000" (K, M, G, T are powers of 1024)."""
    match = _SIZE.fullmatch(text)
    if match is None or float(match.group(1)) <= 0:
        raise InputError(f"{text!r} is not a size (a number of bytes, or with K, M, G or T: 16M, 2G)")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def format_size(n: int) -> str:
    """The shortest exact `parse_size` spelling of `n` bytes: 16M, 64G, 1000."""
    for unit in "TGMK":
        if n % _UNITS[unit] == 0:
            return f"{n // _UNITS[unit]}{unit}"
    return str(n)


class ShownWarnings:
    """Passes on the first `limit` problems of each input file and counts the rest, so that a file
    of a million broken lines shows `limit` warnings and one "and N more warnings like these"."""

    def __init__(self, show: Callable[[Problem], None], limit: int) -> None:
        self._show, self._limit = show, limit
        self._seen: dict[str, int] = {}
        self._hidden: dict[str, int] = {}

    def __call__(self, problem: Problem) -> None:
        key = problem_file(problem.where)
        self._flush(keep=key)
        seen = self._seen[key] = self._seen.get(key, 0) + 1
        if seen <= self._limit:
            self._show(problem)
        else:
            self._hidden[key] = self._hidden.get(key, 0) + 1

    def close(self) -> None:
        """Show the count of every file's hidden warnings not shown yet."""
        self._flush(keep=None)

    def _flush(self, keep: str | None) -> None:
        for key in [k for k in self._hidden if k != keep]:
            self._show(Problem(key, f"and {self._hidden.pop(key)} more warnings like these", skipped=False))


_LOCATION = re.compile(r"(?::\d+|:rows? \d+(?:-\d+)?|@\d+(?: <.*>)?)\Z", re.S)


def problem_file(where: str) -> str:
    """The input a problem is in: its `where` without the line, row or offset ("record N": "records")."""
    if re.fullmatch(r"record \d+", where):
        return "records"
    return _LOCATION.sub("", where, count=1)


#: Data files by how their names end, and the reader each needs.
DATA_SUFFIXES = (
    (".jsonl", "jsonl"), (".jsonl.gz", "jsonl"), (".jsonl.zst", "jsonl"), (".ndjson", "jsonl"),
    (".ndjson.gz", "jsonl"), (".ndjson.zst", "jsonl"), (".json.gz", "jsonl"), (".json.zst", "jsonl"),
    (".csv", "csv"), (".csv.gz", "csv"), (".csv.zst", "csv"), (".parquet", "parquet"), (".pq", "parquet"),
    (".warc", "warc"), (".warc.gz", "warc"), (".arc.gz", "warc"))
STDIN = Path("-")


def data_kind(name: str) -> str | None:
    """The reader a data file needs by its name (jsonl, csv, parquet, warc), or None."""
    name = name.lower()
    return next((kind for suffix, kind in DATA_SUFFIXES if name.endswith(suffix)), None)


def corpus_kind(path: Path) -> str:
    """The reader a path needs: folder, jsonl, csv, parquet, warc, text or stdin (`-`)."""
    if path == STDIN:
        return "stdin"
    if path.is_dir():
        return "folder"
    kind = data_kind(path.name)
    if kind is not None:
        return kind
    if path.name.lower().endswith(TEXT_SUFFIXES):
        return "text"
    raise InputError(f"{path}: unknown corpus format (expected a folder, .jsonl[.gz|.zst], .csv[.gz|.zst], "
                     f".parquet, .warc[.gz], .txt, .md, .html, or - for {STDIN_FORMATS} on stdin)")


def check_paths(paths: Iterable[str | Path], *, text_field: str | None = None) -> list[Path]:
    """Resolve corpus paths, failing early (one message) on one that does not exist or, given
    `text_field`, on a CSV or Parquet file whose header has no such column."""
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path == STDIN:
            if any(q == STDIN for q in out):
                raise InputError("- (stdin) is named twice; it can be read once")
            if sys.stdin is None or sys.stdin.isatty():
                raise InputError(f"- reads {STDIN_FORMATS} from stdin, but stdin is a terminal: pipe a file "
                                 f"into it (zstdcat corpus.jsonl.zst | syndup scan - --out DIR)")
            out.append(path)
            continue
        if not path.exists():
            raise CorpusNotFound(f"{path}: no such file or folder")
        kind = corpus_kind(path)
        if path.name.lower().endswith(".zst"):
            _zstd()  # a missing extra is one error now, not a failure in the middle of the scan
        if text_field is not None and kind in ("csv", "parquet") and not_a_file(path) is None:
            missing = _missing_column(_columns(path, kind), text_field)
            if missing:
                raise InputError(f"{path}: {missing}")
        out.append(path)
    return out


def _columns(path: Path, kind: str) -> list[str] | None:
    """The column names of a CSV or Parquet file, or None when its header cannot be read (the
    reader then says why)."""
    try:
        if kind == "parquet":
            pq = require("pyarrow.parquet", "parquet", "Reading Parquet")
            return list(pq.ParquetFile(path).schema_arrow.names)
        csv.field_size_limit(DEFAULT_LIMITS.max_record_bytes)
        with _Bounded(path, DEFAULT_LIMITS) as fh:
            return next(csv.reader(_text_stream(fh)), [])
    except SyndupError:
        raise
    except Exception:  # noqa: BLE001 - any unreadable header is the reader's warning to give
        return None


def _missing_column(fields: Sequence[str] | None, text_field: str) -> str | None:
    """Why a table with these columns has no text to read, or None when it has."""
    if fields is None or text_field in fields or (text_field == "text" and {"html", "content", "body"} & set(fields)):
        return None
    return f"no {text_field!r} column (columns: {', '.join(fields) or 'none'}); use --text-field to name it"


def not_a_file(path: Path) -> str | None:
    """Why `path` cannot be read as a file (a FIFO, socket, device, dangling or looping symbolic
    link), or None when it is a regular file or a folder. Never opens it: opening a FIFO waits."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop; skipped"
        if exc.errno == errno.ENOENT and path.is_symlink():
            return "dangling symbolic link; skipped"
        return f"cannot read file: {exc.strerror or exc}"
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a character device" if stat.S_ISCHR(mode) else "a block device" if stat.S_ISBLK(mode)
            else "of an unknown kind")
    return f"not a regular file ({kind}); skipped"


def read(paths: Iterable[str | Path], *, id_field: str = "id", text_field: str = "text",
         url_field: str | None = None, title_field: str | None = None, site_field: str | None = None,
         date_field: str | None = None, author_field: str | None = None, paragraph_sep: str | None = None,
         warc_id: str = "record", keep_comments: bool = False, limits: ReadLimits = DEFAULT_LIMITS) -> Iterator[Item]:
    """Yield every article (and every problem) in the given corpus paths, in a stable order.

    HTML is reduced to its article text (reader comments dropped unless `keep_comments`);
    WARC records are identified by their WARC-Record-ID, or by their URL with `warc_id="url"`.
    The `*_field`s name a record's columns (see `Fields`); `paragraph_sep` is the string a text's
    paragraphs are joined with, if not blank lines.
    """
    fields = Fields(id_field, text_field, {"url": url_field, "title": title_field, "site": site_field,
                                           "published": date_field, "author": author_field}, paragraph_sep)
    yield from _parsed(read_parts(paths, fields=fields, warc_id=warc_id, keep_comments=keep_comments, limits=limits))


def read_parts(paths: Iterable[str | Path], *, fields: Fields = DEFAULT_FIELDS, warc_id: str = "record",
               keep_comments: bool = False, limits: ReadLimits = DEFAULT_LIMITS,
               exclude: Iterable[Path] = ()) -> Iterator[Item | JsonlLines]:
    """`read`, with JSONL left as batches of raw lines (`JsonlLines`) for the caller to parse
    where it likes: `scan` parses them in its worker processes. Files of folders below `exclude`
    (the scan's own output folder) are not read."""
    for path in check_paths(paths, text_field=fields.text):
        kind = corpus_kind(path)
        why = None if kind in ("folder", "stdin") else not_a_file(path)
        if why is not None:
            yield Problem(_shown(path), why)
        elif kind == "folder":
            yield from read_folder(path, fields=fields, warc_id=warc_id, keep_comments=keep_comments, limits=limits,
                                   exclude=exclude)
        else:
            yield from _read_path(path, kind, fields, warc_id, keep_comments, limits)


def _read_path(path: Path, kind: str, fields: Fields, warc_id: str, keep_comments: bool,
               limits: ReadLimits) -> Iterator[Item | JsonlLines]:
    """The articles (JSONL: the batches of lines) of one file of a known kind."""
    if kind == "text":
        yield from _read_file(path, path.with_suffix("").name, keep_comments, limits)
    elif kind in ("jsonl", "stdin"):
        yield from jsonl_lines(path, fields=fields, keep_comments=keep_comments, limits=limits)
    elif kind == "csv":
        yield from read_csv(path, fields=fields, keep_comments=keep_comments, limits=limits)
    elif kind == "parquet":
        yield from read_parquet(path, fields=fields, keep_comments=keep_comments, limits=limits)
    elif kind == "warc":
        from .warc import read_warc

        yield from read_warc(path, id_by=warc_id, keep_comments=keep_comments, limits=limits)


def decode(data: bytes, where: str) -> tuple[str, Problem | None]:
    """Decode bytes as UTF-8; bytes that are mostly UTF-8 stay UTF-8 with U+FFFD for the bad ones,
    and only bytes clearly in another encoding (more invalid sequences than valid non-ASCII
    characters) are decoded in the one detected. Either way, say so."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    text = data.decode("utf-8-sig", errors="replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    valid = len(text) - len(text.encode("ascii", "ignore")) - bad  # non-ASCII characters that were valid
    if valid < bad:
        from charset_normalizer import from_bytes

        # charset-normalizer's best() can prefer a multi-byte code page with no coherence at all for
        # mostly-ASCII text with a stray Latin-1 byte; rank by coherence minus chaos instead.
        matches = sorted(from_bytes(data), key=lambda m: (m.chaos - m.coherence, m.encoding))
        best = matches[0] if matches else None
        if best is not None and best.encoding not in ("utf_8", "utf-8"):
            return str(best), Problem(where, f"not UTF-8 (bad byte at offset {first_bad}); "
                                             f"decoded as {best.encoding}", skipped=False)
    return text, Problem(where, f"not UTF-8: {bad} invalid byte sequence{'s' * (bad != 1)} (the first at offset "
                                f"{first_bad}) replaced with U+FFFD", skipped=False)


def read_folder(root: Path, *, fields: Fields = DEFAULT_FIELDS, warc_id: str = "record",
                keep_comments: bool = False, limits: ReadLimits = DEFAULT_LIMITS,
                exclude: Iterable[Path] = ()) -> Iterator[Item | JsonlLines]:
    """Every .txt/.md/.html/.htm file below `root` is one article, its id its relative path; every
    data file (JSONL, CSV, WARC) is read as a corpus, and the Parquet parts as one pyarrow dataset
    (the keys of hive folders, `site=x/part-0.parquet`, are columns). Files below a folder of
    `exclude` (the scan's own output) are left out. FIFOs, sockets, devices and broken symbolic
    links below it are one warning each; a folder with nothing to read is one warning saying so."""
    entries = folder_files(root, exclude)
    for path, why, keys in entries:
        if why is not None:
            yield Problem(_shown(path), why)
            continue
        kind = data_kind(path.name)
        if kind == "parquet":
            yield from read_parquet(path, fields=fields, keep_comments=keep_comments, limits=limits, constants=keys)
        elif kind is not None:
            yield from _read_path(path, kind, fields, warc_id, keep_comments, limits)
        else:
            rel = path.relative_to(root).as_posix()
            yield from _read_file(path, rel.rsplit(".", 1)[0], keep_comments, limits)
    if not entries:
        yield Problem(_shown(root), f"no articles: no file below it is text (.txt, .md, .html) or data "
                                    f"(.jsonl, .csv, .parquet, .warc){_others(root)}")


def folder_files(root: Path, exclude: Iterable[Path] = ()) -> list[tuple[Path, str | None, dict[str, Any]]]:
    """What `read_folder` reads, in order: each file (or entry that is no regular file, with why
    not) and, for a Parquet part, its partition keys."""
    base = root.resolve()
    skip = [root / e.resolve().relative_to(base) for e in exclude if e.resolve().is_relative_to(base)]
    entries = [(path, why) for path, why in _folder_entries(root) if not any(path.is_relative_to(s) for s in skip)]
    parts = [path for path, why in entries if why is None and data_kind(path.name) == "parquet"]
    keys = _partition_keys(root, parts) if parts else {}
    return [(path, why, keys.get(path, {})) for path, why in entries]


def _others(root: Path) -> str:
    """What a folder with nothing to read holds instead, for the warning: " (it holds 3 .pdf files)"."""
    suffixes: dict[str, int] = {}
    for _folder, _dirs, files in os.walk(root):
        for name in files:
            suffix = Path(name).suffix.lower() or name
            suffixes[suffix] = suffixes.get(suffix, 0) + 1
    if not suffixes:
        return " (it is empty)"
    top = sorted(suffixes.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    return " (it holds " + ", ".join(f"{n} {suffix} file{'s' * (n != 1)}" for suffix, n in top) + ")"


def _partition_keys(root: Path, parts: list[Path]) -> dict[Path, dict[str, Any]]:
    """The hive partition keys of each Parquet part below `root` (`year=2024/site=x/part.parquet`),
    as pyarrow's dataset discovery reads them; none where it cannot (each part's reader says why)."""
    ds = require("pyarrow.dataset", "parquet", "Reading Parquet")
    try:
        dataset = ds.dataset([str(p) for p in parts], format="parquet", partitioning="hive",
                             partition_base_dir=str(root))
        return {Path(f.path): ds.get_partition_keys(f.partition_expression) for f in dataset.get_fragments()}
    except Exception:  # noqa: BLE001 - a part pyarrow cannot open: read_parquet warns about it
        return {}


def _folder_entries(root: Path) -> list[tuple[Path, str | None]]:
    """The article and data files below `root` (hidden ones left out), and every entry that is
    not a regular file with why, in path order; symbolic links to folders are not followed."""
    found: list[tuple[Path, str | None]] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.startswith("."):
                continue
            path = Path(folder, name)
            why = not_a_file(path)
            if why is not None or name.lower().endswith(TEXT_SUFFIXES) or data_kind(name) is not None:
                found.append((path, why))
    return sorted(found)


def _read_file(path: Path, doc_id: str, keep_comments: bool, limits: ReadLimits) -> Iterator[Item]:
    where = _shown(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(limits.max_record_bytes + 1)
    except OSError as exc:
        yield Problem(where, f"cannot read file: {exc.strerror or exc}")
        return
    if len(data) > limits.max_record_bytes:
        yield Problem(where, record_too_large(limits))
        return
    if _looks_binary(data):
        yield Problem(where, "binary data, not text; skipped")
        return
    text, problem = decode(data, where)
    if problem:
        yield problem
    record: dict[str, Any] = {"id": doc_id, "text": text}
    if path.name.lower().endswith(HTML_SUFFIXES) or looks_like_html(text):
        record["html"] = True
    yield from _to_article(record, where, DEFAULT_FIELDS, None, keep_comments, limits)


_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\x0b\x0c\r\x1b")
_WIDE_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE)


def _looks_binary(data: bytes) -> bool:
    """True for data that is not text in any encoding: a NUL byte (outside UTF-16/32 with a BOM),
    or control bytes making up more than 5% of its first 8 KB."""
    sample = data[:8192]
    if sample.startswith(_WIDE_BOMS):
        return False
    if b"\0" in sample:
        return True
    return len(sample.translate(None, _CONTROL_BYTES)) < len(sample) * 0.95


def record_too_large(limits: ReadLimits) -> str:
    """Why a record over `limits.max_record_bytes` is skipped (one wording for every reader)."""
    return f"larger than the record limit ({format_size(limits.max_record_bytes)} bytes, --max-record-size); skipped"


def _to_article(record: Mapping[str, Any], where: str, fields: Fields,
                default_id: str | None, keep_comments: bool, limits: ReadLimits) -> Iterator[Item]:
    try:
        article = Article.from_mapping(record, id_field=fields.id, text_field=fields.text,
                                       default_id=default_id, origin_ref=where, aliases=fields.aliases)
    except ValueError as exc:
        yield Problem(where, str(exc))
        return
    except RecursionError:
        yield Problem(where, "a field is nested too deeply to read; skipped")
        return
    checked, problem = _checked(article, where, limits)
    if problem is not None:
        yield problem
    if checked is None:
        return
    article = checked
    if record.get("html") is True or looks_like_html(article.text):
        from .extract import extract_article

        extracted, problem = extract_article(article, where, keep_comments=keep_comments)
        if problem is not None:
            yield problem
        if extracted is None:
            return
        article = extracted
    elif fields.paragraph_sep is not None:
        article = dataclasses.replace(article, text=fields.paragraphs(article.text))
    if not article.text or article.text.isspace():
        yield Problem(where, f"record {article.id!r}: empty article (no text)")
        return
    yield article


#: The fields of an Article checked for lone surrogates, by the name a warning gives them.
_FIELDS = {"id": "id", "text": "text", "url": "url", "title": "title", "site": "site", "published": "published",
           "author": "author", "origin_ref": "source"}


def _checked(article: Article, where: str, limits: ReadLimits) -> tuple[Article | None, Problem | None]:
    """The article, with any lone surrogate (text that is not Unicode: no file can hold it) in its
    fields replaced by U+FFFD and a warning; or None and why when its text is over the record limit."""
    if len(article.text) > limits.max_record_bytes:
        return None, Problem(where, f"record {article.id!r}: {record_too_large(limits)}")
    broken = [name for name in _FIELDS if _has_surrogates(getattr(article, name))]
    if not broken:
        return article, None
    fixed = dataclasses.replace(article, **{name: _without_surrogates(getattr(article, name)) for name in broken})
    fields = ", ".join(_FIELDS[name] for name in broken)
    return fixed, Problem(where, f"record {fixed.id!r}: lone surrogates (not Unicode) in {fields} replaced with "
                                 f"U+FFFD", skipped=False)


def _has_surrogates(value: str | None) -> bool:
    if value is None or value.isascii():
        return False
    if kernel.KERNEL is not None:  # a scan of the characters, not an encoding of them
        return bool(kernel.KERNEL.has_surrogates(value))
    try:
        value.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def _name(path: Path) -> str:
    """How warnings and sources name an input: its path, or <stdin> for `-`."""
    return "<stdin>" if path == STDIN else str(path)


def _shown(path: Path) -> str:
    """`path` as text any file can hold: a file name whose bytes are not UTF-8 gets U+FFFD for them."""
    name = str(path)
    return _without_surrogates(name) if _has_surrogates(name) else name


def _without_surrogates(value: str) -> str:
    """`value` with each lone surrogate replaced by U+FFFD (and each valid pair joined)."""
    return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


class _TooLarge(Exception):
    """An input beyond `max_input_bytes` or `max_ratio`: the rest of it is skipped."""


_GZIP_MAGIC, _ZSTD_MAGIC = b"\x1f\x8b", b"\x28\xb5\x2f\xfd"


def _zstd() -> Any:
    """The zstd module: the standard library's from Python 3.14, else its backport (the extra)."""
    try:
        return importlib.import_module("compression.zstd")
    except ImportError:
        return require("backports.zstd", "zstd", "Reading .zst files")


class _Counted(io.RawIOBase):
    """A binary stream that counts the bytes read from it (a pipe cannot `tell`)."""

    def __init__(self, raw: Any) -> None:
        super().__init__()
        self.raw, self.count = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n: int = self.raw.readinto(buffer)
        self.count += n or 0
        return n


class _Bounded(io.RawIOBase):
    """A file's bytes (gunzipped for .gz, decompressed for .zst; `-` is stdin, whose compression is
    told by its first bytes), failing with `_TooLarge` past the input limits."""

    def __init__(self, path: Path, limits: ReadLimits, data: bytes | None = None) -> None:
        """`data`: the file's bytes, read and decompressed already (by a cluster engine), instead
        of the file at `path`."""
        super().__init__()
        name = path.name.lower()
        fh: Any
        if data is not None:
            how = None
            fh = io.BytesIO(data)
            self._own = True
        elif path == STDIN:
            fh = sys.stdin.buffer
            if not hasattr(fh, "peek"):  # a stand-in for stdin (a test's BytesIO): buffered to look ahead
                fh = io.BufferedReader(fh)
            magic = fh.peek(4)[:4]
            how = "gz" if magic.startswith(_GZIP_MAGIC) else "zst" if magic == _ZSTD_MAGIC else None
            self._own = False  # stdin stays open
        else:
            how = "gz" if name.endswith(".gz") else "zst" if name.endswith(".zst") else None
            fh = open(path, "rb")  # noqa: SIM115 - closed by close()
            self._own = True
        self._fh, self._raw = fh, _Counted(fh)
        source: Any = fh if hasattr(fh, "read1") else io.BufferedReader(self._raw, _BLOCK)
        if how == "gz":
            source = gzip.GzipFile(fileobj=self._raw, mode="rb")
        elif how == "zst":
            zstd = _zstd()
            source = zstd.ZstdFile(self._raw, mode="rb")
            self._zstd_error: type[Exception] = zstd.ZstdError
        self._source = source
        self._gz, self._limits, self._done = how is not None, limits, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes (at least one unless at the end), after checking the limits."""
        limits = self._limits
        room = limits.max_input_bytes - self._done
        if room <= 0 and self._source.read1(1):
            raise _TooLarge(f"more than {limits.max_input_bytes} bytes (--max-input-size)")
        try:
            data: bytes = self._source.read1(room if size < 0 else min(size, room))
        except Exception as exc:
            if isinstance(exc, getattr(self, "_zstd_error", ())):  # a corrupt .zst: like a corrupt .gz
                raise OSError(str(exc)) from exc
            raise
        self._done += len(data)
        if self._gz and self._done > _RATIO_FLOOR and self._done > limits.max_ratio * self._raw.count:
            raise _TooLarge(f"compression ratio above {limits.max_ratio:g} (--max-ratio): a decompression bomb?")
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed and self._own:
            self._source.close()
            self._fh.close()
        super().close()


#: Decompressed bytes read before the ratio is judged (a small file may expand a lot).
_RATIO_FLOOR = 1 << 20


def _text_stream(fh: _Bounded) -> io.TextIOWrapper:
    """A CSV file's text: UTF-8, its BOM (Excel's "CSV UTF-8") dropped, bad bytes kept as surrogates."""
    return io.TextIOWrapper(io.BufferedReader(fh), encoding="utf-8-sig", errors="surrogateescape", newline="")


#: What a damaged .gz raises while it is read.
_BROKEN = (OSError, EOFError, zlib.error)
_BLOCK = 1 << 20


@dataclass(frozen=True)
class JsonlLines:
    """Consecutive raw lines of a JSONL file, read but not parsed yet; `items()` parses them."""

    path: Path
    first_line: int        # line number of the first line
    data: bytes            # the lines, each ended by b"\n" (the file's last one may not be)
    count: int             # how many lines
    fields: Fields = DEFAULT_FIELDS
    keep_comments: bool = False
    limits: ReadLimits = DEFAULT_LIMITS

    def items(self) -> Iterator[Item]:
        """The articles and problems of these lines, as `read_jsonl` gives them."""
        for where, lineno, record in self.records():
            if isinstance(record, Problem):
                yield record
            else:
                yield from _to_article(record, where, self.fields, f"{self.path.name}:{lineno}", self.keep_comments,
                                       self.limits)

    def records(self) -> Iterator[tuple[str, int, dict[str, Any] | Problem]]:
        """(where, line number, the line's JSON object or the problem with it) for each line that is not blank."""
        path = _name(self.path)
        for lineno, raw in enumerate(self.data.split(b"\n")[:self.count], start=self.first_line):
            if not raw.strip():
                continue
            where = f"{path}:{lineno}"
            fast = parse_json_fast(raw)
            if fast is not None:
                yield where, lineno, fast
                continue
            text, problem = decode(raw, where)
            if problem:
                yield where, lineno, problem
            try:
                record = json.loads(text)
            except json.JSONDecodeError as exc:
                yield where, lineno, Problem(where, f"not valid JSON ({exc.msg} at column {exc.colno})")
                continue
            except RecursionError:
                yield where, lineno, Problem(where, "JSON nested too deeply to read; skipped")
                continue
            if not isinstance(record, dict):
                yield where, lineno, Problem(where, f"expected a JSON object, got {type(record).__name__}")
                continue
            yield where, lineno, record


def parse_json_fast(raw: bytes) -> dict[str, Any] | None:
    """The JSON object on one line of UTF-8, parsed by orjson (a few times faster than `json`), or
    None where `json.loads` of the decoded line could say otherwise: the line is not strict JSON in
    UTF-8 (a byte-order mark, NaN, a lone surrogate, bad bytes: problems the slow path words), is not
    an object, is nested deeply, or holds a float (orjson reads an integer over 64 bits as one)."""
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return record if type(record) is dict and _plain(record) else None


_FLAT = {str, int, bool, type(None)}
#: How deeply a record parsed by orjson may nest (`json` may run out of stack on deeper ones).
_FAST_DEPTH = 64


def _plain(record: dict[str, Any]) -> bool:
    """Whether a parsed JSON object holds no float and nests at most `_FAST_DEPTH` deep."""
    if set(map(type, record.values())) <= _FLAT:  # most records: strings (and null, booleans, ints)
        return True
    stack: list[tuple[Any, int]] = [(record, 1)]
    while stack:
        value, depth = stack.pop()
        for v in (value.values() if type(value) is dict else value):
            t = type(v)
            if t is float:
                return False
            if t is dict or t is list:
                if depth >= _FAST_DEPTH:
                    return False
                stack.append((v, depth + 1))
    return True


#: Lines in each `JsonlLines` batch, at least (and so in each chunk of work a scan gives a worker).
LINES_PER_PART = 1024


def jsonl_lines(path: Path, *, fields: Fields = DEFAULT_FIELDS, keep_comments: bool = False,
                limits: ReadLimits = DEFAULT_LIMITS, size: int | None = None,
                data: bytes | None = None) -> Iterator[JsonlLines | Problem]:
    """A JSONL file as batches of whole raw lines, each of at least `size` lines (default
    `LINES_PER_PART`) but the last; a line over the record limit is one problem, and a file cut
    short (every whole line before the cut is kept), too large or unreadable ends in one. `data`:
    the file's bytes, read and decompressed already (a cluster engine reads files at URIs), named by `path`.

    The file is read in blocks and cut at newlines, never line by line: a batch is one bytes object.
    """
    size = size or LINES_PER_PART
    parts: list[bytes | memoryview] = []
    held = 0  # newlines in parts
    first = 1
    later: list[Problem] = []  # problems of lines in parts, given after their batch

    def batch(data: bytes, count: int) -> JsonlLines:
        return JsonlLines(path, first, data, count, fields, keep_comments, limits)

    for piece in _line_runs(path, limits, data):
        if isinstance(piece, Problem):
            later.append(piece)
            continue
        run, count = piece
        parts.append(run)
        held += count
        if held >= size and count:  # a piece with a newline ends with one: a batch may end here
            yield batch(b"".join(parts), held)
            first += held
            parts, held = [], 0
            yield from later
            later = []
    data = b"".join(parts)
    if data:
        yield batch(data, held + (not data.endswith(b"\n")))
    yield from later


def _line_runs(path: Path, limits: ReadLimits,
               data: bytes | None = None) -> Iterator[tuple[bytes | memoryview, int] | Problem]:
    """A file's bytes in pieces, with the number of newlines in each: a piece that holds one ends
    with one. A line over the record limit becomes an empty line (so every line keeps its number)
    and a problem; an unreadable, cut or too large file ends in a problem."""
    limit = limits.max_record_bytes
    name = _name(path)
    carry: list[bytes] = []  # the start of the line not ended yet
    carried = 0              # its length so far; -1 while skipping the rest of a line over the limit
    line = 1                 # its number

    def too_long(lineno: int) -> Problem:
        return Problem(f"{name}:{lineno}", record_too_large(limits))

    try:
        with _Bounded(path, limits, data) as fh:
            while block := fh.read(_BLOCK):
                end = block.rfind(b"\n")
                if end >= 0:
                    first = block.find(b"\n")
                    whole = 0 <= carried and carried + first <= limit  # the carried line ends in time
                    start = 0 if whole else first + 1
                    if whole:
                        for piece in carry:
                            yield piece, 0
                    else:
                        if carried >= 0:
                            yield too_long(line)
                        yield b"\n", 1
                    # a view, not a copy: jsonl_lines joins the pieces of a batch into one bytes
                    run: bytes | memoryview = memoryview(block)[start:end + 1]
                    count = block.count(b"\n", start, end + 1)
                    if end - first > limit:  # a line after the first may be over the limit too
                        lines = block[start:end + 1].split(b"\n")
                        for k in range(1 if whole else 0, len(lines) - 1):
                            if len(lines[k]) > limit:
                                yield too_long(line + k + (not whole))
                                lines[k] = b""
                        run = b"\n".join(lines)
                    if run:
                        yield run, count
                    line += count + (not whole)
                    carry, carried = [], 0
                    block = block[end + 1:]
                if carried >= 0 and block:
                    carried += len(block)
                    carry.append(block)
                    if carried > limit:
                        yield too_long(line)
                        carry, carried = [], -1
    except _TooLarge as exc:
        yield Problem(f"{name}:{line}", f"stopped reading: {exc}; the rest of the file is skipped")
        return
    except (FileNotFoundError, PermissionError) as exc:
        yield Problem(str(path), f"cannot read file: {exc.strerror}")
        return
    except _BROKEN as exc:
        yield Problem(f"{name}:{line}", f"file ends early or is corrupt ({exc}); records before it kept")
        return
    for piece in carry:
        yield piece, 0


def read_jsonl(path: Path, *, fields: Fields = DEFAULT_FIELDS,
               keep_comments: bool = False, limits: ReadLimits = DEFAULT_LIMITS) -> Iterator[Item]:
    """One JSON object per line; ids default to `file:line` where a record has none."""
    yield from _parsed(jsonl_lines(path, fields=fields, keep_comments=keep_comments, limits=limits))


def _parsed(parts: Iterable[Item | JsonlLines]) -> Iterator[Item]:
    """`parts` with every `JsonlLines` replaced by the articles and problems it holds."""
    for part in parts:
        if isinstance(part, JsonlLines):
            yield from part.items()
        else:
            yield part


def read_csv(path: Path, *, fields: Fields = DEFAULT_FIELDS,
             keep_comments: bool = False, limits: ReadLimits = DEFAULT_LIMITS) -> Iterator[Item]:
    """A CSV file with a header row (a UTF-8 BOM is dropped); line numbers in warnings are the
    file's physical lines, and a row with broken quoting is one warning naming its lines. Only
    the columns `fields` needs are kept of each row."""
    for where, start, row in csv_rows(path, fields=fields, limits=limits):
        if isinstance(row, Problem):
            yield row
        else:
            yield from _to_article(row, where, fields, f"{path.name}:{start}", keep_comments, limits)


def csv_rows(path: Path, *, fields: Fields | None = None, limits: ReadLimits = DEFAULT_LIMITS
             ) -> Iterator[tuple[str, int, dict[str, Any] | Problem]]:
    """(where, first line, the row as a dict or a problem) for each row of a CSV file: the columns
    `fields` needs, or all of them for None; empty values are None."""
    csv.field_size_limit(limits.max_record_bytes)
    try:
        fh = _Bounded(path, limits)
    except OSError as exc:
        yield str(path), 0, Problem(str(path), f"cannot read file: {exc.strerror or exc}")
        return
    with fh:
        reader = csv.reader(_text_stream(fh), strict=True)
        try:
            header = next(reader, [])
        except (csv.Error, _TooLarge, *_BROKEN) as exc:
            yield str(path), 0, Problem(str(path), f"cannot read its header: {exc}")
            return
        if fields is not None:
            missing = _missing_column(header, fields.text)
            if missing:
                yield str(path), 0, Problem(str(path), missing)
                return
        names = header if fields is None else fields.columns(header)
        at = {name: k for k, name in enumerate(header)}  # the last of two columns of one name, as csv.DictReader
        take = [(name, at[name]) for name in names]
        width = len(header)
        while True:
            start = reader.line_num + 1  # the line the next row starts on
            try:
                cells = next(reader)
                while not cells:  # a blank line is no row (as csv.DictReader has it)
                    start = reader.line_num + 1
                    cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                reason, stop = _csv_error(str(exc), start, reader.line_num, limits)
                yield f"{path}:{start}", start, Problem(f"{path}:{start}", reason)
                if stop:
                    break
                continue
            except _TooLarge as exc:
                yield f"{path}:{start}", start, Problem(f"{path}:{start}", f"stopped reading: {exc}; "
                                                                           f"the rest of the file is skipped")
                break
            except _BROKEN as exc:
                yield f"{path}:{start}", start, Problem(f"{path}:{start}", f"file ends early or is corrupt ({exc}); "
                                                                           f"rest of file skipped")
                break
            where = f"{path}:{start}"
            if len(cells) > width:
                yield where, start, Problem(where, f"row has {len(cells)} fields, header has {width}", skipped=False)
            row, bad = {}, False
            for name, k in take:
                value = cells[k] if k < len(cells) else None
                if value is not None and _has_surrogates(value):
                    value, bad = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace"), True
                row[name] = value if value != "" else None
            if bad:
                yield where, start, Problem(where, "not UTF-8; invalid bytes replaced with U+FFFD", skipped=False)
            yield where, start, row


def _csv_error(message: str, start: int, end: int, limits: ReadLimits) -> tuple[str, bool]:
    """The warning for a row the csv module refused, and whether the rest of the file is lost."""
    lines = f"lines {start}-{end}" if end > start else f"line {start}"
    if message.startswith("field larger than field limit"):
        return (f"a field from line {start} on is larger than the record limit "
                f"({format_size(limits.max_record_bytes)} bytes, --max-record-size): an unterminated quote?; "
                f"the rest of the file is skipped"), True
    if message == "unexpected end of data":
        return f"a quoted field is never closed ({lines} skipped)", True
    return f"broken quoting ({message}): a quote in {lines} is misplaced or never closed; {lines} skipped", False


def read_parquet(path: Path, *, fields: Fields = DEFAULT_FIELDS, keep_comments: bool = False,
                 limits: ReadLimits = DEFAULT_LIMITS, constants: Mapping[str, Any] | None = None) -> Iterator[Item]:
    """A Parquet file, read in batches of only the columns `fields` needs; warnings name the row
    number, and a row group that cannot be read is one warning naming its rows. `constants` are
    columns every row has (a dataset's partition keys)."""
    for where, row, record in parquet_rows(path, fields=fields, constants=constants):
        if isinstance(record, Problem):
            yield record
        else:
            yield from _to_article(record, where, fields, f"{path.name}:{row}", keep_comments, limits)


def parquet_rows(path: Path, *, fields: Fields | None = None, constants: Mapping[str, Any] | None = None
                 ) -> Iterator[tuple[str, int, dict[str, Any] | Problem]]:
    """(where, row number, the row as a dict or a problem) for each row of a Parquet file: the
    columns `fields` needs, or all of them for None."""
    pq = require("pyarrow.parquet", "parquet", "Reading Parquet")
    try:
        pf = pq.ParquetFile(path)
        names = list(pf.schema_arrow.names)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a bad file
        yield str(path), 0, Problem(str(path), f"not a readable Parquet file ({exc})")
        return
    extra = {k: v for k, v in (constants or {}).items() if k not in names}
    if fields is not None:
        missing = _missing_column(names + list(extra), fields.text)
        if missing:
            yield str(path), 0, Problem(str(path), missing)
            return
        extra = {k: v for k, v in extra.items() if fields.columns([k])}
    columns = None if fields is None else fields.columns(names)
    row = 0
    for group in range(pf.num_row_groups):
        end = row + pf.metadata.row_group(group).num_rows
        batches = pf.iter_batches(batch_size=2048, row_groups=[group], columns=columns)
        while True:
            try:
                records = next(batches).to_pylist()
            except StopIteration:
                break
            except Exception as exc:  # noqa: BLE001 - a damaged page: OSError, ArrowInvalid, ...
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                yield f"{path}:rows {row + 1}-{end}", row + 1, Problem(f"{path}:rows {row + 1}-{end}",
                                                                       f"cannot be read ({first}); skipped")
                break
            for record in records:
                row += 1
                if extra:
                    record.update(extra)
                yield f"{path}:row {row}", row, record
        row = end


def from_records(records: Iterable[Any], *, fields: Fields = DEFAULT_FIELDS,
                 keep_comments: bool = False, limits: ReadLimits = DEFAULT_LIMITS) -> Iterator[Item]:
    """Articles from Python objects: `Article`s, dicts, or the rows of a pandas DataFrame."""
    if hasattr(records, "to_dict") and hasattr(records, "columns"):
        records = records.to_dict("records")
    for n, record in enumerate(records, start=1):
        where = f"record {n}"
        if isinstance(record, Article):
            article, problem = _checked(record, where, limits)
            if problem is not None:
                yield problem
            if article is None:
                continue
            if not article.text.strip():
                yield Problem(where, f"record {article.id!r}: empty article (no text)")
            else:
                yield article
        elif isinstance(record, Mapping):
            yield from _to_article(record, where, fields, str(n), keep_comments, limits)
        else:
            yield Problem(where, f"expected an Article or a dict, got {type(record).__name__}")

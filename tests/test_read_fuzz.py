"""Fuzzing the readers: whatever the bytes, reading yields articles and one-line problems, never an
exception, never a hang, in bounded time per record, and every article it yields can be written."""

from __future__ import annotations

import csv
import gzip
import importlib
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import syndup
from syndup.models import Article, Problem

reader = importlib.import_module("syndup.read")  # the module (syndup.read is the function)

#: Per example: reading a few records of a few KB (HTML extraction included) takes well under this.
FUZZ = settings(max_examples=120, deadline=timedelta(seconds=3),
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SMALL = syndup.ReadLimits(max_record_bytes=4096, max_input_bytes=1 << 20)

#: Characters that break naive code: controls, bidi overrides and isolates, lone surrogates, NUL,
#: line and paragraph separators, a BOM, combining marks, and text from outside the BMP.
NASTY = st.sampled_from(["\x00", "\x1b[2J", "\x07", "\u202e", "\u2066", "\u200f", "\ud800", "\udfff", "\u2028",
                         "\u2029", "\ufeff", "\u0301", "\U0001f600", "\r", "\r\n", "\t", "\"", "\\", ",", "<", "&"])
TEXT = st.lists(st.one_of(st.text(max_size=20), NASTY), max_size=40).map("".join)
JSON_VALUE = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                          max_leaves=10)


@pytest.fixture(scope="module", autouse=True)
def warm(tmp_path_factory):
    """Import what reading may load lazily (charset detection, HTML extraction) before timing."""
    folder = tmp_path_factory.mktemp("warm")
    (folder / "a.html").write_text("<html><body><p>" + "word " * 60 + "</p></body></html>", encoding="utf-8")
    (folder / "b.txt").write_bytes("caf\u00e9 na\u00efve".encode("cp1252"))
    list(syndup.read([folder]))


def check(got: list[object], limits: syndup.ReadLimits) -> tuple[list[Article], list[Problem]]:
    """Only articles and one-line problems came out, and every article can be written as UTF-8."""
    articles = [a for a in got if isinstance(a, Article)]
    problems = [p for p in got if isinstance(p, Problem)]
    assert len(articles) + len(problems) == len(got)
    for article in articles:
        for value in (article.id, article.text, article.url, article.title, article.site, article.published,
                      article.author):
            if value is not None:
                value.encode("utf-8")
        assert len(article.text) <= limits.max_record_bytes and article.text.strip()
    for problem in problems:
        assert problem.where and problem.reason and "\n" not in problem.reason
    return articles, problems


def read_bytes(tmp_path: Path, name: str, data: bytes,
               limits: syndup.ReadLimits = SMALL) -> tuple[list[Article], list[Problem]]:
    path = tmp_path / name
    path.write_bytes(data)
    try:
        return check(list(syndup.read([path], limits=limits)), limits)
    except syndup.InputError as exc:  # a table without a text column: an error naming it, before reading
        assert str(exc).startswith(f"{path}: no 'text' column")
        return [], []


@FUZZ
@given(data=st.binary(max_size=6000), name=st.sampled_from(["a.txt", "a.html", "a.jsonl", "a.csv"]),
       zipped=st.booleans())
def test_random_bytes_in_any_format(tmp_path, data, name, zipped):
    if zipped and name.endswith((".jsonl", ".csv")):
        name, data = name + ".gz", gzip.compress(data)
    read_bytes(tmp_path, name, data)


@FUZZ
@given(text=TEXT, encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32", "cp1252", "latin-1",
                                            "koi8-r", "shift_jis", "gb18030", "iso-8859-7", "mac_roman"]),
       stray=st.lists(st.integers(0, 255), max_size=3))
def test_text_in_any_encoding_with_stray_bytes(tmp_path, text, encoding, stray):
    data = text.encode(encoding, errors="replace") + bytes(stray)
    articles, problems = read_bytes(tmp_path, "a.txt", data)
    assert len(articles) + sum(p.skipped for p in problems) == 1  # one file: one article or one reason


FIELDS = ["id", "text", "title", "url", "site", "published", "author", "html", "x"]
RECORD = st.one_of(st.fixed_dictionaries({"id": TEXT, "text": TEXT}, optional=dict.fromkeys(FIELDS[2:], JSON_VALUE)),
                   st.dictionaries(st.sampled_from(FIELDS), JSON_VALUE, max_size=6))


@FUZZ
@given(records=st.lists(RECORD, max_size=6), ascii_only=st.booleans())
def test_jsonl_records_of_any_shape(tmp_path, records, ascii_only):
    lines = [json.dumps(r, ensure_ascii=ascii_only) for r in records]
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    articles, problems = read_bytes(tmp_path, "a.jsonl", data)
    assert len(articles) <= len(records)


@FUZZ
@given(depth=st.integers(1, 20000), opener=st.sampled_from(["[", "{\"a\":"]), field=st.sampled_from(["text", "title"]))
def test_nesting_of_any_depth(tmp_path, depth, opener, field):
    closer = "]" if opener == "[" else "}"
    nested = opener * depth + "1" + closer * depth
    line = f'{{"id": "n", "text": "a short article", "{field}": {nested}}}'
    articles, problems = read_bytes(tmp_path, "a.jsonl", line.encode(), syndup.ReadLimits())
    assert len(articles) + len(problems) >= 1


@FUZZ
@given(rows=st.lists(st.tuples(TEXT, TEXT), max_size=8), cuts=st.lists(st.integers(0, 10_000), max_size=3),
       insert=st.sampled_from(['"', "\n", "\r", "\x00", ",", "\ufeff"]))
def test_csv_with_broken_quoting(tmp_path, rows, cuts, insert):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "text"])
    writer.writerows(rows)
    text = out.getvalue()
    for cut in cuts:
        cut %= len(text) + 1
        text = text[:cut] + insert + text[cut:]
    read_bytes(tmp_path, "a.csv", text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(sizes=st.lists(st.integers(0, 3 * SMALL.max_record_bytes), min_size=1, max_size=6))
def test_huge_fields_are_skipped_and_the_others_kept(tmp_path, sizes):
    lines = [json.dumps({"id": str(n), "text": "w " * (size // 2) + "end"}) for n, size in enumerate(sizes)]
    articles, problems = read_bytes(tmp_path, "a.jsonl", "\n".join(lines).encode())
    fits = [str(n) for n, line in enumerate(lines) if len(line) <= SMALL.max_record_bytes]
    assert [a.id for a in articles] == fits
    assert len(problems) == len(lines) - len(fits) and all("record limit" in p.reason for p in problems)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.integers(0, 40), max_size=25), limit=st.integers(1, 30), block=st.integers(1, 50),
       ends_with_newline=st.booleans(), size=st.integers(1, 5))
def test_lines_over_the_limit_are_emptied_and_the_others_keep_their_numbers(tmp_path, monkeypatch, lines, limit,
                                                                           block, ends_with_newline, size):
    """Whatever the block size, a line over the record limit becomes one problem at its number (and
    an empty line); every other line comes out whole, once, at its number."""
    monkeypatch.setattr(reader, "_BLOCK", block)
    path = tmp_path / "lines.jsonl"
    texts = [bytes([97 + n % 26]) * length for n, length in enumerate(lines)]
    data = b"\n".join(texts) + (b"\n" if ends_with_newline and texts else b"")
    path.write_bytes(data)
    got, problems = {}, []
    for part in reader.jsonl_lines(path, limits=syndup.ReadLimits(max_record_bytes=limit), size=size):
        if isinstance(part, Problem):
            problems.append(part.where)
        else:
            got.update(enumerate(part.data.split(b"\n")[:part.count], start=part.first_line))
    numbered = list(enumerate(texts, start=1))
    assert {n: t for n, t in got.items() if t} == {n: t for n, t in numbered if 0 < len(t) <= limit}
    assert set(got) <= {n for n, _ in numbered}
    assert problems == [f"{path}:{n}" for n, t in numbered if len(t) > limit]


def _typed(value: object) -> list[object]:
    """A parsed JSON value as a flat list of its parts, each scalar with its type (1 and 1.0, True
    and 1 differ); without recursion, since records may nest deeper than Python's stack."""
    out: list[object] = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            out.append(("dict", len(v)))
            for key, item in reversed(list(v.items())):
                stack += [item, ("key", key)]
        elif isinstance(v, list):
            out.append(("list", len(v)))
            stack += reversed(v)
        else:
            out.append((type(v).__name__, repr(v)))
    return out


def _records(path: Path) -> list[object]:
    return [(where, lineno, repr(rec) if isinstance(rec, Problem) else _typed(rec))
            for part in reader.jsonl_lines(path) if isinstance(part, reader.JsonlLines)
            for where, lineno, rec in part.records()]


@FUZZ
@given(records=st.lists(RECORD | JSON_VALUE, max_size=6), big=st.integers(2 ** 63 - 2, 2 ** 70) | st.floats(),
       ascii_only=st.booleans(), nest=st.sampled_from([0, 1, 63, 64, 65]), bom=st.booleans())
def test_jsonl_lines_parse_as_the_standard_library_parses_them(tmp_path, monkeypatch, records, big, ascii_only,
                                                               nest, bom):
    """orjson reads most lines (`read.parse_json_fast`): every line still gives the record, with the
    same types, or the problem that `json` gives (NaN, lone surrogates, bad bytes, a byte-order mark,
    integers over 64 bits)."""
    lines = [json.dumps(r, ensure_ascii=ascii_only) for r in records]
    lines.append(json.dumps({"id": big, "text": "t", "n": [big]}))
    lines.append('{"id": "deep", "a": ' + "[" * nest + "1" + "]" * nest + "}")
    _same_fast_and_slow(tmp_path, monkeypatch, ("\ufeff" if bom else "") + "\n".join(lines))


@pytest.mark.parametrize("depth", [900, 1000, 1020, 1030])
def test_deep_jsonl_lines_parse_as_the_standard_library_parses_them(tmp_path, monkeypatch, depth):
    """A record nested so deeply that `json` runs out of stack where orjson would not is read, or
    refused, as `json` reads it (outside hypothesis, which raises Python's recursion limit)."""
    line = '{"id": "deep", "text": "t", "a": ' + "[" * depth + "1" + "]" * depth + "}"
    _same_fast_and_slow(tmp_path, monkeypatch, line)


def _same_fast_and_slow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: str) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(data.encode("utf-8", "surrogatepass"))
    fast = _records(path)
    with monkeypatch.context() as patched:  # per example: hypothesis runs them all in one test call
        patched.setattr(reader, "parse_json_fast", lambda raw: None)
        slow = _records(path)
    assert fast == slow

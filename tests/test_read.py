"""read and the CLI on bad input: one warning per broken record, the scan goes on."""

from __future__ import annotations

import gzip
import importlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import syndup
from syndup.cli import app
from syndup.models import Article, Problem

from .conftest import seed_text

reader = importlib.import_module("syndup.read")  # the module (syndup.read is the function)

runner = CliRunner()


def items(path: Path, **kw) -> tuple[list[Article], list[Problem]]:
    got = list(syndup.read([path], **kw))
    return [a for a in got if isinstance(a, Article)], [p for p in got if isinstance(p, Problem)]


def test_folder_ids_are_relative_paths_without_extension(tmp_path):
    (tmp_path / "rt").mkdir()
    (tmp_path / "rt" / "story.txt").write_text("one two three four five six", encoding="utf-8")
    (tmp_path / "b.md").write_text("seven eight nine ten eleven", encoding="utf-8")
    paras = "".join(f"<p>{p}</p>" for p in seed_text("002").split("\n\n") if p.strip())
    (tmp_path / "c.html").write_text("<html><head><title>T</title><style>p{x:1}</style>"
                                     "<script>var secret = 1;</script></head><body><article><p>Hello "
                                     f"world text.</p>{paras}</article></body></html>", encoding="utf-8")
    (tmp_path / "ignored.pdf").write_bytes(b"%PDF")
    arts, problems = items(tmp_path)
    assert sorted(a.id for a in arts) == ["b", "c", "rt/story"]
    html = next(a for a in arts if a.id == "c")
    assert "Hello world" in html.text and "secret" not in html.text and "x:1" not in html.text
    assert not problems


def test_bad_records_are_one_warning_each_and_the_rest_is_read(tmp_path):
    path = tmp_path / "corpus.jsonl"
    lines = [
        json.dumps({"id": "good1", "text": seed_text("000")}),
        "{this is not json",
        json.dumps({"id": "notext"}),
        json.dumps({"id": "empty", "text": "   "}),
        json.dumps(["a", "list"]),
        json.dumps({"id": "good2", "text": seed_text("001"), "site": "globalresearch.ca"}),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    arts, problems = items(path)
    assert [a.id for a in arts] == ["good1", "good2"]
    assert arts[1].site == "globalresearch.ca"
    wheres = [p.where for p in problems]
    assert wheres == [f"{path}:2", f"{path}:3", f"{path}:4", f"{path}:5"]
    reasons = " | ".join(p.reason for p in problems)
    assert "not valid JSON" in reasons and "no 'text' field" in reasons and "empty article" in reasons
    assert all("\n" not in str(p) for p in problems)


def test_non_utf8_file_is_decoded_and_reported(tmp_path):
    text = "Caf\u00e9 cr\u00e8me: the na\u00efve r\u00e9sum\u00e9 of a d\u00e9j\u00e0 vu story, told again."
    (tmp_path / "latin.txt").write_bytes(text.encode("cp1252"))
    arts, problems = items(tmp_path)
    assert len(arts) == 1 and "r\u00e9sum\u00e9" in arts[0].text
    assert len(problems) == 1 and not problems[0].skipped
    assert "not UTF-8" in problems[0].reason and problems[0].where.endswith("latin.txt")


def test_unreadable_file_is_skipped_with_reason(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text(seed_text("002"), encoding="utf-8")
    (tmp_path / "b.txt").write_text(seed_text("003"), encoding="utf-8")
    real = Path.open

    def flaky(self: Path, *args, **kwargs):
        if self.name == "a.txt":
            raise PermissionError(13, "Permission denied")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", flaky)
    arts, problems = items(tmp_path)
    assert [a.id for a in arts] == ["b"]
    assert problems[0].where.endswith("a.txt") and "Permission denied" in problems[0].reason


def test_gzip_jsonl_cut_short_keeps_what_came_before(tmp_path):
    path = tmp_path / "c.jsonl.gz"
    payload = "".join(json.dumps({"id": f"d{i}", "text": f"article number {i} " * 30}) + "\n" for i in range(50))
    data = gzip.compress(payload.encode())
    path.write_bytes(data[: len(data) // 2])
    arts, problems = items(path)
    assert 0 < len(arts) < 50
    assert [a.id for a in arts] == [f"d{i}" for i in range(len(arts))]
    assert len(problems) == 1 and "ends early" in problems[0].reason


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.binary(max_size=12).map(lambda b: b.replace(b"\n", b"")), max_size=30),
       ends_with_newline=st.booleans(), size=st.integers(1, 6), block=st.integers(1, 9))
def test_jsonl_batches_hold_every_line_once_with_its_number(tmp_path, monkeypatch, lines, ends_with_newline,
                                                            size, block):
    """Cutting the file into batches (read in blocks of any size) loses, splits or renumbers no line."""
    monkeypatch.setattr(reader, "_BLOCK", block)
    path = tmp_path / "lines.jsonl"
    data = b"\n".join(lines) + (b"\n" if ends_with_newline and lines else b"")
    path.write_bytes(data)
    got = []
    batches = list(reader.jsonl_lines(path, size=size))
    for n, batch in enumerate(batches, start=1):
        assert isinstance(batch, reader.JsonlLines) and batch.count >= (1 if n == len(batches) else size)
        got += list(enumerate(batch.data.split(b"\n")[:batch.count], start=batch.first_line))
    want = list(enumerate(data.split(b"\n"), start=1))
    if data.endswith(b"\n") or not data:
        want = want[:-1]
    assert got == want


def test_csv_and_parquet_with_mapped_fields(tmp_path):
    frame = pd.DataFrame({"key": ["x", "y"], "body": [seed_text("000"), seed_text("001")],
                          "date": ["2017-03-17", "2017-03-20"], "source": ["rt.com", "globalresearch.ca"]})
    frame.to_csv(tmp_path / "a.csv", index=False)
    frame.to_parquet(tmp_path / "a.parquet", index=False)
    for name in ("a.csv", "a.parquet"):
        arts, problems = items(tmp_path / name, id_field="key", text_field="body")
        assert [a.id for a in arts] == ["x", "y"] and not problems
        assert arts[1].site == "globalresearch.ca" and arts[0].published == "2017-03-17"
    result = syndup.scan([tmp_path / "a.csv"], id_field="key", text_field="body")
    assert result.clusters.iloc[0]["origin_id"] == "x"
    assert result.clusters.iloc[0]["origin_rule"] == "published"


def test_duplicate_ids_are_renamed_not_lost(tmp_path):
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "1", "text": seed_text("002")}) + "\n", encoding="utf-8")
    (tmp_path / "b.jsonl").write_text(json.dumps({"id": "1", "text": seed_text("003")}) + "\n", encoding="utf-8")
    result = syndup.scan([tmp_path / "a.jsonl", tmp_path / "b.jsonl"])
    assert sorted(result.documents.doc_id) == ["1", "1~2"]
    assert any("duplicate id" in p.reason for p in result.problems)


# --- the CLI -----------------------------------------------------------------------------------

def test_cli_scan_seeds_writes_tables_and_summary(seeds_dir, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["scan", str(seeds_dir), "--out", str(out), "--no-report"]
                        if _has_report_flag() else ["scan", str(seeds_dir), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "5 articles read, 0 skipped" in res.output
    assert "000_28930205ab5c0454" in res.output
    docs = pd.read_csv(out / "documents.csv")
    assert len(docs) == 5
    pairs = pd.read_csv(out / "pairs.csv")
    assert pairs[["doc_a", "doc_b", "relation"]].values.tolist() == [
        ["000_28930205ab5c0454", "001_4b43cad0f107b24d", "copy"]]
    clusters = pd.read_csv(out / "clusters.csv")
    assert clusters.iloc[0]["origin_id"] == "000_28930205ab5c0454"


def test_cli_warns_per_bad_record_and_counts_them(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join([json.dumps({"id": "a", "text": seed_text("000")}), "not json",
                               json.dumps({"id": "b", "text": ""}),
                               json.dumps({"id": "c", "text": seed_text("001")})]) + "\n", encoding="utf-8")
    res = runner.invoke(app, ["scan", str(path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert f"warning: {path}:2: not valid JSON" in res.output
    assert f"warning: {path}:3: record 'b': empty article" in res.output
    assert "2 articles read, 2 skipped" in res.output


def test_cli_missing_corpus_is_one_line_and_exit_2(tmp_path):
    res = runner.invoke(app, ["scan", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "no such file or folder" in lines[0] and "nope" in lines[0]


def test_cli_parquet_output(seeds_dir, tmp_path):
    res = runner.invoke(app, ["scan", str(seeds_dir), "--out", str(tmp_path), "--format", "parquet", "-q"])
    assert res.exit_code == 0, res.output
    assert len(pd.read_parquet(tmp_path / "documents.parquet")) == 5


def _has_report_flag() -> bool:
    return "--no-report" in runner.invoke(app, ["scan", "--help"]).output


@pytest.mark.parametrize("name", ["documents", "pairs", "clusters"])
def test_every_table_lists_each_article_or_pair_once(seeds_dir, name):
    result = syndup.scan(seeds_dir)
    frame = getattr(result, name)
    key = {"documents": ["doc_id"], "pairs": ["doc_a", "doc_b"], "clusters": ["cluster_id"]}[name]
    assert not frame.duplicated(key).any()


# --- bad input: one warning each, the scan goes on ----------------------------------------------

def run_python(code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter (a hang fails the test by its timeout, not by hanging it)."""
    env = {**os.environ, "PYTHONPATH": str(Path(syndup.__file__).parent.parent)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, env=env)


def test_lone_surrogates_are_replaced_and_the_article_kept(tmp_path):
    path = tmp_path / "s.jsonl"
    lines = [json.dumps({"id": "a\ud800", "text": seed_text("000")}),
             json.dumps({"id": "b", "title": "t\udc00", "url": "https://x/\ud800", "text": seed_text("001")}),
             json.dumps({"id": "c", "text": seed_text("002") + "\udfff"})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")  # json.dumps writes them as \\ud800 escapes
    result = syndup.scan(path)
    docs = result.documents.set_index("doc_id")
    assert sorted(docs.index) == ["a\ufffd", "b", "c"]
    assert docs.loc["b", "title"] == "t\ufffd" and docs.loc["b", "url"] == "https://x/\ufffd"
    assert result.text("c").endswith("\ufffd")
    warned = [p for p in result.problems if "surrogate" in p.reason]
    assert [p.where for p in warned] == [f"{path}:1", f"{path}:2", f"{path}:3"]
    assert not any(p.skipped for p in warned)


def test_deeply_nested_json_is_one_warning(tmp_path):
    path = tmp_path / "n.jsonl"
    path.write_text("\n".join([json.dumps({"id": "a", "text": seed_text("000")}), "[" * 1000 + "]" * 1000,
                               json.dumps({"id": "b", "text": {"x": [[[[[[[[[[[[[]]]]]]]]]]]]]}}),
                               json.dumps({"id": "c", "text": seed_text("001")})]) + "\n", encoding="utf-8")
    arts, problems = items(path)
    assert [a.id for a in arts] == ["a", "c"]
    assert [p.where for p in problems] == [f"{path}:2", f"{path}:3"]
    assert "nested too deeply" in problems[0].reason
    assert syndup.scan(path).articles_read == 2


def test_corrupt_parquet_row_group_is_one_warning_and_the_others_are_read(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "c.parquet"
    pq.write_table(pa.table({"id": [f"d{i}" for i in range(30)], "text": [f"word {i} " * 50 for i in range(30)]}),
                   path, row_group_size=10)
    text_column = pq.ParquetFile(path).metadata.row_group(1).column(1)
    with open(path, "r+b") as fh:  # garble the page header of the second row group's text column
        fh.seek(text_column.dictionary_page_offset or text_column.data_page_offset)
        fh.write(b"\xff" * 40)
    arts, problems = items(path)
    assert [a.id for a in arts] == [f"d{i}" for i in (*range(10), *range(20, 30))]
    assert len(problems) == 1 and problems[0].skipped
    assert problems[0].where == f"{path}:rows 11-20" and "cannot be read" in problems[0].reason


def test_gzip_bomb_is_one_warning_and_the_file_is_skipped(tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"id": "g", "text": seed_text("000")}) + "\n", encoding="utf-8")
    for name, filler in (("spaces.jsonl.gz", b" "), ("blank.jsonl.gz", b"\n"), ("bomb.csv.gz", b" ")):
        bomb = tmp_path / name
        head = b"id,text\n" if name.endswith(".csv.gz") else b""
        bomb.write_bytes(gzip.compress(head + filler * 200_000_000, 9))  # 200 MB in 200 KB
        start = time.monotonic()
        arts, problems = items(bomb)
        assert time.monotonic() - start < 20
        assert not arts and len(problems) == 1, problems[:3]
        assert "compression ratio" in problems[0].reason and problems[0].where.startswith(str(bomb))
        assert [a.id for a in syndup.read([bomb, good]) if isinstance(a, Article)] == ["g"]


def test_records_and_inputs_beyond_the_limits_are_skipped_with_a_warning(tmp_path):
    limits = syndup.ReadLimits(max_record_bytes=2000, max_input_bytes=1_000_000)
    small = seed_text("000")[:1500]
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(json.dumps({"id": i, "text": small if i != 2 else small * 3}) for i in range(1, 5)) + "\n",
                    encoding="utf-8")
    arts, problems = items(path, limits=limits)
    assert [a.id for a in arts] == ["1", "3", "4"]
    assert [p.where for p in problems] == [f"{path}:2"] and "larger than" in problems[0].reason
    table = tmp_path / "r.csv"
    pd.DataFrame({"id": ["1", "2", "3"], "text": [small, small * 3, small]}).to_csv(table, index=False)
    arts, problems = items(table, limits=limits)
    assert [a.id for a in arts] == ["1"] and len(problems) == 1 and "larger than" in problems[0].reason
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "a.txt").write_text(small, encoding="utf-8")
    (folder / "b.txt").write_text(small * 3, encoding="utf-8")
    arts, problems = items(folder, limits=limits)
    assert [a.id for a in arts] == ["a"] and problems[0].where.endswith("b.txt")
    big = tmp_path / "big.jsonl"
    big.write_text("".join(json.dumps({"id": i, "text": small}) + "\n" for i in range(1000)), encoding="utf-8")
    arts, problems = items(big, limits=limits)
    assert 0 < len(arts) < 1000 and len(problems) == 1 and "more than 1000000 bytes" in problems[0].reason


def test_warnings_are_capped_per_file_and_counted_in_full(tmp_path):
    path = tmp_path / "w.jsonl"
    path.write_text(json.dumps({"id": "a", "text": seed_text("000")}) + "\n" + "not json\n" * 300, encoding="utf-8")
    shown: list[Problem] = []
    result = syndup.scan(path, on_problem=shown.append, limits=syndup.ReadLimits(max_warnings=10))
    assert len(result.problems) == 300 and all(p.skipped for p in result.problems)
    assert len(shown) == 11 and str(shown[-1]) == f"{path}: and 290 more warnings like these"
    res = runner.invoke(app, ["scan", str(path), "--out", str(tmp_path / "o"), "--max-warnings", "5"])
    assert res.output.count("not valid JSON") == 5 and "and 295 more warnings like these" in res.output
    assert "1 articles read, 300 skipped" in res.output or "1 article read, 300 skipped" in res.output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_and_dev_zero_as_corpus_are_a_warning_not_a_hang(tmp_path):
    os.mkfifo(tmp_path / "pipe.jsonl")
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    done = run_python(f"import syndup; print(*syndup.read([{str(tmp_path / 'pipe.jsonl')!r}, "
                      f"{str(tmp_path / 'zero.txt')!r}]), sep='\\n')", timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"{tmp_path}/pipe.jsonl: not a regular file (a FIFO); skipped",
                                        f"{tmp_path}/zero.txt: not a regular file (a character device); skipped"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_special_files_in_a_folder_are_one_warning_each_and_counted_as_skipped(tmp_path):
    (tmp_path / "good.txt").write_text(seed_text("000"), encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.txt")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "sock.txt"))
        (tmp_path / "null.txt").symlink_to("/dev/null")
        (tmp_path / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
        (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
        (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
        done = run_python(f"import syndup; print(*syndup.read([{str(tmp_path)!r}]), sep='\\n')", timeout=30)
        res = runner.invoke(app, ["scan", str(tmp_path), "--out", str(tmp_path / "o"), "--no-report"])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 7 and lines.pop(1).startswith("Article(id='good'")
    assert lines == [f"{tmp_path}/gone.txt: dangling symbolic link; skipped",
                         f"{tmp_path}/image.txt: binary data, not text; skipped",
                         f"{tmp_path}/loop.txt: symbolic link loop; skipped",
                         f"{tmp_path}/null.txt: not a regular file (a character device); skipped",
                         f"{tmp_path}/pipe.txt: not a regular file (a FIFO); skipped",
                         f"{tmp_path}/sock.txt: not a regular file (a socket); skipped"]
    assert "6 skipped" in res.output


def test_utf8_with_a_stray_byte_stays_utf8(tmp_path):
    text = "The \u00a3600m deal was signed on Monday \u2013 the minister said. " * 5
    data = text.encode("utf-8")
    (tmp_path / "bbc.txt").write_bytes(data[:40] + b"\x92" + data[40:])
    arts, problems = items(tmp_path)
    assert "\u00a3600m" in arts[0].text and arts[0].text.count("\ufffd") == 1
    assert len(problems) == 1 and "U+FFFD" in problems[0].reason and not problems[0].skipped


def test_csv_with_a_bom_keeps_its_id_column(tmp_path):
    path = tmp_path / "excel.csv"
    frame = pd.DataFrame({"id": ["x", "y"], "text": [seed_text("000"), seed_text("001")]})
    path.write_bytes(frame.to_csv(index=False).encode("utf-8-sig"))
    arts, problems = items(path)
    assert [a.id for a in arts] == ["x", "y"] and not problems


def test_csv_unterminated_quote_is_a_warning_naming_the_line(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('id,text\na,"first article\nb,"second" article\nc,third article\nd,"fourth\ne,fifth\n',
                    encoding="utf-8")
    arts, problems = items(path)
    assert [a.id for a in arts] == ["c"]
    assert [p.where for p in problems] == [f"{path}:2", f"{path}:5"]
    assert "quote" in problems[0].reason and "lines 2-3" in problems[0].reason
    assert "never closed" in problems[1].reason and "lines 5-6" in problems[1].reason


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_table_without_a_text_column_is_an_error_naming_its_columns(tmp_path, suffix):
    pytest.importorskip("pyarrow")
    path = tmp_path / f"t{suffix}"
    frame = pd.DataFrame({"key": ["1", "2"], "words": ["a b c", "d e f"]})
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path, index=False)
    with pytest.raises(syndup.InputError, match="no 'text' column"):
        list(syndup.read([path]))
    res = runner.invoke(app, ["scan", str(path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert f"{path}: no 'text' column (columns: key, words)" in " ".join(res.output.split())


def test_warc_payload_over_the_record_limit_is_one_warning_and_the_other_pages_are_read(tmp_path):
    pytest.importorskip("warcio")
    from .webpages import seed_pages, write_crawl

    pages = seed_pages()
    sizes = sorted(len(page.html.encode()) for page in pages)
    limit = (sizes[1] + sizes[2]) // 2  # two pages fit, three do not
    path = tmp_path / "crawl.warc.gz"
    write_crawl(path, extras=False, pages=pages)
    arts, problems = items(path, limits=syndup.ReadLimits(max_record_bytes=limit))
    small = {page.url for page in pages if len(page.html.encode()) <= limit}
    assert {a.url for a in arts} == small and len(small) == 2
    too_large = [p for p in problems if "payload larger than the record limit" in p.reason]
    assert len(too_large) == len(pages) - 2 and all(p.skipped for p in too_large)


def test_limit_flags_take_sizes_and_a_bad_one_is_one_line_and_exit_2(tmp_path):
    assert [reader.parse_size(s) for s in ("1000", "16M", "1.5K", "2GiB")] == [1000, 16 << 20, 1536, 2 << 30]
    assert reader.format_size(syndup.ReadLimits().max_record_bytes) == "16M"
    res = runner.invoke(app, ["scan", str(tmp_path), "--out", str(tmp_path / "o"), "--max-record-size", "12X"])
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert res.exit_code == 2 and len(lines) == 1 and "'12X' is not a size" in lines[0]


def test_a_file_name_that_is_not_utf8_gives_an_article_and_tables(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / os.fsdecode(b"caf\xe9.txt")).write_text(seed_text("000"), encoding="utf-8")  # a Latin-1 name
    (corpus / "b.txt").write_text(seed_text("001"), encoding="utf-8")
    res = runner.invoke(app, ["scan", str(corpus), "--out", str(tmp_path / "o"), "--no-report"])
    assert res.exit_code == 0, res.output
    docs = pd.read_csv(tmp_path / "o" / "documents.csv")
    assert sorted(docs.doc_id) == ["b", "caf\ufffd"]
    assert f"{corpus}/caf\ufffd.txt" in set(docs.source)
    assert "lone surrogates (not Unicode) in id replaced with U+FFFD" in " ".join(res.output.split())

"""read and the CLI on bad input: one warning per broken record, the scan goes on."""

from __future__ import annotations

import gzip
import importlib
import json
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
    real = Path.read_bytes

    def flaky(self: Path) -> bytes:
        if self.name == "a.txt":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", flaky)
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
    for batch in reader.jsonl_lines(path, size=size):
        assert isinstance(batch, reader.JsonlLines) and 1 <= batch.count <= size
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

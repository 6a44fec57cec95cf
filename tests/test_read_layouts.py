"""The layouts pipelines hand over: Parquet part folders, .jsonl.zst, JSONL on stdin, column
projection, field mapping and a paragraph separator (CLI and `syndup.scan` alike)."""

from __future__ import annotations

import gzip
import importlib
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import syndup
from syndup.cli import app
from syndup.models import Article, Problem
from syndup.normalize import paragraphs

from .conftest import REPO, seed_text

reader = importlib.import_module("syndup.read")
runner = CliRunner()
SEEDS = [seed_text(p) for p in ("000", "001", "002", "003", "004")]
COPY_PAIR = {"k0", "k1"}  # seeds 000 and 001: an article and its repost


def rows(**extra: object) -> list[dict[str, object]]:
    return [{"id": f"k{i}", "text": text, **{k: v for k, v in extra.items()}} for i, text in enumerate(SEEDS)]


def items(paths: list[Path], **kw: object) -> tuple[list[Article], list[Problem]]:
    got = list(syndup.read(paths, **kw))  # type: ignore[arg-type]
    return [a for a in got if isinstance(a, Article)], [p for p in got if isinstance(p, Problem)]


def zstd_compress(data: bytes) -> bytes:
    return reader._zstd().compress(data)


# --- folders of Parquet parts ----------------------------------------------------------------

def test_a_folder_of_parquet_parts_is_read_as_a_dataset_with_its_partition_keys(tmp_path: Path) -> None:
    data = tmp_path / "dataset"
    for part, site in ((0, "rt.com"), (1, "globalresearch.ca")):
        (data / f"site={site}").mkdir(parents=True)
        pd.DataFrame(rows()[part::2]).to_parquet(data / f"site={site}" / f"part-{part}.parquet")
    (data / "_SUCCESS").write_text("")  # what Spark leaves next to the parts
    arts, problems = items([data])
    assert sorted(a.id for a in arts) == [f"k{i}" for i in range(5)] and not problems
    assert {a.id: a.site for a in arts} == {"k0": "rt.com", "k2": "rt.com", "k4": "rt.com",
                                            "k1": "globalresearch.ca", "k3": "globalresearch.ca"}
    assert all(a.origin_ref.startswith(str(data)) and ":row " in a.origin_ref for a in arts)
    res = runner.invoke(app, ["scan", str(data), "--out", str(tmp_path / "out"), "--no-report"])
    assert res.exit_code == 0, res.output
    assert "5 articles read, 0 skipped; 1 cluster of copies" in res.output


def test_a_folder_with_nothing_to_read_says_so_and_the_cli_fails(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.pdf").write_bytes(b"%PDF")
    (tmp_path / "in" / "b.pdf").write_bytes(b"%PDF")
    arts, problems = items([tmp_path / "in"])
    assert not arts and [str(p) for p in problems] == [
        f"{tmp_path / 'in'}: no articles: no file below it is text (.txt, .md, .html) or data "
        f"(.jsonl, .csv, .parquet, .warc) (it holds 2 .pdf files)"]
    res = runner.invoke(app, ["scan", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--no-report"])
    assert res.exit_code == 1
    assert "Error: no article was read from" in res.output and "it holds 2 .pdf files" in res.output


def test_a_folder_of_jsonl_and_csv_parts_reads_each(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    recs = rows()
    (tmp_path / "in" / "part-0.jsonl").write_text("\n".join(json.dumps(r) for r in recs[:2]), encoding="utf-8")
    pd.DataFrame(recs[2:]).to_csv(tmp_path / "in" / "part-1.csv", index=False)
    arts, problems = items([tmp_path / "in"])
    assert [a.id for a in arts] == [f"k{i}" for i in range(5)] and not problems


# --- compressed and piped JSONL --------------------------------------------------------------

def test_jsonl_zst_is_read_like_jsonl_and_a_cut_file_keeps_the_lines_before(tmp_path: Path) -> None:
    lines = "".join(json.dumps(r) + "\n" for r in rows()).encode()
    (tmp_path / "c.jsonl.zst").write_bytes(zstd_compress(lines))
    arts, problems = items([tmp_path / "c.jsonl.zst"])
    assert [a.id for a in arts] == [f"k{i}" for i in range(5)] and not problems
    whole = zstd_compress(lines * 40)
    (tmp_path / "cut.jsonl.zst").write_bytes(whole[:-50])  # its last block cut short
    arts, problems = items([tmp_path / "cut.jsonl.zst"])
    assert 0 < len(arts) < 200
    assert len(problems) == 1 and "file ends early or is corrupt" in problems[0].reason
    assert problems[0].where.startswith(f"{tmp_path / 'cut.jsonl.zst'}:")


@pytest.mark.parametrize("pack", ["plain", "gzip", "zstd"])
def test_stdin_is_jsonl_plain_gzip_or_zstd(tmp_path: Path, pack: str) -> None:
    data = "".join(json.dumps(r) + "\n" for r in rows()).encode() + b"{broken\n"
    data = {"plain": data, "gzip": gzip.compress(data), "zstd": zstd_compress(data)}[pack]
    res = runner.invoke(app, ["scan", "-", "--out", str(tmp_path / "out"), "--no-report"], input=data)
    assert res.exit_code == 0, res.output
    assert "5 articles read, 1 skipped; 1 cluster of copies" in res.output
    assert "warning: <stdin>:6: not valid JSON" in res.output
    docs = pd.read_csv(tmp_path / "out" / "documents.csv")
    assert sorted(docs["source"]) == [f"<stdin>:{n}" for n in range(1, 6)]


def test_stdin_named_twice_or_in_an_unknown_format_is_one_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["scan", "-", "-", "--out", str(tmp_path / "out")], input=b"")
    assert res.exit_code == 2 and "named twice" in res.output
    (tmp_path / "c.json").write_text("[]")
    res = runner.invoke(app, ["scan", str(tmp_path / "c.json"), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "or - for JSONL (one JSON object per line, UTF-8), plain or gzip/zstd-compressed on stdin" in res.output


# --- projection and field mapping ------------------------------------------------------------

def test_parquet_reads_only_the_columns_an_article_needs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow.parquet as pq

    frame = pd.DataFrame(rows(url="https://x/", views=7, html_raw="<p>big</p>" * 100, embedding=[[0.1] * 8] * 5))
    frame.to_parquet(tmp_path / "c.parquet")
    asked: list[object] = []
    real = pq.ParquetFile.iter_batches

    def spy(self: pq.ParquetFile, *args: object, **kw: object) -> object:
        asked.append(kw.get("columns"))
        return real(self, *args, **kw)

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", spy)
    arts, problems = items([tmp_path / "c.parquet"])
    assert len(arts) == 5 and arts[0].url == "https://x/" and not problems
    assert asked and all(cols == ["id", "text", "url"] for cols in asked)


def test_fields_name_a_tables_columns_in_the_cli_and_in_python(tmp_path: Path) -> None:
    frame = pd.DataFrame([{"key": f"k{i}", "body": text, "publisher": f"site{i}", "pub": f"2024-03-1{i}",
                           "link": f"https://site{i}/a", "headline": f"H{i}", "writer": f"W{i}",
                           "date": "1999-01-01", "scrape_time": "2024-04-01"}
                          for i, text in enumerate(SEEDS)])
    frame.to_csv(tmp_path / "c.csv", index=False)
    flags = ["--id-field", "key", "--text-field", "body", "--site-field", "publisher", "--date-field", "pub",
             "--url-field", "link", "--title-field", "headline", "--author-field", "writer"]
    res = runner.invoke(app, ["scan", str(tmp_path / "c.csv"), "--out", str(tmp_path / "out"), "--no-report", *flags])
    assert res.exit_code == 0, res.output
    docs = pd.read_csv(tmp_path / "out" / "documents.csv").set_index("doc_id")
    result = syndup.scan(tmp_path / "c.csv", id_field="key", text_field="body", site_field="publisher",
                         date_field="pub", url_field="link", title_field="headline", author_field="writer")
    for table in (docs, result.documents.set_index("doc_id")):
        row = table.loc["k2"]
        assert (row["site"], row["url"], row["title"], row["author"]) == ("site2", "https://site2/a", "H2", "W2")
        assert str(row["published"]).startswith("2024-03-12")  # pub, not the `date` column
        assert str(row["crawled"]).startswith("2024-04-01")    # scrape_time, by its usual name


def test_a_paragraph_separator_cuts_the_text_into_paragraphs(tmp_path: Path) -> None:
    joined = " ### ".join(p.strip() for p in paragraphs(SEEDS[0]))
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"id": "a", "text": joined}) + "\n", encoding="utf-8")
    [plain], _ = items([path])
    [cut], _ = items([path], paragraph_sep=" ### ")
    assert len(paragraphs(plain.text)) == 1 and " ### " in plain.text
    assert len(paragraphs(cut.text)) == len(paragraphs(SEEDS[0])) > 10 and "###" not in cut.text
    res = runner.invoke(app, ["scan", str(path), "--out", str(tmp_path / "out"), "--no-report",
                              "--paragraph-sep", " ### "])
    assert res.exit_code == 0, res.output


def test_a_field_that_names_no_column_is_an_error() -> None:
    with pytest.raises(syndup.InputError, match="the site field must be a column name"):
        syndup.scan([{"id": "a", "text": "x"}], site_field="")
    with pytest.raises(syndup.InputError, match="paragraph_sep must be a string with a visible character"):
        syndup.scan([{"id": "a", "text": "x"}], paragraph_sep="  ")


def test_readme_documents_every_input_option() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for option in ("--url-field", "--title-field", "--site-field", "--date-field", "--author-field",
                   "--paragraph-sep", "--dedup-out", "--keep", ".jsonl.zst", "syndup scan -"):
        assert option in readme, option

"""`syndup index add|check|stats` and `syndup scan --index`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from syndup import Index
from syndup.cli import app

from .conftest import seed_text

runner = CliRunner()
ID0, ID1 = "000_28930205ab5c0454", "001_4b43cad0f107b24d"


def test_add_check_stats(tmp_path: Path, seeds_dir: Path) -> None:
    index = str(tmp_path / "articles.syndup")
    res = runner.invoke(app, ["index", "add", index, str(seeds_dir)])
    assert res.exit_code == 0, res.output
    assert f"{ID1}: copy of {ID0} (jaccard 0.44, containment 0.62)" in res.output
    assert "5 articles added, 1 matched an indexed article; 5 in" in res.output

    probe = tmp_path / "probe.txt"
    probe.write_text(seed_text("001"))
    res = runner.invoke(app, ["index", "check", "--json", index, str(probe)])
    assert res.exit_code == 0, res.output
    got = json.loads(res.output)
    assert got["id"] == "probe"
    assert [(m["doc_id"], m["relation"]) for m in got["matches"]] == [(ID1, "duplicate"), (ID0, "copy")]
    other = tmp_path / "other.txt"
    other.write_text("A short note that matches nothing in the index at all, about the weather.")
    res = runner.invoke(app, ["index", "check", index, str(other)])
    assert res.exit_code == 0 and "other: no match" in res.output

    res = runner.invoke(app, ["index", "stats", "--json", index])
    stats = json.loads(res.output)
    assert res.exit_code == 0 and stats["articles"] == 5 and stats["backend"] == "sqlite"
    res = runner.invoke(app, ["index", "stats", index])
    assert "articles: 5" in res.output and "shingle_size=5" in res.output


def test_errors(tmp_path: Path, seeds_dir: Path) -> None:
    res = runner.invoke(app, ["index", "add", str(tmp_path / "i.syndup"), str(tmp_path / "missing")])
    assert res.exit_code == 2 and "no such file or folder" in res.output
    res = runner.invoke(app, ["index", "stats", str(tmp_path / "nofolder" / "i.syndup")])
    assert res.exit_code == 1 and res.output.startswith("Error:") and "does not exist" in res.output
    edited = tmp_path / "edited"
    edited.mkdir()
    (edited / f"{ID0}.txt").write_text(seed_text("002"))
    index = str(tmp_path / "i.syndup")
    assert runner.invoke(app, ["index", "add", index, str(seeds_dir)]).exit_code == 0
    res = runner.invoke(app, ["index", "add", index, str(edited)])
    assert res.exit_code == 1 and "--replace" in res.output
    assert runner.invoke(app, ["index", "add", "--replace", index, str(edited)]).exit_code == 0


def test_scan_with_index(tmp_path: Path, seeds_dir: Path) -> None:
    """Scanning a new batch against an index: its matches with earlier articles, then it is added."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    for p in seeds_dir.glob("*.txt"):
        shutil.copy(p, (first if p.name.startswith(("000", "002")) else second) / p.name)
    index = str(tmp_path / "articles.syndup")
    assert runner.invoke(app, ["index", "add", index, str(first)]).exit_code == 0
    res = runner.invoke(app, ["scan", str(second), "--out", str(tmp_path / "out"), "--index", index,
                              "--no-report"])
    assert res.exit_code == 0, res.output
    assert "1 articles match articles indexed before" in res.output
    matches = pd.read_csv(tmp_path / "out" / "index_matches.csv")
    assert matches[["doc_id", "match_id", "relation"]].values.tolist() == [[ID1, ID0, "copy"]]
    with Index.open(index) as idx:
        assert len(idx) == 5


def test_index_commands_map_fields_and_read_stdin_as_scan_does(tmp_path: Path) -> None:
    """`index add` and `index check` take scan's field mapping, paragraph separator and `-` (stdin)."""
    from syndup.normalize import paragraphs

    seeds = [seed_text(p) for p in ("000", "001", "002")]
    frame = pd.DataFrame([{"key": f"k{i}", "body": " ### ".join(p.strip() for p in paragraphs(text)),
                           "publisher": f"site{i}", "pub": f"2024-03-1{i}", "link": f"https://site{i}.example/a",
                           "headline": f"H{i}", "writer": f"W{i}", "date": "1999-01-01"}
                          for i, text in enumerate(seeds)])
    frame.to_csv(tmp_path / "c.csv", index=False)
    flags = ["--id-field", "key", "--text-field", "body", "--site-field", "publisher", "--date-field", "pub",
             "--url-field", "link", "--title-field", "headline", "--author-field", "writer",
             "--paragraph-sep", " ### "]
    index = str(tmp_path / "i.syndup")
    res = runner.invoke(app, ["index", "add", index, str(tmp_path / "c.csv"), *flags])
    assert res.exit_code == 0, res.output
    assert "3 articles added" in res.output
    with Index.open(index) as idx:
        got = idx.get("k2")
    assert (got.site, got.url, got.title, got.author) == ("site2", "https://site2.example/a", "H2", "W2")
    assert str(got.published).startswith("2024-03-12")  # pub, not the `date` column
    assert len(paragraphs(got.text)) == len(paragraphs(seeds[2])) > 5 and "###" not in got.text

    # The repost of seed 000, on stdin with the same mapping: found as a copy of k0.
    probe = json.dumps({"key": "probe", "body": " ### ".join(p.strip() for p in paragraphs(seed_text("001")))})
    res = runner.invoke(app, ["index", "check", "--json", index, "-", *flags], input=probe + "\n")
    assert res.exit_code == 0, res.output
    got_check = json.loads(res.output)
    assert got_check["id"] == "probe" and ("k1", "duplicate") in [(m["doc_id"], m["relation"])
                                                                 for m in got_check["matches"]]
    res = runner.invoke(app, ["index", "add", "-q", index, "-", "--id-field", "key", "--text-field", "body"],
                        input=json.dumps({"key": "k9", "body": seed_text("003")}) + "\n")
    assert res.exit_code == 0 and "1 articles added" in res.output and "4 in" in res.output


def test_index_commands_refuse_a_blank_field_or_a_missing_column(tmp_path: Path) -> None:
    pd.DataFrame([{"key": "a", "story": seed_text("000")}]).to_csv(tmp_path / "c.csv", index=False)
    index = str(tmp_path / "i.syndup")
    for command in ("add", "check"):
        res = runner.invoke(app, ["index", command, index, str(tmp_path / "c.csv"), "--site-field", ""])
        assert res.exit_code == 2 and "the site field must be a column name" in res.output
        res = runner.invoke(app, ["index", command, index, str(tmp_path / "c.csv")])
        assert res.exit_code == 2 and "no 'text' column" in res.output and "--text-field" in res.output

"""The deduplicated corpus: one member of each cluster kept by the keep rule, every input column
carried through, partial reuse kept on both sides (`--dedup-out`, `ScanResult.deduplicated`)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import syndup
from syndup.cli import app
from syndup.dedup import kept_ids
from syndup.normalize import paragraphs

from .conftest import seed_text

runner = CliRunner()
S000, S001, S003, S004 = (seed_text(p) for p in ("000", "001", "003", "004"))


def body(text: str) -> list[str]:
    return [p for p in paragraphs(text) if len(p.split()) >= 3]


def corpus() -> list[dict[str, object]]:
    """A cluster of three copies where the origin, the longest and the earliest dated are three
    different articles; a blog that quotes a passage of the wire (partial); an article alone.
    Every record has two columns syndup does not read."""
    own = body(S003)
    blog = "\n\n".join(own[:4] + body(S000)[3:6] + own[4:])
    longer = S000 + "\n\n" + "\n\n".join(body(S004)[:3])  # the wire story, and more
    return [
        {"id": "wire", "text": S000, "lang": "en", "score": 0.5},                     # undated: the origin
        {"id": "repost", "text": S001, "date": "2024-03-17T10:00:00Z", "lang": "en", "score": 1.5},
        {"id": "long", "text": longer, "date": "2024-03-18", "lang": "de", "score": 2.5},
        {"id": "blog", "text": blog, "lang": "fr", "score": 3.5},
        {"id": "alone", "text": S004, "lang": "es", "score": 4.5},
    ]


@pytest.fixture(scope="module")
def result() -> syndup.ScanResult:
    got = syndup.scan(pd.DataFrame(corpus()))
    docs = got.documents.set_index("doc_id")
    assert docs.loc["wire", "role"] == "origin"  # the corpus is what the tests below say it is
    assert set(docs.loc[["wire", "repost", "long"], "cluster_id"]) == {docs.loc["wire", "cluster_id"]}
    assert docs.loc["blog", "role"] == "unique"
    assert "partial" in set(got.pairs["relation"])
    return got


@pytest.mark.parametrize(("keep", "kept"), [("origin", "wire"), ("longest", "long"), ("earliest", "repost")])
def test_each_keep_rule_keeps_its_member_and_every_other_article(result: syndup.ScanResult, keep: str,
                                                                 kept: str) -> None:
    frame = result.deduplicated(keep)
    assert list(frame["id"]) == [r for r in ("wire", "repost", "long", "blog", "alone") if r not in
                                 {"wire", "repost", "long"} - {kept}]
    assert list(frame.columns) == ["id", "text", "lang", "score", "date"]  # the DataFrame's own columns
    row = frame.set_index("id").loc[kept]
    source = next(r for r in corpus() if r["id"] == kept)
    assert (row["lang"], row["score"], row["text"]) == (source["lang"], source["score"], source["text"])
    assert {"blog", "wire"} <= set(frame["id"]) or keep != "origin"  # partial: both kept


def test_an_unknown_keep_rule_is_an_error(result: syndup.ScanResult) -> None:
    with pytest.raises(syndup.InputError, match="keep must be one of origin, longest, earliest; got 'first'"):
        result.deduplicated("first")


def write(records: list[dict[str, object]], path: Path) -> Path:
    frame = pd.DataFrame(records)
    if path.suffix == ".parquet":
        frame.to_parquet(path)
    elif path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def read_back(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".csv":
        return pd.read_csv(path)
    return pd.read_json(path, lines=True)


@pytest.mark.parametrize("given", [".jsonl", ".csv", ".parquet"])
@pytest.mark.parametrize("written", [".parquet", ".jsonl", ".csv"])
def test_dedup_out_writes_the_corpus_minus_copies_with_every_column(tmp_path: Path, given: str, written: str) -> None:
    source = write(corpus(), tmp_path / f"in{given}")
    out = tmp_path / f"dedup{written}"
    res = runner.invoke(app, ["scan", str(source), "--out", str(tmp_path / "out"), "--no-report",
                              "--dedup-out", str(out), "--keep", "longest"])
    assert res.exit_code == 0, res.output
    assert f"Deduplicated corpus (3 of 5 articles, keeping the longest of each cluster) written to {out}" in res.output
    frame = read_back(out)
    assert list(frame["id"]) == ["long", "blog", "alone"]
    assert list(frame["lang"]) == ["de", "fr", "es"]
    assert [float(x) for x in frame["score"]] == [2.5, 3.5, 4.5]  # CSV has no types: from it they are text
    assert frame.set_index("id").loc["long", "text"] == corpus()[2]["text"]


def test_dedup_out_of_stdin_and_text_files_is_made_of_the_articles(tmp_path: Path) -> None:
    data = "".join(json.dumps(r) + "\n" for r in corpus()).encode()
    out = tmp_path / "d.jsonl"
    res = runner.invoke(app, ["scan", "-", "--out", str(tmp_path / "out"), "--no-report", "--dedup-out", str(out)],
                        input=data)
    assert res.exit_code == 0, res.output
    frame = read_back(out)
    assert list(frame["id"]) == ["alone", "blog", "wire"]
    assert list(frame.columns) == ["id", "text", "url", "title", "site", "published", "author", "crawled"]


def test_a_dedup_out_syndup_cannot_write_fails_before_the_scan(tmp_path: Path) -> None:
    source = write(corpus(), tmp_path / "in.jsonl")
    for target, why in ((tmp_path / "d.xlsx", "is written as .parquet, .jsonl, .csv"),
                        (tmp_path / "missing" / "d.csv", "does not exist"),
                        (tmp_path, "is a folder")):
        res = runner.invoke(app, ["scan", str(source), "--out", str(tmp_path / "out"), "--dedup-out", str(target)])
        assert res.exit_code == 2 and why in res.output, res.output
        assert not (tmp_path / "out").exists()


def oracle(documents: pd.DataFrame, keep: str) -> set[str]:
    """One member per cluster, chosen one cluster at a time in plain Python."""
    chosen = set()
    for _, members in documents.groupby("cluster_id"):
        rows = members.to_dict("records")

        def rank(r: dict[str, object]) -> tuple[object, ...]:
            tie = (r["role"] != "origin", r["doc_id"])
            if keep == "longest":
                return (-int(r["words"]), *tie)  # type: ignore[call-overload]
            if keep == "earliest":
                date = pd.to_datetime(r["published"], utc=True) if isinstance(r["published"], str) else None
                return (date is None, date or pd.Timestamp(0, tz="UTC"), *tie)
            return tie

        chosen.add(min(rows, key=rank)["doc_id"])
    return chosen


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(0, 50), st.one_of(st.none(), st.integers(1, 28))),
                min_size=1, max_size=25),
       st.sampled_from(["origin", "longest", "earliest"]))
def test_kept_ids_are_the_oracles_choice(members: list[tuple[int, int, int | None]], keep: str) -> None:
    rows = []
    for k, (cluster, words, day) in enumerate(members):
        first = all(c != cluster for c, _, _ in members[:k])
        rows.append({"doc_id": f"d{k:02d}", "cluster_id": cluster, "role": "origin" if first else "copy",
                     "words": words, "published": None if day is None else f"2024-02-{day:02d}"})
    documents = pd.DataFrame(rows)
    got = kept_ids(documents, keep)
    assert set(got) == oracle(documents, keep)
    assert len(got) == documents["cluster_id"].nunique()


def test_dedup_out_of_parts_with_different_columns_has_them_all(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    records = corpus()
    write(records[:3], tmp_path / "in" / "a.parquet")
    write([{**r, "lang": None, "section": "world"} for r in records[3:]], tmp_path / "in" / "b.jsonl")
    out = tmp_path / "d.parquet"
    res = runner.invoke(app, ["scan", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--no-report",
                              "--dedup-out", str(out)])
    assert res.exit_code == 0, res.output
    frame = read_back(out)
    assert list(frame["id"]) == ["wire", "blog", "alone"]
    assert list(frame["section"].fillna("-")) == ["-", "world", "world"]
    assert list(frame["score"]) == [0.5, 3.5, 4.5]


@pytest.mark.parametrize("given", [".jsonl", ".csv"])
@pytest.mark.parametrize("written", [".jsonl", ".csv"])
def test_dedup_out_to_jsonl_or_csv_is_streamed_not_held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         given: str, written: str) -> None:
    """Writing the deduplicated corpus holds a part of it at a time (here 100 rows of 3,000, each
    with 16 KB of a column syndup does not read: 48 MB), not the whole; a column that appears later
    in the input is a column of every CSV row."""
    import importlib
    import random
    import tracemalloc

    from syndup import dedup

    monkeypatch.setattr(dedup, "PART_ROWS", 100)
    monkeypatch.setattr(importlib.import_module("syndup.read"), "LINES_PER_PART", 64)
    rng = random.Random(5)
    words = [f"w{k}" for k in range(5000)]
    records = [{"id": f"r{i:04d}", "text": " ".join(rng.choice(words) for _ in range(40)), "raw": f"r{i:04d}" * 3200,
                **({"section": f"s{i}"} if i >= 2500 else {})} for i in range(3000)]
    source = write(records, tmp_path / f"in{given}")
    with syndup.scan(source, jobs=1) as result:
        assert (result.documents["role"] == "unique").all()
        out = tmp_path / f"d{written}"
        tracemalloc.start()
        try:
            assert dedup.write_deduplicated(result, "origin", out) == 3000
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    raw_bytes = 3000 * 16000
    assert peak < raw_bytes / 4, f"writing held {peak / 1e6:.1f} MB of {raw_bytes / 1e6:.0f} MB"
    frame = read_back(out)
    assert list(frame["id"]) == [r["id"] for r in records]
    assert frame["raw"].astype(str).tolist() == [r["raw"] for r in records]
    assert frame["section"].isna().sum() == 2500 and list(frame["section"][2500:]) == [f"s{i}" for i in range(2500, 3000)]
    if written == ".csv":
        lines = out.read_text(encoding="utf-8").splitlines()
        assert lines[0].split(",")[-1] == "section" and all(line.count(",") == lines[0].count(",") for line in lines)

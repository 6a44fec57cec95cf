"""Typed tables with one schema: what CSV and Parquet hold, and `syndup.load` reading a finished scan back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import syndup
from syndup.cli import app
from syndup.extract import extract_html
from syndup.output import TABLES, _csv_form, _split_list, arrow_schema, read_table, write_tables
from syndup.tables import SCHEMAS, kind_of, typed

from .conftest import SEEDS
from .generated import write_jsonl

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pcsv = pytest.importorskip("pyarrow.csv")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, syndup.ScanResult]:
    """The generated corpus (dates, sites, every relation) and its scan."""
    folder = tmp_path_factory.mktemp("generated")
    corpus = write_jsonl(folder / "generated.jsonl")
    return corpus, syndup.scan(corpus)


def _scan_out(tmp_path: Path, corpus: Path, *args: str) -> Path:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["scan", str(corpus), "--out", str(out), "--quiet", "--no-report", *args])
    assert result.exit_code == 0, result.output
    return out


def test_in_memory_tables_have_the_declared_types(generated: tuple[Path, syndup.ScanResult]) -> None:
    _, result = generated
    docs, clusters, pairs = result.documents, result.clusters, result.pairs
    assert str(docs["published"].dtype) == "datetime64[us, UTC]" and str(docs["crawled"].dtype) == "datetime64[us, UTC]"
    assert str(clusters["first_published"].dtype) == "datetime64[us, UTC]"
    assert docs["published"].notna().sum() > 20  # no pd.to_datetime needed: they are times already
    assert isinstance(docs["relation"].dtype, pd.CategoricalDtype) and isinstance(pairs["relation"].dtype,
                                                                                  pd.CategoricalDtype)
    big = clusters[clusters["size"] == 37].iloc[0]
    assert isinstance(big["sites"], list) and len(big["sites"]) == big["n_sites"] == 7
    assert set(docs.loc[docs["published"].notna(), "published_source"]) == {"record"}
    assert docs.loc[docs["published"].isna(), "published_source"].isna().all()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_finished_scan_loads_back_equal(generated: tuple[Path, syndup.ScanResult], fmt: str,
                                          tmp_path: Path) -> None:
    corpus, result = generated
    write_tables(result, tmp_path / "out", (fmt,), corpus=[corpus])
    with syndup.load(tmp_path / "out") as loaded:
        for name in TABLES:
            pd.testing.assert_frame_equal(getattr(loaded, name), getattr(result, name), check_exact=True)
        assert (loaded.articles_read, loaded.problems, loaded.settings, loaded.boilerplate) == (
            result.articles_read, result.problems, result.settings, result.boilerplate)
        assert loaded.text("a001") == result.text("a001") and list(loaded) == list(result)


def test_a_big_parquet_table_is_a_folder_of_parts_read_back_as_one_table(
        generated: tuple[Path, syndup.ScanResult], tmp_path: Path) -> None:
    corpus, result = generated
    out = tmp_path / "out"
    (out / "documents.parquet").mkdir(parents=True)  # an earlier scan's parts, and a pairs table in one file
    (out / "documents.parquet" / "part-9999.parquet").write_bytes(b"stale")
    (out / "pairs.parquet").write_bytes(b"stale")
    rows = 7  # a low threshold: the documents and pairs tables are split into many parts
    assert len(result.documents) > 11 * rows and len(result.pairs) > 11 * rows
    write_tables(result, out, ("parquet",), corpus=[corpus], part_rows=rows)
    for name in TABLES:
        path = out / f"{name}.parquet"
        frame = getattr(result, name)
        if len(frame) <= rows:
            assert path.is_file()  # a small table stays one file
            continue
        parts = sorted(path.iterdir())
        assert [p.name for p in parts] == [f"part-{i:04d}.parquet" for i in range(-(-len(frame) // rows))]
        for part in parts:
            assert pq.read_schema(part).remove_metadata() == arrow_schema(name).remove_metadata()
            assert pq.ParquetFile(part).metadata.num_rows <= rows
        # Read back as one table, in order, by pandas and by pyarrow, equal to the scan's own.
        back = typed(pd.read_parquet(path), name)
        pd.testing.assert_frame_equal(back, frame, check_exact=True)
        table = pq.read_table(path)
        assert table.num_rows == len(frame) and table.column_names == list(SCHEMAS[name])
        assert table.column(SCHEMAS[name][0]).to_pylist() == frame[SCHEMAS[name][0]].tolist()
    with syndup.load(out) as loaded:
        for name in TABLES:
            pd.testing.assert_frame_equal(getattr(loaded, name), getattr(result, name), check_exact=True)
        assert loaded.text("a001") == result.text("a001")
    # Written again small, or as CSV, the folders of parts are replaced or removed.
    write_tables(result, out, ("parquet",), corpus=[corpus])
    assert (out / "documents.parquet").is_file()
    with syndup.load(out) as loaded:
        pd.testing.assert_frame_equal(loaded.documents, result.documents, check_exact=True)
    write_tables(result, out, ("parquet",), corpus=[corpus], part_rows=rows)
    write_tables(result, out, ("csv",), corpus=[corpus])
    assert sorted(p.name for p in out.iterdir()) == sorted([f"{name}.csv" for name in TABLES] + ["scan.json"])


def test_parquet_files_carry_the_declared_schema_and_no_null_type(tmp_path: Path) -> None:
    out = _scan_out(tmp_path, SEEDS, "--format", "parquet")
    # The seeds have no sites, urls or dates: those columns are all empty, and keep their types.
    assert sorted(p.name for p in out.iterdir()) == ["clusters.parquet", "documents.parquet", "network.parquet",
                                                     "pairs.parquet", "scan.json", "sites.parquet"]  # no CSV
    for name in TABLES:
        schema = pq.read_schema(out / f"{name}.parquet")
        assert schema.remove_metadata() == arrow_schema(name).remove_metadata()
        assert not any(pa.types.is_null(f.type) for f in schema)
    docs = pq.read_table(out / "documents.parquet")
    assert docs.column("published").type == pa.timestamp("us", tz="UTC") and docs.column("published").null_count == 5
    assert pq.read_table(out / "clusters.parquet").column("sites").type == pa.list_(pa.string())


def test_csv_files_read_with_the_declared_schema_by_pyarrow(generated: tuple[Path, syndup.ScanResult],
                                                           tmp_path: Path) -> None:
    corpus, result = generated
    write_tables(result, tmp_path, ("csv",))
    for name in TABLES:
        types = arrow_schema(name, csv=True)
        table = pcsv.read_csv(tmp_path / f"{name}.csv", convert_options=pcsv.ConvertOptions(
            column_types=types, null_values=[""], strings_can_be_null=True))
        assert table.schema == types
    docs = pcsv.read_csv(tmp_path / "documents.csv", convert_options=pcsv.ConvertOptions(
        column_types=arrow_schema("documents", csv=True), null_values=[""], strings_can_be_null=True)).to_pandas()
    published = result.documents["published"]
    assert docs["published"].notna().sum() == published.notna().sum()
    assert (docs["published"].dropna().astype("datetime64[us, UTC]").tolist() == published.dropna().tolist())


def test_csv_files_read_with_the_declared_schema_by_polars(generated: tuple[Path, syndup.ScanResult],
                                                          tmp_path: Path) -> None:
    pl = pytest.importorskip("polars")
    _, result = generated
    write_tables(result, tmp_path, ("csv", "parquet"))
    frame = pl.read_parquet(tmp_path / "documents.parquet")
    assert frame.schema["published"] == pl.Datetime("us", "UTC")
    csv = pl.read_csv(tmp_path / "documents.csv", schema_overrides={"published": pl.Datetime("us", "UTC")})
    assert csv["published"].null_count() == frame["published"].null_count()


def test_csv_dates_are_iso_8601_in_utc(generated: tuple[Path, syndup.ScanResult], tmp_path: Path) -> None:
    _, result = generated
    write_tables(result, tmp_path)
    docs = pd.read_csv(tmp_path / "documents.csv", dtype=str, keep_default_na=False)
    stated = [d for d in docs["published"] if d]
    assert stated and all(len(d) == 20 and d[10] == "T" and d.endswith("Z") for d in stated)
    first = pd.read_csv(tmp_path / "clusters.csv", dtype=str, keep_default_na=False)["first_published"]
    assert all(d.endswith("Z") for d in first if d)


def test_every_column_has_a_declared_type() -> None:
    for columns in SCHEMAS.values():
        for column in columns:
            kind_of(column)  # raises, naming the column, if it has none
    with pytest.raises(KeyError, match="'no_such_column' has no declared type"):
        kind_of("no_such_column")


@given(st.lists(st.text(min_size=1)))
def test_a_joined_list_cell_splits_back_into_its_items(items: list[str]) -> None:
    frame = pd.DataFrame({"sites": [items]})
    (cell,) = _csv_form(frame)["sites"]
    assert _split_list(cell) == items


def test_sites_with_separators_survive_csv(tmp_path: Path) -> None:
    text = " ".join(f"word{i}" for i in range(200))
    result = syndup.scan([{"id": "a", "text": text, "site": "Times; Sunday"},
                          {"id": "b", "text": text, "site": "C:\\News"}])
    write_tables(result, tmp_path)
    clusters = read_table(tmp_path / "clusters.csv", "clusters")
    assert clusters["sites"].tolist() == [["C:\\News", "Times; Sunday"]]
    assert "Times\\; Sunday" in (tmp_path / "clusters.csv").read_text()


def test_a_date_from_the_url_or_from_the_page_says_so() -> None:
    body = "".join(f"<p>{' '.join(f'sentence{i} word{j}' for j in range(30))}.</p>" for i in range(5))
    page = f"<html><head><title>T</title></head><body><article>{body}</article></body></html>"
    in_url = extract_html(page, url="https://news.example/2021/05/04/story")
    assert (in_url.meta["published"], in_url.meta["published_source"]) == ("2021-05-04", "url")
    meta = page.replace("<title>", '<meta property="article:published_time" content="2020-01-02T10:00:00Z"><title>')
    in_page = extract_html(meta, url="https://news.example/story")
    assert in_page.meta["published"].startswith("2020-01-02T10:00") and in_page.meta["published_source"] == "page"
    assert extract_html(page, url="https://news.example/story").meta["published_source"] is None


def test_diff_from_a_finished_scan_equals_a_rescan(tmp_path: Path) -> None:
    corpus = tmp_path / "seeds"
    shutil.copytree(SEEDS, corpus)
    out = _scan_out(tmp_path, corpus)
    a, b = "000_28930205ab5c0454", "001_4b43cad0f107b24d"
    loaded = CliRunner().invoke(app, ["diff", "--from", str(out), a, b, "--format", "json"])
    rescanned = CliRunner().invoke(app, ["diff", "--corpus", str(corpus), a, b, "--format", "json"])
    assert loaded.exit_code == 0, loaded.output
    assert json.loads(loaded.output) == json.loads(rescanned.output)
    # Moved: the old path is gone; --corpus says where it is now.
    moved = corpus.rename(tmp_path / "moved")
    gone = CliRunner().invoke(app, ["diff", "--from", str(out), a, b])
    assert gone.exit_code != 0 and "Error:" in gone.output and "Traceback" not in gone.output
    again = CliRunner().invoke(app, ["diff", "--from", str(out), "--corpus", str(moved), a, b, "--format", "json"])
    assert again.exit_code == 0 and json.loads(again.output) == json.loads(rescanned.output)


def test_a_loaded_scan_refuses_texts_it_cannot_vouch_for(tmp_path: Path) -> None:
    corpus = tmp_path / "seeds"
    shutil.copytree(SEEDS, corpus)
    result = syndup.scan(corpus)
    records = [{"id": p.stem, "text": p.read_text()} for p in sorted(corpus.glob("*.txt"))]
    write_tables(syndup.scan(records), tmp_path / "bare")  # from Python objects: no file to read again
    with pytest.raises(syndup.InputError, match="corpus=PATHS"):
        syndup.load(tmp_path / "bare").text("000_28930205ab5c0454")
    assert syndup.load(tmp_path / "bare", corpus=corpus).text("000_28930205ab5c0454") == \
        result.text("000_28930205ab5c0454")
    write_tables(result, tmp_path / "files")  # from Python, no corpus given: each article's own file
    assert syndup.load(tmp_path / "files").text("000_28930205ab5c0454") == result.text("000_28930205ab5c0454")
    write_tables(result, tmp_path / "out", corpus=[corpus])
    path = next(corpus.glob("001_*.txt"))
    path.write_text(path.read_text() + "\n\nA paragraph added after the scan.")
    with pytest.raises(syndup.InputError, match="changed since"):
        syndup.load(tmp_path / "out").text("001_4b43cad0f107b24d")
    with pytest.raises(KeyError):
        syndup.load(tmp_path / "out").text("nope")
    with pytest.raises(syndup.OutputError, match="not the output folder"):
        syndup.load(corpus)


def test_a_loaded_scan_makes_the_same_report(tmp_path: Path) -> None:
    corpus = tmp_path / "seeds"
    shutil.copytree(SEEDS, corpus)
    out = _scan_out(tmp_path, corpus)
    result = syndup.scan(corpus)
    syndup.write_report(result, tmp_path / "r1")
    syndup.write_report(syndup.load(out), tmp_path / "r2")
    pages = sorted(p.name for p in (tmp_path / "r1").iterdir())
    assert pages == sorted(p.name for p in (tmp_path / "r2").iterdir())
    for name in pages:
        if name.endswith(".html"):
            assert (tmp_path / "r1" / name).read_text() == (tmp_path / "r2" / name).read_text(), name


def test_a_rerun_in_the_other_format_leaves_no_stale_tables(tmp_path: Path) -> None:
    out = _scan_out(tmp_path, SEEDS)
    assert (out / "documents.csv").exists()
    _scan_out(tmp_path, SEEDS, "--format", "parquet")
    assert not list(out.glob("*.csv")) and len(list(out.glob("*.parquet"))) == 5
    _scan_out(tmp_path, SEEDS)
    assert not list(out.glob("*.parquet")) and len(list(out.glob("*.csv"))) == 5


def test_a_value_outside_its_categories_is_an_error_not_a_missing_value() -> None:
    from syndup.tables import typed

    frame = syndup.scan(SEEDS).pairs.astype({"relation": str})
    frame.loc[0, "relation"] = "quoted"
    with pytest.raises(ValueError, match=r"'relation' has values \['quoted'\] outside its categories"):
        typed(frame, "pairs")


def test_a_text_of_a_folder_corpus_is_read_from_its_file_alone(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from syndup.output import SourceTexts

    corpus = tmp_path / "seeds"
    shutil.copytree(SEEDS, corpus)
    out = _scan_out(tmp_path, corpus)
    expected = syndup.scan(corpus).text("001_4b43cad0f107b24d")

    def whole_corpus(self: SourceTexts) -> None:
        raise AssertionError("the whole corpus was read again for one article")

    monkeypatch.setattr(SourceTexts, "_texts", whole_corpus)
    assert syndup.load(out).text("001_4b43cad0f107b24d") == expected

"""Write a scan's outputs to a folder, all or nothing: tables (CSV, Parquet), the report, index matches.

Nothing is written in place: a run writes into a staging folder inside the output folder
(`.syndup-staging-<random>`, its owner process named in it), and `Staging.commit` moves each file and folder into place
with `os.replace` only once everything is written, with SIGINT and SIGTERM held off meanwhile. A
run that fails or is interrupted before that leaves the previous result as it was; its staging
folder is removed on the way out, or, when the process was killed, by the next run.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pandas as pd

from ._workers import signals_held
from .errors import BackendError, InputError, OutputError, require
from .models import Article, Problem, ScanResult
from .spill import OWNER, TextStore, abandoned, mark_owner
from .tables import SCHEMAS, kind_of, typed

if TYPE_CHECKING:  # pragma: no cover
    from .network import Network

#: The tables a scan writes; sites and network are computed from the first three (`syndup.network`).
TABLES = ("documents", "pairs", "clusters", "sites", "network")
_STAGING = ".syndup-staging-"
_REPLACED = ".replaced"


class Staging:
    """A run's outputs, written under `path` (a hidden folder in `out`) until `commit` moves them into `out`."""

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        check_writable(self.out)
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            sweep_staging(self.out)
            self.path = Path(tempfile.mkdtemp(prefix=_STAGING, dir=self.out))
            mark_owner(self.path)
        except OSError as exc:
            raise OutputError(f"cannot write to {self.out}: {exc.strerror or exc}") from exc

    def commit(self, *, remove: Sequence[str] = ()) -> None:
        """Move every file and folder written under `path` into `out`, replacing what was there,
        and delete the files of `out` named in `remove` (tables of a format no longer written)."""
        with signals_held():
            for name in remove:
                if name not in {p.name for p in self.path.iterdir()}:
                    try:
                        _remove(self.out / name)
                    except OSError as exc:
                        raise OutputError(f"cannot remove {name} from {self.out}: {exc.strerror or exc}") from exc
            old = self.path / _REPLACED
            for entry in sorted(p for p in self.path.iterdir() if p.name not in (_REPLACED, OWNER)):
                target = self.out / entry.name
                try:
                    if (entry.is_dir() or target.is_dir()) and target.exists() and not target.is_symlink():
                        old.mkdir(exist_ok=True)
                        # A folder cannot replace a folder or a file in one step, nor a file a folder
                        # (a Parquet table in parts, then one file).
                        os.replace(target, old / entry.name)
                    os.replace(entry, target)
                except OSError as exc:
                    raise OutputError(f"cannot move {entry.name} into {self.out}: {exc.strerror or exc}") from exc
        self.discard()

    def discard(self) -> None:
        """Remove the staging folder and whatever is left in it."""
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.discard()


def _remove(path: Path) -> None:
    """Delete the file or folder (a Parquet table in parts) at `path`, if there is one."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def sweep_staging(out: Path) -> None:
    """Remove staging folders that processes which no longer run left in `out` (killed mid-run).

    A run killed inside `commit`, between moving a folder aside and its replacement in, leaves
    the earlier folder in `.replaced`: it is moved back first.
    """
    for path in out.glob(f"{_STAGING}*"):
        if abandoned(path):
            replaced = path / _REPLACED
            for entry in replaced.iterdir() if replaced.is_dir() else ():
                if not (out / entry.name).exists():
                    os.replace(entry, out / entry.name)
            shutil.rmtree(path, ignore_errors=True)


def check_writable(out: Path) -> None:
    """Fail now, with one line, if `out` cannot be (or be created as) a folder we can write into."""
    probe = out
    while not probe.exists() and not probe.is_symlink():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe != out and not probe.is_dir():
        raise OutputError(f"cannot create {out}: {probe} is not a folder")
    if probe == out and not out.is_dir():
        raise OutputError(f"{out} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write to {out}: {probe} is read-only")


#: Rows above which a table's Parquet output is a folder of part files of at most this many rows
#: each (`documents.parquet/part-0000.parquet`, ...): one table to pandas, pyarrow, polars, DuckDB,
#: Spark and Ray Data, read a part at a time by those that stream.
PART_ROWS = 1_000_000


def write_table_files(result: ScanResult, folder: Path, formats: tuple[str, ...] = ("csv",), *,
                      corpus: Sequence[str | Path] | None = None,
                      read_options: Mapping[str, object] | None = None, part_rows: int = PART_ROWS,
                      uris: Sequence[str] | None = None) -> list[Path]:
    """Write the tables (`TABLES`) into `folder` in each format, and the `scan.json` that
    `load` needs (not atomically: a staging folder's job).

    `corpus` and `read_options` (as `syndup.read` takes them) say where the texts can be read
    again, for diffs and reports of a loaded scan; without them a loaded scan has no texts.
    A Parquet table of more than `part_rows` rows is a folder of parts (`write_parquet`).
    `uris`: the URIs a Ray engine's scan read (recorded as `corpus_uris`: what was scanned).
    """
    if "parquet" in formats:
        require("pyarrow", "parquet", "Writing Parquet")
    written = []
    try:
        for name in TABLES:
            frame = typed(getattr(result, name), name)
            if "csv" in formats:
                path = folder / f"{name}.csv"
                _csv_form(frame).to_csv(path, index=False)
                written.append(path)
            if "parquet" in formats:
                path = folder / f"{name}.parquet"
                write_parquet(frame, name, path, part_rows)
                written.append(path)
        path = folder / MANIFEST
        manifest = _manifest(result, formats, corpus, read_options)
        if uris:
            manifest["corpus_uris"] = list(uris)
        path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        written.append(path)
    except OSError as exc:
        raise OutputError(f"cannot write the tables: {exc.strerror or exc}") from exc
    return written


def write_parquet(frame: pd.DataFrame, table: str, path: Path, part_rows: int = PART_ROWS) -> None:
    """A typed table as Parquet at `path` with its schema (`arrow_schema`): one file, or when it
    has more than `part_rows` rows a folder of part files in row order (`part-0000.parquet`,
    numbered wide enough to sort), every part with the same schema."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = pa.Table.from_pandas(frame, schema=arrow_schema(table), preserve_index=False)
    if data.num_rows <= part_rows:
        pq.write_table(data, path)
        return
    parts = -(-data.num_rows // part_rows)
    width = max(4, len(str(parts - 1)))
    path.mkdir()
    for i in range(parts):
        pq.write_table(data.slice(i * part_rows, part_rows), path / f"part-{i:0{width}d}.parquet")


def write_tables(result: ScanResult, out: str | Path, formats: tuple[str, ...] = ("csv",), *,
                 corpus: Sequence[str | Path] | None = None,
                 read_options: Mapping[str, object] | None = None, part_rows: int = PART_ROWS) -> list[Path]:
    """Write the tables (`TABLES`) to `out` in each format ("csv", "parquet"), all or none; returns
    the paths (a Parquet table of more than `part_rows` rows is a folder of part files)."""
    out = Path(out)
    with Staging(out) as staging:
        staged = write_table_files(result, staging.path, formats, corpus=corpus, read_options=read_options,
                                   part_rows=part_rows)
        staging.commit(remove=stale_tables(formats))
    return [out / p.name for p in staged]


def stale_tables(formats: Sequence[str]) -> list[str]:
    """The table files of the formats not in `formats`: left from an earlier run, `load` would
    read them (Parquet first) as this run's."""
    return [f"{name}.{ext}" for name in TABLES for ext in ("csv", "parquet") if ext not in formats]


# --------------------------------------------------------------------------------------------
# The table files: one schema (`tables.KINDS`, `tables.CATEGORIES`) for CSV, Parquet and reading.

#: What `load` reads besides the tables: settings, warnings, boilerplate, and where the corpus is.
MANIFEST = "scan.json"
#: How a list (`sites`) is one CSV cell: its items joined by ";" (a ";" or "\\" inside an item
#: escaped by a backslash).
LIST_SEPARATOR = ";"


def arrow_schema(table: str, *, csv: bool = False) -> Any:
    """The pyarrow schema of a table's Parquet file, or with `csv=True` the column types to read
    its CSV file with (lists are then their joined text)."""
    import pyarrow as pa

    kinds = {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "time": pa.timestamp("us", tz="UTC"),
             "list": pa.string() if csv else pa.list_(pa.string())}
    fields = []
    for name in SCHEMAS[table]:
        kind = kind_of(name)
        fields.append(pa.field(name, pa.dictionary(pa.int32(), pa.string()) if isinstance(kind, tuple) else kinds[kind]))
    return pa.schema(fields)


def _csv_form(frame: pd.DataFrame) -> pd.DataFrame:
    """A typed table as its CSV cells: times as ISO 8601 in UTC ("2024-03-01T06:00:00Z"), lists joined."""
    cells = {}
    for name in frame.columns:
        kind = kind_of(name)
        column = frame[name]
        if kind == "time":
            cells[name] = [None if pd.isna(t) else t.isoformat().replace("+00:00", "Z") for t in column]
        elif kind == "list":
            cells[name] = [LIST_SEPARATOR.join(v.replace("\\", "\\\\").replace(";", "\\;") for v in items)
                           for items in column]
        else:
            cells[name] = column
    return pd.DataFrame(cells, columns=frame.columns)


def _split_list(cell: str | None) -> list[str]:
    """The items of a joined CSV cell (see `LIST_SEPARATOR`)."""
    if not cell:
        return []
    items, item, chars = [], [], iter(cell)
    for ch in chars:
        if ch == "\\":
            item.append(next(chars, ""))
        elif ch == LIST_SEPARATOR:
            items.append("".join(item))
            item = []
        else:
            item.append(ch)
    items.append("".join(item))
    return items


def read_table(path: str | Path, table: str) -> pd.DataFrame:
    """A table file (.csv or .parquet, or a folder of .parquet parts) that syndup wrote, with its declared types."""
    path = Path(path)
    try:
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            require("pyarrow", "parquet", "Reading Parquet")
            frame = pq.read_table(path, schema=arrow_schema(table)).to_pandas()
        else:
            text = {name: str for name in SCHEMAS[table] if kind_of(name) in ("str", "list", "time")}
            frame = pd.read_csv(path, dtype=text, keep_default_na=False, na_values=[""])
            for name in frame.columns:
                if kind_of(name) == "list":
                    frame[name] = [_split_list(None if pd.isna(v) else v) for v in frame[name]]
    except (OSError, ValueError) as exc:
        raise OutputError(f"{path}: cannot read it as syndup's {table} table ({exc})") from exc
    missing = [c for c in SCHEMAS[table] if c not in frame.columns]
    if missing:
        raise OutputError(f"{path}: no column {', '.join(missing)}; written by another version of syndup? "
                          "Scan again to write it")
    return typed(frame, table)


def _manifest(result: ScanResult, formats: tuple[str, ...], corpus: Sequence[str | Path] | None,
              read_options: Mapping[str, object] | None) -> dict[str, object]:
    from . import __version__

    return {
        "syndup": __version__, "formats": list(formats), "articles_read": result.articles_read,
        "settings": dataclasses.asdict(result.settings),
        "corpus": None if corpus is None else [str(Path(p).resolve()) for p in corpus],
        "read_options": dict(read_options or {}),
        "problems": [[p.where, p.reason, p.skipped] for p in result.problems],
        "boilerplate": sorted(result.boilerplate),
    }


def load(out: str | Path, *, corpus: str | Path | Sequence[str | Path] | None = None) -> ScanResult:
    """The scan whose outputs are in folder `out` (`syndup scan ... --out OUT`), as a `ScanResult`.

    The tables are read from the Parquet files (or folders of parts) where there are some, else from the CSV files,
    with their declared types (equal to the scan's own). Texts, for `text()`, diffs and reports,
    are not stored in `out`: they are read again, on first use, from the corpus the scan read
    (its paths are in `out/scan.json`) or from `corpus` when it moved; an article whose text
    changed since (another word count) is an error, as is a scan from Python objects (no paths).
    """
    from .settings import Settings

    out = Path(out)
    if not out.is_dir():
        raise OutputError(f"{out}: no such folder (the --out folder of a finished syndup scan)")
    tables = {}
    for name in TABLES:
        found = [out / f"{name}.{ext}" for ext in ("parquet", "csv") if (out / f"{name}.{ext}").exists()]
        if not found and name in _DERIVED:
            continue  # written by a syndup before them: computed again from the texts when asked for
        if not found:
            raise OutputError(f"{out}: no {name}.csv or {name}.parquet: not the output folder of a finished scan")
        tables[name] = read_table(found[0], name)
    manifest: dict[str, Any] = {}
    if (out / MANIFEST).is_file():
        try:
            manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise OutputError(f"{out / MANIFEST}: cannot read it ({exc})") from exc
    paths = [corpus] if isinstance(corpus, (str, Path)) else corpus
    if paths is None and manifest.get("corpus"):
        paths = manifest["corpus"]
    docs = tables["documents"]
    texts = SourceTexts(out, docs["doc_id"].tolist(), docs["words"].tolist(), paths,
                        manifest.get("read_options") or {},
                        sources=None if corpus is not None else docs["source"].tolist())
    settings = Settings(**manifest["settings"]) if "settings" in manifest else Settings()
    problems = tuple(Problem(w, r, bool(k)) for w, r, k in manifest.get("problems", []))
    return ScanResult(documents=docs, pairs=tables["pairs"], clusters=tables["clusters"], problems=problems,
                      settings=settings, articles_read=int(manifest.get("articles_read", len(docs))),
                      boilerplate=frozenset(int(h) for h in manifest.get("boilerplate", [])), _texts=texts,
                      _loaded=_network(tables))


#: Tables computed from the other three: optional in a folder to load.
_DERIVED = ("sites", "network")


def _network(tables: Mapping[str, pd.DataFrame]) -> Network | None:
    """The loaded sites and network, when the folder has both."""
    from .network import COPY_COLUMNS, Network

    if "sites" not in tables or "network" not in tables:
        return None
    return Network(tables["sites"], tables["network"], pd.DataFrame(columns=COPY_COLUMNS))


#: A `source` that names a record inside a file ("path:line", "path@offset"), not a file of its own.
_RECORD_REF = tuple(f"{sep}{d}" for sep in ":@" for d in "0123456789")


class SourceTexts(Mapping[str, Article]):
    """The articles of a loaded scan, read again from its corpus when first asked for (into a
    `spill.TextStore`); each checked against the scan's word count."""

    def __init__(self, out: Path, ids: list[str], words: list[int], corpus: Sequence[str | Path] | None,
                 options: Mapping[str, Any], *, sources: Sequence[str | None] | None = None) -> None:
        self._out, self._corpus, self._options = out, corpus, dict(options)
        self._words = dict(zip(ids, words))
        #: Articles that are files of their own (a folder corpus): read alone, not with the corpus.
        self._files = {i: s for i, s in zip(ids, sources or ()) if s is not None and not s.endswith(_RECORD_REF)}
        self._ids = sorted(self._words)
        self._store: TextStore | None = None
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether `close()` was called."""
        return self._closed

    def _texts(self) -> TextStore:
        if self._closed:
            raise BackendError("this loaded scan is closed")
        if self._store is not None:
            return self._store
        if not self._corpus:
            raise InputError(f"{self._out} does not say where its corpus is (scanned from Python objects, or "
                             f"by an older syndup), and texts are not kept with the tables: pass the corpus, "
                             f"syndup.load(OUT, corpus=PATHS) or syndup diff --from OUT --corpus PATHS")
        from .read import read

        store = TextStore()
        for item in read(self._corpus, **self._options):
            if not isinstance(item, Article):
                continue
            doc_id, n = item.id, 2
            while doc_id in store:  # as the scan renamed a repeated id
                doc_id, n = f"{item.id}~{n}", n + 1
            if doc_id in self._words:
                store.add(item if doc_id == item.id else dataclasses.replace(item, id=doc_id))
        store.freeze(sorted(range(len(store)), key=lambda s: store.added[s].id))
        self._store = store
        return store

    def _alone(self, doc_id: str) -> Article | None:
        """The article read from its own file, when it is one and the file is still there."""
        path = self._files.get(doc_id)
        if self._store is not None or path is None or not Path(path).is_file():
            return None
        from .read import read

        found = [item for item in read([path], **self._options) if isinstance(item, Article)]
        return dataclasses.replace(found[0], id=doc_id) if len(found) == 1 else None

    def __getitem__(self, doc_id: str) -> Article:
        if doc_id not in self._words:
            raise KeyError(doc_id)
        try:
            article = self._alone(doc_id) or self._texts()[doc_id]
        except KeyError:
            raise InputError(f"article {doc_id!r} of {self._out} is no longer in its corpus "
                             f"({', '.join(map(str, self._corpus or []))}): scan again") from None
        from .shingle import analyze

        now, then = analyze(article.text).n_words, self._words[doc_id]
        if now != then:
            raise InputError(f"article {doc_id!r} changed since {self._out} was written ({now} words now, "
                             f"{then} then): scan again")
        return article

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def close(self) -> None:
        """Delete the texts read again, if any."""
        self._closed = True
        if self._store is not None:
            self._store.close()

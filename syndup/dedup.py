"""The deduplicated corpus: every input record but the copies, with all the columns it came with.

The keep rule is defined here once (`kept_ids`): an article alone is kept; of each cluster of 2+
copies exactly one member is kept, chosen by `keep`. `partial` pairs never form clusters, so both
articles of one are kept. `deduplicated` reads the input's records again (only those read as
articles, found by the `source` the documents table gives them) and returns the kept ones.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError, OutputError, SyndupError, require
from .models import Problem

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .models import ScanResult
    from .read import Fields, ReadLimits

#: Which member of a cluster of copies a deduplicated corpus keeps.
KEEP = {
    "origin": "the cluster's origin",
    "longest": "the member with the most words (the origin on a tie)",
    "earliest": "the member with the earliest `published` date (the origin where none is dated, or on a tie)",
}
#: Files a deduplicated corpus can be written to, by how their names end.
DEDUP_SUFFIXES = (".parquet", ".jsonl", ".csv")
#: The columns of rows made from the articles as read (stdin, text files, WARC, a stream of records).
ARTICLE_COLUMNS = ["id", "text", "url", "title", "site", "published", "author", "crawled"]
#: Rows of JSONL, CSV or articles as read in one part of the deduplicated corpus: what writing it holds.
PART_ROWS = 5000


@dataclass(frozen=True)
class Reread:
    """Where a scan's input records can be read again: its corpus paths, read as the scan read them."""

    paths: tuple[Path, ...]
    fields: Fields
    limits: ReadLimits
    exclude: tuple[Path, ...] = ()


def check_keep(keep: str) -> str:
    """`keep` if it names a keep rule, else InputError listing them."""
    if keep not in KEEP:
        raise InputError(f"keep must be one of {', '.join(KEEP)}; got {keep!r}")
    return keep


def kept_ids(documents: pd.DataFrame, keep: str = "origin") -> list[str]:
    """The ids of the articles a deduplicated corpus keeps, in documents order: every article
    alone, and one member of each cluster of copies, chosen by `keep` (see `KEEP`)."""
    import pandas as pd

    check_keep(keep)
    docs = documents[["doc_id", "cluster_id", "role", "words", "published"]].copy()
    docs["not_origin"] = docs["role"] != "origin"
    order = ["cluster_id"]
    ascending = [True]
    if keep == "longest":
        order, ascending = order + ["words"], ascending + [False]
    elif keep == "earliest":
        docs["date"] = pd.to_datetime(docs["published"], errors="coerce", utc=True, format="mixed")
        order, ascending = order + ["date"], ascending + [True]
    chosen = docs.sort_values(order + ["not_origin", "doc_id"], ascending=ascending + [True, True],
                              na_position="last", kind="stable").drop_duplicates("cluster_id")
    keep_set = set(chosen["doc_id"])
    return [d for d in documents["doc_id"] if d in keep_set]


def deduplicated(result: ScanResult, keep: str = "origin") -> pd.DataFrame:
    """The input's records but the copies a scan found (`kept_ids`), in input order, with every
    column they came with; rows of inputs that cannot be read again (stdin, text and WARC files,
    a stream of records) are made of the articles as read (`ARTICLE_COLUMNS`)."""
    import pandas as pd

    frames = [part if isinstance(part, pd.DataFrame) else part.to_pandas() for part in kept_parts(result, keep)]
    if not frames:
        return pd.DataFrame(columns=ARTICLE_COLUMNS)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)


def kept_parts(result: ScanResult, keep: str = "origin") -> Iterator[Any]:
    """The deduplicated corpus a part at a time, in input order: a DataFrame, or a pyarrow Table
    per row group of a Parquet input (so that writing it never holds the whole corpus)."""
    import pandas as pd

    ids = kept_ids(result.documents, keep)
    source_of = dict(zip(result.documents["doc_id"], result.documents["source"]))
    wanted = {source_of[d]: d for d in ids if isinstance(source_of[d], str)}
    found: set[str] = set()
    given = result._input
    if isinstance(given, Reread):
        yield from _reread(given, wanted, found)
    elif given is not None and hasattr(given, "iloc"):  # a DataFrame: its rows are "record N"
        rows = [int(s.split(" ", 1)[1]) - 1 for s in wanted if s.startswith("record ")]
        found.update(f"record {r + 1}" for r in rows)
        if rows:
            yield given.iloc[sorted(rows)].reset_index(drop=True)
    rest = [d for d in ids if not isinstance(source_of[d], str) or source_of[d] not in found]
    for start in range(0, len(rest), PART_ROWS):
        arts = [result.article(d) for d in rest[start:start + PART_ROWS]]
        yield pd.DataFrame([[getattr(a, c) for c in ARTICLE_COLUMNS] for a in arts], columns=ARTICLE_COLUMNS)


def _reread(given: Reread, wanted: dict[str, str], found: set[str]) -> Iterator[Any]:
    """The kept records of each input file that can be read again: a frame per `PART_ROWS` rows of
    a JSONL or CSV file, a table per row group of a Parquet file."""
    import pandas as pd

    from .read import JsonlLines, corpus_kind, csv_rows, data_kind, folder_files, jsonl_lines

    files: list[tuple[Path, str, dict[str, Any]]] = []
    for path in given.paths:
        kind = corpus_kind(path)
        if kind == "folder":
            files += [(p, data_kind(p.name) or "text", keys) for p, why, keys in folder_files(path, given.exclude)
                      if why is None]
        else:
            files.append((path, kind, {}))
    for path, kind, keys in files:
        if kind == "parquet":
            yield from _parquet_kept(path, keys, wanted, found)
            continue
        records: Iterator[tuple[str, int, dict[str, Any] | Problem]]
        if kind == "jsonl":
            records = (r for part in jsonl_lines(path, fields=given.fields, limits=given.limits)
                       if isinstance(part, JsonlLines) for r in part.records())
        elif kind == "csv":
            records = csv_rows(path, limits=given.limits)
        else:
            continue  # text and WARC files: rows are made of the articles as read
        rows: list[dict[str, Any]] = []
        for where, _, record in records:
            if isinstance(record, dict) and where in wanted:
                found.add(where)
                rows.append(record)
                if len(rows) == PART_ROWS:
                    yield pd.DataFrame(rows)
                    rows = []
        if rows:
            yield pd.DataFrame(rows)


def _parquet_kept(path: Path, keys: dict[str, Any], wanted: dict[str, str], found: set[str]) -> Iterator[Any]:
    """The kept rows of a Parquet file, a pyarrow Table per row group (read whole, with their
    types), its partition keys added as columns."""
    pq = require("pyarrow.parquet", "parquet", "Reading Parquet")
    import pyarrow as pa

    try:
        pf = pq.ParquetFile(path)
    except Exception:  # noqa: BLE001 - its reader warned; no row of it was read
        return
    row = 0
    for group in range(pf.num_row_groups):
        n = pf.metadata.row_group(group).num_rows
        where = [f"{path}:row {row + k + 1}" for k in range(n)]
        mask = [w in wanted for w in where]
        row += n
        if not any(mask):
            continue
        try:
            table = pf.read_row_group(group).filter(mask)
        except Exception:  # noqa: BLE001 - its reader warned: these rows were not read
            continue
        found.update(w for w, m in zip(where, mask) if m)
        for key, value in keys.items():
            if key not in table.column_names:
                table = table.append_column(key, pa.array([value] * table.num_rows))
        yield table


def write_deduplicated(result: ScanResult, keep: str, path: Path) -> int:
    """Write the deduplicated corpus as Parquet, JSONL or CSV (by `path`'s suffix), whole or not
    at all; the rows written. It is written a part at a time (`kept_parts`), so that it is never
    held whole: Parquet while the parts have one schema (else whole), JSONL and CSV always."""
    suffix = check_dedup_path(path)
    check_keep(keep)
    tmp = path.with_name(f".{path.name}.syndup-tmp")
    body = path.with_name(f".{path.name}.syndup-rows")
    try:
        if suffix == ".parquet":
            written = _write_parquet_parts(result, keep, tmp)
            if written is None:
                frame = deduplicated(result, keep)
                frame.to_parquet(tmp, index=False)
                written = len(frame)
        elif suffix == ".jsonl":
            written = _write_jsonl_parts(result, keep, tmp)
        else:
            written = _write_csv_parts(result, keep, tmp, body)
        os.replace(tmp, path)
        return written
    except (OSError, ValueError, TypeError) as exc:
        if isinstance(exc, SyndupError):
            raise
        raise OutputError(f"{path}: cannot write the deduplicated corpus ({exc})") from exc
    finally:
        tmp.unlink(missing_ok=True)
        body.unlink(missing_ok=True)


def _write_parquet_parts(result: ScanResult, keep: str, path: Path) -> int | None:
    """Stream the parts into one Parquet file; None (nothing kept) when one part's columns differ
    from the first's, for the caller to write the corpus whole."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    written = 0
    try:
        for part in kept_parts(result, keep):
            table = part if isinstance(part, pa.Table) else pa.Table.from_pandas(part, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            elif table.schema != writer.schema:
                if set(table.column_names) - set(writer.schema.names):
                    return None  # a column the file's schema has not: written whole
                try:
                    for name in writer.schema.names:  # a column this part lacks: null in its rows
                        if name not in table.column_names:
                            table = table.append_column(name, pa.nulls(table.num_rows, writer.schema.field(name).type))
                    table = table.select(writer.schema.names).cast(writer.schema)
                except (KeyError, ValueError, pa.ArrowException):
                    return None
            writer.write_table(table)
            written += table.num_rows
        if writer is None:
            return None
    finally:
        if writer is not None:
            writer.close()
    return written


def _frames(result: ScanResult, keep: str) -> Iterator[pd.DataFrame]:
    """`kept_parts` as DataFrames."""
    for part in kept_parts(result, keep):
        yield part if hasattr(part, "iloc") else part.to_pandas()


def _write_jsonl_parts(result: ScanResult, keep: str, path: Path) -> int:
    """Stream the parts into a JSONL file, a record a line (a missing cell is null); the rows written."""
    written = 0
    with open(path, "w", encoding="utf-8") as fh:
        for frame in _frames(result, keep):
            cells = frame.astype(object).where(frame.notna(), None)
            for record in cells.to_dict("records"):
                fh.write(json.dumps(record, ensure_ascii=False, default=_jsonable) + "\n")
            written += len(frame)
    return written


def _write_csv_parts(result: ScanResult, keep: str, path: Path, body: Path) -> int:
    """Stream the parts into a CSV file whose header has every part's columns: the rows go to
    `body` first (each part in the columns known so far), then behind the header into `path`,
    padded with empty cells where a later part brought a column."""
    import csv
    import sys

    columns: list[str] = []
    widths: list[int] = []  # the columns of each part's rows, in the order written
    written = 0
    with open(body, "w", encoding="utf-8", newline="") as fh:
        for frame in _frames(result, keep):
            columns += [str(c) for c in frame.columns if str(c) not in columns]
            frame.columns = [str(c) for c in frame.columns]
            frame.reindex(columns=columns).to_csv(fh, index=False, header=False)
            widths.append(len(columns))
            written += len(frame)
    with open(path, "w", encoding="utf-8", newline="") as out, open(body, encoding="utf-8", newline="") as rows:
        csv.writer(out, lineterminator="\n").writerow(columns)
        if all(w == len(columns) for w in widths):
            shutil.copyfileobj(rows, out)
        else:  # a part brought a column: the rows before it get empty cells for it
            writer = csv.writer(out, lineterminator="\n")
            limit = csv.field_size_limit(sys.maxsize)  # a cell holds a whole article
            try:
                for row in csv.reader(rows):
                    writer.writerow(row + [""] * (len(columns) - len(row)))
            finally:
                csv.field_size_limit(limit)
    return written


def _jsonable(value: Any) -> Any:
    """A cell JSON has no type for: a date as ISO 8601, an array as a list, else its text."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def check_dedup_path(path: Path) -> str:
    """The suffix of a file a deduplicated corpus can be written to; InputError (OutputError for
    a folder that is missing or a file that is a folder) otherwise."""
    if path.is_dir():
        raise OutputError(f"{path} is a folder; name a file to write the deduplicated corpus to")
    suffix = next((s for s in DEDUP_SUFFIXES if path.name.lower().endswith(s)), None)
    if suffix is None:
        raise InputError(f"{path}: a deduplicated corpus is written as {', '.join(DEDUP_SUFFIXES)}; "
                         f"name the file with one of these")
    if not path.parent.is_dir():
        raise OutputError(f"{path}: its folder {path.parent} does not exist")
    if not os.access(path.parent, os.W_OK):
        raise OutputError(f"{path}: its folder {path.parent} is not writable")
    return suffix

"""Write a scan's tables to a folder: documents, pairs and clusters as CSV (and Parquet)."""

from __future__ import annotations

from pathlib import Path

from .errors import require
from .models import ScanResult

TABLES = ("documents", "pairs", "clusters")


def write_tables(result: ScanResult, out: str | Path, formats: tuple[str, ...] = ("csv",)) -> list[Path]:
    """Write documents/pairs/clusters to `out` in each format ("csv", "parquet"); returns the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TABLES:
        frame = getattr(result, name)
        if "csv" in formats:
            path = out / f"{name}.csv"
            frame.to_csv(path, index=False)
            written.append(path)
        if "parquet" in formats:
            require("pyarrow", "parquet", "Writing Parquet")
            path = out / f"{name}.parquet"
            frame.to_parquet(path, index=False)
            written.append(path)
    return written

"""Write a scan's outputs to a folder, all or nothing: tables (CSV, Parquet), the report, index matches.

Nothing is written in place: a run writes into a staging folder inside the output folder
(`.syndup-staging-<random>`, its owner process named in it), and `Staging.commit` moves each file and folder into place
with `os.replace` only once everything is written, with SIGINT and SIGTERM held off meanwhile. A
run that fails or is interrupted before that leaves the previous result as it was; its staging
folder is removed on the way out, or, when the process was killed, by the next run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from ._workers import signals_held
from .errors import OutputError, require
from .models import ScanResult
from .spill import OWNER, abandoned, mark_owner

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

    def commit(self) -> None:
        """Move every file and folder written under `path` into `out`, replacing what was there."""
        with signals_held():
            old = self.path / _REPLACED
            for entry in sorted(p for p in self.path.iterdir() if p.name not in (_REPLACED, OWNER)):
                target = self.out / entry.name
                try:
                    if entry.is_dir() and target.is_dir() and not target.is_symlink():
                        old.mkdir(exist_ok=True)
                        os.replace(target, old / entry.name)  # a folder cannot replace a folder in one step
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


def write_table_files(result: ScanResult, folder: Path, formats: tuple[str, ...] = ("csv",)) -> list[Path]:
    """Write the tables (`TABLES`) into `folder` (not atomically: a staging folder's job)."""
    if "parquet" in formats:
        require("pyarrow", "parquet", "Writing Parquet")
    written = []
    try:
        for name in TABLES:
            frame = getattr(result, name)
            if "csv" in formats:
                path = folder / f"{name}.csv"
                frame.to_csv(path, index=False)
                written.append(path)
            if "parquet" in formats:
                path = folder / f"{name}.parquet"
                frame.to_parquet(path, index=False)
                written.append(path)
    except OSError as exc:
        raise OutputError(f"cannot write the tables: {exc.strerror or exc}") from exc
    return written


def write_tables(result: ScanResult, out: str | Path, formats: tuple[str, ...] = ("csv",)) -> list[Path]:
    """Write the tables (`TABLES`) to `out` in each format ("csv", "parquet"), all or none; returns the paths."""
    out = Path(out)
    with Staging(out) as staging:
        staged = write_table_files(result, staging.path, formats)
        staging.commit()
    return [out / p.name for p in staged]

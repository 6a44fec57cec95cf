"""The embedded backend: one SQLite file in WAL mode, shared safely by several processes.

Every write is one `BEGIN IMMEDIATE` transaction, so a process killed mid-`add` leaves either the
whole article or none of it. Readers never wait for writers (WAL); writers queue on the file lock
for up to `timeout` seconds. Keys and caps come from `Index` (see `syndup._store`).
"""

from __future__ import annotations

import functools
import json
import os
import random
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ._store import Caps, Postings, Record, Stored, as_signed, as_unsigned, pack_nums, unpack_nums, unpack_paras
from .boilerplate import Member
from .errors import BackendError

SCHEMA = """
CREATE TABLE IF NOT EXISTS syndup_header (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    num INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL UNIQUE,
    fingerprint BLOB NOT NULL,
    site TEXT,
    meta TEXT NOT NULL,
    paras BLOB NOT NULL,
    anchors BLOB NOT NULL,
    bands BLOB,
    text BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_fingerprint ON articles (fingerprint);
CREATE TABLE IF NOT EXISTS lsh (key INTEGER NOT NULL, num INTEGER NOT NULL,
                                PRIMARY KEY (key, num)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS anchors (anchor INTEGER NOT NULL, num INTEGER NOT NULL,
                                    PRIMARY KEY (anchor, num)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS paragraphs (hash INTEGER PRIMARY KEY, df INTEGER NOT NULL,
                                       sample BLOB NOT NULL);
"""

_ADD_BUCKET = "INSERT INTO lsh (key, num) SELECT ?1, ?2 WHERE (SELECT count(*) FROM lsh WHERE key = ?1) < ?3"
_ADD_ANCHOR = ("INSERT INTO anchors (anchor, num) SELECT ?1, ?2 "
               "WHERE (SELECT count(*) FROM anchors WHERE anchor = ?1) < ?3")
_ADD_PARAGRAPH = """
INSERT INTO paragraphs (hash, df, sample) VALUES (?1, 1, ?2)
ON CONFLICT (hash) DO UPDATE SET df = df + 1,
    sample = CASE WHEN length(sample) < ?3 THEN CAST(sample || excluded.sample AS BLOB) ELSE sample END
"""


class SQLiteStore:
    """An index in one SQLite file."""

    kind = "sqlite"

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 60.0) -> None:
        self.location = str(path)
        self._path = Path(path)
        self._timeout = timeout
        if self._path.is_dir():
            raise BackendError(f"{path}: is a folder; an index is one file (e.g. {Path(path) / 'articles.syndup'})")
        if not self._path.parent.exists():
            raise BackendError(f"{path}: folder {self._path.parent} does not exist")
        exists = self._path.exists()
        if not exists and not os.access(self._path.parent, os.W_OK | os.X_OK):
            raise BackendError(f"{path}: cannot create an index here: folder {self._path.parent} is not writable")
        #: Opened for reading only (no write permission): check, get and stats work, add and remove do not.
        self.read_only = exists and not (os.access(self._path, os.W_OK)
                                         and os.access(self._path.parent, os.W_OK | os.X_OK))
        try:
            self._db = self._connect()
        except sqlite3.DatabaseError as exc:
            raise BackendError(f"{path}: damaged, or not a syndup index ({exc}); it was left as it is") from exc
        try:
            self._check()
            if not self.read_only:
                self._prepare()
        except BaseException as exc:
            self._db.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise BackendError(f"{path}: damaged, or not a syndup index ({exc}); it was left as it is") from exc
            raise

    def _connect(self) -> sqlite3.Connection:
        """A connection: read-write, or read-only when the file or its folder may not be written.

        Reading a WAL file needs its `-shm` beside it; in a folder we may not write that cannot be
        made, so the file is then read as immutable (nobody but its owner can change it meanwhile).
        """
        if not self.read_only:
            return sqlite3.connect(self._path, timeout=self._timeout, isolation_level=None, check_same_thread=False)
        uri = self._path.resolve().as_uri()
        db = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=self._timeout, isolation_level=None,
                             check_same_thread=False)
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return db
        except sqlite3.OperationalError:  # a WAL file without its -shm, in a folder we may not write
            db.close()
        return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, isolation_level=None, check_same_thread=False)

    def _check(self) -> None:
        """Refuse, before anything is written, a damaged file or an SQLite file that is not an index.

        `quick_check` reads every page (a few seconds per GB); the tables must be all of syndup's
        or none (a new file). A damaged index is never written to: SQLite would carry on over it.
        """
        problems = [r[0] for r in self._db.execute("PRAGMA quick_check").fetchall()]
        if problems != ["ok"]:
            raise BackendError(f"{self.location}: damaged SQLite file ({problems[0]}); it was left as it is. "
                               f"Restore it from a backup, or build a new index: syndup index add NEW_INDEX CORPUS...")
        found = _layout(self._db)
        if not found.keys() - {"sqlite_sequence"}:
            return
        if "syndup_header" not in found:
            tables = sorted(name for name, (kind, *_) in found.items() if kind == "table")
            raise BackendError(f"{self.location}: an SQLite database, but not a syndup index "
                               f"(tables: {', '.join(tables)})")
        expected = _expected_layout()
        missing = sorted(name for name in expected if name not in found)
        changed = sorted(name for name in expected if name in found and found[name] != expected[name])
        if missing or changed:
            what = "; ".join(part for part in (f"missing {', '.join(missing)}" if missing else "",
                                               f"changed {', '.join(changed)}" if changed else "") if part)
            raise BackendError(f"{self.location}: damaged syndup index ({what}); it was left as it is. "
                               f"Restore it from a backup, or build a new index: syndup index add NEW_INDEX CORPUS...")

    def _prepare(self) -> None:
        """WAL mode and connection settings; the tables of a new index."""
        # WAL: readers never block the one writer; NORMAL sync survives a killed process
        # (a power cut may lose the last transactions, never corrupt the file).
        mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal":
            raise BackendError(f"{self.location}: cannot use WAL mode (got {mode!r}); is it on a network filesystem?")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(f"PRAGMA busy_timeout={int(self._timeout * 1000)}")
        self._db.execute("PRAGMA cache_size=-65536")
        with self._write() as db:
            if not _layout(db).keys() - {"sqlite_sequence"}:  # another process may have just made them
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)

    def _begin(self) -> None:
        """BEGIN IMMEDIATE, waiting for other writers with short randomized sleeps.

        SQLite's own busy handler sleeps 1, 2, 5, 10, 15... ms between tries, far longer than a
        write here holds the lock (well under a millisecond), so several processes adding at full
        speed would spend most of their time asleep; we retry from 50 us, doubling to 4 ms.
        """
        db = self._db
        deadline = time.monotonic() + self._timeout
        delay = 5e-5
        db.execute("PRAGMA busy_timeout=0")
        try:
            while True:
                try:
                    db.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) and "busy" not in str(exc):
                        raise BackendError(f"{self.location}: cannot start writing ({exc})") from exc
                    if time.monotonic() > deadline:
                        raise BackendError(f"{self.location}: still locked by another writer after "
                                           f"{self._timeout:g} s ({exc})") from exc
                time.sleep(delay * (0.5 + random.random()))
                delay = min(2 * delay, 0.004)
        finally:
            db.execute(f"PRAGMA busy_timeout={int(self._timeout * 1000)}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taking the file's write lock at once (no upgrade deadlocks)."""
        if self.read_only:
            raise BackendError(f"{self.location}: read-only (no permission to write the file or its folder): "
                               f"it serves check, get and stats, not add or remove")
        db = self._db
        self._begin()
        try:
            yield db
        except BaseException as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise BackendError(f"{self.location}: {exc}") from exc
            raise
        try:
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise BackendError(f"{self.location}: cannot commit ({exc})") from exc

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise BackendError(f"{self.location}: {exc}") from exc

    def read_header(self) -> dict[str, object] | None:
        rows = self._query("SELECT value FROM syndup_header WHERE key = 'header'")
        return json.loads(rows[0][0]) if rows else None

    def create_header(self, header: dict[str, object]) -> dict[str, object]:
        with self._write() as db:
            db.execute("INSERT OR IGNORE INTO syndup_header (key, value) VALUES ('header', ?)",
                       (json.dumps(header, sort_keys=True),))
        stored = self.read_header()
        assert stored is not None
        return stored

    def configure(self, caps: Caps) -> None:
        self._caps = caps

    def lookup(self, doc_id: str) -> tuple[int, bytes] | None:
        rows = self._query("SELECT num, fingerprint FROM articles WHERE doc_id = ?", (doc_id,))
        return (rows[0][0], bytes(rows[0][1])) if rows else None

    def insert(self, record: Record) -> tuple[int, bool]:
        keys = as_signed(record.bands)
        anchors = record.anchors.tolist()
        paras = as_signed(np.unique(record.para_hashes))
        with self._write() as db:
            row = db.execute("SELECT num FROM articles WHERE doc_id = ?", (record.doc_id,)).fetchone()
            if row is not None:
                return row[0], False
            cur = db.execute(
                "INSERT INTO articles (doc_id, fingerprint, site, meta, paras, anchors, bands, text) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (record.doc_id, record.fingerprint, record.site, record.meta, record.paras_blob(),
                 record.anchors.astype("<u4").tobytes(),
                 record.bands.astype("<u8").tobytes() if record.bands.shape[0] else None,
                 record.text))
            num = int(cur.lastrowid)  # type: ignore[arg-type]
            caps = self._caps
            db.executemany(_ADD_BUCKET, [(k, num, caps.bucket) for k in keys])
            db.executemany(_ADD_ANCHOR, [(a, num, caps.anchor) for a in anchors])
            one = pack_nums([num])
            db.executemany(_ADD_PARAGRAPH, [(p, one, 4 * caps.sample) for p in paras])
        return num, True

    def remove(self, doc_id: str) -> bool:
        with self._write() as db:
            row = db.execute("SELECT num, paras, anchors, bands FROM articles WHERE doc_id = ?",
                             (doc_id,)).fetchone()
            if row is None:
                return False
            num, paras, anchors, bands = row
            if bands is not None:
                db.executemany("DELETE FROM lsh WHERE key = ? AND num = ?",
                               [(k, num) for k in as_signed(np.frombuffer(bands, dtype="<u8"))])
            db.executemany("DELETE FROM anchors WHERE anchor = ? AND num = ?",
                           [(a, num) for a in np.frombuffer(anchors, dtype="<u4").tolist()])
            hashes, _ = unpack_paras(paras)
            for p in as_signed(np.unique(hashes)):
                got = db.execute("SELECT df, sample FROM paragraphs WHERE hash = ?", (p,)).fetchone()
                if got is None:
                    continue
                if got[0] <= 1:
                    db.execute("DELETE FROM paragraphs WHERE hash = ?", (p,))
                else:
                    sample = pack_nums(n for n in unpack_nums(got[1]) if n != num)
                    db.execute("UPDATE paragraphs SET df = df - 1, sample = ? WHERE hash = ?", (sample, p))
            db.execute("DELETE FROM articles WHERE num = ?", (num,))
        return True

    def _in(self, sql: str, values: list[Any]) -> list[Any]:
        """Run `sql` (with one `IN ({})`) over `values`, in chunks SQLite accepts."""
        out: list[Any] = []
        for i in range(0, len(values), 900):
            chunk = values[i:i + 900]
            out.extend(self._query(sql.format(",".join("?" * len(chunk))), chunk))
        return out

    def documents(self, nums: Iterable[int]) -> dict[int, Stored]:
        rows = self._in("SELECT num, doc_id, fingerprint, meta, text FROM articles WHERE num IN ({})", list(nums))
        return {r[0]: Stored(r[0], r[1], bytes(r[2]), r[3], bytes(r[4])) for r in rows}

    def members(self, nums: Iterable[int]) -> dict[int, Member]:
        rows = self._in("SELECT num, site, paras FROM articles WHERE num IN ({})", list(nums))
        return {r[0]: Member(*unpack_paras(bytes(r[2])), r[1]) for r in rows}

    def paragraph_stats(self, hashes: Sequence[int]) -> dict[int, tuple[int, tuple[int, ...]]]:
        signed = as_signed(np.array(hashes, dtype=np.uint64))
        rows = self._in("SELECT hash, df, sample FROM paragraphs WHERE hash IN ({})", signed)
        return {as_unsigned(h): (df, unpack_nums(sample)) for h, df, sample in rows}

    def postings(self, bands: np.ndarray, anchors: np.ndarray, fingerprint: bytes) -> Postings:
        dups = self._query("SELECT num FROM articles WHERE fingerprint = ? ORDER BY num LIMIT ?",
                           (fingerprint, self._caps.duplicate))
        return Postings(tuple(r[0] for r in dups),
                        _grouped(self._in("SELECT key, num FROM lsh WHERE key IN ({})", as_signed(bands))),
                        _grouped(self._in("SELECT anchor, num FROM anchors WHERE anchor IN ({})", anchors.tolist())))

    def count(self) -> int:
        return int(self._query("SELECT count(*) FROM articles")[0][0])

    def size_info(self) -> dict[str, object]:
        files = [self._path, Path(f"{self._path}-wal")]
        return {"bytes_on_disk": sum(p.stat().st_size for p in files if p.exists())}

    def integrity_check(self) -> str:
        """SQLite's own consistency check: "ok" or the first problems found."""
        return "; ".join(r[0] for r in self._query("PRAGMA integrity_check"))

    def close(self) -> None:
        self._db.close()


def _layout(db: sqlite3.Connection) -> dict[str, tuple[object, ...]]:
    """Each table and index of a database: (kind, its table, its columns)."""
    out: dict[str, tuple[object, ...]] = {}
    rows = db.execute("SELECT type, name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')").fetchall()
    for kind, name, table in rows:
        info = "pragma_table_info" if kind == "table" else "pragma_index_info"
        columns = tuple(db.execute(f"SELECT * FROM {info}(?)", (name,)).fetchall())
        out[name] = (kind, table, columns)
    return out


@functools.cache
def _expected_layout() -> dict[str, tuple[object, ...]]:
    """The tables and indexes `SCHEMA` makes, as `_layout` describes them."""
    db = sqlite3.connect(":memory:")
    try:
        db.executescript(SCHEMA)
        return _layout(db)
    finally:
        db.close()


def _grouped(rows: list[Any]) -> list[tuple[int, ...]]:
    """(key, num) rows as the nums of each key."""
    out: dict[int, list[int]] = {}
    for key, num in rows:
        out.setdefault(key, []).append(num)
    return [tuple(nums) for nums in out.values()]

"""Index: the seeds added one at a time, reopening in a new process, settings checks, the verbs,
agreement with `scan`, boilerplate learned as the index grows, and bounded work for big families."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import syndup
from syndup import Index, IndexSettingsError, Match, Settings
from syndup._store import FORMAT_VERSION
from syndup.errors import BackendError

from .conftest import seed_text
from .indexkit import child_env, copy_text, synthetic

SEEDS = ["000", "001", "002", "003", "004"]
BACKENDS = ["sqlite", "memory"]


def target(kind: str, tmp_path: Path) -> str:
    return str(tmp_path / "articles.syndup") if kind == "sqlite" else ":memory:"


def as_json(matches: list[Match]) -> list[list[object]]:
    return [[m.doc_id, m.relation, round(m.jaccard, 9), round(m.containment_a_in_b, 9),
             round(m.containment_b_in_a, 9)] for m in matches]


@pytest.mark.parametrize("kind", BACKENDS)
def test_seeds_one_at_a_time(kind: str, tmp_path: Path) -> None:
    with Index.open(target(kind, tmp_path)) as idx:
        got = {s: idx.add(s, seed_text(s)) for s in SEEDS}
        assert got["000"] == []
        assert [(m.doc_id, m.relation) for m in got["001"]] == [("000", "copy")]
        for s in ("002", "003", "004"):
            assert got[s] == [], s
        assert len(idx) == 5


def test_seed_figures_equal_scan(tmp_path: Path, seeds_dir: Path) -> None:
    """The index reports the very figures scan does for the seed pair (one relation code path)."""
    pair = syndup.scan(seeds_dir).pairs.iloc[0]
    with Index.open(tmp_path / "i.syndup") as idx:
        idx.add("000", seed_text("000"))
        (m,) = idx.add("001", seed_text("001"))
    assert (pair.doc_a, pair.doc_b) == ("000_28930205ab5c0454", "001_4b43cad0f107b24d")
    assert m.relation == pair.relation
    assert m.jaccard == pytest.approx(pair.jaccard)
    assert m.containment_a_in_b == pytest.approx(pair.containment_b_in_a)  # share of 001 found in 000
    assert m.containment_b_in_a == pytest.approx(pair.containment_a_in_b)
    assert (m.containment, m.containment_other) == (m.containment_a_in_b, m.containment_b_in_a)  # former names


REOPEN = """
import json, sys
from syndup import Index
from tests.conftest import seed_text
with Index.open(sys.argv[1]) as idx:
    out = {"len": len(idx), "ids": [s for s in __SEEDS__ if s in idx],
           "checks": {s: [[m.doc_id, m.relation, round(m.jaccard, 9), round(m.containment_a_in_b, 9),
                           round(m.containment_b_in_a, 9)] for m in idx.check(seed_text(s))] for s in __SEEDS__},
           "again": [[m.doc_id, m.relation] for m in idx.add("001-again", seed_text("001"))]}
print(json.dumps(out))
""".replace("__SEEDS__", repr(SEEDS))


def test_reopen_in_a_new_process_gives_same_answers(tmp_path: Path) -> None:
    path = tmp_path / "articles.syndup"
    with Index.open(path) as idx:
        for s in SEEDS:
            idx.add(s, seed_text(s))
        expected = {s: as_json(idx.check(seed_text(s))) for s in SEEDS}
    assert [m[:2] for m in expected["001"]] == [["001", "duplicate"], ["000", "copy"]]
    run = subprocess.run([sys.executable, "-c", REOPEN, str(path)], capture_output=True, text=True,
                         cwd=tmp_path, env=child_env(), timeout=120)
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    assert got["len"] == 5 and got["ids"] == SEEDS
    assert got["checks"] == expected
    assert got["again"] == [["001", "duplicate"], ["000", "copy"]]


def test_settings_mismatch_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "articles.syndup"
    with Index.open(path) as idx:
        idx.add("000", seed_text("000"))
    with pytest.raises(IndexSettingsError) as err:
        Index.open(path, settings=Settings(shingle_size=7))
    message = str(err.value)
    assert str(path) in message and "shingle_size=5" in message and "shingle_size=7" in message
    assert "\n" not in message
    with pytest.raises(IndexSettingsError, match="num_perm=128.*num_perm=64"):
        Index.open(path, settings=Settings(num_perm=64))
    with pytest.raises(IndexSettingsError, match="lsh"):
        Index.open(path, settings=Settings(lsh_threshold=0.5))
    # Thresholds that do not change what is stored are fine, and the index stays usable.
    with Index.open(path, settings=Settings(copy_containment=0.9)) as idx:
        assert idx.settings.copy_containment == 0.9
        assert [m.relation for m in idx.add("001", seed_text("001"))] == ["partial"]


def test_open_without_settings_uses_the_ones_it_was_built_with(tmp_path: Path) -> None:
    path = tmp_path / "articles.syndup"
    with Index.open(path, settings=Settings(shingle_size=4, copy_containment=0.4)) as idx:
        idx.add("000", seed_text("000"))
    with Index.open(path) as idx:
        assert idx.settings.shingle_size == 4 and idx.settings.copy_containment == 0.4
        assert [m.relation for m in idx.add("001", seed_text("001"))] == ["copy"]


def _set_header(path: Path, **changes: object) -> None:
    db = sqlite3.connect(path)
    header = json.loads(db.execute("SELECT value FROM syndup_header").fetchone()[0])
    header.update(changes)
    db.execute("UPDATE syndup_header SET value = ?", (json.dumps(header),))
    db.commit()
    db.close()


def test_newer_format_or_other_hashing_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "articles.syndup"
    Index.open(path).close()
    _set_header(path, format=99, syndup_version="9.0")
    with pytest.raises(IndexSettingsError, match=r"syndup 9\.0 in index format 99.*Upgrade syndup"):
        Index.open(path)
    _set_header(path, format=1, syndup_version="0.1.0")
    with pytest.raises(IndexSettingsError, match=r"index format 1 \(written by syndup 0\.1\.0\).*Build a new index"):
        Index.open(path)
    _set_header(path, format=FORMAT_VERSION, fingerprint={**Settings().fingerprint(), "hash_scheme": "old-scheme"})
    with pytest.raises(IndexSettingsError, match="hash_scheme='old-scheme'.*build a new index"):
        Index.open(path)


def test_an_index_hashed_by_other_code_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hash scheme is derived from the code: other LSH band keys make an index incomparable."""
    from syndup import candidates
    from syndup.settings import hash_scheme

    path = tmp_path / "articles.syndup"
    Index.open(path).close()
    monkeypatch.setattr(candidates, "_BAND_SALT", candidates._BAND_SALT + np.uint64(2))
    hash_scheme.cache_clear()
    try:
        with pytest.raises(IndexSettingsError, match="hash_scheme='syndup-.*build a new index"):
            Index.open(path)
    finally:
        monkeypatch.undo()
        hash_scheme.cache_clear()
    Index.open(path).close()


def test_not_an_index(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello\n" * 100)
    with pytest.raises(BackendError, match="notes.txt"):
        Index.open(text)
    other = tmp_path / "other.db"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE people (name TEXT)")
    db.commit()
    db.close()
    with pytest.raises(BackendError, match="not a syndup index"):
        Index.open(other)
    with pytest.raises(BackendError, match="does not exist"):
        Index.open(tmp_path / "missing" / "x.syndup")
    with pytest.raises(BackendError, match="unknown index URL scheme"):
        Index.open("http://example.com/index")
    with pytest.raises(BackendError, match="no index given"):
        Index.open("")


@pytest.mark.parametrize("kind", BACKENDS)
def test_remove_get_len_contains(kind: str, tmp_path: Path) -> None:
    with Index.open(target(kind, tmp_path)) as idx:
        assert len(idx) == 0 and "000" not in idx
        idx.add("000", seed_text("000"), url="https://www.rt.com/news/1", title="Airstrike",
                published="2024-01-02", author="RT")
        idx.add("001", seed_text("001"), site="globalresearch.ca")
        assert len(idx) == 2 and "000" in idx and "001" in idx and 7 not in idx
        got = idx.get("000")
        assert got.text == seed_text("000") and got.url == "https://www.rt.com/news/1"
        assert (got.title, got.published, got.author, got.site) == ("Airstrike", "2024-01-02", "RT", None)
        assert idx.get("001").site == "globalresearch.ca"
        idx.remove("000")
        assert len(idx) == 1 and "000" not in idx
        assert [(m.doc_id, m.relation) for m in idx.check(seed_text("000"))] == [("001", "copy")]
        assert [m.doc_id for m in idx.check(seed_text("001"))] == ["001"]
        with pytest.raises(KeyError, match="000"):
            idx.get("000")
        with pytest.raises(KeyError, match="000"):
            idx.remove("000")
        # Removed and added again: found again.
        assert [m.doc_id for m in idx.add("000", seed_text("000"))] == ["001"]


@pytest.mark.parametrize("kind", BACKENDS)
def test_adding_an_id_again(kind: str, tmp_path: Path) -> None:
    with Index.open(target(kind, tmp_path)) as idx:
        idx.add("000", seed_text("000"))
        first = idx.add("001", seed_text("001"))
        assert idx.add("001", seed_text("001")) == first      # same text: nothing changes
        assert len(idx) == 2
        with pytest.raises(ValueError, match="'001' is already in .* different text"):
            idx.add("001", seed_text("002"))
        assert idx.add("001", seed_text("002"), replace=True) == []
        assert idx.get("001").text == seed_text("002") and len(idx) == 2
        assert [m.doc_id for m in idx.check(seed_text("001"))] == ["000"]


def test_bad_arguments(tmp_path: Path) -> None:
    with Index.open(":memory:") as idx:
        with pytest.raises(TypeError, match="unknown metadata field 'lang'"):
            idx.add("x", "some words here", lang="en")
        with pytest.raises(TypeError, match="doc_id must be a str"):
            idx.add(7, "some words here")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="no words"):
            idx.add("x", "  \n -- \n")
        with pytest.raises(ValueError, match="no words"):
            idx.check("")
    idx.close()
    with pytest.raises(BackendError, match="closed"):
        len(idx)


def _corpus() -> list[dict[str, str]]:
    """Seeds plus a duplicate, two copies and a partial reuse of a seed paragraph."""
    docs = [{"id": s, "text": seed_text(s)} for s in SEEDS]
    paras = seed_text("002").split("\n\n")
    long_para = max(paras, key=len)
    docs += [
        {"id": "dup-003", "text": seed_text("003")},
        {"id": "syn-a", "text": synthetic("syn-a", paragraphs=6)},
        {"id": "syn-a-copy", "text": copy_text(synthetic("syn-a", paragraphs=6), "syn-a-copy")},
        {"id": "quotes-002", "text": synthetic("q1", paragraphs=4) + "\n\n" + long_para + "\n\n"
                                     + synthetic("q2", paragraphs=3)},
    ]
    return docs


def test_index_pairs_equal_scan_pairs() -> None:
    """Adding a corpus one article at a time finds exactly the pairs scan finds, with equal figures."""
    docs = _corpus()
    result = syndup.scan(docs)
    want = {(r.doc_a, r.doc_b): (r.relation, round(r.jaccard, 9)) for r in result.pairs.itertuples()}
    got = {}
    with Index.open(":memory:") as idx:
        for d in docs:
            for m in idx.add(d["id"], d["text"]):
                a, b = sorted([d["id"], m.doc_id])
                got[(a, b)] = (m.relation, round(m.jaccard, 9))
    assert {"copy", "duplicate", "partial"} <= {rel for rel, _ in want.values()}
    assert got == want


def _with_disclaimer(doc_id: str, disclaimer: str) -> str:
    return synthetic(doc_id, paragraphs=4, words=30) + "\n\n" + disclaimer


def test_boilerplate_is_learned_as_the_index_grows() -> None:
    """A disclaimer carried by unrelated stories links the first few, then becomes boilerplate."""
    disclaimer = synthetic("disclaimer", paragraphs=1, words=40)
    docs = [(f"story-{i}", _with_disclaimer(f"story-{i}", disclaimer)) for i in range(8)]
    with Index.open(":memory:") as idx:
        found = [idx.add(i, t) for i, t in docs]
        # Second story: one earlier holder, one story: a shared passage, reported as partial.
        assert [(m.doc_id, m.relation) for m in found[1]] == [("story-0", "partial")]
        # Later stories: enough different stories carry it, so it is boilerplate and links nothing.
        assert found[-1] == [] and found[-2] == []
        assert idx.check(_with_disclaimer("another", disclaimer)) == []
    # scan, on the whole corpus, agrees it is boilerplate.
    result = syndup.scan([{"id": i, "text": t} for i, t in docs])
    assert len(result.pairs) == 0


def test_a_big_family_costs_bounded_work() -> None:
    """300 copies of one story: every add still finds the origin, and returns a bounded list."""
    origin = synthetic("origin", paragraphs=6)
    cap = Settings().max_bucket_pairs
    with Index.open(":memory:") as idx:
        idx.add("origin", origin)
        times = []
        for i in range(300):
            start = time.perf_counter()
            matches = idx.add(f"copy-{i}", copy_text(origin, f"copy-{i}"))
            times.append(time.perf_counter() - start)
            assert "origin" in [m.doc_id for m in matches]
            assert len(matches) <= 4 * cap
    early, late = sorted(times[10:60])[25], sorted(times[-50:])[25]
    assert late < 4 * early + 0.005, (early, late)


def test_stats(tmp_path: Path) -> None:
    with Index.open(tmp_path / "articles.syndup") as idx:
        for s in SEEDS:
            idx.add(s, seed_text(s))
        stats = idx.stats()
    assert stats["backend"] == "sqlite" and stats["articles"] == 5 and stats["format"] == FORMAT_VERSION
    assert stats["built_by"] == f"syndup {syndup.__version__}"
    assert stats["settings"] == Settings().fingerprint()
    assert isinstance(stats["bytes_on_disk"], int) and stats["bytes_on_disk"] > 0


def test_threads_share_one_index(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with Index.open(tmp_path / "articles.syndup") as idx:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda i: idx.add(f"t{i}", synthetic(f"t{i}")), range(200)))
        assert len(idx) == 200


# -- damaged, foreign and read-only files ------------------------------------------------------


def _small_index(path: Path, n: int = 40) -> None:
    with Index.open(path) as idx:
        for i in range(n):
            idx.add(f"a{i}", synthetic(f"a{i}", paragraphs=6))


def _refused(path: Path, error: type[Exception], match: str) -> str:
    """Opening `path` raises `error` with a one-line message naming it, and leaves its bytes alone."""
    before = path.read_bytes()
    with pytest.raises(error) as err:
        Index.open(path)
    message = str(err.value)
    assert str(path) in message and "\n" not in message, message
    assert re.search(match, message), message
    assert path.read_bytes() == before
    return message


def test_a_damaged_file_is_refused_and_never_written(tmp_path: Path) -> None:
    path = tmp_path / "articles.syndup"
    _small_index(path)
    data = bytearray(path.read_bytes())
    middle = len(data) // 4096 // 2 * 4096  # one whole page in the middle of the file
    data[middle:middle + 4096] = b"\x5a" * 4096
    path.write_bytes(bytes(data))
    _refused(path, BackendError, "damaged")


def test_a_missing_table_is_refused_not_recreated(tmp_path: Path) -> None:
    path = tmp_path / "articles.syndup"
    _small_index(path)
    db = sqlite3.connect(path)
    db.execute("DROP TABLE lsh")
    db.commit()
    db.close()
    _refused(path, BackendError, "damaged.*lsh")
    db = sqlite3.connect(path)
    assert "lsh" not in {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
    db.close()


@pytest.mark.parametrize("value", ["{not json", "[1, 2]", '"text"',
                                   json.dumps({"format": FORMAT_VERSION, "settings": {"num_perm": "many"}}),
                                   json.dumps({"format": FORMAT_VERSION, "settings": [], "fingerprint": 3}),
                                   "valid-but-bad-settings"])
def test_a_broken_header_is_a_one_line_error(tmp_path: Path, value: str) -> None:
    path = tmp_path / "articles.syndup"
    _small_index(path, 3)
    if value == "valid-but-bad-settings":
        _set_header(path, settings={**dataclasses.asdict(Settings()), "num_perm": "many"})
    else:
        db = sqlite3.connect(path)
        db.execute("UPDATE syndup_header SET value = ?", (value,))
        db.commit()
        db.close()
    _refused(path, IndexSettingsError, "damaged index header")


def test_a_lost_header_is_not_replaced_while_articles_remain(tmp_path: Path) -> None:
    path = tmp_path / "articles.syndup"
    _small_index(path, 3)
    db = sqlite3.connect(path)
    db.execute("DELETE FROM syndup_header")
    db.commit()
    db.close()
    _refused(path, IndexSettingsError, "damaged index header .gone, while the index holds 3 articles")


def test_a_foreign_sqlite_file_is_never_written(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE people (name TEXT)")
    db.execute("INSERT INTO people VALUES ('ada')")
    db.commit()
    db.close()
    _refused(other, BackendError, "not a syndup index")


#: Root ignores file permissions; the read-only test drops the capabilities that let it.
_AS_READER = (["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--inh-caps", "-all"]
              if os.geteuid() == 0 else [])


@pytest.fixture()
def read_only_later(tmp_path: Path) -> Iterator[Path]:
    """A folder whose permissions the test may take away; given back for the clean-up."""
    if _AS_READER and shutil.which("setpriv") is None:
        pytest.skip("running as root: needs setpriv (util-linux) to run a process that respects file permissions")
    folder = tmp_path / "shared"
    folder.mkdir()
    try:
        yield folder
    finally:
        folder.chmod(0o755)


def _cli_as_reader(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a process that cannot write files it has no write permission for."""
    return subprocess.run([*_AS_READER, sys.executable, "-c", "from syndup.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=300, env=child_env())


@pytest.mark.parametrize("folder_mode", [0o555, 0o777], ids=["read-only-folder", "writable-folder"])
def test_a_read_only_index_serves_check_and_stats(read_only_later: Path, folder_mode: int) -> None:
    path = read_only_later / "articles.syndup"
    _small_index(path, 10)
    probe = read_only_later / "probe.txt"
    probe.write_text(copy_text(synthetic("a3", paragraphs=6), "probe"))
    path.chmod(0o444)
    read_only_later.chmod(folder_mode)
    before = path.read_bytes()

    stats = _cli_as_reader("index", "stats", "--json", str(path))
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["articles"] == 10
    check = _cli_as_reader("index", "check", str(path), str(probe))
    assert check.returncode == 0, check.stderr
    assert "probe: copy of a3" in check.stdout
    add = _cli_as_reader("index", "add", str(path), str(probe))
    assert add.returncode == 1
    assert "read-only" in add.stderr and str(path) in add.stderr and "Traceback" not in add.stderr
    assert path.read_bytes() == before


def test_match_says_which_copy_is_fuller_and_index_picks_the_origin() -> None:
    full = seed_text("000")
    half = "\n\n".join(p for p in full.split("\n\n") if p.strip())[: len(full) // 2]
    with Index.open(":memory:") as idx:
        idx.add("half", half)
        (m,) = idx.add("full", full)
        assert (m.doc_id, m.relation, m.fuller) == ("half", "copy", "a")  # the whole after its truncation
        assert [(x.doc_id, x.fuller) for x in idx.check(half)] == [("half", None), ("full", "b")]
        # 001 cuts about as much of 000 as it adds: neither is fuller; 001 credits RT: 000 is the origin
        (r,) = [x for x in idx.add("001", seed_text("001"), url="https://www.globalresearch.ca/x")
                if x.doc_id == "full"]
        assert r.relation == "copy" and r.fuller is None
        assert idx.origin(["001", "full"]) == syndup.models.OriginChoice("full", "attribution", 0.95)
        assert idx.origin(["001", "full", "001"]).doc_id == "full"
        with pytest.raises(KeyError):
            idx.origin(["001", "nope"])
    # the fuller side flips with the sides: a's share of b and b's share of a swap
    for a_in_b, b_in_a in [(0.5, 1.0), (0.6, 0.62), (1.0, 0.85), (0.3, 0.4)]:
        ab = Match("x", "copy", 0.3, a_in_b, b_in_a)
        ba = Match("y", "copy", 0.3, b_in_a, a_in_b)
        assert {ab.fuller, ba.fuller} in ({None}, {"a", "b"})
        assert (ab.fuller == "a") == (b_in_a - a_in_b >= 0.1)

"""The Redis backend against a real redis-server started by the test: the seeds, reopening from
another process, the same bucket keys in every backend, prefixes, and servers that go away."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from syndup import BackendError, Index, IndexSettingsError, Settings
from syndup.cli import app

from .conftest import seed_text
from .indexkit import RedisServer, child_env, free_port, needs_redis_server, synthetic

pytestmark = [pytest.mark.redis, needs_redis_server]
SEEDS = ["000", "001", "002", "003", "004"]

REOPEN = """
import json, sys
from syndup import Index
from tests.conftest import seed_text
with Index.open(sys.argv[1]) as idx:
    print(json.dumps({"len": len(idx), "checks": {s: [[m.doc_id, m.relation, round(m.jaccard, 9)]
                      for m in idx.check(seed_text(s))] for s in __SEEDS__}}))
""".replace("__SEEDS__", repr(SEEDS))


def test_seeds_and_reopen_in_a_new_process(redis_server: RedisServer, tmp_path: Path) -> None:
    url = redis_server.url(prefix="news")
    with Index.open(url) as idx:
        got = {s: idx.add(s, seed_text(s)) for s in SEEDS}
        expected = {s: [[m.doc_id, m.relation, round(m.jaccard, 9)] for m in idx.check(seed_text(s))]
                    for s in SEEDS}
    assert got["000"] == [] and [(m.doc_id, m.relation) for m in got["001"]] == [("000", "copy")]
    assert got["002"] == got["003"] == got["004"] == []
    run = subprocess.run([sys.executable, "-c", REOPEN, url], capture_output=True, text=True,
                         cwd=tmp_path, env=child_env(), timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"len": 5, "checks": expected}


def test_verbs_prefixes_and_settings(redis_server: RedisServer) -> None:
    with Index.open(redis_server.url(prefix="a")) as a, Index.open(redis_server.url(prefix="b")) as b:
        a.add("000", seed_text("000"), url="https://www.rt.com/x", title="T")
        a.add("001", seed_text("001"))
        assert len(a) == 2 and len(b) == 0 and "000" in a and "000" not in b
        assert b.check(seed_text("001")) == []
        assert a.get("000").url == "https://www.rt.com/x" and a.get("000").text == seed_text("000")
        a.remove("000")
        assert "000" not in a and len(a) == 1 and [m.doc_id for m in a.check(seed_text("000"))] == ["001"]
        with pytest.raises(KeyError):
            a.remove("000")
        stats = a.stats()
        assert stats["backend"] == "redis" and stats["articles"] == 1 and stats["redis_used_memory"] > 0
    with pytest.raises(IndexSettingsError, match="shingle_size=5.*shingle_size=6"):
        Index.open(redis_server.url(prefix="a"), settings=Settings(shingle_size=6))


def test_every_backend_stores_the_band_keys_scan_groups_by(redis_server: RedisServer, tmp_path: Path) -> None:
    """Memory, SQLite and Redis hold the same LSH bucket keys: `candidates.band_keys` of the
    articles' signatures, the keys scan groups a corpus by."""
    import numpy as np
    import redis

    from syndup.candidates import band_keys, lsh_params, noisy_band_keys
    from syndup.shingle import analyze, analyze_noisy_many, shingles
    from syndup.sign import signatures

    s = Settings()
    texts = {f"a{i}": synthetic(f"a{i}") for i in range(6)}
    sigs = signatures([shingles(analyze(t), s.shingle_size).hashes for t in texts.values()], s.num_perm, s.seed)
    want = set(band_keys(sigs, *lsh_params(s.lsh_threshold, s.num_perm)).ravel().tolist())
    noisy = analyze_noisy_many(list(texts.values()))  # and the noisy view's: one word pair in noisy_sample signed
    pairs = [shingles(noisy[i], s.noisy_shingle_size).hashes for i in range(len(texts))]
    noisy_sigs = signatures([h[h % s.noisy_sample == 0] for h in pairs], s.num_perm, s.seed)
    want |= set(noisy_band_keys(noisy_sigs, s).ravel().tolist())
    r = redis.Redis(port=redis_server.port)
    read = {  # each backend's bucket keys, read from its own storage
        ":memory:": lambda store: set(store._bands),
        str(tmp_path / "i.syndup"): lambda store: {k & (2 ** 64 - 1) for (k,) in store._query("SELECT key FROM lsh")},
        redis_server.url(prefix="bk"): lambda store: {int(np.frombuffer(f, "<u8")[0]) for key in r.scan_iter("bk:lsh:*")
                                                      for f in r.hkeys(key)},
    }
    stored = {}
    for where, keys in read.items():
        with Index.open(where) as idx:
            for doc_id, text in texts.items():
                idx.add(doc_id, text)
            stored[idx._store.kind] = keys(idx._store)
    assert stored == {"memory": want, "sqlite": want, "redis": want}


def test_server_killed_mid_run_is_a_clear_error(redis_server: RedisServer) -> None:
    url = redis_server.url(prefix="gone", timeout=2)
    idx = Index.open(url)
    for i in range(50):
        idx.add(f"a{i}", synthetic(f"a{i}"))
    redis_server.kill()
    start = time.monotonic()
    with pytest.raises(BackendError) as err:
        for i in range(50, 100):
            idx.add(f"a{i}", synthetic(f"a{i}"))
    assert time.monotonic() - start < 10
    message = str(err.value)
    assert f"redis://127.0.0.1:{redis_server.port}/0" in message and "\n" not in message
    for call in (lambda: idx.check("some words here"), lambda: len(idx), lambda: "a1" in idx):
        with pytest.raises(BackendError, match=str(redis_server.port)):
            call()
    idx.close()


def test_hung_server_times_out(redis_server: RedisServer) -> None:
    """A server that stops answering (SIGSTOP) raises after the timeout instead of hanging."""
    url = redis_server.url(prefix="hung", timeout=1)
    with Index.open(url) as idx:
        idx.add("a", synthetic("a"))
        assert redis_server.proc is not None
        redis_server.proc.send_signal(signal.SIGSTOP)
        try:
            start = time.monotonic()
            with pytest.raises(BackendError, match="Timeout|timed out"):
                idx.add("b", synthetic("b"))
            assert time.monotonic() - start < 8
        finally:
            redis_server.proc.send_signal(signal.SIGCONT)


def test_wrong_urls_fail_at_open_in_one_line(redis_server: RedisServer) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0?prefix=x&timeout=2"
    bad = [
        (dead, "cannot connect to Redis at " + dead),
        ("redis://no-such-host.invalid:6379/0?timeout=2", "no-such-host.invalid"),
        (f"redis://127.0.0.1:{redis_server.port}/zero", "database number"),
        (f"redis://127.0.0.1:{redis_server.port}/0?prefix=a%20b", "prefix"),
        (f"redis://127.0.0.1:{redis_server.port}/0?timeout=soon", "timeout"),
        ("redis://127.0.0.1:notaport/0", "redis://127.0.0.1:notaport/0"),
        (f"redis://:secret@127.0.0.1:{free_port()}/0?timeout=2", "redis://:***@127.0.0.1"),
    ]
    for url, fragment in bad:
        start = time.monotonic()
        with pytest.raises(BackendError) as err:
            Index.open(url)
        message = str(err.value)
        assert fragment in message, (url, message)
        assert "\n" not in message and "secret" not in message
        assert time.monotonic() - start < 10, url


def test_cli_with_redis(redis_server: RedisServer, seeds_dir: Path) -> None:
    runner = CliRunner()
    url = redis_server.url(prefix="cli")
    res = runner.invoke(app, ["index", "add", url, str(seeds_dir)])
    assert res.exit_code == 0, res.output
    assert "001_4b43cad0f107b24d: copy of 000_28930205ab5c0454" in res.output
    res = runner.invoke(app, ["index", "stats", "--json", url])
    assert res.exit_code == 0 and json.loads(res.output)["articles"] == 5
    dead = f"redis://127.0.0.1:{free_port()}/0?timeout=2"
    res = runner.invoke(app, ["index", "stats", dead])
    assert res.exit_code == 1
    assert res.output.strip().startswith("Error: cannot connect to Redis at " + dead)
    assert len(res.output.strip().splitlines()) == 1

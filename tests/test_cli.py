"""The `syndup` command line: every command, subcommand, argument and option explains itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer
from typer.testing import CliRunner

from syndup.cli import app


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command below the root (groups included), with the words that invoke it."""
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield (*path, name), sub
        yield from _commands(sub, (*path, name))


def _help_of(path: tuple[str, ...]) -> str:
    """What `syndup PATH --help` prints, one line per row (wide terminal: no wrapping)."""
    res = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "400"})
    assert res.exit_code == 0, (path, res.output)
    return " ".join(res.output.split())


def test_every_cli_command_and_parameter_has_help() -> None:
    root = typer.main.get_command(app)
    commands = dict(_commands(root))
    assert {("scan",), ("diff",), ("index",), ("index", "add"), ("index", "check"),
            ("index", "stats")} <= set(commands)
    for path, command in [((), root), *commands.items()]:
        shown = _help_of(path)
        summary = (command.help or "").strip()
        assert summary, f"`syndup {' '.join(path)}` has no help text"
        assert " ".join(summary.split()) in shown, path
        for param in command.params:
            text = (getattr(param, "help", None) or "").strip()
            assert text, f"`syndup {' '.join(path)}`: {param.name} has no help text"
            assert " ".join(text.split()) in shown, (path, param.name)


# ------------------------------------------------------------------------------------------
# Hostile data and careless arguments: one line, no traceback, nothing from the data acts on the terminal.

import json  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import syndup.scan  # noqa: E402, F401 - loaded, to be patched
from syndup import Index  # noqa: E402
from syndup.errors import BackendError  # noqa: E402

from .conftest import SEEDS, seed_text  # noqa: E402
from .indexkit import RedisServer, needs_redis_server  # noqa: E402

runner = CliRunner()


def _no_scan(*args: object, **kwargs: object) -> None:
    raise AssertionError("the scan ran before the arguments were checked")


def _one_error_line(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and "Traceback" not in output, output
    return lines[0]


@pytest.mark.parametrize("where", ["a-file", "under-a-file", "read-only"])
def test_an_unwritable_out_is_one_line_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       where: str) -> None:
    monkeypatch.setattr(sys.modules["syndup.scan"], "scan", _no_scan)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file")
    out = {"a-file": blocker, "under-a-file": blocker / "out", "read-only": Path("/proc/sys/syndup-out")}[where]
    res = runner.invoke(app, ["scan", str(SEEDS), "--out", str(out)])
    assert res.exit_code == 2
    assert str(out) in _one_error_line(res.output)


def test_an_unusable_index_is_one_line_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.modules["syndup.scan"], "scan", _no_scan)
    res = runner.invoke(app, ["scan", str(SEEDS), "--out", str(tmp_path / "out"),
                              "--index", str(tmp_path / "no-folder" / "i.syndup")])
    assert res.exit_code == 1 and "does not exist" in _one_error_line(res.output)
    assert not (tmp_path / "out").exists()


def test_out_inside_the_corpus_folder_is_not_read_back(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    for _ in range(2):
        res = runner.invoke(app, ["scan", str(corpus), "--out", str(corpus / "out")])
        assert res.exit_code == 0, res.output
    assert "inside a corpus folder: its files are not read" in res.output
    docs = pd.read_csv(corpus / "out" / "documents.csv")
    assert len(docs) == 5 and not docs["doc_id"].str.startswith("out/").any()
    corpus = shutil.copytree(SEEDS, tmp_path / "both")
    for _ in range(2):  # the corpus folder itself: its articles are read, the report is not
        res = runner.invoke(app, ["scan", str(corpus), "--out", str(corpus)])
        assert res.exit_code == 0, res.output
    assert sorted(pd.read_csv(corpus / "documents.csv")["doc_id"]) == sorted(docs["doc_id"])


HOSTILE_IDS = ["[/x]", "[blink]blinking[/blink]", "[link=https://evil.example]click[/link]", ":smile:"]


@pytest.fixture
def hostile_corpus(tmp_path: Path) -> Path:
    """Copies of one seed under ids that are rich markup, its text carrying terminal escapes."""
    corpus = tmp_path / "corpus.jsonl"
    text = seed_text("000") + "\n\nSee \x1b]0;pwned\x07 and \x1b[2J\x9b31m here."
    corpus.write_text("\n".join(json.dumps({"id": name, "site": name, "text": text}) for name in HOSTILE_IDS),
                      encoding="utf-8")
    return corpus


def _shown_raw(output: str) -> None:
    """Every hostile id printed literally, and no control character from the data."""
    for name in HOSTILE_IDS:
        assert name in output, (name, output)
    assert not any(ch in output for ch in "\x1b\x07\x9b"), output


def test_markup_and_escapes_in_ids_are_printed_as_text(hostile_corpus: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["scan", str(hostile_corpus), "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    _shown_raw(res.output)
    index = str(tmp_path / "i.syndup")
    res = runner.invoke(app, ["index", "add", index, str(hostile_corpus)])
    assert res.exit_code == 0, res.output
    _shown_raw(res.output)
    res = runner.invoke(app, ["index", "check", index, str(hostile_corpus)])
    assert res.exit_code == 0, res.output
    _shown_raw(res.output)


def test_diff_shows_escape_sequences_and_decode_warnings(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("The council met on Monday.\n\nIt voted for the plan.", encoding="utf-8")
    b.write_bytes("The council met on Monday \x1b]0;pwned\x07\x1b[2J.\n\nIt voted for the plan at \xa3600m."
                  .encode("latin-1"))
    res = runner.invoke(app, ["diff", str(a), str(b)])
    assert res.exit_code == 0, res.output
    assert "\x1b" not in res.output and "\x07" not in res.output and "\u241b" in res.output
    assert "warning:" in res.output and "not UTF-8" in res.output


def test_json_output_escapes_c1_and_bidi_controls(tmp_path: Path) -> None:
    index = str(tmp_path / "i.syndup")
    probe = tmp_path / "probe\x9b\u202e.txt"
    probe.write_text(seed_text("001"), encoding="utf-8")
    res = runner.invoke(app, ["index", "check", "--json", index, str(probe)])
    assert res.exit_code == 0, res.output
    assert "\x9b" not in res.output and "\u202e" not in res.output
    assert json.loads(res.output)["id"] == "probe\x9b\u202e"


def _batch(path: Path, ids: list[str]) -> Path:
    texts = {i: f"{seed_text('00' + str(k % 5))} Batch note {k}." for k, i in enumerate(ids)}
    rows = [{"id": i, "text": texts[i] if n != 1 else "Another text under a recurring id."}
            for n, i in enumerate(ids)]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    return path


def test_index_add_goes_on_past_a_recurring_id(tmp_path: Path) -> None:
    ids = ["a", "a"] + [f"n{k}" for k in range(9)]
    res = runner.invoke(app, ["index", "add", "-q", str(tmp_path / "i.syndup"), str(_batch(tmp_path / "b.jsonl", ids))])
    assert res.exit_code == 1
    assert "'a' is already in" in res.output and "not added" in res.output
    assert "10 articles added" in res.output and "1 not added" in res.output
    with Index.open(tmp_path / "i.syndup") as idx:
        assert len(idx) == 10


def test_index_add_says_how_many_were_added_before_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real_add = Index.add

    def failing_add(self: Index, *args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 4:
            raise BackendError("the disk went away")
        return real_add(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Index, "add", failing_add)
    res = runner.invoke(app, ["index", "add", "-q", str(tmp_path / "i.syndup"),
                              str(_batch(tmp_path / "b.jsonl", [f"n{k}" for k in range(6)]))])
    assert res.exit_code == 1
    assert "the disk went away (3 articles added before it)" in _one_error_line(res.output)


def _silent_server() -> socket.socket:
    """A port that accepts connections and never answers: a Redis server that hangs."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    return server


@pytest.mark.parametrize("url", ["redis://:hunter2@127.0.0.1:{port}/0?timeout=1",
                                 "redis://user:hun@ter2@127.0.0.1:{port}/0?timeout=1",
                                 "redis://127.0.0.1:{port}/0?password=hunter2&timeout=1",
                                 "https://user:hunter2@127.0.0.1:{port}/index"])
def test_a_redis_password_is_never_printed_and_timeout_bounds_the_wait(url: str) -> None:
    import redis  # noqa: F401 - imported before the clock starts

    with _silent_server() as server:
        target = url.format(port=server.getsockname()[1])
        start = time.monotonic()
        res = runner.invoke(app, ["index", "stats", target])
        waited = time.monotonic() - start
    line = _one_error_line(res.output)
    assert "hunter2" not in line and "ter2" not in line and "***" in line
    assert waited < 1.6, waited  # one timeout (1 s), not two


@pytest.mark.redis
@needs_redis_server
def test_redis_success_lines_hide_the_password(tmp_path: Path) -> None:
    import redis

    server = RedisServer(tmp_path).start()
    try:
        redis.Redis(port=server.port).config_set("requirepass", "hunter2")
        for url in (f"redis://:hunter2@127.0.0.1:{server.port}/0?prefix=t",
                    f"redis://127.0.0.1:{server.port}/0?prefix=u&password=hunter2"):
            res = runner.invoke(app, ["index", "add", url, str(SEEDS)])
            assert res.exit_code == 0, res.output
            assert "5 articles added" in res.output and "hunter2" not in res.output
            res = runner.invoke(app, ["scan", str(SEEDS), "--out", str(tmp_path / "out"), "--no-report",
                                      "--index", url])
            assert res.exit_code == 0, res.output
            assert "all added to" in res.output and "hunter2" not in res.output
            res = runner.invoke(app, ["index", "stats", "--json", url])
            assert res.exit_code == 0 and "hunter2" not in res.output
    finally:
        server.stop()


def test_a_full_disk_leaves_the_tables_of_the_last_run_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    assert runner.invoke(app, ["scan", str(SEEDS), "--out", str(out)]).exit_code == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    real_to_csv = pd.DataFrame.to_csv

    def full_disk(self: pd.DataFrame, path: Path, **kwargs: object) -> None:
        if Path(path).name == "pairs.csv":  # documents.csv written, pairs.csv cut mid-row
            Path(path).write_text(self.to_string()[:50])
            raise OSError(28, "No space left on device")
        real_to_csv(self, path, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    (tmp_path / "extra.txt").write_text("A short note about the weather on the coast, unlike any seed.")
    res = runner.invoke(app, ["scan", str(SEEDS), str(tmp_path / "extra.txt"), "--out", str(out)])
    assert "No space left on device" in _one_error_line(res.output) and res.exit_code == 1
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before

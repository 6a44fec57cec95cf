"""An interrupted or killed `syndup scan` leaves the previous result whole, and no temporary files.

Each rerun is stopped at a point of its work (reading, forking workers, writing the tables,
writing the report) by
SIGTERM, SIGINT (to its process group, as Ctrl-C does) or SIGKILL; a hook in a small driver holds
the run at that point until the signal comes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import SEEDS, seed_text
from .indexkit import child_env

DRIVER = r"""
import importlib, os, time
from pathlib import Path

point, marker = os.environ["HOLD_AT"], Path(os.environ["HOLD_MARKER"])

def hold(seconds=120):
    marker.write_text("held")
    time.sleep(seconds)

def after(module, name, nth=1):
    real, calls = getattr(module, name), []
    def wrapped(*args, **kwargs):
        result = real(*args, **kwargs)
        calls.append(1)
        if len(calls) == nth:
            hold()
        return result
    setattr(module, name, wrapped)

if point == "reading":
    after(importlib.import_module("syndup.read"), "_read_file", 3)
elif point == "tables":
    import pandas
    after(pandas.DataFrame, "to_csv")
elif point == "report":
    after(importlib.import_module("syndup.report"), "_write")
elif point == "fork":  # every split forced onto processes; the first fork held (it cannot be stopped)
    execution = importlib.import_module("syndup.execution")
    real_tuning, forks = execution.Tuning, []
    execution.Tuning = lambda: real_tuning(chunk=2, min_parallel=1, fork_articles=1, fork_pairs=1,
                                           fork_members=1, fork_clusters=1, fork_keys=1)
    os.register_at_fork(after_in_parent=lambda: forks or (forks.append(1), hold(3)))

from syndup.cli import main
main()
"""


def _snapshot(out: Path) -> dict[str, bytes]:
    """Every file of the output folder (but staging folders) and its bytes."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not p.relative_to(out).parts[0].startswith(".syndup-staging-")}


def _scan(args: list[str], env: dict[str, str], hold_at: str | None = None,
          marker: Path | None = None) -> subprocess.Popen[str]:
    env = {**env, "HOLD_AT": hold_at or "", "HOLD_MARKER": str(marker or "")}
    return subprocess.Popen([sys.executable, "-c", DRIVER, "scan", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


@pytest.fixture(scope="module")
def first_result(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The result of a scan of the seeds."""
    out = tmp_path_factory.mktemp("first") / "out"
    first = _scan([str(SEEDS), "--out", str(out)], child_env())
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    return out


@pytest.fixture
def setting(tmp_path: Path, first_result: Path) -> tuple[Path, Path, dict[str, str]]:
    """A corpus one article larger than the seeds, the first result in `out`, and a temp folder."""
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    (corpus / "zz_extra.txt").write_text(seed_text("003") + "\n\nA paragraph added by the rerun.", encoding="utf-8")
    shutil.copytree(first_result, tmp_path / "out")
    temp = tmp_path / "temp"
    temp.mkdir()
    return corpus, temp, {**child_env(), "TMPDIR": str(temp)}


@pytest.mark.parametrize("point", ["reading", "fork", "tables", "report"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_a_stopped_rerun_leaves_the_first_result_whole(tmp_path: Path, setting: tuple[Path, Path, dict[str, str]],
                                                        point: str, signum: int) -> None:
    corpus, temp, env = setting
    out = tmp_path / "out"
    before = _snapshot(out)
    assert "report/index.html" in before and len(before["documents.csv"].splitlines()) == 6

    marker = tmp_path / "held"
    run = _scan([str(corpus), "--out", str(out), "--jobs", "2"], env, point, marker)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert run.poll() is None and time.monotonic() < deadline, run.communicate()
        time.sleep(0.05)
    if signum == signal.SIGINT:
        os.killpg(run.pid, signum)  # Ctrl-C: the whole process group
    else:
        run.send_signal(signum)
    _, err = run.communicate(timeout=60)

    assert _snapshot(out) == before
    if signum == signal.SIGKILL:
        assert run.returncode == -signal.SIGKILL
        # A later run removes what the killed one left, and writes its result.
        again = _scan([str(corpus), "--out", str(out)], env)
        _, err = again.communicate(timeout=120)
        assert again.returncode == 0, err
        assert len((out / "documents.csv").read_text().splitlines()) == 7
    else:
        assert run.returncode == 128 + signum, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"syndup: stopped by {signal.Signals(signum).name}"), err
    assert not list(temp.iterdir()), "temporary files left behind"
    assert not list(out.glob(".syndup-staging-*")), "a staging folder left behind"

"""Programs as users write them: a script without a main guard, a program with a thread, a program
fed on stdin. Each runs `syndup.scan(..., jobs=2)` in a subprocess with a timeout: it works, or it
fails with one line; never a loop of workers started again and again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO, seed_text

#: Small tuning, so that 40 articles take the worker pool (and forked children) a big corpus would.
SCAN = """
import syndup
from syndup.execution import Tuning
result = syndup.scan({corpus!r}, jobs=2, tuning=Tuning(chunk=4, min_parallel=8, fork_articles=8, fork_pairs=4,
                                                        fork_members=4, fork_clusters=2, fork_keys=2))
print("read", result.articles_read, "clusters", int((result.clusters["size"] > 1).sum()))
"""
THREAD = """
import threading, time
threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
"""
PROGRAMS = {
    "no main guard": SCAN,
    "no main guard, a thread running": THREAD + SCAN,
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("procs") / "c.jsonl"
    texts = [seed_text(p) for p in ("000", "001", "002", "003", "004")]
    path.write_text("".join(json.dumps({"id": f"a{k}", "text": texts[k % 5] + f"\n\nnote {k}"}) + "\n"
                            for k in range(40)), encoding="utf-8")
    return path


def run(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    try:
        return subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=180, env=env, cwd=REPO)
    except subprocess.TimeoutExpired as exc:
        err = (exc.stderr or b"")[-2000:]
        pytest.fail(f"did not end in 180 s (workers started again and again?): {err!r}")


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_a_script_without_a_main_guard_scans_with_two_jobs(tmp_path: Path, corpus: Path, name: str) -> None:
    script = tmp_path / "script.py"
    script.write_text(PROGRAMS[name].format(corpus=str(corpus)), encoding="utf-8")
    done = run([sys.executable, str(script)])
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "read 40 clusters 4"
    assert "Traceback" not in done.stderr


def test_a_program_read_from_stdin_with_a_thread_scans_with_two_jobs(corpus: Path) -> None:
    done = run([sys.executable, "-"], stdin=THREAD + SCAN.format(corpus=str(corpus)))
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "read 40 clusters 4"
    assert "Traceback" not in done.stderr


def test_the_cli_reads_a_corpus_piped_to_it_with_two_jobs(tmp_path: Path, corpus: Path) -> None:
    done = run([sys.executable, "-m", "syndup.cli", "scan", "-", "--out", str(tmp_path / "out"), "--jobs", "2",
                "--no-report"], stdin=corpus.read_text(encoding="utf-8"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "40 articles read, 0 skipped; 4 clusters of copies" in done.stdout


def test_a_worker_that_dies_is_one_error_not_a_hang(tmp_path: Path) -> None:
    script = tmp_path / "die.py"
    script.write_text(THREAD + """
import os
from syndup.execution import Execution
list(Execution(jobs=2).map_chunks(os._exit, [(3,)] * 4, parallel=True))
""", encoding="utf-8")
    done = run([sys.executable, str(script)])
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("syndup.errors.SyndupError: a syndup worker process died (exit code 3)")
    assert done.stderr.count("Traceback") == 1  # the script's own, once

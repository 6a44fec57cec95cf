"""CLI conventions: `scan --json`, settings from a config file and `--set`, `-v`, stage names in the
progress bar, shell completion, and the HTML extractor named, never silently replaced."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from rich.progress import Progress
from typer.testing import CliRunner

import syndup
from syndup.cli import _Stages, app
from syndup.extract import extract_html
from syndup.scan import STAGES

from .conftest import REPO, SEEDS
from .webpages import seed_pages, write_html_folder


def _syndup(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The `syndup` command as a user runs it (stdout and stderr apart)."""
    environ = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    return subprocess.run([sys.executable, "-m", "syndup.cli", *args], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=300)


def _settings_used(out: Path) -> dict[str, object]:
    return json.loads((out / "scan.json").read_text())["settings"]


def test_scan_json_prints_one_json_summary_on_stdout(tmp_path: Path) -> None:
    run = _syndup("scan", str(SEEDS), "--out", "out", "--json", "--no-report", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)  # the whole of stdout is one JSON document
    assert (summary["articles_read"], summary["clusters"], summary["copies"], summary["skipped"]) == (5, 1, 1, 0)
    assert summary["largest_clusters"][0]["origin_id"] == "000_28930205ab5c0454"
    assert summary["tables"] == ["clusters.csv", "documents.csv", "network.csv", "pairs.csv", "sites.csv"]
    assert summary["report"] is None


def test_settings_come_from_syndup_toml_pyproject_config_and_set(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n\n[tool.syndup]\npartial_min_words = 60\n")
    run = _syndup("scan", str(SEEDS), "-o", "a", "-q", "--no-report", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert _settings_used(tmp_path / "a")["partial_min_words"] == 60
    (tmp_path / "syndup.toml").write_text("partial_min_words = 50\ncopy_containment = 0.7\n")  # wins over pyproject
    run = _syndup("scan", str(SEEDS), "-o", "b", "-q", "--no-report", "--set", "copy_containment=0.6", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    used = _settings_used(tmp_path / "b")
    assert (used["partial_min_words"], used["copy_containment"]) == (50, 0.6)  # --set wins over the file
    (tmp_path / "other.toml").write_text("num_perm = 64\n")
    run = _syndup("scan", str(SEEDS), "-o", "c", "-q", "--no-report", "--config", "other.toml", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    used = _settings_used(tmp_path / "c")
    assert (used["num_perm"], used["partial_min_words"]) == (64, 40)  # only the file named


@pytest.mark.parametrize(("files", "args", "message"), [
    ({}, ["--set", "copy_containmen=0.6"], "unknown setting 'copy_containmen' (--set)"),
    ({}, ["--set", "copy_containment=2"], "Settings.copy_containment must be a number in (0, 1], got 2 (int) (--set)"),
    ({}, ["--set", "num_perm"], "expected KEY=VALUE"),
    ({"syndup.toml": "num_perm = 'x'\n"}, [], "Settings.num_perm must be an int >= 1, got 'x' (str) ("),
    ({"syndup.toml": "num_perm = \n"}, [], "syndup.toml: not valid TOML"),
    ({}, ["--config", "nope.toml"], "--config nope.toml: no such file"),
])
def test_a_bad_setting_is_one_line_naming_the_key(tmp_path: Path, files: dict[str, str], args: list[str],
                                                  message: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    run = _syndup("scan", str(SEEDS), "-o", "out", "-q", *args, cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr.startswith("Error: ") and message in run.stderr and len(run.stderr.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_verbose_names_the_settings_extractor_and_every_stage(tmp_path: Path) -> None:
    run = _syndup("scan", str(SEEDS), "-o", "out", "-v", "--no-report", "--set", "seed=3", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "seed=3 (--set)" in run.stderr and "HTML: trafilatura" in run.stderr
    timed = [line.split(":")[0] for line in run.stderr.splitlines() if line.endswith(" s") or "articles)" in line]
    assert timed == ["reading", *STAGES, "writing"]


def test_the_progress_bar_names_each_stage_with_its_count() -> None:
    shown: list[tuple[str, float | None, float]] = []
    console = Console(file=io.StringIO(), force_terminal=True, width=80)
    with Progress(console=console, auto_refresh=False) as bar:
        stages = _Stages(bar, 5, verbose=False)

        def start(name: str | None) -> None:
            stages.start(name)
            task = bar.tasks[0]
            shown.append((task.description, task.total, task.completed))

        syndup.scan(SEEDS, progress=stages.progress, on_stage=start, jobs=1)
    assert [d for d, _, _ in shown] == [f"{k}/8 {name}" for k, name in enumerate(STAGES, 2)]
    assert all(total == done == 5 for _, total, done in shown)


def test_shell_completion_completes_commands_options_and_choices(tmp_path: Path) -> None:
    script = _syndup("completion", "bash", cwd=tmp_path)
    assert script.returncode == 0 and "_SYNDUP_COMPLETE=complete_bash" in script.stdout
    for words, cword, expected in [("syndup sc", 1, {"scan"}), ("syndup scan --ma", 2, {"--max-ratio"}),
                                   ("syndup scan --format ", 3, {"csv", "parquet"})]:
        got = _syndup(cwd=tmp_path, env={"_SYNDUP_COMPLETE": "complete_bash", "COMP_WORDS": words,
                                         "COMP_CWORD": str(cword)})
        assert expected <= set(got.stdout.split()), (words, got.stdout, got.stderr)


def test_a_missing_trafilatura_is_an_error_naming_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "trafilatura", None)  # not installed
    with pytest.raises(syndup.MissingDependency, match=r"pip install 'syndup\[html\]'"):
        extract_html(seed_pages()[0].html)
    version = CliRunner().invoke(app, ["--version"])
    assert "HTML: no extractor, HTML input is an error: pip install 'syndup[html]'" in version.output
    monkeypatch.setenv("SYNDUP_EXTRACTOR", "basic")  # asked for: the basic parser, menus and all
    assert "We use cookies to improve your experience" in extract_html(seed_pages()[0].html).text
    assert "basic parser" in CliRunner().invoke(app, ["--version"]).output
    monkeypatch.delenv("SYNDUP_EXTRACTOR")
    write_html_folder(tmp_path / "pages")
    scan = CliRunner().invoke(app, ["scan", str(tmp_path / "pages"), "-o", str(tmp_path / "out"), "-q", "-j", "1"])
    assert scan.exit_code == 1 and "pip install 'syndup[html]'" in scan.output and "--extractor basic" in scan.output
    assert not (tmp_path / "out" / "documents.csv").exists()  # no tables full of menus
    scan = CliRunner().invoke(app, ["scan", str(tmp_path / "pages"), "-o", str(tmp_path / "out"), "-q", "-j", "1",
                                    "--extractor", "basic"])
    assert scan.exit_code == 0, scan.output


def test_version_names_the_extractor_in_use() -> None:
    from importlib.metadata import version

    pytest.importorskip("trafilatura")
    result = CliRunner().invoke(app, ["--version"])
    assert f"HTML: trafilatura {version('trafilatura')}" in result.output


def test_the_html_extra_pins_what_trafilatura_needs_to_import() -> None:
    text = (REPO / "pyproject.toml").read_text()
    html_extra = next(line for line in text.splitlines() if line.startswith("html = "))
    assert "trafilatura" in html_extra and "lxml_html_clean" in html_extra


def test_a_broken_extractor_is_named_on_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # lxml's message for a missing lxml_html_clean spans two lines.
    broken = tmp_path / "site" / "trafilatura"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('lxml.html.clean is a separate project.\\n"
                                        "Install lxml[html-clean] or lxml_html_clean directly.')\n")
    monkeypatch.syspath_prepend(str(broken.parent))
    monkeypatch.delitem(sys.modules, "trafilatura", raising=False)
    result = CliRunner().invoke(app, ["--version"])
    assert result.output.count("\n") == 1 and "trafilatura is broken" in result.output
    assert "lxml_html_clean directly" in result.output and "pip install 'syndup[html]'" in result.output


def test_the_progress_total_of_parquet_input_is_its_row_count(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from syndup.cli import _count_hint

    pq.write_table(pa.table({"id": ["a", "b", "c"], "text": ["x", "y", "z"]}), tmp_path / "a.parquet")
    pq.write_table(pa.table({"id": ["d"], "text": ["w"]}), tmp_path / "b.parquet")
    assert _count_hint([tmp_path / "a.parquet", tmp_path / "b.parquet"]) == 4


def test_reading_jsonl_the_progress_bar_counts_bytes_up_to_the_files_size(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A JSONL file's articles are not known before it is read: the bar's total is its size, and it
    shows the bytes read ("0.8/1.6 MB"); then each stage counts articles."""
    import importlib
    import random

    from syndup.cli import _Done, _size_hint
    from syndup.read import DEFAULT_FIELDS, read_parts
    from syndup.scan import scan_fields

    reader = importlib.import_module("syndup.read")
    monkeypatch.setattr(reader, "_BLOCK", 1 << 16)  # batches of 64 KB, not 1 MB: many in a small file
    monkeypatch.setattr(reader, "LINES_PER_PART", 64)
    rng = random.Random(3)
    vocabulary = [f"w{k}" for k in range(3000)]
    n = 4000
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps({"id": f"a{i}", "text": " ".join(rng.choices(vocabulary, k=60))}) + "\n"
                            for i in range(n)), encoding="utf-8")
    size = path.stat().st_size
    assert _size_hint([path]) == size
    (tmp_path / "c.jsonl.gz").write_bytes(b"")
    assert _size_hint([path, tmp_path / "c.jsonl.gz"]) is None  # its bytes read are not its size
    seen: list[tuple[str | None, float | None, float, str]] = []
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    with Progress(_Done(), console=console, auto_refresh=False) as bar:
        stages = _Stages(bar, None, verbose=False, size=size)

        def progress(n: int) -> None:
            stages.progress(n)
            task = bar.tasks[0]
            seen.append((stages.name, task.total, task.completed, str(_Done().render(task))))

        scan_fields(stages.reading(read_parts([path])), DEFAULT_FIELDS, progress=progress, on_stage=stages.start,
                    jobs=1)
    reading = [s for s in seen if s[0] == "reading"]
    assert len(reading) > 1 and all(total == size for _, total, _, _ in reading)
    done = [d for _, _, d, _ in reading]
    assert done == sorted(done) and 0 < done[0] < size and done[-1] == size
    assert reading[-1][3] == f"{size / 1e6:.1f}/{size / 1e6:.1f} MB"
    later = [s for s in seen if s[0] not in ("reading", None)]
    assert later and all(text == f"{n}/{n}" for *_, text in later)

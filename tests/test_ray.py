"""The Ray engine gives the local engine's tables, and a Ray worker killed mid-scan changes nothing."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import syndup
from syndup.cli import app
from syndup.errors import InputError, MissingDependency
from syndup.execution import Tuning

from .generated import records

ray = pytest.importorskip("ray")

SEEDS = range(20240317, 20240317 + 10)  # ten generated corpora of 200 articles: 2000 articles
#: Many small chunks, so that every pass has many Ray tasks in flight, and every split of the
#: corpus-wide stages (verification, origins, boilerplate) runs as Ray tasks.
TUNING = Tuning(chunk=50, min_parallel=100, fork_pairs=200, fork_members=50, fork_clusters=20, fork_keys=50,
                group_bytes=1 << 18)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2000 generated articles in one JSONL file (the Ray workers parse its lines), and a few bad
    records among them: a line that is not JSON, a record without text, a duplicate id."""
    path = tmp_path_factory.mktemp("ray") / "corpus.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for seed in SEEDS:
            for r in records(seed):
                record = r.to_json()
                record["id"] = f"s{seed % 100}-{record['id']}"
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            fh.write('{"id": "broken", "text": \n')
            fh.write(json.dumps({"id": f"empty{seed}"}) + "\n")
            fh.write(json.dumps({"id": f"s{seed % 100}-a000", "text": "a second article with a taken id"}) + "\n")
    return path


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray instance of 2 CPUs for this module's tests."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def local(corpus: Path) -> syndup.ScanResult:
    return syndup.scan(corpus, jobs=2, tuning=TUNING)


def assert_same_tables(a: syndup.ScanResult, b: syndup.ScanResult) -> None:
    for name in ("documents", "pairs", "clusters"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.boilerplate == b.boilerplate
    assert a.problems == b.problems


def test_ray_engine_gives_the_local_engines_tables(corpus, local_ray, local):
    result = syndup.scan(corpus, engine="ray", jobs=2, tuning=TUNING)
    assert len(result.documents) == 2010  # and the 10 renamed duplicates
    assert len(result.problems) == 30
    assert set(result.pairs.relation) == {"copy", "duplicate", "partial"}
    assert result.clusters.shape[0] > 200
    assert_same_tables(result, local)


def _ray_tasks() -> set[str]:
    """The names of the syndup tasks this Ray instance ran (from its timeline of task events)."""
    time.sleep(2)  # task events reach the timeline a moment after the tasks end
    return {e["cat"].removeprefix("task::syndup:") for e in ray.timeline() if e.get("cat", "").startswith("task::syndup:")}


def test_verification_components_clusters_origins_and_boilerplate_run_on_the_ray_workers(corpus, local_ray):
    syndup.scan(corpus, engine="ray", jobs=2, tuning=TUNING)
    assert {"analyse_chunk", "sign_chunk", "_verify_to", "components.scatter", "components.large_star",
            "components.small_star", "components.labels", "_cut_apart", "_chosen_apart",
            "_judge_holders", "part_evidence", "_split_block", "_reduce_part"} <= _ray_tasks()


def test_an_error_in_a_ray_task_is_raised_as_itself_in_one_line(local_ray):
    from syndup.ray_engine import RayExecution

    squares = RayExecution(2).map_chunks(pow, [(i, 2) for i in range(20)], parallel=True)
    assert list(squares) == [i * i for i in range(20)]
    with pytest.raises(ValueError) as caught:
        list(RayExecution(2).map_chunks(int, [("1",), ("x",)], parallel=True))
    assert str(caught.value) == "invalid literal for int() with base 10: 'x'"


#: Titles of the tasks of a scan's group-bys (`RayExecution.by_key`): a block's rows cut into parts, a part's result.
GROUP_BY_TASKS = ("ray::syndup:_split_block", "ray::syndup:_reduce_part")


def _ray_task_workers() -> list[tuple[int, str]]:
    """Ray workers running a task of syndup's now, and what they run: their process title names the
    task (`ray::syndup:...`). (Ray's agents, ray::DashboardAgent and the like, are never killed: the node dies.)"""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                title = fh.read().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        if title.startswith("ray::syndup:"):
            found.append((int(entry), title))
    return found


def test_ray_workers_killed_mid_scan_in_a_pass_and_a_group_by_do_not_change_the_result(corpus, local_ray, local):
    killed: dict[str, str] = {}  # "group-by" or "other": the task its killed worker ran
    stop = threading.Event()

    def killer() -> None:
        while not stop.is_set() and len(killed) < 2:
            for pid, title in _ray_task_workers():
                kind = "group-by" if title.startswith(GROUP_BY_TASKS) else "other"
                if kind in killed:
                    continue
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed[kind] = title
                except ProcessLookupError:
                    continue
            time.sleep(0.001)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        result = syndup.scan(corpus, engine="ray", jobs=2, tuning=TUNING)
    finally:
        stop.set()
        thread.join()
    assert set(killed) == {"group-by", "other"}, f"no Ray worker was running a task to kill: {killed}"
    assert_same_tables(result, local)


def test_the_ray_engine_without_ray_names_the_pip_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "syndup.ray_engine", raising=False)
    with pytest.raises(MissingDependency, match=r"pip install 'syndup\[ray\]'"):
        syndup.scan([{"id": "a", "text": "one two three"}], engine="ray")


def test_an_unknown_engine_or_an_address_without_ray_is_refused():
    with pytest.raises(InputError, match="engine must be 'local' or 'ray'"):
        syndup.scan([{"id": "a", "text": "one two three"}], engine="spark")
    with pytest.raises(InputError, match="address"):
        syndup.scan([{"id": "a", "text": "one two three"}], address="ray://head:10001")


def test_cli_scan_with_engine_ray_runs_the_ray_engine(corpus, tmp_path, monkeypatch):
    # Without Ray installed, --engine ray fails with the pip line: the option reaches the engine.
    monkeypatch.setitem(sys.modules, "ray", None)
    monkeypatch.delitem(sys.modules, "syndup.ray_engine", raising=False)
    done = CliRunner().invoke(app, ["scan", str(corpus), "--out", str(tmp_path / "out"), "--engine", "ray", "--quiet"])
    assert done.exit_code != 0
    assert "pip install 'syndup[ray]'" in done.output
    done = CliRunner().invoke(app, ["scan", str(corpus), "--out", str(tmp_path / "out"), "--address", "auto", "--quiet"])
    assert done.exit_code != 0
    assert "engine='ray'" in done.output


def test_parquet_at_a_uri_is_read_by_ray_data_with_the_local_rules(local_ray, tmp_path):
    frame = pd.DataFrame([r.to_json() for seed in SEEDS[:3] for r in records(seed)])
    frame["id"] = [f"{i // 200}-{doc_id}" for i, doc_id in enumerate(frame["id"])]
    frame.loc[5, "text"] = None  # a record without text: a warning, not the end
    folder = tmp_path / "crawl"
    folder.mkdir()
    frame.iloc[:300].to_parquet(folder / "part-0000.parquet", index=False)
    frame.iloc[300:].to_parquet(folder / "part-0001.parquet", index=False)
    result = syndup.scan(folder.as_uri(), engine="ray", jobs=2, tuning=TUNING)
    local = syndup.scan(frame, jobs=2, tuning=TUNING)
    assert len(result.problems) == 1
    assert_same_tables(result, local)


def test_jsonl_at_uris_is_read_by_ray_data_with_the_local_rules(corpus, local_ray, tmp_path):
    lines = corpus.read_bytes().splitlines(keepends=True)
    first, second = tmp_path / "part-0.jsonl", tmp_path / "part-1.jsonl.gz"
    first.write_bytes(b"".join(lines[:700]))
    second.write_bytes(gzip.compress(b"".join(lines[700:1400]) + b'{"id": "bad", "text": "\\xff"}\n\xff\xfe\n'))
    result = syndup.scan([first.as_uri(), second.as_uri()], engine="ray", jobs=2, tuning=TUNING)
    local = syndup.scan([first, second], jobs=2, tuning=TUNING)
    assert len(result.documents) > 1300
    assert any(p.where.startswith(f"{second}:") for p in result.problems)  # named file:line, as locally
    assert_same_tables(result, local)


def test_cli_reads_jsonl_at_a_uri_glob_with_ray_data(corpus, local_ray, tmp_path):
    lines = corpus.read_bytes().splitlines(keepends=True)
    folder = tmp_path / "crawl"
    (folder / "more").mkdir(parents=True)
    (folder / "part-0.jsonl").write_bytes(b"".join(lines[:700]))
    (folder / "more" / "part-1.jsonl").write_bytes(b"".join(lines[700:1400]))
    (folder / "part-2.jsonl.gz").write_bytes(gzip.compress(b"".join(lines[1400:])))
    (folder / "notes.txt").write_text("not a part of the corpus")
    out = tmp_path / "out"
    done = CliRunner().invoke(app, ["scan", f"{folder.as_uri()}/**/part-*.jsonl*", "--engine", "ray", "--out", str(out),
                                    "--format", "parquet", "--quiet", "--no-report", "--jobs", "2"])
    assert done.exit_code == 0, done.output
    assert json.loads((out / "scan.json").read_text())["corpus_uris"] == [f"{folder.as_uri()}/**/part-*.jsonl*"]
    local = syndup.scan([folder / "more" / "part-1.jsonl", folder / "part-0.jsonl", folder / "part-2.jsonl.gz"],
                        jobs=2, tuning=TUNING)
    with syndup.load(out) as loaded:
        assert len(loaded.documents) > 1900
        assert_same_tables(loaded, local)


def test_cli_refuses_a_uri_without_the_ray_engine_or_matching_nothing(local_ray, tmp_path):
    done = CliRunner().invoke(app, ["scan", f"{tmp_path.as_uri()}/a.jsonl", "--out", str(tmp_path / "out"), "--quiet"])
    assert done.exit_code == 2 and "add --engine ray" in done.output
    done = CliRunner().invoke(app, ["scan", f"{tmp_path.as_uri()}/*.jsonl", "--engine", "ray", "--out",
                                    str(tmp_path / "out"), "--quiet"])
    assert done.exit_code == 1 and f"{tmp_path.as_uri()}/*.jsonl: no file matches" in done.output


def _links_files(folder: Path, edges: list[tuple[int, int]], copies: list[bool]) -> list[str]:
    """`edges` (a < b) written as verification's link files, a few a file; `copies` say which join a cluster."""
    from syndup.ray_components import _write
    from syndup.verify import COPY_CODE, Relations

    paths = []
    for k in range(0, len(edges), 3):
        part = np.array(edges[k:k + 3], dtype=np.int64).reshape(-1, 2)
        m = part.shape[0]
        code = np.array([COPY_CODE if c else 0 for c in copies[k:k + 3]], dtype=np.int8)  # 0: a partial link
        path = str(folder / f"links-{k}")
        _write(path, part, Relations(code, np.ones(m), np.ones(m), np.ones(m), np.ones(m, np.int64),
                                     np.ones(m, np.int64), np.zeros(m, np.int8)))
        paths.append(path)
    return paths


_graphs = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60), st.booleans()), max_size=80).map(
    lambda es: [(min(a, b), max(a, b), c) for a, b, c in es if a != b])


@given(graph=_graphs)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_components_found_by_ray_tasks_are_the_union_finds(local_ray, tmp_path, graph):
    from syndup.cluster import Components
    from syndup.ray_components import components

    folder = tmp_path / str(abs(hash(tuple(graph))))
    folder.mkdir(exist_ok=True)
    paths = _links_files(folder, [(a, b) for a, b, _ in graph], [c for _, _, c in graph])
    joining = [(a, b) for a, b, c in graph if c]
    oracle = Components(61)
    oracle.union(np.array(joining, dtype=np.int64).reshape(-1, 2))
    in_links = np.unique(np.array(joining, dtype=np.int64).reshape(-1))
    nodes, labels = components(paths, len(joining), cpus=2, part_bytes=64)  # a few links a part: many parts
    assert nodes.tolist() == in_links.tolist()
    assert labels.tolist() == oracle.labels()[in_links].tolist()
    members = np.arange(0, 61, 3)
    nodes, labels = components(paths, len(joining), cpus=2, part_bytes=1 << 20, members=members)
    assert nodes.tolist() == np.intersect1d(in_links, members).tolist()
    assert labels.tolist() == oracle.labels()[nodes].tolist()


@given(first=_graphs, later=st.lists(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), max_size=6), max_size=6))
@settings(max_examples=200, deadline=None)
def test_components_seeded_from_labels_answer_as_one_union_find(first, later):
    from syndup.cluster import Components
    from syndup.ray_components import Seeded

    whole = Components(61)
    whole.union(np.array([(a, b) for a, b, c in first if c], dtype=np.int64).reshape(-1, 2))
    members = np.arange(0, 61, 3)  # later links join only these
    seeded = Seeded(members, whole.labels()[members])
    for batch in later:
        pairs = members[np.array(batch, dtype=np.int64).reshape(-1, 2)]
        assert seeded.find(pairs.reshape(-1)).tolist() == whole.find(pairs.reshape(-1)).tolist()
        whole.union(pairs)
        seeded.union(pairs)
        assert seeded.find(members).tolist() == whole.find(members).tolist()


def test_cli_scan_with_ray_and_quiet_prints_nothing(corpus, local_ray, tmp_path):
    lines = corpus.read_bytes().splitlines(keepends=True)
    (tmp_path / "part-0.jsonl").write_bytes(b"".join(lines[:300]))
    program = "import sys; from syndup.cli import main; sys.argv[0] = 'syndup'; main()"
    done = subprocess.run([sys.executable, "-c", program, "scan", f"{tmp_path.as_uri()}/part-*.jsonl", "--engine", "ray",
                           # this module's instance: "auto" is the latest one started on the machine, maybe another's
                           "--address", ray.get_runtime_context().gcs_address, "--out", str(tmp_path / "out"),
                           "--quiet", "--no-report"],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(Path(syndup.__file__).parents[1])})
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    # Ray Data's INFO lines (each dataset's plan and end) and its nag about progress bars stay off the console.
    assert [line for line in done.stderr.splitlines() if " INFO " in line or "Progress bars" in line] == []

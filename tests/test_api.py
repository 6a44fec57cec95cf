"""The public surface: a sorted, complete __all__, documented CLI commands, one error tree."""

from __future__ import annotations

import dataclasses
import gc
import inspect
import json
import os
import pickle
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import syndup


def test_all_is_sorted_and_complete():
    assert syndup.__all__ == sorted(syndup.__all__)
    for name in syndup.__all__:
        assert hasattr(syndup, name), name
    public = {n for n, v in vars(syndup).items()
              if not n.startswith("_") and not inspect.ismodule(v) and n not in ("annotations",)}
    assert public <= set(syndup.__all__), public - set(syndup.__all__)


def test_every_error_is_a_syndup_error():
    for name in ("InputError", "IndexSettingsError", "BackendError", "MissingDependency"):
        assert issubclass(getattr(syndup, name), syndup.SyndupError)


# --- import cost: `import syndup` is light, names load on first use -------------------------------

HEAVY = ("pandas", "pyarrow", "trafilatura", "rich", "typer", "datasketch", "jinja2", "numpy")


def _python(code: str) -> str:
    """Run `code` in a fresh interpreter (so nothing is imported yet) and return what it printed."""
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return done.stdout.strip()


def test_import_syndup_loads_no_heavy_dependency():
    loaded = _python(f"import syndup, sys; print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    assert loaded == "[]"


def test_every_public_name_resolves_in_a_fresh_process():
    # The submodules named like their functions load first: `syndup.scan` must still be the function.
    got = _python("import syndup.diff, syndup.read, syndup.scan, syndup.cli, syndup.report\n"
                  "import inspect, json, syndup\n"
                  "print(json.dumps({n: inspect.ismodule(getattr(syndup, n)) for n in syndup.__all__}))")
    is_module = json.loads(got)
    assert list(is_module) == sorted(syndup.__all__)
    assert not any(is_module.values()), [n for n, m in is_module.items() if m]
    assert set(syndup.__all__) <= set(dir(syndup))
    with pytest.raises(AttributeError, match="no attribute 'scna'"):
        syndup.scna  # noqa: B018 - a typo is an AttributeError, not a lazy import


# --- the error tree: each class is a SyndupError and the builtin it means ---------------------------

def test_errors_are_syndup_errors_and_the_builtin_they_mean(tmp_path: Path, seeds_dir: Path):
    with pytest.raises(syndup.CorpusNotFound, match="nope: no such file or folder") as missing:
        syndup.scan(str(tmp_path / "nope"))
    assert isinstance(missing.value, (syndup.InputError, FileNotFoundError, ValueError))

    with pytest.raises(syndup.SettingsError) as bad:
        syndup.Settings(num_perm=0)
    assert isinstance(bad.value, ValueError)

    with syndup.Index.open(":memory:") as idx:
        idx.add("a", " ".join(f"word{i}" for i in range(50)))
        with pytest.raises(syndup.IdConflict, match="'a' is already in") as taken:
            idx.add("a", "a different text, with other words in it")
        assert isinstance(taken.value, ValueError)

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with syndup.scan(seeds_dir, jobs=1) as result, pytest.raises(syndup.OutputError) as unwritable:
        syndup.write_report(result, blocker / "report")
    assert isinstance(unwritable.value, OSError)


def test_missing_dependency_crosses_processes_as_itself():
    err = syndup.MissingDependency("trafilatura", "html", "Reading HTML", broken="ImportError: no lxml_html_clean")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is syndup.MissingDependency and str(back) == str(err)
    assert isinstance(back, ImportError) and back.name == "trafilatura"


# --- Settings are checked when made, naming the field, the expectation and the value ---------------

def test_settings_name_the_field_the_expectation_and_the_value():
    with pytest.raises(syndup.SettingsError) as err:
        syndup.Settings(num_perm=0)
    assert str(err.value) == "Settings.num_perm must be an int >= 1, got 0 (int)"
    with pytest.raises(syndup.SettingsError,
                       match=r"^Settings\.copy_containment must be a number in \(0, 1\], got 1\.5 \(float\)$"):
        syndup.Settings(copy_containment=1.5)
    with pytest.raises(syndup.SettingsError, match=r"^Settings\.shingle_size must be an int from 1 to 12, got 13 \(int\)$"):
        syndup.Settings().replace(shingle_size=13)


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(syndup.Settings)])
def test_every_settings_field_is_checked(name: str):
    for bad in ("5", None, True, -1):
        with pytest.raises(syndup.SettingsError, match=rf"^Settings\.{name} must be .*, got {re.escape(repr(bad))} "
                                                         rf"\({type(bad).__name__}\)$"):
            syndup.Settings(**{name: bad})


def test_the_loosest_settings_allowed_still_scan_and_index(seeds_dir: Path):
    loosest = syndup.Settings(shingle_size=1, num_perm=1, seed=0, lsh_threshold=0.01, anchor_modulus=1,
                              copy_containment=1.0, copy_min_shared=1, partial_min_shared=1,
                              boilerplate_min_stories=1, boilerplate_sample=1, max_bucket_pairs=1)
    with syndup.scan(seeds_dir, settings=loosest, jobs=1) as result, syndup.Index.open(":memory:", settings=loosest) as idx:
        for doc_id in result:
            idx.add(doc_id, result.text(doc_id))
        assert len(idx) == result.articles_read
    strictest = syndup.Settings(shingle_size=12, seed=2**32 - 1, lsh_threshold=1.0, num_perm=1024)  # the other ends
    with syndup.scan(seeds_dir, settings=strictest, jobs=1) as result, syndup.Index.open(":memory:", settings=strictest) as idx:
        for doc_id in result:
            idx.add(doc_id, result.text(doc_id))
        assert len(idx) == result.articles_read


# --- ScanResult.close(): the temporary file of the texts goes, the tables stay -------------------

def _temp_files() -> set[str]:
    """What this process's open file descriptors point to in the temporary folder."""
    fds = Path("/proc/self/fd")
    found = set()
    for fd in fds.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(tempfile.gettempdir()):
            found.add(target)
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see open files")
def test_close_deletes_the_texts_and_keeps_the_tables(seeds_dir: Path):
    gc.collect()
    before = _temp_files()
    result = syndup.scan(seeds_dir, jobs=1)
    assert _temp_files() - before, "the texts should be in an open temporary file"
    first = next(iter(result))
    text = result.text(first)
    documents = result.documents.copy()
    with result:
        pass
    assert _temp_files() - before == set()
    with pytest.raises(syndup.BackendError, match="closed"):
        result.text(first)
    assert result.documents.equals(documents) and len(result.members(int(documents["cluster_id"].iloc[0]))) >= 1
    assert first in list(result) and text

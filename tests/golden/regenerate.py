"""The golden tables: what `syndup scan CORPUS --out DIR` writes for the seeds and a generated corpus.

After a change that is meant to alter the tables, rewrite them with `python tests/golden/regenerate.py`
and review the diff; `tests/test_golden.py` compares a fresh scan with them byte for byte.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent
REPO = GOLDEN.parent.parent
if str(REPO) not in sys.path:  # run as a script
    sys.path.insert(0, str(REPO))

from syndup.output import TABLES  # noqa: E402
from tests.generated import write_jsonl  # noqa: E402

#: Corpus name -> its golden folder under tests/golden/.
CASES = ("seeds", "generated")
FILES = tuple(f"{name}.csv" for name in TABLES)


def make_corpus(case: str, folder: Path) -> str:
    """Put the corpus of `case` in `folder`; return its path relative to it (tables name sources by it)."""
    if case == "seeds":
        shutil.copytree(REPO / "seeds", folder / "seeds")
        return "seeds"
    if case == "generated":
        return write_jsonl(folder / "generated.jsonl").name
    raise ValueError(f"unknown golden case {case!r}; expected one of {CASES}")


def scan_tables(case: str, folder: Path) -> dict[str, bytes]:
    """Run `syndup scan` on the corpus of `case` inside `folder`; the bytes of each CSV it writes."""
    corpus = make_corpus(case, folder)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, "-m", "syndup.cli", "scan", corpus, "--out", "out", "--no-report", "--quiet"],
                   cwd=folder, env=env, check=True)
    return {name: (folder / "out" / name).read_bytes() for name in FILES}


def main() -> None:
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            tables = scan_tables(case, Path(tmp))
        (GOLDEN / case).mkdir(exist_ok=True)
        for name, data in tables.items():
            path = GOLDEN / case / name
            path.write_bytes(data)
            print(f"wrote {path.relative_to(REPO)} ({len(data.splitlines()) - 1} rows)")


if __name__ == "__main__":
    main()

"""What each Ray task of a scan is sent, pickled, at a corpus size: does it follow the block or the corpus?

    python benchmarks/ray_payloads.py --n 20000
    python benchmarks/ray_payloads.py --n 100000

The scan runs in this process with an `Execution` that takes the Ray engine's paths (`remote`: texts
in the spill folder, group-bys by key, the splits a Ray engine sends to tasks) but runs every task
here, after measuring with Ray's cloudpickle what Ray would send: for `map_chunks`, each task's
function and arguments; for `map_split`, the object sent once a scan to the object store (a
helper's object, or the function with what it closes over) and the largest run of items a task
gets (cut as the Ray engine cuts them: two per CPU, here 2 CPUs). The corpus is `speed.py`'s.
"""

from __future__ import annotations

import argparse
import collections
import importlib
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from machine import machine_line
from speed import DEFAULT_BBC, Corpus, text_model, write_corpus

from syndup import _workers
from syndup.execution import Execution, Tuning

SIZES: dict[str, list[int]] = collections.defaultdict(list)


def _name(fn: Callable[..., Any]) -> str:
    while hasattr(fn, "func"):
        fn = fn.func
    return getattr(fn, "__qualname__", type(fn).__name__)


@dataclass(frozen=True)
class Measured(Execution):
    """The Ray engine's paths, every task run here after its payload is measured."""

    remote: ClassVar[bool] = True

    def map_chunks(self, fn: Callable[..., Any], tasks: Iterable[tuple[Any, ...]], *, parallel: bool) -> Iterator[Any]:
        from ray import cloudpickle

        for task in tasks:
            if parallel:
                SIZES[f"{_name(fn)}: a task's arguments"].append(len(cloudpickle.dumps((fn, task))))
            yield fn(*task)

    def map_split(self, fn: Callable[[Any], Any], items: Any, *, minimum: int, load: Any = None) -> list[Any]:
        from ray import cloudpickle

        if len(items) < max(minimum, 2):
            return [fn(items)]
        owner = getattr(fn, "__self__", None)
        SIZES[f"{_name(fn)}: sent once"].append(len(cloudpickle.dumps(fn if owner is None else owner)))
        cuts = _workers.balanced_cuts(np.ones(len(items), np.int64) if load is None else load, 4)
        runs = [items[a:b] for a, b in zip(cuts[:-1], cuts[1:]) if b > a]
        SIZES[f"{_name(fn)}: a task's items"].append(max(len(cloudpickle.dumps(r)) for r in runs))
        return [fn(r) for r in runs]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    import syndup

    print(machine_line())
    bbc = Path(DEFAULT_BBC) if Path(DEFAULT_BBC).is_dir() else None
    model, described = text_model(bbc, args.seed)
    print(f"corpus: {args.n} articles, {described}; seed {args.seed}; default Tuning (block sizes)\n")
    scan_module = importlib.import_module("syndup.scan")
    scan_module.for_engine = lambda *a, **k: Measured(2, Tuning())  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "corpus.jsonl"
        write_corpus(path, Corpus(model, args.n, args.seed))
        result = syndup.scan(path, engine="ray")
    print(f"{len(result.documents)} articles, {len(result.pairs)} pairs; pickled MB (largest of the calls, calls)")
    for key, sizes in sorted(SIZES.items()):
        print(f"{key:<48}{max(sizes) / 1e6:>9.2f}{len(sizes):>6}")


if __name__ == "__main__":
    main()

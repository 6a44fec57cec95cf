"""Speed of reading a Parquet corpus with column projection (only the columns an article needs)
against reading every column, as syndup did before: the same file, the two runs interleaved.

The corpus is generated (seeded): an id, a text of `--words` words, url, title, site, published, and
the columns a data engineer's table carries besides (the page's raw HTML, a summary, a language, a
keyword list and a 64-float embedding), in row groups of 10,000. Reading is `syndup.read`, every
article built; the scan after it is the same either way. Prints one table.

    python benchmarks/read_speed.py [--rows 200000] [--words 150] [--repeat 2] [--keep FILE]
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from machine import machine_line  # noqa: E402

import syndup  # noqa: E402

reader = importlib.import_module("syndup.read")


def generate(path: Path, rows: int, words: int, seed: int = 7) -> None:
    """A Parquet corpus of `rows` articles, written a row group at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}{'abcdefgh'[i % 8] * (1 + i % 5)}" for i in range(20_000)], dtype=object)
    writer = None
    group = 10_000
    for start in range(0, rows, group):
        n = min(group, rows - start)
        ids = [f"a{start + k:07d}" for k in range(n)]
        picks = rng.integers(0, len(vocab), size=(n, words))
        texts = [" ".join(vocab[row]) for row in picks]
        table = pa.table({
            "id": ids,
            "text": texts,
            "url": [f"https://site{k % 50}.example/{i}" for k, i in enumerate(ids)],
            "title": [t[:60] for t in texts],
            "site": [f"site{k % 50}.example" for k in range(n)],
            "published": [f"2024-03-{1 + k % 28:02d}T08:00:00Z" for k in range(n)],
            "raw_html": ["<html><body><nav>menu</nav><article><p>" + t.replace(" w1", "</p><p>w1")
                         + "</p></article><footer>footer</footer></body></html>" for t in texts],
            "summary": [t[:300] for t in texts],
            "lang": ["en"] * n,
            "keywords": pa.ListArray.from_arrays(np.arange(0, 8 * n + 1, 8, dtype=np.int32),
                                                 pa.array(vocab[picks[:, :8].ravel()].tolist())),
            "embedding": pa.FixedSizeListArray.from_arrays(pa.array(rng.random(64 * n, dtype=np.float32)), 64),
        })
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


def read_all(path: Path) -> tuple[float, int]:
    """Seconds to read every article of `path`, and how many there were."""
    t0 = time.perf_counter()
    n = sum(1 for item in syndup.read([path]) if isinstance(item, syndup.Article))
    return time.perf_counter() - t0, n


def every_column(self: object, available: list[str]) -> list[str]:
    """`Fields.columns` as syndup read Parquet before projection: every column."""
    return list(available)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--words", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="write the generated corpus here (and reuse it if it exists)")
    args = parser.parse_args()

    print(machine_line())
    print(f"pyarrow {version('pyarrow')}, pandas {version('pandas')}")
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "corpus.parquet"
        if not path.exists():
            t0 = time.perf_counter()
            generate(path, args.rows, args.words)
            print(f"generated {args.rows:,} articles of {args.words} words in {time.perf_counter() - t0:.0f} s: "
                  f"{path.stat().st_size / 2**20:.0f} MB on disk")
        projected = reader.Fields.columns
        times: dict[str, list[float]] = {"every column (before)": [], "needed columns (now)": []}
        for _ in range(args.repeat):  # interleaved: the machine's load falls on both alike
            for name in times:
                reader.Fields.columns = every_column if name.startswith("every") else projected  # type: ignore[method-assign]
                seconds, n = read_all(path)
                times[name].append(seconds)
        reader.Fields.columns = projected  # type: ignore[method-assign]
    base = statistics.median(times["every column (before)"])
    print(f"\n| read {n:,} articles from Parquet | median s | runs | articles/s | vs before |")
    print("|---|---:|---|---:|---:|")
    for name, runs in times.items():
        med = statistics.median(runs)
        print(f"| {name} | {med:.1f} | {', '.join(f'{r:.1f}' for r in runs)} | {n / med:,.0f} | {base / med:.2f}x |")


if __name__ == "__main__":
    main()

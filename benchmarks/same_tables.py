"""Check that a change leaves scan results as they were: save the tables once, compare later.

    python benchmarks/same_tables.py save /tmp/before          # on the old commit
    python benchmarks/same_tables.py compare /tmp/before       # on the new one: exit 1 on any difference

Three corpora: the README's seeds, `benchmarks/quality.py`'s generated corpus (real BBC text with
realistic edits) and a `benchmarks/speed.py` corpus (default 100,000 articles); with `--recurring N`
a fourth, speed.py's recurring-sentence corpus of N articles (every sentence in 5-20 of them, the
corpus where shared passages are measured most). For each, the
documents, pairs and clusters tables and the boilerplate set are compared exactly
(`pandas.testing.assert_frame_equal`, float figures to the bit).
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import quality  # noqa: E402
import speed  # noqa: E402

import syndup  # noqa: E402


def corpora(size: int, work: Path, recurring: int = 0) -> dict[str, object]:
    """Each corpus by name, as `syndup.scan` takes it."""
    arts = quality.load_bbc(quality.DEFAULT_DATA)
    docs, _ = quality.make_corpus(arts, 300, 7)
    records = [{"id": d.id, "text": d.text(), "site": d.site, "published": d.published, "title": d.title}
               for d in docs]
    big = work / f"speed-{size}.jsonl"
    if not big.exists():
        model, _ = speed.text_model(speed.DEFAULT_BBC, 7)
        speed.write_corpus(big, speed.Corpus(model, size, 7))
    out: dict[str, object] = {"seeds": HERE.parent / "seeds", "quality": records, f"speed{size}": big}
    if recurring:
        path = work / f"recurring-{recurring}.jsonl"
        if not path.exists():
            model, _ = speed.text_model(speed.DEFAULT_BBC, 7)
            bbc = speed.DEFAULT_BBC if speed.DEFAULT_BBC.is_dir() else None
            real = speed.real_sentences(bbc) if bbc is not None else None
            with open(path, "w", encoding="utf-8") as fh:
                for rec in speed.Recurring(model, recurring, 7, real).records():
                    fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        out[f"recurring{recurring}"] = path
    return out


def tables(source: object) -> tuple[dict[str, pd.DataFrame | frozenset[int]], float]:
    t0 = time.perf_counter()
    result = syndup.scan(source)
    took = time.perf_counter() - t0
    return {"documents": result.documents, "pairs": result.pairs, "clusters": result.clusters,
            "boilerplate": result.boilerplate}, took


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["save", "compare"])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--recurring", type=int, default=0, help="also speed.py's recurring-sentence corpus of N articles")
    args = ap.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    same = True
    for name, source in corpora(args.size, args.folder, args.recurring).items():
        got, took = tables(source)
        path = args.folder / f"{name}.pickle"
        if args.mode == "save":
            path.write_bytes(pickle.dumps(got))
            print(f"{name}: saved {len(got['documents'])} documents, {len(got['pairs'])} pairs ({took:.1f}s)")
            continue
        want = pickle.loads(path.read_bytes())
        for key, frame in got.items():
            try:
                if isinstance(frame, pd.DataFrame):
                    pd.testing.assert_frame_equal(frame, want[key], check_exact=True)
                elif frame != want[key]:
                    raise AssertionError(f"{len(frame ^ want[key])} hashes differ")
                print(f"{name} {key}: same ({len(frame)} rows)")
            except AssertionError as exc:
                same = False
                print(f"{name} {key}: DIFFERENT\n{exc}")
        print(f"{name}: scan {took:.1f}s")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

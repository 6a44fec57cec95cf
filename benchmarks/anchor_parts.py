"""Anchors' parts: what one part costs, and what all of them cost, with 64 parts against `AnchorSpill.parts_for`.

    python benchmarks/anchor_parts.py                         # 100,000 and 1,000,000 articles' worth
    python benchmarks/anchor_parts.py --articles 100000

The anchors are synthetic, as many as `speed.py`'s news corpus gives (71 an article, measured at
20,000 articles), spilled by chunks of 1,024 articles as the sign stage spills them; a tenth of the
values recur (shared passages and copies). For each corpus size and part count: the anchors per part,
the CPU seconds to read every part and to read every part and find its evidence
(`candidates.anchor_evidence`, what the local engine's forked child and each of the Ray engine's
`part_evidence` tasks do), and the peak memory traced (tracemalloc) while one part, the biggest, is
read and its evidence found: what a worker holds for it.
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc

import numpy as np
from machine import machine_line

from syndup.candidates import AnchorRule, anchor_evidence
from syndup.settings import Settings
from syndup.spill import AnchorSpill, SpillDir

PER_ARTICLE, CHUNK = 71, 1024


def spilled(articles: int, parts: int, seed: int) -> tuple[SpillDir, AnchorSpill]:
    """A spill of `articles` articles' anchors, split into `parts` parts."""
    rng = np.random.default_rng(seed)
    pool = rng.integers(0, 1 << 32, int(articles * PER_ARTICLE * 0.9), dtype=np.uint64).astype(np.uint32)
    folder = SpillDir()
    anchors = AnchorSpill(folder, parts)
    for start in range(0, articles, CHUNK):
        size = min(CHUNK, articles - start) * PER_ARTICLE
        values = pool[rng.integers(0, pool.shape[0], size)]
        docs = (start + rng.integers(0, min(CHUNK, articles - start), size)).astype(np.int32)
        order, bounds = AnchorSpill.partition(values, parts)
        anchors.add_sorted(values[order], docs[order], bounds)
    return folder, anchors


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", default="100000,1000000", help="corpus sizes, comma-separated")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    print(machine_line())
    print(f"{PER_ARTICLE} anchors an article; load {os.getloadavg()[0]:.1f} at start\n")
    rule = AnchorRule.of(Settings())
    print(f"{'articles':>10} {'parts':>6} {'anchors/part':>13} {'read CPU s':>11} {'+ evidence CPU s':>17} "
          f"{'one part MB':>12}")
    for articles in (int(a) for a in args.articles.split(",")):
        for parts in sorted({AnchorSpill.PARTS, AnchorSpill.parts_for(articles * PER_ARTICLE)}):
            folder, anchors = spilled(articles, parts, args.seed)
            try:
                ranges = anchors.part_ranges()
                t = time.process_time()
                for part in ranges:
                    AnchorSpill.read(part)
                read = time.process_time() - t
                t = time.process_time()
                for part in ranges:
                    anchor_evidence(*AnchorSpill.read(part), articles, rule)
                both = time.process_time() - t
                biggest = max(ranges, key=lambda p: int(p.counts.sum()))
                tracemalloc.start()
                anchor_evidence(*AnchorSpill.read(biggest), articles, rule)
                peak = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
            finally:
                anchors.remove()
                folder.remove()
            print(f"{articles:>10,} {parts:>6} {articles * PER_ARTICLE // parts:>13,} {read:>11.2f} {both:>17.2f} "
                  f"{peak:>12.1f}")
    print(f"load {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()

"""How fast this machine writes a file into memory its page cache has not used lately.

    python benchmarks/fresh_pages.py --gb 16

A scan keeps its spill (about 12 KB an article) and its texts in the page cache, so at a million
articles it fills 15-20 GB of memory that a scan of 100,000 never reaches. On a virtual machine
whose host backs guest memory only when it is first touched (and takes back what the guest frees),
each such page costs a fault on the host: writes run at a fraction of their usual rate, and a
scan's time per article grows with the corpus for a reason outside syndup. This prints the write
rate of each gigabyte of one file (then deletes it), twice, so that `stage_costs.py`'s figures can
be read against the machine's.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from machine import machine_line

GB = 1 << 30


def write_rates(path: str, gigabytes: int, block: int = 1 << 20) -> list[float]:
    """MB/s of each gigabyte written to a new file at `path` (deleted after)."""
    data = os.urandom(block)
    rates = []
    try:
        with open(path, "wb") as fh:
            for _ in range(gigabytes):
                start = time.perf_counter()
                for _ in range(GB // block):
                    fh.write(data)
                rates.append(GB / 2**20 / (time.perf_counter() - start))
    finally:
        os.remove(path)
    return rates


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gb", type=int, default=16, help="gigabytes to write (keep it under the free memory)")
    ap.add_argument("--folder", default=tempfile.gettempdir(), help="where to write (a scan's spill goes to the temp folder)")
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    print(machine_line())
    print(f"one file of {args.gb} GB written in {args.folder}, 1 MB a write; MB/s of each GB in turn\n")
    for run in range(args.runs):
        rates = write_rates(os.path.join(args.folder, f"syndup-fresh-pages-{os.getpid()}.bin"), args.gb)
        print(f"run {run + 1}: " + " ".join(f"{r:,.0f}" for r in rates))
        print(f"        slowest {min(rates):,.0f}, fastest {max(rates):,.0f}, median {sorted(rates)[len(rates) // 2]:,.0f} MB/s")
        time.sleep(5)


if __name__ == "__main__":
    main()

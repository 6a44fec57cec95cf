"""What a scan keeps on disk: `SetStore.gather` reads the sets one by one reading would."""

from __future__ import annotations

import random

import numpy as np
import pytest

from syndup.shingle import SetBatch
from syndup.spill import SetStore, SpillDir, write_sets

from .test_verify import random_sets

# --- reading sets in batches -------------------------------------------------------------------

@pytest.mark.parametrize("wanted", [[3], [0, 5, 2], list(range(40)), [39, 0, 12, 12, 7]])
def test_gather_reads_what_one_by_one_reads(wanted):
    rng = random.Random(1)
    spill = SpillDir()
    sets = random_sets(rng, 40, 10 ** 6)
    chunk, start, end, totals = [], [], [], []
    for c, part in enumerate([sets[:25], sets[25:]]):
        batch = SetBatch.of(part)
        write_sets(spill.file("sets", c), batch.hashes, batch.unquoted)
        chunk += [c] * len(part)
        start += batch.offsets[:-1].tolist()
        end += batch.offsets[1:].tolist()
        totals.append(int(batch.offsets[-1]))
    store = SetStore(spill, np.array(chunk, np.int32), np.array(start), np.array(end), totals)
    got = store.gather(np.array(wanted))
    assert store.sizes().tolist() == [len(s) for s in sets]
    for k, d in enumerate(wanted):
        s, e = got.offsets[k], got.offsets[k + 1]
        assert got.hashes[s:e].tolist() == store[d].hashes.tolist() == sets[d].hashes.tolist()
        assert got.unquoted[s:e].tolist() == store[d].unquoted.tolist() == sets[d].unquoted.tolist()

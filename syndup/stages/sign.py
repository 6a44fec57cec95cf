"""Stage 3, sign: words minus boilerplate -> every article's sketch, both views (see `syndup.sketch`).

Per chunk, in a worker process: the chunk's words (spilled by the analyse stage) are read back and
sketched without their boilerplate paragraphs, as the index sketches one article; the exact sets
are spilled again (read back only for candidate pairs), signatures and anchors come back. The exact
view's words stay on disk (`spill.WordStore`) for measuring shared passages.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..corpus import Corpus
from ..execution import Execution
from ..settings import Settings
from ..shingle import FeatureBatch
from ..sketch import lsh_width, noisy_lsh_width, sketch_many
from ..spill import AnchorSpill, SetStore, WordStore, map_arrays, spill_file, write_sets
from .boilerplate import Boilerplate


@dataclass(frozen=True)
class Signed:
    """Every article's sketch, in id order: signatures, anchors (on disk), exact shingle sets (on disk)."""

    signatures: np.ndarray  # uint32 (n, width): the first `width` permutations
    anchors: AnchorSpill    # (value, article) pairs, read back part by part
    sets: SetStore
    noisy_signatures: np.ndarray  # uint32 (n, noisy width): the noisy view's LSH columns
    noisy_sets: SetStore          # the noisy view's shingle sets (on disk)
    words: WordStore | None = None  # the exact view's words (on disk), for measuring passages


def sign_chunk(chunk: int, drop: np.ndarray, spill: str, settings: Settings, parts: int) -> tuple[np.ndarray, ...]:
    """Pass 2 for one chunk (in a worker): the chunk's sketches (`sketch.sketch_many`); the sets go
    to the chunk's spill file, the signatures, the anchors (grouped into the spill's `parts`, with their
    article's place in the chunk) and the sets' offsets come back. It leaves its input in place
    (the caller keeps its exact view, `WordStore.keep`), so a task run again after its worker died finds it."""
    wh, wq, wo, pw, po, nwh, nwq, nwo, npw, npo = map_arrays(spill_file(spill, "words", chunk), 10)
    n = wo.shape[0] - 1
    batch = FeatureBatch(wh, wq, wo, np.zeros(pw.shape[0], np.uint64), pw, po, np.zeros((n, 12), np.uint8))
    noisy = FeatureBatch(nwh, nwq, nwo, np.zeros(npw.shape[0], np.uint64), npw, npo, np.zeros((n, 12), np.uint8))
    sk = sketch_many(batch, drop, settings, noisy)
    assert sk.noisy_sets is not None and sk.noisy_signatures is not None
    write_sets(spill_file(spill, "sets", chunk), sk.sets.hashes, sk.sets.unquoted)
    write_sets(spill_file(spill, "noisysets", chunk), sk.noisy_sets.hashes, sk.noisy_sets.unquoted)
    order, bounds = AnchorSpill.partition(sk.anchor_values, parts)
    owner = np.repeat(np.arange(n, dtype=np.int32), np.diff(sk.anchor_offsets))
    return (sk.signatures, sk.anchor_values[order], owner[order], bounds, sk.sets.offsets, sk.noisy_signatures,
            sk.noisy_sets.offsets)


def sign(corpus: Corpus, boilerplate: Boilerplate, settings: Settings, execution: Execution) -> Signed:
    """Shingle, sign and sample anchors of every article, leaving out its boilerplate paragraphs.
    The corpus's paragraph arrays are released after: this was their last use."""
    n = len(corpus)
    starts = corpus.chunk_starts.tolist()
    folder = str(corpus.spill.path)
    width = lsh_width(settings)

    def tasks() -> Iterator[tuple[Any, ...]]:
        for c in range(len(starts) - 1):
            p0, p1 = int(corpus.para_offsets[starts[c]]), int(corpus.para_offsets[starts[c + 1]])
            yield (c, boilerplate.drops[p0:p1], folder, settings, anchors.n_parts)

    sigs = np.empty((n, width), dtype=np.uint32)
    noisy_sigs = np.empty((n, noisy_lsh_width(settings)), dtype=np.uint32)
    set_chunk = np.empty(n, dtype=np.int32)
    set_start = np.empty(n, dtype=np.int64)
    set_end = np.empty(n, dtype=np.int64)
    noisy_start = np.empty(n, dtype=np.int64)
    noisy_end = np.empty(n, dtype=np.int64)
    totals: list[int] = []
    noisy_totals: list[int] = []
    # About one shingle of `anchor_modulus` is an anchor: the parts are sized by the words signed.
    anchors = AnchorSpill(corpus.spill, AnchorSpill.parts_for(int(corpus.n_words.sum()) // settings.anchor_modulus))
    words = WordStore(corpus.spill, corpus.chunk_starts, corpus.order, corpus.para_offsets[corpus.chunk_starts],
                      boilerplate.drops)
    try:
        done = execution.map_chunks(sign_chunk, tasks(), parallel=n >= execution.tuning.min_parallel)
        for c, (s, av, owner, bounds, so, ns, nso) in enumerate(done):
            pos = corpus.rank[starts[c]:starts[c + 1]]
            sigs[pos] = s
            noisy_sigs[pos] = ns
            set_chunk[pos] = c
            set_start[pos] = so[:-1]
            set_end[pos] = so[1:]
            noisy_start[pos] = nso[:-1]
            noisy_end[pos] = nso[1:]
            totals.append(int(so[-1]))
            noisy_totals.append(int(nso[-1]))
            anchors.add_sorted(av, pos[owner].astype(np.int32), bounds)
            words.keep(c)
    finally:
        anchors.close()
    corpus.release_paragraphs()
    return Signed(sigs, anchors, SetStore(corpus.spill, set_chunk, set_start, set_end, totals), noisy_sigs,
                  SetStore(corpus.spill, set_chunk, noisy_start, noisy_end, noisy_totals, kind="noisysets"), words)

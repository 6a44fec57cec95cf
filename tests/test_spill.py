"""What a scan keeps on disk: `SetStore.gather` reads the sets one by one reading would, and
`WordStore.gather` the words analysing the texts again would."""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import syndup
from syndup import boilerplate as bp
from syndup.execution import Execution, Tuning
from syndup.models import Article
from syndup.settings import Settings
from syndup.shingle import SetBatch, analyze_many
from syndup.spill import PairCounter, SetStore, SpillDir, _by_chunk, write_sets
from syndup.stages import analyse, boilerplate, sign

from . import sitecorpus
from .test_verify import random_sets

# --- reading sets in batches -------------------------------------------------------------------

def stored(spill: SpillDir, parts: list) -> SetStore:
    """A SetStore of `parts` of sets, one chunk file each, as a scan writes them."""
    chunk, start, end, totals = [], [], [], []
    for c, part in enumerate(parts):
        batch = SetBatch.of(part)
        write_sets(spill.file("sets", c), batch.hashes, batch.unquoted)
        chunk += [c] * len(part)
        start += batch.offsets[:-1].tolist()
        end += batch.offsets[1:].tolist()
        totals.append(int(batch.offsets[-1]))
    return SetStore(spill, np.array(chunk, np.int32), np.array(start), np.array(end), totals)


@pytest.mark.parametrize("wanted", [[3], [0, 5, 2], list(range(40)), [39, 0, 12, 12, 7]])
def test_gather_reads_what_one_by_one_reads(wanted):
    rng = random.Random(1)
    sets = random_sets(rng, 40, 10 ** 6)
    store = stored(SpillDir(), [sets[:25], sets[25:]])
    got = store.gather(np.array(wanted))
    assert store.sizes().tolist() == [len(s) for s in sets]
    for k, d in enumerate(wanted):
        s, e = got.offsets[k], got.offsets[k + 1]
        assert got.hashes[s:e].tolist() == store[d].hashes.tolist() == sets[d].hashes.tolist()
        assert got.unquoted[s:e].tolist() == store[d].unquoted.tolist() == sets[d].unquoted.tolist()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 59), max_size=80), st.integers(1, 12))
def test_gather_across_many_chunks_reads_what_one_by_one_reads(wanted, per_chunk):
    """Any articles, repeated and in any order, spread over many chunk files (as a big corpus's
    pairs are): each slot holds the set reading that article alone gives."""
    rng = random.Random(len(wanted) * 13 + per_chunk)
    sets = random_sets(rng, 60, 10 ** 6)
    store = stored(SpillDir(), [sets[lo:lo + per_chunk] for lo in range(0, 60, per_chunk)])
    got = store.gather(np.array(wanted, dtype=np.int64))
    assert got.offsets.shape[0] == len(wanted) + 1
    for k, d in enumerate(wanted):
        s, e = got.offsets[k], got.offsets[k + 1]
        assert got.hashes[s:e].tolist() == sets[d].hashes.tolist()
        assert got.unquoted[s:e].tolist() == sets[d].unquoted.tolist()


@given(st.lists(st.integers(0, 9), max_size=60), st.randoms())
def test_positions_by_chunk_are_each_chunks_positions_in_order(chunks, rnd):
    """Grouping a batch's positions by chunk with one sort gives, chunk by chunk, the positions a
    scan of every position for that chunk gives."""
    values = np.array(chunks, dtype=np.int64)
    asked = np.array([rnd.random() < 0.7 for _ in chunks], dtype=bool)
    want = [(c, np.flatnonzero((values == c) & asked).tolist()) for c in sorted(set(values[asked].tolist()))]
    assert [(c, m.tolist()) for c, m in _by_chunk(values, asked)] == want
    every = [(c, np.flatnonzero(values == c).tolist()) for c in sorted(set(chunks))]
    assert [(c, m.tolist()) for c, m in _by_chunk(values)] == every


# --- words kept for measuring passages ----------------------------------------------------------

def test_kept_words_are_the_texts_analysed_again():
    """Passages are measured from the words the analyse stage spilled (`WordStore`), not from the
    texts analysed again: the same words, paragraphs and boilerplate mask for any articles asked,
    across chunks, in any order, with ids out of read order."""
    records, _ = sitecorpus.build()
    arts = [Article.from_mapping(r) for r in reversed(records)]  # ids out of read order
    execution = Execution.local(1, Tuning(chunk=8, min_parallel=10 ** 6))
    corpus = analyse.analyse(arts, execution)
    learned = boilerplate.learn(corpus, Settings(), execution)
    assert learned.hashes  # the footer
    signed = sign.sign(corpus, learned, Settings(), execution)
    assert signed.words is not None
    for docs in ([0], [5, len(arts) - 1, 0, 5], list(range(len(arts)))[::-1], []):
        got, drop = signed.words.gather(np.array(docs, dtype=np.int64))
        want = analyze_many([corpus.articles[d].text for d in docs])
        for field in ("word_hashes", "word_quoted", "word_offsets", "para_words", "para_offsets"):
            np.testing.assert_array_equal(getattr(got, field), getattr(want, field), err_msg=field)
        np.testing.assert_array_equal(drop, bp.drop_mask(want, bp.as_array(learned.hashes)))


# --- what a cluster's task is sent of the articles ------------------------------------------------

def test_stored_texts_pickle_as_where_the_texts_are_not_the_articles_metadata(tmp_path):
    import pickle

    from syndup.spill import StoredTexts, TextStore

    store = TextStore(str(tmp_path))
    for i in range(300):
        store.add(Article(id=f"doc-{i}", text=f"text number {i} " * (i % 7 + 1), title=f"A long headline {i} " * 5,
                          url=f"https://example.com/news/{i}"))
    articles = [store.added[i] for i in reversed(range(300))]  # in another order than stored
    texts = StoredTexts.of(articles)
    back = pickle.loads(pickle.dumps(texts))
    assert [back[k].text for k in range(300)] == [a.text for a in articles]
    sent = pickle.dumps(texts)
    assert b"headline" not in sent and b"example.com" not in sent and b"doc-1" not in sent
    assert len(sent) < len(pickle.dumps(articles)) / 5
    plain = [Article(id="a", text="one")]
    assert StoredTexts.of(plain) is plain  # articles in memory stay as they are


def test_a_stored_article_is_sent_with_its_stores_path_whatever_the_corpus(tmp_path):
    import pickle

    from syndup.spill import TextStore

    sent = []
    for n in (3, 3000):
        (tmp_path / str(n)).mkdir()
        store = TextStore(str(tmp_path / str(n)))
        for i in range(n):
            store.add(Article(id=f"doc-{i}", text=f"text ü {i} " * (i % 5 + 1)))
        sent.append(len(pickle.dumps(store.added[-1])))
        back = pickle.loads(pickle.dumps(store.added[:2] + [store.added[-1]]))
        assert [a.text for a in back] == [a.text for a in store.added[:2] + [store.added[-1]]]
    assert sent[1] < sent[0] + 64  # a Ray task sent one article is not sent every text's offsets (8 bytes each)
    store.add(Article(id="late", text="added after a first pickle"))
    assert pickle.loads(pickle.dumps(store.added[-1])).text == "added after a first pickle"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 40), st.integers(1, 4)), max_size=30), max_size=6),
       st.integers(1, 6), st.sampled_from([0, 7, 1 << 22]))
def test_pair_counter_sums_each_codes_counts_in_memory_and_on_disk(calls, minimum, memory):
    from collections import Counter

    want: Counter[int] = Counter()
    counter = PairCounter(SpillDir(), parts=4, memory=memory)
    for call in calls:
        distinct = dict(call)  # codes are distinct within one call
        codes = np.array([c * 1_000_003 for c in distinct], dtype=np.int64)
        counts = np.array(list(distinct.values()), dtype=np.int64)
        counter.add(codes, counts)
        want.update(dict(zip(codes.tolist(), counts.tolist())))
    got = counter.at_least(minimum)
    assert got.dtype == np.int64
    assert got.tolist() == sorted(c for c, k in want.items() if k >= minimum)


def test_anchors_spill_into_parts_that_stay_one_size_as_the_corpus_grows():
    """A part is what one process (a forked child, a Ray task) holds at once: parts of about
    `PART_ANCHORS` anchors each, every occurrence of a value in one part, every anchor read back."""
    from syndup.spill import AnchorSpill, SpillDir

    size = AnchorSpill.PART_ANCHORS
    assert [AnchorSpill.parts_for(k * size) for k in (0, 1, 64, 640)] == [64, 64, 64, 640]
    rng = np.random.default_rng(5)
    pool = rng.integers(0, 1 << 32, 40_000, dtype=np.uint64).astype(np.uint32)
    folder = SpillDir()
    spill = AnchorSpill(folder, 1000)  # more parts than a byte numbers
    sent = []
    for chunk in range(4):
        values = pool[rng.integers(0, pool.shape[0], 50_000)]
        docs = np.arange(chunk * 50_000, (chunk + 1) * 50_000, dtype=np.int32)
        order, bounds = AnchorSpill.partition(values, spill.n_parts)
        spill.add_sorted(values[order], docs[order], bounds)
        sent.append((values, docs))
    parts = [AnchorSpill.read(p) for p in spill.part_ranges()]
    folder.remove()
    assert len(parts) == 1000
    owner = {}
    for k, (values, _) in enumerate(parts):
        for v in np.unique(values).tolist():
            assert owner.setdefault(v, k) == k
    got = sorted(zip(np.concatenate([v for v, _ in parts]).tolist(), np.concatenate([d for _, d in parts]).tolist()))
    assert got == sorted(zip(np.concatenate([v for v, _ in sent]).tolist(), np.concatenate([d for _, d in sent]).tolist()))
    assert max(v.shape[0] for v, _ in parts) < 2 * 200_000 / 1000


def _own_spill_folders() -> set[Path]:
    """This process's spill folders in the temporary folder."""
    from syndup.spill import SPILL_PREFIX, owner_of

    return {path for path in Path(tempfile.gettempdir()).glob(f"{SPILL_PREFIX}*")
            if (owner_of(path) or ("", -1))[1] == os.getpid()}


def test_a_scans_spill_folder_is_gone_soon_after_it_returns(seeds_dir: Path):
    before = _own_spill_folders()
    result = syndup.scan(seeds_dir, jobs=1)
    deadline = time.monotonic() + 30
    while _own_spill_folders() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _own_spill_folders() - before
    assert len(result.documents) == 5  # the tables stay


def test_removing_a_spill_folder_is_done_when_remove_returns():
    folder = SpillDir()
    for chunk in range(3000):  # enough files that deleting them takes a while
        (folder.path / f"sets-{chunk}.bin").write_bytes(b"x" * 100)
    folder.remove()
    assert not folder.path.exists()
    folder.remove()  # twice is harmless

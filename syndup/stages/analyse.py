"""Stage 1, analyse: read every article, keep its text on disk and its paragraph outline in memory.

Each chunk of articles is cut into hashed words and paragraphs, in both views (`shingle.analyze_views`),
in a worker process: the outline comes back (boilerplate is learned from it), the words are spilled to disk
for the sign stage. JSONL lines are parsed by the workers too. Every result is a function of one
article alone, so the corpus is the same for any number of jobs and any chunk size.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..corpus import Chunk, Corpus
from ..execution import Execution
from ..language import languages
from ..models import Article, Problem
from ..read import JsonlLines
from ..shingle import analyze_views
from ..spill import ArticleMeta, SpillDir, TextStore, meta_of, spill_file

Progress = Callable[[int], None]
#: A chunk's work: texts already read, or raw JSONL lines that the worker parses.
Work = list[str] | JsonlLines


@contextmanager
def paused_gc() -> Iterator[None]:
    """Python's cycle collector held off: reading makes several objects per article and frees most
    at once, none in cycles, and a collection every few hundred of them costs a tenth of the stage
    (the later stages too: full collections over a big corpus's objects; `scan` holds it off for them)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def analyse_chunk(chunk: int, work: Work, spill: str) -> tuple[Chunk, list[Problem | ArticleMeta] | None, list[int]]:
    """Pass 1 for one chunk (in a worker): its outline; for JSONL lines also what was read, in
    order (a `Problem` or an `ArticleMeta` per entry), and the byte lengths of the articles'
    texts, which are written (UTF-8, one after another) to the chunk's "texts" spill file."""
    with paused_gc():
        return _analyse_chunk(chunk, work, spill)


def _analyse_chunk(chunk: int, work: Work, spill: str) -> tuple[Chunk, list[Problem | ArticleMeta] | None, list[int]]:
    entries: list[Problem | ArticleMeta] | None = None
    lengths: list[int] = []
    if isinstance(work, JsonlLines):
        entries, texts = [], []
        for item in work.items():
            if isinstance(item, Problem):
                entries.append(item)
            else:
                entries.append(meta_of(item))
                texts.append(item.text)
        encoded = [t.encode("utf-8", "surrogatepass") for t in texts]
        lengths = [len(e) for e in encoded]
        with open(spill_file(spill, "texts", chunk), "wb") as fh:  # the main process copies it
            fh.write(b"".join(encoded))
        del encoded
    else:
        texts = work
    batch, noisy = analyze_views(texts)
    with open(spill_file(spill, "words", chunk), "wb") as fh:
        for view in (batch, noisy):  # the exact view's words, then the noisy view's
            for arr in (view.word_hashes, view.word_quoted, view.word_offsets, view.para_words, view.para_offsets):
                np.save(fh, arr, allow_pickle=False)
    outline = Chunk(batch.para_hashes, batch.para_words, batch.para_offsets, batch.fingerprints, batch.n_words,
                    tuple(languages(texts, batch)))
    return outline, entries, lengths


def analyse(items: Iterable[Article | Problem | JsonlLines], execution: Execution,
            progress: Progress | None = None, on_problem: Callable[[Problem], None] | None = None) -> Corpus:
    """Read and analyse every article (in worker processes once the input proves big enough);
    each chunk's articles are stored, and their ids checked, in input order."""
    spill = SpillDir()
    folder = str(spill.path)
    intake = _Intake(on_problem, folder if execution.remote else None)
    # The entries (articles and problems, in order) of the text chunks in flight.
    held: dict[int, list[Article | Problem]] = {}
    chunk_size = execution.tuning.chunk

    def chunks() -> Iterator[tuple[int, Work, str]]:
        entries: list[Article | Problem] = []
        texts: list[str] = []
        number = 0
        for item in items:
            if isinstance(item, JsonlLines):
                if entries:
                    held[number] = entries
                    yield (number, texts, folder)
                    entries, texts, number = [], [], number + 1
                yield (number, item, folder)
                number += 1
                continue
            entries.append(item)
            if isinstance(item, Article):
                texts.append(item.text)
                if len(texts) == chunk_size:
                    held[number] = entries
                    yield (number, texts, folder)
                    entries, texts, number = [], [], number + 1
        if entries:
            held[number] = entries
            yield (number, texts, folder)

    # Start worker processes only once the input proves big enough to pay for them.
    stream = chunks()
    buffered: list[tuple[int, Work, str]] = []
    waiting = 0  # articles (or JSONL lines) in the buffered tasks
    for task in stream:
        buffered.append(task)
        work = task[1]
        waiting += len(work) if isinstance(work, list) else work.count
        if waiting >= execution.tuning.min_parallel:
            break
    parallel = waiting >= execution.tuning.min_parallel
    outlines: list[Chunk] = []
    with paused_gc():
        for number, (outline, entries, lengths) in enumerate(
                execution.map_chunks(analyse_chunk, _chain(buffered, stream), parallel=parallel)):
            if entries is None:
                intake.take(held.pop(number))
            else:
                intake.take_meta(entries, spill_file(folder, "texts", number), lengths)
            outlines.append(outline)
            if progress is not None:
                progress(len(intake.texts))
    return Corpus(intake.texts.added, intake.texts, intake.problems, outlines, spill)


class _Intake:
    """Articles as they come back from pass 1: texts stored, ids made unique, problems reported."""

    def __init__(self, on_problem: Callable[[Problem], None] | None, folder: str | None = None) -> None:
        """`folder`: keep the texts there, for remote workers to read (see `TextStore`)."""
        self.texts = TextStore(folder)
        self.problems: list[Problem] = []
        self._on_problem = on_problem

    def problem(self, problem: Problem) -> None:
        self.problems.append(problem)
        if self._on_problem is not None:
            self._on_problem(problem)

    def unique_id(self, doc_id: str, origin_ref: str | None) -> str:
        """`doc_id`, or a new one (with a warning) if an article already has it."""
        first = self.texts.first(doc_id)
        if first is None:
            return doc_id
        n = 2
        while f"{doc_id}~{n}" in self.texts:
            n += 1
        new_id = f"{doc_id}~{n}"
        self.problem(Problem(
            origin_ref or doc_id,
            f"duplicate id {doc_id!r} (first in {first.origin_ref or 'input'}); renamed {new_id!r}",
            skipped=False))
        return new_id

    def take(self, entries: list[Article | Problem]) -> None:
        """Store a chunk of articles read by this process."""
        for item in entries:
            if isinstance(item, Problem):
                self.problem(item)
                continue
            new_id = self.unique_id(item.id, item.origin_ref)
            if new_id != item.id:
                item = Article(**{**item.__dict__, "id": new_id})
            self.texts.add(item)

    def take_meta(self, entries: list[Problem | ArticleMeta], texts: str, lengths: list[int]) -> None:
        """Store a chunk parsed by a worker: `texts` is the file holding its texts."""
        metas = [e for e in entries if not isinstance(e, Problem)]
        try:
            if self.texts.add_file(metas, texts, lengths):  # no id taken: copied in one go
                for e in entries:
                    if isinstance(e, Problem):
                        self.problem(e)
                return
            with open(texts, "rb") as fh:
                view = memoryview(fh.read())
        finally:
            os.unlink(texts)
        pos = 0
        k = 0
        for item in entries:
            if isinstance(item, Problem):
                self.problem(item)
                continue
            new_id = self.unique_id(item[0], item[6])
            end = pos + lengths[k]
            self.texts.add_encoded((new_id, *item[1:]), view[pos:end])
            pos, k = end, k + 1


def _chain(first: list[Any], rest: Iterator[Any]) -> Iterator[Any]:
    yield from first
    yield from rest

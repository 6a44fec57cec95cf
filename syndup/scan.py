"""`scan`: read a corpus, find every cluster of copies, its origin, and every verified pair.

The pipeline, one module per stage: read -> normalize/shingle -> boilerplate -> sign ->
candidates -> verify -> cluster. Articles are put in id order first, so the result never depends
on the order they were read in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .execution import Tuning, for_engine
from .models import Article, Problem, ScanResult
from .network import credit_column
from .read import DEFAULT_LIMITS, JsonlLines, ReadLimits, ShownWarnings, from_records, read_parts
from .settings import DEFAULT_SETTINGS, Settings
from .stages import analyse, boilerplate, candidates, cluster, origins, separate, sign, verify
from .tables import CLUSTER_COLUMNS, DOCUMENT_COLUMNS, PAIR_COLUMNS, build

__all__ = ["CLUSTER_COLUMNS", "DOCUMENT_COLUMNS", "PAIR_COLUMNS", "Progress", "scan"]

#: For progress bars: called with the running count of articles as they are read, then with the
#: total after each stage (a bar that draws only when called stays alive).
Progress = Callable[[int], None]


def _items(source: Any, id_field: str, text_field: str,
           limits: ReadLimits) -> Iterable[Article | Problem | JsonlLines]:
    if isinstance(source, (str, Path)):
        return read_parts([source], id_field=id_field, text_field=text_field, limits=limits)
    if isinstance(source, (list, tuple)) and source and all(isinstance(s, (str, Path)) for s in source):
        return read_parts(source, id_field=id_field, text_field=text_field, limits=limits)
    return _mixed(source, id_field, text_field, limits)


def _mixed(source: Any, id_field: str, text_field: str,
           limits: ReadLimits) -> Iterable[Article | Problem | JsonlLines]:
    if hasattr(source, "to_dict") and hasattr(source, "columns"):
        yield from from_records(source, id_field=id_field, text_field=text_field, limits=limits)
        return
    # Streamed: each run of plain records goes through from_records as it arrives (numbered from
    # 1 within its run), so a generator of a million dicts is never held in memory.
    items = iter(source)
    stop: list[Any] = []

    def run() -> Iterator[Any]:
        for item in items:
            if isinstance(item, (Article, Problem, JsonlLines)):
                stop.append(item)
                return
            yield item

    while True:
        yield from from_records(run(), id_field=id_field, text_field=text_field, limits=limits)
        if not stop:
            return
        yield stop.pop()


def _uris(source: Any) -> list[str]:
    """`source` as URIs (s3://, gs://, hdfs://, file://), which the Ray engine reads with Ray Data
    as Parquet; [] if it is anything else."""
    names = [source] if isinstance(source, str) else list(source) if isinstance(source, (list, tuple)) else []
    return names if names and all(isinstance(s, str) and "://" in s for s in names) else []


def scan(source: Any, *, settings: Settings = DEFAULT_SETTINGS, id_field: str = "id",
         text_field: str = "text", progress: Progress | None = None, jobs: int | None = None,
         on_problem: Callable[[Problem], None] | None = None, tuning: Tuning | None = None,
         limits: ReadLimits = DEFAULT_LIMITS, engine: str = "local", address: str | None = None) -> ScanResult:
    """Find every cluster of copies in a corpus, its origin, and every verified pair.

    `source` is an iterable of `Article`s or dicts (with `id` and `text`, optionally `url`,
    `title`, `site`, `published`, `author`), a pandas DataFrame, or corpus path(s) as `read` takes.
    It is read as a stream; texts are kept on disk. `jobs` processes (default: all cores) do the
    work; the result is the same for any `jobs` (and any `tuning`, which only says when splitting
    work between processes pays). `on_problem` is called with each problem (a skipped or repaired
    record) as it is found, up to `limits.max_warnings` per input file and then one line counting
    the rest; all of them are in the result's `problems`. `limits` bounds what reading one record
    or file may cost (`ReadLimits`). `engine="ray"` runs the per-chunk passes as Ray tasks on the
    Ray instance this process is connected to, or on the one at `address` (None: `RAY_ADDRESS`, or
    a new local one); the tables are the same (see `syndup.ray_engine`).
    """
    execution = for_engine(engine, address, jobs, tuning)
    shown = None if on_problem is None else ShownWarnings(on_problem, limits.max_warnings)
    if engine == "ray" and _uris(source):
        from .ray_engine import read_parquet

        items: Iterable[Any] = read_parquet(_uris(source), id_field=id_field, text_field=text_field, limits=limits)
    else:
        items = _items(source, id_field, text_field, limits)
    corpus = analyse.analyse(items, execution, progress, shown)
    if shown is not None:
        shown.close()

    def tick() -> None:  # a stage is done
        if progress is not None:
            progress(len(corpus))

    learned = boilerplate.learn(corpus, settings, execution)
    tick()
    signed = sign.sign(corpus, learned, settings, execution)
    tick()
    found = candidates.find(corpus, signed, settings, execution)
    sets = signed.sets
    del signed  # its signatures are the largest thing in memory; only the exact sets decide from here on
    tick()
    verified = verify.verify(found, sets, settings, execution, corpus.articles, learned.hashes)
    tick()
    separated = separate.separate(verified)
    chosen = origins.choose(separated.groups, corpus, sets, execution)
    numbered = cluster.number(separated, chosen)
    tick()
    tables = build(corpus, learned, separated.table, chosen, numbered)
    arts = corpus.articles
    tables.documents["credit"] = credit_column(tables.documents, tables.clusters, lambda k: arts[k].text)
    return ScanResult(documents=tables.documents, pairs=tables.pairs, clusters=tables.clusters,
                      problems=tuple(corpus.problems), settings=settings, articles_read=len(corpus),
                      boilerplate=learned.hashes, _texts=corpus.texts, _jobs=execution.jobs)

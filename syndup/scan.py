"""`scan`: read a corpus, find every cluster of copies, its origin, and every verified pair.

The pipeline, one module per stage: read -> normalize/shingle -> boilerplate -> sign ->
candidates -> verify -> cluster. Articles are put in id order first, so the result never depends
on the order they were read in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .corpus import keep_long_lived, releasing_long_lived
from .dedup import Reread
from .execution import Tuning, for_engine
from .models import Article, Problem, ScanResult
from .network import credit_column
from .read import DEFAULT_LIMITS, Fields, JsonlLines, ReadLimits, ShownWarnings, from_records, read_parts
from .settings import DEFAULT_SETTINGS, Settings
from .stages import analyse, boilerplate, candidates, cluster, origins, separate, sign, verify
from .tables import CLUSTER_COLUMNS, DOCUMENT_COLUMNS, PAIR_COLUMNS, build, typed

__all__ = ["CLUSTER_COLUMNS", "DOCUMENT_COLUMNS", "PAIR_COLUMNS", "STAGES", "Progress", "scan"]

#: For progress bars: called with the running count of articles as they are read, then with the
#: total after each stage (a bar that draws only when called stays alive).
Progress = Callable[[int], None]


def _paths(source: Any) -> list[str | Path] | None:
    """The corpus paths `source` is, or None when it is records."""
    if isinstance(source, (str, Path)):
        return [source]
    if isinstance(source, (list, tuple)) and source and all(isinstance(s, (str, Path)) for s in source):
        return list(source)
    return None


def _items(source: Any, fields: Fields, limits: ReadLimits) -> Iterable[Article | Problem | JsonlLines]:
    paths = _paths(source)
    if paths is not None:
        return read_parts(paths, fields=fields, limits=limits)
    return _mixed(source, fields, limits)


def _mixed(source: Any, fields: Fields, limits: ReadLimits) -> Iterable[Article | Problem | JsonlLines]:
    if hasattr(source, "to_dict") and hasattr(source, "columns"):
        yield from from_records(source, fields=fields, limits=limits)
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
        yield from from_records(run(), fields=fields, limits=limits)
        if not stop:
            return
        yield stop.pop()


def _uris(source: Any) -> list[str]:
    """`source` as URIs (s3://, gs://, hdfs://, file://), which the Ray engine reads with Ray Data
    (JSONL files by their suffix, else Parquet); [] if it is anything else."""
    names = [source] if isinstance(source, str) else list(source) if isinstance(source, (list, tuple)) else []
    return names if names and all(isinstance(s, str) and "://" in s for s in names) else []


#: The stages after reading, in order, as `scan(on_stage=...)` names them.
STAGES = ("learning boilerplate", "signing", "finding candidates", "verifying", "choosing origins",
          "building tables")


def scan(source: Any, *, settings: Settings = DEFAULT_SETTINGS, id_field: str = "id",
         text_field: str = "text", url_field: str | None = None, title_field: str | None = None,
         site_field: str | None = None, date_field: str | None = None, author_field: str | None = None,
         paragraph_sep: str | None = None, progress: Progress | None = None, jobs: int | None = None,
         on_problem: Callable[[Problem], None] | None = None, tuning: Tuning | None = None,
         limits: ReadLimits = DEFAULT_LIMITS, on_stage: Callable[[str], None] | None = None,
         engine: str = "local", address: str | None = None) -> ScanResult:
    """Find every cluster of copies in a corpus, its origin, and every verified pair.

    `source` is an iterable of `Article`s or dicts (with `id` and `text`, optionally `url`,
    `title`, `site`, `published`, `author`), a pandas DataFrame, or corpus path(s) as `read` takes.
    It is read as a stream; texts are kept on disk. `jobs` processes (default: all cores) do the
    work; the result is the same for any `jobs` (and any `tuning`, which only says when splitting
    work between processes pays). `on_problem` is called with each problem (a skipped or repaired
    record) as it is found, up to `limits.max_warnings` per input file and then one line counting
    the rest; all of them are in the result's `problems`. `limits` bounds what reading one record
    or file may cost (`ReadLimits`). The `*_field`s name the columns that hold each field (else
    its usual names are tried: `site` or `source`, `published` or `date`, ...); `paragraph_sep` is
    the string a text's paragraphs are joined with (" ### "), if not blank lines. `on_stage` is
    called with the name of each stage of `STAGES` as it starts (reading comes first), for
    progress bars. `engine="ray"` runs the per-chunk passes, group-bys and big splits as Ray tasks
    on the Ray instance this process is connected to, or on the one at `address` (None:
    `RAY_ADDRESS`, or a new local one), and reads JSONL files (by suffix) and Parquet named by URI
    with Ray Data; the tables are the same (see `syndup.ray_engine`).
    """
    fields = Fields(id_field, text_field, {"url": url_field, "title": title_field, "site": site_field,
                                           "published": date_field, "author": author_field}, paragraph_sep)
    return scan_fields(source, fields, settings=settings, progress=progress, jobs=jobs, on_problem=on_problem,
                       tuning=tuning, limits=limits, on_stage=on_stage, engine=engine, address=address)


@releasing_long_lived
def scan_fields(source: Any, fields: Fields, *, settings: Settings = DEFAULT_SETTINGS, progress: Progress | None = None,
                jobs: int | None = None, on_problem: Callable[[Problem], None] | None = None,
                tuning: Tuning | None = None, limits: ReadLimits = DEFAULT_LIMITS,
                on_stage: Callable[[str], None] | None = None, reread: Any = None, engine: str = "local",
                address: str | None = None) -> ScanResult:
    """`scan` with the fields as one `Fields` (what the CLI builds); `reread` says where the
    input's records can be read again for `ScanResult.deduplicated` (default: `source`'s paths or
    its DataFrame)."""
    if reread is None:
        paths = _paths(source)
        if paths is not None:
            reread = Reread(tuple(Path(p) for p in paths), fields, limits)
        elif hasattr(source, "to_dict") and hasattr(source, "columns"):
            reread = source
    execution = for_engine(engine, address, jobs, tuning)
    shown = None if on_problem is None else ShownWarnings(on_problem, limits.max_warnings)
    if engine == "ray" and _uris(source):
        from .ray_engine import read_uris

        items: Iterable[Any] = read_uris(_uris(source), fields=fields, limits=limits)
    else:
        items = _items(source, fields, limits)
    corpus = analyse.analyse(items, execution, progress, shown)
    keep_long_lived()  # the corpus's objects live as long as the scan: full collections skip them
    if shown is not None:
        shown.close()

    stages = iter(STAGES)

    def tick() -> None:  # a stage is done, the next starts
        if progress is not None:
            progress(len(corpus))
        if on_stage is not None:
            on_stage(next(stages))

    tick()
    learned = boilerplate.learn(corpus, settings, execution)
    tick()
    signed = sign.sign(corpus, learned, settings, execution)
    tick()
    found = candidates.find(corpus, signed, settings, execution)
    sets, noisy_sets, words = signed.sets, signed.noisy_sets, signed.words
    del signed  # its signatures are the largest thing in memory; only the exact sets decide from here on
    tick()
    verified = verify.verify(found, sets, settings, execution, corpus.articles, learned.hashes, noisy_sets, words)
    tick()
    separated = separate.separate(verified, execution=execution)
    chosen = origins.choose(separated.groups, corpus, sets, execution)
    numbered = cluster.number(separated, chosen)
    tick()
    tables = build(corpus, learned, separated.table, chosen, numbered)
    arts = corpus.articles
    credit = credit_column(tables.documents, tables.clusters, lambda k: arts[k].text)
    documents = typed(tables.documents.assign(credit=credit), "documents")
    return ScanResult(documents=documents, pairs=tables.pairs, clusters=tables.clusters,
                      problems=tuple(corpus.problems), settings=settings, articles_read=len(corpus),
                      boilerplate=learned.hashes, _texts=corpus.texts, _jobs=execution.jobs, _input=reread)

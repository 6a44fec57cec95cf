"""The `syndup` command: a thin shell that parses arguments, calls the library and prints."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from .errors import InputError, SyndupError
from .models import Article, Match, Problem, ScanResult
from .read import DEFAULT_LIMITS, ReadLimits, format_size, parse_size

#: The record fields every command that reads a corpus takes.
IdField = Annotated[str, typer.Option(help="Name of the id field in JSONL/CSV/Parquet records.")]
TextField = Annotated[str, typer.Option(help="Name of the text field in JSONL/CSV/Parquet records.")]

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Find republished and near-duplicate news articles and what each copy changed.")
out_console = Console()
err_console = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        from . import __version__
        from .kernel import describe

        out_console.print(f"syndup {__version__} ({describe()})", highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version, and whether the C kernel is in use."),
) -> None:
    """Find republished and near-duplicate news articles and what each copy changed."""


class TableFormat(str, Enum):
    csv = "csv"
    parquet = "parquet"


class WarcId(str, Enum):
    record = "record"
    url = "url"


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a one-line error and return the Exit to raise."""
    err_console.print(f"[bold red]Error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(code)


def warn(problem: Problem) -> None:
    err_console.print(f"[yellow]warning:[/] {problem}", highlight=False, soft_wrap=True)


def _count_hint(paths: list[Path]) -> int | None:
    from .read import TEXT_SUFFIXES

    if len(paths) == 1 and paths[0].is_dir():
        return sum(1 for p in paths[0].rglob("*") if p.is_file() and p.name.lower().endswith(TEXT_SUFFIXES))
    return None


@app.command()
def scan(
    corpus: list[Path] = typer.Argument(..., help="Folders, .jsonl[.gz], .csv, .parquet or .warc[.gz] files."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for documents/pairs/clusters tables."),
    fmt: TableFormat = typer.Option(TableFormat.csv, "--format", help="Also write Parquet with 'parquet'."),
    id_field: IdField = "id",
    text_field: TextField = "text",
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
    keep_comments: bool = typer.Option(False, "--keep-comments",
                                       help="Keep reader comments of HTML pages as article text."),
    warc_id: WarcId = typer.Option(WarcId.record, "--id",
                                   help="Id of a WARC page: its WARC-Record-ID, or its URL."),
    report: bool = typer.Option(True, "--report/--no-report",
                                help="Also write the HTML report (DIR/report/index.html)."),
    index: str | None = typer.Option(None, "--index", metavar="INDEX",
                                        help="Also check CORPUS against this index (path or redis:// URL), "
                                             "write DIR/index_matches.csv, and add CORPUS to it."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", min=1, metavar="N",
                                       help="Processes that read JSONL, analyze and sign articles (default: all cores)."),
    max_record_size: str = typer.Option(format_size(DEFAULT_LIMITS.max_record_bytes), "--max-record-size",
                                        metavar="SIZE", help="Skip (with a warning) a record, file or field larger "
                                                             "than this: bytes, or with K, M, G."),
    max_input_size: str = typer.Option(format_size(DEFAULT_LIMITS.max_input_bytes), "--max-input-size",
                                       metavar="SIZE", help="Stop reading an input file (with a warning) after "
                                                            "this many bytes, decompressed."),
    max_ratio: float = typer.Option(DEFAULT_LIMITS.max_ratio, "--max-ratio", min=1.0, metavar="R",
                                    help="Stop reading a .gz input (with a warning) that expands more than this "
                                         "many times: a decompression bomb."),
    max_warnings: int = typer.Option(DEFAULT_LIMITS.max_warnings, "--max-warnings", min=0, metavar="N",
                                     help="Warnings shown per input file; the rest are counted in one line."),
) -> None:
    """Find every cluster of copies in CORPUS, its origin, and how each copy relates to it."""
    from .output import write_tables
    from .read import check_paths, read_parts
    from .scan import scan as run_scan

    try:
        paths = check_paths(corpus, text_field=text_field)
        limits = ReadLimits(parse_size(max_record_size), parse_size(max_input_size), max_ratio, max_warnings)
    except SyndupError as exc:
        raise fail(str(exc), 2) from None
    problems: list[Problem] = []
    # JSONL is left as raw lines here: the scan's worker processes parse it.
    items = read_parts(paths, id_field=id_field, text_field=text_field, warc_id=warc_id.value,
                       keep_comments=keep_comments, limits=limits)

    try:
        # Drawn when the scan reports, not by a thread of its own: with no other thread running,
        # the scan may fork processes for its work (see syndup.execution).
        with Progress(SpinnerColumn(), TextColumn("[bold]reading"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err_console, transient=True, auto_refresh=False,
                      disable=quiet or not err_console.is_terminal) as bar:
            task = bar.add_task("scan", total=_count_hint(paths))

            def progress(n: int) -> None:
                bar.update(task, completed=n)
                bar.refresh()

            result = run_scan(items, id_field=id_field, text_field=text_field, progress=progress, jobs=jobs,
                              on_problem=warn, limits=limits)
            problems = list(result.problems)
        formats = ("csv", "parquet") if fmt is TableFormat.parquet else ("csv",)
        write_tables(result, out, formats)
        if report:
            from .report import write_report

            report_path = write_report(result, out / "report")
        if index is not None:
            from .index import Index

            with Index.open(index, settings=result.settings) as idx:
                index_matches = idx.add_scan(result)
            index_matches.to_csv(out / "index_matches.csv", index=False)
    except SyndupError as exc:
        raise fail(str(exc)) from None
    if not quiet:
        print_summary(result, out)
        if report:
            out_console.print(f"Report written to {report_path}")
        if index is not None:
            out_console.print(f"{index_matches['doc_id'].nunique()} articles match articles indexed before "
                              f"({len(index_matches)} matches, {out}/index_matches.csv); all added to {index}.",
                              highlight=False, soft_wrap=True)
    del problems


def _plural(n: int, one: str, many: str | None = None) -> str:
    return one if n == 1 else (many or one + "s")


def print_summary(result: ScanResult, out: Path) -> None:
    """Articles read and skipped, clusters, the largest clusters and the sites that republish most."""
    skipped = sum(1 for p in result.problems if p.skipped)
    notes = len(result.problems) - skipped  # repaired records (re-decoded, renamed) and counts
    multi = result.clusters[result.clusters["size"] > 1]
    copies = int((result.documents["role"] == "copy").sum())
    partial = int((result.pairs["relation"] == "partial").sum()) if len(result.pairs) else 0
    out_console.print(
        f"[bold]{result.articles_read}[/] articles read, [bold]{skipped}[/] skipped"
        + (f", {notes} other warning{'s' if notes != 1 else ''}" if notes else "")
        + f"; [bold]{len(multi)}[/] {_plural(len(multi), 'cluster')} of copies "
          f"({copies} {_plural(copies, 'copy', 'copies')}), {partial} partial {_plural(partial, 'reuse')}."
    )
    if len(multi):
        table = Table(title="Largest clusters", title_justify="left")
        for col in ("cluster", "size", "origin", "chosen by", "sites"):
            table.add_column(col)
        for row in multi.head(10).itertuples():
            table.add_row(str(row.cluster_id), str(row.size), str(row.origin_id), str(row.origin_rule),
                          str(row.sites or "-"))
        out_console.print(table)
        copies_by_site = result.documents[result.documents["role"] == "copy"]["site"].dropna()
        if len(copies_by_site):
            top = copies_by_site.value_counts().head(5)
            out_console.print("Sites that republish most: "
                              + ", ".join(f"{site} ({n})" for site, n in top.items()))
    out_console.print(f"Tables written to {out}/ (documents, pairs, clusters).")


class DiffFormat(str, Enum):
    text = "text"
    json = "json"


def _read_one(path: Path) -> str:
    from .read import check_paths, read

    items = list(read(check_paths([path])))
    for item in items:
        if isinstance(item, Article):
            return item.text
    reason = "; ".join(str(p) for p in items) or "no article in it"
    raise InputError(f"{path}: cannot diff it ({reason})")


@app.command()
def diff(
    a: str = typer.Argument(..., help="The origin: a .txt/.md/.html file, or an id with --corpus."),
    b: str = typer.Argument(..., help="The copy: a .txt/.md/.html file, or an id with --corpus."),
    corpus: list[Path] | None = typer.Option(
        None, "--corpus", "-c", help="Take A and B as ids in this corpus, and learn its boilerplate."),
    fmt: DiffFormat = typer.Option(DiffFormat.text, "--format", help="'json' prints segments and summary."),
    context: int = typer.Option(1, "--context", min=0, help="Unchanged paragraphs shown around changes."),
) -> None:
    """Show what copy B kept, added, removed, substituted and moved relative to origin A."""
    import json

    from .diff import diff as run_diff
    from .diff import to_rich
    from .scan import scan as run_scan

    boilerplate: frozenset[int] = frozenset()
    try:
        if corpus:
            result = run_scan(corpus)
            for problem in result.problems:
                warn(problem)
            origin, copy, boilerplate = result.text(a), result.text(b), result.boilerplate
        else:
            origin, copy = _read_one(Path(a)), _read_one(Path(b))
    except KeyError as exc:
        raise fail(f"{exc.args[0]}; ids are paths relative to the corpus folder, without extension", 2) from None
    except InputError as exc:
        raise fail(str(exc), 2) from None
    except SyndupError as exc:
        raise fail(str(exc)) from None
    result_diff = run_diff(origin, copy, boilerplate=boilerplate)
    if fmt is DiffFormat.json:
        typer.echo(json.dumps(result_diff.to_dict(), ensure_ascii=False, indent=2))
    else:
        out_console.print(to_rich(result_diff, context=context))


index_app = typer.Typer(no_args_is_help=True,
                        help="A persistent index that scrapers add articles to and check them against.")
app.add_typer(index_app, name="index")
INDEX_HELP = "The index: a file (SQLite, created if missing) or redis://host:port/db?prefix=name."
IndexTarget = Annotated[str, typer.Argument(help=INDEX_HELP)]


def _index_articles(paths: list[Path], id_field: str, text_field: str) -> Iterator[Article]:
    from .read import read

    for item in read(paths, id_field=id_field, text_field=text_field):
        if isinstance(item, Problem):
            warn(item)
        else:
            yield item


def _print_matches(doc_id: str, matches: list[Match]) -> None:
    for m in matches:
        out_console.print(f"{doc_id}: {m.relation} of {m.doc_id} (jaccard {m.jaccard:.2f}, "
                          f"containment {m.containment:.2f})", highlight=False, soft_wrap=True)


@index_app.command("add")
def index_add(
    index: IndexTarget,
    corpus: list[Path] = typer.Argument(..., help="Folders, .jsonl[.gz], .csv, .parquet or .warc[.gz] files."),
    id_field: IdField = "id",
    text_field: TextField = "text",
    replace: bool = typer.Option(False, "--replace", help="Replace an indexed article whose text changed."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the summary line."),
) -> None:
    """Add every article of CORPUS to INDEX, printing those that match an indexed article."""
    from .index import Index
    from .read import check_paths

    try:
        paths = check_paths(corpus)
    except SyndupError as exc:
        raise fail(str(exc), 2) from None
    added = matched = 0
    try:
        with Index.open(index) as idx:
            for article, matches in idx.add_many(_index_articles(paths, id_field, text_field), replace=replace):
                added += 1
                matched += bool(matches)
                if not quiet:
                    _print_matches(article.id, matches)
            total = len(idx)
    except (SyndupError, ValueError) as exc:
        raise fail(str(exc)) from None
    out_console.print(f"{added} articles added, {matched} matched an indexed article; {total} in {index}.",
                      highlight=False)


@index_app.command("check")
def index_check(
    index: IndexTarget,
    files: list[Path] = typer.Argument(..., help="Articles to check: files or corpora in any format scan reads."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per article: id and matches."),
    id_field: IdField = "id",
    text_field: TextField = "text",
) -> None:
    """Check articles against INDEX without adding them: what each duplicates, copies or quotes."""
    import dataclasses
    import json

    from .index import Index
    from .read import check_paths

    try:
        paths = check_paths(files)
    except SyndupError as exc:
        raise fail(str(exc), 2) from None
    try:
        with Index.open(index) as idx:
            for article, matches in idx.check_many(_index_articles(paths, id_field, text_field)):
                if as_json:
                    typer.echo(json.dumps({"id": article.id, "matches": [dataclasses.asdict(m) for m in matches]},
                                          ensure_ascii=False))
                elif matches:
                    _print_matches(article.id, matches)
                else:
                    out_console.print(f"{article.id}: no match", highlight=False, soft_wrap=True)
    except SyndupError as exc:
        raise fail(str(exc)) from None


@index_app.command("stats")
def index_stats(
    index: IndexTarget,
    as_json: bool = typer.Option(False, "--json", help="Print the figures as one JSON object."),
) -> None:
    """How many articles INDEX holds, how it was built, and its size."""
    import json

    from .index import Index

    try:
        with Index.open(index) as idx:
            stats = idx.stats()
    except SyndupError as exc:
        raise fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(stats))
    else:
        for key, value in stats.items():
            shown = ", ".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else value
            out_console.print(f"{key}: {shown}", highlight=False, soft_wrap=True)


def main() -> None:
    """Entry point of the `syndup` console script."""
    try:
        app()
    except SyndupError as exc:  # pragma: no cover - last resort, commands catch their own
        err_console.print(f"Error: {exc}")
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()

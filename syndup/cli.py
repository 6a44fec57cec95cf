"""The `syndup` command: a thin shell that parses arguments, calls the library and prints."""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Iterable, Iterator
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from .errors import IdConflict, InputError, SyndupError
from .models import Article, Match, Problem, ScanResult
from .read import DEFAULT_LIMITS, ReadLimits, format_size, parse_size

if TYPE_CHECKING:
    from .settings import Settings

#: The record fields every command that reads a corpus takes.
IdField = Annotated[str, typer.Option(help="Name of the id field in JSONL/CSV/Parquet records.")]
TextField = Annotated[str, typer.Option(help="Name of the text field in JSONL/CSV/Parquet records.")]

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Find republished and near-duplicate news articles and what each copy changed.")
# Nothing printed is read as markup or emoji codes: ids, sites and paths come from the corpus.
out_console = Console(markup=False, emoji=False, highlight=False)
err_console = Console(stderr=True, markup=False, emoji=False, highlight=False)

#: What stands in for a control character printed from data: C0 as its Unicode control
#: picture (ESC is ␛), DEL as ␡, C1 and bidi controls as U+FFFD; newlines stay.
_CONTROLS = {**{c: 0x2400 + c for c in range(0x20) if c != 0x0A}, 0x7F: 0x2421,
             **dict.fromkeys(range(0x80, 0xA0), 0xFFFD),
             **dict.fromkeys([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)], 0xFFFD)}
_JSON_ESCAPED = {c: f"\\u{c:04x}" for c in _CONTROLS if c >= 0x7F}


def terminal_safe(text: str) -> str:
    """`text` with every control character (escape sequences, bidi overrides) shown, not acted on."""
    return text.translate(_CONTROLS)


class _Shown:
    """A renderable whose text goes through `terminal_safe` once laid out (styles stay styles)."""

    def __init__(self, inner: RenderableType) -> None:
        self.inner = inner

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for seg in console.render(self.inner, options):
            yield seg if seg.control else Segment(terminal_safe(seg.text), seg.style)


def say(*parts: str | tuple[str, str], err: bool = False) -> None:
    """Print one message: plain strings, or (text, style) pairs; nothing in it is markup."""
    (err_console if err else out_console).print(_Shown(Text.assemble(*parts)), soft_wrap=True)


def echo_json(value: object, indent: int | None = None) -> None:
    """Print `value` as one JSON document, with DEL, C1 and bidi controls escaped too (not just C0)."""
    typer.echo(json.dumps(value, ensure_ascii=False, indent=indent).translate(_JSON_ESCAPED))


def _version(value: bool) -> None:
    if value:
        from . import __version__
        from .kernel import describe

        say(f"syndup {__version__} ({describe()})")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version, and whether the C kernel is in use."),
) -> None:
    """Find republished and near-duplicate news articles and what each copy changed."""


class Engine(str, Enum):
    local = "local"
    ray = "ray"


class TableFormat(str, Enum):
    csv = "csv"
    parquet = "parquet"


class WarcId(str, Enum):
    record = "record"
    url = "url"


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a one-line error (secrets in its URLs redacted) and return the Exit to raise."""
    from .redact import redact

    say(("Error:", "bold red"), f" {redact(message)}", err=True)
    return typer.Exit(code)


def warn(problem: Problem | str) -> None:
    say(("warning:", "yellow"), f" {problem}", err=True)


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
    engine: Engine = typer.Option(Engine.local, "--engine",
                                  help="Where the per-chunk passes run: processes on this machine, or tasks on "
                                       "a Ray cluster (the ray extra)."),
    address: str | None = typer.Option(None, "--address", metavar="ADDR",
                                       help="With --engine ray: the Ray cluster (default: RAY_ADDRESS, or a new "
                                            "local Ray instance)."),
) -> None:
    """Find every cluster of copies in CORPUS, its origin, and how each copy relates to it."""
    from .output import Staging, check_writable, write_table_files
    from .read import check_paths, read_parts
    from .scan import scan as run_scan
    from .settings import DEFAULT_SETTINGS

    try:
        paths = check_paths(corpus, text_field=text_field)
        limits = ReadLimits(parse_size(max_record_size), parse_size(max_input_size), max_ratio, max_warnings)
        check_writable(out)
    except SyndupError as exc:
        raise fail(str(exc), 2) from None
    if index is not None:
        _check_index(index, DEFAULT_SETTINGS)
    skipped = _own_output(paths, out)
    for folder in skipped:
        warn(f"{folder} is this scan's output, inside a corpus folder: its files are not read as articles")
    # JSONL is left as raw lines here: the scan's worker processes parse it.
    items = read_parts(paths, id_field=id_field, text_field=text_field, warc_id=warc_id.value,
                       keep_comments=keep_comments, limits=limits, exclude=skipped)

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

            result = run_scan(items, settings=DEFAULT_SETTINGS, id_field=id_field, text_field=text_field,
                              progress=progress, jobs=jobs, on_problem=warn, limits=limits,
                              engine=engine.value, address=address)
        # Everything is written to a staging folder first, and moved into `out` together at the end.
        with Staging(out) as staging:
            write_table_files(result, staging.path, ("csv", "parquet") if fmt is TableFormat.parquet else ("csv",))
            if report:
                from .report import build_report

                build_report(result, staging.path / "report", previous=out / "report")
            if index is not None:
                from .index import Index

                with Index.open(index, settings=result.settings) as idx:
                    index_matches = idx.add_scan(result)
                    where = idx.location
                index_matches.to_csv(staging.path / "index_matches.csv", index=False)
            staging.commit()
    except (SyndupError, OSError) as exc:  # OSError: a write that failed (a full disk, say)
        raise fail(str(exc)) from None
    if not quiet:
        print_summary(result, out)
        if report:
            say(f"Report written to {out / 'report' / 'index.html'}")
        if index is not None:
            say(f"{index_matches['doc_id'].nunique()} articles match articles indexed before "
                f"({len(index_matches)} matches, {out}/index_matches.csv); all added to {where}.")


def _check_index(target: str, settings: Settings) -> None:
    """Open the index a scan will add to (creating it if missing), so that it fails before the scan."""
    from .index import Index

    try:
        with Index.open(target, settings=settings):
            pass
    except SyndupError as exc:
        raise fail(str(exc)) from None


def _own_output(paths: Iterable[Path], out: Path) -> list[Path]:
    """What of `out` a corpus folder holds, not to be read back as articles: `out`, or its report
    when `out` is the corpus folder itself."""
    where = out.resolve()
    folders = [p.resolve() for p in paths if p.is_dir()]
    if where in folders:
        return [out / "report"]
    return [out] if any(where.is_relative_to(p) for p in folders) else []


def _plural(n: int, one: str, many: str | None = None) -> str:
    return one if n == 1 else (many or one + "s")


def print_summary(result: ScanResult, out: Path) -> None:
    """Articles read and skipped, clusters, the largest clusters and the sites that republish most."""
    skipped = sum(1 for p in result.problems if p.skipped)
    notes = len(result.problems) - skipped  # repaired records (re-decoded, renamed) and counts
    multi = result.clusters[result.clusters["size"] > 1]
    copies = int((result.documents["role"] == "copy").sum())
    partial = int((result.pairs["relation"] == "partial").sum()) if len(result.pairs) else 0
    say((str(result.articles_read), "bold"), " articles read, ", (str(skipped), "bold"), " skipped"
        + (f", {notes} other warning{'s' if notes != 1 else ''}" if notes else "") + "; ",
        (str(len(multi)), "bold"), f" {_plural(len(multi), 'cluster')} of copies "
        f"({copies} {_plural(copies, 'copy', 'copies')}), {partial} partial {_plural(partial, 'reuse')}.")
    if len(multi):
        table = Table(title="Largest clusters", title_justify="left")
        for col in ("cluster", "size", "origin", "chosen by", "sites"):
            table.add_column(col)
        for row in multi.head(10).itertuples():
            table.add_row(str(row.cluster_id), str(row.size), str(row.origin_id), str(row.origin_rule),
                          str(row.sites or "-"))
        out_console.print(_Shown(table))
        copies_by_site = result.documents[result.documents["role"] == "copy"]["site"].dropna()
        if len(copies_by_site):
            top = copies_by_site.value_counts().head(5)
            say("Sites that republish most: " + ", ".join(f"{site} ({n})" for site, n in top.items()))
    say(f"Tables written to {out}/ (documents, pairs, clusters, sites, network).")


class DiffFormat(str, Enum):
    text = "text"
    json = "json"


def _read_one(path: Path) -> str:
    """The text of the one article in a file, its warnings (a repaired encoding, say) printed."""
    from .read import check_paths, read

    items = list(read(check_paths([path])))
    for item in items:
        if isinstance(item, Article):
            for problem in items:
                if isinstance(problem, Problem):
                    warn(problem)
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
        echo_json(result_diff.to_dict(), indent=2)
    else:
        out_console.print(_Shown(to_rich(result_diff, context=context)))


def _hours(value: float) -> str:
    return "-" if value != value else f"{value:.1f} h"


@app.command()
def network(
    out: Path = typer.Argument(..., help="A folder `syndup scan --out` wrote (its network.csv and sites.csv)."),
    top: int = typer.Option(20, "--top", "-n", min=1, help="Edges to print, most copies first."),
    graph: bool = typer.Option(False, "--graph", help="Also write OUT/network.graphml and OUT/network.gexf "
                                                      "(needs the network extra)."),
) -> None:
    """Print the top edges of a finished scan's site network: who copies whom, how fast, what they change."""
    import pandas as pd

    from .network import HABITS, NETWORK_COLUMNS, SITE_COLUMNS, write_graph
    from .output import Staging

    tables = {}
    for name, columns in (("network", NETWORK_COLUMNS), ("sites", SITE_COLUMNS)):
        path = out / f"{name}.csv"
        if not path.is_file():
            raise fail(f"{path} not found: run `syndup scan CORPUS --out {out}` first", 2)
        try:
            tables[name] = pd.read_csv(path, keep_default_na=False, na_values=[""])
        except (OSError, ValueError) as exc:
            raise fail(f"cannot read {path}: {exc}", 2) from None
        missing = [c for c in columns if c not in tables[name].columns]
        if missing:
            raise fail(f"{path} is not a syndup {name} table: no column {', '.join(missing)}", 2)
    edges, sites = tables["network"], tables["sites"]
    copies = int(edges["copies"].sum())
    say((str(len(edges)), "bold"), f" {_plural(len(edges), 'edge')} between ", (str(len(sites)), "bold"),
        f" sites ({copies} {_plural(copies, 'copy', 'copies')} across sites).")
    if len(edges):
        table = Table(title=f"Top {min(top, len(edges))} edges", title_justify="left")
        for col in ("origin site", "copying site", "copies", "median lag", "p90 lag", "habits"):
            table.add_column(col, justify="right" if col in ("copies", "median lag", "p90 lag") else "left")
        for row in edges.head(top).itertuples():
            shown = ", ".join(f"{h.replace('_', ' ')} {getattr(row, h):.0%}" for h in HABITS if getattr(row, h) > 0)
            table.add_row(str(row.origin_site), str(row.copy_site), str(row.copies), _hours(row.median_lag_hours),
                          _hours(row.p90_lag_hours), shown or "-")
        out_console.print(_Shown(table))
    laundered = sites[(sites["credits_dropped"] + sites["credits_replaced"]) > 0]
    if len(laundered):
        say("Credits dropped or replaced: " + ", ".join(
            f"{r.site} ({r.credits_dropped + r.credits_replaced} of {r.copies_made})"
            for r in laundered.sort_values("site").itertuples()))
    if graph:
        try:
            with Staging(out) as staging:
                written = write_graph(sites, edges, staging.path)
                staging.commit()
        except SyndupError as exc:
            raise fail(str(exc)) from None
        say(f"Graph written to {', '.join(str(out / p.name) for p in written)}")


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
        say(f"{doc_id}: {m.relation} of {m.doc_id} (jaccard {m.jaccard:.2f}, containment {m.containment:.2f})")


@index_app.command("add")
def index_add(
    index: IndexTarget,
    corpus: list[Path] = typer.Argument(..., help="Folders, .jsonl[.gz], .csv, .parquet or .warc[.gz] files."),
    id_field: IdField = "id",
    text_field: TextField = "text",
    replace: bool = typer.Option(False, "--replace", help="Replace an indexed article whose text changed."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the summary line."),
) -> None:
    """Add every article of CORPUS to INDEX, printing those that match an indexed article.

    An id indexed before with another text is a warning (unless --replace) and the batch goes on;
    the exit status is then 1.
    """
    from .index import Index
    from .read import check_paths

    try:
        paths = check_paths(corpus)
    except SyndupError as exc:
        raise fail(str(exc), 2) from None
    added = matched = refused = 0
    try:
        with Index.open(index) as idx:
            for article in _index_articles(paths, id_field, text_field):
                try:
                    [(_, matches)] = idx.add_many([article], replace=replace)
                except IdConflict as exc:
                    refused += 1
                    warn(f"{exc}; not added")
                    continue
                added += 1
                matched += bool(matches)
                if not quiet:
                    _print_matches(article.id, matches)
            total, where = len(idx), idx.location
    except (SyndupError, ValueError) as exc:
        raise fail(f"{exc} ({added} {_plural(added, 'article')} added before it)") from None
    say(f"{added} articles added, {matched} matched an indexed article"
        + (f", {refused} not added (indexed before with another text)" if refused else "")
        + f"; {total} in {where}.")
    if refused:
        raise typer.Exit(1)


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
                    echo_json({"id": article.id, "matches": [dataclasses.asdict(m) for m in matches]})
                elif matches:
                    _print_matches(article.id, matches)
                else:
                    say(f"{article.id}: no match")
    except SyndupError as exc:
        raise fail(str(exc)) from None


@index_app.command("stats")
def index_stats(
    index: IndexTarget,
    as_json: bool = typer.Option(False, "--json", help="Print the figures as one JSON object."),
) -> None:
    """How many articles INDEX holds, how it was built, and its size."""
    from .index import Index

    try:
        with Index.open(index) as idx:
            stats = idx.stats()
    except SyndupError as exc:
        raise fail(str(exc)) from None
    if as_json:
        echo_json(stats)
    else:
        for key, value in stats.items():
            shown = ", ".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else value
            say(f"{key}: {shown}")


class Stopped(BaseException):
    """SIGINT or SIGTERM arrived: unwinds the command (its `finally` blocks remove temporary files)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise Stopped(signum)


def main() -> None:
    """Entry point of the `syndup` console script: SIGINT and SIGTERM end it with one line, 130 or 143."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stop)
    try:
        app()
    except Stopped as stop:
        for signum in (signal.SIGINT, signal.SIGTERM):  # a second signal while cleaning up ends it at once
            signal.signal(signum, signal.SIG_DFL)
        name = signal.Signals(stop.signum).name
        say(f"syndup: stopped by {name}; no output was left half-written and temporary files were removed.",
            err=True)
        sys.exit(128 + stop.signum)
    except SyndupError as exc:  # pragma: no cover - last resort, commands catch their own
        fail(str(exc))
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()

"""The `syndup` command: a thin shell that parses arguments, calls the library and prints."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Iterable, Iterator
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from .errors import IdConflict, InputError, SyndupError
from .models import Article, Match, Problem, ScanResult
from .read import DEFAULT_LIMITS, Fields, ReadLimits, format_size, parse_size

if TYPE_CHECKING:
    from .settings import Settings

#: The record fields every command that reads a corpus takes.
IdField = Annotated[str, typer.Option(metavar="FIELD", help="Name of the id field in JSONL/CSV/Parquet records.")]
TextField = Annotated[str, typer.Option(metavar="FIELD", help="Name of the text field in JSONL/CSV/Parquet records.")]
#: Which column holds each other field (else its usual names: site or source, published or date, ...).
UrlField = Annotated[str | None, typer.Option("--url-field", metavar="F", help="Column of the page URL.")]
TitleField = Annotated[str | None, typer.Option("--title-field", metavar="F", help="Column of the title.")]
SiteField = Annotated[str | None, typer.Option("--site-field", metavar="F", help="Column of the site (publisher).")]
DateField = Annotated[str | None, typer.Option("--date-field", metavar="F", help="Column of the publication date.")]
AuthorField = Annotated[str | None, typer.Option("--author-field", metavar="F", help="Column of the author.")]
ParagraphSep = Annotated[str | None, typer.Option("--paragraph-sep", metavar="S",
                                                  help="The string a text's paragraphs are joined with (' ### ').")]

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
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
        from .errors import SyndupError
        from .extract import describe_extractor
        from .kernel import describe

        try:
            html = describe_extractor()
        except SyndupError as exc:  # SYNDUP_EXTRACTOR names none
            html = f"HTML: {exc}"
        say(f"syndup {__version__} ({describe()}; {html})")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version, whether the C kernel is in use, and which "
                                      "HTML extractor."),
) -> None:
    """Find republished and near-duplicate news articles and what each copy changed."""


class Engine(str, Enum):
    local = "local"
    ray = "ray"


class TableFormat(str, Enum):
    csv = "csv"
    parquet = "parquet"


class KeepRule(str, Enum):
    origin = "origin"
    longest = "longest"
    earliest = "earliest"


class Extractor(str, Enum):
    trafilatura = "trafilatura"
    basic = "basic"


#: The options that change `Settings`, shared by the commands that scan.
ConfigOption = Annotated[Path | None, typer.Option(
    "--config", metavar="FILE", help="Settings from this TOML file (default: ./syndup.toml, or "
                                     "[tool.syndup] in ./pyproject.toml).")]
SetOption = Annotated[list[str] | None, typer.Option(
    "--set", metavar="KEY=VALUE", help="Change one setting, e.g. --set copy_containment=0.6 (repeatable; "
                                       "wins over the config file).")]


def _settings(config: Path | None, sets: list[str] | None) -> tuple[Settings, list[str]]:
    """The settings from the config file and --set, or exit 2 with the key at fault."""
    from .config import settings_from

    try:
        return settings_from(config, sets or ())
    except SyndupError as exc:
        raise fail(str(exc), 2) from None


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


def _size_hint(paths: list[Path]) -> int | None:
    """The bytes to read when every path is an uncompressed JSONL file (the progress bar then
    counts bytes: its articles are not known before they are read), else None."""
    from .read import STDIN, corpus_kind

    if paths and all(p != STDIN and p.is_file() and corpus_kind(p) == "jsonl"
                     and not p.name.lower().endswith((".gz", ".zst")) for p in paths):
        return sum(p.stat().st_size for p in paths)
    return None


def _count_hint(paths: list[Path]) -> int | None:
    from .read import TEXT_SUFFIXES

    if len(paths) == 1 and paths[0].is_dir():
        return sum(1 for p in paths[0].rglob("*") if p.is_file() and p.name.lower().endswith(TEXT_SUFFIXES))
    if paths and all(p.suffix == ".parquet" and p.is_file() for p in paths):  # rows are in the footer
        try:
            import pyarrow.parquet as pq

            return sum(pq.ParquetFile(p).metadata.num_rows for p in paths)
        except Exception:  # noqa: BLE001 - only a hint; reading reports what is wrong with the file
            return None
    return None


SCAN_EXAMPLES = """Examples:

\b
  syndup scan seeds/ --out out/
  syndup scan crawl.warc.gz --out out/ --id url --format parquet
  syndup scan a.jsonl b.jsonl -o out/ --set copy_containment=0.6 --json
  syndup scan corpus/ -o out/ --index articles.syndup -v
  syndup scan 's3://bucket/crawl/*.jsonl.gz' -o out/ --engine ray
"""


@app.command(epilog=SCAN_EXAMPLES)
def scan(
    corpus: list[str] = typer.Argument(..., metavar="CORPUS",
                                       help="Folders, .jsonl[.gz|.zst], .csv, .parquet or .warc[.gz] "
                                            "files, or - for JSONL on stdin (plain, gzip or zstd); with --engine "
                                            "ray also URIs (s3://, gs://, hdfs://, file://; globs) of JSONL "
                                            "files (by suffix) or Parquet files and folders."),
    out: Path = typer.Option(..., "--out", "-o", metavar="DIR", help="Folder for documents/pairs/clusters tables."),
    fmt: TableFormat = typer.Option(TableFormat.csv, "--format", help="Format of the tables (parquet: typed columns, lists)."),
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
    # Inputs as pipelines have them: field mapping, and the corpus written back without its copies.
    url_field: UrlField = None,
    title_field: TitleField = None,
    site_field: SiteField = None,
    date_field: DateField = None,
    author_field: AuthorField = None,
    paragraph_sep: ParagraphSep = None,
    dedup_out: Path | None = typer.Option(None, "--dedup-out", metavar="FILE",
                                          help="Also write the corpus minus its copies, every input column kept "
                                               "(.parquet, .jsonl or .csv)."),
    keep: KeepRule = typer.Option(KeepRule.origin, "--keep",
                                  help="Which member of a cluster --dedup-out keeps: its origin, the longest, "
                                       "or the earliest published."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object on stdout."),
    verbose: bool = typer.Option(False, "--verbose", "-v",
                                 help="Also print the settings changed, the extractor and each stage's time."),
    config: ConfigOption = None,
    sets: SetOption = None,
    extractor: Extractor = typer.Option(Extractor.trafilatura, "--extractor",
                                        help="HTML extractor: trafilatura (the html extra), or basic: all visible "
                                             "text, menus too."),
    engine: Engine = typer.Option(Engine.local, "--engine",
                                  help="Where the per-chunk passes run: processes on this machine, or tasks on "
                                       "a Ray cluster (the ray extra)."),
    address: str | None = typer.Option(None, "--address", metavar="ADDR",
                                       help="With --engine ray: the Ray cluster (default: RAY_ADDRESS, or a new "
                                            "local Ray instance)."),
) -> None:
    """Find every cluster of copies in CORPUS, its origin, and how each copy relates to it."""
    from .dedup import Reread, check_dedup_path, write_deduplicated
    from .output import Staging, check_writable, stale_tables, write_table_files
    from .read import check_paths, read_parts
    from .scan import scan_fields

    settings, changed = _settings(config, sets)
    try:
        fields = _fields(id_field, text_field, url_field, title_field, site_field, date_field, author_field,
                         paragraph_sep)
        uris = _corpus_uris(corpus, engine, dedup_out)
        paths = [] if uris else check_paths([Path(c) for c in corpus], text_field=text_field)
        limits = ReadLimits(parse_size(max_record_size), parse_size(max_input_size), max_ratio, max_warnings)
        check_writable(out)
        if dedup_out is not None:
            check_dedup_path(dedup_out)
    except SyndupError as exc:
        raise fail(str(exc), 2) from None
    if index is not None:
        _check_index(index, settings)
    before = os.environ.get("SYNDUP_EXTRACTOR")
    os.environ["SYNDUP_EXTRACTOR"] = extractor.value  # read by every process that reduces HTML
    if verbose:
        from .extract import describe_extractor

        say(f"settings: {', '.join(changed) or 'the defaults'}; {describe_extractor()}", err=True)
    if quiet and engine is Engine.ray:
        try:
            from .ray_engine import quiet_logs  # Ray is an extra, imported only with --engine ray
        except SyndupError as exc:  # not installed: the pip line
            raise fail(str(exc)) from None
        quiet_logs()
    skipped = _own_output(paths, out, dedup_out)
    for folder in skipped[:1]:
        warn(f"{folder} is this scan's output, inside a corpus folder: its files are not read as articles")
    # JSONL is left as raw lines here: the scan's worker processes parse it.
    items = read_parts(paths, fields=fields, warc_id=warc_id.value, keep_comments=keep_comments, limits=limits,
                       exclude=skipped)

    try:
        # Drawn when the scan reports, not by a thread of its own: with no other thread running,
        # the scan may fork processes for its work (see syndup.execution).
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), _Done(),
                      TimeElapsedColumn(), console=err_console, transient=True, auto_refresh=False,
                      disable=quiet or not err_console.is_terminal) as bar:
            stages = _Stages(bar, _count_hint(paths), verbose, size=_size_hint(paths))
            result = scan_fields(uris or stages.reading(items), fields, settings=settings, progress=stages.progress,
                                 jobs=jobs, on_problem=warn, limits=limits, on_stage=stages.start,
                                 reread=None if uris else Reread(tuple(paths), fields, limits, tuple(skipped)),
                                 engine=engine.value, address=address)
            stages.start("writing")
        # Everything is written to a staging folder first, and moved into `out` together at the end.
        with Staging(out) as staging:
            write_table_files(result, staging.path, (fmt.value,), corpus=paths or None, uris=uris or None,
                              read_options={"id_field": id_field, "text_field": text_field, "url_field": url_field,
                                            "title_field": title_field, "site_field": site_field,
                                            "date_field": date_field, "author_field": author_field,
                                            "paragraph_sep": paragraph_sep, "warc_id": warc_id.value,
                                            "keep_comments": keep_comments})
            if report:
                from .report import build_report

                build_report(result, staging.path / "report", previous=out / "report")
            if index is not None:
                from .index import Index

                with Index.open(index, settings=result.settings) as idx:
                    index_matches = idx.add_scan(result)
                    where = idx.location
                index_matches.to_csv(staging.path / "index_matches.csv", index=False)
            staging.commit(remove=stale_tables((fmt.value,)))
        if dedup_out is not None:
            kept = write_deduplicated(result, keep.value, dedup_out)
        stages.start(None)
    except (SyndupError, OSError) as exc:  # OSError: a write that failed (a full disk, say)
        raise fail(str(exc)) from None
    finally:  # called in-process (tests, a notebook), the choice ends with the command
        if before is None:
            os.environ.pop("SYNDUP_EXTRACTOR", None)
        else:
            os.environ["SYNDUP_EXTRACTOR"] = before
    if not result.articles_read:  # a pipeline must not go on as if an empty read were a result
        raise fail(f"no article was read from {', '.join(map(str, corpus))} (see the warnings above); "
                   f"the tables written to {out} are empty")
    if as_json:
        summary = summarize(result, out)
        summary["report"] = str(out / "report" / "index.html") if report else None
        if dedup_out is not None:
            summary["deduplicated"] = {"path": str(dedup_out), "kept": kept, "keep": keep.value}
        if index is not None:
            summary["index"] = {"location": where, "matched_articles": int(index_matches["doc_id"].nunique()),
                                "matches": len(index_matches), "table": str(out / "index_matches.csv")}
        echo_json(summary)
    elif not quiet:
        print_summary(result, out)
        if report:
            say(f"Report written to {out / 'report' / 'index.html'}")
        if dedup_out is not None:
            say(f"Deduplicated corpus ({kept} of {result.articles_read} articles, keeping the "
                f"{keep.value} of each cluster) written to {dedup_out}")
        if index is not None:
            say(f"{index_matches['doc_id'].nunique()} articles match articles indexed before "
                f"({len(index_matches)} matches, {out}/index_matches.csv); all added to {where}.")


T = TypeVar("T")


class _Done(ProgressColumn):
    """Done of the total: bytes (`412.3/815.9 MB`) while reading JSONL files, else a count."""

    def __init__(self) -> None:
        super().__init__()
        self.count, self.bytes = MofNCompleteColumn(), DownloadColumn()

    def render(self, task: Task) -> Text:
        return (self.bytes if task.fields.get("bytes") else self.count).render(task)


class _Stages:
    """The progress bar's description and total as the scan goes from stage to stage, and with
    --verbose a line per stage with its time."""

    def __init__(self, bar: Progress, total: int | None, verbose: bool, size: int | None = None) -> None:
        from .scan import STAGES

        self.bar, self.verbose, self.n = bar, verbose, len(STAGES) + 2  # reading, the stages, writing
        # Reading JSONL files of `size` bytes, the bar counts the bytes handed to the scan.
        self.size, self.read_bytes = size, 0
        self.task = bar.add_task(f"1/{self.n} reading", total=size or total, bytes=bool(size))
        self.name: str | None = "reading"
        self.step, self.count = 1, 0
        self.began = time.perf_counter()

    def reading(self, items: Iterable[T]) -> Iterator[T]:
        """`items` (what `read_parts` yields), counting the bytes of the JSONL batches among them."""
        from .read import JsonlLines

        for part in items:
            if isinstance(part, JsonlLines):
                self.read_bytes += len(part.data)
            yield part

    def progress(self, n: int) -> None:
        self.count = n
        self.bar.update(self.task, completed=self.read_bytes if self.size and self.name == "reading" else n)
        self.bar.refresh()

    def start(self, name: str | None) -> None:
        """Stage `name` begins (None: the end); the previous one is done."""
        now = time.perf_counter()
        if self.verbose and self.name is not None:
            extra = f" ({self.count:,} articles)" if self.name == "reading" else ""
            say(f"{self.name}: {now - self.began:.2f} s{extra}", err=True)
        self.began, self.name = now, name
        if name is not None:
            self.step += 1
            self.bar.update(self.task, description=f"{self.step}/{self.n} {name}", total=self.count,
                            completed=self.count, bytes=False)
            self.bar.refresh()


def _check_index(target: str, settings: Settings) -> None:
    """Open the index a scan will add to (creating it if missing), so that it fails before the scan."""
    from .index import Index

    try:
        with Index.open(target, settings=settings):
            pass
    except SyndupError as exc:
        raise fail(str(exc)) from None


def _corpus_uris(corpus: list[str], engine: Engine, dedup_out: Path | None) -> list[str]:
    """The CORPUS arguments when they are URIs (read by the Ray engine with Ray Data), else []."""
    uris = [c for c in corpus if "://" in c]
    if not uris:
        return []
    if len(uris) < len(corpus):
        raise InputError("CORPUS: give URIs or local paths, not both")
    if engine is not Engine.ray:
        raise InputError(f"{uris[0]}: a URI is read by the Ray engine: add --engine ray")
    if dedup_out is not None:
        raise InputError("--dedup-out reads the corpus again, from local paths only: not with URIs")
    return uris


def _own_output(paths: Iterable[Path], out: Path, dedup_out: Path | None = None) -> list[Path]:
    """What of `out` a corpus folder holds, not to be read back as articles: `out`, or its report
    and tables when `out` is the corpus folder itself (and the --dedup-out file)."""
    from .output import TABLES

    where = out.resolve()
    folders = [p.resolve() for p in paths if p.is_dir()]
    mine = [dedup_out] if dedup_out is not None and any(dedup_out.resolve().is_relative_to(p) for p in folders) else []
    if where in folders:
        return [out / "report", out / "index_matches.csv",
                *(out / f"{name}.{suffix}" for name in TABLES for suffix in ("csv", "parquet")), *mine]
    return ([out] if any(where.is_relative_to(p) for p in folders) else []) + mine


def _plural(n: int, one: str, many: str | None = None) -> str:
    return one if n == 1 else (many or one + "s")


def summarize(result: ScanResult, out: Path) -> dict[str, object]:
    """What `print_summary` prints, as a JSON-able dict (`scan --json`)."""
    skipped = sum(1 for p in result.problems if p.skipped)
    multi = result.clusters[result.clusters["size"] > 1]
    copies_by_site = result.documents[result.documents["role"] == "copy"]["site"].dropna()
    return {
        "articles_read": result.articles_read, "skipped": skipped, "warnings": len(result.problems) - skipped,
        "clusters": len(multi), "copies": int((result.documents["role"] == "copy").sum()),
        "partial": int((result.pairs["relation"] == "partial").sum()),
        "largest_clusters": [{"cluster_id": int(r.cluster_id), "size": int(r.size), "origin_id": r.origin_id,
                              "origin_rule": r.origin_rule, "sites": list(r.sites)} for r in multi.head(10).itertuples()],
        "top_republishers": [{"site": site, "copies": int(n)}
                             for site, n in copies_by_site.value_counts().head(5).items()],
        "out": str(out), "tables": sorted(p.name for p in out.iterdir() if p.suffix in (".csv", ".parquet")),
    }


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
                          ", ".join(row.sites) or "-")
        out_console.print(_Shown(table))
        copies_by_site = result.documents[result.documents["role"] == "copy"]["site"].dropna()
        if len(copies_by_site):
            top = copies_by_site.value_counts().head(5)
            say("Sites that republish most: " + ", ".join(f"{site} ({n})" for site, n in top.items()))
    _say_languages(result)
    say(f"Tables written to {out}/ (documents, pairs, clusters, sites, network).")


def _say_languages(result: ScanResult) -> None:
    """The languages of the articles, most frequent first (or how to get them identified)."""
    from .language import available

    if not available():
        say("Languages: not identified (pip install 'syndup[lang]' fills the language column).")
        return
    langs = result.documents["language"].replace("", "unknown").value_counts()
    if len(langs):
        say("Languages: " + ", ".join(f"{lang} ({n})" for lang, n in langs.head(8).items())
            + (f", {len(langs) - 8} more" if len(langs) > 8 else "") + ".")


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


DIFF_EXAMPLES = """Examples:

\b
  syndup diff origin.txt copy.html
  syndup diff --from out/ 000_28930205ab5c0454 001_4b43cad0f107b24d
  syndup diff --corpus seeds/ ID_A ID_B --format json
"""


@app.command(epilog=DIFF_EXAMPLES)
def diff(
    a: str = typer.Argument(..., metavar="A", help="The origin: a .txt/.md/.html file, or an id with --corpus."),
    b: str = typer.Argument(..., metavar="B", help="The copy: a .txt/.md/.html file, or an id with --corpus."),
    corpus: list[Path] | None = typer.Option(
        None, "--corpus", "-c", metavar="CORPUS", help="Take A and B as ids in this corpus, and learn its boilerplate "
                                     "(with --from: where the corpus of OUT is now)."),
    fmt: DiffFormat = typer.Option(DiffFormat.text, "--format", help="'json' prints segments and summary."),
    context: int = typer.Option(1, "--context", min=0, metavar="N", help="Unchanged paragraphs shown around changes."),
    loaded: Path | None = typer.Option(
        None, "--from", metavar="OUT", help="Take A and B as ids of the scan written to OUT (no rescan)."),
    config: ConfigOption = None,
    sets: SetOption = None,
) -> None:
    """Show what copy B kept, added, removed, substituted and moved relative to origin A."""
    from .diff import diff as run_diff
    from .diff import to_rich
    from .scan import scan as run_scan

    boilerplate: frozenset[int] = frozenset()
    try:
        if loaded is not None:
            from .output import load

            with load(loaded, corpus=corpus or None) as result:
                origin, copy, boilerplate = result.text(a), result.text(b), result.boilerplate
        elif corpus:
            result = run_scan(corpus, settings=_settings(config, sets)[0])
            for problem in result.problems:
                warn(problem)
            origin, copy, boilerplate = result.text(a), result.text(b), result.boilerplate
        else:
            origin, copy = _read_one(Path(a)), _read_one(Path(b))
    except KeyError as exc:
        raise fail(f"{exc.args[0]}" + ("" if loaded else "; ids are paths relative to the corpus folder, without "
                                           "extension"), 2) from None
    except InputError as exc:
        raise fail(str(exc), 2) from None
    except SyndupError as exc:
        raise fail(str(exc)) from None
    result_diff = run_diff(origin, copy, boilerplate=boilerplate)
    if fmt is DiffFormat.json:
        echo_json(result_diff.to_dict(), indent=2)
    else:
        out_console.print(_Shown(to_rich(result_diff, context=context)))


NETWORK_EXAMPLES = """Examples:

\b
  syndup network out/
  syndup network out/ --top 50 --graph
"""


def _hours(value: float) -> str:
    return "-" if value != value else f"{value:.1f} h"


@app.command(epilog=NETWORK_EXAMPLES)
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


index_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                        help="A persistent index that scrapers add articles to and check them against.")
app.add_typer(index_app, name="index")
INDEX_HELP = "The index: a file (SQLite, created if missing) or redis://host:port/db?prefix=name."
IndexTarget = Annotated[str, typer.Argument(metavar="INDEX", help=INDEX_HELP)]


def _fields(id_field: str, text_field: str, url_field: str | None, title_field: str | None,
            site_field: str | None, date_field: str | None, author_field: str | None,
            paragraph_sep: str | None) -> Fields:
    """The record fields the options of a command that reads a corpus name (InputError if one is blank)."""
    return Fields(id_field, text_field, {"url": url_field, "title": title_field, "site": site_field,
                                         "published": date_field, "author": author_field}, paragraph_sep)


def _index_articles(paths: list[Path], fields: Fields) -> Iterator[Article]:
    """The articles of `paths` read as `scan` reads them (`fields`), each problem a warning."""
    from .read import JsonlLines, read_parts

    for part in read_parts(paths, fields=fields):
        for item in part.items() if isinstance(part, JsonlLines) else (part,):
            if isinstance(item, Problem):
                warn(item)
            else:
                yield item


def _print_matches(doc_id: str, matches: list[Match]) -> None:
    for m in matches:
        say(f"{doc_id}: {m.relation} of {m.doc_id} (jaccard {m.jaccard:.2f}, containment {m.containment:.2f})")


INDEX_EXAMPLES = """Examples:

\b
  syndup index add articles.syndup crawl/
  syndup index check articles.syndup new.jsonl --json
  syndup index stats redis://localhost:6379/0?prefix=news
"""


@index_app.command("add", epilog=INDEX_EXAMPLES)
def index_add(
    index: IndexTarget,
    corpus: list[Path] = typer.Argument(..., metavar="CORPUS",
                                        help="Folders, .jsonl[.gz|.zst], .csv, .parquet or .warc[.gz] files, "
                                             "or - for JSONL on stdin."),
    id_field: IdField = "id",
    text_field: TextField = "text",
    replace: bool = typer.Option(False, "--replace", help="Replace an indexed article whose text changed."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the summary line."),
    url_field: UrlField = None,
    title_field: TitleField = None,
    site_field: SiteField = None,
    date_field: DateField = None,
    author_field: AuthorField = None,
    paragraph_sep: ParagraphSep = None,
) -> None:
    """Add every article of CORPUS to INDEX, printing those that match an indexed article.

    An id indexed before with another text is a warning (unless --replace) and the batch goes on;
    the exit status is then 1.
    """
    from .index import Index
    from .read import check_paths

    try:
        fields = _fields(id_field, text_field, url_field, title_field, site_field, date_field, author_field,
                         paragraph_sep)
        paths = check_paths(corpus, text_field=text_field)
    except SyndupError as exc:
        raise fail(str(exc), 2) from None
    added = matched = refused = 0
    try:
        with Index.open(index) as idx:
            for article in _index_articles(paths, fields):
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


@index_app.command("check", epilog=INDEX_EXAMPLES)
def index_check(
    index: IndexTarget,
    files: list[Path] = typer.Argument(..., metavar="FILE", help="Articles to check: files or corpora in any format scan "
                                                                 "reads, or - for JSONL on stdin."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per article: id and matches."),
    id_field: IdField = "id",
    text_field: TextField = "text",
    url_field: UrlField = None,
    title_field: TitleField = None,
    site_field: SiteField = None,
    date_field: DateField = None,
    author_field: AuthorField = None,
    paragraph_sep: ParagraphSep = None,
) -> None:
    """Check articles against INDEX without adding them: what each duplicates, copies or quotes."""
    import dataclasses

    from .index import Index
    from .read import check_paths

    try:
        fields = _fields(id_field, text_field, url_field, title_field, site_field, date_field, author_field,
                         paragraph_sep)
        paths = check_paths(files, text_field=text_field)
    except SyndupError as exc:
        raise fail(str(exc), 2) from None
    try:
        with Index.open(index) as idx:
            for article, matches in idx.check_many(_index_articles(paths, fields)):
                if as_json:
                    echo_json({"id": article.id, "matches": [dataclasses.asdict(m) for m in matches]})
                elif matches:
                    _print_matches(article.id, matches)
                else:
                    say(f"{article.id}: no match")
    except SyndupError as exc:
        raise fail(str(exc)) from None


@index_app.command("stats", epilog=INDEX_EXAMPLES)
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


#: The variable the completion scripts set when they ask syndup for completions.
COMPLETE_VAR = "_SYNDUP_COMPLETE"


class Shell(str, Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


@app.command(epilog="""Examples:

\b
  syndup completion bash > ~/.local/share/bash-completion/completions/syndup
  syndup completion zsh > "${fpath[1]}/_syndup"
  syndup completion fish > ~/.config/fish/completions/syndup.fish
""")
def completion(shell: Shell = typer.Argument(..., metavar="SHELL", help="The shell to print the script for.")) -> None:
    """Print the shell completion script for syndup's commands and options."""
    from typer.completion import get_completion_script

    typer.echo(get_completion_script(prog_name="syndup", complete_var=COMPLETE_VAR, shell=shell.value))


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
    if COMPLETE_VAR in os.environ:  # a shell asks for completions (`syndup completion SHELL`)
        from typer.completion import completion_init

        completion_init()
    try:
        app(prog_name="syndup", complete_var=COMPLETE_VAR)
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

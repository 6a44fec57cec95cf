"""`write_report`: an HTML report of a scan, an index and one page per cluster of copies (with its
story's timeline), and where articles have sites, the network, the sites table and a page per site
(`report_sites`).

Pages are self-contained (inline CSS and JS, no request of any kind: a Content-Security-Policy
allows nothing but the page's own style and script, by hash). Every text that comes from the corpus
goes through Jinja's autoescape, and URLs become links only for http and https. Nothing in it can
act on the page: controls and bidi overrides are shown as symbols (`visible`, applied to every
value a template prints), each id, title, site or URL is a `<bdi>` of its own (the `bdi` filter)
and each paragraph of article text takes its own direction, so no text can make its neighbours
read backwards. File names come from origin ids through `page_name`, which can only produce
`c-[a-z0-9-]+.html`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re
import shutil
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup

from .diff import (
    ADDED,
    ATTRIBUTION,
    BOILERPLATE,
    COMMENTS,
    EDIT,
    KEPT,
    KINDS,
    MOVED,
    REMOVED,
    SUBSTITUTED,
    Diff,
    Segment,
    diff,
    display,
    label,
)
from .errors import OutputError
from .execution import Execution
from .models import ScanResult
from .output import Staging

#: Kinds whose rows fold away under a labelled <details>.
FOLDED = (BOILERPLATE, ATTRIBUTION, COMMENTS)
#: Copies shown with a full diff on one cluster page; the others get their summary line only.
MAX_DIFFS = 200
#: Copies diffed in one report, the largest clusters first: past it, a cluster's page lists its
#: members without diffs, so the report of a 200k-article scan takes a fraction of the scan's time.
MAX_COPIES = 3000
#: Clusters a page of the index's table shows (paging, sorting and filtering reach the others).
INDEX_PAGE = 100
_SLUG_MAX = 60
_RESOURCES = ("report.css", "report.js")
#: Characters that act instead of showing: C0 and C1 controls (tab, newline and carriage return are
#: whitespace in HTML), the bidi embeddings, overrides and isolates (U+202A-E, U+2066-9) with which
#: a title can make the text around it read backwards, and lone surrogates (UTF-8 cannot hold them).
_ACTING = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def page_name(key: str, prefix: str = "c") -> str:
    """A safe, collision-resistant file name for a page about `key` (an id): `c-<slug>-<hash>.html`
    (`s-...` for a site's page, with prefix "s").

    The slug keeps ASCII letters and digits only (lower case, at most 60), so no id can name a
    directory, a device (CON, NUL) or a hidden file; the hash of the exact id keeps ids apart that
    slug alike ("a/b" and "a_b", "X" and "x", long ids with one prefix, non-ASCII ids).
    """
    ascii_ = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")[:_SLUG_MAX].strip("-")
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=6).hexdigest()
    return f"{prefix}-{slug}-{digest}.html" if slug else f"{prefix}-{digest}.html"


def safe_url(url: object) -> str | None:
    """`url` if it is an http(s) URL that can be a link as it is, else None."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url or _ACTING.search(url) or any(ord(ch) < 0x21 or ch in "<>\"'`\\" for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def _symbol(ch: str) -> str:
    """How an acting character is shown: a control picture (U+2400 on), U+FFFD, or <U+XXXX>."""
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    if 0xD800 <= code <= 0xDFFF:
        return "\ufffd"
    return f"<U+{code:04X}>"


def visible(value: object) -> object:
    """A value as a page may print it: text with every acting character shown as a symbol
    ("\u2400" for NUL, "<U+202E>" for a right-to-left override); numbers and markup unchanged."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return _ACTING.sub(lambda m: _symbol(m.group()), value)
    return value


def bdi(value: object, sep: str | None = None) -> Markup:
    """A value from the corpus as an isolated run (`<bdi>`: its own direction, no effect on the text
    around it); with `sep`, a list in one string (sites) as its items, each isolated, between commas."""
    if sep is not None and isinstance(value, str):
        return Markup(", ").join(bdi(v) for v in value.split(sep) if v)
    return Markup("<bdi>%s</bdi>") % visible(value)


# --------------------------------------------------------------------------------------------
# View model: what the templates show, already cut into paragraphs and marked pieces.


@dataclass
class Piece:
    """A run of text in a cell: tag is "" (unchanged), "del", "ins" or "mov"."""

    tag: str
    text: str


@dataclass
class Row:
    """One block of the alignment, as a side-by-side row (old, new) and an inline cell."""

    classes: str
    label: str
    fold: str | None
    words: int
    old: list[list[Piece]]
    new: list[list[Piece]]
    inline: list[list[Piece]]


@dataclass
class Fold:
    """Consecutive rows of one folded kind (boilerplate, attribution, comments) under one summary."""

    kind: str
    title: str
    rows: list[Row]


@dataclass
class CopyView:
    """One copy on a cluster page: its metadata, summary and rows."""

    n: int
    meta: dict[str, Any]
    summary: dict[str, Any]
    items: list[Row | Fold] = field(default_factory=list)
    changed: bool = True
    shown: bool = True


def _text(value: object) -> str:
    if value is None or value != value:  # NaN, NaT (a missing time)
        return ""
    return str(value)


def _paragraphs(pieces: Iterable[tuple[int | None, Piece]]) -> list[list[Piece]]:
    paras: list[list[Piece]] = []
    current: int | None = None
    for para, piece in pieces:
        if not piece.text:
            continue
        if not paras or (para is not None and para != current):
            paras.append([])
        if para is not None:
            current = para
        paras[-1].append(piece)
    return paras


def _row(segments: Sequence[Segment]) -> Row:
    old: list[tuple[int | None, Piece]] = []
    new: list[tuple[int | None, Piece]] = []
    inline: list[tuple[int | None, Piece]] = []
    for s in segments:
        if s.op == KEPT:
            old.append((s.old_para, Piece("", display(s.old))))
            new.append((s.new_para, Piece("", display(s.new))))
            inline.append((s.new_para, Piece("", display(s.new))))
        elif s.op == MOVED:
            old.append((s.old_para, Piece("mov", display(s.old))))
            new.append((s.new_para, Piece("mov", display(s.new))))
            inline.append((s.new_para, Piece("mov", display(s.new))))
        else:
            if s.op in (REMOVED, SUBSTITUTED):
                old.append((s.old_para, Piece("del", display(s.old))))
                inline.append((s.new_para if s.op == SUBSTITUTED else None, Piece("del", display(s.old))))
            if s.op in (ADDED, SUBSTITUTED):
                new.append((s.new_para, Piece("ins", display(s.new))))
                inline.append((s.new_para, Piece("ins", display(s.new))))
    changed = [s for s in segments if s.op != KEPT]
    ops = sorted({s.op for s in segments})
    kinds = sorted({s.kind for s in changed if s.kind})
    whole = [s for s in changed if s.kind != EDIT or s.op == MOVED]
    labels = sorted({label(s) for s in whole}) or (["edited"] if changed else [])
    fold = kinds[0] if len(kinds) == 1 and kinds[0] in FOLDED and len(changed) == len(segments) else None
    classes = " ".join(["row", "r-changed" if changed else "r-kept"]
                       + [f"op-{op}" for op in ops] + [f"k-{k}" for k in kinds])
    words = sum(max(s.old_words, s.new_words) for s in segments)
    return Row(classes, ", ".join(labels), fold, words, _paragraphs(old), _paragraphs(new), _paragraphs(inline))


def _items(result: Diff) -> list[Row | Fold]:
    items: list[Row | Fold] = []
    for segments in result.blocks():
        row = _row(segments)
        last = items[-1] if items else None
        if row.fold is not None:
            if isinstance(last, Fold) and last.kind == row.fold:
                last.rows.append(row)
            else:
                items.append(Fold(row.fold, "", [row]))
        else:
            items.append(row)
    for item in items:
        if isinstance(item, Fold):
            n, words = len(item.rows), sum(r.words for r in item.rows)
            labels = sorted({r.label for r in item.rows})
            item.title = (f"{', '.join(labels)}: {n} paragraph{'s' * (n != 1)}, "
                          f"{words} word{'s' * (words != 1)}")
    return items


def _summary(result: Diff) -> dict[str, Any]:
    sm = result.summary
    return {
        "origin_kept": f"{sm.origin_kept:.0%}", "copy_new": f"{sm.copy_new:.0%}",
        "added": sm.words_added, "removed": sm.words_removed,
        "substituted_old": sm.words_substituted_old, "substituted": sm.words_substituted,
        "moved": sm.words_moved, "origin_words": sm.origin_words, "copy_words": sm.copy_words,
        "kinds": [(k.replace("_", " "), v) for k, v in sm.kinds],
    }


def _meta(result: ScanResult | None, row: Any) -> dict[str, Any]:
    """What a page shows of an article: from its text's record, or (result None: no text read)
    from its row of `documents`."""
    article = result.article(row.doc_id) if result is not None else row
    url = _text(article.url)
    return {
        "id": row.doc_id, "title": _text(article.title), "site": _text(row.site),
        "url": url, "href": safe_url(url), "published": _text(article.published),
        "author": _text(article.author), "relation": _text(row.relation), "words": int(row.words),
        "lang": _text(getattr(row, "language", "")),
        "jaccard": "" if _text(row.jaccard) == "" else f"{float(row.jaccard):.2f}",
        "containment": ("" if _text(row.containment_in_origin) == ""
                        else f"{float(row.containment_in_origin):.0%}"),
    }


# --------------------------------------------------------------------------------------------
# Writing


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("syndup", "templates"), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             finalize=visible)
    env.filters["bdi"] = bdi
    from importlib.resources import files

    base = files("syndup") / "templates"
    assets = {}
    for name in _RESOURCES:
        body = (base / name).read_text(encoding="utf-8")
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        assets[name.split(".")[1]] = (Markup(body), f"'sha256-{digest}'")
    env.globals["css"], env.globals["css_hash"] = assets["css"]
    env.globals["js"], env.globals["js_hash"] = assets["js"]
    return env


def _write(out: Path, name: str, html: str) -> Path:
    path = out / name
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*\.html", name):  # so `path` is a file right in `out`
        raise OutputError(f"refusing to write report page {name!r} outside {out}")  # pragma: no cover
    try:
        path.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write report page {path}: {exc.strerror or exc}") from exc
    return path


def write_report(result: ScanResult, out_dir: str | Path, *, max_diffs: int = MAX_DIFFS,
                 max_copies: int | None = MAX_COPIES, jobs: int | None = None) -> Path:
    """Write `out_dir/index.html` and one page per cluster of copies; returns the index path.

    Each page diffs every copy against the cluster's origin (`syndup.diff`, with the scan's
    boilerplate); clusters with more than `max_diffs` copies list the rest by their summary only,
    and once `max_copies` copies are diffed (largest clusters first; None: no limit) the pages of
    the smaller clusters list their members without diffs. Pages are written by `jobs` processes
    (None: all cores). The report is built in a staging folder and swapped in whole: an earlier
    report stays as it was until then, and files of its folder that syndup did not write are kept.
    """
    out = Path(out_dir)
    with Staging(out.parent) as staging:
        build_report(result, staging.path / out.name, previous=out, max_diffs=max_diffs, max_copies=max_copies,
                     jobs=jobs)
        staging.commit()
    return out / "index.html"


def build_report(result: ScanResult, out: Path, *, previous: Path | None = None,
                 max_diffs: int = MAX_DIFFS, max_copies: int | None = MAX_COPIES,
                 jobs: int | None = None) -> Path:
    """`write_report` into `out`, a folder that does not exist yet (not atomic: a staging folder's job).

    Files in `previous` (the report this one will replace) that syndup did not write are carried
    over (hard links where possible).
    """
    try:
        out.mkdir(parents=True)
    except OSError as exc:
        raise OutputError(f"cannot create report folder {out}: {exc.strerror or exc}") from exc
    env = _environment()
    docs = result.documents
    clusters = result.clusters.sort_values(["size", "cluster_id"], ascending=[False, True])
    multi = list(clusters[clusters["size"] > 1].itertuples())

    names: dict[int, str] = {}
    taken: dict[str, str] = {}
    for row in multi:
        name = page_name(str(row.origin_id))
        base = name
        n = 2
        while name in taken and taken[name] != row.origin_id:  # a hash collision: vanishingly rare
            name = f"{base[:-5]}-{n}.html"
            n += 1
        taken[name] = row.origin_id
        names[int(row.cluster_id)] = name

    cluster_of = dict(zip(docs["doc_id"], docs["cluster_id"].astype(int)))
    partial: dict[int, list[dict[str, Any]]] = {}
    if len(result.pairs):
        for p in result.pairs[result.pairs["relation"] == "partial"].itertuples():
            for mine, other in ((p.doc_a, p.doc_b), (p.doc_b, p.doc_a)):
                cid, ocid = cluster_of[mine], cluster_of[other]
                partial.setdefault(cid, []).append({
                    "doc": mine, "other": other, "cluster": ocid, "page": names.get(ocid),
                    "jaccard": f"{float(p.jaccard):.2f}"})

    # Members of every cluster of copies in one pass (not one scan of `documents` per cluster).
    members: dict[int, list[Any]] = {}
    for doc in docs[docs["cluster_size"] > 1].sort_values("doc_id").itertuples():
        members.setdefault(int(doc.cluster_id), []).append(doc)

    # Each story's articles, for the timeline on its cluster pages.
    from .report_sites import write_site_pages

    story_size = docs["story_id"].value_counts()
    stories: dict[int, list[Any]] = {}
    for doc in docs[docs["story_id"].map(story_size) > 1].sort_values("doc_id").itertuples():
        stories.setdefault(int(doc.story_id), []).append(doc)
    # Their dates parsed once, for every timeline (not a parse per page).
    from .stages.origins import parse_dates

    shown_dates = sorted({_text(d.published) for story in stories.values() for d in story} - {""})
    dates = dict(zip(shown_dates, parse_dates(shown_dates)))

    # The largest clusters are diffed until `max_copies` copies are; the rest get member lists.
    budget = math.inf if max_copies is None else max_copies
    diffed: list[bool] = []
    for row in multi:
        diffed.append(budget > 0)
        budget -= int(row.size) - 1 if budget > 0 else 0
    pages = _ClusterPages(result, env, names, members, partial, stories, dates, max_diffs, max_copies, out)
    work = list(zip(multi, diffed))
    execution = Execution.local(jobs)
    index_rows = [r for run in execution.map_split(pages.write, work, minimum=64,
                                                   load=[int(row.size) if d else 1 for row, d in work])
                  for r in run]
    has_sites = write_site_pages(result, env, out, names, _write)
    if previous is not None:
        _carry_over(previous, out)
    unique = int((docs["role"] == "unique").sum())
    skipped = sum(1 for p in result.problems if p.skipped)
    index = env.get_template("index.html").render(
        rows=index_rows[:INDEX_PAGE], n_rows=len(index_rows), page_size=INDEX_PAGE,
        rows_json=_rows_json(index_rows), kinds=[k.replace("_", " ") for k in KINDS], unique=unique,
        articles=result.articles_read, skipped=skipped,
        copies=int((docs["role"] == "copy").sum()), undiffed=sum(1 for d in diffed if not d),
        max_copies=max_copies,
        partial_pairs=int((result.pairs["relation"] == "partial").sum()) if len(result.pairs) else 0,
        unique_partial=sum(1 for cid, links in partial.items() if cid not in names for _ in links),
        has_sites=has_sites, title="syndup report")
    return _write(out, "index.html", index)


#: The index table's columns as the page's script sorts them (each a key of a row's JSON).
INDEX_SORT_KEYS = ("id", "size", "origin", "sites", "first", "kinds", "kept", "partial")


def _rows_json(rows: list[dict[str, Any]]) -> str:
    """The index's rows as JSON for the page's script (paging, sorting, filtering): every text
    already `visible`, so no control or bidi override reaches the page."""
    keep = ("id", "size", "page", "origin", "title", "rule", "sites", "first", "last", "kinds", "kept",
            "kept_share", "partial")
    return json.dumps([{k: visible(r[k]) for k in keep} for r in rows], ensure_ascii=False,
                      separators=(",", ":"))


@dataclass
class _ClusterPages:
    """Writes cluster pages (in whichever process runs `write`) and returns their index rows."""

    result: ScanResult
    env: Any
    names: dict[int, str]
    members: dict[int, list[Any]]
    partial: dict[int, list[dict[str, Any]]]
    stories: dict[int, list[Any]]
    #: each date of the stories' articles (as `_text` shows it), parsed
    dates: dict[str, Any]
    max_diffs: int
    max_copies: int | None
    out: Path
    template: Any = None

    def write(self, work: list[tuple[Any, bool]]) -> list[dict[str, Any]]:
        """Write the page of each (cluster row, diffed) in `work`; their index rows, in order."""
        self.template = self.env.get_template("cluster.html")
        return [self.page(row, diffed) for row, diffed in work]

    def page(self, row: Any, diffed: bool) -> dict[str, Any]:
        """Write one cluster's page; its row of the index."""
        from .report_sites import timeline

        result = self.result
        cid = int(row.cluster_id)
        members = self.members[cid]
        origin_row = next(m for m in members if m.doc_id == row.origin_id)
        copies = []
        kind_totals = dict.fromkeys(KINDS, 0)
        kept_shares = []
        if not diffed:  # members and their figures from the tables: no text is read
            copies = [CopyView(n, _meta(None, m), {}, changed=True, shown=False)
                      for n, m in enumerate((m for m in members if m.doc_id != row.origin_id), start=1)]
        origin_text = result.text(row.origin_id) if diffed else ""
        for n, m in enumerate((m for m in members if m.doc_id != row.origin_id and diffed), start=1):
            shown = n <= self.max_diffs
            d = diff(origin_text, result.text(m.doc_id), boilerplate=result.boilerplate)
            for k, v in d.summary.kinds:
                kind_totals[k] += v
            kept_shares.append(d.summary.origin_kept)
            view = CopyView(n, _meta(result, m), _summary(d), changed=d.summary.changed, shown=shown)
            if view.shown:
                view.items = _items(d)
            copies.append(view)
        origin = _meta(result if diffed else None, origin_row)
        origin_paras = [display(p) for p in _origin_paragraphs(origin_text)]
        html = self.template.render(
            cluster=row, origin=origin, origin_paras=origin_paras, copies=copies,
            partial=self.partial.get(cid, []), max_diffs=self.max_diffs, diffed=diffed,
            max_copies=self.max_copies, title=origin["title"] or origin["id"],
            timeline=timeline(self.stories.get(int(row.story_id), []), row.origin_id, cid, self._parsed))
        _write(self.out, self.names[cid], html)
        kept = sum(kept_shares) / len(kept_shares) if kept_shares else None
        return {
            "id": cid, "size": int(row.size), "page": self.names[cid], "origin": row.origin_id,
            "title": _text(row.origin_title), "rule": _text(row.origin_rule),
            "sites": ", ".join(row.sites), "first": _text(row.first_published)[:10],
            "last": _text(row.last_published)[:10],
            "kinds": [kind_totals[k] for k in KINDS] if diffed else [None] * len(KINDS),
            "kept": f"{kept:.0%}" if kept is not None else "", "kept_share": kept,
            "partial": int(row.partial_links),
        }


    def _parsed(self, values: list[str | None]) -> list[Any]:
        """The stories' dates as `parse_dates` gives them, looked up."""
        return [self.dates.get(v) if v else None for v in values]


def _carry_over(old: Path, new: Path) -> None:
    """Link into `new` what the report folder `old` holds that syndup did not write (notes, say)."""
    if not old.is_dir() or old.is_symlink():
        return
    for path in old.iterdir():
        if (new / path.name).exists() or _ours(path):
            continue
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.copytree(path, new / path.name, symlinks=True, copy_function=_link_or_copy)
            else:
                _link_or_copy(str(path), str(new / path.name))
        except OSError as exc:
            raise OutputError(f"cannot keep {path} in the new report: {exc.strerror or exc}") from exc


def _ours(path: Path) -> bool:
    """Whether `path` is a page an earlier report wrote (by name and generator tag)."""
    if not re.fullmatch(r"index\.html|sites\.html|network\.html|[cs]-[a-z0-9-]+\.html", path.name) \
            or not path.is_file():
        return False
    try:
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            return '<meta name="generator" content="syndup">' in fh.read(2048)
    except OSError:
        return False


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)


def _origin_paragraphs(text: str) -> list[str]:
    from .normalize import paragraphs

    return [p for p in paragraphs(text) if p.strip()]

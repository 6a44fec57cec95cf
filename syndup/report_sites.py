"""The report's pages about sites: the network drawing, the sites table, a page per site, and each
story's timeline on its cluster pages.

Drawings are inline SVG laid out here (`network.layout`), sized and placed by attributes only (the
pages' Content-Security-Policy allows no inline style); every name in them is text that Jinja
escapes. Site pages are named by `report.page_name(site, "s")`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .network import HABITS, SITE_COLUMNS, layout
from .report import page_name

#: Sites drawn in the network (those with most copies made and suffered); the rest are in the table.
MAX_NODES = 60
#: Edges listed under the drawing and rows of a site's cluster list.
MAX_EDGES = 200
MAX_SITE_CLUSTERS = 500
#: Articles on one story's timeline; the rest are counted.
MAX_TIMELINE = 60
_W, _H, _PAD = 1000, 640, 70
_TEXT_COLUMNS = ("main_sources", "main_republishers")


@dataclass(frozen=True)
class Node:
    site: str
    page: str
    x: float
    y: float
    r: float
    label_y: float
    articles: int
    copies_made: int
    copies_suffered: int


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float
    title: str


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _hours(value: float) -> str:
    """A lag for people: minutes, hours or days."""
    if value != value:
        return ""
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value < 1:
        return f"{sign}{value * 60:.0f} min"
    if value < 48:
        return f"{sign}{value:.1f} h"
    return f"{sign}{value / 24:.1f} d"


def site_pages(sites: pd.DataFrame) -> dict[str, str]:
    """Each site's page name (collisions of the short hash numbered, as cluster pages are)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for site in sites["site"].tolist():
        name = base = page_name(str(site), "s")
        n = 2
        while name in taken:
            name = f"{base[:-5]}-{n}.html"
            n += 1
        taken.add(name)
        names[str(site)] = name
    return names


def drawing(sites: pd.DataFrame, network: pd.DataFrame, pages: dict[str, str]) -> tuple[list[Node], list[Line], int]:
    """The network's nodes and edges in SVG coordinates, and how many linked sites were left out."""
    linked = sites[(sites["copies_made"] + sites["copies_suffered"]) > 0].copy()
    linked["weight"] = linked["copies_made"] + linked["copies_suffered"]
    drawn = linked.sort_values(["weight", "site"], ascending=[False, True]).head(MAX_NODES)
    names = [str(s) for s in drawn["site"]]
    keep = set(names)
    edges = network[network["origin_site"].isin(keep) & network["copy_site"].isin(keep)]
    pos = layout(names, [(str(e.origin_site), str(e.copy_site), float(e.copies)) for e in edges.itertuples()])
    most = max([int(a) for a in drawn["articles"]] or [1])
    nodes = {}
    for row in drawn.itertuples():
        x, y = pos[str(row.site)]
        r = 6 + 22 * math.sqrt(int(row.articles) / most)
        cx, cy = _PAD + x * (_W - 2 * _PAD), _PAD + y * (_H - 2 * _PAD)
        nodes[str(row.site)] = Node(str(row.site), pages[str(row.site)], round(cx, 1), round(cy, 1), round(r, 1),
                                    round(cy + r + 14, 1), int(row.articles), int(row.copies_made),
                                    int(row.copies_suffered))
    top = max([int(c) for c in edges["copies"]] or [1])
    lines = []
    for e in edges.itertuples():
        a, b = nodes[str(e.origin_site)], nodes[str(e.copy_site)]
        dx, dy = b.x - a.x, b.y - a.y
        dist = math.hypot(dx, dy) or 1.0
        # From the origin's rim to the copier's rim, where the arrowhead points.
        x1, y1 = a.x + dx / dist * a.r, a.y + dy / dist * a.r
        x2, y2 = b.x - dx / dist * (b.r + 2), b.y - dy / dist * (b.r + 2)
        lines.append(Line(round(x1, 1), round(y1, 1), round(x2, 1), round(y2, 1),
                          round(1 + 7 * math.sqrt(int(e.copies) / top), 1),
                          f"{e.origin_site} \u2192 {e.copy_site}: {e.copies} copies"))
    return list(nodes.values()), lines, len(linked) - len(drawn)


def edge_rows(edges: Sequence[dict[str, Any]], pages: dict[str, str], limit: int = MAX_EDGES) -> list[dict[str, Any]]:
    """The network's edges (its rows as records, in order) for a table: sites, copies, lags and the
    habits seen."""
    rows = []
    for e in edges[:limit]:
        rows.append({
            "origin": str(e["origin_site"]), "origin_page": pages.get(str(e["origin_site"])),
            "copier": str(e["copy_site"]), "copier_page": pages.get(str(e["copy_site"])), "copies": int(e["copies"]),
            "median": _hours(float(e["median_lag_hours"])), "p90": _hours(float(e["p90_lag_hours"])),
            "habits": [(h.replace("_", " "), f"{e[h]:.0%}") for h in HABITS if e[h] > 0],
        })
    return rows


def site_rows(sites: pd.DataFrame, pages: dict[str, str]) -> list[dict[str, Any]]:
    """The sites table's rows, each cell with the value it sorts by."""
    rows = []
    for r in sites.to_dict("records"):
        cells = []
        for c in SITE_COLUMNS[1:]:
            v = r[c]
            if c == "copy_share":
                cells.append((f"{float(v):.0%}", f"{float(v):.6f}", True))
            elif c in _TEXT_COLUMNS:
                cells.append((_text(v).replace(";", ","), _text(v), False))
            else:
                cells.append((str(int(v)), str(int(v)), True))
        rows.append({"site": str(r["site"]), "page": pages[str(r["site"])], "cells": cells})
    return rows


def site_view(site: str, row: dict[str, Any], sources: Sequence[dict[str, Any]],
              republishers: Sequence[dict[str, Any]], mine: Sequence[dict[str, Any]],
              cluster_pages: dict[int, str], pages: dict[str, str]) -> dict[str, Any]:
    """What a site's page shows: its figures, who it copies (`sources`: edges of the network as
    records) and who copies it (`republishers`), and its articles in clusters (`mine`: rows of
    documents as records, by cluster and id)."""
    clusters = []
    for d in mine[:MAX_SITE_CLUSTERS]:
        cid = int(d["cluster_id"])
        clusters.append({"id": cid, "page": cluster_pages.get(cid), "doc": d["doc_id"], "role": d["role"],
                         "credit": _text(d.get("credit", "")), "title": _text(d["title"])})
    return {
        "site": site, "figures": [(c.replace("_", " "), row[c]) for c in SITE_COLUMNS[1:]],
        "sources": edge_rows(sources, pages), "republishers": edge_rows(republishers, pages),
        "clusters": clusters, "more": max(0, len(mine) - MAX_SITE_CLUSTERS),
    }


def _by(records: Iterable[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    """`records` grouped by their `key` (as text), each group in the records' order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault(str(r[key]), []).append(r)
    return groups


# --------------------------------------------------------------------------------------------
# Timelines


@dataclass(frozen=True)
class Mark:
    """One article on a story's timeline."""

    y: float
    x: float
    label: str
    lag: str
    role: str
    cluster: int
    here: bool


def timeline(story: Sequence[Any], origin_id: str, cluster_id: int,
             parse: Callable[[list[str | None]], list[Any]]) -> dict[str, Any] | None:
    """The dated articles of a story (rows of documents) on a time axis, as lags from the origin of
    cluster `cluster_id` (or from the story's first date when that origin is undated)."""
    dates = parse([_text(d.published) or None for d in story])
    dated = [(t, d) for t, d in zip(dates, story) if t is not None]
    if len(dated) < 2:
        return None
    zero = next((t for t, d in dated if d.doc_id == origin_id), None)
    if zero is None:
        zero = min(t for t, _ in dated)
    dated.sort(key=lambda td: (td[0], td[1].doc_id))
    shown = dated[:MAX_TIMELINE]
    lags = [(t - zero).total_seconds() / 3600 for t, _ in shown]
    low, high = min(0.0, *lags), max(0.0, *lags)
    span = high - low or 1.0
    left, right, top, step = 300, 900, 36, 22
    marks = []
    for k, ((_, d), lag) in enumerate(zip(shown, lags)):
        x = left + (lag - low) / span * (right - left)
        role = "origin" if d.doc_id == origin_id else ("copy" if int(d.cluster_id) == cluster_id else "other")
        marks.append(Mark(top + k * step, round(x, 1), _text(d.site) or str(d.doc_id), _hours(lag) or "0 min",
                          role, int(d.cluster_id), int(d.cluster_id) == cluster_id))
    ticks = [(round(left + (v - low) / span * (right - left), 1), _hours(v) or "0")
             for v in sorted({low, 0.0, high})]
    return {"marks": marks, "ticks": ticks, "height": top + len(shown) * step + 10, "axis_y": top - 18,
            "zero_x": round(left + (0.0 - low) / span * (right - left), 1), "left": left, "right": right,
            "undated": len(story) - len(dated), "more": len(dated) - len(shown)}


def write_site_pages(result: Any, env: Any, out: Path, cluster_pages: dict[int, str],
                     write: Callable[[Path, str, str], Path]) -> bool:
    """Write sites.html, network.html and a page per site, when any article has a site; says whether."""
    sites, network = result.sites, result.network
    if not len(sites):
        return False
    pages = site_pages(sites)
    nodes, lines, left_out = drawing(sites, network, pages)
    edges = network.to_dict("records")
    write(out, "network.html", env.get_template("network.html").render(
        title="Site network", nodes=nodes, lines=lines, left_out=left_out, width=_W, height=_H,
        edges=edge_rows(edges, pages), n_edges=len(network), n_sites=len(sites)))
    write(out, "sites.html", env.get_template("sites.html").render(
        title="Sites", rows=site_rows(sites, pages),
        columns=[(c.replace("_", " "), c not in _TEXT_COLUMNS) for c in SITE_COLUMNS[1:]]))
    # Each site's edges and articles in clusters, grouped once (not a scan of the tables per site).
    sources, republishers = _by(edges, "copy_site"), _by(edges, "origin_site")
    docs = result.documents
    columns = [c for c in ("cluster_id", "doc_id", "role", "credit", "title", "site") if c in docs.columns]
    in_clusters = docs.loc[docs["cluster_size"] > 1, columns].sort_values(["cluster_id", "doc_id"])
    articles = _by(in_clusters[in_clusters["site"].notna()].to_dict("records"), "site")
    site_tpl = env.get_template("site.html")
    for row in sites.to_dict("records"):
        site = str(row["site"])
        view = site_view(site, row, sources.get(site, []), republishers.get(site, []), articles.get(site, []),
                         cluster_pages, pages)
        write(out, pages[site], site_tpl.render(title=site, view=view))
    return True

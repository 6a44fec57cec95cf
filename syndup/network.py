"""Who copies whom: per-site figures, the network of sites copying sites, and laundered credits.

Computed from a scan's tables and, for each copy, the typed diff against its origin (`diff.diff`)
and the credits both texts state (`cluster.attributions`, the one definition of a credit line):
the texts the scan kept are read again, never the corpus.

- `credit_column`: for each copy, whether it kept its origin's credit (`CREDITS`).
- `copy_table`: one row per copy: its origin, sites, lag and change habits.
- `site_table` and `edge_table`: `ScanResult.sites` and `ScanResult.network`.
- `graph` and `write_graph`: the same as a networkx graph, GraphML and GEXF (the `network` extra).
- `layout`: node positions for the report's drawing (numpy, no extra).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .cluster import attributions, credits
from .diff import ADDED, ATTRIBUTION, BOILERPLATE, COMMENTS, LINK_SUBSTITUTION, REMOVED, TRUNCATION, diff
from .errors import OutputError, require
from .execution import Execution
from .normalize import words

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

# What a copy did with its origin's credit (the `credit` column of documents.csv).
KEPT = "kept"                      # it credits the origin: its site, its byline or the source it credits
DROPPED = "dropped"                # the origin credits someone (a byline, a source line); the copy credits no one
REPLACED = "replaced"              # the copy credits someone else and not the origin
NONE_IN_ORIGIN = "none_in_origin"  # neither credits anyone: there was no credit to keep
CREDITS = (KEPT, DROPPED, REPLACED, NONE_IN_ORIGIN)

#: A copy's change habits, each a yes/no per copy and a share of its copies per edge.
HABITS = ("adds_boilerplate", "adds_comments", "adds_credit", "drops_credit", "replaces_credit",
          "swaps_embeds", "truncates", "retitles")

SITE_COLUMNS = ["site", "articles", "originals", "copies_made", "copies_suffered", "self_copies", "partial_made",
                "partial_suffered", "copy_share", "credits_kept", "credits_dropped", "credits_replaced",
                "credits_lost", "main_sources", "main_republishers"]
NETWORK_COLUMNS = ["origin_site", "copy_site", "copies", "dated", "habits_from", "median_lag_hours", "p90_lag_hours",
                   *HABITS, "origin_kept"]
#: The habits read from a copy's diff (the rest come from its credit and headline).
_DIFFED = ("adds_boilerplate", "adds_comments", "adds_credit", "swaps_embeds", "truncates")
COPY_COLUMNS = ["doc_id", "origin_id", "origin_site", "copy_site", "lag_hours", "credit", *HABITS, "origin_kept",
                "diffed"]
#: Copies per edge whose diffs are read: a bigger edge's diff-read habits (`_DIFFED`, `origin_kept`)
#: are shares of a sample of this many, chosen by a hash of their ids (the same every run; a share's
#: standard error is then at most 3.5 points), so that the network costs at most this many diffs
#: per edge however many copies a site makes.
HABIT_SAMPLE = 200
#: Diffs the whole network may cost: past it, every edge's sample shrinks alike, down to one copy
#: for each of the largest edges and none for the rest (as the report diffs only its largest
#: clusters), so that a corpus of thousands of small edges costs at most this many diffs.
HABIT_BUDGET = 3000
#: Sites named in `main_sources` and `main_republishers`.
MAIN = 3
#: Copies worth diffing in forked processes (a diff takes about 5-15 ms).
FORK_COPIES = 64


# --------------------------------------------------------------------------------------------
# Credits


@dataclass(frozen=True)
class Credited:
    """Who an article credits: the names its credit lines give, and its byline (`author`)."""

    names: tuple[str, ...]
    author: str | None

    @classmethod
    def of(cls, text: str, author: object) -> Credited:
        """The credits of an article's text and its author field."""
        return cls.named(tuple(attributions(text)), author)

    @classmethod
    def named(cls, names: tuple[str, ...], author: object) -> Credited:
        """The credits of an article whose text's credit lines name `names` (`attributions`)."""
        return cls(names, author if isinstance(author, str) and author.strip() else None)

    def parties(self) -> list[str]:
        """Every party it credits: its credit lines' names, then its byline."""
        return [*self.names, *([self.author] if self.author else [])]


def _same_name(a: str, b: str) -> bool:
    """Two credits name the same party: the words of one hold all the words of the other."""
    wa, wb = set(words(a)), set(words(b))
    return bool(wa) and bool(wb) and (wa <= wb or wb <= wa)


def judge_credit(origin: Credited, copy: Credited, origin_site: str | None, origin_url: str | None) -> str | None:
    """What a copy did with its origin's credit (one of `CREDITS`).

    `kept` when a credit of the copy names the origin's site or URL (`cluster.credits`), or a
    party the origin credits (its byline, its source line); else `replaced` when the copy credits
    someone; else `dropped` when the origin credited someone; else `none_in_origin`. None (not
    known) when the copy credits someone but the origin has no site, URL or credit to check that
    name against: it may well be the origin's publisher, and calling it laundered would be a guess.
    """
    theirs = origin.parties()
    mine = copy.parties()
    for name in mine:
        if credits(name, origin_site, origin_url) or any(_same_name(name, o) for o in theirs):
            return KEPT
    if mine and not theirs and not origin_site and not origin_url:
        return None
    if mine:
        return REPLACED
    return DROPPED if theirs else NONE_IN_ORIGIN


def credit_column(documents: pd.DataFrame, clusters: pd.DataFrame, text: Callable[[int], str],
                  named: Mapping[int, tuple[str, ...]] | None = None) -> list[str | None]:
    """The `credit` of every row of `documents` (None but for copies); `text(row)` reads a row's text.

    Each origin's credits are read once, each copy's once: one regex pass over the texts of the
    clusters' members, but for the rows in `named` (the names their texts credit, read already).
    """
    out: list[str | None] = [None] * len(documents)
    roles = documents["role"].tolist()
    copies = [k for k, role in enumerate(roles) if role == "copy"]
    if not copies:
        return out
    row_of = {doc: k for k, doc in enumerate(documents["doc_id"].tolist())}
    origin_of = dict(zip(clusters["cluster_id"].tolist(), clusters["origin_id"].tolist()))
    cluster = documents["cluster_id"].tolist()
    authors, sites, urls = (documents[c].tolist() for c in ("author", "site", "url"))
    known = named or {}

    def credited(k: int) -> Credited:
        names = known.get(k)
        return Credited.of(text(k), authors[k]) if names is None else Credited.named(names, authors[k])

    seen: dict[int, Credited] = {}
    for k in copies:
        o = row_of[origin_of[cluster[k]]]
        if o not in seen:
            seen[o] = credited(o)
        out[k] = judge_credit(seen[o], credited(k), _str(sites[o]), _str(urls[o]))
    return out


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


# --------------------------------------------------------------------------------------------
# Copies


def habits(origin_text: str, copy_text: str, boilerplate: Collection[int] = frozenset()) -> dict[str, Any]:
    """What one copy did to its origin's text, read from their typed diff: the habits it shows
    (`adds_boilerplate`: a disclaimer, copyright or share line; `adds_comments`; `adds_credit`: a
    credit line the origin lacks; `swaps_embeds`: "Click here" lines for embeds; `truncates`: the
    origin's end cut off) and the share of the origin it kept."""
    d = diff(origin_text, copy_text, boilerplate=boilerplate)
    added = {s.kind for s in d.segments if s.op == ADDED}
    return {
        "adds_boilerplate": BOILERPLATE in added, "adds_comments": COMMENTS in added,
        "adds_credit": ATTRIBUTION in added,
        "swaps_embeds": any(s.kind == LINK_SUBSTITUTION for s in d.changes),
        "truncates": any(s.op == REMOVED and s.kind == TRUNCATION for s in d.segments),
        "origin_kept": d.summary.origin_kept,
    }


def _retitled(a: object, b: object) -> bool:
    """Both have a headline and their words differ."""
    wa, wb = words(a) if isinstance(a, str) else [], words(b) if isinstance(b, str) else []
    return bool(wa) and bool(wb) and wa != wb


def copy_table(documents: pd.DataFrame, clusters: pd.DataFrame, text: Callable[[str], str],
               boilerplate: Collection[int] = frozenset(), execution: Execution | None = None) -> pd.DataFrame:
    """One row per copy (`COPY_COLUMNS`): its origin, both sites, the lag in hours where both are
    dated, its credit and its change habits (`habits`); `text(doc_id)` reads an article's text.
    Only copies between two different known sites feed the network's habits, so only they are
    diffed, at most `HABIT_SAMPLE` per edge and `HABIT_BUDGET` in all (`diffed`; the others' diff-read habits are False and
    `origin_kept` NaN): a corpus without sites costs no diff. The diffs are split between
    `execution`'s processes when there are `FORK_COPIES` or more."""
    from .stages.origins import parse_dates

    origin_of = dict(zip(clusters["cluster_id"].tolist(), clusters["origin_id"].tolist()))
    site_of = dict(zip(documents["doc_id"], documents["site"]))
    title_of = dict(zip(documents["doc_id"], documents["title"]))
    published = dict(zip(documents["doc_id"], parse_dates(documents["published"].where(
        documents["published"].notna(), None).tolist())))
    # By cluster, so that each origin's text is read once (once per process).
    copies = documents[documents["role"] == "copy"].sort_values(["cluster_id", "doc_id"], kind="stable")
    items = [(c.doc_id, origin_of[c.cluster_id], getattr(c, "credit", None)) for c in copies.itertuples(index=False)]
    edges: dict[tuple[str, str], list[str]] = {}
    for doc_id, origin_id, _ in items:
        o_site, c_site = _str(site_of[origin_id]), _str(site_of[doc_id])
        if o_site is not None and c_site is not None and o_site != c_site:
            edges.setdefault((o_site, c_site), []).append(doc_id)
    caps = _per_edge([len(ids) for ids in edges.values()], HABIT_SAMPLE, HABIT_BUDGET)
    sampled = {d for ids, cap in zip(edges.values(), caps) for d in sorted(ids, key=_draw)[:cap]}

    def run(part: list[tuple[str, str, str | None]]) -> list[dict[str, Any]]:
        rows = []
        texts: dict[str, str] = {}
        for doc_id, origin_id, credit in part:
            t_o, t_c = published[origin_id], published[doc_id]
            lag = (t_c - t_o).total_seconds() / 3600 if t_o is not None and t_c is not None else float("nan")
            if doc_id in sampled:
                if origin_id not in texts:
                    texts = {origin_id: text(origin_id)}
                seen = habits(texts[origin_id], text(doc_id), boilerplate)
            else:
                seen = {**dict.fromkeys(_DIFFED, False), "origin_kept": float("nan")}
            rows.append({
                "doc_id": doc_id, "origin_id": origin_id, "origin_site": _str(site_of[origin_id]),
                "copy_site": _str(site_of[doc_id]), "lag_hours": lag, "credit": credit,
                **{k: v for k, v in seen.items() if k != "origin_kept"},
                "drops_credit": credit == DROPPED, "replaces_credit": credit == REPLACED,
                "retitles": _retitled(title_of[origin_id], title_of[doc_id]), "origin_kept": seen["origin_kept"],
                "diffed": doc_id in sampled,
            })
        return rows

    runs = (execution or Execution()).map_split(run, items, minimum=FORK_COPIES)
    rows = [row for part in runs for row in part]
    return pd.DataFrame(rows, columns=COPY_COLUMNS).sort_values("doc_id", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Tables


def _per_edge(sizes: list[int], most: int, budget: int) -> list[int]:
    """How many copies of each edge to diff: the same number for all (at most `most`), the largest
    that fits `budget`; with more edges than `budget`, one for each of the `budget` largest edges
    (the first of equal ones) and none for the rest, whose diff-read habits are then empty."""
    if len(sizes) > budget:
        largest = set(sorted(range(len(sizes)), key=lambda e: -sizes[e])[:budget])
        return [1 if e in largest else 0 for e in range(len(sizes))]
    low, high = 1, most
    while low < high:
        mid = (low + high + 1) // 2
        if sum(min(n, mid) for n in sizes) <= budget:
            low = mid
        else:
            high = mid - 1
    return [low] * len(sizes)


def _draw(doc_id: str) -> bytes:
    """A copy's place in its edge's sample: a hash of its id, so the sample is the same every run."""
    return hashlib.blake2b(doc_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()


def edge_table(copies: pd.DataFrame) -> pd.DataFrame:
    """`network.csv`: one row per (origin site, copying site), copies between two different known
    sites only; lags over the copies dated at both ends; habits as shares of the edge's copies (those
    read from diffs: of the `diffed` ones, `habits_from` of them). One grouped pass, not a loop over
    edges: a corpus has thousands of them."""
    cross = copies[copies["origin_site"].notna() & copies["copy_site"].notna()
                   & (copies["origin_site"] != copies["copy_site"])]
    if not len(cross):
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("copies", "dated", "habits_from") else object)
                             for c in NETWORK_COLUMNS})
    diffed = cross["diffed"].astype(bool).to_numpy()
    frame = pd.DataFrame({
        "origin_site": cross["origin_site"].to_numpy(dtype=object), "copy_site": cross["copy_site"].to_numpy(dtype=object),
        "lag": cross["lag_hours"].to_numpy(dtype=np.float64), "diffed": diffed,
        "kept": np.where(diffed, cross["origin_kept"].to_numpy(dtype=np.float64), np.nan),
        **{h: cross[h].astype(bool).to_numpy() & (diffed if h in _DIFFED else True) for h in HABITS},
    })
    g = frame.groupby(["origin_site", "copy_site"], sort=True)
    n, read = g.size(), g["diffed"].sum()
    sums = g[list(HABITS)].sum()
    out = pd.DataFrame({
        "copies": n, "dated": g["lag"].count(), "habits_from": read,
        "median_lag_hours": g["lag"].median(), "p90_lag_hours": g["lag"].quantile(0.9),
        **{h: sums[h] / (read.where(read > 0) if h in _DIFFED else n) for h in HABITS},
        "origin_kept": g["kept"].mean(),
    }).reset_index()[NETWORK_COLUMNS]
    out = out.astype({h: "float64" for h in (*HABITS, "origin_kept", "median_lag_hours", "p90_lag_hours")})
    out = out.sort_values(["copies", "origin_site", "copy_site"], ascending=[False, True, True], kind="stable")
    return out.reset_index(drop=True).astype({"copies": "int64", "dated": "int64", "habits_from": "int64"})


def _top(counter: Counter[str]) -> str:
    return "; ".join(f"{site} ({n})" for site, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:MAIN])


def site_table(documents: pd.DataFrame, pairs: pd.DataFrame, clusters: pd.DataFrame,
               copies: pd.DataFrame) -> pd.DataFrame:
    """`sites.csv`: one row per known site (`SITE_COLUMNS`), most articles first.

    Copies count between two different sites (`self_copies`: a site's copies of its own
    articles). A partial reuse is one per pair of stories (clusters, each standing for its origin)
    on two sites: made by the later-published origin's site, suffered by the earlier's (stories
    not both dated count for neither).
    """
    from .stages.origins import parse_dates

    known = documents[documents["site"].notna() & (documents["site"] != "")]
    sites = sorted(set(known["site"]))
    per = {s: Counter[str]() for s in sites}
    for s, g in known.groupby("site"):
        per[s]["articles"] = len(g)
        per[s]["originals"] = int(g["role"].isin(["origin", "unique"]).sum())
    both = copies[copies["origin_site"].notna() & copies["copy_site"].notna()]
    sources = {s: Counter[str]() for s in sites}
    republishers = {s: Counter[str]() for s in sites}
    for c in both.itertuples(index=False):
        if c.origin_site == c.copy_site:
            per[c.copy_site]["self_copies"] += 1
            continue
        per[c.copy_site]["copies_made"] += 1
        per[c.origin_site]["copies_suffered"] += 1
        per[c.copy_site][f"credits_{c.credit}"] += 1
        if c.credit in (DROPPED, REPLACED):
            per[c.origin_site]["credits_lost"] += 1
        sources[c.copy_site][c.origin_site] += 1
        republishers[c.origin_site][c.copy_site] += 1
    if len(pairs):
        # A reuse is between two stories: each side stands for its cluster's origin, counted once.
        site_of = dict(zip(documents["doc_id"], documents["site"]))
        origin_of = dict(zip(clusters["cluster_id"].tolist(), clusters["origin_id"].tolist()))
        head = dict(zip(documents["doc_id"], (origin_of[c] for c in documents["cluster_id"].tolist())))
        published = dict(zip(documents["doc_id"], parse_dates(documents["published"].where(
            documents["published"].notna(), None).tolist())))
        done: set[tuple[str, str]] = set()
        for p in pairs[pairs["relation"] == "partial"].itertuples(index=False):
            a, b = head[p.doc_a], head[p.doc_b]
            sa, sb = _str(site_of[a]), _str(site_of[b])
            ta, tb = published[a], published[b]
            if sa is None or sb is None or sa == sb or ta is None or tb is None or ta == tb or (a, b) in done:
                continue
            done.update([(a, b), (b, a)])
            maker, sufferer = (sa, sb) if ta > tb else (sb, sa)
            per[maker]["partial_made"] += 1
            per[sufferer]["partial_suffered"] += 1
    counts = [c for c in SITE_COLUMNS if c not in ("site", "copy_share", "main_sources", "main_republishers")]
    out = pd.DataFrame({"site": sites, **{c: np.array([per[s][c] for s in sites], dtype=np.int64) for c in counts}})
    out["copy_share"] = out["copies_made"] / out["articles"].where(out["articles"] > 0, 1)
    out["main_sources"] = [_top(sources[s]) for s in sites]
    out["main_republishers"] = [_top(republishers[s]) for s in sites]
    out = out[SITE_COLUMNS].sort_values(["articles", "site"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class Network:
    """A scan's sites, its network of copies between sites, and the copies it is made of."""

    sites: pd.DataFrame
    network: pd.DataFrame
    copies: pd.DataFrame


def analyse(documents: pd.DataFrame, pairs: pd.DataFrame, clusters: pd.DataFrame, text: Callable[[str], str],
            boilerplate: Collection[int] = frozenset(), execution: Execution | None = None) -> Network:
    """The three tables from a scan's tables; `text(doc_id)` reads a text (one diff per copy)."""
    copies = copy_table(documents, clusters, text, boilerplate, execution)
    return Network(site_table(documents, pairs, clusters, copies), edge_table(copies), copies)


# --------------------------------------------------------------------------------------------
# Graph files (networkx)


def _value(v: Any) -> Any:
    """A table value as a graph attribute: Python scalars; an empty text for a missing one."""
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return float(v)
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return v if isinstance(v, (int, str)) else str(v)


def graph(sites: pd.DataFrame, network: pd.DataFrame) -> nx.DiGraph:
    """The network as a networkx DiGraph: a node per site and an edge per (origin site -> copying
    site), with the tables' columns as attributes (needs the `network` extra)."""
    nx = require("networkx", "network", "Writing the site network")
    g = nx.DiGraph()
    text_columns = {"main_sources", "main_republishers"}
    for row in sites.to_dict("records"):
        g.add_node(str(row["site"]), **{k: ("" if k in text_columns and not isinstance(v, str) else _value(v))
                                        for k, v in row.items() if k != "site"})
    for row in network.to_dict("records"):
        g.add_edge(str(row["origin_site"]), str(row["copy_site"]),
                   **{k: _value(v) for k, v in row.items() if k not in ("origin_site", "copy_site")})
    return g


def write_graph(sites: pd.DataFrame, network: pd.DataFrame, folder: str | Path) -> list[Path]:
    """Write `network.graphml` and `network.gexf` (Gephi) into `folder`; returns their paths."""
    nx = require("networkx", "network", "Writing the site network")
    g = graph(sites, network)
    folder = Path(folder)
    paths = [folder / "network.graphml", folder / "network.gexf"]
    try:
        nx.write_graphml(g, paths[0])
        nx.write_gexf(g, paths[1])
    except OSError as exc:
        raise OutputError(f"cannot write the network graph: {exc.strerror or exc}") from exc
    return paths


# --------------------------------------------------------------------------------------------
# Layout for the report's drawing


def layout(nodes: Sequence[str], edges: Sequence[tuple[str, str, float]], *, iterations: int = 300,
           seed: int = 7) -> dict[str, tuple[float, float]]:
    """Positions in [0, 1] x [0, 1] for a force-directed drawing (Fruchterman-Reingold): linked
    sites pull together, all push apart. Deterministic for the same nodes and edges."""
    n = len(nodes)
    if n == 0:
        return {}
    if n == 1:
        return {nodes[0]: (0.5, 0.5)}
    at = {s: k for k, s in enumerate(nodes)}
    angle = 2 * np.pi * np.arange(n) / n
    rng = np.random.default_rng(seed)
    pos = np.column_stack([np.cos(angle), np.sin(angle)]) * 0.5 + rng.uniform(-0.01, 0.01, (n, 2))
    weight = np.zeros((n, n))
    for a, b, w in edges:
        if a in at and b in at and a != b:
            weight[at[a], at[b]] += w
            weight[at[b], at[a]] += w
    weight = np.log1p(weight)
    k = 1.0 / np.sqrt(n)
    step = 0.1
    for _ in range(iterations):
        delta = pos[:, None, :] - pos[None, :, :]
        dist = np.maximum(np.linalg.norm(delta, axis=2), 1e-3)
        force = (k * k / dist**2 - weight * dist / k)[:, :, None] * delta / dist[:, :, None]
        move = force.sum(axis=1)
        length = np.maximum(np.linalg.norm(move, axis=1), 1e-9)
        pos += move / length[:, None] * np.minimum(length, step)[:, None]
        step = max(step * 0.985, 0.002)
    low, high = pos.min(axis=0), pos.max(axis=0)
    span = np.where(high - low > 1e-9, high - low, 1.0)
    pos = (pos - low) / span
    return {s: (float(pos[at[s], 0]), float(pos[at[s], 1])) for s in nodes}

"""The three tables a scan gives (documents, pairs, clusters), built from the stages' handovers.

Their columns are a contract: scripts and the report read them by name. The containment figures
keep their table names; in Python objects the same figures are `Relation.containment_a_in_b`
(pairs' `containment_a_in_b`, and documents' `containment_in_origin` with a = the copy).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from .cluster import CONFIDENCE
from .corpus import Corpus
from .network import DROPPED, HABITS, KEPT, NETWORK_COLUMNS, NONE_IN_ORIGIN, REPLACED, SITE_COLUMNS
from .stages.boilerplate import Boilerplate
from .stages.cluster import Clusters
from .stages.origins import Origins
from .stages.verify import PairTable
from .verify import DUPLICATE, NAMES

DOCUMENT_COLUMNS = ["doc_id", "cluster_id", "story_id", "role", "relation", "jaccard", "containment_in_origin",
                    "origin_containment", "cluster_size", "site", "url", "title", "published",
                    "published_source", "crawled", "author", "words", "boilerplate_words", "source", "credit"]
PAIR_COLUMNS = ["doc_a", "doc_b", "relation", "jaccard", "containment_a_in_b", "containment_b_in_a",
                "shared_shingles", "passage_words"]
CLUSTER_COLUMNS = ["cluster_id", "story_id", "size", "origin_id", "origin_rule", "origin_confidence", "sites",
                   "n_sites", "first_published", "last_published", "duplicates", "copies", "partial_links",
                   "origin_title"]


# The schema: one type per column name, whatever table holds it. The in-memory tables, the CSV and
# Parquet writers (`output.py`) and the reader (`syndup.load`) all take their types from here, so
# a table reads back as it was written. A new column or table needs its line here (and in SCHEMAS).
Kind = Literal["str", "int", "float", "time", "list"]
#: Categorical columns and their categories (one fixed set, so every table's dtype is the same).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "role": ("origin", "copy", "unique"),
    "relation": ("origin", "duplicate", "copy", "partial", "indirect", "unique"),
    #: the rules in the order they are tried (`cluster.CONFIDENCE`), then the fallbacks.
    "origin_rule": (*CONFIDENCE, "id", "unique"),
    #: where `published` came from: the input record, the page's metadata (<meta>, <time>,
    #: JSON-LD), or a date in its URL; empty when there is no date.
    "published_source": ("record", "page", "url"),
    #: what a copy did with its origin's credit (`syndup.network`); empty for non-copies.
    "credit": (KEPT, DROPPED, REPLACED, NONE_IN_ORIGIN),
}
#: Every other column's kind: text ("str", missing as None), "int" (int64), "float" (float64),
#: "time" (a UTC timestamp, microseconds), "list" (a list of strings).
KINDS: dict[str, Kind] = {
    "doc_id": "str", "cluster_id": "int", "story_id": "int", "jaccard": "float", "containment_in_origin": "float",
    "origin_containment": "float", "cluster_size": "int", "site": "str", "url": "str", "title": "str",
    "published": "time", "crawled": "time", "author": "str", "words": "int", "boilerplate_words": "int",
    "source": "str", "doc_a": "str", "doc_b": "str", "containment_a_in_b": "float", "containment_b_in_a": "float",
    "shared_shingles": "int", "passage_words": "int", "size": "int", "origin_id": "str",
    "origin_confidence": "float", "sites": "list", "n_sites": "int", "first_published": "time",
    "last_published": "time", "duplicates": "int", "copies": "int", "partial_links": "int", "origin_title": "str",
    # sites.csv and network.csv (`syndup.network`)
    "articles": "int", "originals": "int", "copies_made": "int", "copies_suffered": "int", "self_copies": "int",
    "partial_made": "int", "partial_suffered": "int", "copy_share": "float", "credits_kept": "int",
    "credits_dropped": "int", "credits_replaced": "int", "credits_lost": "int", "main_sources": "str",
    "main_republishers": "str", "origin_site": "str", "copy_site": "str", "dated": "int",
    "median_lag_hours": "float", "p90_lag_hours": "float", "origin_kept": "float",
    **dict.fromkeys(HABITS, "float"),  # network.csv: shares of an edge's copies
}
#: Each table's columns, in order.
SCHEMAS: dict[str, list[str]] = {"documents": DOCUMENT_COLUMNS, "pairs": PAIR_COLUMNS, "clusters": CLUSTER_COLUMNS,
                                 "sites": SITE_COLUMNS, "network": NETWORK_COLUMNS}


def kind_of(column: str) -> Kind | tuple[str, ...]:
    """A column's declared kind, or its categories; a column without one is a bug, named here."""
    if column in CATEGORIES:
        return CATEGORIES[column]
    try:
        return KINDS[column]
    except KeyError:
        raise KeyError(f"column {column!r} has no declared type: add it to syndup.tables.KINDS") from None


def typed(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """`frame` with the columns of `table`, in order, each of its declared type (see `KINDS`).

    Text: missing and "" are None; times: parsed as UTC (a naive time is taken as UTC; one that
    does not parse is missing); lists: a list of strings per row (None is []).
    """
    out = {}
    for name in SCHEMAS[table]:
        kind, column = kind_of(name), frame[name]
        if isinstance(kind, tuple):
            out[name] = _categories(name, column, kind)
        elif kind == "str":
            out[name] = _text(column)
        elif kind == "int":
            out[name] = column.astype("int64")
        elif kind == "float":
            out[name] = column.astype("float64")
        elif kind == "time":
            out[name] = _times(column)
        else:
            out[name] = pd.Series([_as_list(v) for v in column], index=frame.index, dtype=object)
    return pd.DataFrame(out, index=frame.index, columns=SCHEMAS[table])


#: pandas' own text dtype: "str" from pandas 3 on (missing as NaN); object (missing as None) before.
_STR: object = "str" if int(pd.__version__.split(".")[0]) >= 3 else object


def _text(column: pd.Series) -> pd.Series:
    """Text in pandas' text dtype, missing and "" both missing."""
    if _STR is not object and column.dtype == _STR:  # as built or read: no value to convert one by one
        return column.mask(column == "")
    values = [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) or v == "" else str(v)
              for v in column.tolist()]
    return pd.Series(values, index=column.index, dtype=_STR)


def _categories(name: str, column: pd.Series, categories: tuple[str, ...]) -> pd.Series:
    """A categorical column of these categories; a value outside them is an error, never missing."""
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype) and tuple(dtype.categories) == categories and not dtype.ordered:
        return column
    text = _text(column)
    unknown = set(text.dropna().unique()) - set(categories)
    if unknown:  # pd.Categorical would make them missing, silently
        raise ValueError(f"column {name!r} has values {sorted(unknown)} outside its categories: "
                         "add them to syndup.tables.CATEGORIES")
    return pd.Series(pd.Categorical(text, categories=list(categories)), index=column.index)


def _times(column: pd.Series) -> pd.Series:
    if isinstance(column.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(column.dtype):
        parsed = column if isinstance(column.dtype, pd.DatetimeTZDtype) else column.dt.tz_localize("UTC")
    else:
        values = pd.Series([None if v is None or v == "" else v for v in column.tolist()], dtype=object,
                           index=column.index)
        parsed = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
    return parsed.dt.tz_convert("UTC").astype("datetime64[us, UTC]")


def _as_list(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and value != value):
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Tables:
    """documents: one row per article; pairs: one per related pair; clusters: one per cluster."""

    documents: pd.DataFrame
    pairs: pd.DataFrame
    clusters: pd.DataFrame


def build(corpus: Corpus, boilerplate: Boilerplate, pairs: PairTable, origins: Origins, clusters: Clusters) -> Tables:
    """The three tables, from columns (one Python loop over the clusters of 2+ members)."""
    arts = corpus.articles
    ids = [a.id for a in arts]
    sites = corpus.sites
    c = clusters
    documents = pd.DataFrame({
        "doc_id": ids, "cluster_id": c.cluster_of, "story_id": c.story_of, "role": c.role.tolist(),
        "relation": c.relation.tolist(),
        "jaccard": c.figures[0], "containment_in_origin": c.figures[1], "origin_containment": c.figures[2],
        "cluster_size": c.cluster_size, "site": sites, "url": [a.url for a in arts],
        "title": [a.title for a in arts], "published": origins.published,
        "published_source": [a.published_source or ("record" if a.published else None) if d is not None else None
                             for a, d in zip(arts, origins.published)],
        "crawled": origins.crawled, "author": [a.author for a in arts], "words": corpus.n_words[corpus.order],
        "boilerplate_words": boilerplate.words, "source": [a.origin_ref for a in arts],
    }, columns=DOCUMENT_COLUMNS)

    ids_arr = np.array(ids, dtype=object)
    pair_rows = pd.DataFrame({
        "doc_a": ids_arr[pairs.a].tolist(), "doc_b": ids_arr[pairs.b].tolist(),
        "relation": np.array(NAMES, dtype=object)[pairs.rel.code].tolist(), "jaccard": pairs.rel.jaccard,
        "containment_a_in_b": pairs.rel.containment_a_in_b, "containment_b_in_a": pairs.rel.containment_b_in_a,
        "shared_shingles": pairs.rel.shared, "passage_words": pairs.rel.passage_words,
    }, columns=PAIR_COLUMNS)
    return Tables(typed(documents, "documents"), typed(pair_rows, "pairs"),
                  typed(_clusters(corpus, sites, pairs, origins, clusters), "clusters"))


def _clusters(corpus: Corpus, sites: list[str | None], pairs: PairTable, origins: Origins,
              c: Clusters) -> pd.DataFrame:
    arts = corpus.articles
    published = origins.published
    reuse = ~pairs.rel.clustering  # partial reuse
    partial_links = np.bincount(np.concatenate([c.cluster_of[pairs.a[reuse]], c.cluster_of[pairs.b[reuse]]]),
                                minlength=c.by_id.shape[0] + 1)
    # The groups' rows one by one; the articles alone in columns.
    relation_of = c.relation.tolist()
    g_rows = []
    for g in c.groups:
        member_sites = sorted({s for s in (sites[m] for m in g) if s})
        dates = [d for d in (published[m] for m in g) if d is not None]
        rels = [relation_of[m] for m in g]
        g_rows.append((member_sites, len(member_sites), min(dates) if dates else None, max(dates) if dates else None,
                       rels.count(DUPLICATE), rels.count("copy")))
    alone_list = c.alone.tolist()
    alone_sites = [[sites[m]] if sites[m] else [] for m in alone_list]
    alone_dates = [published[m] for m in alone_list]
    g_cols = list(zip(*g_rows)) if g_rows else [()] * 6
    column = [list(g_cols[0]) + alone_sites, list(g_cols[1]) + [int(bool(s)) for s in alone_sites],
              list(g_cols[2]) + alone_dates, list(g_cols[3]) + alone_dates,
              list(g_cols[4]) + [0] * len(alone_list), list(g_cols[5]) + [0] * len(alone_list)]
    order = c.by_id.tolist()
    origin_list = c.origin[c.by_id].tolist()
    ids = [a.id for a in arts]
    return pd.DataFrame({
        "cluster_id": np.arange(1, c.by_id.shape[0] + 1, dtype=np.int64), "story_id": c.story_id[c.by_id],
        "size": c.size[c.by_id],
        "origin_id": [ids[o] for o in origin_list], "origin_rule": [c.rule[k] for k in order],
        # An article alone is its own origin, beyond doubt.
        "origin_confidence": np.concatenate([origins.confidence, np.ones(len(alone_list))])[c.by_id],
        "sites": [column[0][k] for k in order], "n_sites": np.array(column[1], dtype=np.int64)[c.by_id],
        "first_published": [column[2][k] for k in order], "last_published": [column[3][k] for k in order],
        "duplicates": np.array(column[4], dtype=np.int64)[c.by_id],
        "copies": np.array(column[5], dtype=np.int64)[c.by_id],
        "partial_links": partial_links[1:], "origin_title": [arts[o].title for o in origin_list],
    }, columns=CLUSTER_COLUMNS)

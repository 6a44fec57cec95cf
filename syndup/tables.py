"""The three tables a scan gives (documents, pairs, clusters), built from the stages' handovers.

Their columns are a contract: scripts and the report read them by name. The containment figures
keep their table names; in Python objects the same figures are `Relation.containment_a_in_b`
(pairs' `containment_a_in_b`, and documents' `containment_in_origin` with a = the copy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .corpus import Corpus
from .stages.boilerplate import Boilerplate
from .stages.cluster import Clusters
from .stages.origins import Origins
from .stages.verify import PairTable
from .verify import DUPLICATE, NAMES

DOCUMENT_COLUMNS = ["doc_id", "cluster_id", "story_id", "role", "relation", "jaccard", "containment_in_origin",
                    "origin_containment", "cluster_size", "site", "url", "title", "published",
                    "crawled", "author", "words", "boilerplate_words", "source", "language"]
PAIR_COLUMNS = ["doc_a", "doc_b", "relation", "jaccard", "containment_a_in_b", "containment_b_in_a",
                "shared_shingles", "passage_words"]
CLUSTER_COLUMNS = ["cluster_id", "story_id", "size", "origin_id", "origin_rule", "origin_confidence", "sites",
                   "n_sites", "first_published", "last_published", "duplicates", "copies", "partial_links",
                   "origin_title"]


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
        "title": [a.title for a in arts], "published": [a.published for a in arts],
        "crawled": [a.crawled for a in arts], "author": [a.author for a in arts], "words": corpus.n_words[corpus.order],
        "boilerplate_words": boilerplate.words, "source": [a.origin_ref for a in arts],
        "language": corpus.languages,
    }, columns=DOCUMENT_COLUMNS)

    ids_arr = np.array(ids, dtype=object)
    pair_rows = pd.DataFrame({
        "doc_a": ids_arr[pairs.a].tolist(), "doc_b": ids_arr[pairs.b].tolist(),
        "relation": np.array(NAMES, dtype=object)[pairs.rel.code].tolist(), "jaccard": pairs.rel.jaccard,
        "containment_a_in_b": pairs.rel.containment_a_in_b, "containment_b_in_a": pairs.rel.containment_b_in_a,
        "shared_shingles": pairs.rel.shared, "passage_words": pairs.rel.passage_words,
    }, columns=PAIR_COLUMNS)
    return Tables(documents, pair_rows, _clusters(corpus, sites, pairs, origins, clusters))


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
        g_rows.append((";".join(member_sites), len(member_sites),
                       min(dates).isoformat() if dates else None, max(dates).isoformat() if dates else None,
                       rels.count(DUPLICATE), rels.count("copy")))
    alone_list = c.alone.tolist()
    alone_sites = [sites[m] or "" for m in alone_list]
    alone_dates = [None if d is None else d.isoformat() for d in (published[m] for m in alone_list)]
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

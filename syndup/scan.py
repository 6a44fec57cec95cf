"""`scan`: read a corpus, find every cluster of copies, its origin, and every verified pair.

The pipeline, one module per stage: read -> normalize/shingle -> boilerplate -> sign ->
candidates -> verify -> cluster. Articles are put in id order first, so the result never depends
on the order they were read in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from . import boilerplate as bp
from .candidates import anchor_pairs_parts, lsh_pairs, lsh_params, unique_pairs
from .cluster import UnionFind, attributions, choose_origin, host_of
from .models import Article, Problem, ScanResult
from .parallel import Prepared, check_jobs
from .read import from_records, read
from .settings import DEFAULT_SETTINGS, Settings
from .verify import CLUSTERING, DUPLICATE, Relation, relate

#: Called once per article read (with the running count), for progress bars.
Progress = Callable[[int], None]

DOCUMENT_COLUMNS = ["doc_id", "cluster_id", "role", "relation", "jaccard", "containment_in_origin",
                    "origin_containment", "cluster_size", "site", "url", "title", "published",
                    "author", "words", "boilerplate_words", "source"]
PAIR_COLUMNS = ["doc_a", "doc_b", "relation", "jaccard", "containment_a_in_b", "containment_b_in_a",
                "shared_shingles"]
CLUSTER_COLUMNS = ["cluster_id", "size", "origin_id", "origin_rule", "sites", "n_sites",
                   "first_published", "last_published", "duplicates", "copies", "partial_links",
                   "origin_title"]


def _collect(items: Iterable[Article | Problem], progress: Progress | None, jobs: int) -> Prepared:
    """Read and analyze every article (in `jobs` processes), texts to disk; id order after."""
    corpus = Prepared(jobs)
    corpus.collect(items, progress)
    return corpus


def _items(source: Any, id_field: str, text_field: str) -> Iterable[Article | Problem]:
    if isinstance(source, (str, Path)):
        return read([source], id_field=id_field, text_field=text_field)
    if isinstance(source, (list, tuple)) and source and all(isinstance(s, (str, Path)) for s in source):
        return read(source, id_field=id_field, text_field=text_field)
    return _mixed(source, id_field, text_field)


def _mixed(source: Any, id_field: str, text_field: str) -> Iterable[Article | Problem]:
    if hasattr(source, "to_dict") and hasattr(source, "columns"):
        yield from from_records(source, id_field=id_field, text_field=text_field)
        return
    # Streamed: each run of plain records goes through from_records as it arrives (numbered from
    # 1 within its run), so a generator of a million dicts is never held in memory.
    items = iter(source)
    stop: list[Any] = []

    def run() -> Iterator[Any]:
        for item in items:
            if isinstance(item, (Article, Problem)):
                stop.append(item)
                return
            yield item

    while True:
        yield from from_records(run(), id_field=id_field, text_field=text_field)
        if not stop:
            return
        yield stop.pop()


def _published(values: list[str | None]) -> list[pd.Timestamp | None]:
    parsed = pd.to_datetime(pd.Series(values, dtype="object"), errors="coerce", utc=True, format="mixed")
    return [None if pd.isna(v) else v for v in parsed]


def scan(source: Any, *, settings: Settings = DEFAULT_SETTINGS, id_field: str = "id",
         text_field: str = "text", progress: Progress | None = None, jobs: int | None = None) -> ScanResult:
    """Find every cluster of copies in a corpus, its origin, and every verified pair.

    `source` is an iterable of `Article`s or dicts (with `id` and `text`, optionally `url`,
    `title`, `site`, `published`, `author`), a pandas DataFrame, or corpus path(s) as `read` takes.
    It is read as a stream; texts are kept on disk. `jobs` processes (default: all cores) analyze,
    shingle and sign the articles; the result is the same for any `jobs`.
    """
    corpus = _collect(_items(source, id_field, text_field), progress, check_jobs(jobs))
    arts, feats = corpus.articles, corpus.features
    n = len(arts)
    sites = [a.site or host_of(a.url) for a in arts]

    boiler = bp.learn(feats, sites, settings)
    boiler_arr = bp.as_array(boiler)
    drops = corpus.drop_masks(bp.drop_mask, boiler_arr)
    bands, rows = lsh_params(settings.lsh_threshold, settings.num_perm)
    signed = corpus.sign(drops, settings.shingle_size, settings.num_perm, settings.seed,
                         bands * rows, settings.anchor_modulus)
    sets = signed.sets  # exact shingle sets, read from disk on demand

    # Duplicates: the same word sequence. Only one member of each group goes on to LSH.
    fp_groups: dict[bytes, list[int]] = {}
    for i, f in enumerate(feats):
        fp_groups.setdefault(f.fingerprint, []).append(i)
    reps = np.array(sorted(g[0] for g in fp_groups.values()), dtype=np.int64)

    cand = unique_pairs(
        lsh_pairs(signed.signatures, reps, bands, rows, settings.max_bucket_pairs, select=reps),
        anchor_pairs_parts(signed.anchors.parts(), n, 2, settings.max_bucket_pairs,
                           signed.anchors.counter()),
        n=n,
    )

    found: dict[tuple[int, int], Relation] = {}
    for group in fp_groups.values():
        for j in group[1:]:
            rel = relate(sets[group[0]], sets[j], settings, same_words=True)
            if rel is not None:
                found[(group[0], j)] = rel
    for i, j in cand.tolist():
        if (i, j) in found:
            continue
        rel = relate(sets[i], sets[j], settings, same_words=feats[i].fingerprint == feats[j].fingerprint)
        if rel is not None:
            found[(i, j)] = rel

    uf = UnionFind(n)
    for (i, j), rel in found.items():
        if rel.relation in CLUSTERING:
            uf.union(i, j)
    groups = uf.groups()

    published = _published([a.published for a in arts])
    attrs: list[list[str]] = [[] for _ in range(n)]
    for g in groups:
        if len(g) > 1:
            for m in g:
                attrs[m] = attributions(arts[m].text)

    ids = [a.id for a in arts]
    cluster_of = np.zeros(n, dtype=np.int64)
    origin_of = np.zeros(n, dtype=np.int64)
    # Cluster ids: biggest first, then by origin id, so ids are stable across input orders.
    picked = []
    urls = [a.url for a in arts]
    for g in groups:
        if len(g) == 1:
            picked.append((g, g[0], "unique"))
        else:
            o = choose_origin(g, ids, published, attrs, sites, urls, sets)
            picked.append((g, o.index, o.rule))
    picked.sort(key=lambda t: (-len(t[0]), ids[t[1]]))
    for cid, (g, o, rule) in enumerate(picked, start=1):
        cluster_of[g] = cid
        origin_of[g] = o

    doc_rows = []
    for i, a in enumerate(arts):
        cid = int(cluster_of[i])
        size = len(picked[cid - 1][0])
        o = int(origin_of[i])
        if size == 1:
            role, relation, jac, c_in, c_out = "unique", "unique", None, None, None
        elif o == i:
            role, relation, jac, c_in, c_out = "origin", "origin", 1.0, 1.0, 1.0
        else:
            key = (min(i, o), max(i, o))
            rel = found.get(key) or relate(sets[i], sets[o], settings,
                                           same_words=feats[i].fingerprint == feats[o].fingerprint)
            role = "copy"
            if rel is None:
                relation, jac, c_in, c_out = "indirect", 0.0, 0.0, 0.0
            else:
                relation = rel.relation if rel.relation in CLUSTERING else "indirect"
                jac = rel.jaccard
                c_in, c_out = ((rel.containment_a_in_b, rel.containment_b_in_a) if i < o
                               else (rel.containment_b_in_a, rel.containment_a_in_b))
        f = feats[i]
        dropped = int(f.para_words[drops[i]].sum()) if drops[i].any() else 0
        doc_rows.append((a.id, cid, role, relation, jac, c_in, c_out, size, sites[i], a.url, a.title,
                         a.published, a.author, f.n_words, dropped, a.origin_ref))
    documents = pd.DataFrame(doc_rows, columns=DOCUMENT_COLUMNS)

    pair_rows = [(ids[i], ids[j], r.relation, r.jaccard, r.containment_a_in_b, r.containment_b_in_a, r.shared)
                 for (i, j), r in sorted(found.items(), key=lambda kv: (ids[kv[0][0]], ids[kv[0][1]]))]
    pairs = pd.DataFrame(pair_rows, columns=PAIR_COLUMNS)

    partial_links = np.zeros(len(picked) + 1, dtype=np.int64)
    for (i, j), r in found.items():
        if r.relation not in CLUSTERING:
            partial_links[cluster_of[i]] += 1
            partial_links[cluster_of[j]] += 1
    cluster_rows = []
    relation_of = [row[3] for row in doc_rows]
    for cid, (g, o, rule) in enumerate(picked, start=1):
        member_sites = sorted({sites[m] for m in g if sites[m]})
        dates = [published[m] for m in g if published[m] is not None]
        rels = [relation_of[m] for m in g] if len(g) > 1 else []
        cluster_rows.append((cid, len(g), ids[o], rule, ";".join(member_sites), len(member_sites),
                             min(dates).isoformat() if dates else None,
                             max(dates).isoformat() if dates else None,
                             rels.count(DUPLICATE), rels.count("copy"),
                             int(partial_links[cid]), arts[o].title))
    clusters = pd.DataFrame(cluster_rows, columns=CLUSTER_COLUMNS)
    return ScanResult(documents=documents, pairs=pairs, clusters=clusters,
                      problems=tuple(corpus.problems), settings=settings, articles_read=n,
                      boilerplate=boiler, _texts=corpus.texts)

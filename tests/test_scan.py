"""scan: the seeds, every edit kind, hard negatives, boilerplate, determinism, big clusters."""

from __future__ import annotations

import dataclasses
import importlib
import random
import re
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import syndup
from syndup import verify
from syndup.errors import InputError
from syndup.execution import Tuning
from syndup.normalize import paragraphs
from syndup.settings import DEFAULT_SETTINGS
from syndup.shingle import (
    ShingleSet,
    analyze,
    shingles,
)
from tests.references import corpus, digest, reference_analyze, reference_words, word_hashes

from .conftest import seed_text

S000, S001, S002, S003, S004 = (seed_text(p) for p in ("000", "001", "002", "003", "004"))
ID0 = "000_28930205ab5c0454"
ID1 = "001_4b43cad0f107b24d"

GR_DISCLAIMER = S001[S001.index("Disclaimer:"):]


def relation(result: syndup.ScanResult, a: str, b: str) -> str | None:
    """The verified relation between two ids in a scan, or None."""
    rows = result.pairs[((result.pairs.doc_a == a) & (result.pairs.doc_b == b))
                        | ((result.pairs.doc_a == b) & (result.pairs.doc_b == a))]
    return None if rows.empty else rows.iloc[0]["relation"]


def cluster_of(result: syndup.ScanResult, doc_id: str) -> int:
    return int(result.documents.set_index("doc_id").loc[doc_id, "cluster_id"])


def body(text: str) -> list[str]:
    return [p for p in paragraphs(text) if len(p.split()) >= 3]


# --- the seeds -------------------------------------------------------------------------------

def test_seeds_one_cluster_000_001_origin_000(seeds_dir):
    result = syndup.scan(seeds_dir)
    multi = result.clusters[result.clusters["size"] > 1]
    assert len(multi) == 1
    row = multi.iloc[0]
    assert row["origin_id"] == ID0
    members = set(result.documents[result.documents.cluster_id == row["cluster_id"]].doc_id)
    assert members == {ID0, ID1}
    docs = result.documents.set_index("doc_id")
    assert docs.loc[ID1, "role"] == "copy" and docs.loc[ID1, "relation"] == "copy"
    assert docs.loc[ID0, "role"] == "origin"
    for other in ("002", "003", "004"):
        (doc_id,) = [d for d in docs.index if d.startswith(other)]
        assert docs.loc[doc_id, "role"] == "unique"
        assert docs.loc[doc_id, "cluster_id"] not in (row["cluster_id"],)
    assert list(result.pairs[["doc_a", "doc_b", "relation"]].itertuples(index=False, name=None)) == [
        (ID0, ID1, "copy")]
    # The seed pair is far below the usual dedup threshold, which is why syndup exists.
    assert 0.35 < result.pairs.iloc[0]["jaccard"] < 0.55


def test_seed_origin_chosen_by_attribution(seeds_dir):
    result = syndup.scan(seeds_dir)
    row = result.clusters[result.clusters["origin_id"] == ID0].iloc[0]
    assert row["origin_rule"] == "attribution"  # 001 says "Articles by: RT News"


def test_tables_keep_their_public_columns(seeds_dir):
    result = syndup.scan(seeds_dir)
    assert {"doc_id", "cluster_id", "role", "relation", "jaccard"} <= set(result.documents.columns)
    assert list(result.pairs.columns[:6]) == ["doc_a", "doc_b", "relation", "jaccard",
                                              "containment_a_in_b", "containment_b_in_a"]
    assert {"cluster_id", "size", "origin_id", "origin_rule", "sites"} <= set(result.clusters.columns)
    assert sorted(result.documents["doc_id"]) == sorted(p.stem for p in seeds_dir.glob("*.txt"))


# --- each edit kind --------------------------------------------------------------------------

def _edited_corpus() -> list[dict]:
    paras = body(S000)
    rng = random.Random(3)
    moved = list(paras)
    moved.insert(2, moved.pop(9))
    substituted = list(paras)
    substituted[4] = "The regional governor later disputed every one of these accounts in a long statement."
    substituted[12] = re.sub(r"^[^.]*\.", "An entirely different opening sentence was written here.", substituted[12])
    wrapped = "\n".join(re.sub(r"(.{60,70}?) ", r"\1\n", p) + "\n" for p in paras)
    template_head = ["Home | World | Politics | Video | Subscribe", "Share this article"]
    corpus = {
        "orig": ("\n\n".join(paras), {"site": "rt.com"}),
        "dup": ("\n\n".join(p.upper().replace('"', "\u201c") for p in paras), {}),
        "wrapped": (wrapped, {}),
        "trimmed": ("\n\n".join(paras[: int(len(paras) * 0.7)]), {}),
        "added": ("\n\n".join(["EDITOR'S NOTE: We bring you this report from our partners. Read it "
                               "and make up your own mind about the events in Syria and Iraq this week."]
                              + paras + ["Join the discussion below and tell us what you think."]), {}),
        "dropped_moved": ("\n\n".join(moved[:6] + moved[8:]), {}),
        "substituted": ("\n\n".join(substituted), {}),
        "wrapped_in_chrome": ("\n\n".join(template_head + paras + [GR_DISCLAIMER]), {"site": "gr.example"}),
        "new_headline": ("\n\n".join(paras), {"title": "Mosque strike: what we know"}),
    }
    rng.random()
    return [{"id": k, "text": t, **meta} for k, (t, meta) in corpus.items()]


EXPECTED = {"dup": "duplicate", "wrapped": "duplicate", "trimmed": "copy", "added": "copy",
            "dropped_moved": "copy", "substituted": "copy", "wrapped_in_chrome": "copy",
            "new_headline": "duplicate"}


@pytest.mark.parametrize("doc_id,expected", sorted(EXPECTED.items()))
def test_each_edit_kind_relates_to_the_origin(doc_id, expected):
    result = syndup.scan(_edited_corpus())
    assert relation(result, "orig", doc_id) == expected
    assert cluster_of(result, doc_id) == cluster_of(result, "orig")


def test_edited_family_is_one_cluster_with_the_untouched_origin():
    records = _edited_corpus()
    for day, record in enumerate(records, start=17):  # dates decide only when every member has one
        record["published"] = f"2017-03-{day}T10:00:00Z"
    result = syndup.scan(records)
    assert result.clusters.iloc[0]["size"] == len(records)
    assert result.clusters.iloc[0]["origin_id"] == "orig"
    assert result.clusters.iloc[0]["origin_rule"] == "published"


def test_partial_excerpt_is_reported_but_not_merged():
    excerpt = body(S000)[3:6]
    own = body(S003)
    blog = "\n\n".join(own[:4] + excerpt + own[4:])
    result = syndup.scan([{"id": "wire", "text": S000}, {"id": "blog", "text": blog},
                          {"id": "wire-copy", "text": S001}])
    assert relation(result, "wire", "blog") == "partial"
    assert cluster_of(result, "blog") != cluster_of(result, "wire")
    assert cluster_of(result, "wire-copy") == cluster_of(result, "wire")
    docs = result.documents.set_index("doc_id")
    assert docs.loc["blog", "role"] == "unique"
    assert result.clusters.set_index("origin_id").loc["wire", "partial_links"] >= 1


# --- hard negatives --------------------------------------------------------------------------

def test_same_site_same_disclaimer_different_stories_are_not_copies():
    records = [{"id": f"gr-{k}", "text": text + "\n\nArticles by: Staff\n\n" + GR_DISCLAIMER,
                "site": "globalresearch.ca"} for k, text in (("a", S002), ("b", S003), ("c", S004))]
    result = syndup.scan(records)
    assert result.pairs.empty
    assert (result.documents["role"] == "unique").all()
    assert (result.documents["boilerplate_words"] > 100).all()


def test_two_articles_of_one_site_with_disclaimer_are_not_a_pair():
    records = [{"id": "a", "text": S002 + "\n\n" + GR_DISCLAIMER, "site": "globalresearch.ca"},
               {"id": "b", "text": S004 + "\n\n" + GR_DISCLAIMER, "site": "globalresearch.ca"}]
    assert syndup.scan(records).pairs.empty


def test_boilerplate_does_not_hide_a_real_copy():
    records = [{"id": f"gr-{k}", "text": t + "\n\n" + GR_DISCLAIMER, "site": "globalresearch.ca"}
               for k, t in (("a", S002), ("b", S003), ("c", S004), ("copy", "\n\n".join(body(S000)[:-6])))]
    records.append({"id": "rt", "text": S000, "site": "rt.com"})
    result = syndup.scan(records)
    assert relation(result, "gr-copy", "rt") == "copy"
    assert len(result.pairs) == 1


def test_shared_quotation_is_not_reuse():
    statement = ('"We have no doubt that the US forces were aiming at terrorists, and we are not going to blame '
                 'them for intentional killing of civilians and destruction of infrastructure in the region, '
                 'but the facts must be studied thoroughly before anyone draws conclusions," the spokeswoman said.')
    a = "\n\n".join(body(S002)[:3] + [statement] + body(S002)[3:])
    b = "\n\n".join(body(S004)[:2] + [statement] + body(S004)[2:])
    result = syndup.scan([{"id": "a", "text": a}, {"id": "b", "text": b}])
    assert result.pairs.empty


def test_same_topic_articles_are_not_copies(seeds_dir):
    result = syndup.scan([{"id": k, "text": t} for k, t in (("2", S002), ("3", S003), ("4", S004))])
    assert result.pairs.empty


# --- determinism and scale -------------------------------------------------------------------

def _family_corpus() -> list[dict]:
    records = _edited_corpus()
    records += [{"id": "s2", "text": S002}, {"id": "s3", "text": S003}, {"id": "s4", "text": S004},
                {"id": "blog", "text": "\n\n".join(body(S003)[:4] + body(S000)[3:6] + body(S003)[4:])}]
    return records


FAMILY = _family_corpus()
BASELINE = syndup.scan(FAMILY)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.permutations(range(len(FAMILY))))
def test_scan_order_never_changes_clusters_or_ids(order):
    result = syndup.scan([FAMILY[i] for i in order])
    # `source` says where each record was read ("record 3"), which does depend on input order.
    pd.testing.assert_frame_equal(result.documents.drop(columns="source"),
                                  BASELINE.documents.drop(columns="source"))
    pd.testing.assert_frame_equal(result.pairs, BASELINE.pairs)
    pd.testing.assert_frame_equal(result.clusters, BASELINE.clusters)


def test_big_cluster_is_linear_not_quadratic():
    paras = body(S000)
    n = 400
    rng = random.Random(1)
    records = []
    for i in range(n):
        kept = [p for j, p in enumerate(paras) if j not in (rng.randrange(len(paras)),)]
        records.append({"id": f"copy{i:04d}", "text": "\n\n".join(kept + [f"Reposted by site number {i}."])})
    result = syndup.scan(records)
    assert result.clusters.iloc[0]["size"] == n
    # A clique would be n*(n-1)/2 = 79,800 verified pairs; linking stays linear in n.
    assert len(result.pairs) < 40 * n


def _big_family(n: int, seed: int) -> list[dict]:
    """n copies of one story, each missing one paragraph and with a line of its own."""
    paras = body(S000)
    rng = random.Random(seed)
    records = []
    for i in range(n):
        kept = [p for j, p in enumerate(paras) if j != rng.randrange(len(paras))]
        records.append({"id": f"copy{i:04d}", "text": "\n\n".join(kept + [f"Reposted by site number {i}."])})
    return records


def _linked_by_pairs(result: syndup.ScanResult) -> bool:
    """Every cluster is connected by the duplicate and copy pairs of the pairs table."""
    cluster = dict(zip(result.documents.doc_id, result.documents.cluster_id))
    parent = {d: d for d in cluster}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, rel in zip(result.pairs.doc_a, result.pairs.doc_b, result.pairs.relation):
        if rel in ("duplicate", "copy"):
            assert cluster[a] == cluster[b]
            parent[find(a)] = find(b)
    roots: dict[int, set[str]] = {}
    for d, c in cluster.items():
        roots.setdefault(c, set()).add(find(d))
    return all(len(r) == 1 for r in roots.values())


BIG = _big_family(40, 2) + [{"id": "blog", "text": "\n\n".join(body(S003)[:4] + body(S000)[3:6] + body(S003)[4:])},
                            {"id": "s2", "text": S002}]
SMALL_BUCKETS = syndup.Settings(max_bucket_pairs=3)  # every family is "big": links, not all pairs
BIG_BASELINE = syndup.scan(BIG, settings=SMALL_BUCKETS)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.permutations(range(len(BIG))))
def test_big_cluster_links_never_depend_on_input_order(order):
    result = syndup.scan([BIG[i] for i in order], settings=SMALL_BUCKETS)
    pd.testing.assert_frame_equal(result.documents.drop(columns="source"),
                                  BIG_BASELINE.documents.drop(columns="source"))
    pd.testing.assert_frame_equal(result.pairs, BIG_BASELINE.pairs)
    pd.testing.assert_frame_equal(result.clusters, BIG_BASELINE.clusters)


def test_big_cluster_is_the_same_cluster_with_fewer_pairs():
    linked = syndup.scan(BIG)  # 40 copies: LSH groups over 32 are linked, not paired
    full = syndup.scan(BIG, settings=syndup.Settings(max_bucket_pairs=64))  # all pairs
    pd.testing.assert_frame_equal(linked.documents, full.documents)
    pd.testing.assert_frame_equal(linked.clusters.drop(columns="partial_links"),
                                  full.clusters.drop(columns="partial_links"))
    assert linked.clusters.iloc[0]["size"] == 40
    assert len(linked.pairs) < len(full.pairs) / 4
    # Every pair it keeps is one the full scan verified, with the same figures.
    kept = linked.pairs.merge(full.pairs, on=["doc_a", "doc_b"], suffixes=("", "_full"))
    assert len(kept) == len(linked.pairs)
    for col in ("relation", "jaccard", "containment_a_in_b", "containment_b_in_a", "shared_shingles"):
        assert (kept[col] == kept[col + "_full"]).all()
    assert _linked_by_pairs(linked) and _linked_by_pairs(full) and _linked_by_pairs(BIG_BASELINE)


def test_verifying_a_few_sets_at_a_time_changes_nothing(monkeypatch):
    from syndup import verify
    from syndup.execution import Tuning

    monkeypatch.setattr(verify, "_SLICE", 2000)      # a few pairs per searchsorted
    result = syndup.scan(BIG, settings=SMALL_BUCKETS, tuning=Tuning(read_shingles=3000))  # a few sets per read
    for got, want in zip((result.documents, result.pairs, result.clusters),
                         (BIG_BASELINE.documents, BIG_BASELINE.pairs, BIG_BASELINE.clusters)):
        pd.testing.assert_frame_equal(got, want)


def test_every_copy_of_a_big_cluster_is_linked_by_a_verified_pair():
    result = syndup.scan(_big_family(400, 1))
    assert result.clusters.iloc[0]["size"] == 400
    assert _linked_by_pairs(result)
    assert len(result.pairs) < 3 * 400


def test_containment_in_origin_is_the_copys_share_found_in_the_origin():
    from syndup.verify import relate_sets

    records = _big_family(60, 3)
    # The origin: dated first, and shorter than the copies, so it is not the hub links go to.
    origin = "\n\n".join(body(S000)[2:-2])
    records.append({"id": "0-origin", "text": origin, "published": "2017-03-17T10:00:00Z"})
    for r in records[:-1]:
        r["published"] = "2017-03-18T10:00:00Z"
    result = syndup.scan(records, settings=SMALL_BUCKETS)
    assert not result.boilerplate
    docs = result.documents.set_index("doc_id")
    assert docs.loc["0-origin", "role"] == "origin"
    sets = {r["id"]: shingles(analyze(r["text"]), 5) for r in records}
    paired = set(zip(result.pairs.doc_a, result.pairs.doc_b))
    assert any(("0-origin", d) not in paired for d in docs.index if d != "0-origin")  # figures computed later
    for d, row in docs.iterrows():
        if d == "0-origin":
            continue
        rel = relate_sets(sets[d], sets["0-origin"], syndup.Settings(), passage_words=0)  # copies: figures only
        assert row["containment_in_origin"] == rel.containment_a_in_b
        assert row["origin_containment"] == rel.containment_b_in_a
        assert row["jaccard"] == rel.jaccard


def test_dataframe_and_article_inputs_agree(seeds_dir):
    records = [{"id": p.stem, "text": p.read_text(encoding="utf-8")} for p in sorted(seeds_dir.glob("*.txt"))]
    from_frame = syndup.scan(pd.DataFrame(records))
    from_articles = syndup.scan([syndup.Article(id=r["id"], text=r["text"]) for r in records])
    from_folder = syndup.scan(seeds_dir)
    for result in (from_frame, from_articles):
        pd.testing.assert_frame_equal(result.clusters, from_folder.clusters)
        pd.testing.assert_frame_equal(result.pairs, from_folder.pairs)


def test_progress_counts_up_to_the_total_and_keeps_reporting_until_the_end(seeds_dir):
    seen: list[int] = []
    result = syndup.scan(seeds_dir, progress=seen.append, jobs=1)
    total = len(result.documents)
    assert seen == sorted(seen) and seen[-1] == total
    # After reading, the total again at every stage: a bar that draws only when called stays alive.
    assert seen.count(total) >= 4


# --- a whole scan against exact shingle sets over all pairs --------------------------------------

def reference_relations(docs: list[dict[str, str]], boilerplate: frozenset[int]) -> dict[tuple[str, str], str]:
    """Every pair's relation from exact sets of word tuples, by `verify.relate_sets` (the passage
    measured on the reference words, by `verify.passage_words`)."""
    s = DEFAULT_SETTINGS
    k = s.shingle_size
    ids, exact, full_words, features, drops = [], [], [], [], []
    tuple_id: dict[tuple[str, ...], int] = {}
    for d in sorted(docs, key=lambda d: d["id"]):
        words, para_of, quoted = reference_words(d["text"])
        hashes = word_hashes(words)
        paras = sorted(set(para_of))
        para_hash = {p: int.from_bytes(digest(hashes[[i for i, q in enumerate(para_of) if q == p]], 8), "little")
                     for p in paras}
        keep = [i for i in range(len(words)) if para_hash[para_of[i]] not in boilerplate]
        kw, kq = [words[i] for i in keep], [quoted[i] for i in keep]
        grams: dict[tuple[str, ...], bool] = {}
        width = min(k, len(kw))
        for j in range(len(kw) - width + 1 if kw else 0):
            gram = tuple(kw[j:j + width])
            grams[gram] = grams.get(gram, False) or not all(kq[j:j + width])
        ordered = sorted(grams, key=lambda g: tuple_id.setdefault(g, len(tuple_id)))
        ident = np.array([tuple_id[g] for g in ordered], dtype=np.uint32)
        order = np.argsort(ident)
        exact.append(ShingleSet(ident[order], np.array([grams[g] for g in ordered], dtype=bool)[order]))
        ids.append(d["id"])
        full_words.append(words)
        features.append(reference_analyze(d["text"]))
        drops.append(np.array([h in boilerplate for h in features[-1].para_hashes.tolist()], dtype=bool))
    out = {}
    as_sets = [set(x.hashes.tolist()) for x in exact]
    for i, j in combinations(range(len(ids)), 2):
        same = full_words[i] == full_words[j]
        if not same and as_sets[i].isdisjoint(as_sets[j]):
            continue
        passage = verify.passage_words(features[i], features[j], k, drops[i], drops[j])
        rel = verify.relate_sets(exact[i], exact[j], s, same_words=same, passage_words=passage)
        if rel is not None:
            out[(ids[i], ids[j])] = rel.relation
    return out


@pytest.fixture(scope="module")
def planted() -> list[dict[str, str]]:
    return corpus()


@pytest.fixture(scope="module")
def small_chunks():
    """Many chunks and worker processes on 300 articles, and the tail's work (boilerplate,
    anchors, verification, origins) split between forked processes."""
    return Tuning(chunk=32, min_parallel=64, fork_articles=2, fork_pairs=2, fork_members=2, fork_clusters=2,
                  fork_keys=2)


def test_scan_finds_every_relation_the_exact_reference_finds(planted, small_chunks):
    result = syndup.scan(planted, jobs=2, tuning=small_chunks)
    assert len(result.documents) == len(planted)
    got = {(r.doc_a, r.doc_b): r.relation for r in result.pairs.itertuples()}
    expected = reference_relations(planted, result.boilerplate)
    assert result.boilerplate  # the site footers were learned and left out
    assert {p for p, r in expected.items() if r != "duplicate"} - set(got) == set()
    assert got == expected
    assert sorted(set(got.values())) == ["copy", "duplicate", "partial"]  # the corpus has all three


def test_scan_is_the_same_for_any_jobs_chunks_and_input_order(planted, small_chunks):
    one = syndup.scan(planted, jobs=1, tuning=small_chunks)
    two = syndup.scan(list(reversed(planted)), jobs=2, tuning=dataclasses.replace(small_chunks, chunk=7, min_parallel=14))
    for name in ("documents", "pairs", "clusters"):
        a, b = getattr(one, name), getattr(two, name)
        if name == "documents":  # "record n": where each was read, which the order changes
            a, b = a.drop(columns="source"), b.drop(columns="source")
        pd.testing.assert_frame_equal(a, b)
    assert one.boilerplate == two.boilerplate


def test_texts_are_kept_on_disk_and_read_back(planted, small_chunks):
    result = syndup.scan(planted, jobs=2, tuning=small_chunks)
    by_id = {d["id"]: d for d in planted}
    assert list(result) == sorted(by_id)
    for doc_id in list(by_id)[:25]:
        assert result.text(doc_id) == by_id[doc_id]["text"]
        article = result.article(doc_id)
        assert (article.id, article.site) == (doc_id, by_id[doc_id]["site"])
    with pytest.raises(KeyError):
        result.text("no such id")


def test_the_corpus_is_hidden_from_the_cycle_collector_only_while_the_scan_runs(planted):
    """A scan's articles are frozen out of Python's cycle collector while later stages run (their
    full collections would walk every article), and handed back when it ends, returning or raising:
    dropped results are collected, and objects a program froze itself stay frozen."""
    import gc

    seen: list[int] = []
    with syndup.scan(planted[:60], jobs=1, on_stage=lambda _s: seen.append(gc.get_freeze_count())) as result:
        assert result.articles_read == 60
    assert seen and min(seen) > 0
    assert gc.get_freeze_count() == 0

    def fail(stage: str) -> None:
        if stage == "verifying":
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        syndup.scan(planted[:60], jobs=1, on_stage=fail)
    assert gc.get_freeze_count() == 0

    mine = [object()]  # a program's own frozen objects are its own: still frozen after a scan
    gc.freeze()
    try:
        syndup.scan(planted[:60], jobs=1)
        assert gc.get_freeze_count() > 0
        assert not any(o is mine for o in gc.get_objects())
    finally:
        gc.unfreeze()
    assert any(o is mine for o in gc.get_objects())


def test_jobs_must_be_a_positive_whole_number(planted):
    for bad in (0, -1, 1.5, "2", True):
        with pytest.raises(InputError, match="jobs"):
            syndup.scan(planted[:3], jobs=bad)  # type: ignore[arg-type]


def test_jsonl_parsed_in_the_workers_scans_like_jsonl_read_here(planted, small_chunks, tmp_path, monkeypatch):
    # A scan of a JSONL path parses its lines in the worker processes; reading the same file here
    # first, record by record, must give the same tables and the same warnings in the same order.
    import gzip
    import json

    read_module = importlib.import_module("syndup.read")

    lines = [json.dumps(d) for d in planted]
    lines.insert(5, "{not json")
    lines.insert(9, json.dumps(planted[3]))     # a duplicate id in the same batch of lines
    lines.insert(40, "[1, 2]")
    lines.insert(41, "")
    lines.insert(77, json.dumps({"id": "no-text"}))
    lines.append(json.dumps(planted[0]))        # and one many batches later
    path = tmp_path / "corpus.jsonl.gz"
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    path.write_bytes(data[: len(data) - 40])  # cut short: the last lines are lost, with a warning
    monkeypatch.setattr(read_module, "LINES_PER_PART", 16)
    in_workers = syndup.scan(path, jobs=2, tuning=small_chunks)
    read_here = syndup.scan(list(syndup.read([path])), jobs=1)
    for name in ("documents", "pairs", "clusters"):
        pd.testing.assert_frame_equal(getattr(in_workers, name), getattr(read_here, name))
    assert [(p.where, p.reason) for p in in_workers.problems] == [(p.where, p.reason) for p in read_here.problems]
    reasons = " | ".join(p.reason for p in in_workers.problems)
    for expected in ("not valid JSON", "expected a JSON object", "has no 'text' field", "duplicate id",
                     "file ends early"):
        assert expected in reasons
    assert len(in_workers.documents) > len(planted) - 5
    doc_id = planted[3]["id"]
    assert in_workers.text(doc_id + "~2") == in_workers.text(doc_id) == planted[3]["text"]


# --- origins from evidence (issue 12) --------------------------------------------------------
# The copy always has the smaller id and holds all of the origin's words, so neither the `id` rule
# nor containment alone would pick the origin: only the evidence of what copies do can.

ARTICLE = "\n\n".join(body(S000))
CHROME_HEAD = ["Home | World | Politics | Video | Subscribe", "Share this article on Facebook, Twitter and by email"]
CHROME_TAIL = ["Disclaimer: The views expressed in this article do not necessarily reflect those of this site.",
               "Comments (2)", "jsmith wrote: nobody is telling us the whole story here, as usual.",
               "reader42 wrote: thanks for posting this, it deserves a much wider audience."]


def origin_row(records: list[dict[str, str]]) -> pd.Series:
    """The clusters row of the one cluster a scan of `records` finds (all of them in it)."""
    result = syndup.scan(records)
    multi = result.clusters[result.clusters["size"] > 1]
    assert len(multi) == 1 and multi.iloc[0]["size"] == len(records)
    return multi.iloc[0]


def test_the_member_a_copy_wraps_in_chrome_and_comments_is_not_the_origin():
    copy = "\n\n".join([*CHROME_HEAD, ARTICLE, *CHROME_TAIL])
    row = origin_row([{"id": "a-copy", "text": copy, "site": "gr.example"},
                      {"id": "b-clean", "text": ARTICLE, "site": "rt.com"}])
    assert (row["origin_id"], row["origin_rule"]) == ("b-clean", "copies_add")
    assert 0.5 < row["origin_confidence"] < 1
    # Two sites on one platform add the same chrome: still theirs, not the origin's.
    row = origin_row([{"id": "a-copy", "text": copy, "site": "gr.example"},
                      {"id": "b-copy", "text": copy.replace("jsmith", "jdoe"), "site": "gr2.example"},
                      {"id": "c-clean", "text": ARTICLE, "site": "rt.com"}])
    assert (row["origin_id"], row["origin_rule"]) == ("c-clean", "copies_add")


def test_the_restyled_copy_is_not_the_origin():
    # Curly quotes, hard line-wraps and a headline grown by a prefix: the same words otherwise.
    curly = re.sub(r'"([^"]*)"', "\u201c\\1\u201d", ARTICLE)
    wrapped = "\n\n".join(re.sub(r"(.{60,70}?) ", r"\1\n", p) for p in curly.split("\n\n"))
    title = "US admits strike on Al-Qaeda meeting in Syria"
    row = origin_row([{"id": "a-restyled", "text": wrapped, "title": f"Syria shock: {title}"},
                      {"id": "b-plain", "text": ARTICLE, "title": title}])
    assert (row["origin_id"], row["origin_rule"]) == ("b-plain", "copies_add")


def test_one_dated_member_does_not_win_by_its_date_alone():
    copy = "\n\n".join([*CHROME_HEAD, ARTICLE, *CHROME_TAIL])
    row = origin_row([{"id": "a-copy", "text": copy, "published": "2017-03-17T10:00:00Z"},
                      {"id": "b-clean", "text": ARTICLE}])
    assert (row["origin_id"], row["origin_rule"]) == ("b-clean", "copies_add")


def test_dates_decide_when_every_member_has_one_and_a_crawl_bounds_a_publication():
    copy = "\n\n".join([*CHROME_HEAD, ARTICLE, *CHROME_TAIL])
    dated = [{"id": "a-copy", "text": copy, "published": "2017-03-17T10:00:00Z"},
             {"id": "b-clean", "text": ARTICLE, "published": "2017-03-18T10:00:00Z"}]
    row = origin_row(dated)
    assert (row["origin_id"], row["origin_rule"], row["origin_confidence"]) == ("a-copy", "published", 0.95)
    # Crawled before the other was published: it appeared first, whatever its text says.
    crawled = [dated[0], {"id": "b-clean", "text": ARTICLE, "crawled": "2017-03-16T08:00:00Z"}]
    assert (origin_row(crawled)["origin_id"], origin_row(crawled)["origin_rule"]) == ("b-clean", "published")
    # Crawled after it: no date says which came first, and the text decides.
    crawled[1]["crawled"] = "2017-03-19T08:00:00Z"
    assert (origin_row(crawled)["origin_id"], origin_row(crawled)["origin_rule"]) == ("b-clean", "copies_add")


def test_a_coin_toss_says_so():
    row = origin_row([{"id": "a", "text": ARTICLE}, {"id": "b", "text": ARTICLE + "\n"}])
    assert (row["origin_id"], row["origin_rule"], row["origin_confidence"]) == ("a", "id", 0.5)
    alone = syndup.scan([{"id": "a", "text": ARTICLE}]).clusters.iloc[0]
    assert (alone["origin_rule"], alone["origin_confidence"]) == ("unique", 1.0)


def test_an_html_copy_with_years_in_its_body_gets_no_date_and_is_not_the_origin():
    paras = "".join(f"<p>{p}</p>" for p in body(S000))
    page = (f"<html><head><title>US admits strike</title></head><body><article>{paras}"
            "<p>The group was founded in 2006 and has operated in the region since 2011, officials said.</p>"
            "<p>Click here to watch the full video of the statement on our channel.</p>"
            "</article></body></html>")
    result = syndup.scan([{"id": "a-page", "text": page}, {"id": "b-plain", "text": ARTICLE}])
    docs = result.documents.set_index("doc_id")
    assert docs["published"].isna().all()
    row = result.clusters.iloc[0]
    assert (row["origin_id"], row["origin_rule"]) == ("b-plain", "copies_add")


def test_a_site_menu_and_a_counted_comment_section_are_what_copies_add():
    copy = "\n\n".join(["Home | World | Politics | Video | Subscribe", ARTICLE, "Comments (12)",
                        "jsmith: nobody is telling us the whole story here, as usual."])
    row = origin_row([{"id": "a-copy", "text": copy}, {"id": "b-clean", "text": ARTICLE}])
    assert (row["origin_id"], row["origin_rule"]) == ("b-clean", "copies_add")
    assert row["origin_confidence"] == pytest.approx(0.9)  # two kinds added: a clear margin

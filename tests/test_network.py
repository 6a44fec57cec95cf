"""Who copies whom: sites.csv, network.csv, the credit column, the graph files and `syndup network`,
on eight generated sites with known habits (tests/sitecorpus.py) and on the seeds."""

from __future__ import annotations

import math
import re
import statistics
import sys
from pathlib import Path

import lxml.html
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import syndup
from syndup.cli import app
from syndup.errors import BackendError, MissingDependency
from syndup.execution import Tuning
from syndup.network import _DIFFED as DIFFED_HABITS
from syndup.network import (
    COPY_COLUMNS,
    CREDITS,
    DROPPED,
    HABITS,
    KEPT,
    NETWORK_COLUMNS,
    NONE_IN_ORIGIN,
    REPLACED,
    SITE_COLUMNS,
    Credited,
    credit_column,
    edge_table,
    judge_credit,
    layout,
    write_graph,
)
from syndup.report import page_name, write_report

from .conftest import SEEDS
from .sitecorpus import SITES, WIRE, build, truth

ORIGIN_ID = "000_28930205ab5c0454"
COPY_ID = "001_4b43cad0f107b24d"


@pytest.fixture(scope="module")
def eight() -> tuple[syndup.ScanResult, dict[tuple[str, str], dict[str, float]]]:
    records, edges = build()
    return syndup.scan(records), truth(edges)


def seed_records() -> list[dict[str, str]]:
    """The seeds as records: 000 from rt.com, 001 from globalresearch.ca, the rest from other sites."""
    sites = {"000": "rt.com", "001": "globalresearch.ca", "002": "iraqwatch.example.org",
             "003": "antiwar.example.com", "004": "news.example.net"}
    return [{"id": p.stem, "text": p.read_text(encoding="utf-8"), "site": sites[p.name[:3]]}
            for p in sorted(SEEDS.glob("*.txt"))]


# -- done when 1: the eight sites' habits and lags ------------------------------------------------


def test_network_recovers_every_edge_its_lags_and_habits_within_5_percent(eight):
    result, expected = eight
    net = result.network
    assert list(net.columns) == NETWORK_COLUMNS
    got = net.set_index(["origin_site", "copy_site"])
    assert set(got.index) == set(expected)  # four edges, all from the wire: no proxy seems to copy a proxy
    assert list(net["copies"]) == sorted(net["copies"], reverse=True)
    for edge, want in expected.items():
        row = got.loc[edge]
        assert row["copies"] == want["copies"] and row["dated"] == want["copies"], edge
        for lag in ("median_lag_hours", "p90_lag_hours"):
            assert row[lag] == pytest.approx(want[lag], rel=0.05), (edge, lag)
        for habit, share in want.items():
            if habit not in ("copies", "median_lag_hours", "p90_lag_hours"):
                assert row[habit] == pytest.approx(share, abs=0.05), (edge, habit, row[habit], share)
    # What the aggregator kept of the wire: its first three of seven paragraphs.
    assert got.loc[(WIRE, "aggregator.example"), "origin_kept"] < 0.55
    assert got.loc[(WIRE, "proxy-a.example"), "origin_kept"] > 0.95


def test_sites_count_articles_copies_credits_and_partial_reuse(eight):
    result, _ = eight
    sites = result.sites
    assert list(sites.columns) == SITE_COLUMNS
    assert sorted(sites["site"]) == sorted(SITES)
    s = sites.set_index("site")
    articles = {WIRE: 24, "proxy-a.example": 24, "proxy-b.example": 16, "proxy-c.example": 12,
                "aggregator.example": 20, "blog.example": 8, "outlet-a.example": 10, "outlet-b.example": 10}
    assert s["articles"].to_dict() == articles
    assert s.loc[WIRE, "originals"] == 24 and s.loc[WIRE, "copies_suffered"] == 72 and s.loc[WIRE, "copies_made"] == 0
    for proxy in ("proxy-a.example", "proxy-b.example", "proxy-c.example", "aggregator.example"):
        assert s.loc[proxy, "copies_made"] == articles[proxy] and s.loc[proxy, "copy_share"] == 1.0
        assert s.loc[proxy, "main_sources"] == f"{WIRE} ({articles[proxy]})"
    for outlet in ("outlet-a.example", "outlet-b.example", "blog.example"):
        assert s.loc[outlet, "originals"] == articles[outlet] and s.loc[outlet, "copy_share"] == 0
        assert s.loc[outlet, "copies_made"] == s.loc[outlet, "copies_suffered"] == 0
    # Laundered credits: proxy A drops the byline, proxy B puts its own; the others credit the wire.
    credits = s[["credits_kept", "credits_dropped", "credits_replaced"]]
    assert credits.loc["proxy-a.example"].tolist() == [0, 24, 0]
    assert credits.loc["proxy-b.example"].tolist() == [0, 0, 16]
    assert credits.loc["proxy-c.example"].tolist() == [12, 0, 0]
    assert credits.loc["aggregator.example"].tolist() == [20, 0, 0]
    assert s.loc[WIRE, "credits_lost"] == 40
    assert s.loc[WIRE, "main_republishers"] == "proxy-a.example (24); aggregator.example (20); proxy-b.example (16)"
    # The blog quotes a paragraph of 8 wire stories, a day later: one reuse per story, not per copy.
    assert s.loc["blog.example", "partial_made"] == 8 and s.loc[WIRE, "partial_suffered"] == 8
    assert s["partial_made"].sum() == 8 and s["partial_suffered"].sum() == 8


def test_credit_column_says_what_each_copy_did_with_the_wire_byline(eight):
    result, _ = eight
    docs = result.documents.set_index("doc_id")
    by_prefix = {prefix: set(docs[docs.index.str.startswith(prefix)]["credit"]) for prefix in ("pa-", "pb-", "pc-", "ag-")}
    assert by_prefix == {"pa-": {DROPPED}, "pb-": {REPLACED}, "pc-": {KEPT}, "ag-": {KEPT}}
    assert docs[docs["role"] != "copy"]["credit"].isna().all()



def test_credits_read_beside_the_origins_are_those_the_texts_give(eight):
    """The scan reads each member's credit lines where it reads its evidence, in the processes
    choosing origins; the credit column is the one the texts themselves give, split or not."""
    records, _ = build()
    split = syndup.scan(records, jobs=2, tuning=Tuning(fork_members=2, fork_clusters=2))
    docs = split.documents
    ids = docs["doc_id"].tolist()
    from_texts = credit_column(docs, split.clusters, lambda k: split.text(ids[k]))
    assert [None if pd.isna(c) else c for c in docs["credit"]] == from_texts
    assert from_texts == [None if pd.isna(c) else c for c in eight[0].documents["credit"]]
    assert {KEPT, DROPPED, REPLACED} <= set(from_texts)

# -- done when 4: the seeds as records with sites ---------------------------------------------------


def test_seeds_with_sites_have_one_edge_rt_to_global_research_and_the_credit_is_kept():
    result = syndup.scan(seed_records())
    net = result.network
    assert list(zip(net["origin_site"], net["copy_site"])) == [("rt.com", "globalresearch.ca")]
    edge = net.iloc[0]
    assert edge["copies"] == 1 and edge["dated"] == 0 and pd.isna(edge["median_lag_hours"])
    assert edge["adds_boilerplate"] == 1 and edge["adds_credit"] == 1 and edge["swaps_embeds"] == 1
    assert edge["drops_credit"] == 0 and edge["replaces_credit"] == 0
    docs = result.documents.set_index("doc_id")
    assert docs.loc[COPY_ID, "credit"] == KEPT  # "Articles by: RT News"
    assert docs["credit"].notna().sum() == 1
    sites = result.sites.set_index("site")
    assert sites.loc["globalresearch.ca", "credits_kept"] == 1 and sites.loc["rt.com", "copies_suffered"] == 1


def test_a_corpus_without_sites_costs_no_diff(monkeypatch: pytest.MonkeyPatch):
    """Habits feed only edges between two known sites: without sites, no copy is diffed."""
    import syndup.network as network

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("diffed a copy that feeds no edge")

    monkeypatch.setattr(network, "diff", refuse)
    result = syndup.scan(SEEDS)
    assert (result.documents["role"] == "copy").sum() == 1
    assert result.network.empty and result.sites.empty


@pytest.mark.parametrize(("origin", "copy", "expected"), [
    (Credited((), None), Credited(("RT News",), None), KEPT),                # names the origin's site
    (Credited((), "Jane Doe"), Credited((), "Jane Doe"), KEPT),              # the same byline
    (Credited(("Reuters",), None), Credited(("Reuters",), None), KEPT),      # the source the origin credits
    (Credited((), "Jane Doe"), Credited((), None), DROPPED),
    (Credited(("Reuters",), None), Credited((), None), DROPPED),
    (Credited((), "Jane Doe"), Credited((), "Proxy Desk"), REPLACED),
    (Credited((), None), Credited(("Proxy News",), None), REPLACED),         # credits someone else
    (Credited((), None), Credited((), None), NONE_IN_ORIGIN),
])
def test_judge_credit(origin: Credited, copy: Credited, expected: str):
    assert judge_credit(origin, copy, "rt.com", "https://www.rt.com/news/1") == expected
    assert expected in CREDITS


def test_a_credit_is_not_called_laundered_when_the_origin_gives_nothing_to_check_it_against():
    """The seeds as a folder: RT's article has no site and no credit line, so the copy's
    "Articles by: RT News" cannot be told kept or replaced; it is left unknown, never `replaced`."""
    assert judge_credit(Credited((), None), Credited(("RT News",), None), None, None) is None
    assert judge_credit(Credited((), None), Credited(("RT News",), None), "rt.com", None) == KEPT
    assert judge_credit(Credited((), "Jane Doe"), Credited(("Proxy News",), None), None, None) == REPLACED
    docs = syndup.scan(SEEDS).documents.set_index("doc_id")
    assert docs.loc[COPY_ID, "role"] == "copy" and pd.isna(docs.loc[COPY_ID, "credit"])


def test_credits_come_from_the_one_credit_line_definition():
    text = "A story.\n\nArticles by: RT News"
    assert Credited.of(text, " ").names == ("RT News",) and Credited.of(text, " ").author is None


def test_sites_and_network_need_the_texts_until_first_read():
    result = syndup.scan(seed_records())
    result.close()
    with pytest.raises(BackendError, match="before closing"):
        result.network  # noqa: B018
    kept = syndup.scan(seed_records())
    assert len(kept.network) == 1
    kept.close()
    assert len(kept.sites) == 5 and len(kept.network) == 1  # computed once, usable after close


def test_layout_is_deterministic_and_in_the_unit_square():
    nodes = ["a", "b", "c", "d"]
    edges = [("a", "b", 10.0), ("a", "c", 1.0)]
    first = layout(nodes, edges)
    assert first == layout(nodes, edges)
    assert all(0 <= x <= 1 and 0 <= y <= 1 for x, y in first.values())
    dist = {k: ((first["a"][0] - v[0]) ** 2 + (first["a"][1] - v[1]) ** 2) ** 0.5 for k, v in first.items()}
    assert dist["b"] < dist["d"]  # linked sites sit closer than unlinked ones


# -- done when 2: GraphML and GEXF -------------------------------------------------------------------


def test_graphml_and_gexf_read_back_with_the_same_edges_and_figures(eight, tmp_path: Path):
    import networkx as nx

    result, _ = eight
    paths = write_graph(result.sites, result.network, tmp_path)
    assert [p.name for p in paths] == ["network.graphml", "network.gexf"]
    for graph in (nx.read_graphml(paths[0]), nx.read_gexf(paths[1])):
        assert isinstance(graph, nx.DiGraph)
        assert set(graph.nodes) == set(result.sites["site"])
        expected = {(r["origin_site"], r["copy_site"]): r for r in result.network.to_dict("records")}
        assert set(graph.edges) == set(expected)
        for (a, b), row in expected.items():
            attrs = graph.edges[a, b]
            assert int(attrs["copies"]) == row["copies"]
            for col in ("median_lag_hours", "p90_lag_hours", "adds_boilerplate", "drops_credit", "truncates"):
                assert float(attrs[col]) == pytest.approx(row[col]), (a, b, col)
        for row in result.sites.to_dict("records"):
            node = graph.nodes[row["site"]]
            assert int(node["articles"]) == row["articles"] and int(node["credits_lost"]) == row["credits_lost"]
            assert node["main_sources"] == row["main_sources"]


# -- the CLI -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import json

    folder = tmp_path_factory.mktemp("eight")
    corpus = folder / "eight.jsonl"
    records, _ = build()
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = folder / "out"
    run = CliRunner().invoke(app, ["scan", str(corpus), "--out", str(out), "--quiet"])
    assert run.exit_code == 0, run.output
    return out


def test_scan_writes_sites_and_network_tables(scanned: Path):
    sites = pd.read_csv(scanned / "sites.csv")
    network = pd.read_csv(scanned / "network.csv")
    assert list(sites.columns) == SITE_COLUMNS and len(sites) == 8
    assert list(network.columns) == NETWORK_COLUMNS and len(network) == 4
    docs = pd.read_csv(scanned / "documents.csv")
    assert set(docs["credit"].dropna()) == {KEPT, DROPPED, REPLACED}


def test_network_command_prints_top_edges_and_writes_graphs(scanned: Path):
    run = CliRunner().invoke(app, ["network", str(scanned), "--top", "2"], env={"COLUMNS": "200"})
    assert run.exit_code == 0, run.output
    assert "4 edges between 8 sites (72 copies across sites)." in run.output
    lines = [line for line in run.output.splitlines() if "wire.example" in line]
    assert len(lines) == 2 and "proxy-a.example" in lines[0] and "aggregator.example" in lines[1]
    assert re.search(r"proxy-a\.example\s+.\s+24\s+.\s+7\.2 h", lines[0])
    assert "proxy-a.example (24 of 24), proxy-b.example (16 of 16)" in run.output
    assert not (scanned / "network.graphml").exists()
    run = CliRunner().invoke(app, ["network", str(scanned), "--graph"])
    assert run.exit_code == 0, run.output
    assert (scanned / "network.graphml").is_file() and (scanned / "network.gexf").is_file()


def test_network_command_errors(tmp_path: Path, scanned: Path, monkeypatch: pytest.MonkeyPatch):
    run = CliRunner().invoke(app, ["network", str(tmp_path)])
    assert run.exit_code == 2 and "network.csv not found: run `syndup scan CORPUS --out" in run.output
    monkeypatch.setitem(sys.modules, "networkx", None)  # as if the extra were not installed
    run = CliRunner().invoke(app, ["network", str(scanned), "--graph"])
    assert run.exit_code == 1 and "pip install 'syndup[network]'" in run.output
    with pytest.raises(MissingDependency, match=r"syndup\[network\]"):
        write_graph(pd.DataFrame(columns=SITE_COLUMNS), pd.DataFrame(columns=NETWORK_COLUMNS), tmp_path)


# -- the report's pages ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report(eight, tmp_path_factory: pytest.TempPathFactory) -> Path:
    result, _ = eight
    return write_report(result, tmp_path_factory.mktemp("eight-report") / "report").parent


def parse(path: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(path.read_text(encoding="utf-8"))


def test_network_page_draws_every_linked_site_and_links_it_to_its_page(report: Path):
    page = parse(report / "network.html")
    nodes = page.xpath("//svg[@id='network']//a")
    assert sorted(n.xpath("string(.//*[name()='text'])") for n in nodes) == sorted(s for s in SITES if "outlet" not in s
                                                                          and s != "blog.example")
    for node in nodes:
        href = node.get("href")
        assert re.fullmatch(r"s-[a-z0-9-]+\.html", href) and (report / href).is_file()
    assert len(page.xpath("//svg[@id='network']//line[@class='edge']")) == 4
    assert len(page.xpath("//table[@id='edges']/tbody/tr")) == 4
    assert "network.html" in parse(report / "index.html").xpath("//p[@class='nav']/a/@href")


def test_site_pages_link_to_their_clusters_and_sites_page_lists_every_site(report: Path, eight):
    sites = parse(report / "sites.html")
    rows = sites.xpath("//table[@id='sites']/tbody/tr")
    assert len(rows) == 8
    for href in sites.xpath("//table[@id='sites']//a/@href"):
        assert (report / href).is_file()
    wire = parse(report / page_name(WIRE, "s"))
    clusters = wire.xpath("//section[@id='clusters']//a/@href")
    assert len(clusters) == 24 and all((report / c).is_file() for c in clusters)
    proxy = parse(report / page_name("proxy-b.example", "s"))
    assert {td.text_content() for td in proxy.xpath("//section[@id='clusters']//tr/td[4]")} == {"replaced"}
    # Who copies a site and whom it copies: the network's edges of that site, largest first.
    network = eight[0].network
    copiers = [str(s) for s in network.loc[network["origin_site"] == WIRE, "copy_site"]]
    assert copiers[:3] == ["proxy-a.example", "aggregator.example", "proxy-b.example"] and len(copiers) > 3
    assert [a.text_content() for a in wire.xpath("//section[@id='republishers']//tbody/tr/td[1]")] == copiers
    assert not wire.xpath("//section[@id='sources']//tbody/tr")
    assert [a.text_content() for a in proxy.xpath("//section[@id='sources']//tbody/tr/td[1]")] == [WIRE]


def test_cluster_page_shows_its_story_on_a_timeline(report: Path, eight):
    result, _ = eight
    page = parse(report / page_name("wire-00"))
    marks = page.xpath("//svg[@class='timeline']//g")
    assert len(marks) == 5  # the wire and its four copies, all dated
    labels = [m.xpath("string(.//*[name()='text'][@class='who'])") for m in marks]
    lags = [m.xpath("string(.//*[name()='text'][@class='lag'])") for m in marks]
    assert labels[0] == WIRE and lags[0] == "0 min" and "m-origin" in marks[0].get("class")
    docs = result.documents.set_index("doc_id")
    assert labels == [docs.loc[d, "site"] for d in ["wire-00"] + sorted(
        (d for d in docs.index if d.endswith("-00") and d != "wire-00" and not d.startswith(("blog", "outlet"))),
        key=lambda d: pd.Timestamp(docs.loc[d, "published"]))]
    xs = [float(m.xpath("string(.//circle/@cx)")) for m in marks]
    assert xs == sorted(xs)


def test_hostile_site_names_stay_text_in_network_pages(tmp_path: Path):
    from .test_report import BASE, PAYLOADS

    records = [{"id": "o", "text": BASE + "\n\nThe council will meet the crews next week.", "site": PAYLOADS[1],
                "published": "2020-01-01"},
               {"id": "c", "text": BASE + "\n\nThe council will meet the crews next week.\n\nSource: nobody",
                "site": PAYLOADS[3], "published": "2020-01-02", "author": PAYLOADS[0]}]
    index = write_report(syndup.scan(records), tmp_path / "report")
    for name in ("network.html", "sites.html", page_name(PAYLOADS[1], "s"), page_name(PAYLOADS[3], "s")):
        page = parse(index.parent / name)
        assert not page.xpath("//img | //iframe | //script[not(@src)][position() > 1] | //*[@onload] | //*[@onerror]")
        assert not page.xpath("//svg//svg")
        assert PAYLOADS[1] in page.text_content() and PAYLOADS[3] in page.text_content()


# -- the edge table against a slow, obvious recount ---------------------------------------------------


def _p90(values: list[float]) -> float:
    """The 90th percentile by linear interpolation between closest ranks (numpy's default), by hand."""
    ordered = sorted(values)
    at = 0.9 * (len(ordered) - 1)
    low = int(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


@st.composite
def copy_rows(draw: st.DrawFn) -> pd.DataFrame:
    site = st.sampled_from(["a.example", "b.example", "c.example", None])
    rows = draw(st.lists(st.fixed_dictionaries({
        "origin_site": site, "copy_site": site,
        "lag_hours": st.one_of(st.just(float("nan")), st.floats(-48, 480, allow_nan=False)),
        "credit": st.sampled_from(CREDITS), **{h: st.booleans() for h in HABITS if h not in ("drops_credit",
                                                                                               "replaces_credit")},
        "origin_kept": st.floats(0, 1), "diffed": st.booleans()}), max_size=40))
    for k, row in enumerate(rows):
        row.update(doc_id=f"d{k}", origin_id=f"o{k}", drops_credit=row["credit"] == DROPPED,
                   replaces_credit=row["credit"] == REPLACED)
    return pd.DataFrame(rows, columns=COPY_COLUMNS)


@settings(max_examples=60, deadline=None)
@given(copy_rows())
def test_edge_table_equals_a_recount_of_the_copies(copies: pd.DataFrame):
    got = edge_table(copies)
    expected: dict[tuple[str, str], list[dict[str, object]]] = {}
    for row in copies.to_dict("records"):
        known = isinstance(row["origin_site"], str) and isinstance(row["copy_site"], str)  # None reads back as NaN
        if known and row["origin_site"] != row["copy_site"]:
            expected.setdefault((row["origin_site"], row["copy_site"]), []).append(row)
    assert len(got) == len(expected)
    assert list(got["copies"]) == sorted(got["copies"], reverse=True)
    for edge in got.to_dict("records"):
        rows = expected[(edge["origin_site"], edge["copy_site"])]
        lags = [float(r["lag_hours"]) for r in rows if r["lag_hours"] == r["lag_hours"]]
        assert edge["copies"] == len(rows) and edge["dated"] == len(lags)
        if lags:
            assert edge["median_lag_hours"] == pytest.approx(statistics.median(lags), abs=1e-9)
            assert edge["p90_lag_hours"] == pytest.approx(_p90(lags), abs=1e-9)
        else:
            assert math.isnan(edge["median_lag_hours"]) and math.isnan(edge["p90_lag_hours"])
        read = [r for r in rows if r["diffed"]]
        assert edge["habits_from"] == len(read)
        for h in HABITS:
            over = read if h in DIFFED_HABITS else rows
            if over:
                assert edge[h] == pytest.approx(sum(bool(r[h]) for r in over) / len(over)), h
            else:
                assert math.isnan(edge[h]), h


@pytest.mark.parametrize(("sizes", "most", "budget", "caps"), [
    ([3, 5, 900], 200, 3000, [200] * 3),      # the budget is not reached: every edge up to 200
    ([10] * 1000, 200, 3000, [3] * 1000),     # a thousand small edges share the budget: three each
    ([250, 250], 200, 300, [150, 150]),
    ([1, 7, 1, 5, 2], 200, 3, [0, 1, 0, 1, 1]),  # more edges than the budget: one for each of the largest
])
def test_the_network_diff_budget_bounds_the_diffs(sizes: list[int], most: int, budget: int, caps: list[int]):
    from syndup.network import _per_edge

    got = _per_edge(sizes, most, budget)
    assert got == caps
    assert sum(min(n, c) for n, c in zip(sizes, got)) <= budget


def test_a_big_edge_reads_its_habits_from_a_fixed_sample_of_diffs(monkeypatch: pytest.MonkeyPatch):
    """Past `HABIT_SAMPLE` copies an edge costs no more diffs: its shares come from a sample that
    is the same every run."""
    import syndup.network as network

    calls: list[int] = []
    real = network.habits
    monkeypatch.setattr(network, "HABIT_SAMPLE", 4)
    monkeypatch.setattr(network, "habits", lambda *a, **k: calls.append(1) or real(*a, **k))
    records, _ = build()
    first = syndup.scan(records, jobs=1).network
    again = syndup.scan(records, jobs=1).network
    assert (first["habits_from"] == first["copies"].clip(upper=4)).all()
    assert len(calls) == 2 * int(first["habits_from"].sum()) and (first["copies"] > 4).any()
    pd.testing.assert_frame_equal(first, again)


def test_sites_and_network_are_the_same_for_any_jobs(eight):
    result, _ = eight
    records, _ = build()
    alone = syndup.scan(records, jobs=1)  # the 72 diffs here, not split between processes
    pd.testing.assert_frame_equal(alone.network, result.network)
    pd.testing.assert_frame_equal(alone.sites, result.sites)

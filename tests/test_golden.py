"""A scan's three tables, byte for byte, against golden files: any change to what the tables say shows.

The golden tables are in tests/golden/<corpus>/; rewrite them with `python tests/golden/regenerate.py`
only for a change meant to alter them, and review their diff.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pandas as pd
import pytest

from .generated import records
from .golden.regenerate import CASES, GOLDEN, scan_tables


def _diff(name: str, expected: bytes, got: bytes, limit: int = 60) -> str:
    lines = list(difflib.unified_diff(expected.decode().splitlines(), got.decode().splitlines(),
                                      f"golden/{name}", f"scan/{name}", lineterm="", n=1))
    more = f"\n... {len(lines) - limit} more diff lines" if len(lines) > limit else ""
    return "\n".join(lines[:limit]) + more


@pytest.mark.parametrize("case", CASES)
def test_scan_tables_equal_golden_files(case: str, tmp_path: Path) -> None:
    tables = scan_tables(case, tmp_path)
    changed = {name: _diff(f"{case}/{name}", (GOLDEN / case / name).read_bytes(), data)
               for name, data in tables.items() if data != (GOLDEN / case / name).read_bytes()}
    if changed:
        pytest.fail(f"syndup scan's tables for {case} differ from tests/golden/{case}/ "
                    "(if intended: python tests/golden/regenerate.py)\n" + "\n".join(changed.values()), pytrace=False)


def test_generated_corpus_has_every_relation_and_cluster_shape() -> None:
    docs, pairs, clusters = (pd.read_csv(GOLDEN / "generated" / f"{name}.csv", dtype={"doc_id": str})
                             for name in ("documents", "pairs", "clusters"))
    kind = {r.id: r.kind for r in records()}
    by_kind = docs.assign(kind=docs["doc_id"].map(kind)).groupby("kind")
    paired = pairs.assign(kinds=[{kind[a], kind[b]} for a, b in zip(pairs["doc_a"], pairs["doc_b"])])
    assert len(docs) == 200
    assert set(pairs["relation"]) == {"duplicate", "copy", "partial"}
    assert set(docs["relation"]) == {"origin", "duplicate", "copy", "unique"}  # clusters never chain
    assert set(clusters["origin_rule"]) == {"published", "attribution", "containment", "id", "unique"}
    # A chain A <- B <- C: C copies B, not A, so it is cut loose from their cluster but keeps their story.
    chains = docs.assign(kind=docs["doc_id"].map(kind))
    for _, c in by_kind.get_group("chain-c").iterrows():
        story = chains[chains["story_id"] == c["story_id"]]
        assert sorted(story["kind"]) == ["chain-a", "chain-b", "chain-c"]
        assert c["relation"] == "unique" and c["cluster_id"] not in set(story[story["kind"] == "chain-a"]["cluster_id"])
    # Each reuser of another site's paragraph is a partial pair; a quotation or its own site's is not.
    assert len(paired[paired["relation"] == "partial"]) >= 5
    assert all("partial" in k for k in paired[paired["relation"] == "partial"]["kinds"])
    assert not any(k & {"quote", "same-site"} for k in paired["kinds"])
    # The story with 36 copies is one cluster, linked through hubs rather than by all its 666 pairs.
    big = clusters[clusters["size"] == 37]
    assert len(big) == 1 and (paired["kinds"] <= {"big-origin", "big-copy"}).sum() < 100

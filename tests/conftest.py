"""Shared fixtures: the seed articles shipped in the repo (never ../shared)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .indexkit import redis_server  # noqa: F401 (a fixture, shared by the index tests)

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


def seed_text(prefix: str) -> str:
    """The text of the seed whose file name starts with `prefix` ("000" ... "004")."""
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def seeds() -> dict[str, str]:
    """Seed texts by their three-digit prefix."""
    return {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}

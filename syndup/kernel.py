"""The optional C kernel (`_kernel.c`): word hashing, paragraph hashes and MinHash, the per-word
and per-shingle work of a scan, and verification's per-pair work (shared shingles, shared passages).

It is built at install time when a C compiler is present. Without it (or with the environment
variable SYNDUP_NO_KERNEL=1) syndup computes the same arrays with numpy, a few times slower; a test
checks that both agree bit for bit.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType


def _refused() -> bool:
    return os.environ.get("SYNDUP_NO_KERNEL", "") not in ("", "0")


def _load() -> ModuleType | None:
    if _refused():
        return None
    try:
        return importlib.import_module("._kernel", __package__)
    except ImportError:
        return None


#: The compiled module, or None when numpy does the work.
KERNEL: ModuleType | None = _load()


def describe() -> str:
    """Which implementation runs the hot path, for version strings and benchmark headers."""
    if KERNEL is not None:
        return "C kernel"
    if _refused():
        return "numpy, SYNDUP_NO_KERNEL is set"
    return "numpy, the C kernel is not built"

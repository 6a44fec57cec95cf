"""syndup: find republished and near-duplicate news articles, their origin, and what each copy changed.

    >>> import syndup
    >>> result = syndup.scan("seeds/")             # a folder, JSONL, CSV, Parquet, dicts or a DataFrame
    >>> result.clusters[["cluster_id", "size", "origin_id"]]

Public names are imported on first use (PEP 562), so `import syndup` loads neither pandas nor numpy.
"""

from __future__ import annotations

import sys as _sys
import typing as _typing
from importlib import import_module as _import_module
from types import ModuleType as _ModuleType

if _typing.TYPE_CHECKING:  # pragma: no cover
    from .diff import Diff, Segment, Summary, diff
    from .errors import (
        BackendError,
        CorpusNotFound,
        IdConflict,
        IndexSettingsError,
        InputError,
        MissingDependency,
        OutputError,
        SettingsError,
        SyndupError,
    )
    from .index import Index
    from .models import Article, Match, Problem, ScanResult
    from .output import load
    from .read import ReadLimits, read
    from .report import write_report
    from .scan import scan
    from .settings import Settings
    from .verify import Relation, relate

__version__ = "0.1.0"

__all__ = [
    "Article",
    "BackendError",
    "CorpusNotFound",
    "Diff",
    "IdConflict",
    "Index",
    "IndexSettingsError",
    "InputError",
    "Match",
    "MissingDependency",
    "OutputError",
    "Problem",
    "ReadLimits",
    "Relation",
    "ScanResult",
    "Segment",
    "Settings",
    "SettingsError",
    "Summary",
    "SyndupError",
    "__version__",
    "diff",
    "load",
    "read",
    "relate",
    "scan",
    "write_report",
]

#: The submodule that defines each public name.
_HOME = {
    "Article": "models", "Match": "models", "Problem": "models", "ScanResult": "models",
    "BackendError": "errors", "CorpusNotFound": "errors", "IdConflict": "errors", "IndexSettingsError": "errors",
    "InputError": "errors", "MissingDependency": "errors", "OutputError": "errors", "SettingsError": "errors",
    "SyndupError": "errors",
    "Diff": "diff", "Segment": "diff", "Summary": "diff", "diff": "diff",
    "Index": "index", "Relation": "verify", "relate": "verify", "Settings": "settings",
    "load": "output", "read": "read", "ReadLimits": "read", "scan": "scan", "write_report": "report",
}


def __getattr__(name: str) -> _typing.Any:
    """Import the submodule that defines a public name on its first use, and keep the name."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(_ModuleType):
    """The syndup module: `syndup.scan`, `syndup.diff` and `syndup.read` stay the functions when
    their submodules of the same name load (the import system would bind the modules there)."""

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, _ModuleType) and _HOME.get(name) == name:
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package

"""syndup: find republished and near-duplicate news articles, their origin, and what each copy changed.

    >>> import syndup
    >>> result = syndup.scan("seeds/")             # a folder, JSONL, CSV, Parquet, dicts or a DataFrame
    >>> result.clusters[["cluster_id", "size", "origin_id"]]
"""

from __future__ import annotations

from .diff import Diff, Segment, Summary, diff
from .errors import BackendError, IndexSettingsError, InputError, MissingDependency, SyndupError
from .index import Index
from .models import Article, Match, Problem, ScanResult
from .read import read
from .report import write_report
from .scan import scan
from .settings import Settings
from .verify import Relation, relate

__version__ = "0.1.0"

__all__ = [
    "Article",
    "BackendError",
    "Diff",
    "Index",
    "IndexSettingsError",
    "InputError",
    "Match",
    "MissingDependency",
    "Problem",
    "Relation",
    "ScanResult",
    "Segment",
    "Settings",
    "Summary",
    "SyndupError",
    "__version__",
    "diff",
    "read",
    "relate",
    "scan",
    "write_report",
]

"""The one exception tree of syndup.

    SyndupError                 base of everything syndup raises on purpose
    ├── InputError              a corpus path or record syndup cannot use at all
    ├── IndexSettingsError      an index was built with other settings or a newer format
    ├── BackendError            a storage backend (SQLite, Redis) failed or went away
    └── MissingDependency       an optional extra is not installed (says which pip line fixes it)

Problems with single records (a line that is not JSON, an empty article) are not raised:
they are collected as `Problem` warnings so that one bad record never sinks a scan.
"""

from __future__ import annotations


class SyndupError(Exception):
    """Base class of all errors syndup raises on purpose."""


class InputError(SyndupError):
    """A corpus path or argument that cannot be read at all (missing file, unknown format)."""


class IndexSettingsError(SyndupError):
    """An index was built with other settings, or by a newer format, than the ones asked for."""


class BackendError(SyndupError):
    """A storage backend failed: a Redis server that went away, a locked or corrupt SQLite file."""


class MissingDependency(SyndupError, ImportError):
    """An optional dependency is missing; the message gives the `pip install` line."""

    def __init__(self, module: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the {module!r} package: pip install 'syndup[{extra}]'"
        )
        self.module = module
        self.extra = extra


def require(module: str, extra: str, purpose: str):  # type: ignore[no-untyped-def]
    """Import an optional module, or raise MissingDependency naming the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependency(module, extra, purpose) from exc

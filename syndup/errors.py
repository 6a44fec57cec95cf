"""The one exception tree of syndup.

Every class also subclasses the builtin it means, so `except ValueError` or `except OSError`
written before the tree existed (or by someone who never heard of it) keeps working.

    SyndupError                    base of everything syndup raises on purpose
    ├── InputError                 ValueError: a corpus path, format or argument syndup cannot use
    │   └── CorpusNotFound         FileNotFoundError too: a corpus path that does not exist
    ├── SettingsError              ValueError: a `Settings` field out of range or of the wrong type
    ├── IdConflict                 ValueError: `Index.add` of an id stored with a different text
    ├── IndexSettingsError         ValueError: an index built with other settings or a newer format
    ├── BackendError               OSError: a storage backend (SQLite, Redis) failed, or was closed
    ├── OutputError                OSError: a file or folder syndup was asked to write cannot be written
    └── MissingDependency          ImportError: an optional extra is missing or broken (says which pip line fixes it)

Problems with single records (a line that is not JSON, an empty article) are not raised:
they are collected as `Problem` warnings so that one bad record never sinks a scan.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class SyndupError(Exception):
    """Base class of all errors syndup raises on purpose."""


class InputError(SyndupError, ValueError):
    """A corpus path, record or argument that cannot be used at all (unknown format, bad value)."""


class CorpusNotFound(InputError, FileNotFoundError):
    """A corpus path that does not exist."""


class SettingsError(SyndupError, ValueError):
    """A `Settings` field of the wrong type or out of the range the code needs."""


class IdConflict(SyndupError, ValueError):
    """`Index.add` of an id already stored with a different text (and no `replace=True`)."""


class IndexSettingsError(SyndupError, ValueError):
    """An index was built with other settings, or by a newer format, than the ones asked for."""


class BackendError(SyndupError, OSError):
    """A storage backend failed (a Redis server that went away, a locked or corrupt SQLite
    file), or was used after `close()`."""


class OutputError(SyndupError, OSError):
    """A file or folder syndup was asked to write (tables, report) cannot be written."""


class MissingDependency(SyndupError, ImportError):
    """An optional dependency is not installed, or is installed but fails to import; the message
    gives the `pip install` line (and, when broken, the import error it hit)."""

    def __init__(self, module: str, extra: str, purpose: str, broken: str | None = None) -> None:
        fix = f"pip install 'syndup[{extra}]'"
        if broken is None:
            message = f"{purpose} needs the {module!r} package: {fix}"
        else:
            message = f"{purpose} needs the {module!r} package, which is installed but fails to import ({broken}): {fix}"
        super().__init__(message, name=module)
        self.module, self.extra, self.purpose, self.broken = module, extra, purpose, broken

    def __reduce__(self) -> tuple[type[MissingDependency], tuple[str, str, str, str | None]]:
        """Rebuilt from its four arguments, so it crosses a process boundary as itself."""
        return type(self), (self.module, self.extra, self.purpose, self.broken)


def optional(module: str, extra: str, purpose: str) -> ModuleType | None:
    """Import an optional module: None when it is not installed, MissingDependency (naming the
    import error) when it is installed but cannot be imported, e.g. one of its own dependencies
    is missing."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        absent = isinstance(exc, ModuleNotFoundError) and exc.name is not None and \
            (module == exc.name or module.startswith(exc.name + "."))
        if absent:
            return None
        # On one line: lxml's own message spans two.
        broken = " ".join(f"{type(exc).__name__}: {exc}".split())
        raise MissingDependency(module, extra, purpose, broken=broken) from exc


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import an optional module, or raise MissingDependency naming the extra to install."""
    found = optional(module, extra, purpose)
    if found is None:
        raise MissingDependency(module, extra, purpose)
    return found

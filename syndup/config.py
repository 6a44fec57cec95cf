"""Settings from a config file and `--set key=value`, for the CLI: each a `Settings` field.

The file is `--config FILE`, else `syndup.toml` in the current folder, else the `[tool.syndup]`
table of `pyproject.toml` there; `--set` wins over the file. Values are TOML (`0.6`, `5`); every
key is checked against the fields of `Settings`, and every value by `Settings` itself, so an
error names the key (and the file it came from).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .errors import SettingsError
from .settings import DEFAULT_SETTINGS, Settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CONFIG_FILE = "syndup.toml"


def find_config(folder: Path) -> tuple[Path, Mapping[str, Any]] | None:
    """The config file that applies in `folder` and its table of settings, if there is one."""
    own = folder / CONFIG_FILE
    if own.is_file():
        return own, _read(own)
    project = folder / "pyproject.toml"
    if project.is_file():
        table = _read(project).get("tool", {}).get("syndup")
        if table is not None:
            return project, table
    return None


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read it ({exc.strerror or exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc})") from exc


def parse_set(item: str) -> tuple[str, object]:
    """`key=value` as (key, value), the value read as TOML ("0.6" a float, "5" an int) or else as text."""
    key, sep, raw = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise SettingsError(f"--set {item!r}: expected KEY=VALUE, e.g. --set copy_containment=0.6")
    try:
        return key, tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return key, raw.strip()


def settings_from(config: Path | None = None, sets: Iterable[str] = (), *,
                  folder: Path | None = None) -> tuple[Settings, list[str]]:
    """The settings a command runs with, and where each change from the defaults came from
    ("copy_containment=0.6 (syndup.toml)")."""
    changes: dict[str, tuple[object, str]] = {}
    if config is not None:
        if not config.is_file():
            raise SettingsError(f"--config {config}: no such file")
        found: tuple[Path, Mapping[str, Any]] | None = (config, _config_table(config))
    else:
        found = find_config(folder or Path.cwd())
    if found is not None:
        path, table = found
        for key, value in table.items():
            changes[key] = (value, str(path))
    for item in sets:
        key, value = parse_set(item)
        changes[key] = (value, "--set")
    fields = {f.name for f in dataclasses.fields(Settings)}
    for key, (_, where) in changes.items():
        if key not in fields:
            raise SettingsError(f"unknown setting {key!r} ({where}); settings are: {', '.join(sorted(fields))}")
    try:
        settings = DEFAULT_SETTINGS.replace(**{k: v for k, (v, _) in changes.items()})
    except SettingsError as exc:
        culprit = next((k for k in changes if f"Settings.{k} " in str(exc)), None)
        raise SettingsError(f"{exc} ({changes[culprit][1]})" if culprit else str(exc)) from None
    return settings, [f"{k}={v!r} ({where})" for k, (v, where) in changes.items()]


def _config_table(path: Path) -> Mapping[str, Any]:
    """A --config file's settings: the whole file, or its [tool.syndup] table if it is a pyproject.toml."""
    data = _read(path)
    if path.name == "pyproject.toml":
        return data.get("tool", {}).get("syndup", {})
    return data

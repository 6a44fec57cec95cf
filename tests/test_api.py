"""The public surface: a sorted, complete __all__, documented CLI commands, one error tree."""

from __future__ import annotations

import inspect

from typer.testing import CliRunner

import syndup
from syndup.cli import app


def test_all_is_sorted_and_complete():
    assert syndup.__all__ == sorted(syndup.__all__)
    for name in syndup.__all__:
        assert hasattr(syndup, name), name
    public = {n for n, v in vars(syndup).items()
              if not n.startswith("_") and not inspect.ismodule(v) and n not in ("annotations",)}
    assert public <= set(syndup.__all__), public - set(syndup.__all__)


def test_every_error_is_a_syndup_error():
    for name in ("InputError", "IndexSettingsError", "BackendError", "MissingDependency"):
        assert issubclass(getattr(syndup, name), syndup.SyndupError)


def test_every_cli_command_has_help():
    import typer

    runner = CliRunner()
    commands = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    assert "scan" in commands
    for name in commands:
        res = runner.invoke(app, [name, "--help"])
        assert res.exit_code == 0, name
        assert len(res.output.strip()) > 40

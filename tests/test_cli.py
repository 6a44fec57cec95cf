"""The `syndup` command line: every command, subcommand, argument and option explains itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer
from typer.testing import CliRunner

from syndup.cli import app


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command below the root (groups included), with the words that invoke it."""
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield (*path, name), sub
        yield from _commands(sub, (*path, name))


def _help_of(path: tuple[str, ...]) -> str:
    """What `syndup PATH --help` prints, one line per row (wide terminal: no wrapping)."""
    res = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "400"})
    assert res.exit_code == 0, (path, res.output)
    return " ".join(res.output.split())


def test_every_cli_command_and_parameter_has_help() -> None:
    root = typer.main.get_command(app)
    commands = dict(_commands(root))
    assert {("scan",), ("diff",), ("index",), ("index", "add"), ("index", "check"),
            ("index", "stats")} <= set(commands)
    for path, command in [((), root), *commands.items()]:
        shown = _help_of(path)
        summary = (command.help or "").strip()
        assert summary, f"`syndup {' '.join(path)}` has no help text"
        assert " ".join(summary.split()) in shown, path
        for param in command.params:
            text = (getattr(param, "help", None) or "").strip()
            assert text, f"`syndup {' '.join(path)}`: {param.name} has no help text"
            assert " ".join(text.split()) in shown, (path, param.name)

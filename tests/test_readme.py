"""The README's Python examples run as written, in a folder with the seeds: the README cannot drift
from the API. Blocks run in order in one namespace, as a reader would type them."""

from __future__ import annotations

import ast
import builtins
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPO, SEEDS
from .indexkit import REDIS_SERVER, RedisServer

README = REPO / "README.md"
#: The one server an example names: a redis-server started for the test stands in for it.
REDIS_EXAMPLE = "redis://host:6379"
#: Names the examples use without defining them: none (the README defines what it uses).
GIVEN: dict[str, object] = {}
#: Examples that fail as written, by a snippet of them: the README is wrong there (strict, so a
#: fixed README makes the test say to drop the entry).
WRONG: dict[str, tuple[type[Exception], str]] = {}


@dataclass(frozen=True)
class Block:
    """A fenced ```python block of the README and the line it starts on."""

    line: int
    code: str


def _blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    return [Block(text.count("\n", 0, m.start()) + 2, m.group(1))
            for m in re.finditer(r"^```python\n(.*?)^```", text, re.MULTILINE | re.DOTALL)]


BLOCKS = _blocks()


def _names(code: str) -> tuple[set[str], set[str]]:
    """(names the code binds, names it reads)."""
    bound: set[str] = set()
    read: set[str] = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, ast.Store) else read).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
    return bound, read


def test_readme_has_python_examples_and_given_names_are_exactly_the_undefined_ones() -> None:
    assert len(BLOCKS) >= 3
    bound: set[str] = set()
    undefined: set[str] = set()
    for block in BLOCKS:
        b, r = _names(block.code)
        bound |= b
        undefined |= r - bound - set(dir(builtins))
    assert undefined == set(GIVEN), ("names the README's examples use without defining them changed: "
                                     f"now {sorted(undefined)}, GIVEN has {sorted(GIVEN)}")


@pytest.mark.parametrize("index", [
    pytest.param(i, id=f"README.md:{b.line}",
                 marks=([pytest.mark.redis] if REDIS_EXAMPLE in b.code else [])
                 + [pytest.mark.xfail(strict=True, raises=error, reason=why) for snippet, (error, why) in WRONG.items()
                    if snippet in b.code])
    for i, b in enumerate(BLOCKS)])
def test_readme_python_block_runs(index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__readme__", **GIVEN}
    for block in BLOCKS[:index]:
        exec(compile(block.code, f"README.md:{block.line}", "exec"), namespace)
    block = BLOCKS[index]
    if REDIS_EXAMPLE not in block.code:
        exec(compile(block.code, f"README.md:{block.line}", "exec"), namespace)
        return
    if not REDIS_SERVER.exists():
        pytest.skip(f"README.md:{block.line} opens {REDIS_EXAMPLE}: no {REDIS_SERVER} to stand in for it")
    server = RedisServer(tmp_path).start()
    try:
        code = block.code.replace(REDIS_EXAMPLE, f"redis://127.0.0.1:{server.port}")
        exec(compile(code, f"README.md:{block.line}", "exec"), namespace)
    finally:
        server.stop()


def _commands() -> list[tuple[str, Any]]:
    """Every command of the `syndup` CLI as (its words, the click command), groups included."""
    import typer

    from syndup.cli import app

    found: list[tuple[str, Any]] = []

    def walk(cmd: Any, words: str) -> None:  # typer's own click: its classes are not click's
        found.append((words, cmd))
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{words} {name}")

    walk(typer.main.get_command(app), "syndup")
    return found


def _cli_reference() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## CLI reference")
    return text[start:text.index("\n## ", start + 1)]


@pytest.mark.parametrize("words", [w for w, _ in _commands()])
def test_every_command_and_option_is_in_the_readme_cli_reference(words: str) -> None:
    reference = _cli_reference()
    command = dict(_commands())[words]
    assert words in reference, f"{words!r} is not in the README's CLI reference"
    assert command.help, f"{words} has no help text"
    for param in command.params:
        if param.param_type_name != "option" or param.name == "help":
            continue
        names = [n for n in param.opts + param.secondary_opts if n.startswith("--")]
        missing = [n for n in names if not re.search(re.escape(n) + r"(?![\w-])", reference)]
        assert not missing, f"{words} {'/'.join(names)} is not in the README's CLI reference"


@pytest.mark.parametrize("words", [w for w, c in _commands() if not hasattr(c, "commands")])
def test_every_command_has_examples_and_help_that_fits_80_columns(words: str) -> None:
    from typer.testing import CliRunner

    from syndup.cli import app

    result = CliRunner().invoke(app, [*words.split()[1:], "--help"], terminal_width=80, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80, "\n".join(line for line in lines if len(line) > 80)
    assert "Examples:" in result.output and f"{words} " in result.output.split("Examples:")[1]
    assert "<bool>" not in result.output and "…" not in result.output

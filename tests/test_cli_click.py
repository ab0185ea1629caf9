"""The click layer of the CLI: --help lists every command, argument and option with its help; no arguments is the
help; a bug in a command is one line (or, with LOSSDOC_DEBUG, the exception itself)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from lossdoc.cli import app

from .conftest import EXAMPLES

runner = CliRunner()
COMMANDS = ["formats", "show", "analyze", "phases", "spikes", "mfu", "config-check", "gap"]


def squeeze(text: str) -> str:
    """Text without whitespace: help is wrapped at the terminal's width, wherever its words fall."""
    return re.sub(r"\s+", "", text)


def test_root_help_lists_every_command_in_order() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    listed = re.findall(r"^  (\S+)  ", result.stdout.partition("Commands:")[2], re.M)
    assert listed == COMMANDS == list(app.commands)
    assert "--version" in result.stdout


@pytest.mark.parametrize("name", COMMANDS)
def test_command_help_lists_every_argument_and_option_with_its_help(name: str) -> None:
    command = app.commands[name]
    result = runner.invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    out = squeeze(result.stdout)
    assert squeeze(command.help or "") in out
    for param in command.params:
        assert param.help, f"{name} {param.name}: no help"  # type: ignore[attr-defined]
        assert squeeze(param.help) in out, f"{name} {param.name}"  # type: ignore[attr-defined]
        names = param.opts if isinstance(param, click.Option) else [param.metavar]
        for opt in names:
            assert re.search(rf"(^|[\s,]){re.escape(str(opt))}[\s,]", result.stdout), f"{name}: {opt} not in help"


def test_no_arguments_prints_the_help_and_exits_2() -> None:
    result = runner.invoke(app, [])
    assert result.exit_code == 2 and "Commands:" in result.output and "analyze" in result.output


def test_a_missing_log_is_a_usage_error() -> None:
    result = runner.invoke(app, ["phases"])
    assert result.exit_code == 2 and result.stdout == ""
    assert "Missing argument 'LOG'" in result.stderr and "phases --help" in result.stderr


def test_a_bug_is_one_line_and_exit_2_and_lossdoc_debug_shows_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import lossdoc.summary

    def broken(*_: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(lossdoc.summary, "summarize", broken)
    monkeypatch.delenv("LOSSDOC_DEBUG", raising=False)
    result = runner.invoke(app, ["show", str(EXAMPLES / "table-losses.txt")])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (
        "lossdoc: internal error: ZeroDivisionError: division by zero (LOSSDOC_DEBUG=1 shows where)\n"
    )
    monkeypatch.setenv("LOSSDOC_DEBUG", "1")
    result = runner.invoke(app, ["show", str(EXAMPLES / "table-losses.txt")])
    assert isinstance(result.exception, ZeroDivisionError)


def test_paths_are_paths_and_values_have_their_type() -> None:
    """What the command functions receive (typer converted from the annotations; here click's types must)."""
    args = ["-", "--project", "9000", "--target", "3.5", "--plot", "x.png", "--json", "--config", "c.py"]
    params = app.commands["analyze"].make_context("analyze", args).params
    assert params["log"] == Path("-") and params["plot"] == Path("x.png") and params["config"] == Path("c.py")
    assert params["project"] == 9000 and type(params["project"]) is int and params["target"] == 3.5
    assert params["json"] is True and params["html"] is None and params["markdown"] is None
    assert app.commands["mfu"].make_context("mfu", ["log"]).params["convention"] == "nanogpt"
    params = app.commands["config-check"].make_context("config-check", ["train.py"]).params
    assert params["config"] == Path("train.py") and params["log"] is None

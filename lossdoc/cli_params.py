"""The click layer of the CLI: the path argument with its help, options with their placeholder, the options the
commands share, and --help that lists the arguments first and the commands in their order; a value click cannot
convert is one line and exit 2."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from collections.abc import Callable

PATH = click.Path(path_type=Path)  # a plain path, not checked here: the library says what is wrong with it
# The value's placeholder in --help, per type (as typer printed them).
METAVARS = {str: "<str>", int: "<int>", float: "<float>", Path: "<path>"}


class _Argument(click.Argument):
    """A path argument with a help line (click has none for arguments), shown [LOG] in the usage when optional."""

    def __init__(self, decls: Any, help: str = "", **attrs: Any) -> None:
        super().__init__(decls, type=PATH, **attrs)
        self.help = help

    def make_metavar(self, *_: Any) -> str:  # click >= 8.2 passes the context
        return self.metavar if self.required else f"[{self.metavar}]"


class _BadValue(click.ClickException):
    """An option value click cannot convert (`--project abc`): one line and exit 2, like every bad value."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"lossdoc: error: {self.format_message()}", err=True)


class _Command(click.Command):
    """A command whose --help lists its arguments with their help before the options."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.MissingParameter:
            raise  # a missing LOG keeps click's usage lines: they say what to give
        except click.BadParameter as exc:
            raise _BadValue(exc.format_message()) from None

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [
            (f"{p.metavar} {METAVARS[Path]}", p.help + ("  [required]" if p.required else ""))
            for p in self.get_params(ctx)
            if isinstance(p, _Argument)
        ]
        if rows:
            with formatter.section("Arguments"):
                formatter.write_dl(rows)
        super().format_options(ctx, formatter)


class _Group(click.Group):
    """The commands in the order the group is given them (formats, show, analyze, ...), not sorted by name."""

    command_class = _Command

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


def _option(*decls: str, kind: type = str, help: str, **attrs: Any) -> Callable[[Any], Any]:
    """An option taking a value of `kind` (str, int, float or Path), None when not given unless a default is."""
    return click.option(*decls, type=PATH if kind is Path else kind, metavar=METAVARS[kind], help=help, **attrs)


def _log_argument(name: str = "log", metavar: str = "LOG", help: str = "", required: bool = True) -> Any:
    return click.argument(name, cls=_Argument, metavar=metavar, help=help, required=required)


json_option = click.option("--json", is_flag=True, help="Print one JSON document on stdout instead of a report.")
format_option = _option("--format", "-f", help="Force a reader (see `lossdoc formats`).")
run_option = _option("--run", help="Which run of a multi-run file (name or 1-based index).")
fail_on_option = _option("--fail-on", help="Exit 1 when a finding is at or above: info, warning, problem.")
config_option = _option(
    "--config", kind=Path,
    help="The run's config file (.py read with ast, never run; config.json; hparams.yaml; .toml).",
)
log_argument = _log_argument(
    help="The training log: a file (also .gz/.bz2/.xz/.zst), a directory, or - for standard input."
)


def run_options(command: Any) -> Any:
    """LOG, --json, --format, --run and --fail-on, in that order: what every command that analyses one run takes."""
    for decorate in (fail_on_option, run_option, format_option, json_option, log_argument):  # innermost first
        command = decorate(command)
    return command

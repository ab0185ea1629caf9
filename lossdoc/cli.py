"""The command line: one function per command, each options -> library -> renderer -> exit code.

Heavy libraries (pandas, scipy, matplotlib, rich) are imported inside the command bodies, so that
`lossdoc --help` stays fast. Errors in the input are one line on stderr and exit code 2.

Built on click directly: typer (0.29) built one pydantic TypeAdapter per option on every call and imported
pydantic: ~0.1 s of `show` and ~0.14 s of `analyze` (issue 12). click converts the few types used here itself.

The click layer is in cli_params.py, what every command does around its analysis in cli_common.py; the commands
are in cli_reading.py (formats, show), cli_report.py (analyze) and cli_analyses.py (phases, spikes, mfu,
config-check, gap).
"""

from __future__ import annotations

import click

from .cli_analyses import config_check, gap, mfu, phases, spikes
from .cli_common import pick_run
from .cli_params import _Group
from .cli_reading import formats, show
from .cli_report import analyze

__all__ = ["app", "main", "pick_run"]


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        from . import __version__

        click.echo(f"lossdoc {__version__}")
        ctx.exit(0)


@click.group(cls=_Group, name="lossdoc", no_args_is_help=True,
             help="Diagnose a language-model training run from its log.",
             # --help lists the commands in this order
             commands=[formats, show, analyze, phases, spikes, mfu, config_check, gap])
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Print the version and exit.")
def app() -> None:
    pass


def main() -> None:
    """Entry point of the `lossdoc` script and `python -m lossdoc`."""
    app()

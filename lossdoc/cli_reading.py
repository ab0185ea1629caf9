"""The commands about reading: `formats` (the log formats lossdoc reads) and `show` (what it read of a log)."""

from __future__ import annotations

from pathlib import Path

import click

from .cli_common import _console, _emit_json, _guard
from .cli_params import _Command, _option, format_option, json_option, log_argument


@click.command(cls=_Command)
@json_option
def formats(json: bool) -> None:
    """List the log formats lossdoc reads, with a sample line of each."""

    def body() -> int:
        from .parsers import PARSERS

        rows = [{"name": p.NAME, "description": p.DESCRIPTION, "sample": p.SAMPLE} for p in PARSERS]
        if json:
            _emit_json({"formats": rows})
            return 0
        from rich.table import Table

        table = Table(header_style="bold")
        for col in ("format", "what", "sample line"):
            table.add_column(col)
        for row in rows:
            table.add_row(row["name"], row["description"], row["sample"])
        _console().print(table)
        return 0

    _guard(body)


@click.command(cls=_Command)
@log_argument
@json_option
@format_option
@_option("--to", kind=Path, help="Also write the tidy points to FILE (.csv, .jsonl or .parquet).")
@click.option("--verbose", "-v", is_flag=True, help="Show the first lines not understood.")
def show(log: Path, json: bool, format: str | None, to: Path | None, verbose: bool) -> None:
    """What was read: runs, series (points, steps, first, last, NaN) and what every line became."""

    def body() -> int:
        from .options import check_to
        from .parsers import load, require_loss
        from .progress import working
        from .summary import summarize

        check_to(to)
        with working(log, quiet=json):
            runs = load(log, format)
        require_loss(runs, log, format)
        doc = summarize(runs, str(log))
        if to is not None:
            from .export import write_points

            write_points(runs, to)
        if json:
            _emit_json(doc)
        else:
            from .render.terminal import render_show

            render_show(_console(), doc, verbose=verbose)
        return 0

    _guard(body)

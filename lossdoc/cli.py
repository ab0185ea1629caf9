"""The command line: one function per command, each options -> library -> renderer -> exit code.

Heavy libraries (pandas, scipy, matplotlib) are imported inside the library functions, so that
`lossdoc --help` stays fast. Errors in the input are one line on stderr and exit code 2.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from .errors import InputError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Diagnose a language-model training run from its log.",
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout instead of a report.")]
FormatOpt = Annotated[str | None, typer.Option("--format", "-f", help="Force a reader (see `lossdoc formats`).")]
RunOpt = Annotated[str | None, typer.Option("--run", help="Which run of a multi-run file (name or 1-based index).")]
FailOnOpt = Annotated[
    str | None, typer.Option("--fail-on", help="Exit 1 when a finding is at or above: info, warning, problem.")
]
LogArg = Annotated[
    Path, typer.Argument(help="The training log (file or directory).", show_default=False, metavar="LOG")
]


def main() -> None:
    """Entry point of the `lossdoc` script and `python -m lossdoc`."""
    app()


PIPE_WIDTH = 140  # columns of a report written to a file or pipe (rich would assume 80 and squeeze tables)


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or os.environ.get("COLUMNS") else PIPE_WIDTH
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=width)


def _guard(body: Callable[[], int]) -> None:
    """Run a command body; input errors become one line on stderr and exit 2, never a traceback."""
    try:
        code = body()
    except InputError as exc:
        typer.echo(f"lossdoc: error: {exc}", err=True)
        raise typer.Exit(2) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as exc:  # noqa: BLE001 - a bug must not show the user a traceback either
        if os.environ.get("LOSSDOC_DEBUG"):
            raise
        typer.echo(f"lossdoc: internal error: {type(exc).__name__}: {exc} (LOSSDOC_DEBUG=1 shows where)", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(code)


def _emit_json(doc: Any) -> None:
    from .render.jsonout import dumps

    sys.stdout.write(dumps(doc) + "\n")


def pick_run(runs: list[Any], which: str | None) -> Any:
    """The run a command works on: named or numbered by --run, else the one with the most points."""
    if which:
        for run in runs:
            if run.name == which:
                return run
        if which.isdigit() and 1 <= int(which) <= len(runs):
            return runs[int(which) - 1]
        names = ", ".join(r.name for r in runs)
        raise InputError(f"no run {which!r} in this file; runs: {names}")
    return max(runs, key=lambda r: r.n_points)


def _exit_code(findings: list[Any], fail_on: str | None) -> int:
    if not fail_on:
        return 0
    from .findings import Severity

    try:
        threshold = Severity(fail_on).rank
    except ValueError:
        raise InputError(f"--fail-on must be one of info, warning, problem (got {fail_on!r})") from None
    return 1 if any(f.severity.rank >= threshold for f in findings) else 0


@app.command()
def formats(json: JsonOpt = False) -> None:
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


@app.command()
def show(
    log: LogArg,
    json: JsonOpt = False,
    format: FormatOpt = None,
    to: Annotated[
        Path | None, typer.Option("--to", help="Also write the tidy points to FILE (.csv, .jsonl or .parquet).")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show the first lines not understood.")] = False,
) -> None:
    """What was read: runs, series (points, steps, first, last, NaN) and what every line became."""

    def body() -> int:
        from .parsers import load
        from .progress import working
        from .summary import summarize

        with working(log, quiet=json):
            runs = load(log, format)
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


@app.command()
def analyze(
    log: LogArg,
    json: JsonOpt = False,
    format: FormatOpt = None,
    run: RunOpt = None,
    fail_on: FailOnOpt = None,
) -> None:
    """Everything the log allows, as one report: what was read, then each analysis' section."""

    def body() -> int:
        from .parsers import load
        from .progress import working
        from .report import build_report

        with working(log, "analysing", quiet=json):
            runs = load(log, format)
            chosen = pick_run(runs, run)
            report, results = build_report(chosen, runs, str(log))
        findings = report.pop("findings_objects")
        if json:
            _emit_json(report)
        else:
            from .render.terminal import render_report

            render_report(_console(), dict(report, findings_objects=findings), results)
        return _exit_code(findings, fail_on)

    _guard(body)


@app.command()
def phases(
    log: LogArg,
    json: JsonOpt = False,
    format: FormatOpt = None,
    run: RunOpt = None,
    fail_on: FailOnOpt = None,
    series: Annotated[
        str | None, typer.Option("--series", help="Loss series to analyse (default: val/loss if >= 8 points).")
    ] = None,
    vocab: Annotated[
        int | None, typer.Option("--vocab", help="Vocabulary size for the initial-loss check (ln V).")
    ] = None,
    target: Annotated[
        float | None, typer.Option("--target", help="Target loss: the first step that reaches it.")
    ] = None,
    project: Annotated[
        int | None, typer.Option("--project", help="Fit the curve and project the loss at STEP, with an interval.")
    ] = None,
    schedule: Annotated[
        str | None,
        typer.Option(
            "--schedule",
            help="LR schedule for the fit when the log lacks it: cosine:peak=6e-4,warmup=700,total=19560[,final=0], "
            "wsd:...,decay=N, constant:peak=X, or a step/lr file.",
        ),
    ] = None,
    price_per_hour: Annotated[
        float | None,
        typer.Option("--price-per-hour", help="USD per hour of the whole job, for the projection's cost."),
    ] = None,
) -> None:
    """Where the run is on its loss curve: init loss vs ln(vocab), phases, diminishing returns, target, projection."""

    def body() -> int:
        from .analyzers import phases as analysis
        from .parsers import load
        from .schedule import parse_schedule

        if schedule:
            parse_schedule(schedule, 2)  # a malformed --schedule is an error even when no fit needs it
        chosen = pick_run(load(log, format), run)
        result = analysis.analyze(
            chosen,
            series=series,
            vocab=vocab,
            target=target,
            project=project,
            schedule=schedule,
            price_per_hour=price_per_hour,
        )
        if json:
            _emit_json(result.to_json())
        else:
            from .render.phases import render
            from .render.terminal import render_findings

            console = _console()
            console.print(f"[bold]{log}[/bold]  run {chosen.name}  ({chosen.meta.get('format')})", highlight=False)
            render(console, result)
            render_findings(console, result.findings)
        return _exit_code(result.findings, fail_on)

    _guard(body)


@app.command()
def spikes(
    log: LogArg,
    json: JsonOpt = False,
    format: FormatOpt = None,
    run: RunOpt = None,
    fail_on: FailOnOpt = None,
    shard_map: Annotated[
        Path | None,
        typer.Option(
            "--shard-map",
            help='JSON: [{"shard": NAME, "start_step": N} or {"shard": NAME, "start_token": N}, …] '
            'or {"steps_per_shard": N}; tests whether spikes follow shard boundaries.',
        ),
    ] = None,
) -> None:
    """Loss spikes (kind, recovery cost, LR, grad norm), NaN onset, best val, periodicity, shards, plateaus."""

    def body() -> int:
        from .analyzers import spikes as spikes_analyzer
        from .analyzers.shards import load_shard_map
        from .parsers import load

        shards = load_shard_map(shard_map) if shard_map is not None else None
        runs = load(log, format)
        chosen = pick_run(runs, run)
        reason = spikes_analyzer.applies(chosen)
        if reason:
            raise InputError(f"{log}: run {chosen.name!r} cannot be analysed for spikes: {reason}")
        result = spikes_analyzer.analyze(chosen, shard_map=shards)
        if json:
            _emit_json(dict(result.to_json(), run=chosen.name, source=str(log)))
        else:
            from .render.spikes import render
            from .render.terminal import render_findings

            console = _console()
            console.print(f"[bold]{log}[/bold]  run {chosen.name}\n")
            render(console, result)
            render_findings(console, result.findings)
        return _exit_code(result.findings, fail_on)

    _guard(body)

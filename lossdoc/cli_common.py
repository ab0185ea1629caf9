"""What the commands share around their analysis: errors as one line and exit 2, the console, the run they work
on, the config attached to it, the JSON document or terminal section they print, and the exit code of --fail-on."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .errors import InputError

if TYPE_CHECKING:
    from collections.abc import Callable


PIPE_WIDTH = 140  # columns of a report written to a file or pipe (rich would assume 80 and squeeze tables)


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # rich's own exits 1 (SystemExit), which here means a finding at or above --fail-on: _guard exits
            # EXIT_BROKEN_PIPE instead
            self.quiet = True
            raise BrokenPipeError

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or os.environ.get("COLUMNS") else PIPE_WIDTH
    # emoji=False: log text such as "step:1 :smile:" stays as written (and rich skips its emoji table)
    return _Console(stderr=stderr, highlight=False, soft_wrap=True, width=width, emoji=False)


# the reader of stdout closed it (`lossdoc analyze run.log | head`): exit as a shell reports a process SIGPIPE ended,
# 128 + 13. click's own handling exits 1, which means "a finding at or above --fail-on" here
EXIT_BROKEN_PIPE = 141


def _guard(body: Callable[[], int]) -> None:
    """Run a command body; input errors become one line on stderr and exit 2, never a traceback."""
    try:
        code = body()
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
    except BrokenPipeError:
        # nothing more can be written: point stdout at /dev/null so the interpreter's last flush stays quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise click.exceptions.Exit(EXIT_BROKEN_PIPE) from None
    except InputError as exc:
        click.echo(f"lossdoc: error: {exc}", err=True)
        raise click.exceptions.Exit(2) from None
    except (click.exceptions.Exit, click.exceptions.Abort):
        raise
    except Exception as exc:  # noqa: BLE001 - a bug must not show the user a traceback either
        if os.environ.get("LOSSDOC_DEBUG"):
            raise
        click.echo(f"lossdoc: internal error: {type(exc).__name__}: {exc} (LOSSDOC_DEBUG=1 shows where)", err=True)
        raise click.exceptions.Exit(2) from None
    raise click.exceptions.Exit(code)


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


def _emit_result(result: Any, run: Any, log: Path, renderer: str, json: bool, fail_on: str | None) -> int:
    """One analysis' output: its JSON document, or its terminal section and findings; then the exit code."""
    if json:
        _emit_json(dict(result.to_json(), run=run.name, source=str(log)))
    else:
        import importlib

        from .render.terminal import render_findings

        console = _console()
        console.print(f"[bold]{log}[/bold]  run {run.name}  ({run.meta.get('format')})\n", highlight=False)
        importlib.import_module(f"lossdoc.render.{renderer}").render(console, result)
        render_findings(console, result.findings)
    return _exit_code(result.findings, fail_on)


def _exit_code(findings: list[Any], fail_on: str | None) -> int:
    if not fail_on:
        return 0
    from .findings import Severity

    try:
        threshold = Severity(fail_on).rank
    except ValueError:
        raise InputError(f"--fail-on must be one of info, warning, problem (got {fail_on!r})") from None
    return 1 if any(f.severity.rank >= threshold for f in findings) else 0


def _attach_config(run: Any, config: Path | None, dataset_tokens: int | None = None) -> None:
    """--config: the config's facts join the run's (the log's values win; conflicts are reported)."""
    if config is not None:
        from .configs.attach import attach

        attach(run, config, dataset_tokens)

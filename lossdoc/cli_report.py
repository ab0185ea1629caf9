"""`lossdoc analyze`: the whole diagnosis as one report, and the files it also writes (Markdown, HTML, PNG)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .cli_common import _attach_config, _console, _emit_json, _exit_code, _guard, pick_run
from .cli_params import (
    _Command,
    _option,
    config_option,
    run_options,
)
from .errors import InputError


@click.command(cls=_Command)
@run_options
@config_option
@_option("--project", kind=int, help="Project the loss to STEP (default: the planned last step).")
@_option("--target", kind=float, help="Target loss: when it is (or will be) reached.")
@_option("--shard-map", kind=Path, help="JSON of data shard boundaries (see `lossdoc spikes --help`).")
@_option("--gpu", help="GPU model, e.g. H100-SXM, 'RTX 4090' (for MFU).")
@_option("--gpus", kind=int, help="Number of GPUs of the job.")
@_option("--price-per-gpu-hour", kind=float, help="USD per GPU-hour, for what the rest of the run costs.")
@_option("--schedule", help="LR schedule when the log lacks it (see `lossdoc phases --help`).")
@_option("--vocab", kind=int, help="Vocabulary size for the initial-loss check.")
@_option("--series", help="Loss series for the phases (default: val/loss).")
@_option("--markdown", help="Also write the report as GitHub Markdown to FILE ('-': stdout).")
@_option("--html", kind=Path, help="Also write a self-contained HTML report with its charts to FILE.")
@_option("--plot", kind=Path, help="Also write the loss chart as a PNG to FILE (needs lossdoc[plot]).")
def analyze(
    log: Path, json: bool, format: str | None, run: str | None, fail_on: str | None, config: Path | None,
    project: int | None, target: float | None, shard_map: Path | None, gpu: str | None, gpus: int | None,
    price_per_gpu_hour: float | None, schedule: str | None, vocab: int | None, series: str | None,
    markdown: str | None, html: Path | None, plot: Path | None,
) -> None:
    """The diagnosis: the most important finding first, the run in one line, every analysis the log allows,
    what to do ranked by impact; also as Markdown, HTML with charts, or a PNG."""

    def body() -> int:
        from . import options as checks

        checks.check_curve_options(  # bad option values are errors before any work
            fail_on=fail_on, target=target, project=project, vocab=vocab, schedule=schedule, gpus=gpus,
            price_per_gpu_hour=price_per_gpu_hour,
        )
        if json and markdown == "-":
            raise InputError("--json and --markdown - both write to stdout: pick one")
        if plot is not None:
            import importlib.util

            if importlib.util.find_spec("matplotlib") is None:
                raise InputError("--plot needs matplotlib: pip install 'lossdoc[plot]'")
        if config is not None and not config.exists():
            raise InputError(f"--config {config}: no such file")
        if schedule:
            from .schedule import parse_schedule

            parse_schedule(schedule, 2)  # a malformed --schedule is an error even when no fit needs it
        shards = None
        if shard_map is not None:
            from .analyzers.shards import load_shard_map

            shards = load_shard_map(shard_map)
        from .parsers import load, require_loss
        from .progress import working
        from .report import build_report

        with working(log, "analysing", quiet=json):
            runs = load(log, format)
            require_loss(runs, log, format)
            chosen = pick_run(runs, run)
            checks.check_project_beyond(project, chosen)
            _attach_config(chosen, config)
            options = {
                "project": project, "target": target, "shard_map": shards, "gpu": gpu, "gpus": gpus,
                "price_per_gpu_hour": price_per_gpu_hour, "schedule": schedule, "vocab": vocab, "series": series,
            }
            report, results = build_report(chosen, runs, str(log), **options)
        findings = report.pop("findings_objects")
        from .render.sparkline import run_sparklines

        sparks = run_sparklines(chosen)
        _write_outputs(report, results, chosen, sparks, markdown, html, plot)
        if json:
            _emit_json(report)
        elif markdown != "-":
            from .render.report import REPORT_WIDTH, render_report

            console = _console()
            console.width = min(console.width, REPORT_WIDTH)
            console.soft_wrap = False  # wrap at the report's width
            render_report(console, dict(report, findings_objects=findings), results, sparks)
        return _exit_code(findings, fail_on)

    _guard(body)


def _write_outputs(
    report: dict[str, Any], results: dict[str, Any], run: Any, sparks: dict[str, str], markdown: str | None,
    html: Path | None, plot: Path | None,
) -> None:
    """The files analyze writes besides its report: the PNG, the HTML, the Markdown (which links the other two)."""
    if not (markdown or html or plot):
        return
    from . import __version__

    charts = None
    if html or plot:
        from .render.chartdata import chart_data

        charts = chart_data(run, report, results)
    if plot is not None:
        from .render.plot import write_png

        write_png(charts, plot, report["summary"]["facts"][:150])
    if html is not None:
        from .render.html import render_html

        _write_text(html, render_html(report, results, charts, sparks, __version__))
    if markdown:
        from .render.markdown import render_markdown

        text = render_markdown(report, results, sparks, plot=str(plot) if plot else None,
                               html=str(html) if html else None, path=markdown)
        if markdown == "-":
            sys.stdout.write(text)
        else:
            _write_text(Path(markdown), text)


def _write_text(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None

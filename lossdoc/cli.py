"""The command line: one function per command, each options -> library -> renderer -> exit code.

Heavy libraries (pandas, scipy, matplotlib, rich) are imported inside the command bodies, so that
`lossdoc --help` stays fast. Errors in the input are one line on stderr and exit code 2.

Built on click directly: typer (0.29) built one pydantic TypeAdapter per option on every call and imported
pydantic: ~0.1 s of `show` and ~0.14 s of `analyze` (issue 12). click converts the few types used here itself.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .errors import InputError

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
    """The commands in the order they are defined (formats, show, analyze, ...), not sorted by name."""

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
    "--config", kind=Path, help="The run's config file (.py read with ast, never run; config.json; hparams.yaml)."
)
log_argument = _log_argument(
    help="The training log: a file (also .gz/.bz2/.xz/.zst), a directory, or - for standard input."
)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        from . import __version__

        click.echo(f"lossdoc {__version__}")
        ctx.exit(0)


@click.group(cls=_Group, name="lossdoc", no_args_is_help=True,
             help="Diagnose a language-model training run from its log.")
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Print the version and exit.")
def app() -> None:
    pass


def main() -> None:
    """Entry point of the `lossdoc` script and `python -m lossdoc`."""
    app()


PIPE_WIDTH = 140  # columns of a report written to a file or pipe (rich would assume 80 and squeeze tables)


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or os.environ.get("COLUMNS") else PIPE_WIDTH
    # emoji=False: log text such as "step:1 :smile:" stays as written (and rich skips its emoji table)
    return Console(stderr=stderr, highlight=False, soft_wrap=True, width=width, emoji=False)


def _guard(body: Callable[[], int]) -> None:
    """Run a command body; input errors become one line on stderr and exit 2, never a traceback."""
    try:
        code = body()
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


@app.command()
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


@app.command()
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


@app.command()
@log_argument
@json_option
@format_option
@run_option
@fail_on_option
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

        checks.check_fail_on(fail_on)  # bad option values are errors before any work
        checks.check_positive("--target", target)
        checks.check_price("--price-per-gpu-hour", price_per_gpu_hour)
        checks.check_project(project)
        checks.check_vocab(vocab)
        checks.check_schedule(schedule)
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


def job_price(run: Any, per_hour: float | None, gpus: int | None, per_gpu_hour: float | None) -> float | None:
    """USD per hour of the whole job: --price-per-hour, or --price-per-gpu-hour x GPUs (--gpus or the log)."""
    from .errors import InputError
    from .facts import run_facts

    if per_gpu_hour is None:
        if gpus is not None and per_hour is None:
            raise InputError("--gpus needs --price-per-gpu-hour (or give --price-per-hour for the whole job)")
        return per_hour
    if per_hour is not None:
        raise InputError("give --price-per-hour (the whole job) or --price-per-gpu-hour, not both")
    if gpus is None:
        facts = run_facts(run)
        gpus = facts.get("gpu_count") or facts.get("world_size")
    if not gpus or gpus < 1:
        raise InputError("--price-per-gpu-hour needs --gpus N: the log does not say how many GPUs the job uses")
    return float(gpus) * per_gpu_hour
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


@app.command()
@log_argument
@json_option
@format_option
@run_option
@fail_on_option
@_option("--series", help="Loss series to analyse (default: val/loss if >= 8 points).")
@_option("--vocab", kind=int, help="Vocabulary size for the initial-loss check (ln V).")
@_option("--target", kind=float, help="Target loss: the first step that reaches it.")
@_option("--project", kind=int, help="Fit the curve and project the loss at STEP, with an interval.")
@_option(
    "--schedule",
    help="LR schedule for the fit when the log lacks it: cosine:peak=6e-4,warmup=700,total=19560[,final=0], "
    "wsd:...,decay=N, constant:peak=X, or a step/lr file.",
)
@_option("--price-per-hour", kind=float, help="USD per hour of the whole job, for the projection's cost.")
@_option("--gpus", kind=int, help="GPUs the job uses (with --price-per-gpu-hour).")
@_option("--price-per-gpu-hour", kind=float, help="USD per GPU-hour; cost = GPUs (--gpus or the log) x this.")
@config_option
def phases(
    log: Path, json: bool, format: str | None, run: str | None, fail_on: str | None, series: str | None,
    vocab: int | None, target: float | None, project: int | None, schedule: str | None,
    price_per_hour: float | None, gpus: int | None, price_per_gpu_hour: float | None, config: Path | None,
) -> None:
    """Where the run is on its loss curve: init loss vs ln(vocab), phases, diminishing returns, target, projection."""

    def body() -> int:
        from . import options
        from .analyzers import phases as analysis
        from .parsers import load, require_loss
        from .schedule import parse_schedule

        options.check_fail_on(fail_on)
        options.check_positive("--target", target)
        options.check_price("--price-per-hour", price_per_hour)
        options.check_project(project)
        options.check_vocab(vocab)
        options.check_schedule(schedule)
        if schedule:
            parse_schedule(schedule, 2)  # a malformed --schedule is an error even when no fit needs it
        runs = load(log, format)
        require_loss(runs, log, format)
        chosen = pick_run(runs, run)
        options.check_project_beyond(project, chosen)
        _attach_config(chosen, config)
        result = analysis.analyze(
            chosen,
            series=series,
            vocab=vocab,
            target=target,
            project=project,
            schedule=schedule,
            price_per_hour=job_price(chosen, price_per_hour, gpus, price_per_gpu_hour),
        )
        return _emit_result(result, chosen, log, "phases", json, fail_on)

    _guard(body)


@app.command()
@log_argument
@json_option
@format_option
@run_option
@fail_on_option
@_option(
    "--shard-map",
    kind=Path,
    help='JSON: [{"shard": NAME, "start_step": N} or {"shard": NAME, "start_token": N}, …] '
    'or {"steps_per_shard": N}; tests whether spikes follow shard boundaries.',
)
@config_option
def spikes(
    log: Path, json: bool, format: str | None, run: str | None, fail_on: str | None, shard_map: Path | None,
    config: Path | None,
) -> None:
    """Loss spikes (kind, recovery cost, LR, grad norm), NaN onset, best val, periodicity, shards, plateaus."""

    def body() -> int:
        from .analyzers import spikes as spikes_analyzer
        from .analyzers.shards import load_shard_map
        from .options import check_fail_on
        from .parsers import load, require_loss

        check_fail_on(fail_on)
        shards = load_shard_map(shard_map) if shard_map is not None else None
        runs = load(log, format)
        require_loss(runs, log, format)
        chosen = pick_run(runs, run)
        _attach_config(chosen, config)
        reason = spikes_analyzer.applies(chosen)
        if reason:
            raise InputError(f"{log}: run {chosen.name!r} cannot be analysed for spikes: {reason}")
        result = spikes_analyzer.analyze(chosen, shard_map=shards)
        return _emit_result(result, chosen, log, "spikes", json, fail_on)

    _guard(body)


@app.command()
@log_argument
@json_option
@format_option
@run_option
@fail_on_option
@_option("--gpu", help="GPU name (case-insensitive; nvidia-smi names and aliases).")
@_option("--peak-tflops", kind=float, help="Dense peak TFLOPS of one GPU, for a GPU not in the table.")
@_option("--dtype", help="Training precision: bf16, fp16, fp8, tf32, fp32 (default: the log's).")
@_option("--gpus", kind=int, help="GPUs used (default: the world size the log states).")
@_option(
    "--convention",
    help="FLOPs per token: nanogpt (6N + 12*L*d*T, PaLM App. B), torchtitan (6(N - V*d) + 12*L*d*T), "
    "llmc (6N + 6*L*d*T).",
    default="nanogpt",
    show_default=True,
)
@_option("--price-per-gpu-hour", kind=float, help="USD per GPU-hour, for the cost per 1B tokens.")
def mfu(
    log: Path, json: bool, format: str | None, run: str | None, fail_on: str | None, gpu: str | None,
    peak_tflops: float | None, dtype: str | None, gpus: int | None, convention: str,
    price_per_gpu_hour: float | None,
) -> None:
    """MFU on the real GPU: peak with its source, FLOPs/token, per-step MFU, printed vs real, throughput, cost."""

    def body() -> int:
        from .options import check_fail_on

        check_fail_on(fail_on)
        from .analyzers import mfu as analysis
        from .gpus import resolve
        from .parsers import load, require_loss

        if gpu:
            resolve(gpu)  # an unknown --gpu is an error before the log is read
        if gpus is not None and gpus < 1:
            raise InputError(f"--gpus must be at least 1 (got {gpus})")
        if peak_tflops is not None and peak_tflops <= 0:
            raise InputError(f"--peak-tflops must be positive (got {peak_tflops})")
        runs = load(log, format)
        require_loss(runs, log, format)
        chosen = pick_run(runs, run)
        reason = analysis.applies(chosen)
        if reason:
            raise InputError(f"{log}: run {chosen.name!r} has nothing to compute an MFU from: {reason}")
        result = analysis.analyze(
            chosen, gpu=gpu, peak_tflops=peak_tflops, dtype=dtype, gpus=gpus, convention=convention,
            price_per_gpu_hour=price_per_gpu_hour,
        )  # fmt: skip
        return _emit_result(result, chosen, log, "mfu", json, fail_on)

    _guard(body)


def _is_config(path: Path) -> bool:
    return path.is_file() and (path.suffix.lower() in (".py", ".yaml", ".yml") or path.name == "config.json")


@app.command("config-check")
@_log_argument(
    "config", "CONFIG", help="The run's config (.py, config.json, hparams.yaml); given alone, a LOG or a config."
)
@_log_argument(help="The training log (file or directory).", required=False)
@json_option
@format_option
@run_option
@fail_on_option
@_option("--dataset-tokens", kind=int, help="Tokens in the training data (else data/<dataset>/train.bin).")
@_option("--at", kind=int, help="Also give the LR at STEP.")
@_option("--vocab", kind=int, help="Vocabulary size the model is built with.")
def config_check(
    config: Path, log: Path | None, json: bool, format: str | None, run: str | None, fail_on: str | None,
    dataset_tokens: int | None, at: int | None, vocab: int | None,
) -> None:
    """The run's facts with their sources; parameters vs claims, tokens, Chinchilla, epochs, LR schedule, dropout.
    `config-check CONFIG LOG`; `config-check LOG` for what the log alone states; `config-check CONFIG` for the
    config alone, before a run."""

    def body() -> int:
        from .analyzers import config_check as analysis
        from .configs.attach import attach
        from .parsers import load

        log_path, config_path = (log, config) if log is not None else (config, None)
        if log is None and _is_config(config):  # a config alone: checked before (or without) a run
            from .run import make_run

            log_path, config_path = config, config
            chosen = make_run(config.stem, {}, {"format": "config", "source": str(config)})
        else:
            chosen = pick_run(load(log_path, format), run)
        cfg = attach(chosen, config_path, dataset_tokens) if config_path is not None else None
        from .facts import set_flag

        if cfg is None and dataset_tokens is not None:
            set_flag(chosen, "dataset_tokens", dataset_tokens, "--dataset-tokens")
        if vocab is not None:
            set_flag(chosen, "vocab_size", vocab, "--vocab")
            set_flag(chosen, "vocab_padded", vocab, "--vocab")
        result = analysis.analyze(chosen, config=cfg, at=at)
        result.full = True
        return _emit_result(result, chosen, log_path, "config_check", json, fail_on)

    _guard(body)


@app.command()
@log_argument
@json_option
@format_option
@run_option
@fail_on_option
@_option("--grad-clip", kind=float, help="Clip threshold for the grad-norm report (default: the log's, else 1.0).")
def gap(
    log: Path, json: bool, format: str | None, run: str | None, fail_on: str | None, grad_clip: float | None,
) -> None:
    """Train/val gap per eval series (learning, overfitting, val below train...), and grad-norm health."""

    def body() -> int:
        from .options import check_fail_on

        check_fail_on(fail_on)
        from .analyzers import gap as analysis
        from .analyzers import gradients
        from .parsers import load, require_loss

        runs = load(log, format)
        require_loss(runs, log, format)
        chosen = pick_run(runs, run)
        reason = analysis.applies(chosen)
        grads = None if gradients.applies(chosen) else gradients.analyze(chosen, grad_clip=grad_clip)
        if reason and grads is None:
            raise InputError(f"{log}: run {chosen.name!r} has no train/val gap to measure: {reason}")
        result = None if reason else analysis.analyze(chosen)
        findings = (result.findings if result else []) + (grads.findings if grads else [])
        if json:
            none = {"pairs": [], "gap": {"start": None, "end": None, "trend_per_1k": None}, "val_min": None}
            body_doc = result.to_json() if result else dict(none, verdict="insufficient_data", reason=reason)
            doc = dict(body_doc, run=chosen.name, source=str(log))
            doc["gradients"] = grads.to_json() if grads else None
            doc["findings"] = [f.to_json() for f in findings]
            _emit_json(doc)
        else:
            from .render.gap import render
            from .render.gradients import render as render_grads
            from .render.terminal import render_findings

            console = _console()
            console.print(f"[bold]{log}[/bold]  run {chosen.name}\n")
            if result:
                render(console, result)
            else:
                console.print(f"no train/val gap: {reason}")
            if grads:
                console.print()
                render_grads(console, grads)
            render_findings(console, findings)
        return _exit_code(findings, fail_on)

    _guard(body)

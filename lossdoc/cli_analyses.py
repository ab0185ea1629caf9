"""The commands that run one analysis each: phases, spikes, mfu, config-check, gap."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .cli_common import _attach_config, _console, _emit_json, _emit_result, _exit_code, _guard, pick_run
from .cli_params import (
    _Command,
    _log_argument,
    _option,
    config_option,
    fail_on_option,
    format_option,
    json_option,
    run_option,
    run_options,
)
from .errors import InputError


@click.command(cls=_Command)
@run_options
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

        options.check_curve_options(
            fail_on=fail_on, target=target, project=project, vocab=vocab, schedule=schedule, gpus=gpus,
            price_per_gpu_hour=price_per_gpu_hour, price_per_hour=price_per_hour,
        )
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


@click.command(cls=_Command)
@run_options
@_option(
    "--shard-map",
    kind=Path,
    help='JSON: [{"shard": NAME, "start_step": N} or {"shard": NAME, "start_token": N}, …] '
    'or {"steps_per_shard": N} or {"tokens_per_shard": N}; tests whether spikes follow shard boundaries.',
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


@click.command(cls=_Command)
@run_options
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
        from . import options

        options.check_fail_on(fail_on)
        options.check_gpus(gpus)
        options.check_positive("--peak-tflops", peak_tflops)
        options.check_price("--price-per-gpu-hour", price_per_gpu_hour)
        from .analyzers import mfu as analysis
        from .gpus import resolve
        from .parsers import load, require_loss

        if gpu:
            resolve(gpu)  # an unknown --gpu is an error before the log is read
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
    if not path.is_file():
        return False
    suffix = path.suffix.lower()
    return suffix in (".py", ".yaml", ".yml", ".toml") or path.name == "config.json" or (suffix == ".json" and
                                                                                _is_model_config(path))


MAX_MODEL_CONFIG_BYTES = 1 << 20  # a model's config.json is a few KB; a trainer_state.json log can be large


def _is_model_config(path: Path) -> bool:
    """A JSON file saved under another name than config.json (llama3-8b.json) that is a Hugging Face model config:
    an object naming its model_type or architectures, and no log_history (that is a trainer_state.json log)."""
    import json

    if path.stat().st_size > MAX_MODEL_CONFIG_BYTES:
        return False
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(data, dict) and "log_history" not in data and ("model_type" in data or "architectures" in data)


@click.command("config-check", cls=_Command)
@_log_argument(
    "config", "CONFIG",
    help="The run's config (.py, config.json, hparams.yaml, a torchtitan .toml); given alone, a LOG or a config.",
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


@click.command(cls=_Command)
@run_options
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
            body_doc = result.to_json() if result else analysis.no_gap_json(chosen, reason)
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

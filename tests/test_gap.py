"""lossdoc gap: verdicts on seeded synthetic curves with the truth built here, the corpus phenomena, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from lossdoc.analyzers import gap
from lossdoc.cli import app
from lossdoc.findings import Severity
from lossdoc.run import make_run
from tests.conftest import corpus_file
from tests.loaded import runs_of

runner = CliRunner()
EVAL_EVERY = 100


def curves(n: int = 3000, overfit_from: int | None = None, val_offset: float = 0.03, seed: int = 0, **meta):
    """Per-step train loss (power-law decay, 1% noise) and val every EVAL_EVERY steps; from ``overfit_from`` val
    rises linearly (1.0 per 1K steps) while train keeps falling."""
    rng = np.random.default_rng(seed)
    steps = np.arange(n + 1)
    clean = 2.0 + 8.0 * (1 + steps / 30.0) ** -0.5
    train = clean * (1 + 0.01 * rng.standard_normal(len(steps)))
    vs = np.arange(0, n + 1, EVAL_EVERY)
    val = clean[vs] + val_offset
    if overfit_from is not None:
        val = val + np.where(vs > overfit_from, 1.0 * (vs - overfit_from) / 1000.0, 0.0)
    return make_run("synthetic", {"train/loss": (steps, train), "val/loss": (vs, val)}, meta)


def test_train_at_reads_a_line_at_the_eval_step_not_the_lagging_mean() -> None:
    steps = np.arange(0, 1001)
    train = 5.0 - 0.001 * steps  # falls 0.1 per 100 steps
    at = np.array([100, 200, 1000])
    got = gap.train_at(steps, train, at)
    assert got == pytest.approx(5.0 - 0.001 * at, abs=1e-9)  # a window mean would read 0.05 too high
    sparse = gap.train_at(np.array([0, 50, 150]), np.array([3.0, 2.0, 1.0]), np.array([100, 200, 300]))
    # too few points for a line: the mean of (-inf, 100] = (3 + 2) / 2, then 150's value, then the last point before
    assert sparse[0] == pytest.approx(2.5) and sparse[1] == pytest.approx(1.0) and sparse[2] == pytest.approx(1.0)


def test_train_at_is_not_tilted_by_spikes_near_the_eval_step() -> None:
    """Two train-loss spikes a few steps before the eval (modded-nanogpt's heavy-tailed batches): a plain least-
    squares line through the window ends far above the curve; the line through the points near their running
    median reads the curve."""
    steps = np.arange(0, 126)
    truth = 3.2 - 0.0004 * steps
    train = truth + np.random.default_rng(4).normal(0, 0.03, len(steps))
    train[[118, 120]] += (0.4, 0.6)
    got = gap.train_at(steps, train, np.array([125]))[0]
    assert abs(got - truth[-1]) < 0.012
    plain_line = np.polyval(np.polyfit(steps, train, 1), 125)
    assert plain_line - truth[-1] > 0.03  # what the line read before


def test_learning_run_has_a_stable_small_gap() -> None:
    r = gap.analyze(curves())
    assert r.primary.verdict == "learning"
    assert r.primary.gap["end"] == pytest.approx(0.03, abs=0.01)
    assert abs(r.primary.gap["trend_per_1k"]) < 0.01
    assert not r.findings
    assert "stable" in gap.gap_words(r.primary, r.unit)


def test_many_noisy_evals_of_a_healthy_run_are_not_overfitting() -> None:
    # 4,000 evals with 1% noise: the raw minimum is ~3.5 sigma low, so "val rose off its minimum" must not be read
    # on raw values (it was, before the verdict used a running median)
    rng = np.random.default_rng(3)
    steps = np.arange(40_001)
    clean = 3.0 + 7.0 * (1 + steps / 50.0) ** -0.5
    vs = steps[::10]
    val = clean[vs] * (1 + 0.01 * rng.standard_normal(len(vs)))
    val[-1] = clean[vs[-1]] * 1.01  # a last eval 1 sigma high, as any eval may be
    raw_rise = val[-1] - val.min()
    assert raw_rise > 3 * 0.01 * 3.0  # the raw numbers alone would call it a rise
    run = make_run("long", {"train/loss": (steps, clean * (1 + 0.01 * rng.standard_normal(len(steps)))),
                            "val/loss": (vs, val)})  # fmt: skip
    r = gap.analyze(run)
    assert r.primary.verdict == "learning" and not r.findings


def test_overfitting_minimum_is_the_early_stop_point() -> None:
    run = curves(overfit_from=1200)
    truth_min = int(run.arrays("val/loss")[0][np.argmin(run.arrays("val/loss")[1])])  # computed here
    assert 1200 <= truth_min <= 1400
    r = gap.analyze(run)
    assert r.primary.verdict == "overfitting" and r.primary.val_min["step"] == truth_min
    f = [f for f in r.findings if f.severity == Severity.WARNING]
    assert f and f"step {truth_min:,}" in f[0].title and f"step {truth_min:,}" in f[0].advice
    assert r.primary.gap["trend_per_1k"] > 0.1


@pytest.mark.parametrize(
    ("dropout", "said", "unsaid"),
    [(0.1, "dropout 0.1", "other causes"), (0.0, "not dropout", "likely cause"), (None, "dropout unknown", "likely")],
)
def test_val_below_train_is_explained_by_the_dropout_fact(dropout, said, unsaid) -> None:
    meta = {} if dropout is None else {"dropout": dropout}
    r = gap.analyze(curves(val_offset=-0.15, **meta))
    assert r.primary.verdict == "val_below_train"
    (f,) = [f for f in r.findings if "below train" in f.title]
    assert f.severity == Severity.INFO and said in f.title and unsaid not in f.title


def test_diverging_underfitting_insufficient() -> None:
    run = curves(n=1000)
    steps, train = run.arrays("train/loss")
    vs, val = run.arrays("val/loss")
    up = np.where(steps > 600, (steps - 600) * 0.01, 0.0)
    rising = make_run("d", {"train/loss": (steps, train + up), "val/loss": (vs, val + up[vs])})
    assert gap.analyze(rising).primary.verdict == "diverging"
    assert any(f.severity == Severity.PROBLEM for f in gap.analyze(rising).findings)
    flat_steps = np.arange(0, 2001)
    rng = np.random.default_rng(1)
    flat = 4.0 + 0.002 * rng.standard_normal(len(flat_steps))
    flat_run = make_run("f", {"train/loss": (flat_steps, flat), "val/loss": (flat_steps[::100], flat[::100])})
    assert gap.analyze(flat_run).primary.verdict == "underfitting"
    short = make_run("s", {"train/loss": (np.arange(10), np.ones(10)), "val/loss": (np.array([0, 5]), np.ones(2))})
    assert gap.analyze(short).primary.verdict == "insufficient_data"


def test_losses_in_bits_are_reported_in_bits() -> None:
    r = gap.analyze(curves(overfit_from=1200, loss_unit="bits"))
    assert r.unit == "bits" and "bits" in r.findings[0].title


def test_every_eval_series_gets_a_verdict_and_a_summary() -> None:
    run = curves(overfit_from=1200)
    vs, val = run.arrays("val/loss")
    _, train = run.arrays("train/loss")
    series = {"train/loss": (np.arange(len(train)), train)}
    for i in range(3):
        series[f"val/g{i}_loss"] = (vs, val + 0.1 * i)
    series["val/g0_accuracy"] = (vs, np.linspace(0.2, 0.7, len(vs)))  # not a loss: no verdict
    r = gap.analyze(make_run("multi", series))
    assert [g.series for g in r.all] == ["val/g0_loss", "val/g1_loss", "val/g2_loss"]
    assert r.summary.startswith("all 3 eval sets overfit from step ~")


# --- corpus ---------------------------------------------------------------------------------------------------------
def test_shakespeare_char_overfits_with_the_minimum_at_step_800() -> None:
    r = gap.analyze(runs_of(corpus_file("nanogpt/druidowm-shakespeare-char-interrupted-output.log"))[0])
    p = r.primary
    assert p.verdict == "overfitting" and p.val_min == {"step": 800, "loss": 1.6097}
    assert p.train_series == "train/eval_loss"  # nanoGPT's own eval-time train loss
    assert p.pairs[-1]["train"] == 0.0304 and p.pairs[-1]["val"] == 4.2661


def test_hf_multi_eval_overfits_on_every_eval_set() -> None:
    r = gap.analyze(runs_of(corpus_file("hf_trainer_state/trainer-state-viz-multi-eval-overfit.json"))[0])
    assert len(r.all) == 6 and all(g.verdict == "overfitting" for g in r.all)
    assert r.summary.startswith("all 6 eval sets overfit from step ~")
    assert any(f.severity == Severity.WARNING and "all 6 eval sets" in f.title for f in r.findings)


@pytest.mark.parametrize(
    "relative",
    [
        "modded-nanogpt/soap-6000steps.txt",
        "modded-nanogpt/tyler-romero-6312steps-tokps-vram.txt",
        "modded-nanogpt/fp4-19073steps-spike.txt",
    ],
)
def test_modded_nanogpt_single_batch_train_above_val_is_no_alarm(relative: str) -> None:
    r = gap.analyze(runs_of(corpus_file(relative))[0])
    assert r.primary.verdict == "learning"
    assert not [f for f in r.findings if f.severity != Severity.INFO]


@pytest.mark.parametrize(
    "relative",
    ["llmc/mng-llmc-gpt2-124M-8xH100.log", "llmc_stdout/hector-a100-gpt2-124M-full.log", "llmc/mng-adamw-baseline-oldfmt.log"],
)
def test_healthy_llmc_runs_are_learning(relative: str) -> None:
    r = gap.analyze(runs_of(corpus_file(relative))[0])
    assert r.primary.verdict == "learning" and not r.findings


def test_cli_gap_json_contract() -> None:
    path = corpus_file("nanogpt/druidowm-shakespeare-char-interrupted-output.log")
    res = runner.invoke(app, ["gap", str(path), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    for key in ("pairs", "gap", "verdict", "val_min", "findings"):
        assert key in doc
    assert set(doc["gap"]) >= {"start", "end", "trend_per_1k"} and doc["verdict"] == "overfitting"
    assert doc["val_min"] == {"step": 800, "loss": 1.6097}
    assert runner.invoke(app, ["gap", str(path), "--fail-on", "warning"]).exit_code == 1
    text = runner.invoke(app, ["gap", str(path)])
    assert "overfitting" in text.stdout and "1.6097 @ 800" in text.stdout


def test_cli_gap_without_evals_still_reports_grad_health() -> None:
    megatron = corpus_file("megatron/bigscience-megds-3d-perf-n16-divergence.out")
    res = runner.invoke(app, ["gap", str(megatron), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["verdict"] == "insufficient_data" and doc["pairs"] == [] and doc["gradients"]["first"] == 67.593
    assert "no train/val gap" in runner.invoke(app, ["gap", str(megatron)]).stdout
    # 10 grad-norm points and no eval: nothing for the command to say
    none = runner.invoke(app, ["gap", str(corpus_file("torchtitan/qwen3-14b-autoresearch-run399-10steps.log"))])
    assert none.exit_code == 2 and "no eval loss series" in none.stderr


def test_train_at_the_first_eval_is_read_right_when_its_window_holds_the_steep_drop() -> None:
    # a window over steps 0-200 of 2 + 8(1 + s/30)^-0.5: a line in steps through it undershoots its end by ~0.6,
    # which put val far above train at the first eval (the example report's +0.67 gap)
    steps = np.arange(0, 201)
    train = 2.0 + 8.0 * (1 + steps / 30.0) ** -0.5
    truth = 2.0 + 8.0 * (1 + 200 / 30.0) ** -0.5
    got = gap.train_at(steps, train, np.array([200]))[0]
    assert abs(got - truth) < 0.1
    plain_line = np.polyval(np.polyfit(steps, train, 1), 200)  # what the window line in steps reads
    assert truth - plain_line > 0.3

"""Grad-norm health: start-up and settling, share at the clip, spikes with/without a loss spike, long stretches."""

from __future__ import annotations

import numpy as np
import pytest

from lossdoc.analyzers import gradients
from lossdoc.findings import Severity
from lossdoc.run import make_run
from tests.conftest import corpus_file
from tests.loaded import runs_of


def norm_run(n: int = 2000, seed: int = 0, spikes: tuple[int, ...] = (), loss_spikes: tuple[int, ...] = (), **meta):
    """Norm 10 at start decaying to 0.3 (e-folding 50 steps) with 5% noise; loss a smooth decay with 0.5% noise."""
    rng = np.random.default_rng(seed)
    steps = np.arange(n)
    norm = (0.3 + 9.7 * np.exp(-steps / 50.0)) * (1 + 0.05 * rng.standard_normal(n))
    loss = (3.0 + 7.0 * (1 + steps / 50) ** -0.5) * (1 + 0.005 * rng.standard_normal(n))
    for s in spikes:
        norm[s] = 8.0
    for s in loss_spikes:
        loss[s] *= 1.5
    return make_run("g", {"train/grad_norm": (steps, norm), "train/loss": (steps, loss)}, meta)


def test_startup_settling_median_and_clip_share() -> None:
    r = gradients.analyze(norm_run())
    # settled where the 10-point rolling median first falls within 1.5x of the late median (~0.3): exp(-s/50)*9.7
    # <= 0.15 at s ~ 50*ln(9.7/0.15) = 209; the rolling median lags half a window
    truth = 50 * np.log(9.7 / (1.5 * 0.3 - 0.3))
    assert r.first == pytest.approx(10.0, rel=0.15)
    assert abs(r.settle_step - truth) < 15
    assert r.median == pytest.approx(0.3, rel=0.02)
    assert r.share_at_clip == 0.0 and r.clip == 1.0 and "assumed" in r.clip_source
    assert not r.findings


def test_clip_from_facts_or_flag_and_share_known_answer() -> None:
    run = norm_run(grad_clip=0.3)
    r = gradients.analyze(run)
    assert r.clip == 0.3 and r.clip_source.startswith("log")
    assert 0.4 < r.share_at_clip < 0.6  # noise around a median of 0.3: about half at or above 0.3
    assert gradients.analyze(run, grad_clip=0.1).share_at_clip == 1.0
    assert any("at or above the clip" in f.title for f in gradients.analyze(run, grad_clip=0.1).findings)


def test_norm_spikes_with_and_without_a_loss_spike() -> None:
    r = gradients.analyze(norm_run(spikes=(800, 1500), loss_spikes=(1501,)))
    by_step = {s["step"]: s["with_loss_spike"] for s in r.spikes}
    assert by_step == {800: False, 1500: True}
    assert [f.severity for f in r.findings] == [Severity.INFO] and "1,500" in r.findings[0].title


def test_long_stretch_far_above_the_clip_is_a_warning() -> None:
    run = norm_run()
    steps, norm = run.arrays("train/grad_norm")
    norm = norm.copy()  # a run's arrays are read-only (kept for every analyzer that asks)
    norm[1000:1200] = 5.0
    r = gradients.analyze(make_run("g", {"train/grad_norm": (steps, norm)}))
    assert r.long_stretch == {"start_step": 1000, "end_step": 1199, "points": 200, "median": 5.0}
    assert r.findings[0].severity == Severity.WARNING and r.findings[0].steps == (1000, 1199)


def test_llmc_8xh100_grad_norm_is_healthy() -> None:
    run = runs_of(corpus_file("llmc/mng-llmc-gpt2-124M-8xH100.log"))[0]
    steps, norm = run.arrays("train/grad_norm")
    r = gradients.analyze(run)
    assert r.first == norm[0] == 15.37
    assert r.median == pytest.approx(float(np.median(norm[len(norm) // 2 :])))
    assert r.settle_step < 2000 and r.share_at_clip < 0.01 and r.long_stretch is None
    assert not [f for f in r.findings if f.severity != Severity.INFO]

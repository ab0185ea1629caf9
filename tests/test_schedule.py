"""LR schedules (lossdoc.schedule): known answers from the formulas the training scripts use."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lossdoc.analyzers import spikes
from lossdoc.run import make_run
from lossdoc.schedule import schedule_for


def test_modded_nanogpt_warmup_warmdown_is_a_relative_schedule() -> None:
    meta = {"format": "modded-nanogpt", "max_steps": 1000, "warmup_steps": 0, "warmdown_steps": 300}
    run = make_run("m", {"train/loss": ([1, 2], [10.0, 9.0])}, meta)
    sched, why = schedule_for(run, 1001)
    assert sched is not None and sched.relative and why == ""
    # modded-nanogpt get_lr: 1.0 until num_iterations - warmdown_iters, then (num_iterations - it) / warmdown_iters
    assert sched.lr[500] == 1.0 and sched.lr[700] == 1.0
    assert sched.lr[850] == pytest.approx((1000 - 850) / 300)
    assert sched.lr[1000] == pytest.approx(0.0)


def test_llmc_header_cosine_with_final_fraction() -> None:
    meta = {"format": "llmc-stdout", "lr_schedule": "cosine", "learning_rate": 6e-4, "warmup_steps": 700,
            "max_steps": 19560, "final_lr_fraction": 0.0}
    run = make_run("l", {"train/loss": ([1, 2], [10.0, 9.0])}, meta)
    sched, _ = schedule_for(run, 19561)
    assert sched is not None and not sched.relative
    mid = 700 + (19560 - 700) // 2
    assert sched.lr[mid] == pytest.approx(3e-4, rel=1e-3)  # half way through the cosine: half the peak
    # llm.c schedulers.h: warmup lr * (step+1) / warmup; stdout prints step+1, so log step 100 is step 99
    assert sched.lr[100] == pytest.approx(6e-4 * 100 / 700)


def test_no_schedule_known_says_why() -> None:
    run = make_run("x", {"train/loss": ([1, 2], [10.0, 9.0])}, {"format": "table"})
    sched, why = schedule_for(run, 3)
    assert sched is None and "no learning-rate schedule" in why


def test_spike_in_a_modded_nanogpt_warmdown_reports_the_share_of_peak_not_an_lr() -> None:
    steps = np.arange(1, 2001)
    rng = np.random.default_rng(3)
    loss = 3.0 + 5.0 * (1 + steps / 50.0) ** -0.6 + 0.01 * rng.standard_normal(len(steps))
    loss[1799] *= 1.6  # step 1800, 60% through a 500-step warmdown that starts at step 1500
    meta = {"format": "modded-nanogpt", "max_steps": 2000, "warmup_steps": 0, "warmdown_steps": 500}
    (spike,) = [s for s in spikes.analyze(make_run("m", {"train/loss": (steps, loss)}, meta)).spikes if s.step == 1800]
    assert spike.lr is None
    assert spike.lr_frac_of_peak == pytest.approx((2000 - 1800) / 500, rel=1e-6)
    assert not math.isnan(spike.jump) and spike.jump > 0

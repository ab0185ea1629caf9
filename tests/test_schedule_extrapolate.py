"""The rest of a schedule from the LR logged so far (lossdoc.schedule_extrapolate): shapes written here."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossdoc.run import make_run
from lossdoc.schedule import schedule_for
from lossdoc.schedule_extrapolate import extend_logged, fit_logged
from tests.conftest import corpus_file


def warm_cosine(total: int, warmup: int, floor: float, steps: np.ndarray) -> np.ndarray:
    """nanoGPT's get_lr, written out: linear warmup, cosine from 1 to floor at total, floor after."""
    out = []
    for s in steps.tolist():
        if s < warmup:
            out.append((s + 1) / warmup)
        elif s > total:
            out.append(floor)
        else:
            out.append(floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * (s - warmup) / (total - warmup))))
    return 6e-4 * np.array(out)


def warm_linear(total: int, warmup: int, steps: np.ndarray) -> np.ndarray:
    """transformers' get_linear_schedule_with_warmup: up over warmup, down to 0 at total."""
    return 6e-4 * np.array([s / warmup if s < warmup else max(0.0, (total - s) / (total - warmup))
                            for s in steps.tolist()])


def printed(lr: np.ndarray) -> np.ndarray:
    """As a log prints it: three significant digits (llm.c stdout %.2e)."""
    return np.array([float(f"{v:.2e}") for v in lr.tolist()])


@pytest.mark.parametrize(("shape", "floor"), [("cosine", 0.0), ("cosine", 0.1), ("linear", 0.0)])
@pytest.mark.parametrize("cut", [0.3, 0.6])
def test_a_decaying_logged_lr_is_extended_to_its_end(shape: str, floor: float, cut: float) -> None:
    total, warmup = 10_000, 500
    steps = np.arange(0, int(cut * total) + 1)
    full = np.arange(0, total + 1)
    make = (lambda s: warm_cosine(total, warmup, floor, s)) if shape == "cosine" else (
        lambda s: warm_linear(total, warmup, s))
    fit = fit_logged(steps, printed(make(steps)))
    assert fit is not None and fit["kind"] == shape and fit["floor"] == floor
    assert abs(fit["end"] - total) <= 0.005 * total
    extended, _, _ = extend_logged(steps, printed(make(steps)), len(full))
    assert np.max(np.abs(extended - make(full))) < 0.01 * 6e-4  # within 1% of the peak everywhere
    # asked for twice the decay's length from inside it: what follows the decay is not in the log
    past, fit, why = extend_logged(steps, printed(make(steps)), 2 * total + 1)
    assert past is None and fit["kind"] == shape and "ends at step" in why and "not in the log" in why


def test_a_wsd_warmdown_logged_half_way_is_extended_to_its_end() -> None:
    total, start = 10_000, 8_000  # stable at the peak after a 200-step warmup, linear to 0 over the last 2,000
    steps = np.arange(0, 9_001)
    full = np.arange(0, total + 1)

    def wsd(s: np.ndarray) -> np.ndarray:
        return 6e-4 * np.clip(np.minimum((s + 1) / 200, (total - s) / (total - start)), 0, 1)

    fit = fit_logged(steps, printed(wsd(steps)))
    assert fit is not None and fit["kind"] == "linear" and abs(fit["warm_end"] - start) <= 10
    assert abs(fit["end"] - total) <= 0.005 * total
    extended, _, _ = extend_logged(steps, printed(wsd(steps)), len(full))
    assert np.max(np.abs(extended - wsd(full))) < 0.01 * 6e-4


def test_an_lr_still_at_its_peak_or_rising_again_is_not_extended() -> None:
    steps = np.arange(0, 3_001)
    warm_then_flat = 6e-4 * np.minimum((steps + 1) / 200, 1.0)
    assert fit_logged(steps, warm_then_flat) is None  # nothing tells what comes
    restart = warm_cosine(2_000, 200, 0.1, steps)
    restart[steps > 2_000] = 6e-4 * np.minimum(0.1 + (steps[steps > 2_000] - 2_000) / 500, 1.0)  # a re-warmup
    assert fit_logged(steps, restart) is None
    step_decay = 6e-4 * np.where(steps < 1_500, 1.0, 0.3)  # a step schedule is neither shape
    assert fit_logged(steps, step_decay) is None
    assert fit_logged(steps, np.zeros(len(steps))) is None and fit_logged(steps, np.full(len(steps), np.nan)) is None
    gappy = warm_cosine(10_000, 500, 0.0, steps)
    gappy[::7] = np.nan  # unlogged steps are skipped, not read as a shape
    assert fit_logged(steps, gappy)["kind"] == "cosine"


def test_schedule_for_extends_a_logged_lr_and_says_so() -> None:
    steps = np.arange(0, 4_001)
    lr = warm_cosine(10_000, 500, 0.0, steps)
    run = make_run("r", {"train/loss": (steps, 3 + 1 / (1 + steps / 100)), "train/lr": (steps, lr)})
    sched, why = schedule_for(run, 10_001)
    assert why == "" and "extended as a cosine decay to 0% of its peak at step 10," in sched.source
    assert sched.lr[-1] == pytest.approx(0.0, abs=1e-6)
    # the first cycle of a cyclic (SGDR-like) schedule, logged to half of it and projected over three: the log
    # cannot tell the restarts, so no schedule is made past the cycle's end, and the reason is given
    cycle = warm_cosine(10_000, 500, 0.1, np.arange(0, 5_001))
    run = make_run("c", {"train/loss": (np.arange(0, 5_001), 3 + 1 / (1 + np.arange(0, 5_001) / 100)),
                         "train/lr": (np.arange(0, 5_001), cycle)})
    sched, why = schedule_for(run, 30_001)
    assert sched is None and "ends at step 10," in why and "not in the log" in why


@pytest.mark.parametrize(("path", "end", "floor"), [
    ("llmc/mng-llmc-gpt2-124M-8xH100.log", 19_560, 0.0),  # llm.c: cosine to 0 (final_learning_rate_frac 0)
    ("build_nanogpt/agndm-1epoch-stdout.out", 19_073, 0.1),  # build-nanogpt: min_lr = 0.1 x max_lr
])
def test_corpus_logged_lr_cut_early_finds_its_planned_end(path: str, end: int, floor: float) -> None:
    from lossdoc import load

    run = load(corpus_file(path))[0]
    steps, lr = run.arrays("train/lr")
    for frac in (0.25, 0.5, 0.75):
        keep = steps <= frac * steps[-1]
        fit = fit_logged(steps[keep], lr[keep])
        assert fit is not None and fit["kind"] == "cosine" and fit["floor"] == floor, frac
        assert abs(fit["end"] - end) <= 0.002 * end, (frac, fit)


@settings(max_examples=60, deadline=None)
@given(total=st.integers(200, 50_000), warmup_frac=st.floats(0.0, 0.2), floor=st.sampled_from([0.0, 0.05, 0.1, 0.3]),
       cut=st.floats(0.01, 1.5), shape=st.sampled_from(["cosine", "linear", "step", "constant"]))
def test_any_logged_lr_extends_to_a_finite_nonnegative_schedule_or_none(total, warmup_frac, floor, cut, shape) -> None:
    """Whatever the logged LR (a floor no trainer defaults to, a step decay, a cut before the peak or past the
    end), the extension is None or a finite, non-negative LR no higher than the logged peak."""
    warmup = max(int(warmup_frac * total), 1)
    steps = np.arange(0, max(int(cut * total), 2))
    if shape == "cosine":
        lr = warm_cosine(total, warmup, floor, steps)
    elif shape == "linear":
        lr = warm_linear(total, warmup, steps)
    elif shape == "step":
        lr = 6e-4 * np.where(steps < total // 2, 1.0, floor)
    else:
        lr = np.full(len(steps), 6e-4)
    extended, fit, _ = extend_logged(steps, printed(lr), 2 * total + 1)
    if extended is None:
        return
    assert np.all(np.isfinite(extended)) and extended.min() >= 0
    assert extended.max() <= printed(lr).max() * (1 + 1e-9)
    assert fit["end"] > steps[-1] - 1

"""The projection of `phases --project` and `analyze`: never impossible, a prior for the decay not yet seen, what
the rest of the run costs, and no fresh decay promised past the end of the schedule. Truths are built here."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lossdoc.analyzers import phases as ph
from lossdoc.analyzers import projection as proj
from lossdoc.cli import app
from lossdoc.report import build_report
from lossdoc.run import Run, make_run
from tests.conftest import corpus_file


def wsd_lr(total: int, warmup: int, decay: int) -> np.ndarray:
    s = np.arange(total + 1, dtype=float)
    start = total - decay
    return np.where(s < warmup, (s + 1) / warmup, np.where(s < start, 1.0, 1.0 - (s - start) / decay))


def multi_power_law(lr: np.ndarray, at: np.ndarray, l0: float, a: float, alpha: float, b: float) -> np.ndarray:
    """Luo et al. 2025 (arXiv 2503.12811) eq. 4 with C = 0.03, β = 0.6, γ = 0.5, written here independently."""
    eta = lr / lr.max()
    cum = np.cumsum(eta)
    d = np.zeros_like(eta)
    d[1:] = eta[:-1] - eta[1:]
    d[: int(np.argmax(eta)) + 1] = 0.0
    out = []
    for t in at:
        k = np.flatnonzero(d[: t + 1])
        g = 1 - (0.03 * np.maximum(eta[k], 1e-3) ** -0.5 * (cum[t] - cum[k - 1]) + 1) ** -0.6
        out.append(l0 + a * cum[t] ** -alpha - b * float(np.sum(d[k] * g)))
    return np.array(out)


def wsd_run(total: int = 8_000, cut_frac: float = 0.5, seed: int = 0, meta: dict | None = None
            ) -> tuple[Run, float, str]:
    lr = wsd_lr(total, 100, total // 5)
    at = np.arange(0, total + 1, total // 80)
    loss = multi_power_law(lr, at, 2.8, 40.0, 0.45, 0.18)
    rng = np.random.default_rng(seed)
    keep = at <= total * cut_frac
    run = make_run("wsd", {"val/loss": (at[keep], loss[keep] + rng.normal(0, 0.004, keep.sum()))}, meta or {})
    return run, float(loss[-1]), f"wsd:peak=1,warmup=100,total={total},decay={total // 5}"


@pytest.mark.parametrize("cut", [0.25, 0.5])
def test_wsd_cut_before_its_decay_uses_the_prior_and_stays_possible(cut: float) -> None:
    # Issue 11: on a WSD run cut before its decay, the planned schedule given, the old fit projected -75 with
    # low > high. The annealing drop is not in the data: a prior sets it, and the result says so.
    run, truth, spec = wsd_run(cut_frac=cut)
    result = ph.analyze(run, project=8_000, schedule=spec)
    pr = result.projection
    assert 0 < pr["low"] <= pr["loss"] <= pr["high"] < pr["current"] + 0.01
    assert pr["prior_used"] and result.fit["prior"]["prior_dominated"]
    from lossdoc import curvefit

    assert result.fit["prior"]["alpha_prior"] == curvefit.ALPHA_PRIOR  # the exponent's prior is named too
    assert any("a prior was used" in n for n in result.notes)
    assert abs(pr["loss"] - truth) < 0.05
    assert pr["low"] <= truth <= pr["high"]


def test_the_prior_sizes_an_unseen_drop_by_the_exponent_the_data_show() -> None:
    # ρ and α have one bivariate normal prior (curvefit.ANNEAL_PRIOR_CORR): a stable phase says nothing of ρ, so
    # the fit's ρ sits at the prior's mean given the fitted α, log ρ0 + r·(sd_ρ / sd_α)·(α − α0), computed here
    from lossdoc import curvefit

    lr = wsd_lr(8_000, 100, 1_600)
    at = np.arange(0, 4_001, 100)
    fits = []
    for alpha in (0.3, 0.7):
        run = make_run("stable", {"val/loss": (at, multi_power_law(lr, at, 2.8, 3.0 * 100**alpha, alpha, 0.18))}, {})
        fits.append(ph.analyze(run, project=8_000, schedule="wsd:peak=1,warmup=100,total=8000,decay=1600"))
    slope = curvefit.ANNEAL_PRIOR_CORR * curvefit.ANNEAL_PRIOR_LOG_SD / curvefit.ALPHA_PRIOR_SD
    for result in fits:
        fit = result.fit
        want = curvefit.ANNEAL_PRIOR_RHO * math.exp(slope * (fit["params"]["alpha"] - curvefit.ALPHA_PRIOR))
        assert fit["prior"]["prior_dominated"]
        assert any(f"exponent {fit['params']['alpha']:.2f}, {want:.1%} x/÷" in n for n in result.notes)
        assert fit["params"]["rho"] == pytest.approx(want, rel=0.02)
        assert fit["prior"]["rho_prior_given_alpha"] == pytest.approx(want, rel=1e-9)
    (shallow, steep) = (r.fit["params"] for r in fits)
    assert steep["alpha"] > shallow["alpha"] + 0.1
    assert steep["rho"] > shallow["rho"] * 1.1  # the steeper curve is given the larger drop


def test_the_prior_note_tells_a_decay_to_come_from_one_already_made() -> None:
    from pathlib import Path

    from lossdoc import load

    # the example log's cosine reached its 10% floor at its last step, 2,400; 11 val points cannot size its drop
    run = load(Path(__file__).resolve().parents[1] / "examples" / "logs" / "llmc-stdout-spikes.log")[0]
    result = ph.analyze(run, project=4_000)
    assert result.projection["prior_used"]
    assert any("11 points of the fit window do not pin down the drop the LR decay brought" in n for n in result.notes)
    assert not any("does not show enough LR decay" in n for n in result.notes)
    # a WSD run in its stable phase: the decay is still to come
    run, _truth, spec = wsd_run(cut_frac=0.5)
    result = ph.analyze(run, project=8_000, schedule=spec)
    assert any(n.startswith("the log does not show enough LR decay") for n in result.notes)
    # the same run projected only to the end of its stable phase: no decay by then, so no prior to speak of
    result = ph.analyze(run, project=6_000, schedule=spec)
    assert not result.projection["prior_used"] and not any("a prior was used" in n for n in result.notes)
    # a cosine seen most of the way down (nanoGPT's config schedule, cut at 14,500 of 20,000): how far, and what
    # the data made of the prior
    run = load(Path(__file__).resolve().parents[1] / "examples" / "logs" / "nanogpt-fineweb-40M.log")[0]
    result = ph.analyze(run, project=20_000)
    prior = result.fit["prior"]
    note = next(n for n in result.notes if "a prior was used" in n)
    assert note.startswith("the 28 points of the fit window, 80% of the way through the LR decay's drop")
    assert note.endswith(f"the fit's drop is {prior['rho']:.1%} x/÷ {math.exp(prior['rho_log_sd']):.2f}")
    # a stable phase says nothing of the drop: the fit's is the prior's, and the note does not say it twice
    run, _truth, spec = wsd_run(cut_frac=0.5)
    note = next(n for n in ph.analyze(run, project=8_000, schedule=spec).notes if "a prior was used" in n)
    assert note.endswith("and the interval includes its spread")


def test_a_decay_in_the_data_outweighs_the_prior() -> None:
    run, truth, spec = wsd_run(cut_frac=0.95)  # three quarters of the warmdown seen
    pr = ph.analyze(run, project=8_000, schedule=spec).projection
    assert not pr["prior_used"]
    assert abs(pr["loss"] - truth) < 0.01


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["constant", "cosine", "wsd", "cyclic", "none"]),
    cut=st.floats(0.1, 0.95),
    horizon=st.floats(0.5, 3.0),
    noise=st.floats(0.0, 0.05),
    seed=st.integers(0, 1000),
)
def test_no_projection_is_ever_impossible(kind: str, cut: float, horizon: float, noise: float, seed: int) -> None:
    total = 2_000
    s = np.arange(total + 1, dtype=float)
    lr = {
        "constant": np.ones(total + 1),
        "cosine": 0.5 * (1 + np.cos(np.pi * s / total)),
        "wsd": wsd_lr(total, 50, 400),
        "cyclic": 0.55 + 0.45 * np.cos(2 * np.pi * s / 500),
        "none": np.ones(total + 1),
    }[kind]
    rng = np.random.default_rng(seed)
    at = np.arange(0, int(total * cut) + 1, 20)
    loss = 3.0 + 5.0 * (1 + at / 50) ** -0.5 - 0.15 * (1 - lr[at]) + rng.normal(0, noise, len(at))
    series = {"val/loss": (at, loss)}
    if kind != "none":
        series["train/lr"] = (s.astype(int), lr * 1e-3)
    run = make_run("p", series)
    pr = ph.analyze(run, project=int(total * horizon)).projection
    assert 0 < pr["low"] <= pr["loss"] <= pr["high"]
    assert math.isfinite(pr["high"]) and pr["loss"] >= proj_floor(pr)


def proj_floor(pr: dict) -> float:
    from lossdoc import forecast

    return forecast.MIN_LOSS_FRAC * pr["current"] - 1e-12


def test_after_the_lr_reached_its_floor_no_further_drop_is_promised() -> None:
    # Issue 8: a power law promised a further drop after the LR had reached 0. Logged LR: cosine to 0 at the
    # last step; projected to twice the length, the loss stays where the decay left it.
    total = 6_000
    s = np.arange(total + 1)
    lr = 6e-4 * 0.5 * (1 + np.cos(np.pi * s / total))
    at = s[::60]
    loss = 3.0 + 5.0 * (1 + at / 50) ** -0.5 - 0.2 * (1 - lr[at] / 6e-4)
    result = ph.analyze(make_run("done", {"val/loss": (at, loss), "train/lr": (s, lr)}), project=2 * total)
    pr = result.projection
    assert result.fit["form"] == "lr_annealing"
    assert any("reached its floor" in n for n in result.notes)
    assert abs(pr["remaining"]) < 0.01 and pr["per_1k_steps_at_end"] < 1e-4
    # twice the steps, but no LR area: the fit extrapolates along the LR area, so this reaches nowhere ("near",
    # not "far"), and the interval is the one at the last step's, not one widened for 6,000 steps of extrapolation
    assert pr["calibration"]["reach"] == "near"
    far = ph.analyze(make_run("done", {"val/loss": (at, loss), "train/lr": (s, lr)}), project=20 * total).projection
    assert far["high"] - far["low"] == pytest.approx(pr["high"] - pr["low"], rel=0.05)


def test_past_the_planned_end_says_so() -> None:
    run, _, spec = wsd_run(cut_frac=0.5, meta={"max_steps": 8_000})
    result = ph.analyze(run, project=12_000, schedule=spec)
    assert result.projection["past_planned_end"]
    assert any("past the planned end" in n and "no fresh decay" in n for n in result.notes)
    at_end = ph.analyze(run, project=8_000, schedule=spec).projection["loss"]
    assert result.projection["loss"] == pytest.approx(at_end, abs=0.01)  # LR 0 after the end: nothing more


def test_hours_come_from_step_times_without_eval_steps() -> None:
    steps = np.arange(1, 2_001)
    times = np.full(len(steps), 100.0)
    evals = np.arange(100, 2_001, 100)
    times[np.isin(steps, evals + 1)] = 5_000.0  # the step after an eval carries its cost (nanoGPT)
    loss = 3.0 + 5.0 * (1 + evals / 50) ** -0.5
    run = make_run("t", {"val/loss": (evals, loss), "train/step_time_ms": (steps, times)})
    assert proj.step_time_ms(run) == pytest.approx(100.0)
    pr = ph.analyze(run, project=11_000, price_per_hour=16.0).projection
    assert pr["remaining_steps"] == 9_000
    assert pr["hours"] == pytest.approx(9_000 * 0.1 / 3600)
    assert pr["cost"] == pytest.approx(pr["hours"] * 16.0)
    assert pr["per_dollar_at_end"] == pytest.approx(pr["per_1k_steps_at_end"] / (100 * 16.0 / 3600))
    assert pr["summary"].startswith("Remaining improvement ~") and "$" in pr["summary"]


def test_cli_cost_from_gpus_and_price_per_gpu_hour(nanogpt_log) -> None:
    args = ["phases", str(nanogpt_log), "--json", "--project", "10000"]
    res = CliRunner().invoke(app, [*args, "--gpus", "8", "--price-per-gpu-hour", "2.5"])
    assert res.exit_code == 0, res.output
    pr = json.loads(res.stdout)["projection"]
    assert set(pr) >= {"step", "loss", "low", "high", "coverage", "remaining", "hours", "cost", "days"}
    assert pr["coverage"] == 0.8 and pr["price_per_hour"] == 20.0 and pr["cost"] == pytest.approx(pr["hours"] * 20)
    res = CliRunner().invoke(app, [*args, "--price-per-gpu-hour", "2.5"])
    assert res.exit_code == 2 and "--gpus" in res.output


def test_analyze_projects_to_the_planned_last_step() -> None:
    run, _, _ = wsd_run(cut_frac=0.5, meta={"max_steps": 8_000})
    report, _ = build_report(run, [run], "test")
    pr = report["sections"]["phases"]["projection"]
    assert pr["step"] == 8_000
    assert "Projected val/loss at step 8,000" in report["headline"]
    report, _ = build_report(run, [run], "test", project=9_000)
    assert report["sections"]["phases"]["projection"]["step"] == 9_000
    run, _, _ = wsd_run(cut_frac=0.5, meta={"max_steps": 4_000})  # the log is at its planned end already
    report, _ = build_report(run, [run], "test")
    assert report["sections"]["phases"]["projection"] is None and "Projected" not in report["headline"]
    # build-nanogpt's last step is max_steps - 1: a run one step short of its plan has finished
    for planned, projects in ((4_001, False), (4_040, False), (4_041, True)):
        run, _, _ = wsd_run(cut_frac=0.5, meta={"max_steps": planned})
        report, _ = build_report(run, [run], "test")
        assert (report["sections"]["phases"]["projection"] is not None) == projects, planned


def test_analyze_projects_a_modded_run_cut_in_its_stable_phase(tmp_path) -> None:
    """A user's partial modded-nanogpt log (step 2,000 of 6,000, 17 evals): analyze projects to the planned end
    that the embedded script states, the run's real final eval (3.2763) inside the interval, and the advice is
    the warmdown the script plans, not 'add one'."""
    import re

    source = corpus_file("modded-nanogpt/soap-6000steps.txt")
    kept = []
    for line in source.read_text().splitlines():
        m = re.match(r"step:(\d+)/", line)
        if m and int(m.group(1)) > 2_000:
            break
        kept.append(line)
    log = tmp_path / "soap-2000.txt"
    log.write_text("\n".join(kept) + "\n")
    res = CliRunner().invoke(app, ["analyze", str(log), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    ph_doc = doc["sections"]["phases"]
    pr = ph_doc["projection"]
    assert pr["step"] == 6_000 and pr["low"] <= 3.2763 <= pr["high"] and pr["prior_used"]
    assert ph_doc["points"] < 20  # fewer points than analyze once required (2 x the fit window's 10 then)
    knee = next(f for f in doc["findings"] if f["title"].startswith("past the knee"))
    assert "plans its decay from step" in knee["advice"] and "moves the curve more" not in knee["advice"]
    # analyze has projected to that end already: the advice quotes it rather than a command to run
    assert f"projected {pr['loss']:.3f}" in knee["advice"] and "--project" not in knee["advice"]


def test_cli_analyze_takes_project(nanogpt_log) -> None:
    res = CliRunner().invoke(app, ["analyze", str(nanogpt_log), "--json", "--project", "9000"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["sections"]["phases"]["projection"]["step"] == 9_000 and "Projected" in doc["headline"]


def _truncated(run: Run, cut: int) -> Run:
    df = run.df
    loss = df["metric"].astype(str).str.endswith("loss")
    return Run(name=run.name, df=df[~loss | (df["step"] <= cut)].reset_index(drop=True), meta=dict(run.meta))


def test_corpus_cosine_from_half_way_with_and_without_the_schedule() -> None:
    from lossdoc import load

    run = load(corpus_file("llmc/mng-llmc-gpt2-124M-8xH100.log"))[0]
    steps, vals = run.arrays("val/loss")
    final_step, final = int(steps[-1]), float(vals[-1])
    half = _truncated(run, final_step // 2)
    aware = ph.analyze(half, project=final_step)
    assert aware.fit["form"] == "lr_annealing"
    assert abs(aware.projection["loss"] - final) < 0.025
    no_lr = half.df[half.df["metric"].astype(str) != "lr"].reset_index(drop=True)
    blind = ph.analyze(Run(name=half.name, df=no_lr, meta={"format": "test"}), project=final_step)
    assert blind.fit["form"] == "power_law" and "assumes the LR stays as it is" in blind.fit["caveat"]
    assert blind.projection["unknown_decay"] > 0
    assert blind.projection["low"] <= final <= blind.projection["high"]


def test_corpus_wsd_cut_before_its_warmdown() -> None:
    from lossdoc import load

    run = load(corpus_file("modded-nanogpt/fp4-19073steps-spike.txt"))[0]
    steps, vals = run.arrays("val/loss")
    final_step, final = int(steps[-1]), float(vals[-1])
    result = ph.analyze(_truncated(run, final_step // 2), project=final_step)  # warmdown starts at 13,624
    pr = result.projection
    assert pr["prior_used"] and 0 < pr["low"] <= pr["loss"] <= pr["high"]
    assert abs(pr["loss"] - final) < 0.06 and pr["low"] <= final <= pr["high"]


def test_a_rising_loss_is_not_forecast() -> None:
    steps = np.arange(0, 3_001, 50)
    loss = 3.0 + 5.0 * (1 + steps / 50) ** -0.5 + np.where(steps > 2_000, (steps - 2_000) / 500, 0.0)
    result = ph.analyze(make_run("up", {"val/loss": (steps, loss)}), project=6_000)
    assert not result.projection["determined"]
    assert any("rising at the end" in n for n in result.notes)
    report, _ = build_report(make_run("up", {"val/loss": (steps, loss)}, {"max_steps": 6_000}), [], "test")
    assert "Projected" not in report["headline"]


def test_a_series_below_zero_is_neither_fitted_nor_projected_nor_checked_against_ln_vocab() -> None:
    # a "loss" that falls from -1 to -3 (a negated objective): the laws fall to a floor >= 0; fitted anyway, the
    # power law ran to its bounds and projected 0.0000
    steps = np.arange(0, 3_001, 10)
    loss = -1.0 - 2.0 * (1 - np.exp(-steps / 800))
    run = make_run("neg", {"train/loss": (steps, loss)}, {"max_steps": 6_000})
    result = ph.analyze(run, project=6_000)
    assert result.projection is None and result.fit is None
    assert any("reaches -2.953, below 0" in n for n in result.notes)
    assert result.init.verdict == "not_init" and result.init.severity is None and "not positive" in result.init.title
    report, _ = build_report(run, [], "test")
    assert "Projected" not in report["headline"]
    # a small loss printed as 0.0000 is still a loss: fitted, its floor at its bound of 0, and said to be undetermined
    zero = make_run("zero", {"train/loss": (steps, np.round(2.5 * np.exp(-steps / 150.0), 4))})
    pr = ph.analyze(zero, project=6_000).projection
    assert pr is not None and not pr["determined"] and 0 <= pr["low"] <= pr["loss"] <= pr["high"]
    assert proj.summary_line(pr).startswith("Remaining improvement ~0.00")


def test_corpus_run_whose_logged_lr_reached_zero_gets_no_further_drop() -> None:
    from lossdoc import load

    run = load(corpus_file("llmc/mng-llmc-gpt2-124M-8xH100.log"))[0]  # lr logged to 0 at step 19,559
    result = ph.analyze(run, project=40_000)
    pr = result.projection
    assert result.fit["form"] == "lr_annealing" and any("reached its floor" in n for n in result.notes)
    assert abs(pr["remaining"]) < 0.002 and pr["per_1k_steps_at_end"] < 1e-5
    # at an LR of 0 the curve does not move: the summary says so instead of a range of "improvement" from the width
    line = proj.summary_line(pr)
    assert line.startswith("No further improvement: with the LR at 0") and "Remaining improvement" not in line
    # and the loss stays where the log left it, not at the fit's value there
    assert pr["loss"] == pr["current"] and pr["low"] <= pr["current"] <= pr["high"]


def test_with_no_lr_ahead_the_projection_is_the_loss_now_even_when_the_fit_sits_off_it() -> None:
    # a WSD run logged to the end of its decay to 0, the last evals 0.02 below the law (a loose fit): projected past
    # the end, nothing moves, so it stays at the last eval, and "no further improvement" is said beside that number
    total = 4_000
    lr = wsd_lr(total, 100, 800)
    steps = np.arange(100, total + 1, 100)
    loss = multi_power_law(lr, steps, 3.0, 6.0, 0.5, 0.15) - np.where(steps >= total - 200, 0.02, 0.0)
    run = make_run("wsd0", {"val/loss": (steps, loss), "train/lr": (np.arange(total + 1), lr)})
    pr = ph.analyze(run, project=2 * total).projection
    assert pr["loss"] == pytest.approx(loss[-1], abs=1e-12) and pr["remaining"] == 0.0
    assert proj.summary_line(pr).startswith("No further improvement")


@pytest.mark.parametrize("cut", [0.25, 0.5])
def test_cli_wsd_table_cut_before_decay_with_a_schedule_file(tmp_path, cut: float) -> None:
    # the reproduction: a step,lr,loss table of a WSD run cut early, the planned schedule as a file
    total = 8_000
    lr = wsd_lr(total, 100, 1_600) * 3e-3
    at = np.arange(0, total + 1, 20)
    loss = multi_power_law(lr, at, 2.8, 40.0, 0.45, 0.18)
    keep = at <= total * cut
    rng = np.random.default_rng(3)
    noisy = loss[keep] + rng.normal(0, 0.03, keep.sum())  # per-step train-loss noise
    table = tmp_path / "run.csv"
    table.write_text("step,lr,loss\n" + "".join(f"{s},{lr[s]:.6g},{v:.5f}\n" for s, v in zip(at[keep], noisy,
                                                                                               strict=True)))
    sched = tmp_path / "schedule.csv"
    sched.write_text("step,lr\n" + "".join(f"{s},{x:.6g}\n" for s, x in enumerate(lr)))
    res = CliRunner().invoke(app, ["phases", str(table), "--json", "--project", str(total), "--schedule", str(sched)])
    assert res.exit_code == 0, res.output
    pr = json.loads(res.stdout)["projection"]
    assert 0 < pr["low"] <= pr["loss"] <= pr["high"] and pr["prior_used"]
    assert abs(pr["loss"] - loss[-1]) < 0.06 and pr["low"] <= loss[-1] <= pr["high"]


# --- the calibrated interval (lossdoc/calibration.py, set by benchmarks/projection.py --calibrate) ----------


def cosine_run(total: int, cut_frac: float) -> tuple[Run, str]:
    at = np.arange(0, total + 1, total // 80)
    lr = 0.5 * (1 + np.cos(np.pi * np.arange(total + 1) / total))
    loss = multi_power_law(np.maximum(lr, 1e-3), at, 2.8, 40.0, 0.45, 0.18)
    keep = at <= total * cut_frac
    run = make_run("cos", {"val/loss": (at[keep], loss[keep] + np.random.default_rng(1).normal(0, 0.004, keep.sum()))},
                   {})
    return run, f"cosine:peak=1,warmup=0,total={total},min_lr=0"


@pytest.mark.parametrize(
    ("case", "situation", "reach"),
    [
        ("wsd 25%", "decay_ahead", "far"),  # 6,000 steps ahead of 2,000 seen, the warmdown unseen
        ("wsd 50%", "decay_ahead", "mid"),
        ("cosine 75%", "decaying", "near"),  # most of the decay seen: its drop is measured
        ("constant 50%", "flat", "mid"),
        ("no schedule", "no_schedule", "mid"),
    ],
)
def test_each_projection_names_its_calibration_cell_and_uses_its_factor(case: str, situation: str, reach: str
                                                                       ) -> None:
    from lossdoc.calibration import CALIBRATION
    from lossdoc.forecast import Z_80

    if case.startswith("wsd"):
        run, _, spec = wsd_run(cut_frac=int(case[-3:-1]) / 100)
    elif case.startswith("cosine"):
        run, spec = cosine_run(8_000, 0.75)
    else:
        run, _, _ = wsd_run(cut_frac=0.5)
        spec = "constant:peak=1,warmup=100" if case.startswith("constant") else None
    result = ph.analyze(run, project=8_000, schedule=spec)
    pr, cal = result.projection, result.projection["calibration"]
    assert (cal["situation"], cal["reach"]) == (situation, reach)
    factors = f"-{cal['factor_below']:.2f}/+{cal['factor_above']:.2f} x 1.28 sd"
    assert any(f"interval is {factors}" in n for n in result.notes)  # the report says so
    assert (cal["factor_below"], cal["factor_above"]) == CALIBRATION[(situation, reach)]
    if pr["determined"]:  # neither end is clamped: each is its own factor x Z x sd away (the low end also by the
        # allowance for a decay no schedule tells of)
        assert pr["high"] - pr["loss"] == pytest.approx(cal["factor_above"] * Z_80 * cal["sd"], rel=1e-9)
        below = pr["loss"] - pr["low"] - pr["unknown_decay"]
        assert below == pytest.approx(cal["factor_below"] * Z_80 * cal["sd"], rel=1e-9, abs=1e-12)


def test_conformal_factor_is_the_corrected_quantile_and_lifts_a_family_left_behind() -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from projection_calibration import conformal_factor

    def rows(scores: list[float], family: str, corpus: bool = False) -> list[dict]:
        return [{"above": s, "family": family, "corpus": corpus} for s in scores]

    # 9 cases: the level 0.9 x (1 + 1/9) = 1.0 of the sorted scores 0.1..0.9 is the 9th, 0.9; with 19 cases
    # (0.05..0.95) 0.9 x 20/19 = 0.947 is the 18th, 0.9
    assert conformal_factor(rows([round(0.1 * k, 1) for k in range(1, 10)], "cosine"), "above") == 0.9
    assert conformal_factor(rows([round(0.05 * k, 2) for k in range(1, 20)], "cosine"), "above") == 0.9
    # 40 constant-LR cases covered by anything, and 5 WSD cases that need 1-5: the pool's 90% quantile (0.0)
    # would leave the WSD family at 0%; the family floor (85% of 5 x 1.2 = 102%: the 5th) lifts it to 5.0
    pool = rows([0.0] * 40, "constant") + rows([1.0, 2.0, 3.0, 4.0, 5.0], "wsd_before")
    assert conformal_factor(pool, "above") == 5.0
    # corpus cases weigh as much together as the synthetic ones: 2 corpus cases at 9 against 8 synthetic at 1
    mixed = rows([1.0] * 8, "cosine") + rows([9.0, 9.0], "cosine", corpus=True)
    assert conformal_factor(mixed, "above") == 9.0


def test_each_side_of_the_interval_has_its_own_factor() -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from projection_calibration import factors

    # a power law's misses: the truth below it (within the allowance for an unseen decay: score 0) 9 times in 10,
    # above it by 1-2 units once in 10; a shared factor at 80% would be 0 and its high end would hold nothing
    # above, one factor per side keeps the high end where those misses are
    rng = np.random.default_rng(0)
    rows = [{"below": 0.0, "above": 0.0 if k % 10 else float(rng.uniform(1, 2)), "family": "cosine",
             "corpus": False, "cell": ("no_schedule", "far")} for k in range(200)]
    down, up, n_syn, n_cor = factors(rows)[("no_schedule", "far")]
    assert down == 0.0 and 1.0 < up <= 2.0 and (n_syn, n_cor) == (200, 0)
    held = np.mean([r["above"] <= up for r in rows])
    assert 0.9 <= held < 0.96


def test_a_cell_no_real_run_reached_is_not_narrowed_by_synthetic_curves_alone() -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from projection_calibration import conformal_factors, factors

    def rows(scores: list[float], reach: str, corpus: bool) -> list[dict]:
        return [{"below": x, "above": x, "family": "cosine", "corpus": corpus, "cell": ("decaying", reach)}
                for x in scores]

    easy = rows([0.1] * 20, "mid", corpus=False)  # synthetic only, and easy
    hard = rows([1.0] * 10, "near", corpus=False) + rows([2.0] * 4, "near", corpus=True)
    table = factors(easy + hard)
    pooled = conformal_factors(easy + hard)
    assert table[("decaying", "mid")][:2] == pooled and pooled[1] > 0.1  # not the 0.1 its synthetic cases alone give
    assert table[("decaying", "near")][:2] == conformal_factors(hard)


def test_an_undetermined_fit_spans_its_whole_further_drop_and_says_why(monkeypatch) -> None:
    from pathlib import Path

    from lossdoc import forecast, load

    run = load(Path(__file__).resolve().parents[1] / "examples" / "logs" / "llmc-stdout-spikes.log")[0]
    # without its LR (logged or in the header) the power law is fitted on 11 points: L0 runs to its bound
    run = Run(run.name, run.df[run.df["metric"].astype(str) != "lr"].reset_index(drop=True), {"format": "llmc"})
    # a calibrated width wider than the further drop stays as it is, and the note gives its factor
    monkeypatch.setattr(forecast, "standard_error", lambda *args: 1.0)
    result = ph.analyze(run, project=4_000)
    pr = result.projection
    assert result.fit["at_bounds"] and not pr["calibration"]["widened"]
    assert any("x 1.28 sd" in n for n in result.notes)
    # a calibrated width narrower than the further drop is widened to it, and the note on the bound says why
    monkeypatch.setattr(forecast, "standard_error", lambda *args: 1e-4)
    result = ph.analyze(run, project=4_000)
    pr = result.projection
    assert pr["calibration"]["widened"]
    assert pr["high"] - pr["loss"] == pytest.approx(abs(pr["remaining"]))
    assert not any("x 1.28 sd" in n for n in result.notes) and any("ran to a bound" in n for n in result.notes)


def test_a_target_below_the_fitted_floor_names_the_floor_with_the_decay_felt() -> None:
    """The LR-annealing form's L0 is not where the curve ends: the schedule's decay takes ρ·L·D off it. A target
    the curve never reaches quotes that floor, which lies below the loss now and above the target."""
    run, _truth, spec = wsd_run(cut_frac=0.5)
    result = ph.analyze(run, project=8_000, schedule=spec, target=2.5)
    fit = result.fit["params"]
    assert fit["floor"] < fit["L0"]
    message = result.target.message
    assert "does not reach it" in message and f"its floor {fit['floor']:.4f}" in message
    assert 2.5 < fit["floor"] < result.projection["current"]


def test_one_spike_in_the_fit_window_does_not_widen_the_interval() -> None:
    """The fit counts a point beyond 3 noise sd linearly (soft-L1); the interval's scatter clips it there too, so
    one bad eval (a val loss on a checkpoint mid-spike) leaves the width as it was, where a plain RMS would not."""
    total = 8_000
    lr = wsd_lr(total, 100, total // 5)
    at = np.arange(0, 4_001, 50)
    clean = multi_power_law(lr, at, 2.8, 40.0, 0.45, 0.18) + np.random.default_rng(5).normal(0, 0.004, len(at))
    spiked = clean.copy()
    spiked[60] += 0.5  # step 3,000
    spec = f"wsd:peak=1,warmup=100,total={total},decay={total // 5}"
    widths = []
    for values in (clean, spiked):
        result = ph.analyze(make_run("r", {"val/loss": (at, values)}), project=total, schedule=spec)
        widths.append(result.projection["high"] - result.projection["low"])
    assert widths[1] < 1.3 * widths[0], widths


def test_the_charts_draw_the_projected_curve_with_the_warmdown_where_it_is() -> None:
    """A WSD run cut at half, its warmdown from step 6,400: the projection's path starts at the loss now, ends at
    the projected value, holds the value inside its band, and falls fastest in the warmdown, not before it; the
    HTML chart draws it as a polyline, not one straight segment."""
    from lossdoc.render.svg import _projection

    run, _truth, spec = wsd_run(cut_frac=0.5)
    pr = ph.analyze(run, project=8_000, schedule=spec).projection
    path = np.array(pr["path"])
    assert path[0, 0] == 4_000 and path[-1, 0] == 8_000
    assert path[0, 1] == pytest.approx(pr["current"]) and path[-1, 1] == pytest.approx(pr["loss"])
    assert np.all(path[:, 2] <= path[:, 1] + 1e-9) and np.all(path[:, 1] <= path[:, 3] + 1e-9)
    assert path[-1, 2] == pytest.approx(pr["low"]) and path[-1, 3] == pytest.approx(pr["high"])
    rate = -np.diff(path[:, 1]) / np.diff(path[:, 0])  # a straight segment would fall at one rate throughout
    steepest = path[1:, 0][int(np.argmax(rate))]
    assert 6_400 < steepest < 8_000 and rate.max() > 1.4 * rate[path[1:, 0] <= 6_400][-1]

    class Frame:  # the chart's axes as the identity: enough to read the shapes drawn
        @staticmethod
        def px(x: float) -> float:
            return float(x)

        @staticmethod
        def py(y: float) -> float:
            return float(y)

    svg = "".join(_projection(Frame(), pr))
    polyline = svg.split('<polyline points="')[1].split('"')[0]
    assert len(polyline.split()) == len(pr["path"])


@pytest.mark.parametrize("spec", ["wsd:peak=1,warmup=100,total=4000,decay=800", "constant:peak=1",
                                  "cosine:peak=1,warmup=100,total=4000,final=0.1"])
def test_past_the_computed_schedule_the_lr_holds_exactly(monkeypatch, spec: str) -> None:
    # the LR array stops at MAX_SCHEDULE_STEPS and the fit holds the LR past it: the same projection as with the
    # array computed all the way (a WSD run at 0, a constant LR still adding area, a cosine at its 10% floor)
    from lossdoc import schedule as schedule_mod

    run, _truth, _ = wsd_run(total=4_000, cut_frac=0.5)
    full = ph.analyze(run, project=20_000, schedule=spec).projection
    monkeypatch.setattr(schedule_mod, "MAX_SCHEDULE_STEPS", 5_000)
    capped = ph.analyze(run, project=20_000, schedule=spec).projection
    assert capped["loss"] == pytest.approx(full["loss"], abs=1e-9)
    assert (capped["low"], capped["high"]) == pytest.approx((full["low"], full["high"]), abs=1e-9)


def test_a_log_longer_than_the_computed_schedule_is_fitted_without_it(monkeypatch) -> None:
    from lossdoc import schedule as schedule_mod

    run, _truth, spec = wsd_run(total=8_000, cut_frac=0.5)
    monkeypatch.setattr(schedule_mod, "MAX_SCHEDULE_STEPS", 3_000)  # the log reaches step 4,000
    result = ph.analyze(run, project=8_000, schedule=spec)
    assert result.fit["form"] == "power_law"
    [note] = [n for n in result.notes if n.startswith("fit without the LR schedule")]
    assert "up to step 3,000, and this needs it up to step 4,000" in note and "--schedule gives it" not in note


def test_a_schedule_still_decaying_where_its_array_stops_is_not_held(monkeypatch) -> None:
    # holding a cosine's LR at the step its array stops would promise the rest of its decay never comes
    from lossdoc import schedule as schedule_mod

    run, _truth, _ = wsd_run(total=4_000, cut_frac=0.5)
    monkeypatch.setattr(schedule_mod, "MAX_SCHEDULE_STEPS", 5_000)
    result = ph.analyze(run, project=8_000, schedule="cosine:peak=1,warmup=100,total=10000")
    assert result.fit["form"] == "power_law"
    [note] = [n for n in result.notes if n.startswith("fit without the LR schedule")]
    assert "the LR still changes at step 5,000" in note and "--schedule gives it" not in note  # it was given


def test_a_projection_past_the_backtests_reach_says_its_interval_is_not_calibrated() -> None:
    from pathlib import Path

    from lossdoc import forecast, load

    logs = Path(__file__).resolve().parents[1] / "examples" / "logs"
    run = load(logs / "megatron-gpt-345M.log")[0]  # 1,000 steps, its cosine at its 10% floor
    far = ph.analyze(run, project=445_000)
    ratio = far.projection["calibration"]["reach_ratio"]
    assert ratio > forecast.BACKTEST_REACH
    assert any(n.startswith(f"--project 445,000 lies {ratio:,.0f}x the LR area seen") for n in far.notes)
    assert not far.projection["calibrated"] and forecast.interval_label(far.projection) == "uncalibrated interval"
    near = ph.analyze(run, project=1_500)
    assert near.projection["calibration"]["reach_ratio"] <= forecast.BACKTEST_REACH
    assert not any("the interval's backtests reached" in n for n in near.notes)
    assert near.projection["calibrated"] and forecast.interval_label(near.projection) == "80% interval"
    out = CliRunner().invoke(app, ["phases", str(logs / "megatron-gpt-345M.log"), "--project", "445000"]).output
    assert "(uncalibrated interval " in out and "80% interval" not in out.split("Projection step", 1)[1]
    # the LR at 0 after a finished warmdown: steps ahead are no way ahead at all
    held = ph.analyze(load(logs / "modded-nanogpt-record.txt")[0], project=445_000)
    assert held.projection["calibration"]["reach_ratio"] == 0.0


def test_a_fit_that_falls_below_the_lowest_projection_allowed_says_it_is_held_there() -> None:
    # a steep 100-step stretch projected 100x ahead: the power law runs to ~0; the projection is the 5% floor, marked
    steps = np.arange(1_000, 1_101, 10)
    run = make_run("steep", {"train/loss": (steps, 8.0 - 0.05 * (steps - 1_000.0))})
    result = ph.analyze(run, project=100_000)
    pr = result.projection
    assert pr["at_floor"] and not pr["determined"]
    assert pr["loss"] == pytest.approx(0.05 * pr["current"]) and pr["low"] <= pr["loss"] <= pr["high"]
    assert any(n.startswith("the fitted curve falls below 5% of the loss now by step 100,000") for n in result.notes)
    near = ph.analyze(run, project=1_200)
    assert not near.projection["at_floor"] and not any("falls below 5%" in n for n in near.notes)


def test_the_way_seen_is_the_one_the_log_covers_not_the_steps_since_0() -> None:
    # an excerpt of 500 steps logged from step 29,000 (no schedule): to step 31,000 it reaches 1,500/500 = 3x the way
    # it saw, not 1,500/29,500 = 0.05x; a log from step 0 of the same curve is measured from 0
    def curve(start: int) -> Run:
        steps = np.arange(start, 29_501, 10)
        return make_run("x", {"train/loss": (steps, 2.5 + 40.0 * (steps + 100.0) ** -0.4)})

    excerpt = ph.analyze(curve(29_000), project=31_000).projection
    assert excerpt["calibration"]["reach_ratio"] == pytest.approx(1_500 / 500)
    assert excerpt["calibration"]["reach"] == "far"
    whole = ph.analyze(curve(0), project=31_000).projection
    assert whole["calibration"]["reach_ratio"] == pytest.approx(1_500 / 29_500, rel=0.05)  # (last: its last bin)
    assert whole["calibration"]["reach"] == "near"
    assert not ph.analyze(curve(29_000), project=100_000).projection["calibrated"]


def test_the_high_end_stays_below_where_the_fit_window_began() -> None:
    # --project 1e12 on the example log: the sd carried that far put the high end at 2,233 nats, the loss now 3.73
    from pathlib import Path

    from lossdoc import load

    run = load(Path(__file__).resolve().parents[1] / "examples" / "logs" / "llmc-stdout-spikes.log")[0]
    result = ph.analyze(run, project=10**12)
    pr = result.projection
    start, _end = result.fit["window"]
    steps, values = run.arrays("val/loss")
    in_window = values[(steps >= start) & np.isfinite(values)]
    assert pr["high"] == pytest.approx(float(in_window.max()))
    assert 0 < pr["low"] <= pr["loss"] <= pr["high"]


def test_the_steps_left_count_from_where_the_training_is_not_from_the_last_eval() -> None:
    # val every 100 steps up to 2,700, train every step up to 2,750: 2,250 steps are left to step 5,000, not 2,300
    rng = np.random.default_rng(3)
    train_steps, val_steps = np.arange(1, 2_751), np.arange(0, 2_701, 100)
    train = 3.0 + 8.0 * (train_steps + 10.0) ** -0.5 + rng.normal(0, 0.02, len(train_steps))
    val = 3.0 + 8.0 * (val_steps + 10.0) ** -0.5
    run = make_run("evals behind", {"train/loss": (train_steps, train), "val/loss": (val_steps, val),
                                    "train/step_time_ms": (train_steps, np.full(len(train_steps), 200.0))}, {})
    pr = ph.analyze(run, project=5_000).projection
    assert pr["remaining_steps"] == 5_000 - 2_750
    assert pr["hours"] == pytest.approx(2_250 * 0.2 / 3600)


def test_a_fit_window_inside_the_warmup_is_not_determined() -> None:
    # a GPT-2-like cosine (warmup 700 of 19,560 steps, an eval every 250) cut at step 1,750: 4 evals past the
    # warmup, so the window starts inside it; the law describes the curve after it
    total, warmup = 19_560, 700
    s = np.arange(total + 1, dtype=float)
    lr = np.where(s < warmup, (s + 1) / warmup, 0.1 + 0.45 * (1 + np.cos(np.pi * (s - warmup) / (total - warmup))))
    at = np.arange(0, total + 1, 250)
    loss = multi_power_law(lr, at, 2.9, 60.0, 0.5, 0.2)
    spec = f"cosine:peak=1,warmup={warmup},total={total},final=0.1"

    def cut(step: int) -> Run:
        keep = at <= step
        return make_run("early", {"val/loss": (at[keep], loss[keep])}, {})

    early = ph.analyze(cut(1_750), project=total, schedule=spec)
    assert early.fit["warmup_end"] == warmup and not early.fit["determined"]
    assert not early.projection["determined"] and early.projection["calibration"]["widened"]
    assert any(n.startswith("the fit window (steps ") and "starts inside the LR warmup (to step 700)" in n
               for n in early.notes)
    pr = early.projection
    assert pr["high"] - pr["low"] >= pr["remaining"]  # it spans the whole further drop
    later = ph.analyze(cut(5_000), project=total, schedule=spec)
    assert later.fit["warmup_end"] is None and later.fit["window"][0] >= warmup

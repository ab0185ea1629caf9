"""Regression tests of issue 8 for `lossdoc spikes`: recovery only when the point itself is back in the band, one
event per excursion, the grad norm at the peak and its climb, the evals around a spike, the LR "of peak".

Each curve is built here with its truth (which steps are out of the band, where the grad norm peaks); the
library's own functions are not used to make the answer."""

from __future__ import annotations

import numpy as np
import pytest

import lossdoc
from lossdoc.analyzers import spikes
from lossdoc.facts import run_facts
from lossdoc.run import make_run
from tests.conftest import corpus_file


def curve(steps: np.ndarray, noise: float = 0.01, seed: int = 0) -> np.ndarray:
    clean = 3.0 + 7.8 * (1 + steps / 50.0) ** -0.45
    return clean * (1 + noise * np.random.default_rng(seed).standard_normal(len(steps)))


def ups(result):
    return [s for s in result.spikes if s.series == "train/loss" and s.jump > 0]


@pytest.mark.parametrize("length", [2, 3])
def test_a_two_or_three_point_excursion_is_one_short_event(length):
    # old rule: the median of the next 3 points decided recovery, so the 2nd point (still +20%) "recovered" the
    # 1st and was then flagged again: two "single-step" spikes for one excursion
    steps = np.arange(10_000)
    y = curve(steps)
    y[6000 : 6000 + length] *= 1.20
    result = spikes.analyze(make_run("r", {"train/loss": (steps, y)}))
    (sp,) = ups(result)
    assert (sp.step, sp.kind, sp.recovery_step, sp.recovery_points) == (6000, "short", 6000 + length, length)
    (f,) = [f for f in result.findings if "short spike" in f.title]
    assert f.severity.value == "info" and "1 short spike(s), back within 3 points" in f.title


def test_periodic_two_point_excursions_count_once_each():
    steps = np.arange(15_000)
    y = curve(steps, seed=5)
    for b in range(1500, 15_000, 1500):
        y[b + 3 : b + 5] *= 1.15
    result = spikes.analyze(make_run("r", {"train/loss": (steps, y)}), shard_map={"steps_per_shard": 1500})
    assert [s.step for s in ups(result)] == list(range(1503, 15_000, 1500))
    assert result.periodicity["n_spikes"] == 9 and result.periodicity["period_steps"] == 1500
    assert result.shards["spikes"] == 9 and result.shards["spikes_near_boundary"] == 9


def test_sparse_log_recovery_is_the_first_logged_point_inside_the_band():
    # every 10 steps, then 6 consecutive steps around a spike, then a jump to later steps
    steps = np.concatenate([np.arange(0, 600, 10), np.arange(600, 606), np.arange(1000, 1500, 100)])
    y = curve(steps, noise=0.003, seed=2)
    above = {601: 1.5, 602: 1.4, 603: 1.3, 604: 1.2, 605: 1.1}  # all far above the band (~1-2% wide)
    for step, factor in above.items():
        y[steps == step] *= factor
    (sp,) = ups(spikes.analyze(make_run("r", {"train/loss": (steps, y)})))
    assert sp.step == 601 and sp.recovery_step == 1000  # old code: 605, a point still 10% above the band
    assert y[steps == sp.recovery_step][0] <= sp.band_high
    assert sp.kind == "sustained" and sp.recovery_steps == 399


def test_grad_norm_at_the_peak_and_its_thousandfold_climb():
    steps = np.arange(3000)
    y = curve(steps)
    y[2000:2003] *= [1.3, 2.0, 1.6]  # onset 2000, loss peak 2001
    y[2003:2040] *= np.linspace(1.3, 1.0, 37)
    grad = np.full(len(steps), 0.2)
    grad[1997:2002] = [0.2, 2.0, 20.0, 100.0, 210.0]  # x1,050 over the 5 points before its peak at 2001
    run = make_run("r", {"train/loss": (steps, y), "train/grad_norm": (steps, grad)})
    result = spikes.analyze(run)
    (sp,) = ups(result)
    assert (sp.step, sp.peak_step) == (2000, 2001)
    assert sp.grad_norm == pytest.approx(100.0)  # at the onset: what the old code reported, and only that
    assert (sp.grad_norm_peak, sp.grad_norm_peak_step) == (pytest.approx(210.0), 2001)
    assert sp.grad_norm_climb == pytest.approx(210.0 / 0.2) and sp.grad_norm_climb_from_step == 1996
    assert sp.grad_norm_rising is True
    (f,) = [f for f in result.findings if f.title.startswith("Spike in")]
    assert "grad norm climbed 0.2 → 210 (x1,050) over the 5 points before its peak at step 2,001" in f.title


def test_megatron_grad_norm_of_zero_is_not_measured():
    steps = np.arange(29020, 29100, 10)
    y = np.array([2.775923, 2.772822, 2.768131, 7.343709, 8.715872, 7.654131, 7.192470, 6.849044])
    run = make_run("r", {"train/loss": (steps, y), "train/grad_norm": (steps, np.zeros(8))})
    (sp,) = ups(spikes.analyze(run))
    assert sp.grad_norm is None and sp.grad_norm_peak is None


def test_the_eval_before_a_spike_precedes_its_onset():
    # chongwei shape: the eval at the onset step already shows the blow-up (132 -> 563); it is not "before"
    steps = np.arange(0, 400, 10)
    y = np.where(steps < 100, 127.0, 560.0) * (1 + 0.01 * np.random.default_rng(1).standard_normal(len(steps)))
    vsteps = np.array([0, 100, 200, 300])
    val = np.array([132.5, 563.5, 555.2, 540.0])
    result = spikes.analyze(make_run("r", {"train/loss": (steps, y), "val/loss": (vsteps, val)}))
    (sp,) = ups(result)
    assert sp.step == 100
    assert (sp.val_before, sp.val_after, sp.val_change, sp.val_affected) == (132.5, 555.2, "rose", True)
    (f,) = [f for f in result.findings if f.title.startswith("Spike in")]
    assert "val rose 132.5 → 555.2" in f.title and "unaffected" not in f.title


def test_a_val_rising_before_the_spike_is_its_trend_not_eval_noise_nor_unaffected():
    steps = np.arange(4000)
    y = curve(steps)
    y[3010] *= 1.5
    vsteps = np.arange(0, 4001, 250)
    val = 3.2 + 0.0002 * vsteps  # overfitting: +0.05 per eval, steadily
    result = spikes.analyze(make_run("r", {"train/loss": (steps, y), "val/loss": (vsteps, val)}))
    (sp,) = ups(result)
    assert (sp.val_before, sp.val_after) == (pytest.approx(3.8), pytest.approx(3.85))
    assert sp.val_change == "trend" and sp.val_affected is False and sp.val_trend == pytest.approx(0.05)
    (f,) = [f for f in result.findings if "single-step" in f.title]
    assert "val rose 3.8 → 3.85, as its trend before the spike predicts" in f.title and "unaffected" not in f.title


def test_lr_is_of_the_highest_in_the_log_unless_the_planned_peak_is_known():
    # an excerpt at constant LR: 100% of its own highest LR, which says nothing about the planned peak
    steps = np.arange(29020, 29130, 10)
    y = np.array([2.776, 2.773, 2.768, 2.770, 2.771, 7.34, 8.72, 7.65, 7.19, 6.85, 6.5])
    lr = np.full(len(steps), 9.849e-05)
    run = make_run("r", {"train/loss": (steps, y), "train/lr": (steps, lr)})
    (sp,) = ups(spikes.analyze(run))
    assert spikes.lr_phrase(sp) == "LR 9.85e-05 = 100% of the highest LR in this log"
    run = make_run("r", {"train/loss": (steps, y), "train/lr": (steps, lr)})
    run_facts(run).set("lr_peak", 1.97e-4, "config: test")
    (sp,) = ups(spikes.analyze(run))
    assert spikes.lr_phrase(sp) == "LR 9.85e-05 = 50% of peak" and sp.lr_peak == 1.97e-4


def _run(relative: str):
    return max(lossdoc.load(corpus_file(relative)), key=lambda r: len(r.df))


def test_corpus_chongwei_val_rose_not_unaffected():
    result = spikes.analyze(_run("nanogpt/chongwei-linesearch-divergence-4xA40-output.log"))
    (sp,) = ups(result)
    assert sp.step == 100 and sp.kind == "divergence"
    assert sp.val_before == pytest.approx(132.4693) and sp.val_change == "rose"
    assert sp.recovering is True and sp.end_step == 2650


def test_corpus_druidowm_overfitting_val_is_never_unaffected_when_it_rose():
    result = spikes.analyze(_run("nanogpt/druidowm-shakespeare-char-interrupted-output.log"))
    for sp in ups(result):
        if sp.val_change == "unaffected":
            assert sp.val_after - sp.val_before <= 0.03 * sp.val_before


def test_corpus_bigscience_13b_partial_recovery_and_lr_of_the_log():
    result = spikes.analyze(_run("megatron/bigscience-tr1-13B-spike-29050-excerpt.log"))
    (sp,) = ups(result)
    assert sp.recovering is True and sp.end_value == pytest.approx(6.849044)
    assert sp.lr_peak_ref == "the highest LR in this log" and sp.grad_norm is None
    (f,) = [f for f in result.findings if f.title.startswith("Spike in")]
    assert (
        "partial recovery: down to 6.849 by step 29,090" in f.title and "100% of the highest LR in this log" in f.title
    )


# --- a rise must hold on a smoothed series and agree with the evals (TinyStories) -------------------------------


def _tinystories_like(seed: int = 0):
    """600 single-batch iterations every 10 steps, 4% noise, falling slowly to the end (as TinyStories 50M)."""
    steps = np.arange(10, 6001, 10)
    clean = 1.25 + 8.0 * (1 + steps / 30.0) ** -0.9
    y = clean * (1 + 0.04 * np.random.default_rng(seed).standard_normal(len(steps)))
    vsteps = np.arange(0, 6001, 250)
    val = 1.29 + 8.0 * (1 + vsteps / 30.0) ** -0.9
    return steps, y, vsteps, val


def test_a_noisy_last_stretch_with_falling_evals_is_not_a_rise():
    steps, y, vsteps, val = _tinystories_like()
    tail = steps >= 5500
    y[tail] *= 1.03  # a 3% bump of the last 50 single batches: the old rule (raw 3-point bins) called it +8%
    y[(steps >= 5490) & (steps <= 5510)] = 1.19  # and three low batches in a row are its "minimum"
    series = {"train/loss": (steps, y), "val/loss": (vsteps, val), "train/eval_loss": (vsteps, val - 0.03)}
    result = spikes.analyze(make_run("r", series))
    assert result.rising_end is None
    assert not [f for f in result.findings if "rising" in f.title]


def test_a_real_rise_with_rising_evals_is_reported_and_falling_evals_veto_it():
    steps, y, vsteps, val = _tinystories_like(seed=1)
    rise = np.clip((steps - 4000) / 2000, 0, None)
    y *= 1 + 0.15 * rise  # +15% over the last third
    rising_val = val * (1 + 0.15 * np.clip((vsteps - 4000) / 2000, 0, None))
    r = spikes.analyze(make_run("r", {"train/loss": (steps, y), "val/loss": (vsteps, rising_val)})).rising_end
    assert r is not None and 3500 <= r["from_step"] <= 4300

    def truth(step):  # the noiseless curve with its rise, at a bin's median step
        return (1.25 + 8.0 * (1 + step / 30.0) ** -0.9) * (1 + 0.15 * max(0.0, (step - 4000) / 2000))

    assert r["pct"] == pytest.approx(100 * (truth(r["to_step"]) / truth(r["from_step"]) - 1), abs=2)
    assert r["val/loss_to"] > r["val/loss_from"]
    falling = spikes.analyze(make_run("r", {"train/loss": (steps, y), "val/loss": (vsteps, val)}))
    assert falling.rising_end is None  # the val fell over the same steps: no rise warning


def test_corpus_tinystories_gives_no_rise_warning():
    result = spikes.analyze(_run("nanogpt/yplarrywang-tinystories-50M-6000iters.log"))
    assert result.rising_end is None
    assert not [f for f in result.findings if f.severity.value != "info"]


# --- plateaus: no warning on a healthy decay tail or on a short trace --------------------------------------------


def _cosine_to_zero(n: int = 10_000, seed: int = 3):
    """A run whose loss flattens at the end because its cosine LR went to ~0 (the loss is built flat there)."""
    steps = np.arange(n)
    lr = 6e-4 * 0.5 * (1 + np.cos(np.pi * steps / n))
    clean = np.where(steps < 7000, 3.3 + 6.0 * (1 - steps / 7000) ** 3, 3.3)
    y = clean * (1 + 0.01 * np.random.default_rng(seed).standard_normal(n))
    return steps, y, lr


def test_flat_end_of_a_decay_to_zero_is_info_not_a_warning():
    steps, y, lr = _cosine_to_zero()
    result = spikes.analyze(make_run("r", {"train/loss": (steps, y), "train/lr": (steps, lr)}))
    (pl,) = result.plateaus
    assert pl["label"] == "flat" and pl["warn"] is False and pl["lr_frac_of_peak"] < 0.10
    (f,) = [f for f in result.findings if f.title.startswith("Plateau")]
    assert f.severity.value == "info" and "the decay's flat tail" in f.title
    # the same flat end at a constant LR is wasted compute
    flat_lr = np.full(len(steps), 6e-4)
    result = spikes.analyze(make_run("r", {"train/loss": (steps, y), "train/lr": (steps, flat_lr)}))
    assert [f.severity.value for f in result.findings if f.title.startswith("Plateau")] == ["warning"]


def test_a_100_step_trace_gets_no_plateau_warning():
    # the torchtitan CI shape: flat at ~2.77 from step ~50, one noisy point (+3.5%) breaking the 3% band
    steps = np.arange(1, 101)
    y = (2.76 + 5.3 * np.exp(-steps / 10.0)) * (1 + 0.006 * np.random.default_rng(0).standard_normal(100))
    y[88] = 2.86
    result = spikes.analyze(make_run("r", {"train/loss": (steps, y)}))
    assert result.plateaus and not [f for f in result.findings if f.severity.value != "info"]


def test_a_flat_stretch_the_loss_never_left_is_not_a_mid_run_plateau():
    # flat from step 2,000 to the end, noise breaking the band now and then: one final stretch, not a mid-run
    # plateau "before the loss fell again" (it never fell again)
    steps = np.arange(10_000)
    clean = np.where(steps < 2000, 3.0 + 5.0 * (1 - steps / 2000) ** 2, 3.0)
    y = clean * (1 + 0.01 * np.random.default_rng(5).standard_normal(len(steps)))
    y[6000:6050] *= 1.03  # a bump that breaks the 3% band of the smoothed curve
    result = spikes.analyze(make_run("r", {"train/loss": (steps, y)}))
    assert all(p["end_step"] >= 9900 for p in result.plateaus)


def test_corpus_torchtitan_ci_trace_has_no_plateau_warning():
    result = spikes.analyze(_run("torchtitan/ci-llama3-cuda-golden-losses.txt"))
    assert not [f for f in result.findings if f.severity.value != "info"]


def test_a_train_divergence_the_evals_contradict_is_not_called_one():
    steps = np.arange(6000)
    y = curve(steps)
    y[4000:] *= 1.3  # the train loss steps up for good ...
    vsteps = np.arange(0, 6001, 250)
    val = 3.05 + 7.8 * (1 + vsteps / 50.0) ** -0.45  # ... while val keeps falling
    result = spikes.analyze(make_run("r", {"train/loss": (steps, y), "val/loss": (vsteps, val)}))
    (sp,) = ups(result)
    assert (sp.step, sp.kind, sp.val_disagrees) == (4000, "divergence", True)
    assert sp.val_end == pytest.approx(val[-1]) and sp.val_end < sp.val_before
    (f,) = [f for f in result.findings if f.title.startswith("Spike in")]
    assert f.severity.value == "warning" and "but val is back" in f.title and "Divergence" not in f.advice
    # the same step up with val rising too is a divergence, a problem
    worse = val * np.where(vsteps >= 4000, 1.3, 1.0)
    result = spikes.analyze(make_run("r", {"train/loss": (steps, y), "val/loss": (vsteps, worse)}))
    (sp,) = ups(result)
    assert sp.val_disagrees is False
    assert [f.severity.value for f in result.findings if f.title.startswith("Spike in train")] == ["problem"]


def test_tokens_spent_read_through_a_rounded_token_count() -> None:
    # modded-nanogpt prints tokens_seen to 3 digits (4.25e+08): a 1-step recovery read off it cost 0 or 1M tokens
    from lossdoc.analyzers.spike_events import tokens_spent
    from lossdoc.analyzers.step_series import StepSeries

    steps = np.arange(0, 6_000)
    exact = steps * 524_288.0
    rounded = np.array([float(f"{t:.2e}") for t in exact])
    logged = StepSeries(steps, rounded)
    assert tokens_spent(logged, 524_288, 811, 812) == 524_288  # the stated rate, exact
    assert tokens_spent(None, 524_288, 811, 815) == 4 * 524_288
    assert tokens_spent(logged, None, 811, 812) == pytest.approx(524_288, rel=0.02)  # nothing stated: the count's rate
    # a batch size doubled at step 3,000: the count shows twice the stated rate there, and wins
    doubled = StepSeries(steps, np.where(steps < 3_000, exact, exact[3_000] + (steps - 3_000) * 1_048_576.0))
    assert tokens_spent(doubled, 524_288, 4_000, 4_010) == pytest.approx(10 * 1_048_576, rel=1e-9)
    assert tokens_spent(StepSeries(steps, np.zeros(len(steps))), None, 811, 812) is None


def test_one_step_recoveries_of_a_modded_nanogpt_record_cost_one_batch() -> None:
    run = lossdoc.load(corpus_file("modded-nanogpt/tyler-romero-6312steps-tokps-vram.txt"))[0]
    per_step = run_facts(run).get("tokens_per_step")
    one_step = [sp for sp in spikes.analyze(run).spikes if sp.recovery_steps == 1]
    assert len(one_step) >= 10 and all(sp.tokens_wasted == per_step for sp in one_step)

"""lossdoc spikes: known-answer tests on seeded synthetic curves, corpus cases and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import lossdoc
from lossdoc.analyzers import ANALYZERS, detector, shards, spikes
from lossdoc.cli import app
from lossdoc.errors import InputError
from lossdoc.findings import Severity
from lossdoc.run import make_run
from tests.conftest import corpus_file

TOKENS = 524_288


def curve(n: int = 10_000, noise: float = 0.01, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A GPT-like loss curve (power-law decay from ~10.8 to ~3.3) with multiplicative Gaussian noise."""
    steps = np.arange(n)
    clean = 3.0 + 7.8 * (1 + steps / 50.0) ** -0.45
    rng = np.random.default_rng(seed)
    return steps, clean * (1 + noise * rng.standard_normal(n))


def run_of(steps, values, **extra):
    series = {"train/loss": (steps, values)}
    series.update(extra)
    return make_run("synthetic", series, {"tokens_per_step": TOKENS})


def ups(result, series="train/loss"):
    return [s for s in result.spikes if s.series == series and s.jump > 0]


# --- detector: known answers -----------------------------------------------------------------------------------


def test_clean_noisy_curve_has_no_spikes():
    steps, y = curve(20_000, seed=1)
    assert spikes.analyze(run_of(steps, y)).spikes == []


def test_smooth_curve_without_noise_gives_no_huge_scores():
    # a CI golden trace: no noise at all, the MAD is ~0; the relative floor must keep it quiet
    steps = np.arange(1, 101)
    y = 2.75 + 5.3 * np.exp(-steps / 25.0)
    scores = detector.robust_scores(y, steps)
    assert np.nanmax((y - scores.base_up) / scores.scale) < 1  # upward scores stay small
    assert np.nanmin((y - scores.base_down) / scores.scale) > -1  # and so do downward ones
    assert spikes.analyze(run_of(steps, y)).spikes == []


def test_single_step_spike():
    steps, y = curve()
    y[6000] *= 1.20
    result = spikes.analyze(run_of(steps, y))
    assert len(result.spikes) == 1
    sp = result.spikes[0]
    assert (sp.step, sp.kind, sp.recovery_steps) == (6000, "single-step", 1)
    assert sp.jump_pct == pytest.approx(20, abs=3)
    assert sp.before == pytest.approx(y[5990:6000].mean(), rel=0.01)
    assert sp.tokens_wasted == TOKENS
    info = [f for f in result.findings if "single-step" in f.title]
    assert info and info[0].severity is Severity.INFO


def test_sustained_spike_with_known_recovery():
    steps, y = curve()
    bump = np.zeros_like(y)
    t = np.arange(400)
    bump[5000:5400] = 0.30 * (1 - t / 400)  # +30% decaying linearly to 0 over 400 steps
    y = y * (1 + bump)
    result = spikes.analyze(run_of(steps, y))
    assert len(ups(result)) == 1
    sp = ups(result)[0]
    assert sp.step == 5000 and sp.kind == "sustained"
    # back inside the band (level + 3 sigma, sigma ~1% of the loss) when the bump has decayed to ~3%: ~360 steps
    assert 320 <= sp.recovery_steps <= 400
    assert sp.tokens_wasted == sp.recovery_steps * TOKENS
    assert sp.jump_pct == pytest.approx(30, abs=4)
    warn = [f for f in result.findings if f.title.startswith("Spike in train/loss at step 5,000")]
    assert warn and warn[0].severity is Severity.WARNING and "recovery took" in warn[0].title


def test_divergence_never_recovers():
    steps, y = curve()
    y[8000:] *= np.linspace(1.5, 2.5, 2000)
    result = spikes.analyze(run_of(steps, y))
    assert len(ups(result)) == 1
    sp = ups(result)[0]
    assert (sp.step, sp.kind, sp.recovery_steps, sp.tokens_wasted) == (8000, "divergence", None, None)
    assert sp.recovered_fraction < 0.05  # still at its peak (within noise) at the end
    assert any(f.severity is Severity.PROBLEM for f in result.findings)


def test_downward_outlier_is_flagged_but_a_lasting_drop_is_not():
    steps, y = curve()
    y[4000] *= 0.75
    y[7000:] *= 0.9  # a sudden lasting drop, as an LR decay or warmdown gives: not an anomaly
    result = spikes.analyze(run_of(steps, y))
    down = [s for s in result.spikes if s.jump < 0]
    assert [(s.step, s.kind) for s in down] == [(4000, "single-step")]
    assert down[0].jump_pct == pytest.approx(-25, abs=3)
    assert not [s for s in result.spikes if s.step >= 7000]
    # a data fact like a one-step spike (an easy batch in a healthy run), said as info
    assert any("downward" in f.title and f.severity is Severity.INFO for f in result.findings)


def test_nan_onset_is_its_own_finding():
    steps, y = curve()
    y[7000:] = np.nan
    y[7003] = np.inf
    result = spikes.analyze(run_of(steps, y))
    (nf,) = result.nonfinite
    assert (nf["step"], nf["count"], nf["last_finite_step"]) == (7000, 3000, 6999)
    f = [f for f in result.findings if "became nan" in f.title]
    assert f and f[0].severity is Severity.PROBLEM


def test_sparse_megatron_like_excerpt():
    # 8 points, log interval 10: 2.77 -> 7.34 -> 8.72, partial recovery to 6.85 (the BigScience 13B shape)
    steps = np.arange(29020, 29100, 10)
    y = np.array([2.775923, 2.772822, 2.768131, 7.343709, 8.715872, 7.654131, 7.192470, 6.849044])
    result = spikes.analyze(run_of(steps, y))
    (sp,) = result.spikes
    assert (sp.step, sp.peak_step, sp.kind) == (29050, 29060, "divergence")
    assert sp.before == pytest.approx(2.77, abs=0.01)
    assert sp.peak == pytest.approx(8.715872)
    # still falling steadily at the end: the last point (6.85) is where it has got to, a partial recovery
    assert sp.recovered_fraction == pytest.approx((8.715872 - 6.849044) / (8.715872 - 2.772822), abs=0.02)
    assert sp.recovering is True and sp.end_value == pytest.approx(6.849044) and sp.end_step == 29090
    (f,) = [f for f in result.findings if f.title.startswith("Spike")]
    assert "partial recovery: down to 6.849 by step 29,090" in f.title


def test_noisy_benign_spike_with_val_unaffected():
    # modded-nanogpt fp4 shape: per-step train noise ~5%, one +95% step; val every 125 steps, smooth
    steps, y = curve(19_000, noise=0.05, seed=3)
    y[14257] = 2 * np.median(y[14200:14257])
    vsteps = np.arange(0, 19_000, 125)
    val = 3.0 + 7.8 * (1 + vsteps / 50.0) ** -0.45 + 0.1
    result = spikes.analyze(run_of(steps, y, **{"val/loss": (vsteps, val)}))
    train = ups(result)
    assert 14257 in [s.step for s in train]
    big = max(train, key=lambda s: s.jump_pct)
    assert big.step == 14257 and big.kind == "single-step"
    assert not [s for s in result.spikes if s.series == "val/loss"]
    assert (big.val_before, big.val_after, big.val_affected) == (val[114], val[115], False)  # evals 14250, 14375


def test_rising_trend_lr_and_grad_norm_before_a_spike():
    steps, y = curve()
    y[4600:5000] *= np.linspace(1.0, 1.12, 400)  # the loss climbs 12% over 400 steps first
    y[5000] *= 1.4
    y[5001:] *= 1.12
    lr = 6e-4 * np.minimum(1, (steps + 1) / 100) * (0.5 + 0.5 * np.cos(np.pi * steps / 10_000))
    grad = np.full(len(steps), 0.3)
    grad[4990:5001] = np.linspace(0.35, 1.5, 11)
    run = run_of(steps, y, **{"train/lr": (steps, lr), "train/grad_norm": (steps, grad)})
    (sp,) = ups(spikes.analyze(run))
    assert sp.step == 5000
    assert sp.rising_before is not None and sp.rising_before["pct"] == pytest.approx(12, abs=3)
    assert sp.lr == pytest.approx(lr[5000]) and sp.lr_frac_of_peak == pytest.approx(lr[5000] / lr.max())
    assert sp.grad_norm_rising is True and sp.grad_norm == pytest.approx(1.5)


def test_best_val_and_checkpoint_advice():
    vsteps = np.arange(0, 20_001, 500)
    val = 3.0 + 7.8 * (1 + vsteps / 50.0) ** -0.45
    val[vsteps > 12_300] += np.linspace(0.1, 1.0, int((vsteps > 12_300).sum()))  # worse after ~12k
    run = make_run("r", {"val/loss": (vsteps, val)}, {"config": {"checkpoint_interval": 1000}})
    best = spikes.analyze(run).best
    assert (best["step"], best["worse"], best["checkpoint_step"]) == (12_000, True, 12_000)
    assert best["checkpoint_interval_source"] == "config:checkpoint_interval"
    run = make_run("r", {"val/loss": (vsteps, val)}, {"config": {"checkpoint_interval": 5000}})
    assert spikes.analyze(run).best["checkpoint_step"] == 10_000
    healthy = make_run("r", {"val/loss": (vsteps, 3.0 + 7.8 * (1 + vsteps / 50.0) ** -0.45)})
    assert spikes.analyze(healthy).best["worse"] is False


# --- periodicity and shard maps ---------------------------------------------------------------------------------


def periodic_run(period: int = 1500, offset: int = 3):
    steps, y = curve(15_000, seed=5)
    for b in range(period, 15_000, period):
        y[b + offset] *= 1.15
    return run_of(steps, y)


def test_periodic_spikes_have_a_period_and_follow_the_shard_map():
    run = periodic_run()
    result = spikes.analyze(run, shard_map={"steps_per_shard": 1500})
    steps = [s.step for s in ups(result)]
    assert steps == list(range(1503, 15_000, 1500))
    p = result.periodicity
    assert p["period_steps"] == 1500 and p["p_value"] < shards.PERIOD_P and p["score"] > 0.99
    assert [s.shard_boundary for s in ups(result)] == [f"shard {k}" for k in range(1, 10)]
    sh = result.shards
    assert sh["spikes_near_boundary"] == 9 and sh["p_value"] < 1e-6
    assert any("shard boundary" in f.title and f.severity is Severity.WARNING for f in result.findings)


def test_shard_map_unrelated_to_the_spikes_is_not_significant():
    run = periodic_run()
    entries = [{"shard": f"s{k}", "start_step": 700 + 1500 * k} for k in range(9)]
    result = spikes.analyze(run, shard_map=shards.parse_shard_map(entries))
    assert result.shards["spikes_near_boundary"] == 0 and result.shards["p_value"] == 1.0
    assert all(s.shard_boundary is None for s in result.spikes)


def test_shard_map_in_tokens_is_converted_with_tokens_per_step():
    run = periodic_run()
    entries = [{"shard": f"fineweb_{k:03d}.bin", "start_token": 1500 * k * TOKENS} for k in range(10)]
    result = spikes.analyze(run, shard_map=shards.parse_shard_map(entries))
    assert [s.shard_boundary for s in ups(result)] == [f"fineweb_{k:03d}.bin" for k in range(1, 10)]
    no_tokens = make_run("r", {"train/loss": (run.series("train/loss").index, run.series("train/loss").values)})
    with pytest.raises(InputError, match="tokens per step"):
        spikes.analyze(no_tokens, shard_map=shards.parse_shard_map(entries))


def test_shard_map_in_tokens_per_shard_counts_whole_batches():
    # a loader takes whole batches from a shard and drops the tail (llm.c, build-nanogpt, modded-nanogpt): a shard
    # of 1500.6 steps' tokens lasts 1500 steps, and the spikes at 1500k + 3 follow each boundary
    run = periodic_run()
    per_shard = int(1500.6 * TOKENS)
    result = spikes.analyze(run, shard_map=shards.parse_shard_map({"tokens_per_shard": per_shard}))
    assert [s.shard_boundary for s in ups(result)] == [f"shard {k}" for k in range(1, 10)]
    assert shards.boundaries({"tokens_per_shard": per_shard}, TOKENS, 15_000)[:2] == [(1500, "shard 1"),
                                                                                      (3000, "shard 2")]
    # not 1501: the one target token past the batch must fit too
    assert shards.boundaries({"tokens_per_shard": 1501 * TOKENS}, TOKENS, 4_000)[0] == (1500, "shard 1")
    no_tokens = make_run("r", {"train/loss": (run.series("train/loss").index, run.series("train/loss").values)})
    with pytest.raises(InputError, match="tokens per step"):
        spikes.analyze(no_tokens, shard_map={"tokens_per_shard": per_shard})
    with pytest.raises(InputError, match="less than one step"):
        spikes.analyze(run, shard_map={"tokens_per_shard": TOKENS // 2})


def test_random_spikes_are_not_periodic():
    steps, y = curve(15_000, seed=7)
    rng = np.random.default_rng(11)
    for s in rng.choice(np.arange(500, 15_000), size=8, replace=False):
        y[s] *= 1.2
    p = spikes.analyze(run_of(steps, y)).periodicity
    assert p["n_spikes"] == 8 and p["p_value"] > shards.PERIOD_P


@pytest.mark.parametrize(
    "doc, message",
    [
        ({"steps_per_shard": 0}, "positive integer"),
        ({"steps_per_shard": "12k"}, "positive integer"),
        ({"tokens_per_shard": 1.5e8 + 0.5}, "tokens_per_shard must be a positive integer"),
        ({"tokens_per_shard": -1}, "tokens_per_shard must be a positive integer"),
        ([], "expected a JSON list"),
        ([{"start_step": 3}], 'with a "shard" key'),
        ([{"shard": "a"}], "neither start_step nor start_token"),
        ([{"shard": "a", "start_step": -5}], "non-negative"),
        ("shards", "expected a JSON list"),
    ],
)
def test_malformed_shard_maps(doc, message):
    with pytest.raises(InputError, match=message):
        shards.parse_shard_map(doc)


def test_hypergeometric_tail_matches_scipy():
    from scipy.stats import hypergeom

    for m, k, n, obs in [(1000, 50, 10, 3), (19_000, 900, 16, 5), (100, 10, 5, 0)]:
        mean, p = shards.hypergeom_tail(m, k, n, obs)
        assert mean == pytest.approx(hypergeom(m, k, n).mean())
        assert p == pytest.approx(hypergeom(m, k, n).sf(obs - 1), rel=1e-9)


# --- plateaus ---------------------------------------------------------------------------------------------------


def test_flat_plateau_then_slow_decline():
    steps = np.arange(10_000)
    rng = np.random.default_rng(2)
    clean = np.where(steps < 4000, 3.5 + 6 * (1 - steps / 4000) ** 3, 3.5)
    flat = clean * (1 + 0.01 * rng.standard_normal(len(steps)))
    (pl,) = spikes.analyze(run_of(steps, flat)).plateaus
    assert pl["label"] == "flat" and 2500 <= pl["start_step"] <= 4200 and pl["end_step"] >= 9900
    assert 3.45 <= pl["low"] <= pl["high"] <= 3.6
    declining = flat - np.where(steps >= 4000, 0.07 * (steps - 4000) / 6000, 0)  # -2% over 6000 steps
    (pl,) = spikes.analyze(run_of(steps, declining)).plateaus
    assert pl["label"] == "slow decline"
    assert pl["slope_per_1k"] == pytest.approx(-0.07 / 6, rel=0.25)


def test_a_slow_decline_while_the_lr_decays_is_the_decays_not_a_plateau_finding():
    # the same slow decline (-2% over 6000 steps, inside the 3% band), once at a constant LR and once while a linear
    # warmdown takes the LR from its peak to 0: only the first is a plateau finding; the second keeps the plateau
    # in the list with the reason (the corpus's cosine tails and warmdowns)
    steps = np.arange(10_000)
    rng = np.random.default_rng(2)
    clean = np.where(steps < 4000, 3.5 + 6 * (1 - steps / 4000) ** 3, 3.5) - np.where(
        steps >= 4000, 0.07 * (steps - 4000) / 6000, 0)
    y = clean * (1 + 0.01 * rng.standard_normal(len(steps)))
    constant = np.full(len(steps), 6e-4)
    warmdown = 6e-4 * np.clip((10_000 - steps) / 6000, 0, 1)
    for lr, finding in ((constant, True), (warmdown, False)):
        result = spikes.analyze(run_of(steps, y, **{"train/lr": (steps, lr)}))
        (pl,) = result.plateaus
        assert pl["label"] == "slow decline"
        assert any(f.title.startswith("Plateau") for f in result.findings) is finding
        assert (pl["expected"] is None) is finding
    assert "the LR decays from" in pl["expected"] and "of its peak" in pl["expected"]


def test_mid_run_flat_plateau_is_listed_and_val_upticks():
    steps = np.arange(12_000)
    rng = np.random.default_rng(4)
    clean = np.select(
        [steps < 2000, steps < 6000, steps < 7000],
        [4.0 + 6 * (1 - steps / 2000) ** 2, 4.0, 4.0 - 1.0 * (steps - 6000) / 1000],
        3.0,
    )
    y = clean * (1 + 0.01 * rng.standard_normal(len(steps)))
    vsteps = np.arange(0, 12_000, 500)
    val = clean[vsteps] + 0.05
    val[9] += 0.08  # an uptick at step 4500
    result = spikes.analyze(run_of(steps, y, **{"val/loss": (vsteps, val)}))
    flat = [p for p in result.plateaus if p["label"] == "flat"]
    assert len(flat) == 2
    assert flat[0]["end_step"] <= 6100 and 1700 <= flat[0]["start_step"] <= 2450  # knee at 2000, 10% chunks
    assert flat[0]["val_low"] == pytest.approx(4.05) and flat[1]["start_step"] >= 6900
    assert 4500 in [u["step"] for u in result.val_upticks]


def test_a_noisy_train_stretch_the_evals_show_falling_is_not_a_flat_plateau():
    """fp4 cut half way: its train loss over steps 3K-4.4K is too noisy to show its slow fall, the evals fell 3.35 ->
    3.30 meanwhile; "a flat plateau at this LR is wasted compute" was a false alarm. With the evals flat as well,
    the same train stretch stays a flat plateau."""
    def clean(t: np.ndarray) -> np.ndarray:
        return np.where(t < 2000, 3.5 + 6 * (1 - t / 2000) ** 3, 3.5 - 0.03 * (t - 2000) / 10_000)

    steps, vsteps = np.arange(0, 12_000, 10), np.arange(0, 12_000, 250)
    rng = np.random.default_rng(5)
    # bad batches on 3% of the steps: the bin medians stay in the band, the raw points' fitted slope (0.003/1K)
    # drowns in them, as fp4's did
    noisy = clean(steps) + 0.01 * rng.standard_normal(len(steps)) + 1.5 * (rng.random(len(steps)) < 0.03)
    val = clean(vsteps) + 0.002 * rng.standard_normal(len(vsteps))
    falling = spikes.analyze(run_of(steps, noisy, **{"val/loss": (vsteps, val)}))
    assert not any(p["label"] == "flat" for p in falling.plateaus)
    [last] = falling.plateaus
    assert last["label"] == "slow decline" and last["val_slope_per_1k"] == pytest.approx(-0.003, rel=0.3)
    assert not [f for f in falling.findings if f.title.startswith("Plateau") and f.severity.name == "WARNING"]
    flat_val = np.full(len(vsteps), 3.485) + 0.002 * rng.standard_normal(len(vsteps))
    flat = spikes.analyze(run_of(steps, noisy, **{"val/loss": (vsteps, flat_val)}))
    assert flat.plateaus[-1]["label"] in ("flat", "unclear") and flat.plateaus[-1]["val_slope_per_1k"] is None


# --- registry, corpus, CLI --------------------------------------------------------------------------------------


def test_registered_and_applies():
    assert spikes in ANALYZERS and spikes.NAME == "spikes"
    assert spikes.applies(make_run("r", {"train/lr": ([1, 2], [1.0, 2.0])})) is not None
    steps, y = curve(100)
    assert spikes.applies(run_of(steps, y)) is None


def test_corpus_all_nan_run_is_reported_not_skipped():
    run = lossdoc.load(corpus_file("llmc_stdout/hector-a100-allnan-cancelled.log"))[0]
    assert spikes.applies(run) is None
    result = spikes.analyze(run)
    assert result.spikes == [] and result.best is None
    first = {nf["series"]: nf for nf in result.nonfinite}
    assert first["train/loss"]["step"] == 1 and first["train/loss"]["count"] == first["train/loss"]["points"] == 16256
    assert first["train/loss"]["last_finite_step"] is None
    titles = [f.title for f in result.findings if f.severity is Severity.PROBLEM]
    assert any(t.startswith("train/loss is nan from its first point, step 1") for t in titles)


def test_corpus_llmc_data_spikes():
    run = lossdoc.load(corpus_file("llmc/mng-llmc-gpt2-124M-8xH100.log"))[0]
    result = spikes.analyze(run)
    found = {s.step for s in ups(result)}
    assert {7856, 6270, 4708} <= found  # the data spikes the corpus README lists
    assert all(s.kind == "single-step" for s in ups(result))
    assert all(s.lr is not None and s.grad_norm is not None for s in result.spikes)
    assert result.best["loss"] == pytest.approx(3.2722) and result.best["worse"] is False


def _load_or_skip(relative: str):
    """The corpus file's runs (the test is skipped only when ../shared/corpus is absent)."""
    return lossdoc.load(corpus_file(relative))


def test_corpus_bigscience_13b_spike():
    run = _load_or_skip("megatron/bigscience-tr1-13B-spike-29050-excerpt.log")[0]
    result = spikes.analyze(run)
    (sp,) = ups(result)
    assert (sp.step, sp.peak_step) == (29050, 29060)
    assert sp.before == pytest.approx(2.77, abs=0.01) and sp.peak == pytest.approx(8.715872)
    assert sp.kind == "divergence" and sp.lr == pytest.approx(9.849e-05)


def test_sustained_spike_that_moves_val_is_marked():
    steps, y = curve()
    bump = np.zeros_like(y)
    bump[5010:5400] = 0.30 * (1 - np.arange(390) / 390)
    y = y * (1 + bump)
    vsteps = np.arange(0, 10_000, 250)
    val = 3.0 + 7.8 * (1 + vsteps / 50.0) ** -0.45
    val[vsteps == 5250] *= 1.2  # the eval after the spike sees it
    (sp,) = ups(spikes.analyze(run_of(steps, y, **{"val/loss": (vsteps, val)})))
    assert sp.step == 5010 and sp.val_affected is True and sp.val_after == pytest.approx(val[21])


runner = CliRunner()


def write_nanogpt_log(path: Path, y: np.ndarray, eval_every: int = 250) -> Path:
    lines = ["tokens per iteration will be: 524,288"]
    for step, value in enumerate(y):
        if step % eval_every == 0:
            lines.append(f"step {step}: train loss {value:.4f}, val loss {value + 0.02:.4f}")
        lines.append(f"iter {step}: loss {value:.4f}, time 100.00ms, mfu 40.00%")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def spiky_log(tmp_path):
    steps, y = curve(3000)
    y[2000] *= 1.5
    return write_nanogpt_log(tmp_path / "train.log", y)


def test_cli_json(spiky_log):
    res = runner.invoke(app, ["spikes", str(spiky_log), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    for key in ("spikes", "periodicity", "plateaus", "best"):
        assert key in doc
    (sp,) = [s for s in doc["spikes"] if s["series"] == "train/loss"]
    for key in (
        "step",
        "series",
        "before",
        "peak",
        "jump",
        "jump_pct",
        "kind",
        "recovery_steps",
        "tokens_wasted",
        "shard_boundary",
    ):
        assert key in sp
    assert (sp["step"], sp["kind"], sp["tokens_wasted"]) == (2000, "single-step", 524288)
    assert {"period_steps", "score"} <= set(doc["periodicity"]) and {"step", "loss"} <= set(doc["best"])


def test_cli_text_table_and_fail_on(spiky_log):
    res = runner.invoke(app, ["spikes", str(spiky_log)])
    assert res.exit_code == 0 and "<<< SPIKE" in res.stdout and "2,000" in res.stdout
    assert runner.invoke(app, ["spikes", str(spiky_log), "--fail-on", "info"]).exit_code == 1
    assert runner.invoke(app, ["spikes", str(spiky_log), "--fail-on", "problem"]).exit_code == 0


def test_cli_shard_map(spiky_log, tmp_path):
    good = tmp_path / "shards.json"
    good.write_text(json.dumps([{"shard": "a.bin", "start_step": 0}, {"shard": "b.bin", "start_step": 1995}]))
    res = runner.invoke(app, ["spikes", str(spiky_log), "--json", "--shard-map", str(good)])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert [s["shard_boundary"] for s in doc["spikes"] if s["series"] == "train/loss"] == ["b.bin"]
    assert doc["shards"]["spikes_near_boundary"] == 1


@pytest.mark.parametrize("content", [None, "{not json", '{"steps_per_shard": -1}', '[{"shard": "a"}]'])
def test_cli_bad_shard_map_exits_2(spiky_log, tmp_path, content):
    path = tmp_path / "shards.json"
    if content is not None:
        path.write_text(content)
    res = runner.invoke(app, ["spikes", str(spiky_log), "--shard-map", str(path)])
    assert res.exit_code == 2
    assert res.stderr.startswith("lossdoc: error: shard map") and res.stderr.count("\n") == 1
    assert "Traceback" not in res.output


def test_analyze_has_a_spikes_section(spiky_log):
    res = runner.invoke(app, ["analyze", str(spiky_log), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert [s["step"] for s in doc["sections"]["spikes"]["spikes"] if s["series"] == "train/loss"] == [2000]
    assert any(f["analyzer"] == "spikes" for f in doc["findings"])
    text = runner.invoke(app, ["analyze", str(spiky_log)])
    assert text.exit_code == 0 and "<<< SPIKE" in text.stdout


def test_slow_climb_at_the_end_is_a_rising_end_not_a_spike():
    # the BigScience 3D-perf shape: recovered from a blow-up, then climbing steadily again (11.65 -> 20.4)
    steps = np.arange(1, 63)
    y = np.concatenate([[12.44, 12.45], np.linspace(44.2, 11.65, 29), np.linspace(11.84, 20.44, 31)])
    result = spikes.analyze(run_of(steps, y))
    assert [(s.step, s.kind) for s in ups(result)] == [(3, "sustained")]
    r = result.rising_end
    # measured between medians of bins of 5 points: the bin of steps 31-35 (median step 33, loss ~12.1) to the
    # last bin, which takes the 2 points left over (steps 56-62, median step 59)
    assert (r["from_step"], r["to_step"]) == (33, 59)
    assert r["from"] == pytest.approx(np.median(y[30:35])) and r["to"] == pytest.approx(np.median(y[55:]))
    assert any(f.severity is Severity.PROBLEM and "rising since step 3" in f.title for f in result.findings)
    steps, clean = curve()
    assert spikes.analyze(run_of(steps, clean)).rising_end is None


def test_spiky_example_log_end_to_end(tmp_path):
    """examples/logs/llmc-stdout-spikes.log (examples/generate.py): the case the README shows."""
    shard_map = tmp_path / "shards.json"
    shard_map.write_text('{"steps_per_shard": 600}')
    log = Path(__file__).resolve().parents[1] / "examples" / "logs" / "llmc-stdout-spikes.log"
    res = runner.invoke(app, ["spikes", str(log), "--json", "--shard-map", str(shard_map)])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    got = {s["step"]: s for s in doc["spikes"]}
    assert sorted(got) == [603, 1203, 1500, 1803]
    assert [got[s]["shard_boundary"] for s in (603, 1203, 1803)] == ["shard 1", "shard 2", "shard 3"]
    sustained = got[1500]
    assert sustained["kind"] == "sustained" and 60 <= sustained["recovery_steps"] <= 150
    assert sustained["tokens_wasted"] == sustained["recovery_steps"] * 524288
    assert sustained["grad_norm_rising"] is True and sustained["rising_before"] is not None
    assert sustained["val_affected"] is True and got[1203]["val_affected"] is False
    assert doc["shards"]["spikes_near_boundary"] == 3 and doc["shards"]["p_value"] < 0.01


def test_lr_from_the_nanogpt_schedule_when_not_logged():
    steps, y = curve(3000)
    y[2000] *= 1.5
    config = {"learning_rate": 6e-4, "warmup_iters": 100, "lr_decay_iters": 3000, "min_lr": 6e-5}
    run = make_run("r", {"train/loss": (steps, y)}, {"format": "nanogpt", "config": config})
    (sp,) = spikes.analyze(run).spikes
    # karpathy/nanoGPT get_lr at it=2000: min_lr + 0.5(1 + cos(pi * 1900/2900)) (lr - min_lr)
    expected = 6e-5 + 0.5 * (1 + np.cos(np.pi * 1900 / 2900)) * (6e-4 - 6e-5)
    assert sp.lr == pytest.approx(expected) and sp.lr_source == "nanoGPT config (warmup + cosine)"
    assert sp.lr_frac_of_peak == pytest.approx(expected / 6e-4, rel=1e-3)
    no_config = make_run("r", {"train/loss": (steps, y)}, {"format": "nanogpt"})
    assert spikes.analyze(no_config).spikes[0].lr is None


def test_a_short_noisy_stretch_of_a_falling_curve_is_not_called_a_flat_plateau():
    """22 points 10 steps apart at step ~1,500, 2% noise, the loss still falling 0.18/1K steps: the noise hides the
    slope (|slope| < 2 SE), but at the steepest slope it allows the loss would move far more than 5% over another
    1,600 steps, so the stretch is "unclear", not a flat plateau; a long truly flat stretch stays "flat"."""
    from lossdoc.analyzers import plateaus

    steps = np.arange(1390, 1601, 10)
    rng = np.random.default_rng(0)  # a draw where the noise hides the slope (asserted below)
    loss = (3.9 - 0.000177 * (steps - 1390)) * (1 + 0.02 * rng.standard_normal(len(steps)))
    slope, stderr = plateaus._ols_slope(steps.astype(float), loss)
    assert abs(slope) < plateaus.SLOPE_T * stderr  # the case: no trend visible within the noise
    item = plateaus._describe("train/loss", steps, loss, steps, loss, None, 0, len(steps) - 1)
    assert item["label"] == "unclear"
    flat_steps = np.arange(10_000, 20_001, 10)
    flat = 3.6 * (1 + 0.01 * rng.standard_normal(len(flat_steps)))
    item = plateaus._describe("train/loss", flat_steps, flat, flat_steps, flat, None, 0, len(flat_steps) - 1)
    assert item["label"] == "flat"

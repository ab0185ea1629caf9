"""Known-answer tests for `lossdoc phases` on seeded synthetic curves, corpus curves and the CLI."""

from __future__ import annotations

import dataclasses
import io
import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from lossdoc.analyzers import ANALYZERS
from lossdoc.analyzers import phases as ph
from lossdoc.analyzers import segment as seg
from lossdoc.cli import app
from lossdoc.errors import InputError
from lossdoc.run import make_run
from tests.conftest import corpus_file

LABEL_ORDER = [label for _, label in seg.RATE_LABELS] + [seg.PLATEAU_LABEL]


def piecewise(steps: np.ndarray, breaks: list[float], rates_per_1k: list[float], start: float) -> np.ndarray:
    """A loss that falls at a constant rate per step between known break points (the right answer built in)."""
    out = np.full(len(steps), start, dtype=float)
    edges = [steps[0], *breaks, np.inf]
    for lo, hi, rate in zip(edges[:-1], edges[1:], rates_per_1k, strict=False):
        out -= np.clip(steps - lo, 0, hi - lo) * rate / 1000.0
    return out


def power_law(steps: np.ndarray) -> np.ndarray:
    return 3.0 + 8.0 * (1.0 + steps / 50.0) ** -0.7


def check_invariants(result: ph.PhasesResult) -> None:
    """What holds for every curve: contiguous phases over the whole series, drops and shares consistent."""
    phases = result.phases
    assert seg.MIN_PHASES <= len(phases) <= seg.MAX_PHASES
    for a, b in zip(phases[:-1], phases[1:], strict=False):
        assert a.end_step == b.start_step
        assert a.end_loss == b.start_loss
    for p in phases:
        assert p.drop == pytest.approx(p.start_loss - p.end_loss)
        assert p.rate_per_1k == pytest.approx(p.drop / max(p.end_step - p.start_step, 1) * 1000)
    if all(p.share is not None for p in phases):
        assert sum(p.share for p in phases) == pytest.approx(1.0)
    if len(phases) > seg.MIN_PHASES:  # one phase is not told twice ("rapid learning, rapid learning")
        assert all(a.label != b.label for a, b in zip(phases[:-1], phases[1:], strict=False))


# --- segmentation: known break points ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "noise"),
    [(1_000, 0.0), (10_000, 0.02), (100_000, 0.05), (1_000_000, 0.1)],
)
def test_known_breaks_are_found(points: int, noise: float) -> None:
    # Four constant-rate stretches, each 10x slower than the last: 0-1K, 1K-5K, 5K-20K, 20K-100K.
    rng = np.random.default_rng(points)
    steps = np.linspace(0, 100_000, points).round().astype(np.int64)
    steps = np.unique(steps)
    truth = piecewise(steps, [1_000, 5_000, 20_000], [5.0, 0.5, 0.05, 0.005], start=10.0)
    run = make_run("synthetic", {"train/loss": (steps, truth + rng.normal(0, noise, len(steps)))})
    result = ph.analyze(run)
    check_invariants(result)
    assert len(result.phases) == 4
    found = [p.end_step for p in result.phases[:-1]]
    for got, want in zip(found, [1_000, 5_000, 20_000], strict=False):
        assert abs(math.log(got / want)) < math.log(1.35), (found, want)  # within one log bin
    rates = [p.rate_per_1k for p in result.phases]
    for got, want in zip(rates, [5.0, 0.5, 0.05, 0.005], strict=False):
        assert got == pytest.approx(want, rel=0.35)
    # shares follow from the drops 5, 2, 0.75, 0.4 (total 8.15)
    assert result.phases[0].share == pytest.approx(5 / 8.15, abs=0.04)


def test_ten_point_log_with_known_breaks() -> None:
    steps = np.arange(10) * 100
    values = piecewise(steps, [300, 600], [10.0, 1.0, 0.1], start=10.0)
    run = make_run("tiny", {"val/loss": (steps, values)})
    result = ph.analyze(run)
    check_invariants(result)
    assert [(p.start_step, p.end_step) for p in result.phases] == [(0, 300), (300, 600), (600, 900)]
    assert [p.rate_per_1k for p in result.phases] == pytest.approx([10.0, 1.0, 0.1])
    assert [p.share for p in result.phases] == pytest.approx([3 / 3.33, 0.3 / 3.33, 0.03 / 3.33])


@pytest.mark.parametrize("points", [10, 30, 300, 20_000])
def test_power_law_curve_gives_ordered_phases(points: int) -> None:
    steps = np.unique(np.geomspace(1, 50_000, points).round().astype(np.int64))
    steps = np.concatenate([[0], steps])
    run = make_run("pl", {"val/loss": (steps, power_law(steps.astype(float)))})
    result = ph.analyze(run)
    check_invariants(result)
    rates = [p.rate_per_1k for p in result.phases]
    assert rates == sorted(rates, reverse=True)  # a power law only slows down
    ranks = [LABEL_ORDER.index(p.label) for p in result.phases]
    assert ranks == sorted(ranks)  # labels ordered by rate
    assert result.phases[0].label in ("catastrophic drop", "rapid learning")
    assert result.past_knee is True
    drops = [c.rate_per_1k for c in result.checkpoints]
    assert drops == sorted(drops, reverse=True)
    assert result.checkpoints[-1].times_less > 100


def test_constant_rate_stretch_is_one_phase() -> None:
    # A fast drop, then a loss that falls linearly in steps for 90% of the run: curved on a log axis,
    # but one phase at one rate.
    steps = np.arange(0, 10_001, 10)
    values = piecewise(steps, [500, 1_000], [8.0, 1.0, 0.1], start=10.0)
    result = ph.analyze(make_run("lin", {"val/loss": (steps, values)}))
    check_invariants(result)
    assert len(result.phases) == 3
    assert result.phases[-1].start_step == pytest.approx(1_000, rel=0.15)
    assert result.phases[-1].rate_per_1k == pytest.approx(0.1, rel=0.05)


def test_noise_and_spikes_do_not_move_the_phases() -> None:
    rng = np.random.default_rng(7)
    steps = np.arange(0, 20_001)
    clean = piecewise(steps, [500, 3_000], [6.0, 0.6, 0.03], start=10.0)
    noisy = clean + rng.normal(0, 0.08, len(steps))
    spikes = rng.choice(len(steps), 40, replace=False)
    noisy[spikes] += rng.uniform(1, 4, len(spikes))  # loss spikes of +1..+4 on 0.2% of the steps
    a = ph.analyze(make_run("clean", {"train/loss": (steps, clean)}))
    b = ph.analyze(make_run("noisy", {"train/loss": (steps, noisy)}))
    check_invariants(b)
    assert len(a.phases) == len(b.phases) == 3
    for p, want in zip(a.phases, [500, 3_000, 20_000], strict=False):
        assert abs(math.log(p.end_step / want)) < math.log(1.35)  # within one log bin
    for pa, pb in zip(a.phases, b.phases, strict=False):
        assert abs(math.log((pb.end_step + 1) / (pa.end_step + 1))) < math.log(1.35)
        assert pb.rate_per_1k == pytest.approx(pa.rate_per_1k, rel=0.2)


def test_noise_on_a_power_law_changes_little() -> None:
    rng = np.random.default_rng(8)
    steps = np.arange(0, 20_001)
    clean = power_law(steps.astype(float))
    a = ph.analyze(make_run("clean", {"train/loss": (steps, clean)}))
    b = ph.analyze(make_run("noisy", {"train/loss": (steps, clean + rng.normal(0, 0.08, len(steps)))}))
    check_invariants(b)
    assert abs(len(a.phases) - len(b.phases)) <= 1  # noise may hide one of the gentlest bends
    assert b.phases[-1].end_loss == pytest.approx(a.phases[-1].end_loss, abs=0.02)
    assert b.total_drop == pytest.approx(a.total_drop, abs=0.25)  # the first point is one noisy sample (sd 0.08)
    assert a.past_knee is b.past_knee is True


def test_nans_are_left_out_and_counted() -> None:
    steps = np.arange(0, 5_001, 50)
    values = power_law(steps.astype(float))
    with_nan = values.copy()
    with_nan[[3, 40, 77]] = np.nan
    with_nan[-1] = np.inf
    a = ph.analyze(make_run("a", {"val/loss": (steps, values)}))
    b = ph.analyze(make_run("b", {"val/loss": (steps, with_nan)}))
    assert b.dropped == 4 and b.points == len(steps) - 4
    assert "non-finite" in b.notes[0]
    assert len(a.phases) == len(b.phases)
    # a power law has no true break points: the same phases give or take a point on the log-step axis
    for pa, pb in zip(a.phases, b.phases, strict=True):
        assert abs(math.log(pb.end_step / pa.end_step)) < math.log(1.25)
        assert pb.rate_per_1k == pytest.approx(pa.rate_per_1k, rel=0.25)
    check_invariants(b)


def test_deterministic() -> None:
    rng = np.random.default_rng(3)
    steps = np.arange(0, 30_000)
    values = power_law(steps.astype(float)) + rng.normal(0, 0.05, len(steps))
    run = make_run("d", {"train/loss": (steps, values)})
    assert ph.analyze(run).to_json() == ph.analyze(run).to_json()


def test_rising_phase_is_found_and_shares_are_withheld() -> None:
    steps = np.arange(0, 2_001, 100)
    values = piecewise(steps, [400, 1_000], [8.0, 0.5, -1.5], start=5.0)  # falls, slows, then rises
    result = ph.analyze(make_run("overfit", {"val/loss": (steps, values)}))
    check_invariants(result)
    assert result.phases[-1].label == seg.RISING_LABEL
    assert result.phases[-1].start_step == 1_000
    assert all(p.share is None for p in result.phases)
    assert any(f.severity.value == "warning" and "rose" in f.title for f in result.findings)
    assert any("then rose" in s for s in result.statements)


# --- initial loss ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "vocab", "meta", "verdict", "source", "severity"),
    [
        (11.01, None, {}, "ok", "assumed", None),  # llm.c GPT-2 124M: 11.0092 vs ln 50257
        (4.2, None, {"vocab_size": 65}, "ok", "log", None),  # shakespeare-char: ln 65 = 4.17
        (22.6, None, {}, "very_high", "assumed", "problem"),
        (12.4, 50304, {}, "high", "option", "warning"),
        (12.4, None, {}, "high", "assumed", "info"),  # Qwen3 at step 1: 12.47; its 151,936 vocab explains it
        (4.4, None, {}, "low", "assumed", "info"),  # a char-level run read with the GPT-2 vocab assumed
        (4.4, None, {"vocab_size": 50257}, "low", "log", "warning"),
        (12.47, None, {"vocab_size": 151936}, "ok", "log", None),  # Qwen's vocab: ln 151,936 = 11.93, not peaked
    ],
)
def test_init_verdicts(
    first: float, vocab: int | None, meta: dict, verdict: str, source: str, severity: str | None
) -> None:
    steps = np.arange(0, 1_000, 100)
    values = first - np.linspace(0, 1.0, len(steps))
    result = ph.analyze(make_run("i", {"val/loss": (steps, values)}, meta), vocab=vocab)
    assert result.init.verdict == verdict
    assert result.init.vocab_source == source
    expected_vocab = vocab or meta.get("vocab_size") or ph.DEFAULT_VOCAB
    assert result.init.expected == pytest.approx(math.log(expected_vocab))
    finding = [f for f in result.findings if "initial loss" in f.title]
    assert [f.severity.value for f in finding] == ([severity] if severity else [])
    if verdict == "very_high":
        assert "init" in finding[0].advice
    if verdict == "low" and source == "assumed":
        assert f"about {math.exp(first):,.0f} tokens" in finding[0].advice  # e^4.4 = 81: what vocab would fit
    if verdict == "low" and source == "log":
        assert "trained checkpoint" in finding[0].advice and "resumed" in finding[0].advice


def test_init_at_step_1_is_a_start_not_a_resume() -> None:
    """llm.c stdout prints step+1: its first record, step 1, is the init value (issue 8)."""
    steps = np.arange(1, 1_001, 10)
    values = 9.5 - np.log1p(steps) / 3
    result = ph.analyze(make_run("s1", {"train/loss": (steps, values)}, {"vocab_size": 50257}))
    assert result.init.start == "scratch" and result.init.verdict == "low"
    assert all("resumed from" not in f.advice and "probably resumed" not in f.advice for f in result.findings)


def test_first_point_one_logging_interval_in_is_not_an_init_value() -> None:
    """HF Trainer / Megatron / Lightning log every N steps, the first point at step N: not the step-0 loss."""
    steps = np.arange(10, 1_010, 10)
    values = 9.76 - np.log1p(steps) / 3  # the shipped HF example starts 9.7613 at step 10
    result = ph.analyze(make_run("hf", {"train/loss": (steps, values)}, {"vocab_size": 50257}))
    assert result.init.start == "interval" and result.init.verdict == "not_init"
    assert not [f for f in result.findings if f.title.startswith(("initial", "first logged"))]
    far = ph.analyze(make_run("bad", {"train/loss": (steps, 30 - np.log1p(steps))}, {"vocab_size": 50257}))
    assert far.init.verdict == "very_high" and "at least this bad" in far.findings[0].title
    from rich.console import Console

    from lossdoc.render.phases import render

    console = Console(record=True, width=150, file=io.StringIO())
    render(console, far)
    text = console.export_text()
    assert "Phase 0" not in text and "First logged point  train/loss = 27.6021 at step 10" in text


def test_excerpt_gets_no_init_check() -> None:
    """A log that starts at step 29,020 (BigScience 13B excerpt, 2.78): no Phase 0, no warning."""
    steps = np.arange(29_020, 29_100, 10)
    values = 2.78 - (steps - 29_020) * 1e-4
    result = ph.analyze(make_run("ex", {"train/loss": (steps, values)}))
    assert result.init.start == "excerpt" and result.init.verdict == "not_init"
    assert not [f for f in result.findings if "initial" in f.title or "below ln" in f.title]


def test_corpus_excerpt_has_no_phase_0() -> None:
    res = CliRunner().invoke(app, ["phases", str(corpus_file("megatron/bigscience-tr1-13B-spike-29050-excerpt.log"))])
    assert res.exit_code == 0 and "Phase 0" not in res.output and "far from 0" in res.output
    assert "below ln" not in res.output


def test_fine_tune_is_named() -> None:
    """A Trainer log starting at 1.107 with LR 1e-5 (the corpus overfit file) is a fine-tune, not a fault."""
    steps = np.arange(401, 12_031, 401)
    values = 1.1074 * np.exp(-steps / 3000)
    runs = {"train/loss": (steps, values), "train/lr": (steps, np.full(len(steps), 1e-5))}
    result = ph.analyze(make_run("ft", runs, {"format": "hf-trainer"}))
    assert result.init.verdict == "fine_tune"
    [f] = [f for f in result.findings if "fine-tune" in f.title]
    assert f.severity.value == "info" and "1.0e-05" in f.title and "Hugging Face Trainer" in f.title


def test_init_reads_the_vocab_from_the_run_facts() -> None:
    """The vocabulary comes from lossdoc.facts (log or config), not from a format's meta key directly."""
    from lossdoc.facts import RunFacts

    steps = np.arange(0, 1_000, 100)
    run = make_run("char", {"val/loss": (steps, 4.2 - steps / 1e4)})
    facts = RunFacts()
    facts.set("vocab_size", 65, "config: train_shakespeare_char.py line 3")
    run._facts = facts
    result = ph.analyze(run)
    assert result.init.vocab == 65 and result.init.vocab_source == "config" and result.init.verdict == "ok"


# --- series choice -----------------------------------------------------------------------------------------


def test_series_choice() -> None:
    train_steps = np.arange(0, 1_000)
    train = (train_steps, power_law(train_steps.astype(float)))
    many_val = (np.arange(0, 1_000, 100), power_law(np.arange(0, 1_000, 100.0)))
    few_val = (np.arange(0, 1_000, 200), power_law(np.arange(0, 1_000, 200.0)))
    assert ph.choose_series(make_run("a", {"train/loss": train, "val/loss": many_val}))[0] == "val/loss"
    name, why = ph.choose_series(make_run("b", {"train/loss": train, "val/loss": few_val}))
    assert name == "train/loss" and "5 finite point" in why
    assert ph.choose_series(make_run("c", {"train/loss": train, "val/loss": many_val}), "train/loss")[0] == "train/loss"
    assert ph.choose_series(make_run("d", {"val/loss": few_val}))[0] == "val/loss"
    with pytest.raises(InputError, match="no series 'val/nope'"):
        ph.choose_series(make_run("e", {"train/loss": train}), "val/nope")
    empty = make_run("f", {"train/loss": (np.arange(5), np.full(5, np.nan))})
    with pytest.raises(InputError, match="no loss series"):
        ph.choose_series(empty)
    assert ph.applies(empty) is not None


# --- target ------------------------------------------------------------------------------------------------


def test_target_crossing_is_interpolated_with_tokens() -> None:
    steps = np.arange(0, 1_001, 100)
    values = 10.0 - steps / 100.0  # 10 at step 0, falls 1 per 100 steps
    run = make_run("t", {"val/loss": (steps, values)}, {"tokens_per_step": 524_288})
    target = ph.analyze(run, target=4.5).target
    assert target.reached and target.step == pytest.approx(550.0)
    assert target.tokens == pytest.approx(550 * 524_288)
    missed = ph.analyze(run, target=-1.0).target
    assert not missed.reached and missed.step is None and "not reached" in missed.message


def test_target_on_noisy_train_loss_ignores_single_dips() -> None:
    rng = np.random.default_rng(11)
    steps = np.arange(0, 10_000)
    clean = 6.0 - 3.0 * steps / 10_000  # crosses 4.5 at step 5,000
    noisy = clean + rng.normal(0, 0.05, len(steps))
    noisy[1_000] = 4.0  # one dip below the target long before the curve gets there
    target = ph.analyze(make_run("t", {"train/loss": (steps, noisy)}), target=4.5).target
    assert target.step == pytest.approx(5_000, abs=150)


# --- corpus ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "relative",
    [
        "llmc/mng-llmc-gpt2-124M-8xH100.log",
        "llmc/mng-adamw-baseline-oldfmt.log",
        "llmc_stdout/hector-a100-gpt2-124M-full.log",
        "nanogpt/yplarrywang-tinystories-50M-6000iters.log",
        "modded-nanogpt/soap-6000steps.txt",
        "modded-nanogpt/fp4-19073steps-spike.txt",
        "build_nanogpt/agndm-1epoch-stdout.out",
    ],
)
def test_corpus_clean_runs(relative: str) -> None:
    from lossdoc import load

    run = load(corpus_file(relative))[0]
    for series in ("val/loss", "train/loss"):
        result = ph.analyze(run, series=series)
        check_invariants(result)
        assert all(p.share is not None for p in result.phases)
        assert result.init.verdict == "ok"
        assert result.past_knee is True
        assert result.phases[0].label == "catastrophic drop"
        assert [r.name for r in result.regimes] == ["explosive", "fast", "slow refinement"]


@pytest.mark.parametrize(
    ("relative", "val_points"),
    [("modded-nanogpt/bosalign-valonly.txt", 15), ("modded-nanogpt/track3-valonly-seconds.txt", 39)],
)
def test_corpus_val_only_logs(relative: str, val_points: int) -> None:
    from lossdoc import load

    runs = load(corpus_file(relative))
    for run in runs[:3]:  # track3 holds 20 seeds of one recipe; three are enough
        result = ph.analyze(run)
        assert result.series == "val/loss" and result.points == val_points
        check_invariants(result)
        assert all(p.share is not None for p in result.phases)
        assert result.init.verdict == "ok"  # 10.83 at step 0 = ln(50257)
        assert result.phases[-1].end_loss < 3.4


def test_corpus_val_and_train_agree_on_the_llmc_run() -> None:
    from lossdoc import load

    run = load(corpus_file("llmc_stdout/hector-a100-gpt2-124M-full.log"))[0]
    val, train = ph.analyze(run), ph.analyze(run, series="train/loss")
    assert val.series == "val/loss"
    assert val.phases[-1].end_loss == pytest.approx(3.264775, abs=1e-6)  # the final val loss in the log
    assert val.regimes[0].share == pytest.approx(train.regimes[0].share, abs=0.15)
    assert val.regimes[-1].share == pytest.approx(train.regimes[-1].share, abs=0.05)


def test_corpus_divergent_run_is_flagged() -> None:
    from lossdoc import load

    run = load(corpus_file("nanogpt/chongwei-linesearch-divergence-4xA40-output.log"))[0]
    result = ph.analyze(run)
    assert result.init.verdict == "very_high"  # 132.5 at step 0 vs ln 50257 = 10.8
    assert result.phases[0].label == seg.RISING_LABEL  # 132 -> 564 by step 100
    assert result.past_knee is None


def test_corpus_multirun_wandb_export() -> None:
    from lossdoc import load

    runs = load(corpus_file("wandb_csv/druidowm-nanogpt-8runs-train-loss-minmax.csv"))
    verdicts = {}
    for run in runs:
        result = ph.analyze(run)
        assert seg.MIN_PHASES <= len(result.phases) <= seg.MAX_PHASES
        verdicts[run.name] = result.init.verdict
    # two runs start at 25.5 / 24.7 (> 2 ln V)
    assert sum(v == "very_high" for v in verdicts.values()) == 2


# --- CLI and report ----------------------------------------------------------------------------------------


def test_cli_json_contract(nanogpt_log) -> None:
    res = CliRunner().invoke(app, ["phases", str(nanogpt_log), "--json", "--target", "4.0"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["series"] == "val/loss"  # 11 val points >= 8
    assert set(doc["init"]) >= {"loss", "expected", "vocab", "verdict"}
    assert doc["init"]["verdict"] == "ok"
    for p in doc["phases"]:
        assert set(p) >= {"start_step", "end_step", "start_loss", "end_loss", "drop", "share", "rate_per_1k", "label"}
    assert sum(p["share"] for p in doc["phases"]) == pytest.approx(1.0)
    assert set(doc["target"]) >= {"loss", "step", "tokens", "projected_step"}
    assert doc["target"]["tokens"] == pytest.approx(doc["target"]["step"] * 262_144)
    assert "fit" in doc and "projection" in doc


def test_cli_terminal_report(nanogpt_log) -> None:
    res = CliRunner().invoke(app, ["phases", str(nanogpt_log), "--series", "train/loss", "--vocab", "50304"])
    assert res.exit_code == 0, res.output
    assert "Phase 0: Random init" in res.output and "ln(50,304)" in res.output
    assert "catastrophic drop" in res.output and "Key observations" in res.output


def test_cli_errors_and_fail_on(nanogpt_log, tmp_path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["phases", str(nanogpt_log), "--series", "val/nope"])
    assert res.exit_code == 2 and "no series 'val/nope'" in res.output
    res = runner.invoke(app, ["phases", str(tmp_path / "missing.log")])
    assert res.exit_code == 2
    # GPT-2 vocab assumed by default is fine; a tiny --vocab makes the start "very high" -> a problem
    assert runner.invoke(app, ["phases", str(nanogpt_log), "--fail-on", "warning"]).exit_code == 0
    res = runner.invoke(app, ["phases", str(nanogpt_log), "--vocab", "65", "--fail-on", "problem"])
    assert res.exit_code == 1


def test_analyze_has_a_phases_section(nanogpt_log) -> None:
    assert ph in ANALYZERS
    res = CliRunner().invoke(app, ["analyze", str(nanogpt_log), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["sections"]["phases"]["series"] == "val/loss"
    res = CliRunner().invoke(app, ["analyze", str(nanogpt_log)])
    assert res.exit_code == 0 and "Phase 0: Random init" in res.output and "Key observations" in res.output


# --- fit and projection ------------------------------------------------------------------------------------


# the known-answer fits and the corpus backtests of the projection are in tests/test_curvefit.py and
# tests/test_projection.py (truths built there, not with lossdoc's own area functions)


def test_power_law_fallback_recovers_its_parameters() -> None:
    steps = np.arange(1, 5_001)
    truth = 2.0 + 3.0 * (steps / 5_000) ** -0.5  # L0 = 2, A = 3 at the last step, alpha = 0.5
    run = make_run("pl", {"val/loss": (steps[::50], truth[::50])})
    result = ph.analyze(run, project=20_000)
    assert result.fit["form"] == "power_law" and "caveat" in result.fit
    assert result.fit["params"]["alpha"] == pytest.approx(0.5, abs=0.02)
    assert result.fit["params"]["L0"] == pytest.approx(2.0, abs=0.05)
    expected = 2.0 + 3.0 * 4**-0.5
    assert result.projection["loss"] == pytest.approx(expected, abs=0.01)
    assert any("without the LR schedule" in n for n in result.notes)


def test_target_not_reached_gets_a_projected_step() -> None:
    steps = np.arange(1, 5_001, 10)
    values = 2.0 + 3.0 * (steps / 5_000.0) ** -0.5  # 5.0 at the last step
    result = ph.analyze(make_run("t", {"val/loss": (steps, values)}), target=4.0)
    target = result.target
    assert not target.reached
    assert target.projected_step == pytest.approx(5_000 * (3.0 / 2.0) ** 2, rel=0.03)  # 2 + 3x^-0.5 = 4


def _truncated(run, cut: int):
    from lossdoc.run import Run

    df = run.df
    loss = df["metric"].astype(str).str.endswith("loss")
    return Run(name=run.name, df=df[~loss | (df["step"] <= cut)].reset_index(drop=True), meta=dict(run.meta))


def test_cli_project_json_contract(nanogpt_log) -> None:
    res = CliRunner().invoke(app, ["phases", str(nanogpt_log), "--json", "--project", "10000", "--price-per-hour", "2"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert set(doc["fit"]) >= {"form", "params", "rmse"}
    pr = doc["projection"]
    assert set(pr) >= {"step", "loss", "low", "high", "coverage", "remaining", "hours", "cost"}
    assert pr["step"] == 10_000 and pr["low"] <= pr["loss"] <= pr["high"]
    assert pr["hours"] == pytest.approx(5_000 * 100 / 3.6e6)  # 100 ms per step in the log
    assert pr["cost"] == pytest.approx(pr["hours"] * 2)


def test_cli_bad_schedule_is_exit_2(nanogpt_log) -> None:
    res = CliRunner().invoke(app, ["phases", str(nanogpt_log), "--project", "9000", "--schedule", "sawtooth:peak=1"])
    assert res.exit_code == 2 and "--schedule" in res.output


def test_a_straight_line_is_one_phase_and_flat_noise_has_no_shares() -> None:
    steps = np.arange(5_000, 6_000)  # a resumed log falling at one rate
    line = ph.analyze(make_run("line", {"train/loss": (steps, 3.5 - (steps - 5_000) / 1e4)}))
    assert len(line.phases) == 1 and line.phases[0].rate_per_1k == pytest.approx(0.1, rel=1e-3)
    assert "same rate" in line.notes[0]
    assert line.init.verdict == "not_init" and "far from 0" in line.init.message
    rng = np.random.default_rng(0)
    flat = ph.analyze(make_run("flat", {"train/loss": (np.arange(500), 3 + rng.normal(0, 0.1, 500))}))
    assert all(p.label == seg.PLATEAU_LABEL and p.share is None for p in flat.phases)
    assert "flat within noise" in flat.statements[0] and flat.past_knee is None


@pytest.mark.parametrize("n", [2, 3, 4])
def test_very_short_logs(n: int) -> None:
    steps = np.arange(n) * 100
    result = ph.analyze(make_run("short", {"val/loss": (steps, 10.0 / (1 + steps / 100))}), target=1.0)
    assert 1 <= len(result.phases) <= n - 1
    assert result.phases[0].start_step == 0 and result.phases[-1].end_step == steps[-1]
    assert not result.target.reached  # the projected step needs more points: a note, not an error
    with pytest.raises(InputError, match="too few"):
        ph.analyze(make_run("short", {"val/loss": (steps, 10.0 / (1 + steps / 100))}), project=1_000)


def test_single_bad_eval_does_not_make_a_phase() -> None:
    steps = np.arange(0, 2_001, 100)
    values = piecewise(steps, [500], [12.0, 0.8], start=10.0)
    bumped = values.copy()
    bumped[12] += 1.5  # one bad eval at step 1,200
    a = ph.analyze(make_run("a", {"val/loss": (steps, values)}))
    b = ph.analyze(make_run("b", {"val/loss": (steps, bumped)}))
    assert [(p.start_step, p.end_step) for p in a.phases] == [(p.start_step, p.end_step) for p in b.phases]
    assert not any(p.label == seg.RISING_LABEL for p in b.phases)


def test_knee_advice_follows_the_logged_lr() -> None:
    steps = np.arange(0, 20_001, 10)
    loss = (steps, power_law(steps.astype(float)))
    decayed = ph.analyze(make_run("d", {"train/loss": loss, "train/lr": (steps, 6e-4 * (1 - steps / 20_000))}))
    constant = ph.analyze(make_run("c", {"train/loss": loss, "train/lr": (steps, np.full(len(steps), 6e-4))}))
    knee = [f for f in decayed.findings if f.title.startswith("past the knee")]
    assert decayed.lr_final_frac == pytest.approx(0.0) and "already decayed to 0%" in knee[0].advice
    knee = [f for f in constant.findings if f.title.startswith("past the knee")]
    assert constant.lr_final_frac == pytest.approx(1.0) and "warmdown" in knee[0].advice


def test_knee_advice_in_a_warmdown_or_with_an_unknown_lr_never_says_add_one() -> None:
    """A run in its warmdown (stated schedule or logged LR mid-decay) or without any LR: no 'add a warmdown'."""
    steps = np.arange(0, 20_001, 10)
    loss = (steps, power_law(steps.astype(float)))
    halfway = 6e-4 * np.clip((22_000 - steps) / 4_000, 0, 1)  # warmdown from 18K, logged to 20K: LR at 50%
    mid = ph.analyze(make_run("m", {"train/loss": loss, "train/lr": (steps, halfway)}))
    [knee] = [f for f in mid.findings if f.title.startswith("past the knee")]
    assert "in its LR decay: 50% of the peak" in knee.advice and "moves the curve more" not in knee.advice
    unknown = ph.analyze(make_run("u", {"train/loss": loss}))
    [knee] = [f for f in unknown.findings if f.title.startswith("past the knee")]
    assert unknown.lr_final_frac is None and "neither logged nor stated" in knee.advice
    # modded-nanogpt states its warmdown in the script: the schedule reaches 0 at the last step
    meta = {"format": "modded-nanogpt", "max_steps": 20_000, "warmdown_steps": 4_000, "warmup_steps": 0}
    stated = ph.analyze(make_run("s", {"train/loss": loss}, meta))
    [knee] = [f for f in stated.findings if f.title.startswith("past the knee")]
    assert stated.lr_final_frac == pytest.approx(0.0) and "already decayed to 0%" in knee.advice
    assert "modded-nanogpt" in knee.advice


def test_knee_advice_in_a_stable_phase_names_the_planned_warmdown() -> None:
    """A WSD run cut in its stable phase (modded-nanogpt states max_steps and warmdown in its script): the LR is
    at its peak, and the advice is the decay the schedule already plans, not 'add a warmdown'."""
    steps = np.arange(0, 8_001, 10)
    loss = (steps, power_law(steps.astype(float)))
    meta = {"format": "modded-nanogpt", "max_steps": 20_000, "warmdown_steps": 4_000, "warmup_steps": 0}
    cut = ph.analyze(make_run("s", {"train/loss": loss}, meta))
    [knee] = [f for f in cut.findings if f.title.startswith("past the knee")]
    assert cut.lr_final_frac == pytest.approx(1.0)
    assert cut.lr_decay_ahead == {"start": 16_000, "end": 20_000, "final_frac": 0.0, "source": cut.lr_source}
    assert "plans its decay from step 16,000 to 0% of the peak at step 20,000" in knee.advice
    assert "lossdoc phases --project 20000" in knee.advice  # not projected here: the command that would
    assert "moves the curve more" not in knee.advice and "the the" not in knee.advice
    # the same log with no planned end beyond it: nothing ahead, the old advice
    done = ph.analyze(make_run("d", {"train/loss": loss, "train/lr": (steps, np.full(len(steps), 6e-4))}))
    assert done.lr_decay_ahead is None


def test_a_warmdown_is_its_own_faster_phase() -> None:
    # Warmup-stable-decay: the loss follows the LR-annealing law, and the last 4K steps of linear LR decay
    # make it fall faster again; a practitioner draws that warmdown as a phase of its own.
    from lossdoc import lr_features, schedule

    total = 20_000
    lr = schedule.wsd(1e-3, 200, total, 4_000, 0.0, total + 1)
    s1, s2 = lr_features.annealing_areas(lr, 0.999)
    steps = np.arange(total + 1)
    loss = np.minimum(11.0, 3.0 + 6.0 * np.maximum(s1, 1e-9) ** -0.3 - 4e-4 * s2)
    noisy = loss + np.random.default_rng(0).normal(0, 0.02, len(steps))
    result = ph.analyze(make_run("wsd", {"train/loss": (steps, noisy), "train/lr": (steps, lr)}))
    check_invariants(result)
    last, before = result.phases[-1], result.phases[-2]
    assert abs(math.log(last.start_step / 16_000)) < math.log(1.15)
    assert last.rate_per_1k > 2 * before.rate_per_1k


# --- schedules (lossdoc.lr_features) --------------------------------------------------------------------------


def test_annealing_areas_known_answers() -> None:
    from lossdoc import lr_features

    s1, s2 = lr_features.annealing_areas(np.full(100, 3e-4))
    assert s1 == pytest.approx(np.arange(1, 101))  # constant LR: S1 counts peak-LR steps, nothing anneals
    assert np.all(s2 == 0)
    lr = np.where(np.arange(20_000) < 1_000, 1.0, 0.5)  # one drop to half at step 1,000
    s1, s2 = lr_features.annealing_areas(lr)
    assert s1[-1] == pytest.approx(1_000 + 0.5 * 19_000)
    # m_i = 0.5·λ^(i−1000): S2 -> 0.5 / (1 − λ) = 500 (Tissue et al. 2024 momentum form)
    assert s2[-1] == pytest.approx(0.5 / (1 - lr_features.MOMENTUM_LAMBDA), rel=1e-3)
    assert s2[1_000] == pytest.approx(0.5)


def test_schedules_from_config_header_spec_and_file(tmp_path) -> None:
    from lossdoc import schedule

    # nanoGPT get_lr: warmup (it+1)/(warmup+1), cosine to min_lr at lr_decay_iters, min_lr after
    meta = {"format": "nanogpt", "config": {"learning_rate": 6e-4, "warmup_iters": 100, "lr_decay_iters": 6000}}
    run = make_run("n", {"train/loss": ([0, 1], [10.0, 9.0])}, meta)
    sched, _ = schedule.schedule_for(run, 8_001)
    assert sched.source.startswith("nanoGPT config")
    assert sched.lr[0] == pytest.approx(6e-4 / 101)
    assert sched.lr[100] == pytest.approx(6e-4)
    assert sched.lr[3_050] == pytest.approx(6e-5 + 0.5 * (6e-4 - 6e-5))  # half-way down the cosine
    assert sched.lr[8_000] == pytest.approx(6e-5)  # nanoGPT's default min_lr after lr_decay_iters
    # llm.c header: cosine to final fraction at max_steps
    meta = {"lr_schedule": "cosine", "learning_rate": 6e-4, "warmup_steps": 700, "max_steps": 19_560}
    sched, _ = schedule.schedule_for(make_run("l", {"train/loss": ([0, 1], [10.0, 9.0])}, meta), 19_561)
    assert sched.lr[19_560] == pytest.approx(0.0, abs=1e-12) and sched.lr[700] == pytest.approx(6e-4)
    spec = schedule.parse_schedule("wsd:peak=1e-3,warmup=10,total=100,decay=20", 101)
    assert spec.lr[50] == pytest.approx(1e-3) and spec.lr[90] == pytest.approx(5e-4) and spec.lr[100] == 0
    path = tmp_path / "lr.csv"
    path.write_text("step,lr\n0,0.001\n100,5e-4\n")
    assert schedule.parse_schedule(str(path), 101).lr[50] == pytest.approx(7.5e-4)
    with pytest.raises(InputError, match="not key=number"):
        schedule.parse_schedule("cosine:peak", 10)


# --- labels on short or diverging series (issue 8) ---------------------------------------------------------


def blow_up_then_recover() -> tuple[np.ndarray, np.ndarray]:
    """The BigScience 52B perf run's shape: 12.44 -> 44.2 -> 47.5 in 3 iterations, back to 11.9 at 30, then 20.4."""
    steps = np.arange(1, 63)
    values = np.empty(len(steps))
    values[:4] = [12.4424, 12.4450, 44.2427, 47.5003]
    values[3:30] = 11.874 + (47.5003 - 11.874) * np.exp(-np.arange(27) / 4.0)
    values[29:] = np.linspace(11.874, 20.4387, 33)
    return steps, values


def test_a_recovery_is_not_a_catastrophic_drop_and_one_rise_is_one_phase() -> None:
    steps, values = blow_up_then_recover()
    result = ph.analyze(make_run("div", {"train/loss": (steps, values)}))
    labels = [p.label for p in result.phases]
    assert "catastrophic drop" not in labels and seg.RECOVERY_LABEL in labels
    assert all(not (a == b == seg.RISING_LABEL) for a, b in zip(labels, labels[1:]))  # no rise split in two
    recovering = [p for p in result.phases if p.start_step >= 3 and p.start_loss > 13.0]  # well above the start
    assert recovering and all(p.label == seg.RECOVERY_LABEL for p in recovering)  # back down to 11.9: all recovery (below 13 it is new ground)


def test_consecutive_rises_merge_into_one() -> None:
    a = seg.Phase(2, 3, 12.445, 44.2427, -31.7977, None, -31_797.7, seg.RISING_LABEL)
    b = seg.Phase(3, 4, 44.2427, 47.5003, -3.2576, None, -3_257.6, seg.RISING_LABEL)
    c = seg.Phase(4, 30, 47.5003, 11.874, 35.6263, None, 1_370.2, seg.RECOVERY_LABEL)
    [rise, rec] = seg.merge_rises([a, b, c], total=-8.0)
    assert (rise.start_step, rise.end_step, rise.start_loss, rise.end_loss) == (2, 4, 12.445, 47.5003)
    assert rise.drop == pytest.approx(-35.0553) and rise.rate_per_1k == pytest.approx(-35.0553 / 2 * 1000)
    assert rec is c


@pytest.mark.parametrize("seed", range(5))
def test_one_bad_eval_in_a_short_tail_is_not_the_noise(seed: int) -> None:
    # 13 evals of a power law with 0.005 nats of scatter, one eval late in the run 0.4 above the curve (a bad
    # checkpoint): it is 3 of the tail's 5 second differences, and the noise was read as the spike
    rng = np.random.default_rng(seed)
    steps = np.arange(0, 2_401, 200, dtype=float)
    values = power_law(steps) + rng.normal(0, 0.005, len(steps))
    values[8] += 0.4
    assert seg.robust_noise(values) < 0.03
    clean = power_law(np.arange(0, 100_000, 10, dtype=float)) + rng.normal(0, 0.02, 10_000)
    assert seg.robust_noise(clean) == pytest.approx(0.02, rel=0.15)  # a long white-noise tail reads its sd


def test_the_example_logs_evals_past_the_bad_eval_are_a_decline_not_a_plateau() -> None:
    from pathlib import Path

    from lossdoc import load

    run = load(Path(__file__).resolve().parents[1] / "examples" / "logs" / "llmc-stdout-spikes.log")[0]
    result = ph.analyze(run, series="val/loss")  # 13 evals, one 0.4 above its neighbours at step 1,600
    assert result.noise < 0.03
    late = [p for p in result.phases if p.start_step >= 400]
    assert late and all(p.label != seg.PLATEAU_LABEL for p in late)  # 4.85 -> 3.73 is no plateau


def test_neighbours_with_one_label_merge_down_to_three_phases() -> None:
    def phase(start: int, end: int, y0: float, y1: float, label: str) -> seg.Phase:
        return seg.Phase(start, end, y0, y1, y0 - y1, (y0 - y1) / 8.0, (y0 - y1) / (end - start) * 1000, label)

    rapid, slow = "rapid learning", "slowing"
    a, b, c = phase(0, 100, 11.0, 8.0, rapid), phase(100, 400, 8.0, 5.0, rapid), phase(400, 4000, 5.0, 3.5, rapid)
    d = phase(4000, 20000, 3.5, 3.0, slow)
    merged = seg.merge_same_labels([a, b, c, d], total=8.0)
    # rates 30, 10 and 0.42 per 1K: the closest pair (a, b: 3x) merges first, then the minimum of 3 stops it
    assert [(p.start_step, p.end_step, p.label) for p in merged] == [(0, 400, rapid), (400, 4000, rapid),
                                                                       (4000, 20000, slow)]
    assert merged[0].drop == pytest.approx(6.0) and merged[0].rate_per_1k == pytest.approx(15.0)
    assert merged[0].share == pytest.approx(0.75) and merged[1:] == [c, d]
    risen = seg.merge_same_labels([a, b, dataclasses.replace(c, share=None), d, d], total=8.0)
    assert risen[0].share == pytest.approx(0.75) and risen[1].share is None  # no share made up from a None


def test_near_identical_runs_tell_each_phase_once() -> None:
    """The two llm.c GPT-2 124M runs (8xH100, A100): the A100 one read "fast convergence" twice in a row."""
    from lossdoc import load

    for relative in ("llmc/mng-llmc-gpt2-124M-8xH100.log", "llmc_stdout/hector-a100-gpt2-124M-full.log"):
        labels = [p.label for p in ph.analyze(load(corpus_file(relative))[0]).phases]
        assert labels[:3] == ["catastrophic drop", "rapid learning", "fast convergence"] and labels[-1] == "slowing"
        assert len(set(labels)) == len(labels)


def test_corpus_blow_up_is_one_rise_then_a_recovery() -> None:
    path = corpus_file("megatron/bigscience-megds-3d-perf-n16-divergence.out")
    from lossdoc import load

    result = ph.analyze(load(path)[0])
    rises = [f.title for f in result.findings if " rose " in f.title]
    assert rises[0].startswith("train/loss rose 12.4450 -> 47.5003 over steps 2-4") and len(rises) == 2
    assert [p.label for p in result.phases].count("catastrophic drop") == 0


def test_a_rise_in_a_short_noisy_trace_is_not_a_plateau() -> None:
    """Qwen3 10-step benchmark: 5.78 -> 6.36 over its last steps was labelled 'near plateau'."""
    steps = np.arange(1, 11)
    values = np.array([12.4733, 11.0053, 10.9, 10.7, 10.6129, 8.9, 7.2, 5.7763, 6.1, 6.3646])
    result = ph.analyze(make_run("q", {"train/loss": (steps, values)}))
    last = result.phases[-1]
    assert last.drop < 0 and last.label != seg.PLATEAU_LABEL


def test_an_excerpt_that_starts_flat_then_spikes_is_not_rapid_learning() -> None:
    """The 13B excerpt: 2.7759 -> 2.7681 (within noise) before the spike was labelled 'rapid learning'."""
    steps = np.arange(29_020, 29_100, 10)
    values = np.array([2.7759, 2.7702, 2.7681, 7.3437, 8.7160, 7.9, 7.1, 6.8490])
    labels = [p.label for p in ph.analyze(make_run("x", {"train/loss": (steps, values)})).phases]
    assert labels[0] in (seg.PLATEAU_LABEL, seg.NOISE_LABEL) and "rapid learning" not in labels


def test_step_ranges_that_abbreviate_alike_are_written_in_full() -> None:
    from lossdoc.analyzers.returns import step_labels, step_span

    assert step_span(17_060, 17_068) == "17,060–17,068"
    assert step_span(250, 1_000) == "250–1K"
    assert step_labels([17_060, 17_061, 17_068]) == ["17,060", "17,061", "17,068"]
    assert step_labels([0, 250, 1_000]) == ["0", "250", "1K"]
    path = corpus_file("megatron/bigscience-tr8b-104B-chronicles-excerpt-spike-overflow.log")
    out = CliRunner().invoke(app, ["phases", str(path)], env={"COLUMNS": "150"}).output
    assert "17.1K–17.1K" not in out and "17,061–17,062" in out


def test_the_same_shape_gets_the_same_labels() -> None:
    """Labels depend on the shape, not on the step unit or a loss offset."""
    steps, values = blow_up_then_recover()
    base = [p.label for p in ph.analyze(make_run("a", {"train/loss": (steps, values)})).phases]
    wider = [p.label for p in ph.analyze(make_run("b", {"train/loss": (steps * 10, values + 1.0)})).phases]
    assert base == wider


def test_a_train_rise_while_val_fell_is_not_a_warning() -> None:
    """TinyStories-like: per-batch train loss drifts up at the end while the (few) evals keep falling."""
    steps = np.arange(0, 6_001, 10)
    train = 1.2 + 3.0 / np.sqrt(1 + steps / 50)
    train[steps > 5_000] += np.linspace(0, 0.12, int((steps > 5_000).sum()))  # a late drift up in the train loss
    val_steps = np.array([0, 2_000, 4_000, 5_000, 6_000])
    val = np.array([4.2, 1.45, 1.3, 1.27, 1.25])
    result = ph.analyze(make_run("t", {"train/loss": (steps, train), "val/loss": (val_steps, val)}))
    rises = [f for f in result.findings if " rose " in f.title]
    assert rises and all(f.severity.value == "info" and "while val/loss fell" in f.title for f in rises)
    alone = ph.analyze(make_run("t", {"train/loss": (steps, train)}))
    assert any(f.severity.value == "warning" and " rose " in f.title for f in alone.findings)

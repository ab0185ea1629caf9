"""LR schedules (lossdoc.schedule): known answers from the formulas the training scripts use."""

from __future__ import annotations

import math
from pathlib import Path

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


# --- the schedule rebuilt from the run's facts against the LR each corpus log prints -------------------------

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"


def corpus_run(rel: str):
    from lossdoc.parsers import load

    path = CORPUS / rel
    if not path.exists():
        pytest.skip(f"corpus file {rel} not present")
    return max(load(path), key=lambda r: len(r.df))


def half_unit(values: np.ndarray, digits: int) -> np.ndarray:
    """Half the last printed digit of a value written with ``digits`` decimals in scientific notation."""
    exponent = np.floor(np.log10(np.maximum(np.abs(values), 1e-300)))
    return 0.5 * 10.0 ** (exponent - digits)


def logged_vs_rebuilt(run) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from lossdoc.facts import run_facts
    from lossdoc.schedule import spec_from_facts

    spec, why = spec_from_facts(run_facts(run))
    assert spec is not None, why
    steps, logged = run.arrays("train/lr")
    return steps, logged, spec.lr_at(steps)


def test_llmc_stdout_lr_matches_the_header_schedule_printed_at_step_plus_one() -> None:
    # llm.c prints `lr %.2e` and step+1; its header states LR, warmup, final fraction, train_num_batches
    steps, logged, rebuilt = logged_vs_rebuilt(corpus_run("llmc_stdout/hector-a100-gpt2-124M-full.log"))
    assert len(steps) == 19_559  # 19,560 records, the last truncated before its lr
    # llm.c computes the LR in float32 (cosf): allow its rounding, a few ulps of the peak, besides the printing
    float32 = 4 * 6e-4 * 2.0**-23
    tol = np.where(logged > 0, half_unit(logged, 2), 5e-7) + float32
    assert np.all(np.abs(rebuilt - logged) <= tol)
    assert rebuilt[0] == pytest.approx(6e-4 * 1 / 700)  # printed step 1 is step 0: lr * (0+1) / warmup


def test_llmc_main_log_lr_matches_the_records_schedule_at_the_0_based_step() -> None:
    from lossdoc.facts import run_facts

    run = corpus_run("llmc/mng-llmc-gpt2-124M-8xH100.log")
    facts = run_facts(run)  # main.log states no config: the record's README gives it (lr 6e-4, warmup 700)
    for name, value in (("lr_peak", 6e-4), ("warmup_steps", 700), ("max_steps", 19_560), ("lr_min", 0.0)):
        facts.set(name, value, "config: records/track_1_short/2024-10-13_llmc/README.md")
    steps, logged, rebuilt = logged_vs_rebuilt(run)
    assert np.all(np.abs(rebuilt - logged) <= 5e-7 * 1.0001)  # `lr:%.6f`
    # nanoGPT's rule (s+1)/(w+1) would be off by more than the printed digits at the end of warmup
    assert abs(6e-4 * 700 / 701 - logged[steps == 699][0]) > 5e-7


def test_build_nanogpt_stdout_lr_matches_its_scripts_constants() -> None:
    steps, logged, rebuilt = logged_vs_rebuilt(corpus_run("build_nanogpt/agndm-1epoch-stdout.out"))
    assert np.all(np.abs(rebuilt - logged) <= half_unit(logged, 4) * 1.0001)  # `lr %.4e`


def test_megatron_lr_from_the_args_dump_warmup_fraction_and_min_lr() -> None:
    run = corpus_run("megatron/bigscience-megds-3d-perf-n16-divergence.out")
    steps, logged, rebuilt = logged_vs_rebuilt(run)
    # lr 1.5e-4, min_lr 1e-5, lr_decay_iters 800, lr_warmup_fraction 0.01 -> 8 warmup steps, lr * it / 8
    assert rebuilt[steps == 3][0] == pytest.approx(1.5e-4 * 3 / 8)
    assert np.all(np.abs(rebuilt - logged) <= half_unit(logged, 3) * 1.0001)  # `learning rate: %.3E`


def test_hf_trainer_lr_from_training_args_beside_it(tmp_path) -> None:
    import json
    import shutil

    from lossdoc.configs import read_config
    from lossdoc.facts import attach_config

    run = corpus_run("hf_trainer_state/trainer-state-viz-multi-eval-overfit.json")
    shutil.copy(CORPUS / "hf_trainer_state/trainer-state-viz-multi-eval-overfit.json", tmp_path / "trainer_state.json")
    (tmp_path / "training_args.json").write_text(json.dumps({"learning_rate": 1e-5, "lr_scheduler_type": "constant"}))
    attach_config(run, read_config(tmp_path / "training_args.json"))
    steps, logged, rebuilt = logged_vs_rebuilt(run)
    assert np.allclose(rebuilt, logged, rtol=1e-9)


def test_hf_linear_warmup_schedule_known_answer() -> None:
    from lossdoc.facts import RunFacts
    from lossdoc.schedule import spec_from_facts

    facts = RunFacts()
    for name, value in (("lr_schedule", "linear"), ("lr_peak", 5e-5), ("warmup_steps", 100), ("max_steps", 1000),
                        ("lr_min", 0.0), ("warmup_rule", "s/w")):
        facts.set(name, value, "config: training_args.json")
    spec, _ = spec_from_facts(facts)

    def hf(step: int) -> float:  # transformers get_linear_schedule_with_warmup lr_lambda
        if step < 100:
            return 5e-5 * step / 100
        return 5e-5 * max(0.0, (1000 - step) / (1000 - 100))

    for step in (0, 50, 100, 550, 999, 1000, 1200):
        assert spec.lr_at(step) == pytest.approx(hf(step), abs=1e-15)


def test_a_stated_schedule_that_contradicts_the_logged_lr_is_not_used() -> None:
    # the example's header leaves out llm.c's final LR fraction, but the logged LR ends at 10% of peak
    from lossdoc.parsers import load

    run = load(Path(__file__).resolve().parents[1] / "examples" / "logs" / "llmc-stdout.log")[0]
    sched, why = schedule_for(run, 5_000)
    # the logged LR's own shape is extended instead: a cosine to its 10% floor, not the header's cosine to 0
    assert "train/lr extended as a cosine decay to 10% of its peak" in sched.source and why == ""
    assert sched.lr[-1] == pytest.approx(0.1 * float(sched.lr.max()), rel=1e-3)


def test_modded_nanogpt_cooldown_to_a_floor_where_the_record_states_it() -> None:
    # newer records: get_lr(step) = w + (1 - w) * floor, w = min((1 - step / N) / cooldown_frac, 1)
    meta = {"format": "modded-nanogpt", "max_steps": 1750, "cooldown_frac": 0.45, "warmdown_steps": 788,
            "lr_floor": 0.05}
    run = make_run("m", {"val/loss": ([0, 1750], [10.8, 3.28])}, meta)
    sched, _ = schedule_for(run, 1751)
    assert sched.relative

    def record(step: int) -> float:
        w = min((1 - step / 1750) / 0.45, 1.0)
        return w * 1.0 + (1 - w) * 0.05

    for step in (0, 900, 1200, 1500, 1750):
        assert sched.lr[step] == pytest.approx(record(step), abs=1e-3)  # the reader rounds 787.5 steps to 788
    meta.pop("lr_floor")  # the floor not stated: the report says 0 was assumed
    from lossdoc.facts import run_facts

    run = make_run("m", {"val/loss": ([0, 1750], [10.8, 3.28])}, meta)
    assert any("floor" in note for note in run_facts(run).notes)


def test_modded_nanogpt_cooldown_to_the_floor_its_get_lr_states() -> None:
    """2025 records cool down to a floor (`return w * 1.0 + (1 - w) * 0.05`), not to 0 (issue 8)."""
    run = corpus_run("modded-nanogpt/bosalign-valonly.txt")
    assert run.meta["lr_floor"] == 0.05
    n, cooldown = 1750, 0.45  # num_iterations and cooldown_frac of that record's Hyperparameters
    sched, _ = schedule_for(run, n + 1)
    assert sched is not None and sched.relative
    for step in (0, 500, 962, 1200, 1600, 1750):  # the record's own get_lr, written out here
        w = min((1 - step / n) / cooldown, 1.0)
        assert sched.lr[step] == pytest.approx(w * 1.0 + (1 - w) * 0.05, abs=2e-3), step
    soap = corpus_run("modded-nanogpt/soap-6000steps.txt")
    assert "lr_floor" not in soap.meta  # its warmdown goes to 0

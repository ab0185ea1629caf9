"""The runs of a multi-run file: a seed-noise band only for comparable runs; failed runs named (issue 8)."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner

from lossdoc.cli import app
from lossdoc.compare import compare_report, compare_runs
from lossdoc.run import make_run
from tests.conftest import corpus_file


def seed(name: str, last_step: int, final: float, meta: dict | None = None, start: float = 10.9):
    steps = np.arange(0, last_step + 1, 25)
    values = final + (start - final) * np.exp(-steps / (last_step / 8))
    values[-1] = final
    return make_run(name, {"val/loss": (steps, values)}, meta)


def test_seeds_of_one_configuration_are_a_noise_band() -> None:
    runs = [seed(f"s{i}", 3_350, 3.278 + 0.001 * i, {"max_steps": 3_350}) for i in range(5)]
    spread = compare_runs(runs)["final_spread"]
    assert spread["comparable"] is True and "same max_steps" in spread["reason"]
    assert spread["min"] == 3.278 and spread["max"] == 3.282


def test_runs_of_different_lengths_are_not_a_noise_band() -> None:
    """The W&B ablation export: runs of 50-385 steps."""
    runs = [seed("a", 50, 3.77), seed("b", 375, 3.28), seed("c", 150, 4.1)]
    spread = compare_runs(runs)["final_spread"]
    assert spread["comparable"] is False and "different lengths (50–375 steps)" in spread["reason"]


def test_runs_with_different_planned_length_are_not_a_noise_band() -> None:
    runs = [seed("a", 1_000, 3.5, {"max_steps": 1_000}), seed("b", 1_000, 3.4, {"max_steps": 2_000})]
    spread = compare_runs(runs)["final_spread"]
    assert spread["comparable"] is False and "max_steps" in spread["reason"]


def test_failed_runs_are_named_but_not_the_analysed_one() -> None:
    broken_init = seed("broken", 200, 3.8, start=25.5)
    uniform = seed("nowhere", 200, 12.2, start=24.7)
    fine = seed("fine", 385, 3.28)
    doc, found = compare_report([broken_init, uniform, fine], fine)
    titles = {f.evidence["run"]: f.title for f in found}
    assert set(titles) == {"broken", "nowhere"}
    assert "starts at 25.5" in titles["broken"] and "ends at 12.2, above ln(50,257)" in titles["nowhere"]
    assert all(f.severity.value == "warning" for f in found)
    _, none = compare_report([fine, seed("fine2", 385, 3.29)], fine)
    assert none == []


def test_a_run_cut_off_at_its_initial_eval_is_not_no_better_than_uniform() -> None:
    # track3's 20 seeds cut at 90% of the file: the last seed has only its step-0 eval, 10.83 = ln(50,304)
    fine = seed("fine", 385, 3.28)
    started = make_run("started", {"val/loss": (np.array([0]), np.array([10.83]))})
    _, found = compare_report([fine, started], fine)
    [note] = found
    assert note.severity.value == "info" and "has only its point at step 0 (10.83): no training logged" in note.title
    assert "uniform" not in note.title


def test_corpus_ablation_export_is_not_noise_and_its_failed_runs_are_in_the_report() -> None:
    path = corpus_file("wandb_csv/druidowm-nanogpt-8runs-train-loss-minmax.csv")
    res = CliRunner().invoke(app, ["analyze", str(path)], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    assert "run-to-run noise" not in res.output and "not a noise band" in res.output
    assert "starts at 25.48" in res.output and "ends at 12.23" in res.output
    doc = json.loads(CliRunner().invoke(app, ["analyze", "--json", str(path)]).stdout)
    assert doc["comparison"]["final_spread"]["comparable"] is False
    named = {f["evidence"]["run"] for f in doc["findings"] if f["analyzer"] == "compare"}
    assert {"gpt2_last_char_to_char1729642919.4054031", "gpt2_last_char_token_to_char1729587337.8266432"} <= named


def test_corpus_twenty_seeds_keep_their_band() -> None:
    path = corpus_file("modded-nanogpt/track3-valonly-seconds.txt")
    res = CliRunner().invoke(app, ["analyze", str(path)], env={"COLUMNS": "200"})
    assert "3.2764–3.2810" in res.output and "within run-to-run noise" in res.output
    doc = json.loads(CliRunner().invoke(app, ["analyze", "--json", str(path)]).stdout)
    assert doc["comparison"]["final_spread"]["comparable"] is True
    assert not [f for f in doc["findings"] if f["analyzer"] == "compare"]

"""`lossdoc spikes` on the real logs: silent (no warning, no problem) on the healthy finished runs and the example
logs, and the known phenomena of the corpus README still found. Kept short: the slow logs are read once."""

from __future__ import annotations

from functools import cache

import pytest

import lossdoc
from lossdoc.analyzers import spikes
from tests.conftest import EXAMPLES, corpus_file

HEALTHY = [
    "llmc/mng-llmc-gpt2-124M-8xH100.log",
    "llmc_stdout/hector-a100-gpt2-124M-full.log",
    "nanogpt/yplarrywang-tinystories-50M-6000iters.log",
    "modded-nanogpt/soap-6000steps.txt",
    "modded-nanogpt/fp4-19073steps-spike.txt",
    "llmc/mng-adamw-baseline-oldfmt.log",
    "modded-nanogpt/tyler-romero-6312steps-tokps-vram.txt",
    "build_nanogpt/agndm-1epoch-stdout.out",
    "torchtitan/ci-llama3-cuda-golden-losses.txt",
]
SPIKY_EXAMPLE = "llmc-stdout-spikes.log"  # made to have spikes (examples/generate.py)


@cache
def _result(relative: str):
    """The analysis of the largest run of a corpus file, once per session (fp4 alone takes ~1.5 s to read)."""
    run = max(lossdoc.load(corpus_file(relative)), key=lambda r: len(r.df))
    return spikes.analyze(run)


def _loud(result):
    return [f"{f.severity.value}: {f.title}" for f in result.findings if f.severity.value != "info"]


@pytest.mark.parametrize("relative", HEALTHY)
def test_healthy_corpus_runs_get_no_warning(relative):
    assert _loud(_result(relative)) == []


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.iterdir() if p.name != SPIKY_EXAMPLE))
def test_example_logs_get_no_warning(name):
    for run in lossdoc.load(EXAMPLES / name):
        if spikes.applies(run) is None:
            assert _loud(spikes.analyze(run)) == [], run.name


def test_soap_data_spikes_are_single_step_info():
    result = _result("modded-nanogpt/soap-6000steps.txt")
    single = {s.step for s in result.spikes if s.kind == "single-step" and s.jump > 0}
    assert {947, 919, 1760, 5335} <= single  # the data spikes of every FineWeb run (corpus README)
    big = max(result.spikes, key=lambda s: s.jump_pct)
    assert big.val_change == "unaffected"


def test_fp4_benign_spike_val_unaffected():
    result = _result("modded-nanogpt/fp4-19073steps-spike.txt")
    big = max(result.spikes, key=lambda s: s.jump)
    assert (big.step, big.kind, big.val_change) == (14257, "single-step", "unaffected")
    assert big.peak == pytest.approx(6.2785) and (big.val_before, big.val_after) == (3.1609, 3.1585)
    assert not [s for s in result.spikes if s.series == "val/loss" and 14_000 <= s.step <= 14_500]


def test_megds_blow_up_and_slow_divergence():
    result = _result("megatron/bigscience-megds-3d-perf-n16-divergence.out")
    (sp,) = [s for s in result.spikes if s.jump > 0]
    assert (sp.step, sp.kind) == (3, "sustained") and sp.peak == pytest.approx(48.1413, abs=0.01)
    assert result.rising_end is not None and result.rising_end["pct"] > 50
    assert any(f.severity.value == "problem" and "rising since" in f.title for f in result.findings)

"""The periodicity test's screened null scores are the float64 ones, to the bit (issue 12: the permutation test
was ~0.16 s of `lossdoc analyze` on a log with 94 spikes)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lossdoc.analyzers import shards


def reference_best_score(x: np.ndarray, min_period: float, max_period: float) -> float:
    """The best phase score as the periodicity test defined it before screening: every candidate in float64."""
    x = np.sort(x.astype(float))
    d = np.diff(x)
    d = d[d > 0]
    cands = np.unique(np.concatenate([d / k for k in (1, 2, 3, 4)]))
    cands = cands[(cands >= min_period) & (cands <= max_period)]
    if not len(cands):
        return 0.0

    def phase_score(periods: np.ndarray) -> np.ndarray:
        angles = 2 * math.pi * x[:, None] / periods[None, :]
        return np.hypot(np.cos(angles).mean(axis=0), np.sin(angles).mean(axis=0))

    score = phase_score(cands)
    period = cands[score >= score.max() - shards.PERIOD_HARMONIC_TOL].max()
    return float(phase_score(np.array([period]))[0])


@pytest.mark.parametrize("span", [300, 20_000, 400_000])
def test_screened_best_score_is_the_float64_one(span: int) -> None:
    rng = np.random.default_rng(span)
    for trial in range(150):
        n = int(rng.integers(3, 101))
        x = rng.choice(span, size=n, replace=False).astype(float)
        if trial % 3 == 0:
            x = np.unique(np.round(x / 50) * 50)  # steps on a coarse grid: many equal intervals, near-ties
        if trial % 5 == 0:
            x = np.arange(n) * 137.0 + rng.integers(0, 3, n)  # nearly periodic: scores near 1
        assert shards.best_score(x, 4.0, span / 2) == reference_best_score(x, 4.0, span / 2)


def test_screen_error_is_within_its_bound() -> None:
    rng = np.random.default_rng(5)
    worst = 0.0
    for _ in range(200):
        x = np.sort(rng.choice(200_000, size=int(rng.integers(3, 101)), replace=False).astype(float))
        periods = rng.uniform(4.0, 100_000.0, size=300)
        angles = 2 * math.pi * x[:, None] / periods[None, :]
        exact = np.hypot(np.cos(angles).mean(axis=0), np.sin(angles).mean(axis=0))
        worst = max(worst, float(np.abs(shards._screen_scores(x, periods) - exact).max()))
    assert worst < shards.SCREEN_ERROR / 10


def test_a_near_tie_at_the_cut_off_is_decided_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a screen error half the harmonic tolerance most sets are ambiguous and best_period decides: same."""
    monkeypatch.setattr(shards, "SCREEN_ERROR", shards.PERIOD_HARMONIC_TOL / 2)
    rng = np.random.default_rng(9)
    for _ in range(20):
        x = rng.choice(5000, size=30, replace=False).astype(float)
        assert shards.best_score(x, 4.0, 2500.0) == reference_best_score(x, 4.0, 2500.0)

"""lossdoc.rolling gives what pandas' rolling windows give (the analyzers used pandas before issue 12)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lossdoc import rolling


def _series(n: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    a = rng.normal(3.0, 1.0, size=n)
    if kind == "nan" and n:
        a[rng.random(n) < 0.3] = np.nan
        a[: min(n, 5)] = np.nan  # a missing prefix, as the detector's residuals have
    if kind == "inf" and n:
        a[rng.integers(0, n)] = np.inf  # pandas reads inf as missing
    return a


@pytest.mark.parametrize("center", [False, True])
@pytest.mark.parametrize("kind", ["clean", "nan", "inf"])
def test_same_as_pandas(center: bool, kind: str) -> None:
    rng = np.random.default_rng(7)
    for n in (0, 1, 2, 5, 37, 300):
        for w in (1, 2, 3, 4, 9, 64, 128, 400):
            for mp in sorted({1, min(w, 3), w}):
                a = _series(n, kind, rng)
                frame = pd.Series(a).rolling(w, min_periods=mp, center=center)
                median = rolling.rolling_median(a, w, mp, center)
                assert np.array_equal(median, frame.median().to_numpy(), equal_nan=True), (n, w, mp)
                if not center:  # the detector's trailing mean: pandas' running sum, to the bit
                    mean = rolling.rolling_mean(a, w, mp)
                    assert np.array_equal(mean, frame.mean().to_numpy(), equal_nan=True), (n, w, mp)


def test_mean_of_constant_and_log_steps_to_the_bit() -> None:
    """The detector's x: log1p of the steps (a sum per window differs from pandas' in the last bit 1 time in 3)."""
    x = np.log1p(np.arange(20_000, dtype=float))
    x[100:300] = 1.5  # a constant stretch: pandas returns the value itself
    assert np.array_equal(
        rolling.rolling_mean(x, 64, 64), pd.Series(x).rolling(64, min_periods=64).mean().to_numpy(), equal_nan=True
    )


def test_median_of_is_numpys() -> None:
    rng = np.random.default_rng(11)
    for n in range(1, 60):
        values = rng.normal(size=n) * 10 ** rng.uniform(-3, 3)
        assert rolling.median_of(values) == float(np.median(values))
    assert rolling.median_of(np.array([1.0, 2.0, 2.0, 7.0])) == 2.0


@pytest.mark.parametrize("center", [False, True])
def test_a_long_series_with_gaps_same_as_pandas(center: bool) -> None:
    """A 1M-line log's length: windows holding NaN, cut by an edge, and clean ones, interleaved."""
    rng = np.random.default_rng(5)
    a = _series(300_000, "nan", rng)
    a[2000:2400] = rng.normal(size=400)  # a clean stretch between gappy ones
    a[-3] = -np.inf
    for w, mp in ((64, 64), (128, 32), (7, 1)):
        expected = pd.Series(a).rolling(w, min_periods=mp, center=center).median().to_numpy()
        assert np.array_equal(rolling.rolling_median(a, w, mp, center), expected, equal_nan=True), (w, mp)


def test_bin_medians_are_numpys() -> None:
    rng = np.random.default_rng(2)
    for n, bins in ((1000, 200), (20_000, 200), (37, 5), (25, 5)):
        edges = np.linspace(0, n, bins + 1).astype(int)
        for a in (rng.normal(3.0, 1.0, n), np.sort(rng.choice(10 * n, size=n, replace=False))):  # values, int steps
            expected = np.array([np.median(a[lo:hi]) for lo, hi in zip(edges[:-1], edges[1:])])
            assert np.array_equal(rolling.bin_medians(a, edges), expected)
    a = rng.normal(size=27)
    uneven = [0, 5, 10, 15, 20, 27]  # the last bin takes the points left over
    assert np.array_equal(rolling.bin_medians(a, uneven), [np.median(a[lo:hi]) for lo, hi in zip(uneven, uneven[1:])])

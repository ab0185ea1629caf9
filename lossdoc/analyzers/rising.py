"""A train loss that has been climbing since its minimum without a spike to explain it (slow divergence).

The verdict must hold on a smoothed series and agree with the run's other evidence: per-iteration train loss
is one batch (nanoGPT logs every 10th iteration, each a single batch: +-4% noise on TinyStories), so the rise is
measured between bin medians, must be a significant least-squares slope on the raw points, and must not be
contradicted by the evals (a val or eval-train loss that fell over the same steps means the run is fine).
"""

from __future__ import annotations

from typing import Any

from .plateaus import SLOPE_T, _ols_slope

RISING_END_REL = 0.05  # the smoothed train loss at the end > 5% above its smoothed minimum ...
RISING_END_POINTS = 3  # ... with at least 3 bins after the minimum: the run is drifting upward
SMOOTH_BINS = 20  # bin medians over 1/20 of the points each (TinyStories: 601 iters -> bins of 30) ...
SMOOTH_MIN_POINTS = 5  # ... and at least 5 points each (a 62-point Megatron log -> 12 bins of 5)
EVAL_SERIES = ("val/loss", "train/eval_loss")  # evals that must not have fallen over the rise


def _bins(steps: Any, values: Any) -> tuple[Any, Any]:
    """Medians of consecutive bins of points (step: median step of the bin)."""
    from ..rolling import bin_medians

    size = max(SMOOTH_MIN_POINTS, len(values) // SMOOTH_BINS)
    edges = list(range(0, len(values) - size + 1, size)) + [len(values)]  # the points left over join the last bin
    return bin_medians(steps, edges), bin_medians(values, edges)


def _eval_change(series: Any, start: int, end: int) -> tuple[float, float] | None:
    """The eval at (or last before) ``start`` and the last one up to ``end``; None with fewer than two."""
    import numpy as np

    values, steps = series.values, series.steps
    ok = np.isfinite(values) & (steps <= end)
    steps, values = steps[ok], values[ok]
    first = int(np.searchsorted(steps, start, side="right")) - 1
    if first < 0 or first >= len(steps) - 1:
        return None
    return float(values[first]), float(values[-1])


def rising_end(train: Any, spikes: list[Any], evals: dict[str, Any] | None = None) -> dict[str, Any] | None:
    import numpy as np

    kept = train.finite()
    steps, values = kept.steps, kept.values
    if len(values) < SMOOTH_MIN_POINTS * (RISING_END_POINTS + 1):
        return None
    xs, ys = _bins(steps, values)
    k = int(np.argmin(ys))
    if len(ys) - 1 - k < RISING_END_POINTS or ys[-1] - ys[k] <= RISING_END_REL * abs(ys[k]):
        return None
    start, end = int(xs[k]), int(steps[-1])
    inside = steps >= start
    slope, stderr = _ols_slope(steps[inside].astype(float), values[inside])
    if slope <= SLOPE_T * stderr:
        return None  # no rise the noise lets us see
    if any(sp.series == "train/loss" and sp.kind == "divergence" and sp.step >= start for sp in spikes):
        return None  # a diverging spike already explains the rise
    out: dict[str, Any] = {
        "series": "train/loss",
        "from_step": start,
        "from": float(ys[k]),
        "to_step": int(xs[-1]),
        "to": float(ys[-1]),
        "pct": 100.0 * float(ys[-1] - ys[k]) / abs(float(ys[k])),
        "slope_per_1k": slope * 1000.0,
    }
    for name, series in (evals or {}).items():
        change = _eval_change(series, start, end)
        if change is None:
            continue
        if change[1] <= change[0]:
            return None  # the evals fell over the same steps: the rise is the single batches' noise
        out[f"{name}_from"], out[f"{name}_to"] = change
    return out

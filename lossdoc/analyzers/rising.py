"""A train loss that has been climbing since its minimum without a spike to explain it (slow divergence)."""

from __future__ import annotations

from typing import Any

from . import plateaus as _plateaus
from .spike_events import Spike

RISING_END_REL = 0.05  # train loss at the end > 5% above its (smoothed) minimum ...
RISING_END_POINTS = 3  # ... with at least 3 smoothed points after the minimum: the run is drifting upward


def rising_end(train: Any, spikes: list[Spike]) -> dict[str, Any] | None:
    """A train loss that has been climbing since its minimum without a spike to explain it (slow divergence)."""
    import numpy as np

    ok = np.isfinite(train.to_numpy(dtype=float))
    steps, values = train.index.to_numpy()[ok], train.to_numpy(dtype=float)[ok]
    if len(values) < RISING_END_POINTS + 2:
        return None
    xs, ys = _plateaus._smoothed(steps, values)
    k = int(np.argmin(ys))
    if len(ys) - 1 - k < RISING_END_POINTS or ys[-1] - ys[k] <= RISING_END_REL * abs(ys[k]):
        return None
    start = int(xs[k])
    if any(sp.series == "train/loss" and sp.kind == "divergence" and sp.step >= start for sp in spikes):
        return None  # a diverging spike already explains the rise
    return {
        "series": "train/loss",
        "from_step": start,
        "from": float(ys[k]),
        "to_step": int(xs[-1]),
        "to": float(ys[-1]),
        "pct": 100.0 * float(ys[-1] - ys[k]) / abs(float(ys[k])),
    }

"""A loss curve in a few unicode block characters (▁▂▃▄▅▆▇█), for the run line of a report.

The curve is binned on a log-step axis (as the charts are), so the fast start and the slow end both get cells;
the vertical range is robust (quantiles), so a single spike does not flatten everything else to ▁.
"""

from __future__ import annotations

from typing import Any

BLOCKS = "▁▂▃▄▅▆▇█"
WIDTH = 16  # cells of a sparkline in the run line
QUANTILES = (0.02, 0.98)  # range of the bin means that sets the bottom and top cell


def sparkline(steps: Any, values: Any, width: int = WIDTH) -> str:
    """Block characters for (steps, values); '' when there are fewer than two finite points."""
    import numpy as np

    steps = np.asarray(steps, dtype=float)
    values = np.asarray(values, dtype=float)
    ok = np.isfinite(values) & np.isfinite(steps)
    steps, values = steps[ok], values[ok]
    if len(values) < 2:
        return ""
    if len(values) <= width:  # a sparse series (evals): one cell per point
        means = values
    else:
        x = np.log10(np.maximum(steps - steps.min(), 0) + 1.0)
        edges = np.linspace(x.min(), x.max(), width + 1)
        idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, width - 1)
        sums = np.bincount(idx, weights=values, minlength=width)
        counts = np.bincount(idx, minlength=width)
        means = sums[counts > 0] / counts[counts > 0]
    lo, hi = np.quantile(means, QUANTILES)
    if hi - lo <= 0:
        return BLOCKS[0] * len(means)
    level = np.clip((means - lo) / (hi - lo), 0, 1) * (len(BLOCKS) - 1)
    return "".join(BLOCKS[int(round(v))] for v in level)


def run_arrays(run: Any, name: str) -> tuple[Any, Any]:
    """run.arrays(name), kept on the run: the sparklines and the charts (chartdata.py) draw the same series; here,
    so that the terminal report need not compile chartdata.py."""
    cache = getattr(run, "_chart_arrays", None)
    if cache is None:
        cache = run._chart_arrays = {}
    if name not in cache:
        cache[name] = run.arrays(name)
    return cache[name]


def run_sparklines(run: Any) -> dict[str, str]:
    """{"train": "▇▅▃▂▁", "val": ...} for the loss series the run has."""
    out = {}
    for name in ("train/loss", "val/loss"):
        if run.has(name):
            line = sparkline(*run_arrays(run, name))
            if line:
                out[name.split("/")[0]] = line
    return out

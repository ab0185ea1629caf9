"""What the charts draw, computed once for the HTML report (inline SVG) and the PNG (matplotlib).

Series are downsampled to at most ``BINS`` columns (a million-step log draws as fast as a thousand-step one): per
column the mean, with the column's min and max as an envelope, so a spike still shows. Columns are even on the
chart's x axis: log-step when the log spans at least ``LOG_AXIS_DECADES`` decades of steps (the fast start and
the slow end both readable), linear otherwise (an excerpt of a long run). The y range comes from robust quantiles
of the column means; points beyond it are clamped to the edge and marked, so one outlier does not squash the curve.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .sparkline import run_arrays

BINS = 700  # columns per series (about one per pixel of the chart)
BAND_Z = 1.2816  # the band around a column's mean: ± 1.2816 sd, the 10th to 90th percentile of normal noise
LOG_AXIS_DECADES = 2.0  # last step / first step >= 100: a log-step axis
Y_QUANTILES = (0.01, 0.99)  # of the column means; the range adds Y_PAD of that span on each side ...
Y_PAD = (0.06, 0.15)  # ... (below, above), and never reaches past the data's own min and max
FIRST_POINT_RATIO = 4.0  # the first point (the initial loss) stays in range up to 4x the top quantile: ln(50257)
#                          = 10.8 against a final 2.7; a start 100x above the rest (a diverged init) is clamped
GAP_POINTS = 10  # train points averaged at each eval for the gap chart (nanoGPT's eval-time train loss if logged)
ZOOM_START_FRAC = (0.05, 0.5)  # the zoomed chart starts at the knee, kept between 5% and 50% of the last step
ZOOM_MIN_POINTS = 5  # points of a loss series the zoomed stretch must hold to be drawn
SERIES = ("train/loss", "val/loss", "train/lr", "train/grad_norm", "train/mfu")


@dataclass
class Line:
    x: list[float]  # steps (column means)
    y: list[float]  # column means
    lo: list[float] | None = None  # column min (None: raw points, no envelope)
    hi: list[float] | None = None


@dataclass
class Charts:
    log_x: bool
    x_min: float
    x_max: float
    lines: dict[str, Line] = field(default_factory=dict)
    gap: Line | None = None  # val - train at the eval steps (train averaged over the steps since the last eval)
    marks: dict[str, Any] = field(default_factory=dict)  # phases, spikes, plateaus, projection, target, clip
    zoom: Charts | None = None  # the loss after the knee on a linear axis (with a log main chart only)


def xt(step: float, log_x: bool, left: float = 1.0) -> float:
    """A step on the chart's x axis: log10(step) on a log axis, steps below ``left`` (step 0) at its left edge."""
    return math.log10(max(step, left, 1e-9)) if log_x else float(step)


def downsample(steps: Any, values: Any, log_x: bool, bins: int = BINS) -> Line:
    """Column means (and a ±1.28 sd band) of a dense series on the chart's x axis; the raw points of a sparse one."""
    import numpy as np

    steps = np.asarray(steps, dtype=float)
    values = np.asarray(values, dtype=float)
    ok = np.isfinite(values)
    steps, values = steps[ok], values[ok]
    if len(values) <= bins:
        return Line(steps.tolist(), values.tolist())
    x = np.log10(np.maximum(steps, 1.0)) if log_x else steps
    edges = np.linspace(x.min(), x.max(), bins + 1)
    idx = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, bins - 1)
    counts = np.bincount(idx, minlength=bins)
    keep = counts > 0
    mean = np.bincount(idx, weights=values, minlength=bins)[keep] / counts[keep]
    mstep = np.bincount(idx, weights=steps, minlength=bins)[keep] / counts[keep]
    # the band: mean ± BAND_Z standard deviations of each column (the 10th-90th percentile of normal noise), from
    # sums of squares in one pass; exact percentiles would sort a million points twice for a drawing
    sq = np.bincount(idx, weights=values * values, minlength=bins)[keep] / counts[keep]
    sd = np.sqrt(np.maximum(sq - mean * mean, 0.0))
    lo, hi = mean - BAND_Z * sd, mean + BAND_Z * sd
    return Line(mstep.tolist(), mean.tolist(), lo.tolist(), hi.tolist())


def y_range(lines: list[Line]) -> tuple[float, float]:
    """Robust y limits: the quantiles of the column means, padded, within the data's own extent.

    The first point of a line (the initial loss) stays in range unless it is far out (a diverged start).
    """
    import numpy as np

    parts = [np.asarray(ln.y, dtype=float) for ln in lines if ln.y]
    ys = np.concatenate(parts) if parts else np.array([])
    if not len(ys):
        return 0.0, 1.0
    q_lo, q_hi = np.quantile(ys, Y_QUANTILES)
    span = max(q_hi - q_lo, 1e-9 * max(abs(q_hi), 1.0))
    lo = max(float(ys.min()), q_lo - Y_PAD[0] * span)
    hi = min(float(ys.max()), q_hi + Y_PAD[1] * span)
    starts = [ln.y[0] for ln in lines if ln.y and abs(ln.y[0]) <= FIRST_POINT_RATIO * max(abs(q_hi), 1e-12)]
    hi = max([hi, *starts])
    if hi - lo <= 0:
        lo, hi = lo - 0.5 * abs(lo or 1), hi + 0.5 * abs(hi or 1)
    return float(lo), float(hi)


def gap_line(train: tuple[Any, Any], val: tuple[Any, Any]) -> Line | None:
    """val − train at each eval step, train averaged over its last GAP_POINTS points at or before the eval.

    A short window: averaging since the previous eval would mix in the descent between two far-apart evals.
    """
    import numpy as np

    ts, tv = (np.asarray(a, dtype=float) for a in train)
    vs, vv = (np.asarray(a, dtype=float) for a in val)
    ok = np.isfinite(tv)
    ts, tv = ts[ok], tv[ok]
    okv = np.isfinite(vv)
    vs, vv = vs[okv], vv[okv]
    if len(ts) < 2 or len(vs) < 2:
        return None
    csum = np.concatenate([[0.0], np.cumsum(tv)])
    right = np.searchsorted(ts, vs, side="right")
    has = right > 0
    right = right[has]
    left = np.maximum(right - GAP_POINTS, 0)
    mean_train = (csum[right] - csum[left]) / (right - left)
    return Line(vs[has].tolist(), (vv[has] - mean_train).tolist())


def chart_data(run: Any, report: dict[str, Any], results: dict[str, Any]) -> Charts:
    """Everything the charts draw for one run: downsampled series and the findings' marks."""
    present = [n for n in SERIES if run.has(n)]
    arrays = {n: run_arrays(run, n) for n in present}
    first = min((float(a[0].min()) for a in arrays.values() if len(a[0])), default=0.0)
    last = max((float(a[0].max()) for a in arrays.values() if len(a[0])), default=1.0)
    proj = _projection(report)
    if proj:
        last = max(last, float(proj["step"]))
    positive = min((float(a[0][a[0] > 0].min()) for a in arrays.values() if (a[0] > 0).any()), default=1.0)
    log_x = last / max(first, positive) >= 10**LOG_AXIS_DECADES
    # a log axis starts at the first logged step after 0 (the logging interval); step 0 sits on its left edge
    charts = Charts(log_x=log_x, x_min=max(first, positive) if log_x else first, x_max=last)
    for name, (steps, values) in arrays.items():
        charts.lines[name] = downsample(steps, values, log_x)
    train = run_arrays(run, "train/eval_loss") if run.has("train/eval_loss") else arrays.get("train/loss")
    if train is not None and "val/loss" in arrays:
        charts.gap = gap_line(train, arrays["val/loss"])
    charts.marks = marks(report, results, run)
    if log_x:
        charts.zoom = zoom(charts, arrays, report, last)
    return charts


def zoom_start(report: dict[str, Any], last: float) -> float:
    """Where the zoomed loss chart starts: the knee (or the end of the first phase), within ZOOM_START_FRAC."""
    ph = report.get("sections", {}).get("phases") or {}
    knee = (ph.get("diminishing_returns") or {}).get("knee_step")
    first = (ph.get("phases") or [{}])[0].get("end_step")
    start = float(knee or first or 0)
    lo, hi = ZOOM_START_FRAC
    return min(max(start, lo * last), hi * last)


def zoom(charts: Charts, arrays: dict[str, tuple[Any, Any]], report: dict[str, Any], last: float) -> Charts | None:
    import numpy as np

    start = zoom_start(report, last)
    lines = {}
    for name in ("train/loss", "val/loss"):
        if name in arrays:
            steps, values = arrays[name]
            keep = np.asarray(steps) >= start
            if int(keep.sum()) >= ZOOM_MIN_POINTS:
                lines[name] = downsample(np.asarray(steps)[keep], np.asarray(values)[keep], False)
    if not lines:
        return None
    return Charts(log_x=False, x_min=start, x_max=charts.x_max, lines=lines, marks=charts.marks)


def _projection(report: dict[str, Any]) -> dict[str, Any] | None:
    ph = report.get("sections", {}).get("phases")
    return ph.get("projection") if isinstance(ph, dict) else None


def marks(report: dict[str, Any], results: dict[str, Any], run: Any) -> dict[str, Any]:
    """Phases, spikes, plateaus, projection, target, grad-clip line and the findings' step spans."""
    from ..facts import run_facts

    sections = report.get("sections", {})
    ph = sections.get("phases") or {}
    sp = sections.get("spikes") or {}
    out: dict[str, Any] = {
        "phases_series": ph.get("series"),
        "phases": [{"start": p["start_step"], "end": p["end_step"], "label": p["label"]} for p in ph.get("phases", [])],
        "spikes": [{"step": s["step"], "peak": s["peak"], "series": s["series"], "kind": s["kind"],
                    "jump_pct": s["jump_pct"]} for s in sp.get("spikes", [])],
        "plateaus": [{"start": p["start_step"], "end": p["end_step"], "low": p["low"], "high": p["high"],
                      "series": p.get("series"), "label": p.get("label")} for p in sp.get("plateaus", [])],
        "projection": _projection(report),
        "target": (ph.get("target") or {}).get("loss"),
        "best": sp.get("best"),
        "clip": _clip(sections, run_facts(run)),
        "findings": [
            {"id": f"f{i}", "steps": f["steps"], "severity": f["severity"], "title": f["title"]}
            for i, f in enumerate(report.get("findings", []), 1) if f.get("steps")
        ],
    }
    return out


CLIP_KEYS = ("clip", "grad_clip", "clip_threshold")


def _clip(sections: dict[str, Any], facts: Any) -> float | None:
    """The grad-clip threshold: from the gradients (or gap) section, at its top or one level down, else the facts."""
    for name in ("gradients", "gap"):
        sec = sections.get(name)
        if not isinstance(sec, dict):
            continue
        for where in [sec, *(v for v in sec.values() if isinstance(v, dict))]:
            for key in CLIP_KEYS:
                value = where.get(key)
                if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                    return float(value)
    value = facts.get("grad_clip")
    return float(value) if isinstance(value, (int, float)) and value > 0 else None

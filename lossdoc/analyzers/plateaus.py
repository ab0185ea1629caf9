"""Plateaus (stretches where the loss stays in a narrow band) and val upticks; part of `lossdoc spikes`.

A plateau is a stretch of at least ``PLATEAU_MIN_SHARE`` of the run where the smoothed loss stays within a
band of ``PLATEAU_BAND_REL`` of its level. Its slope (least squares on the raw points)
tells a flat plateau (change over the stretch under ``FLAT_REL`` of the loss, or no trend within the noise while
even the steepest slope the noise allows would barely move the loss over the run's length again) from a slow
decline (significantly falling, just slowly), a slow rise, or "unclear" (too short or noisy to tell).
"""

from __future__ import annotations

from typing import Any

PLATEAU_BAND_REL = 0.03  # band width / low end: 3% (the 40M example: train 3.64–3.71 = 1.9%, val 2.2%)
PLATEAU_MIN_SHARE = 0.10  # a plateau spans at least 10% of the logged steps ...
PLATEAU_MIN_POINTS = 6  # ... and at least 6 points (smoothed bins)
PLATEAU_BINS = 200  # dense series are smoothed to 200 bin medians (noise / ~sqrt(n/200))
FLAT_REL = 0.005  # fitted change over the whole stretch < 0.5% of the loss: flat
SLOPE_T = 2.0  # |slope| < 2 standard errors: no trend the noise lets us see ...
FLAT_HORIZON_REL = 0.05  # ... and flat only if even the steepest slope the noise allows (|slope| + 2 SE) would
#                          change the loss by < 5% over as many steps again as the run has taken; otherwise the
#                          stretch is too short or noisy to tell a plateau from a slow decline ("unclear")
KNEE_CHUNK = 0.10  # the start of a stretch is trimmed in 10% chunks ...
KNEE_RATIO = 3.0  # ... while the chunk falls 3x faster than the rest (the end of the descent, not the plateau)
DECAYED_LR_FRAC = 0.10  # a plateau where the LR is at <= 10% of its peak is the decay's tail (cosine/warmdown to
#                         ~0): the loss flattens because the LR went to ~0, as planned; info, not a warning
DECAY_END_RATIO = 0.5  # a stretch whose LR ends at <= half its start lies in the decay: a slow decline there is the
#                       decay's drop (the loss falls as the LR anneals), not a stall; as the corpus's cosine tails
#                       and warmdowns (fp4: train 3.15 -> 3.07 in a 3% band while the LR goes 88% -> 0% of peak)
MIN_RUN_STEPS = 1000  # a log spanning fewer steps (a CI trace, a benchmark) is too short to call a plateau wasted
#                       compute; our choice: the shortest real pre-training runs in the corpus are ~1,750 steps
UPTICK_MIN_REL = 0.001  # a val uptick is a rise over the previous eval of more than 0.1% of the loss


def _smoothed(steps: Any, values: Any) -> tuple[Any, Any]:
    """Bin medians (step = median step of the bin) for a dense series; the raw points for a sparse one."""
    import numpy as np

    from ..rolling import bin_medians

    n = len(values)
    if n <= PLATEAU_BINS:
        return steps.astype(float), values
    edges = np.linspace(0, n, PLATEAU_BINS + 1).astype(int)
    return bin_medians(steps, edges), bin_medians(values, edges)


def _stretches(values: Any) -> list[tuple[int, int]]:
    """For each start the furthest end whose max-min stays within the band; greedy non-overlapping picks.

    Two pointers with monotonic deques (sliding-window max/min): O(n).
    """
    from collections import deque

    n = len(values)
    reach = [0] * n
    hi: deque[int] = deque()
    lo: deque[int] = deque()
    j = 0
    for i in range(n):
        if j < i:
            j = i
        while j < n:
            top = max(values[hi[0]], values[j]) if hi else values[j]
            bottom = min(values[lo[0]], values[j]) if lo else values[j]
            if top - bottom > PLATEAU_BAND_REL * abs(bottom):
                break  # j would break the band: the window is [i, j-1]
            while hi and values[hi[-1]] <= values[j]:
                hi.pop()
            while lo and values[lo[-1]] >= values[j]:
                lo.pop()
            hi.append(j)
            lo.append(j)
            j += 1
        reach[i] = j - 1
        if hi and hi[0] == i:
            hi.popleft()
        if lo and lo[0] == i:
            lo.popleft()
    return [(i, reach[i]) for i in range(n)]


def find(
    series: dict[str, Any], lr: Any = None, lr_peak: float | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Plateaus of the main loss series (train, else val) with the val band beside them; val upticks.

    ``lr`` (a StepSeries: the LR by step) and ``lr_peak`` tell a flat stretch at a high LR (worth a warning) from the
    flat tail of a decay to ~0 (expected); each plateau says whether it is worth a warning (``warn``) and why
    not (``expected``)."""

    main = "train/loss" if "train/loss" in series else ("val/loss" if "val/loss" in series else None)
    plateaus: list[dict[str, Any]] = []
    if main is not None:
        s = series[main].finite()
        steps, values = s.steps, s.values
        if len(values) >= PLATEAU_MIN_POINTS:
            plateaus = _plateaus(main, steps, values, series.get("val/loss") if main == "train/loss" else None)
            for item in plateaus:
                _judge(item, float(steps[-1] - steps[0]), lr, lr_peak)
    upticks = _upticks(series.get("val/loss"))
    return plateaus, upticks


def _plateaus(name: str, steps: Any, values: Any, val: Any) -> list[dict[str, Any]]:
    """The stretch the run ends on (when it is long enough) and any earlier *flat* stretch.

    A healthy run always has late stretches that fit in a 3% band (the loss keeps slowing down); tiling the
    whole curve into such bands says nothing. What matters is where the run stands now (the final stretch:
    flat, or a slow decline) and any mid-run stretch that was flat before the loss fell again.
    """
    xs, ys = _smoothed(steps, values)
    min_span = PLATEAU_MIN_SHARE * float(steps[-1] - steps[0])
    reach = [r for _, r in _stretches(list(map(float, ys)))]
    last = len(ys) - 1
    start_final = next(i for i, r in enumerate(reach) if r == last)

    def long_enough(i: int, j: int) -> bool:
        return j - i + 1 >= PLATEAU_MIN_POINTS and xs[j] - xs[i] >= min_span and xs[j] > xs[i]

    out = []
    i = 0
    while i < start_final:
        j = reach[i]
        if j >= start_final:
            break
        k = _trim_knee(xs, ys, i, j)
        if long_enough(k, j) and _fell_after(ys, j):
            item = _describe(name, xs, ys, steps, values, val, k, j)
            if item["label"] == "flat":
                out.append(item)
                i = j + 1
                continue
        i += 1
    start_final = _trim_knee(xs, ys, start_final, last)
    if long_enough(start_final, last):
        out.append(_describe(name, xs, ys, steps, values, val, start_final, last))
    return out


def _judge(item: dict[str, Any], run_steps: float, lr: Any, lr_peak: float | None) -> None:
    """Whether a plateau is worth a warning: only a flat one, in a run long enough to waste compute, at an LR not
    already decayed to its tail."""
    import numpy as np

    item["lr_frac_of_peak"] = None
    inside = lr.within(item["start_step"], item["end_step"]) if lr is not None and lr_peak else []
    if len(inside):
        item["lr_frac_of_peak"] = float(np.median(inside)) / lr_peak
    item["expected"] = None
    if run_steps < MIN_RUN_STEPS:
        item["expected"] = f"a log of {run_steps:,.0f} steps is too short to call it wasted compute"
    elif item["lr_frac_of_peak"] is not None and item["lr_frac_of_peak"] <= DECAYED_LR_FRAC:
        item["expected"] = f"the LR is at {100 * item['lr_frac_of_peak']:.0f}% of peak: the decay's flat tail"
    elif item["label"] == "slow decline" and len(inside) >= 2 and inside[-1] <= DECAY_END_RATIO * inside[0]:
        item["expected"] = (f"the LR decays from {inside[0] / lr_peak:.0%} to {inside[-1] / lr_peak:.0%} of its peak "
                            "over it: the decline is the decay's, not a stall")
    item["warn"] = bool(item["label"] == "flat" and item["expected"] is None)


def _fell_after(ys: Any, j: int) -> bool:
    """The smoothed loss fell below the stretch's band after it (a mid-run plateau is one the loss left)."""
    after = ys[j + 1 :]
    low = float(min(ys[: j + 1][-PLATEAU_MIN_POINTS:]))
    return bool(len(after) and float(min(after)) < low * (1 - PLATEAU_BAND_REL))


def _trim_knee(xs: Any, ys: Any, i: int, j: int) -> int:
    """Move the start past the tail of the descent that the band lets into the stretch."""
    import numpy as np

    for _ in range(int(1 / KNEE_CHUNK)):
        q = int((j - i + 1) * KNEE_CHUNK)
        if q < 2 or j - (i + q) < 3:
            break
        head, head_se = _ols_slope(np.asarray(xs[i : i + q + 1], float), np.asarray(ys[i : i + q + 1], float))
        rest, _ = _ols_slope(np.asarray(xs[i + q : j + 1], float), np.asarray(ys[i + q : j + 1], float))
        if head < -SLOPE_T * head_se and abs(head) > KNEE_RATIO * abs(rest):
            i += q
        else:
            break
    return i


def _describe(name: str, xs: Any, ys: Any, steps: Any, values: Any, val: Any, i: int, j: int) -> dict[str, Any]:
    import numpy as np

    a, b = int(xs[i]), int(xs[j])
    inside = (steps >= a) & (steps <= b)
    slope, stderr = _ols_slope(steps[inside].astype(float), values[inside])
    level = float(np.median(values[inside]))
    change = slope * (b - a)
    steepest = abs(slope) + SLOPE_T * stderr
    if abs(slope) < SLOPE_T * stderr:  # no trend visible within the noise
        label = "flat" if steepest * b < FLAT_HORIZON_REL * abs(level) else "unclear"
    elif abs(change) < FLAT_REL * level:
        label = "flat"
    else:
        label = "slow decline" if slope < 0 else "slow rise"
    item: dict[str, Any] = {
        "series": name,
        "start_step": a,
        "end_step": b,
        "low": float(ys[i : j + 1].min()),
        "high": float(ys[i : j + 1].max()),
        "slope_per_1k": slope * 1000.0,
        "change": change,
        "label": label,
        "val_low": None,
        "val_high": None,
        "val_slope_per_1k": None,  # set when the evals' fall decided the label (see _falling)
    }
    if val is not None:
        v = val.within(a, b)
        v = v[np.isfinite(v)]
        if len(v):
            item["val_low"], item["val_high"] = float(v.min()), float(v.max())
        if label in ("flat", "unclear") and (val_slope := _falling(val, a, b)) is not None:
            # the evals fell significantly over the stretch: the train loss is noisy here (spikes, batches), the
            # model is still learning; no plateau to call wasted compute
            item["label"], item["val_slope_per_1k"] = "slow decline", val_slope * 1000.0
    return item


def _falling(val: Any, a: int, b: int) -> float | None:
    """The val loss's slope over steps a..b when it falls significantly (beyond SLOPE_T standard errors, and by
    FLAT_REL of its level over the stretch), else None."""
    import numpy as np

    keep = (val.steps >= a) & (val.steps <= b) & np.isfinite(val.values)
    if int(keep.sum()) < PLATEAU_MIN_POINTS // 2:
        return None
    x, y = val.steps[keep].astype(float), val.values[keep]
    slope, stderr = _ols_slope(x, y)
    falls = slope < -SLOPE_T * stderr and -slope * (b - a) >= FLAT_REL * float(np.median(y))
    return slope if falls else None


def _upticks(val: Any) -> list[dict[str, Any]]:
    import numpy as np

    if val is None:
        return []
    v = val.finite()
    steps, values = v.steps, v.values
    out = []
    for k in np.flatnonzero(np.diff(values) > UPTICK_MIN_REL * np.abs(values[:-1])).tolist():
        out.append(
            {
                "step": int(steps[k + 1]),
                "prev_step": int(steps[k]),
                "prev": float(values[k]),
                "value": float(values[k + 1]),
                "delta": float(values[k + 1] - values[k]),
            }
        )
    return out


def _ols_slope(x: Any, y: Any) -> tuple[float, float]:
    """Least-squares slope and its standard error (as scipy.stats.linregress, without its ~0.8 s import)."""
    import numpy as np

    n = len(x)
    dx = x - x.mean()
    sxx = float((dx * dx).sum())
    if n < 3 or sxx == 0:
        return 0.0, float("inf")
    slope = float((dx * (y - y.mean())).sum() / sxx)
    resid = y - y.mean() - slope * dx
    return slope, float(np.sqrt((resid * resid).sum() / (n - 2) / sxx))

"""One spike in full: its recovery, kind and cost, the LR and grad norm around it, any rise before it, and the rows
of its table. The detector (``detector.py``) finds the events; this module turns each into a ``Spike``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..numbers import whole
from .detector import BAND_Z, CONFIRM_POINTS, MIN_SCALE_POINTS, WINDOW_POINTS, Event, Scores

if TYPE_CHECKING:
    import numpy as np

RISE_Z = 3.0  # a rise before the spike must exceed 3 scales ...
RISE_MIN_REL = 0.02  # ... and 2% of the loss to be called a rising trend
RISE_LOOKBACK_WINDOWS = 8  # looked for over the 8 windows (1024 points on a dense log) before the spike
GRAD_RISE_RATIO = 1.5  # grad-norm peak >= 1.5x its median over the window before ...
GRAD_RISE_POINTS = 5  # ... reached over 5 logged points, rising in at least 3 of them, is "climbing into it"
SHORT_POINTS = 3  # back in the band within 3 logged points: a short excursion (a bad batch or two), not a spike
#                  that costs a recovery; the same rule as one-step spikes (info), and one event, not several
PARTIAL_MIN_FRACTION = 0.2  # not recovered, but >= 20% of the jump given back by the end: "partial recovery"
TABLE_BEFORE, TABLE_AFTER = 4, 8  # rows of the spike table around each spike (points of the spike's series)


@dataclass
class Spike:
    step: int
    series: str
    before: float  # pre-spike level: median of the points before the onset
    peak: float  # highest (lowest for a downward outlier) value until recovery
    peak_step: int
    jump: float  # peak - before, signed
    jump_pct: float
    z: float  # robust score at the onset
    kind: str  # single-step | short (back within SHORT_POINTS points) | sustained | divergence
    recovery_steps: int | None  # onset -> back inside the pre-spike band; None when never
    recovery_step: int | None
    recovered_fraction: float  # share of the jump given back by the end of the log (1 when recovered)
    tokens_wasted: int | None
    band_high: float
    band_low: float
    lr: float | None = None
    lr_source: str | None = None  # "train/lr" (logged) or the schedule it was computed from (lossdoc.schedule)
    lr_frac_of_peak: float | None = None
    grad_norm: float | None = None
    grad_norm_before: float | None = None
    grad_norm_rising: bool | None = None
    rising_before: dict[str, Any] | None = None
    shard_boundary: str | None = None
    val_before: float | None = None  # train spikes: the last eval before the onset ...
    val_after: float | None = None  # ... and the first eval at or after it
    val_affected: bool | None = None  # val rose by more than eval noise (VAL_WORSE_Z, VAL_WORSE_REL)
    window: list[dict[str, Any]] = field(default_factory=list)
    recovery_points: int | None = None  # logged points from the onset to the first point back in the band
    end_value: float | None = None  # not recovered: the loss at the end of the log (median of its last points)
    end_step: int | None = None
    recovering: bool | None = None  # not recovered: the log ends with a real share of the jump given back
    lr_peak: float | None = None  # what lr_frac_of_peak is a fraction of ...
    lr_peak_ref: str | None = None  # ... "peak" (planned) or "the highest LR in this log"
    grad_norm_peak: float | None = None  # highest grad norm from the onset to the loss peak
    grad_norm_peak_step: int | None = None
    grad_norm_climb_from: float | None = None  # the grad norm GRAD_RISE_POINTS logged points before its peak
    grad_norm_climb_from_step: int | None = None
    grad_norm_climb: float | None = None  # grad_norm_peak / grad_norm_climb_from
    val_change: str | None = None  # "rose" | "unaffected" | "trend" (rose, but as fast as before the spike)
    val_end: float | None = None  # divergence: the last eval of the log ...
    val_end_step: int | None = None
    val_disagrees: bool | None = None  # ... back within eval noise of the eval before the spike: val disagrees
    val_trend: float | None = None  # "trend": the rise val's own trend before the spike predicts over that gap

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def value_at(series: Any, step: int) -> float | None:
    """The value of a (finite) series at the last step <= step, or None."""
    if series is None or not len(series):
        return None
    import numpy as np

    idx = int(np.searchsorted(series.steps, step, side="right")) - 1
    return float(series.values[idx]) if idx >= 0 else None


TOKEN_RATE_STEPS = 100  # the logged token count is read this many steps either side of a spike for its rate
TOKEN_RATE_AGREE = 0.2  # a logged rate within 20% of the stated tokens per step is that rate, rounded


def tokens_rate(tokens: Any, start: int, end: int) -> float | None:
    """Tokens per step around [start, end] from the logged token count, read TOKEN_RATE_STEPS either side: a count
    printed to 3 digits (modded-nanogpt's tokens_seen:4.25e+08) moves in steps of 1M, so a 1-step recovery read
    off it alone cost 0 or 1M tokens for 524K a step (10M at 1e9 tokens); over 200 steps the rounding is 1-10% of the
    rate, and a batch-size schedule still shows as it was then. None without such a series or where it does not
    grow."""
    if tokens is None or not len(tokens):
        return None
    lo = max(start - TOKEN_RATE_STEPS, int(tokens.steps[0]))
    hi = min(end + TOKEN_RATE_STEPS, int(tokens.steps[-1]))
    t0, t1 = value_at(tokens, lo), value_at(tokens, hi)
    if hi <= lo or t0 is None or t1 is None or t1 <= t0:
        return None
    return (t1 - t0) / (hi - lo)


def tokens_spent(tokens: Any, tokens_per_step: int | None, start: int, end: int) -> int | None:
    """Tokens trained on from step ``start`` to ``end``: at the stated tokens per step (exact), or at the logged
    count's rate where that disagrees by more than its rounding can (a batch-size schedule) or nothing is stated;
    a count either way (the rate's estimate to the nearest token)."""
    rate = tokens_rate(tokens, start, end)
    if tokens_per_step and (rate is None or abs(rate / tokens_per_step - 1) <= TOKEN_RATE_AGREE):
        return (end - start) * tokens_per_step
    return whole((end - start) * rate) if rate is not None else None


@dataclass
class LrContext:
    """The LR of a run as the spike facts need it: the series, and what "of peak" is measured against."""

    series: Any  # a StepSeries (logged, or computed from the stated schedule)
    source: str  # "train/lr" (logged) or the schedule it was computed from (lossdoc.schedule)
    relative: bool  # only multipliers of an unstated peak are known (modded-nanogpt), not the LR itself
    peak: float | None  # the reference the fraction is of ...
    peak_ref: str  # ... "peak" (planned: a stated schedule or the lr_peak fact) or "the highest LR in this log"


def _kind(ev: Event) -> str:
    if ev.direction < 0 or (ev.recovered and ev.end == ev.onset + 1):
        return "single-step"
    if ev.recovered:
        return "short" if ev.end - ev.onset <= SHORT_POINTS else "sustained"
    return "divergence"


def spike_facts(
    name: str,
    ev: Event,
    y: np.ndarray,
    steps: np.ndarray,
    sc: Scores,
    tokens_per_step: int | None,
    lr: LrContext | None,
    grad: Any,
    tokens: Any,
) -> Spike:
    i = ev.onset
    before = float(sc.level[i])
    peak = float(y[ev.peak])
    jump = peak - before
    onset_step = int(steps[i])
    recovery_step = int(steps[ev.end]) if ev.recovered else None
    recovery_steps = recovery_step - onset_step if recovery_step is not None else None
    tokens_wasted = None
    if recovery_step is not None:
        tokens_wasted = tokens_spent(tokens, tokens_per_step, onset_step, recovery_step)
    spike = Spike(
        step=onset_step,
        series=name,
        before=before,
        peak=peak,
        peak_step=int(steps[ev.peak]),
        jump=jump,
        jump_pct=100.0 * jump / before if before else math.nan,
        z=ev.z,
        kind=_kind(ev),
        recovery_steps=recovery_steps,
        recovery_step=recovery_step,
        recovered_fraction=1.0,
        tokens_wasted=tokens_wasted,
        band_high=float(sc.level[i] + BAND_Z * sc.scale[i]),
        band_low=float(sc.level[i] - BAND_Z * sc.scale[i]),
        recovery_points=ev.end - i if ev.recovered else None,
    )
    if not ev.recovered and ev.direction > 0:
        _partial_recovery(spike, y, steps, ev)
    if lr is not None and len(lr.series):
        _lr_facts(spike, lr, onset_step)
    if grad is not None and len(grad):
        _grad_facts(spike, grad, onset_step)
    if ev.direction > 0:
        spike.rising_before = _rising_before(y, steps, sc, i)
    return spike


def _partial_recovery(spike: Spike, y: np.ndarray, steps: np.ndarray, ev: Event) -> None:
    """Not back in the band by the end of the log: how far it came back (the median of the last points, so that
    one noisy last point does not decide it), and whether the loss is still coming down."""
    import numpy as np

    n = len(y)
    tail = y[max(ev.peak + 1, n - CONFIRM_POINTS) :]
    if not len(tail):
        end_value = spike.peak
    elif len(tail) > 1 and (np.diff(tail) < 0).all():
        end_value = float(tail[-1])  # still falling steadily: the last point is where it has got to
    else:
        end_value = float(np.median(tail))
    spike.recovered_fraction = float(min(1.0, max(0.0, (spike.peak - end_value) / spike.jump))) if spike.jump else 0.0
    spike.end_value, spike.end_step = end_value, int(steps[-1])
    # "partial recovery": the log ends with the loss coming back down, a real share of the jump given back
    spike.recovering = bool(spike.recovered_fraction >= PARTIAL_MIN_FRACTION)


def _lr_facts(spike: Spike, lr: LrContext, step: int) -> None:
    value = value_at(lr.series, step)
    if value is None:
        return
    spike.lr_source = lr.source
    spike.lr = None if lr.relative else value
    spike.lr_peak, spike.lr_peak_ref = lr.peak, lr.peak_ref
    if lr.peak:
        spike.lr_frac_of_peak = value / lr.peak


def _grad_facts(spike: Spike, grad: Any, step: int) -> None:
    """Grad norm at the onset, its median over the window before, its highest value up to the loss peak and how
    far it climbed into it (in large-model spikes it rises a thousandfold over the few steps before the peak).

    A grad norm that is 0 everywhere here was not measured (Megatron prints 0.000 when it is not computed)."""
    import numpy as np

    gsteps, values = grad.steps, grad.values
    k = int(np.searchsorted(gsteps, step, side="right"))  # points with step <= onset
    if k == 0:
        return
    k_peak = max(k, int(np.searchsorted(gsteps, spike.peak_step, side="right")))  # points with step <= loss peak
    lo = max(0, k - 1 - WINDOW_POINTS)
    if not (values[lo:k_peak] > 0).any():
        return
    spike.grad_norm = float(values[k - 1])
    # the grad-norm peak: its highest point from the onset to the loss peak (the grad norm logged with a step is
    # that step's gradient, taken at the same weights as its loss)
    g = k - 1 + int(np.argmax(values[k - 1 : k_peak]))
    spike.grad_norm_peak, spike.grad_norm_peak_step = float(values[g]), int(gsteps[g])
    if g >= GRAD_RISE_POINTS and values[g - GRAD_RISE_POINTS] > 0:
        spike.grad_norm_climb_from = float(values[g - GRAD_RISE_POINTS])
        spike.grad_norm_climb_from_step = int(gsteps[g - GRAD_RISE_POINTS])
        spike.grad_norm_climb = spike.grad_norm_peak / spike.grad_norm_climb_from
    earlier = values[lo : max(0, k - 1 - GRAD_RISE_POINTS)]
    if len(earlier) >= MIN_SCALE_POINTS:
        spike.grad_norm_before = float(np.median(earlier))
        last = values[max(0, g - GRAD_RISE_POINTS) : g + 1]  # the points up to the grad-norm peak
        if len(last) >= GRAD_RISE_POINTS and spike.grad_norm_before > 0:
            ups = int((np.diff(last) > 0).sum())
            high = spike.grad_norm_peak >= GRAD_RISE_RATIO * spike.grad_norm_before
            spike.grad_norm_rising = bool(high and ups >= len(last) - 3)


def _rising_before(y: np.ndarray, steps: np.ndarray, sc: Scores, i: int) -> dict[str, Any] | None:
    """A rise of the loss level over the window before the onset (the pre-spike climb of the issue)."""
    import numpy as np

    lo = max(0, i - RISE_LOOKBACK_WINDOWS * sc.window)
    level = sc.level[lo:i]
    ok = ~np.isnan(level)
    if ok.sum() < 2:
        # sparse or early: use the raw points before the onset
        level, ok = y[lo:i], np.ones(i - lo, dtype=bool)
        if len(level) < 2:
            return None
    idx = np.flatnonzero(ok)
    k = idx[int(np.argmin(level[idx]))]
    start, end = float(level[k]), float(sc.level[i])
    rise = end - start
    if k == idx[-1] or rise <= max(RISE_Z * float(sc.scale[i]), RISE_MIN_REL * start):
        return None
    return {
        "from_step": int(steps[lo + k]),
        "to_step": int(steps[i - 1]),
        "from": start,
        "to": end,
        "pct": 100.0 * rise / start,
    }


def window_rows(spike: Spike, arrays: dict[str, tuple[np.ndarray, np.ndarray]]) -> list[dict[str, Any]]:
    """Rows of the spike table: points of the spike's series around it, with the other loss where logged."""
    import numpy as np

    steps, values = arrays[spike.series]
    i = int(np.searchsorted(steps, spike.step))
    keep = set(range(max(0, i - TABLE_BEFORE), min(len(steps), i + TABLE_AFTER)))
    keep.add(int(np.searchsorted(steps, spike.peak_step)))
    if spike.recovery_step is not None:  # the peak and the recovery get a row even when far after the onset
        keep.add(int(np.searchsorted(steps, spike.recovery_step)))
    idx = np.array(sorted(k for k in keep if k < len(steps)), dtype=np.int64)
    chosen = steps[idx]
    columns = {}
    for name in ("train/loss", "val/loss"):
        if name == spike.series:
            columns[name] = values[idx].tolist()
        else:
            columns[name] = _exact(arrays.get(name), chosen)
    deltas = [None] + np.diff(values[idx]).tolist()  # change from the row above, as in a hand-made spike table
    return [
        {"step": step, "train": t, "val": v, "delta": d}
        for step, t, v, d in zip(chosen.tolist(), columns["train/loss"], columns["val/loss"], deltas, strict=True)
    ]


def _exact(arrays: tuple[np.ndarray, np.ndarray] | None, steps: np.ndarray) -> list[float | None]:
    """The values logged at exactly these steps (both sorted), None where a step has no point."""
    import numpy as np

    if arrays is None:
        return [None] * len(steps)
    own_steps, values = arrays
    if not len(own_steps):
        return [None] * len(steps)
    k = np.minimum(np.searchsorted(own_steps, steps), len(own_steps) - 1)
    hit = own_steps[k] == steps
    return [float(values[kk]) if h else None for kk, h in zip(k.tolist(), hit.tolist(), strict=True)]

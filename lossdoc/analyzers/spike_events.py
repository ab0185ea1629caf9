"""One spike in full: its recovery, kind and cost, the LR and grad norm around it, any rise before it, and the rows
of its table. The detector (``detector.py``) finds the events; this module turns each into a ``Spike``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .detector import BAND_Z, CONFIRM_POINTS, MIN_SCALE_POINTS, WINDOW_POINTS, Event, Scores

if TYPE_CHECKING:
    import numpy as np

RISE_Z = 3.0  # a rise before the spike must exceed 3 scales ...
RISE_MIN_REL = 0.02  # ... and 2% of the loss to be called a rising trend
RISE_LOOKBACK_WINDOWS = 8  # looked for over the 8 windows (1024 points on a dense log) before the spike
GRAD_RISE_RATIO = 1.5  # grad norm just before the spike >= 1.5x its earlier median ...
GRAD_RISE_POINTS = 5  # ... over the last 5 logged points, rising in at least 4 of them, is "climbing"
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
    kind: str  # single-step | sustained | divergence
    recovery_steps: int | None  # onset -> back inside the pre-spike band; None when never
    recovery_step: int | None
    recovered_fraction: float  # share of the jump given back by the end of the log (1 when recovered)
    tokens_wasted: float | None
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
    val_before: float | None = None  # train spikes: last eval at or before the onset ...
    val_after: float | None = None  # ... and the first eval after it
    val_affected: bool | None = None  # val rose by more than eval noise (VAL_WORSE_Z, VAL_WORSE_REL)
    window: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def value_at(series: Any, step: int) -> float | None:
    """The value of a (finite) series at the last step <= step, or None."""
    if series is None or not len(series):
        return None
    import numpy as np

    idx = int(np.searchsorted(series.index.to_numpy(), step, side="right")) - 1
    return float(series.iloc[idx]) if idx >= 0 else None


def spike_facts(
    name: str,
    ev: Event,
    y: np.ndarray,
    steps: np.ndarray,
    sc: Scores,
    tokens_per_step: float | None,
    lr: Any,
    grad: Any,
    tokens: Any,
) -> Spike:
    import numpy as np

    n = len(y)
    i = ev.onset
    before = float(sc.level[i])
    peak = float(y[ev.peak])
    jump = peak - before
    onset_step = int(steps[i])
    recovery_step = int(steps[ev.end]) if ev.recovered else None
    recovery_steps = recovery_step - onset_step if recovery_step is not None else None
    if ev.direction < 0:
        kind = "single-step"
    elif ev.recovered and ev.end == i + 1:
        kind = "single-step"
    elif ev.recovered:
        kind = "sustained"
    else:
        kind = "divergence"
    if ev.recovered:
        recovered_fraction = 1.0
    else:  # how much of the jump the end of the log has given back (median of the last points)
        tail = float(np.median(y[max(ev.peak + 1, n - CONFIRM_POINTS) :])) if ev.peak + 1 < n else peak
        recovered_fraction = float(min(1.0, max(0.0, (peak - tail) / jump))) if jump else 0.0
    tokens_wasted = None
    if recovery_steps is not None:
        t0, t1 = value_at(tokens, onset_step), value_at(tokens, recovery_step)
        if t0 is not None and t1 is not None and t1 > t0:
            tokens_wasted = t1 - t0
        elif tokens_per_step:
            tokens_wasted = recovery_steps * tokens_per_step
    spike = Spike(
        step=onset_step,
        series=name,
        before=before,
        peak=peak,
        peak_step=int(steps[ev.peak]),
        jump=jump,
        jump_pct=100.0 * jump / before if before else math.nan,
        z=ev.z,
        kind=kind,
        recovery_steps=recovery_steps,
        recovery_step=recovery_step,
        recovered_fraction=recovered_fraction,
        tokens_wasted=tokens_wasted,
        band_high=float(sc.level[i] + BAND_Z * sc.scale[i]),
        band_low=float(sc.level[i] - BAND_Z * sc.scale[i]),
    )
    if lr is not None and len(lr):
        spike.lr = value_at(lr, onset_step)
        peak_lr = float(lr.max())
        if spike.lr is not None and peak_lr > 0:
            spike.lr_frac_of_peak = spike.lr / peak_lr
    if grad is not None and len(grad):
        _grad_facts(spike, grad, onset_step)
    if ev.direction > 0:
        spike.rising_before = _rising_before(y, steps, sc, i)
    return spike


def _grad_facts(spike: Spike, grad: Any, step: int) -> None:
    """Grad norm at the spike, its median over the window before, and whether it climbed into the spike."""
    import numpy as np

    gsteps = grad.index.to_numpy()
    k = int(np.searchsorted(gsteps, step, side="right"))  # points with step <= onset
    if k == 0:
        return
    values = grad.to_numpy(dtype=float)
    spike.grad_norm = float(values[k - 1])
    earlier = values[max(0, k - 1 - WINDOW_POINTS) : max(0, k - 1 - GRAD_RISE_POINTS)]
    last = values[max(0, k - 1 - GRAD_RISE_POINTS) : k - 1]  # the points just before the onset
    if len(earlier) >= MIN_SCALE_POINTS:
        spike.grad_norm_before = float(np.median(earlier))
        if len(last) >= GRAD_RISE_POINTS - 1 and spike.grad_norm_before > 0:
            ups = int((np.diff(last) > 0).sum())
            spike.grad_norm_rising = bool(last[-1] >= GRAD_RISE_RATIO * spike.grad_norm_before and ups >= len(last) - 2)


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

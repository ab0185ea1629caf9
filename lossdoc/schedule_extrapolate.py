"""The rest of a schedule from the LR logged so far, when the log states no schedule (lossdoc.schedule_for).

llm.c's main.log, Hugging Face, Lightning and W&B exports log the LR of every step but not the schedule behind
it. A logged LR that is already decaying shows its shape: the common ones are a cosine and a linear decay after
a warmup or after a stable phase at the peak (WSD's warmdown), each to a floor (nanoGPT and build-nanogpt decay
to min_lr = 10% of the peak, llm.c to final_learning_rate_frac = 0 by default, transformers' linear and cosine
schedules to 0). For each shape and floor the step where the decay ends is fitted to the logged points; the best
is kept when it reproduces them to within FIT_TOL of the peak, and the LR after the log follows it, held at the
floor once the decay ends. A decay that ends before the step asked for while the log is still inside it is not
extended past its end: the first cycle of a cyclic or SGDR schedule looks like a whole cosine, and what follows a
decay (the floor held, a restart, the end of the run) is not in the log.

A logged LR still at its peak tells nothing of what comes: no schedule is made (the projection then says the LR
is unknown and allows for a decay).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

FIT_TOL = 0.005  # the fitted shape reproduces the logged LR within 0.5% of the peak (RMS), as printed LRs do
MIN_DECAY = 0.03  # the logged LR must have fallen 3% below its peak: a shape shows only once it decays
MIN_DECAY_POINTS = 5  # logged points after the peak
# the floors trainers default to, as a fraction of the peak; a linear decay shows only its slope, not where it
# stops, so it is taken to 0 (transformers' get_linear_schedule_with_warmup, Megatron's min_lr default)
FLOORS = {"cosine": (0.0, 0.1), "linear": (0.0,)}
FIT_POINTS = 500  # the shape is fitted on at most this many of the logged points after the peak
MAX_REACH = 50.0  # the decay end is looked for up to 50x the logged span after the peak
END_TOL = 0.02  # a decay fitted to end within 2% of a step ends there (the fitted ends are within 0.5%)


def shape(kind: str, t: np.ndarray, warm_end: float, end: float, floor: float) -> np.ndarray:
    """LR / peak after the warmup: ``cosine`` (nanoGPT get_lr) or ``linear``, from 1 at warm_end to floor at end."""
    import numpy as np

    x = np.clip((t - warm_end) / max(end - warm_end, 1e-9), 0.0, 1.0)
    if kind == "cosine":
        return floor + (1.0 - floor) * 0.5 * (1.0 + np.cos(np.pi * x))
    return 1.0 - (1.0 - floor) * x


def _best_end(kind: str, t: np.ndarray, y: np.ndarray, warm_end: float, floor: float) -> tuple[float, float]:
    """(decay end, RMS error) of the shape fitted to the points: a geometric grid, then a finer one around its best."""
    import numpy as np

    last = float(t[-1])
    lo, hi = last + 1.0, warm_end + MAX_REACH * max(last - warm_end, 1.0)
    best_end, best_err = lo, np.inf
    for _ in range(3):
        grid = np.geomspace(lo, hi, 200)
        errs = [float(np.sqrt(np.mean((shape(kind, t, warm_end, e, floor) - y) ** 2))) for e in grid]
        i = int(np.argmin(errs))
        best_end, best_err = float(grid[i]), errs[i]
        lo, hi = float(grid[max(i - 1, 0)]), float(grid[min(i + 1, len(grid) - 1)])
    return best_end, best_err


def fit_logged(steps: np.ndarray, lr: np.ndarray) -> dict | None:
    """{"kind", "floor", "end", "warm_end", "peak", "rms"} of the shape the logged LR follows, or None."""
    import numpy as np

    ok = np.isfinite(lr) & (steps >= 0)
    steps, lr = steps[ok].astype(float), lr[ok].astype(float)
    if len(lr) < MIN_DECAY_POINTS or lr.max() <= 0:
        return None
    peak = float(lr.max())
    y = lr / peak
    top = int(np.argmax(y >= 1.0 - 1e-9))
    t, y = steps[top:], y[top:]
    if len(t) < MIN_DECAY_POINTS or float(y[-1]) > 1.0 - MIN_DECAY or np.any(np.diff(y) > 1e-6):
        return None  # still at its peak, or rising again (a cyclic schedule): no shape to follow
    # the decay starts at the peak (warmup + cosine) or after a stable phase at it (WSD: its last point at the peak);
    # either shape is judged on every point after the peak (it is 1 before its start)
    starts = {float(t[0]), float(t[np.flatnonzero(y >= 1.0 - 1e-9)[-1]])}
    if len(t) > FIT_POINTS:  # a 1M-step log: the shape shows as well on evenly spaced points, at a fraction of the cost
        pick = np.unique(np.linspace(0, len(t) - 1, FIT_POINTS).astype(int))
        t, y = t[pick], y[pick]
    fits = []
    for warm_end in sorted(starts):
        for kind, floors in FLOORS.items():
            for floor in floors:
                if floor > float(y[-1]) + FIT_TOL:
                    continue
                end, err = _best_end(kind, t, y, warm_end, floor)
                fits.append((err, kind, floor, end, warm_end))
    if not fits:
        return None
    err, kind, floor, end, warm_end = min(fits)
    if err > FIT_TOL:
        return None
    return {"kind": kind, "floor": floor, "end": int(round(end)), "warm_end": int(warm_end), "peak": peak,
            "rms": err}


def extend_logged(steps: np.ndarray, lr: np.ndarray, length: int) -> tuple[np.ndarray | None, dict | None, str]:
    """(the LR of steps 0..length-1, the fit, "") -- the logged LR (interpolated) up to its last step, the fitted
    shape after -- or (None, fit or None, why not). A decay that the shape says ends well before ``length``
    while the log is still inside it is not extended past its end: what a schedule does after its decay (holds
    the floor, restarts as SGDR and cyclic schedules do, or the run stops) is not in the log."""
    import numpy as np

    fit = fit_logged(steps, lr)
    if fit is None:
        return None, None, ""
    ok = np.isfinite(lr) & (steps >= 0)
    s, v = steps[ok].astype(float), lr[ok].astype(float)
    at_end = s[-1] >= fit["end"] * (1 - END_TOL)  # the log reached the decay's end: the floor it holds is seen
    if fit["end"] < (length - 1) * (1 - END_TOL) and not at_end:
        return None, fit, (
            f"the logged LR follows a {fit['kind']} decay that ends at step {fit['end']:,}, before step "
            f"{length - 1:,}, and what the LR does after its decay is not in the log"
        )
    grid = np.arange(length, dtype=float)
    out = np.interp(grid, s, v)
    after = grid > s[-1]
    out[after] = fit["peak"] * shape(fit["kind"], grid[after], fit["warm_end"], fit["end"], fit["floor"])
    return out, fit, ""


def describe(fit: dict) -> str:
    """'train/lr extended as a cosine decay to 0% of its peak at step 19,564 (the shape the logged LR follows)'."""
    return (
        f"train/lr extended as a {fit['kind']} decay to {fit['floor']:.0%} of its peak at step {fit['end']:,} "
        "(the shape the logged LR follows)"
    )

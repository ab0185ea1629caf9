"""Where a fitted loss curve (lossdoc/curvefit.py) says the loss will be at a step, and how sure it is: the
``projection`` document of `lossdoc phases --project STEP`, its path for the charts, and the step a target is
reached.

Interval (a prediction interval for the value an eval will show at that step): the parameter covariance of
the least-squares fit including the prior (delta method), the scatter of points around the fit, and a
hold-out check (refit on the first HOLDOUT_FRAC of the window, error at the window's end, scaled by how much
further the projection reaches), times a calibration factor per side (below and above the projection), situation
and reach (lossdoc/calibration.py): split-conformal factors set by benchmarks/projection.py on backtests, each side
missing the truth in 10% of them, so that the nominal PROJECTION_COVERAGE holds.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from . import curvefit
from .curvefit import HOLDOUT_FRAC, Fit, bin_window, fit_curve, holdout_error
from .errors import InputError
from .schedule import Schedule

if TYPE_CHECKING:
    import numpy as np

PROJECTION_COVERAGE = 0.8  # nominal coverage of [low, high]
Z_80 = 1.2816  # two-sided 80% normal quantile
# The interval's width on each side is Z_80 x the combined standard error x a calibration factor for that side, per
# situation (what the schedule says lies between the last step and the projection) and reach (how far past the log
# it projects): split-conformal factors (lossdoc/calibration.py, written by `python benchmarks/projection.py
# --calibrate`), each side holding the truth in 90% of the backtests, so that the interval holds 80%.
FLAT_SHARE = 0.05  # less than 5% of a full decay between the last step and the projection: no decay ahead
REACH_EDGES = (0.5, 1.5)  # remaining steps / steps seen: a 75% prefix reaches 0.33, 50% 1, 25% 3
BACKTEST_REACH = 3.0  # the farthest the backtests reach (a 25% prefix: 3x the way seen): past it, no calibration
REL_SD = 0.08  # sd of the further drop from the form's own error, as a share of it (benchmarks/projection.py)
REL_LOOSE = 1.0  # a fit that is not determined: its predicted further drop is uncertain by all of itself
PATH_POINTS = 41  # points of the projected curve the charts draw
MIN_LOSS_FRAC = 0.05  # the lowest projection allowed: 5% of the loss now (a cross-entropy loss is positive)


def share_at(fit: Fit, step: float) -> float:
    """D(step): the share of a full decay the loss has felt by then (0 without a schedule)."""
    import numpy as np

    if fit.features is None:
        return 0.0
    return float(fit.features(np.array([float(step)]))[1][0])


def lr_at(fit: Fit, step: float) -> float:
    """The LR at a step, as a share of its peak (1 without a schedule): the step's own LR area."""
    if fit.features is None:
        return 1.0
    step = max(int(step), 1)
    return along(fit, step) - along(fit, step - 1)


def situation(fit: Fit, last: float, step: int) -> str:
    """What lies between the last step and the projection: ``no_schedule``; ``flat`` (no more of a decay's drop to
    come); ``decay_ahead`` (more to come, of a decay ahead or of one just made and not yet felt in full, whose drop
    the data cannot measure: the prior decides, as before a WSD warmdown or early in a cosine); ``decaying`` (more
    to come, of a decay whose drop the fit has measured on the part already seen)."""
    if fit.features is None:
        return "no_schedule"
    if share_at(fit, step) - share_at(fit, last) < FLAT_SHARE:
        return "flat"
    return "decay_ahead" if fit.prior and fit.prior["prior_dominated"] else "decaying"


def along(fit: Fit, step: float) -> float:
    """Where a step lies on the axis the fit extrapolates along: the LR area S1 when the schedule is known (steps at
    LR 0 move nothing: projecting past a finished decay is no extrapolation), else the step itself."""
    import numpy as np

    if fit.features is None:
        return float(step)
    return float(fit.features(np.array([max(float(step), 0.0)]))[0][0])


def reach_ratio(fit: Fit, last: float, step: int, first: float = 0.0) -> float:
    """How far the projection reaches past the log: the way ahead over the way seen (LR area when the schedule is
    known, else steps), seen from the series' first point: an excerpt of steps 29,020-29,090 projected to 100,000
    reaches 1,013x, not 2.4x."""
    return max(along(fit, step) - along(fit, last), 0.0) / max(along(fit, last) - along(fit, first), 1.0)


def reach(fit: Fit, last: float, step: int, first: float = 0.0) -> str:
    """The reach_ratio as a calibration cell: near, mid or far."""
    ratio = reach_ratio(fit, last, step, first)
    return "near" if ratio <= REACH_EDGES[0] else "mid" if ratio <= REACH_EDGES[1] else "far"


def standard_error(fit: Fit, s: np.ndarray, v: np.ndarray, schedule: Schedule | None, step: int) -> float:
    """The combined sd of the projected loss before calibration: parameters, hold-out, scatter, form."""
    import numpy as np

    last = float(s[-1])
    loss = float(fit.predict(np.array([step]))[0])
    at_last = float(fit.predict(np.array([last]))[0])
    se = float(fit.stderr(np.array([step]))[0])
    hold = holdout_error(s, v, schedule)
    held_out = along(fit, last) - along(fit, s[0] + HOLDOUT_FRAC * (last - s[0]))  # the hold-out's own reach
    ahead = max(1.0, (along(fit, step) - along(fit, last)) / max(held_out, 1.0))
    model_term = 0.0 if math.isnan(hold) else hold * math.sqrt(ahead)
    # the form is an approximation: its extrapolated further drop is uncertain by a share of itself
    return math.sqrt(se**2 + model_term**2 + fit.scatter**2 + (REL_SD * (at_last - loss)) ** 2)


def interval(
    fit: Fit, s: np.ndarray, v: np.ndarray, schedule: Schedule | None, step: int, determined: bool = True,
    first: float = 0.0,
) -> tuple[float, float, float, dict[str, Any]]:
    """(projected loss, the PROJECTION_COVERAGE interval's width below it and above it, how they were made).

    Each side has its own factor (lossdoc/calibration.py): the interval is not symmetric where the errors are not
    (the power law's low end also allows for a decay no schedule tells of; its high end only for the fit's own
    error), and one factor for both sides would be set by the side that misses more."""
    import numpy as np

    from .calibration import CALIBRATION, DEFAULT_FACTOR

    last = float(s[-1])
    loss = float(fit.predict(np.array([step]))[0])
    at_last = float(fit.predict(np.array([last]))[0])
    sd = standard_error(fit, s, v, schedule, step)
    cell = (situation(fit, last, step), reach(fit, last, step, first))
    down, up = CALIBRATION.get(cell, DEFAULT_FACTOR)
    below, above = down * Z_80 * sd, up * Z_80 * sd
    loose = REL_LOOSE * abs(at_last - loss)
    widened = not determined and loose > min(below, above)
    if widened:  # a fit the data do not determine: its further drop is uncertain by all of itself
        below, above = max(below, loose), max(above, loose)
    ratio = reach_ratio(fit, last, step, first)
    return loss, below, above, {"sd": sd, "situation": cell[0], "reach": cell[1], "factor_below": down,
                                "factor_above": up, "widened": widened, "reach_ratio": ratio}


def project(
    steps: np.ndarray,
    values: np.ndarray,
    fit_start: int,
    project_step: int | None,
    schedule: Schedule | None,
) -> tuple[dict[str, Any], dict[str, Any] | None, Fit]:
    """The ``fit`` and ``projection`` documents of the JSON contract (without time and cost), and the Fit."""
    import numpy as np

    s, v = bin_window(steps, values, fit_start)
    if len(s) < 5:
        raise InputError(f"only {len(s)} point(s) after step {fit_start:,}: too few to fit a loss curve")
    fit = fit_curve(s, v, schedule)
    warmup_end = int(np.argmax(schedule.lr)) if schedule is not None else None
    # a window that starts inside the LR warmup (an early log, too few points past it): the law describes the
    # curve after it, and such fits missed the end of GPT-2 runs cut at 10% by 0.3 nats with 80% intervals of ±0.2
    in_warmup = warmup_end is not None and float(s[0]) < warmup_end
    determined = not fit.at_bounds and not in_warmup
    fit_doc: dict[str, Any] = {
        "form": fit.form,
        "params": fit.params,
        "rmse": fit.rmse,
        "points": fit.points,
        "window": list(fit.window),
        "lr_source": schedule.source if schedule else None,
        "at_bounds": fit.at_bounds,
        "warmup_end": warmup_end if in_warmup else None,  # the window starts before the LR's peak at this step
        "determined": determined,
        "prior": fit.prior,
    }
    if project_step is None:
        return fit_doc, None, fit
    current = float(v[-1])  # the loss now: the last eval, or the median of the last bin of a binned series
    loss, below, above, calibration = interval(fit, s, v, schedule, project_step, determined, float(steps[0]))
    at_last = float(fit.predict(np.array([float(s[-1])]))[0])
    if project_step > s[-1] and abs(at_last - loss) < 1e-9 * max(abs(at_last), 1.0):
        # no LR area ahead (the LR is 0 from the last step on): the curve does not move, so the loss stays where it is
        # now, not at the fit's value there (a loose fit of a modded-nanogpt record sat 0.017 above its last eval)
        loss = at_last = current
    floor = MIN_LOSS_FRAC * current
    at_floor = loss < floor  # the fitted curve runs below the lowest projection allowed: held there, no forecast
    loss = max(loss, floor)
    # the laws fitted fall with LR area: training on does not take the loss back above where the fit window began
    # (a re-warmup ahead may lift the projection itself, which is then the ceiling). Far ahead the sd alone put the
    # high end of an llm.c run at 3.7 nats at 2,233 nats (--project 1e12)
    ceiling = max(float(np.max(v)), loss)
    low, high = max(loss - below, floor), min(loss + above, ceiling)
    unknown_decay = 0.0
    if fit.form == "power_law" and project_step > s[-1]:
        # no schedule known: the power law assumes the LR stays as it is; a run that decays it by then ends
        # lower by up to the drop of a full decay (the prior), so the low end allows for it
        unknown_decay = curvefit.ANNEAL_PRIOR_RHO * current  # read now: the benchmark sets it
        low = max(low - unknown_decay, floor)
    slope = float(np.diff(fit.predict(np.array([project_step - 500.0, project_step + 0.0])))[0]) / 500.0
    projection = {
        "step": int(project_step),
        "loss": loss,
        "low": min(low, loss),
        "high": max(high, loss),
        "coverage": PROJECTION_COVERAGE,
        "remaining": at_last - loss,  # the further drop the fit predicts from the last step to the projection
        "remaining_low": at_last - max(high, loss),
        "remaining_high": at_last - min(low, loss),
        "per_1k_steps_at_end": -slope * 1000.0,  # drop per 1K steps the curve still gives at the projection
        "current": current,
        "fitted_now": at_last,  # the fitted curve at the last point: where the remaining drops are measured from
        "determined": determined and not at_floor,
        "at_floor": at_floor,  # the fit fell below MIN_LOSS_FRAC of the loss now: the projection is that floor
        # the prior matters only where the schedule has a decay by the projection (a constant LR has D = 0 throughout)
        "prior_used": bool(fit.prior and fit.prior["prior_dominated"] and share_at(fit, project_step) >= FLAT_SHARE),
        "unknown_decay": unknown_decay,  # how far the low end was lowered for a decay no schedule tells of
        "calibration": calibration,  # the sd before calibration, the cell of lossdoc/calibration.py, its factor
        # within the reach of the backtests that calibrated the interval: only then is it an 80% interval
        "calibrated": calibration["reach_ratio"] <= BACKTEST_REACH,
    }
    projection["path"] = projection_path(fit, float(s[-1]), projection)
    return fit_doc, projection, fit


def interval_label(pr: dict[str, Any]) -> str:
    """"80% interval", or "uncalibrated interval" past the reach of the backtests that set it (BACKTEST_REACH)."""
    if pr.get("calibrated", True):
        return f"{pr['coverage']:.0%} interval"
    return "uncalibrated interval"


def projection_path(fit: Fit, last: float, pr: dict[str, Any]) -> list[list[float]] | None:
    """[[step, loss, low, high], ...] from the last step to the projection, PATH_POINTS of them, for the charts:
    the fitted curve, moved so it starts at the loss now and ends at the projection (the offset fades along the
    way), and the interval opening as the projection goes along the LR area (steps at LR 0 open nothing). A WSD
    run cut before its warmdown draws the drop where the warmdown is, not a straight line to the end."""
    import numpy as np

    step = pr["step"]
    if step <= last:
        return None
    at = np.unique(np.linspace(last, step, PATH_POINTS).round())
    way = np.array([along(fit, x) for x in at]) - along(fit, last)
    total = float(way[-1])
    share = way / total if total > 0 else np.linspace(0.0, 1.0, len(at))
    offset = pr["current"] - float(fit.predict(np.array([last]))[0])
    end_offset = pr["loss"] - float(fit.predict(np.array([float(step)]))[0])  # the floor clamp, if any
    loss = fit.predict(at) + offset * (1 - share) + end_offset * share
    up, down = pr["high"] - pr["loss"], pr["loss"] - pr["low"]
    return [[int(x), round(float(v), 6), round(float(v - down * w), 6), round(float(v + up * w), 6)]
            for x, v, w in zip(at.tolist(), loss.tolist(), share.tolist(), strict=True)]


def step_reaching(fit: Fit, target: float, after: int, limit: int) -> float | None:
    """First step in (after, limit] where the fitted curve is at or below ``target`` (None if it never is)."""
    import numpy as np

    if limit <= after:
        return None
    grid = np.unique(np.geomspace(max(after, 1), limit, 2000).astype(int))
    pred = fit.predict(grid)
    hit = np.flatnonzero(pred <= target)
    if not len(hit):
        return None
    i = int(hit[0])
    if i == 0:
        return float(grid[0])
    s0, s1, v0, v1 = float(grid[i - 1]), float(grid[i]), float(pred[i - 1]), float(pred[i])
    return s0 + (s1 - s0) * (v0 - target) / (v0 - v1) if v0 != v1 else s1

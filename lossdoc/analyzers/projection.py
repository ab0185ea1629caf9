"""The fit and projection of a loss series (``phases --project``, or a target not reached yet).

The curve laws themselves are in lossdoc.curvefit; this module chooses the fit window, the LR schedule and the
horizon, and writes the fit, the projection and their notes into a PhasesResult.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InputError
from ..run import Run

if TYPE_CHECKING:
    import numpy as np

    from .phases import PhasesResult

MIN_FIT_POINTS = 10  # points the fit window should keep past the knee and warmup ...
MIN_FIT_HARD_POINTS = 6  # ... and must keep past the first phase (else the whole series is fitted)
MIN_FIT_SPAN_FRAC = 0.2  # ... and it must cover at least the last 20% of the log
FEW_FIT_POINTS = 12  # fewer points than this in the window: say the fit is loose
PROJECT_TARGET_REACH = 100  # without a schedule, look for a target crossing up to 100x the last step


def fit_start_step(result: PhasesResult, steps: np.ndarray, lr_peak_step: int | None) -> int:
    """Where the fit window starts: past the initial drop (the knee) and past LR warmup, keeping enough points.

    Loss-curve laws describe the slow part of the curve; the explosive start and warmup fit none of them.
    """
    import numpy as np

    last = int(steps[-1])
    first_phase_end = result.phases[0].end_step if len(result.phases) > 1 else int(steps[0])
    start = max(first_phase_end, result.knee_step or 0, lr_peak_step or 0)
    if start >= last * (1 - MIN_FIT_SPAN_FRAC) or int(np.sum(steps >= start)) < MIN_FIT_POINTS:
        start = first_phase_end  # a short log: keep everything but the initial drop
    if int(np.sum(steps >= start)) < MIN_FIT_HARD_POINTS:
        start = int(steps[0])
    return start


def fit_and_project(
    result: PhasesResult,
    run: Run,
    steps: np.ndarray,
    values: np.ndarray,
    project: int | None,
    schedule_spec: str | None,
    price_per_hour: float | None,
) -> None:
    import numpy as np

    from .. import curvefit
    from ..schedule import schedule_for

    last = int(steps[-1])
    if project is not None and project <= 0:
        raise InputError(f"--project must be a positive step (got {project})")
    planned = run.meta.get("max_steps") or (run.meta.get("config") or {}).get("max_iters")
    horizon = max(project or 0, last, int(planned or 0))
    sched, why = schedule_for(run, horizon + 1, schedule_spec)
    if sched is not None and project is None and horizon <= last:
        # a target to place beyond the log, and no LR known past its last step: a power law can still say
        sched, why = None, f"the LR is known only up to the last step, {last:,}"
    if sched is None:
        result.notes.append(f"fit without the LR schedule ({why}); --schedule gives it")
    peak = int(np.argmax(sched.lr[: last + 1])) if sched is not None else None
    start = fit_start_step(result, steps, peak)
    step_ms = None
    if run.has("train/step_time_ms"):
        times = run.series("train/step_time_ms").to_numpy(dtype=float)
        times = times[np.isfinite(times) & (times > 0)]
        step_ms = float(np.median(times)) if len(times) else None
    fit_doc, projection, fit = curvefit.project(steps, values, start, project, sched, step_ms, price_per_hour)
    if fit.form == "power_law":
        fit_doc["caveat"] = (
            "a power law in steps ignores LR decay: it over-predicts the final loss of cosine/warmdown runs"
        )
    result.fit = fit_doc
    result.projection = projection
    if fit.points < FEW_FIT_POINTS:
        result.notes.append(
            f"only {fit.points} points in the fit window (steps {fit.window[0]:,}-{fit.window[1]:,}): "
            "the fit is loose and its interval wide"
        )
    if projection is not None and planned and project is not None and project > int(planned) and sched is not None:
        result.notes.append(
            f"the run's schedule ends at step {int(planned):,} (LR stays at its final value after it); "
            "to project a longer run give its --schedule"
        )
    if projection is not None and project is not None and project < last:
        result.notes.append(
            f"--project {project:,} is inside the log (last step {last:,}): a fit check, not a forecast"
        )
    if result.target is not None and not result.target.reached:
        limit = horizon if sched is not None else last * PROJECT_TARGET_REACH
        hit = curvefit.step_reaching(fit, result.target.loss, last, int(limit))
        result.target.projected_step = hit
        if hit is None:
            floor = fit.params["L0"]
            result.target.message += f"; the fitted curve does not reach it by step {int(limit):,}" + (
                f" (its floor L0 = {floor:.4f})" if floor > result.target.loss else ""
            )
        else:
            result.target.message += f"; projected at step {hit:,.0f} ({fit.form} fit)"

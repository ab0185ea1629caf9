"""The fit and projection of a loss series (``phases --project``, or a target not reached yet).

The curve laws are in lossdoc.curvefit, the projection and its interval in lossdoc.forecast; this module chooses
the fit window, the LR schedule and the horizon, measures the step time, prices the rest of the run, and writes
the fit, the projection and their notes into a PhasesResult.

What the schedule can buy: after the planned end of the schedule the LR stays at its final value (the
schedules of lossdoc.schedule hold it), and a log whose LR has already reached its floor is held there, so a
projection past either point shows only what training on at that LR gives (with a decayed LR, almost nothing),
never the drop of a fresh decay (issue 8: a power law promised one after the LR had reached 0).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..facts import run_facts
from ..run import Run
from .segment import RISING_LABEL

if TYPE_CHECKING:
    import numpy as np

    from ..schedule import Schedule
    from .phases import PhasesResult

# points the fit window should keep past the knee and warmup ... (10 before: the GPT-2 cosines cut at 15%, 8-9 val
# points past their 700-step warmup, were fitted from step 250 inside it and projected 0.2 nats low; corpus runs
# cut at 15%: MAE 0.144 with 10, 0.076 with 8; at 20% 0.026 / 0.028; the 25-75% backtests unchanged)
MIN_FIT_POINTS = 8
MIN_FIT_HARD_POINTS = 6  # ... and must keep past the first phase (else the whole series is fitted)
MIN_FIT_SPAN_FRAC = 0.2  # ... and it must cover at least the last 20% of the log
# analyze projects to the planned end only from this many points of the series: the fewest a backtest of
# benchmarks/projection.py fits (MIN_PREFIX_EVALS there is this constant), where its intervals were calibrated
MIN_PROJECT_POINTS = 8
FEW_FIT_POINTS = 12  # fewer points than this in the window: say the fit is loose
PROJECT_TARGET_REACH = 100  # without a schedule, look for a target crossing up to 100x the last step
LR_FLOOR_FRAC = 0.1  # a last logged LR at or below 10% of its peak has reached its floor (nanoGPT min_lr = 10%)
STEP_TIME_SKIP_FRAC = 0.01  # the first 1% of step times (compile, warm caches) are not the run's pace
# a log within 1% of its planned last step has finished: build-nanogpt's last step is max_steps - 1, nanoGPT's
# max_iters, llm.c's num_iterations; projecting the last few steps of a finished run tells nothing
FINISHED_FRAC = 0.01
MOVED_LOG = 0.1  # the data moved the decay's drop off the prior's (given α) by more than 10%: the note gives both
STEP_TIME_OUTLIER = 5.0  # step times above 5x the median (checkpoint saves, stalls) are left out of the mean


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


def step_time_ms(run: Run) -> float | None:
    """Mean training step time (ms), without eval steps (the step of an eval and the one after it carry its
    cost in nanoGPT and llm.c logs), the first 1% and stalls over 5x the median."""
    import numpy as np

    if not run.has("train/step_time_ms"):
        return None
    steps, times = run.arrays("train/step_time_ms")
    ok = np.isfinite(times) & (times > 0)
    if run.has("val/loss"):
        evals = run.arrays("val/loss")[0]
        ok &= ~np.isin(steps, evals) & ~np.isin(steps - 1, evals)
    steps, times = steps[ok], times[ok]
    times = times[int(len(times) * STEP_TIME_SKIP_FRAC) :]
    if not len(times):
        return None
    times = times[times <= STEP_TIME_OUTLIER * float(np.median(times))]
    return float(np.mean(times))


def held_logged_lr(run: Run, length: int) -> Schedule | None:
    """The logged LR held at its last value up to ``length``, when it has reached its floor; else None."""
    import numpy as np

    from ..schedule import Schedule

    if not run.has("train/lr"):
        return None
    steps, lr = run.arrays("train/lr")
    ok = np.isfinite(lr) & (steps >= 0)
    steps, lr = steps[ok], lr[ok]
    # a printed 10% floor can round a hair above 0.1 x the printed peak
    if len(lr) < 2 or float(lr.max()) <= 0 or lr[-1] > LR_FLOOR_FRAC * float(lr.max()) * (1 + 1e-6):
        return None
    grid = np.interp(np.arange(length), steps.astype(float), lr)  # np.interp holds the last value
    return Schedule(grid, f"logged train/lr, held at its last value after step {int(steps[-1]):,}")


def floor_note(sched: Schedule, last: int, horizon: int) -> str | None:
    """When the LR sits at its floor from the last step to the horizon (a cosine run past its decay, a logged LR
    held at 0): the projection shows training on at that LR, and says so."""
    import numpy as np

    lr = sched.lr
    peak = float(np.max(lr[: last + 1])) if last + 1 <= len(lr) else float(np.max(lr))
    ahead = lr[min(last, len(lr) - 1) : horizon + 1]
    if peak <= 0 or horizon <= last or not len(ahead):
        return None
    at_last = float(ahead[0])
    if at_last > LR_FLOOR_FRAC * peak * (1 + 1e-6) or float(np.ptp(ahead)) > 0.01 * peak:
        return None
    return (
        f"the LR reached its floor ({at_last / peak:.0%} of its peak) by step {last:,} and stays there: the "
        "projection shows what training on at that LR gives, not the drop of a fresh decay"
    )


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

    from .. import curvefit, forecast
    from ..schedule import MAX_SCHEDULE_STEPS, TOO_LONG, schedule_for

    last = int(steps[-1])
    if project is not None and project <= 0:
        raise InputError(f"--project must be a positive step (got {project})")
    lowest = float(np.min(values))
    if lowest < 0:
        # both laws fall to a floor >= 0 (a cross-entropy is not negative): fitted to a series below 0 the power law's
        # floor and amplitude ran to 0 and it "projected" 0.0000, with a note about an LR at 0. (A loss printed as
        # 0.0000 is a small loss rounded: fitted, its floor runs to its bound of 0, and the projection says so.)
        result.notes.append(f"no fit and no projection: {result.series} reaches {lowest:.4g}, below 0, and the laws "
                            "lossdoc fits describe a loss that is not negative (a cross-entropy)")
        return  # (a target, > 0, was reached where the series crossed it)
    planned = planned_steps(run)
    horizon = max(project or 0, last, int(planned or 0))
    # the LR array stops at MAX_SCHEDULE_STEPS; a projection past it holds the LR there (lr_features.features)
    length = min(horizon, max(last, int(planned or 0), MAX_SCHEDULE_STEPS)) + 1
    sched, why = schedule_for(run, length, schedule_spec)
    if sched is None and length <= MAX_SCHEDULE_STEPS + 1:
        held = held_logged_lr(run, length)
        if held is not None:
            sched, why = held, ""
    if sched is not None and horizon >= length and not _settled(sched.lr):
        sched, why = None, f"{STILL_CHANGING} {length - 1:,}, the last one it is computed for"
    if sched is not None and (note := floor_note(sched, last, horizon)):
        result.notes.append(note)
    if sched is not None and project is None and horizon <= last:
        # a target to place beyond the log, and no LR known past its last step: a power law can still say
        sched, why = None, f"the LR is known only up to the last step, {last:,}"
    if sched is None:
        # --schedule cannot help past the computed length, nor when it was given
        hint = "" if schedule_spec or why.startswith((TOO_LONG, STILL_CHANGING)) else "; --schedule gives it"
        result.notes.append(f"fit without the LR schedule ({why}){hint}")
    peak = int(np.argmax(sched.lr[: last + 1])) if sched is not None else None
    start = fit_start_step(result, steps, peak)
    fit_doc, projection, fit = forecast.project(steps, values, start, project, sched)
    if fit.form == "power_law":
        fit_doc["caveat"] = (
            "a power law in steps ignores LR decay: it over-predicts the final loss of cosine/warmdown runs"
        )
        if projection is not None and projection["unknown_decay"] > 0:
            fit_doc["caveat"] += (
                f"; it assumes the LR stays as it is: a run that decays it by then ends up to "
                f"{projection['unknown_decay']:.2f} lower (the drop of a full decay, {curvefit.ANNEAL_PRIOR_RHO:.1%} "
                "of the loss), which the interval's low end allows for"
            )
    result.fit = fit_doc
    result.projection = projection
    if fit.points < FEW_FIT_POINTS:
        result.notes.append(
            f"only {fit.points} points in the fit window (steps {fit.window[0]:,}-{fit.window[1]:,}): "
            "the fit is loose and its interval wide"
        )
    if fit_doc["warmup_end"] is not None:
        result.notes.append(
            f"the fit window (steps {fit.window[0]:,}-{fit.window[1]:,}) starts inside the LR warmup (to step "
            f"{fit_doc['warmup_end']:,}): too few points past it for the curve's law, so the projection is not "
            "determined by the data and its interval spans the whole further drop"
        )
    if fit.at_bounds:
        result.notes.append(
            f"the fit's {', '.join(fit.at_bounds)} ran to a bound: the curve is not determined by the data, and the "
            "interval spans the whole further drop"
        )
    if projection is not None and result.phases and result.phases[-1].label == RISING_LABEL:
        projection["determined"] = fit_doc["determined"] = False
        result.notes.append(
            f"the loss is rising at the end of the log (from step {result.phases[-1].start_step:,}): a loss-curve law "
            "does not describe a diverging run, so the projection is not a forecast"
        )
    if projection is not None and project is not None:
        time_and_cost(projection, run, last, price_per_hour)
        project_notes(result, projection, fit, sched, planned, project, last)
    if result.target is not None and not result.target.reached:
        limit = horizon if sched is not None else last * PROJECT_TARGET_REACH
        hit = forecast.step_reaching(fit, result.target.loss, last, int(limit))
        result.target.projected_step = hit
        if hit is None:
            floor = fit.params.get("floor", fit.params["L0"])
            result.target.message += f"; the fitted curve does not reach it by step {int(limit):,}" + (
                f" (its floor {floor:.4f})" if floor > result.target.loss else ""
            )
        else:
            result.target.message += f"; projected at step {hit:,.0f} ({fit.form} fit)"


STILL_CHANGING = "the LR still changes at step"  # a schedule cut at MAX_SCHEDULE_STEPS before it settles


def _settled(lr: np.ndarray) -> bool:
    """The LR holds its value at the end of the array (a projection past it may hold it too)."""
    return len(lr) < 2 or abs(float(lr[-1]) - float(lr[-2])) <= 1e-9 * max(float(abs(lr).max()), 1e-30)


def planned_steps(run: Run) -> int | None:
    """The planned last step, when the log or its config states it (lossdoc.facts)."""
    planned = run_facts(run).get("max_steps")
    return int(planned) if planned else None


def time_and_cost(projection: dict[str, Any], run: Run, last: int, price_per_hour: float | None) -> None:
    """Remaining steps, hours, days and cost, and the drop per dollar the curve still gives at the end. The steps
    left count from the step the run has reached (its last train or val point), not from the last point of the
    fitted series: a val series ends at the last eval, up to an eval interval behind the training."""
    reached = max([last] + [int(run.arrays(n)[0][-1]) for n in ("train/loss", "val/loss")
                            if run.has(n) and len(run.arrays(n)[0])])
    remaining_steps = max(projection["step"] - reached, 0)
    ms = step_time_ms(run)
    hours = remaining_steps * ms / 3.6e6 if ms else None
    cost = hours * price_per_hour if hours is not None and price_per_hour is not None else None
    per_dollar = None
    if ms and price_per_hour:
        dollars_per_1k = 1000 * ms / 3.6e6 * price_per_hour
        per_dollar = projection["per_1k_steps_at_end"] / dollars_per_1k
    projection.update(
        remaining_steps=remaining_steps,
        step_ms=ms,
        hours=hours,
        days=hours / 24 if hours is not None else None,
        price_per_hour=price_per_hour,
        cost=cost,
        per_dollar_at_end=per_dollar,
    )
    projection["summary"] = summary_line(projection)


def summary_line(pr: dict[str, Any]) -> str:
    """"Remaining improvement ~0.06–0.11 (2–3% of 3.16); ~$108 and 2.25 days for it", as users write it."""
    lo, hi = max(pr["remaining_low"], 0.0), max(pr["remaining_high"], 0.0)
    now = pr["current"]
    if pr["remaining_steps"] == 0:
        return f"step {pr['step']:,} is inside the log: {pr['loss']:.4f} fitted there (now {now:.4f})"
    if abs(pr["remaining"]) < 1e-9:  # the LR is 0 from the last step on: the fitted curve does not move at all
        line = (
            f"No further improvement: with the LR at 0 the curve stays at its level over {pr['remaining_steps']:,} "
            "more steps (the interval is the fit's uncertainty about that level, not a further drop)"
        )
        cost = _cost_words(pr)
        return line + (f"; {cost} would buy nothing" if cost else "")
    line = (f"Remaining improvement ~{lo:.2f}–{hi:.2f}{_measured_from(pr, lo, hi)} over {pr['remaining_steps']:,} "
            "more steps")
    cost = _cost_words(pr)
    if cost:
        line += f"; {cost} for it"
    if not pr["determined"]:  # the slope of a curve the data do not pin down (1e16 per 1K steps on a diverging run)
        return line
    end = f"{_small(pr['per_1k_steps_at_end'])} per 1K steps"
    if pr.get("per_dollar_at_end") is not None:
        end += f", {_small(pr['per_dollar_at_end'])} per $"
    return line + f"; at the end the curve gives {end}"


def _measured_from(pr: dict[str, Any], lo: float, hi: float) -> str:
    """" (2.5%–3.8% of 3.80)", or, when the fitted curve's level at the last point differs from the last eval by
    more than the drops' printed precision, " from the fitted 3.818 (2.6%–3.8%)": the drops are measured from the
    curve, and beside "now 3.8007" they would not add up to the interval printed with them."""
    base, now = pr.get("fitted_now", pr["current"]), pr["current"]
    if base <= 0 or now <= 0:  # a loss printed as 0.0000
        return ""
    if abs(base - now) < 0.005:
        return f" ({_pct(lo / now)}–{_pct(hi / now)} of {now:.2f})"
    return f" from the fitted {base:.3f} ({_pct(lo / base)}–{_pct(hi / base)})"


def _cost_words(pr: dict[str, Any]) -> str:
    """"~$108 and 2.25 days", "0.3 h", or "" when neither is known."""
    cost = []
    if pr.get("cost") is not None:
        cost.append(f"~${pr['cost']:,.0f}")
    if pr.get("hours") is not None:
        cost.append(_duration(pr["hours"], pr["days"]))
    return " and ".join(cost)


def _duration(hours: float, days: float) -> str:
    """"12 min", "3.5 h", "2.25 days": a run of minutes printed as "0.0 h" read as no time at all."""
    if hours < 1:
        return f"{max(hours * 60, 1):.0f} min"
    return f"{hours:.1f} h" if hours < 48 else f"{days:.2f} days"


def _small(x: float) -> str:
    return "0" if abs(x) < 1e-6 else f"{x:.2g}"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%" if x < 0.1 else f"{100 * x:.0f}%"


def _why_prior(fit: Any, last: int, project: int) -> str:
    """Why the data cannot size the drop of the LR decay: none of it seen yet, part of it, or all of it in too few
    points (the felt decay share D of lossdoc.lr_features, at the last step against at the projection)."""
    from .. import forecast

    felt, by_then = forecast.share_at(fit, last), forecast.share_at(fit, project)
    if felt < forecast.FLAT_SHARE:
        return "the log does not show enough LR decay to measure the drop a decay brings"
    if forecast.lr_at(fit, project) < forecast.lr_at(fit, last) - forecast.FLAT_SHARE:
        return (f"the {fit.points} points of the fit window, {felt / max(by_then, felt):.0%} of the way through the "
                "LR decay's drop, do not pin down its size")
    return f"the {fit.points} points of the fit window do not pin down the drop the LR decay brought"


def project_notes(
    result: PhasesResult,
    projection: dict[str, Any],
    fit: Any,
    sched: Schedule | None,
    planned: int | None,
    project: int,
    last: int,
) -> None:
    from .. import forecast

    if projection["prior_used"]:
        prior = fit.prior
        spread, spread_here, spread_fit = (
            math.exp(prior[k]) for k in ("rho_prior_log_sd", "rho_prior_log_sd_given_alpha", "rho_log_sd"))
        moved = abs(math.log(prior["rho"] / prior["rho_prior_given_alpha"])) > MOVED_LOG
        result.notes.append(
            f"{_why_prior(fit, last, project)}: a prior was used (a full decay buys {prior['rho_prior']:.1%} of the "
            f"loss on the corpus runs, x/÷ {spread:.2f}; for a curve of this fit's exponent {fit.params['alpha']:.2f}, "
            f"{prior['rho_prior_given_alpha']:.1%} x/÷ {spread_here:.2f}, as steeper curves drop more; Tissue et al. "
            "2024 form), and the interval includes its spread"
            + (f"; with the data, the fit's drop is {prior['rho']:.1%} x/÷ {spread_fit:.2f}" if moved else "")
        )
    if projection["at_floor"]:
        result.notes.append(
            f"the fitted curve falls below {forecast.MIN_LOSS_FRAC:.0%} of the loss now by step {project:,}: the "
            f"projection is held at that floor ({projection['loss']:.4f}), which is no forecast"
        )
    ratio = projection["calibration"]["reach_ratio"]
    if ratio > forecast.BACKTEST_REACH:
        axis = "LR area" if fit.features is not None else "steps"
        result.notes.append(
            f"--project {project:,} lies {ratio:,.0f}x the {axis} seen ahead of the log, past the "
            f"{forecast.BACKTEST_REACH:.0f}x the interval's backtests reached: the interval "
            f"({projection['low']:.3f}–{projection['high']:.3f}) is the fit's uncertainty carried that far, not one "
            "measured to hold 80%"
        )
    if planned and project > planned:
        result.notes.append(
            f"--project {project:,} is past the planned end of the schedule (step {planned:,}): "
            + ("the LR stays at its final value after it, so no fresh decay's drop is promised"
               if sched is not None else "a power law in steps knows no schedule; a longer run needs its --schedule")
        )
        projection["past_planned_end"] = True
    if project < last:
        result.notes.append(
            f"--project {project:,} is inside the log (last step {last:,}): a fit check, not a forecast"
        )
    elif not projection["calibration"]["widened"]:  # else the note on the bound says how wide and why
        result.notes.append(calibration_note(projection["calibration"], projection["unknown_decay"]))


SITUATION_WORDS = {
    "flat": "no more of an LR decay's drop to come",
    "decay_ahead": "more of an LR decay's drop to come, sized by the prior",
    "decaying": "more of an LR decay's drop to come, measured by the fit",
    "no_schedule": "no schedule known",
}
REACH_WORDS = {"near": "up to half", "mid": "half to 1.5 times", "far": "over 1.5 times"}


def calibration_note(cal: dict[str, Any], unknown_decay: float = 0.0) -> str:
    """Where the interval's width comes from: the cell of lossdoc/calibration.py and its factor for each side."""
    from ..forecast import Z_80

    also = (f"; the low end lies a further {unknown_decay:.3f} lower, for a decay no schedule tells of"
            if unknown_decay > 0 else "")
    return (
        f"the 80% interval is -{cal['factor_below']:.2f}/+{cal['factor_above']:.2f} x {Z_80:.2f} sd (sd "
        f"{cal['sd']:.4f}): the factors that held 90% of the backtests on each side with "
        f"{SITUATION_WORDS[cal['situation']]}, projecting {REACH_WORDS[cal['reach']]} the "
        f"{'steps' if cal['situation'] == 'no_schedule' else 'LR area'} seen (benchmarks/projection.py --calibrate)"
        f"{also}"
    )


def report_options(run: Run, project: int | None) -> dict[str, Any]:
    """phases options for ``lossdoc analyze``: project to ``project``, else to the planned last step when the log
    states one beyond its last loss point and the series has enough points to fit."""
    import numpy as np

    from .phases import choose_series

    if project is not None:
        return {"project": project}
    planned = planned_steps(run)
    try:
        name, _ = choose_series(run)
    except InputError:
        return {}
    steps, values = run.arrays(name)
    steps = steps[np.isfinite(values)]
    if not planned or not len(steps) or len(steps) < MIN_PROJECT_POINTS:
        return {}
    if planned - int(steps[-1]) <= FINISHED_FRAC * planned:
        return {}  # the run has finished: nothing left to project
    return {"project": planned}


def headline_clause(phases_doc: dict[str, Any] | None) -> str:
    """" Projected val/loss at the planned end (step N): X (80% interval a–b)." for the analyze headline."""
    from .. import forecast

    pr = (phases_doc or {}).get("projection")
    if not pr or pr.get("remaining_steps", 0) <= 0 or not pr.get("determined"):
        return ""  # a fit the data do not determine (or a rising loss) makes no headline
    return (
        f" Projected {phases_doc['series']} at step {pr['step']:,}: {pr['loss']:.3f} "
        f"({forecast.interval_label(pr)} {pr['low']:.3f}–{pr['high']:.3f})."
    )

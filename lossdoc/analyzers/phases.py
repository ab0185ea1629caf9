"""Where a run is on its loss curve: initial-loss check, phases, diminishing returns, target crossing.

The analysis works on one loss series (``val/loss`` when it has enough points, else ``train/loss``):

1. **Initial loss** against ln(vocab): a freshly initialised LM predicts nearly uniformly over the vocabulary,
   so its first loss is close to ln(V) (ln 50257 = 10.825; ARCHITECTURE.md, domain facts).
2. **Phases**: the fewest stretches (3..8) of near-constant rate on a log-step axis, labelled by rate
   relative to the run's mean rate (lossdoc/analyzers/segment.py says how).
3. **Diminishing returns** (returns.py): the drop per 1K steps over windows spread geometrically over the run,
   its ratio to the first window, "X% of the total drop happened in the first N steps", and whether the run is
   past the knee.
4. **Target** (target.py): the first step where the (smoothed) series crosses a target loss, interpolated between
   points.
5. **Fit and projection** (projection.py; ``--project``, or a target not reached yet): lossdoc.curvefit and
   lossdoc.forecast.

The findings, with advice that follows the LR, are in phase_findings.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from ..facts import run_facts
from ..findings import Finding
from ..run import Run
from .init_check import DEFAULT_VOCAB, InitCheck, check_init  # noqa: F401 (re-exported)
from .phase_findings import NAME, final_lr_fraction, make_findings, planned_decay  # noqa: F401 (NAME: ANALYZERS)
from .returns import Checkpoint, diminishing_returns, knee_of, observations
from .segment import (
    MIN_PHASES,
    RISING_LABEL,
    SAME_RATE_FACTOR,
    Phase,
    Regime,
    despike,
    log_bins,
    mean_rate_per_step,
    merge_same_labels,
    robust_noise,
    segment,
    summarize_regimes,
)
from .target import Target, find_target

# --- series choice ---------------------------------------------------------------------------------------
MIN_VAL_POINTS = 8  # finite val/loss points needed to prefer it over train/loss (issue 4: "say >= 8")
MIN_POINTS = 2  # fewer finite points than this: nothing to analyse

# --- a rise must agree with the evaluated loss (issue 8): series that evaluate the model on many batches
EVAL_SERIES = ("val/loss", "train/eval_loss")


@dataclass
class PhasesResult:
    series: str
    series_reason: str
    points: int
    dropped: int  # non-finite points left out
    init: InitCheck
    phases: list[Phase]
    regimes: list[Regime]
    checkpoints: list[Checkpoint]
    statements: list[str]
    past_knee: bool | None
    knee_step: int | None
    total_drop: float
    mean_rate_per_1k: float
    noise: float  # robust per-point noise of the series (loss units)
    target: Target | None = None
    fit: dict[str, Any] | None = None
    projection: dict[str, Any] | None = None
    lr_final_frac: float | None = None  # LR at the last step / peak LR, when train/lr is logged or stated
    lr_source: str | None = None  # "logged train/lr", or the schedule it came from (lossdoc.schedule)
    lr_decay_ahead: dict[str, Any] | None = None  # a decay the stated schedule plans after the last step
    eval_trends: dict[int, tuple[str, float, float]] = field(default_factory=dict)  # rising phase -> eval trend
    notes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {
            "series": self.series,
            "series_reason": self.series_reason,
            "points": self.points,
            "dropped": self.dropped,
            "init": asdict(self.init),
            "phases": [asdict(p) for p in self.phases],
            "regimes": [asdict(r) for r in self.regimes],
            "total_drop": self.total_drop,
            "mean_rate_per_1k": self.mean_rate_per_1k,
            "noise": self.noise,
            "lr_final_frac": self.lr_final_frac,
            "lr_source": self.lr_source,
            "lr_decay_ahead": self.lr_decay_ahead,
            "diminishing_returns": {
                "checkpoints": [asdict(c) for c in self.checkpoints],
                "statements": self.statements,
                "past_knee": self.past_knee,
                "knee_step": self.knee_step,
            },
            "target": asdict(self.target) if self.target else None,
            "fit": self.fit,
            "projection": self.projection,
            "notes": self.notes,
            "findings": [f.to_json() for f in self.findings],
        }


# ---------------------------------------------------------------------------------------------------------
# entry points


def applies(run: Run) -> str | None:
    """None when the run has a loss series with at least two finite points, else why it is skipped."""
    try:
        choose_series(run)
    except InputError as exc:
        return str(exc)
    return None


def analyze(
    run: Run,
    series: str | None = None,
    vocab: int | None = None,
    target: float | None = None,
    project: int | None = None,
    schedule: str | None = None,
    price_per_hour: float | None = None,
) -> PhasesResult:
    """The whole phases analysis of one run (see the module docstring).

    ``project``: fit the curve and project it to that step (lossdoc.curvefit, lossdoc.forecast); ``schedule``: the
    LR schedule as a spec or step/lr file when the log does not give it; ``price_per_hour``: USD per hour of the job,
    for the projection's cost. A target that is not reached also gets a fit, for its projected step.
    """
    import numpy as np

    name, reason = choose_series(run, series)
    steps_all, values_all = run.arrays(name)
    finite = np.isfinite(values_all)
    steps, values = steps_all[finite], values_all[finite]
    if len(steps) < MIN_POINTS:
        raise InputError(f"{name} has {len(steps)} finite point(s); phases needs at least {MIN_POINTS}")
    notes: list[str] = []
    dropped = int((~finite).sum())
    if dropped:
        first_bad = int(steps_all[~finite][0])
        notes.append(f"{dropped} non-finite point(s) of {name} left out (the first at step {first_bad:,})")

    lr_peak = None
    if run.has("train/lr"):
        lr_values = run.arrays("train/lr")[1]
        lr_values = lr_values[np.isfinite(lr_values)]
        lr_peak = float(lr_values.max()) if len(lr_values) else None
    next_step = int(steps[1]) if len(steps) > 1 else None
    init = check_init(float(values[0]), int(steps[0]), vocab, run.meta, next_step, run_facts(run), lr_peak)
    if not name.endswith("loss"):  # ln(V) is the yardstick of a cross-entropy loss only
        init.verdict, init.message = "unknown", f"{name} is not a loss series: no initial-loss check"
        init.title, init.advice, init.severity = init.message, "", None
    noise = robust_noise(values)
    knots = log_bins(steps, despike(values, noise))
    fine = segment(knots, noise)
    total_drop = fine[0].start_loss - fine[-1].end_loss
    mean_rate = mean_rate_per_step(knots) * 1000.0
    phases = merge_same_labels(fine, total_drop)
    regimes = summarize_regimes(phases)
    checkpoints = diminishing_returns(knots, phases)
    knee_step = knee_of(fine, mean_rate)
    statements, past_knee = observations(phases, regimes, checkpoints, mean_rate, knee_step)
    if len(phases) < MIN_PHASES:
        if len(knots.x) <= MIN_PHASES:
            notes.append(f"only {len(steps)} point(s): {len(phases)} phase(s) instead of at least {MIN_PHASES}")
        else:
            notes.append(
                f"{len(phases)} phase(s) rather than {MIN_PHASES}: neighbouring stretches fall at the same rate "
                f"(within {SAME_RATE_FACTOR}x)"
            )

    result = PhasesResult(
        series=name,
        series_reason=reason,
        points=int(len(steps)),
        dropped=dropped,
        init=init,
        phases=phases,
        regimes=regimes,
        checkpoints=checkpoints,
        statements=statements,
        past_knee=past_knee,
        knee_step=knee_step,
        total_drop=float(total_drop),
        mean_rate_per_1k=float(mean_rate),
        noise=float(noise),
        notes=notes,
    )
    result.lr_final_frac, result.lr_source = final_lr_fraction(run, int(steps[-1]))
    result.lr_decay_ahead = planned_decay(run, int(steps[-1]))
    if target is not None:
        result.target = find_target(steps, values, name, float(target), run.meta, run)
    from .projection import fit_and_project

    if project is not None:
        fit_and_project(result, run, steps, values, project, schedule, price_per_hour)
    elif result.target is not None and not result.target.reached:
        try:  # a projected step for the target is a bonus: too few points is a note, not an error
            fit_and_project(result, run, steps, values, None, schedule, price_per_hour)
        except InputError as exc:
            result.notes.append(f"no projected step for the target: {exc}")
    result.eval_trends = {i: t for i, p in enumerate(phases) if p.label == RISING_LABEL
                          for t in [eval_trend(run, name, p.start_step, p.end_step)] if t is not None}
    result.findings = make_findings(result)
    return result


def eval_trend(run: Run, name: str, start: int, end: int) -> tuple[str, float, float] | None:
    """(eval series, its value at or before ``start``, its last value by ``end``) for a train-loss phase, when an
    eval series has points at both ends; None otherwise (a val-loss phase is its own eval)."""
    import numpy as np

    if not name.startswith("train/"):
        return None
    for other in EVAL_SERIES:
        if not run.has(other):
            continue
        steps, values = run.arrays(other)
        ok = np.isfinite(values)
        steps, values = steps[ok], values[ok]
        before, by_end = np.flatnonzero(steps <= start), np.flatnonzero((steps > start) & (steps <= end))
        if len(before) and len(by_end):
            return other, float(values[before[-1]]), float(values[by_end[-1]])
    return None


# ---------------------------------------------------------------------------------------------------------
# series choice and initial loss


def choose_series(run: Run, override: str | None = None) -> tuple[str, str]:
    """(series name, why it was chosen). val/loss when it has >= MIN_VAL_POINTS finite points."""
    import numpy as np

    def finite_points(name: str) -> int:
        if not run.has(name):
            return 0
        return int(np.isfinite(run.arrays(name)[1]).sum())

    if override:
        if not run.has(override):
            raise InputError(f"no series {override!r} in this run; series: {', '.join(run.names()) or 'none'}")
        n = finite_points(override)
        if n < MIN_POINTS:
            raise InputError(f"{override} has {n} finite point(s); phases needs at least {MIN_POINTS}")
        return override, "chosen with --series"
    n_val, n_train = finite_points("val/loss"), finite_points("train/loss")
    if n_val >= MIN_VAL_POINTS:
        return "val/loss", f"val/loss has {n_val:,} finite points (>= {MIN_VAL_POINTS})"
    if n_train >= MIN_POINTS:
        why = f"val/loss has {n_val} finite point(s) (< {MIN_VAL_POINTS})" if run.has("val/loss") else "no val/loss"
        return "train/loss", f"{why}; using train/loss ({n_train:,} points, median-smoothed on a log-step axis)"
    if n_val >= MIN_POINTS:
        return "val/loss", f"val/loss has only {n_val} finite points and there is no usable train/loss"
    others = [n for n in run.names() if n.endswith("loss") and finite_points(n) >= MIN_POINTS]
    if others:
        return others[0], f"no usable train/loss or val/loss; using {others[0]}"
    raise InputError(
        f"no loss series with at least {MIN_POINTS} finite points (series: {', '.join(run.names()) or 'none'})"
    )



"""Where a run is on its loss curve: initial-loss check, phases, diminishing returns, target crossing.

The analysis works on one loss series (``val/loss`` when it has enough points, else ``train/loss``):

1. **Initial loss** against ln(vocab): a freshly initialised LM predicts nearly uniformly over the vocabulary,
   so its first loss is close to ln(V) (ln 50257 = 10.825; ARCHITECTURE.md, domain facts).
2. **Phases**: the fewest stretches (3..8) of near-constant rate on a log-step axis, labelled by rate
   relative to the run's mean rate (lossdoc/analyzers/segment.py says how).
3. **Diminishing returns**: the drop per 1K steps over windows spread geometrically over the run, its ratio
   to the first window, "X% of the total drop happened in the first N steps", and whether the run is past
   the knee.
4. **Target**: the first step where the (smoothed) series crosses a target loss, interpolated between points.
5. **Fit and projection** (``--project``, or a target not reached yet): lossdoc.curvefit and lossdoc.forecast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..facts import run_facts
from ..findings import Finding, Severity
from ..numbers import abbreviate
from ..run import Run
from .init_check import DEFAULT_VOCAB, InitCheck, check_init  # noqa: F401 (re-exported)
from .segment import (
    MIN_PHASES,
    PLATEAU_LABEL,
    RISING_LABEL,
    SAME_RATE_FACTOR,
    Knots,
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

if TYPE_CHECKING:
    import numpy as np

NAME = "phases"

# --- series choice ---------------------------------------------------------------------------------------
MIN_VAL_POINTS = 8  # finite val/loss points needed to prefer it over train/loss (issue 4: "say >= 8")
MIN_POINTS = 2  # fewer finite points than this: nothing to analyse

# --- diminishing returns ---------------------------------------------------------------------------------
N_CHECKPOINTS = 4  # windows for the per-1K-step drop: end of phase 1, then geometric to the last step
LR_DECAYED_FRAC = 0.1  # a last LR at or below 10% of the peak: the schedule has (nearly) finished decaying
LR_STILL_PEAK_FRAC = 0.9  # a last LR at or above 90% of the peak: no decay yet (constant or stable phase)
PAST_KNEE_RATIO = 0.1  # past the knee when the last window falls < 10% of the run's mean rate

# --- a rise must agree with the evaluated loss (issue 8): series that evaluate the model on many batches
EVAL_SERIES = ("val/loss", "train/eval_loss")

# --- target crossing -------------------------------------------------------------------------------------
TARGET_SMOOTH_FRAC = 0.01  # train/loss is smoothed by a centred mean over 1% of its points (<= 501)
TARGET_SMOOTH_MAX = 501


@dataclass
class Checkpoint:
    step: int
    loss: float
    window_start: int
    rate_per_1k: float
    times_less: float | None  # first window's rate / this window's rate


@dataclass
class Target:
    loss: float
    step: float | None  # interpolated crossing step; None when not reached
    tokens: float | None
    projected_step: float | None
    reached: bool
    message: str


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


# ---------------------------------------------------------------------------------------------------------
# diminishing returns


def smoothed_at(knots: Knots, step: float) -> float:
    """The binned curve at a step, interpolated linearly on the log-step axis."""
    import numpy as np

    x = math.log1p(max(step, 0.0) / knots.unit)
    return float(np.interp(x, knots.x, knots.loss))


def diminishing_returns(knots: Knots, phases: list[Phase]) -> list[Checkpoint]:
    """Drop per 1K steps over windows ending at the end of phase 1 and at geometric steps up to the last."""
    first, last = phases[0].start_step, phases[-1].end_step
    c1 = phases[0].end_step
    if c1 >= last or c1 <= first:
        return []
    ends = [float(c1)]
    if N_CHECKPOINTS > 2 and c1 > 0:
        ratio = (last / c1) ** (1.0 / (N_CHECKPOINTS - 1))
        ends += [c1 * ratio**k for k in range(1, N_CHECKPOINTS - 1)]
    ends.append(float(last))
    ends = sorted({int(round(e)) for e in ends})
    out: list[Checkpoint] = []
    start = first
    start_loss = float(knots.loss[0])
    for end in ends:
        if end <= start:
            continue
        end_loss = float(knots.loss[-1]) if end == last else smoothed_at(knots, end)
        if end == c1:
            end_loss = phases[0].end_loss
        rate = (start_loss - end_loss) / (end - start) * 1000.0
        out.append(Checkpoint(step=end, loss=end_loss, window_start=start, rate_per_1k=rate, times_less=None))
        start, start_loss = end, end_loss
    first_rate = out[0].rate_per_1k if out else float("nan")
    for c in out:
        if first_rate > 0 and c.rate_per_1k > 0:
            c.times_less = float(first_rate / c.rate_per_1k)
    return out


def knee_of(phases: list[Phase], mean_rate: float) -> int | None:
    """The knee: the start of the first phase (after the first) that falls slower than the run's mean rate, read
    on the segmentation before same-label phases are merged (a merged phase can start on the steep side of the
    bend). The projection's fit window starts there (lossdoc/analyzers/projection.py, fit_start_step)."""
    return next((p.start_step for p in phases[1:] if p.rate_per_1k < mean_rate), None)


def observations(
    phases: list[Phase], regimes: list[Regime], checkpoints: list[Checkpoint], mean_rate: float,
    knee_step: int | None,
) -> tuple[list[str], bool | None]:
    """The practitioner's sentences, and whether the run is past the knee (which starts at ``knee_step``)."""
    out: list[str] = []
    first, last = phases[0].start_step, phases[-1].end_step
    total = phases[0].start_loss - phases[-1].end_loss
    if total <= 0:
        out.append(f"The loss did not fall overall: {phases[0].start_loss:.4f} -> {phases[-1].end_loss:.4f}.")
        return out, None
    if all(p.label == PLATEAU_LABEL for p in phases):
        out.append(
            f"The loss is flat within noise: {phases[0].start_loss:.4f} -> {phases[-1].end_loss:.4f} "
            f"over steps {step_span(first, last)}."
        )
        return out, None
    rising = [p for p in phases if p.label == RISING_LABEL]
    if rising:
        # shares of a total that rose back are not "work done"; say where the curve turned instead
        low = min(phases, key=lambda p: p.end_loss)
        out.append(
            f"The loss fell {phases[0].start_loss:.4f} -> {low.end_loss:.4f} by step {abbreviate(low.end_step)}, "
            f"then rose to {phases[-1].end_loss:.4f} by step {abbreviate(last)}."
        )
    p1 = phases[0]
    run_len = max(last - first, 1)
    if len(phases) > 1 and p1.share is not None and not rising:
        n1 = p1.end_step - first
        out.append(
            f"{p1.share:.0%} of the total drop happened in the first {_n_steps(n1)} ({n1 / run_len:.1%} of the run)."
        )
        if p1.share > 0.5:
            out.append(f"The first {_n_steps(n1)} did more work than the next {_n_steps(last - p1.end_step)} combined.")
        fast = next((r for r in regimes if r.name == "fast"), None)
        if fast is not None and fast.end_step not in (p1.end_step, last):
            cum = (phases[0].start_loss - phases[fast.phases[-1] - 1].end_loss) / total
            out.append(f"{cum:.0%} of the learning happened in the first {_n_steps(fast.end_step - first)}.")
    past_knee: bool | None = None
    if checkpoints:
        final = checkpoints[-1]
        first_cp = checkpoints[0]
        parts = []
        for c in checkpoints:
            less = f" ({c.times_less:,.0f}x less)" if c.times_less and c is not first_cp else ""
            parts.append(f"step {abbreviate(c.step)} {_num(c.rate_per_1k)}{less}")
        out.append("Per-1K-step drop: " + ", ".join(parts) + ".")
        if final.rate_per_1k <= 0:
            out.append(
                f"The loss is no longer falling: {_num(final.rate_per_1k)}/1K steps over steps "
                f"{step_span(final.window_start, final.step)}."
            )
        elif final.rate_per_1k < PAST_KNEE_RATIO * mean_rate:
            past_knee = True
            out.append(
                f"Past the knee (from about step {abbreviate(knee_step or first_cp.step)}): the loss now falls "
                f"{_num(final.rate_per_1k)}/1K steps, {mean_rate / final.rate_per_1k:,.0f}x below "
                f"the run's mean of {_num(mean_rate)}/1K."
            )
        else:
            past_knee = False
            out.append(
                f"Not past the knee: the last window still falls {_num(final.rate_per_1k)}/1K steps "
                f"({final.rate_per_1k / mean_rate:.0%} of the run's mean rate)."
            )
    return out, past_knee


def step_span(a: float, b: float) -> str:
    """'250–500', '1K–2K'; in full ('17,060–17,068') when the abbreviations would not tell the ends apart."""
    short_a, short_b = abbreviate(a), abbreviate(b)
    if short_a == short_b and int(a) != int(b):
        return f"{int(a):,}–{int(b):,}"
    return f"{short_a}–{short_b}"


def step_labels(steps: list[float]) -> list[str]:
    """Steps for one table: all abbreviated, or all in full when two different steps would read the same."""
    short = [abbreviate(x) for x in steps]
    if len({(s, int(x)) for s, x in zip(short, steps)}) != len({s for s in short}):
        return [f"{int(x):,}" for x in steps]
    return short


def _n_steps(n: float) -> str:
    return "step" if n == 1 else f"{abbreviate(n)} steps"


def _num(x: float) -> str:
    return f"{x:.3g}" if abs(x) >= 1e-3 else f"{x:.2e}"


# ---------------------------------------------------------------------------------------------------------
# target


def smooth_for_target(values: np.ndarray, name: str) -> np.ndarray:
    """Evaluated losses are used as they are; per-step train losses get a centred running mean."""
    import numpy as np

    if name.startswith("val/") or len(values) < 20:
        return values
    w = int(min(TARGET_SMOOTH_MAX, max(1, len(values) * TARGET_SMOOTH_FRAC)))
    w += (w + 1) % 2  # odd
    if w <= 1:
        return values
    pad = w // 2
    padded = np.concatenate([np.full(pad, values[0]), values, np.full(pad, values[-1])])
    c = np.cumsum(np.concatenate([[0.0], padded]))
    return (c[w:] - c[:-w]) / w


def find_target(
    steps: np.ndarray, values: np.ndarray, name: str, target: float, meta: dict[str, Any], run: Run
) -> Target:
    """First step where the series reaches ``target`` (interpolated between points), and its tokens."""
    import numpy as np

    smooth = smooth_for_target(values, name)
    below = np.flatnonzero(smooth <= target)
    if not len(below):
        i_best = int(np.argmin(smooth))
        return Target(
            loss=target,
            step=None,
            tokens=None,
            projected_step=None,
            reached=False,
            message=(
                f"{name} has not reached {target:.4f} yet: best {smooth[i_best]:.4f} at step {int(steps[i_best]):,} "
                f"({smooth[i_best] - target:.4f} to go)"
            ),
        )
    i = int(below[0])
    if i == 0:
        step = float(steps[0])
    else:
        s0, s1, v0, v1 = float(steps[i - 1]), float(steps[i]), float(smooth[i - 1]), float(smooth[i])
        step = s0 + (s1 - s0) * (v0 - target) / (v0 - v1) if v0 != v1 else s1
    tokens = _tokens_at(step, meta, run)
    tok = f" ({abbreviate(tokens)} tokens)" if tokens else ""
    return Target(
        loss=target,
        step=step,
        tokens=tokens,
        projected_step=None,
        reached=True,
        message=f"{name} reached {target:.4f} at step {step:,.0f}{tok}",
    )


def _tokens_at(step: float, meta: dict[str, Any], run: Run) -> float | None:
    import numpy as np

    if run.has("train/tokens"):
        tok_steps, tok = run.arrays("train/tokens")
        kept = ~np.isnan(tok)  # what pandas' dropna() dropped: NaN only
        if int(kept.sum()) >= 2:
            return float(np.interp(step, tok_steps[kept].astype(float), tok[kept]))
    from ..facts import run_facts

    per_step = run_facts(run).get("tokens_per_step")
    if per_step:
        return float(step) * float(per_step)
    return None


# ---------------------------------------------------------------------------------------------------------
# findings


def final_lr_fraction(run: Run, last_step: int) -> tuple[float | None, str | None]:
    """(LR at the last step / peak LR, where it came from): the logged train/lr, else the stated schedule."""
    import numpy as np

    if run.has("train/lr"):
        lr = run.arrays("train/lr")[1]
        lr = lr[np.isfinite(lr)]
        if len(lr) and lr.max() > 0:
            return float(lr[-1] / lr.max()), "logged train/lr"
    from ..schedule import schedule_for

    if last_step < 1:
        return None, None
    try:
        schedule, _ = schedule_for(run, last_step + 1)
    except Exception:  # noqa: BLE001 - a schedule that cannot be built is an unknown LR here, not an error
        return None, None
    if schedule is None or not len(schedule.lr) or schedule.lr.max() <= 0:
        return None, None
    return float(schedule.lr[-1] / schedule.lr.max()), schedule.source


def planned_decay(run: Run, last_step: int) -> dict[str, Any] | None:
    """The LR decay the stated schedule plans after the last step: {"start", "end", "final_frac", "source"},
    or None (no planned last step beyond the log, no stated schedule, or no decay ahead). A WSD run cut in its
    stable phase has one: its advice is the warmdown already planned, not "add one"."""
    import numpy as np

    from ..schedule import schedule_for

    planned = run_facts(run).get("max_steps")
    if not planned or int(planned) <= last_step or last_step < 1:
        return None
    try:
        schedule, _ = schedule_for(run, int(planned) + 1)
    except Exception:  # noqa: BLE001 - a schedule that cannot be built is an unknown LR here, not an error
        return None
    if schedule is None or not len(schedule.lr) or schedule.lr.max() <= 0:
        return None
    lr = schedule.lr / schedule.lr.max()
    final = float(lr[-1])
    falling = np.flatnonzero(lr[last_step + 1 :] < lr[last_step] * (1 - 1e-6))
    if final >= LR_STILL_PEAK_FRAC or final >= lr[last_step] or not len(falling):
        return None
    # the decay starts at the last step still at the LR of the last logged step
    return {"start": last_step + int(falling[0]), "end": int(planned), "final_frac": final,
            "source": schedule.source}


def _lr_source_clause(lr_source: str | None) -> str:
    """", LR from the log's header (...)" or " (LR from logged train/lr)": never "the the", never nested brackets."""
    if not lr_source:
        return ""
    named = lr_source if lr_source.startswith("the ") else f"the {lr_source}"
    return f", LR from {named}" if "(" in lr_source else f" (LR from {named})"


def _knee_advice(lr_final_frac: float | None, lr_source: str | None = None,
                 decay_ahead: dict[str, Any] | None = None, projection: dict[str, Any] | None = None) -> str:
    """What moves the curve past the knee, consistent with what the LR is doing at the end of the log and with
    the decay the schedule still plans."""
    src = _lr_source_clause(lr_source)
    if lr_final_frac is None:
        return (
            "the LR is neither logged nor stated, so whether it has decayed is unknown: if it is still at its "
            "peak, decaying it (a warmdown) moves the curve more; if it has decayed, more data or a larger model does"
        )
    if lr_final_frac <= LR_DECAYED_FRAC + 1e-9:  # cosine to min_lr = 10% lands on 0.1 within rounding
        return (
            f"the LR has already decayed to {lr_final_frac:.0%} of its peak{src}: more steps at this size buy "
            "little; more data with a new schedule, or a larger model, moves the curve"
        )
    if lr_final_frac < LR_STILL_PEAK_FRAC:
        return (
            f"the run is in its LR decay: {lr_final_frac:.0%} of the peak at the last step{src}; the rest of the "
            "decay still lowers the loss, and past it more data or a larger model moves the curve"
        )
    if decay_ahead is not None:
        pr = projection or {}
        sized = (
            f"projected {pr['loss']:.3f} ({pr['coverage']:.0%} interval {pr['low']:.3f}–{pr['high']:.3f}) at step "
            f"{pr['step']:,}, from {pr['current']:.3f} now"
            if pr.get("step") == decay_ahead["end"] and pr.get("determined")
            else f"`lossdoc phases --project {decay_ahead['end']}` sizes it"
        )
        return (
            f"the LR is still at {lr_final_frac:.0%} of its peak{src}; the schedule plans its decay from step "
            f"{decay_ahead['start']:,} to {decay_ahead['final_frac']:.0%} of the peak at step {decay_ahead['end']:,}, "
            f"which lowers the loss further than more steps at this LR would ({sized})"
        )
    return (
        f"the LR is still at {lr_final_frac:.0%} of its peak{src}: more steps at this LR buy little; an LR "
        "decay/warmdown (or a larger model) moves the curve more"
    )


def make_findings(r: PhasesResult) -> list[Finding]:
    out: list[Finding] = []
    init = r.init
    if init.severity is not None:
        out.append(
            Finding(
                analyzer=NAME,
                severity=Severity(init.severity),
                title=init.title,
                evidence={
                    "loss": init.loss,
                    "step": init.step,
                    "expected": round(init.expected, 4),
                    "vocab": init.vocab,
                    "vocab_source": init.vocab_source,
                    "verdict": init.verdict,
                    "start": init.start,
                },
                advice=init.advice,
                steps=(init.step, init.step) if init.step is not None else None,
            )
        )
    for i, p in enumerate(r.phases):
        if p.label == RISING_LABEL:
            title = (
                f"{r.series} rose {p.start_loss:.4f} -> {p.end_loss:.4f} over steps "
                f"{p.start_step:,}-{p.end_step:,} (+{-p.drop:.4f})"
            )
            evidence = {"start_loss": p.start_loss, "end_loss": p.end_loss, "rate_per_1k": p.rate_per_1k}
            severity = Severity.WARNING
            advice = "a sustained rise is divergence or overfitting: check the LR, grad norms and the train/val gap"
            trend = r.eval_trends.get(i)
            if trend is not None and trend[2] < trend[1]:  # the eval loss fell meanwhile: the train rise is noise
                other, before, after = trend
                severity = Severity.INFO
                title += f", while {other} fell {before:.4f} -> {after:.4f}"
                evidence.update({"eval_series": other, "eval_before": before, "eval_after": after})
                advice = "the evaluated loss kept falling: the rise is in the noisy per-batch train loss, not the model"
            out.append(Finding(NAME, severity, title, evidence, advice, (p.start_step, p.end_step)))
    if r.past_knee and r.checkpoints:
        final = r.checkpoints[-1]
        out.append(
            Finding(
                analyzer=NAME,
                severity=Severity.INFO,
                title=(
                    f"past the knee: {r.series} falls {_num(final.rate_per_1k)}/1K steps at the end vs "
                    f"{_num(r.mean_rate_per_1k)}/1K on average"
                ),
                evidence={
                    "final_rate_per_1k": final.rate_per_1k,
                    "mean_rate_per_1k": r.mean_rate_per_1k,
                    "knee_step": r.knee_step,
                },
                advice=_knee_advice(r.lr_final_frac, r.lr_source, r.lr_decay_ahead, r.projection),
                steps=(final.window_start, final.step),
            )
        )
    if r.target is not None:
        t = r.target
        out.append(
            Finding(
                analyzer=NAME,
                severity=Severity.INFO,
                title=t.message,
                evidence={"target": t.loss, "step": t.step, "tokens": t.tokens, "projected_step": t.projected_step},
            )
        )
    return out

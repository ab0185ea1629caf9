"""Where a run is on its loss curve: initial-loss check, phases, diminishing returns, target crossing.

The analysis works on one loss series (``val/loss`` when it has enough points, else ``train/loss``):

1. **Initial loss** against ln(vocab): a freshly initialised LM predicts nearly uniformly over the vocabulary,
   so its first loss is close to ln(V) (ln 50257 = 10.825; ARCHITECTURE.md, domain facts).
2. **Phases.** Single-point spikes well above the noise are cut (running median of 3), then the curve is
   binned on a log-step axis (medians per bin: robust to noise, and O(n) on million-point logs, so nothing
   heavier ever runs on raw points). A phase is a stretch where the loss falls at a roughly constant rate
   per step, so an exact dynamic programme finds the fewest constant-rate chords between bin medians
   (3..8) whose worst miss stays within a fraction of each chord's own drop (a minimax criterion, so a late
   fall of 0.05 is judged like an early fall of 5). Neighbours whose per-step rates differ by less than a
   clear factor are merged. Each phase gets a label from a fixed vocabulary ordered by rate relative to the
   run's mean rate; a fall within the noise is a plateau, a rise beyond it is "rising".
3. **Diminishing returns**: the drop per 1K steps over windows spread geometrically over the run, its ratio
   to the first window, "X% of the total drop happened in the first N steps", and whether the run is past
   the knee.
4. **Target**: the first step where the (smoothed) series crosses a target loss, interpolated between points.
5. **Fit and projection** (``--project``, or a target not reached yet): lossdoc.curvefit.

The phase segmentation was written here rather than taken from a change-point library (ruptures is not a
dependency, and its costs look for changes in a signal's mean or slope, not for "the fewest stretches of
near-constant rate, judged relative to each stretch's own drop"); it runs on at most ``LOG_BINS`` knots, so
it is exact and takes milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..findings import Finding, Severity
from ..run import Run

if TYPE_CHECKING:
    import numpy as np

NAME = "phases"

# --- series choice ---------------------------------------------------------------------------------------
MIN_VAL_POINTS = 8  # finite val/loss points needed to prefer it over train/loss (issue 4: "say >= 8")
MIN_POINTS = 2  # fewer finite points than this: nothing to analyse

# --- initial-loss check (nats) ---------------------------------------------------------------------------
DEFAULT_VOCAB = 50257  # GPT-2 BPE vocabulary, assumed when neither the log nor --vocab gives one
INIT_HIGH_MARGIN = 1.0  # nats above ln(V) still "ok": logits at init are not exactly uniform (llm.c 124M
#                         starts at 11.01 vs 10.83; a 760M FineWeb run at 11.11)
INIT_VERY_HIGH_RATIO = 1.5  # first loss > 1.5·ln(V) (e.g. 22.6 vs 10.8): init scale or output scaling is off
INIT_LOW_MARGIN = 0.5  # nats below ln(V): an untrained model cannot start much below uniform

# --- segmentation ----------------------------------------------------------------------------------------
LOG_BINS = 96  # bins on the log-step axis; ~20 per decade over a 5-decade run (boundaries within ~12%)
EDGE_RAW_MAX = 20  # an end bin of at most this many points gives its raw end value (else median + trend)
MIN_PHASES, MAX_PHASES = 3, 8  # issue 4: "3 to 8 phases that a practitioner would draw"
FIT_REL_TOL = 0.15  # a bin median may sit 15% of its phase's drop off the phase's constant-rate chord ...
FIT_FLOOR_FRAC = 0.002  # ... or 0.2% of the run's total drop ...
NOISE_Z = 3.0  # ... or this many standard errors of the bin median, whichever is largest
FLAT_FRAC = 0.01  # a phase whose |drop| is under 1% of the total drop (or under the noise) is flat
MERGE_RATE_FACTOR = 2.0  # neighbours whose per-step rates differ by less than this factor are one phase
SAME_RATE_FACTOR = 1.25  # ... and below MIN_PHASES only when they agree this closely (one straight stretch)
OUTLIER_Z = 6.0  # a point this many noise levels above its 3-point median is a spike, not the curve

# Labels ordered by rate, as a multiple of the run's mean rate (drop to the lowest point / steps). Calibrated on the
# 760M FineWeb analysis in shared/example-diagnoses (rates 5.62, 0.41, 0.057, 0.020, 0.008, 0.003, 0.001
# per 1K steps against a mean of 0.105/1K give exactly its seven labels).
RATE_LABELS: tuple[tuple[float, str], ...] = (
    (20.0, "catastrophic drop"),
    (2.0, "rapid learning"),
    (0.4, "fast convergence"),
    (0.15, "steady decline"),
    (0.05, "moderate"),
    (0.02, "slowing"),
)
PLATEAU_LABEL = "near plateau"
PLATEAU_MAX_REL = 0.4  # a drop within the noise is a plateau only if it is also slower than 0.4x the mean rate
RISING_LABEL = "rising"  # the loss went up over the phase by more than the noise
REGIMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("explosive", ("catastrophic drop",)),
    ("fast", ("rapid learning", "fast convergence")),
    ("slow refinement", ("steady decline", "moderate", "slowing", PLATEAU_LABEL)),
    ("rising", (RISING_LABEL,)),
)

# --- diminishing returns ---------------------------------------------------------------------------------
N_CHECKPOINTS = 4  # windows for the per-1K-step drop: end of phase 1, then geometric to the last step
LR_DECAYED_FRAC = 0.1  # a last LR at or below 10% of the peak: the schedule has (nearly) finished decaying
PAST_KNEE_RATIO = 0.1  # past the knee when the last window falls < 10% of the run's mean rate

# --- fit and projection (lossdoc.curvefit) ---------------------------------------------------------------
MIN_FIT_POINTS = 10  # points the fit window should keep past the knee and warmup ...
MIN_FIT_HARD_POINTS = 6  # ... and must keep past the first phase (else the whole series is fitted)
MIN_FIT_SPAN_FRAC = 0.2  # ... and it must cover at least the last 20% of the log
FEW_FIT_POINTS = 12  # fewer points than this in the window: say the fit is loose
PROJECT_TARGET_REACH = 100  # without a schedule, look for a target crossing up to 100x the last step

# --- target crossing -------------------------------------------------------------------------------------
TARGET_SMOOTH_FRAC = 0.01  # train/loss is smoothed by a centred mean over 1% of its points (<= 501)
TARGET_SMOOTH_MAX = 501


@dataclass
class InitCheck:
    loss: float | None
    step: int | None
    expected: float
    vocab: int
    vocab_source: str  # "log", "option" or "assumed"
    verdict: str  # ok, high, very_high, low, unknown
    message: str
    title: str = ""
    advice: str = ""


@dataclass
class Phase:
    start_step: int
    end_step: int
    start_loss: float
    end_loss: float
    drop: float
    share: float | None  # fraction of the total drop (0-1); None when the loss did not fall overall
    rate_per_1k: float
    label: str


@dataclass
class Regime:
    name: str
    start_step: int
    end_step: int
    share: float | None
    phases: list[int]  # 1-based phase numbers


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
    lr_final_frac: float | None = None  # last logged LR / peak logged LR, when train/lr is logged
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

    ``project``: fit the curve and project it to that step (lossdoc.curvefit); ``schedule``: the LR schedule
    as a spec or step/lr file when the log does not give it; ``price_per_hour``: USD per hour of the job,
    for the projection's cost. A target that is not reached also gets a fit, for its projected step.
    """
    import numpy as np

    name, reason = choose_series(run, series)
    raw = run.series(name)
    steps_all = raw.index.to_numpy(dtype=np.int64)
    values_all = raw.to_numpy(dtype=float)
    finite = np.isfinite(values_all)
    steps, values = steps_all[finite], values_all[finite]
    if len(steps) < MIN_POINTS:
        raise InputError(f"{name} has {len(steps)} finite point(s); phases needs at least {MIN_POINTS}")
    notes: list[str] = []
    dropped = int((~finite).sum())
    if dropped:
        first_bad = int(steps_all[~finite][0])
        notes.append(f"{dropped} non-finite point(s) of {name} left out (the first at step {first_bad:,})")

    init = check_init(float(values[0]), int(steps[0]), vocab, run.meta)
    if not name.endswith("loss"):  # ln(V) is the yardstick of a cross-entropy loss only
        init.verdict, init.message = "unknown", f"{name} is not a loss series: no initial-loss check"
        init.title, init.advice = init.message, ""
    noise = robust_noise(values)
    knots = log_bins(steps, despike(values, noise))
    phases = segment(knots, noise)
    total_drop = phases[0].start_loss - phases[-1].end_loss
    mean_rate = mean_rate_per_step(knots) * 1000.0
    regimes = summarize_regimes(phases)
    checkpoints = diminishing_returns(knots, phases)
    statements, past_knee, knee_step = observations(phases, regimes, checkpoints, mean_rate)
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
    if run.has("train/lr"):
        lr = run.series("train/lr").to_numpy(dtype=float)
        lr = lr[np.isfinite(lr)]
        if len(lr) and lr.max() > 0:
            result.lr_final_frac = float(lr[-1] / lr.max())
    if target is not None:
        result.target = find_target(steps, values, name, float(target), run.meta, run)
    if project is not None:
        _fit_and_project(result, run, steps, values, project, schedule, price_per_hour)
    elif result.target is not None and not result.target.reached:
        try:  # a projected step for the target is a bonus: too few points is a note, not an error
            _fit_and_project(result, run, steps, values, None, schedule, price_per_hour)
        except InputError as exc:
            result.notes.append(f"no projected step for the target: {exc}")
    result.findings = make_findings(result)
    return result


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


def _fit_and_project(
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


# ---------------------------------------------------------------------------------------------------------
# series choice and initial loss


def choose_series(run: Run, override: str | None = None) -> tuple[str, str]:
    """(series name, why it was chosen). val/loss when it has >= MIN_VAL_POINTS finite points."""
    import numpy as np

    def finite_points(name: str) -> int:
        if not run.has(name):
            return 0
        return int(np.isfinite(run.series(name).to_numpy(dtype=float)).sum())

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


def check_init(loss: float, step: int, vocab: int | None, meta: dict[str, Any]) -> InitCheck:
    """Compare the first loss with ln(vocab): a well-initialised LM starts near uniform over the vocabulary."""
    if vocab is not None:
        if vocab < 2:
            raise InputError(f"--vocab must be at least 2 (got {vocab})")
        v, source = int(vocab), "option"
    elif meta.get("vocab_size"):
        v, source = int(meta["vocab_size"]), "log"
    else:
        v, source = DEFAULT_VOCAB, "assumed"
    expected = math.log(v)
    where = f"{loss:.4f} at step {step:,}"
    vs = f"ln({v:,}) = {expected:.2f}" + (" (GPT-2 vocab assumed; --vocab sets it)" if source == "assumed" else "")
    if loss > INIT_VERY_HIGH_RATIO * expected:
        verdict = "very_high"
        title = f"initial loss {where} is {loss / expected:.1f}x {vs}"
        advice = (
            "the model starts far worse than uniform; likely causes: weights initialised too large (init std), "
            "missing output/residual scaling (e.g. 1/sqrt(2·n_layer) on projections, tied-embedding logit scale), "
            "or the wrong vocab size"
        )
    elif loss > expected + INIT_HIGH_MARGIN:
        verdict = "high"
        title = f"initial loss {where} is {loss - expected:.2f} above {vs}"
        advice = "logits at init are too peaked; check the init scale and the output layer"
    elif loss < expected - INIT_LOW_MARGIN:
        verdict = "low"
        title = f"initial loss {where} is {expected - loss:.2f} below {vs}"
        if step > 0:
            advice = (
                f"the log starts at step {step:,}: probably resumed from a checkpoint or fine-tuning a trained "
                "model (or the vocab is wrong)"
            )
        else:
            advice = "the run may start from a trained checkpoint (resumed or fine-tuning), or the vocab is wrong"
    else:
        verdict = "ok"
        title = f"initial loss {where} vs {vs}"
        advice = "good init"
    return InitCheck(
        loss=loss,
        step=step,
        expected=expected,
        vocab=v,
        vocab_source=source,
        verdict=verdict,
        message=f"{title}: {advice}",
        title=title,
        advice=advice,
    )


# ---------------------------------------------------------------------------------------------------------
# binning and segmentation


@dataclass
class Knots:
    """Bin medians on the log-step axis: x (log axis), step, loss, points per bin."""

    x: np.ndarray
    step: np.ndarray
    loss: np.ndarray
    count: np.ndarray
    unit: float


def robust_noise(values: np.ndarray) -> float:
    """Per-point noise: MAD of second differences over the later half of the series.

    Second differences cancel a locally linear trend; the later half is where the curve is flattest (on a
    sparse eval series the early second differences are trend, not noise) and where noise matters.
    """
    import numpy as np

    tail = values[len(values) // 2 :]
    if len(tail) < 4:
        tail = values
    if len(tail) < 4:
        return 0.0
    d2 = np.diff(tail, 2)
    return float(1.4826 * np.median(np.abs(d2 - np.median(d2))) / math.sqrt(6.0))


def despike(values: np.ndarray, noise: float) -> np.ndarray:
    """Single-point upward outliers (one bad eval, a one-step loss spike) cut down to the running median of 3.

    A median of 3 leaves any monotone stretch exactly as it is, so the steep start is not blunted; only points
    more than OUTLIER_Z noise levels above it are cut, so a V-shaped minimum stays exact and ordinary noise
    is not biased downwards. Ends kept.
    """
    import numpy as np

    if len(values) < 3:
        return values
    out = values.copy()
    a, mid, c = values[:-2], values[1:-1], values[2:]
    med = np.maximum(np.minimum(a, mid), np.minimum(np.maximum(a, mid), c))  # median of 3 without sorting
    out[1:-1] = np.where(mid - med > OUTLIER_Z * noise, med, mid)
    return out


def log_bins(steps: np.ndarray, values: np.ndarray, bins: int = LOG_BINS) -> Knots:
    """Medians of step and loss in ``bins`` equal bins of x = ln(1 + step/unit), unit = median step spacing.

    The first and last knots sit at the first and last step, so phases span the whole run.
    """
    import numpy as np

    unit = float(np.median(np.diff(steps))) if len(steps) > 1 else 1.0
    unit = max(unit, 1.0)
    x = np.log1p(np.maximum(steps, 0) / unit)
    edges = np.linspace(x[0], x[-1], bins + 1)
    # steps are sorted, so each bin is a contiguous slice
    cuts = np.searchsorted(x, edges[1:-1], side="left")
    bounds = np.concatenate([[0], cuts, [len(x)]])
    kx, ks, kl, kn = [], [], [], []
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=False):
        if hi <= lo:
            continue
        kx.append(float(x[(lo + hi - 1) // 2]))
        ks.append(float(steps[(lo + hi - 1) // 2]))  # a logged step (the bin's middle point), not a mean
        kl.append(float(np.median(values[lo:hi])))
        kn.append(hi - lo)
    # The end knots move to the first and last step, carried along the bin's own trend (a bin median belongs
    # to the bin's middle, and on a falling curve it is not the value at the bin's edge).
    nonempty = [(lo, hi) for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True) if hi > lo]
    for k, edge in ((0, 0), (-1, len(steps) - 1)):
        lo, hi = nonempty[k]
        if hi - lo <= EDGE_RAW_MAX:  # a sparse (eval) series keeps its logged first and last values
            kl[k] = float(values[edge])
        else:
            kl[k] += _bin_slope(steps[lo:hi], values[lo:hi]) * (float(steps[edge]) - ks[k])
        ks[k], kx[k] = float(steps[edge]), float(x[edge])
    return Knots(np.array(kx), np.array(ks), np.array(kl), np.array(kn), unit)


def _bin_slope(steps: np.ndarray, values: np.ndarray) -> float:
    """Loss per step inside one bin: medians of its two halves (robust to spikes, O(n))."""
    import numpy as np

    n = len(steps)
    if n < 4:
        return 0.0
    h = n // 2
    ds = float(np.median(steps[h:]) - np.median(steps[:h]))
    return float(np.median(values[h:]) - np.median(values[:h])) / ds if ds > 0 else 0.0


def segment(knots: Knots, noise: float) -> list[Phase]:
    """Phases: the fewest constant-rate chords (3..8) that follow the binned curve, then merge similar rates."""
    import numpy as np

    y, n = knots.loss, knots.count
    k_count = len(y)
    if k_count == 1:
        return _phases_from_bounds(knots, [0, 0], noise)
    drop_scale = max(abs(y[0] - y[-1]), float(np.ptp(y)), 1e-12)
    floor = np.maximum(FIT_FLOOR_FRAC * drop_scale, NOISE_Z * 1.2533 * noise / np.sqrt(n))
    bad = chord_badness(knots.step, y, floor)
    max_k = min(MAX_PHASES, k_count - 1)
    min_k = min(MIN_PHASES, max_k)
    table = _minimax(bad, max_k)
    k = next((k for k in range(min_k, max_k + 1) if table[k][0][-1] <= FIT_REL_TOL), max_k)
    bounds = _backtrack(table, k, k_count - 1)
    bounds = _merge_similar(knots, bounds, noise)
    return _phases_from_bounds(knots, bounds, noise)


def chord_badness(step: np.ndarray, y: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """bad[i, j]: worst miss of the constant-rate chord from knot i to knot j, as a fraction of its drop.

    A phase is a stretch where the loss falls at a roughly constant rate per step, so the chord is straight
    in steps; the misses are measured at the log-spaced knots. Misses within the noise floor do not count,
    and dividing by the chord's own drop judges a late 0.05 fall on the same terms as an early fall of 5.
    """
    import numpy as np

    k = len(y)
    bad = np.full((k, k), np.inf)
    m = np.arange(k)
    for i in range(k - 1):  # all chords from knot i at once: rows j, columns the knots m in between
        j = m[i + 1 :, None]
        ds = np.maximum(step[j] - step[i], 1e-12)
        line = y[i] + (y[j] - y[i]) * (step[None, :] - step[i]) / ds
        miss = np.maximum(np.abs(y[None, :] - line) - floor[None, :], 0.0)
        miss[(m[None, :] < i) | (m[None, :] > j)] = 0.0
        scale = np.maximum(np.abs(y[i] - y[j]), np.maximum(floor[i], floor[j]))
        bad[i, i + 1 :] = (miss.max(axis=1, keepdims=True) / scale)[:, 0]
    return bad


def _minimax(bad: np.ndarray, max_k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """table[k] = (least worst-chord badness reaching knot j with k chords, previous boundary), k = 1..max_k.

    Ties (common: many segmentations have every chord within the noise) go to the earliest boundary.
    """
    import numpy as np

    k_count = bad.shape[0]
    first = bad[0].copy()
    first[0] = np.inf
    table = [(np.zeros(k_count), np.zeros(k_count, dtype=int)), (first, np.zeros(k_count, dtype=int))]
    for _ in range(2, max_k + 1):
        prev = table[-1][0]
        total = np.maximum(prev[:, None], bad)  # total[i, j]: k-1 chords to i, then one from i to j
        arg = np.argmin(total, axis=0)
        table.append((total[arg, np.arange(k_count)], arg))
    return table


def _backtrack(table: list[tuple[np.ndarray, np.ndarray]], k: int, end: int) -> list[int]:
    bounds = [end]
    j = end
    for level in range(k, 1, -1):
        j = int(table[level][1][j])
        bounds.append(j)
    bounds.append(0)
    return sorted(set(bounds))


def _merge_similar(knots: Knots, bounds: list[int], noise: float) -> list[int]:
    """Merge the most similar neighbours (per-step rate within MERGE_RATE_FACTOR) while more than 3 remain."""
    bounds = list(bounds)
    while len(bounds) > 2:
        # below MIN_PHASES only stretches at the same rate merge (a straight line is one phase)
        limit = MERGE_RATE_FACTOR if len(bounds) - 1 > MIN_PHASES else SAME_RATE_FACTOR
        best_i, best_ratio = -1, limit
        for i in range(1, len(bounds) - 1):
            a = _rate(knots, bounds[i - 1], bounds[i])
            b = _rate(knots, bounds[i], bounds[i + 1])
            if a <= 0 or b <= 0:  # a rise or a flat stretch is never merged into a descent
                continue
            ratio = max(a, b) / min(a, b)
            if ratio < best_ratio:
                best_i, best_ratio = i, ratio
        if best_i < 0:
            break
        del bounds[best_i]
    return bounds


def _rate(knots: Knots, i: int, j: int) -> float:
    return float((knots.loss[i] - knots.loss[j]) / max(knots.step[j] - knots.step[i], 1.0))


def _phases_from_bounds(knots: Knots, bounds: list[int], noise: float) -> list[Phase]:
    import numpy as np

    y, s, n = knots.loss, knots.step, knots.count
    total = float(y[bounds[0]] - y[bounds[-1]])
    drop_scale = max(abs(total), float(np.ptp(y)), 1e-12)
    mean_rate = mean_rate_per_step(knots)
    if float(np.ptp(y)) <= NOISE_Z * 1.2533 * noise * math.sqrt(2.0):
        mean_rate = 0.0  # the whole curve moves less than its noise: there is no rate to compare phases with
    phases = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=False):
        drop = float(y[a] - y[b])
        steps = max(float(s[b] - s[a]), 1.0)
        rate = drop / steps
        # what a phase's drop must exceed to be more than noise: the end medians' standard errors
        flat = max(NOISE_Z * 1.2533 * noise * math.sqrt(1 / n[a] + 1 / n[b]), FLAT_FRAC * drop_scale)
        phases.append(
            Phase(
                start_step=int(round(s[a])),
                end_step=int(round(s[b])),
                start_loss=float(y[a]),
                end_loss=float(y[b]),
                drop=drop,
                share=drop / total if total > 0 else None,
                rate_per_1k=rate * 1000.0,
                label=label_for(rate, mean_rate, drop, flat),
            )
        )
    if any(p.label == RISING_LABEL for p in phases) or all(p.label == PLATEAU_LABEL for p in phases):
        # the loss rose back: a phase's drop as a "share" of the net drop would exceed 100%, so no shares
        for p in phases:
            p.share = None
    if not phases:  # a single knot: one empty phase
        phases.append(Phase(int(s[0]), int(s[0]), float(y[0]), float(y[0]), 0.0, None, 0.0, PLATEAU_LABEL))
    return phases


def mean_rate_per_step(knots: Knots) -> float:
    """The run's mean rate of descent, the yardstick of the labels: the drop to the lowest point per step
    (so a curve that rose back keeps its scale), or the loss range per step for a run that never fell."""
    y, s = knots.loss, knots.step
    span = max(float(s[-1] - s[0]), 1.0)
    drop = float(y[0] - y.min())
    return (drop if drop > 0 else float(y.max() - y.min())) / span


def label_for(rate: float, mean_rate: float, drop: float, flat: float) -> str:
    """The phase label: rising / near plateau within noise, else by rate relative to the run's mean rate."""
    if drop < -flat:
        return RISING_LABEL
    if mean_rate <= 0 or drop <= 0:
        return PLATEAU_LABEL
    rel = rate / mean_rate
    if drop <= flat and rel < PLATEAU_MAX_REL:  # a fast fall is not a plateau, however noisy the tail
        return PLATEAU_LABEL
    for threshold, label in RATE_LABELS:
        if rel >= threshold:
            return label
    return PLATEAU_LABEL


def regime_of(label: str) -> str:
    return next(name for name, labels in REGIMES if label in labels)


def summarize_regimes(phases: list[Phase]) -> list[Regime]:
    """Consecutive phases of one regime (explosive / fast / slow refinement / rising) grouped together."""
    out: list[Regime] = []
    total = phases[0].start_loss - phases[-1].end_loss
    for i, p in enumerate(phases):
        name = regime_of(p.label)
        if out and out[-1].name == name:
            out[-1].end_step = p.end_step
            out[-1].phases.append(i + 1)
        else:
            out.append(Regime(name=name, start_step=p.start_step, end_step=p.end_step, share=None, phases=[i + 1]))
    if total > 0 and all(p.share is not None for p in phases):
        for r in out:
            r.share = sum(phases[i - 1].drop for i in r.phases) / total
    return out


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


def observations(
    phases: list[Phase], regimes: list[Regime], checkpoints: list[Checkpoint], mean_rate: float
) -> tuple[list[str], bool | None, int | None]:
    """The practitioner's sentences, whether the run is past the knee, and where the knee is."""
    out: list[str] = []
    first, last = phases[0].start_step, phases[-1].end_step
    total = phases[0].start_loss - phases[-1].end_loss
    if total <= 0:
        out.append(f"The loss did not fall overall: {phases[0].start_loss:.4f} -> {phases[-1].end_loss:.4f}.")
        return out, None, None
    if all(p.label == PLATEAU_LABEL for p in phases):
        out.append(
            f"The loss is flat within noise: {phases[0].start_loss:.4f} -> {phases[-1].end_loss:.4f} "
            f"over steps {_steps(first)}-{_steps(last)}."
        )
        return out, None, None
    rising = [p for p in phases if p.label == RISING_LABEL]
    if rising:
        # shares of a total that rose back are not "work done"; say where the curve turned instead
        low = min(phases, key=lambda p: p.end_loss)
        out.append(
            f"The loss fell {phases[0].start_loss:.4f} -> {low.end_loss:.4f} by step {_steps(low.end_step)}, "
            f"then rose to {phases[-1].end_loss:.4f} by step {_steps(last)}."
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
    knee_step = next((p.start_step for p in phases[1:] if p.rate_per_1k < mean_rate), None)
    past_knee: bool | None = None
    if checkpoints:
        final = checkpoints[-1]
        first_cp = checkpoints[0]
        parts = []
        for c in checkpoints:
            less = f" ({c.times_less:,.0f}x less)" if c.times_less and c is not first_cp else ""
            parts.append(f"step {_steps(c.step)} {_num(c.rate_per_1k)}{less}")
        out.append("Per-1K-step drop: " + ", ".join(parts) + ".")
        if final.rate_per_1k <= 0:
            out.append(
                f"The loss is no longer falling: {_num(final.rate_per_1k)}/1K steps over steps "
                f"{_steps(final.window_start)}-{_steps(final.step)}."
            )
        elif final.rate_per_1k < PAST_KNEE_RATIO * mean_rate:
            past_knee = True
            out.append(
                f"Past the knee (from about step {_steps(knee_step or first_cp.step)}): the loss now falls "
                f"{_num(final.rate_per_1k)}/1K steps, {mean_rate / final.rate_per_1k:,.0f}x below "
                f"the run's mean of {_num(mean_rate)}/1K."
            )
        else:
            past_knee = False
            out.append(
                f"Not past the knee: the last window still falls {_num(final.rate_per_1k)}/1K steps "
                f"({final.rate_per_1k / mean_rate:.0%} of the run's mean rate)."
            )
    return out, past_knee, knee_step


def _steps(n: float) -> str:
    """Steps the way practitioners write them: 950, 1K, 12.5K, 1.2M."""
    n = float(n)
    if abs(n) >= 1e6:
        return f"{n / 1e6:.3g}M"
    if abs(n) >= 1e3:
        return f"{n / 1e3:.3g}K"
    return f"{n:.0f}"


def _tokens(n: float) -> str:
    for size, unit in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if n >= size:
            return f"{n / size:.3g}{unit}"
    return f"{n:.0f}"


def _n_steps(n: float) -> str:
    return "step" if n == 1 else f"{_steps(n)} steps"


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
    tok = f" ({_tokens(tokens)} tokens)" if tokens else ""
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
        tok = run.series("train/tokens").dropna()
        if len(tok) >= 2:
            return float(np.interp(step, tok.index.to_numpy(dtype=float), tok.to_numpy(dtype=float)))
    per_step = meta.get("tokens_per_step")
    if per_step:
        return float(step) * float(per_step)
    return None


# ---------------------------------------------------------------------------------------------------------
# findings


def _knee_advice(lr_final_frac: float | None) -> str:
    if lr_final_frac is not None and lr_final_frac <= LR_DECAYED_FRAC:
        return (
            f"the LR has already decayed to {lr_final_frac:.0%} of its peak: more steps at this size buy little; "
            "more data with a new schedule, or a larger model, moves the curve"
        )
    return "more steps at this LR buy little; an LR decay/warmdown (or a larger model) moves the curve more"


def make_findings(r: PhasesResult) -> list[Finding]:
    out: list[Finding] = []
    init = r.init
    if init.verdict not in ("ok", "unknown"):
        out.append(
            Finding(
                analyzer=NAME,
                severity=Severity.PROBLEM if init.verdict == "very_high" else Severity.WARNING,
                title=init.title,
                evidence={
                    "loss": init.loss,
                    "step": init.step,
                    "expected": round(init.expected, 4),
                    "vocab": init.vocab,
                    "vocab_source": init.vocab_source,
                },
                advice=init.advice,
                steps=(init.step, init.step) if init.step is not None else None,
            )
        )
    for p in r.phases:
        if p.label == RISING_LABEL:
            out.append(
                Finding(
                    analyzer=NAME,
                    severity=Severity.WARNING,
                    title=(
                        f"{r.series} rose {p.start_loss:.4f} -> {p.end_loss:.4f} over steps "
                        f"{p.start_step:,}-{p.end_step:,} (+{-p.drop:.4f})"
                    ),
                    evidence={"start_loss": p.start_loss, "end_loss": p.end_loss, "rate_per_1k": p.rate_per_1k},
                    advice=(
                        "a sustained rise is divergence or overfitting: check the LR, grad norms and the train/val gap"
                    ),
                    steps=(p.start_step, p.end_step),
                )
            )
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
                advice=_knee_advice(r.lr_final_frac),
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

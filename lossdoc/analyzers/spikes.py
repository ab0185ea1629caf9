"""Loss spikes: where the loss jumped, what kind of jump it was, what it cost, and what to do about it.

The detector (``detector.py``) scores each point of a loss series against a robust trailing baseline; it works on
raw per-step logs and on sparse ones alike, because it counts points, not steps.

Per spike we report the baseline before it, peak, signed jump, kind (single-step / sustained / divergence),
recovery steps and tokens, the LR at the spike, the grad norm around it and any rise before it. Around the
spikes: NaN/inf onset, best val and checkpoint advice, periodicity of the spike steps, shard boundaries
(``shards.py``) and plateaus (``plateaus.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..findings import Finding, Severity
from ..numbers import abbreviate
from ..run import Run
from . import plateaus as _plateaus
from . import shards as _shards
from .detector import (
    BAND_Z,
    CONFIRM_POINTS,
    MAD_TO_SIGMA,
    MIN_HISTORY,
    MIN_SCALE_POINTS,
    WINDOW_POINTS,
    Event,
    Scores,
    detect,
    robust_scores,
)

if TYPE_CHECKING:
    import numpy as np

NAME = "spikes"

# --- per-spike facts (the detector's own thresholds are in detector.py) ---------------------------------------
RISE_Z = 3.0  # a rise before the spike must exceed 3 scales ...
RISE_MIN_REL = 0.02  # ... and 2% of the loss to be called a rising trend
RISE_LOOKBACK_WINDOWS = 8  # looked for over the 8 windows (1024 points on a dense log) before the spike
GRAD_RISE_RATIO = 1.5  # grad norm just before the spike >= 1.5x its earlier median ...
GRAD_RISE_POINTS = 5  # ... over the last 5 logged points, rising in at least 4 of them, is "climbing"

RISING_END_REL = 0.05  # train loss at the end > 5% above its (smoothed) minimum ...
RISING_END_POINTS = 3  # ... with at least 3 smoothed points after the minimum: the run is drifting upward
RISING_END_PROBLEM = 0.20  # a rise of 20% or more is a problem, below that a warning

# --- best val / checkpoint ------------------------------------------------------------------------------------
VAL_WORSE_Z = 3.0  # latest val worse than the best by > 3 robust scales of eval-to-eval noise ...
VAL_WORSE_REL = 0.01  # ... and by > 1% of the best loss, is "worse than the best"
CHECKPOINT_KEYS = ("checkpoint_interval", "save_interval", "save_every", "ckpt_interval", "checkpoint_every")


MAX_SPIKES_IN_FINDINGS = 5  # sustained/divergence spikes listed one finding each; the rest are summarised
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


@dataclass
class SpikesResult:
    series: list[str]
    spikes: list[Spike]
    nonfinite: list[dict[str, Any]]
    best: dict[str, Any] | None
    periodicity: dict[str, Any]
    shards: dict[str, Any] | None
    plateaus: list[dict[str, Any]]
    val_upticks: list[dict[str, Any]]
    tokens_per_step: float | None
    findings: list[Finding]
    rising_end: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "series": self.series,
            "spikes": [s.to_json() for s in self.spikes],
            "periodicity": self.periodicity,
            "shards": self.shards,
            "plateaus": self.plateaus,
            "val_upticks": self.val_upticks,
            "best": self.best,
            "nonfinite": self.nonfinite,
            "rising_end": self.rising_end,
            "tokens_per_step": self.tokens_per_step,
            "findings": [f.to_json() for f in self.findings],
        }


# ---------------------------------------------------------------------------------------------------------------
# The analysis of a Run
# ---------------------------------------------------------------------------------------------------------------


def applies(run: Run) -> str | None:
    # any point will do: a loss that is NaN from the first step is exactly what this analysis must report
    if run.has("train/loss") or run.has("val/loss"):
        return None
    return "needs train/loss or val/loss"


def analyze(run: Run, shard_map: Any = None, **_options: Any) -> SpikesResult:
    """Spikes, NaN onset, best val, periodicity, shard association and plateaus of one run.

    ``shard_map`` is what ``shards.load_shard_map`` returns (or None).
    """
    import numpy as np

    names = [n for n in ("train/loss", "val/loss") if run.has(n)]
    tokens_per_step = _tokens_per_step(run)
    lr = run.series("train/lr").dropna() if run.has("train/lr") else None
    lr_source, lr_relative = "train/lr", False
    if lr is None or not len(lr):
        lr, lr_source, lr_relative = _schedule_lr(run)
    grad = run.series("train/grad_norm").dropna() if run.has("train/grad_norm") else None
    tokens = run.series("train/tokens").dropna() if run.has("train/tokens") else None
    series = {name: run.series(name) for name in names}

    spikes: list[Spike] = []
    nonfinite: list[dict[str, Any]] = []
    eligible: dict[str, np.ndarray] = {}  # steps where a spike could have been detected (for chance tests)
    for name, s in series.items():
        values = s.to_numpy(dtype=float)
        steps = s.index.to_numpy()
        finite = np.isfinite(values)
        if not finite.all():
            nonfinite.append(_nonfinite_facts(name, steps, values, finite))
        y, st = values[finite], steps[finite]
        if len(y) <= MIN_HISTORY:
            continue
        sc = robust_scores(y, st)
        eligible[name] = st[~np.isnan(sc.base_up)]
        for ev in detect(y, sc, st):
            spikes.append(_spike_facts(name, ev, y, st, sc, tokens_per_step, lr, grad, tokens))
            spikes[-1].lr_source = lr_source if spikes[-1].lr is not None else None
            if lr_relative:  # only the fraction of peak is known, not the LR itself
                spikes[-1].lr = None
    spikes.sort(key=lambda s: (s.step, s.series))
    arrays = {n: (s.index.to_numpy(), s.to_numpy(dtype=float)) for n, s in series.items()}
    for sp in spikes:
        sp.window = _window_rows(sp, arrays)
    if "val/loss" in series:
        _val_effect(spikes, series["val/loss"])

    main = "train/loss" if "train/loss" in eligible else ("val/loss" if "val/loss" in eligible else None)
    main_steps = [sp.step for sp in spikes if sp.series == main and sp.jump > 0]
    spacing = _median_spacing(series[main].index.to_numpy()) if main else 1.0
    periodicity = _shards.periodicity(main_steps, eligible.get(main, np.array([])), spacing)
    periodicity["series"] = main

    shard_info = None
    if shard_map is not None and main is not None:
        boundaries = _shards.boundaries(shard_map, tokens_per_step, int(series[main].index.max()))
        shard_info = _shards.associate(boundaries, spikes, main, eligible[main], spacing)

    best = _best_val(run, lr, lr_relative)
    plateaus, upticks = _plateaus.find(series)

    rising = _rising_end(series["train/loss"], spikes) if "train/loss" in series else None
    result = SpikesResult(
        series=names,
        spikes=spikes,
        nonfinite=nonfinite,
        best=best,
        periodicity=periodicity,
        shards=shard_info,
        plateaus=plateaus,
        val_upticks=upticks,
        tokens_per_step=tokens_per_step,
        findings=[],
        rising_end=rising,
    )
    result.findings = _findings(result)
    return result


def _val_noise(values: np.ndarray) -> float:
    """Eval-to-eval noise: robust sd of successive differences / sqrt(2) (0 with fewer than 3 differences)."""
    import numpy as np

    diffs = np.diff(values)
    if len(diffs) < 3:
        return 0.0
    return MAD_TO_SIGMA * float(np.median(np.abs(diffs - np.median(diffs)))) / math.sqrt(2)


def _val_effect(spikes: list[Spike], val: Any) -> None:
    """For each train spike: the evals around it and whether val moved by more than its noise."""
    import numpy as np

    ok = np.isfinite(val.to_numpy(dtype=float))
    steps, values = val.index.to_numpy()[ok], val.to_numpy(dtype=float)[ok]
    noise = _val_noise(values)
    for sp in spikes:
        if sp.series != "train/loss":
            continue
        k = int(np.searchsorted(steps, sp.step, side="right"))  # evals at steps <= onset: [0, k)
        if k == 0 or k >= len(steps):
            continue
        sp.val_before, sp.val_after = float(values[k - 1]), float(values[k])
        margin = max(VAL_WORSE_Z * noise, VAL_WORSE_REL * abs(sp.val_before))
        sp.val_affected = bool(sp.val_after - sp.val_before > margin)


def _rising_end(train: Any, spikes: list[Spike]) -> dict[str, Any] | None:
    """A train loss that has been climbing since its minimum without a spike to explain it (slow divergence)."""
    import numpy as np

    ok = np.isfinite(train.to_numpy(dtype=float))
    steps, values = train.index.to_numpy()[ok], train.to_numpy(dtype=float)[ok]
    if len(values) < RISING_END_POINTS + 2:
        return None
    xs, ys = _plateaus._smoothed(steps, values)
    k = int(np.argmin(ys))
    if len(ys) - 1 - k < RISING_END_POINTS or ys[-1] - ys[k] <= RISING_END_REL * abs(ys[k]):
        return None
    start = int(xs[k])
    if any(sp.series == "train/loss" and sp.kind == "divergence" and sp.step >= start for sp in spikes):
        return None  # a diverging spike already explains the rise
    return {
        "series": "train/loss",
        "from_step": start,
        "from": float(ys[k]),
        "to_step": int(xs[-1]),
        "to": float(ys[-1]),
        "pct": 100.0 * float(ys[-1] - ys[k]) / abs(float(ys[k])),
    }


def _schedule_lr(run: Run) -> tuple[Any, str | None, bool]:
    """The LR at every logged step from the schedule the log states (nanoGPT config, llm.c header, modded-nanogpt
    warmup/warmdown), when the LR itself is not logged: (Series indexed by step, where it came from, whether the
    values are only multipliers of an unstated peak), or (None, None, False)."""
    import numpy as np
    import pandas as pd

    from ..schedule import schedule_for

    if not len(run.df) or run.df["step"].min() < 0:
        return None, None, False
    schedule, _ = schedule_for(run, int(run.df["step"].max()) + 1)
    if schedule is None:
        return None, None, False
    steps = np.unique(run.df["step"].to_numpy())  # only now: on million-point logs this costs a sort
    return pd.Series(schedule.lr[steps], index=steps), schedule.source, schedule.relative


def _tokens_per_step(run: Run) -> float | None:
    value = run.meta.get("tokens_per_step")
    if isinstance(value, (int, float)) and value > 0:
        return float(value)
    return None


def _median_spacing(steps: np.ndarray) -> float:
    import numpy as np

    if len(steps) < 2:
        return 1.0
    return float(max(1.0, np.median(np.diff(steps))))


def _nonfinite_facts(name: str, steps: np.ndarray, values: np.ndarray, finite: np.ndarray) -> dict[str, Any]:
    import numpy as np

    bad = np.flatnonzero(~finite)
    first = int(bad[0])
    before = np.flatnonzero(finite[:first])
    after_finite = int(finite[first:].sum())
    return {
        "series": name,
        "step": int(steps[first]),
        "value": "nan" if np.isnan(values[first]) else ("inf" if values[first] > 0 else "-inf"),
        "count": int(len(bad)),
        "points": int(len(values)),
        "finite_after": after_finite,
        "last_finite_step": int(steps[before[-1]]) if len(before) else None,
        "last_finite": float(values[before[-1]]) if len(before) else None,
    }


def _value_at(series: Any, step: int) -> float | None:
    """The value of a (finite) series at the last step <= step, or None."""
    if series is None or not len(series):
        return None
    import numpy as np

    idx = int(np.searchsorted(series.index.to_numpy(), step, side="right")) - 1
    return float(series.iloc[idx]) if idx >= 0 else None


def _spike_facts(
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
        t0, t1 = _value_at(tokens, onset_step), _value_at(tokens, recovery_step)
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
        spike.lr = _value_at(lr, onset_step)
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


def _window_rows(spike: Spike, arrays: dict[str, tuple[np.ndarray, np.ndarray]]) -> list[dict[str, Any]]:
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


# ---------------------------------------------------------------------------------------------------------------
# Best val and checkpoint advice
# ---------------------------------------------------------------------------------------------------------------


def _best_val(run: Run, lr: Any, lr_relative: bool = False) -> dict[str, Any] | None:
    import numpy as np

    if not run.has("val/loss"):
        return None
    val = run.series("val/loss")
    val = val[np.isfinite(val.to_numpy(dtype=float))]
    if not len(val):
        return None
    k = int(np.argmin(val.to_numpy()))
    best_step, best_loss = int(val.index[k]), float(val.iloc[k])
    latest_step, latest = int(val.index[-1]), float(val.iloc[-1])
    noise = _val_noise(val.to_numpy(dtype=float))
    margin = max(VAL_WORSE_Z * noise, VAL_WORSE_REL * best_loss)
    interval, source = _checkpoint_interval(run, val.index.to_numpy())
    checkpoint = (best_step // interval) * interval if interval else best_step
    out: dict[str, Any] = {
        "series": "val/loss",
        "step": best_step,
        "loss": best_loss,
        "latest_step": latest_step,
        "latest": latest,
        "noise": noise,
        "margin": margin,
        "worse": bool(latest - best_loss > margin),
        "checkpoint_step": int(checkpoint),
        "checkpoint_interval": interval,
        "checkpoint_interval_source": source,
    }
    if lr is not None and len(lr):
        at = _value_at(lr, best_step)
        out["lr_at_best"] = None if lr_relative else at
        peak = float(lr.max())
        out["lr_at_best_frac_of_peak"] = at / peak if (at is not None and peak > 0) else None
    return out


def _checkpoint_interval(run: Run, val_steps: np.ndarray) -> tuple[int | None, str]:
    """Checkpoint spacing in steps: from the log's meta/config, else the eval spacing (nanoGPT saves at evals)."""
    import numpy as np

    config = run.meta.get("config") if isinstance(run.meta.get("config"), dict) else {}
    for key in CHECKPOINT_KEYS:
        for where, source in ((run.meta, "meta"), (config, "config")):
            value = where.get(key)
            if isinstance(value, (int, float)) and value > 0:
                return int(value), f"{source}:{key}"
    for where, source in ((run.meta, "meta"), (config, "config")):
        value = where.get("eval_interval")
        if isinstance(value, (int, float)) and value > 0:
            return int(value), f"{source}:eval_interval"
    if len(val_steps) >= 2:
        return int(np.median(np.diff(val_steps))), "eval spacing in the log"
    return None, "unknown"


# ---------------------------------------------------------------------------------------------------------------
# Findings
# ---------------------------------------------------------------------------------------------------------------



def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _describe(sp: Spike) -> str:
    arrow = f"{sp.before:.4g} → {sp.peak:.4g} ({sp.jump:+.3g}, {sp.jump_pct:+.0f}%)"
    return f"{sp.series} at step {sp.step:,}: {arrow}"


def _findings(r: SpikesResult) -> list[Finding]:
    out: list[Finding] = []
    for nf in r.nonfinite:
        counts = f"{nf['count']:,} of {nf['points']:,} points non-finite"
        if nf["last_finite_step"] is not None:
            title = (
                f"{nf['series']} became {nf['value']} at step {nf['step']:,} ({counts}; "
                f"last finite {nf['last_finite']:.4g} at step {nf['last_finite_step']:,})"
            )
            advice = (
                "Restart from the last checkpoint before this step; check for fp16 overflow, a too-high LR "
                "or a corrupt batch at this step."
            )
        else:
            title = f"{nf['series']} is {nf['value']} from its first point, step {nf['step']:,} ({counts})"
            advice = (
                "Never finite: not an instability but a broken setup; check the data (token ids within the vocab), "
                "the build/precision settings and the initialisation on a single batch."
            )
        out.append(
            Finding(
                NAME,
                Severity.PROBLEM,
                title,
                evidence={k: v for k, v in nf.items() if k != "series"} | {"series": nf["series"]},
                advice=advice,
                steps=(nf["step"], nf["step"]),
            )
        )
    if r.rising_end:
        re_ = r.rising_end
        out.append(
            Finding(
                NAME,
                Severity.PROBLEM if re_["pct"] >= 100 * RISING_END_PROBLEM else Severity.WARNING,
                f"train/loss has been rising since step {re_['from_step']:,}: {re_['from']:.4g} → {re_['to']:.4g} "
                f"(+{re_['pct']:.0f}%) by step {re_['to_step']:,}",
                evidence=dict(re_),
                advice=f"The run is drifting upward (slow divergence): stop it and restart from a checkpoint at or "
                f"before step {re_['from_step']:,} with a lower LR.",
                steps=(re_["from_step"], re_["to_step"]),
            )
        )
    upward = [s for s in r.spikes if s.jump > 0]
    big = sorted((s for s in upward if s.kind != "single-step"), key=lambda s: -abs(s.jump_pct))
    for sp in big[:MAX_SPIKES_IN_FINDINGS]:
        out.append(_spike_finding(sp))
    if len(big) > MAX_SPIKES_IN_FINDINGS:
        rest = big[MAX_SPIKES_IN_FINDINGS:]
        out.append(
            Finding(
                NAME,
                Severity.WARNING,
                f"{len(rest)} more sustained spikes (largest {max(abs(s.jump_pct) for s in rest):.0f}%)",
                evidence={"count": len(rest), "steps": ",".join(str(s.step) for s in rest[:20])},
            )
        )
    singles = [s for s in upward if s.kind == "single-step"]
    if singles:
        top = max(singles, key=lambda s: s.jump_pct)
        out.append(
            Finding(
                NAME,
                Severity.INFO,
                f"{len(singles)} single-step spike(s), back at the next point; largest {_describe(top)}"
                + _val_note(top),
                evidence={"count": len(singles), "largest_step": top.step, "largest_jump_pct": top.jump_pct},
                advice="One-step spikes are typically a bad batch; harmless unless they recur at the same data "
                "position (log the batch/shard index to check).",
                steps=(top.step, top.step),
            )
        )
    down = [s for s in r.spikes if s.jump < 0]
    if down:
        top = min(down, key=lambda s: s.jump_pct)
        out.append(
            Finding(
                NAME,
                Severity.WARNING,
                f"{len(down)} downward outlier(s): loss far below its neighbours for one point; "
                f"largest {_describe(top)}",
                evidence={"count": len(down), "largest_step": top.step, "largest_jump_pct": top.jump_pct},
                advice="A loss that drops far below its neighbours and comes straight back is a data or logging "
                "problem (an empty/duplicated batch, a short sequence, a mis-averaged loss), not progress.",
                steps=(top.step, top.step),
            )
        )
    if r.best and r.best["worse"]:
        b = r.best
        lr_note = ""
        if b.get("lr_at_best") is not None and b.get("lr_at_best_frac_of_peak") is not None:
            lr_note = f"; LR there was {b['lr_at_best']:.2g} = {100 * b['lr_at_best_frac_of_peak']:.0f}% of peak"
        out.append(
            Finding(
                NAME,
                Severity.WARNING,
                f"Best val {b['loss']:.4g} at step {b['step']:,}; latest {b['latest']:.4g} (step {b['latest_step']:,}) "
                f"is worse by {b['latest'] - b['loss']:.3g}{lr_note}",
                evidence={k: v for k, v in b.items() if not isinstance(v, (dict, list))},
                advice=f"Keep/restart from the checkpoint at step {b['checkpoint_step']:,} (nearest the best val; "
                f"interval {b['checkpoint_interval']} from {b['checkpoint_interval_source']}), with a gentler LR.",
                steps=(b["step"], b["latest_step"]),
            )
        )
    p = r.periodicity
    if p.get("p_value") is not None and p["p_value"] < _shards.PERIOD_P:
        out.append(
            Finding(
                NAME,
                Severity.WARNING,
                f"Spikes recur every ~{p['period_steps']:,} steps ({p['n_spikes']} spikes, phase score "
                f"{p['score']:.2f}, {_p_text(p['p_value'])} against random timing)",
                evidence={k: v for k, v in p.items() if not isinstance(v, list)},
                advice="Periodic spikes point at the data order: check which data shard/file the loader is on at "
                "each spike (pass --shard-map to test it).",
            )
        )
    if r.shards:
        sh = r.shards
        sev = Severity.WARNING if sh["p_value"] < _shards.PERIOD_P else Severity.INFO
        p_text = _p_text(sh["p_value"])
        out.append(
            Finding(
                NAME,
                sev,
                f"{sh['spikes_near_boundary']} of {sh['spikes']} spikes start within {sh['window_steps']:,} steps "
                f"after a shard boundary (chance: {sh['expected_by_chance']:.1f}, {p_text})",
                evidence={k: v for k, v in sh.items() if not isinstance(v, list)},
                advice="Inspect the shards named in the spike table; shuffle across shards or drop the bad ones."
                if sev is Severity.WARNING
                else "",
            )
        )
    for pl in r.plateaus:
        label = pl["label"]
        sev = Severity.WARNING if label == "flat" else Severity.INFO
        band = f"{pl['series']} {pl['low']:.4g}–{pl['high']:.4g}"
        if pl.get("val_low") is not None:
            band += f", val {pl['val_low']:.4g}–{pl['val_high']:.4g}"
        out.append(
            Finding(
                NAME,
                sev,
                f"Plateau ({label}): {band} from step {pl['start_step']:,} to {pl['end_step']:,} "
                f"(slope {pl['slope_per_1k']:+.3g} per 1K steps)",
                evidence={k: v for k, v in pl.items()},
                advice="A flat plateau at this LR is wasted compute: lower the LR (or start the decay), or check for "
                "repeated data."
                if label == "flat"
                else "",
                steps=(pl["start_step"], pl["end_step"]),
            )
        )
    return out


def _val_note(sp: Spike) -> str:
    if sp.val_affected is None:
        return ""
    word = "val rose" if sp.val_affected else "val unaffected"
    return f"; {word} ({sp.val_before:.4g} → {sp.val_after:.4g} at the next eval)"


def lr_phrase(sp: Spike) -> str:
    """The LR at a spike in words: "LR 2.4e-04 = 40% of peak", or "LR at 88% of peak" when only the schedule's
    shape is known; "" when nothing is."""
    if sp.lr is not None:
        frac = f" = {100 * sp.lr_frac_of_peak:.0f}% of peak" if sp.lr_frac_of_peak is not None else ""
        return f"LR {sp.lr:.2e}{frac}"
    if sp.lr_frac_of_peak is not None:
        return f"LR at {100 * sp.lr_frac_of_peak:.0f}% of peak"
    return ""


def _spike_finding(sp: Spike) -> Finding:
    parts = [f"Spike in {_describe(sp)}"]
    if sp.kind == "sustained":
        cost = f"; recovery took {sp.recovery_steps:,} steps"
        if sp.tokens_wasted:
            cost += f" = {abbreviate(sp.tokens_wasted)} tokens"
        parts.append(cost)
        severity = Severity.WARNING
        advice = "A spike that needs recovery costs compute; if they repeat, lower the LR or tighten grad clipping."
    else:
        parts.append(
            f"; not back in the pre-spike band by the end of the log ({100 * sp.recovered_fraction:.0f}% recovered)"
        )
        severity = Severity.PROBLEM
        advice = "Divergence: restart from a checkpoint before the spike with a lower LR (or skip the batches there)."
    extra = []
    if sp.rising_before:
        rb = sp.rising_before
        extra.append(
            f"loss was rising before it: {rb['from']:.4g} → {rb['to']:.4g} "
            f"from step {rb['from_step']:,} (+{rb['pct']:.0f}%)"
        )
    if lr := lr_phrase(sp):
        extra.append(lr)
    if sp.grad_norm_rising:
        extra.append(f"grad norm climbing into it ({sp.grad_norm_before:.3g} → {sp.grad_norm:.3g})")
    if sp.shard_boundary:
        extra.append(f"just after shard boundary {sp.shard_boundary}")
    if sp.val_affected is not None:
        extra.append(_val_note(sp)[2:])
    title = "".join(parts) + ("; " + "; ".join(extra) if extra else "")
    end = sp.recovery_step if sp.recovery_step is not None else sp.peak_step
    return Finding(
        NAME,
        severity,
        title,
        evidence={k: v for k, v in sp.to_json().items() if not isinstance(v, (list, dict))},
        advice=advice,
        steps=(sp.step, end),
    )

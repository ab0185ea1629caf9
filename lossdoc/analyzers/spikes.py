"""Loss spikes: where the loss jumped, what kind of jump it was, what it cost, and what to do about it.

The detector (``detector.py``) scores each point of a loss series against a robust trailing baseline; it works on
raw per-step logs and on sparse ones alike, because it counts points, not steps. Each event becomes a ``Spike``
(``spike_events.py``: recovery, kind, cost, LR, grad norm, rise before it); the evals around it and the best val
are in ``spike_val.py``; a slow rise at the end in ``rising.py``; periodicity and shard boundaries in
``shards.py``; plateaus in ``plateaus.py``; the words of the findings in ``spike_findings.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..findings import Finding
from ..run import Run
from . import plateaus as _plateaus
from . import shards as _shards
from .detector import MIN_HISTORY, detect, robust_scores
from .rising import EVAL_SERIES, rising_end
from .spike_events import LrContext, Spike, spike_facts, window_rows
from .spike_findings import findings, lr_phrase
from .spike_val import best_val, val_effect
from .step_series import StepSeries, step_series

if TYPE_CHECKING:
    import numpy as np

NAME = "spikes"
__all__ = ["NAME", "Spike", "SpikesResult", "analyze", "applies", "lr_phrase"]


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
    tokens_per_step: int | None
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
    lr = _lr_context(run)
    grad = step_series(run, "train/grad_norm", dropna=True) if run.has("train/grad_norm") else None
    tokens = step_series(run, "train/tokens", dropna=True) if run.has("train/tokens") else None
    series = {name: step_series(run, name) for name in names}

    spikes: list[Spike] = []
    nonfinite: list[dict[str, Any]] = []
    eligible: dict[str, np.ndarray] = {}  # steps where a spike could have been detected (for chance tests)
    for name, s in series.items():
        values, steps = s.values, s.steps
        finite = np.isfinite(values)
        if not finite.all():
            nonfinite.append(_nonfinite_facts(name, steps, values, finite))
        y, st = values[finite], steps[finite]
        if len(y) <= MIN_HISTORY:
            continue
        sc = robust_scores(y, st)
        eligible[name] = st[~np.isnan(sc.base_up)]
        for ev in detect(y, sc, st):
            spikes.append(spike_facts(name, ev, y, st, sc, tokens_per_step, lr, grad, tokens))
    spikes.sort(key=lambda s: (s.step, s.series))
    arrays = {n: (s.steps, s.values) for n, s in series.items()}
    for sp in spikes:
        sp.window = window_rows(sp, arrays)
    if "val/loss" in series:
        val_effect(spikes, series["val/loss"])

    main = "train/loss" if "train/loss" in eligible else ("val/loss" if "val/loss" in eligible else None)
    main_steps = [sp.step for sp in spikes if sp.series == main and sp.jump > 0]
    spacing = _median_spacing(series[main].steps) if main else 1.0
    periodicity = _shards.periodicity(main_steps, eligible.get(main, np.array([])), spacing)
    periodicity["series"] = main

    shard_info = None
    if shard_map is not None and main is not None:
        boundaries = _shards.boundaries(shard_map, tokens_per_step, int(series[main].steps.max()))
        shard_info = _shards.associate(boundaries, spikes, main, eligible[main], spacing)

    best = best_val(run, lr)
    plateaus, upticks = _plateaus.find(series, lr.series if lr else None, lr.peak if lr else None)

    evals = {name: step_series(run, name) for name in EVAL_SERIES if run.has(name)}
    rising = rising_end(series["train/loss"], spikes, evals) if "train/loss" in series else None
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
    result.findings = findings(result)
    return result


def _lr_context(run: Run) -> LrContext | None:
    """The LR at each logged step (logged, else from the schedule the log states) and the peak it is measured
    against: the planned peak when it is known (the lr_peak fact, or the stated schedule the LR is computed
    from), else only the highest LR in this log, which is not the peak of an excerpt or of a run logged from
    mid-schedule (an 11-line Megatron excerpt is at "100%" of its own highest LR)."""
    from ..facts import run_facts

    planned = run_facts(run).get("lr_peak")
    planned = float(planned) if isinstance(planned, (int, float)) and planned > 0 else None
    lr = step_series(run, "train/lr", dropna=True) if run.has("train/lr") else None
    if lr is not None and len(lr):
        if planned is not None:
            return LrContext(lr, "train/lr", False, planned, "peak")
        return LrContext(lr, "train/lr", False, float(lr.values.max()) or None, "the highest LR in this log")
    schedule = _schedule(run)
    if schedule is None:
        return None
    series, source, relative, peak = schedule
    return LrContext(series, source, relative, peak or None, "peak")


def _schedule(run: Run) -> tuple[Any, str, bool, float] | None:
    """The LR at every logged step from the schedule the log states (nanoGPT config, llm.c header, modded-nanogpt
    warmup/warmdown): (the LR by step, where it came from, whether the values are only multipliers of an
    unstated peak, the schedule's peak), or None."""
    import numpy as np

    from ..schedule import schedule_for

    all_steps = run.all_steps()
    if not len(all_steps) or all_steps.min() < 0:
        return None
    schedule, _ = schedule_for(run, int(all_steps.max()) + 1)
    if schedule is None or not len(schedule.lr):
        return None
    steps = np.unique(all_steps)  # only now: on million-point logs this costs a sort
    lr = StepSeries(steps, np.asarray(schedule.lr[steps], dtype=np.float64))
    return lr, schedule.source, schedule.relative, float(schedule.lr.max())


def _tokens_per_step(run: Run) -> int | None:
    from ..facts import run_facts
    from ..numbers import whole

    value = run_facts(run).get("tokens_per_step")
    if isinstance(value, (int, float)) and value > 0:
        return whole(value)  # a count: the costs it gives are counts of tokens too
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

"""What the evals say around the spikes: the val loss before and after each train spike, and the best val with
the checkpoint to go back to."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..run import Run
from .detector import MAD_TO_SIGMA
from .spike_events import LrContext, Spike, value_at
from .step_series import step_series

if TYPE_CHECKING:
    import numpy as np

VAL_WORSE_Z = 3.0  # latest val worse than the best by > 3 robust scales of eval-to-eval noise ...
VAL_WORSE_REL = 0.01  # ... and by > 1% of the best loss, is "worse than the best"
VAL_NOISE_CAP_REL = 0.03  # ... but the noise part of that margin is at most 3% of the loss: evals average many
#                           batches (nanoGPT 200, llm.c 20), their noise is well under 1%; a series whose
#                           eval-to-eval changes look larger is moving (overfitting, diverging), not noisy
VAL_TREND_EVALS = 3  # the val trend before a spike: over the last 3 eval-to-eval differences
CHECKPOINT_KEYS = ("checkpoint_interval", "save_interval", "save_every", "ckpt_interval", "checkpoint_every")


def _val_noise(values: np.ndarray) -> float:
    """Eval-to-eval noise: robust sd of successive differences / sqrt(2) (0 with fewer than 3 differences)."""
    import numpy as np

    diffs = np.diff(values)
    if len(diffs) < 3:
        return 0.0
    return MAD_TO_SIGMA * float(np.median(np.abs(diffs - np.median(diffs)))) / math.sqrt(2)


def _margin(noise: float, level: float) -> float:
    """How far val must move to be more than eval noise (VAL_WORSE_Z scales, VAL_WORSE_REL, VAL_NOISE_CAP_REL)."""
    return max(min(VAL_WORSE_Z * noise, VAL_NOISE_CAP_REL * abs(level)), VAL_WORSE_REL * abs(level))


def val_effect(spikes: list[Spike], val: Any) -> None:
    """For each train spike: the last eval before its onset, the first after it, and whether val moved by more than
    its noise *and* more than it was already moving (a val that was rising before the spike, as when overfitting,
    is not made worse by it just because it rose again).

    The eval at the onset step itself is neither: it is taken before that step's update (nanoGPT, llm.c), so it
    cannot show the damage of a bad batch, and it already shows a divergence that began before the onset.
    """
    import numpy as np

    ok = np.isfinite(val.values)
    steps, values = val.steps[ok], val.values[ok]
    noise = _val_noise(values)
    for sp in spikes:
        if sp.series != "train/loss":
            continue
        k = int(np.searchsorted(steps, sp.step, side="left"))  # evals at steps < onset: [0, k)
        k_after = int(np.searchsorted(steps, sp.step, side="right"))  # first eval at a step > onset
        if k == 0 or k_after >= len(steps):
            continue
        sp.val_before, sp.val_after = float(values[k - 1]), float(values[k_after])
        delta = sp.val_after - sp.val_before
        margin = _margin(noise, sp.val_before)
        trend = _trend_before(steps[:k], values[:k]) * float(steps[k_after] - steps[k - 1])
        if sp.kind == "divergence" and k_after < len(steps) - 1:
            # a train loss that never came back: do the evals agree? (the last eval against the one before)
            sp.val_end, sp.val_end_step = float(values[-1]), int(steps[-1])
            sp.val_disagrees = bool(sp.val_end - sp.val_before <= margin)
        if delta <= margin:
            sp.val_change, sp.val_affected = "unaffected", False
        elif delta - max(trend, 0.0) <= margin:
            sp.val_change, sp.val_affected = "trend", False
            sp.val_trend = trend
        else:
            sp.val_change, sp.val_affected = "rose", True


def _trend_before(steps: np.ndarray, values: np.ndarray) -> float:
    """Change of val per step over the last VAL_TREND_EVALS evals before a spike (median of the per-step
    differences, so one odd eval does not set it); 0 with fewer than 2 differences."""
    import numpy as np

    steps, values = steps[-VAL_TREND_EVALS - 1 :], values[-VAL_TREND_EVALS - 1 :]
    if len(values) < 3:
        return 0.0
    return float(np.median(np.diff(values) / np.diff(steps).astype(float)))


def best_val(run: Run, lr: LrContext | None) -> dict[str, Any] | None:
    import numpy as np

    if not run.has("val/loss"):
        return None
    val = step_series(run, "val/loss").finite()
    if not len(val):
        return None
    k = int(np.argmin(val.values))
    best_step, best_loss = int(val.steps[k]), float(val.values[k])
    latest_step, latest = int(val.steps[-1]), float(val.values[-1])
    noise = _val_noise(val.values)
    margin = _margin(noise, best_loss)
    interval, source = _checkpoint_interval(run, val.steps)
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
        "lr_at_best": None, "lr_at_best_frac_of_peak": None, "lr_peak_ref": None,  # null: the LR is unknown
    }
    if lr is not None and len(lr.series):
        at = value_at(lr.series, best_step)
        out["lr_at_best"] = None if lr.relative else at
        out["lr_at_best_frac_of_peak"] = at / lr.peak if (at is not None and lr.peak) else None
        out["lr_peak_ref"] = lr.peak_ref
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
    from ..facts import run_facts

    facts = run_facts(run)
    if facts.get("eval_interval"):  # nanoGPT saves a checkpoint at each eval
        return int(facts.get("eval_interval")), f"eval_interval ({facts.source('eval_interval')})"
    if len(val_steps) >= 2:
        return int(np.median(np.diff(val_steps))), "eval spacing in the log"
    return None, "unknown"

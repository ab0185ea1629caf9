"""What the evals say around the spikes: the val loss before and after each train spike, and the best val with
the checkpoint to go back to."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..run import Run
from .detector import MAD_TO_SIGMA
from .spike_events import Spike, value_at

if TYPE_CHECKING:
    import numpy as np

VAL_WORSE_Z = 3.0  # latest val worse than the best by > 3 robust scales of eval-to-eval noise ...
VAL_WORSE_REL = 0.01  # ... and by > 1% of the best loss, is "worse than the best"
CHECKPOINT_KEYS = ("checkpoint_interval", "save_interval", "save_every", "ckpt_interval", "checkpoint_every")


def _val_noise(values: np.ndarray) -> float:
    """Eval-to-eval noise: robust sd of successive differences / sqrt(2) (0 with fewer than 3 differences)."""
    import numpy as np

    diffs = np.diff(values)
    if len(diffs) < 3:
        return 0.0
    return MAD_TO_SIGMA * float(np.median(np.abs(diffs - np.median(diffs)))) / math.sqrt(2)


def val_effect(spikes: list[Spike], val: Any) -> None:
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


def best_val(run: Run, lr: Any, lr_relative: bool = False) -> dict[str, Any] | None:
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
        at = value_at(lr, best_step)
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

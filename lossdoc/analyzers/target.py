"""Target crossing: the first step where the (smoothed) loss series reaches a target loss, interpolated between
points, and the tokens by then. Part of the phases analysis (lossdoc/analyzers/phases.py); a target not reached
gets its projected step from the fit (lossdoc/analyzers/projection.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..numbers import abbreviate
from ..run import Run

if TYPE_CHECKING:
    import numpy as np

TARGET_SMOOTH_FRAC = 0.01  # train/loss is smoothed by a centred mean over 1% of its points (<= 501)
TARGET_SMOOTH_MAX = 501


@dataclass
class Target:
    loss: float
    step: float | None  # interpolated crossing step; None when not reached
    tokens: float | None
    projected_step: float | None
    reached: bool
    message: str



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

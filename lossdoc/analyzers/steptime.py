"""Step time: which steps are ordinary, which are warm-up or inflated by an eval / checkpoint, drift over the run,
and the share of wall time the slow steps cost. Used by the mfu analysis (its MFU is computed on ordinary steps).

nanoGPT's ``iter N`` right after an eval prints the eval's time (dt is measured across the eval), llm.c and
build-nanogpt steps after a HellaSwag eval or checkpoint are slow too; the first steps compile. Counting them
would drag the MFU down (nanoGPT's printed running-average MFU does exactly that).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

WARMUP_POINTS = 5  # first logged steps skipped (compile, cudnn autotune, allocator): nanoGPT waits 5 iters too
WARMUP_SHARE = 0.02  # ... or the first 2% of the points when that is fewer (a 10-step benchmark skips 1)
SLOW_RATIO = 1.5  # a step slower than 1.5x the run's median is inflated (eval, checkpoint, stall)
DRIFT_RATIO = 1.25  # median of the last 10% of steps >= 1.25x the first 10%: the run got slower
DRIFT_SHARE = 0.10  # the early and late windows compared, share of the ordinary steps
MIN_POINTS = 3  # step times needed for any statistics
RARE_SHARE = 0.05  # slow steps that are at most 5% of the steps (evals, checkpoints) are left out of the MFU; more
#                   frequent ones (SOAP's preconditioner every 10 steps) are part of the training loop and kept
PERIOD_MIN_SLOW = 3  # slow steps needed to call them periodic
PERIOD_TOLERANCE = 0.1  # their spacing within 10% of its median: periodic


@dataclass
class StepTimes:
    steps: np.ndarray  # steps the MFU counts (warm-up and eval/checkpoint-inflated ones removed)
    ms: np.ndarray
    median_ms: float
    warmup_skipped: int
    slow: list[dict[str, Any]] = field(default_factory=list)  # [{step, ms, at_eval}]
    excluded: int = 0  # slow steps left out of the MFU
    slow_share_of_time: float = 0.0  # extra wall time of the slow steps over the median, share of the total
    slow_period: int | None = None
    at_eval: int = 0  # slow steps at an eval step (or the one after it)
    drift: dict[str, float] | None = None  # {early_ms, late_ms, ratio}

    def to_json(self) -> dict[str, Any]:
        return {
            "median_ms": self.median_ms,
            "ordinary_steps": int(len(self.ms)),
            "warmup_skipped": self.warmup_skipped,
            "slow_steps": len(self.slow),
            "slow_at_eval": self.at_eval,
            "excluded_from_mfu": self.excluded,
            "slow_period_steps": self.slow_period,
            "slow_share_of_time": self.slow_share_of_time,
            "slow": self.slow[:20],
            "drift": self.drift,
        }


def warmup_count(n: int) -> int:
    return int(min(WARMUP_POINTS, max(1 if n > MIN_POINTS else 0, round(WARMUP_SHARE * n))))


def analyze_step_times(steps: np.ndarray, ms: np.ndarray, eval_steps: np.ndarray | None = None) -> StepTimes | None:
    """Split step times into warm-up, ordinary and slow steps; None when fewer than MIN_POINTS are finite."""
    import numpy as np

    ok = np.isfinite(ms) & (ms > 0)
    steps, ms = steps[ok], ms[ok]
    if len(ms) < MIN_POINTS:
        return None
    skip = warmup_count(len(ms))
    steps, ms = steps[skip:], ms[skip:]
    median = float(np.median(ms))
    slow_mask = ms > SLOW_RATIO * median
    evals = np.asarray([] if eval_steps is None else eval_steps, dtype=np.int64)
    at_eval = np.isin(steps, evals) | np.isin(steps - 1, evals)  # the eval's step or the one logged after it
    slow = [
        {"step": int(s), "ms": float(t), "at_eval": bool(e)}
        for s, t, e in zip(steps[slow_mask].tolist(), ms[slow_mask].tolist(), at_eval[slow_mask].tolist())
    ]
    rare = slow_mask.mean() <= RARE_SHARE
    excluded = slow_mask & (at_eval | rare)
    # wall time over the steps the log spans (a log that prints every 10th step still ran the 9 in between)
    span = max(len(ms), int(steps[-1] - steps[0]) + 1)
    extra = float((ms[slow_mask] - median).sum())
    total = median * span + extra
    result = StepTimes(
        steps=steps[~excluded],
        ms=ms[~excluded],
        median_ms=float(np.median(ms[~excluded])) if (~excluded).any() else median,
        warmup_skipped=skip,
        slow=slow,
        excluded=int(excluded.sum()),
        slow_share_of_time=extra / total if total > 0 else 0.0,
        slow_period=_period([d["step"] for d in slow]),
        at_eval=sum(d["at_eval"] for d in slow),
    )
    result.drift = _drift(result.ms)
    return result


def _period(slow_steps: list[int]) -> int | None:
    """The spacing of the slow steps when it is regular (every eval / checkpoint interval), else None."""
    import numpy as np

    if len(slow_steps) < PERIOD_MIN_SLOW:
        return None
    gaps = np.diff(np.asarray(slow_steps, dtype=float))
    med = float(np.median(gaps))
    if med <= 0:
        return None
    regular = np.mean(np.abs(gaps - med) <= PERIOD_TOLERANCE * med)
    return int(round(med)) if regular >= 0.8 else None


def _drift(ms: np.ndarray) -> dict[str, float] | None:
    import numpy as np

    k = int(len(ms) * DRIFT_SHARE)
    if k < MIN_POINTS:
        return None
    early, late = float(np.median(ms[:k])), float(np.median(ms[-k:]))
    return {"early_ms": early, "late_ms": late, "ratio": late / early if early > 0 else float("nan")}

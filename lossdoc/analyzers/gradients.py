"""Gradient-norm health: the start-up norm and how fast it settles, median and trend, the share of steps at or
above the clip threshold, norm spikes with and without a loss spike, long stretches far above the clip.

Most trainers log the global norm *before* clipping (nanoGPT, llm.c, build-nanogpt, HF Trainer, Megatron), so a
norm above the clip says the clip acted on that step. A grad-norm spike with no loss spike is usually benign; one
climbing into a loss spike is the warning sign (the spikes analysis reports the loss side).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..facts import run_facts
from ..findings import Finding, Severity
from ..run import Run
from .detector import detect

if TYPE_CHECKING:
    import numpy as np

NAME = "gradients"

DEFAULT_CLIP = 1.0  # the clip assumed when neither the run facts nor --grad-clip say (nanoGPT, llm.c, HF default)
MIN_POINTS = 20  # grad-norm points needed for the analysis
SETTLE_WINDOW = 10  # points in the rolling median used to find where the start-up norm settles
SETTLE_SHARE = 50  # ... or 1/50 of the points when that is fewer
SETTLE_RATIO = 1.5  # settled: the rolling median is within 1.5x of the median of the second half of the run
CLIP_SHARE = 0.5  # half or more of the steps after start-up at or above the clip: the clip does the work (info:
#                   the clip is often assumed, and a norm just above it is clipped only a little)
FAR_ABOVE = 3.0  # "far above the clip": 3x the threshold ...
LONG_STRETCH_POINTS = 50  # ... for 50 consecutive points or more ...
LONG_STRETCH_SHARE = 0.05  # ... and at least 5% of the run
LOSS_NEAR_POINTS = 3  # a loss spike within 3 logged points of a norm spike goes with it
SPIKES_LISTED = 10


@dataclass
class GradResult:
    clip: float
    clip_source: str
    first: float
    settle_step: int | None
    median: float  # second half of the run
    trend: float | None  # late median / mid median
    share_at_clip: float  # after start-up
    spikes: list[dict[str, Any]] = field(default_factory=list)  # [{step, norm, with_loss_spike}]
    long_stretch: dict[str, Any] | None = None  # {start_step, end_step, points, median}
    points: int = 0
    findings: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "clip": self.clip,
            "clip_source": self.clip_source,
            "points": self.points,
            "first": self.first,
            "settle_step": self.settle_step,
            "median": self.median,
            "trend": self.trend,
            "share_at_clip": self.share_at_clip,
            "spikes": self.spikes[:SPIKES_LISTED],
            "spike_count": len(self.spikes),
            "spikes_with_loss_spike": sum(s["with_loss_spike"] for s in self.spikes),
            "long_stretch": self.long_stretch,
            "findings": [f.to_json() for f in self.findings],
        }


def applies(run: Run) -> str | None:
    if not run.has("train/grad_norm"):
        return "no grad-norm series"
    import numpy as np

    _, v = run.arrays("train/grad_norm")
    if int(np.isfinite(v).sum()) < MIN_POINTS:
        return f"fewer than {MIN_POINTS} finite grad-norm points"
    return None


def analyze(run: Run, grad_clip: float | None = None, **_options: Any) -> GradResult:
    import numpy as np

    facts = run_facts(run)
    if grad_clip is not None:
        clip, clip_source = float(grad_clip), "flag --grad-clip"
    elif facts.get("grad_clip"):
        clip, clip_source = float(facts.get("grad_clip")), facts.source("grad_clip") or ""
    else:
        clip, clip_source = DEFAULT_CLIP, "assumed: the common default, --grad-clip sets it"
    steps, norm = run.arrays("train/grad_norm")
    ok = np.isfinite(norm) & (norm > 0)
    steps, norm = steps[ok], norm[ok]
    n = len(norm)
    late = norm[n // 2 :]
    settle_i = _settle_index(norm, float(np.median(late)))
    after = norm[settle_i:] if settle_i is not None else norm[n // 10 :]
    mid, end = norm[n // 4 : n // 2], norm[-max(1, n // 4) :]
    r = GradResult(
        clip=clip,
        clip_source=clip_source,
        first=float(norm[0]),
        settle_step=int(steps[settle_i]) if settle_i is not None else None,
        median=float(np.median(late)),
        trend=float(np.median(end) / np.median(mid)) if len(mid) else None,
        share_at_clip=float(np.mean(after >= clip)) if len(after) else 0.0,
        points=n,
    )
    r.spikes = _spikes(run, steps, norm)
    r.long_stretch = _long_stretch(steps, norm, clip, settle_i or 0)
    r.findings = _findings(r)
    return r


def _settle_index(norm: np.ndarray, late_median: float) -> int | None:
    """First index where the rolling median of the norm is within SETTLE_RATIO of the late median."""
    import numpy as np

    from ..rolling import rolling_median

    window = max(1, min(SETTLE_WINDOW, len(norm) // SETTLE_SHARE))  # a 30-point HF log: no smoothing
    rolling = rolling_median(norm, window, min_periods=1)
    hit = np.flatnonzero(rolling <= SETTLE_RATIO * late_median)
    return int(hit[0]) if len(hit) else None


def _spikes(run: Run, steps: np.ndarray, norm: np.ndarray) -> list[dict[str, Any]]:
    """Norm spikes (the spike detector on log norm) and whether the loss spiked within a few points of each."""
    import numpy as np

    events = [e for e in detect(np.log(norm), steps=steps) if e.direction > 0]
    loss_spike_steps: np.ndarray = np.array([], dtype=np.int64)
    if run.has("train/loss") and events:
        ls, lv = run.arrays("train/loss")
        fin = np.isfinite(lv)
        ls, lv = ls[fin], lv[fin]
        if len(lv) > 2:
            loss_spike_steps = ls[[e.onset for e in detect(lv, steps=ls) if e.direction > 0]]
    spacing = float(np.median(np.diff(steps))) if len(steps) > 1 else 1.0
    near = LOSS_NEAR_POINTS * max(spacing, 1.0)
    out = []
    for e in events:
        s = int(steps[e.onset])
        with_loss = bool(len(loss_spike_steps) and np.min(np.abs(loss_spike_steps - s)) <= near)
        out.append({"step": s, "norm": float(norm[e.peak]), "z": e.z, "with_loss_spike": with_loss})
    return out


def _long_stretch(steps: np.ndarray, norm: np.ndarray, clip: float, start: int) -> dict[str, Any] | None:
    """The longest run of consecutive points after start-up with the norm above FAR_ABOVE x the clip."""
    import numpy as np

    far = np.concatenate([[False], norm[start:] > FAR_ABOVE * clip, [False]]).astype(np.int8)
    edges = np.diff(far)
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)  # runs of True: [start, end)
    if not len(starts):
        return None
    k = int(np.argmax(ends - starts))
    best_len, best_at = int(ends[k] - starts[k]), int(starts[k])
    if best_len < LONG_STRETCH_POINTS or best_len < LONG_STRETCH_SHARE * len(norm):
        return None
    i0, i1 = start + best_at, start + best_at + best_len - 1
    return {
        "start_step": int(steps[i0]),
        "end_step": int(steps[i1]),
        "points": best_len,
        "median": float(np.median(norm[i0 : i1 + 1])),
    }


def _findings(r: GradResult) -> list[Finding]:
    out: list[Finding] = []
    if r.long_stretch:
        ls = r.long_stretch
        out.append(
            Finding(
                NAME, Severity.WARNING,
                f"grad norm far above the clip for {ls['points']:,} points (steps {ls['start_step']:,}–"
                f"{ls['end_step']:,}, median {ls['median']:.3g} vs clip {r.clip:g})",
                dict(ls, clip=r.clip),
                "Every one of those steps was clipped hard: the LR is likely too high for this batch, or the "
                "loss is unstable; lower the LR or check the data of that stretch.",
                (ls["start_step"], ls["end_step"]),
            )
        )  # fmt: skip
    elif r.share_at_clip >= CLIP_SHARE:
        out.append(
            Finding(
                NAME, Severity.INFO,
                f"{100 * r.share_at_clip:.0f}% of the steps after start-up have grad norm at or above the clip "
                f"{r.clip:g} ({r.clip_source}); median {r.median:.3g}",
                {"share": r.share_at_clip, "clip": r.clip, "median": r.median},
                "The clip is setting the step size, not the LR; check that the clip is what was meant, or lower "
                "the LR.",
            )
        )  # fmt: skip
    with_loss = [s for s in r.spikes if s["with_loss_spike"]]
    if with_loss:
        steps = ", ".join(f"{s['step']:,}" for s in with_loss[:5])
        out.append(
            Finding(
                NAME, Severity.INFO,
                f"{len(with_loss)} grad-norm spike(s) together with a loss spike (steps {steps})",
                {"count": len(with_loss)},
                "The spikes section has the loss side; a norm climbing into a loss spike is the warning sign.",
            )
        )  # fmt: skip
    return out

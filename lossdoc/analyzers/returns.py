"""Diminishing returns of a loss curve: the drop per 1K steps over windows spread geometrically over the run, its
ratio to the first window, the practitioner's sentences ("X% of the total drop happened in the first N steps"),
and whether the run is past the knee. Part of the phases analysis (lossdoc/analyzers/phases.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..numbers import abbreviate
from .segment import PLATEAU_LABEL, RISING_LABEL, Knots, Phase, Regime

N_CHECKPOINTS = 4  # windows for the per-1K-step drop: end of phase 1, then geometric to the last step
PAST_KNEE_RATIO = 0.1  # past the knee when the last window falls < 10% of the run's mean rate


@dataclass
class Checkpoint:
    step: int
    loss: float
    window_start: int
    rate_per_1k: float
    times_less: float | None  # first window's rate / this window's rate



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
            parts.append(f"step {abbreviate(c.step)} {rate_text(c.rate_per_1k)}{less}")
        out.append("Per-1K-step drop: " + ", ".join(parts) + ".")
        if final.rate_per_1k <= 0:
            out.append(
                f"The loss is no longer falling: {rate_text(final.rate_per_1k)}/1K steps over steps "
                f"{step_span(final.window_start, final.step)}."
            )
        elif final.rate_per_1k < PAST_KNEE_RATIO * mean_rate:
            past_knee = True
            out.append(
                f"Past the knee (from about step {abbreviate(knee_step or first_cp.step)}): the loss now falls "
                f"{rate_text(final.rate_per_1k)}/1K steps, {mean_rate / final.rate_per_1k:,.0f}x below "
                f"the run's mean of {rate_text(mean_rate)}/1K."
            )
        else:
            past_knee = False
            out.append(
                f"Not past the knee: the last window still falls {rate_text(final.rate_per_1k)}/1K steps "
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


def rate_text(x: float) -> str:
    """A rate or a loss change in 3 significant digits (or 2 in e-notation when tiny)."""
    return f"{x:.3g}" if abs(x) >= 1e-3 else f"{x:.2e}"

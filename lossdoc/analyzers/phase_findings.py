"""The phases analysis' findings (lossdoc/analyzers/phases.py): the initial loss, a rising phase (an info when the
evaluated loss fell meanwhile), past the knee with advice that follows what the LR is doing and what the schedule
still plans, and the target."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..facts import run_facts
from ..findings import Finding, Severity
from ..run import Run
from .returns import rate_text
from .segment import RISING_LABEL

if TYPE_CHECKING:
    from .phases import PhasesResult

NAME = "phases"
LR_DECAYED_FRAC = 0.1  # a last LR at or below 10% of the peak: the schedule has (nearly) finished decaying
LR_STILL_PEAK_FRAC = 0.9  # a last LR at or above 90% of the peak: no decay yet (constant or stable phase)


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
        from ..forecast import interval_label

        pr = projection or {}
        sized = (
            f"projected {pr['loss']:.3f} ({interval_label(pr)} {pr['low']:.3f}–{pr['high']:.3f}) at step "
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
                    f"past the knee: {r.series} falls {rate_text(final.rate_per_1k)}/1K steps at the end vs "
                    f"{rate_text(r.mean_rate_per_1k)}/1K on average"
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

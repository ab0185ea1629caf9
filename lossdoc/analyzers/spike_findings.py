"""The findings of `lossdoc spikes`, in words: what each spike, NaN onset, rise, best val, period, shard association
and plateau says, and what to do about it."""

from __future__ import annotations

from typing import Any

from ..findings import Finding, Severity
from ..numbers import abbreviate
from . import shards as _shards
from .spike_events import GRAD_RISE_POINTS, GRAD_RISE_RATIO, SHORT_POINTS, Spike

NAME = "spikes"
RISING_END_PROBLEM = 0.20  # a rise of 20% or more is a problem, below that a warning
BRIEF_KINDS = ("single-step", "short")  # back within SHORT_POINTS points: one info finding for all of them
MAX_SPIKES_IN_FINDINGS = 5  # sustained/divergence spikes listed one finding each; the rest are summarised


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _describe(sp: Spike) -> str:
    arrow = f"{sp.before:.4g} → {sp.peak:.4g} ({sp.jump:+.3g}, {sp.jump_pct:+.0f}%)"
    return f"{sp.series} at step {sp.step:,}: {arrow}"


def findings(r: Any) -> list[Finding]:
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
                f"(+{re_['pct']:.0f}%) by step {re_['to_step']:,} (smoothed)" + _evals_agree(re_),
                evidence=dict(re_),
                advice=f"The run is drifting upward (slow divergence): stop it and restart from a checkpoint at or "
                f"before step {re_['from_step']:,} with a lower LR.",
                steps=(re_["from_step"], re_["to_step"]),
            )
        )
    upward = [s for s in r.spikes if s.jump > 0]
    big = sorted((s for s in upward if s.kind not in BRIEF_KINDS), key=lambda s: -abs(s.jump_pct))
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
    singles = [s for s in upward if s.kind in BRIEF_KINDS]
    if singles:
        out.append(_brief_finding(singles))
    down = [s for s in r.spikes if s.jump < 0]
    if down:
        top = min(down, key=lambda s: s.jump_pct)
        out.append(
            Finding(
                NAME,
                Severity.INFO,
                f"{len(down)} downward outlier(s): loss far below its neighbours for one point; "
                f"largest {_describe(top)}",
                evidence={"count": len(down), "largest_step": top.step, "largest_jump_pct": top.jump_pct},
                advice="A loss far below its neighbours for one point that comes straight back is the batch, not "
                "progress: an easy or repeated batch (boilerplate, duplicated documents), a short sequence or a "
                "mis-averaged loss; harmless alone, worth a look at the data if they are many.",
                steps=(top.step, top.step),
            )
        )
    if r.best and r.best["worse"]:
        b = r.best
        lr_note = ""
        if b.get("lr_at_best") is not None and b.get("lr_at_best_frac_of_peak") is not None:
            ref = b.get("lr_peak_ref") or "peak"
            lr_note = f"; LR there was {b['lr_at_best']:.2g} = {100 * b['lr_at_best_frac_of_peak']:.0f}% of {ref}"
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
        if pl.get("expected") and pl["label"] == "slow decline":
            continue  # the loss falling as the LR decays: no finding (the plateau list still holds it, and why)
        out.append(_plateau_finding(pl))
    return out


def plateau_band(pl: dict[str, Any], spec: str) -> str:
    """"train/loss 4.014–4.127, val 4.042" (one eval in the stretch is a value, not a range)."""
    band = f"{pl['series']} {pl['low']:{spec}}–{pl['high']:{spec}}"
    if pl.get("val_low") is not None:
        low, high = f"{pl['val_low']:{spec}}", f"{pl['val_high']:{spec}}"
        band += f", val {low}" + ("" if low == high else f"–{high}")
    return band


def context_clauses(sp: Any, spec: str) -> list[str]:
    """What surrounds a spike, for its finding and its report alike: the rise before it, the LR, the grad norm,
    a shard boundary, the evals around it."""
    out = []
    if rb := sp.rising_before:
        out.append(
            f"loss was rising before it: {rb['from']:{spec}} → {rb['to']:{spec}} "
            f"from step {rb['from_step']:,} (+{rb['pct']:.0f}%)"
        )
    for clause in (lr_phrase(sp), grad_phrase(sp)):
        if clause:
            out.append(clause)
    if sp.shard_boundary:
        out.append(f"just after shard boundary {sp.shard_boundary}")
    if words := val_words(sp):
        out.append(words)
    return out


def plateau_slope(pl: dict[str, Any], spec: str) -> str:
    """"slope -0.016 per 1K steps", with the val loss's slope beside it when the evals' fall decided the label."""
    val = f", val {pl['val_slope_per_1k']:{spec}}" if pl.get("val_slope_per_1k") is not None else ""
    return f"slope {pl['slope_per_1k']:{spec}}{val} per 1K steps"


def _plateau_finding(pl: dict[str, Any]) -> Finding:
    label = pl["label"]
    warn = pl.get("warn", label == "flat")
    band = plateau_band(pl, ".4g")
    title = (
        f"Plateau ({label}): {band} from step {pl['start_step']:,} to {pl['end_step']:,} "
        f"({plateau_slope(pl, '+.3g')})"
    )
    if pl.get("expected") and label == "flat":
        title += f"; expected: {pl['expected']}"
    advice = ""
    if warn:
        advice = (
            "A flat plateau at this LR is wasted compute: lower the LR (or start the decay), or check for "
            "repeated data."
        )
        if pl.get("lr_frac_of_peak") is None:
            advice += " (The LR is not known here: if it has already decayed to ~0, the flat end is expected.)"
    return Finding(
        NAME,
        Severity.WARNING if warn else Severity.INFO,
        title,
        evidence={k: v for k, v in pl.items()},
        advice=advice,
        steps=(pl["start_step"], pl["end_step"]),
    )


def _evals_agree(re_: dict[str, Any]) -> str:
    """The evals that rose with the train loss over the same steps (a rise they contradict is not reported)."""
    parts = [
        f"{name} {re_[name + '_from']:.4g} → {re_[name + '_to']:.4g}"
        for name in ("val/loss", "train/eval_loss")
        if re_.get(name + "_from") is not None
    ]
    return f"; {', '.join(parts)} over the same steps" if parts else ""


def _brief_finding(singles: list[Spike]) -> Finding:
    """One info finding for all the one-step and short (2-3 point) spikes: data facts, not instabilities."""
    top = max(singles, key=lambda s: s.jump_pct)
    n_short = sum(1 for s in singles if s.kind == "short")
    n_single = len(singles) - n_short
    parts = []
    if n_single:
        parts.append(f"{n_single} single-step spike(s), back at the next point")
    if n_short:
        parts.append(f"{n_short} short spike(s), back within {SHORT_POINTS} points")
    return Finding(
        NAME,
        Severity.INFO,
        f"{'; '.join(parts)}; largest {_describe(top)}" + _val_note(top),
        evidence={
            "count": len(singles),
            "single_step": n_single,
            "short": n_short,
            "largest_step": top.step,
            "largest_jump_pct": top.jump_pct,
        },
        advice="Spikes that are gone at the next point or two are typically a bad batch; harmless unless they recur "
        "at the same data position (log the batch/shard index to check).",
        steps=(top.step, top.step),
    )


def val_words(sp: Spike) -> str:
    """What the evals around a train spike say, consistent with the numbers given beside it."""
    if sp.val_change is None or sp.val_before is None or sp.val_after is None:
        return ""
    numbers = f"{sp.val_before:.4g} → {sp.val_after:.4g}"
    if sp.val_change == "unaffected":
        return f"val unaffected ({numbers} from the eval before to the eval after)"
    if sp.val_change == "trend":
        trend = f"{sp.val_trend:+.3g}" if sp.val_trend is not None else "as much"
        return f"val rose {numbers}, as its trend before the spike predicts ({trend}): not the spike's doing"
    return f"val rose {numbers} from the eval before to the eval after"


def _val_note(sp: Spike) -> str:
    words = val_words(sp)
    return f"; {words}" if words else ""


def lr_phrase(sp: Spike) -> str:
    """The LR at a spike in words: "LR 2.4e-04 = 40% of peak", "LR 9.85e-05 = 100% of the highest LR in this log"
    (when the planned peak is not known), or "LR at 88% of peak" when only the schedule's shape is known; "" when
    nothing is."""
    ref = sp.lr_peak_ref or "peak"
    if sp.lr is not None:
        frac = f" = {100 * sp.lr_frac_of_peak:.0f}% of {ref}" if sp.lr_frac_of_peak is not None else ""
        return f"LR {sp.lr:.2e}{frac}"
    if sp.lr_frac_of_peak is not None:
        return f"LR at {100 * sp.lr_frac_of_peak:.0f}% of {ref}"
    return ""


def grad_phrase(sp: Spike) -> str:
    """The grad norm into the spike: its peak and the climb to it, e.g. "grad norm climbed 0.2 → 210 (x1,050) over
    the 5 points before its peak at step 1,234 (median before 0.21)"; "" when the grad norm is not logged."""
    if sp.grad_norm_peak is None:
        return ""
    where = f"step {sp.grad_norm_peak_step:,}"
    before = f" (median before {sp.grad_norm_before:.3g})" if sp.grad_norm_before is not None else ""
    climb = sp.grad_norm_climb
    if climb is not None and sp.grad_norm_climb_from is not None and climb >= GRAD_RISE_RATIO:
        return (
            f"grad norm climbed {sp.grad_norm_climb_from:.3g} → {sp.grad_norm_peak:.3g} (x{_times(climb)}) over the "
            f"{GRAD_RISE_POINTS} points before its peak at {where}{before}"
        )
    if sp.grad_norm_peak_step == sp.step:
        return f"grad norm {sp.grad_norm_peak:.3g} at the spike{before}"
    return f"grad norm {sp.grad_norm_peak:.3g} at its peak, {where}{before}"


def _times(ratio: float) -> str:
    return f"{ratio:,.0f}" if ratio >= 100 else f"{ratio:.3g}"


def recovery_words(sp: Spike) -> str:
    """How a spike that is not back in the band by the end of the log ended: partial recovery, or none."""
    end = f"{sp.end_value:.4g} by step {sp.end_step:,}" if sp.end_value is not None and sp.end_step is not None else ""
    share = f"{100 * sp.recovered_fraction:.0f}% of the jump given back"
    if sp.recovering:
        return f"partial recovery: down to {end} ({share}), still above the pre-spike band when the log ends"
    return (
        f"not back in the pre-spike band by the end of the log ({end}; {share})"
        if end
        else (f"not back in the pre-spike band by the end of the log ({share})")
    )


def _spike_finding(sp: Spike) -> Finding:
    parts = [f"Spike in {_describe(sp)}"]
    if sp.kind == "sustained":
        cost = f"; recovery took {sp.recovery_steps:,} steps"
        if sp.tokens_wasted:
            cost += f" = {abbreviate(sp.tokens_wasted)} tokens"
        parts.append(cost)
        severity = Severity.WARNING
        advice = "A spike that needs recovery costs compute; if they repeat, lower the LR or tighten grad clipping."
    elif sp.val_disagrees:
        parts.append("; " + recovery_words(sp))
        parts.append(f"; but val is back: {sp.val_before:.4g} before it, {sp.val_end:.4g} at step {sp.val_end_step:,}")
        severity = Severity.WARNING
        advice = (
            "The train loss stayed up while the evals did not: not a divergence of the model but a change in what "
            "the train loss measures (the data mix, the batch, the loss averaging or its logging); check there."
        )
    else:
        parts.append("; " + recovery_words(sp))
        severity = Severity.PROBLEM
        if sp.recovering:
            advice = (
                "Still above the pre-spike level when the log ends: unless the rest of the run shows it back, "
                "restart from a checkpoint before the spike with a lower LR (or skip the batches there)."
            )
        else:
            advice = (
                "Divergence: restart from a checkpoint before the spike with a lower LR (or skip the batches there)."
            )
    extra = context_clauses(sp, ".4g")
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

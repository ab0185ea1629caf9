"""The findings of `lossdoc spikes`, in words: what each spike, NaN onset, rise, best val, period, shard association
and plateau says, and what to do about it."""

from __future__ import annotations

from typing import Any

from ..findings import Finding, Severity
from ..numbers import abbreviate
from . import shards as _shards
from .spike_events import Spike

NAME = "spikes"
RISING_END_PROBLEM = 0.20  # a rise of 20% or more is a problem, below that a warning
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

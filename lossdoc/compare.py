"""A file of several runs (seeds, ablations): each run's last and best loss, and the spread of the final losses.

The spread of the final losses is a seed-noise band (the difference any single change must beat) only when the
runs are comparable: the same planned length and schedule, and lengths within LENGTH_RATIO of each other. An
ablation export whose runs stopped after 50 to 385 steps is not that; its spread is shown as a range, and the runs
that failed are named: a start far above ln(V) (a broken init), an end above ln(V) (no better than uniform) or an
end far above the run's own best (it rose back).
"""

from __future__ import annotations

import math
from typing import Any

from .facts import run_facts
from .findings import Finding, Severity
from .run import Run
from .summary import series_summary

NAME = "compare"
LENGTH_RATIO = 1.1  # runs whose last steps differ by more than 10% are not seeds of one configuration
SCHEDULE_FACTS = ("max_steps", "lr_schedule", "lr_peak", "warmup_steps", "decay_steps")  # must agree when stated
START_VERY_HIGH_RATIO = 1.5  # a first loss above 1.5·ln(V): as the initial-loss check (analyzers/init_check.py)
ROSE_BACK_FRAC = 0.25  # last - best above 25% of the run's own drop (first - best): the run rose back
DEFAULT_VOCAB = 50257  # GPT-2's, when the runs state none (as the initial-loss check assumes)


def compare_report(runs: list[Run], analysed: Run | None = None) -> tuple[dict[str, Any] | None, list[Finding]]:
    """The comparison document and its findings (the failed runs other than the analysed one, by name)."""
    doc = compare_runs(runs, analysed)
    if doc is None:
        return None, []
    others = [r for r in runs if r is not analysed]
    return doc, compare_findings(others, [_row(r) for r in others])


def compare_runs(runs: list[Run], analysed: Run | None = None) -> dict[str, Any] | None:
    """For a file of several runs (seeds, ablations): each run's last and best loss, and their spread."""
    import numpy as np

    if len(runs) < 2:
        return None
    rows = [_row(r) for r in runs]
    finals = np.array([row["last"] for row in rows if row["last"] is not None], dtype=float)
    spread = None
    if len(finals) >= 2:
        comparable, reason = comparability(runs, rows)
        spread = {
            "min": float(finals.min()),
            "max": float(finals.max()),
            "mean": float(finals.mean()),
            "std": float(finals.std(ddof=1)),
            "runs": int(len(finals)),
            "comparable": comparable,
            "reason": reason,
        }
    others = [(r, row) for r, row in zip(runs, rows) if r is not analysed]
    found = compare_findings([r for r, _ in others], [row for _, row in others])
    return {"runs": rows, "final_spread": spread, "findings": [f.to_json() for f in found]}


def _row(r: Run) -> dict[str, Any]:
    import numpy as np

    summary = series_summary(r)
    name = "val/loss" if "val/loss" in summary else ("train/loss" if "train/loss" in summary else None)
    s = summary.get(name) if name else None
    best = None
    if name:
        values = r.arrays(name)[1]
        best = float(np.nanmin(values)) if np.isfinite(values).any() else None
    return {
        "name": r.name,
        "series": name,
        "first_step": s["first_step"] if s else None,
        "first": s["first"] if s else None,
        "last_step": s["last_step"] if s else None,
        "last": s["last"] if s else None,
        "best": best,
    }


def comparability(runs: list[Run], rows: list[dict[str, Any]]) -> tuple[bool, str]:
    """Whether the final losses of these runs form a seed-noise band, and why (not)."""
    lasts = [row["last_step"] for row in rows if row["last_step"] is not None]
    if lasts and min(lasts) > 0 and max(lasts) / min(lasts) > LENGTH_RATIO:
        return False, f"the runs have different lengths ({min(lasts):,}–{max(lasts):,} steps)"
    if lasts and min(lasts) <= 0:
        return False, "a run has no steps past 0"
    stated = []
    for fact in SCHEDULE_FACTS:
        values = {repr(run_facts(r).get(fact)) for r in runs}
        if len(values) > 1:
            return False, f"the runs state different {fact} ({', '.join(sorted(values))})"
        if values != {"None"}:
            stated.append(fact)
    if not stated:
        return True, f"{len(rows)} runs of the same length (their schedules are not stated: assumed the same)"
    return True, f"{len(rows)} runs of the same length and the same {', '.join(stated)}"


def compare_findings(runs: list[Run], rows: list[dict[str, Any]]) -> list[Finding]:
    """The runs of the file that failed, by name (the analysed run's own findings come from the analyzers)."""
    out = []
    for run, row in zip(runs, rows):
        if row["first"] is None or row["last"] is None or not row["series"]:
            continue
        if row["last_step"] is not None and row["last_step"] == row["first_step"]:
            # one point (the initial eval of a run the log cuts off, or that died at once): nothing to judge it by
            out.append(Finding(analyzer=NAME, severity=Severity.INFO,
                               title=f"run {row['name']}: {row['series']} has only its point at step "
                                     f"{row['first_step']:,} ({row['first']:.4g}): no training logged",
                               evidence={"run": row["name"], "first": row["first"], "first_step": row["first_step"]},
                               advice="a run the log ends right after it started (a cut log, or a crash at start)",
                               steps=(row["first_step"], row["last_step"])))
            continue
        vocab = run_facts(run).get("vocab_size") or DEFAULT_VOCAB
        ln_v = math.log(vocab)
        assumed = "" if run_facts(run).get("vocab_size") else ", GPT-2 vocab assumed"
        reasons = []
        if row["first_step"] is not None and row["first_step"] <= 1 and row["first"] > START_VERY_HIGH_RATIO * ln_v:
            ratio = row["first"] / ln_v
            reasons.append(f"starts at {row['first']:.4g} ({ratio:.1f}x ln({vocab:,}) = {ln_v:.2f}{assumed})")
        best = row["best"]
        if row["last"] > ln_v:
            reasons.append(f"ends at {row['last']:.4g}, above ln({vocab:,}) = {ln_v:.2f}: no better than uniform "
                           f"(best {best:.4g})")
        elif best is not None and row["first"] > best and row["last"] - best > ROSE_BACK_FRAC * (row["first"] - best):
            reasons.append(f"ends at {row['last']:.4g}, {row['last'] - best:.3g} above its best {best:.4g}")
        if reasons:
            out.append(
                Finding(
                    analyzer=NAME,
                    severity=Severity.WARNING,
                    title=f"run {row['name']}: {row['series']} " + "; ".join(reasons),
                    evidence={"run": row["name"], "first": row["first"], "last": row["last"], "best": best,
                              "last_step": row["last_step"]},
                    advice=f"analyse it on its own (--run {row['name']})",
                    steps=(row["first_step"], row["last_step"]),
                )
            )
    return out


def spread_sentence(spread: dict[str, Any]) -> str:
    """The spread of the final losses in words, for every renderer: a noise band only for comparable runs."""
    span = f"final loss over {spread['runs']} runs: {spread['min']:.4f}–{spread['max']:.4f}"
    if spread.get("comparable", True):
        return (
            f"{span}, mean {spread['mean']:.4f} ± {spread['std']:.4f} (sample std): a difference between two runs "
            "smaller than this spread is within run-to-run noise"
        )
    return f"{span}; not a noise band: {spread['reason']}, so they are different experiments, not seeds of one"

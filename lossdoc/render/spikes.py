"""Terminal rendering of the spikes analysis: the table around each spike, the spike list, the facts around."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from ..analyzers.spike_findings import context_clauses, plateau_band, plateau_slope, recovery_words
from ..numbers import abbreviate
from .terminal import fmt

TABLES = 3  # spike-context tables drawn (the largest spikes, sustained and diverging ones first)
LIST_ROWS = 15  # rows of the spike list
UPTICKS_SHOWN = 8


def _tokens(x: float | None) -> str:
    return "-" if not x else abbreviate(x)


def _order(spikes: list[Any]) -> list[Any]:
    rank = {"divergence": 0, "sustained": 1, "short": 2, "single-step": 2}  # brief ones by size
    return sorted(spikes, key=lambda s: (rank.get(s.kind, 3), -abs(s.jump_pct)))


def render(console: Console, result: Any) -> None:
    spikes = result.spikes
    by_series: dict[str, list[Any]] = {}
    for sp in spikes:
        by_series.setdefault(sp.series, []).append(sp)
    if not spikes and len(result.nonfinite) < len(result.series):
        console.print(f"No spikes in {', '.join(result.series)} (robust z > 6 against the trailing 128 points).")
    for name, items in by_series.items():
        kinds = {
            k: sum(1 for s in items if s.kind == k and s.jump > 0)
            for k in ("single-step", "short", "sustained", "divergence")
        }
        down = sum(1 for s in items if s.jump < 0)
        parts = [f"{v} {k}" for k, v in kinds.items() if v]
        if down:
            parts.append(f"{down} downward outlier(s)")
        console.print(
            f"[bold]{name}[/bold]: {len(items)} anomal{'y' if len(items) == 1 else 'ies'} ({', '.join(parts)})"
        )

    for sp in _order(spikes)[:TABLES]:
        _context_table(console, sp)

    if len(spikes) > 1 or (spikes and not spikes[0].window):
        table = Table(box=None, pad_edge=False, header_style="bold", title=None)
        with_shard = any(sp.shard_boundary for sp in spikes)
        cols = ["step", "series", "before", "peak", "jump", "%", "kind", "recovery", "tokens", "LR"]
        cols += ["shard"] if with_shard else []
        for col in cols:
            table.add_column(col, justify="left" if col in ("series", "kind", "shard") else "right", no_wrap=True)
        for sp in _order(spikes)[:LIST_ROWS]:
            row = [
                fmt(sp.step),
                sp.series.split("/")[0],
                f"{sp.before:.4g}",
                f"{sp.peak:.4g}",
                f"{sp.jump:+.3g}",
                f"{sp.jump_pct:+.0f}",
                sp.kind,
                fmt(sp.recovery_steps) if sp.recovery_steps is not None else "never",
                _tokens(sp.tokens_wasted),
                f"{sp.lr:.1e}" if sp.lr is not None else _frac(sp.lr_frac_of_peak),
            ]
            table.add_row(*(row + ([sp.shard_boundary or ""] if with_shard else [])))
        console.print()
        console.print(table)
        if len(spikes) > LIST_ROWS:
            console.print(f"[dim]… and {len(spikes) - LIST_ROWS} more (--json lists all)[/dim]")

    for nf in result.nonfinite:
        console.print(
            f"[bold red]{nf['series']} is {nf['value']} from step {fmt(nf['step'])}[/bold red] ({nf['count']} points)"
        )
    if result.rising_end:
        r = result.rising_end
        console.print(
            f"[bold red]train/loss rising since step {fmt(r['from_step'])}[/bold red]: {r['from']:.4f} → {r['to']:.4f} "
            f"(+{r['pct']:.0f}%) by step {fmt(r['to_step'])}"
        )
    b = result.best
    if b and b["latest_step"] == b["step"]:
        console.print(f"\nBest val {b['loss']:.4f} is the latest eval (step {fmt(b['step'])})")
    elif b:
        verdict = "worse" if b["worse"] else "within noise of it"
        console.print(
            f"\nBest val {b['loss']:.4f} at step {fmt(b['step'])}; "
            f"latest {b['latest']:.4f} at {fmt(b['latest_step'])} is "
            f"{verdict} (margin {b['margin']:.3g})"
            + (f"; nearest checkpoint: step {fmt(b['checkpoint_step'])}" if b["worse"] else "")
        )
    p = result.periodicity
    if p.get("period_steps"):
        console.print(
            f"Spike period ~{fmt(p['period_steps'])} steps over {p['n_spikes']} spikes of {p['series']}: phase score "
            f"{p['score']:.2f} (random timing {p['chance_score']:.2f}), p = {p['p_value']:.3f}"
        )
    elif p.get("interval_steps"):
        console.print(f"Two spikes {fmt(p['interval_steps'])} steps apart (too few to test a period)")
    if result.shards:
        s = result.shards
        console.print(
            f"Shard map: {s['spikes_near_boundary']} of {s['spikes']} spikes "
            f"within {fmt(s['window_steps'])} steps after "
            f"one of {s['boundaries']} boundaries (chance {s['expected_by_chance']:.1f}, p = {s['p_value']:.2g})"
        )
    for pl in result.plateaus:
        band = plateau_band(pl, ".4f")
        console.print(
            f"Plateau ({pl['label']}): {band} from step {fmt(pl['start_step'])} to {fmt(pl['end_step'])}, "
            f"{plateau_slope(pl, '+.4f')}" + (f"; expected: {pl['expected']}" if pl.get("expected") else "")
        )
    if result.val_upticks:
        shown = ", ".join(f"{fmt(u['step'])} (+{u['delta']:.4f})" for u in result.val_upticks[:UPTICKS_SHOWN])
        more = f", … {len(result.val_upticks) - UPTICKS_SHOWN} more" if len(result.val_upticks) > UPTICKS_SHOWN else ""
        console.print(f"Val upticks: {shown}{more}")


def _context_table(console: Console, sp: Any) -> None:
    """The steps around one spike: Step, Train, Val, Δ, Notes (<<< SPIKE at the onset, peak, recovered)."""
    if not sp.window:
        return
    delta_name = "Δ Train" if sp.series == "train/loss" else "Δ Val"
    # the title as its own line: a table title wraps to the table's width in a wrapping console
    title = f"{sp.series} spike at step {sp.step:,} ({sp.kind})"
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("Step", "Train", "Val", delta_name, "Notes"):
        table.add_column(col, justify="left" if col == "Notes" else "right")
    for row in sp.window:
        notes = []
        if row["step"] == sp.step:
            notes.append("<<< SPIKE" if sp.jump > 0 else "<<< DROP")
        if row["step"] == sp.peak_step and sp.peak_step != sp.step:
            notes.append("peak")
        if sp.recovery_step is not None and row["step"] == sp.recovery_step and sp.kind != "single-step":
            notes.append("recovered")
        table.add_row(
            fmt(row["step"]),
            fmt(row["train"]),
            fmt(row["val"]),
            f"{row['delta']:+.3f}" if row["delta"] is not None else "",
            " ".join(notes),
        )
    console.print()
    console.print(f"[italic]{title}[/italic]", highlight=False)
    console.print(table)
    lines = [f"{sp.before:.4f} → {sp.peak:.4f} ({sp.jump:+.3f}, {sp.jump_pct:+.0f}%)"]
    if sp.recovery_steps is not None and sp.kind != "single-step":
        cost = f"recovery {sp.recovery_steps:,} steps"
        if sp.tokens_wasted:
            cost += f" = {_tokens(sp.tokens_wasted)} tokens"
        lines.append(cost)
    elif sp.kind == "divergence":
        lines.append(recovery_words(sp))
    lines += context_clauses(sp, ".4f")
    console.print("  " + "; ".join(lines), highlight=False)


def _frac(frac_of_peak: float | None) -> str:
    """The LR column when only the schedule's shape is known (modded-nanogpt): a share of the peak."""
    return "-" if frac_of_peak is None else f"{100 * frac_of_peak:.0f}% pk"

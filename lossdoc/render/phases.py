"""Terminal rendering of the phases analysis: init check, phase table, regimes, key observations."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from ..analyzers.returns import step_labels
from ..numbers import abbreviate
from .terminal import fmt

VERDICT_TEXT = {"ok": "good init", "high": "high", "very_high": "far too high", "low": "low"}
VERDICT_STYLE = {"ok": "green", "high": "yellow", "low": "yellow", "very_high": "bold red", "fine_tune": "cyan"}
NO_PHASE_0 = ("unknown", "not_init", "fine_tune")  # the first point is not a random init's loss


def _steps(n: float | None) -> str:
    return "-" if n is None else abbreviate(n)


def _share(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def _rate(x: float) -> str:
    return f"{x:.3g}" if abs(x) >= 1e-3 else f"{x:.2e}"


def render(console: Console, result: Any) -> None:
    """Draw a PhasesResult (lossdoc.analyzers.phases)."""
    console.print(f"series: [bold]{result.series}[/bold]  [dim]({result.series_reason})[/dim]", highlight=False)
    for note in result.notes:
        console.print(f"[dim]note: {note}[/dim]", highlight=False)
    init = result.init
    style = VERDICT_STYLE.get(init.verdict, "white")
    if init.verdict in NO_PHASE_0:
        console.print(f"[{'dim' if init.verdict != 'fine_tune' else style}]{init.message}[/]", highlight=False)
    else:
        _init_line(console, result, init, style)
    if init.verdict not in ("ok", *NO_PHASE_0):
        console.print(f"  [{style}]{init.message}[/{style}]", highlight=False)
    _phases_and_after(console, result)


def _init_line(console: Console, result: Any, init: Any, style: str) -> None:
    # a point one logging interval in is not the random init's loss: say what it is
    head = "Phase 0: Random init" if getattr(init, "start", "scratch") == "scratch" else "First logged point"
    console.print(
        f"{head}  {result.series} = {fmt(init.loss)} at step {fmt(init.step)} "
        f"(expected ln({init.vocab:,}) = {init.expected:.2f}"
        + (", vocab assumed" if init.vocab_source == "assumed" else "")
        + f") [{style}]{VERDICT_TEXT.get(init.verdict, init.verdict)}[/{style}]",
        highlight=False,
    )


def _phases_and_after(console: Console, result: Any) -> None:
    """The phase table, regimes, key observations, target, fit and projection."""
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("phase", "label", "steps", "loss", "drop", "share", "rate/1K"):
        table.add_column(col, justify="left" if col in ("phase", "label") else "right", no_wrap=True)
    bounds = [p.start_step for p in result.phases] + [result.phases[-1].end_step] if result.phases else []
    shown = dict(zip(bounds, step_labels(bounds)))
    for i, p in enumerate(result.phases, 1):
        table.add_row(
            str(i),
            p.label,
            f"{shown[p.start_step]}–{shown[p.end_step]}",
            f"{p.start_loss:.4f}→{p.end_loss:.4f}",
            f"{p.drop:.4g}",
            _share(p.share),
            _rate(p.rate_per_1k),
        )
    console.print(table)

    if result.regimes:
        parts = [
            f"{r.name} ({shown.get(r.start_step, _steps(r.start_step))}–{shown.get(r.end_step, _steps(r.end_step))})"
            + (f" {r.share:.1%}" if r.share is not None else "")
            for r in result.regimes
        ]
        console.print("Regimes: " + ", ".join(parts), highlight=False)

    console.print("\n[bold]Key observations[/bold]")
    for line in result.statements:
        console.print(f"  • {line}", highlight=False)

    if result.target is not None:
        console.print(f"\n[bold]Target[/bold] {result.target.message}", highlight=False)

    if result.fit is not None:
        fit = result.fit
        params = ", ".join(f"{k}={v:.4g}" for k, v in fit["params"].items())
        lr = f", LR from {fit['lr_source']}" if fit.get("lr_source") else ""
        console.print(
            f"\n[bold]Fit[/bold] {fit['form']} on steps {_steps(fit['window'][0])}–{_steps(fit['window'][1])}"
            f" ({fit['points']} points{lr}): {params}; rmse {fit['rmse']:.4f}",
            highlight=False,
        )
        if fit.get("caveat"):
            console.print(f"  [yellow]{fit['caveat']}[/yellow]", highlight=False)
    if result.projection is not None:
        from ..forecast import interval_label

        pr = result.projection
        loose = "" if pr.get("determined", True) else ", not determined by the data"
        prior = ", with a prior for the drop of the LR decay" if pr.get("prior_used") else ""
        console.print(
            f"[bold]Projection[/bold] step {pr['step']:,}: {result.series} {pr['loss']:.4f} "
            f"({interval_label(pr)} {pr['low']:.4f}–{pr['high']:.4f}{prior}{loose}); now {pr['current']:.4f}",
            highlight=False,
        )
        if pr.get("summary"):
            console.print(f"  {pr['summary']}", highlight=False)

"""Terminal rendering of what was read (show) and of findings, with rich (the analyze report: render/report.py).

The Console is always passed in (never global), so tests can render to a string.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from ..findings import Finding, Severity

SEVERITY_STYLE = {Severity.INFO: "cyan", Severity.WARNING: "yellow", Severity.PROBLEM: "bold red"}


def fmt(x: Any, digits: int = 4) -> str:
    """A number as a practitioner writes it: 3.2722, 6.00e-04, 524,288; '-' for missing."""
    if x is None:
        return "-"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        if x != x:
            return "nan"
        if x == 0:
            return "0"
        if abs(x) >= 1e3 and float(x).is_integer():
            return f"{int(x):,}"
        if abs(x) < 1e-2 or abs(x) >= 1e6:
            return f"{x:.2e}"
        return f"{x:.{digits}f}"
    return str(x)


def render_show(console: Console, doc: dict[str, Any], verbose: bool = False) -> None:
    lines = doc["lines"]
    console.print(f"[bold]{doc['source']}[/bold]  format: [green]{doc['format']}[/green]  runs: {len(doc['runs'])}")
    console.print(
        f"{doc.get('lines_unit', 'lines')}: {fmt(lines.get('total'))} total, {fmt(lines.get('used'))} records, "
        f"{fmt(lines.get('ignored'))} recognised non-metric, {fmt(lines.get('unparsed'))} not understood"
    )
    for run in doc["runs"]:
        render_run(console, run)
        render_events(console, run.get("events") or [])
    if verbose and doc.get("unparsed_sample"):
        console.print("[bold]First lines not understood:[/bold]")
        for item in doc["unparsed_sample"]:
            console.print(f"  {item['line']:>7}: {item['text']}", markup=False, highlight=False)
    elif lines.get("unparsed"):
        console.print(f"[dim]{lines['unparsed']} line(s) not understood; --verbose shows the first ones[/dim]")


SHOWN_BY_RUN = ("rollback", "truncated")  # events render_run already prints from meta
EVENT_LABEL = {
    "error": "error line",
    "traceback": "traceback",
    "overflow": "fp16 overflow, step skipped",
    "loss_scale": "loss scale fell",
    "cancelled": "job cancelled",
    "mfu": "MFU above 100%",
}


def render_events(console: Console, events: list[dict[str, Any]]) -> None:
    """The events of a run in `show`: one line per kind (count, first step, the first line's text)."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        if e.get("kind") not in SHOWN_BY_RUN:
            by_kind.setdefault(str(e.get("kind")), []).append(e)
    for kind, items in by_kind.items():
        first = items[0]
        steps = [e["step"] for e in items if e.get("step") is not None]
        where = f" at step {fmt(steps[0])}" if len(steps) == 1 else (
            f" at steps {fmt(min(steps))}–{fmt(max(steps))}" if steps else "")
        line = f" (line {fmt(first['line'])})" if first.get("line") else ""
        count = f"{len(items)} × " if len(items) > 1 else ""
        text = " ".join(str(first.get("text", "")).split())[:100]
        console.print(f"  [yellow]{count}{EVENT_LABEL.get(kind, kind)}[/yellow]{where}{line}: {text}",
                      highlight=False, markup=True)


def render_run(console: Console, run: dict[str, Any]) -> None:
    meta = run["meta"]
    facts = []
    for key, label in (
        ("params", "params"),
        ("tokens_per_step", "tokens/step"),
        ("vocab_size", "vocab"),
        ("gpu", "GPU"),
        ("max_steps", "planned steps"),
    ):
        if meta.get(key) is not None:
            facts.append(f"{label} {fmt(meta[key])}")
    console.print(f"\n[bold]run {run['name']}[/bold]" + (f"  ({', '.join(facts)})" if facts else ""))
    for rb in meta.get("rollbacks") or []:
        console.print(
            f"  [yellow]rollback[/yellow]: step {fmt(rb['from_step'])} -> {fmt(rb['to_step'])}, "
            f"{rb['superseded']} point(s) superseded by the later values"
        )
    if meta.get("decode_errors"):
        bad = meta["decode_errors"]
        console.print(f"  [yellow]{bad} line(s) hold bytes that are not UTF-8[/yellow] (read as Latin-1)")
    if meta.get("duplicates_superseded") and not meta.get("rollbacks"):
        twice = meta["duplicates_superseded"]
        console.print(f"  [yellow]{twice} point(s) logged twice for the same step[/yellow]: the later kept")
    if meta.get("truncated_last_line"):
        console.print(f"  [yellow]truncated last record[/yellow]: {meta['truncated_last_line'][:80]!r}")
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("series", "points", "steps", "first", "last", "NaN"):
        table.add_column(col, justify="left" if col == "series" else "right")
    for name, s in run["series"].items():
        table.add_row(
            name,
            fmt(s["points"]),
            f"{fmt(s['first_step'])}–{fmt(s['last_step'])}",
            fmt(s["first"]),
            fmt(s["last"]),
            fmt(s["nan"]) if s["nan"] else "",
        )
    console.print(table)


def render_findings(console: Console, findings: list[Finding]) -> None:
    if not findings:
        return
    console.print("\n[bold]Findings[/bold]")
    for f in sorted(findings, key=lambda f: -f.severity.rank):
        style = SEVERITY_STYLE[f.severity]
        console.print(f"  [{style}]{f.severity.value:>7}[/{style}] {f.title}", highlight=False)
        if f.advice:
            console.print(f"          [dim]→ {f.advice}[/dim]", highlight=False)

"""Terminal rendering of what was read (show) and of the analyze report, with rich.

The Console is always passed in (never global), so tests can render to a string.
"""

from __future__ import annotations

import importlib
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
    if verbose and doc.get("unparsed_sample"):
        console.print("[bold]First lines not understood:[/bold]")
        for item in doc["unparsed_sample"]:
            console.print(f"  {item['line']:>7}: {item['text']}", markup=False, highlight=False)
    elif lines.get("unparsed"):
        console.print(f"[dim]{lines['unparsed']} line(s) not understood; --verbose shows the first ones[/dim]")


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


def render_report(console: Console, report: dict[str, Any], results: dict[str, Any]) -> None:
    """The analyze report: the headline, what was read, then each analysis' own section."""
    console.print(f"[bold]{report['headline']}[/bold]\n")
    render_run(console, report["run"])
    for name, result in results.items():
        module = importlib.import_module(f"lossdoc.render.{name.replace('-', '_')}")
        console.rule(f"[bold]{name}[/bold]")
        module.render(console, result)
    if report.get("comparison"):
        render_comparison(console, report["comparison"], report["run"]["name"])
    render_findings(console, report["findings_objects"])


def render_comparison(console: Console, comparison: dict[str, Any], analysed: str) -> None:
    """The runs of a multi-run file side by side, and the spread of their final losses."""
    console.rule("[bold]runs in this file[/bold]")
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("run", "series", "last step", "last", "best"):
        table.add_column(col, justify="left" if col in ("run", "series") else "right")
    for row in comparison["runs"]:
        mark = " (analysed)" if row["name"] == analysed else ""
        cells = [fmt(row["last_step"]), fmt(row["last"]), fmt(row["best"])]
        table.add_row(row["name"] + mark, row["series"] or "-", *cells)
    console.print(table)
    spread = comparison.get("final_spread")
    if spread:
        console.print(
            f"final loss over {spread['runs']} runs: {spread['min']:.4f}–{spread['max']:.4f}, "
            f"mean {spread['mean']:.4f} ± {spread['std']:.4f} (sample std): a difference between two runs "
            "smaller than this spread is within run-to-run noise"
        )

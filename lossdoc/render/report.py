"""The analyze report in the terminal (rich): headline, the run in one line with sparklines, each analysis'
section in practitioner order, the findings ranked, what to do, and the runs of a multi-run file.

Fits REPORT_WIDTH columns. rich writes plain text when the output is not a terminal and honours NO_COLOR.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from rich.console import Console
from rich.table import Table

from ..compare import spread_sentence
from .terminal import SEVERITY_STYLE, fmt

REPORT_WIDTH = 100  # columns: the report fits a 100-column terminal and a pasted issue comment


def render_report(console: Console, report: dict[str, Any], results: dict[str, Any],
                  sparklines: dict[str, str] | None = None) -> None:
    """The whole report. ``sparklines``: {"train": "▇▅▃▁", "val": ...} for the run line."""
    console.print(f"[bold]{report['headline']}[/bold]", highlight=False)
    console.print()
    console.print(run_line(report, sparklines), highlight=False)
    if read := read_line(report):
        console.print(f"    [dim]{read}[/dim]", highlight=False)
    for name, result in results.items():
        console.rule(f"[bold]{name}[/bold]")
        render_section(console, name, result)
    render_skipped(console, report.get("skipped") or {})
    if report.get("assumptions"):
        console.print("\n[bold]Assumed[/bold]")
        for note in report["assumptions"]:
            console.print(f"  [dim]{note}[/dim]", highlight=False)
    render_ranked_findings(console, report["findings_objects"])
    render_recommendations(console, report.get("recommendations") or [])
    if report.get("comparison"):
        render_comparison(console, report["comparison"], report["run"]["name"], report.get("runs") or [])


def run_line(report: dict[str, Any], sparklines: dict[str, str] | None) -> str:
    """The run in one line (its facts), and the loss beside its sparkline with where it will end."""
    summary = report.get("summary", {})
    facts = summary.get("facts") or report["run"]["name"]
    sparks = sparklines or {}
    loss = summary.get("loss") or {}
    parts = [f"{k} {v:.4f} {sparks.get(k, '')}".rstrip() for k, v in loss.items() if v is not None]
    if not parts:
        return f"[bold]run[/bold] {facts}"
    line = f"    loss {' · '.join(parts)}"
    end = f" → {summary['end']}" if summary.get("end") else ""
    if len(line + end) > REPORT_WIDTH:
        end = "\n   " + end
    return f"[bold]run[/bold] {facts}\n{line}{end}"


def read_line(report: dict[str, Any]) -> str:
    """What was read, in one line: nothing dropped silently (`lossdoc show --verbose` lists what was not understood)."""
    lines = report.get("lines") or {}
    if not lines.get("total"):
        return ""
    text = (f"read {fmt(lines['total'])} lines: {fmt(lines.get('used'))} records, "
            f"{fmt(lines.get('ignored'))} recognised non-metric, {fmt(lines.get('unparsed'))} not understood")
    return text + ("  (lossdoc show --verbose lists them)" if lines.get("unparsed") else "")


def render_section(console: Console, name: str, result: Any) -> None:
    """The analyzer's own renderer (lossdoc/render/<name>.py) when there is one, else its findings."""
    module_name = f"lossdoc.render.{name.replace('-', '_')}"
    module = importlib.import_module(module_name) if importlib.util.find_spec(module_name) else None
    if module is not None and hasattr(module, "render"):
        module.render(console, result)
        return
    findings = getattr(result, "findings", [])
    if not findings:
        console.print("[dim]nothing to report[/dim]")
    for f in findings:
        style = SEVERITY_STYLE[f.severity]
        console.print(f"  [{style}]{f.severity.value:>7}[/{style}] {f.title}", highlight=False)


def render_skipped(console: Console, skipped: dict[str, str]) -> None:
    if not skipped:
        return
    console.print("\n[bold]Not run[/bold]")
    for name, reason in skipped.items():
        console.print(f"  {name}: [dim]{reason}[/dim]", highlight=False)


def render_ranked_findings(console: Console, findings: list[Any]) -> None:
    if not findings:
        return
    console.print("\n[bold]Findings, most important first[/bold]")
    for i, f in enumerate(findings, 1):
        style = SEVERITY_STYLE[f.severity]
        console.print(f"  {i:>2}. [{style}]{f.severity.value:<7}[/{style}] {f.title}", highlight=False)


def render_recommendations(console: Console, recs: list[dict[str, Any]]) -> None:
    if not recs:
        return
    console.print("\n[bold]What to do[/bold]")
    for i, r in enumerate(recs, 1):
        console.print(f"  {i}. {r['advice']}", highlight=False)
        also = f" (and {r['also']} more like it)" if r.get("also") else ""
        console.print(f"     [dim]because: {r['because']}{also}[/dim]", highlight=False)


def render_comparison(console: Console, comparison: dict[str, Any], analysed: str,
                      briefs: list[dict[str, Any]] | None = None) -> None:
    """The runs of a multi-run file side by side, and the spread of their final losses."""
    console.rule("[bold]runs in this file[/bold]")
    table = Table(box=None, pad_edge=False, header_style="bold")
    warn = {b["name"]: b.get("warnings") for b in briefs or []}
    for col in ("run", "series", "last step", "last", "best", "warnings"):
        table.add_column(col, justify="left" if col in ("run", "series") else "right")
    for row in comparison["runs"]:
        mark = " (analysed)" if row["name"] == analysed else ""
        cells = [fmt(row["last_step"]), fmt(row["last"]), fmt(row["best"]), fmt(warn.get(row["name"]))]
        table.add_row(row["name"] + mark, row["series"] or "-", *cells)
    console.print(table)
    spread = comparison.get("final_spread")
    if spread:
        console.print(spread_sentence(spread), highlight=False)
    others = [b for b in briefs or [] if not b.get("analysed")]
    if others:
        console.print("\n[bold]The other runs[/bold] [dim](--run NAME for a run's full report)[/dim]")
        quiet = [b["name"] for b in others if not b.get("warnings")]
        for b in others:
            if b.get("warnings"):
                console.print(f"  [bold]{b['name']}[/bold]: {b['headline']}", highlight=False)
        if quiet:
            console.print(f"  no warnings: {', '.join(quiet)}", highlight=False)

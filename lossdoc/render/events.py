"""Terminal rendering of the events analysis: one line per event kind, then its findings carry the advice."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from .terminal import SEVERITY_STYLE


def render(console: Console, result: Any) -> None:
    """Draw an EventsResult (lossdoc.analyzers.events): each finding with the steps it is about."""
    for f in result.findings:
        style = SEVERITY_STYLE[f.severity]
        where = f"step {f.steps[0]:,}" if f.steps and f.steps[0] == f.steps[1] else (
            f"steps {f.steps[0]:,}–{f.steps[1]:,}" if f.steps else "")
        console.print(f"  [{style}]{f.evidence.get('kind', '')}[/{style}] {where}  {f.title}", highlight=False)

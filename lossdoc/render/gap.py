"""Terminal rendering of the gap analysis: a verdict per eval series, the gap trend, the val minimum."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from ..analyzers.gap import gap_words

VERDICT_STYLE = {"overfitting": "yellow", "diverging": "bold red", "learning": "green"}
PAIR_ROWS = 8  # train/val pairs shown for the main series


def render(console: Console, r: Any) -> None:
    """Draw a GapResult (lossdoc.analyzers.gap)."""
    unit = " (bits)" if r.unit == "bits" else ""
    table = Table(box=None, pad_edge=False, header_style="bold")
    for col in ("eval series", "verdict", "pairs", "gap", "val min"):
        table.add_column(col, justify="left" if col in ("eval series", "verdict", "gap") else "right")
    for g in r.all:
        style = VERDICT_STYLE.get(g.verdict, "cyan")
        vm = f"{g.val_min['loss']:.4f} @ {g.val_min['step']:,}" if g.val_min else "-"
        table.add_row(g.series, f"[{style}]{g.verdict}[/{style}]", str(len(g.pairs)), gap_words(g, r.unit), vm)
    console.print(table)
    if len(r.all) > 1:
        console.print(r.summary)
    p = r.primary
    console.print(f"train from {p.train_series}{unit}; {p.reason}", highlight=False)
    if p.pairs:
        show = p.pairs if len(p.pairs) <= PAIR_ROWS else p.pairs[: PAIR_ROWS // 2] + p.pairs[-PAIR_ROWS // 2 :]
        pairs = Table(box=None, pad_edge=False, header_style="bold")
        for col in ("step", "train", "val", "val - train"):
            pairs.add_column(col, justify="right")
        for i, row in enumerate(show):
            if len(show) < len(p.pairs) and i == PAIR_ROWS // 2:
                pairs.add_row("…", "", "", "")
            pairs.add_row(f"{row['step']:,}", f"{row['train']:.4f}", f"{row['val']:.4f}", f"{row['gap']:+.4f}")
        console.print(pairs)

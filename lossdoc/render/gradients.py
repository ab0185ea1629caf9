"""Terminal rendering of the grad-norm health analysis."""

from __future__ import annotations

from typing import Any

from rich.console import Console


def render(console: Console, r: Any) -> None:
    """Draw a GradResult (lossdoc.analyzers.gradients)."""
    settle = f", settles by step {r.settle_step:,}" if r.settle_step is not None else ", never settles"
    console.print(
        f"grad norm: starts at {r.first:.3g}{settle}; median {r.median:.3g} over the second half", highlight=False
    )
    if r.trend is not None:
        console.print(f"  late / mid median: {r.trend:.2f}x")
    console.print(
        f"  {100 * r.share_at_clip:.1f}% of the steps after start-up at or above the clip {r.clip:g} "
        f"[dim]({r.clip_source})[/dim]",
        highlight=False,
    )
    if r.spikes:
        with_loss = sum(s["with_loss_spike"] for s in r.spikes)
        console.print(f"  {len(r.spikes)} norm spikes, {with_loss} with a loss spike (the rest are usually benign)")
    if r.long_stretch:
        ls = r.long_stretch
        console.print(f"  [yellow]far above the clip[/yellow] from step {ls['start_step']:,} to {ls['end_step']:,}")

"""Terminal rendering of the mfu analysis: GPU and peak with sources, FLOPs per token, MFU, printed vs real,
throughput and cost, step time."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from ..numbers import abbreviate


def _pct(d: dict[str, Any] | None) -> str:
    if not d or d.get("median") is None:
        return "-"
    if d.get("p10") is None:
        return f"{d['median']:.1f}%"
    return f"{d['median']:.1f}% (p10 {d['p10']:.1f}%, p90 {d['p90']:.1f}%)"


def render(console: Console, r: Any) -> None:
    """Draw an MfuResult (lossdoc.analyzers.mfu)."""
    if r.gpu:
        peak = f"{r.peak_tflops:g} TFLOPS dense {r.dtype}" if r.peak_tflops else "peak unknown"
        logged = f" (log: {r.gpu_logged!r})" if r.gpu_logged and r.gpu_logged != r.gpu else ""
        console.print(f"GPU: {r.gpu_count} x {r.gpu}{logged}, {peak}  [dim]{r.gpu_source}[/dim]", highlight=False)
    elif r.peak_tflops:
        console.print(f"GPU: {r.gpu_count} x (unnamed), {r.peak_tflops:g} TFLOPS  [dim]{r.peak_source}[/dim]")
    else:
        console.print("GPU: not stated in the log (--gpu NAME or --peak-tflops X)")
    if r.peak_source and r.peak_tflops:
        console.print(f"  [dim]peak: {r.peak_source}[/dim]", highlight=False)
    if r.flops_per_token:
        console.print(f"FLOPs/token: {r.flops_per_token:.4g} = {r.flops_formula}", highlight=False)
    method = {
        "computed": "from step time and tokens per step",
        "logged_tflops": "from the TFLOPS the log prints",
        "logged_mfu": "the printed MFU rescaled to this peak",
        "computed_6n": "6N only (no attention term)",
    }.get(r.mfu_method or "", "")
    console.print(f"MFU: [bold]{_pct(r.mfu)}[/bold]" + (f"  [dim]{method}[/dim]" if method else ""))
    if r.logged_mfu:
        lm = r.logged_mfu
        against = f" against {lm['assumed_peak_tflops']:g} TFLOPS" if lm["assumed_peak_tflops"] else ""
        conv = f", FLOPs counted as {r.logged_convention}" if r.logged_convention else ""
        console.print(f"printed MFU: {lm['median']:.1f}%{against}{conv}")
    if r.logged_tflops:
        console.print(f"printed TFLOPS per GPU: {r.logged_tflops['median']:.1f} (median)")
    if r.achieved_tflops:
        console.print(f"achieved: {r.achieved_tflops:.1f} TFLOPS per GPU")
    if r.tokens_per_sec:
        line = f"throughput: {abbreviate(r.tokens_per_sec)} tokens/s ({abbreviate(r.tokens_per_sec_per_gpu)} per GPU)"
        line += f"; {r.hours_per_1b_tokens:.2f} h per 1B tokens"
        if r.cost_per_1b_tokens is not None:
            line += f" (${r.cost_per_1b_tokens:,.2f})"
        console.print(line)
    if r.remaining and r.remaining["steps"]:
        rem = r.remaining
        cost = f", ${rem['cost']:,.2f}" if rem.get("cost") is not None else ""
        console.print(f"to the planned end: {rem['steps']:,} steps, {rem['hours']:.1f} h{cost}")
    st = r.step_time
    if st is not None:
        line = f"step time: median {st.median_ms:.1f} ms over {len(st.ms):,} steps ({st.warmup_skipped} warm-up skipped"
        line += f", {st.excluded} slow ones left out)" if st.excluded else ")"
        console.print(line)
    for a in r.assumptions:
        console.print(f"  [dim]assumed: {a}[/dim]", highlight=False)

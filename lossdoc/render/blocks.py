"""A report section as plain blocks (text, tables, lists, preformatted text), for the Markdown and HTML renderers.

phases and spikes are laid out here as tables and lines; any other section (a new analyzer) is its terminal
renderer's output as preformatted text when it has one, so a new analysis shows up in every format with no edit.
Its findings are listed by the caller in every case.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
from dataclasses import dataclass, field
from typing import Any

from ..numbers import abbreviate

TEXT_WIDTH = 100  # columns of a terminal renderer's output embedded as preformatted text
SPIKE_ROWS = 15


@dataclass
class Block:
    kind: str  # text | table | list | pre
    text: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    right: list[bool] = field(default_factory=list)  # right-aligned columns of a table
    items: list[str] = field(default_factory=list)


def section_blocks(name: str, result: Any) -> list[Block]:
    if name == "phases":
        return phases_blocks(result)
    if name == "spikes":
        return spikes_blocks(result)
    text = terminal_text(name, result)
    return [Block("pre", text=text)] if text.strip() else []


def terminal_text(name: str, result: Any) -> str:
    """What the section's terminal renderer prints, without colour ('' when there is no renderer)."""
    module_name = f"lossdoc.render.{name.replace('-', '_')}"
    if importlib.util.find_spec(module_name) is None:
        return ""
    from rich.console import Console

    module = importlib.import_module(module_name)
    if not hasattr(module, "render"):
        return ""
    buf = io.StringIO()
    console = Console(file=buf, width=TEXT_WIDTH, color_system=None, highlight=False, soft_wrap=False, emoji=False)
    module.render(console, result)
    return buf.getvalue().rstrip()


def _steps(n: float | None) -> str:
    return "-" if n is None else abbreviate(n)


def phases_blocks(r: Any) -> list[Block]:
    out = [Block("text", text=f"Series: {r.series} ({r.series_reason}).")]
    init = r.init
    if init.verdict != "unknown" and init.loss is not None:
        verdict = {"ok": "good init", "high": "high", "very_high": "far too high", "low": "low"}.get(init.verdict, "")
        assumed = ", vocab assumed" if init.vocab_source == "assumed" else ""
        out.append(Block("text", text=(
            f"Initial {r.series} {init.loss:.4f} at step {init.step:,} (expected ln({init.vocab:,}) = "
            f"{init.expected:.2f}{assumed}): {verdict}."
        )))
    rows = [
        [str(i), p.label, f"{_steps(p.start_step)}–{_steps(p.end_step)}", f"{p.start_loss:.4f} → {p.end_loss:.4f}",
         f"{p.drop:.4g}", "-" if p.share is None else f"{p.share:.1%}", f"{p.rate_per_1k:.3g}"]
        for i, p in enumerate(r.phases, 1)
    ]
    out.append(Block("table", header=["phase", "label", "steps", "loss", "drop", "share", "rate/1K"], rows=rows,
                     right=[False, False, True, True, True, True, True]))
    if r.regimes:
        parts = [f"{g.name} ({_steps(g.start_step)}–{_steps(g.end_step)})" + (f" {g.share:.1%}" if g.share else "")
                 for g in r.regimes]
        out.append(Block("text", text="Regimes: " + ", ".join(parts) + "."))
    if r.statements:
        out.append(Block("list", items=list(r.statements)))
    if r.target is not None:
        out.append(Block("text", text=f"Target: {r.target.message}."))
    if r.projection is not None:
        from ..forecast import interval_label

        pr = r.projection
        line = (f"Projection to step {pr['step']:,}: {r.series} {pr['loss']:.4f} ({interval_label(pr)} "
                f"{pr['low']:.4f}–{pr['high']:.4f}); now {pr['current']:.4f}, {pr['remaining']:.4f} more over "
                f"{pr['remaining_steps']:,} more steps")
        if pr.get("hours") is not None:
            line += f", ~{pr['hours']:.1f} h"
        if pr.get("cost") is not None:
            line += f", ~${pr['cost']:,.0f}"
        out.append(Block("text", text=line + f" ({r.fit['form']} fit)." if r.fit else line + "."))
    for note in r.notes:
        out.append(Block("text", text=f"Note: {note}."))
    return out


def spikes_blocks(r: Any) -> list[Block]:
    out: list[Block] = []
    if not r.spikes:
        out.append(Block("text", text=f"No spikes in {', '.join(r.series)} (robust z > 6 against the trailing "
                                       "128 points)."))
    else:
        order = {"divergence": 0, "sustained": 1, "single-step": 2}
        spikes = sorted(r.spikes, key=lambda s: (order.get(s.kind, 3), -abs(s.jump_pct)))
        rows = [
            [f"{s.step:,}", s.series, f"{s.before:.4g}", f"{s.peak:.4g}", f"{s.jump:+.3g}", f"{s.jump_pct:+.0f}%",
             s.kind, "never" if s.recovery_steps is None else f"{s.recovery_steps:,}",
             "-" if not s.tokens_wasted else abbreviate(s.tokens_wasted)]
            for s in spikes[:SPIKE_ROWS]
        ]
        out.append(Block("table", header=["step", "series", "before", "peak", "jump", "%", "kind", "recovery steps",
                                          "tokens"], rows=rows, right=[True, False, True, True, True, True, False,
                                                                       True, True]))
        if len(spikes) > SPIKE_ROWS:
            out.append(Block("text", text=f"… and {len(spikes) - SPIKE_ROWS} more (--json lists all)."))
    for nf in r.nonfinite:
        out.append(Block("text", text=f"{nf['series']} is {nf['value']} from step {nf['step']:,} "
                                      f"({nf['count']} points)."))
    b = r.best
    if b and b["latest_step"] == b["step"]:
        out.append(Block("text", text=f"Best val {b['loss']:.4f} is the latest eval (step {b['step']:,})."))
    elif b:
        verdict = "worse" if b["worse"] else "within noise of it"
        ckpt = f"; nearest checkpoint: step {b['checkpoint_step']:,}" if b["worse"] else ""
        out.append(Block("text", text=f"Best val {b['loss']:.4f} at step {b['step']:,}; latest {b['latest']:.4f} at "
                                      f"step {b['latest_step']:,} is {verdict} (margin {b['margin']:.3g}){ckpt}."))
    p = r.periodicity
    if p.get("period_steps"):
        out.append(Block("text", text=f"Spike period ~{p['period_steps']:,} steps over {p['n_spikes']} spikes: "
                                      f"p = {p['p_value']:.3f} against random timing."))
    if r.shards:
        s = r.shards
        out.append(Block("text", text=f"Shard map: {s['spikes_near_boundary']} of {s['spikes']} spikes within "
                                      f"{s['window_steps']:,} steps after one of {s['boundaries']} boundaries "
                                      f"(chance {s['expected_by_chance']:.1f}, p = {s['p_value']:.2g})."))
    from ..analyzers.spike_findings import plateau_slope

    items = []
    for pl in r.plateaus:
        band = f"{pl['series']} {pl['low']:.4f}–{pl['high']:.4f}"
        if pl.get("val_low") is not None:
            band += f", val {pl['val_low']:.4f}–{pl['val_high']:.4f}"
        items.append(f"Plateau ({pl['label']}): {band} from step {pl['start_step']:,} to {pl['end_step']:,}, "
                     f"{plateau_slope(pl, '+.4f')}")
    if items:
        out.append(Block("list", items=items))
    return out

"""The loss chart as a PNG, with matplotlib's object API (no pyplot state), imported only here.

It draws what the HTML loss chart draws (chartdata.Charts): train and val loss on the same axis, phases shaded,
spikes and plateaus marked, the projection with its interval, the target, points beyond the robust range clamped.
matplotlib is the optional extra ``lossdoc[plot]``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import InputError
from .chartdata import Charts, y_range
from .svg import BRIEF_KINDS, COLORS, runs

SIZE_IN = (10.0, 4.2)  # figure size (inches) of the loss chart; a zoom after the knee adds ZOOM_IN below ...
ZOOM_IN = 3.0
DPI = 130  # ... at this resolution: 1300 px wide


def write_png(charts: Charts, path: Path, title: str) -> None:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise InputError("--plot needs matplotlib: pip install 'lossdoc[plot]'") from None
    rows = 2 if charts.zoom is not None else 1
    height = SIZE_IN[1] + (ZOOM_IN if rows == 2 else 0)
    fig = Figure(figsize=(SIZE_IN[0], height), dpi=DPI)
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(rows, 1, height_ratios=[SIZE_IN[1], ZOOM_IN][:rows])
    ax = fig.add_subplot(grid[0])
    draw_loss(ax, charts)
    ax.set_title(title, fontsize=9, loc="left")
    if charts.zoom is not None:
        zoom_ax = fig.add_subplot(grid[1])
        draw_loss(zoom_ax, charts.zoom, legend=False)
        zoom_ax.set_title(f"from step {charts.zoom.x_min:,.0f}, linear steps", fontsize=8, loc="left")
    fig.tight_layout()
    try:
        fig.savefig(path, format="png")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


def draw_loss(ax: Any, charts: Charts, legend: bool = True) -> None:
    m = charts.marks
    lines = {n: charts.lines[n] for n in ("train/loss", "val/loss") if n in charts.lines}
    lo, hi = y_range(list(lines.values()))
    proj, target = m.get("projection"), m.get("target")
    if proj:
        lo = min(lo, proj["low"])
    if target is not None and target < hi:
        lo = min(lo, target - 0.02 * (hi - lo))
    left = charts.x_min

    def xs(values: list[float]) -> list[float]:  # step 0 on the left edge of a log axis
        return [max(v, left) for v in values] if charts.log_x else values

    for i, p in enumerate(m.get("phases", [])):
        a, b = xs([p["start"], p["end"]])
        if i % 2 == 0:
            ax.axvspan(a, b, color="#e2e8f0", alpha=0.6, lw=0)
        mid = (a * b) ** 0.5 if charts.log_x else (a + b) / 2
        if charts.x_min <= mid <= charts.x_max:
            ax.text(mid, 0.97, str(i + 1), transform=ax.get_xaxis_transform(), ha="center", va="top", fontsize=8,
                    color="#64748b")
    for name, line in lines.items():
        color = COLORS[name]
        if line.lo is not None:
            ax.fill_between(xs(line.x), line.lo, line.hi, color=color, alpha=0.15, lw=0)
        marker = "o" if name == "val/loss" else None
        for k, run in enumerate(runs(line.x, charts.log_x, left)):  # points decades apart are not joined (svg.runs)
            ax.plot(xs([line.x[i] for i in run]), [line.y[i] for i in run], color=color, lw=1.4,
                    label=name if k == 0 else None, marker=marker or ("o" if len(run) == 1 else None), ms=3)
        clamped = xs([x for x, y in zip(line.x, line.y) if y > hi])  # the line itself, not its envelope
        if clamped:
            ax.plot(clamped, [hi] * len(clamped), ls="none", marker="^", color=color, ms=5, clip_on=False)
    for pl in m.get("plateaus", []):
        ax.fill_between(xs([pl["start"], pl["end"]]), pl["low"], pl["high"], color="#f59e0b", alpha=0.15, lw=0)
    for brief, color, size in ((True, "#f59e0b", 4.5), (False, "#dc2626", 6.5)):
        spikes = [s for s in m.get("spikes", []) if (s["kind"] in BRIEF_KINDS) == brief]
        if spikes:  # a peak above the range sits on the top edge, drawn whole (clip_on=False), not cut in half
            ax.plot(xs([s["step"] for s in spikes]), [min(s["peak"], hi) for s in spikes], ls="none", marker="o",
                    mfc=color, mec="white", ms=size, clip_on=False,
                    label="single-step and short spikes" if brief else "spikes")
    if proj:  # the projected curve and its interval opening along it (lossdoc.forecast.projection_path)
        last = proj["step"] - proj.get("remaining_steps", 0)
        path = proj.get("path") or [[last, proj["current"], proj["current"], proj["current"]],
                                    [proj["step"], proj["loss"], proj["low"], proj["high"]]]
        px, pv, plo, phi = zip(*path, strict=True)
        ax.fill_between(px, plo, phi, color="#64748b", alpha=0.2, lw=0)
        ax.plot(px, pv, ls="--", color="#475569", lw=1.3,
                label=f"projection {proj['loss']:.3f} ({proj['low']:.3f}–{proj['high']:.3f})")
    if target is not None:
        ax.axhline(target, ls="--", color="#16a34a", lw=1.1, label=f"target {target:.4g}")
    if charts.log_x:
        ax.set_xscale("log")
    ax.set_xlim(charts.x_min, charts.x_max * 1.01 if charts.log_x else charts.x_max)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("step (log scale)" if charts.log_x else "step")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    if legend:
        ax.legend(fontsize=8, loc="upper right", bbox_to_anchor=(1.0, 0.92), frameon=False)

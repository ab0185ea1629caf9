"""Charts as inline SVG, written in Python (no JavaScript library, nothing fetched): the loss chart with its
phases, spikes, plateaus, projection and target, and the small charts below it (LR, grad norm, gap, MFU).

Every chart shares the x axis of chartdata.Charts (log-step or linear), so a step sits at the same place in each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Any

from ..numbers import abbreviate
from .chartdata import GAP_POINTS, Charts, Line, xt, y_range

WIDTH = 960
MAIN_HEIGHT = 380
SMALL_HEIGHT = 170
MARGIN = (26, 18, 34, 66)  # top, right, bottom, left (px)
COLORS = {
    "train/loss": "#2563eb",
    "val/loss": "#ea580c",
    "train/lr": "#059669",
    "train/grad_norm": "#7c3aed",
    "train/mfu": "#0891b2",
    "gap": "#db2777",
}
PHASE_FILLS = ("#f1f5f9", "#ffffff")
MAX_LOG_GAP = 1.0  # decades: on a log axis, points further apart are drawn as dots, not joined
SPIKE_R = 4.5  # radius (px) of a spike mark
SPARSE_POINTS = 60  # a small chart of at most this many points draws each as a dot and keeps every one in range
BRIEF_KINDS = ("single-step", "short")  # spikes back within 1-3 points: amber (the spikes analysis' info kinds)


@dataclass
class Frame:
    x0: float
    x1: float
    y0: float
    y1: float
    height: int
    log_x: bool
    x_left: float = 1.0  # the first step of a log axis (step 0 is drawn on it)

    @property
    def left(self) -> float:
        return MARGIN[3]

    @property
    def right(self) -> float:
        return WIDTH - MARGIN[1]

    @property
    def top(self) -> float:
        return MARGIN[0]

    @property
    def bottom(self) -> float:
        return self.height - MARGIN[2]

    def px(self, step: float) -> float:
        span = (self.x1 - self.x0) or 1.0
        return self.left + (xt(step, self.log_x, self.x_left) - self.x0) / span * (self.right - self.left)

    def py(self, y: float) -> float:
        span = (self.y1 - self.y0) or 1.0
        y = min(max(y, self.y0), self.y1)
        return self.bottom - (y - self.y0) / span * (self.bottom - self.top)


def frame(charts: Charts, lines: list[Line], height: int, floor: float | None = None) -> Frame:
    lo, hi = y_range(lines)
    if floor is not None:
        lo = min(lo, floor)
    x0, x1 = xt(charts.x_min, charts.log_x), xt(charts.x_max, charts.log_x)
    return Frame(x0, x1, lo, hi, height, charts.log_x, charts.x_min)


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    span = hi - lo
    if span <= 0:
        return [lo]
    raw = span / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    first = math.ceil(lo / step) * step
    out = []
    v = first
    while v <= hi + 1e-12 * abs(hi):
        out.append(round(v, 12))
        v += step
    return out


def x_ticks(f: Frame, charts: Charts) -> list[float]:
    if not f.log_x:
        return nice_ticks(charts.x_min, charts.x_max, 6)
    out = []
    k = 0
    while 10**k <= charts.x_max:
        for m in (1, 2, 5):
            v = m * 10**k
            if charts.x_min <= v <= charts.x_max:
                out.append(float(v))
        k += 1
    return out


def _num(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) < 1e-2 or abs(v) >= 1e5:
        return f"{v:.1e}"
    return f"{v:.4g}"


def axes(f: Frame, charts: Charts, ylabel: str) -> list[str]:
    out = [f'<rect x="{f.left}" y="{f.top}" width="{f.right - f.left}" height="{f.bottom - f.top}" class="plot"/>']
    for v in nice_ticks(f.y0, f.y1):
        y = f.py(v)
        out.append(f'<line x1="{f.left}" x2="{f.right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        out.append(f'<text x="{f.left - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{_num(v)}</text>')
    for v in x_ticks(f, charts):
        x = f.px(v)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{f.top}" y2="{f.bottom}" class="grid"/>')
        out.append(f'<text x="{x:.1f}" y="{f.bottom + 15}" class="tick" text-anchor="middle">{abbreviate(v)}</text>')
    axis = "step (log scale)" if f.log_x else "step"
    out.append(f'<text x="{f.right}" y="{f.height - 4}" class="axis" text-anchor="end">{axis}</text>')
    out.append(f'<text x="{f.left}" y="{f.top - 9}" class="axis">{escape(ylabel)}</text>')
    return out


def path(f: Frame, line: Line, cls: str, color: str, dots: bool = False) -> list[str]:
    """The line (clamped to the frame), its min/max envelope, and ▲/▼ marks where points were clamped."""
    out = []
    if line.lo is not None and line.hi is not None and len(line.x) > 1:
        top = " ".join(f"{f.px(x):.1f},{f.py(h):.1f}" for x, h in zip(line.x, line.hi))
        bottom = " ".join(f"{f.px(x):.1f},{f.py(lo):.1f}" for x, lo in zip(reversed(line.x), reversed(line.lo)))
        out.append(f'<polygon points="{top} {bottom}" fill="{color}" class="envelope"/>')
    for run in runs(line.x, f.log_x, f.x_left):
        pts = " ".join(f"{f.px(line.x[i]):.1f},{f.py(line.y[i]):.1f}" for i in run)
        out.append(f'<polyline points="{pts}" stroke="{color}" class="{cls}"/>')
        if len(run) == 1 and not dots:  # a point on its own (the first loss at step 0) still shows
            out.append(f'<circle cx="{f.px(line.x[run[0]]):.1f}" cy="{f.py(line.y[run[0]]):.1f}" r="2.6" '
                       f'fill="{color}"/>')
    if dots and len(line.x) <= 200:
        out.extend(f'<circle cx="{f.px(x):.1f}" cy="{f.py(y):.1f}" r="2.6" fill="{color}"/>'
                   for x, y in zip(line.x, line.y))
    clamped = [x for x, y in zip(line.x, line.y) if y > f.y1]  # the line itself, not its envelope
    for x in clamped[:200]:
        out.append(f'<path d="M{f.px(x) - 4:.1f},{f.top + 7} l4,-7 l4,7 z" fill="{color}" class="clamp"/>')
    return out


def runs(xs: list[float], log_x: bool, left: float = 1.0) -> list[list[int]]:
    """Indices of the stretches to join with a line: on a log axis two points more than MAX_LOG_GAP decades apart
    are not joined (a val at step 0 and the next at step 200: a straight line across two decades would draw a
    curve nobody measured, far below the train loss)."""
    out: list[list[int]] = []
    for i in range(len(xs)):
        if out and not (log_x and xt(xs[i], True, left) - xt(xs[i - 1], True, left) > MAX_LOG_GAP):
            out[-1].append(i)
        else:
            out.append([i])
    return out


def legend(items: list[tuple[str, str]], f: Frame) -> list[str]:
    out = []
    x = f.right - 8
    for label, color in reversed(items):
        w = 10 + 7 * len(label)
        x -= w + 14
        out.append(f'<rect x="{x:.0f}" y="{f.top + 24}" width="12" height="4" fill="{color}"/>')
        out.append(f'<text x="{x + 16:.0f}" y="{f.top + 30}" class="legend">{escape(label)}</text>')
    return out


def svg(height: int, layers: list[tuple[list[str], bool]], chart_id: str, title: str, f: Frame) -> str:
    """An <svg> of layers drawn in order; a layer marked True is drawn inside the plot area only (marks outside a
    zoom are cut off)."""
    clip = f"clip-{chart_id}"
    parts = [f'<defs><clipPath id="{clip}"><rect x="{f.left}" y="{f.top}" width="{f.right - f.left}" '
             f'height="{f.bottom - f.top}"/></clipPath></defs>']
    for items, clipped in layers:
        body = "".join(items)
        parts.append(f'<g clip-path="url(#{clip})">{body}</g>' if clipped else body)
    # the frame as data attributes, for the hover readout of html.py's script (step and value under the cursor)
    data = (f'data-x0="{f.x0:.6g}" data-x1="{f.x1:.6g}" data-y0="{f.y0:.6g}" data-y1="{f.y1:.6g}" '
            f'data-log="{int(f.log_x)}" data-left="{f.left}" data-right="{f.right}" data-top="{f.top}" '
            f'data-bottom="{f.bottom}"')
    hover = (f'<line class="hoverline" x1="-10" x2="-10" y1="{f.top}" y2="{f.bottom}"/>'
             f'<text class="hover" x="{f.left + 8}" y="{f.bottom - 8}"></text>')
    return (
        f'<svg id="{chart_id}" class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" {data} xmlns="http://www.w3.org/2000/svg">' + "".join(parts) + hover + "</svg>"
    )


def loss_chart(charts: Charts, chart_id: str = "chart-loss", spans: bool = True) -> str:
    """Train and val loss; phases shaded, spikes and plateaus marked, the projection and its interval, the target.

    ``spans``: the findings' (invisible) step spans that their links light up; on the main chart only."""
    m = charts.marks
    lines = [charts.lines[n] for n in ("train/loss", "val/loss") if n in charts.lines]
    if not lines:
        return ""
    proj, target = m.get("projection"), m.get("target")
    f = frame(charts, lines, MAIN_HEIGHT)
    if proj:
        f.y0 = min(f.y0, proj["low"])
    if target is not None and target < f.y1:
        f.y0 = min(f.y0, target - 0.02 * (f.y1 - f.y0))
    back = _phases(f, m.get("phases", []))
    body: list[str] = axes(f, charts, "loss")
    data = _plateaus(f, m.get("plateaus", []), prefix="" if spans else "z")
    for name in ("train/loss", "val/loss"):
        if name in charts.lines:
            data += path(f, charts.lines[name], "line", COLORS[name], dots=name == "val/loss")
    data += _spikes(f, m.get("spikes", []), prefix="" if spans else "z")
    if proj:
        data += _projection(f, proj)
    best = m.get("best")
    if best and best.get("worse"):  # the checkpoint to go back to, when the run has got worse since
        x, y = f.px(best["step"]), f.py(best["loss"])
        data.append(f'<path d="M{x:.1f},{y - 7:.1f} l6,7 l-6,7 l-6,-7 z" class="best"><title>best val '
                    f'{best["loss"]:.4f} at step {best["step"]:,}: the checkpoint to keep</title></path>')
    if target is not None:
        y = f.py(target)
        data.append(f'<line x1="{f.left}" x2="{f.right}" y1="{y:.1f}" y2="{y:.1f}" class="target"/>')
        data.append(f'<text x="{f.left + 6}" y="{y - 4:.1f}" class="note">target {target:.4g}</text>')
    if spans:
        data += _finding_spans(f, m.get("findings", []))
    items = [(n, COLORS[n]) for n in ("train/loss", "val/loss") if n in charts.lines]
    if proj:
        items.append(("projection", "#64748b"))
    layers = [(back, True), (body, False), (data, True), (legend(items, f), False)]
    return svg(MAIN_HEIGHT, layers, chart_id, "train and val loss", f)


def _phases(f: Frame, phases: list[dict[str, Any]]) -> list[str]:
    out = []
    for i, p in enumerate(phases):
        x0, x1 = f.px(p["start"]), f.px(p["end"])
        out.append(f'<rect x="{x0:.1f}" y="{f.top}" width="{max(x1 - x0, 0):.1f}" height="{f.bottom - f.top}" '
                   f'fill="{PHASE_FILLS[i % 2]}" class="phase"><title>phase {i + 1}: {escape(p["label"])} '
                   f'(steps {p["start"]:,}–{p["end"]:,})</title></rect>')
    out2 = []
    for i, p in enumerate(phases):
        x0, x1 = f.px(p["start"]), f.px(p["end"])
        if x1 - x0 > 28:
            out2.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{f.top + 13}" class="phaselabel" '
                        f'text-anchor="middle">{i + 1}</text>')
    return out + out2


def _plateaus(f: Frame, plateaus: list[dict[str, Any]], prefix: str = "") -> list[str]:
    out = []
    for p in plateaus:
        x0, x1 = f.px(p["start"]), f.px(p["end"])
        y0, y1 = f.py(p["high"]), f.py(p["low"])
        out.append(f'<rect id="{prefix}plateau-{p["start"]}" x="{x0:.1f}" y="{y0:.1f}" width="{max(x1 - x0, 2):.1f}" '
                   f'height="{max(y1 - y0, 2):.1f}" class="plateau"><title>plateau ({escape(str(p["label"]))}): '
                   f'{p["low"]:.4f}–{p["high"]:.4f}, steps {p["start"]:,}–{p["end"]:,}</title></rect>')
    return out


def _spikes(f: Frame, spikes: list[dict[str, Any]], prefix: str = "") -> list[str]:
    out = []
    for s in spikes[:300]:
        # a peak above the y range (a zoom's, or a clamped outlier) is drawn whole just inside the top edge, not
        # cut in half by it; its title keeps the value
        x, y = f.px(s["step"]), max(f.py(s["peak"]), f.top + SPIKE_R)
        cls = "spike single" if s["kind"] in BRIEF_KINDS else "spike"
        out.append(f'<circle id="{prefix}spike-{s["step"]}" cx="{x:.1f}" cy="{y:.1f}" r="{SPIKE_R}" class="{cls}">'
                   f'<title>{escape(s["kind"])} spike in {escape(s["series"])} at step {s["step"]:,}: '
                   f'{s["peak"]:.4g} ({s["jump_pct"]:+.0f}%)</title></circle>')
    return out


def _projection(f: Frame, pr: dict[str, Any]) -> list[str]:
    """The projected curve (its path: a WSD run's warmdown drops where it is) and its interval opening along it."""
    last = pr["step"] - pr.get("remaining_steps", 0)
    path = pr.get("path") or [[last, pr["current"], pr["current"], pr["current"]],
                              [pr["step"], pr["loss"], pr["low"], pr["high"]]]
    x1 = f.px(pr["step"])
    upper = [f"{f.px(x):.1f},{f.py(hi):.1f}" for x, _v, _lo, hi in path]
    lower = [f"{f.px(x):.1f},{f.py(lo):.1f}" for x, _v, lo, _hi in reversed(path)]
    line = " ".join(f"{f.px(x):.1f},{f.py(v):.1f}" for x, v, _lo, _hi in path)
    from ..forecast import interval_label

    label = interval_label(pr) if pr.get("coverage") else "interval"
    return [
        f'<polygon points="{" ".join(upper + lower)}" class="projband"><title>{label} at step '
        f'{pr["step"]:,}: {pr["low"]:.4f}–{pr["high"]:.4f}</title></polygon>',
        f'<polyline points="{line}" class="projline"/>',
        f'<circle cx="{x1:.1f}" cy="{f.py(pr["loss"]):.1f}" r="4" class="projdot"><title>projected '
        f'{pr["loss"]:.4f} at step {pr["step"]:,}</title></circle>',
        f'<text x="{x1 - 6:.1f}" y="{f.py(pr["loss"]) - 8:.1f}" class="note" text-anchor="end">'
        f'{pr["loss"]:.3f} at {abbreviate(pr["step"])}</text>',
    ]


def _finding_spans(f: Frame, findings: list[dict[str, Any]]) -> list[str]:
    """One invisible span per finding; it lights up (CSS :target) when the finding's link is followed."""
    out = []
    for item in findings:
        a, b = item["steps"]
        x0, x1 = f.px(a), f.px(b)
        if x1 - x0 < 6:
            x0, x1 = (x0 + x1) / 2 - 3, (x0 + x1) / 2 + 3
        out.append(f'<rect id="{item["id"]}" x="{x0:.1f}" y="{f.top}" width="{x1 - x0:.1f}" '
                   f'height="{f.bottom - f.top}" class="fspan {item["severity"]}">'
                   f'<title>{escape(item["title"])}</title></rect>')
    return out


def small_chart(charts: Charts, name: str, label: str, line: Line, extra: list[str] | None = None,
                clip: float | None = None, zero: bool = False) -> str:
    f = frame(charts, [line], SMALL_HEIGHT, floor=0.0 if zero else None)
    if len(line.x) <= SPARSE_POINTS:  # a few points (one per eval) are each a measurement: all of them in range
        finite = [y for y in line.y if math.isfinite(y)]
        if finite:
            pad = 0.05 * ((max(finite) - min(finite)) or abs(max(finite)) or 1.0)
            f.y0, f.y1 = min(f.y0, min(finite) - pad), max(f.y1, max(finite) + pad)
    if clip is not None:
        f.y1 = max(f.y1, clip * 1.1)
    back = _phases(f, charts.marks.get("phases", []))[: len(charts.marks.get("phases", []))]
    body = axes(f, charts, label)
    data: list[str] = []
    if zero and f.y0 < 0 < f.y1:
        y = f.py(0)
        data.append(f'<line x1="{f.left}" x2="{f.right}" y1="{y:.1f}" y2="{y:.1f}" class="zero"/>')
    data += path(f, line, "line", COLORS.get(name, "#334155"), dots=len(line.x) <= SPARSE_POINTS)
    if clip is not None:
        y = f.py(clip)
        data.append(f'<line x1="{f.left}" x2="{f.right}" y1="{y:.1f}" y2="{y:.1f}" class="target"/>')
        data.append(f'<text x="{f.left + 6}" y="{y - 4:.1f}" class="note">clip {clip:g}</text>')
    data += extra or []
    return svg(SMALL_HEIGHT, [(back, True), (body, False), (data, True)], f"chart-{name.replace('/', '-')}", label, f)


def all_charts(charts: Charts) -> list[tuple[str, str]]:
    """(caption, svg) of every chart the run's series allow, the loss chart first."""
    out = []
    main = loss_chart(charts)
    if main:
        out.append(("Train and val loss: phases shaded and numbered, spikes ● (single-step and short in amber), "
                    "plateaus ▭, projection ◸, points beyond the range clamped ▲", main))
    if charts.zoom is not None:
        zoomed = loss_chart(charts.zoom, "chart-loss-zoom", spans=False)
        if zoomed:
            out.append((f"The loss from step {charts.zoom.x_min:,.0f} on a linear step axis, its y range from this "
                        "stretch alone", zoomed))
    lines = charts.lines
    if "train/lr" in lines:
        out.append(("Learning rate", small_chart(charts, "train/lr", "learning rate", lines["train/lr"], zero=True)))
    if "train/grad_norm" in lines:
        clip = charts.marks.get("clip")
        caption = "Gradient norm" + (f", clip at {clip:g}" if clip else "")
        out.append((caption, small_chart(charts, "train/grad_norm", "grad norm", lines["train/grad_norm"],
                                         clip=clip, zero=True)))
    if charts.gap is not None and charts.gap.x:
        out.append(("Val − train loss at each eval (the eval-time train loss where logged, else the mean of the last "
                    f"{GAP_POINTS} train points)",
                    small_chart(charts, "gap", "val − train", charts.gap, zero=True)))
    if "train/mfu" in lines:
        out.append(("MFU as logged (%)", small_chart(charts, "train/mfu", "MFU %", lines["train/mfu"])))
    return out

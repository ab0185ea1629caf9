"""Chart marks seen in the sample report (docs/): a sparse small chart (the val - train gap, one point per eval)
keeps every point inside its frame, and a spike whose peak is above a chart's y range is drawn whole inside it."""

from __future__ import annotations

import re

from lossdoc.render.chartdata import Charts, Line, y_range
from lossdoc.render.svg import SPIKE_R, Frame, _spikes, small_chart


def _circles(svg: str) -> list[float]:
    return [float(cy) for cy in re.findall(r'<circle [^>]*cy="([\d.]+)"', svg)]


def test_a_sparse_small_chart_keeps_every_point_in_its_frame() -> None:
    # twelve evals: ten near 0.03, two far below (the gap of the example run around its spike)
    ys = [0.03, 0.031, 0.029, 0.03, 0.032, 0.028, 0.03, 0.031, -0.2, -0.13, 0.03, 0.04]
    line = Line([200.0 * (i + 1) for i in range(12)], ys)
    lo, hi = y_range([line])
    assert hi == max(ys) and lo == min(ys)  # the robust range ends at the extreme points: their dots on the edge
    svg = small_chart(Charts(log_x=False, x_min=0, x_max=2400), "gap", "val − train", line, zero=True)
    top, bottom = 26, 170 - 34  # svg.MARGIN top, SMALL_HEIGHT - MARGIN bottom
    cys = _circles(svg)
    dot = 2.6  # svg.path's dot radius
    assert len(cys) == 12 and all(top + dot <= cy <= bottom - dot for cy in cys)  # every dot whole, inside
    assert 'class="clamp"' not in svg


def test_a_spike_above_the_range_is_drawn_whole_inside_the_frame() -> None:
    f = Frame(0, 1000, 3.0, 5.2, 300, log_x=False)
    out = "".join(_spikes(f, [{"step": 500, "peak": 5.31, "series": "train/loss", "kind": "sustained",
                               "jump_pct": 24.0}, {"step": 600, "peak": 4.0, "series": "train/loss",
                                                   "kind": "short", "jump_pct": 10.0}]))
    cys = _circles(out)
    assert cys[0] == f.top + SPIKE_R  # clamped to just inside the top edge, not centred on it
    assert abs(cys[1] - f.py(4.0)) < 0.06  # a peak in range stays where it is
    assert out.count('class="spike single"') == 1  # the short spike is amber, like a single-step one


def test_on_a_log_axis_points_decades_apart_are_not_joined() -> None:
    from lossdoc.render.svg import path, runs

    # val at step 0 (drawn at step 1), then every 200 steps: 0 -> 200 spans 2.3 decades, 200 -> 400 0.3
    xs = [0.0, 200.0, 400.0, 600.0]
    assert runs(xs, log_x=True) == [[0], [1, 2, 3]]
    assert runs(xs, log_x=False) == [[0, 1, 2, 3]]  # a linear axis joins every point
    f = Frame(0.0, 3.0, 3.0, 11.0, 300, log_x=True)
    svg = "".join(path(f, Line(xs, [10.9, 5.6, 4.8, 4.5]), "line", "#000"))
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 1  # the lone first point is a dot

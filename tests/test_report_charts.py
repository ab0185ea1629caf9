"""Known answers for what the charts draw (lossdoc/render/chartdata.py): downsampled columns, the robust y range
that clamps an outlier instead of squashing the curve, the train/val gap, the axis choice, and the SVG marks."""

from __future__ import annotations

import math

import numpy as np

from lossdoc.render.chartdata import Line, downsample, gap_line, y_range
from lossdoc.render.svg import Frame, nice_ticks, path


def test_a_sparse_series_is_drawn_point_for_point() -> None:
    line = downsample([0, 10, 20], [3.0, float("nan"), 2.0], log_x=True)
    assert line.x == [0.0, 20.0] and line.y == [3.0, 2.0] and line.lo is None


def test_a_dense_series_becomes_column_means_with_a_noise_band() -> None:
    steps = np.arange(1, 100_001)
    values = np.where(steps % 10 == 0, 2.0, 1.0)  # one point in ten at 2, the rest at 1
    line = downsample(steps, values, log_x=False, bins=100)
    assert len(line.x) == 100
    # each linear column holds 1,000 consecutive steps: mean 1.1, sd sqrt(0.1 * 0.9) = 0.3, band ± 1.2816 sd
    assert np.allclose(line.y, 1.1)
    assert np.allclose(line.lo, 1.1 - 1.2816 * 0.3) and np.allclose(line.hi, 1.1 + 1.2816 * 0.3)
    assert line.x[0] == np.mean(steps[:1000])


def test_log_columns_give_the_start_of_the_run_its_share_of_the_chart() -> None:
    steps = np.arange(1, 1_000_001)
    line = downsample(steps, np.ones(len(steps)), log_x=True, bins=60)
    xs = np.log10(line.x)
    # six decades, ten columns each (0.1 of a decade wide): steps 1-9 fill the columns floor(10 log10 s)
    expected = len({math.floor(10 * math.log10(s)) for s in range(1, 10)})
    assert expected == 7 and sum(x < 1 for x in xs) == expected and len(line.x) <= 60


def test_one_outlier_is_clamped_not_allowed_to_squash_the_curve() -> None:
    y = list(np.linspace(4.0, 3.0, 500))
    y[250] = 40.0  # a spike 10x the loss
    lo, hi = y_range([Line(list(range(500)), y)])
    assert hi < 5.0 and lo >= 3.0 - 1e-9  # the spike is off the chart (drawn clamped), the curve fills it
    f = Frame(0, 499, lo, hi, 300, log_x=False)
    svg = "".join(path(f, Line(list(range(500)), y), "line", "#000"))
    assert svg.count('class="clamp"') == 1  # and it is marked where it was clamped


def test_the_initial_loss_stays_in_range_but_a_diverged_start_does_not() -> None:
    y = [10.9] + list(np.linspace(5.0, 3.0, 300))
    assert y_range([Line(list(range(301)), y)])[1] == 10.9
    y = [500.0] + list(np.linspace(5.0, 3.0, 300))
    assert y_range([Line(list(range(301)), y)])[1] < 10


def test_gap_is_val_minus_the_mean_of_the_last_train_points_before_each_eval() -> None:
    steps = np.arange(0, 101)
    train = np.where(steps <= 50, 5.0, 3.0)
    val_steps = np.array([0, 50, 100])
    line = gap_line((steps, train), (val_steps, np.array([5.5, 5.25, 3.5])))
    assert line.x == [0, 50, 100]
    assert np.allclose(line.y, [0.5, 0.25, 0.5])  # the last 10 train points before 50 are all 5.0


def test_nice_ticks() -> None:
    assert nice_ticks(3.0, 11.0) == [4.0, 6.0, 8.0, 10.0]
    assert all(math.isclose(a, b) for a, b in zip(nice_ticks(0.0, 6e-4), [0, 2e-4, 4e-4, 6e-4]))
    assert len(nice_ticks(0.0, 6e-4)) == 4

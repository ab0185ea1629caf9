"""Rolling windows without pandas: the trailing and centred median and mean the analyzers use.

Each function returns what ``pandas.Series(a).rolling(window, min_periods=..., center=...)`` gives: NaN and
+-inf are skipped (pandas reads inf as missing) and do not count towards ``min_periods``. So `lossdoc analyze`
need not import pandas (~0.25 s of a 0.5 s budget, issue 12). Medians are bottleneck's ``move_median`` (a double
heap in C, O(n log window)): exactly pandas' numbers (the same order statistics, the mean of the two middle values
on an even count; tests/test_rolling.py compares them), ~5x faster than pandas' skiplist on one core (1M points,
windows 51-1001: 0.07 s against 0.31-0.33 s) and than the numpy partition this module did before. The trailing
mean replays pandas' running (Kahan) sum point by point, so it is pandas' to the bit.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# From this many points pandas does the trailing mean: the mean's Python loop costs ~0.5 us a point; past ~250,000
# points that pays for importing pandas (~0.25 s), which the readers import on logs this long anyway.
PANDAS_FROM = 200_000


def rolling_median(a: np.ndarray, window: int, min_periods: int, center: bool = False) -> np.ndarray:
    """``pd.Series(a).rolling(window, min_periods=min_periods, center=center).median().to_numpy()``.

    A centred window is the trailing window ending (window - 1) // 2 points later: the series is padded with that
    many NaN at its end (missing, as pandas' window is cut there) and the trailing result shifted back."""
    import bottleneck as bn
    import numpy as np

    a = np.asarray(a, dtype=np.float64)
    n = len(a)
    if n == 0 or window < 1:
        return np.full(n, np.nan)
    if np.isinf(a).any():
        a = np.where(np.isinf(a), np.nan, a)  # pandas reads +-inf as missing, like NaN
    offset = (window - 1) // 2 if center else 0
    lead = max(0, window - n - offset)  # move_median wants window <= length: NaN in front, dropped after
    padded = np.concatenate((np.full(lead, np.nan), a, np.full(offset, np.nan))) if lead or offset else a
    out = bn.move_median(padded, window, min_count=max(1, min_periods))
    return out[lead + offset : lead + offset + n]


def rolling_mean(a: np.ndarray, window: int, min_periods: int) -> np.ndarray:
    """``pd.Series(a).rolling(window, min_periods=min_periods).mean().to_numpy()``, to the bit: pandas' own running
    sum (Kahan-compensated adds and removes, aggregations.pyx ``roll_mean``) replayed in Python below PANDAS_FROM
    points (~0.5 us a point; a sum per window differs from it in the last bit a third of the time)."""
    import numpy as np

    a = np.asarray(a, dtype=np.float64)
    n = len(a)
    if n >= PANDAS_FROM:
        import pandas as pd

        return pd.Series(a).rolling(window, min_periods=min_periods).mean().to_numpy()
    if n and np.isfinite(a).all():
        return np.array(_finite_mean(a.tolist(), window, min_periods), dtype=np.float64)
    values = np.where(np.isinf(a), np.nan, a).tolist()  # pandas reads +-inf as missing
    out = [math.nan] * n
    nobs = neg = same = 0
    total = add_comp = remove_comp = 0.0
    prev = values[0] if n else 0.0
    for i, v in enumerate(values):
        if i >= window:  # the point leaving the window
            old = values[i - window]
            if old == old:
                nobs -= 1
                y = -old - remove_comp
                t = total + y
                remove_comp = t - total - y
                total = t
                neg -= old < 0
        if v == v:  # not NaN
            nobs += 1
            y = v - add_comp
            t = total + y
            add_comp = t - total - y
            total = t
            neg += v < 0
            same = same + 1 if v == prev else 1
            prev = v
        if nobs >= min_periods and nobs > 0:
            mean = total / nobs
            if same >= nobs:  # a constant window is its value exactly
                mean = prev
            elif (neg == 0 and mean < 0) or (neg == nobs and mean > 0):
                mean = 0.0
            out[i] = mean
    return np.array(out, dtype=np.float64)


def _finite_mean(values: list[float], window: int, min_periods: int) -> list[float]:
    """rolling_mean's loop for values without NaN (the detector's log steps): the same operations in the same
    order, without the NaN tests and window bookkeeping (~1.6x faster): the window fills, then slides."""
    out = [math.nan] * len(values)
    neg = same = 0
    total = add_comp = remove_comp = 0.0
    prev = values[0]
    nobs = 0
    for v in values[:window]:  # filling: adds only
        y = v - add_comp
        t = total + y
        add_comp = t - total - y
        total = t
        neg += v < 0
        same = same + 1 if v == prev else 1
        prev = v
        nobs += 1
        if nobs >= min_periods:
            mean = total / nobs
            if same >= nobs:
                mean = prev
            elif (neg == 0 and mean < 0) or (neg == nobs and mean > 0):
                mean = 0.0
            out[nobs - 1] = mean
    if window < min_periods:
        return out
    i = window
    for old, v in zip(values, values[window:]):  # sliding: the point leaving, then the point coming in
        y = -old - remove_comp
        t = total + y
        remove_comp = t - total - y
        total = t
        neg -= old < 0
        y = v - add_comp
        t = total + y
        add_comp = t - total - y
        total = t
        neg += v < 0
        same = same + 1 if v == prev else 1
        prev = v
        mean = total / window
        if same >= window:
            mean = prev
        elif (neg == 0 and mean < 0) or (neg == window and mean > 0):
            mean = 0.0
        out[i] = mean
        i += 1
    return out


def _row_medians(rows: np.ndarray) -> np.ndarray:
    """np.median(rows, axis=1) of NaN-free rows, with one partition done in place (rows is the caller's copy;
    np.median partitions a copy at both middle ranks and checks for NaN: 4-5x slower). The lower middle value is
    the largest of the lower half."""
    k = rows.shape[1] // 2
    rows.partition(k, axis=1)
    if rows.shape[1] % 2:
        return rows[:, k].copy()
    return (rows[:, :k].max(axis=1) + rows[:, k]) / 2


def bin_medians(a: np.ndarray, edges: Any) -> np.ndarray:
    """[np.median(a[lo:hi]) for lo, hi in zip(edges[:-1], edges[1:])] for NaN-free a and non-empty bins, the same
    floats: the bins of each length at once (a row each, partitioned as _row_medians does) instead of one
    np.median call per bin (~25 us each: 10 ms for the 400 of a 200-bin smoothing)."""
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    a = np.asarray(a, dtype=np.float64)  # as np.median computes on an int array (exact below 2**53)
    lo = np.asarray(edges[:-1], dtype=np.int64)
    size = np.asarray(edges[1:], dtype=np.int64) - lo
    out = np.empty(len(lo))
    for length in np.unique(size).tolist():
        pick = np.flatnonzero(size == length)
        out[pick] = _row_medians(sliding_window_view(a, length)[lo[pick]])  # fancy indexing: a copy
    return out


def median_of(values: Any) -> float:
    """np.median of NaN-free values, for a short array: a Python sort (~4x faster than np.median on 100 values)
    giving the same number (the middle value, or the mean of the two middle ones, (a + b) / 2 as numpy takes it)."""
    ordered = sorted(values.tolist() if hasattr(values, "tolist") else values)
    n = len(ordered)
    if not n:
        return math.nan
    k = n // 2
    return float(ordered[k]) if n % 2 else (ordered[k - 1] + ordered[k]) / 2

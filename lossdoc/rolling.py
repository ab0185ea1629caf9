"""Rolling windows without pandas: the trailing and centred median and mean the analyzers use.

Each function returns what ``pandas.Series(a).rolling(window, min_periods=..., center=...)`` gives: NaN and
+-inf are skipped (pandas reads inf as missing) and do not count towards ``min_periods``. So `lossdoc analyze`
need not import pandas (~0.25 s of a 0.5 s budget, issue 12). Medians are exactly pandas' (same order statistics,
the mean of the two middle values on an even count; tests/test_rolling.py compares them). The numpy median
partitions a copy of every window, O(n x window): from PANDAS_FROM points on, pandas' skiplist (O(n log window))
does it instead (the same numbers). The trailing mean replays pandas' running (Kahan) sum point by point, so it
is pandas' to the bit.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# From this many points pandas does the windows: its skiplist median costs ~0.22 us a point against 0.32-0.57 us for
# numpy's partition (windows 64-128), and the mean's Python loop ~0.5 us; 1M points, this 2-core machine. Past
# ~250,000 points that pays for importing pandas (~0.25 s), which the readers import on logs this long anyway.
PANDAS_FROM = 200_000
SMALL_WINDOW = 8  # numpy is faster than pandas at any length for windows this small (1M points, window 3: 2x)
MAX_THREADS = 4  # a trailing median of a long series is split over at most this many cores
CHUNK_ELEMENTS = 1 << 17  # window elements partitioned at a time (1 MB of float64: in cache; 2x faster than 32 MB)


def _bounds(n: int, window: int, center: bool) -> tuple[np.ndarray, np.ndarray]:
    """[start, end) of each point's window, as pandas' fixed-window indexer makes them."""
    import numpy as np

    offset = (window - 1) // 2 if center else 0
    end = np.arange(1 + offset, n + 1 + offset, dtype=np.int64)
    start = end - window
    return np.clip(start, 0, n), np.clip(end, 0, n)


def _use_pandas(n: int, window: int) -> bool:
    return n >= PANDAS_FROM and window > SMALL_WINDOW


def rolling_median(a: np.ndarray, window: int, min_periods: int, center: bool = False) -> np.ndarray:
    """``pd.Series(a).rolling(window, min_periods=min_periods, center=center).median().to_numpy()``."""
    import numpy as np

    a = np.asarray(a, dtype=np.float64)
    if _use_pandas(len(a), window):
        if not center and _cores() > 1:
            return _threaded_median(a, window, min_periods, _cores())
        return _pandas_median(a, window, min_periods, center)
    return _windows(a, window, min_periods, center)


def _pandas_median(a: np.ndarray, window: int, min_periods: int, center: bool) -> np.ndarray:
    import pandas as pd

    return pd.Series(a).rolling(window, min_periods=min_periods, center=center).median().to_numpy()


def _cores() -> int:
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(cores, MAX_THREADS)


def _threaded_median(a: np.ndarray, window: int, min_periods: int, parts: int) -> np.ndarray:
    """The trailing median in ``parts`` pieces at once: pandas' skiplist runs without the GIL, and a trailing
    window's median depends on that window alone, so each piece starts window - 1 points early, drops those
    outputs, and the pieces join to exactly the one-piece result (1M points, 2 cores: 0.23 -> 0.13 s)."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    n = len(a)
    cuts = [n * k // parts for k in range(parts + 1)]
    pieces = [(lo, a[max(0, lo - (window - 1)) : hi]) for lo, hi in zip(cuts[:-1], cuts[1:], strict=True)]
    with ThreadPoolExecutor(parts) as pool:
        done = list(pool.map(lambda piece: _pandas_median(piece[1], window, min_periods, False), pieces))
    return np.concatenate([out[lo - max(0, lo - (window - 1)) :] for (lo, _), out in zip(pieces, done, strict=True)])


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


def _gappy_medians(rows: np.ndarray, min_periods: int) -> np.ndarray:
    """Medians of rows holding NaN (missing points, or the padding past an edge): each row sorted (NaN last), its
    middle value or the mean (a + b) / 2 of its two middle ones among the valid values, as median_of takes it;
    NaN where fewer than min_periods (and at least 1) values are valid."""
    import numpy as np

    rows.sort(axis=1)  # in place: rows is the caller's copy
    count = rows.shape[1] - np.isnan(rows).sum(axis=1)
    lo = np.take_along_axis(rows, np.maximum(count - 1, 0)[:, None] // 2, axis=1)[:, 0]
    hi = np.take_along_axis(rows, (count // 2)[:, None], axis=1)[:, 0] if rows.shape[1] else lo
    out = np.where(count % 2 == 1, lo, (lo + hi) / 2)
    out[count < max(1, min_periods)] = np.nan
    return out


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


def _windows(a: np.ndarray, window: int, min_periods: int, center: bool) -> np.ndarray:
    """Medians: full windows without NaN by a partition, the others (cut by an edge, or holding NaN) by a sort of
    the window padded with NaN; both vectorised a chunk of windows at a time (each chunk's copy stays in cache)."""
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    n = len(a)
    out = np.full(n, np.nan)
    if n == 0 or window < 1:
        return out
    start, end = _bounds(n, window, center)
    a = np.where(np.isinf(a), np.nan, a)  # pandas' rolling reads +-inf as missing, like NaN
    nan = np.isnan(a)
    nan_before = np.concatenate(([0], np.cumsum(nan)))
    clean_full = ((end - start) == window) & (nan_before[end] == nan_before[start])
    step = max(1, CHUNK_ELEMENTS // window)
    if n >= window:
        full = np.flatnonzero(clean_full)
        if len(full):
            view = sliding_window_view(a, window)  # row k = a[k : k + window]
            for lo in range(0, len(full), step):
                idx = full[lo : lo + step]
                out[idx] = _row_medians(view[start[idx]])  # fancy indexing: a fresh copy to partition
    gappy = np.flatnonzero(~clean_full)
    if len(gappy):
        # point i's window is a[e - window : e] with e = i + 1 + offset (end before clipping to n), NaN for the
        # places before 0 or past n
        padded = np.concatenate((np.full(window, np.nan), a, np.full(window, np.nan)))
        view = sliding_window_view(padded, window)  # row k = padded[k : k + window] = a[k - window : k]
        offset = (window - 1) // 2 if center else 0
        for lo in range(0, len(gappy), step):
            idx = gappy[lo : lo + step]
            out[idx] = _gappy_medians(view[idx + 1 + offset], min_periods)
    return out

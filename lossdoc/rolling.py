"""Rolling windows without pandas: the trailing and centred median and mean the analyzers use.

Each function returns what ``pandas.Series(a).rolling(window, min_periods=..., center=...)`` gives: NaN and
+-inf are skipped (pandas reads inf as missing) and do not count towards ``min_periods``. So `lossdoc analyze`
need not import pandas (~0.25 s of a 0.5 s budget, issue 12). Medians are exactly pandas' (same order statistics,
the mean of the two middle values on an even count; tests/test_rolling.py compares them). The numpy median
partitions a copy of every window, O(n x window): from PANDAS_FROM points on, pandas' skiplist (O(n log window))
does it instead. Means are a numpy sum per window below PANDAS_FROM (pandas' running Kahan sum can differ in the
last bit) and pandas' above.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

# From this many points a median window wider than SMALL_WINDOW goes to pandas: numpy's per-window partition
# costs ~2-3 us a point at 64-128 points a window against ~0.35 us for pandas' skiplist, so importing pandas
# (~0.25 s) pays for itself past ~60,000 points (measured on this 2-core machine, 1M points, windows 64 and 128).
PANDAS_FROM = 60_000
SMALL_WINDOW = 8  # numpy is faster than pandas at any length for windows this small (1M points, window 3: 2x)
CHUNK_ELEMENTS = 1 << 22  # window elements partitioned at a time (32 MB of float64): bounded memory on 1M points


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
        import pandas as pd

        return pd.Series(a).rolling(window, min_periods=min_periods, center=center).median().to_numpy()
    return _windows(a, window, min_periods, center, lambda rows: np.median(rows, axis=1), np.median)


def rolling_mean(a: np.ndarray, window: int, min_periods: int, center: bool = False) -> np.ndarray:
    """``pd.Series(a).rolling(window, min_periods=min_periods, center=center).mean().to_numpy()``
    (to the last bit or so below PANDAS_FROM points: a sum per window instead of pandas' running sum)."""
    import numpy as np

    a = np.asarray(a, dtype=np.float64)
    if len(a) >= PANDAS_FROM:
        import pandas as pd

        return pd.Series(a).rolling(window, min_periods=min_periods, center=center).mean().to_numpy()
    return _windows(a, window, min_periods, center, lambda rows: rows.mean(axis=1), np.mean)


def _windows(a: np.ndarray, window: int, min_periods: int, center: bool, rows_fn, one_fn) -> np.ndarray:
    """Full windows without NaN in one vectorised call; windows cut by an edge or holding NaN one by one."""
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
    if n >= window:
        full = np.flatnonzero(clean_full)
        if len(full):
            view = sliding_window_view(a, window)  # row k = a[k : k + window]; rows copied a chunk at a time
            step = max(1, CHUNK_ELEMENTS // window)
            for lo in range(0, len(full), step):
                idx = full[lo : lo + step]
                out[idx] = rows_fn(view[start[idx]])
    for i in np.flatnonzero(~clean_full).tolist():
        part = a[start[i] : end[i]]
        part = part[~np.isnan(part)]
        if len(part) >= max(1, min_periods):
            out[i] = float(one_fn(part))
    return out

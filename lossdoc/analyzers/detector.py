"""The spike detector of `lossdoc spikes`: robust scores of one loss series against a trailing baseline.

The detector works on raw per-step logs (llm.c, modded-nanogpt) and on sparse ones (an eval every 250 steps,
a Megatron excerpt of 8 points) alike, because it counts *points*, not steps:

1. Trailing baseline. For point i the level is the median of the ``h`` points before it (h = window/2) and the
   trend is the difference between the medians of the two halves of the trailing window (a two-point robust
   slope). Two baselines come out: the plain trailing level (lags behind a falling loss, so it sits *above*
   the current loss) and the trend-extrapolated one (overshoots on a decelerating curve, so it sits *below*).
   An upward spike must clear the higher of the two and a downward outlier the lower one: whichever way the
   curve bends, each test is the conservative one. Nothing is fitted globally, so warmup, cosine and WSD
   schedules need no model.
2. Robust scale: 1.4826 x the median absolute residual over the trailing window (a MAD, which a few earlier
   spikes cannot inflate), floored at a fraction of the loss so that a clean, smooth curve (a CI golden
   trace, a smooth eval curve) cannot produce huge scores from a near-zero scale.
3. A point is an upward spike when its residual exceeds ``SPIKE_Z`` scales; the spike event runs from that
   onset until the loss is back inside the pre-spike band, and later flagged points inside it belong to it.
   "Back inside" means the point itself is inside the band *and* the median of it and the next points is (so
   one lucky point does not end a spike, and a point still above the band never is its recovery): a 2- or
   3-point excursion is one event, and on a sparse log the recovery is the first logged point inside the band.
   A downward outlier must be isolated (the loss is back next point): a sudden *lasting* drop is what a
   learning-rate decay or warmdown does, not an anomaly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

SPIKE_Z = 6.0  # robust z (MAD units) for a spike; OLMo-core skips steps at z > 6 over 128 steps
WINDOW_POINTS = 128  # trailing window in points; OLMo-core and llm.c both score over the last 128 steps
MIN_WINDOW_POINTS = 4  # smallest trailing window (sparse logs: a Megatron excerpt has 8 points)
WINDOW_SHARE = 8  # a sparse series uses at most 1/8 of its points as the window (80 evals -> 10); measured:
#                  recall on 80-eval series with one 10-50% spike 81% at 1/4, 98% at 1/8 (benchmarks/spikes.py)
MIN_HISTORY = 2  # points needed before a point can be scored (a jump at the 3rd point of a 9-point excerpt)
MIN_SCALE_POINTS = 3  # residuals needed for a rolling scale
REL_NOISE_FLOOR = 0.005  # scale floor, fraction of the loss level (0.5%): a smooth curve cannot give z > 6
#                          unless the jump is >= 3% of the loss; our choice, below the 1% noise of real runs
MAD_TO_SIGMA = 1.4826  # MAD -> standard deviation for Gaussian noise
BAND_Z = 3.0  # pre-spike band = level +- 3 scales; "recovered" = back inside it
CONFIRM_POINTS = 3  # recovery must hold: the point itself and the median of it and the next 2 are inside the band
CACHE_SIZE = 4  # robust scores kept by content: spikes and gradients both score train/loss (~20 ms a 20k series)

_cache: dict[tuple[Any, ...], Scores] = {}  # insertion order = age (see robust_scores)


@dataclass
class Scores:
    """Per-point baselines and scale of one finite series (NaN where a point has too little history)."""

    level: np.ndarray  # median of the h points before
    base_up: np.ndarray  # baseline an upward spike must clear
    base_down: np.ndarray  # baseline a downward outlier must fall below
    scale: np.ndarray  # robust noise scale (floored)
    window: int


def window_for(n: int) -> int:
    """Trailing window in points: 128 on a dense log, a quarter of the points on a sparse one."""
    return int(min(WINDOW_POINTS, max(MIN_WINDOW_POINTS, n // WINDOW_SHARE)))


def _key(*arrays: Any) -> tuple[Any, ...]:
    """A content key for arrays: dtype, shape and the CRC-32 and Adler-32 of the bytes of each (None stays None).
    zlib, not hashlib: numpy has imported it already, hashlib would cost ~3 ms to import; 64 check bits are plenty
    for telling apart the few series of one run."""
    import zlib

    import numpy as np

    key: list[Any] = []
    for a in arrays:
        if a is None:
            key.append(None)
            continue
        a = np.ascontiguousarray(a)
        data = a.view(np.uint8) if a.size else b""
        key += [a.dtype.str, a.shape, zlib.crc32(data), zlib.adler32(data)]
    return tuple(key)


def robust_scores(y: np.ndarray, steps: np.ndarray | None = None) -> Scores:
    """Trailing baselines and robust scale for every point of ``y`` (finite values, in step order).

    The trend is extrapolated in log(step): a loss curve is close to a power law in the step, so it is much
    straighter there (a sparse eval series moves a lot within its window early in a run). The last CACHE_SIZE
    results are kept by the content of y and steps (their arrays read-only, as they are shared).
    """
    key = _key(y, steps)
    if key in _cache:
        _cache[key] = _cache.pop(key)  # the newest again
        return _cache[key]
    scores = _robust_scores(y, steps)
    for a in (scores.level, scores.base_up, scores.base_down, scores.scale):
        a.setflags(write=False)
    _cache[key] = scores
    while len(_cache) > CACHE_SIZE:
        del _cache[next(iter(_cache))]
    return scores


def _robust_scores(y: np.ndarray, steps: np.ndarray | None) -> Scores:
    import numpy as np

    from ..rolling import median_of, rolling_median

    n = len(y)
    w = window_for(n)
    h = max(1, w // 2)
    x = np.log1p(np.maximum(np.asarray(steps, dtype=float), 0.0)) if steps is not None else np.arange(n, dtype=float)
    level = np.full(n, np.nan)
    base_up = np.full(n, np.nan)
    base_down = np.full(n, np.nan)
    resid = np.full(n, np.nan)  # residual from the trend-extrapolated baseline: what the scale is made of
    scale = np.full(n, np.nan)

    half_median = rolling_median(y, h, min_periods=h)
    half_x = _half_means(x, h, steps)
    if n > 2 * h:
        idx = np.arange(2 * h, n)
        m2 = half_median[idx - 1]  # median of the h points just before i
        m1 = half_median[idx - 1 - h]  # median of the h points before those
        x2, x1 = half_x[idx - 1], half_x[idx - 1 - h]
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = np.where(x2 > x1, (m2 - m1) / (x2 - x1), 0.0)
        plain = 0.5 * (m1 + m2)
        extrap = m2 + slope * (x[idx] - x2)
        level[idx] = m2
        base_up[idx] = np.maximum(plain, extrap)
        base_down[idx] = np.minimum(plain, extrap)
        resid[idx] = y[idx] - extrap
        mad = rolling_median(np.abs(resid), w, min_periods=max(MIN_SCALE_POINTS, h // 2))
        scale[idx] = MAD_TO_SIGMA * mad[idx - 1]
    # Too little history for a trend (the first 2h points): expanding median and MAD, upward test only.
    for i in range(MIN_HISTORY, min(n, 2 * h)):
        med = median_of(y[:i])
        level[i] = base_up[i] = med
        scale[i] = MAD_TO_SIGMA * median_of(np.abs(y[:i] - med))
    missing = np.isnan(scale) & ~np.isnan(base_up)
    for i in np.flatnonzero(missing).tolist():  # scale window still filling up after the first 2h points
        past = y[max(0, i - w) : i]
        scale[i] = MAD_TO_SIGMA * median_of(np.abs(past - median_of(past)))
    with np.errstate(invalid="ignore"):
        scale = np.maximum(scale, REL_NOISE_FLOOR * np.abs(level))
    return Scores(level=level, base_up=base_up, base_down=base_down, scale=scale, window=w)


_means: dict[tuple[Any, ...], np.ndarray] = {}  # trailing means of log steps, by steps and window (same ages)


def _half_means(x: np.ndarray, h: int, steps: np.ndarray | None) -> np.ndarray:
    """rolling_mean(x, h, h) of the x made from ``steps``, kept by steps' content: the loss and the grad norm of
    a log share their steps, and this Python loop is a third of robust_scores' time."""
    from ..rolling import rolling_mean

    key = (h, len(x)) + _key(steps)
    if key not in _means:
        _means[key] = rolling_mean(x, h, min_periods=h)
        _means[key].setflags(write=False)
        while len(_means) > CACHE_SIZE:
            del _means[next(iter(_means))]
    return _means[key]


@dataclass
class Event:
    """A detected anomaly in index space of the finite series (before the per-spike facts are added)."""

    onset: int
    end: int  # index of the first point back inside the band (== len when never)
    peak: int
    z: float
    direction: int  # +1 spike, -1 downward outlier
    recovered: bool


def detect(y: np.ndarray, scores: Scores | None = None, steps: np.ndarray | None = None) -> list[Event]:
    """Spike and downward-outlier events of one finite series, in index space, by onset."""
    import numpy as np

    from ..rolling import rolling_median

    n = len(y)
    if n <= MIN_HISTORY:
        return []
    sc = scores or robust_scores(y, steps)
    with np.errstate(invalid="ignore"):
        z_up = (y - sc.base_up) / sc.scale
        z_down = (y - sc.base_down) / sc.scale
    m = min(CONFIRM_POINTS, n)
    # forward median of this and the next m-1 points (fewer at the very end), so that recovery is not one lucky
    # point; the point itself must be inside the band too (a median can be low while the point is still high)
    forward = rolling_median(y[::-1], m, min_periods=1)[::-1]
    settled = np.maximum(forward, y)  # <= the band's top exactly when both the point and the median are

    events: list[Event] = []
    up = np.flatnonzero(z_up > SPIKE_Z)
    busy_until = -1
    for i in up.tolist():
        if i < busy_until:
            continue  # a later point of a spike already open
        high = sc.level[i] + BAND_Z * sc.scale[i]
        j = _first_at_or_below(settled, high, i + 1)
        peak = i + int(np.argmax(y[i : (j if j < n else n)]))
        events.append(Event(onset=i, end=j, peak=peak, z=float(z_up[i]), direction=1, recovered=j < n))
        busy_until = j
    busy = np.zeros(n, dtype=bool)  # inside an upward spike (onset .. recovery)
    for e in events:
        busy[e.onset : e.end] = True
    for i in np.flatnonzero(z_down < -SPIKE_Z).tolist():
        if i + 1 >= n or busy[i]:
            continue
        low = sc.level[i] - BAND_Z * sc.scale[i]
        if forward[i + 1] >= low:  # isolated: back inside the band at once
            events.append(Event(onset=i, end=i + 1, peak=i, z=float(z_down[i]), direction=-1, recovered=True))
    events.sort(key=lambda e: e.onset)
    return events


def _first_at_or_below(values: np.ndarray, limit: float, start: int) -> int:
    """First index >= start with values[index] <= limit, or len(values); searched in growing chunks."""
    import numpy as np

    n = len(values)
    lo, size = start, 64
    while lo < n:
        hi = min(n, lo + size)
        hit = np.flatnonzero(values[lo:hi] <= limit)
        if len(hit):
            return lo + int(hit[0])
        lo, size = hi, size * 8
    return n

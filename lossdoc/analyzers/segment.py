"""Phase segmentation of a loss curve (part of `lossdoc phases`): the fewest stretches of near-constant rate.

Single-point spikes well above the noise are cut (running median of 3), then the curve is binned on a log-step
axis (medians per bin: robust to noise, and O(n) on million-point logs, so nothing heavier ever runs on raw
points). A phase is a stretch where the loss falls at a roughly constant rate per step, so an exact dynamic
programme finds the fewest constant-rate chords between bin medians (3..8) whose worst miss stays within a
fraction of each chord's own drop (a minimax criterion, so a late fall of 0.05 is judged like an early fall of
5). Neighbours whose per-step rates differ by less than a clear factor are merged. Each phase gets a label from a
fixed vocabulary ordered by rate relative to the run's mean rate; a fall within the noise is a plateau, a rise
beyond it is "rising".

Written here rather than taken from a change-point library (ruptures is not a dependency, and its costs look for
changes in a signal's mean or slope, not for "the fewest stretches of near-constant rate, judged relative to each
stretch's own drop"); it runs on at most ``LOG_BINS`` knots, so it is exact and takes milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

# --- segmentation ----------------------------------------------------------------------------------------
LOG_BINS = 96  # bins on the log-step axis; ~20 per decade over a 5-decade run (boundaries within ~12%)
EDGE_RAW_MAX = 20  # an end bin of at most this many points gives its raw end value (else median + trend)
MIN_PHASES, MAX_PHASES = 3, 8  # issue 4: "3 to 8 phases that a practitioner would draw"
FIT_REL_TOL = 0.15  # a bin median may sit 15% of its phase's drop off the phase's constant-rate chord ...
FIT_FLOOR_FRAC = 0.002  # ... or 0.2% of the run's total drop ...
NOISE_Z = 3.0  # ... or this many standard errors of the bin median, whichever is largest
FLAT_FRAC = 0.01  # a phase whose |drop| is under 1% of the total drop (or under the noise) is flat
MERGE_RATE_FACTOR = 2.0  # neighbours whose per-step rates differ by less than this factor are one phase
SAME_RATE_FACTOR = 1.25  # ... and below MIN_PHASES only when they agree this closely (one straight stretch)
OUTLIER_Z = 6.0  # a point this many noise levels above its 3-point median is a spike, not the curve

# Labels ordered by rate, as a multiple of the run's mean rate (drop to the lowest point / steps). Calibrated on the
# 760M FineWeb analysis in shared/example-diagnoses (rates 5.62, 0.41, 0.057, 0.020, 0.008, 0.003, 0.001
# per 1K steps against a mean of 0.105/1K give exactly its seven labels).
RATE_LABELS: tuple[tuple[float, str], ...] = (
    (20.0, "catastrophic drop"),
    (2.0, "rapid learning"),
    (0.4, "fast convergence"),
    (0.15, "steady decline"),
    (0.05, "moderate"),
    (0.02, "slowing"),
)
PLATEAU_LABEL = "near plateau"
PLATEAU_MAX_REL = 0.4  # a drop within the noise is a plateau only if it is also slower than 0.4x the mean rate
RISING_LABEL = "rising"  # the loss went up over the phase by more than the noise
RECOVERY_LABEL = "recovery"  # a fall back towards a level the loss had already reached before a rise
NOISE_LABEL = "within noise"  # a rise smaller than the noise: neither a plateau (it did not stop falling) nor a rise
REGIMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("explosive", ("catastrophic drop",)),
    ("fast", ("rapid learning", "fast convergence")),
    ("slow refinement", ("steady decline", "moderate", "slowing", PLATEAU_LABEL)),
    ("rising", (RISING_LABEL,)),
    ("recovery", (RECOVERY_LABEL,)),
    ("no trend", (NOISE_LABEL,)),
)


@dataclass
class Phase:
    start_step: int
    end_step: int
    start_loss: float
    end_loss: float
    drop: float
    share: float | None  # fraction of the total drop (0-1); None when the loss did not fall overall
    rate_per_1k: float
    label: str


@dataclass
class Regime:
    name: str
    start_step: int
    end_step: int
    share: float | None
    phases: list[int]  # 1-based phase numbers


@dataclass
class Knots:
    """Bin medians on the log-step axis: x (log axis), step, loss, points per bin."""

    x: np.ndarray
    step: np.ndarray
    loss: np.ndarray
    count: np.ndarray
    unit: float


def robust_noise(values: np.ndarray) -> float:
    """Per-point noise: MAD of second (or first, if smaller) differences over the later half of the series.

    Second differences cancel a locally linear trend; the later half is where the curve is flattest (on a
    sparse eval series the early second differences are trend, not noise) and where noise matters.
    """
    import numpy as np

    tail = values[len(values) // 2 :]
    if len(tail) < 4:
        tail = values
    if len(tail) < 4:
        return 0.0
    d2 = np.diff(tail, 2)
    second = 1.4826 * float(np.median(np.abs(d2 - np.median(d2)))) / math.sqrt(6.0)
    # one spike moves three second differences but only two first ones: on a short tail (the 7 last evals of a
    # 13-eval log) one bad eval is 3 of 5 second differences, past the median's breakdown point, and the "noise"
    # becomes the spike (0.28 nats on the example log, where the evals scatter by ~0.01). First differences
    # carry the trend's change of slope instead, which makes them overestimate on a curving tail; each
    # estimator errs upwards in its own failure, so the smaller of the two is kept.
    d1 = np.diff(tail)
    first = 1.4826 * float(np.median(np.abs(d1 - np.median(d1)))) / math.sqrt(2.0)
    return min(second, first)


def despike(values: np.ndarray, noise: float) -> np.ndarray:
    """Single-point upward outliers (one bad eval, a one-step loss spike) cut down to the running median of 3.

    A median of 3 leaves any monotone stretch exactly as it is, so the steep start is not blunted; only points
    more than OUTLIER_Z noise levels above it are cut, so a V-shaped minimum stays exact and ordinary noise
    is not biased downwards. Ends kept.
    """
    import numpy as np

    if len(values) < 3:
        return values
    out = values.copy()
    a, mid, c = values[:-2], values[1:-1], values[2:]
    med = np.maximum(np.minimum(a, mid), np.minimum(np.maximum(a, mid), c))  # median of 3 without sorting
    out[1:-1] = np.where(mid - med > OUTLIER_Z * noise, med, mid)
    return out


def log_bins(steps: np.ndarray, values: np.ndarray, bins: int = LOG_BINS) -> Knots:
    """Medians of step and loss in ``bins`` equal bins of x = ln(1 + step/unit), unit = median step spacing.

    The first and last knots sit at the first and last step, so phases span the whole run.
    """
    import numpy as np

    unit = float(np.median(np.diff(steps))) if len(steps) > 1 else 1.0
    unit = max(unit, 1.0)
    x = np.log1p(np.maximum(steps, 0) / unit)
    edges = np.linspace(x[0], x[-1], bins + 1)
    # steps are sorted, so each bin is a contiguous slice
    cuts = np.searchsorted(x, edges[1:-1], side="left")
    bounds = np.concatenate([[0], cuts, [len(x)]])
    kx, ks, kl, kn = [], [], [], []
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=False):
        if hi <= lo:
            continue
        kx.append(float(x[(lo + hi - 1) // 2]))
        ks.append(float(steps[(lo + hi - 1) // 2]))  # a logged step (the bin's middle point), not a mean
        kl.append(float(np.median(values[lo:hi])))
        kn.append(hi - lo)
    # The end knots move to the first and last step, carried along the bin's own trend (a bin median belongs
    # to the bin's middle, and on a falling curve it is not the value at the bin's edge).
    nonempty = [(lo, hi) for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True) if hi > lo]
    for k, edge in ((0, 0), (-1, len(steps) - 1)):
        lo, hi = nonempty[k]
        if hi - lo <= EDGE_RAW_MAX:  # a sparse (eval) series keeps its logged first and last values
            kl[k] = float(values[edge])
        else:
            kl[k] += _bin_slope(steps[lo:hi], values[lo:hi]) * (float(steps[edge]) - ks[k])
        ks[k], kx[k] = float(steps[edge]), float(x[edge])
    return Knots(np.array(kx), np.array(ks), np.array(kl), np.array(kn), unit)


def _bin_slope(steps: np.ndarray, values: np.ndarray) -> float:
    """Loss per step inside one bin: medians of its two halves (robust to spikes, O(n))."""
    import numpy as np

    n = len(steps)
    if n < 4:
        return 0.0
    h = n // 2
    ds = float(np.median(steps[h:]) - np.median(steps[:h]))
    return float(np.median(values[h:]) - np.median(values[:h])) / ds if ds > 0 else 0.0


def segment(knots: Knots, noise: float) -> list[Phase]:
    """Phases: the fewest constant-rate chords (3..8) that follow the binned curve, then merge similar rates."""
    import numpy as np

    y, n = knots.loss, knots.count
    k_count = len(y)
    if k_count == 1:
        return _phases_from_bounds(knots, [0, 0], noise)
    drop_scale = max(abs(y[0] - y[-1]), float(np.ptp(y)), 1e-12)
    floor = np.maximum(FIT_FLOOR_FRAC * drop_scale, NOISE_Z * 1.2533 * noise / np.sqrt(n))
    bad = chord_badness(knots.step, y, floor)
    max_k = min(MAX_PHASES, k_count - 1)
    min_k = min(MIN_PHASES, max_k)
    table = _minimax(bad, max_k)
    k = next((k for k in range(min_k, max_k + 1) if table[k][0][-1] <= FIT_REL_TOL), max_k)
    bounds = _backtrack(table, k, k_count - 1)
    bounds = _merge_similar(knots, bounds, noise)
    return _phases_from_bounds(knots, bounds, noise)


def chord_badness(step: np.ndarray, y: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """bad[i, j]: worst miss of the constant-rate chord from knot i to knot j, as a fraction of its drop.

    A phase is a stretch where the loss falls at a roughly constant rate per step, so the chord is straight
    in steps; the misses are measured at the log-spaced knots. Misses within the noise floor do not count,
    and dividing by the chord's own drop judges a late 0.05 fall on the same terms as an early fall of 5.
    """
    import numpy as np

    k = len(y)
    bad = np.full((k, k), np.inf)
    m = np.arange(k)
    for i in range(k - 1):  # all chords from knot i at once: rows j, columns the knots m in between
        j = m[i + 1 :, None]
        ds = np.maximum(step[j] - step[i], 1e-12)
        line = y[i] + (y[j] - y[i]) * (step[None, :] - step[i]) / ds
        miss = np.maximum(np.abs(y[None, :] - line) - floor[None, :], 0.0)
        miss[(m[None, :] < i) | (m[None, :] > j)] = 0.0
        scale = np.maximum(np.abs(y[i] - y[j]), np.maximum(floor[i], floor[j]))
        bad[i, i + 1 :] = (miss.max(axis=1, keepdims=True) / scale)[:, 0]
    return bad


def _minimax(bad: np.ndarray, max_k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """table[k] = (least worst-chord badness reaching knot j with k chords, previous boundary), k = 1..max_k.

    Ties (common: many segmentations have every chord within the noise) go to the earliest boundary.
    """
    import numpy as np

    k_count = bad.shape[0]
    first = bad[0].copy()
    first[0] = np.inf
    table = [(np.zeros(k_count), np.zeros(k_count, dtype=int)), (first, np.zeros(k_count, dtype=int))]
    for _ in range(2, max_k + 1):
        prev = table[-1][0]
        total = np.maximum(prev[:, None], bad)  # total[i, j]: k-1 chords to i, then one from i to j
        arg = np.argmin(total, axis=0)
        table.append((total[arg, np.arange(k_count)], arg))
    return table


def _backtrack(table: list[tuple[np.ndarray, np.ndarray]], k: int, end: int) -> list[int]:
    bounds = [end]
    j = end
    for level in range(k, 1, -1):
        j = int(table[level][1][j])
        bounds.append(j)
    bounds.append(0)
    return sorted(set(bounds))


def _merge_similar(knots: Knots, bounds: list[int], noise: float) -> list[int]:
    """Merge the most similar neighbours (per-step rate within MERGE_RATE_FACTOR) while more than 3 remain."""
    bounds = list(bounds)
    while len(bounds) > 2:
        # below MIN_PHASES only stretches at the same rate merge (a straight line is one phase)
        limit = MERGE_RATE_FACTOR if len(bounds) - 1 > MIN_PHASES else SAME_RATE_FACTOR
        best_i, best_ratio = -1, limit
        for i in range(1, len(bounds) - 1):
            a = _rate(knots, bounds[i - 1], bounds[i])
            b = _rate(knots, bounds[i], bounds[i + 1])
            if a <= 0 or b <= 0:  # a rise or a flat stretch is never merged into a descent
                continue
            ratio = max(a, b) / min(a, b)
            if ratio < best_ratio:
                best_i, best_ratio = i, ratio
        if best_i < 0:
            break
        del bounds[best_i]
    return bounds


def _rate(knots: Knots, i: int, j: int) -> float:
    return float((knots.loss[i] - knots.loss[j]) / max(knots.step[j] - knots.step[i], 1.0))


def _phases_from_bounds(knots: Knots, bounds: list[int], noise: float) -> list[Phase]:
    import numpy as np

    y, s, n = knots.loss, knots.step, knots.count
    total = float(y[bounds[0]] - y[bounds[-1]])
    drop_scale = max(abs(total), float(np.ptp(y)), 1e-12)
    mean_rate = mean_rate_per_step(knots)
    if float(np.ptp(y)) <= NOISE_Z * 1.2533 * noise * math.sqrt(2.0):
        mean_rate = 0.0  # the whole curve moves less than its noise: there is no rate to compare phases with
    # the yardstick of the labels means nothing when the loss never fell by more than the noise before it rose
    # (an excerpt that starts at a spike's foot): its within-noise drops are then plateaus, not "rapid learning"
    fell_in_noise = float(y[0] - y.min()) <= FLAT_FRAC * drop_scale
    phases = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=False):
        drop = float(y[a] - y[b])
        steps = max(float(s[b] - s[a]), 1.0)
        rate = drop / steps
        # what a phase's drop must exceed to be more than noise: the end medians' standard errors
        flat = max(NOISE_Z * 1.2533 * noise * math.sqrt(1 / n[a] + 1 / n[b]), FLAT_FRAC * drop_scale)
        label = label_for(rate, 0.0 if fell_in_noise and drop <= flat else mean_rate, drop, flat)
        if drop > flat and float(y[a]) > float(y[: a + 1].min()) + FLAT_FRAC * drop_scale:
            label = RECOVERY_LABEL  # falling back after a rise: not learning at a "catastrophic" rate
        elif 0 > drop >= -flat and mean_rate > 0:  # a curve with a trend rose a little here: not a "plateau"
            label = NOISE_LABEL
        phases.append(
            Phase(
                start_step=int(round(s[a])),
                end_step=int(round(s[b])),
                start_loss=float(y[a]),
                end_loss=float(y[b]),
                drop=drop,
                share=drop / total if total > 0 else None,
                rate_per_1k=rate * 1000.0,
                label=label,
            )
        )
    phases = merge_rises(phases, total)
    if any(p.label == RISING_LABEL for p in phases) or all(p.label == PLATEAU_LABEL for p in phases):
        # the loss rose back: a phase's drop as a "share" of the net drop would exceed 100%, so no shares
        for p in phases:
            p.share = None
    if not phases:  # a single knot: one empty phase
        phases.append(Phase(int(s[0]), int(s[0]), float(y[0]), float(y[0]), 0.0, None, 0.0, PLATEAU_LABEL))
    return phases


def merge_rises(phases: list[Phase], total: float) -> list[Phase]:
    """Consecutive rising phases are one rise (12.44 -> 44.2 -> 47.5 is one blow-up, not two)."""
    out: list[Phase] = []
    for p in phases:
        prev = out[-1] if out else None
        if prev is not None and prev.label == RISING_LABEL and p.label == RISING_LABEL:
            drop = prev.start_loss - p.end_loss
            steps = max(p.end_step - prev.start_step, 1)
            out[-1] = Phase(prev.start_step, p.end_step, prev.start_loss, p.end_loss, drop,
                            drop / total if total > 0 else None, drop / steps * 1000.0, RISING_LABEL)
        else:
            out.append(p)
    return out


def merge_same_labels(phases: list[Phase], total: float) -> list[Phase]:
    """Neighbours that got the same label are one phase, while more than MIN_PHASES remain (closest rates first).

    The segmentation splits where the rate changes by MERGE_RATE_FACTOR, the labels change every 2.5-10x
    (RATE_LABELS), so two stretches can differ in rate and still read "rapid learning, rapid learning": a
    reader sees one phase told twice. The merged rate lies between the two, so the label stays right."""
    out = list(phases)
    while len(out) > MIN_PHASES:
        pairs = [i for i in range(1, len(out)) if out[i].label == out[i - 1].label]
        if not pairs:
            break
        i = min(pairs, key=lambda k: _rate_ratio(out[k - 1], out[k]))
        a, b = out[i - 1], out[i]
        drop = a.start_loss - b.end_loss
        steps = max(b.end_step - a.start_step, 1)
        share = drop / total if total > 0 and a.share is not None and b.share is not None else None
        out[i - 1 : i + 1] = [Phase(a.start_step, b.end_step, a.start_loss, b.end_loss, drop, share,
                                    drop / steps * 1000.0, a.label)]
    return out


def _rate_ratio(a: Phase, b: Phase) -> float:
    lo, hi = sorted((abs(a.rate_per_1k), abs(b.rate_per_1k)))
    return hi / lo if lo > 0 else math.inf


def mean_rate_per_step(knots: Knots) -> float:
    """The run's mean rate of descent, the yardstick of the labels: the drop to the lowest point per step
    (so a curve that rose back keeps its scale), or the loss range per step for a run that never fell."""
    y, s = knots.loss, knots.step
    span = max(float(s[-1] - s[0]), 1.0)
    drop = float(y[0] - y.min())
    return (drop if drop > 0 else float(y.max() - y.min())) / span


def label_for(rate: float, mean_rate: float, drop: float, flat: float) -> str:
    """The phase label: rising / near plateau within noise, else by rate relative to the run's mean rate."""
    if drop < -flat:
        return RISING_LABEL
    if mean_rate <= 0 or drop <= 0:
        return PLATEAU_LABEL
    rel = rate / mean_rate
    if drop <= flat and rel < PLATEAU_MAX_REL:  # a fast fall is not a plateau, however noisy the tail
        return PLATEAU_LABEL
    for threshold, label in RATE_LABELS:
        if rel >= threshold:
            return label
    return PLATEAU_LABEL


def regime_of(label: str) -> str:
    return next(name for name, labels in REGIMES if label in labels)


def summarize_regimes(phases: list[Phase]) -> list[Regime]:
    """Consecutive phases of one regime (explosive / fast / slow refinement / rising) grouped together."""
    out: list[Regime] = []
    total = phases[0].start_loss - phases[-1].end_loss
    for i, p in enumerate(phases):
        name = regime_of(p.label)
        if out and out[-1].name == name:
            out[-1].end_step = p.end_step
            out[-1].phases.append(i + 1)
        else:
            out.append(Regime(name=name, start_step=p.start_step, end_step=p.end_step, share=None, phases=[i + 1]))
    if total > 0 and all(p.share is not None for p in phases):
        for r in out:
            r.share = sum(phases[i - 1].drop for i in r.phases) / total
    return out

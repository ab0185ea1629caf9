"""The train/val gap: val - train at matching steps, its trend, and a verdict per eval series.

Train at an eval step is the train loss averaged over the eval window before it (the steps since the previous
eval), or the trainer's own eval-time train loss where it logs one (nanoGPT's ``step N: train loss X`` is
``train/eval_loss``: the same eval_iters batches, no dropout, same weights as val). Every eval loss series gets a
verdict (``val/loss``, Hugging Face ``eval_<name>_loss`` as ``val/<name>_loss``), and a summary says how many
eval sets agree.

Verdicts: learning, overfitting (val rising off its minimum while train keeps falling: the minimum is the early
stop point), underfitting (train and val flat and close after a drop of < 10% over the run: the model is not learning),
val_below_train (val consistently below train: explained, not alarmed), diverging (train and val both rising,
or non-finite), insufficient_data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..facts import run_facts
from ..findings import Finding, Severity
from ..run import Run

if TYPE_CHECKING:
    import numpy as np

NAME = "gap"

LINE_MIN_POINTS = 5  # train points in an eval window needed to read a fitted line at the eval step
OUTLIER_MADS = 4.0  # train points this many robust sd off their running median (spikes) do not tilt the line
LOCAL_POINTS = 7  # ... of this many neighbours
MIN_PAIRS = 3  # eval points with a matching train value needed for a verdict
RISE_REL = 0.03  # val above its minimum by > 3% of the minimum ...
RISE_NOISE = 3.0  # ... and by > 3 robust scales of eval-to-eval noise: val has risen off its minimum
AFTER_MIN_EVALS = 2  # at least 2 evals after the minimum (one high eval is noise, not overfitting)
TRAIN_FALL_REL = 0.0  # train at the end at or below train at the val minimum: train kept falling
BELOW_REL = 0.01  # val below train by > 1% of the loss in most late pairs: val_below_train
BELOW_SHARE = 0.75  # ... in at least 75% of the pairs of the second half
FLAT_REL = 0.01  # underfitting: val moved < 1% over the second half of the evals ...
FLAT_GAP_REL = 0.02  # ... and |gap| < 2% of the loss ...
FLAT_MIN_PAIRS = 8  # ... on at least 8 pairs (a short log cannot tell flat from slow) ...
UNDERFIT_DROP = 0.10  # ... and val fell < 10% from its first eval over the whole run: it never really learned
#                      (a converged run is flat at the end too, but after a large drop: that is "learning")
DIVERGE_REL = 0.10  # train and val both > 10% above their minima at the end: diverging
TREND_FROM = 0.2  # the gap trend is read from 20% of the run on
STABLE_CHANGE = 0.25  # the trend moves the gap by < 25% of its mean size over the trend span ...
STABLE_FLOOR = 0.005  # ... or by < 0.005 (loss units): "stable"
MAD_TO_SIGMA = 1.4826
SMOOTH_SHARE = 0.05  # the verdict reads val and train through a running median over 5% of the evals ...
SMOOTH_MAX = 25  # ... at most 25 (an 11-eval log is read as it is)


@dataclass
class GapSeries:
    series: str
    train_series: str  # what train was taken from: train/eval_loss or train/loss (window mean)
    pairs: list[dict[str, float]]  # [{step, train, val, gap}]
    gap: dict[str, float | None]  # {start, end, trend_per_1k}
    verdict: str
    val_min: dict[str, float] | None  # {step, loss}
    rise: float | None = None  # last val - min val
    train_change_after_min: float | None = None
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "series": self.series,
            "train_series": self.train_series,
            "pairs": self.pairs,
            "gap": self.gap,
            "verdict": self.verdict,
            "val_min": self.val_min,
            "rise": self.rise,
            "reason": self.reason,
        }


@dataclass
class GapResult:
    primary: GapSeries
    all: list[GapSeries]
    unit: str  # nats or bits
    dropout: float | None
    dropout_source: str | None
    summary: str
    findings: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        p = self.primary
        return {
            "series": p.series,
            "pairs": p.pairs,
            "gap": p.gap,
            "verdict": p.verdict,
            "val_min": p.val_min,
            "unit": self.unit,
            "train_series": p.train_series,
            "summary": self.summary,
            "eval_sets": {s.series: s.to_json() | {"pairs": len(s.pairs)} for s in self.all},
            "findings": [f.to_json() for f in self.findings],
        }


def eval_series(run: Run) -> list[str]:
    """The eval loss series: val/loss first, then val/<name>_loss (HF eval_<name>_loss) in name order."""
    names = [n for n in run.names() if n.startswith("val/") and (n == "val/loss" or n.endswith("_loss"))]
    return sorted(names, key=lambda n: (n != "val/loss", n))


def applies(run: Run) -> str | None:
    if not eval_series(run):
        return "no eval loss series"
    if not (run.has("train/loss") or run.has("train/eval_loss")):
        return "no train loss series"
    return None


def analyze(run: Run, **_options: Any) -> GapResult:
    facts = run_facts(run)
    results = [_one(run, name) for name in eval_series(run)]
    dropout = facts.get("dropout")
    r = GapResult(
        primary=results[0],
        all=results,
        unit=loss_unit(run),
        dropout=float(dropout) if dropout is not None else None,
        dropout_source=facts.source("dropout"),
        summary=_summary(results),
    )
    r.findings = _findings(r)
    return r


def loss_unit(run: Run) -> str:
    """The unit of the logged losses: nats, or bits for a log that writes bits."""
    return str(run_facts(run).get("loss_unit") or "nats")


def no_gap_json(run: Run, reason: str) -> dict[str, Any]:
    """The document of a run with no gap to measure (no eval, or no train loss; the command still reports its grad
    norms): GapResult.to_json's keys, null or empty, with the reason."""
    return {
        "series": None, "pairs": [], "gap": {"start": None, "end": None, "trend_per_1k": None},
        "verdict": "insufficient_data", "val_min": None, "unit": loss_unit(run), "train_series": None,
        "summary": None, "eval_sets": {}, "reason": reason,
    }


# --- pairs -------------------------------------------------------------------------------------------------------
def train_at(train_steps: np.ndarray, train: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Train loss at each eval step from the finite train points in (previous eval, this eval]: a straight line
    fitted to them and read at the eval step (LINE_MIN_POINTS or more; a plain mean would lag a falling loss by
    half a window and put train above val on a healthy run), else their mean, else the last train point before
    the step; NaN when there is none."""
    import numpy as np

    out = np.full(len(at), np.nan)
    ok = np.isfinite(train)
    ts, tv = train_steps[ok].astype(float), train[ok]
    if not len(ts):
        return out
    prev = -np.inf
    for i, s in enumerate(at.tolist()):
        lo = int(np.searchsorted(ts, prev, side="right"))
        hi = int(np.searchsorted(ts, s, side="right"))
        if hi - lo >= LINE_MIN_POINTS and np.ptp(ts[lo:hi]) > 0:
            out[i] = _line_at(ts[lo:hi], tv[lo:hi], s)
        elif hi > lo:
            out[i] = float(np.mean(tv[lo:hi]))
        elif hi > 0:
            out[i] = tv[hi - 1]
        prev = s
    return out


def _line_at(x: np.ndarray, y: np.ndarray, at: float) -> float:
    """A straight line through the window's points read at ``at``: in steps, or in log(step) where that fits
    better. A window that holds the first steep drop is convex in steps (a line in steps undershoots its end, so
    val would look far above train at the first eval); a loss curve is near straight in log(step) there."""
    import numpy as np

    best, best_rss = float("nan"), np.inf
    keep = _inliers(y)
    for raw, raw_at in ((x, at), (np.log1p(x), np.log1p(at))):
        u = raw - raw.mean()
        coef, rss, *_ = np.polyfit(u[keep], y[keep], 1, full=True)
        err = float(rss[0]) / max(int(keep.sum()), 1) if len(rss) else 0.0
        if err < best_rss:
            best, best_rss = float(coef[1] + coef[0] * (raw_at - raw.mean())), err
    return best


def _inliers(y: np.ndarray) -> np.ndarray:
    """The points a line through the window should follow: all but those more than OUTLIER_MADS robust sd off
    their running median of LOCAL_POINTS (a train-loss spike near the window's end would tilt the line and put
    train far above val). Local, so the curvature of a steep early window is not mistaken for outliers."""
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    half = LOCAL_POINTS // 2
    if len(y) < LOCAL_POINTS:
        return np.ones(len(y), dtype=bool)
    local = np.median(sliding_window_view(np.pad(y, half, mode="edge"), LOCAL_POINTS), axis=1)
    off = y - local
    scale = 1.4826 * float(np.median(np.abs(off - np.median(off))))
    keep = np.abs(off) <= OUTLIER_MADS * max(scale, 1e-12)
    return keep if keep.sum() >= LINE_MIN_POINTS else np.ones(len(y), dtype=bool)


def _pairs(run: Run, name: str) -> tuple[list[dict[str, float]], str]:
    import numpy as np

    vs, vv = run.arrays(name)
    if name == "val/loss" and run.has("train/eval_loss"):
        es, ev = run.arrays("train/eval_loss")
        lookup = dict(zip(es.tolist(), ev.tolist()))
        train = np.array([lookup.get(s, np.nan) for s in vs.tolist()])
        source = "train/eval_loss"
    else:
        train = train_at(*run.arrays("train/loss"), vs) if run.has("train/loss") else np.full(len(vs), np.nan)
        source = "train/loss (line fitted over each eval window, read at the eval step)"
    pairs = [
        {"step": int(s), "train": float(t), "val": float(v), "gap": float(v - t)}
        for s, t, v in zip(vs.tolist(), train.tolist(), vv.tolist())
        if np.isfinite(t) and np.isfinite(v)
    ]
    return pairs, source


def _trend_pairs(pairs: list[dict[str, float]]) -> list[dict[str, float]]:
    """The pairs the trend is read on: from TREND_FROM of the run on (early on the loss moves too fast for a gap to
    mean much), at least 3 of them; else all after the first (the step-0 pair has no gap)."""
    last = pairs[-1]["step"] if pairs else 0
    late = [p for p in pairs if p["step"] >= TREND_FROM * last]
    if len(late) >= 3:
        return late
    return pairs[1:] if len(pairs) > 3 else pairs


def _trend_per_1k(pairs: list[dict[str, float]]) -> float | None:
    """Least-squares slope of the gap per 1K steps over the trend pairs."""
    import numpy as np

    use = _trend_pairs(pairs)
    if len(use) < 2:
        return None
    x = np.array([p["step"] for p in use], dtype=float)
    y = np.array([p["gap"] for p in use])
    if np.ptp(x) == 0:
        return None
    return float(np.polyfit(x, y, 1)[0] * 1000.0)


# --- verdict ------------------------------------------------------------------------------------------------------
def _one(run: Run, name: str) -> GapSeries:
    import numpy as np

    pairs, source = _pairs(run, name)
    vs, vv = run.arrays(name)
    finite = np.isfinite(vv)
    val_min = None
    if finite.any():
        i = int(np.nanargmin(np.where(finite, vv, np.nan)))
        val_min = {"step": int(vs[i]), "loss": float(vv[i])}
    g = GapSeries(
        series=name,
        train_series=source,
        pairs=pairs,
        gap={
            "start": pairs[0]["gap"] if pairs else None,
            "end": pairs[-1]["gap"] if pairs else None,
            "trend_per_1k": _trend_per_1k(pairs),
        },
        verdict="insufficient_data",
        val_min=val_min,
    )
    if len(vv) and not np.isfinite(vv[-1]) and finite.any():
        g.verdict, g.reason = "diverging", f"{name} is non-finite at the last eval (step {int(vs[-1]):,})"
        return g
    if len(pairs) < MIN_PAIRS:
        g.reason = f"{len(pairs)} eval points with a train value (need {MIN_PAIRS})"
        return g
    g.verdict, g.reason = _verdict(pairs, g)
    return g


def _running_median(values: np.ndarray) -> np.ndarray:
    """Centred running median over SMOOTH_SHARE of the points (odd, 1 to SMOOTH_MAX): identity on short logs."""
    import numpy as np

    from ..rolling import rolling_median

    w = int(min(SMOOTH_MAX, max(1, len(values) * SMOOTH_SHARE)))
    w += 1 - w % 2
    if w == 1:
        return np.asarray(values, dtype=float)
    return rolling_median(values, w, min_periods=1, center=True)


def _noise(values: np.ndarray) -> float:
    """Eval-to-eval noise: robust scale of the second differences (which a smooth trend does not enter), / sqrt(6)
    because the second difference of white noise has variance 6 sigma^2."""
    import numpy as np

    if len(values) < 4:
        return 0.0
    d2 = np.diff(values, 2)
    return float(MAD_TO_SIGMA * np.median(np.abs(d2)) / np.sqrt(6.0))


def _verdict(pairs: list[dict[str, float]], g: GapSeries) -> tuple[str, str]:
    import numpy as np

    steps = np.array([p["step"] for p in pairs])
    train = np.array([p["train"] for p in pairs])
    val = np.array([p["val"] for p in pairs])
    gap = val - train
    # Rise and fall are read on a running median of the evals: the minimum of many noisy evals is an extreme
    # (4,000 evals put it ~3.5 sigma low) and would make every long healthy run look like it rose off it.
    sval, strain = _running_median(val), _running_median(train)
    i_min = int(np.argmin(sval))
    vmin, vend = float(sval[i_min]), float(sval[-1])
    rise = vend - vmin
    g.rise = rise
    noise = _noise(val)
    after = len(val) - 1 - i_min
    train = strain
    train_delta = float(train[-1] - train[i_min])
    g.train_change_after_min = train_delta
    risen = rise > max(RISE_REL * abs(vmin), RISE_NOISE * noise) and after >= AFTER_MIN_EVALS
    if risen and train[-1] > float(np.min(train)) * (1 + DIVERGE_REL) and rise > DIVERGE_REL * abs(vmin):
        i_max = i_min + int(np.argmax(val[i_min:]))
        peak = f", peak {float(val[i_max]):.4f} at step {int(steps[i_max]):,}" if i_max < len(val) - 1 else ""
        return "diverging", (
            f"val {vmin:.4f} at step {int(steps[i_min]):,} -> {vend:.4f} at the end{peak}, and train "
            f"{float(np.min(train)):.4f} -> {float(train[-1]):.4f}: both rose"
        )
    if risen and train_delta <= TRAIN_FALL_REL * abs(train[i_min]):
        return "overfitting", (
            f"val rose {vmin:.4f} -> {vend:.4f} after its minimum at step {int(steps[i_min]):,} while train fell "
            f"{float(train[i_min]):.4f} -> {float(train[-1]):.4f}"
        )
    half = gap[len(gap) // 2 :]
    level = np.abs(val[len(val) // 2 :])
    below = np.mean(half < -BELOW_REL * level)
    if below >= BELOW_SHARE and len(half) >= MIN_PAIRS:
        return "val_below_train", (
            f"val below train in {100 * below:.0f}% of the last {len(half)} evals (median gap {np.median(half):+.4f})"
        )
    second = val[len(val) // 2 :]
    moved = abs(float(second[0] - second[-1])) / max(abs(float(second[0])), 1e-12)
    dropped = (float(val[0]) - vend) / max(abs(float(val[0])), 1e-12)
    if (
        len(pairs) >= FLAT_MIN_PAIRS
        and moved < FLAT_REL
        and dropped < UNDERFIT_DROP
        and abs(float(np.median(half))) < FLAT_GAP_REL * float(np.median(level))
    ):
        return "underfitting", (
            f"val fell {100 * dropped:.1f}% over the run and moved {100 * moved:.2f}% over its second half; "
            "train sits at val"
        )
    return "learning", f"val {float(val[0]):.4f} -> {vend:.4f} (minimum {vmin:.4f} at step {int(steps[i_min]):,})"


# --- summary and findings --------------------------------------------------------------------------------------------
def _summary(results: list[GapSeries]) -> str:
    if len(results) == 1:
        r = results[0]
        return f"{r.series}: {r.verdict}"
    verdicts = [r.verdict for r in results]
    n = len(results)
    if verdicts.count("overfitting") == n:
        import numpy as np

        first = int(np.median([r.val_min["step"] for r in results if r.val_min]))
        return f"all {n} eval sets overfit from step ~{first:,}"
    counts: dict[str, int] = {}
    for v in verdicts:
        counts[v] = counts.get(v, 0) + 1
    return f"{n} eval sets: " + ", ".join(f"{k} {v}" for k, v in counts.items())


def gap_words(g: GapSeries, unit: str) -> str:
    s, e, t = g.gap["start"], g.gap["end"], g.gap["trend_per_1k"]
    if s is None or e is None:
        return "no gap"
    unit_s = " bits" if unit == "bits" else ""
    use = _trend_pairs(g.pairs)
    mean_abs = sum(abs(p["gap"]) for p in use) / len(use)
    span_k = (use[-1]["step"] - use[0]["step"]) / 1000.0
    if t is None:
        trend = ""
    elif abs(t * span_k) <= STABLE_CHANGE * mean_abs + STABLE_FLOOR:
        trend = ", stable"
    else:
        trend = f", {'widening' if t > 0 else 'narrowing'} {t:+.3g}{unit_s}/1K steps"
    return f"gap {s:+.4f} -> {e:+.4f}{unit_s}{trend}"


def _findings(r: GapResult) -> list[Finding]:
    out: list[Finding] = []
    over = [g for g in r.all if g.verdict == "overfitting"]
    if over:
        out.append(_overfit_finding(r, over))
    for g in r.all:
        if g.verdict == "diverging":
            first = bool(g.pairs) and g.val_min is not None and g.val_min["step"] == g.pairs[0]["step"]
            advice = (
                "Val was never below its first eval: the run went wrong from the start; check the LR, the init "
                "and the data before restarting."
                if first
                else "Go back to the checkpoint before the rise and lower the LR."
            )
            title = f"{g.series} diverging: {g.reason}"
            out.append(Finding(NAME, Severity.PROBLEM, title, {"series": g.series}, advice))
    p = r.primary
    if p.verdict == "val_below_train":
        out.append(_below_finding(r, p))
    elif p.verdict == "underfitting":
        out.append(
            Finding(NAME, Severity.INFO, f"{p.series} underfitting: {p.reason}; {gap_words(p, r.unit)}",
                    {"series": p.series},
                    "Train and val stopped improving together: more capacity, a higher LR or more steps, not "
                    "regularisation.")
        )  # fmt: skip
    return out


def _overfit_finding(r: GapResult, over: list[GapSeries]) -> Finding:
    g = over[0] if r.primary not in over else r.primary
    vm = g.val_min or {}
    unit = " bits" if r.unit == "bits" else ""
    many = f" ({r.summary})" if len(r.all) > 1 else ""
    title = (
        f"{g.series} overfitting{many}: minimum {vm.get('loss', float('nan')):.4f}{unit} at step "
        f"{vm.get('step', 0):,}, now {g.pairs[-1]['val']:.4f} while train is {g.pairs[-1]['train']:.4f}; "
        f"{gap_words(g, r.unit)}"
    )
    advice = (
        f"Keep the checkpoint of step {vm.get('step', 0):,} (the early-stop point). A trainer that keeps one "
        "checkpoint and overwrites it at every eval (nanoGPT with always_save_checkpoint = True, its default) has "
        "lost it; save on val improvement only. Then more data, more dropout or weight decay, or fewer steps."
    )
    return Finding(
        NAME, Severity.WARNING, title,
        {"series": g.series, "val_min_step": vm.get("step"), "val_min": vm.get("loss"),
         "val_last": g.pairs[-1]["val"], "train_last": g.pairs[-1]["train"],
         "eval_sets_overfitting": len(over), "eval_sets": len(r.all)},
        advice, (int(vm.get("step", 0)), int(g.pairs[-1]["step"])),
    )  # fmt: skip


def _below_finding(r: GapResult, g: GapSeries) -> Finding:
    if r.dropout is not None and r.dropout > 0:
        cause = (
            f"dropout {r.dropout:g} ({r.dropout_source}) is on in training and off at eval: the likely cause, "
            "not a problem"
        )
    else:
        said = f"dropout is 0 ({r.dropout_source}), so not dropout" if r.dropout == 0 else "dropout unknown"
        cause = (
            f"{said}; other causes: the train loss is a noisy single batch or a mean over a window in which the "
            "loss fell (it lags the model that val sees), a small val split, or val from an easier distribution"
        )
    return Finding(
        NAME, Severity.INFO,
        f"{g.series} below train: {g.reason}; {cause}",
        {"series": g.series, "dropout": r.dropout, "gap_end": g.gap["end"]},
        "Compare train and val on the same batches at eval time (no dropout) before reading anything into it.",
    )  # fmt: skip

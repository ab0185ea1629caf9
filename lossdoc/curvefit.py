"""Loss-curve fit and projection for `lossdoc phases --project STEP`.

Two forms:

- ``lr_annealing`` (preferred, when the learning rate of every step up to the projection is known):
  Tissue et al. 2024, "Scaling Law with Learning Rate Annealing" (arXiv 2408.11029), eq. 1:
  ``L(s) = L0 + A·S1(s)^(−α) − C·S2(s)`` with S1 the sum of learning rates so far ("forward area") and
  S2 the momentum-accumulated sum of LR decrements ``m_i = λ·m_(i−1) + (η_(i−1) − η_i)``, ``S2 = Σ m_i``,
  λ = 0.999 (their default). It sees the drop that LR decay brings (cosine tails, warmdowns), which a power
  law in steps cannot. Learning rates are divided by their peak, so S1 is in "peak-LR steps".
- ``power_law`` (fallback): ``L(s) = L0 + A·(s / s_last)^(−α)``. Ignores the schedule, so for cosine and
  warmdown runs it predicts too high a final loss (ARCHITECTURE.md, domain facts); the result says so.

The learning rate per step comes from, in order: ``--schedule`` (a spec or a two-column step/lr file), the
logged ``train/lr`` when it covers the projection, or the schedule the log's own config states (nanoGPT's
warmup + cosine, llm.c's warmup + cosine with a final fraction).

Interval (a prediction interval for the value an eval will show at that step): the parameter covariance of
the least-squares fit (delta method), the scatter of points around the fit, and a hold-out check (refit on
the first HOLDOUT_FRAC of the window, error at the window's end, scaled by how much further the projection
reaches), with a floor of REL_FLOOR of the predicted further drop. Nominal coverage PROJECTION_COVERAGE;
the corpus backtests (benchmarks/phases.py, tests/test_phases.py) land inside it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .schedule import Schedule

if TYPE_CHECKING:
    import numpy as np

MOMENTUM_LAMBDA = 0.999  # λ of S2, Tissue et al. 2024 (arXiv 2408.11029), section 3
FIT_BINS = 300  # the fit window is binned (medians) into at most this many points: fast on 1M-point logs
HOLDOUT_FRAC = 0.7  # the hold-out refit uses the first 70% of the window and is judged on its end
PROJECTION_COVERAGE = 0.9  # nominal coverage of [low, high]
Z_90 = 1.6449  # two-sided 90% normal quantile
REL_FLOOR = 0.25  # the projected further drop is uncertain by at least 25% of itself

# ---------------------------------------------------------------------------------------------------------
# fitting (the schedules themselves are in lossdoc/schedule.py)


def annealing_areas(lr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """S1 (forward area) and S2 (momentum annealing area) at every step, LR normalised by its peak."""
    from itertools import accumulate

    import numpy as np

    eta = lr / max(float(np.max(lr)), 1e-30)
    s1 = np.cumsum(eta)
    dec = np.concatenate([[0.0], eta[:-1] - eta[1:]])
    # m_i = λ·m_(i−1) + (η_(i−1) − η_i); a plain recurrence (scipy.signal.lfilter would cost 1.8 s of import)
    m = np.fromiter(accumulate(dec.tolist(), lambda prev, d: MOMENTUM_LAMBDA * prev + d), float, len(dec))
    s2 = np.cumsum(m)
    return s1, s2


@dataclass
class Fit:
    form: str
    params: dict[str, float]
    rmse: float
    predict: Callable[[np.ndarray], np.ndarray]
    stderr: Callable[[np.ndarray], np.ndarray]  # standard error of the fitted mean at steps
    points: int
    window: tuple[int, int]


def bin_window(steps: np.ndarray, values: np.ndarray, start: int) -> tuple[np.ndarray, np.ndarray]:
    """Points at steps >= start, as medians of at most FIT_BINS equal-width step bins."""
    import numpy as np

    keep = steps >= start
    s, v = steps[keep], values[keep]
    if len(s) <= FIT_BINS:
        return s.astype(float), v
    edges = np.linspace(s[0], s[-1] + 1, FIT_BINS + 1)
    idx = np.searchsorted(s, edges)
    bs, bv = [], []
    for lo, hi in zip(idx[:-1].tolist(), idx[1:].tolist(), strict=False):
        if hi > lo:
            bs.append(float(s[(lo + hi - 1) // 2]))
            bv.append(float(np.median(v[lo:hi])))
    return np.array(bs), np.array(bv)


def fit_curve(steps: np.ndarray, values: np.ndarray, schedule: Schedule | None) -> Fit:
    """Least-squares fit (soft-L1, so spikes pull little) of the annealing law, or a power law without LR."""
    import numpy as np
    from scipy.optimize import least_squares

    s_last = float(steps[-1])
    if schedule is not None:
        s1_all, s2_all = annealing_areas(schedule.lr)

        def features(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            i = np.clip(s.astype(int), 0, len(s1_all) - 1)
            return np.maximum(s1_all[i], 1e-9), s2_all[i]

        def model(p: np.ndarray, s: np.ndarray) -> np.ndarray:
            s1, s2 = features(s)
            return p[0] + p[1] * s1 ** (-p[2]) - p[3] * s2

        names = ["L0", "A", "alpha", "C"]
        lo_y = float(np.min(values))
        p0 = np.array([lo_y - 0.5, max(float(values[0]) - lo_y, 0.1) * 2, 0.5, 0.1])
        bounds = ([min(0.0, lo_y - 1.0), 0.0, 0.01, 0.0], [float(np.max(values)), np.inf, 3.0, np.inf])
        form = "lr_annealing"
    else:

        def model(p: np.ndarray, s: np.ndarray) -> np.ndarray:
            return p[0] + p[1] * (np.maximum(s, 1.0) / s_last) ** (-p[2])

        names = ["L0", "A", "alpha"]
        lo_y = float(np.min(values))
        p0 = np.array([lo_y - 0.5, 0.5, 0.5])
        bounds = ([min(0.0, lo_y - 1.0), 0.0, 0.01], [lo_y, np.inf, 3.0])  # the floor lies below every point
        form = "power_law"
    p0 = np.clip(p0, np.array(bounds[0]) + 1e-9, np.array(bounds[1]) - 1e-9)
    scale = max(float(np.std(values)), 1e-6)
    res = least_squares(
        lambda p: (model(p, steps) - values) / scale, p0, bounds=bounds, loss="soft_l1", f_scale=1.0, max_nfev=2000
    )
    p = res.x
    resid = model(p, steps) - values
    rmse = float(np.sqrt(np.mean(resid**2)))
    dof = max(len(values) - len(p), 1)
    sigma2 = float(resid @ resid) / dof
    jac = res.jac * scale  # back to loss units
    try:
        cov = np.linalg.pinv(jac.T @ jac) * sigma2
    except np.linalg.LinAlgError:
        cov = np.full((len(p), len(p)), np.nan)

    def predict(s: np.ndarray) -> np.ndarray:
        return model(p, np.asarray(s, dtype=float))

    def stderr(s: np.ndarray) -> np.ndarray:
        s = np.atleast_1d(np.asarray(s, dtype=float))
        eps = 1e-6 * np.maximum(np.abs(p), 1e-3)
        grads = np.stack([(model(p + e, s) - model(p - e, s)) / (2 * e[k]) for k, e in enumerate(np.diag(eps))], 1)
        return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", grads, cov, grads), 0.0))

    return Fit(
        form=form,
        params=dict(zip(names, map(float, p), strict=False)),
        rmse=rmse,
        predict=predict,
        stderr=stderr,
        points=len(values),
        window=(int(steps[0]), int(steps[-1])),
    )


def holdout_error(steps: np.ndarray, values: np.ndarray, schedule: Schedule | None) -> float:
    """|error| at the window's end of a fit made on its first HOLDOUT_FRAC (the tail's last tenth, median)."""
    import numpy as np

    cut = steps[0] + HOLDOUT_FRAC * (steps[-1] - steps[0])
    head = steps <= cut
    if head.sum() < 6 or (~head).sum() < 2:
        return float("nan")
    early = fit_curve(steps[head], values[head], schedule)
    tail = steps >= steps[0] + 0.9 * (steps[-1] - steps[0])
    return float(np.median(np.abs(early.predict(steps[tail]) - values[tail])))


def project(
    steps: np.ndarray,
    values: np.ndarray,
    fit_start: int,
    project_step: int | None,
    schedule: Schedule | None,
    step_ms: float | None = None,
    price_per_hour: float | None = None,
) -> tuple[dict[str, Any], dict[str, Any] | None, Fit]:
    """The ``fit`` and ``projection`` documents of the JSON contract, and the Fit object."""
    import numpy as np

    s, v = bin_window(steps, values, fit_start)
    if len(s) < 5:
        raise InputError(f"only {len(s)} point(s) after step {fit_start:,}: too few to fit a loss curve")
    fit = fit_curve(s, v, schedule)
    fit_doc: dict[str, Any] = {
        "form": fit.form,
        "params": fit.params,
        "rmse": fit.rmse,
        "points": fit.points,
        "window": list(fit.window),
        "lr_source": schedule.source if schedule else None,
    }
    if project_step is None:
        return fit_doc, None, fit
    last = float(s[-1])
    current = float(np.median(v[-max(1, len(v) // 20) :]))  # the loss now: median of the window's last 5%
    loss = float(fit.predict(np.array([project_step]))[0])
    at_last = float(fit.predict(np.array([last]))[0])
    se = float(fit.stderr(np.array([project_step]))[0])
    hold = holdout_error(s, v, schedule)
    reach = max(1.0, (project_step - last) / max(last - (s[0] + HOLDOUT_FRAC * (last - s[0])), 1.0))
    model_term = 0.0 if math.isnan(hold) else hold * reach
    # a prediction interval for the value an eval at that step will show: the fitted mean's uncertainty,
    # the hold-out model error, and the scatter of points around the curve (rmse)
    half = math.sqrt((Z_90 * se) ** 2 + model_term**2 + (Z_90 * fit.rmse) ** 2)
    # A fit's own statistics understate extrapolation error (the form is an approximation), so the further
    # drop it predicts is taken as uncertain by at least REL_FLOOR of itself (a heuristic, checked by the
    # half-way backtests on the corpus llm.c runs in tests/test_phases.py).
    half = max(half, REL_FLOOR * abs(at_last - loss))
    remaining_steps = max(project_step - int(steps[-1]), 0)
    hours = remaining_steps * step_ms / 3.6e6 if step_ms else None
    projection = {
        "step": int(project_step),
        "loss": loss,
        "low": max(loss - half, 0.0),  # a cross-entropy loss is not negative
        "high": loss + half,
        "coverage": PROJECTION_COVERAGE,
        "remaining": at_last - loss,  # the further drop the fit predicts from the last step to the projection
        "remaining_steps": remaining_steps,
        "hours": hours,
        "cost": hours * price_per_hour if hours is not None and price_per_hour is not None else None,
        "current": current,
        "holdout_error": None if math.isnan(hold) else hold,
    }
    return fit_doc, projection, fit


def step_reaching(fit: Fit, target: float, after: int, limit: int) -> float | None:
    """First step in (after, limit] where the fitted curve is at or below ``target`` (None if it never is)."""
    import numpy as np

    if limit <= after:
        return None
    grid = np.unique(np.geomspace(max(after, 1), limit, 2000).astype(int))
    pred = fit.predict(grid)
    hit = np.flatnonzero(pred <= target)
    if not len(hit):
        return None
    i = int(hit[0])
    if i == 0:
        return float(grid[0])
    s0, s1, v0, v1 = float(grid[i - 1]), float(grid[i]), float(pred[i - 1]), float(pred[i])
    return s0 + (s1 - s0) * (v0 - target) / (v0 - v1) if v0 != v1 else s1

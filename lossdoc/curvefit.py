"""Loss-curve fit for `lossdoc phases --project STEP`.

Two forms:

- ``lr_annealing`` (when the learning rate of every step up to the projection is known):
  Tissue et al. 2024, "Scaling Law with Learning Rate Annealing" (arXiv 2408.11029), eq. 1:
  ``L(s) = L0 + A·S1(s)^(−α) − C·S2(s)`` with S1 the sum of learning rates so far ("forward area") and
  S2 the momentum-accumulated sum of LR decrements ``m_i = λ·m_(i−1) + (η_(i−1) − η_i)``, ``S2 = Σ m_i``,
  λ = 0.999 (their default). Learning rates are divided by their peak, so S1 is in "peak-LR steps".
  Written here as ``C·S2 = ρ·L_ref·D(s)``: ``D = (1−λ)·S2`` is the share of a full decay (peak to 0) that the
  loss has felt by step s (it follows the LR with a lag of 1/(1−λ) steps; 0 before any decay, -> 1 long after a
  decay to 0), and ρ is the drop of a full decay as a fraction of the loss now (L_ref). ρ has a prior
  (ANNEAL_PRIOR_RHO, ANNEAL_PRIOR_LOG_SD): a run that has not decayed yet cannot tell its own ρ, and the
  literature finds the schedule's effect to be one shape shared across model sizes once the loss is normalised
  (Qiu et al. 2025, "Scaling Collapse Reveals Universal Dynamics in Compute-Optimally Trained Neural Networks",
  arXiv 2507.02119; the multi-power law of Luo et al. 2025, arXiv 2503.12811, has the same structure: a
  power law in the LR area minus a saturating drop per LR decrement). ρ's prior and the exponent α's are one
  bivariate normal (ANNEAL_PRIOR_CORR): real runs that fall more steeply drop more when their LR decays, so the α a
  prefix shows moves the drop the prior gives. The priors enter the least squares as more residuals, so data that
  do show a decay outweigh them, and their spread widens the interval through the parameter covariance.
- ``power_law`` (fallback): ``L(s) = L0 + A·((s − s0) / (s_last − s0))^(−α)``, the offset s0 standing for what
  warmup does to the LR area. Ignores the schedule: it assumes the LR stays as it is, so for runs that decay
  it later it predicts too high a final loss (ARCHITECTURE.md, domain facts); the result says so, and the
  interval's low end allows for the drop of a full decay (the ρ prior below).

The schedule's features (S1, S2, D) are in lossdoc/lr_features.py; the projection and its interval in
lossdoc/forecast.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import lr_features
from .lr_features import MOMENTUM_LAMBDA, Features
from .schedule import Schedule

if TYPE_CHECKING:
    import numpy as np

FIT_BINS = 300  # the fit window is binned (medians) into at most this many points: fast on 1M-point logs
HOLDOUT_FRAC = 0.7  # the hold-out refit uses the first 70% of the window and is judged on its end

# Prior for ρ, the drop a full LR decay (peak -> 0, felt in full) brings, as a fraction of the loss now. Set from
# the full-length fits of the 9 corpus runs that decay (llm.c, build-nanogpt and TinyStories cosines, the
# modded-nanogpt and llm.c AdamW warmdowns), weighted as every fit is (RECENT_WEIGHT), with the lag of
# lossdoc/lr_features.py (LAG_GAMMA 0.5): `python benchmarks/projection.py --prior` prints each run's ρ, 0.030-0.091,
# geometric mean 0.0515, log-sd 0.317 (with γ = 0: 0.031-0.099, 0.058, 0.34). Of the normalisations tried (the drop
# in nats, over the reducible loss, over the loss), the drop over the loss spreads least across these runs.
ANNEAL_PRIOR_RHO = 0.0515
ANNEAL_PRIOR_LOG_SD = 0.32
# Prior for α, the exponent of the LR area, from the same full-length fits (both priors weak): 0.38-0.83 over
# those 9 runs, mean 0.585, sd 0.141; the prior's sd is that spread, rounded up.
# A short prefix (a few evals past the knee) cannot tell a steep curve to a high floor from a shallow one to a
# low floor; the prior keeps such a fit to exponents real runs have (benchmarks/projection.py --prior).
ALPHA_PRIOR = 0.585
ALPHA_PRIOR_SD = 0.15
# The two priors are one bivariate normal. Over the same 9 fits log ρ and α correlate at 0.80 (0.75 with γ = 0; a run
# whose loss falls steeply in LR area drops more when its LR decays: the AdamW GPT-2 runs against modded-nanogpt's),
# so the α a prefix shows tells part of a drop it has not seen. Nine runs leave that loose (95% interval about
# 0.17-0.94 at 0.75), and the synthetic curves draw α and ρ independently (their full fits correlate at -0.12 to
# 0.14): the prior uses 0.5. Measured with γ = 0 (benchmarks/projection.py, schedule known, the calibration re-set at
# each) at 0 / 0.5 / 0.75: corpus MAE 0.0162 / 0.0150 / 0.0151 (priors leave-one-out 0.0174 / 0.0166 / 0.0170),
# synthetic seeds 0-15 0.0214 / 0.0180 / 0.0186, the calibration seeds 100-123 0.0199 / 0.0181 / 0.0189; corpus
# cosines at 25% 0.019 / 0.012 / 0.006, WSD before its decay at 50% 0.028 / 0.022 / 0.024. The cost: a drop far from
# the one α suggests is missed by more (synthetic WSD worst case 0.13 -> 0.17 nats), so the intervals where the prior
# sizes a drop are wider. Re-measured with γ = 0.5 (the priors re-derived; corpus with priors leave-one-out /
# synthetic seeds 0-15): 0.3 0.0153 / 0.0181, 0.5 0.0147 / 0.0175, 0.75 0.0148 / 0.0181.
ANNEAL_PRIOR_CORR = 0.5
RHO_BOUNDS = (1e-3, 0.5)  # a full decay buys between 0.1% and 50% of the loss
# posterior sd of log ρ above half the prior's given α (ANNEAL_PRIOR_LOG_SD·√(1 − ANNEAL_PRIOR_CORR²)): no decay seen
# tells ρ, the prior does (from the α the data show, or alone)
PRIOR_DOMINATED = 0.5

# The parameter covariance counts residuals that drift together as fewer points (autocorr_inflation), φ capped at
# 0.9 (a 19x variance). Measured on benchmarks/projection.py (schedule known, calibration re-set): MAE unchanged;
# the synthetic WSD curves cut before their decay held 78/73/72% of their 80% intervals at 25/50/75% without it and
# 81/83/81% with it, the corpus WSD runs inside their warmdown 2 of 3 and 3 of 3; corpus coverage with leave-one-out
# priors 81% -> 86%. The constant and cosine cells, which the real runs set, barely moved (synthetic cosines at 25%
# 88% -> 84%).
AUTOCORR_MAX = 0.9
ROBUST_SCALE = 3.0  # residuals beyond 3 noise sd count linearly, not squared (soft-L1): spikes pull little
BOUND_TOL = 1e-3  # a parameter within 0.1% of the bound range of a bound has run to it
# The residual of a point is scaled from 1 at the window's start to 1 + RECENT_WEIGHT at its end (linear in step):
# the form is an approximation, and its error to the future is smallest where the log is most recent. Real runs'
# tails fall faster late than either form predicts from the whole window (the modded-nanogpt stable phases most).
# Measured on the corpus backtests (benchmarks/projection.py, schedule known; the ρ and α priors re-derived from the
# full-run fits at each weight), MAE / with the priors leave-one-out: 0 0.019 / 0.021, 1 0.018 / 0.019, 3 0.016 /
# 0.018, 5 0.016 / 0.018, 10 0.018 / 0.020. The synthetic multi-power-law curves, which follow a law close to the
# fitted one, lose a little: 0.0217 at 0, 0.0227 at 3 (curves drawn before the benchmark's seeding fix). Re-measured
# with the lag's γ = 0.5 (the priors re-derived; corpus with priors leave-one-out / synthetic seeds 0-15): 1 0.0160 /
# 0.0174, 3 0.0147 / 0.0175, 6 0.0151 / 0.0178.
RECENT_WEIGHT = 3.0



@dataclass
class Fit:
    form: str
    params: dict[str, float]
    rmse: float
    scatter: float  # rms of the residuals clipped at ROBUST_SCALE noise sd (what the interval uses)
    predict: Callable[[np.ndarray], np.ndarray]
    stderr: Callable[[np.ndarray], np.ndarray]  # standard error of the fitted mean at steps
    points: int
    window: tuple[int, int]
    at_bounds: list[str] = field(default_factory=list)  # parameters that ran to a bound
    prior: dict[str, float] | None = None  # the ρ and α priors, and how much the data moved ρ
    features: Features | None = None  # (S1, D) at any steps, past the schedule's end too (None without a schedule)


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


def point_noise(values: np.ndarray) -> float:
    """Robust sd of one point around a smooth curve: MAD of successive differences / sqrt(2)."""
    import numpy as np

    if len(values) < 3:
        return 1e-3
    d = np.diff(values)
    return max(1.4826 * float(np.median(np.abs(d - np.median(d)))) / math.sqrt(2), 1e-4)


def autocorr_inflation(resid: np.ndarray) -> float:
    """How much more the residuals' scatter says about the parameters' uncertainty than independent points would:
    (1 + φ) / (1 − φ), φ their lag-1 autocorrelation (0 to AUTOCORR_MAX). Points that drift together around the fit
    (an eval set's noise carries over; the form misfits a stretch) hold fewer independent facts than their count:
    the variance of a mean of AR(1) errors is σ²/n · (1 + φ)/(1 − φ) (Box, Jenkins & Reinsel, Time Series Analysis,
    §2.1)."""
    if len(resid) < 4:
        return 1.0
    centred = resid - resid.mean()
    energy = float(centred @ centred)
    if energy <= 0:
        return 1.0
    phi = min(max(float(centred[:-1] @ centred[1:]) / energy, 0.0), AUTOCORR_MAX)
    return (1 + phi) / (1 - phi)


def fit_curve(steps: np.ndarray, values: np.ndarray, schedule: Schedule | None) -> Fit:
    """Least-squares fit (soft-L1, so spikes pull little; recent points weigh more, RECENT_WEIGHT) of the annealing
    law, or a power law without LR."""
    import numpy as np
    from scipy.optimize import least_squares

    s_last = float(steps[-1])
    lo_y, hi_y = float(np.min(values)), float(np.max(values))
    l_ref = float(np.median(values[-max(1, len(values) // 20) :]))
    noise = point_noise(values)
    prior_row = None
    if schedule is not None:
        d_all, features = lr_features.features(schedule)

        def model(p: np.ndarray, s: np.ndarray) -> np.ndarray:
            s1, d = features(s)
            return p[0] + p[1] * np.maximum(s1, 1e-9) ** (-p[2]) - math.exp(p[3]) * l_ref * d

        names = ["L0", "A", "alpha", "log_rho"]
        starts = [[max(lo_y - 0.5, 0.0), max(values[0] - lo_y, 0.1) * 2, a, math.log(ANNEAL_PRIOR_RHO)]
                  for a in (0.3, 0.7)]
        bounds = ([0.0, 0.0, 0.01, math.log(RHO_BOUNDS[0])], [max(hi_y, 1e-6), np.inf, 3.0, math.log(RHO_BOUNDS[1])])
        form = "lr_annealing"

        # the two priors are one bivariate normal (ANNEAL_PRIOR_CORR): the residuals are its whitened form, α's own
        # and log ρ's given α
        slope = ANNEAL_PRIOR_CORR * ANNEAL_PRIOR_LOG_SD / ALPHA_PRIOR_SD
        rho_sd_given_alpha = ANNEAL_PRIOR_LOG_SD * math.sqrt(1 - ANNEAL_PRIOR_CORR**2)

        def log_rho_given(alpha: float) -> float:
            return math.log(ANNEAL_PRIOR_RHO) + slope * (alpha - ALPHA_PRIOR)

        def prior_row(p: np.ndarray) -> np.ndarray:
            return np.array([(p[3] - log_rho_given(p[2])) / rho_sd_given_alpha, (p[2] - ALPHA_PRIOR) / ALPHA_PRIOR_SD])
    else:

        s_first = float(steps[0])

        # a step offset s0 stands for what warmup does to S1 (S1 ≈ s − warmup/2 under linear warmup), which a
        # power law in raw steps mistakes for curvature
        def model(p: np.ndarray, s: np.ndarray) -> np.ndarray:
            x = np.maximum(s - p[3], 1.0) / max(s_last - p[3], 1.0)
            return p[0] + p[1] * x ** (-p[2])

        names = ["L0", "A", "alpha", "s0"]
        starts = [[max(lo_y - 0.5, 0.0), 0.5, a, 0.0] for a in (0.3, 0.7)]
        # the floor lies below every point; s0 from -s_last to just before the first point
        bounds = ([0.0, 0.0, 0.01, -s_last], [max(lo_y, 1e-6), np.inf, 3.0, max(0.9 * s_first, 1e-6)])
        form = "power_law"
    lo_b, hi_b = np.array(bounds[0], dtype=float), np.array(bounds[1], dtype=float)

    weight = 1.0 + RECENT_WEIGHT * (steps - steps[0]) / max(steps[-1] - steps[0], 1.0)

    def residuals(p: np.ndarray) -> np.ndarray:
        r = (model(p, steps) - values) / noise * weight
        return r if prior_row is None else np.concatenate([r, prior_row(p)])

    # plain least squares from each start, then the robust loss from the best of them: soft-L1 alone, with
    # residuals of hundreds of noise units on the steep start, settles in poor local minima
    first = None
    for p0 in starts:
        p0 = np.clip(np.array(p0, dtype=float), lo_b + 1e-9, hi_b - 1e-9)
        res = least_squares(residuals, p0, bounds=bounds, max_nfev=2000)
        if first is None or res.cost < first.cost:
            first = res
    assert first is not None
    best = least_squares(residuals, first.x, bounds=bounds, loss="soft_l1", f_scale=ROBUST_SCALE, max_nfev=2000)
    p = best.x
    resid = model(p, steps) - values
    rmse = float(np.sqrt(np.mean(resid**2)))
    # the scatter the interval and the covariance use: residuals clipped where the soft-L1 loss stops counting them
    # squared (ROBUST_SCALE noise sd), so one spike in the window (a val eval on a bad checkpoint) widens neither
    # the way a run of misfitting points does
    clipped = np.clip(resid, -ROBUST_SCALE * noise, ROBUST_SCALE * noise)
    scatter = float(np.sqrt(np.mean(clipped**2)))
    dof = max(len(values) - len(p), 1)
    # scatter of the points around the fit, in units of the noise estimate: a form that misfits is penalised
    sigma2 = max(float(clipped @ clipped) / dof / noise**2, 1.0) * autocorr_inflation(clipped)
    try:
        cov = np.linalg.pinv(best.jac.T @ best.jac) * sigma2  # jac of residuals in noise units (and the prior)
    except np.linalg.LinAlgError:
        cov = np.full((len(p), len(p)), np.nan)
    span = np.where(np.isfinite(hi_b), hi_b - lo_b, np.maximum(np.abs(p), 1.0))
    at_bounds = [n for n, v, lo, hi, w in zip(names, p, lo_b, hi_b, span, strict=True)
                 if v - lo < BOUND_TOL * w or hi - v < BOUND_TOL * w]
    prior = None
    if schedule is not None:
        sd_post = float(math.sqrt(max(cov[3, 3], 0.0)))
        prior = {
            "rho_prior": ANNEAL_PRIOR_RHO,
            "rho_prior_log_sd": ANNEAL_PRIOR_LOG_SD,
            "rho": math.exp(p[3]),
            "rho_log_sd": sd_post,
            "prior_dominated": bool(sd_post > PRIOR_DOMINATED * rho_sd_given_alpha),
            "rho_alpha_corr": ANNEAL_PRIOR_CORR,
            "rho_prior_given_alpha": math.exp(log_rho_given(p[2])),
            "rho_prior_log_sd_given_alpha": rho_sd_given_alpha,
            "alpha_prior": ALPHA_PRIOR,
            "alpha_prior_sd": ALPHA_PRIOR_SD,
        }
        at_bounds = [n for n in at_bounds if n != "log_rho" or not prior["prior_dominated"]]

    def predict(s: np.ndarray) -> np.ndarray:
        return model(p, np.asarray(s, dtype=float))

    def stderr(s: np.ndarray) -> np.ndarray:
        s = np.atleast_1d(np.asarray(s, dtype=float))
        eps = 1e-6 * np.maximum(np.abs(p), 1e-3)
        grads = np.stack([(model(p + e, s) - model(p - e, s)) / (2 * e[k]) for k, e in enumerate(np.diag(eps))], 1)
        return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", grads, cov, grads), 0.0))

    params = dict(zip(names, map(float, p), strict=False))
    if schedule is not None:
        params["rho"] = math.exp(params["log_rho"])
        params["C"] = params["rho"] * l_ref * (1 - MOMENTUM_LAMBDA)  # Tissue et al.'s C, for comparison
        # where the curve ends with unlimited LR area and the schedule's whole decay felt: L0 alone is not the floor
        params["floor"] = params["L0"] - params["rho"] * l_ref * float(d_all[-1])
    return Fit(
        form=form,
        params=params,
        rmse=rmse,
        scatter=scatter,
        predict=predict,
        stderr=stderr,
        points=len(values),
        window=(int(steps[0]), int(steps[-1])),
        at_bounds=at_bounds,
        prior=prior,
        features=features if schedule is not None else None,
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



"""Loss-curve fit and projection for `lossdoc phases --project STEP`.

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

S2 and warmup (issue 8): Tissue et al. define S2 as the *annealing* area, the LR decrements. A linear warmup
is a run of LR *increases*; counted as negative decrements it would make S2 negative during warmup and
lower the drop a later decay buys by the whole warmup height. Decision: increases before the LR's first peak
are not counted (warmup is not annealing); an increase after the peak (the re-warmup of a cyclic schedule)
counts as a negative decrement, as in Tissue et al.'s re-warmup experiments (section 5), where the loss rises
back when the LR does.

Interval (a prediction interval for the value an eval will show at that step): the parameter covariance of
the least-squares fit including the prior (delta method), the scatter of points around the fit, and a
hold-out check (refit on the first HOLDOUT_FRAC of the window, error at the window's end, scaled by how much
further the projection reaches), times a calibration factor per side (below and above the projection), situation
and reach (lossdoc/calibration.py): split-conformal factors set by benchmarks/projection.py on backtests, each side
missing the truth in 10% of them, so that the nominal PROJECTION_COVERAGE holds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .schedule import Schedule

if TYPE_CHECKING:
    import numpy as np

MOMENTUM_LAMBDA = 0.999  # λ of S2, Tissue et al. 2024 (arXiv 2408.11029), section 3
LAG_GAMMA = 0.0  # the lag runs on η^(1−γ) per step (γ of Luo et al. with η_k ~ η_t); 0: on LR area. See LAG
LAG_AREA = 100.0  # τ of annealing_share, in peak-LR steps of LR area; see LAG below
FIT_BINS = 300  # the fit window is binned (medians) into at most this many points: fast on 1M-point logs
# LAG: how the loss follows the LR. Measured on the corpus backtests (benchmarks/projection.py, schedule known,
# 25/50/75% prefixes, the prior re-set for each): Tissue et al.'s step momentum, λ = 0.999 MAE 0.034, 0.998 0.028,
# 0.995 0.035; the lag on LR area (annealing_share), τ = 1000 0.044, 500 0.032, 250 0.023, 100 0.018, 50 0.018.
# τ = 100 peak-LR steps: these runs feel a decrement within a few hundred steps. γ = 0.5 (MAE 0.019) and 0.8
# (0.020) help the cosine tails a little and the warmdowns less: γ = 0.
HOLDOUT_FRAC = 0.7  # the hold-out refit uses the first 70% of the window and is judged on its end
PROJECTION_COVERAGE = 0.8  # nominal coverage of [low, high]
Z_80 = 1.2816  # two-sided 80% normal quantile

# Prior for ρ, the drop a full LR decay (peak -> 0, felt in full) brings, as a fraction of the loss now. Set from
# the full-length fits of the 9 corpus runs that decay (llm.c, build-nanogpt and TinyStories cosines, the
# modded-nanogpt and llm.c AdamW warmdowns), weighted as every fit is (RECENT_WEIGHT): `python
# benchmarks/projection.py --prior` prints each run's ρ, 0.031-0.099, geometric mean 0.058, log-sd 0.34 (0.056 and
# 0.30 with unweighted fits). Of the normalisations tried (the drop in nats, over the
# reducible loss, over the loss), the drop over the loss spreads least across these runs.
ANNEAL_PRIOR_RHO = 0.058
ANNEAL_PRIOR_LOG_SD = 0.34
# Prior for α, the exponent of the LR area, from the same full-length fits (both priors weak): 0.40-0.85 over
# those 9 runs, mean 0.63, sd 0.166; the prior's sd is that spread, rounded up.
# A short prefix (a few evals past the knee) cannot tell a steep curve to a high floor from a shallow one to a
# low floor; the prior keeps such a fit to exponents real runs have (benchmarks/projection.py --prior).
ALPHA_PRIOR = 0.63
ALPHA_PRIOR_SD = 0.17
# The two priors are one bivariate normal. Over the same 9 fits log ρ and α correlate at 0.75 (a run whose loss falls
# steeply in LR area drops more when its LR decays: the AdamW GPT-2 runs against modded-nanogpt's), so the α a prefix
# shows tells part of a drop it has not seen. Nine runs leave that loose (95% interval about 0.17-0.94), and the
# synthetic curves draw α and ρ independently (their full fits correlate at -0.12 to 0.14): the prior uses 0.5.
# Measured (benchmarks/projection.py, schedule known, the calibration re-set at each) at 0 / 0.5 / 0.75: corpus MAE
# 0.0162 / 0.0150 / 0.0151 (priors leave-one-out 0.0174 / 0.0166 / 0.0170), synthetic seeds 0-15 0.0214 / 0.0180 /
# 0.0186, the calibration seeds 100-123 0.0199 / 0.0181 / 0.0189; corpus cosines at 25% 0.019 / 0.012 / 0.006, WSD
# before its decay at 50% 0.028 / 0.022 / 0.024. The cost: a drop far from the one α suggests is missed by more
# (synthetic WSD worst case 0.13 -> 0.17 nats), so the intervals where the prior sizes a drop are wider.
ANNEAL_PRIOR_CORR = 0.5
RHO_BOUNDS = (1e-3, 0.5)  # a full decay buys between 0.1% and 50% of the loss
# posterior sd of log ρ above half the prior's given α (ANNEAL_PRIOR_LOG_SD·√(1 − ANNEAL_PRIOR_CORR²)): no decay seen
# tells ρ, the prior does (from the α the data show, or alone)
PRIOR_DOMINATED = 0.5

# The interval's width on each side is Z_80 x the combined standard error x a calibration factor for that side, per
# situation (what the schedule says lies between the last step and the projection) and reach (how far past the log
# it projects): split-conformal factors (lossdoc/calibration.py, written by `python benchmarks/projection.py
# --calibrate`), each side holding the truth in 90% of the backtests, so that the interval holds 80%.
FLAT_SHARE = 0.05  # less than 5% of a full decay between the last step and the projection: no decay ahead
REACH_EDGES = (0.5, 1.5)  # remaining steps / steps seen: a 75% prefix reaches 0.33, 50% 1, 25% 3
ROBUST_SCALE = 3.0  # residuals beyond 3 noise sd count linearly, not squared (soft-L1): spikes pull little
REL_SD = 0.08  # sd of the further drop from the form's own error, as a share of it (benchmarks/projection.py)
BOUND_TOL = 1e-3  # a parameter within 0.1% of the bound range of a bound has run to it
REL_LOOSE = 1.0  # a fit that is not determined: its predicted further drop is uncertain by all of itself
PATH_POINTS = 41  # points of the projected curve the charts draw
# The residual of a point is scaled from 1 at the window's start to 1 + RECENT_WEIGHT at its end (linear in step):
# the form is an approximation, and its error to the future is smallest where the log is most recent. Real runs'
# tails fall faster late than either form predicts from the whole window (the modded-nanogpt stable phases most).
# Measured on the corpus backtests (benchmarks/projection.py, schedule known; the ρ and α priors re-derived from the
# full-run fits at each weight), MAE / with the priors leave-one-out: 0 0.019 / 0.021, 1 0.018 / 0.019, 3 0.016 /
# 0.018, 5 0.016 / 0.018, 10 0.018 / 0.020. The synthetic multi-power-law curves, which follow a law close to the
# fitted one, lose a little: 0.0217 at 0, 0.0227 at 3 (curves drawn before the benchmark's seeding fix).
RECENT_WEIGHT = 3.0
MIN_LOSS_FRAC = 0.05  # the lowest projection allowed: 5% of the loss now (a cross-entropy loss is positive)

# ---------------------------------------------------------------------------------------------------------
# schedule features (the schedules themselves are in lossdoc/schedule.py)


def normalised(lr: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.asarray(lr, dtype=float) / max(float(np.max(lr)), 1e-30)


def decrements(eta: np.ndarray) -> np.ndarray:
    """η_(i−1) − η_i per step, 0 at step 0 and for every LR increase before the first peak (warmup)."""
    import numpy as np

    dec = np.concatenate([[0.0], eta[:-1] - eta[1:]])
    peak = int(np.argmax(eta >= float(np.max(eta)) * (1 - 1e-9)))
    dec[: peak + 1] = np.maximum(dec[: peak + 1], 0.0)
    return dec


def annealing_areas(lr: np.ndarray, lam: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """S1 (forward area) and S2 (momentum annealing area) at every step, LR normalised by its peak."""
    from itertools import accumulate

    import numpy as np

    eta = normalised(lr)
    s1 = np.cumsum(eta)
    # m_i = λ·m_(i−1) + (η_(i−1) − η_i); a plain recurrence (scipy.signal.lfilter would cost 1.8 s of import)
    dec = decrements(eta)
    lam = MOMENTUM_LAMBDA if lam is None else lam
    m = np.fromiter(accumulate(dec.tolist(), lambda prev, d: lam * prev + d), float, len(dec))
    return s1, np.cumsum(m)


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


def annealing_share(lr: np.ndarray, tau: float | None = None) -> np.ndarray:
    """D(t): the share of a full decay (peak -> 0) the loss has felt by step t, each LR decrement d_k felt as
    ``d_k·(1 − exp(−(S1(t) − S1(k)) / τ))``: the loss follows the LR with a lag of τ peak-LR steps of LR area.

    The lag runs on the LR area after the decrement, as in the multi-power law (Luo et al. 2025, arXiv
    2503.12811, eq. 4, where the drop of a decrement saturates in S_k(t), the LR summed since it), not on steps
    as the λ-momentum of Tissue et al.: with the LR at 0 nothing moves, so a run held at LR 0 after its decay
    gains nothing more, where the momentum form would keep falling for another 1/(1−λ) steps."""
    import numpy as np

    tau = LAG_AREA if tau is None else tau
    eta = normalised(lr)
    dec = decrements(eta)
    # u_t = (u_(t−1) + d_t)·exp(−a_t), a_t = η_t/τ: the part of the decrements not felt yet; D_t = Σ d − u_t
    return np.cumsum(dec) - unfelt(dec, np.maximum(eta, 0.0) ** (1 - LAG_GAMMA) / tau)


EXP_SPAN = 300.0  # exponents within a block stay below e^300 (float64 holds e^709)


def unfelt(dec: np.ndarray, a: np.ndarray) -> np.ndarray:
    """u_t = (u_(t−1) + d_t)·exp(−a_t) at every step, without a Python loop over steps (a 5M-step schedule took 20 s):
    with B the running sum of a, ``u_t = Σ_(j<=t) d_j·exp(−(B_t − B_(j−1)))``, summed in blocks over which B grows
    by at most EXP_SPAN, each block carrying the last u of the one before."""
    import numpy as np

    b = np.cumsum(a)
    out = np.empty(len(dec))
    u, start = 0.0, 0
    while start < len(dec):
        ref = float(b[start - 1]) if start else 0.0
        stop = min(max(int(np.searchsorted(b, ref + EXP_SPAN, side="right")), start + 1), len(dec))
        rel = b[start:stop] - ref  # B_t − B_(start−1)
        before = np.concatenate([[0.0], rel[:-1]])  # B_(j−1) − B_(start−1)
        out[start:stop] = (u + np.cumsum(dec[start:stop] * np.exp(before))) * np.exp(-rel)
        u, start = float(out[stop - 1]), stop
    return out


Features = Callable[["np.ndarray"], tuple["np.ndarray", "np.ndarray"]]


def _features(schedule: Schedule) -> tuple[np.ndarray, Features]:
    """D at every step of the schedule, and (S1, D) at any steps: past the schedule's last step the LR holds
    at its final value (S1 grows by it each step, the decay not yet felt keeps being felt at its lag), so a
    projection far past a schedule computed up to lossdoc.schedule.MAX_SCHEDULE_STEPS needs no longer arrays."""
    import numpy as np

    eta = normalised(schedule.lr)
    s1, share = np.cumsum(eta), annealing_share(schedule.lr)
    top, eta_end = len(s1) - 1, float(eta[-1])
    not_felt = float(np.sum(decrements(eta))) - float(share[-1])
    rate = max(eta_end, 0.0) ** (1 - LAG_GAMMA) / LAG_AREA

    def at(steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        steps = np.asarray(steps, dtype=float)
        i = np.clip(steps.astype(int), 0, top)
        past = np.maximum(steps - top, 0.0)
        return s1[i] + eta_end * past, share[i] + not_felt * (1 - np.exp(-rate * past))

    return share, at


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
        d_all, features = _features(schedule)

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
    sigma2 = max(float(clipped @ clipped) / dof / noise**2, 1.0)
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


def share_at(fit: Fit, step: float) -> float:
    """D(step): the share of a full decay the loss has felt by then (0 without a schedule)."""
    import numpy as np

    if fit.features is None:
        return 0.0
    return float(fit.features(np.array([float(step)]))[1][0])


def lr_at(fit: Fit, step: float) -> float:
    """The LR at a step, as a share of its peak (1 without a schedule): the step's own LR area."""
    if fit.features is None:
        return 1.0
    step = max(int(step), 1)
    return along(fit, step) - along(fit, step - 1)


def situation(fit: Fit, last: float, step: int) -> str:
    """What lies between the last step and the projection: ``no_schedule``; ``flat`` (no more of a decay's drop to
    come); ``decay_ahead`` (more to come, of a decay ahead or of one just made and not yet felt in full, whose drop
    the data cannot measure: the prior decides, as before a WSD warmdown or early in a cosine); ``decaying`` (more
    to come, of a decay whose drop the fit has measured on the part already seen)."""
    if fit.features is None:
        return "no_schedule"
    if share_at(fit, step) - share_at(fit, last) < FLAT_SHARE:
        return "flat"
    return "decay_ahead" if fit.prior and fit.prior["prior_dominated"] else "decaying"


def along(fit: Fit, step: float) -> float:
    """Where a step lies on the axis the fit extrapolates along: the LR area S1 when the schedule is known (steps at
    LR 0 move nothing: projecting past a finished decay is no extrapolation), else the step itself."""
    import numpy as np

    if fit.features is None:
        return float(step)
    return float(fit.features(np.array([max(float(step), 0.0)]))[0][0])


def reach(fit: Fit, last: float, step: int) -> str:
    """How far the projection reaches past the log, as the way ahead over the way seen (LR area when the
    schedule is known, else steps): near, mid or far."""
    ratio = max(along(fit, step) - along(fit, last), 0.0) / max(along(fit, last), 1.0)
    return "near" if ratio <= REACH_EDGES[0] else "mid" if ratio <= REACH_EDGES[1] else "far"


def standard_error(fit: Fit, s: np.ndarray, v: np.ndarray, schedule: Schedule | None, step: int) -> float:
    """The combined sd of the projected loss before calibration: parameters, hold-out, scatter, form."""
    import numpy as np

    last = float(s[-1])
    loss = float(fit.predict(np.array([step]))[0])
    at_last = float(fit.predict(np.array([last]))[0])
    se = float(fit.stderr(np.array([step]))[0])
    hold = holdout_error(s, v, schedule)
    held_out = along(fit, last) - along(fit, s[0] + HOLDOUT_FRAC * (last - s[0]))  # the hold-out's own reach
    ahead = max(1.0, (along(fit, step) - along(fit, last)) / max(held_out, 1.0))
    model_term = 0.0 if math.isnan(hold) else hold * math.sqrt(ahead)
    # the form is an approximation: its extrapolated further drop is uncertain by a share of itself
    return math.sqrt(se**2 + model_term**2 + fit.scatter**2 + (REL_SD * (at_last - loss)) ** 2)


def interval(
    fit: Fit, s: np.ndarray, v: np.ndarray, schedule: Schedule | None, step: int
) -> tuple[float, float, float, dict[str, Any]]:
    """(projected loss, the PROJECTION_COVERAGE interval's width below it and above it, how they were made).

    Each side has its own factor (lossdoc/calibration.py): the interval is not symmetric where the errors are not
    (the power law's low end also allows for a decay no schedule tells of; its high end only for the fit's own
    error), and one factor for both sides would be set by the side that misses more."""
    import numpy as np

    from .calibration import CALIBRATION, DEFAULT_FACTOR

    last = float(s[-1])
    loss = float(fit.predict(np.array([step]))[0])
    at_last = float(fit.predict(np.array([last]))[0])
    sd = standard_error(fit, s, v, schedule, step)
    cell = (situation(fit, last, step), reach(fit, last, step))
    down, up = CALIBRATION.get(cell, DEFAULT_FACTOR)
    below, above = down * Z_80 * sd, up * Z_80 * sd
    loose = REL_LOOSE * abs(at_last - loss)
    widened = bool(fit.at_bounds) and loose > min(below, above)
    if widened:  # a fit at its bounds is not determined: its further drop is uncertain by all of itself
        below, above = max(below, loose), max(above, loose)
    return loss, below, above, {"sd": sd, "situation": cell[0], "reach": cell[1], "factor_below": down,
                                "factor_above": up, "widened": widened}


def project(
    steps: np.ndarray,
    values: np.ndarray,
    fit_start: int,
    project_step: int | None,
    schedule: Schedule | None,
) -> tuple[dict[str, Any], dict[str, Any] | None, Fit]:
    """The ``fit`` and ``projection`` documents of the JSON contract (without time and cost), and the Fit."""
    import numpy as np

    s, v = bin_window(steps, values, fit_start)
    if len(s) < 5:
        raise InputError(f"only {len(s)} point(s) after step {fit_start:,}: too few to fit a loss curve")
    fit = fit_curve(s, v, schedule)
    determined = not fit.at_bounds
    fit_doc: dict[str, Any] = {
        "form": fit.form,
        "params": fit.params,
        "rmse": fit.rmse,
        "points": fit.points,
        "window": list(fit.window),
        "lr_source": schedule.source if schedule else None,
        "at_bounds": fit.at_bounds,
        "determined": determined,
        "prior": fit.prior,
    }
    if project_step is None:
        return fit_doc, None, fit
    current = float(v[-1])  # the loss now: the last eval, or the median of the last bin of a binned series
    loss, below, above, calibration = interval(fit, s, v, schedule, project_step)
    at_last = float(fit.predict(np.array([float(s[-1])]))[0])
    floor = MIN_LOSS_FRAC * current
    loss = max(loss, floor)
    low, high = max(loss - below, floor), loss + above
    unknown_decay = 0.0
    if fit.form == "power_law" and project_step > s[-1]:
        # no schedule known: the power law assumes the LR stays as it is; a run that decays it by then ends
        # lower by up to the drop of a full decay (the prior), so the low end allows for it
        unknown_decay = ANNEAL_PRIOR_RHO * current
        low = max(low - unknown_decay, floor)
    slope = float(np.diff(fit.predict(np.array([project_step - 500.0, project_step + 0.0])))[0]) / 500.0
    projection = {
        "step": int(project_step),
        "loss": loss,
        "low": min(low, loss),
        "high": max(high, loss),
        "coverage": PROJECTION_COVERAGE,
        "remaining": at_last - loss,  # the further drop the fit predicts from the last step to the projection
        "remaining_low": at_last - max(high, loss),
        "remaining_high": at_last - min(low, loss),
        "per_1k_steps_at_end": -slope * 1000.0,  # drop per 1K steps the curve still gives at the projection
        "current": current,
        "determined": determined,
        # the prior matters only where the schedule has a decay by the projection (a constant LR has D = 0 throughout)
        "prior_used": bool(fit.prior and fit.prior["prior_dominated"] and share_at(fit, project_step) >= FLAT_SHARE),
        "unknown_decay": unknown_decay,  # how far the low end was lowered for a decay no schedule tells of
        "calibration": calibration,  # the sd before calibration, the cell of lossdoc/calibration.py, its factor
    }
    projection["path"] = projection_path(fit, float(s[-1]), projection)
    return fit_doc, projection, fit


def projection_path(fit: Fit, last: float, pr: dict[str, Any]) -> list[list[float]] | None:
    """[[step, loss, low, high], ...] from the last step to the projection, PATH_POINTS of them, for the charts:
    the fitted curve, moved so it starts at the loss now and ends at the projection (the offset fades along the
    way), and the interval opening as the projection goes along the LR area (steps at LR 0 open nothing). A WSD
    run cut before its warmdown draws the drop where the warmdown is, not a straight line to the end."""
    import numpy as np

    step = pr["step"]
    if step <= last:
        return None
    at = np.unique(np.linspace(last, step, PATH_POINTS).round())
    way = np.array([along(fit, x) for x in at]) - along(fit, last)
    total = float(way[-1])
    share = way / total if total > 0 else np.linspace(0.0, 1.0, len(at))
    offset = pr["current"] - float(fit.predict(np.array([last]))[0])
    end_offset = pr["loss"] - float(fit.predict(np.array([float(step)]))[0])  # the floor clamp, if any
    loss = fit.predict(at) + offset * (1 - share) + end_offset * share
    up, down = pr["high"] - pr["loss"], pr["loss"] - pr["low"]
    return [[int(x), round(float(v), 6), round(float(v - down * w), 6), round(float(v + up * w), 6)]
            for x, v, w in zip(at.tolist(), loss.tolist(), share.tolist(), strict=True)]


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

"""The schedule's features the loss-curve fit (lossdoc/curvefit.py) reads: the LR area S1 (forward area, the sum
of learning rates so far, in peak-LR steps), Tissue et al.'s momentum annealing area S2, and D, the share of a full
decay (peak -> 0) the loss has felt by a step, felt with a lag. The schedules themselves are in lossdoc/schedule.py.

S2 and warmup (issue 8): Tissue et al. define S2 as the *annealing* area, the LR decrements. A linear warmup
is a run of LR *increases*; counted as negative decrements it would make S2 negative during warmup and
lower the drop a later decay buys by the whole warmup height. Decision: increases before the LR's first peak
are not counted (warmup is not annealing); an increase after the peak (the re-warmup of a cyclic schedule)
counts as a negative decrement, as in Tissue et al.'s re-warmup experiments (section 5), where the loss rises
back when the LR does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .schedule import Schedule

if TYPE_CHECKING:
    import numpy as np

MOMENTUM_LAMBDA = 0.999  # λ of S2, Tissue et al. 2024 (arXiv 2408.11029), section 3
LAG_GAMMA = 0.5  # the lag runs on η^(1−γ) per step: a decrement made at a low LR is felt sooner. See LAG
LAG_AREA = 100.0  # τ of annealing_share, in peak-LR steps (at the peak LR; η^(1−γ)-weighted steps below it)
# LAG: how the loss follows the LR. Measured on the corpus backtests (benchmarks/projection.py, schedule known,
# 25/50/75% prefixes, the prior re-set for each): Tissue et al.'s step momentum, λ = 0.999 MAE 0.034, 0.998 0.028,
# 0.995 0.035; the lag on LR area (annealing_share), τ = 1000 0.044, 500 0.032, 250 0.023, 100 0.018, 50 0.018.
# τ = 100 peak-LR steps: these runs feel a decrement within a few hundred steps.
# γ, as the multi-power law's (Luo et al. 2025, eq. 4: a decrement at LR η_k saturates in η_k^(−γ)·S_k(t), S_k the LR
# area since it; with the LR near η_k that is η^(1−γ) per step): the step-by-step rate η_t^(1−γ)/τ. With γ = 0 (the
# lag on LR area alone) the last decrements of a decay to a low LR were felt over thousands of steps, and a fit of a
# whole cosine still ended above its last eval (8 of 9 corpus runs, by 0.003-0.017 nats; with γ = 0.5, 7 of 9 end
# within 0.002 of it, the other two 0.008 and 0.011 above). Measured (the priors
# re-derived from the corpus runs' own fits at each γ; corpus with priors leave-one-out / synthetic seeds 0-15):
# γ = 0 MAE 0.0166 / 0.0180, 0.5 0.0147 / 0.0175, 0.7 0.0153 / 0.0178; the corpus cosines at 25/50/75% 0.014 /
# 0.015 / 0.009 at 0, 0.008 / 0.011 / 0.006 at 0.5. The synthetic curves draw γ from 0.3 to 0.6. τ again at γ = 0.5:
# 50 MAE 0.0143 / 0.0180, 100 0.0147 / 0.0175, 200 0.0171 / 0.0185.


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


def annealing_share(lr: np.ndarray, tau: float | None = None, gamma: float | None = None) -> np.ndarray:
    """D(t): the share of a full decay (peak -> 0) the loss has felt by step t, each LR decrement d_k felt as
    ``d_k·(1 − exp(−Σ_(j=k..t) η_j^(1−γ) / τ))``: the loss follows the LR with a lag of τ peak-LR steps (LAG).

    The lag runs on the LR after the decrement, as in the multi-power law (Luo et al. 2025, arXiv 2503.12811,
    eq. 4, where the drop of a decrement saturates in η_k^(−γ)·S_k(t), S_k the LR summed since it), not on steps
    as the λ-momentum of Tissue et al.: with the LR at 0 nothing moves, so a run held at LR 0 after its decay
    gains nothing more, where the momentum form would keep falling for another 1/(1−λ) steps."""
    import numpy as np

    tau = LAG_AREA if tau is None else tau
    gamma = LAG_GAMMA if gamma is None else gamma
    eta = normalised(lr)
    dec = decrements(eta)
    # u_t = (u_(t−1) + d_t)·exp(−a_t), a_t = η_t^(1−γ)/τ: the part of the decrements not felt yet; D_t = Σ d − u_t
    return np.cumsum(dec) - unfelt(dec, np.maximum(eta, 0.0) ** (1 - gamma) / tau)


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


def features(schedule: Schedule) -> tuple[np.ndarray, Features]:
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

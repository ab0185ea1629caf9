"""lossdoc.curvefit, lossdoc.lr_features and lossdoc.forecast against implementations written here: the annealing areas, the lagged annealing share, and
fits that recover a curve whose truth the test builds itself (not with the library's schedule or area code)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lossdoc import curvefit, forecast, lr_features
from lossdoc.schedule import Schedule


def warmup_cosine(total: int, warmup: int, final: float = 0.0) -> np.ndarray:
    """Linear warmup then cosine to final·peak at ``total``, held after: written here, not lossdoc.schedule."""
    lr = []
    for s in range(total + 1):
        if s < warmup:
            lr.append((s + 1) / warmup)
        else:
            frac = min((s - warmup) / (total - warmup), 1.0)
            lr.append(final + (1 - final) * 0.5 * (1 + math.cos(math.pi * frac)))
    return np.array(lr)


def tissue_areas_by_loop(lr: list[float], lam: float) -> tuple[list[float], list[float]]:
    """Tissue et al. 2024 eq. 1 areas, step by step: S1 = Σ η, m_i = λ m_(i−1) + (η_(i−1) − η_i), S2 = Σ m, with
    LR increases up to the first peak (warmup) not counted as decrements."""
    peak = max(lr)
    eta = [x / peak for x in lr]
    first_peak = eta.index(max(eta))
    s1, s2, m, a1, a2 = [], [], 0.0, 0.0, 0.0
    for i, e in enumerate(eta):
        d = 0.0 if i == 0 else eta[i - 1] - e
        if i <= first_peak:
            d = max(d, 0.0)
        m = lam * m + d
        a1 += e
        a2 += m
        s1.append(a1)
        s2.append(a2)
    return s1, s2


def test_annealing_areas_match_a_loop_implementation() -> None:
    lr = warmup_cosine(3_000, 200, final=0.1)
    s1, s2 = lr_features.annealing_areas(lr * 6e-4, 0.999)
    want1, want2 = tissue_areas_by_loop(list(lr * 6e-4), 0.999)
    assert s1 == pytest.approx(want1, rel=1e-9)
    assert s2 == pytest.approx(want2, rel=1e-9, abs=1e-9)


def test_warmup_is_not_a_negative_annealing_area() -> None:
    # Issue 8: warmup increases counted as negative decrements made S2 negative through warmup and cut the
    # drop a later decay buys by the warmup's height. Warmup then constant: nothing has annealed.
    lr = np.concatenate([np.linspace(0.01, 1.0, 500), np.ones(1_500)])
    _, s2 = lr_features.annealing_areas(lr)
    assert np.all(s2 == 0)
    assert np.all(lr_features.annealing_share(lr) == 0)
    # after the peak, a re-warmup (cyclic schedule) does count against the area: the loss rises back with the LR
    cyc = np.concatenate([np.ones(100), np.full(100, 0.5), np.ones(100)])
    _, s2 = lr_features.annealing_areas(cyc, 0.9)
    assert s2[199] == pytest.approx(0.5 * sum(0.9**k for k in range(100)))
    assert s2[-1] < s2[199]


def share_by_sum(lr: np.ndarray, tau: float, gamma: float) -> np.ndarray:
    """D(t) = Σ_k d_k (1 − exp(−Σ_(j=k..t) η_j^(1−γ) / τ)), a double loop over the normalised LR."""
    eta = lr / lr.max()
    peak = int(np.argmax(eta))
    out = np.zeros(len(eta))
    for t in range(len(eta)):
        total = 0.0
        for k in range(peak + 1, t + 1):
            felt = sum(eta[j] ** (1 - gamma) for j in range(k, t + 1)) / tau
            total += (eta[k - 1] - eta[k]) * (1 - math.exp(-felt))
        out[t] = total
    return out


def test_annealing_share_is_the_lagged_sum_of_decrements() -> None:
    # WSD: warmup, stable, linear decay to 0, then 100 steps held at 0
    lr = np.concatenate([np.linspace(0.1, 1, 10), np.ones(90), np.linspace(1, 0, 101)[1:], np.zeros(100)])
    got = lr_features.annealing_share(lr, tau=20.0, gamma=0.0)
    assert got == pytest.approx(share_by_sum(lr, 20.0, 0.0), abs=1e-9)
    assert got[99] == 0
    # with the LR at 0 the model does not move: the loss has felt all it will, nothing more is promised
    assert got[-1] == pytest.approx(got[200], abs=1e-12)
    # a decay to 0 over 50 peak-LR steps of area with τ = 20: its last decrements come with little LR after them
    assert 0.3 < got[-1] < 0.7
    # the lag on η^(1−γ): a decrement made at a low LR is felt sooner, so more of the decay is felt by its end
    sooner = lr_features.annealing_share(lr, tau=20.0, gamma=0.5)
    assert sooner == pytest.approx(share_by_sum(lr, 20.0, 0.5), abs=1e-9)
    assert sooner[-1] > got[-1] + 0.05 and sooner[-1] == pytest.approx(sooner[200], abs=1e-12)


def test_fit_recovers_a_known_annealing_curve_from_its_first_half() -> None:
    total, tau, gamma = 8_000, lr_features.LAG_AREA, lr_features.LAG_GAMMA
    lr = warmup_cosine(total, 200)
    # the lagged share by a recurrence written here (share_by_sum is too slow at 8K steps):
    # u_t = (u_(t−1) + d_t)·exp(−η_t^(1−γ)/τ), D = Σd − u
    eta = lr / lr.max()
    d = np.concatenate([[0.0], eta[:-1] - eta[1:]])
    d[: int(np.argmax(eta)) + 1] = 0.0
    u, share = 0.0, []
    for dk, e in zip(d, eta, strict=True):
        u = (u + dk) * math.exp(-(e ** (1 - gamma)) / tau)
        share.append(u)
    share = np.cumsum(d) - np.array(share)
    steps = np.arange(total + 1)
    s1 = np.cumsum(eta)
    l0, a, alpha, rho = 2.9, 12.0, 0.45, 0.05
    truth = l0 + a * s1 ** -alpha
    truth = truth - rho * 3.3 * share  # a decay buys 5% of a loss of about 3.3
    rng = np.random.default_rng(7)
    at = steps[300 : total // 2 : 50]
    fit_doc, pr, fit = forecast.project(at, truth[at] + rng.normal(0, 0.004, len(at)), 300, total,
                                        Schedule(lr, "test"))
    assert fit_doc["form"] == "lr_annealing" and fit_doc["determined"]
    assert pr["loss"] == pytest.approx(truth[-1], abs=0.015)
    assert pr["low"] <= truth[-1] <= pr["high"]
    assert 0 < pr["low"] <= pr["loss"] <= pr["high"]


def test_power_law_recovers_its_parameters() -> None:
    steps = np.arange(100, 5_001, 50).astype(float)
    truth = 2.0 + 3.0 * (steps / 5_000) ** -0.5
    fit = curvefit.fit_curve(steps, truth, None)
    assert fit.params["alpha"] == pytest.approx(0.5, abs=0.01)
    assert fit.params["L0"] == pytest.approx(2.0, abs=0.02)
    assert float(fit.predict(np.array([20_000.0]))[0]) == pytest.approx(2.0 + 3.0 * 4**-0.5, abs=0.005)


def test_a_fit_at_its_bounds_is_not_determined() -> None:
    # a loss that rises: the power law's amplitude runs to 0 (its bound): not a determined fit
    steps = np.arange(100, 3_001, 100).astype(float)
    fit_doc, pr, _ = forecast.project(steps, 3.0 + steps / 1e4, 100, 6_000, None)
    assert not fit_doc["determined"] and fit_doc["at_bounds"]
    assert not pr["determined"] and 0 < pr["low"] <= pr["loss"] <= pr["high"]


def test_recent_points_steer_the_fit(monkeypatch) -> None:
    # a power law whose last third falls faster than the law (as real tails do): weighted, the fit follows the
    # recent points more closely than the early ones, and its slope at the end is the steeper, recent one
    s = np.linspace(500, 10_000, 200)
    truth = 3.0 + 8.0 * (s / 100.0) ** -0.5 - 0.05 * np.clip((s - 7_000) / 3_000, 0, None)
    rng = np.random.default_rng(3)
    values = truth + rng.normal(0, 0.002, len(s))

    def misses(weight: float) -> tuple[float, float, float]:
        monkeypatch.setattr(curvefit, "RECENT_WEIGHT", weight)
        fit = curvefit.fit_curve(s, values, None)
        resid = np.abs(fit.predict(s) - truth)
        slope = float(np.diff(fit.predict(np.array([9_500.0, 10_000.0])))[0])
        return float(resid[:20].mean()), float(resid[-20:].mean()), slope

    early0, late0, slope0 = misses(0.0)
    early3, late3, slope3 = misses(3.0)
    assert late3 < late0 and early3 > early0  # the recent end fitted closer, at the start's expense
    true_slope = float(np.diff(3.0 + 8.0 * (np.array([9_500.0, 10_000.0]) / 100.0) ** -0.5)[0]) - 0.05 / 6
    assert abs(slope3 - true_slope) < abs(slope0 - true_slope)


@pytest.mark.parametrize("seed", range(4))
def test_unfelt_blocks_match_the_step_by_step_recurrence(seed: int) -> None:
    # the block-wise closed form against the plain loop: decrements of both signs (a cyclic re-warmup), steps of LR
    # area from 0 to far past EXP_SPAN (a tiny τ), so blocks of one step and of thousands both occur
    rng = np.random.default_rng(seed)
    n = 5_000
    dec = rng.normal(0, 0.01, n) * (rng.random(n) < 0.3)
    a = np.where(rng.random(n) < 0.01, rng.uniform(100, 1_000, n), rng.uniform(0, 0.2, n))
    want, u = np.empty(n), 0.0
    for i in range(n):
        u = (u + dec[i]) * math.exp(-a[i])
        want[i] = u
    assert lr_features.unfelt(dec, a) == pytest.approx(want, rel=1e-9, abs=1e-12)  # u is ~1e-2: 10 digits kept


def ar1_by_loop(rng: np.random.Generator, n: int, phi: float) -> np.ndarray:
    """AR(1) errors of marginal sd 1, written here."""
    out = [rng.normal()]
    for _ in range(n - 1):
        out.append(phi * out[-1] + math.sqrt(1 - phi**2) * rng.normal())
    return np.array(out)


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.8])
def test_autocorrelated_residuals_count_as_fewer_points(phi: float) -> None:
    rng = np.random.default_rng(7)
    got = curvefit.autocorr_inflation(ar1_by_loop(rng, 20_000, phi))
    assert got == pytest.approx((1 + phi) / (1 - phi), rel=0.08)


def test_autocorrelation_inflation_is_bounded() -> None:
    alternating = np.array([1.0, -1.0] * 50)  # negative autocorrelation: no credit for more than n points
    drift = np.linspace(-1, 1, 100)  # all one way: φ near 1, capped at AUTOCORR_MAX
    assert curvefit.autocorr_inflation(alternating) == 1.0
    cap = curvefit.AUTOCORR_MAX
    assert curvefit.autocorr_inflation(drift) == pytest.approx((1 + cap) / (1 - cap))
    assert curvefit.autocorr_inflation(np.zeros(10)) == 1.0 and curvefit.autocorr_inflation(drift[:3]) == 1.0


def test_drifting_noise_widens_the_parameter_error() -> None:
    # the same noise values around the same power law, once in a drifting order (AR(1), φ 0.8) and once shuffled:
    # the scatter is identical, but drifting points hold fewer independent facts, so the fit is less sure
    s = np.linspace(200, 8_000, 80)
    truth = 2.5 + 4.0 * (s / 100.0) ** -0.45
    noise = 0.004 * ar1_by_loop(np.random.default_rng(11), len(s), 0.8)
    shuffled = np.random.default_rng(12).permutation(noise)
    far = np.array([30_000.0])
    drifting = float(curvefit.fit_curve(s, truth + noise, None).stderr(far)[0])
    independent = float(curvefit.fit_curve(s, truth + shuffled, None).stderr(far)[0])
    assert drifting > 1.5 * independent

"""Do spikes keep time? Periodicity of spike steps and their association with data-shard boundaries.

Both questions are answered against chance: as many spikes placed at random steps of the same series (the
steps where the detector could have fired). For the period the best phase score is recomputed on random
placements (a Monte-Carlo permutation test, p with the +1 correction of Davison & Hinkley 1997, eq. 4.11, so
it is never 0). For shard boundaries the count of spikes near a boundary under random placement is
hypergeometric, so that test is exact.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError

if TYPE_CHECKING:
    import numpy as np

PERIOD_P = 0.01  # p-value below which a period / shard association is reported (strict: one test per log)
PERIOD_TRIALS = 200  # random placements for the periodicity test (smallest p 1/201 = 0.005 < PERIOD_P)
PERIOD_MIN_SPIKES = 3  # two spikes give an interval, not a period
PERIOD_MAX_SPIKES = 100  # only the first 100 spikes are used (the test is O(spikes x candidates x trials))
PERIOD_MIN_SPACINGS = 4  # a period must span at least 4 logged points, else phases are quantised
PERIOD_HARMONIC_TOL = 0.05  # among periods scoring within 0.05 of the best, the longest is the fundamental
SHARD_WINDOW_FRAC = 0.05  # "just after a boundary" = within 5% of the median shard length ...
SHARD_WINDOW_MIN_SPACINGS = 2  # ... and at least 2 logged points (a sparse log sees a spike late)
SEED = 0  # fixed: the same log gives the same p-value
SCREEN_CHUNK = 1 << 15  # phases screened at a time (256 KB of float64: in cache; 4 MB chunks took 2x as long)
SCREEN_ERROR = 1e-5  # bound on |float32-trig phase score - float64 score| (observed <= 1e-7; see _screen_scores)


def _phase_score(x: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """Rayleigh mean resultant length of the spike phases for each period (1 = perfectly periodic)."""
    import numpy as np

    angles = 2 * math.pi * x[:, None] / periods[None, :]
    return np.hypot(np.cos(angles).mean(axis=0), np.sin(angles).mean(axis=0))


def _candidates(x: np.ndarray, min_period: float, max_period: float) -> np.ndarray:
    """Candidate periods of sorted spike steps: the intervals and their 1/2, 1/3, 1/4 in [min, max], ascending."""
    import numpy as np

    d = np.diff(x)
    d = d[d > 0]
    cands = np.unique(np.concatenate([d / k for k in (1, 2, 3, 4)])) if len(d) else np.array([])
    return cands[(cands >= min_period) & (cands <= max_period)]


def best_period(x: np.ndarray, min_period: float, max_period: float) -> tuple[float, float]:
    """The period (from the spike intervals and their 1/2, 1/3, 1/4) with the best phase score."""
    import numpy as np

    x = np.sort(np.asarray(x, dtype=float))
    cands = _candidates(x, min_period, max_period)
    if not len(cands):
        return math.nan, 0.0
    score = _phase_score(x, cands)
    top = float(score.max())
    near = cands[score >= top - PERIOD_HARMONIC_TOL]
    period = float(near.max())  # P/2, P/3 score as well as P on a periodic set: take the fundamental
    return period, float(_phase_score(x, np.array([period]))[0])


def _screen_scores(x: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """_phase_score within SCREEN_ERROR, ~4x faster: the phase as a fraction of a cycle in float64, its cosine and
    sine in float32 (numpy's SIMD float32 sin/cos are accurate to a few ulp on [0, 2 pi); float64 ones are scalar
    libm calls, ~9 ns each). Errors: the phase's rounding to float32 (<= 2.4e-7 rad) and the float32 cos/sin
    (<= ~3e-7), averaged: |error| < 1e-6 < SCREEN_ERROR, which tests/test_speed_periodicity.py checks."""
    return _screen_rows(x[None, :], periods[None, :])[0]


def best_score(x: np.ndarray, min_period: float, max_period: float) -> float:
    """best_period(x, min_period, max_period)[1], the same float (see best_scores)."""
    import numpy as np

    return float(best_scores(np.asarray(x, dtype=float)[None, :], min_period, max_period)[0])


def best_scores(sets: np.ndarray, min_period: float, max_period: float) -> np.ndarray:
    """best_period(row, min_period, max_period)[1] of each row of ``sets`` (spike sets of one size), the same floats.

    All rows' candidates are screened at once with _screen_scores; a row's fundamental is decided from them only
    when no score is within 2 x SCREEN_ERROR of the cut-off that could change it (else best_period decides). Its
    score is then computed exactly as best_period does, from the row alone."""
    import numpy as np

    xs = np.sort(sets, axis=1)
    cands = _candidate_rows(xs, min_period, max_period)  # ascending, NaN-padded
    out = np.zeros(len(xs))
    rows_at_once = max(1, SCREEN_CHUNK // max(1, xs.shape[1] * cands.shape[1]))
    for lo in range(0, len(xs), rows_at_once):
        approx = _screen_rows(xs[lo : lo + rows_at_once], cands[lo : lo + rows_at_once])
        for r, row in enumerate(approx, lo):
            valid = ~np.isnan(row)
            if not valid.any():
                continue  # no candidate period: best_period scores 0
            cut = float(row[valid].max()) - PERIOD_HARMONIC_TOL  # within SCREEN_ERROR of best_period's cut-off
            surely_in = np.flatnonzero(row >= cut + 2 * SCREEN_ERROR)
            last = int(surely_in[-1])  # the top itself is surely in (PERIOD_HARMONIC_TOL >> SCREEN_ERROR)
            if (np.abs(row[last + 1 :] - cut) < 2 * SCREEN_ERROR).any():  # a longer one might be in: exactly
                out[r] = best_period(xs[r], min_period, max_period)[1]
            else:
                out[r] = _phase_score(xs[r], cands[r, last : last + 1])[0]
    return out


def _candidate_rows(xs: np.ndarray, min_period: float, max_period: float) -> np.ndarray:
    """_candidates of each row of sorted sets: the same values, ascending, NaN after them (rows differ in count)."""
    import numpy as np

    d = np.diff(xs, axis=1)
    d[~(d > 0)] = np.nan
    cands = np.sort(np.concatenate([d / k for k in (1, 2, 3, 4)], axis=1), axis=1)  # NaN sort last
    cands[:, 1:][cands[:, 1:] == cands[:, :-1]] = np.nan  # repeats (np.unique keeps one)
    cands[~((cands >= min_period) & (cands <= max_period))] = np.nan
    cands = np.sort(cands, axis=1)
    width = int((~np.isnan(cands)).sum(axis=1).max()) if cands.size else 0
    return cands[:, :width]


def _screen_rows(xs: np.ndarray, cands: np.ndarray) -> np.ndarray:
    """_screen_scores of each row's set against its candidates (NaN for the padding)."""
    import numpy as np

    phase = xs[:, :, None] / cands[:, None, :]
    phase -= np.floor(phase)
    phase *= 2 * math.pi
    angles = phase.astype(np.float32)
    n = xs.shape[1]
    c = np.add.reduce(np.cos(angles), axis=1, dtype=np.float64) / n
    s = np.add.reduce(np.sin(angles), axis=1, dtype=np.float64) / n
    return np.hypot(c, s)


def periodicity(spike_steps: list[int], eligible: np.ndarray, spacing: float) -> dict[str, Any]:
    """Period of the spike steps and its p-value against spikes at random eligible steps."""
    import numpy as np

    steps = np.array(sorted(spike_steps), dtype=float)
    out: dict[str, Any] = {"period_steps": None, "score": None, "p_value": None, "n_spikes": len(steps),
                           "chance_score": None, "interval_steps": None}  # null: no period tested, not 2 spikes
    if len(steps) == 2:
        out["interval_steps"] = int(steps[1] - steps[0])
    if len(steps) < PERIOD_MIN_SPIKES or len(eligible) < 2 * len(steps):
        return out
    steps = steps[:PERIOD_MAX_SPIKES]
    span = float(eligible.max() - eligible.min())
    min_p, max_p = PERIOD_MIN_SPACINGS * spacing, span / 2
    period, score = best_period(steps, min_p, max_p)
    if math.isnan(period):
        return out
    rng = np.random.default_rng(SEED)
    fakes = np.array([rng.choice(eligible, size=len(steps), replace=False) for _ in range(PERIOD_TRIALS)], dtype=float)
    null = best_scores(fakes, min_p, max_p)  # each trial's best score, all screened at once
    out.update(
        period_steps=int(round(period)),
        score=score,
        p_value=float((1 + (null >= score - 1e-12).sum()) / (1 + PERIOD_TRIALS)),
        chance_score=float(null.mean()),
    )
    return out


# ---------------------------------------------------------------------------------------------------------------
# Shard maps
# ---------------------------------------------------------------------------------------------------------------

SHARD_MAP_HELP = (
    'a JSON list of {"shard": NAME, "start_step": N} or {"shard": NAME, "start_token": N}, or {"steps_per_shard": N}'
    ' or {"tokens_per_shard": N}'
)
PER_SHARD_KEYS = ("steps_per_shard", "tokens_per_shard")


def load_shard_map(path: str | Path) -> dict[str, Any]:
    """Read and check a shard map file; every problem is one InputError line."""
    import json  # here: a report without --shard-map need not import it (~2 ms)

    path = Path(path)
    if not path.exists():
        raise InputError(f"shard map {path}: no such file")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"shard map {path}: cannot read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"shard map {path}: not valid JSON ({exc.msg} at line {exc.lineno}); expected {SHARD_MAP_HELP}"
        ) from None
    return parse_shard_map(doc, f"shard map {path}")


def parse_shard_map(doc: Any, where: str = "shard map") -> dict[str, Any]:
    """Normalise to {"steps_per_shard": N}, {"tokens_per_shard": N} or {"entries": [(name, "step"|"token", N), ...]}."""
    if isinstance(doc, list) and len(doc) == 1 and isinstance(doc[0], dict) and set(PER_SHARD_KEYS) & set(doc[0]):
        doc = doc[0]
    if isinstance(doc, dict):
        key = next((k for k in PER_SHARD_KEYS if k in doc), PER_SHARD_KEYS[0])
        n = doc.get(key)
        if isinstance(n, bool) or not isinstance(n, (int, float)) or n <= 0 or not float(n).is_integer():
            raise InputError(f"{where}: {key} must be a positive integer (got {n!r}); expected {SHARD_MAP_HELP}")
        return {key: int(n)}
    if not isinstance(doc, list) or not doc:
        raise InputError(f"{where}: expected {SHARD_MAP_HELP}")
    entries = []
    for k, item in enumerate(doc):
        if not isinstance(item, dict) or "shard" not in item:
            raise InputError(f'{where}: entry {k + 1} is not an object with a "shard" key; expected {SHARD_MAP_HELP}')
        unit = "step" if "start_step" in item else ("token" if "start_token" in item else None)
        if unit is None:
            raise InputError(f"{where}: entry {k + 1} ({item['shard']!r}) has neither start_step nor start_token")
        value = item[f"start_{unit}"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise InputError(f"{where}: entry {k + 1} start_{unit} must be a non-negative number (got {value!r})")
        entries.append((str(item["shard"]), unit, float(value)))
    return {"entries": entries}


def boundaries(shard_map: dict[str, Any], tokens_per_step: float | None, last_step: int) -> list[tuple[int, str]]:
    """Shard starts in steps, (step, shard name), sorted; token offsets converted with tokens per step."""
    if "tokens_per_shard" in shard_map:
        n = _steps_per_token_shard(shard_map["tokens_per_shard"], tokens_per_step)
        return [(k * n, f"shard {k}") for k in range(1, last_step // n + 1)]
    if "steps_per_shard" in shard_map:
        n = shard_map["steps_per_shard"]
        return [(k * n, f"shard {k}") for k in range(1, last_step // n + 1)]
    out = []
    for name, unit, value in shard_map["entries"]:
        if unit == "token":
            if not tokens_per_step:
                raise InputError(
                    "shard map gives start_token but the log does not state tokens per step; give start_step instead"
                )
            out.append((int(value // tokens_per_step), name))
        else:
            out.append((int(value), name))
    return sorted(out)


def _steps_per_token_shard(tokens: int, tokens_per_step: float | None) -> int:
    """Steps each shard of ``tokens`` tokens lasts: whole batches only. The llm.c, build-nanogpt and modded-nanogpt
    loaders move to the next shard when the next batch (and its one target token) no longer fits, dropping the
    tail, so a 100M-token FineWeb shard at 524,288 tokens per step lasts 190 steps, not 190.7 (50 shards in, the
    boundaries would otherwise drift 36 steps)."""
    if not tokens_per_step:
        raise InputError("shard map gives tokens_per_shard but the log does not state tokens per step; "
                         "give steps_per_shard instead")
    steps = int((tokens - 1) // tokens_per_step)
    if steps < 1:
        raise InputError(f"shard map: tokens_per_shard {tokens:,} is less than one step ({tokens_per_step:,.0f} "
                         "tokens): a shard boundary at every step tests nothing")
    return steps


def associate(
    bounds: list[tuple[int, str]], spikes: list[Any], main: str, eligible: np.ndarray, spacing: float
) -> dict[str, Any]:
    """Mark spikes that start within a window after a boundary; test the count against random placement."""
    import numpy as np

    starts = np.array([b for b, _ in bounds], dtype=float)
    if len(starts) >= 2:
        shard_len = float(np.median(np.diff(starts)))
    else:
        shard_len = float(eligible.max() - eligible.min()) if len(eligible) else 0.0
    window = max(SHARD_WINDOW_FRAC * shard_len, SHARD_WINDOW_MIN_SPACINGS * spacing, 1.0)

    def near(steps: np.ndarray) -> np.ndarray:
        """Index of the boundary at or before each step when within the window, else -1."""
        if not len(starts):
            return np.full(len(steps), -1)
        k = np.searchsorted(starts, steps, side="right") - 1
        ok = (k >= 0) & (steps - starts[np.clip(k, 0, None)] <= window)
        return np.where(ok, k, -1)

    for sp in spikes:
        k = int(near(np.array([float(sp.step)]))[0])
        sp.shard_boundary = bounds[k][1] if k >= 0 else None
    main_steps = np.array([sp.step for sp in spikes if sp.series == main and sp.jump > 0], dtype=float)
    observed = int((near(main_steps) >= 0).sum())
    out: dict[str, Any] = {
        "boundaries": len(bounds),
        "window_steps": int(math.ceil(window)),
        "spikes": len(main_steps),
        "spikes_near_boundary": observed,
        "expected_by_chance": 0.0,
        "p_value": 1.0,
    }
    if len(main_steps) and len(eligible) >= len(main_steps):
        # Spikes placed at random among the eligible steps: the number landing near a boundary is
        # hypergeometric, so the permutation test is exact (no simulation needed).
        near_total = int((near(eligible.astype(float)) >= 0).sum())
        expected, p_value = hypergeom_tail(len(eligible), near_total, len(main_steps), observed)
        out["expected_by_chance"] = expected
        out["p_value"] = p_value
    return out


def hypergeom_tail(population: int, successes: int, draws: int, observed: int) -> tuple[float, float]:
    """Mean and P(X >= observed) of a hypergeometric X, in log space with math.lgamma.

    scipy.stats.hypergeom gives the same numbers, but importing scipy.stats costs ~0.8 s, which alone would
    break the speed budget of `lossdoc spikes` (at most 1.5x `lossdoc show`).
    """

    def log_comb(n: int, k: int) -> float:
        return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)

    mean = draws * successes / population if population else 0.0
    floor = max(0, draws - (population - successes))  # the smallest count possible
    if observed <= floor:
        return mean, 1.0
    lo, hi = observed, min(draws, successes)
    if lo > hi:
        return mean, 0.0 if observed > hi else 1.0
    total = log_comb(population, draws)
    tail = sum(
        math.exp(log_comb(successes, k) + log_comb(population - successes, draws - k) - total)
        for k in range(lo, hi + 1)
    )
    return mean, float(min(1.0, tail))

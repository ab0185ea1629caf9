"""Split-conformal calibration of the projection interval (`python benchmarks/projection.py --calibrate`).

Each backtest case gives two scores, one per side: the factor by which its uncalibrated width (Z_80 x sd) would
have had to be multiplied below the projection and above it to just hold the truth (projection.needed_factors;
0 on the side the truth is not on). The shipped factors of a cell (situation x reach, lossdoc.forecast.situation /
reach) are, for each side, the SIDE_LEVEL (90%) quantile of its cases' scores, so that the two together hold
80%, with the finite-sample correction of split conformal prediction (level x (1 + 1/n); Lei et al. 2018,
JASA 113:1094), raised where needed so that every schedule family in the cell (corpus and synthetic apart, each
with at least MIN_GROUP cases) holds at least SIDE_FLOOR (85%) on each side, 70% in all: without a schedule a
constant-LR run and a WSD run fall in the same cell, and factors that hold 80% of the pool could leave the constant
runs at 50%. One factor for both sides would be set by the side that misses more: the power law's low end also
allows for a decay no schedule tells of, its truths fall below it, and a shared factor then left its high end at
0.02 sd. The cases are the calibration curves (seeds CALIBRATION_SEEDS, not the ones the README table reports) and
the corpus runs; in a cell with both, the corpus cases together weigh as much as the synthetic ones, so that a
handful of real runs are not drowned by clean synthetic curves, nor the other way round. A cell with fewer than
MIN_CELL cases takes its situation's factors (all reaches pooled), and a cell no corpus run reached takes at least
those: synthetic curves alone do not narrow an interval a real run may land in.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from lossdoc.forecast import PROJECTION_COVERAGE

MIN_CELL = 6
MIN_GROUP = 4
FAMILY_FLOOR = 0.7  # the low end of the 70-90% goal for a nominal 80% interval
SIDE_LEVEL = 1 - (1 - PROJECTION_COVERAGE) / 2  # 0.9: each side misses 10%
SIDE_FLOOR = 1 - (1 - FAMILY_FLOOR) / 2  # 0.85: a family missing 15% on each side holds 70%
SIDES = ("below", "above")
MODULE = Path(__file__).resolve().parents[1] / "lossdoc" / "calibration.py"


def weighted_quantile(scores: list[float], weights: list[float], level: float) -> float:
    order = np.argsort(scores)
    s, w = np.asarray(scores)[order], np.asarray(weights, dtype=float)[order]
    cum = np.cumsum(w) / w.sum()
    return float(s[min(int(np.searchsorted(cum, min(level, 1.0) - 1e-12)), len(s) - 1)])


def conformal_factor(rows: list, side: str) -> float:
    """One side's factor over ``rows``: the corrected SIDE_LEVEL quantile, lifted for a family left behind."""
    corpus = [r for r in rows if r["corpus"]]
    synthetic = [r for r in rows if not r["corpus"]]
    weight_corpus = len(synthetic) / len(corpus) if corpus and synthetic else 1.0
    weights = [weight_corpus if r["corpus"] else 1.0 for r in rows]
    level = SIDE_LEVEL * (1 + 1 / len(rows))
    factor = weighted_quantile([r[side] for r in rows], weights, level)
    groups: dict[tuple, list] = defaultdict(list)
    for r in rows:
        groups[(r["corpus"], r["family"])].append(r[side])
    for scores in groups.values():
        if len(scores) >= MIN_GROUP:
            level = SIDE_FLOOR * (1 + 1 / len(scores))
            factor = max(factor, weighted_quantile(scores, [1.0] * len(scores), level))
    return factor


def conformal_factors(rows: list) -> tuple[float, float]:
    return conformal_factor(rows, "below"), conformal_factor(rows, "above")


def factors(rows: list) -> dict[tuple[str, str], tuple[float, float, int, int]]:
    """(situation, reach) -> (factor below, factor above, synthetic cases, corpus cases)."""
    rows = [r for r in rows if math.isfinite(r["below"]) and math.isfinite(r["above"])]
    by_cell: dict[tuple, list] = defaultdict(list)
    by_situation: dict[str, list] = defaultdict(list)
    for r in rows:
        by_cell[r["cell"]].append(r)
        by_situation[r["cell"][0]].append(r)
    out = {}
    for cell, rs in sorted(by_cell.items()):
        pool = rs if len(rs) >= MIN_CELL else by_situation[cell[0]]
        down, up = conformal_factors(pool)
        if not any(r["corpus"] for r in rs):  # no real run reached this cell: it holds at least its situation's
            pooled = conformal_factors(by_situation[cell[0]])
            down, up = max(down, pooled[0]), max(up, pooled[1])
        out[cell] = (down, up, sum(not r["corpus"] for r in rs), sum(r["corpus"] for r in rs))
    return out


def write_module(table: dict, default: tuple[float, float], seeds: range, n_rows: int) -> None:
    lines = [
        '"""Calibration factors of the projection interval, per (situation, reach): see lossdoc.forecast.interval.',
        "",
        f"Written by `python benchmarks/projection.py --calibrate` on {datetime.date.today()} from {n_rows} backtests:",
        f"synthetic multi-power-law curves of seeds {seeds.start}-{seeds.stop - 1} and the corpus runs",
        "(benchmarks/projection_calibration.py: split conformal, per side the 90% quantile of the factor each case",
        "needed). Do not edit by hand; re-run the benchmark when the fit or the interval changes.",
        '"""',
        "",
        "# (situation, reach): (factor below, factor above)  # synthetic cases, corpus cases",
        "CALIBRATION = {",
    ]
    for (situation, reach), (down, up, n_syn, n_cor) in table.items():
        lines.append(f'    ("{situation}", "{reach}"): ({_up(down)}, {_up(up)}),  # {n_syn} synthetic, {n_cor} corpus')
    lines += ["}", f"DEFAULT_FACTOR = ({_up(default[0])}, {_up(default[1])})  # all cases pooled: a cell no backtest "
              "reached", ""]
    MODULE.write_text("\n".join(lines))


def _up(factor: float) -> str:
    """A factor to 3 decimals, rounded up: the case whose score sets it stays inside its interval (rounded to the
    nearest, it sat on the edge, and the last bits of floating point decided)."""
    return f"{math.ceil(factor * 1000 - 1e-9) / 1000:.3f}"


def covered(row: dict, table: dict) -> bool:
    down, up = table[row["cell"]][:2]
    return row["below"] <= down and row["above"] <= up


def leave_one_run_out(corpus: list, synthetic: list) -> list:
    """Corpus rows covered or not by factors set without that run's own cases."""
    out = []
    for source in sorted({r["source"] for r in corpus}):
        table = factors([r for r in corpus if r["source"] != source] + synthetic)
        for r in corpus:
            if r["source"] == source and r["cell"] in table:
                out.append(dict(r, covered=covered(r, table)))
    return out


def calibrate(corpus: list, synthetic: list, seeds: range) -> None:
    rows = corpus + synthetic
    table = factors(rows)
    default = conformal_factors([r for r in rows if math.isfinite(r["below"]) and math.isfinite(r["above"])])
    print(f"{'situation':<13}{'reach':<6}{'below':>8}{'above':>8}{'synthetic':>11}{'corpus':>8}")
    for (situation, reach), (down, up, n_syn, n_cor) in table.items():
        print(f"{situation:<13}{reach:<6}{down:>8.3f}{up:>8.3f}{n_syn:>11}{n_cor:>8}")
    write_module(table, default, seeds, len(rows))
    print(f"wrote {MODULE}")
    loo = leave_one_run_out(corpus, synthetic)
    if loo:
        by_family: dict[tuple, list] = defaultdict(list)
        for r in loo:
            by_family[(r["family"], r["mode"])].append(r["covered"])
        print("corpus coverage with the factors set without the run itself (leave one run out):")
        for (family, mode), cov in sorted(by_family.items()):
            print(f"  {family:<11} schedule {mode:<6} {np.mean(cov):>4.0%} of {len(cov)}")
        print(f"  all {np.mean([r['covered'] for r in loo]):.0%} of {len(loo)}")

"""Split-conformal calibration of the projection interval (`python benchmarks/projection.py --calibrate`).

Each backtest case gives a score: the factor by which its uncalibrated half-width (Z_80 x sd) would have had to
be multiplied to just hold the truth (projection.needed_factor). The shipped factor of a cell (situation x
reach, lossdoc.curvefit.situation / reach) is the 80% quantile of the scores of its cases, with the
finite-sample correction of split conformal prediction (level 0.8 x (1 + 1/n); Lei et al. 2018, JASA 113:1094),
raised where needed so that every schedule family in the cell (corpus and synthetic apart, each with at least
MIN_GROUP cases) holds at least FAMILY_FLOOR of its cases: without a schedule a constant-LR run and a WSD run
fall in the same cell, and a factor that holds 80% of the pool could leave the constant runs at 50%.
The cases are the calibration curves (seeds CALIBRATION_SEEDS, not the ones the README table reports) and the
corpus runs; in a cell with both, the corpus cases together weigh as much as the synthetic ones, so that a
handful of real runs are not drowned by clean synthetic curves, nor the other way round. A cell with fewer
than MIN_CELL cases takes its situation's factor (all reaches pooled), and a cell no corpus run reached takes at
least that: synthetic curves alone do not narrow an interval a real run may land in.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from pathlib import Path

import numpy as np

from lossdoc.curvefit import PROJECTION_COVERAGE

MIN_CELL = 6
MIN_GROUP = 4
FAMILY_FLOOR = 0.7  # the low end of the 70-90% goal for a nominal 80% interval
MODULE = Path(__file__).resolve().parents[1] / "lossdoc" / "calibration.py"


def weighted_quantile(scores: list[float], weights: list[float], level: float) -> float:
    order = np.argsort(scores)
    s, w = np.asarray(scores)[order], np.asarray(weights, dtype=float)[order]
    cum = np.cumsum(w) / w.sum()
    return float(s[min(int(np.searchsorted(cum, min(level, 1.0) - 1e-12)), len(s) - 1)])


def conformal_factor(rows: list) -> float:
    corpus = [r for r in rows if r["corpus"]]
    synthetic = [r for r in rows if not r["corpus"]]
    weight_corpus = len(synthetic) / len(corpus) if corpus and synthetic else 1.0
    weights = [weight_corpus if r["corpus"] else 1.0 for r in rows]
    level = PROJECTION_COVERAGE * (1 + 1 / len(rows))
    factor = weighted_quantile([r["score"] for r in rows], weights, level)
    groups: dict[tuple, list] = defaultdict(list)
    for r in rows:
        groups[(r["corpus"], r["family"])].append(r["score"])
    for scores in groups.values():
        if len(scores) >= MIN_GROUP:
            level = FAMILY_FLOOR * (1 + 1 / len(scores))
            factor = max(factor, weighted_quantile(scores, [1.0] * len(scores), level))
    return factor


def factors(rows: list) -> dict[tuple[str, str], tuple[float, int, int]]:
    """(situation, reach) -> (factor, synthetic cases, corpus cases)."""
    rows = [r for r in rows if math.isfinite(r["score"])]
    by_cell: dict[tuple, list] = defaultdict(list)
    by_situation: dict[str, list] = defaultdict(list)
    for r in rows:
        by_cell[r["cell"]].append(r)
        by_situation[r["cell"][0]].append(r)
    out = {}
    for cell, rs in sorted(by_cell.items()):
        pool = rs if len(rs) >= MIN_CELL else by_situation[cell[0]]
        factor = conformal_factor(pool)
        if not any(r["corpus"] for r in rs):  # no real run reached this cell: it holds at least its situation's
            factor = max(factor, conformal_factor(by_situation[cell[0]]))
        out[cell] = (factor, sum(not r["corpus"] for r in rs), sum(r["corpus"] for r in rs))
    return out


def write_module(table: dict, default: float, seeds: range, n_rows: int) -> None:
    lines = [
        '"""Calibration factors of the projection interval, per (situation, reach): see lossdoc.curvefit.interval.',
        "",
        f"Written by `python benchmarks/projection.py --calibrate` on {datetime.date.today()} from {n_rows} backtests:",
        f"synthetic multi-power-law curves of seeds {seeds.start}-{seeds.stop - 1} and the corpus runs",
        "(benchmarks/projection_calibration.py: split conformal, the 80% quantile of the factor each case needed).",
        "Do not edit by hand; re-run the benchmark when the fit or the interval changes.",
        '"""',
        "",
        "# (situation, reach): factor  # synthetic cases, corpus cases",
        "CALIBRATION = {",
    ]
    for (situation, reach), (factor, n_syn, n_cor) in table.items():
        lines.append(f'    ("{situation}", "{reach}"): {factor:.3f},  # {n_syn} synthetic, {n_cor} corpus')
    lines += ["}", f"DEFAULT_FACTOR = {default:.3f}  # all cases pooled: a cell no backtest reached", ""]
    MODULE.write_text("\n".join(lines))


def leave_one_run_out(corpus: list, synthetic: list) -> list:
    """Corpus rows covered or not by factors set without that run's own cases."""
    out = []
    for source in sorted({r["source"] for r in corpus}):
        table = factors([r for r in corpus if r["source"] != source] + synthetic)
        for r in corpus:
            if r["source"] == source and r["cell"] in table:
                out.append(dict(r, covered=r["score"] <= table[r["cell"]][0]))
    return out


def calibrate(corpus: list, synthetic: list, seeds: range) -> None:
    rows = corpus + synthetic
    table = factors(rows)
    default = conformal_factor([r for r in rows if math.isfinite(r["score"])])
    print(f"{'situation':<13}{'reach':<6}{'factor':>8}{'synthetic':>11}{'corpus':>8}")
    for (situation, reach), (factor, n_syn, n_cor) in table.items():
        print(f"{situation:<13}{reach:<6}{factor:>8.3f}{n_syn:>11}{n_cor:>8}")
    write_module(table, default, seeds, len(rows))
    print(f"wrote {MODULE}")
    loo = leave_one_run_out(corpus, synthetic)
    if loo:
        by_family: dict[tuple, list] = defaultdict(list)
        for r in loo:
            by_family[(r["family"], r["mode"])].append(r["covered"])
        print("corpus coverage with the factors set without the run itself (leave one run out):")
        for (family, mode), covered in sorted(by_family.items()):
            print(f"  {family:<11} schedule {mode:<6} {np.mean(covered):>4.0%} of {len(covered)}")
        print(f"  all {np.mean([r['covered'] for r in loo]):.0%} of {len(loo)}")

"""Projection accuracy and interval coverage: fit the first 25/50/75% of a curve, project its last step.

Curves:
- corpus runs with enough evals (../shared/corpus): the llm.c, build-nanogpt and TinyStories runs are
  warmup + cosine; the modded-nanogpt runs (and the llm.c AdamW baseline, schedule from its README) are WSD
  (warmup, stable, linear warmdown), cut before or inside their warmdown; the stable phase of each WSD run is
  also a real constant-LR curve (family ``constant``: cut at 25/50/75% of it, projected to its last eval);
- synthetic curves from the multi-power law of Luo et al. 2025 (arXiv 2503.12811, eq. 4), a different law from
  the one lossdoc fits, written here independently: ``L(t) = L0 + A·S1(t)^(−α) − B·Σ_k (η_(k−1) − η_k)·G(η_k^(−γ)
  ·S_k(t))``, ``G(x) = 1 − (C·x + 1)^(−β)``, ``S_k(t) = Σ_(τ=k..t) η_τ``, with parameters drawn per curve
  (B so that a full decay buys ρ of the loss, ρ log-normal around the corpus runs' values; C from 0.01 to 0.1,
  a decrement half felt after 20-200 peak-LR steps, around the lag the corpus runs show), evals every 1/80
  of the run with Gaussian noise of 0.003-0.008 nats, autocorrelated (lag 1: 0-0.8) as the corpus runs' is,
  for constant, cosine, WSD and cyclic schedules.

Each curve is projected with the schedule known (logged/stated LR, or the LR series given), from the log alone
(every series cut, the log's own statements kept; a logged LR already decaying is extended by its shape) and
without anything (no LR and no meta: the power law). Reported per schedule family and prefix: mean absolute error
of the projected final loss, coverage of the stated interval (nominal 80%), and the median half-width. For the
synthetic WSD curves cut before their decay it also prints the floor no such fit can beat: the error of a predictor
that knows every parameter of the curve but its drop.

    python benchmarks/projection.py [--seeds 16] [--prior] [--markdown] [--loo | --oracle] [--calibrate]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lossdoc.analyzers import phases  # noqa: E402
from lossdoc.analyzers.projection import MIN_PROJECT_POINTS  # noqa: E402
from lossdoc.run import Run, make_run  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
PREFIXES = (0.25, 0.5, 0.75)
# (path, schedule spec when the log does not state it: from the record's README)
CORPUS_RUNS = [
    ("llmc/mng-llmc-gpt2-124M-8xH100.log", None),
    ("llmc/mng-adamw-baseline-oldfmt.log", "wsd:peak=0.0018,warmup=250,total=9536,decay=2000"),
    ("llmc_stdout/hector-a100-gpt2-124M-full.log", None),
    ("build_nanogpt/agndm-1epoch-stdout.out", None),
    ("nanogpt/yplarrywang-tinystories-50M-6000iters.log", None),
    ("modded-nanogpt/soap-6000steps.txt", None),
    ("modded-nanogpt/fp4-19073steps-spike.txt", None),
    ("modded-nanogpt/tyler-romero-6312steps-tokps-vram.txt", None),
    ("modded-nanogpt/bosalign-valonly.txt", None),  # val only, 15 evals: cooldown from 55% to a 5% floor
]
MIN_PREFIX_EVALS = MIN_PROJECT_POINTS  # a cut with fewer evals is not a curve to fit (nor does analyze project it)
EVAL_SEEDS = 16  # synthetic curves per family and length in the reported table (seeds 0-15)
CALIBRATION_SEEDS = range(100, 148)  # other curves of the same laws set the interval factors (--calibrate); 48, not
# 24: a cell's quantiles moved enough between draws of 24 that the WSD curves cut at half held 69% on seeds 0-15


# --- synthetic truth: the multi-power law, implemented here (not lossdoc's schedule or area code) ------------


def lr_schedule(kind: str, total: int, warmup: int) -> np.ndarray:
    t = np.arange(total + 1, dtype=float)
    warm = np.minimum((t + 1) / (warmup + 1), 1.0)
    if kind == "constant":
        return warm
    if kind == "cosine":
        frac = np.clip((t - warmup) / (total - warmup), 0, 1)
        return np.where(t < warmup, warm, 0.1 + 0.45 * (1 + np.cos(np.pi * frac)))
    if kind in ("wsd", "wsd40"):  # the warmdown is the last 20% (40%) of the run
        start = int((0.8 if kind == "wsd" else 0.6) * total)
        return np.where(t < warmup, warm, np.where(t < start, 1.0, 1.0 - (t - start) / (total - start)))
    if kind == "cyclic":  # three cosine cycles to 10%, each restarted by a linear re-warmup over 2% of the run
        cycle = (total - warmup) / 3
        pos = np.clip(t - warmup, 0, None) % cycle
        rewarm = 0.02 * total
        down = 0.1 + 0.45 * (1 + np.cos(np.pi * np.clip((pos - rewarm) / (cycle - rewarm), 0, 1)))
        up = 0.1 + 0.9 * pos / rewarm
        first = t < warmup + cycle
        return np.where(t < warmup, warm, np.where((pos < rewarm) & ~first, up, np.where(first, 0.1 + 0.45 * (
            1 + np.cos(np.pi * np.clip(pos / cycle, 0, 1))), down)))
    raise ValueError(kind)


def mpl_loss(lr: np.ndarray, at: np.ndarray, p: dict[str, float]) -> np.ndarray:
    """Luo et al. 2025 eq. 4 at steps ``at``; LR decrements counted after the first peak (warmup excluded)."""
    eta = lr / lr.max()
    cum = np.cumsum(eta)
    d = np.zeros_like(eta)
    d[1:] = eta[:-1] - eta[1:]
    d[: int(np.argmax(eta)) + 1] = 0.0
    ks = np.flatnonzero(d != 0)
    out = []
    for t in at.astype(int):
        k = ks[ks <= t]
        s_kt = cum[t] - cum[k - 1]
        g = 1 - (p["C"] * np.maximum(eta[k], 1e-3) ** (-p["gamma"]) * s_kt + 1) ** (-p["beta"])
        out.append(p["L0"] + p["A"] * cum[t] ** (-p["alpha"]) - p["B"] * float(np.sum(d[k] * g)))
    return np.array(out)


def ar1_noise(rng: np.random.Generator, n: int, sd: float, phi: float) -> np.ndarray:
    """Eval noise with lag-1 autocorrelation phi and marginal sd: the corpus runs' residuals around a fitted
    multi-power law have 0.002-0.006 nats of scatter and lag-1 autocorrelations from -0.4 to +0.8 (fp4), so a
    run of evals can drift together, which a fit mistakes for curvature."""
    e = rng.normal(0, sd * math.sqrt(1 - phi**2), n)
    out = np.empty(n)
    out[0] = rng.normal(0, sd)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + e[i]
    return out


RHO_MEDIAN = 0.054  # the synthetic drops' median: log-normal around it with a log-sd of 0.31 (the corpus runs')
RHO_LOG_SD = 0.31


def synthetic_runs(seeds: range) -> list[tuple[str, int, Run, float, np.ndarray, float]]:
    """(family, length, run with val/loss and train/lr, true final loss, lr, the final loss had the drop been the
    median one: what a predictor that knows every parameter of the curve but its drop would say)"""
    out = []
    for k, kind in enumerate(("constant", "cosine", "wsd", "wsd40", "cyclic")):
        for total in (5_000, 20_000):
            for seed in seeds:
                # one stream per (seed, length, family): 1000·seed + total + len(kind) gave seed 15 at 5K the draws
                # of seed 0 at 20K (and 9 such pairs among the calibration seeds), and the cosines the cyclic ones'
                rng = np.random.default_rng([seed, total, k])
                alpha = rng.uniform(0.3, 0.6)
                l0 = rng.uniform(2.0, 3.2)
                a = rng.uniform(3.0, 5.0) * 100**alpha  # 3-5 nats above L0 after 100 peak-LR steps
                rho = math.exp(rng.normal(math.log(RHO_MEDIAN), RHO_LOG_SD))
                p = {"L0": l0, "A": a, "alpha": alpha, "C": rng.uniform(0.01, 0.1), "beta": rng.uniform(0.4, 0.8),
                     "gamma": rng.uniform(0.3, 0.6)}
                p["B"] = rho * (l0 + a * total ** (-alpha))
                lr = lr_schedule(kind, total, warmup=int(0.02 * total)) * 6e-4
                at = np.unique(np.linspace(0, total, 81).astype(int))
                clean = mpl_loss(lr, at, p)
                noisy = clean + ar1_noise(rng, len(at), rng.uniform(0.003, 0.008), rng.uniform(0.0, 0.8))
                steps = np.arange(total + 1)
                run = make_run(f"{kind}-{total}-{seed}", {"val/loss": (at, noisy), "train/lr": (steps, lr)},
                               {"format": "synthetic"})
                blind = mpl_loss(lr, at[-1:], dict(p, B=p["B"] * RHO_MEDIAN / rho))[0]
                out.append(("wsd" if kind == "wsd40" else kind, total, run, float(clean[-1]), lr, float(blind)))
    return out


# --- backtest -----------------------------------------------------------------------------------------------


MODES = {"known": "schedule known", "log": "the log alone", "none": "nothing known"}


def cut_run(run: Run, cut: int, mode: str) -> Run:
    """The run as of step ``cut``. ``known``: the LR of every step stays (the schedule known, as --schedule
    gives it); ``log``: every series ends at the cut, the log's own statements (meta: header, embedded code)
    stay, as a user's partial log is; ``none``: no LR and no meta at all."""
    df = run.df
    metric = df["metric"].astype(str)
    part = df[~metric.str.endswith("loss") | (df["step"] <= cut)] if mode == "known" else df[df["step"] <= cut]
    meta = dict(run.meta)
    if mode == "none":
        part = part[part["metric"].astype(str) != "lr"]
        meta = {"format": "test"}
    return Run(run.name, part.reset_index(drop=True), meta)


def decay_start(lr: np.ndarray) -> int:
    peak = int(np.argmax(lr))
    below = np.flatnonzero(lr[peak:] < lr[peak] * 0.999)
    return peak + int(below[0]) if len(below) else len(lr)


def family_of(kind: str, cut: int, lr: np.ndarray | None) -> str:
    if kind != "wsd" or lr is None:
        return kind
    return "wsd_before" if cut < decay_start(lr) else "wsd_after"


def backtest_one(rows: list, source: str, kind: str, run: Run, final_step: int, truth: float,
                 lr: np.ndarray | None, spec: str | None, corpus: bool, modes: tuple[str, ...] = tuple(MODES)) -> None:
    """One row per prefix and schedule state (cut_run's modes): the error, the stated interval, and what it was
    made of."""
    val_steps = run.arrays("val/loss")[0]
    for frac in PREFIXES:
        cut = int(final_step * frac)
        if int(np.sum(val_steps <= cut)) < MIN_PREFIX_EVALS:
            continue
        for mode in modes:
            row = {"source": source, "family": family_of(kind, cut, lr), "frac": frac, "mode": mode,
                   "corpus": corpus}
            try:
                r = phases.analyze(cut_run(run, cut, mode), series="val/loss", project=final_step,
                                   schedule=spec if mode == "known" else None)
            except Exception as exc:  # a failure is a result: count it
                rows.append(dict(row, err=math.nan, covered=False, half=math.nan, form=str(exc), below=math.inf,
                                 above=math.inf))
                continue
            pr = r.projection
            assert 0 < pr["low"] <= pr["loss"] <= pr["high"], (source, frac, pr)
            rows.append(dict(row, err=pr["loss"] - truth, covered=pr["low"] <= truth <= pr["high"],
                             half=(pr["high"] - pr["low"]) / 2, form=r.fit["form"],
                             **needed_factors(pr, truth), sd=pr["calibration"]["sd"],
                             cell=(pr["calibration"]["situation"], pr["calibration"]["reach"])))


def needed_factors(pr: dict, truth: float) -> dict[str, float]:
    """The calibration factor each side would have needed to just hold the truth: the conformity scores of split
    conformal prediction (Lei et al. 2018, "Distribution-free predictive inference for regression", JASA), the
    error in units of Z_80 x the uncalibrated sd, the low end's allowance for an unseen decay (no schedule) counted;
    0 on the side the truth is not on."""
    from lossdoc.forecast import Z_80

    unit = Z_80 * pr["calibration"]["sd"]
    return {"above": max((truth - pr["loss"]) / unit, 0.0),
            "below": max((pr["loss"] - truth - pr["unknown_decay"]) / unit, 0.0)}


def corpus_cases() -> list[tuple[str, str, Run, int, float, np.ndarray | None, str | None]]:
    from lossdoc import load
    from lossdoc.schedule import parse_schedule, schedule_for

    out = []
    for rel, spec in CORPUS_RUNS:
        path = CORPUS / rel
        if not path.exists():
            continue
        run = load(path)[0]
        steps, vals = run.arrays("val/loss")
        ok = np.isfinite(vals)
        final_step, truth = int(steps[ok][-1]), float(vals[ok][-1])
        sched = parse_schedule(spec, final_step + 1) if spec else schedule_for(run, final_step + 1)[0]
        lr = sched.lr if sched is not None else None
        kind = "cosine" if lr is not None and decay_start(lr) < 0.5 * final_step else "wsd"
        out.append((Path(rel).name, kind, run, final_step, truth, lr, spec))
    return out


def mae(rows: list) -> float:
    return float(np.nanmean([abs(r["err"]) for r in rows]))


def coverage(rows: list) -> float:
    return float(np.mean([r["covered"] for r in rows]))


def table(rows: list, title: str) -> None:
    groups: dict[tuple, list] = defaultdict(list)
    for row in rows:
        groups[(row["family"], row["frac"], row["mode"])].append(row)
    print(f"\n{title}")
    print(f"{'family':<12}{'prefix':>7}  {'schedule':<9}{'n':>4}{'MAE':>9}{'max|err|':>10}{'cover80':>9}{'±half':>8}")
    order = list(MODES)
    for (fam, frac, mode), rs in sorted(groups.items(), key=lambda kv: (kv[0][0], order.index(kv[0][2]), kv[0][1])):
        worst = np.nanmax([abs(r["err"]) for r in rs])
        print(f"{fam:<12}{frac:>7.0%}  {mode:<9}{len(rs):>4}{mae(rs):>9.4f}"
              f"{worst:>10.4f}{coverage(rs):>9.0%}{np.nanmedian([r['half'] for r in rs]):>8.4f}")
    for mode, label in MODES.items():
        rs = [r for r in rows if r["mode"] == mode]
        if rs:
            print(f"all, {label}: n={len(rs)} MAE {mae(rs):.4f}, coverage {coverage(rs):.0%}")


def markdown(corpus: list, synthetic: list) -> None:
    """One README table: per family and prefix, MAE and 80% coverage, corpus and synthetic, per schedule state."""
    def cell(rows: list, fam: str, frac: float, mode: str) -> str:
        rs = [r for r in rows if r["family"] == fam and r["frac"] == frac and r["mode"] == mode]
        return f"{mae(rs):.3f} / {coverage(rs):.0%} ({len(rs)})" if rs else "–"

    print("\n| family | prefix | corpus, schedule known | corpus, the log alone | corpus, nothing known "
          "| synthetic, known | synthetic, the log alone | synthetic, nothing |")
    print("|---|---|---|---|---|---|---|---|")
    for fam in ("constant", "cosine", "cyclic", "wsd_before", "wsd_after"):
        for frac in PREFIXES:
            cells = [cell(corpus, fam, frac, m) for m in MODES] + [cell(synthetic, fam, frac, m) for m in MODES]
            if any(c != "–" for c in cells):
                print(f"| {fam} | {frac:.0%} | " + " | ".join(cells) + " |")


def drop_blind_floor(rows: list) -> None:
    """What no fit of a prefix that shows no decay can beat: the MAE of a predictor that knows every parameter of each
    synthetic curve but its drop, and takes the drops' median in its place (the median minimises the expected absolute
    error)."""
    for frac in PREFIXES:
        rs = [r for r in rows if r["family"] == "wsd_before" and r["frac"] == frac and r["mode"] == "known"]
        if rs:
            floor = float(np.mean([abs(r["drop_blind_err"]) for r in rs]))
            print(f"wsd_before {frac:.0%}: MAE {mae(rs):.4f}; knowing all but the drop {floor:.4f} (n={len(rs)})")


def full_run_priors(cases: list, show: bool = False) -> dict[str, tuple[float, float]]:
    """Each corpus run's (log ρ, α) from a fit of its whole curve, the priors made weak."""
    from lossdoc import curvefit

    saved = curvefit.ANNEAL_PRIOR_LOG_SD, curvefit.ALPHA_PRIOR_SD
    curvefit.ANNEAL_PRIOR_LOG_SD, curvefit.ALPHA_PRIOR_SD = 10.0, 10.0
    out = {}
    for name, _kind, run, final_step, _truth, _lr, spec in cases:
        r = phases.analyze(run, series="val/loss", project=final_step, schedule=spec)
        rho, alpha = r.fit["params"].get("rho"), r.fit["params"].get("alpha")
        if rho:
            out[name] = (math.log(rho), alpha)
            if show:
                print(f"{name:<48} rho {rho:.4f}  (log-sd from the data {r.fit['prior']['rho_log_sd']:.3f})"
                      f"  alpha {alpha:.3f}")
    curvefit.ANNEAL_PRIOR_LOG_SD, curvefit.ALPHA_PRIOR_SD = saved
    return out


def prior_report() -> None:
    """Each corpus run's ρ and α from a fit of its whole curve (the priors made weak): the numbers behind them."""
    own = full_run_priors(corpus_cases(), show=True)
    if own:
        logs, alphas = [v[0] for v in own.values()], [v[1] for v in own.values()]
        print(f"rho: geometric mean {math.exp(np.mean(logs)):.4f}, log-sd {np.std(logs, ddof=1):.3f}; "
              f"alpha: mean {np.mean(alphas):.3f}, sd {np.std(alphas, ddof=1):.3f}; "
              f"correlation {np.corrcoef(logs, alphas)[0, 1]:.2f}; over {len(own)} runs")


def corpus_rows(prior: str | None) -> list:
    """prior ``loo``: each run's priors (ρ and α) from the other runs' own whole-curve fits; ``oracle``: ρ from the
    run's own whole curve (what the fits would reach if the drop were known: the limit of a prior); None: the
    shipped priors."""
    from lossdoc import curvefit

    rows: list = []
    cases = corpus_cases()
    if not cases:
        print("corpus absent: corpus backtest skipped")
    own = full_run_priors(cases) if prior else {}
    names = ("ANNEAL_PRIOR_RHO", "ANNEAL_PRIOR_LOG_SD", "ALPHA_PRIOR", "ALPHA_PRIOR_SD", "ANNEAL_PRIOR_CORR")
    for name, kind, run, final_step, truth, lr, spec in cases:
        saved = [getattr(curvefit, n) for n in names]
        if prior == "loo":  # the priors from the other runs only: the run being projected did not help set them
            others = [v for k, v in own.items() if k != name]
            curvefit.ANNEAL_PRIOR_RHO = math.exp(float(np.mean([o[0] for o in others])))
            curvefit.ANNEAL_PRIOR_LOG_SD = float(np.std([o[0] for o in others], ddof=1))
            curvefit.ALPHA_PRIOR = float(np.mean([o[1] for o in others]))
            curvefit.ALPHA_PRIOR_SD = float(np.std([o[1] for o in others], ddof=1))
            # ANNEAL_PRIOR_CORR stays: a constant chosen on the synthetic curves as much as on these runs
        elif prior == "oracle":
            curvefit.ANNEAL_PRIOR_RHO, curvefit.ANNEAL_PRIOR_LOG_SD = math.exp(own[name][0]), 0.02
            curvefit.ANNEAL_PRIOR_CORR = 0.0  # the drop is given, not read from α
        backtest_one(rows, name, kind, run, final_step, truth, lr, spec, corpus=True)
        if kind == "wsd" and lr is not None:  # its stable phase is a real constant-LR curve: project to its end
            end, value = last_eval_before(run, decay_start(lr))
            backtest_one(rows, name, "constant", run, end, value, lr, spec, corpus=True)
        for n, v in zip(names, saved, strict=True):
            setattr(curvefit, n, v)
    return rows


def last_eval_before(run: Run, step: int) -> tuple[int, float]:
    steps, vals = run.arrays("val/loss")
    ok = np.isfinite(vals) & (steps < step)
    return int(steps[ok][-1]), float(vals[ok][-1])


def synthetic_rows(seeds: range, modes: tuple[str, ...] = ("known", "none"), oracle: bool = False) -> list:
    """``log`` (the LR logged up to the cut, no schedule stated: lossdoc extends a decay it already shows) is
    reported, not calibrated on: its cases are known-like or none-like ones again. ``oracle``: each curve's own
    drop (ρ of a fit of its whole curve, the priors made weak) as the ρ prior, as corpus_rows does."""
    from lossdoc import curvefit

    rows: list = []
    saved = curvefit.ANNEAL_PRIOR_RHO, curvefit.ANNEAL_PRIOR_LOG_SD, curvefit.ANNEAL_PRIOR_CORR
    for kind, total, run, truth, lr, blind in synthetic_runs(seeds):
        if oracle:
            own = own_rho(run, total)
            if own is not None:
                curvefit.ANNEAL_PRIOR_RHO, curvefit.ANNEAL_PRIOR_LOG_SD, curvefit.ANNEAL_PRIOR_CORR = own, 0.02, 0.0
        start = len(rows)
        backtest_one(rows, f"{kind}-{total}", kind, run, total, truth, lr, None, corpus=False, modes=modes)
        for row in rows[start:]:
            row["drop_blind_err"] = blind - truth
        curvefit.ANNEAL_PRIOR_RHO, curvefit.ANNEAL_PRIOR_LOG_SD, curvefit.ANNEAL_PRIOR_CORR = saved
    return rows


def own_rho(run: Run, final_step: int) -> float | None:
    """ρ of a fit of the whole curve, the priors made weak (what full_run_priors measures on a corpus run)."""
    from lossdoc import curvefit

    saved = curvefit.ANNEAL_PRIOR_LOG_SD, curvefit.ALPHA_PRIOR_SD
    curvefit.ANNEAL_PRIOR_LOG_SD, curvefit.ALPHA_PRIOR_SD = 10.0, 10.0
    try:
        return phases.analyze(run, series="val/loss", project=final_step).fit["params"].get("rho")
    finally:
        curvefit.ANNEAL_PRIOR_LOG_SD, curvefit.ALPHA_PRIOR_SD = saved


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=EVAL_SEEDS, help="synthetic curves per schedule family and length")
    parser.add_argument("--prior", action="store_true", help="print the corpus runs' annealing drop (the prior)")
    parser.add_argument("--markdown", action="store_true", help="also print the README table")
    parser.add_argument("--loo", action="store_true", help="corpus: the prior from the other runs (leave-one-out)")
    parser.add_argument("--oracle", action="store_true",
                        help="each curve's own annealing drop as the prior (the limit of any prior)")
    parser.add_argument("--calibrate", action="store_true",
                        help="set the interval factors (lossdoc/calibration.py) on the calibration curves and corpus")
    args = parser.parse_args()
    if args.prior:
        prior_report()
        return
    start = time.perf_counter()
    if args.calibrate:
        from projection_calibration import calibrate

        corpus = [r for r in corpus_rows(None) if r["mode"] != "log"]  # "log" repeats known or none cases
        calibrate(corpus, synthetic_rows(CALIBRATION_SEEDS), CALIBRATION_SEEDS)
        print(f"\n{time.perf_counter() - start:.0f} s")
        return
    prior = "loo" if args.loo else "oracle" if args.oracle else None
    rows = corpus_rows(prior)
    table(rows, "Corpus runs (val loss; truth = the last logged eval)" + {
        "loo": ", prior leave-one-out", "oracle": ", each run's own drop as the prior", None: ""}[prior])
    syn = synthetic_rows(range(args.seeds), tuple(MODES), oracle=prior == "oracle")
    table(syn, f"Synthetic multi-power-law curves ({args.seeds} seeds x 2 lengths per family, not the "
               "calibration curves)")
    drop_blind_floor(syn)
    if args.markdown:
        markdown(rows, syn)
    failures = [r for r in rows + syn if r["form"] not in ("lr_annealing", "power_law")]
    print(f"\nfailures: {len(failures)}; {time.perf_counter() - start:.0f} s")
    for f in failures[:5]:
        print("  ", f)


if __name__ == "__main__":
    main()

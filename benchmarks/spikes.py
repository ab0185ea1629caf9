"""Accuracy of the spike detector: recall and precision on injected spikes, false positives on clean curves,
and what it flags in each log of the corpus.

    python benchmarks/spikes.py [--curves 40] [--clean-steps 1000000] [--no-corpus]

Synthetic curves are GPT-like (power-law decay from ~10.8 to ~3.3) with multiplicative Gaussian noise
(1% unless stated). Injected spikes: single-step, sustained (decaying linearly back over 50–500 steps) and
downward one-step outliers, of 5%, 10%, 20% and 50% of the loss, at least 1,000 steps apart and after step
1,000. A detection matches an injected spike when its onset is within 2 steps of it and it has the same sign.
Targets (issue 5): recall >= 95% for spikes of >= 10% of the loss; <= 1 false positive per 100K clean steps
at 1% noise.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lossdoc  # noqa: E402
from lossdoc.analyzers import spikes  # noqa: E402
from lossdoc.run import make_run  # noqa: E402

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SIZES = (0.05, 0.10, 0.20, 0.50)
SHAPES = ("single-step", "sustained", "downward")
MATCH_STEPS = 2


def base_curve(n: int, noise: float, rng: np.random.Generator, heavy: bool = False) -> np.ndarray:
    steps = np.arange(n)
    clean = 3.0 + 7.8 * (1 + steps / rng.uniform(30, 300)) ** -rng.uniform(0.35, 0.6)
    eps = rng.standard_t(5, n) / np.sqrt(5 / 3) if heavy else rng.standard_normal(n)  # unit variance
    return clean * (1 + noise * eps)


def inject(y: np.ndarray, rng: np.random.Generator, count: int) -> list[tuple[int, float, str]]:
    """Inject `count` spikes at random steps >= 1000, >= 1000 apart; returns (step, size, shape)."""
    n = len(y)
    slots = rng.choice(np.arange(1000, n - 600, 1000), size=count, replace=False)
    truth = []
    for slot in np.sort(slots):
        step = int(slot + rng.integers(0, 400))
        size = float(rng.choice(SIZES))
        shape = str(rng.choice(SHAPES))
        if shape == "single-step":
            y[step] *= 1 + size
        elif shape == "downward":
            y[step] *= 1 - size / 2 if size >= 0.5 else 1 - size  # a 50% drop is /2, keep the loss positive
        else:
            length = int(rng.integers(50, 500))
            y[step : step + length] *= 1 + size * (1 - np.arange(length) / length)
        truth.append((step, size, shape))
    return truth


def score_synthetic(curves: int, steps: int, per_curve: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    found = {(size, shape): [0, 0] for size in SIZES for shape in SHAPES}
    detections = matched = 0
    for _ in range(curves):
        y = base_curve(steps, 0.01, rng)
        truth = inject(y, rng, per_curve)
        result = spikes.analyze(make_run("s", {"train/loss": (np.arange(steps), y)}))
        det = [(s.step, 1 if s.jump > 0 else -1) for s in result.spikes]
        detections += len(det)
        used = set()
        for step, size, shape in truth:
            sign = -1 if shape == "downward" else 1
            hit = next((k for k, (d, sg) in enumerate(det) if abs(d - step) <= MATCH_STEPS and sg == sign), None)
            found[(size, shape)][1] += 1
            if hit is not None:
                found[(size, shape)][0] += 1
                used.add(hit)
        matched += len(used)
    print(f"\nInjected spikes: {curves} curves x {steps:,} steps, {per_curve} spikes each, 1% noise")
    print(f"{'size':>6} " + " ".join(f"{shape:>14}" for shape in SHAPES) + f" {'all shapes':>12}")
    for size in SIZES:
        cells, hit_all, tot_all = [], 0, 0
        for shape in SHAPES:
            hit, tot = found[(size, shape)]
            hit_all, tot_all = hit_all + hit, tot_all + tot
            cells.append(f"{hit:>5}/{tot:<4} {100 * hit / tot if tot else float('nan'):3.0f}%")
        print(f"{100 * size:5.0f}% " + " ".join(f"{c:>14}" for c in cells) + f" {100 * hit_all / tot_all:11.1f}%")
    big = [v for (size, _), v in found.items() if size >= 0.10]
    recall_big = sum(h for h, _ in big) / sum(t for _, t in big)
    print(f"recall, spikes >= 10% of the loss: {100 * recall_big:.1f}%   (target >= 95%)")
    print(f"precision: {matched}/{detections} = {100 * matched / max(detections, 1):.1f}%")


def score_sparse(curves: int, seed: int) -> None:
    """Eval-like series: 80 points (every 250 steps of 20K), one spike of 10–50% after the first 20 points."""
    rng = np.random.default_rng(seed)
    hits = fps = 0
    for _ in range(curves):
        y = base_curve(20_000, 0.003, rng)[::250].copy()  # evals average many batches: 0.3% noise
        k = int(rng.integers(20, 75))
        y[k] *= 1 + float(rng.choice(SIZES[1:]))
        result = spikes.analyze(make_run("s", {"val/loss": (np.arange(0, 20_000, 250), y)}))
        steps = [s.step for s in result.spikes]
        hits += k * 250 in steps
        fps += sum(1 for s in steps if s != k * 250)
    print(f"\nSparse (80 evals, 0.3% noise, one spike of 10–50%): recall {hits}/{curves}, other flags {fps}")


def score_excursions(curves: int, steps: int, seed: int) -> None:
    """2- and 3-point excursions of 10-50%: each must be one event (kind "short", recovered at the first point
    back inside the band), not one "single-step" spike per point (issue 8)."""
    rng = np.random.default_rng(seed)
    injected = one_event = short = right_end = extra = 0
    for _ in range(curves):
        y = base_curve(steps, 0.01, rng)
        truth = []
        for slot in np.arange(1000, steps - 600, 1000):
            step, length = int(slot + rng.integers(0, 400)), int(rng.integers(2, 4))
            y[step : step + length] *= 1 + float(rng.choice(SIZES[1:]))
            truth.append((step, length))
        found = [s for s in spikes.analyze(make_run("e", {"train/loss": (np.arange(steps), y)})).spikes if s.jump > 0]
        for step, length in truth:
            injected += 1
            near = [s for s in found if step - MATCH_STEPS <= s.step < step + length]
            one_event += len(near) == 1
            extra += max(0, len(near) - 1)
            if len(near) == 1:
                short += near[0].kind == "short"
                right_end += near[0].recovery_step == step + length
    print(
        f"\n2-3 point excursions ({injected} of 10-50%, 1% noise): one event {one_event}/{injected}, "
        f"kind short {short}, recovered at the first point back {right_end}, extra events {extra}"
    )


def score_clean(total_steps: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    print(f"\nClean curves ({total_steps:,} steps each row, in curves of 100,000 steps)")
    print(f"{'noise':<28} {'false positives':>16} {'per 100K steps':>15}   target")
    for label, noise, heavy in (
        ("1% Gaussian", 0.01, False),
        ("3% Gaussian", 0.03, False),
        ("1% Student-t (df 5)", 0.01, True),
    ):
        fp = 0
        for _ in range(max(1, total_steps // 100_000)):
            y = base_curve(100_000, noise, rng, heavy)
            fp += len(spikes.analyze(make_run("c", {"train/loss": (np.arange(100_000), y)})).spikes)
        per = fp / (total_steps / 100_000)
        target = "<= 1" if label == "1% Gaussian" else ""
        print(f"{label:<28} {fp:>16} {per:>15.2f}   {target}")


def corpus_table() -> None:
    if not CORPUS.exists():
        print("\n(corpus absent: skipped)")
        return
    print(f"\nCorpus ({CORPUS})")
    print(f"{'log':<62} {'points':>7} {'flags':>5}  largest / notes")
    for path in sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "README.md"):
        rel = str(path.relative_to(CORPUS))
        try:
            runs = lossdoc.load(path)
        except lossdoc.InputError as exc:
            print(f"{rel:<62} {'':>7} {'':>5}  not read: {str(exc)[:60]}")
            continue
        run = max(runs, key=lambda r: len(r.df))
        if spikes.applies(run):
            print(f"{rel:<62} {'':>7} {'':>5}  no loss series")
            continue
        start = time.perf_counter()
        res = spikes.analyze(run)
        dt = time.perf_counter() - start
        points = sum(int(run.series(n).notna().sum()) for n in res.series)
        kinds: dict[str, int] = {}
        for s in res.spikes:
            key = s.kind if s.jump > 0 else "down"
            kinds[key] = kinds.get(key, 0) + 1
        top = sorted(res.spikes, key=lambda s: -abs(s.jump_pct))[:3]
        notes = ", ".join(f"{s.series.split('/')[0]}@{s.step} {s.jump_pct:+.0f}% {s.kind}" for s in top)
        extra = " ".join(f"{k}:{v}" for k, v in kinds.items())
        if res.nonfinite:
            extra += f" NaN@{res.nonfinite[0]['step']}"
        runs_note = f" [{len(runs)} runs, largest]" if len(runs) > 1 else ""
        print(f"{rel:<62} {points:>7} {len(res.spikes):>5}  {extra} | {notes}{runs_note} ({dt:.2f}s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--curves", type=int, default=40)
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--per-curve", type=int, default=12)
    parser.add_argument("--clean-steps", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-corpus", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    score_synthetic(args.curves, args.steps, args.per_curve, args.seed)
    score_sparse(args.curves, args.seed + 1)
    score_excursions(args.curves // 2, args.steps, args.seed + 3)
    score_clean(args.clean_steps, args.seed + 2)
    if not args.no_corpus:
        corpus_table()
    print(f"\n({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()

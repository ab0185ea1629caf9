"""Cost of `lossdoc phases --json` against `lossdoc show --json` on the same generated 1,000,000-line nanoGPT log,
timed in the same run (best of N wall-clock runs each). Goal: phases <= 1.5x show.

Also the in-process cost of the analysis alone (series choice, binning, segmentation) on the parsed run, on both
the val series the command picks and on the million-point train series (--series train/loss).

Then a projection backtest on the corpus cosine runs (val loss cut at 30/50/70%, the last eval projected):
the schedule-aware fit against a plain power law, error and whether the 90% interval holds the logged value.

    python benchmarks/phases.py [--lines 1000000] [--repeat 3] [--backtest-only]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from big_log import write_big_nanogpt_log  # noqa: E402
from timing import best_of_command  # noqa: E402

GOAL = 1.5  # issue 4: phases costs at most 1.5x the time of show



def in_process(log: Path, repeat: int) -> dict[str, float]:
    from lossdoc import load
    from lossdoc.analyzers import phases

    run = load(log)[0]
    out = {}
    for series in ("val/loss", "train/loss"):
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            phases.analyze(run, series=series, target=3.5)
            times.append(time.perf_counter() - start)
        out[series] = min(times)
    out["points"] = float(len(run.series("train/loss")))
    return out


CORPUS = ROOT.parent / "shared" / "corpus"
BACKTEST_LOGS = [
    "llmc/mng-llmc-gpt2-124M-8xH100.log",
    "llmc_stdout/hector-a100-gpt2-124M-full.log",
    "nanogpt/yplarrywang-tinystories-50M-6000iters.log",
]


def backtest() -> None:
    """Projection accuracy: fit the val loss up to a cut, project the last eval, compare with the log."""
    from lossdoc import load
    from lossdoc.analyzers import phases
    from lossdoc.run import Run

    rows = []
    for rel in BACKTEST_LOGS:
        path = CORPUS / rel
        if not path.exists():
            continue
        run = load(path)[0]
        val = run.series("val/loss").dropna()
        final_step, final = int(val.index[-1]), float(val.iloc[-1])
        for frac in (0.3, 0.5, 0.7):
            cut = int(final_step * frac)
            df = run.df
            keep = ~df["metric"].astype(str).str.endswith("loss") | (df["step"] <= cut)
            for blind in (False, True):
                part = df[keep]
                meta = dict(run.meta)
                if blind:  # no LR information at all: the plain power law
                    part = part[part["metric"].astype(str) != "lr"]
                    meta = {"format": "test"}
                r = phases.analyze(Run(run.name, part.reset_index(drop=True), meta), project=final_step)
                pr = r.projection
                rows.append(
                    (
                        Path(rel).name[:34],
                        frac,
                        r.fit["form"],
                        pr["loss"],
                        final,
                        pr["low"] <= final <= pr["high"],
                        (pr["high"] - pr["low"]) / 2,
                    )
                )
    if not rows:
        print("backtest: corpus absent, skipped")
        return
    print(f"\n{'log':<35}{'cut':>5} {'form':<13}{'projected':>10}{'actual':>9}{'error':>9}{'± 90%':>8}  inside")
    for name, frac, form, got, want, inside, half in rows:
        print(f"{name:<35}{frac:>5.0%} {form:<13}{got:>10.4f}{want:>9.4f}{got - want:>+9.4f}{half:>8.4f}  {inside}")
    for form in ("lr_annealing", "power_law"):
        picked = [r for r in rows if r[2] == form]
        if picked:
            err = sum(abs(r[3] - r[4]) for r in picked) / len(picked)
            med = sorted(abs(r[3] - r[4]) for r in picked)[len(picked) // 2]
            half = sorted(r[6] for r in picked)[len(picked) // 2]
            cover = sum(r[5] for r in picked)
            print(
                f"{form}: mean |error| {err:.4f}, median {med:.4f}, "
                f"median half-width {half:.4f}, coverage {cover}/{len(picked)}"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backtest-only", action="store_true", help="Only the projection backtest (corpus).")
    args = parser.parse_args()
    if args.backtest_only:
        backtest()
        return
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        log = write_big_nanogpt_log(Path(tmp) / "big.log", args.lines)
        show = best_of_command([py, "-m", "lossdoc", "show", "--json", str(log)], args.repeat)[0]
        phases = best_of_command([py, "-m", "lossdoc", "phases", "--json", str(log)], args.repeat)[0]
        phases_train = best_of_command(
            [py, "-m", "lossdoc", "phases", "--json", "--series", "train/loss", "--target", "3.5", str(log)],
            args.repeat,
        )[0]
        inner = in_process(log, args.repeat)
    print(f"log: {args.lines:,} lines, {inner['points']:,.0f} train points; best of {args.repeat}")
    print(f"{'measure':<52} {'seconds':>8} {'ratio':>7}")
    print(f"{'lossdoc show --json':<52} {show:8.2f} {1.0:7.2f}")
    print(f"{'lossdoc phases --json (val/loss)':<52} {phases:8.2f} {phases / show:7.2f}   goal <= {GOAL:.2f}")
    label = "lossdoc phases --json --series train/loss --target"
    print(f"{label:<52} {phases_train:8.2f} {phases_train / show:7.2f}   goal <= {GOAL:.2f}")
    print(f"{'analysis alone, val/loss (in process)':<52} {inner['val/loss']:8.3f}")
    print(f"{'analysis alone, train/loss + target (in process)':<52} {inner['train/loss']:8.3f}")
    backtest()


if __name__ == "__main__":
    main()

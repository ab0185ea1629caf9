"""Cost of `lossdoc phases --json` against `lossdoc show --json` on the same generated 1,000,000-line nanoGPT log,
timed in the same run (best of N wall-clock runs each). Goal: phases <= 1.5x show.

Also the in-process cost of the analysis alone (series choice, binning, segmentation) on the parsed run, on both
the val series the command picks and on the million-point train series (--series train/loss).

The projection's accuracy is measured by benchmarks/projection.py.

    python benchmarks/phases.py [--lines 1000000] [--repeat 3]
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()

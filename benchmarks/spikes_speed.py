"""Cost of the spike analysis: `lossdoc spikes --json` against `lossdoc show --json` on the same generated
1,000,000-line nanoGPT log (benchmarks/big_log.py), best of N wall-clock runs each, as a ratio.
Both commands read the log the same way, so the ratio is what the analysis adds (goal: <= 1.5x).

    python benchmarks/spikes_speed.py [--lines 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from big_log import write_big_nanogpt_log  # noqa: E402
from timing import best_of_command  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]



def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = write_big_nanogpt_log(Path(tmp) / "big.log", args.lines)
        py = sys.executable
        show, _ = best_of_command([py, "-m", "lossdoc", "show", "--json", str(log)], args.repeat)
        spikes, out = best_of_command([py, "-m", "lossdoc", "spikes", "--json", str(log)], args.repeat)
    doc = json.loads(out)
    points = sum(1 for _ in doc["spikes"])
    print(f"log: {args.lines:,} lines (generated, 1% noise, no injected spikes); best of {args.repeat}")
    print(f"{'command':<28} {'seconds':>8} {'ratio':>7}")
    print(f"{'lossdoc show --json':<28} {show:8.2f} {1.0:7.2f}")
    print(f"{'lossdoc spikes --json':<28} {spikes:8.2f} {spikes / show:7.2f}   goal <= 1.50")
    print(f"spikes flagged: {points} (the generated curve is clean: any flag is a false positive)")


if __name__ == "__main__":
    main()

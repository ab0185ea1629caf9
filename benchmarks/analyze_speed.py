"""Cost of the whole report: `lossdoc analyze --html` (and --plot) against `lossdoc show --json` on the same
generated 1,000,000-line nanoGPT log (benchmarks/big_log.py), best of N wall-clock runs each, as a ratio.
Both read the log the same way; the ratio is what the analyses and the charts add (goal: analyze --html <= 1.5x).

    python benchmarks/analyze_speed.py [--lines 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from big_log import write_big_nanogpt_log  # noqa: E402
from timing import best_of_command, measure  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        log = write_big_nanogpt_log(Path(tmp) / "big.log", args.lines)
        html, png = Path(tmp) / "report.html", Path(tmp) / "report.png"
        commands = {
            "lossdoc show --json": [py, "-m", "lossdoc", "show", "--json", str(log)],
            "lossdoc analyze --html": [py, "-m", "lossdoc", "analyze", str(log), "--html", str(html)],
            "lossdoc analyze --html --plot": [py, "-m", "lossdoc", "analyze", str(log), "--html", str(html),
                                              "--plot", str(png)],
        }
        wall = {name: best_of_command(cmd, args.repeat)[0] for name, cmd in commands.items()}
        cpu = {name: measure(cmd, args.repeat)[1] for name, cmd in commands.items()}
        size = html.stat().st_size
    print(f"log: {args.lines:,} lines (generated); best of {args.repeat}")
    print(f"{'command':<32} {'wall s':>7} {'ratio':>6} {'CPU s':>7} {'ratio':>6}")
    base = "lossdoc show --json"
    for name in commands:
        goal = "   goal <= 1.50" if name == "lossdoc analyze --html" else ""
        print(f"{name:<32} {wall[name]:7.2f} {wall[name] / wall[base]:6.2f} {cpu[name]:7.2f} "
              f"{cpu[name] / cpu[base]:6.2f}{goal}")
    print(f"HTML report: {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()

"""Speed of reading: `lossdoc show --json` on a generated 1,000,000-line nanoGPT log, against a plain Python
script that runs one compiled regex over the file's text and converts the numbers, timed in the same run.
Also the start-up time of `lossdoc --help`. Best of N wall-clock runs each, as ratios (goal: show <= 2x).

    python benchmarks/show_speed.py [--lines 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from big_log import write_big_nanogpt_log  # noqa: E402
from timing import best_of_command  # noqa: E402

BASELINE = r"""
import re, sys
text = open(sys.argv[1]).read()
rows = re.compile(r"^iter (\d+): loss ([^,]+), time ([\d.]+)ms, mfu ([-\d.]+)%$", re.M).findall(text)
points = [(int(s), float(l), float(t), float(m)) for s, l, t, m in rows]
print(len(points))
"""



def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        log = write_big_nanogpt_log(Path(tmp) / "big.log", args.lines)
        script = Path(tmp) / "baseline.py"
        script.write_text(BASELINE)
        py = sys.executable
        baseline = best_of_command([py, str(script), str(log)], args.repeat)[0]
        show = best_of_command([py, "-m", "lossdoc", "show", "--json", str(log)], args.repeat)[0]
        helptime = best_of_command([py, "-m", "lossdoc", "--help"], args.repeat)[0]
    print(f"{'measure':<44} {'seconds':>8} {'ratio':>7}")
    print(f"{'baseline: one regex + float() over the text':<44} {baseline:8.2f} {1.0:7.2f}")
    print(f"{'lossdoc show --json':<44} {show:8.2f} {show / baseline:7.2f}   goal <= 2.00")
    print(f"{'lossdoc --help':<44} {helptime:8.2f} {'':>7}   goal <= 0.30 s")


if __name__ == "__main__":
    main()

"""The fixed cost a user feels: wall seconds of `lossdoc --help`, `show` on a 20-line log, `analyze` on the corpus'
20,000-line runs, each against `python -c pass` timed in the same run; and `analyze` vs `show` on a generated
1,000,000-line nanoGPT log. Best of `--repeat` wall-clock runs, each a fresh process (goals from issue 12).

    python benchmarks/fixed_cost.py [--repeat 3] [--lines 1000000]
"""

from __future__ import annotations

import argparse
import compileall
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from big_log import write_big_nanogpt_log  # noqa: E402
from timing import ROOT, measure  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus"
SMALL = ROOT / "examples" / "logs" / "table-losses.txt"
REAL = [  # the 20,000-line real runs (llm.c main.log and stdout, modded-nanogpt, build-nanogpt)
    "llmc/mng-llmc-gpt2-124M-8xH100.log",
    "llmc_stdout/hector-a100-gpt2-124M-full.log",
    "modded-nanogpt/fp4-19073steps-spike.txt",
    "build_nanogpt/agndm-1epoch-stdout.out",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    py, r = sys.executable, args.repeat
    # what pip install leaves: compiled bytecode. With PYTHONDONTWRITEBYTECODE set (this machine) and a module
    # edited since its .pyc, every run recompiled it: 36 stale modules added 0.07 s to each analyze
    compileall.compile_dir(str(ROOT / "lossdoc"), quiet=1)
    lossdoc = [py, "-m", "lossdoc"]
    cases = [("python -c pass", [py, "-c", "pass"], ""), ("lossdoc --help", lossdoc + ["--help"], "< 0.2 s")]
    cases.append((f"lossdoc show {SMALL.name} (20 lines)", lossdoc + ["show", str(SMALL)], "<= 0.3 s"))
    for name in REAL:
        path = CORPUS / name
        if path.exists():
            lines = path.read_bytes().count(b"\n")
            label = f"lossdoc analyze {path.name} ({lines:,} lines)"
            cases.append((label, lossdoc + ["analyze", str(path)], "<= 0.5 s"))
    print(f"{'measure':<66} {'wall s':>7} {'x pass':>7} {'cpu s':>6} {'x pass':>7}  goal (wall)")
    base = None
    for label, cmd, goal in cases:
        wall, cpu, _ = measure(cmd, r)
        base = base or (wall, cpu)
        print(f"{label:<66} {wall:7.2f} {wall / base[0]:7.1f} {cpu:6.2f} {cpu / base[1]:7.1f}  {goal}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        log = write_big_nanogpt_log(Path(tmp) / "big.log", args.lines)
        show = measure(lossdoc + ["show", "--json", str(log)], r)
        analyze = measure(lossdoc + ["analyze", "--json", str(log)], r)
    print(f"{'lossdoc show --json, 1M-line nanoGPT log':<66} {show[0]:7.2f} {'':>7} {show[1]:6.2f}")
    print(f"{'lossdoc analyze --json, same log':<66} {analyze[0]:7.2f} {'':>7} {analyze[1]:6.2f}  "
          f"{analyze[0] / show[0]:.2f}x show wall, {analyze[1] / show[1]:.2f}x CPU (goal <= 1.5x)")


if __name__ == "__main__":
    main()

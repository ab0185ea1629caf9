"""Read speed of the modded-nanogpt, build-nanogpt, Megatron and torchtitan readers on generated long logs.

Each log has `--lines` record lines in its format's grammar (numbers from a seeded curve); the reader's
`parse()` is timed in-process (best of `--repeat`, pandas already imported), next to one compiled regex
`findall` over the same text as a floor.

    python benchmarks/text_readers_speed.py [--lines 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
from timing import best_of  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lossdoc.parsers import build_nanogpt, megatron, modded_nanogpt, torchtitan  # noqa: E402

ESC = "\x1b"


def _curve(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (2.9 + 8.0 * (1 + np.arange(n) / 300.0) ** -0.5) * (1 + 0.01 * rng.standard_normal(n))


def modded(n: int) -> str:
    loss = _curve(n + 1)
    rows = [f"step:{s}/{n} train_loss:{loss[s]:.4f} train_time:{s * 98}ms step_avg:98.00ms" for s in range(1, n)]
    return "import torch\n" + "=" * 100 + "\n" + "\n".join(rows) + "\n"


def build(n: int) -> str:
    loss = _curve(n + 1)
    return (
        "\n".join(
            f"step {s:5d} | loss: {loss[s]:.6f} | lr 6.0000e-04 | norm: 0.3000 | dt: 410.25ms | tok/sec: 1277966.93"
            for s in range(n)
        )
        + "\n"
    )


def mega(n: int) -> str:
    loss = _curve(n + 1)
    return (
        "\n".join(
            f" iteration {s:8d}/{n:8d} | consumed samples: {s * 512:12d} | elapsed time per iteration (ms): 412.3 | "
            f"learning rate: 3.000E-04 | global batch size:   512 | lm loss: {loss[s]:.6E} | loss scale: 1.0 | "
            f"grad norm: 0.300 | number of skipped iterations:   0 | number of nan iterations:   0 |"
            for s in range(1, n + 1)
        )
        + "\n"
    )


def titan(n: int) -> str:
    loss = _curve(n + 1)
    head = "[rank0]:[titan] 2026-11-22 08:00:00,000 - root - INFO - "
    return (
        "\n".join(
            f"{head}{ESC}[31mstep: {s:2}  {ESC}[32mloss: {loss[s]:7.4f}  {ESC}[38;2;180;60;0mgrad_norm: 0.3000  "
            f"{ESC}[38;2;54;234;195mmemory: 21.37GiB(27.01%)  {ESC}[34mtps: 11,845  {ESC}[36mtflops: 998.06  "
            f"{ESC}[35mmfu: 44.36%{ESC}[39m"
            for s in range(1, n + 1)
        )
        + "\n"
    )


CASES: list[tuple[str, Callable[[int], str], object, str]] = [
    ("modded-nanogpt", modded, modded_nanogpt, r"^step:(\d+)/\d+ train_loss:(\S+)"),
    ("build-nanogpt", build, build_nanogpt, r"^step\s+(\d+) \| loss: (\S+)"),
    ("megatron", mega, megatron, r"iteration\s+(\d+)/.*?lm loss: (\S+)"),
    ("torchtitan", titan, torchtitan, r"step:\s*(\d+)\s+\S*loss: (\S+)"),
]



def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import pandas  # noqa: F401  (imported once, outside the timings)

    print(f"{'reader':<16} {'lines':>9} {'parse s':>8} {'regex s':>8} {'ratio':>6} {'lines/s':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, write, reader, pattern in CASES:
            path = Path(tmp) / f"{name}.log"
            path.write_text(write(args.lines), encoding="utf-8")
            floor_re = re.compile(pattern, re.M)

            def floor(path: Path = path, floor_re: re.Pattern[str] = floor_re) -> object:
                return [(int(s), float(v)) for s, v in floor_re.findall(path.read_text())]

            parse = best_of(lambda reader=reader, path=path: reader.parse(path), args.repeat)
            base = best_of(floor, args.repeat)
            print(
                f"{name:<16} {args.lines:>9,} {parse:8.2f} {base:8.2f} {parse / base:6.1f} {args.lines / parse:10,.0f}"
            )


if __name__ == "__main__":
    main()

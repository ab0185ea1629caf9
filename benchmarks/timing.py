"""Wall-clock timing shared by the benchmarks: the best of N runs (the least disturbed by other load)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Fastest of `repeat` calls of fn, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def best_of_command(cmd: list[str], repeat: int) -> tuple[float, bytes]:
    """Fastest of `repeat` runs of a command from the project root, in seconds, and its (last) stdout."""
    out = [b""]

    def run() -> None:
        out[0] = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, cwd=ROOT).stdout

    return best_of(run, repeat), out[0]

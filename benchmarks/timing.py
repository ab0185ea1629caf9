"""Timing shared by the benchmarks: the best of N runs (the least disturbed by other load), wall and CPU."""

from __future__ import annotations

import os
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


def measure(cmd: list[str], repeat: int) -> tuple[float, float, float]:
    """Best (wall s, CPU s, peak RSS MB) over `repeat` runs of a command, each its own process."""
    walls, cpus, rss = [], [], []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - start)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise SystemExit(f"failed: {' '.join(cmd)}")
        cpus.append(usage.ru_utime + usage.ru_stime)
        rss.append(usage.ru_maxrss / 1024)
    return min(walls), min(cpus), min(rss)

"""Every line-oriented reader against a plain one-regex script for its grammar, on generated 1,000,000-line logs.

For each format a log of `--lines` lines is written (the format's common record on almost every line, its other
record kinds and a banner now and then; numbers from a seeded curve). Then, each in a fresh interpreter and timed
in the same run, best of `--repeat`:
- the baseline: a plain script that runs ONE compiled regex for the format's full common record over the file's
  text (`findall`) and converts every captured field with int()/float();
- the reader: `lossdoc.parsers.<format>.parse(path)` (every line accounted for, every record kind, runs built).
Wall and CPU seconds (user + sys of the child: the machine is shared, CPU time is what a ratio can trust) and
peak memory (the child's max RSS) are printed with their ratios to the baseline (goal: <= 1.0 for both).

    python benchmarks/text_readers_speed.py [--lines 1000000] [--repeat 3] [--only llmc,megatron]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import measure  # noqa: E402

ESC = "\x1b"
EVAL_EVERY = 250  # a val record every 250 steps, as llm.c and modded-nanogpt print them


def _curve(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (2.9 + 8.0 * (1 + np.arange(n) / 300.0) ** -0.5) * (1 + 0.01 * rng.standard_normal(n))


def _lines(n: int, record: Callable[[int, float], str], extra: Callable[[int, float], str] | None) -> str:
    loss = _curve(n + 1)
    out: list[str] = []
    s = 0
    while len(out) < n:
        if extra is not None and s % EVAL_EVERY == 0:
            out.append(extra(s, loss[s] + 0.03))
        out.append(record(s, loss[s]))
        s += 1
    return "\n".join(out[:n]) + "\n"


def llmc(n: int) -> str:
    return _lines(n, lambda s, x: f"s:{s} trl:{x:.4f} lr:0.000600 norm:{0.2 + (s % 97) / 100:.2f}",
                  lambda s, x: f"s:{s} tel:{x:.4f}")


def llmc_stdout(n: int) -> str:
    return _lines(
        n,
        lambda s, x: f"step {s + 1:4d}/{n} | loss {x:.6f} (+0.12z)| norm {0.2 + (s % 97) / 100:6.4f} (-0.30z)| "
        f"lr 6.00e-04 | 140.20 ms | 45.1% bf16 MFU | 3739000 tok/s",
        lambda s, x: f"val loss {x:.6f}",
    )


def modded(n: int) -> str:
    body = _lines(n - 2, lambda s, x: f"step:{s + 1}/{n} train_loss:{x:.4f} train_time:{s * 98}ms step_avg:98.00ms",
                  lambda s, x: f"step:{s}/{n} val_loss:{x:.4f} train_time:{s * 98}ms step_avg:98.00ms")
    return "import torch\n" + "=" * 100 + "\n" + body


def megatron(n: int) -> str:
    return _lines(
        n,
        lambda s, x: f" iteration {s + 1:8d}/{n:8d} | consumed samples: {(s + 1) * 512:12d} | elapsed time per "
        f"iteration (ms): 412.3 | learning rate: 3.000E-04 | global batch size:   512 | lm loss: {x:.6E} | "
        f"loss scale: 1.0 | grad norm: 0.300 | number of skipped iterations:   0 | number of nan iterations:   0 |",
        lambda s, x: f" validation loss at iteration {s} | lm loss value: {x:.6E} | lm loss PPL: 2.0E+01 |",
    )


def torchtitan(n: int) -> str:
    head = "[rank0]:[titan] 2026-11-22 08:00:00,000 - root - INFO - "
    return _lines(
        n,
        lambda s, x: f"{head}{ESC}[31mstep: {s + 1:2}  {ESC}[32mloss: {x:7.4f}  "
        f"{ESC}[38;2;180;60;0mgrad_norm: 0.3000  {ESC}[38;2;54;234;195mmemory: 21.37GiB(27.01%)  "
        f"{ESC}[34mtps: 11,845  {ESC}[36mtflops: 998.06  "
        f"{ESC}[35mmfu: 44.36%{ESC}[39m",
        lambda s, x: f"{head}Saving a checkpoint at step {s}.",
    )


def build_nanogpt(n: int) -> str:
    return _lines(
        n,
        lambda s, x: f"step {s:5d} | loss: {x:.6f} | lr 6.0000e-04 | norm: 0.3000 | dt: 410.25ms | tok/sec: 1277966.93",
        lambda s, x: f"validation loss: {x:.4f}",
    )


# format -> (generator, reader module, the baseline's one regex: the format's full common record)
CASES: dict[str, tuple[Callable[[int], str], str, str]] = {
    "llmc": (llmc, "llmc", r"^s:(\d+) trl:(\S+) lr:(\S+) norm:(\S+)$"),
    "llmc-stdout": (
        llmc_stdout,
        "llmc_stdout",
        r"^step\s+(\d+)/(\d+) \| loss (\S+) \((\S+)z\)\| norm (\S+) \((\S+)z\)\| lr (\S+) \| (\S+) ms \| "
        r"(\S+)% bf16 MFU \| (\S+) tok/s$",
    ),
    "modded-nanogpt": (
        modded, "modded_nanogpt", r"^step:(\d+)/(\d+) train_loss:(\S+) train_time:(\S+)ms step_avg:(\S+)ms$"
    ),
    "megatron": (
        megatron,
        "megatron",
        r"^ iteration\s+(\d+)/\s*(\d+) \| consumed samples:\s+(\d+) \| elapsed time per iteration \(ms\): (\S+) \| "
        r"learning rate: (\S+) \| global batch size:\s+(\d+) \| lm loss: (\S+) \| loss scale: (\S+) \| grad norm: (\S+)"
        r" \| number of skipped iterations:\s+(\d+) \| number of nan iterations:\s+(\d+) \|$",
    ),
    "torchtitan": (
        torchtitan,
        "torchtitan",
        r"step:\s*(\d+)\s+\S*loss:\s*(\S+)\s+\S*grad_norm:\s*(\S+)\s+\S*memory:\s*([\d.]+)GiB\(([\d.]+)%\)\s+\S*tps: "
        r"([\d,]+)\s+\S*tflops:\s*(\S+)\s+\S*mfu:\s*([\d.]+)%",
    ),
    "build-nanogpt": (
        build_nanogpt,
        "build_nanogpt",
        r"^step\s+(\d+) \| loss: (\S+) \| lr (\S+) \| norm: (\S+) \| dt: (\S+)ms \| tok/sec: (\S+)$",
    ),
}

BASELINE = r"""
import re, sys
text = open(sys.argv[1]).read()
rows = re.compile(sys.argv[2], re.M).findall(text)
points = [tuple(float(x.replace(",", "")) for x in row) for row in rows]
print(len(points))
"""
READER = "import sys; from pathlib import Path; import lossdoc.parsers.{m} as r; r.parse(Path(sys.argv[1]))"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated formats (default: all)")
    parser.add_argument("--write", nargs=2, metavar=("FORMAT", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write:  # in a child: the generated text never enters the measuring process (see below)
        name, path = args.write
        Path(path).write_text(CASES[name][0](args.lines), encoding="utf-8")
        return
    wanted = [c for c in CASES if not args.only or c in args.only.split(",")]
    py = sys.executable
    print(f"{'reader':<15} {'base wall':>9} {'wall':>6} {'ratio':>6} {'base cpu':>9} {'cpu':>6} {'ratio':>6} "
          f"{'base MB':>8} {'MB':>6} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "baseline.py"
        script.write_text(BASELINE)
        for name in wanted:
            _, module, pattern = CASES[name]
            path = Path(tmp) / f"{name}.log"
            # Written by a child process: a child's peak RSS counts the memory of the process it was forked from,
            # so a parent that had held a generated log would put a floor under every later measure (both the
            # baseline's and the reader's showed 936 MB for build-nanogpt after the megatron log).
            subprocess.run([py, __file__, "--lines", str(args.lines), "--write", name, str(path)], check=True)
            base = measure([py, str(script), str(path), pattern], args.repeat)
            ours = measure([py, "-c", READER.format(m=module), str(path)], args.repeat)
            print(f"{name:<15} {base[0]:9.2f} {ours[0]:6.2f} {ours[0] / base[0]:6.2f} {base[1]:9.2f} {ours[1]:6.2f} "
                  f"{ours[1] / base[1]:6.2f} {base[2]:8.0f} {ours[2]:6.0f} {ours[2] / base[2]:6.2f}", flush=True)
            path.unlink()


if __name__ == "__main__":
    main()

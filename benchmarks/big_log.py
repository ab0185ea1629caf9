"""Generate the million-line nanoGPT log the speed benchmarks share (deterministic, seeded).

    python benchmarks/big_log.py /tmp/big.log [lines]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

EVAL_EVERY = 2000  # one `step N: train loss ..., val loss ...` line per 2000 iterations, as nanoGPT evals


def write_big_nanogpt_log(path: Path, lines: int = 1_000_000, seed: int = 0) -> Path:
    """A nanoGPT stdout log of `lines` lines: a header, `iter N:` every step, evals every EVAL_EVERY steps."""
    rng = np.random.default_rng(seed)
    n_iter = lines - 3 - lines // (EVAL_EVERY + 1)
    steps = np.arange(n_iter)
    loss = (2.9 + 8.0 * (1 + steps / 300.0) ** -0.5) * (1 + 0.01 * rng.standard_normal(n_iter))
    time_ms = 120 + 2 * rng.standard_normal(n_iter)
    mfu = np.where(steps < 5, -100.0, 41 + 0.5 * rng.standard_normal(n_iter))
    out = ["tokens per iteration will be: 524,288", "number of parameters: 123.69M", "compiling the model..."]
    for s in range(n_iter):
        if s % EVAL_EVERY == 0:
            out.append(f"step {s}: train loss {loss[s]:.4f}, val loss {loss[s] + 0.03:.4f}")
        out.append(f"iter {s}: loss {loss[s]:.4f}, time {time_ms[s]:.2f}ms, mfu {mfu[s]:.2f}%")
    path.write_text("\n".join(out[:lines]) + "\n")
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/out/big.log")
    target.parent.mkdir(parents=True, exist_ok=True)
    write_big_nanogpt_log(target, int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000)
    print(target)

"""Write the example logs in examples/logs/: one small, realistic log per supported format.

Deterministic (seeded): running it again gives byte-identical files. Every example is drawn from one synthetic
run (`synthetic_run`) that mimics a real GPT-2-small pretraining run: loss starting near ln(50257) = 10.8 and
falling as a power law with 1% multiplicative noise, linear warmup then cosine LR decay, evals every N steps.

    python examples/generate.py            # rewrite examples/logs/
    python examples/generate.py --check    # exit 1 if a file on disk differs from what would be written

To add a format: write a function ``write_<format>(path)`` below and add it to WRITERS.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LOGS = Path(__file__).resolve().parent / "logs"


@dataclass
class SyntheticRun:
    steps: np.ndarray  # 0..n_steps inclusive
    train_loss: np.ndarray
    val_loss: np.ndarray  # defined at every step; writers sample it at eval steps
    lr: np.ndarray
    grad_norm: np.ndarray
    step_ms: np.ndarray
    mfu: np.ndarray  # percent
    tokens_per_step: int
    params: int


def synthetic_run(
    n_steps: int = 2000,
    seed: int = 0,
    peak_lr: float = 6e-4,
    warmup: int = 100,
    l_init: float = 10.9,
    l_final: float = 3.0,
    noise: float = 0.01,
    tokens_per_step: int = 524_288,
    params: int = 124_475_904,
) -> SyntheticRun:
    """A loss curve L(s) = l_final + (l_init - l_final)·(1 + s/s0)^-α with noise, and its LR/throughput."""
    rng = np.random.default_rng(seed)
    steps = np.arange(n_steps + 1)
    clean = l_final + (l_init - l_final) * (1 + steps / 30.0) ** -0.55
    train = clean * (1 + noise * rng.standard_normal(len(steps)))
    val = clean + 0.02 + 0.002 * rng.standard_normal(len(steps))
    progress = np.clip((steps - warmup) / max(n_steps - warmup, 1), 0, 1)
    lr = np.where(steps < warmup, peak_lr * (steps + 1) / warmup, 0.1 * peak_lr + 0.45 * peak_lr * (1 + np.cos(math.pi * progress)))
    grad_norm = 0.25 + 12 * (1 + steps / 20.0) ** -0.9 + 0.03 * rng.standard_normal(len(steps))
    step_ms = 140 + 3 * rng.standard_normal(len(steps))
    mfu = 45 + 0.8 * rng.standard_normal(len(steps))
    return SyntheticRun(steps, train, val, lr, np.abs(grad_norm), step_ms, mfu, tokens_per_step, params)


NANOGPT_CONFIG = """\
Overriding config with config/train_gpt2_small.py:
# config for training GPT-2 (124M) on OpenWebText-style data, 8 GPUs

wandb_log = False
wandb_run_name = 'gpt2-124M-example'

# these make the total batch size be ~0.5M
# 12 batch size * 1024 block size * 5 gradaccum * 8 GPUs = 491,520
batch_size = 12
block_size = 1024
gradient_accumulation_steps = 40

max_iters = 2000
lr_decay_iters = 2000
warmup_iters = 100
learning_rate = 6e-4
min_lr = 6e-5

eval_interval = 250
eval_iters = 200
log_interval = 10

weight_decay = 1e-1
"""


def write_nanogpt(path: Path) -> None:
    """nanoGPT train.py stdout: config echo, header, `step N:` evals every 250, `iter N:` every 10 steps."""
    run = synthetic_run(n_steps=2000, seed=1, tokens_per_step=491_520)
    out = [NANOGPT_CONFIG.rstrip("\n"), "tokens per iteration will be: 491,520"]
    out += [
        "Initializing a new model from scratch",
        "defaulting to vocab_size of GPT-2 to 50304 (50257 rounded up for efficiency)",
        "number of parameters: 123.69M",
        "num decayed parameter tensors: 50, with 124,318,464 parameters",
        "num non-decayed parameter tensors: 25, with 19,200 parameters",
        "using fused AdamW: True",
        "compiling the model... (takes a ~minute)",
    ]
    for s in run.steps:
        if s % 250 == 0:
            out.append(f"step {s}: train loss {run.val_loss[s] - 0.02:.4f}, val loss {run.val_loss[s]:.4f}")
            if s > 0:
                out.append("saving checkpoint to out")
        if s % 10 == 0:
            mfu = -100.0 if s < 50 else run.mfu[s] / 1.5
            out.append(f"iter {s}: loss {run.train_loss[s]:.4f}, time {run.step_ms[s] * 30:.2f}ms, mfu {mfu:.2f}%")
    path.write_text("\n".join(out) + "\n")


def write_llmc(path: Path) -> None:
    """llm.c main.log (new grammar): `s:N tel:` every 250 (before that step's train line), `s:N trl: lr: norm:`."""
    run = synthetic_run(n_steps=1500, seed=2)
    out = []
    for s in run.steps[:-1]:
        if s % 250 == 0:
            out.append(f"s:{s} tel:{run.val_loss[s]:.4f}")
        out.append(f"s:{s} trl:{run.train_loss[s]:.4f} lr:{run.lr[s]:.6f} norm:{run.grad_norm[s]:.2f}")
        if s % 500 == 0 and s > 0:
            out.append(f"s:{s} eval:{0.25 + s / 1500 * 0.04:.4f}")
    last = int(run.steps[-1])
    out.append(f"s:{last} tel:{run.val_loss[last]:.4f}")
    path.write_text("\n".join(out) + "\n")


def write_llmc_stdout(path: Path) -> None:
    """llm.c console output: the header table, `step N/M | loss ...` lines, `val loss` and HellaSwag lines."""
    run = synthetic_run(n_steps=1200, seed=3)
    n = int(run.steps[-1])
    rows = [
        ("micro batch size B", "64"),
        ("sequence length T", "1024"),
        ("total batch size", "524288"),
        ("learning rate (LR)", "6.000000e-04"),
        ("warmup iterations", "100"),
        ("val_loss_every", "250"),
        ("device", "NVIDIA H100 80GB HBM3"),
        ("peak TFlops", "989.5"),
        ("vocab_size V", "50257"),
        ("num_layers L", "12"),
        ("num_heads NH", "12"),
        ("channels C", "768"),
        ("num_parameters", "124475904"),
    ]
    rule = "+-----------------------+----------------------------------------------------+"
    out = [rule, f"| {'Parameter':<21} | {'Value':<50} |", rule]
    out += [f"| {k:<21} | {v:<50} |" for k, v in rows] + [rule]
    out += ["allocated 237 MiB for model parameters", "=> setting grad_accum_steps=8"]
    out.append(f"val loss {run.val_loss[0]:.6f}")
    for s in range(1, n + 1):
        tok_s = 524288 / (run.step_ms[s] / 1000)
        out.append(
            f"step {s:4d}/{n} | loss {run.train_loss[s]:.6f} (+0.00z)| norm {run.grad_norm[s]:6.4f} (+0.00z)| "
            f"lr {run.lr[s]:.2e} | {run.step_ms[s] * 26:.2f} ms | {run.mfu[s]:.1f}% bf16 MFU | {tok_s / 26:.0f} tok/s"
        )
        if s % 250 == 0 or s == n:
            out.append(f"val loss {run.val_loss[s]:.6f}")
            progress = "".join(f"evaluating HellaSwag: {i}/1256\r" for i in range(0, 1256, 250))
            correct = int(10042 * (0.25 + 0.04 * s / n))
            out.append(f"{progress}HellaSwag: {correct}/10042 = {correct / 10042:.6f}")
    path.write_text("\n".join(out) + "\n")


def write_wandb_csv(path: Path) -> None:
    """W&B panel export of train/loss for two runs of different lengths (ragged: empty cells)."""
    runs = {"baseline": synthetic_run(n_steps=300, seed=4), "lr-3e-4": synthetic_run(n_steps=200, seed=5, peak_lr=3e-4)}
    header = ["Step"]
    for name in runs:
        header += [f"{name} - train/loss", f"{name} - train/loss__MIN", f"{name} - train/loss__MAX"]
    out = [",".join(f'"{h}"' for h in header)]
    for s in range(301):
        cells = [str(s)]
        for run in runs.values():
            v = f"{run.train_loss[s]}" if s < len(run.steps) else ""
            cells += [v, v, v]
        out.append(",".join(f'"{c}"' for c in cells))
    path.write_text("\n".join(out) + "\n")


def write_llmc_stdout_spikes(path: Path) -> None:
    """llm.c console output of a spiky run (for `lossdoc spikes`): one-step spikes 3 steps after every 600-step
    data shard, and at step 1500 a sustained spike (+35%, back over 150 steps) that the loss and grad norm climb
    into; the eval after it sees it too."""
    run = synthetic_run(n_steps=2400, seed=6)
    train, norm, val = run.train_loss.copy(), run.grad_norm.copy(), run.val_loss.copy()
    for s in (603, 1203, 1803):
        train[s] *= 1.25
    train[1200:1500] *= np.linspace(1.0, 1.10, 300)  # drifting up before the spike
    train[1500:1650] *= 1.05 + 0.30 * (1 - np.arange(150) / 150)
    train[1650:] *= 1.0 + 0.05 * np.exp(-np.arange(len(train) - 1650) / 50.0)  # (the 10% drift eases off too)
    norm[1492:1501] *= np.linspace(1.2, 4.0, 9)
    val[1600] *= 1.12
    n = int(run.steps[-1])
    rows = [("total batch size", "524288"), ("learning rate (LR)", "6.000000e-04"), ("val_loss_every", "200"),
            ("num_parameters", "124475904")]
    rule = "+-----------------------+----------------------------------------------------+"
    out = [rule, f"| {'Parameter':<21} | {'Value':<50} |", rule]
    out += [f"| {k:<21} | {v:<50} |" for k, v in rows] + [rule]
    out.append(f"val loss {val[0]:.6f}")
    for s in range(1, n + 1):
        out.append(
            f"step {s:4d}/{n} | loss {train[s]:.6f} (+0.00z)| norm {norm[s]:6.4f} (+0.00z)| "
            f"lr {run.lr[s]:.2e} | {run.step_ms[s]:.2f} ms | {run.mfu[s]:.1f}% bf16 MFU | 3744914 tok/s"
        )
        if s % 200 == 0:
            out.append(f"val loss {val[s]:.6f}")
    path.write_text("\n".join(out) + "\n")


WRITERS: dict[str, Callable[[Path], None]] = {
    "nanogpt-gpt2-124M.log": write_nanogpt,
    "llmc-main.log": write_llmc,
    "llmc-stdout.log": write_llmc_stdout,
    "wandb-export.csv": write_wandb_csv,
    "llmc-stdout-spikes.log": write_llmc_stdout_spikes,
}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    LOGS.mkdir(parents=True, exist_ok=True)
    stale = []
    for name, writer in WRITERS.items():
        target = LOGS / name
        if check:
            tmp = target.with_suffix(target.suffix + ".tmp")
            writer(tmp)
            if not target.exists() or tmp.read_bytes() != target.read_bytes():
                stale.append(name)
            tmp.unlink()
        else:
            writer(target)
    if stale:
        print("examples out of date (run python examples/generate.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

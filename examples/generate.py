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
    cosine = 0.1 * peak_lr + 0.45 * peak_lr * (1 + np.cos(math.pi * progress))  # decays to 10% of peak
    lr = np.where(steps < warmup, peak_lr * (steps + 1) / warmup, cosine)
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
            v = f"{run.train_loss[s]:.12g}" if s < len(run.steps) else ""  # 12 digits: the last ones move between numpy versions
            cells += [v, v, v]
        out.append(",".join(f'"{c}"' for c in cells))
    path.write_text("\n".join(out) + "\n")


MODDED_SOURCE = """\
import os
import time
from dataclasses import dataclass

import torch

@dataclass
class Hyperparameters:
    input_bin : str = 'data/fineweb10B/fineweb_train_*.bin'
    batch_size : int = 8*64 # batch size, in sequences, across all devices
    device_batch_size : int = 64 # batch size, in sequences, per device
    sequence_length : int = 1024 # sequence length, in tokens
    num_iterations : int = 1000 # number of iterations to run
    warmup_iters : int = 100
    warmdown_iters : int = 300 # linear warmdown to 0 over the last iterations
    val_loss_every : int = 125
    val_tokens : int = 10485760
args = Hyperparameters()

model = GPT(GPTConfig(vocab_size=50304, n_layer=12, n_head=6, n_embd=768))
for step in range(args.num_iterations + 1):
    if step % args.val_loss_every == 0:
        print0(f'step:{step}/{args.num_iterations} val_loss:{val_loss:.4f} train_time:{t:.0f}ms step_avg:{a:.2f}ms')
    print0(f'step:{step+1}/{args.num_iterations} train_loss:{loss:.4f} train_time:{t:.0f}ms step_avg:{a:.2f}ms')
"""


def write_modded_nanogpt(path: Path) -> None:
    """modded-nanogpt record: the script's source, nvidia-smi, then `step:N/M train_loss:` every step and
    `step:N/M val_loss:` every 125 steps (the source's own f-strings contain `step:` and `val_loss`)."""
    run = synthetic_run(n_steps=1000, seed=6, warmup=100)
    n = int(run.steps[-1])
    sep = "=" * 100
    out = [sep, MODDED_SOURCE.rstrip("\n"), sep]
    out.append("Running PyTorch 2.5.1+cu124 compiled for CUDA 12.4 on NVIDIA H100 80GB HBM3 with world_size 8")
    out += [sep, "Sun Nov 22 08:00:00 2026", "+" + "-" * 87 + "+"]
    smi_row = "|   {}  NVIDIA H100 80GB HBM3          On  | 00000000:6{}:00.0 Off |                    0 |"
    out += [smi_row.format(g, g) for g in range(8)]
    out += ["+" + "-" * 87 + "+", "", sep]
    clock = 0.0
    for s in range(n + 1):
        if s % 125 == 0 or s == n:
            avg = "nan" if s <= 10 else f"{clock / (s - 10):.2f}"
            out.append(f"step:{s}/{n} val_loss:{run.val_loss[s]:.4f} train_time:{clock:.0f}ms step_avg:{avg}ms")
        if s < n:
            clock += run.step_ms[s] * 2.6
            avg = "nan" if s + 1 <= 10 else f"{clock / (s + 1 - 10):.2f}"
            loss = run.train_loss[s + 1]
            out.append(f"step:{s + 1}/{n} train_loss:{loss:.4f} train_time:{clock:.0f}ms step_avg:{avg}ms")
    out.append("peak memory consumption: 31245 MiB")
    path.write_text("\n".join(out) + "\n")


def write_build_nanogpt_log(path: Path) -> None:
    """build-nanogpt log/log.txt: `N train X` every step, `N val X` and `N hella A` every 250 steps."""
    run = synthetic_run(n_steps=750, seed=7)
    out = []
    for s in run.steps[:-1]:
        if s % 250 == 0:
            out.append(f"{s} val {run.val_loss[s]:.4f}")
            out.append(f"{s} hella {0.25 + s / 750 * 0.03:.4f}")
        out.append(f"{s} train {run.train_loss[s]:.6f}")
    path.write_text("\n".join(out) + "\n")


def write_build_nanogpt_stdout(path: Path) -> None:
    """build-nanogpt stdout: header, `step N | loss: ...` every step, evals and generated samples every 250."""
    run = synthetic_run(n_steps=750, seed=7)
    out = [
        "total desired batch size: 524288",
        "=> calculated gradient accumulation steps: 1",
        "found 99 shards for split train",
        "found 1 shards for split val",
        "num decayed parameter tensors: 50, with 124,354,560 parameters",
        "num non-decayed parameter tensors: 98, with 121,344 parameters",
        "using fused AdamW: True",
    ]
    for s in run.steps[:-1]:
        if s % 250 == 0:
            out.append(f"validation loss: {run.val_loss[s]:.4f}")
            correct = int(10042 * (0.25 + s / 750 * 0.03))
            out.append(f"HellaSwag accuracy: {correct}/10042={correct / 10042:.4f}")
            if s > 0:
                out += [f"rank {r} sample 0: Hello, I'm a language model, and I" for r in range(2)]
                out.append("like to write.")
        ms = run.step_ms[s] * 3
        out.append(
            f"step {s:5d} | loss: {run.train_loss[s]:.6f} | lr {run.lr[s]:.4e} | norm: {run.grad_norm[s]:.4f} | "
            f"dt: {ms:.2f}ms | tok/sec: {524288 / (ms / 1000):.2f}"
        )
    path.write_text("\n".join(out) + "\n")


MEGATRON_ARGS = [
    ("global_batch_size", "256"),
    ("hidden_size", "1024"),
    ("lr", "0.0003"),
    ("lr_decay_style", "cosine"),
    ("lr_warmup_iters", "100"),
    ("micro_batch_size", "8"),
    ("num_attention_heads", "16"),
    ("num_layers", "24"),
    ("rampup_batch_size", "None"),
    ("seq_length", "1024"),
    ("train_iters", "1000"),
]


def write_megatron(path: Path) -> None:
    """Megatron-LM stdout (GPT-345M-style): args dump, ` iteration N/ M |` every 10 iterations, `time (ms)`
    lines, a validation block every 250, and one fp16 OVERFLOW line (a skipped step)."""
    run = synthetic_run(n_steps=1000, seed=8, peak_lr=3e-4, tokens_per_step=262_144)
    out = ["using world size: 8, data-parallel-size: 8, tensor-model-parallel size: 1, pipeline-model-parallel size: 1"]
    out.append("------------------------ arguments ------------------------")
    out += [f"  {k} {'.' * (48 - len(k))} {v}" for k, v in MEGATRON_ARGS]
    out.append("-------------------- end of arguments ---------------------")
    out += [
        "> building GPT2BPETokenizer tokenizer ...",
        " > padded vocab (size: 50257) with 175 dummy tokens (new size: 50432)",
    ]
    out += ["building GPT model ...", "training ..."]
    for s in range(10, 1001, 10):
        if s == 430:
            out.append("[2026-11-22 08:00:00,000] [INFO] [stage_1_and_2.py:1644:step] [deepscale] OVERFLOW! Rank 0 "
                       "Skipping step. Attempted loss scale: 65536.0, reducing to 32768.0")
        scale = 65536.0 if s < 430 else 32768.0
        out.append(
            f" iteration {s:8d}/{1000:8d} | consumed samples: {s * 256:12d} | elapsed time per iteration (ms): "
            f"{run.step_ms[s] * 4:.1f} | learning rate: {run.lr[s]:.3E} | global batch size: {256:5d} | "
            f"lm loss: {run.train_loss[s]:.6E} | loss scale: {scale:.1f} | grad norm: {run.grad_norm[s]:.3f} | "
            f"number of skipped iterations: {int(s == 430):3d} | number of nan iterations: {0:3d} |"
        )
        out.append(f"time (ms) | forward-compute: {run.step_ms[s]:.2f} | backward-compute: {run.step_ms[s] * 2:.2f}")
        if s % 250 == 0:
            rule = "-" * 99
            val = run.val_loss[s]
            out += [rule, f" validation loss at iteration {s} | lm loss value: {val:.6E} | lm loss PPL: "
                          f"{math.exp(val):.6E} | ", rule]
    path.write_text("\n".join(out) + "\n")


def write_torchtitan(path: Path) -> None:
    """torchtitan stdout: rank-prefixed logging lines, header facts, ANSI-coloured `step:` records every 10
    steps with thousands separators, and a validation line every 250 steps."""
    run = synthetic_run(n_steps=500, seed=9, tokens_per_step=8 * 2048)
    esc = "\x1b"
    head = "[rank0]:[titan] 2026-11-22 08:00:{sec:02d},000 - root - INFO - "
    out = ["+ NGPU=8", "+ torchrun --nproc_per_node=8 -m torchtitan.train --job.config_file llama3_debug.toml"]
    facts = [
        "Building 1-D device mesh with parallelism: pp=1, dp_replicate=1, dp_shard=8, cp=1, tp=1, ep=1",
        "CUDA capacity: NVIDIA H100 80GB HBM3 with 79.11GiB memory",
        f"{esc}[34mModel llama3 debugmodel {esc}[31msize: 124,475,904 total parameters{esc}[39m",
        "Peak FLOPS used for computing MFU: 9.890e+14",
        "Trainer is initialized with local batch size 1, global batch size 8, gradient accumulation steps 1, "
        "sequence length 2048, total steps 500 (warmup 100)",
        "Training starts at step 1",
    ]
    out += [head.format(sec=i) + f for i, f in enumerate(facts)]
    for s in range(10, 501, 10):
        tps = 2048 / (run.step_ms[s] / 1000) * 20
        tflops = 6 * 124_475_904 * tps / 1e12
        out.append(
            head.format(sec=s % 60) + f"{esc}[31mstep: {s:2}  {esc}[32mloss: {run.train_loss[s]:7.4f}  "
            f"{esc}[38;2;180;60;0mgrad_norm: {run.grad_norm[s]:7.4f}  {esc}[38;2;54;234;195mmemory: 21.37GiB(27.01%)  "
            f"{esc}[34mtps: {round(tps):,}  {esc}[36mtflops: {tflops:,.2f}  "
            f"{esc}[35mmfu: {100 * tflops / 989:.2f}%{esc}[39m"
        )
        if s % 250 == 0:
            out.append(
                head.format(sec=s % 60) + f"{esc}[33mvalidate step: {s:2}  {esc}[32mloss: {run.val_loss[s]:7.4f}  "
                f"{esc}[38;2;54;234;195mmemory: 22.10GiB(27.94%)  {esc}[34mtps: {round(tps * 3):,}{esc}[39m"
            )
    out.append(head.format(sec=59) + "Training completed")
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


def write_nanogpt_40m(path: Path) -> None:
    """The capacity case (../shared/example-diagnoses/capacity-saturation-40m.txt): nanoGPT on one 12 GB card with
    examples/configs/train_gpt2_40m.py, 40.56M parameters where the comment claims ~125M, dropout 0.1 (val below
    the dropout-on train loss), stopped at iter 14,500 of 20,000 on a plateau near 3.57."""
    config = (Path(__file__).resolve().parent / "configs" / "train_gpt2_40m.py").read_text()
    out = ["Overriding config with config/train_gpt2_40m.py:", config.rstrip("\n"),
           "tokens per iteration will be: 524,288",
           "defaulting to vocab_size of GPT-2 to 50304 (50257 rounded up for efficiency)",
           "number of parameters: 40.56M", "num decayed parameter tensors: 50, with 40,937,472 parameters",
           "num non-decayed parameter tensors: 25, with 15,744 parameters", "using fused AdamW: True"]
    rng = np.random.default_rng(40)
    for s in range(0, 14_501, 10):
        clean = 3.50 + 7.3 * (1 + s / 40.0) ** -0.62
        if s % 500 == 0:
            val = clean + 0.002 * rng.standard_normal()
            out.append(f"step {s}: train loss {val - 0.004:.4f}, val loss {val:.4f}")
            if s > 0:
                out.append("saving checkpoint to out-fineweb")
        train = (clean + 0.06) * (1 + 0.008 * rng.standard_normal())  # dropout 0.1 is on in the training loss
        mfu = -100.0 if s < 50 else 11.5 + 0.4 * rng.standard_normal()
        out.append(f"iter {s}: loss {train:.4f}, time {1180 + 20 * rng.standard_normal():.2f}ms, mfu {mfu:.2f}%")
    path.write_text("\n".join(out) + "\n")


WRITERS: dict[str, Callable[[Path], None]] = {
    "nanogpt-gpt2-124M.log": write_nanogpt,
    "llmc-main.log": write_llmc,
    "llmc-stdout.log": write_llmc_stdout,
    "wandb-export.csv": write_wandb_csv,
    "modded-nanogpt-record.txt": write_modded_nanogpt,
    "build-nanogpt-log.txt": write_build_nanogpt_log,
    "build-nanogpt-stdout.out": write_build_nanogpt_stdout,
    "megatron-gpt-345M.log": write_megatron,
    "torchtitan-llama3-debug.log": write_torchtitan,
    "llmc-stdout-spikes.log": write_llmc_stdout_spikes,
    "nanogpt-fineweb-40M.log": write_nanogpt_40m,
}


def write_hf_trainer(path: Path) -> None:
    """HF Trainer trainer_state.json: train entries every 10 steps, eval every 100, two eval sets, final summary."""
    import json

    run = synthetic_run(n_steps=600, seed=6, peak_lr=5e-5, warmup=50)
    history: list[dict[str, object]] = []
    steps_per_epoch = 200
    for s in range(10, 601, 10):
        history.append(
            {
                "epoch": round(s / steps_per_epoch, 4),
                "grad_norm": round(float(run.grad_norm[s]), 4),
                "learning_rate": float(f"{run.lr[s]:.6g}"),
                "loss": round(float(run.train_loss[s]), 4),
                "num_tokens": float(s * 8 * 1024),
                "step": s,
            }
        )
        if s % 100 == 0:
            for name, offset in (("", 0.0), ("code_", 0.35)):
                history.append(
                    {
                        "epoch": round(s / steps_per_epoch, 4),
                        f"eval_{name}loss": round(float(run.val_loss[s]) + offset, 4),
                        f"eval_{name}runtime": 12.5,
                        f"eval_{name}samples_per_second": 81.9,
                        f"eval_{name}steps_per_second": 10.24,
                        "step": s,
                    }
                )
    history.append(
        {
            "epoch": 3.0,
            "step": 600,
            "total_flos": 1.2e16,
            "train_loss": round(float(run.train_loss[1:].mean()), 4),
            "train_runtime": 1830.2,
            "train_samples_per_second": 2.62,
            "train_steps_per_second": 0.328,
        }
    )
    state = {
        "best_global_step": None,
        "best_metric": None,
        "best_model_checkpoint": None,
        "epoch": 3.0,
        "eval_steps": 100,
        "global_step": 600,
        "is_hyper_param_search": False,
        "is_local_process_zero": True,
        "is_world_process_zero": True,
        "log_history": history,
        "logging_steps": 10,
        "max_steps": 600,
        "num_input_tokens_seen": 0,
        "num_train_epochs": 3,
        "save_steps": 200,
        "total_flos": 1.2e16,
        "train_batch_size": 8,
        "trial_name": None,
        "trial_params": None,
    }
    path.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")


def write_lightning_csv(path: Path) -> None:
    """Lightning CSVLogger metrics.csv: sparse rows, CRLF endings (csv.DictWriter), train step/epoch + val rows."""
    import csv

    run = synthetic_run(n_steps=400, seed=7, peak_lr=1e-3)
    keys = ["epoch", "lr-AdamW", "step", "train_loss_epoch", "train_loss_step", "val_loss"]
    rows: list[dict[str, object]] = []
    steps_per_epoch = 100
    for s in range(9, 400, 10):  # log_every_n_steps=10: Lightning logs after batch index 9, 19, ...
        epoch = s // steps_per_epoch
        lr, loss = f"{run.lr[s]:.6g}", f"{run.train_loss[s]:.6f}"
        rows.append({"epoch": epoch, "lr-AdamW": lr, "step": s, "train_loss_step": loss})
        if (s + 1) % steps_per_epoch == 0:
            rows.append({"epoch": epoch, "step": s, "val_loss": f"{run.val_loss[s]:.6f}"})
            mean = run.train_loss[s + 1 - steps_per_epoch : s + 1].mean()
            rows.append({"epoch": epoch, "step": s, "train_loss_epoch": f"{mean:.6f}"})
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)


def write_tensorboard(path: Path) -> None:
    """A TensorBoard event file as HF Trainer writes it (train/loss, train/learning_rate, eval/loss, ...).

    Records are framed with tensorboard's own RecordWriter and fixed wall times, so the file is byte-identical
    on every run (its SummaryWriter would put the time and host name in the file).
    """
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.summary.writer.record_writer import RecordWriter

    run = synthetic_run(n_steps=500, seed=8, peak_lr=5e-5, warmup=50)
    t0 = 1_716_560_000.0
    with path.open("wb") as fh:
        writer = RecordWriter(fh)
        writer.write(Event(wall_time=t0, file_version="brain.Event:2").SerializeToString())
        for s in range(5, 501, 5):
            values = [
                Summary.Value(tag="train/loss", simple_value=float(run.train_loss[s])),
                Summary.Value(tag="train/grad_norm", simple_value=float(run.grad_norm[s])),
                Summary.Value(tag="train/learning_rate", simple_value=float(run.lr[s])),
                Summary.Value(tag="train/epoch", simple_value=s / 250),
            ]
            event = Event(wall_time=t0 + s * 0.5, step=s, summary=Summary(value=values))
            writer.write(event.SerializeToString())
            if s % 100 == 0:
                values = [
                    Summary.Value(tag="eval/loss", simple_value=float(run.val_loss[s])),
                    Summary.Value(tag="eval/runtime", simple_value=3.2),
                ]
                event = Event(wall_time=t0 + s * 0.5 + 0.25, step=s, summary=Summary(value=values))
                writer.write(event.SerializeToString())


def write_table_csv(path: Path) -> None:
    """A generic CSV table with a step column, as a custom training loop writes it (step,lr,loss,val_loss)."""
    run = synthetic_run(n_steps=300, seed=9)
    out = ["step,lr,loss,val_loss"]
    for s in range(0, 301, 5):
        val = f"{run.val_loss[s]:.4f}" if s % 50 == 0 else ""
        out.append(f"{s},{run.lr[s]:.6g},{run.train_loss[s]:.4f},{val}")
    path.write_text("\n".join(out) + "\n")


def write_table_jsonl(path: Path) -> None:
    """JSON Lines with a step key: one object per log call, nested dicts and W&B-style `_runtime` keys."""
    import json

    run = synthetic_run(n_steps=300, seed=10)
    out = []
    for s in range(0, 301, 10):
        record: dict[str, object] = {"step": s, "train": {"loss": round(float(run.train_loss[s]), 4)}}
        record["lr"] = float(f"{run.lr[s]:.6g}")
        record["_runtime"] = round(s * 0.14, 2)
        if s % 100 == 0:
            record["val/loss"] = round(float(run.val_loss[s]), 4)
        out.append(json.dumps(record))
    path.write_text("\n".join(out) + "\n")


def write_table_pairs(path: Path) -> None:
    """Plain `step value` pairs (like torchtitan's CI golden losses): 1-based steps, full float precision."""
    run = synthetic_run(n_steps=100, seed=11)
    # 12 significant digits (still "full precision" for a reader); the 16th digit moves between numpy versions
    path.write_text("".join(f"{s} {float(run.train_loss[s]):.12g}\n" for s in range(1, 101)))

# Structured formats (HF Trainer, Lightning, TensorBoard, generic tables), registered apart from the text formats.
WRITERS.update(
    {
        "hf-trainer_state.json": write_hf_trainer,
        "lightning-metrics.csv": write_lightning_csv,
        "events.out.tfevents.hf-trainer-example": write_tensorboard,
        "table-steps.csv": write_table_csv,
        "table-history.jsonl": write_table_jsonl,
        "table-losses.txt": write_table_pairs,
    }
)

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

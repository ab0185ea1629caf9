# ruff: noqa: E501  (inline logs keep their real, long lines)
"""Readers for modded-nanogpt, build-nanogpt, Megatron and torchtitan text logs: quirks on small inline logs,
and the record counts of the real logs in ../shared/corpus (README there; skipped when absent)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from lossdoc.cli import app
from lossdoc.parsers import PARSERS, build_nanogpt, detect, load, megatron, modded_nanogpt, torchtitan
from lossdoc.parsers._text import read_head
from tests.conftest import corpus_file

TEXT_READERS = (modded_nanogpt, build_nanogpt, megatron, torchtitan)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def assert_accounted(run_meta: dict, path: Path) -> None:
    """Every physical line of the file is a record, a recognised non-metric line or a counted unparsed one."""
    lines = run_meta["lines"]
    text = path.read_text(encoding="utf-8", errors="replace")
    physical = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    assert lines["total"] == physical
    assert lines["used"] + lines["ignored"] + lines["unparsed"] == lines["total"]


# ---------------------------------------------------------------- modded-nanogpt

MODDED_SOURCE = """\
====================================================================================================
import os
from dataclasses import dataclass

@dataclass
class Hyperparameters:
    batch_size : int = 8*64 # batch size, in sequences, across all devices
    device_batch_size : int = 64
    sequence_length : int = 1024
    num_iterations : int = 5800 + (128 * 4)
    warmup_iters : int = 250
    warmdown_iters : int = 1800
    val_tokens : int = 10_485_760
    evil = __import__("os").system("echo pwned")
args = Hyperparameters()
model = GPT(GPTConfig(vocab_size=50304, n_layer=12, n_head=6, n_embd=768))
warmup_steps = 10
for step in range(args.num_iterations + 1):
    print(f"step:{step}/{args.num_iterations} val_loss:{val_loss:.4f} train_time:{t:.0f}ms step_avg:{a:.2f}ms")
    print(f"step:{step+1}/{args.num_iterations} train_loss:{loss:.4f} train_time:{t:.0f}ms")
====================================================================================================
Running PyTorch 2.5.1 compiled for CUDA 12.4 on NVIDIA H100 80GB HBM3 with world_size 8
====================================================================================================
"""


def test_modded_source_lines_are_not_records_and_config_is_read_with_ast(tmp_path: Path) -> None:
    log = write(
        tmp_path,
        "rec.txt",
        MODDED_SOURCE
        + "step:0/6312 val_loss:10.9876 train_time:0ms step_avg:nanms\n"
        + "step:1/6312 train_loss:10.9000 train_time:1000ms step_avg:nanms\n"
        + "step:2/6312 train_loss:9.5000 train_time:1400ms step_avg:nanms\n"
        + "step:4/6312 train_loss:8.2500 train_time:2200ms step_avg:400.00ms\n"
        + "peak memory consumption: 16662 MiB\n",
    )
    assert detect(log) is modded_nanogpt
    (run,) = modded_nanogpt.parse(log)
    assert run.series("train/loss").to_dict() == {1: 10.9, 2: 9.5, 4: 8.25}
    assert run.series("val/loss").to_dict() == {0: 10.9876}
    # step time from the cumulative clock: (1400-1000)/1, then (2200-1400)/2
    assert run.series("train/step_time_ms").to_dict() == {2: 400.0, 4: 400.0}
    assert math.isnan(run.series("train/step_avg_ms")[1])
    config = run.meta["config"]
    assert config["num_iterations"] == 6312 and config["val_tokens"] == 10485760 and config["batch_size"] == 512
    assert "evil" not in config  # a call is never evaluated
    assert "warmup_steps" not in config and "module_constants" not in config  # kernel warm-up, not LR warm-up
    meta = run.meta
    assert (meta["warmup_steps"], meta["warmdown_steps"], meta["max_steps"]) == (250, 1800, 6312)
    assert (meta["batch_size"], meta["block_size"], meta["tokens_per_step"]) == (512, 1024, 512 * 1024)
    assert (meta["vocab_size"], meta["n_layer"], meta["gpu"], meta["world_size"]) == (
        50304,
        12,
        "NVIDIA H100 80GB HBM3",
        8,
    )
    assert meta["peak_memory_mib"] == 16662
    assert meta["lines"]["used"] == 4 and meta["lines"]["unparsed"] == 0
    assert_accounted(meta, log)


def test_modded_model_size_through_a_module_constant(tmp_path: Path) -> None:
    # 2024 records (fp4, SOAP) write `num_vocab = 50304` and then GPTConfig(vocab_size=num_vocab, ...): the name
    # is read as the literal it is bound to; a name bound twice, or to a call, is not read at all
    source = MODDED_SOURCE.replace("vocab_size=50304, n_layer=12", "vocab_size=num_vocab, n_layer=layers")
    source = source.replace("args = Hyperparameters()", "num_vocab = 50304\nlayers = 12\nlayers = 24\nargs = Hyperparameters()")
    log = write(tmp_path, "rec.txt", source + "step:0/6312 val_loss:10.9876 train_time:0ms step_avg:nanms\n")
    (run,) = modded_nanogpt.parse(log)
    assert run.meta["vocab_size"] == 50304 and run.meta["n_embd"] == 768
    assert "n_layer" not in run.meta and "n_layer" not in run.meta["config"]["model"]


NEWER_SOURCE = """\
====================================================================================================
import torch
class Hyperparameters:
    seq_len = 48*1024
    num_iterations = 1750
args = Hyperparameters()
world_size = int(os.environ["WORLD_SIZE"])
train_loader = distributed_data_generator(args.train_files, world_size * args.seq_len, rank, world_size)
for step in range(args.num_iterations + 1):
    inputs, targets = next(train_loader)
    model(inputs, targets).backward()
====================================================================================================
Running PyTorch 2.8.0 compiled for CUDA 12.6 on NVIDIA H100 80GB HBM3 with world_size 8
====================================================================================================
step:0/1750 val_loss:10.8258 train_time:0ms step_avg:0.02ms
"""


def test_modded_tokens_per_step_from_the_train_loader(tmp_path: Path) -> None:
    (run,) = modded_nanogpt.parse(write(tmp_path, "new.txt", NEWER_SOURCE))
    assert run.meta["tokens_per_step"] == 8 * 48 * 1024
    assert "world_size * args.seq_len" in run.meta["tokens_per_step_from"]
    # a batch drawn more than once a step (gradient accumulation) is not the step's tokens
    accum = NEWER_SOURCE.replace("    inputs, targets = next(train_loader)\n",
                                 "    for _ in range(4):\n        inputs, targets = next(train_loader)\n")
    (run,) = modded_nanogpt.parse(write(tmp_path, "accum.txt", accum))
    assert "tokens_per_step" not in run.meta
    # two loaders of different batches: which one trains is not certain
    two = NEWER_SOURCE.replace("for step in", "train_loader = distributed_data_generator(f, 1024)\nfor step in")
    (run,) = modded_nanogpt.parse(write(tmp_path, "two.txt", two))
    assert "tokens_per_step" not in run.meta
    # without the world size the expression has no value
    (run,) = modded_nanogpt.parse(write(tmp_path, "noworld.txt", NEWER_SOURCE.replace(" with world_size 8", "")))
    assert "tokens_per_step" not in run.meta


def test_a_name_inside_a_def_is_not_read_as_the_module_constant(tmp_path: Path) -> None:
    source = MODDED_SOURCE.replace(
        "model = GPT(GPTConfig(vocab_size=50304, n_layer=12, n_head=6, n_embd=768))",
        "num_vocab = 50304\ndef build(num_vocab):\n    return GPT(GPTConfig(vocab_size=num_vocab, n_layer=12))",
    )
    (run,) = modded_nanogpt.parse(write(tmp_path, "def.txt", source + "step:0/6312 val_loss:10.9876 train_time:0ms step_avg:nanms\n"))
    assert run.meta["n_layer"] == 12 and "vocab_size" not in run.meta


def test_modded_seconds_new_style_fork_fields_and_concatenated_runs(tmp_path: Path) -> None:
    body = (
        "step:0/50 val_loss:10.82584 train_time:0.001s step_avg:nanms\n"
        "step:25/50 val_loss:4.66393 train_time:22.870s step_avg:182.95ms\n"
        "step:50/50 val_loss:4.10000 train_time:41.354s step_avg:147.87ms\n"
    )
    log = write(tmp_path, "track3.txt", "import torch\n" + "=" * 100 + "\n" + body + body.replace("4.10000", "4.20000"))
    runs = modded_nanogpt.parse(log)
    assert [r.name for r in runs] == ["run-1", "run-2"]
    assert [r.series("val/loss")[50] for r in runs] == [4.1, 4.2]
    # val-only file: the val lines' clock is the only one, converted from seconds to ms
    assert runs[0].series("train/train_time_ms")[25] == pytest.approx(22870.0)
    assert runs[1].series("train/step_time_ms")[50] == pytest.approx((41354.0 - 22870.0) / 25)
    assert all(r.meta["max_steps"] == 50 and not r.meta["rollbacks"] for r in runs)

    fork = write(
        tmp_path,
        "fork.txt",
        "step:1/10 train_loss:11.0120 train_time:5298ms step_avg:nanms tokens_seen:5.24e+05 "
        "tokens/sec:9.90e+04 vram:15.7/23.5GB\n"
        "step:2/10 train_time:5400ms step_avg:nanms\n",
    )
    (run,) = modded_nanogpt.parse(fork)
    assert run.series("train/tokens_per_sec")[1] == 99000.0
    assert run.series("train/tokens")[1] == 524000.0
    assert run.series("train/vram_gb")[1] == 15.7
    assert run.series("train/loss").to_dict() == {1: 11.012}  # step 2 prints no train loss (newer records)
    assert run.series("train/train_time_ms").to_dict() == {1: 5298.0, 2: 5400.0}


def test_modded_source_followed_by_banner_without_separator(tmp_path: Path) -> None:
    source = MODDED_SOURCE.split("=" * 100 + "\nRunning")[0]  # the script, then straight into the banner
    assert "Running" not in source and source.count("=" * 100) == 1
    log = write(
        tmp_path,
        "noseparator.txt",
        source + "Running PyTorch 2.5.1 compiled for CUDA 12.4 on NVIDIA H100 80GB HBM3 with world_size 8\n"
        "step:0/6312 val_loss:10.9876 train_time:0ms step_avg:nanms\n",
    )
    (run,) = modded_nanogpt.parse(log)
    assert run.meta["config"]["warmdown_iters"] == 1800  # the source still parsed, up to the banner
    assert run.meta["world_size"] == 8  # and the banner after it was read


def test_modded_sniffs_a_source_longer_than_the_head(tmp_path: Path) -> None:
    from lossdoc.parsers._text import HEAD_BYTES, sniff_lines

    filler = "x = 1  # " + "padding " * 10 + "\n"
    source = MODDED_SOURCE + filler * (HEAD_BYTES // len(filler) + 10)
    log = write(tmp_path, "long.txt", source + "step:0/10 val_loss:10.9 train_time:0ms step_avg:nanms\n")
    assert not sniff_lines(modded_nanogpt._SNIFF, read_head(log))  # no record inside the head ...
    assert detect(log) is modded_nanogpt  # ... but the script's own record f-string and separators are
    assert len(load(log)[0].series("val/loss")) == 1


def test_modded_cut_record_is_unparsed_not_dropped(tmp_path: Path) -> None:
    log = write(tmp_path, "cut.txt", "step:0/10 val_loss:10.9 train_time:0ms step_avg:nanms\nstep:1/10 train_lo")
    (run,) = modded_nanogpt.parse(log)
    assert run.meta["lines"] == {"total": 2, "used": 1, "ignored": 0, "unparsed": 1}
    assert run.meta["truncated_last_line"] == "step:1/10 train_lo"


@pytest.mark.parametrize(
    "path, train, val, max_steps",
    [
        ("modded-nanogpt/soap-6000steps.txt", 6000, 49, 6000),
        ("modded-nanogpt/fp4-19073steps-spike.txt", 19073, 154, 19073),
        ("modded-nanogpt/tyler-romero-6312steps-tokps-vram.txt", 6312, 51, 6312),
        ("modded-nanogpt/bosalign-valonly.txt", 0, 15, 1750),
    ],
)
def test_modded_corpus_counts(path: str, train: int, val: int, max_steps: int) -> None:
    file = corpus_file(path)
    assert detect(file) is modded_nanogpt
    (run,) = load(file)
    assert (len(run.series("train/loss")), len(run.series("val/loss"))) == (train, val)
    assert run.meta["max_steps"] == max_steps
    assert run.meta["lines"]["unparsed"] == 0
    assert_accounted(run.meta, file)


def test_modded_corpus_facts() -> None:
    soap = load(corpus_file("modded-nanogpt/soap-6000steps.txt"))[0]
    assert soap.series("train/loss")[947] == 5.2862  # the one-step data spike of every FineWeb run
    assert (soap.meta["warmup_steps"], soap.meta["warmdown_steps"], soap.meta["tokens_per_step"]) == (250, 1800, 524288)
    assert soap.meta["config"]["learning_rate"] == 0.0036
    assert soap.series("val/loss")[6000] == 3.2763

    fp4 = load(corpus_file("modded-nanogpt/fp4-19073steps-spike.txt"))[0]
    assert fp4.series("train/loss")[14257] == 6.2785
    assert (fp4.meta["warmup_steps"], fp4.meta["warmdown_steps"]) == (0, 5449)

    tyler = load(corpus_file("modded-nanogpt/tyler-romero-6312steps-tokps-vram.txt"))[0]
    assert len(tyler.series("train/tokens_per_sec")) == 6312
    assert tyler.series("train/loss")[1938] == 5.5022
    assert tyler.meta["config"]["warmdown_iters"] == 1450 and tyler.meta["tokens_per_step"] == 524288
    assert tyler.meta["gpu"] == "NVIDIA GeForce RTX 4090" and tyler.meta["gpus_visible"] == 2

    bos = load(corpus_file("modded-nanogpt/bosalign-valonly.txt"))[0]
    assert not bos.has("train/loss")
    assert len(bos.series("train/train_time_ms")) == 1750
    assert bos.meta["params"] == 275742784 and bos.meta["cooldown_frac"] == 0.45


def test_modded_track3_is_twenty_runs() -> None:
    file = corpus_file("modded-nanogpt/track3-valonly-seconds.txt")
    runs = load(file)
    assert len(runs) == 20
    assert sum(len(r.series("val/loss")) for r in runs) == 780
    finals = [r.series("val/loss")[3350] for r in runs]
    assert 3.2764 <= min(finals) and max(finals) <= 3.2810
    assert runs[0].series("train/train_time_ms")[125] == pytest.approx(22870.0)
    assert all(r.meta["max_steps"] == 3350 and r.meta["rollbacks"] == [] for r in runs)
    assert runs[0].meta["config"]["module_constants"]["batch_size"] == 8 * 64 * 1024


# ---------------------------------------------------------------- build-nanogpt

BUILD_STDOUT = """\
total desired batch size: 524288
=> calculated gradient accumulation steps: 2
found 99 shards for split train
num decayed parameter tensors: 50, with 124,354,560 parameters
num non-decayed parameter tensors: 98, with 121,344 parameters
using fused AdamW: True
validation loss: 10.9522
HellaSwag accuracy: 2497/10042=0.2487
rank 0 sample 0: Hello, I'm a language model, and
-
I like tea
step     0 | loss: 10.955010 | lr 8.3916e-07 | norm: 15.3421 | dt: 23547.83ms | tok/sec: 22264.81
step     1 | loss: 10.902707 | lr 1.6783e-06 | norm: 14.8630 | dt: 410.25ms | tok/sec: 1277966.93
validation loss: 9.1000
step     2 | loss: 10.803959 | lr 2.5175e-06 | norm: 14.4641 | dt: 416.93ms | tok/sec: 1257492.99
something nobody expected
"""


def test_build_nanogpt_stdout(tmp_path: Path) -> None:
    log = write(tmp_path, "train.out", BUILD_STDOUT)
    assert detect(log) is build_nanogpt
    (run,) = build_nanogpt.parse(log)
    assert run.series("train/loss").to_dict() == {0: 10.95501, 1: 10.902707, 2: 10.803959}
    # the eval runs at the top of the loop: it belongs to the step about to be trained
    assert run.series("val/loss").to_dict() == {0: 10.9522, 2: 9.1}
    assert run.series("val/hellaswag").to_dict() == {0: 0.2487}
    assert run.series("train/step_time_ms")[1] == 410.25
    assert run.series("train/tokens_per_sec")[2] == 1257492.99
    assert run.series("train/lr")[0] == 8.3916e-07 and run.series("train/grad_norm")[0] == 15.3421
    assert (run.meta["tokens_per_step"], run.meta["grad_accum_steps"], run.meta["params"]) == (524288, 2, 124475904)
    # the sample's continuation lines are recognised; the stray line is not
    assert run.meta["lines"] == {"total": 16, "used": 6, "ignored": 9, "unparsed": 1}
    assert run.meta["unparsed_sample"] == [(16, "something nobody expected")]


def test_build_nanogpt_log_txt(tmp_path: Path) -> None:
    log = write(tmp_path, "log.txt", "0 val 10.9310\n0 hella 0.2413\n0 train 10.934416\n1 train 10.5\n2 train nan\n")
    assert detect(log) is build_nanogpt
    (run,) = load(log)
    assert run.series("train/loss").iloc[:2].tolist() == [10.934416, 10.5] and math.isnan(run.series("train/loss")[2])
    assert (run.series("val/loss")[0], run.series("val/hellaswag")[0]) == (10.931, 0.2413)
    assert run.meta["variant"] == "log.txt" and run.meta["lines"]["used"] == 5


@pytest.mark.parametrize(
    "path, train, val, hella, total",
    [
        ("build_nanogpt/agndm-1epoch-stdout.out", 19073, 78, 78, 20958),
        ("build_nanogpt/agndm-short-log.txt", 95, 1, 1, 97),
    ],
)
def test_build_nanogpt_corpus_counts(path: str, train: int, val: int, hella: int, total: int) -> None:
    file = corpus_file(path)
    assert detect(file) is build_nanogpt
    (run,) = load(file)
    counts = [len(run.series(n)) for n in ("train/loss", "val/loss", "val/hellaswag")]
    assert counts == [train, val, hella]
    assert run.meta["lines"]["total"] == total and run.meta["lines"]["unparsed"] == 0
    assert_accounted(run.meta, file)


def test_build_nanogpt_corpus_facts() -> None:
    run = load(corpus_file("build_nanogpt/agndm-1epoch-stdout.out"))[0]
    assert run.meta["params"] == 124475904 and run.meta["tokens_per_step"] == 524288
    assert run.series("train/step_time_ms")[19072] == 18264.89
    assert run.series("val/loss").index[-1] == 19072  # the final eval, before the last step's print


# ---------------------------------------------------------------- Megatron

MEGATRON = """\
------------------------ arguments ------------------------
  global_batch_size ............................... 512
  hidden_size ..................................... 1024
  lr_decay_style .................................. cosine
  num_attention_heads ............................. 16
  num_layers ...................................... 24
  rampup_batch_size ............................... None
  seq_length ...................................... 2048
  train_iters ..................................... 100
-------------------- end of arguments ---------------------
[default7]: iteration       10/     100 | consumed samples:         5120 | elapsed time per iteration (s): 1.25 | learning rate: 1.000E-04 | global batch size:   512 | lm loss: 7.500000E+00 | loss scale: 4096.0 | grad norm: 1.234 | number of skipped iterations:   0 | number of nan iterations:   0 |
[default7]: iteration       20/     100 | consumed samples:        10240 | elapsed time per iteration (s): 1.30 | learning rate: 2.000E-04 | global batch size:   512 | lm loss: 6.500000E+00 | loss scale: 4096.0 | grad norm: 1.100 | number of skipped iterations:   0 | number of nan iterations:   0 |
[2022-01-19 13:09:13,305] [INFO] [stage_1_and_2.py:1644:step] [deepscale] OVERFLOW! Rank 0 Skipping step. Attempted loss scale: 4096.0, reducing to 2048.0
[2022-01-19 13:09:13,305] [INFO] [stage_1_and_2.py:1644:step] [deepscale] OVERFLOW! Rank 1 Skipping step. Attempted loss scale: 4096.0, reducing to 2048.0
[default7]: iteration       30/     100 | consumed samples:        15360 | elapsed time per iteration (s): 1.20 | learning rate: 3.000E-04 | global batch size:   512 | lm loss: 6.000000E+00 | loss scale: 2048.0 | grad norm: 1.000 | number of skipped iterations:   1 | number of nan iterations:   0 |
time (ms) | forward-compute: 120.0 | backward-compute: 240.0
-----------------------------------------------------------------------------------------------
 validation loss at iteration 30 | lm loss value: 6.100000E+00 | lm loss PPL: 4.457850E+02 |
 validation loss at iteration 30 on test set | lm loss value: 6.200000E+00 | lm loss PPL: 4.928750E+02 |
-----------------------------------------------------------------------------------------------
[default7]: iteration       20/     100 | consumed samples:        10240 | elapsed time per iteration (s): 1.30 | learning rate: 2.000E-04 | global batch size:   512 | lm loss: 6.400000E+00 | loss scale: 4096.0 | grad norm: 1.100 | number of skipped iterations:   0 | number of nan iterations:   0 |
[default7]: iteration       30/     100 | consumed samples:        15360 | elapsed time per iteration (s): 1.20 | learning rate: 3.000E-04 | global batch size:   512 | lm loss: 5.900000E+00 | loss scale: 2048.0 | grad norm: 1.000 | number of skipped iterations:   0 | number of nan iterations:   0 |
[default7]: iteration       40/     100 | consumed samples:        20480 | elapsed time per iteration (s): 1.20 | learning rate: 4.000E-04 | global batch size:   512 | lm loss: 5.500000E+00 | loss scale: 2048.0 | grad norm: 0.900 | number of skipped iterations:   0 | number of nan iterations:   0 |
 validation loss at the end of training for test data | lm loss value: 5.600000E+00 | lm loss PPL: 2.704264E+02 |
"""


def test_megatron_rank_prefix_seconds_overflow_validation_rollback(tmp_path: Path) -> None:
    log = write(tmp_path, "megatron.out", MEGATRON)
    assert detect(log) is megatron
    (run,) = megatron.parse(log)
    # resumed from the checkpoint at 10: one run, the later values win, the rollback is recorded
    assert run.series("train/loss").to_dict() == {10: 7.5, 20: 6.4, 30: 5.9, 40: 5.5}
    assert run.meta["rollbacks"] == [{"from_step": 30, "to_step": 20, "superseded": 2 * 9}]  # 2 records x 9 fields
    assert run.series("train/step_time_ms")[10] == pytest.approx(1250.0)  # (s) converted to ms
    assert run.series("train/lr")[40] == 4e-4 and run.series("train/loss_scale")[30] == 2048.0
    assert run.series("val/loss").to_dict() == {30: 6.1}
    assert run.series("val/ppl")[30] == pytest.approx(445.785)
    assert run.series("test/loss").to_dict() == {30: 6.2, 40: 5.6}  # no iteration: the last one printed
    assert run.meta["skipped_steps"] == 1  # rank 1 repeats rank 0's overflow
    assert run.meta["skipped_after_iteration"] == [20]
    assert (run.meta["n_layer"], run.meta["n_embd"], run.meta["n_head"], run.meta["block_size"]) == (24, 1024, 16, 2048)
    assert (run.meta["batch_size"], run.meta["tokens_per_step"], run.meta["max_steps"]) == (512, 512 * 2048, 100)
    assert run.meta["lr_schedule"] == "cosine"
    assert run.meta["lines"] == {"total": 24, "used": 9, "ignored": 15, "unparsed": 0}


def test_megatron_lm_timestamped_records_and_slash_keys(tmp_path: Path) -> None:
    log = write(
        tmp_path,
        "mlm.log",
        "[before the start of training step] datetime: 2024-07-15 15:26:00 \n"
        " [2024-07-15 15:26:21] iteration       10/    1000 | consumed samples:           80 | elapsed time per iteration (ms): 8195.9 | learning rate: 1.000000E-06 | global batch size:     8 | loss scale: 8388608.0 | number of skipped iterations:  10 | number of nan iterations:   0 |\n"
        "0: [default3]: [2024-07-15 15:26:30] iteration       20/    1000 | consumed samples:          160 | elapsed time per iteration (ms): 900.0 | throughput per GPU (TFLOP/s/GPU): 116.9 | tokens/sec/GPU: 48834 | learning rate: 2.000000E-06 | global batch size:     8 | lm loss: 8.482397E+00 | z_loss: 1.1E+01 | loss scale: 1.0 | grad norm: 184.5 | number of skipped iterations:   0 | number of nan iterations:   0 |\n"
        " validation loss at iteration 20 on validation set | lm loss value: 8.400000E+00 | lm loss PPL: 4.447067E+03 | \n",
    )
    assert detect(log) is megatron
    (run,) = megatron.parse(log)
    assert run.series("train/loss").to_dict() == {20: 8.482397}  # all of the first 10 iterations were skipped
    assert run.series("train/skipped_iterations").to_dict() == {10: 10.0, 20: 0.0}
    assert run.series("train/tflops")[20] == 116.9
    assert run.series("train/tokens_per_sec_per_gpu")[20] == 48834.0
    assert run.series("train/z_loss")[20] == 11.0
    assert run.series("val/loss").to_dict() == {20: 8.4}
    assert run.meta["lines"] == {"total": 4, "used": 3, "ignored": 1, "unparsed": 0}


@pytest.mark.parametrize(
    "path, iterations, skipped, total",
    [
        ("megatron/bigscience-megds-3d-perf-n16-divergence.out", 62, 0, 984),
        ("megatron/bigscience-tr8b-104B-chronicles-excerpt-spike-overflow.log", 9, 6, 15),
        ("megatron/bigscience-tr1-13B-spike-29050-excerpt.log", 8, 0, 15),
    ],
)
def test_megatron_corpus_counts(path: str, iterations: int, skipped: int, total: int) -> None:
    file = corpus_file(path)
    assert detect(file) is megatron
    (run,) = load(file)
    assert len(run.series("train/loss")) == iterations
    assert run.meta["skipped_steps"] == skipped
    assert run.meta["lines"]["total"] == total and run.meta["lines"]["unparsed"] == 0
    assert_accounted(run.meta, file)


def test_megatron_corpus_facts() -> None:
    n16 = load(corpus_file("megatron/bigscience-megds-3d-perf-n16-divergence.out"))[0]
    assert n16.series("train/loss")[4] == pytest.approx(48.14127)
    assert (n16.meta["n_layer"], n16.meta["n_embd"], n16.meta["batch_size"], n16.meta["block_size"]) == (
        64,
        8192,
        1024,
        1024,
    )
    assert n16.meta["config"]["fp16"] is True
    assert 50e9 < n16.meta["params"] < 54e9  # ~52B, summed over the 4x16 model-parallel shards
    tr8b = load(corpus_file("megatron/bigscience-tr8b-104B-chronicles-excerpt-spike-overflow.log"))[0]
    assert tr8b.series("train/tflops")[17062] == 32.04
    assert tr8b.series("train/tokens")[17060] == 16643457024
    assert tr8b.series("train/loss")[17062] == pytest.approx(4.374269)
    tr1 = load(corpus_file("megatron/bigscience-tr1-13B-spike-29050-excerpt.log"))[0]
    assert tr1.series("train/loss")[29060] == pytest.approx(8.715872)


# ---------------------------------------------------------------- torchtitan

ESC = "\x1b"
TITAN = (
    "+ NGPU=8\n"
    "[rank0]:[titan] 2026-05-24 20:28:21,356 - root - INFO - Building device mesh with parallelism: pp=1, "
    "dp_replicate=1, dp_shard=4, cp=1, tp=2, ep=1\n"
    "[rank0]:[titan] 2026-05-24 20:28:26,810 - root - INFO - CUDA capacity: NVIDIA H100 80GB HBM3 with 79.10GiB memory\n"
    f"[rank0]:[titan] 2026-05-24 20:28:27,233 - root - INFO - {ESC}[34mModel llama3 8B {ESC}[31msize: 8,030,261,248 total parameters{ESC}[39m\n"
    "[rank0]:[titan] 2026-05-24 20:28:28,052 - root - INFO - Peak FLOPS used for computing MFU: 9.890e+14\n"
    "[rank0]:[titan] 2026-05-24 20:28:28,077 - root - INFO - Trainer is initialized with local batch size 2, "
    "global batch size 8, gradient accumulation steps 1, sequence length 8192, total steps 1000 (warmup 200)\n"
    f"[rank0]:[titan] 2026-05-24 20:29:02,920 - root - INFO - {ESC}[31mstep:  1  {ESC}[32mloss: 12.47335  "
    f"{ESC}[38;2;180;60;0mgrad_norm: 24.5000  {ESC}[38;2;54;234;195mmemory: 56.33GiB(71.20%)  {ESC}[34mtps: 603  "
    f"{ESC}[36mtflops: 50.77  {ESC}[35mmfu: N/A{ESC}[39m\n"
    f"[rank0]:[titan] 2026-05-24 20:29:04,847 - root - INFO - {ESC}[31mstep:  2  {ESC}[32mloss: 11.00525  "
    f"{ESC}[38;2;54;234;195mmemory: 56.33GiB(71.20%)  {ESC}[34mtps: 11,161  {ESC}[36mtflops: 1,000.13  "
    f"{ESC}[35mmfu: 41.20%{ESC}[39m\n"
    f"[rank0]:[titan] 2026-05-24 20:29:05,000 - root - INFO - {ESC}[33mvalidate step:  2  {ESC}[32mloss: 10.5000  "
    f"{ESC}[38;2;54;234;195mmemory: 57.00GiB  {ESC}[34mtps: 30,000{ESC}[39m\n"
    "[rank0]:/path/to/torch/utils.py:468: UserWarning: Set timeout is now only supported for either nccl or gloo.\n"
    "[rank0]:  torch.distributed.distributed_c10d._set_pg_timeout(timeout, group)\n"
)


def test_torchtitan_ansi_thousands_na_header(tmp_path: Path) -> None:
    log = write(tmp_path, "titan.log", TITAN)
    assert detect(log) is torchtitan
    (run,) = torchtitan.parse(log)
    assert run.series("train/loss").to_dict() == {1: 12.47335, 2: 11.00525}
    assert run.series("train/tokens_per_sec").to_dict() == {1: 603.0, 2: 11161.0}
    assert run.series("train/tflops")[2] == pytest.approx(1000.13)
    mfu = run.series("train/mfu")
    assert math.isnan(mfu[1]) and mfu[2] == 41.2
    assert run.series("train/memory_gib")[1] == 56.33 and run.series("train/memory_pct")[1] == 71.2
    assert run.series("val/loss").to_dict() == {2: 10.5}
    assert run.series("val/memory_gib")[2] == 57.0 and run.series("val/tokens_per_sec")[2] == 30000.0
    assert len(run.series("train/grad_norm")) == 1
    meta = run.meta
    assert (meta["gpu"], meta["params"], meta["peak_tflops"], meta["world_size"]) == (
        "NVIDIA H100 80GB HBM3",
        8030261248,
        pytest.approx(989.0),
        8,
    )
    assert (meta["batch_size"], meta["block_size"], meta["max_steps"], meta["warmup_steps"]) == (8, 8192, 1000, 200)
    assert meta["tokens_per_step"] == 8 * 8192 and meta["tokens_per_sec_scope"] == "per_gpu"
    assert meta["lines"] == {"total": 11, "used": 3, "ignored": 8, "unparsed": 0}


def test_torchtitan_2024_format(tmp_path: Path) -> None:
    log = write(
        tmp_path,
        "titan-old.log",
        "[rank0]:2024-04-16 21:45:20,124 - root - INFO - GPU capacity: NVIDIA H100 (0) with 79.10GiB memory\n"
        "[rank0]:2024-04-16 21:45:20,200 - root - INFO - Training starts at step 1, with local batch size 1, "
        "global batch size 8, sequence length 8192, total steps 1000 (warmup 200)\n"
        f"[rank0]:2024-04-16 21:45:39,433 - root - INFO - {ESC}[36mstep:  1  {ESC}[32mloss: 10.8968  "
        f"{ESC}[33mmemory:  9.76GiB(10.27%)  {ESC}[34mwps: 2,112  {ESC}[35mmfu: 1.52%{ESC}[39m\n",
    )
    assert detect(log) is torchtitan
    (run,) = load(log)
    assert run.series("train/loss").to_dict() == {1: 10.8968}
    assert run.series("train/tokens_per_sec")[1] == 2112.0 and run.series("train/mfu")[1] == 1.52
    assert (run.meta["gpu"], run.meta["batch_size"], run.meta["block_size"], run.meta["max_steps"]) == (
        "NVIDIA H100",
        8,
        8192,
        1000,
    )
    assert run.meta["lines"] == {"total": 3, "used": 1, "ignored": 2, "unparsed": 0}


def test_torchtitan_corpus() -> None:
    file = corpus_file("torchtitan/qwen3-14b-autoresearch-run399-10steps.log")
    assert detect(file) is torchtitan
    (run,) = load(file)
    assert len(run.series("train/loss")) == 10
    assert run.series("train/loss")[3] == 14.44712 and run.series("train/tokens_per_sec")[10] == 11845.0
    assert run.series("train/tflops")[8] == pytest.approx(1000.13)
    assert run.series("train/mfu").isna().all()
    meta = run.meta
    assert (meta["gpu"], meta["params"], meta["peak_tflops"]) == ("NVIDIA B200", 14768307200, 2250.0)
    assert (meta["batch_size"], meta["local_batch_size"], meta["block_size"], meta["world_size"]) == (1344, 168, 128, 8)
    assert meta["warmup_steps"] == 10  # the trainer clipped warmup 600 to the 10 steps run
    assert meta["lines"]["total"] == 343 and meta["lines"]["unparsed"] == 0
    assert_accounted(meta, file)


# ---------------------------------------------------------------- registry and CLI


def test_text_readers_registered_with_sample_and_sniffing_their_sample() -> None:
    names = [p.NAME for p in PARSERS]
    for reader in TEXT_READERS:
        assert reader in PARSERS and names.count(reader.NAME) == 1
        winners = [p for p in PARSERS if p.sniff(reader.SAMPLE + "\n")]
        assert winners and winners[0] is reader, reader.NAME


@pytest.mark.parametrize(
    "path, reader",
    [
        ("modded-nanogpt/soap-6000steps.txt", modded_nanogpt),
        ("modded-nanogpt/track3-valonly-seconds.txt", modded_nanogpt),
        ("build_nanogpt/agndm-1epoch-stdout.out", build_nanogpt),
        ("build_nanogpt/agndm-short-log.txt", build_nanogpt),
        ("megatron/bigscience-tr1-13B-spike-29050-excerpt.log", megatron),
        ("torchtitan/qwen3-14b-autoresearch-run399-10steps.log", torchtitan),
        ("nanogpt/yplarrywang-tinystories-50M-6000iters.log", None),
        ("llmc_stdout/hector-a100-gpt2-124M-full.log", None),
        ("llmc/mng-llmc-gpt2-124M-8xH100.log", None),
        ("torchtitan/ci-llama3-cuda-golden-losses.txt", None),
    ],
)
def test_text_readers_claim_only_their_own_corpus_files(path: str, reader) -> None:
    head = read_head(corpus_file(path))
    claimed = [r for r in TEXT_READERS if r.sniff(head)]
    assert claimed == ([reader] if reader else [])


def test_cli_show_and_formats(tmp_path: Path) -> None:
    log = write(tmp_path, "megatron.out", MEGATRON)
    result = CliRunner().invoke(app, ["show", str(log), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["format"] == "megatron"
    assert doc["runs"][0]["series"]["train/loss"]["points"] == 4
    assert doc["runs"][0]["meta"]["skipped_steps"] == 1
    assert doc["lines"]["total"] == 24

    result = CliRunner().invoke(app, ["formats", "--json"])
    assert result.exit_code == 0
    listed = {row["name"]: row["sample"] for row in json.loads(result.stdout)["formats"]}
    for reader in TEXT_READERS:
        assert listed[reader.NAME] == reader.SAMPLE


@pytest.mark.parametrize("reader", TEXT_READERS, ids=lambda r: r.NAME)
def test_readers_take_garbage_without_traceback(tmp_path: Path, reader) -> None:
    text = "step:\n iteration x/ | lm loss: |\nstep  | loss: \n[titan] step: 1 loss: abc\n0 train\n\u00e9\u00e8\r\n"
    log = write(tmp_path, "junk.log", text)
    runs = reader.parse(log)
    assert runs and runs[0].meta["lines"]["total"] == 6
    assert_accounted(runs[0].meta, log)


@pytest.mark.parametrize("reader", TEXT_READERS, ids=lambda r: r.NAME)
def test_empty_file_has_no_lines(tmp_path: Path, reader) -> None:
    (run,) = reader.parse(write(tmp_path, "empty.log", ""))
    assert run.meta["lines"] == {"total": 0, "used": 0, "ignored": 0, "unparsed": 0}
    assert len(run.df) == 0


# ---------------------------------------------------------------- examples/logs (written by examples/generate.py)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "logs"


@pytest.mark.parametrize(
    "name, reader, counts",
    [
        # generator: 1000 steps, val every 125 and at the end
        ("modded-nanogpt-record.txt", modded_nanogpt, {"train/loss": 1000, "val/loss": 9}),
        # generator: steps 0..749, val and HellaSwag at 0, 250, 500
        ("build-nanogpt-log.txt", build_nanogpt, {"train/loss": 750, "val/loss": 3, "val/hellaswag": 3}),
        ("build-nanogpt-stdout.out", build_nanogpt, {"train/loss": 750, "val/loss": 3, "val/hellaswag": 3}),
        # generator: log interval 10 over 1000 iterations, validation every 250
        ("megatron-gpt-345M.log", megatron, {"train/loss": 100, "val/loss": 4}),
        # generator: log every 10 of 500 steps, validation every 250
        ("torchtitan-llama3-debug.log", torchtitan, {"train/loss": 50, "val/loss": 2}),
    ],
)
def test_examples_read_by_their_reader(name: str, reader, counts: dict[str, int]) -> None:
    path = EXAMPLES / name
    assert detect(path) is reader
    (run,) = load(path)
    assert {series: len(run.series(series)) for series in counts} == counts
    assert run.meta["lines"]["unparsed"] == 0
    assert_accounted(run.meta, path)


def test_example_facts_survive_the_round_trip() -> None:
    modded = load(EXAMPLES / "modded-nanogpt-record.txt")[0]
    assert (modded.meta["warmup_steps"], modded.meta["warmdown_steps"], modded.meta["tokens_per_step"]) == (
        100,
        300,
        524288,
    )
    mega = load(EXAMPLES / "megatron-gpt-345M.log")[0]
    assert mega.meta["skipped_steps"] == 1 and mega.meta["tokens_per_step"] == 256 * 1024
    assert mega.series("train/loss_scale")[440] == 32768.0  # halved after the overflow
    titan = load(EXAMPLES / "torchtitan-llama3-debug.log")[0]
    # the generator prints mfu = tflops / 989 peak: the reader's numbers must agree to print rounding
    ratio = 100 * titan.series("train/tflops") / titan.meta["peak_tflops"] - titan.series("train/mfu")
    assert ratio.abs().max() < 0.01


def test_modded_odd_source_raises_no_warning(tmp_path: Path, recwarn: pytest.WarningsRecorder) -> None:
    # `1if` and `"\\d"` make the compiler warn (SyntaxWarning, DeprecationWarning); the library stays silent
    source = "import os\n" + "x = 1\n" * 25 + 'y = 1if x else "\\d"\n' + "=" * 100 + "\n"
    log = write(tmp_path, "odd.txt", source + "step:0/10 val_loss:10.9 train_time:0ms step_avg:nanms\n")
    (run,) = modded_nanogpt.parse(log)
    assert len(run.series("val/loss")) == 1
    assert not [w for w in recwarn if issubclass(w.category, (SyntaxWarning, DeprecationWarning))]

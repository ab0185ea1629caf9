# ruff: noqa: E501  (inline logs keep their real, long lines)
"""The fast path (parsers/_fast.py) reads exactly what the line loop reads: on logs with odd lines mixed in
(cut records, ANSI codes, carriage returns, banners, rollbacks, a second run), every point, every line count and
the meta are the same whether the common records go through the fast path or, forced, through the line loop."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from lossdoc.parsers import _fast, build_nanogpt, llmc, llmc_stdout, megatron, modded_nanogpt, torchtitan
from lossdoc.run import Run
from tests.conftest import corpus_file

NEVER = "\x00never\x00"  # a prefix no line has: every line goes through the line loop


def _mess(lines: list[str], seed: int) -> list[str]:
    """Odd lines mixed in where real logs have them."""
    rng = random.Random(seed)
    out = list(lines)
    for _ in range(25):
        i = rng.randrange(1, len(out) - 1)
        op = rng.choice(["cut", "ansi", "cr", "junk", "dup", "space", "crlf", "tab"])
        line = out[i]
        if op == "cut":
            out[i] = line[: max(1, len(line) // 2)]
        elif op == "ansi":
            out[i] = "\x1b[32m" + line + "\x1b[0m"
        elif op == "cr":
            out[i] = "progress 10%\r" + line
        elif op == "junk":
            out.insert(i, "some banner the reader does not know 123")
        elif op == "dup":  # a rollback: a stretch of records printed again
            out[i:i] = out[max(0, i - 30) : max(0, i - 5)]
        elif op == "space":
            out[i] = line + "  "
        elif op == "crlf":
            out[i] = line + "\r"
        else:
            out[i] = line.replace(" ", "\t", 1)
    return out


def _same(a: list[Run], b: list[Run]) -> None:
    assert [r.name for r in a] == [r.name for r in b]
    for ra, rb in zip(a, b):
        assert ra.meta == rb.meta
        assert ra.names() == rb.names()
        for name in ra.names():
            sa, va = ra.arrays(name)
            sb, vb = rb.arrays(name)
            assert sa.tolist() == sb.tolist(), name
            assert all(x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(va.tolist(), vb.tolist())), name
        # the points in file order too (the frame's rows)
        assert ra._points is not None and rb._points is not None
        assert ra._points.steps.tolist() == rb._points.steps.tolist()


def _llmc_log(n: int) -> list[str]:
    lines = []
    for s in range(n):
        if s % 50 == 0:
            lines.append(f"s:{s} tel:{5 - s / n:.4f}")
        lines.append(f"s:{s} trl:{5 - s / n + 0.01 * (s % 7):.4f} lr:0.000600 norm:{0.2 + s % 5 / 10:.2f}")
    return lines


def _modded_log(n: int, seconds_at: int | None = None) -> list[str]:
    lines = ["import torch", "=" * 100, "Running PyTorch 2.5.0 compiled for CUDA 12.4", "=" * 100]
    for s in range(n):
        if s % 40 == 0:
            lines.append(f"step:{s}/{n} val_loss:{5 - s / n:.4f} train_time:{s * 98}ms step_avg:98.00ms")
        clock = f"{s * 98 / 1000}s" if s == seconds_at else f"{s * 98}ms"
        lines.append(f"step:{s + 1}/{n} train_loss:{5 - s / n:.4f} train_time:{clock} step_avg:98.{s % 10}0ms")
    return lines


def _megatron_log(n: int) -> list[str]:
    lines = ["using world size: 8, data-parallel-size: 8, tensor-model-parallel size: 1, pipeline-model-parallel size: 1"]
    for s in range(1, n + 1):
        if s % 40 == 0:
            lines.append(f" validation loss at iteration {s} | lm loss value: {5 - s / n:.6E} | lm loss PPL: 2.0E+01 |")
        if s % 70 == 0:
            lines.append("[deepscale] OVERFLOW! Rank 0 Skipping step. Attempted loss scale: 65536.0, reducing to 32768.0")
        lines.append(
            f" iteration {s:8d}/{n:8d} | consumed samples: {s * 512:12d} | elapsed time per iteration (ms): 412.{s % 9} | "
            f"learning rate: 3.000E-04 | global batch size:   512 | lm loss: {5 - s / n:.6E} | loss scale: {65536.0 / (1 + s // 70):.1f} | "
            f"grad norm: 0.300 | number of skipped iterations:   0 | number of nan iterations:   0 |"
        )
    return lines


def _write(tmp_path: Path, name: str, lines: list[str], final_newline: bool = True) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + ("\n" if final_newline else ""), encoding="utf-8", newline="")
    return path


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_llmc_fast_path_reads_what_the_line_loop_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    lines = _mess(_llmc_log(600), seed)
    path = _write(tmp_path, "main.log", lines + lines[:200], final_newline=seed != 2)  # a second run follows
    fast = llmc.parse(path)
    assert fast[0].meta["lines"]["used"] > 0
    monkeypatch.setattr(llmc, "_grammar", lambda text: _fast.Grammar(NEVER, r"\x00(\d+) (\S+)", ("train/loss",)))
    _same(fast, llmc.parse(path))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_modded_fast_path_reads_what_the_line_loop_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    lines = _mess(_modded_log(500, seconds_at=200), seed)
    path = _write(tmp_path, "record.txt", lines + lines[:150], final_newline=seed != 2)
    fast = modded_nanogpt.parse(path)
    assert len(fast) >= 2 and fast[0].has("train/step_time_ms")
    monkeypatch.setattr(modded_nanogpt, "_strict_keys", lambda text: None)
    _same(fast, modded_nanogpt.parse(path))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_megatron_fast_path_reads_what_the_line_loop_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    lines = _mess(_megatron_log(500), seed)
    path = _write(tmp_path, "train.out", lines, final_newline=seed != 2)
    fast = megatron.parse(path)
    monkeypatch.setattr(megatron, "_grammar", lambda text: None)
    _same(fast, megatron.parse(path))


def _stdout_log(n: int) -> list[str]:
    lines = ["+-----------------------+----------------------------------------------------+",
             "| num_parameters        | 124475904                                          |"]
    for s in range(1, n + 1):
        lines.append(f"step {s:4d}/{n} | loss {5 - s / n:.6f} (+0.{s % 9}2z)| norm {0.2 + s % 5 / 10:6.4f} (-0.30z)| lr 6.00e-04 | 140.20 ms | 45.1% bf16 MFU | 3739000 tok/s")
        if s % 50 == 0:
            lines.append(f"val loss {5 - s / n:.6f}")
            lines.append("evaluating HellaSwag: 0/1256\revaluating HellaSwag: 10/1256")
            lines.append(f"HellaSwag: 2493/10042 = 0.{s:04d}")
    return lines


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_llmc_stdout_fast_path_reads_what_the_line_loop_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    lines = _mess(_stdout_log(500), seed)
    path = _write(tmp_path, "train.log", lines, final_newline=seed != 2)
    fast = llmc_stdout.parse(path)
    monkeypatch.setattr(llmc_stdout, "_GRAMMAR", _fast.Grammar(NEVER, r"\x00(\d+) (\S+)", ("__total",)))
    _same(fast, llmc_stdout.parse(path))


def _build_log(n: int) -> list[str]:
    lines = ["total desired batch size: 524288", "=> calculated gradient accumulation steps: 2"]
    for s in range(n):
        if s % 50 == 0:
            lines += [f"validation loss: {5 - s / n:.4f}", "rank 0 sample 0: Hello, I'm a language model, and", "I like", f"HellaSwag accuracy: 2497/10042=0.{s:04d}"]
        lines.append(f"step {s:5d} | loss: {5 - s / n:.6f} | lr 6.0000e-04 | norm: 0.{s % 7}000 | dt: 410.25ms | tok/sec: 1277966.93")
    return lines


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_build_nanogpt_fast_path_reads_what_the_line_loop_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    lines = _mess(_build_log(500), seed)
    path = _write(tmp_path, "train.out", lines, final_newline=seed != 2)
    fast = build_nanogpt.parse(path)
    monkeypatch.setattr(build_nanogpt, "_GRAMMAR", _fast.Grammar(NEVER, r"\x00(\d+) (\S+)", ("train/loss",)))
    _same(fast, build_nanogpt.parse(path))


def _titan_log(n: int) -> list[str]:
    esc, head = "\x1b", "[rank0]:[titan] 2026-11-22 08:00:00,000 - root - INFO - "
    lines = [f"{head}Model llama3 8B size: 8,030,261,248 total parameters", "+ torchrun --nproc_per_node 8"]
    for s in range(1, n + 1):
        lines.append(
            f"{head}{esc}[31mstep: {s:2}  {esc}[32mloss: {5 - s / n:7.4f}  {esc}[38;2;180;60;0mgrad_norm: 0.{s % 9}000  "
            f"{esc}[38;2;54;234;195mmemory: 21.37GiB(27.01%)  {esc}[34mtps: 11,{s % 1000:03d}  {esc}[36mtflops: 998.06  "
            f"{esc}[35mmfu: {'N/A' if s % 7 == 0 else '44.36%'}{esc}[39m"
        )
        if s % 50 == 0:
            lines.append(f"{head}validate step: {s}  loss: {5 - s / n:.4f}  memory: 20.1GiB")
    return lines


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_torchtitan_fast_path_reads_what_the_line_loop_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    lines = _mess(_titan_log(500), seed)
    path = _write(tmp_path, "run.log", lines, final_newline=seed != 2)
    fast = torchtitan.parse(path)
    monkeypatch.setattr(torchtitan, "_grammar", lambda text: None)
    _same(fast, torchtitan.parse(path))


@pytest.mark.parametrize(
    ("module", "name"),
    [
        (llmc, "llmc/mng-llmc-gpt2-124M-8xH100.log"),
        (llmc, "llmc/mng-adamw-baseline-oldfmt.log"),
        (modded_nanogpt, "modded-nanogpt/soap-6000steps.txt"),
        (modded_nanogpt, "modded-nanogpt/tyler-romero-6312steps-tokps-vram.txt"),
        (megatron, "megatron/bigscience-megds-3d-perf-n16-divergence.out"),
        (llmc_stdout, "llmc_stdout/hector-a100-gpt2-124M-full.log"),
        (llmc_stdout, "llmc_stdout/hector-a100-allnan-cancelled.log"),
        (build_nanogpt, "build_nanogpt/agndm-1epoch-stdout.out"),
        (torchtitan, "torchtitan/qwen3-14b-autoresearch-run399-10steps.log"),
    ],
)
def test_corpus_fast_path_reads_what_the_line_loop_reads(monkeypatch: pytest.MonkeyPatch, module, name: str) -> None:
    path = corpus_file(name)
    fast = module.parse(path)
    if module is llmc:
        monkeypatch.setattr(llmc, "_grammar", lambda text: _fast.Grammar(NEVER, r"\x00(\d+) (\S+)", ("train/loss",)))
    elif module is modded_nanogpt:
        monkeypatch.setattr(modded_nanogpt, "_strict_keys", lambda text: None)
    elif module is torchtitan:
        monkeypatch.setattr(torchtitan, "_grammar", lambda text: None)
    elif module is build_nanogpt:
        monkeypatch.setattr(build_nanogpt, "_GRAMMAR", _fast.Grammar(NEVER, r"\x00(\d+) (\S+)", ("train/loss",)))
    elif module is llmc_stdout:
        monkeypatch.setattr(llmc_stdout, "_GRAMMAR", _fast.Grammar(NEVER, r"\x00(\d+) (\S+)", ("__total",)))
    else:
        monkeypatch.setattr(megatron, "_grammar", lambda text: None)
    _same(fast, module.parse(path))


def test_other_lines_are_numbered_and_placed_exactly() -> None:
    grammar = _fast.Grammar("s:", r"s:(\d+) v:(\S+)[ \t\r]*$", ("train/loss",))
    text = "head\ns:1 v:1.5\ns:2 w:9\nbanner\ns:3 v:2.5\ns:4 v:\n"
    found = _fast.scan(text, grammar)
    assert found.steps.tolist() == [1, 3]
    assert found.others == [(1, "head", 0), (3, "s:2 w:9", 1), (4, "banner", 1), (6, "s:4 v:", 2)]


@pytest.mark.parametrize("text", [
    "héad ✓\ns:1 v:1.5\nbanner é\ns:3 v:2.5\n\ns:4 v:",  # non-ASCII: line places from the lines' lengths
    "head\ns:1 v:1.5\nbanner\ns:3 v:2.5\n\ns:4 v:",  # ASCII: from the newline bytes; no final newline
])
def test_other_lines_are_cut_out_exactly(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_fast, "CHUNK_CHARS", 8)  # a piece every line or two
    found = _fast.scan(text, _fast.Grammar("s:", r"s:(\d+) v:(\S+)[ \t\r]*$", ("train/loss",)))
    lines = text.split("\n")
    assert found.steps.tolist() == [1, 3]
    assert found.others == [(1, lines[0], 0), (3, lines[2], 1), (5, "", 2), (6, "s:4 v:", 2)]


def test_a_grammar_of_the_step_alone() -> None:
    """One group (findall gives plain strings): records and other lines still in their places."""
    found = _fast.scan("s:1\nx\ns:2\n", _fast.Grammar("s:", r"s:(\d+)[ \t\r]*$", ()))
    assert found.steps.tolist() == [1, 2] and found.fields == [] and found.others == [(2, "x", 1)]

"""torchtitan stdout (``torchtitan/components/metrics.py:MetricsProcessor.log`` and ``validate.py``).

    [rank0]:[titan] 2026-05-24 20:29:19,458 - root - INFO - \\x1b[31mstep: 10  \\x1b[32mloss:  6.36463
        \\x1b[38;2;180;60;0mgrad_norm: 23.3750  \\x1b[38;2;54;234;195mmemory: 163.69GiB(91.78%)
        \\x1b[34mtps: 11,845  \\x1b[36mtflops: 998.06  \\x1b[35mmfu: N/A\\x1b[39m   (one line)
    … validate step: 100  loss: 3.2101  memory: …                               -> val/loss
ANSI colour codes sit inside the record and are removed; numbers may carry thousands separators (`tps: 11,845`,
`tflops: 1,000.13`); `mfu: N/A` (no peak FLOPS known for the device) is NaN. Older releases print `wps:`
instead of `tps:`. torchtitan's tps and tflops are per GPU (tokens per second per device), so
``meta["tokens_per_sec_scope"] = "per_gpu"``. Header lines give the GPU, the parameter count, the peak FLOPS
used for MFU, batch and sequence sizes, total and warmup steps.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from ..run import Run, canonical_name
from . import _events, _sniffers
from ._assemble import assemble
from ._fast import Grammar, Sink, merge, scan
from ._text import ANSI, HEAD_BYTES, LineAccount, is_noise, read_text, to_float

NAME = "torchtitan"
DESCRIPTION = "torchtitan stdout (step: N  loss: X  ... tps: ... mfu: ...)"
SAMPLE = (
    "step: 10  loss:  6.36463  grad_norm: 23.3750  memory: 163.69GiB(91.78%)  tps: 11,845  tflops: 998.06  mfu: 44.36%"
)

_RANKS = re.compile(r"^(?:\[rank\d+\]:)+")
# `[titan] 2026-05-24 20:29:19,458 - root - INFO - ` (releases before 2025 print no `[titan] `)
_LOGGING = re.compile(r"^(?:\[titan\] )?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ - [\w.]+ - [A-Z]+ - ")
_RECORD = re.compile(r"^(validate step|step):\s*(\d+)\s+(.*)$")
_FIELD = re.compile(r"([A-Za-z_][\w/]*):\s*(\S+)")
_MEMORY = re.compile(r"^([\d.,]+)GiB(?:\(([\d.]+)%\))?$")  # newer validation lines print no percentage
_GPU = re.compile(r"(?:CUDA|GPU|ROCm|XPU) capacity: (.+?) (?:\(\d+\) )?with ([\d.]+)GiB memory")
_MODEL = re.compile(r"Model (.+?) size: ([\d,]+) total parameters")
_PARAM_COUNT = re.compile(r"Total parameter count: dense ([\d,]+), sparse ([\d,]+), active ([\d,]+)")
_PEAK = re.compile(r"Peak FLOPS used for computing MFU: ([\d.eE+]+)")
_WARMUP_ADJUSTED = re.compile(r"Warmup steps \((\d+)\) exceed total steps \((\d+)\)\. Adjusting warmup steps to (\d+)")
_FP8 = re.compile(r"(?:Converted modules to use|training active).*?\b((?:mx)?fp8|float8)", re.I)  # fp8 matmuls
_MESH = re.compile(r"Building \d*-?D? ?device mesh with parallelism: (.*)$")
# "Trainer is initialized with local batch size 168, global batch size 1344, gradient accumulation steps 1,
#  sequence length 128, total steps 10 (warmup 600)" (older: "Training starts at step 1, with local batch size …")
_SIZES = {
    "local_batch_size": re.compile(r"local batch size (\d+)"),
    "batch_size": re.compile(r"global batch size (\d+)"),
    "grad_accum_steps": re.compile(r"gradient accumulation steps (\d+)"),
    "block_size": re.compile(r"sequence length (\d+)"),
    "max_steps": re.compile(r"total steps (\d+)"),
    "warmup_steps": re.compile(r"\(warmup (\d+)\)"),
}
_FIELDS = {
    "loss": "loss",
    "grad_norm": "grad_norm",
    "tps": "tokens_per_sec",  # tokens per second per GPU
    "wps": "tokens_per_sec",  # older name of tps
    "tflops": "tflops",  # achieved TFLOP/s per GPU
    "mfu": "mfu",  # percent
    "lr": "lr",
}


sniff = _sniffers.torchtitan  # sniffing is in _sniffers.py: detect() sniffs without importing this module


def parse(path: Path) -> list[Run]:
    log = read_text(path)
    account = LineAccount(total=log.total_lines())
    points = Sink()
    meta: dict[str, Any] = {"format": NAME, "source": str(path), "tokens_per_sec_scope": "per_gpu"}
    grammar = _grammar(log.text)
    if grammar is not None:
        found = scan(log.text, grammar)
        account.used = found.count
        lines: Any = found.others
    else:
        found, lines = None, ((lineno, raw, 0) for lineno, raw in enumerate(log.lines(), 1))
    for lineno, raw, at in lines:  # every line the fast path did not take, one by one as always
        line = _RANKS.sub("", ANSI.sub("", raw.rstrip("\r")))
        logged = _LOGGING.match(line)
        message = line[logged.end() :] if logged else line
        if m := _RECORD.match(message):
            split = "val" if m.group(1) == "validate step" else "train"
            step = int(m.group(2))
            for key, value in _FIELD.findall(m.group(3)):
                _add(points, at, split, step, key, value)
            account.used += 1
            continue
        if logged:
            _header(message, meta)
            account.ignored += 1
        elif is_noise(line) or line.startswith(("+ ", "NCCL ", "torchrun ")):
            _events.line_events(meta, None, lineno, line)
            account.ignored += 1
        else:
            account.unknown(lineno, raw)
    if isinstance(meta.get("batch_size"), int) and isinstance(meta.get("block_size"), int):
        meta["tokens_per_step"] = meta["batch_size"] * meta["block_size"]  # global batch includes accumulation
    account.store(meta, log)
    if found is None:
        names = list(dict.fromkeys(points.names))
        codes = [names.index(n) for n in points.names]
        return assemble(points.steps, codes, points.values, names, meta, path.stem)
    steps, codes, values, names = merge(found, points)
    return assemble(steps, codes, values, names, meta, path.stem)


_COLOUR = r"(?:\x1b\[[0-9;]*m)?"
_FIRST = re.compile(r"^((?:\[rank\d+\]:)*(?:\[titan\] )?)\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+( - [\w.]+ - [A-Z]+ - )(.*)$", re.M)
_CODE = re.compile(r"\x1b\[[0-9;]*m")


def _grammar(text: str) -> Grammar | None:
    """The train record as the log's first one prints it (prefix, logger, keys, colours), for the fast path.
    The logger's name and level and the colour codes are the first record's literals: a regex with `[\\w.]+`,
    `[A-Z]+` and optional codes there costs 2x the plain one-regex baseline; a record printed otherwise (none
    is, in torchtitan) would go through the line loop, which reads it the same."""
    for m in _FIRST.finditer(text, 0, HEAD_BYTES):
        message = ANSI.sub("", m.group(3).rstrip("\r"))
        record = _RECORD.match(message)
        if not record or record.group(1) != "step":
            continue
        fields = _FIELD.findall(record.group(3))
        if not fields or not m.group(1) or len({k for k, _ in fields}) != len(fields):
            return None
        colour = _colours(m.group(3).rstrip("\r"), ["step"] + [k for k, _ in fields])
        body = re.escape(m.group(1)) + r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+" + re.escape(m.group(2))
        body += colour[0] + r"step: *(\d+)"
        names: list[str] = []
        for (key, value), code in zip(fields, colour[1:]):
            body += r"[ \t]+" + code + re.escape(key) + ": *"
            if key == "memory":
                memory = _MEMORY.match(value)
                if not memory:
                    return None
                body += r"([\d.]+)GiB" + (r"\(([\d.]+)%\)" if memory.group(2) is not None else "")
                names += ["train/memory_gib"] + (["train/memory_pct"] if memory.group(2) is not None else [])
            else:
                body += r"([^\s\x1b%]+)%?"
                names.append(_series_name("train", key))
        body += colour[-1] + r"[ \t\r]*$"
        return Grammar(m.group(1), body, tuple(names))
    return None


def _colours(message: str, keys: list[str]) -> list[str]:
    """The regex of the colour code before each key of a record and of the one at its end: the code itself,
    escaped ("" for none), when each key is preceded by at most one code; else the optional code of any colour."""
    out, pos = [], 0
    for key in keys:
        at = message.find(key + ":", pos)
        before = message[pos:at]
        codes = _CODE.findall(before)
        if at < 0 or len(codes) > 1 or (codes and not before.endswith(codes[0])):
            return [_COLOUR] * (len(keys) + 1)
        out.append(re.escape(codes[0]) if codes else "")
        pos = at + len(key) + 1
    tail = _CODE.findall(message[pos:])
    out.append(re.escape(tail[-1]) if len(tail) == 1 and message.rstrip(" \t").endswith(tail[-1]) else _COLOUR)
    return out


def _add(points: Sink, at: int, split: str, step: int, key: str, value: str) -> None:
    if key == "memory":
        if m := _MEMORY.match(value):
            points.add(at, step, f"{split}/memory_gib", to_float(m.group(1)))
            if m.group(2) is not None:
                points.add(at, step, f"{split}/memory_pct", to_float(m.group(2)))
        return
    points.add(at, step, _series_name(split, key), to_float(value.rstrip("%")))


@functools.lru_cache(maxsize=1024)
def _series_name(split: str, key: str) -> str:
    """`train/tokens_per_sec` for (train, tps); cached: a log repeats the same handful of keys."""
    metric = _FIELDS.get(key) or canonical_name(key, split).partition("/")[2]
    return f"{split}/{metric}"


def _header(message: str, meta: dict[str, Any]) -> None:
    if m := _GPU.search(message):
        meta["gpu"] = m.group(1)
        meta["gpu_memory_gib"] = float(m.group(2))
    elif m := _MODEL.search(message):
        meta["model"] = m.group(1)
        meta["params"] = int(m.group(2).replace(",", ""))
    elif m := _PARAM_COUNT.search(message):
        meta["params_active"] = int(m.group(3).replace(",", ""))
    elif m := _PEAK.search(message):
        meta["peak_tflops"] = float(m.group(1)) / 1e12
    elif m := _FP8.search(message):
        meta["matmul_dtype"] = "fp8"  # the linear layers run in (MX)FP8 while --training.dtype stays bf16
        meta["matmul_dtype_text"] = m.group(1)
    elif m := _WARMUP_ADJUSTED.search(message):
        meta["warmup_steps_adjusted"] = int(m.group(3))
    elif m := _MESH.search(message):
        degrees = dict(re.findall(r"(\w+)=(-?\d+)", m.group(1)))
        meta["parallelism"] = {k: int(v) for k, v in degrees.items()}
        sizes = [int(degrees.get(k, 1)) for k in ("pp", "dp_replicate", "dp_shard", "cp", "tp")]
        if all(s > 0 for s in sizes):  # ep is carved out of the other dimensions, not multiplied in
            world = 1
            for s in sizes:
                world *= s
            meta["world_size"] = world
    elif "batch size" in message:
        for key, pattern in _SIZES.items():
            if m := pattern.search(message):
                meta[key] = int(m.group(1))
        if "warmup_steps_adjusted" in meta:  # the trainer said it clipped warmup to the run's length
            meta["warmup_steps"] = meta["warmup_steps_adjusted"]

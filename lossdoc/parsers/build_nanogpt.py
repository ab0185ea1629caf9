"""build-nanogpt (karpathy/build-nanogpt ``train_gpt2.py``): its ``log/log.txt`` and its stdout.

log.txt, one record a line:
    0 val 10.9310          -> val/loss
    0 hella 0.2413         -> val/hellaswag
    0 train 10.934416      -> train/loss
stdout:
    step     0 | loss: 10.955010 | lr 8.3916e-07 | norm: 15.3421 | dt: 23547.83ms | tok/sec: 22264.81
    validation loss: 10.9522                 no step printed: the eval runs at the top of the loop for the step
    HellaSwag accuracy: 2497/10042=0.2487    about to train, so it belongs to the next step (0 first), as log.txt says
    rank 3 sample 2: Hello, I'm a language model, …   generations (may run over several lines): ignored
Header facts: ``total desired batch size: 524288`` (tokens per step), gradient accumulation steps, and the
parameter count (decayed + non-decayed tensors' parameters).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..run import Run
from . import _events, _sniffers
from ._assemble import assemble
from ._fast import Grammar, Sink, merge, scan
from ._text import LineAccount, is_noise, read_text, to_float, visible

NAME = "build-nanogpt"
DESCRIPTION = "build-nanogpt log/log.txt (N train X) and its stdout (step N, loss:, lr, norm:, dt:, tok/sec:)"
SAMPLE = "step  1000 | loss: 3.712044 | lr 6.0000e-04 | norm: 0.2854 | dt: 410.25ms | tok/sec: 1277966.93"

_LOGTXT = re.compile(r"^(\d+) (train|val|hella) (\S+)\s*$")
_LOGTXT_NAMES = {"train": "train/loss", "val": "val/loss", "hella": "val/hellaswag"}
_STEP = re.compile(r"^step\s+(\d+) \| (.*?)\s*$")
# The whole standard stdout line in one match (fast path); other field sets go through _step_fields.
_STEP_FULL = re.compile(
    r"^step\s+(\d+) \| loss: (\S+) \| lr (\S+) \| norm: (\S+) \| dt: (\S+?)ms \| tok/sec: (\S+?)\s*$"
)
# The same line for the fast path (_fast.py): every other line goes through the patterns above and below.
_GRAMMAR = Grammar(
    "step ",
    r"step[ \t]+(\d+) \| loss: (\S+) \| lr (\S+) \| norm: (\S+) \| dt: (\S+?)ms \| tok/sec: (\S+?)[ \t\r]*$",
    ("train/loss", "train/lr", "train/grad_norm", "train/step_time_ms", "train/tokens_per_sec"),
)
_FULL_NAMES = ("train/loss", "train/lr", "train/grad_norm", "train/step_time_ms", "train/tokens_per_sec")
_STEP_FIELD = re.compile(r"^(loss|lr|norm|dt|tok/sec):?\s+(\S+?)(?:ms)?$")
_STEP_NAMES = {
    "loss": "train/loss",
    "lr": "train/lr",
    "norm": "train/grad_norm",
    "dt": "train/step_time_ms",
    "tok/sec": "train/tokens_per_sec",
}
_VAL = re.compile(r"^validation loss: (\S+)\s*$")
_HELLA = re.compile(r"^HellaSwag accuracy: (\d+)/(\d+)=(\S+)\s*$")
_SAMPLE = re.compile(r"^rank \d+ sample \d+: ")
_BATCH = re.compile(r"^total desired batch size: (\d+)")
_ACCUM = re.compile(r"^=> calculated gradient accumulation steps: (\d+)")
_DECAYED = re.compile(r"^num (?:non-)?decayed parameter tensors: \d+, with ([\d,]+) parameters")
_HEADER = re.compile(
    r"^(?:found \d+ shards|using device|loaded \d+ tokens|using fused AdamW|master_process|"
    r"ddp_|=> |total desired|Loading|Downloading|Traceback|\[W )"
)


sniff = _sniffers.build_nanogpt  # sniffing is in _sniffers.py: detect() sniffs without importing this module


def parse(path: Path) -> list[Run]:
    log = read_text(path)
    account = LineAccount(total=log.total_lines())
    meta: dict[str, Any] = {"format": NAME, "source": str(path)}
    found = scan(log.text, _GRAMMAR)
    account.used = found.count
    sink = Sink()
    params = 0
    last: dict[str, Any] = {"at": -1, "step": None}  # the last stdout record read here
    in_sample = False  # a generation's text may run over several lines until the next recognised line
    last_at = 0
    kinds = {"log.txt": 0, "stdout": found.count}

    def last_step(at: int) -> int | None:
        return int(found.steps[at - 1]) if at > 0 and last["at"] < at else last["step"]

    for lineno, raw, at in found.others:  # every line the fast path did not take, one by one as always
        if at != last_at:  # stdout records came in between: a generation has ended
            in_sample, last_at = False, at
        line = visible(raw).rstrip()
        if m := _LOGTXT.match(line):
            sink.add(at, int(m.group(1)), _LOGTXT_NAMES[m.group(2)], to_float(m.group(3)))
            kinds["log.txt"] += 1
        elif m := _STEP_FULL.match(line):
            step = int(m.group(1))
            for name, text in zip(_FULL_NAMES, m.groups()[1:], strict=True):
                sink.add(at, step, name, to_float(text))
            last.update(at=at, step=step)
            kinds["stdout"] += 1
        elif (m := _STEP.match(line)) and (fields := _step_fields(m.group(2))):
            step = int(m.group(1))
            for name, value in fields:
                sink.add(at, step, name, value)
            last.update(at=at, step=step)
            kinds["stdout"] += 1
        elif m := _VAL.match(line):
            sink.add(at, _eval_step(last_step(at)), "val/loss", to_float(m.group(1)))
        elif m := _HELLA.match(line):
            sink.add(at, _eval_step(last_step(at)), "val/hellaswag", to_float(m.group(3)))
        else:
            if _SAMPLE.match(line):
                in_sample = True
            elif m := _BATCH.match(line):
                meta["tokens_per_step"] = int(m.group(1))
            elif m := _ACCUM.match(line):
                meta["grad_accum_steps"] = int(m.group(1))
            elif m := _DECAYED.match(line):
                params += int(m.group(1).replace(",", ""))
            elif not (in_sample or is_noise(line) or _HEADER.match(line)):
                account.unknown(lineno, raw)
                continue
            _events.line_events(meta, last_step(at), lineno, line)
            account.ignored += 1
            continue
        in_sample = False
        account.used += 1
    if params:
        meta["params"] = params  # decayed + non-decayed parameters, as configure_optimizers prints them
    meta["variant"] = "log.txt" if kinds["log.txt"] > kinds["stdout"] else "stdout"
    account.store(meta, log)
    steps, codes, values, names = merge(found, sink)
    return assemble(steps, codes, values, names, meta, path.stem)


def _step_fields(text: str) -> list[tuple[str, float]]:
    out = []
    for piece in text.split(" | "):
        if m := _STEP_FIELD.match(piece.strip()):
            out.append((_STEP_NAMES[m.group(1)], to_float(m.group(2))))
    return out if out and out[0][0] == "train/loss" else []


def _eval_step(last_step: int | None) -> int:
    """The eval at the top of the loop belongs to the step about to be trained (log.txt writes it so)."""
    return 0 if last_step is None else last_step + 1

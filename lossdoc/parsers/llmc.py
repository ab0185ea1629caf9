"""llm.c ``main.log`` (the ``-o logdir`` output of train_gpt2.cu; grammar from llmc/logger.h).

    s:0 trl:11.0091 lr:0.000001 norm:15.37    train loss, learning rate, grad norm
    s:0 tel:11.0092                            validation loss
    s:250 eval:0.2612                          HellaSwag accuracy
Older llm.c wrote only ``s:N trl:X`` with 6 decimals. The val line of step N precedes its train line,
and the final ``tel`` has step = num_steps, one past the last ``trl``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..run import Run
from ._assemble import PointBuffer
from ._text import LineAccount, is_noise, read_text, to_float, visible

NAME = "llmc"
DESCRIPTION = "llm.c main.log (s:N trl:/tel:/eval:)"
SAMPLE = "s:250 trl:4.2011 lr:0.000600 norm:0.52"

_SNIFF = re.compile(r"^s:\d+ (?:trl|tel|eval):\S+", re.M)
_RECORD = re.compile(r"^s:(\d+)((?: [a-z_]+:\S+)+)\s*$")
_FIELDS = {"trl": "train/loss", "tel": "val/loss", "eval": "val/hellaswag", "lr": "train/lr", "norm": "train/grad_norm"}


def sniff(head: str) -> bool:
    return bool(_SNIFF.search(head))


def parse(path: Path) -> list[Run]:
    log = read_text(path)
    account = LineAccount(total=log.total_lines())
    points = PointBuffer()
    lines = log.lines()
    for lineno, raw in enumerate(lines, 1):
        line = visible(raw)
        m = _RECORD.match(line)
        if m:
            step = int(m.group(1))
            pairs = [field.split(":", 1) for field in m.group(2).split()]
            if all(key in _FIELDS for key, _ in pairs):
                for key, value in pairs:
                    points.add(step, _FIELDS[key], to_float(value))
                account.used += 1
                continue
        if is_noise(line):
            account.ignored += 1
        else:
            account.unknown(lineno, raw)
    meta: dict[str, Any] = {"format": NAME, "source": str(path)}
    account.store(meta, log)
    return points.to_runs(meta, path.stem)

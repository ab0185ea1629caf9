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
from . import _events, _sniffers
from ._assemble import assemble
from ._fast import Grammar, Sink, merge, scan
from ._text import HEAD_BYTES, LineAccount, is_noise, read_text, to_float, visible

NAME = "llmc"
DESCRIPTION = "llm.c main.log (s:N trl:/tel:/eval:)"
SAMPLE = "s:250 trl:4.2011 lr:0.000600 norm:0.52"

_RECORD = re.compile(r"^s:(\d+)((?: [a-z_]+:\S+)+)\s*$")
# The train line as llm.c writes it, for the fast path (_fast.py); every other line is read by _RECORD.
# (A val line `s:N tel:X` is the other alternative; the line loop reads every other kind of line.)
_CURRENT = Grammar("s:", r"s:(\d+) trl:(\S+) lr:(\S+) norm:(\S+)[ \t\r]*$", ("train/loss", "train/lr", "train/grad_norm"))
_OLD = Grammar("s:", r"s:(\d+) trl:(\S+)[ \t\r]*$", ("train/loss",))
_FIRST_TRAIN = re.compile(r"^s:\d+ trl:\S+( lr:)?", re.M)
_FIELDS = {"trl": "train/loss", "tel": "val/loss", "eval": "val/hellaswag", "lr": "train/lr", "norm": "train/grad_norm"}


sniff = _sniffers.llmc  # sniffing is in _sniffers.py: detect() sniffs without importing this module


def parse(path: Path) -> list[Run]:
    log = read_text(path)
    account = LineAccount(total=log.total_lines())
    found = scan(log.text, _grammar(log.text))
    account.used = found.count
    sink = Sink()
    meta: dict[str, Any] = {"format": NAME, "source": str(path)}
    for lineno, raw, at in found.others:  # val / eval lines, banners, odd lines: one by one, as they always were
        step = int(found.steps[at - 1]) if at > 0 else None  # the train record printed last
        if _other_line(lineno, raw, at, sink, account):
            _events.line_events(meta, step, lineno, raw)
            if lineno == account.total and not log.ends_with_newline and raw.startswith("s:"):
                _events.add(meta, "truncated", step, lineno, raw)  # a record cut by the end of the file
    steps, codes, values, series = merge(found, sink)
    account.store(meta, log)
    return assemble(steps, codes, values, series, meta, path.stem)


def _grammar(text: str) -> Grammar:
    """The current train line (trl, lr, norm) or the old one (trl only), whichever the log starts with."""
    first = _FIRST_TRAIN.search(text, 0, HEAD_BYTES)
    return _OLD if first and first.group(1) is None else _CURRENT


def _other_line(lineno: int, raw: str, at: int, sink: Sink, account: LineAccount) -> bool:
    """Read one line the fast path did not take; True if it is not a record."""
    line = visible(raw)
    m = _RECORD.match(line)
    if m:
        step = int(m.group(1))
        pairs = [field.split(":", 1) for field in m.group(2).split()]
        if all(key in _FIELDS for key, _ in pairs):
            for key, value in pairs:
                sink.add(at, step, _FIELDS[key], to_float(value))
            account.used += 1
            return False
    if is_noise(line):
        account.ignored += 1
    else:
        account.unknown(lineno, raw)
    return True

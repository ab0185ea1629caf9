"""llm.c console output (``train_gpt2cu`` stdout, often a SLURM ``.log``).

    step    1/19560 | loss 11.009662 (+nanz)| norm 15.0789 (+nanz)| lr 8.57e-07 | 4230.95 ms | 31.9% bf16 MFU | 123917 tok/s
    val loss 6.202221                      no step: belongs to the last printed step (0 before the first)
    evaluating HellaSwag: 0/1256\\r...\\rHellaSwag: 2493/10042 = 0.248257
The ``+----+----+`` header table goes into meta. A record cut mid-line (job cancelled) keeps the fields
it has: its step and loss count as a record.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..run import Run
from . import _events, _sniffers
from ._assemble import assemble
from ._fast import Grammar, Sink, merge, scan
from ._text import LineAccount, is_noise, parse_number, read_text, to_float, visible

NAME = "llmc-stdout"
DESCRIPTION = "llm.c train_gpt2cu console output"
SAMPLE = "step  250/19560 | loss 4.201134 (+0.12z)| norm 0.5201 (-0.30z)| lr 2.14e-04 | 140.20 ms | 45.1% bf16 MFU | 3739000 tok/s"

_STEP = re.compile(r"^step\s+(\d+)/(\d+) \| loss\s+(\S+)(?: \(([^)z]*)z?\))?")
# Optional fields after the loss, each found on its own so that a record cut short keeps what it has.
_FIELDS = [
    ("train/grad_norm", re.compile(r"\| norm\s+(\S+)")),
    ("train/grad_norm_z", re.compile(r"\| norm\s+\S+ \(([^)z]*)z\)")),
    ("train/lr", re.compile(r"\| lr\s+(\S+)")),
    ("train/step_time_ms", re.compile(r"\| (\S+) ms\b")),
    ("train/mfu", re.compile(r"\| (\S+)% (?:\w+ )?MFU")),
    ("train/tokens_per_sec", re.compile(r"\| (\S+) tok/s")),
]
# The whole record as llm.c prints it (spaces, not tabs; no `%` inside the MFU, so that no backtracking is needed:
# 15% faster), for the fast path (_fast.py); other lines, these odd ones too, go through _STEP and _FIELDS.
_GRAMMAR = Grammar(
    "step ",
    r"step +(\d+)/(\d+) \| loss +(\S+) \(([^)z\s]*)z\)\| norm +(\S+) \(([^)z\s]*)z\)\| lr +(\S+) \| "
    r"(\S+) ms \| ([^\s%]+)% (?:\w+ )?MFU \| (\S+) tok/s[ \t\r]*$",
    ("__total", "train/loss", "train/loss_z", "train/grad_norm", "train/grad_norm_z", "train/lr",
     "train/step_time_ms", "train/mfu", "train/tokens_per_sec"),
)
_VAL = re.compile(r"^val loss\s+(\S+)\s*$")
_HELLASWAG = re.compile(r"^HellaSwag: (\d+)/(\d+) = (\S+)\s*$")
_TABLE_ROW = re.compile(r"^\|\s*(.+?)\s*\|\s*(.*?)\s*\|\s*$")
_HEADER = re.compile(
    r"^(?:\+-|---|=>|->|allocat|num_parameters:|batch_size B=|memory per|device memory|Writing |"
    r"generating:|Multi-GPU|WARNING|The Tokenizer|Re-run|Error details|evaluating HellaSwag|"
    r"Vocab:|Token:|Position:|Line:|File:|-> |\s)"
)
# Header-table keys -> meta keys (numbers parsed).
_TABLE_KEYS = {
    "num_parameters": "params",
    "device": "gpu",
    "peak TFlops": "peak_tflops",
    "total batch size": "tokens_per_step",
    "micro batch size B": "batch_size",
    "sequence length T": "block_size",
    "warmup iterations": "warmup_steps",
    "learning rate (LR)": "learning_rate",
    "vocab_size V": "vocab_size",
    "padded_vocab_size Vp": "padded_vocab_size",
    "num_layers L": "n_layer",
    "num_heads NH": "n_head",
    "channels C": "n_embd",
    "train_num_batches": "train_num_batches",
    "val_loss_every": "eval_interval",
    "LR scheduler": "lr_schedule",
    "final LR fraction": "final_lr_fraction",
    "weight decay": "weight_decay",
    "precision": "precision",
    "num_processes": "num_processes",
}


_ERROR = re.compile(r"(?:Error|ERROR): .*$")  # `Error: Token out of vocabulary …`, even inside a record
_TRACEBACK = re.compile(r"^(?:Traceback \(most recent call last\)|KeyboardInterrupt\b)")


sniff = _sniffers.llmc_stdout  # sniffing is in _sniffers.py: detect() sniffs without importing this module


def _line_events(meta: dict[str, Any], step: int, lineno: int, line: str) -> None:
    """An error printed into the log (llm.c writes `Error: …` to the same console, even into a record) is an
    ``error`` event at the last step printed; a SLURM cancellation a ``cancelled`` one."""
    if "CANCELLED AT" in line:
        _events.add(meta, "cancelled", step, lineno, line[line.find("slurmstepd") if "slurmstepd" in line else 0 :])
    elif (m := _ERROR.search(line)) and not line.startswith("Error details"):
        _events.add(meta, "error", step, lineno, m.group(0))


def parse(path: Path) -> list[Run]:
    log = read_text(path)
    account = LineAccount(total=log.total_lines())
    header: dict[str, str] = {}
    meta: dict[str, Any] = {"format": NAME, "source": str(path)}
    found = scan(log.text, _GRAMMAR)
    account.used = found.count
    sink = Sink()
    last = {"at": -1, "step": 0, "line": 0}  # the last record read here: its place, step and line
    cut: tuple[int, int, str, int] | None = None  # (line, step, text, place) of the last record cut short

    def last_step(at: int) -> int:  # the step printed last before a line with `at` common records before it
        return int(found.steps[at - 1]) if at > 0 and last["at"] < at else last["step"]

    for lineno, raw, at in found.others:  # every line the fast path did not take, one by one as always
        line = visible(raw)
        if m := _STEP.match(line):
            step = int(m.group(1))
            meta["max_steps"] = int(m.group(2))
            sink.add(at, step, "train/loss", to_float(m.group(3)))
            if m.group(4) is not None:
                sink.add(at, step, "train/loss_z", to_float(m.group(4)))
            for name, pattern in _FIELDS:
                if f := pattern.search(line, m.end()):
                    sink.add(at, step, name, to_float(f.group(1)))
            if not _FIELDS[-1][1].search(line):  # cut before its last field (a cancelled job, an error print)
                meta["truncated_records"] = meta.get("truncated_records", 0) + 1
                cut = (lineno, step, raw, at)
            last.update(at=at, step=step, line=lineno)
            account.used += 1
        elif m := _VAL.match(line):
            sink.add(at, last_step(at), "val/loss", to_float(m.group(1)))
            account.used += 1
        elif m := _HELLASWAG.match(line):
            sink.add(at, last_step(at), "val/hellaswag", to_float(m.group(3)))
            account.used += 1
        elif m := _TABLE_ROW.match(line):
            header[m.group(1)] = m.group(2)
            account.ignored += 1
        elif is_noise(line) or _HEADER.match(line):
            if _TRACEBACK.match(line):
                _events.add(meta, "traceback", last_step(at), lineno, line)
            account.ignored += 1
        else:
            account.unknown(lineno, raw)
        if "CANCELLED" in line or "Error" in line:
            _line_events(meta, last_step(at), lineno, line)
    if found.count and last["at"] < found.count:  # the last record is a common one
        meta["max_steps"] = int(found.fields_by_name["__total"][-1])
    if cut is not None and cut[0] == last["line"] and cut[3] == found.count:  # the last record is the one cut
        meta["truncated_last_line"] = cut[2][:200]
        _events.add(meta, "truncated", cut[1], cut[0], cut[2])
    _events.sort(meta)
    found.fields = [(n, v) for n, v in found.fields if n != "__total"]
    steps, codes, values, names = merge(found, sink)
    header.pop("Parameter", None)
    meta["header"] = header
    for key, meta_key in _TABLE_KEYS.items():
        if key in header:
            try:
                meta[meta_key] = parse_number(header[key])
            except ValueError:
                meta[meta_key] = header[key]
    for key in _TABLE_KEYS.values():
        if isinstance(meta.get(key), float) and meta[key].is_integer() and key != "learning_rate":
            meta[key] = int(meta[key])
    account.store(meta, log)
    return assemble(steps, codes, values, names, meta, path.stem)

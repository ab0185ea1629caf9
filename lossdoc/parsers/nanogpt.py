"""nanoGPT ``train.py`` stdout (karpathy/nanoGPT).

Records:
    iter 100: loss 3.2140, time 98.12ms, mfu 41.20%      -> train/loss, train/step_time_ms, train/mfu
    step 250: train loss 2.6231, val loss 2.6300          -> train/eval_loss, val/loss
`mfu -100.00%` is nanoGPT's "not measured yet" for the first iterations: NaN, not -100.
`step N` (eval) and `iter N` share the step axis. The eval's train loss is an average over eval_iters
batches, so it is kept apart from the per-iteration loss as ``train/eval_loss``.
Header: the echoed config (``key = value``), ``tokens per iteration will be: 524,288``,
``number of parameters: 40.56M``, ``found vocab_size = 65``; they go into meta.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from ..run import Run
from ._assemble import assemble
from ._text import LineAccount, is_noise, parse_number, read_text, visible

NAME = "nanogpt"
DESCRIPTION = "nanoGPT train.py stdout"
SAMPLE = "iter 100: loss 3.2140, time 98.12ms, mfu 41.20%"

_SNIFF = re.compile(r"^(?:iter \d+: loss \S+, time|step \d+: train loss \S+, val loss)", re.M)

# One pass over the whole text keeps the records in file order (fast on million-line logs).
_RECORD = re.compile(
    r"^(?:iter (\d+): loss ([^,\s]+), time ([^m\s]+)ms(?:, mfu ([^%\s]+)%)?"
    r"|step (\d+): train loss ([^,\s]+), val loss ([^,\s]+))[ \t\r]*$",
    re.M,
)
_RECORD_PREFIX = ("iter ", "step ")

_TOKENS_PER_ITER = re.compile(r"^tokens per iteration will be: ([\d,]+)")
_NUM_PARAMS = re.compile(r"^number of parameters: ([\d.]+)([KMB]?)")
_VOCAB = re.compile(r"^found vocab_size = (\d+)")
_DEFAULT_VOCAB = re.compile(r"^defaulting to vocab_size of GPT-2 to (\d+)")
_OVERRIDE_FILE = re.compile(r"^Overriding config with (.+?):?\s*$")
_CONFIG_LINE = re.compile(r"^(?:Overriding: )?([A-Za-z_]\w*)\s*=\s*(.+?)\s*$")
_HEADER = re.compile(
    r"^(?:will archive|Initializing from|resuming|Loading|loading|using device|found \d+|"
    r"tokens per|number of|defaulting to|Overriding)"
)


def sniff(head: str) -> bool:
    return bool(_SNIFF.search(head))


def parse(path: Path) -> list[Run]:
    import numpy as np

    log = read_text(path)
    account = LineAccount(total=log.total_lines())
    rows = _RECORD.findall(log.text)
    account.used = len(rows)

    meta: dict[str, Any] = {"format": NAME, "source": str(path), "config": {}}
    _read_other_lines(log.text, account, meta)
    if not log.ends_with_newline and log.text:
        last = log.text.rsplit("\n", 1)[-1]
        if not _RECORD.match(last):
            meta["truncated_last_line"] = last[:200]
    meta["lines"] = account.as_meta()
    meta["unparsed_sample"] = account.unparsed_sample
    meta["decode_errors"] = log.decode_errors

    if not rows:
        return assemble([], [], [], [], meta, _run_name(path, meta))
    cols = list(zip(*rows))
    is_iter = np.array(cols[0], dtype=object) != ""
    n_iter = int(is_iter.sum())
    n_eval = len(rows) - n_iter

    # Points in file order: each iter line gives 3 series, each eval line gives 2.
    names = ["train/loss", "train/step_time_ms", "train/mfu", "train/eval_loss", "val/loss"]
    per_line = np.where(is_iter, 3, 2)
    line_of_point = np.repeat(np.arange(len(rows)), per_line)
    steps_str = np.where(is_iter, np.array(cols[0], dtype=object), np.array(cols[4], dtype=object))
    line_steps = np.array(steps_str.tolist(), dtype=np.int64)

    codes = np.empty(len(line_of_point), dtype=np.int64)
    values = np.empty(len(line_of_point), dtype=np.float64)
    first_point = np.concatenate([[0], np.cumsum(per_line)[:-1]])
    iter_first = first_point[is_iter]
    eval_first = first_point[~is_iter]
    iter_idx = np.flatnonzero(is_iter)
    eval_idx = np.flatnonzero(~is_iter)
    for offset, col in enumerate((1, 2, 3)):
        codes[iter_first + offset] = offset
        values[iter_first + offset] = _floats(cols[col], iter_idx)
    for offset, col in enumerate((5, 6)):
        codes[eval_first + offset] = 3 + offset
        values[eval_first + offset] = _floats(cols[col], eval_idx)
    # nanoGPT prints mfu -100.00% until it has measured 5 iterations: not a measurement.
    mfu_points = codes == 2
    values[mfu_points & (values == -100.0)] = np.nan
    meta["records"] = {"iter": n_iter, "eval": n_eval}
    return assemble(line_steps[line_of_point], codes, values, names, meta, _run_name(path, meta))


def _floats(column: tuple[str, ...], index: Any) -> Any:
    """Column of number strings (some empty: an optional field absent) -> float array (NaN if absent)."""
    import numpy as np

    picked = np.array(column, dtype=object)[index]
    picked[picked == ""] = "nan"
    return np.array(picked.tolist(), dtype=np.float64)


def _run_name(path: Path, meta: dict[str, Any]) -> str:
    name = meta.get("config", {}).get("wandb_run_name")
    return str(name) if name else path.stem


def _read_other_lines(text: str, account: LineAccount, meta: dict[str, Any]) -> None:
    """Classify the lines that are not records: header facts into meta, noise ignored, the rest unparsed."""
    config: dict[str, Any] = meta["config"]
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    others = [(i, line) for i, line in enumerate(lines, 1) if not line.startswith(_RECORD_PREFIX)]
    prefixed = len(lines) - len(others)
    if prefixed != account.used:  # record-like lines that did not match the grammar (e.g. cut short)
        for i, line in enumerate(lines, 1):
            if line.startswith(_RECORD_PREFIX) and not _RECORD.match(line):
                if _SNIFF.match(line) or not is_noise(line):
                    account.unknown(i, line)
                else:
                    account.ignored += 1
    for i, raw in others:
        line = visible(raw)
        if m := _TOKENS_PER_ITER.match(line):
            meta["tokens_per_step"] = int(m.group(1).replace(",", ""))
        elif m := _NUM_PARAMS.match(line):
            meta["params"] = parse_number(m.group(1) + m.group(2))
            meta["params_text"] = m.group(1) + m.group(2)
        elif m := _VOCAB.match(line):
            meta["vocab_size"] = int(m.group(1))
        elif m := _DEFAULT_VOCAB.match(line):
            meta.setdefault("vocab_size", 50257)
            meta["padded_vocab_size"] = int(m.group(1))
        elif m := _OVERRIDE_FILE.match(line):
            meta.setdefault("config_files", []).append(m.group(1))
        elif (m := _CONFIG_LINE.match(line)) and (value := _literal(m.group(2))) is not _NOT_LITERAL:
            config[m.group(1)] = value
        elif not (is_noise(line) or _HEADER.match(line)):
            account.unknown(i, raw)
            continue
        account.ignored += 1


_NOT_LITERAL = object()


def _literal(text: str) -> Any:
    """A Python literal as echoed from a config file, with any trailing comment cut off."""
    for cut in [len(text)] + [i for i, ch in enumerate(text) if ch == "#"]:
        try:
            return ast.literal_eval(text[:cut].strip())
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue
    return _NOT_LITERAL

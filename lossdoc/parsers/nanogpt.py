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
from ._text import LineAccount, is_noise, parse_number, read_text, to_float, visible

NAME = "nanogpt"
DESCRIPTION = "nanoGPT train.py stdout"
SAMPLE = "iter 100: loss 3.2140, time 98.12ms, mfu 41.20%"

_SNIFF = re.compile(r"^(?:iter \d+: loss \S+, time|step \d+: train loss \S+, val loss)", re.M)

# Whole-text patterns (one findall each is what makes million-line logs fast).
_ITER = re.compile(r"^iter (\d+): loss ([^,\s]+), time ([^m\s]+)ms(?:, mfu ([^%\s]+)%)?[ \t\r]*$", re.M)
_EVAL = re.compile(r"^step (\d+): train loss ([^,\s]+), val loss ([^,\s]+)[ \t\r]*$", re.M)
_RECORD_PREFIX = ("iter ", "step ")
# Used on "\n" + text: a literal first character lets the regex engine jump from newline to newline.
_OTHER_LINE = re.compile(r"\n(?!iter |step )([^\n]*)")

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
    text = log.text
    account = LineAccount(total=log.total_lines())
    iter_rows = _ITER.findall(text)
    evals = list(_EVAL.finditer(text))  # few: their positions place them among the iter lines
    account.used = len(iter_rows) + len(evals)

    meta: dict[str, Any] = {"format": NAME, "source": str(path), "config": {}}
    _read_other_lines(text, account, meta)
    if not log.ends_with_newline and text:
        last = text.rsplit("\n", 1)[-1]
        if not (_ITER.match(last) or _EVAL.match(last)):
            meta["truncated_last_line"] = last[:200]
    account.store(meta, log)
    meta["records"] = {"iter": len(iter_rows), "eval": len(evals)}
    name = _run_name(path, meta)
    if not iter_rows and not evals:
        return assemble([], [], [], [], meta, name)

    # File order of the records: each eval line goes after the iter lines printed before it.
    iters_before = _iters_before(text, evals)
    n_lines = len(iter_rows) + len(evals)
    is_eval = np.zeros(n_lines, dtype=bool)
    is_eval[iters_before + np.arange(len(evals), dtype=np.int64)] = True
    is_iter = ~is_eval

    # Points in file order: each iter line gives 3 series, each eval line gives 2.
    names = ["train/loss", "train/step_time_ms", "train/mfu", "train/eval_loss", "val/loss"]
    per_line = np.where(is_iter, 3, 2)
    first_point = np.concatenate([[0], np.cumsum(per_line)[:-1]])
    n_points = int(per_line.sum())
    steps = np.empty(n_points, dtype=np.int64)
    codes = np.empty(n_points, dtype=np.int64)
    values = np.empty(n_points, dtype=np.float64)
    iter_steps, iter_values = _iter_columns(iter_rows)
    for offset in range(3):
        at = first_point[is_iter] + offset
        steps[at] = iter_steps
        codes[at] = offset
        values[at] = iter_values[offset]
    eval_steps = np.array([m.group(1) for m in evals], dtype=np.int64)
    for offset in range(2):
        at = first_point[is_eval] + offset
        steps[at] = eval_steps
        codes[at] = 3 + offset
        values[at] = _floats(tuple(m.group(2 + offset) for m in evals))
    # nanoGPT prints mfu -100.00% until it has measured 5 iterations: not a measurement.
    values[(codes == 2) & (values == -100.0)] = np.nan
    return assemble(steps, codes, values, names, meta, name)


def _iters_before(text: str, evals: list[Any]) -> Any:
    """For each eval line, how many iter records come before it in the file."""
    import numpy as np

    counts, pos, seen = [], 0, 0
    for m in evals:
        seen += text.count("\niter ", pos, m.start()) + (pos == 0 and text.startswith("iter "))
        pos = m.start()
        counts.append(seen)
    return np.array(counts, dtype=np.int64)


def _iter_columns(rows: list[tuple[str, ...]]) -> tuple[Any, list[Any]]:
    """Steps and (loss, time, mfu) arrays of the iter records, converted by numpy in one go."""
    import numpy as np

    try:
        table = np.array(rows, dtype=[("step", "i8"), ("loss", "f8"), ("time", "f8"), ("mfu", "f8")])
        return table["step"], [table["loss"], table["time"], table["mfu"]]
    except ValueError:  # an absent mfu field or a malformed number: column by column
        columns = list(zip(*rows)) or [()] * 4
        return np.array(columns[0], dtype=np.int64), [_floats(c) for c in columns[1:]]


def _floats(column: tuple[str, ...]) -> Any:
    """A column of number strings -> float array; an empty string (field absent on that line) is NaN."""
    import numpy as np

    if "" in column:
        column = tuple(x or "nan" for x in column)
    try:
        return np.array(column, dtype=np.float64)
    except ValueError:  # a malformed number somewhere: convert one by one
        return np.array([to_float(x) for x in column], dtype=np.float64)



def _other_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of every line not starting like a record, without a per-line Python loop."""
    if not text:
        return []  # an empty file has no lines, not one empty line
    shifted = "\n" + text
    out = []
    lineno, pos = 0, 0
    for m in _OTHER_LINE.finditer(shifted):
        if m.end() == len(shifted) and not m.group(1) and text.endswith("\n"):
            break  # the empty "line" after the final newline
        lineno += shifted.count("\n", pos, m.start() + 1)
        pos = m.start() + 1
        out.append((lineno, m.group(1)))
    return out


def _run_name(path: Path, meta: dict[str, Any]) -> str:
    name = meta.get("config", {}).get("wandb_run_name")
    return str(name) if name else path.stem


def _read_other_lines(text: str, account: LineAccount, meta: dict[str, Any]) -> None:
    """Classify the lines that are not records: header facts into meta, noise ignored, the rest unparsed."""
    config: dict[str, Any] = meta["config"]
    # Record-like lines (starting "iter " or "step ") are counted with str.count; only when some of them did
    # not match the grammar (e.g. a line cut short) are they looked at one by one.
    prefixed = sum(text.count("\n" + p) + text.startswith(p) for p in _RECORD_PREFIX)
    if prefixed != account.used:
        for i, line in enumerate(text.split("\n"), 1):
            if line.startswith(_RECORD_PREFIX) and not (_ITER.match(line) or _EVAL.match(line)):
                account.unknown(i, line)
    others = _other_lines(text)
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

"""nanoGPT ``train.py`` stdout (karpathy/nanoGPT).

Records:
    iter 100: loss 3.2140, time 98.12ms, mfu 41.20%      -> train/loss, train/step_time_ms, train/mfu
    step 250: train loss 2.6231, val loss 2.6300          -> train/eval_loss, val/loss
`mfu -100.00%` is nanoGPT's "not measured yet" for the first iterations: NaN, not -100.
`step N` (eval) and `iter N` share the step axis. The eval's train loss is an average over eval_iters
batches, so it is kept apart from the per-iteration loss as ``train/eval_loss``.
Header: the echoed config (``key = value``), ``tokens per iteration will be: 524,288``,
``number of parameters: 40.56M``, ``found vocab_size = 65``; they go into meta.

Forks and captures that the line loop (used when any record-like line is off the grammar) reads too:
extra fields on a record (``…, mfu 41.20%, lr 6.0e-04`` -> train/lr; any ``, name value[unit]``), a unit
after a loss (``loss 2.8548 BPC``: meta ``loss_unit`` = "bits"), a record hard-wrapped by a terminal
capture (the value continues on the next line: both lines are used), and key echoes stuck to a record
(``^[[A``, real escape sequences). A traceback or KeyboardInterrupt is an event (meta ``events``).
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path
from typing import Any

from ..numbers import whole
from ..run import Run, canonical_name
from ._assemble import PointBuffer, assemble
from ._fast import other_lines
from ._text import (
    EventScan,
    LineAccount,
    LogText,
    is_noise,
    line_starts,
    parse_number,
    read_text,
    sniff_lines,
    to_float,
    visible,
)

NAME = "nanogpt"
DESCRIPTION = "nanoGPT train.py stdout"
SAMPLE = "iter 100: loss 3.2140, time 98.12ms, mfu 41.20%"

# A unit may follow a loss (``loss 2.85 BPC``) and forks put other fields before the time (``, lr 6e-4``).
_SNIFF = line_starts(r"iter \d+: loss \S+(?: [A-Za-z]+)?, \w|step \d+: train loss \S+(?: [A-Za-z]+)?, val loss")

# Whole-text patterns (one findall each is what makes million-line logs fast).
_ITER = re.compile(r"^iter (\d+): loss ([^,\s]+), time ([^m\s]+)ms(?:, mfu ([^%\s]+)%)?[ \t\r]*$", re.M)
_EVAL = re.compile(r"^step (\d+): train loss ([^,\s]+), val loss ([^,\s]+)[ \t\r]*$", re.M)
_RECORD_PREFIX = ("iter ", "step ")
# Used on "\n" + text: a literal first character lets the regex engine jump from newline to newline.
_OTHER_LINE = re.compile(r"\n(?!iter |step )(?P<line>[^\n]*)")

_TOKENS_PER_ITER = re.compile(r"^tokens per iteration will be: ([\d,]+)")
_NUM_PARAMS = re.compile(r"^number of parameters: ([\d.]+)([KMB]?)")
_VOCAB = re.compile(r"^found vocab_size = (\d+)")
_DEFAULT_VOCAB = re.compile(r"^defaulting to vocab_size of GPT-2 to (\d+)")
_OVERRIDE_FILE = re.compile(r"^Overriding config with (.+?):?\s*$")
_CONFIG_LINE = re.compile(r"^(?:Overriding: )?([A-Za-z_]\w*)\s*=\s*(.+?)\s*$")
# The line loop's grammar: the record's start, then any ", name value[unit]" fields (forks add lr, norm, tok/s).
_NUM = r"[-+]?(?:\d[\d,]*\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|NaN|inf|Inf)"
_UNIT = r"(?: ?(BPC|bpc|BPB|bpb|bits?|nats?)\b)?"
_FIELD = rf"[A-Za-z_][\w/.\- ]*?(?: |: |=)\s*{_NUM}(?:%|[A-Za-z/]+)?"
_ITER_LOOSE = re.compile(rf"^iter (\d+): loss ({_NUM}){_UNIT}((?:,\s*{_FIELD})*)\s*$")
_EVAL_LOOSE = re.compile(rf"^step (\d+): train loss ({_NUM}){_UNIT}, val loss ({_NUM}){_UNIT}((?:,\s*{_FIELD})*)\s*$")
_FIELD_PARTS = re.compile(rf"\s*([A-Za-z_][\w/.\- ]*?)(?: |: |=)\s*({_NUM})(%|[A-Za-z/]+)?\s*")
LOSS_UNITS = {"bpc": "bits", "bpb": "bits", "bit": "bits", "bits": "bits", "nat": "nats", "nats": "nats"}
_FIELD_NAMES = {"time": "train/step_time_ms", "dt": "train/step_time_ms", "gnorm": "train/grad_norm"}
_SECONDS = {"s": 1000.0, "sec": 1000.0, "ms": 1.0}  # time units -> ms
MAX_HASH_CUTS = 16  # a config echo's value is tried cut at this many "#" at most (a 1 MB line has thousands)

_HEADER = re.compile(
    r"^(?:will archive|Initializing from|resuming|Loading|loading|using device|found \d+|"
    r"tokens per|number of|defaulting to|Overriding)"
)


def sniff(head: str) -> bool:
    return sniff_lines(_SNIFF, head)


def parse(path: Path) -> list[Run]:
    import numpy as np

    log = read_text(path)
    text = log.text
    account = LineAccount(total=log.total_lines())
    iter_rows = _ITER.findall(text)
    evals = list(_EVAL.finditer(text))  # few: their positions place them among the iter lines
    account.used = len(iter_rows) + len(evals)

    meta: dict[str, Any] = {"format": NAME, "source": str(path), "config": {}}
    prefixed = sum(text.count("\n" + p) + text.startswith(p) for p in _RECORD_PREFIX)
    if prefixed != account.used or not _read_other_lines(text, account, meta):
        return _parse_lines(log, path)  # a record off the grammar somewhere: the exact line loop
    _truncated(log, meta, _ITER.match, _EVAL.match, lambda: _step_before(text, len(text)))
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


def _run_name(path: Path, meta: dict[str, Any]) -> str:
    name = meta.get("config", {}).get("wandb_run_name")
    return str(name) if name else path.stem


def _read_other_lines(text: str, account: LineAccount, meta: dict[str, Any]) -> bool:
    """Classify the lines that are not records: header facts into meta, noise ignored, the rest unparsed.

    False when one of them is a record once cleaned (key echoes, escapes): the line loop must read the file.
    """
    scan = EventScan()
    for i, raw, offset in other_lines(text, _OTHER_LINE):
        line = visible(raw)
        if line is not raw and line.startswith(_RECORD_PREFIX) and _record(line.rstrip()) is not None:
            return False
        _classify(i, raw, line, account, meta, scan, lambda offset=offset: _step_before(text, offset))
    scan.store(meta)
    return True


def _classify(
    i: int, raw: str, line: str, account: LineAccount, meta: dict[str, Any], scan: EventScan, step: Any
) -> None:
    """One non-record line: a header fact, config echo, noise (maybe an event), or a line not understood."""
    config: dict[str, Any] = meta["config"]
    if m := _TOKENS_PER_ITER.match(line):
        meta["tokens_per_step"] = int(m.group(1).replace(",", ""))
    elif m := _NUM_PARAMS.match(line):
        meta["params"] = whole(parse_number(m.group(1) + m.group(2)))
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
        return
    else:
        scan.line(i, line, step)
    account.ignored += 1


def _step_before(text: str, offset: int) -> int | None:
    """The step of the last record-like line before a character offset (for an event's step)."""
    at = max(text.rfind("\niter ", 0, offset), text.rfind("\nstep ", 0, offset))
    m = re.match(r"(?:iter|step) (\d+)", text[at + 1 : at + 40]) if at >= 0 else None
    return int(m.group(1)) if m else None


def _truncated(log: LogText, meta: dict[str, Any], *matchers: Any) -> None:
    """A last line with no newline that is not a record: a record cut short (the run was killed)."""
    *matchers, step = matchers
    if log.ends_with_newline or not log.text:
        return
    last = log.text.rsplit("\n", 1)[-1]
    if not any(match(last) for match in matchers):
        meta["truncated_last_line"] = last[:200]
        event = {"kind": "truncated", "step": step(), "line": log.total_lines(), "text": last[:200]}
        meta.setdefault("events", []).append(event)


def _record(line: str) -> tuple[int, list[tuple[str, float]], str | None] | None:
    """(step, [(series, value)], loss unit) of a record line in the loose grammar, or None."""
    if m := _ITER_LOOSE.match(line):
        points = [("train/loss", to_float(m.group(2)))]
        fields = _fields(m.group(4), "train")
        if not any(name == "train/step_time_ms" for name, _ in fields):
            return None  # every nanoGPT iter line has its time: without it, a line cut short or garbled
        if not any(name == "train/mfu" for name, _ in fields):
            fields.append(("train/mfu", float("nan")))  # as the fast path: an iter line without mfu has NaN mfu
        return int(m.group(1)), points + fields, m.group(3)
    if m := _EVAL_LOOSE.match(line):
        points = [("train/eval_loss", to_float(m.group(2))), ("val/loss", to_float(m.group(4)))]
        return int(m.group(1)), points + _fields(m.group(6), "train"), m.group(3) or m.group(5)
    return None


def _fields(rest: str, split: str) -> list[tuple[str, float]]:
    """The ", name value[unit]" fields after a record's loss, as series (mfu -100% is NaN: not measured)."""
    out = []
    for part in rest.split(",") if rest else []:
        m = _FIELD_PARTS.fullmatch(part)
        if not m:
            continue  # a thousands separator inside the previous value ("12,345") leaves a bare digit group
        key, value, unit = m.group(1).strip(), to_float(m.group(2)), (m.group(3) or "")
        name = _field_name(key, split)
        if name == "train/step_time_ms":
            if unit.lower() not in _SECONDS:
                continue  # "time 61.9" with no unit: a value cut short, not a time
            value *= _SECONDS[unit.lower()]
        elif name == "train/mfu" and value == -100.0:
            value = float("nan")
        out.append((name, value))
    return out


@functools.cache
def _field_name(key: str, split: str) -> str:
    return _FIELD_NAMES.get(key.lower()) or canonical_name(key, split)


def _parse_lines(log: LogText, path: Path) -> list[Run]:
    """The exact line loop: every record in the loose grammar, wrapped records joined, the rest classified."""
    lines = log.lines()
    account = LineAccount(total=len(lines))
    meta: dict[str, Any] = {"format": NAME, "source": str(path), "config": {}}
    points, scan = PointBuffer(), EventScan()
    counts = {"iter": 0, "eval": 0}
    units: set[str] = set()
    last_step: list[int | None] = [None]
    i, n = 0, len(lines)
    while i < n:
        line = visible(lines[i]).rstrip()
        rec, width = _record(line), 1
        if rec is not None and i == n - 1 and not log.ends_with_newline and not (_ITER.match(line) or _EVAL.match(line)):
            rec = None  # a last line without its newline that is not a whole record: cut short
        if i + 1 < n and line.startswith(_RECORD_PREFIX) and _continues(lines[i + 1], line):
            joined = _record(line + visible(lines[i + 1]).rstrip())
            if joined is not None:  # a terminal capture hard-wrapped the record: its value goes on below
                rec, width = joined, 2
        if rec is None:
            if line.startswith(_RECORD_PREFIX):
                account.unknown(i + 1, lines[i])
            else:
                _classify(i + 1, lines[i], line, account, meta, scan, lambda: last_step[0])
            i += 1
            continue
        step, values, unit = rec
        for name, value in values:
            points.add(step, name, value)
        counts["iter" if line.startswith("iter ") else "eval"] += 1
        if unit:
            units.add(LOSS_UNITS[unit.lower()])
        last_step[0] = step
        account.used += width
        i += width
    scan.store(meta)
    _truncated(log, meta, lambda last: _record(visible(last).rstrip()), lambda: last_step[0])
    account.store(meta, log)
    meta["records"] = counts
    if units:
        meta["loss_unit"] = units.pop() if len(units) == 1 else "mixed"
    return points.to_runs(meta, _run_name(path, meta))


def _continues(next_raw: str, line: str) -> bool:
    """Whether the next physical line may be the rest of a hard-wrapped record: short, not a record or blank."""
    nxt = next_raw.strip()
    return bool(nxt) and not nxt.startswith(_RECORD_PREFIX) and len(nxt) < max(len(line), 8) and not is_noise(next_raw)


_NOT_LITERAL = object()


def _literal(text: str) -> Any:
    """A Python literal as echoed from a config file, with any trailing comment cut off."""
    cuts = [len(text)]
    at = text.find("#")
    while at >= 0 and len(cuts) <= MAX_HASH_CUTS:  # a literal parse per "#" of a 1 MB line took 114 s
        cuts.append(at)
        at = text.find("#", at + 1)
    for cut in cuts:
        try:
            return ast.literal_eval(text[:cut].strip())
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue
    return _NOT_LITERAL

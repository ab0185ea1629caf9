"""The fast path of the line-oriented readers: one regex over the whole text for a format's common record line.

A million-line log is almost all one kind of line (``s:N trl:X lr:Y norm:Z``, ``step:N/M train_loss:X …``).
Matching each line in a Python loop costs 3–5x a plain ``findall`` over the text (issue 12), so a reader says
what its common record looks like (``body``: a regex for the whole line, without ``^``, that starts with the
literal ``prefix``) and scan() does this:

- one ``findall`` of ``^(?:body|[^\\n]*)`` (multiline) over the text: a row for every line, in file order; the
  strict records' rows hold their fields, every other line's row is empty (no group took part: the step group
  is never empty in a record). The records are converted to numpy columns in one go
  (``np.array(list_of_str, dtype=float)``; per item only when a value is malformed);
- the other lines, with their line numbers (their row's index) and how many strict records precede them, are
  cut out of the text of the piece holding them. The reader classifies these few lines one by one, as before,
  so the odd lines (cut records, banners, tracebacks) behave exactly as they did. Finding them costs a
  ``list.count`` of the rows, not a second regex pass over the text (~0.5 us a line: 0.5 s on a million).

The garbage collector is paused while the million small tuples are made (it would otherwise rescan them
again and again: about 3x the time of the conversion, measured in benchmarks/text_readers_speed.py).
merge() puts the strict records' points and the other lines' points back into file order for assemble().
"""

from __future__ import annotations

import array
import gc
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ._text import to_float

# From a text this long (about 200,000 lines), pandas' C reader converts the numbers: it saves more than
# importing pandas costs (~0.25 s); below it, one numpy call (benchmarks/text_readers_speed.py).
CSV_MIN_CHARS = 16_000_000
CHUNK_CHARS = 4_000_000  # the text is matched in pieces of about this size (peak memory: one piece's strings)


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside (the objects made are tuples and strings: no cycles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class Grammar:
    """A format's common record line: ``body`` matches a whole line (no ``^``; it ends at the line's end, and
    matches no newline) and starts with the literal ``prefix``; its first group is the step (never empty),
    ``names`` name the others (None: a group that is no value)."""

    prefix: str
    body: str
    names: tuple[str | None, ...]
    strict: re.Pattern[str] = field(init=False)
    lines: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        self.strict = re.compile("^" + self.body, re.M)
        assert self.strict.groups == len(self.names) + 1, "one name per group after the step"
        self.lines = re.compile(r"^(?:" + self.body + r"|[^\n]*)", re.M)  # a row for every line (scan)


@dataclass
class Scan:
    """What scan() found: the strict records (steps, values by series), and every other line."""

    steps: Any  # int64, one per strict record
    fields: list[tuple[str, Any]]  # (series name, float64 values, one per strict record)
    count: int  # strict records
    others: list[tuple[int, str, int]]  # (line number, line, strict records before it), in file order

    @property
    def fields_by_name(self) -> dict[str, Any]:
        return dict(self.fields)


def scan(text: str, grammar: Grammar) -> Scan:
    import numpy as np

    width = len(grammar.names) + 1
    use_csv = len(text) >= CSV_MIN_CHARS
    steps_parts, table_parts = [], []
    # the other lines, four numbers each (line number, start, end, records before), in an array: no small objects
    # made amid a piece's rows, which would keep the rows' memory pools from being freed after them
    spans = array.array("q")
    lines_before = records_before = 0
    with gc_paused():
        # In chunks of lines, so that only one chunk's strings are alive at a time (peak memory).
        for start, end in _chunks(text):
            rows = grammar.lines.findall(text, start, end)
            if text[end - 1] == "\n":
                rows.pop()  # the empty "line" at the piece's end, after its last newline
            lines = len(rows)
            rows = _records(rows, text, start, end, lines_before, records_before, width, spans)
            lines_before += lines
            records_before += len(rows)
            if rows:
                steps, table = _table(rows, width, use_csv)
                steps_parts.append(steps)
                table_parts.append(table)
            del rows
        steps = np.concatenate(steps_parts) if steps_parts else np.empty(0, dtype=np.int64)
        table = np.concatenate(table_parts) if table_parts else np.empty((0, width - 1))
        fields = [(name, table[:, j]) for j, name in enumerate(grammar.names) if name is not None]
        # the other lines' strings made only now, when the pieces' rows are gone: made amid them, the few kept
        # strings would pin the memory pools the rows used (peak 418 -> 377 MB on a 1M-line llm.c log)
        others = [(spans[k], text[spans[k + 1] : spans[k + 2]], spans[k + 3]) for k in range(0, len(spans), 4)]
    return Scan(steps, fields, len(steps), others)


def _records(
    rows: list[Any], text: str, start: int, end: int, lines_before: int, records_before: int, width: int,
    spans: array.array[int],
) -> list[Any]:
    """The records' rows of one piece (tuples); its other lines (empty rows) appended to ``spans`` as
    (line number, start, end, strict records before it)."""
    empty: Any = ("",) * width if width > 1 else ""  # findall gives plain strings for a single group
    count = rows.count(empty)
    if count:
        at, i = [], -1
        for _ in range(count):
            i = rows.index(empty, i + 1)
            at.append(i)
        starts, ends = _line_bounds(text[start:end])
        for k, i in enumerate(at):
            spans.extend((lines_before + i + 1, start + int(starts[i]), start + int(ends[i]), records_before + i - k))
        if count > 256:  # many: one pass; few: deleted in place (each a memmove of the rows after it)
            rows = [r for r in rows if r != empty]
        else:
            for i in reversed(at):
                del rows[i]
    if width == 1:
        rows = [(r,) for r in rows]
    return rows


def _line_bounds(piece: str) -> tuple[Any, Any]:
    """[start, end) of each line of a piece (newlines excluded): the newlines found by numpy in its ASCII bytes,
    else from the lengths of its lines."""
    import numpy as np

    if piece.isascii():
        newlines = np.flatnonzero(np.frombuffer(piece.encode("ascii"), dtype=np.uint8) == 10)
        ends = np.append(newlines, len(piece))
    else:
        lengths = np.array([len(line) for line in piece.split("\n")], dtype=np.int64)
        ends = np.cumsum(lengths + 1) - 1
    return np.concatenate(([0], ends[:-1] + 1)), ends  # arrays: a list of ints per line would fragment memory


def _chunks(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of pieces of about CHUNK_CHARS that end just after a newline (or at the end)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start + CHUNK_CHARS)
        end = len(text) if end == -1 else end + 1
        yield start, end
        start = end


def _table(rows: list[Any], width: int, use_csv: bool = False) -> tuple[Any, Any]:
    """(steps int64, values float64 rows x width-1) from rows of strings: pandas' C parser on a large table,
    else one numpy call; value by value only when a value is not a plain number."""
    import numpy as np

    if use_csv and (table := _csv_table(rows, width)) is not None:
        return table
    try:
        table = np.array(rows, dtype=np.float64)  # one call for the whole table: the fastest conversion
        steps = table[:, 0]
        if len(steps) and float(np.abs(steps).max()) < 2.0**53:  # exact as integers
            return steps.astype(np.int64), table[:, 1:]
    except (ValueError, OverflowError):
        pass
    columns = list(zip(*rows)) if rows else [()] * width
    steps = np.array([int(s) for s in columns[0]], dtype=np.int64)
    values = np.empty((len(rows), width - 1), dtype=np.float64)
    for j, column in enumerate(columns[1:]):
        values[:, j] = floats(column)
    return steps, values


def _csv_table(rows: list[Any], width: int) -> tuple[Any, Any] | None:
    """The rows as one space-separated text, parsed by pandas' C reader (about 50 ns a number against 200 ns for
    float() or numpy's own string conversion); None if a value is not a plain number (the caller goes slower)."""
    import csv
    import io

    import numpy as np
    import pandas as pd

    blob = "\n".join(map(" ".join, rows))
    exact = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
    try:
        frame = pd.read_csv(
            io.StringIO(blob), sep=" ", header=None, engine="c", quoting=csv.QUOTE_NONE, dtype=np.float64,
            keep_default_na=False, na_values=["nan", "NaN", "-nan"], skip_blank_lines=False, thousands=",", **exact,
        )
    except (ValueError, OverflowError):  # a value pandas does not read as a number (e.g. 11,845)
        return None
    del blob
    table = frame.to_numpy(dtype=np.float64)
    if table.shape != (len(rows), width):
        return None
    steps = table[:, 0]
    if not (np.isfinite(steps).all() and float(np.abs(steps).max()) < 2.0**53):
        return None
    return steps.astype(np.int64), table[:, 1:]


def floats(column: Sequence[str]) -> Any:
    """Number strings -> float64 array in one numpy call; one by one (to_float: NaN for junk, 1,234 read) if
    one is odd. An absent optional field ("") is NaN."""
    import numpy as np

    try:
        return np.array(column, dtype=np.float64)
    except (ValueError, OverflowError):
        return np.array([to_float(x) if x else np.nan for x in column], dtype=np.float64)


def other_lines(text: str, finder: re.Pattern[str]) -> list[tuple[int, str, int]]:
    """(line number, line, offset of the line in text) of every line the finder stops at: a regex over
    ``"\n" + text`` that matches a newline and captures the line after it as ``line`` (used by the nanoGPT reader
    too), so no Python loop runs over the lines it skips."""
    if not text:
        return []  # an empty file has no lines, not one empty line
    shifted = "\n" + text
    out = []
    lineno, pos = 0, 0
    for m in finder.finditer(shifted):
        if m.end() == len(shifted) and not m.group("line") and text.endswith("\n"):
            break  # the empty "line" after the final newline
        lineno += shifted.count("\n", pos, m.start() + 1)
        pos = m.start() + 1
        out.append((lineno, m.group("line"), m.start()))
    return out


class Sink:
    """Points of the lines read one by one, each tagged with how many strict records precede its line."""

    def __init__(self) -> None:
        self.at: list[int] = []
        self.steps: list[int] = []
        self.names: list[str] = []
        self.values: list[float] = []

    def add(self, at: int, step: int, name: str, value: float) -> None:
        self.at.append(at)
        self.steps.append(step)
        self.names.append(name)
        self.values.append(value)


def merge(found: Scan, sink: Sink, masks: dict[str, Any] | None = None) -> tuple[Any, Any, Any, list[str]]:
    """File-order (steps, codes, values, names) of the strict records (one point per field, in field order, at
    the record's step) and the sink's points (placed after the strict records that precede them). ``masks``:
    series name -> which strict records have that point (default: all)."""
    import numpy as np

    names: list[str] = []
    code_of: dict[str, int] = {}
    for name in [n for n, _ in found.fields] + sink.names:
        if name not in code_of:
            code_of[name] = len(names)
            names.append(name)
    width = len(found.fields)
    steps = np.broadcast_to(found.steps[:, None], (found.count, width)).ravel()
    field_codes = np.array([code_of[n] for n, _ in found.fields], dtype=np.int64)
    codes = np.broadcast_to(field_codes[None, :], (found.count, width)).ravel()
    table = np.empty((found.count, width), dtype=np.float64)
    for j, (_, values) in enumerate(found.fields):
        table[:, j] = values
    values = table.ravel()
    per_record = None
    if masks:  # fields a record may lack (a computed value with nothing to compute it from): no point there
        present = np.ones((found.count, width), dtype=bool)
        for j, (name, _) in enumerate(found.fields):
            if name in masks:
                present[:, j] = masks[name]
        keep = present.ravel()
        steps, codes, values = steps[keep], codes[keep], values[keep]
        per_record = np.concatenate([[0], np.cumsum(present.sum(axis=1))])
    if not sink.at:
        return steps, codes, values, names
    # a sink point goes before the first point of the strict record `at` (sink points at one place in their order)
    at = np.asarray(sink.at, dtype=np.int64)
    where = (per_record[at] if per_record is not None else at * width).tolist()
    sink_steps = np.asarray(sink.steps, dtype=np.int64)
    sink_codes = np.array([code_of[name] for name in sink.names], dtype=np.int64)
    sink_values = np.asarray(sink.values, dtype=np.float64)
    cuts = [0] + [i for i in range(1, len(where)) if where[i] != where[i - 1]] + [len(where)]
    out = []
    for block, extra in ((steps, sink_steps), (codes, sink_codes), (values, sink_values)):
        # copied into one array slice by slice: np.concatenate of a piece per place costs ~10 us a piece (0.6 s
        # for 4,000 places x 3 on 10M points); np.insert as fast, but its mask and index arrays add 60 MB
        joined = np.empty(len(block) + len(extra), dtype=block.dtype)
        last = pos = 0
        for lo, hi in zip(cuts[:-1], cuts[1:]):
            size = where[lo] - last
            joined[pos : pos + size] = block[last : where[lo]]
            joined[pos + size : pos + size + hi - lo] = extra[lo:hi]
            pos += size + hi - lo
            last = where[lo]
        joined[pos:] = block[last:]
        out.append(joined)
    return out[0], out[1], out[2], names

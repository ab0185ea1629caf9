"""The fast path of the line-oriented readers: one regex over the whole text for a format's common record line.

A million-line log is almost all one kind of line (``s:N trl:X lr:Y norm:Z``, ``step:N/M train_loss:X …``).
Matching each line in a Python loop costs 3–5x a plain ``findall`` over the text (issue 12), so a reader says
what its common record looks like (``body``: a regex for the whole line, without ``^``, that starts with the
literal ``prefix``) and scan() does this:

- one ``findall`` of ``^body`` (multiline) over the text: the strict records, in file order, converted to numpy
  columns in one go (``np.array(list_of_str, dtype=float)``; per item only when a value is malformed);
- every other line, with its line number and how many strict records precede it, found by a regex that jumps
  from newline to newline (lines not starting with the prefix; when some prefixed lines did not match the strict
  form, lines not matching it at all). The reader classifies these few lines one by one, as before, so the
  odd lines (cut records, banners, tracebacks) behave exactly as they did;
- the line count is ``text.count("\\n")``; records + other lines = total, exactly.

The garbage collector is paused while the million small tuples are made (it would otherwise rescan them
again and again: about 3x the time of the conversion, measured in benchmarks/text_readers_speed.py).
merge() puts the strict records' points and the other lines' points back into file order for assemble().
"""

from __future__ import annotations

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
    """A format's common record line: ``body`` matches a whole line (no ``^``; it ends at the line's end) and
    starts with the literal ``prefix``; its first group is the step, ``names`` name the others (None: a group
    that is no value). ``markers`` are literals that only the other record lines with the same prefix contain
    (llm.c's `` tel:``): those lines are found with str.find instead of a second regex pass."""

    prefix: str
    body: str
    names: tuple[str | None, ...]
    markers: tuple[str, ...] = ()
    head: str | None = None  # a short regex every common record starts with, when other lines share the prefix
    strict: re.Pattern[str] = field(init=False)
    _others: re.Pattern[str] = field(init=False)
    _unmatched: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        self.strict = re.compile("^" + self.body, re.M)
        assert self.strict.groups == len(self.names) + 1, "one name per group after the step"
        # Used on "\n" + text: a literal first character lets the regex engine jump from newline to newline.
        self._others = re.compile(r"\n(?!" + re.escape(self.prefix) + r")(?P<line>[^\n]*)")
        self._unmatched = re.compile(r"\n(?!" + self.body + r")(?P<line>[^\n]*)", re.M)
        if self.head is not None:
            self._not_head = re.compile(r"\n(?!" + self.head + r")(?P<line>[^\n]*)", re.M)


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
    with gc_paused():
        # In chunks of lines, so that only one chunk's strings are alive at a time (peak memory).
        for start, end in _chunks(text):
            rows = grammar.strict.findall(text, start, end)
            if rows:
                if not isinstance(rows[0], tuple):
                    rows = [(r,) for r in rows]  # findall gives plain strings for a single group
                steps, table = _table(rows, width, use_csv)
                steps_parts.append(steps)
                table_parts.append(table)
            del rows
        steps = np.concatenate(steps_parts) if steps_parts else np.empty(0, dtype=np.int64)
        table = np.concatenate(table_parts) if table_parts else np.empty((0, width - 1))
        fields = [(name, table[:, j]) for j, name in enumerate(grammar.names) if name is not None]
        others = _others(text, grammar, len(steps))
    return Scan(steps, fields, len(steps), others)


def _chunks(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of pieces of about CHUNK_CHARS that end just after a newline (or at the end)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start + CHUNK_CHARS)
        end = len(text) if end == -1 else end + 1
        yield start, end
        start = end


def _others(text: str, grammar: Grammar, count: int) -> list[tuple[int, str, int]]:
    """Every line that is not a strict record, with its line number and the strict records before it."""
    prefixed = text.count("\n" + grammar.prefix) + text.startswith(grammar.prefix)
    if prefixed == count:  # every prefixed line matched: the others are the lines without the prefix
        return _with_places(other_lines(text, grammar._others))
    if grammar.head is not None:
        # the lines that do not start like a record (a short match each); if all the others are records, done
        candidates = other_lines(text, grammar._not_head)
        total = text.count("\n") + (0 if text.endswith("\n") else 1) if text else 0
        if total - len(candidates) == count:
            return _with_places(candidates)
    marked = _marked_lines(text, grammar) if grammar.markers else None
    if marked is not None and prefixed == count + len(marked):
        return _with_places(sorted(other_lines(text, grammar._others) + marked))
    return _with_places(other_lines(text, grammar._unmatched))  # exact, at the cost of a second regex pass


def _with_places(lines: list[tuple[int, ...]]) -> list[tuple[int, str, int]]:
    """(line number, line, strict records before it) from (line number, line[, offset]) in file order."""
    return [(lineno, line, lineno - 1 - i) for i, (lineno, line, *_) in enumerate(lines)]


def _marked_lines(text: str, grammar: Grammar) -> list[tuple[int, str]]:
    """(line number, line) of the prefixed lines holding a marker and not matching the strict form."""
    starts: dict[int, str] = {}
    for marker in grammar.markers:
        pos = text.find(marker)
        while pos != -1:
            start = text.rfind("\n", 0, pos) + 1
            end = text.find("\n", pos)
            end = len(text) if end == -1 else end
            line = text[start:end]
            if line.startswith(grammar.prefix) and not grammar.strict.match(line):
                starts[start] = line
            pos = text.find(marker, end)
    out = []
    lineno, last = 1, 0
    for start in sorted(starts):
        lineno += text.count("\n", last, start)
        last = start
        out.append((lineno, starts[start]))
    return out


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
    # a sink point goes before the first point of the strict record `at`; the pieces are joined in one copy
    at = np.asarray(sink.at, dtype=np.int64)
    where = (per_record[at] if per_record is not None else at * width).tolist()
    sink_steps = np.asarray(sink.steps, dtype=np.int64)
    sink_codes = np.array([code_of[name] for name in sink.names], dtype=np.int64)
    sink_values = np.asarray(sink.values, dtype=np.float64)
    cuts = [0] + [i for i in range(1, len(where)) if where[i] != where[i - 1]] + [len(where)]
    out = []
    for block, extra in ((steps, sink_steps), (codes, sink_codes), (values, sink_values)):
        pieces, last = [], 0
        for lo, hi in zip(cuts[:-1], cuts[1:]):
            pieces.append(block[last : where[lo]])
            pieces.append(extra[lo:hi])
            last = where[lo]
        pieces.append(block[last:])
        out.append(np.concatenate(pieces))
    return out[0], out[1], out[2], names

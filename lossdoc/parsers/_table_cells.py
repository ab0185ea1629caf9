"""The cells of a generic table (lossdoc/parsers/table.py): the delimiter of a line, its cells, a step cell, a
number; the `step value` line of a two-column file and its header line."""

from __future__ import annotations

import csv
import math
import re
from typing import Any

_NUMBER = r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|NaN|NAN|inf|Inf|INF|infinity|Infinity)"
PAIR = re.compile(rf"^\s*(\d+)\s*(?:,|\s)\s*({_NUMBER})\s*$")
PAIR_HEADER = re.compile(r"^\s*[A-Za-z_][\w/.-]*\s*(?:,|\s)\s*[A-Za-z_][\w/.-]*\s*$")


def delimiter_of(line: str) -> str | None:
    """Tab, comma, or None for runs of whitespace."""
    if "\t" in line:
        return "\t"
    if "," in line:
        return ","
    return None


def split_cells(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None:
        return line.split()
    if '"' not in line:
        return line.split(delimiter)
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:  # e.g. a stray carriage return inside the line
        return line.split(delimiter)


def step_of(text: Any) -> int | None:
    """A step cell: an integer, or a float with no fractional part ('100.0'); None otherwise."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text
    value = float_of(text) if isinstance(text, str) else float(text) if isinstance(text, float) else None
    if value is None or not math.isfinite(value) or not value.is_integer():
        return None
    return int(value)


def float_of(text: Any) -> float | None:
    try:
        return float(str(text).strip())
    except ValueError:
        return None

"""The rows of a generic table (lossdoc/parsers/table.py), read one by one into points with the line accounting:
`step value` pairs, delimited rows under a header, JSON Lines, and a JSON list of step records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..run import Run, canonical_name
from ._assemble import PointBuffer
from ._table_cells import PAIR, PAIR_HEADER, float_of, split_cells, step_of
from ._table_columns import flatten, series_names, step_column, step_key_of
from ._text import LineAccount, parse_json

JSON_LIST_UNIT = "records"


def parse_pairs(
    content: list[tuple[int, str]], points: PointBuffer, account: LineAccount, meta: dict[str, Any], name: str
) -> None:
    header_seen = False
    for lineno, line in content:
        m = PAIR.match(line)
        if m:
            points.add(int(m.group(1)), name, float(m.group(2)))
            account.used += 1
        elif not line.strip() or line.lstrip().startswith("#"):
            account.ignored += 1
        elif not header_seen and PAIR_HEADER.match(line):
            header_seen = True
            account.ignored += 1
        else:
            account.unknown(lineno, line)
    meta["columns"] = {"step": "step", "value": name}


def parse_delimited(
    content: list[tuple[int, str]],
    delimiter: str | None,
    points: PointBuffer,
    account: LineAccount,
    meta: dict[str, Any],
    stem: str,
) -> None:
    header: list[str] | None = None
    step_index = 0
    names: list[str | None] = []
    rows: list[tuple[int, str, list[str]]] = []
    for lineno, line in content:
        if not line.strip() or line.lstrip().startswith("#"):
            account.ignored += 1
            continue
        cells = split_cells(line, delimiter)
        if header is None:
            header = [c.strip() for c in cells]
            found = step_column(header)
            step_index = 0 if found is None else found
            account.ignored += 1
            continue
        if [c.strip() for c in cells] == header:  # header repeated (concatenated files)
            account.ignored += 1
            continue
        rows.append((lineno, line, cells))
    if header is None:
        return
    # A column is a series when at least one of its cells is a number; text columns are listed in meta.
    numeric = [False] * len(header)
    for _, _, cells in rows:
        for j, cell in enumerate(cells[: len(header)]):
            if not numeric[j] and float_of(cell) is not None:
                numeric[j] = True
    names = series_names(header, step_index, stem, meta)
    names = [name if numeric[j] else None for j, name in enumerate(names)]
    bad_cells = 0
    for lineno, line, cells in rows:
        step = step_of(cells[step_index]) if len(cells) > step_index else None
        if step is None or len(cells) > len(header):
            account.unknown(lineno, line)
            continue
        got = False
        for j, cell in enumerate(cells):
            name = names[j]
            if name is None or not cell.strip():
                continue
            value = float_of(cell)
            if value is None:
                bad_cells += 1
                continue
            points.add(step, name, value)
            got = True
        if got:
            account.used += 1
        else:
            account.ignored += 1  # a row with a step and no value (sparse tables)
    meta["columns"] = {col: names[j] for j, col in enumerate(header) if names[j]}
    meta["step_column"] = header[step_index]
    skipped = set(meta.get("skipped_columns", []))
    text_columns = [col for j, col in enumerate(header) if j != step_index and not numeric[j] and col not in skipped]
    if text_columns:
        meta["text_columns"] = text_columns
    if bad_cells:
        meta["bad_cells"] = bad_cells


def parse_jsonl(
    content: list[tuple[int, str]], points: PointBuffer, account: LineAccount, meta: dict[str, Any]
) -> None:
    skipped: set[str] = set()
    step_key: str | None = None
    for lineno, line in content:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            account.ignored += 1
            continue
        try:
            record = json.loads(stripped)
        except (json.JSONDecodeError, RecursionError):
            account.unknown(lineno, line)
            continue
        if not isinstance(record, dict):
            account.unknown(lineno, line)
            continue
        flat = flatten(record)
        key = step_key if step_key in flat else step_key_of(flat)
        step = step_of(flat[key]) if key is not None else None
        if step is None or key is None:
            account.unknown(lineno, line)
            continue
        step_key = key
        got = False
        for name, value in flat.items():
            if name == key:
                continue
            if name.startswith("_"):
                skipped.add(name)
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                value = float_of(value) if isinstance(value, str) else None
                if value is None:
                    continue
            points.add(step, canonical_name(name), float(value))
            got = True
        if got:
            account.used += 1
        else:
            account.ignored += 1
    if step_key:
        meta["step_column"] = step_key
    if skipped:
        meta["skipped_keys"] = sorted(skipped)


def parse_json_list(text: str, path: Path, meta: dict[str, Any]) -> list[Run]:
    """A JSON list of step records: each record is one unit of the accounting, read as a JSON Lines row."""
    records = parse_json(text, path)
    if not isinstance(records, list):
        raise InputError(f"{path}: JSON {type(records).__name__}, not a list of step records")
    meta.update(table_kind="json-list", lines_unit=JSON_LIST_UNIT)
    if records and not any(isinstance(r, dict) and step_key_of(flatten(r)) for r in records):
        records = [dict(r, step=i) if isinstance(r, dict) else r for i, r in enumerate(records)]
        meta["step_from_index"] = True  # no record names its step: the place in the list is the step
    account = LineAccount(total=len(records))
    points = PointBuffer()
    content = [(i, json.dumps(r) if isinstance(r, dict) else repr(r)[:200]) for i, r in enumerate(records, 1)]
    parse_jsonl(content, points, account, meta)
    account.store(meta)
    return points.to_runs(meta, path.stem)

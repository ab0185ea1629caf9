"""Generic tables: the fallback reader, LAST in the sniff order.

Three shapes:
    step,lr,loss          CSV or TSV with a header that names a step column (step, iter, iteration,
    0,0.0006,10.98        global_step, _step, ...); every other column with numbers is a series, named
                          through the alias table (loss -> train/loss, val_loss -> val/loss, lr -> train/lr)
    {"step": 0, "loss": 10.98, "val/loss": 11.0}
                          JSON Lines: one object per line with a step key; nested objects are flattened
                          with "/" ({"train": {"loss": 2}} -> train/loss); keys starting with "_" other than
                          the step (W&B's _runtime, _timestamp) are bookkeeping and skipped (listed in meta)
    [{"step": 0, "loss": 10.98}, ...]
                          a JSON list of step records (``json.dump(history)``), read like JSON Lines; the
                          unit of the accounting is the record (``meta["lines_unit"] = "records"``); records
                          with no step key at all are numbered by their place in the list (from 0)
    1 8.049097061157227   plain two columns `step value` (whitespace or comma), no header: the value is
                          read as train/loss (a loss trace is what such files hold, e.g. torchtitan's CI
                          golden losses); a header line (`step loss`) names the value column instead

It must not steal files that a specific reader knows: a W&B panel export (``"Step","run - metric"``) and a
runs-table export are refused here; a header naming both ``epoch`` and ``step`` is a Lightning CSVLogger
file, which that reader (earlier in the order) takes first.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..run import Run, canonical_name
from ._assemble import PointBuffer
from ._text import LineAccount, parse_json, read_text

NAME = "table"
DESCRIPTION = "Generic table: CSV/TSV with a step column, JSON Lines with a step key, or `step value` pairs"
SAMPLE = 'step,lr,loss  or  {"step": 100, "loss": 3.21}  or  100 3.2140'

STEP_NAMES = (
    "step",
    "steps",
    "iter",
    "iters",
    "iteration",
    "iterations",
    "global_step",
    "_step",
    "trainer/global_step",
)
SNIFF_ROWS = 5  # data rows after the header that must parse for sniff to accept (fewer if the head is shorter)

_NUMBER = r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|NaN|NAN|inf|Inf|INF|infinity|Infinity)"
_PAIR = re.compile(rf"^\s*(\d+)\s*(?:,|\s)\s*({_NUMBER})\s*$")
_HEADER_CELL = re.compile(r"^[A-Za-z_][\w/.\-@ ]*$")  # a column name: no code, no prose punctuation
_WANDB_RUNS = re.compile(r'^"?Name"?,"?State"?,')
_WANDB_PANEL = re.compile(r'^"?Step"?,"?[^,\n]+ - [^,\n]+')


_JSON_LIST = re.compile(r"^\ufeff?\s*\[\s*(?:\{|\])")
_JSON_LIST_KEY = re.compile(r'"(?:step|steps|iter|iteration|global_step|_step|loss|train_loss|val_loss|train|val)"\s*:')
JSON_LIST_UNIT = "records"


def sniff(head: str) -> bool:
    if _JSON_LIST.match(head):
        return bool(_JSON_LIST_KEY.search(head[:4096]))
    lines = _content_lines(head)
    if not lines:
        return False
    first = lines[0].strip()
    if first.startswith("{"):
        return _sniff_jsonl(lines)
    if _PAIR.match(first):
        sample = lines[1 : 1 + SNIFF_ROWS]
        return all(_PAIR.match(line) for line in sample[:-1] or sample)  # the last may be cut by the head
    if _WANDB_PANEL.match(first) or _WANDB_RUNS.match(first):
        return False  # W&B exports: the wandb-csv reader knows them (a runs table holds no time series)
    delimiter = _delimiter(first)
    header = _split(first, delimiter)
    if _step_column(header) is None or len(header) < 2:
        return False
    lowered = {h.strip().lower() for h in header}
    if "epoch" in lowered and "step" in lowered and delimiter == ",":
        return False  # a Lightning CSVLogger metrics.csv: the lightning-csv reader takes it
    if not all(_HEADER_CELL.match(h.strip()) or (not h.strip() and delimiter) for h in header):
        return False  # prose or code that happens to contain the word "step" (an empty name: a pandas index)
    step_index = _step_column(header)
    rows = [_split(line, delimiter) for line in lines[1 : 1 + SNIFF_ROWS]]
    rows = rows[:-1] or rows  # the last line of the head may be cut short
    rows = [r for r in rows if r != header]  # a header repeated by concatenated files
    return bool(rows) and all(len(r) == len(header) and _step(r[step_index]) is not None for r in rows)


def parse(path: Path) -> list[Run]:
    log = read_text(path)
    text = log.text.lstrip("\ufeff")
    lines = text.split("\n") if text else []  # an empty file has no lines, not one empty line
    if log.ends_with_newline:
        lines.pop()
    account = LineAccount(total=log.total_lines())
    points = PointBuffer()
    meta: dict[str, Any] = {"format": NAME, "source": str(path), "decode_errors": log.decode_errors}

    if _JSON_LIST.match(text):
        return _parse_json_list(text, path, meta)
    content = [(i, line.rstrip("\r")) for i, line in enumerate(lines, 1)]
    first = next((line.strip() for _, line in content if line.strip() and not line.lstrip().startswith("#")), "")
    fast = _fast(text, first, lines[0].rstrip("\r") if lines else "", account, meta, path)
    if fast is not None:
        return fast
    if first.startswith("{"):
        meta["table_kind"] = "jsonl"
        _parse_jsonl(content, points, account, meta)
    elif _PAIR.match(first):
        meta["table_kind"] = "pairs"
        _parse_pairs(content, points, account, meta, "train/loss")
    else:
        delimiter = _delimiter(first)
        header = _split(first, delimiter)
        if _step_column(header) is None and len(header) == 2 and _PAIR_HEADER.match(first):
            meta["table_kind"] = "pairs"
            _parse_pairs(content, points, account, meta, canonical_name(header[1]))
        else:
            meta["table_kind"] = {",": "csv", "\t": "tsv"}.get(delimiter or "", "whitespace")
            _parse_delimited(content, delimiter, points, account, meta, path.stem)
    account.store(meta, log)
    return points.to_runs(meta, path.stem)


def _fast(
    text: str, first: str, line1: str, account: LineAccount, meta: dict[str, Any], path: Path
) -> list[Run] | None:
    """A clean numeric table read by pandas' C parser (100x the line loop); None sends it to the exact line loop."""
    if first.startswith("{") or line1.strip() != first:  # JSON Lines, or comments / blank lines before the header
        return None
    if _PAIR.match(first):
        kind, delimiter, header, names = "pairs", ("," if "," in first else None), None, ["step", "train/loss"]
    else:
        delimiter = _delimiter(first)
        cells = [c.strip() for c in _split(first, delimiter)]
        if _step_column(cells) is None:
            return None
        kind, header, names = {",": "csv", "\t": "tsv"}.get(delimiter or "", "whitespace"), cells, None
    table = fast_numeric_table(text, delimiter, header is not None, account.total)
    if table is None:
        return None
    columns, values = table
    if names is None:
        step_index = _step_column(columns)
        if step_index is None:
            return None
        meta["step_column"] = columns[step_index]
        all_names = series_names(columns, step_index, path.stem, meta)
        keep = [j for j, n in enumerate(all_names) if n is not None]
        names = [str(all_names[j]) for j in keep]
        meta["columns"] = {columns[j]: n for j, n in zip(keep, names, strict=True)}
        steps_col, values = values[:, step_index], values[:, keep]
    elif values.shape[1] == 2:
        meta["columns"] = {"step": "step", "value": names[1]}
        steps_col, values, names = values[:, 0], values[:, 1:], names[1:]
    else:
        return None
    meta["table_kind"] = kind
    return runs_from_matrix(steps_col, values, names, account, meta, path.stem)


PANDAS_MIN_CHARS = 1_000_000  # below this a table is read by the line loop (issue 12: the fixed cost)


def fast_numeric_table(text: str, delimiter: str | None, header: bool, total_lines: int) -> Any:
    """(columns, float matrix) of an all-numeric table whose every line is one row (or header), else None.

    Empty cells become NaN (nothing was logged there); a literal `nan` makes pandas keep the column as text,
    so such a file goes to the exact line loop, which keeps a logged NaN as a point. Floats are parsed
    round-trip exact, as Python's float() does.
    """
    if len(text) < PANDAS_MIN_CHARS:
        return None  # the exact line loop: importing pandas (~0.25 s) costs more than it saves on a small file
    import numpy as np
    import pandas as pd

    # pandas >= 3 parses round-trip exact by default and deprecates asking for it; older pandas must be asked.
    exact = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep=delimiter or r"\s+",
            header=0 if header else None,
            skip_blank_lines=False,
            keep_default_na=False,
            na_values=[""],
            comment=None,
            **exact,
            engine="c",
        )
    except (ValueError, IndexError, OverflowError):  # pandas' ParserError and EmptyDataError are ValueErrors
        return None
    if len(df) != total_lines - int(header) or not len(df.columns):
        return None  # blank lines, a line break pandas reads differently, a ragged row
    if any(df[c].dtype.kind not in "if" for c in df.columns):
        return None  # text cells (including a literal nan): the exact loop decides what each is
    columns = ["" if str(c).startswith("Unnamed: ") else str(c) for c in df.columns]  # pandas' name for no name
    if len(set(columns)) != len(columns):
        return None
    values = df.to_numpy(dtype=np.float64)
    return columns, values


def runs_from_matrix(
    steps: Any,
    values: Any,
    names: list[str],
    account: LineAccount,
    meta: dict[str, Any],
    run_name: str,
) -> list[Run] | None:
    """Points of a rows x series matrix (NaN = not logged) in file order; None if a step is not an integer."""
    import numpy as np

    from ._assemble import assemble

    steps = np.asarray(steps)
    if steps.dtype.kind == "f":
        if not (np.isfinite(steps).all() and (steps == np.round(steps)).all()):
            return None
        steps = steps.astype(np.int64)
    present = ~np.isnan(values)
    rows, cols = np.nonzero(present)  # row-major: the order of the file
    used = int(present.any(axis=1).sum())
    account.used = used
    account.ignored = account.total - used
    account.store(meta)
    return assemble(steps[rows], cols, values[rows, cols], names, meta, run_name)


_SPLIT_PREFIXES = {"train", "eval", "val", "valid", "validation", "test"}


def series_names(columns: list[str], step_index: int, stem: str, meta: dict[str, Any]) -> list[str | None]:
    """Series name of each column; None for the step column and for bookkeeping columns (listed in meta).

    Skipped: a pandas index column (no name), names starting with "_"
    (W&B history's _runtime, _timestamp), and the "Wall time" of a TensorBoard "Download CSV" export, whose
    "Value" column is named after the tag in the file name (run-x-tag-train_loss.csv -> train/loss).
    """
    lowered = [c.strip().lower() for c in columns]
    tensorboard_export = sorted(lowered) == ["step", "value", "wall time"]
    names: list[str | None] = []
    skipped: list[str] = []
    for j, col in enumerate(columns):
        key = col.strip()
        if j == step_index:
            names.append(None)
        elif not key or key.startswith("_") or (tensorboard_export and lowered[j] == "wall time"):
            names.append(None)
            skipped.append(col)
        elif tensorboard_export and lowered[j] == "value":
            tag = stem.split("tag-", 1)[1] if "tag-" in stem else "value"
            prefix, sep, rest = tag.partition("_")
            names.append(canonical_name(f"{prefix}/{rest}" if sep and prefix.lower() in _SPLIT_PREFIXES else tag))
        else:
            names.append(canonical_name(key))
    if skipped:
        meta["skipped_columns"] = skipped
    return names


_PAIR_HEADER = re.compile(r"^\s*[A-Za-z_][\w/.-]*\s*(?:,|\s)\s*[A-Za-z_][\w/.-]*\s*$")


def _parse_pairs(
    content: list[tuple[int, str]], points: PointBuffer, account: LineAccount, meta: dict[str, Any], name: str
) -> None:
    header_seen = False
    for lineno, line in content:
        m = _PAIR.match(line)
        if m:
            points.add(int(m.group(1)), name, float(m.group(2)))
            account.used += 1
        elif not line.strip() or line.lstrip().startswith("#"):
            account.ignored += 1
        elif not header_seen and _PAIR_HEADER.match(line):
            header_seen = True
            account.ignored += 1
        else:
            account.unknown(lineno, line)
    meta["columns"] = {"step": "step", "value": name}


def _parse_delimited(
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
        cells = _split(line, delimiter)
        if header is None:
            header = [c.strip() for c in cells]
            found = _step_column(header)
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
            if not numeric[j] and _float(cell) is not None:
                numeric[j] = True
    names = series_names(header, step_index, stem, meta)
    names = [name if numeric[j] else None for j, name in enumerate(names)]
    bad_cells = 0
    for lineno, line, cells in rows:
        step = _step(cells[step_index]) if len(cells) > step_index else None
        if step is None or len(cells) > len(header):
            account.unknown(lineno, line)
            continue
        got = False
        for j, cell in enumerate(cells):
            name = names[j]
            if name is None or not cell.strip():
                continue
            value = _float(cell)
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


def _parse_jsonl(
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
        flat = _flatten(record)
        key = step_key if step_key in flat else _step_key(flat)
        step = _step(flat[key]) if key is not None else None
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
                value = _float(value) if isinstance(value, str) else None
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


def _parse_json_list(text: str, path: Path, meta: dict[str, Any]) -> list[Run]:
    """A JSON list of step records: each record is one unit of the accounting, read as a JSON Lines row."""
    records = parse_json(text, path)
    if not isinstance(records, list):
        raise InputError(f"{path}: JSON {type(records).__name__}, not a list of step records")
    meta.update(table_kind="json-list", lines_unit=JSON_LIST_UNIT)
    if records and not any(isinstance(r, dict) and _step_key(_flatten(r)) for r in records):
        records = [dict(r, step=i) if isinstance(r, dict) else r for i, r in enumerate(records)]
        meta["step_from_index"] = True  # no record names its step: the place in the list is the step
    account = LineAccount(total=len(records))
    points = PointBuffer()
    content = [(i, json.dumps(r) if isinstance(r, dict) else repr(r)[:200]) for i, r in enumerate(records, 1)]
    _parse_jsonl(content, points, account, meta)
    account.store(meta)
    return points.to_runs(meta, path.stem)


def _flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "/"))
        else:
            out[name] = value
    return out


def _sniff_jsonl(lines: list[str]) -> bool:
    sample = lines[:SNIFF_ROWS]
    sample = sample[:-1] or sample
    for line in sample:
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            return False
        if not isinstance(record, dict):
            return False
        flat = _flatten(record)
        key = _step_key(flat)
        if key is None or _step(flat[key]) is None:
            return False
    return True


def _step_key(flat: dict[str, Any]) -> str | None:
    keys = list(flat)
    index = _step_column(keys)
    return None if index is None else keys[index]


def _content_lines(head: str) -> list[str]:
    out = []
    for line in head.lstrip("\ufeff").split("\n"):
        line = line.rstrip("\r")
        if line.strip() and not line.lstrip().startswith("#"):
            out.append(line)  # not stripped: a TSV row may end in empty cells
        if len(out) > SNIFF_ROWS + 1:
            break
    return out


def _delimiter(line: str) -> str | None:
    """Tab, comma, or None for runs of whitespace."""
    if "\t" in line:
        return "\t"
    if "," in line:
        return ","
    return None


def _split(line: str, delimiter: str | None) -> list[str]:
    if delimiter is None:
        return line.split()
    if '"' not in line:
        return line.split(delimiter)
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:  # e.g. a stray carriage return inside the line
        return line.split(delimiter)


def _step_column(header: list[str]) -> int | None:
    lowered = [h.strip().strip('"').lower() for h in header]
    for name in STEP_NAMES:
        if name in lowered:
            return lowered.index(name)
    return None


def _step(text: Any) -> int | None:
    """A step cell: an integer, or a float with no fractional part ('100.0'); None otherwise."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text
    value = _float(text) if isinstance(text, str) else float(text) if isinstance(text, float) else None
    if value is None or not math.isfinite(value) or not value.is_integer():
        return None
    return int(value)


def _float(text: Any) -> float | None:
    try:
        return float(str(text).strip())
    except ValueError:
        return None

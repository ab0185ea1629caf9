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

Its parts: _table_cells.py (delimiters, cells, numbers), _table_columns.py (the step column, series names),
_table_rows.py (the rows read one by one), _numeric_table.py (a clean numeric table read by pandas).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..run import Run, canonical_name
from ._assemble import PointBuffer
from ._numeric_table import PANDAS_MIN_CHARS, fast_numeric_table, runs_from_matrix  # noqa: F401 (re-exported)
from ._table_cells import PAIR, PAIR_HEADER, delimiter_of, split_cells, step_of
from ._table_columns import STEP_NAMES, flatten, series_names, step_column, step_key_of  # noqa: F401 (re-exported)
from ._table_rows import JSON_LIST_UNIT, parse_delimited, parse_json_list, parse_jsonl, parse_pairs  # noqa: F401 (re-exported)
from ._text import LineAccount, read_text

NAME = "table"
DESCRIPTION = "Generic table: CSV/TSV with a step column, JSON Lines with a step key, or `step value` pairs"
SAMPLE = 'step,lr,loss  or  {"step": 100, "loss": 3.21}  or  100 3.2140'

SNIFF_ROWS = 5  # data rows after the header that must parse for sniff to accept (fewer if the head is shorter)

_HEADER_CELL = re.compile(r"^[A-Za-z_][\w/.\-@ ]*$")  # a column name: no code, no prose punctuation
_WANDB_RUNS = re.compile(r'^"?Name"?,"?State"?,')
_WANDB_PANEL = re.compile(r'^"?Step"?,"?[^,\n]+ - [^,\n]+')


_JSON_LIST = re.compile(r"^\ufeff?\s*\[\s*(?:\{|\])")
_JSON_LIST_KEY = re.compile(r'"(?:step|steps|iter|iteration|global_step|_step|loss|train_loss|val_loss|train|val)"\s*:')


def sniff(head: str) -> bool:
    if _JSON_LIST.match(head):
        return bool(_JSON_LIST_KEY.search(head[:4096]))
    lines = _content_lines(head)
    if not lines:
        return False
    first = lines[0].strip()
    if first.startswith("{"):
        return _sniff_jsonl(lines)
    if PAIR.match(first):
        sample = lines[1 : 1 + SNIFF_ROWS]
        return all(PAIR.match(line) for line in sample[:-1] or sample)  # the last may be cut by the head
    if _WANDB_PANEL.match(first) or _WANDB_RUNS.match(first):
        return False  # W&B exports: the wandb-csv reader knows them (a runs table holds no time series)
    delimiter = delimiter_of(first)
    header = split_cells(first, delimiter)
    if step_column(header) is None or len(header) < 2:
        return False
    lowered = {h.strip().lower() for h in header}
    if "epoch" in lowered and "step" in lowered and delimiter == ",":
        return False  # a Lightning CSVLogger metrics.csv: the lightning-csv reader takes it
    if not all(_HEADER_CELL.match(h.strip()) or (not h.strip() and delimiter) for h in header):
        return False  # prose or code that happens to contain the word "step" (an empty name: a pandas index)
    step_index = step_column(header)
    rows = [split_cells(line, delimiter) for line in lines[1 : 1 + SNIFF_ROWS]]
    rows = rows[:-1] or rows  # the last line of the head may be cut short
    rows = [r for r in rows if r != header]  # a header repeated by concatenated files
    return bool(rows) and all(len(r) == len(header) and step_of(r[step_index]) is not None for r in rows)


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
        return parse_json_list(text, path, meta)
    content = [(i, line.rstrip("\r")) for i, line in enumerate(lines, 1)]
    first = next((line.strip() for _, line in content if line.strip() and not line.lstrip().startswith("#")), "")
    fast = _fast(text, first, lines[0].rstrip("\r") if lines else "", account, meta, path)
    if fast is not None:
        return fast
    if first.startswith("{"):
        meta["table_kind"] = "jsonl"
        parse_jsonl(content, points, account, meta)
    elif PAIR.match(first):
        meta["table_kind"] = "pairs"
        parse_pairs(content, points, account, meta, "train/loss")
    else:
        delimiter = delimiter_of(first)
        header = split_cells(first, delimiter)
        if step_column(header) is None and len(header) == 2 and PAIR_HEADER.match(first):
            meta["table_kind"] = "pairs"
            parse_pairs(content, points, account, meta, canonical_name(header[1]))
        else:
            meta["table_kind"] = {",": "csv", "\t": "tsv"}.get(delimiter or "", "whitespace")
            parse_delimited(content, delimiter, points, account, meta, path.stem)
    account.store(meta, log)
    return points.to_runs(meta, path.stem)


def _fast(
    text: str, first: str, line1: str, account: LineAccount, meta: dict[str, Any], path: Path
) -> list[Run] | None:
    """A clean numeric table read by pandas' C parser (100x the line loop); None sends it to the exact line loop."""
    if first.startswith("{") or line1.strip() != first:  # JSON Lines, or comments / blank lines before the header
        return None
    if PAIR.match(first):
        kind, delimiter, header, names = "pairs", ("," if "," in first else None), None, ["step", "train/loss"]
    else:
        delimiter = delimiter_of(first)
        cells = [c.strip() for c in split_cells(first, delimiter)]
        if step_column(cells) is None:
            return None
        kind, header, names = {",": "csv", "\t": "tsv"}.get(delimiter or "", "whitespace"), cells, None
    table = fast_numeric_table(text, delimiter, header is not None, account.total)
    if table is None:
        return None
    columns, values = table
    if names is None:
        step_index = step_column(columns)
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
        flat = flatten(record)
        key = step_key_of(flat)
        if key is None or step_of(flat[key]) is None:
            return False
    return True


def _content_lines(head: str) -> list[str]:
    out = []
    for line in head.lstrip("\ufeff").split("\n"):
        line = line.rstrip("\r")
        if line.strip() and not line.lstrip().startswith("#"):
            out.append(line)  # not stripped: a TSV row may end in empty cells
        if len(out) > SNIFF_ROWS + 1:
            break
    return out

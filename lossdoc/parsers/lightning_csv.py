"""PyTorch Lightning ``CSVLogger`` ``metrics.csv`` (lightning/fabric/loggers/csv_logs.py), ``hparams.yaml`` beside it.

    epoch,step,train_loss_epoch,train_loss_step,val_loss
    0,49,,2.3012,
    0,49,,,2.2950
    0,49,2.4101,,

The header is the union of every key ever logged (insertion order in old versions, sorted in newer
ones); each row is one ``log_metrics`` call, so cells are empty where a key was not logged in that row.
csv.DictWriter ends rows with CRLF. ``step`` is the global step; validation and epoch-end rows repeat the
step of the last training batch. ``self.log`` adds ``epoch`` to every row, which is how sniff knows the file.

Names: ``<split>_<metric>`` with split train/val/valid/validation/test -> ``<split>/<metric>`` (val_acc ->
val/acc); ``loss`` -> train/loss. With ``on_step=True, on_epoch=True`` Lightning logs two columns: for the
train split the per-step one is the series (train_loss_step -> train/loss) and the epoch mean is
``train/loss_epoch``; for the other splits it is the other way round (val_loss_epoch -> val/loss, the
per-batch values -> val/loss_step). ``lr-<Optimizer>`` (LearningRateMonitor) -> train/lr (further ones
-> train/lr_<rest>). ``epoch`` -> train/epoch, one point per step.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..run import ALIASES, Run, canonical_name
from ._assemble import PointBuffer
from ._numeric_table import fast_numeric_table, runs_from_matrix
from ._text import LineAccount, read_text

NAME = "lightning-csv"
DESCRIPTION = "PyTorch Lightning CSVLogger metrics.csv (+ hparams.yaml beside it)"
SAMPLE = "epoch,step,train_loss_epoch,train_loss_step,val_loss"

HPARAMS_FILE = "hparams.yaml"
_SPLITS = {"train": "train", "training": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}
_HEADER = re.compile(r"^\ufeff?([^,\n]+,)+[^,\n]+\r?$")


def sniff(head: str) -> bool:
    first = head.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    if not _HEADER.match(first) or '"' in first or " - " in first:
        return False
    cells = [c.strip() for c in first.split(",")]
    return "epoch" in cells and "step" in cells


def parse(path: Path) -> list[Run]:
    log = read_text(path)
    text = log.text.lstrip("\ufeff")
    account = LineAccount(total=log.total_lines())
    lines = text.split("\n")
    if log.ends_with_newline:
        lines.pop()
    if not lines or not lines[0].strip():
        raise InputError(f"{path}: no header line; not a Lightning metrics.csv")
    # One physical line is one row (Lightning writes no multi-line cells); this keeps the line accounting exact.
    header = [c.strip() for c in _cells(lines[0])]
    account.ignored += 1
    if "step" not in header:
        raise InputError(f"{path}: no 'step' column in the header {lines[0][:120]!r}; not a Lightning metrics.csv")
    step_index = header.index("step")
    names = column_names(header)
    meta: dict[str, Any] = {
        "format": NAME,
        "source": str(path),
        "columns": {col: names[j] for j, col in enumerate(header) if names[j]},
        "crlf": "\r\n" in text[:4096],
        "decode_errors": log.decode_errors,
    }
    _read_hparams(path.parent / HPARAMS_FILE, meta)
    run_name = path.parent.name if path.name == "metrics.csv" and path.parent.name else path.stem
    fast = _fast(text, header, names, step_index, account, meta, run_name)
    if fast is not None:
        return fast
    account.ignored = 1  # the header; the exact line loop below counts the rest
    points = PointBuffer()
    last_epoch_step: int | None = None
    for lineno, line in enumerate(lines[1:], 2):
        row = _cells(line)
        if not any(cell.strip() for cell in row):
            account.ignored += 1
            continue
        step = _int(row[step_index]) if len(row) > step_index else None
        if step is None or len(row) > len(header):
            if [c.strip() for c in row] == header:
                account.ignored += 1  # header repeated: a resumed logger appended to the file
            else:
                account.unknown(lineno, line)
            continue
        got = False
        for j, cell in enumerate(row):
            name = names[j]
            if name is None or not cell.strip():
                continue
            value = _float(cell)
            if value is None:
                continue
            if name == "train/epoch":
                if last_epoch_step == step:
                    continue  # Lightning repeats epoch in every row of a step; keep one point per step
                last_epoch_step = step
            points.add(step, name, value)
            got = True
        if got:
            account.used += 1
        else:
            account.ignored += 1

    account.store(meta)  # decode_errors is already in meta
    return points.to_runs(meta, run_name)


def _fast(
    text: str,
    header: list[str],
    names: list[str | None],
    step_index: int,
    account: LineAccount,
    meta: dict[str, Any],
    name: str,
) -> list[Run] | None:
    """The all-numeric file read by pandas' C parser (empty cell = not logged); None: use the line loop."""
    import numpy as np

    table = fast_numeric_table(text, ",", True, account.total)
    if table is None or table[0] != header:
        return None
    values = table[1]
    keep = [j for j, n in enumerate(names) if n is not None]
    series = [str(names[j]) for j in keep]
    steps, matrix = values[:, step_index], values[:, keep].copy()
    if "train/epoch" in series:  # one epoch point per step, as in the line loop
        e = series.index("train/epoch")
        rows = np.flatnonzero(~np.isnan(matrix[:, e]))
        repeat = np.zeros(len(rows), dtype=bool)
        repeat[1:] = steps[rows[1:]] == steps[rows[:-1]]
        matrix[rows[repeat], e] = np.nan
    return runs_from_matrix(steps, matrix, series, account, meta, name)


def column_names(header: list[str]) -> list[str | None]:
    """Series name of each column (None for the step column), as described in the module docstring."""
    names: list[str | None] = []
    lr_taken = False
    for col in header:
        key = col.strip()
        lower = key.lower()
        if lower == "step":
            names.append(None)
        elif lower == "epoch":
            names.append("train/epoch")
        elif lower.startswith(("lr-", "lr_")) or lower == "lr":
            rest = re.sub(r"[^0-9a-z]+", "_", lower[3:]).strip("_")
            names.append("train/lr" if not lr_taken else f"train/lr_{rest}")
            lr_taken = True
        else:
            names.append(_metric_name(key))
    return names


def _metric_name(column: str) -> str:
    lower = column.lower()
    base, suffix = lower, ""
    for end in ("_step", "_epoch"):
        if lower.endswith(end) and len(lower) > len(end):
            base, suffix = lower[: -len(end)], end[1:]
            break
    name = ALIASES.get(base)
    if name is None:
        prefix, sep, rest = base.partition("_")
        if "/" in base:
            name = canonical_name(base)
        elif sep and prefix in _SPLITS and rest:
            name = canonical_name(f"{_SPLITS[prefix]}/{rest}")
        else:
            name = canonical_name(base)
    if not suffix:
        return name
    split = name.partition("/")[0]
    primary = "step" if split == "train" else "epoch"  # per-step for training, per-epoch for evaluation
    return name if suffix == primary else f"{name}_{suffix}"


def _read_hparams(path: Path, meta: dict[str, Any]) -> None:
    """hparams.yaml (written by Lightning's save_hparams_to_yaml) into meta["hparams"]; never executes tags."""
    if not path.is_file():
        return
    try:
        import yaml
    except ImportError:
        meta["hparams_error"] = "pyyaml is not installed"
        return
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8", errors="replace"))
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        # e.g. `!!python/object` tags for non-primitive hyper-parameters: not loaded, on purpose
        meta["hparams_error"] = f"{HPARAMS_FILE}: {str(exc).splitlines()[0][:160]}"
        return
    if isinstance(data, dict):
        meta["hparams"] = data
        meta["hparams_file"] = str(path)


def _cells(line: str) -> list[str]:
    line = line.rstrip("\r")
    if '"' not in line:
        return line.split(",")
    try:
        return next(csv.reader([line]), [])
    except csv.Error:  # e.g. a stray carriage return inside the line
        return line.split(",")


def _int(text: str) -> int | None:
    value = _float(text)
    if value is None or value != value or value in (float("inf"), float("-inf")) or not value.is_integer():
        return None
    return int(value)


def _float(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:
        return None

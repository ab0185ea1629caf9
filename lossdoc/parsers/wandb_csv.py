"""Weights & Biases exports.

Panel "Export CSV": ``"Step","<run> - <metric>","<run> - <metric>__MIN","<run> - <metric>__MAX",...``,
every cell quoted, empty where a run has no point at that step. One Run per run name; the ``__MIN`` /
``__MAX`` columns are the panel's smoothing band, not runs of their own, and are skipped (counted in meta).
``Step`` is wandb's ``_step``, not necessarily the trainer's iteration.

A runs-table export (``"Name","State","Notes",...``, one row per run) holds no time series: it is
recognised and refused with a message that says so.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..run import Run, canonical_name
from ._assemble import PointBuffer
from ._text import LineAccount, read_text, to_float

NAME = "wandb-csv"
DESCRIPTION = "Weights & Biases panel 'Export CSV'"
SAMPLE = '"Step","my-run - train/loss","my-run - train/loss__MIN","my-run - train/loss__MAX"'

_PANEL = re.compile(r'^\ufeff?"?Step"?,"?[^,\n]+ - [^,\n]+')
_RUNS_TABLE = re.compile(r'^\ufeff?"?Name"?,"?State"?,')


def sniff(head: str) -> bool:
    return bool(_PANEL.match(head) or _RUNS_TABLE.match(head))


def parse(path: Path) -> list[Run]:
    log = read_text(path)
    text = log.text.lstrip("\ufeff")
    if _RUNS_TABLE.match(text):
        rows = sum(1 for row in csv.reader(io.StringIO(text)) if row) - 1
        raise InputError(
            f"{path}: a W&B runs-table export ({rows} run rows: Name, State, config, summary); it holds no "
            "time series. Export a panel instead (panel menu > Export > CSV) or use the W&B API history."
        )
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])  # an empty file: no columns, no runs
    account = LineAccount(total=log.total_lines(), ignored=1)
    columns: dict[int, tuple[str, str]] = {}  # column index -> (run, series)
    band_columns = 0
    for i, title in enumerate(header[1:], 1):
        run, sep, metric = title.rpartition(" - ")
        if not sep:
            run, metric = "run", title
        if metric.endswith(("__MIN", "__MAX")):
            band_columns += 1
            continue
        columns[i] = (run, canonical_name(metric))
    buffers: dict[str, PointBuffer] = {run: PointBuffer() for run, _ in columns.values()}
    for lineno, row in enumerate(reader, 2):
        if not row or not row[0].strip():
            account.ignored += 1
            continue
        try:
            step = int(float(row[0]))
        except ValueError:
            account.unknown(lineno, ",".join(row))
            continue
        used = False
        for i, (run, series) in columns.items():
            cell = row[i] if i < len(row) else ""
            if cell.strip():
                buffers[run].add(step, series, to_float(cell))
                used = True
        if used:
            account.used += 1
        else:
            account.ignored += 1
    meta: dict[str, Any] = {
        "format": NAME,
        "source": str(path),
        "band_columns_skipped": band_columns,
    }
    account.store(meta, log)
    runs: list[Run] = []
    for run, buffer in buffers.items():
        for part in buffer.to_runs(dict(meta, run_name=run), run):
            runs.append(part)
    return runs

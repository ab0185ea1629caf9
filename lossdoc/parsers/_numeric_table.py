"""A clean numeric table read by pandas' C parser, and a rows x series matrix made into runs: the fast path of
the generic table reader (table.py) and of the Lightning CSVLogger reader (lightning_csv.py)."""

from __future__ import annotations

import io
from typing import Any

from ..run import Run
from ._text import LineAccount

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

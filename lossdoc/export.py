"""Write the tidy points of every run to CSV, JSON Lines or Parquet (`lossdoc show --to FILE`)."""

from __future__ import annotations

from pathlib import Path

from .errors import InputError
from .run import Run


def write_points(runs: list[Run], path: Path) -> None:
    import pandas as pd

    frames = [run.df.assign(run=run.name)[["run", "step", "split", "metric", "value"]] for run in runs]
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    suffix = path.suffix.lower()
    if suffix == ".csv":
        df.to_csv(path, index=False)
    elif suffix == ".jsonl":
        df.to_json(path, orient="records", lines=True)
    elif suffix == ".parquet":
        try:
            df.to_parquet(path, index=False)
        except ImportError:
            raise InputError("writing .parquet needs pyarrow: pip install 'lossdoc[parquet]'") from None
    else:
        raise InputError(f"--to {path}: unknown extension {suffix!r}; use .csv, .jsonl or .parquet")

"""A file of several runs (seeds, ablations): each run's last and best loss, and the spread of the final losses."""

from __future__ import annotations

from typing import Any

from .run import Run
from .summary import series_summary


def compare_runs(runs: list[Run]) -> dict[str, Any] | None:
    """For a file of several runs (seeds, ablations): each run's last and best loss, and their spread.

    The spread of the final losses across seeds is the noise band any single-run difference must beat.
    """
    import numpy as np

    if len(runs) < 2:
        return None
    rows = []
    for r in runs:
        summary = series_summary(r)
        name = "val/loss" if "val/loss" in summary else ("train/loss" if "train/loss" in summary else None)
        s = summary.get(name) if name else None
        best = None
        if name:
            values = r.arrays(name)[1]
            best = float(np.nanmin(values)) if np.isfinite(values).any() else None
        rows.append(
            {
                "name": r.name,
                "series": name,
                "last_step": s["last_step"] if s else None,
                "last": s["last"] if s else None,
                "best": best,
            }
        )
    finals = np.array([row["last"] for row in rows if row["last"] is not None], dtype=float)
    spread = None
    if len(finals) >= 2:
        spread = {
            "min": float(finals.min()),
            "max": float(finals.max()),
            "mean": float(finals.mean()),
            "std": float(finals.std(ddof=1)),
            "runs": int(len(finals)),
        }
    return {"runs": rows, "final_spread": spread}

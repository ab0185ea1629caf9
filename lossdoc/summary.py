"""What was read from a log: per run, per series, points / step range / first / last / NaN count.

This is the library behind `lossdoc show` and the head of `lossdoc analyze`; it knows Runs, not formats.
"""

from __future__ import annotations

import math
from typing import Any

from .run import Run

# meta keys that are bulky or internal and are not repeated in the per-run summary
_META_HIDDEN = {"lines", "unparsed_sample", "source", "format"}


def series_summary(run: Run) -> dict[str, dict[str, Any]]:
    """{series: {points, first_step, last_step, first, last, nan}} in canonical order."""
    import numpy as np

    out: dict[str, dict[str, Any]] = {}
    if not run.n_points:
        return out
    for name in run.names():
        steps, values = run.arrays(name)  # numpy: `show` never needs pandas
        finite = np.isfinite(values)
        out[name] = {
            "points": int(len(steps)),
            "first_step": int(steps[0]),
            "last_step": int(steps[-1]),
            "first": _num(values[finite][0]) if finite.any() else None,
            "last": _num(values[finite][-1]) if finite.any() else None,
            "nan": int(np.isnan(values).sum()),
            "inf": int(np.isinf(values).sum()),
        }
    return out


def summarize(runs: list[Run], source: str) -> dict[str, Any]:
    """The `show` document (ARCHITECTURE.md JSON contract)."""
    first = runs[0].meta if runs else {}
    return {
        "source": source,
        "format": first.get("format"),
        "runs": [
            {
                "name": run.name,
                "meta": {k: v for k, v in run.meta.items() if k not in _META_HIDDEN},
                "series": series_summary(run),
                "events": _events(run),
            }
            for run in runs
        ],
        "lines": first.get("lines", {}),
        "lines_unit": first.get("lines_unit", "lines"),
        "unparsed_sample": [{"line": n, "text": t} for n, t in first.get("unparsed_sample", [])],
    }


def _events(run: Run) -> list[dict[str, Any]]:
    """The run's events (lossdoc.analyzers.events.collect): errors, tracebacks, skipped steps, a cancelled job."""
    from .analyzers.events import collect

    return collect(run)


def _num(x: float) -> float | None:
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x

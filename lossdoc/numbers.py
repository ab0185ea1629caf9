"""Counts written the way practitioners write them in a report: 950, 1K, 12.5K, 1.2M, 7.6B, 3T."""

from __future__ import annotations

_UNITS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def abbreviate(n: float) -> str:
    """A step or token count with three significant digits and a K/M/B/T suffix (643M tokens, 12.5K steps)."""
    n = float(n)
    for size, unit in _UNITS:
        if abs(n) >= size:
            return f"{n / size:.3g}{unit}"
    return f"{n:.0f}"

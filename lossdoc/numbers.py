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


def whole(n: float) -> int:
    """A count read or computed as a float, as the integer it is: '123.69M' parses to 123690000.0 and '2.01M' to
    2009999.9999999998, both counts of parameters (JSON prints them 123690000 and 2010000, not as floats)."""
    return int(round(n))

"""Corpus logs read once per test session for the mfu / gap / gradients tests (a 20K-line log takes ~0.5 s)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lossdoc.parsers import load


@lru_cache(maxsize=32)
def _load(path: str) -> tuple:
    return tuple(load(Path(path)))


def runs_of(path: Path) -> list:
    """The runs of a log (cached: treat them as read-only)."""
    return list(_load(str(path)))

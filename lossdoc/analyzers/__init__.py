"""Analyses of a Run. ANALYZERS is the report order of `lossdoc analyze`.

Each module has ``NAME`` (also its command and its section key in the report), ``applies(run) -> str | None``
(None when the run has what the analysis needs, else the reason it is skipped) and
``analyze(run, **options) -> result``: a dataclass with ``findings: list[Finding]`` and ``to_json()``.
A renderer of the same name in lossdoc/render/ draws the result in the terminal.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

REPORT_ORDER = ("phases", "spikes", "gap", "config_check", "mfu", "gradients", "events")


def __getattr__(name: str) -> Any:
    """ANALYZERS imported on first use (PEP 562): `show` needs only events.py, not every analysis."""
    if name != "ANALYZERS":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    analyzers: list[ModuleType] = [importlib.import_module(f"{__name__}.{n}") for n in REPORT_ORDER]
    globals()["ANALYZERS"] = analyzers
    return analyzers

"""Analyses of a Run. ANALYZERS is the report order of `lossdoc analyze`.

Each module has ``NAME`` (also its command and its section key in the report), ``applies(run) -> str | None``
(None when the run has what the analysis needs, else the reason it is skipped) and
``analyze(run, **options) -> result``: a dataclass with ``findings: list[Finding]`` and ``to_json()``.
A renderer of the same name in lossdoc/render/ draws the result in the terminal.
"""

from __future__ import annotations

from types import ModuleType

from . import config_check, events, gap, gradients, mfu, phases, spikes

ANALYZERS: list[ModuleType] = [
    phases,
    spikes,
    gap,
    config_check,
    mfu,
    gradients,
    events,
]

"""Events in the log (ARCHITECTURE/HELPERS convention): ``run.meta["events"]`` is a list of
``{"kind", "step", "line", "text"}`` that readers append and the ``events`` analyzer turns into findings.

Kinds used by the readers: ``error`` (an error line in the middle of a run), ``traceback`` (a Python traceback or
KeyboardInterrupt), ``overflow`` (an fp16 step skipped on overflow), ``loss_scale`` (the loss scale fell),
``cancelled`` (the job was cancelled), ``truncated`` (the last record is cut short).
"""

from __future__ import annotations

import re
from typing import Any

MAX_PER_KIND = 1000  # a log with a million overflow lines keeps the first 1000; ``event_counts`` has them all
TEXT_CHARS = 200  # an event keeps this much of its line

_TRACEBACK = re.compile(r"^(?:\[(?:rank|default)\d+\]:\s?)?(?:Traceback \(most recent call last\)|KeyboardInterrupt\b)")
_CANCELLED = re.compile(r"\bCANCELLED AT\b|\bDUE TO TIME LIMIT\b")


def add(meta: dict[str, Any], kind: str, step: int | None, line: int, text: str) -> None:
    """Append one event (the first MAX_PER_KIND of each kind; all are counted in ``meta["event_counts"]``)."""
    counts = meta.setdefault("event_counts", {})
    counts[kind] = counts.get(kind, 0) + 1
    if counts[kind] <= MAX_PER_KIND:
        meta.setdefault("events", []).append({"kind": kind, "step": step, "line": line, "text": text[:TEXT_CHARS]})


def line_events(meta: dict[str, Any], step: int | None, lineno: int, line: str) -> None:
    """Events any training stdout may hold on a line that is not a record: a traceback's first line (or a bare
    KeyboardInterrupt), a SLURM cancellation."""
    if _TRACEBACK.match(line):
        add(meta, "traceback", step, lineno, line)
    if "CANCELLED" in line or "TIME LIMIT" in line:
        if _CANCELLED.search(line):
            add(meta, "cancelled", step, lineno, line)


def sort(meta: dict[str, Any]) -> None:
    """Events in file order (readers find them in more than one pass)."""
    if "events" in meta:
        meta["events"].sort(key=lambda e: e["line"])

"""Progress on stderr while a command works on a big input (issue 12): a rich spinner with what is being done.

Shown only when stderr is a terminal and the output is not --json: at once for an input over PROGRESS_MIN_BYTES,
otherwise when the work has taken PROGRESS_AFTER_S. Nothing on a pipe, nothing in tests, never on stdout.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PROGRESS_MIN_BYTES = 50_000_000  # ~1M lines of a typical log: reading takes a few seconds
PROGRESS_AFTER_S = 2.0  # a shorter wait needs no spinner


def wanted(stream: Any, quiet: bool) -> bool:
    """Whether progress may be drawn on this stream at all."""
    isatty = getattr(stream, "isatty", None)
    return not quiet and bool(isatty and isatty())


def input_size(path: Path) -> int:
    try:
        return path.stat().st_size if path.is_file() else 0
    except OSError:
        return 0


@contextmanager
def working(path: Path, what: str = "reading", quiet: bool = False, stream: Any = None) -> Iterator[None]:
    """Around the work on `path`: a spinner on stderr ("reading run.log (812 MB)…") when it is wanted."""
    stream = sys.stderr if stream is None else stream
    if not wanted(stream, quiet):
        yield
        return
    from rich.console import Console

    size = input_size(path)
    label = f"{what} {path.name}" + (f" ({size / 1e6:,.0f} MB)" if size else "") + "…"
    status = Console(file=stream).status(label)
    lock = threading.Lock()
    state = {"started": False, "done": False}

    def start() -> None:
        with lock:
            if not state["done"]:
                status.start()
                state["started"] = True

    timer = threading.Timer(0.0 if size >= PROGRESS_MIN_BYTES else PROGRESS_AFTER_S, start)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        with lock:
            state["done"] = True
            if state["started"]:
                status.stop()

"""lossdoc: read the log of a language-model training run and diagnose it.

Public API: ``load(path, format=None) -> list[Run]``, ``Run``, ``Finding``, ``Severity``.
Nothing heavy is imported here (no typer, rich, pandas or matplotlib) so that `import lossdoc` is fast.
"""

from .errors import InputError, UnknownFormat
from .findings import Finding, Severity
from .run import Run


def load(path, format=None):  # type: ignore[no-untyped-def]
    """Read a log file into one Run per training run it holds (see lossdoc.parsers.load)."""
    from .parsers import load as _load

    return _load(path, format)


__all__ = ["Finding", "InputError", "Run", "Severity", "UnknownFormat", "load"]
__version__ = "0.1.0"

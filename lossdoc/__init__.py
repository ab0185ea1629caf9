"""lossdoc: read the log of a language-model training run and diagnose it.

Public API: ``load(path, format=None) -> list[Run]``, ``Run``, ``Finding``, ``Severity``.
Nothing heavy is imported here (no click, rich, pandas or matplotlib) so that `import lossdoc` is fast; Run,
Finding and Severity are imported on first use (PEP 562), so `lossdoc --help` and `--version`, which import
this package before lossdoc.cli, do not compile run.py and findings.py.
"""

from typing import Any

from .errors import InputError, UnknownFormat

_LAZY = {"Run": ".run", "Finding": ".findings", "Severity": ".findings"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load(path, format=None):  # type: ignore[no-untyped-def]
    """Read a log file into one Run per training run it holds (see lossdoc.parsers.load)."""
    from .parsers import load as _load

    return _load(path, format)


__all__ = ["Finding", "InputError", "Run", "Severity", "UnknownFormat", "load"]
__version__ = "0.1.0"

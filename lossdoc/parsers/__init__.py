"""Log readers. Each module knows one format: ``sniff(head) -> bool`` and ``parse(path) -> list[Run]``.

PARSERS is ordered: it is the sniff order, so a more specific reader comes before a more general one.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from ..errors import InputError, UnknownFormat
from ..run import Run
from . import build_nanogpt, llmc, llmc_stdout, megatron, modded_nanogpt, nanogpt, torchtitan, wandb_csv
from ._text import HEAD_BYTES, read_head

PARSERS: list[ModuleType] = [
    modded_nanogpt,  # first: its embedded script source may contain any other format's strings
    megatron,
    torchtitan,
    build_nanogpt,  # `step N | loss:` (no /M) and `N train X`: before the generic readers
    llmc_stdout,  # before nanogpt: its `step N/M | loss` lines are unambiguous
    llmc,
    nanogpt,
    wandb_csv,
]


def by_name(name: str) -> ModuleType:
    for parser in PARSERS:
        if parser.NAME == name:
            return parser
    known = ", ".join(p.NAME for p in PARSERS)
    raise InputError(f"unknown format {name!r}; known formats: {known}")


def detect(path: Path) -> ModuleType:
    """The first reader whose sniff accepts the start of the file."""
    head = _checked_head(path)
    for parser in PARSERS:
        if parser.sniff(head):
            return parser
    first = next((line.strip() for line in head.splitlines() if line.strip()), "")
    tried = ", ".join(p.NAME for p in PARSERS)
    raise UnknownFormat(f"{path}: no reader recognised this file (tried {tried}); first line: {first[:120]!r}")


def load(path: str | Path, format: str | None = None) -> list[Run]:
    """Read a log file into one Run per training run it holds."""
    path = Path(path)
    parser = by_name(format) if format else detect(path)
    if format:
        _checked_head(path)
    runs = parser.parse(path)
    for run in runs:
        run.meta.setdefault("format", parser.NAME)
        run.meta.setdefault("source", str(path))
    return runs


def _checked_head(path: Path) -> str:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory; give the log file inside it")
    try:
        head = read_head(path, HEAD_BYTES)
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if not head.strip():
        raise InputError(f"{path}: the file is empty")
    if "\x00" in head:
        raise InputError(f"{path}: looks like a binary file (NUL bytes), not a text log")
    return head

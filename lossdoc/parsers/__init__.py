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

# isort: split
from . import hf_trainer, lightning_csv, table, tensorboard  # structured formats

PARSERS: list[ModuleType] = [
    modded_nanogpt,  # first: its embedded script source may contain any other format's strings
    megatron,
    torchtitan,
    build_nanogpt,  # `step N | loss:` (no /M) and `N train X`: before the generic readers
    llmc_stdout,  # before nanogpt: its `step N/M | loss` lines are unambiguous
    llmc,
    nanogpt,
    wandb_csv,
    hf_trainer,
    lightning_csv,  # before table: a CSV with both `epoch` and `step` columns is Lightning's
    tensorboard,  # binary: sniffed only on files with NUL bytes (see detect)
    table,  # LAST: the generic fallback for any table with a step column
]


def by_name(name: str) -> ModuleType:
    for parser in PARSERS:
        if parser.NAME == name:
            return parser
    known = ", ".join(p.NAME for p in PARSERS)
    raise InputError(f"unknown format {name!r}; known formats: {known}")


def detect(path: Path) -> ModuleType:
    """The first reader whose sniff accepts the start of the file (or the log found in a directory)."""
    if path.is_dir():
        return resolve_dir(path)[1]
    head = _checked_head(path, binary_ok=True)
    binary = "\x00" in head
    candidates = [p for p in PARSERS if getattr(p, "BINARY", False) == binary]
    for parser in candidates:
        if parser.sniff(head):
            return parser
    if binary:
        raise InputError(f"{path}: looks like a binary file (NUL bytes), not a text log")
    first = next((line.strip() for line in head.splitlines() if line.strip()), "")
    tried = ", ".join(p.NAME for p in PARSERS)
    raise UnknownFormat(f"{path}: no reader recognised this file (tried {tried}); first line: {first[:120]!r}")


def load(path: str | Path, format: str | None = None) -> list[Run]:
    """Read a log file (or the log in a directory) into one Run per training run it holds."""
    path = Path(path)
    if format:
        parser = by_name(format)
        binary = getattr(parser, "BINARY", False)
        target = path
        if path.is_dir() and not binary:
            target = resolve_dir(path)[0]  # the log found there, read with the reader asked for
        if not (binary and target.is_dir()):
            _checked_head(target, binary_ok=binary)
    elif path.is_dir():
        target, parser = resolve_dir(path)
    else:
        target, parser = path, detect(path)
    runs = parser.parse(target)
    for run in runs:
        run.meta.setdefault("format", parser.NAME)
        run.meta.setdefault("source", str(target))
    return runs


# Files that make a directory a run directory, in the order they are looked for.
_DIR_MARKERS = "trainer_state.json, checkpoint-*/trainer_state.json, metrics.csv, events.out.tfevents.*"
_DIR_LISTED = 12  # entries named in the message when nothing is recognised
_TEXT_LOG_SUFFIXES = {".log", ".txt", ".out", ".csv", ".tsv", ".jsonl", ".json"}


def resolve_dir(path: Path) -> tuple[Path, ModuleType]:
    """What to read in a directory: (file or directory to parse, reader). Raises InputError listing its contents.

    An HF Trainer checkpoint directory (trainer_state.json), an HF output directory (the newest
    checkpoint-N/trainer_state.json: it holds the whole log_history so far), a Lightning version directory
    (metrics.csv), the one such directory just below (lightning_logs/version_0), or a TensorBoard run
    directory (event files here or below, merged). Several runs below: an InputError naming them.
    """
    state = path / "trainer_state.json"
    if state.is_file():
        return state, hf_trainer
    checkpoints = sorted(
        (p for p in path.glob("checkpoint-*/trainer_state.json") if p.parent.name.split("-")[-1].isdigit()),
        key=lambda p: int(p.parent.name.split("-")[-1]),
    )
    if checkpoints:
        return checkpoints[-1], hf_trainer
    metrics = path / "metrics.csv"
    if metrics.is_file():
        head = _checked_head(metrics)
        return metrics, lightning_csv if lightning_csv.sniff(head) else detect(metrics)
    # One level down: lightning_logs/ holding version_N/metrics.csv, an HF output_dir holding one run.
    below = sorted(p for name in ("trainer_state.json", "metrics.csv") for p in path.glob(f"*/{name}") if p.is_file())
    if len(below) == 1:
        return resolve_dir(below[0].parent)
    if len(below) > 1:
        listed = ", ".join(str(p.relative_to(path)) for p in below[:_DIR_LISTED])
        raise InputError(f"{path}: holds {len(below)} runs ({listed}); give one of them")
    if tensorboard.event_files(path):
        loose = [p.name for p in sorted(path.iterdir()) if p.is_file() and p.suffix.lower() in _TEXT_LOG_SUFFIXES]
        if loose:  # a folder of logs that also holds event files: which one is meant is the user's call
            listed = ", ".join(loose[:_DIR_LISTED]) + (f" and {len(loose) - _DIR_LISTED} more" if len(loose) > _DIR_LISTED else "")
            raise InputError(
                f"{path}: holds TensorBoard event files and {len(loose)} other log file(s) ({listed}); "
                "give one log file, or a directory with only the event files"
            )
        return path, tensorboard
    entries = sorted(path.iterdir(), key=lambda p: p.name)
    shown = [p.name + ("/" if p.is_dir() else "") for p in entries[:_DIR_LISTED]]
    more = f" and {len(entries) - _DIR_LISTED} more" if len(entries) > _DIR_LISTED else ""
    found = ", ".join(shown) + more if shown else "nothing (empty directory)"
    raise InputError(
        f"{path}: is a directory with no training log lossdoc recognises (looked for {_DIR_MARKERS}); "
        f"found: {found}. Give the log file itself."
    )


def _checked_head(path: Path, binary_ok: bool = False) -> str:
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
    if "\x00" in head and not binary_ok:
        raise InputError(f"{path}: looks like a binary file (NUL bytes), not a text log")
    return head

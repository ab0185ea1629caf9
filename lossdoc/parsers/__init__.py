"""Log readers. Each module knows one format: ``sniff(head) -> bool`` and ``parse(path) -> list[Run]``.

PARSERS is ordered: it is the sniff order, so a more specific reader comes before a more general one. The reader
modules are imported when first needed (PEP 562 ``__getattr__``): sniffing imports only the one that accepts the log
(the first six readers' sniffers are in _sniffers.py, the others' in their modules, imported in order as far as
sniffing goes), so reading an llm.c log compiles no other reader (~25 ms; the machine keeps no bytecode cache),
and ``PARSERS`` imports them all.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import InputError, UnknownFormat
from ..run import Run
from ._bytes import binary_reason, decode, decompress, is_stdin, logical_path, looks_binary, read_input, read_probe
from ._sniffers import SNIFFERS, preamble_of
from ._text import HEAD_BYTES, LogText, preloaded

STDIN_NAME = "stdin"  # what a reader is told a log read from standard input is called (it names the run)

READERS: tuple[str, ...] = (  # the modules of PARSERS, in sniff order
    "modded_nanogpt",  # first: its embedded script source may contain any other format's strings
    "megatron",
    "torchtitan",
    "build_nanogpt",  # `step N | loss:` (no /M) and `N train X`: before the generic readers
    "llmc_stdout",  # before nanogpt: its `step N/M | loss` lines are unambiguous
    "llmc",
    "nanogpt",
    "wandb_csv",
    "hf_trainer",
    "lightning_csv",  # before table: a CSV with both `epoch` and `step` columns is Lightning's
    "tensorboard",  # binary: sniffed only on files with NUL bytes (see detect)
    "table",  # LAST: the generic fallback for any table with a step column
)
BINARY_READERS = frozenset({"tensorboard"})  # the readers with BINARY = True (tests/test_speed_sniff.py checks)


def reader(module: str) -> ModuleType:
    """The reader module of that name (imported on first use)."""
    return importlib.import_module(f"{__name__}.{module}")


def all_parsers() -> list[ModuleType]:
    """PARSERS: every reader module, in sniff order."""
    return [reader(module) for module in READERS]


def __getattr__(name: str) -> Any:
    if name == "PARSERS":
        return all_parsers()
    if name in READERS:
        return reader(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def by_name(name: str) -> ModuleType:
    parsers = all_parsers()
    for parser in parsers:
        if parser.NAME == name:
            return parser
    known = ", ".join(p.NAME for p in parsers)
    raise InputError(f"unknown format {name!r}; known formats: {known}")


@dataclass
class Source:
    """One input, read once: what the user named, what the reader is given, and the decoded text."""

    path: Path  # as the user gave it ("-" for standard input)
    target: Path  # what the reader is handed (run.log for run.log.gz; "stdin" for "-")
    log: LogText | None  # None: a binary file the reader opens by its path (TensorBoard)
    head: str  # the start of the text, for sniffing
    raw: bytes | None = None  # a binary input that is not a file (a pipe): written to a temporary file to read

    @property
    def binary(self) -> bool:
        return self.log is None


def read_source(path: Path) -> Source:
    """Read an input once (a file, "-", a pipe, a FIFO), decompressed and decoded. Raises InputError."""
    stdin = is_stdin(path)
    if not stdin:
        if not path.exists():
            raise InputError(f"{path}: no such file")
        if path.is_dir():
            raise InputError(f"{path}: is a directory; give the log file inside it")
        if path.is_file():  # a regular file can be probed first: a large binary file is not read whole
            probe = read_probe(path)
            if looks_binary(probe):
                return Source(path, path, None, probe[:HEAD_BYTES].decode("utf-8", errors="replace"))
        elif path.is_char_device() or path.is_block_device():  # /dev/zero would be read for ever
            raise InputError(f"{path}: is a device or a terminal, not a log; pipe a log into lossdoc or give a file")
    data, compression = decompress(read_input(path), path)
    target = Path(STDIN_NAME) if stdin or _is_pipe_alias(path) else logical_path(path) if compression else path
    if not data.strip():
        raise InputError(f"{path}: the {'input' if stdin else 'file'} is empty")
    if looks_binary(data):
        return Source(path, target, None, data[:HEAD_BYTES].decode("utf-8", errors="replace"), raw=data)
    log = decode(data, target, compression)
    del data
    head = log.text[:HEAD_BYTES]
    if not head.strip():
        raise InputError(f"{path}: the {'input' if stdin else 'file'} is empty")
    return Source(path, target, log, head)


def _is_pipe_alias(path: Path) -> bool:
    """/dev/stdin, /dev/fd/63 (a process substitution), /proc/self/fd/0: a pipe, named by number only."""
    text = str(path)
    return text == "/dev/stdin" or text.startswith(("/dev/fd/", "/proc/"))


def detect(path: Path | str) -> ModuleType:
    """The first reader whose sniff accepts the start of the file (or the log found in a directory)."""
    path = Path(path)
    if not is_stdin(path) and path.is_dir():
        return resolve_dir(path)[1]
    return _sniff(read_source(path))


def _sniff(source: Source) -> ModuleType:
    for module in READERS:
        if (module in BINARY_READERS) != source.binary:
            continue
        sniff = SNIFFERS[module] if module in SNIFFERS else reader(module).sniff  # the first six: no import
        if sniff(source.head):
            return reader(module)
    if source.binary:
        raise InputError(f"{source.path}: {binary_reason(source.head.encode('utf-8', 'replace')) or _BINARY}")
    if (preamble := preamble_of(source.head)) is not None:
        raise UnknownFormat(f"{source.path}: the start of a log in the {preamble[0]} format, but no {preamble[1]} in "
                            f"its first {HEAD_BYTES // 1024} KB: the run stopped before its first logged step, or the "
                            "log is cut")
    first = next((line.strip() for line in source.head.splitlines() if line.strip()), "")
    tried = ", ".join(p.NAME for p in all_parsers())
    raise UnknownFormat(f"{source.path}: no reader recognised this file (tried {tried}); first line: {first[:120]!r}")


_BINARY = "looks like a binary file (NUL bytes), not a text log"


def load(path: str | Path, format: str | None = None) -> list[Run]:
    """Read a log (a file, "-" for stdin, a pipe, a compressed file, or the log in a directory) into Runs.

    The bytes are read once; sniffing and parsing share them.
    """
    path = Path(path)
    directory = not is_stdin(path) and path.is_dir()
    if format:
        parser = by_name(format)
        binary = getattr(parser, "BINARY", False)
        if directory and binary:
            return _finish(parser.parse(path), parser, None, path)
        source = read_source(resolve_dir(path)[0] if directory else path)
        if source.binary and not binary:
            raise InputError(f"{source.path}: {_BINARY}")
    elif directory:
        target, parser = resolve_dir(path)
        if getattr(parser, "BINARY", False):
            return _finish(parser.parse(target), parser, None, target)
        source = read_source(target)
    else:
        source = read_source(path)
        parser = _sniff(source)
    return _parse(parser, source)


def require_loss(runs: list[Run], path: Path | str, format: str | None = None) -> None:
    """InputError unless some run has a loss series with a point: say what the lines were read as instead."""
    if any(run.n_points and any("loss" in name.rpartition("/")[2] for name in run.names()) for run in runs):
        return
    read = f" read as {format} (--format)" if format else ""
    found = sorted({name for run in runs for name in run.names()}) if any(r.n_points for r in runs) else []
    meta = runs[0].meta if runs else {}
    lines = meta.get("lines", {})
    unit = meta.get("lines_unit", "lines")
    counted = f"{lines.get('total', 0):,} {unit}, {lines.get('used', 0):,} records" if lines else "nothing read"
    what = f"; series found: {', '.join(found[:6])}" if found else ""
    sample = meta.get("unparsed_sample") or []
    look = f"; the lines look like {sample[0][1][:100]!r} (line {sample[0][0]})" if sample else ""
    hint = "; try without --format, or see `lossdoc formats`" if format else "; see `lossdoc formats`"
    raise InputError(f"{path}: no loss series{read}: {counted}{what}{look}{hint}")


def _parse(parser: ModuleType, source: Source) -> list[Run]:
    if source.log is not None:
        with preloaded(source.log):
            runs = parser.parse(source.target)
    elif source.raw is not None:  # a binary pipe (TensorBoard events through stdin): its reader needs a file
        import tempfile

        with tempfile.TemporaryDirectory(prefix="lossdoc-") as tmp:
            file = Path(tmp) / "events.out.tfevents.stdin"
            file.write_bytes(source.raw)
            runs = parser.parse(file)
        for run in runs:
            run.meta["source"] = str(source.path)  # not the temporary file's name
    else:
        runs = parser.parse(source.target)
    return _finish(runs, parser, source.log, source.path)


def _finish(runs: list[Run], parser: ModuleType, log: LogText | None, path: Path) -> list[Run]:
    for run in runs:
        run.meta.setdefault("format", parser.NAME)
        if log is not None and (log.path != path or "source" not in run.meta):
            run.meta["source"] = str(path)  # what the user named, not the name inside a .gz or "stdin"
        run.meta.setdefault("source", str(path))
        if log is not None and log.compression:
            run.meta["compression"] = log.compression
        if log is not None and log.encoding != "utf-8":
            run.meta["encoding"] = log.encoding
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
    hf_trainer, lightning_csv, tensorboard = reader("hf_trainer"), reader("lightning_csv"), reader("tensorboard")
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
        source = read_source(metrics)
        return metrics, lightning_csv if lightning_csv.sniff(source.head) else _sniff(source)
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

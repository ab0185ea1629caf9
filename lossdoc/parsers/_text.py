"""Shared helpers for line-oriented readers: reading a log as text, and accounting for every line.

Every reader turns each physical line (split on "\\n") into a point, a recognised non-metric line
("ignored": headers, config echo, banners, tracebacks) or a counted unparsed line, so that nothing is
dropped silently (ARCHITECTURE.md, "Files that are not one run").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ._bytes import decode, decompress, looks_binary, read_input

HEAD_BYTES = 256 * 1024  # sniffing looks this far: modded-nanogpt logs start with ~1800 lines of source
UNPARSED_SAMPLE = 20  # how many unparsed lines are kept for `show --verbose`

# Terminal escapes: CSI (colours, cursor keys ESC[A, ESC[3~), SS3 keys (ESC O A), OSC titles (ESC ] ... BEL).
ANSI = re.compile(r"\x1b(?:\[[0-9;?]*[A-Za-z~@]|O[A-Za-z]|\][^\x07\n]*\x07)")
# The same keys echoed in caret notation by a terminal in cooked mode (an arrow key pressed while the run
# printed: "^[[A"), and the ^C echo of an interrupt, stuck to a record.
CARET_JUNK = re.compile(r"\^\[(?:\[[0-9;?]*[A-Za-z~@]|O[A-Za-z])|\^\[|\^C")

# Lines that any training stdout may contain and that carry no metric. Recognised, counted as ignored.
_NOISE = re.compile(
    r"""^(?:\s*$                                   # blank
    |\s                                            # indented: traceback frames, wrapped text, code
    |\^+\s*$                                       # traceback carets
    |wandb:                                        # weights & biases banners
    |nohup:
    |Traceback\ \(most\ recent\ call\ last\)
    |[A-Za-z_.]*(?:Error|Exception|Interrupt|Warning)\b
    |During\ handling\ of\ the\ above\ exception
    |The\ above\ exception\ was\ the\ direct\ cause
    |/\S+\.py:\d+:\s                                  # python warnings: /path/file.py:12: FutureWarning
    |W\d{4}\ |I\d{4}\ |E\d{4}\                       # glog / absl prefixed lines
    |saving\ checkpoint
    |compiling\ the\ model
    |Initializing\ a\ new\ model
    |Resuming\ training
    |using\ fused\ AdamW
    |num\ (?:non-)?decayed\ parameter\ tensors
    |\#                                              # comments (echoed config files)
    )""",
    re.VERBOSE,
)
_RANK_PREFIX = re.compile(r"^\[(?:rank|default)\d+\]:\s?")


def line_starts(body: str) -> re.Pattern[str]:
    """A multiline ``^(?:body)`` for sniffing, as ``\n(?:body)``, to be searched in ``"\n" + head`` (sniff_lines):
    the same matches, but a literal first character lets the regex engine jump from newline to newline instead of
    trying every position of the 256 KB head (~1-2.5 ms a reader, 5 readers tried before llm.c's)."""
    return re.compile(r"\n(?:" + body + ")", re.M)


def sniff_lines(pattern: re.Pattern[str], head: str) -> bool:
    """Whether a line_starts() pattern matches at the start of a line of head."""
    return pattern.search("\n" + head) is not None


def is_noise(line: str) -> bool:
    """Whether a line is known noise: blank, banners, tracebacks, warnings, checkpoint messages."""
    return bool(_NOISE.match(_RANK_PREFIX.sub("", line)))


def visible(line: str) -> str:
    """What a terminal shows of a raw line: the last carriage-return segment, without ANSI codes."""
    if "\r" in line:
        line = line.rstrip("\r")
        line = line.rsplit("\r", 1)[-1]
    if "\x1b" in line:
        line = ANSI.sub("", line)
    if "^" in line:
        line = CARET_JUNK.sub("", line)
    return line


# Events (ARCHITECTURE/HELPERS convention): run.meta["events"] = [{"kind", "step", "line", "text"}].
_TRACEBACK = re.compile(r"Traceback \(most recent call last\)")
_EXCEPTION = re.compile(r"(?:[A-Za-z_][\w]*\.)*[A-Za-z_]\w*(?:Error|Exception|Interrupt|Exit)\b(?::|\s*$)")


class EventScan:
    """Finds tracebacks (and a bare exception line) among a log's non-record lines, in file order.

    ``line(lineno, text, step)`` takes every non-record line; ``step`` is called (only for an event) for the
    last step logged before it. A traceback becomes one ``traceback`` event at its first line, with its
    final exception line as text (``KeyboardInterrupt``); torchrun's ``[rank0]:`` copy of the same
    traceback is not a second event. An exception line with no traceback before it is an ``error`` event.
    """

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._open: tuple[int, int | None] | None = None

    def line(self, lineno: int, text: str, step: Any) -> None:
        bare = _RANK_PREFIX.sub("", text)
        if bare.startswith("Traceback (most recent call last)"):
            if self._open is None:
                self._open = (lineno, step())
            return
        if bare[:1].isspace() or not _EXCEPTION.match(bare):
            return
        if self._open is not None:
            (start, at), kind = self._open, "traceback"
        else:
            start, at, kind = lineno, step(), "error"
        self._open = None
        self.add(kind, at, start, bare.strip()[:200])

    def add(self, kind: str, step: int | None, lineno: int, text: str) -> None:
        last = self.events[-1] if self.events else None
        if last and (last["kind"], last["step"], last["text"]) == (kind, step, text):
            return  # the same traceback printed again by another rank (or by torchrun's summary)
        self.events.append({"kind": kind, "step": step, "line": lineno, "text": text})

    def store(self, meta: dict[str, Any]) -> None:
        if self._open is not None:  # the log ends inside a traceback
            start, at = self._open
            self.add("traceback", at, start, "Traceback (most recent call last): cut short")
            self._open = None
        if self.events:
            meta.setdefault("events", []).extend(self.events)


@dataclass
class LogText:
    """A log file decoded to text, with what was found while decoding."""

    path: Path
    text: str
    decode_errors: int  # lines holding bytes that are not UTF-8 (read as Latin-1, or U+FFFD in UTF-16)
    ends_with_newline: bool
    encoding: str = "utf-8"  # "utf-8", "utf-8-sig" (a BOM), "utf-16-le", "utf-16-be"
    compression: str | None = None  # "gzip", "bz2", "xz", "zstd" when the bytes were compressed

    def lines(self) -> list[str]:
        """The physical lines; an empty file has none, and a final newline does not start another."""
        lines = self.text.split("\n") if self.text else []
        if self.ends_with_newline:
            lines.pop()
        return lines

    def total_lines(self) -> int:
        if not self.text:
            return 0
        return self.text.count("\n") + (0 if self.ends_with_newline else 1)


# Logs that load() has already read (one read of a pipe), by the path the reader is given. A reader that
# calls read_text(path) gets them; so sniffing and parsing share one read of the bytes.
_PRELOADED: dict[str, LogText] = {}


@contextmanager
def preloaded(log: LogText) -> Iterator[None]:
    """While the block runs, read_text(log.path) returns ``log`` instead of reading the file again."""
    key = str(log.path)
    _PRELOADED[key] = log
    try:
        yield
    finally:
        _PRELOADED.pop(key, None)


def read_text(path: Path) -> LogText:
    """Read a log file as text; refuse binary files. Non-UTF-8 bytes are read as Latin-1 and counted.

    A log load() has already read (stdin, a pipe, a compressed file) is returned as read, not read again.
    """
    log = _PRELOADED.get(str(path))
    if log is not None:
        return log
    data, compression = decompress(read_input(path), path)
    return decode(data, path, compression)


def read_head(path: Path, size: int = HEAD_BYTES) -> str:
    """The start of a log as text (decompressed and decoded like read_text; a binary file as it is)."""
    log = _PRELOADED.get(str(path))
    if log is None:
        with open(path, "rb") as fh:
            probe = fh.read(size)
        if looks_binary(probe):
            return probe.decode("utf-8", errors="replace")
        log = read_text(path)
    return log.text[:size]


@dataclass
class LineAccount:
    """Counts of what each line of a file became, and a sample of the lines not understood."""

    total: int = 0
    used: int = 0
    ignored: int = 0
    unparsed: int = 0
    unparsed_sample: list[tuple[int, str]] = field(default_factory=list)

    def unknown(self, lineno: int, line: str) -> None:
        self.unparsed += 1
        if len(self.unparsed_sample) < UNPARSED_SAMPLE:
            self.unparsed_sample.append((lineno, line[:200]))

    def store(self, meta: dict[str, Any], log: LogText | None = None) -> None:
        """Put the accounting (and what decoding found) into a run's meta."""
        meta["lines"] = self.as_meta()
        meta["unparsed_sample"] = sorted(self.unparsed_sample)
        if log is not None:
            meta["decode_errors"] = log.decode_errors

    def as_meta(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "used": self.used,
            "ignored": self.ignored,
            "unparsed": self.unparsed,
        }


def to_float(text: str) -> float:
    """A logged number, leniently: plain float() first (fast), then parse_number's forms, else NaN."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return parse_number(text)
    except ValueError:
        return float("nan")


def parse_number(text: str) -> float:
    """A number as logs print it: '524,288', '1.2e-3', 'nan', '-inf', '40.56M', '1.5B', 'N/A' (NaN)."""
    t = text.strip().replace(",", "").replace("_", "")
    if t.upper() in {"N/A", "NA", "NONE", ""}:
        return float("nan")
    suffix = {"K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12}
    if t and t[-1].upper() in suffix and t[:-1]:
        try:
            return float(t[:-1]) * suffix[t[-1].upper()]
        except ValueError:
            pass
    return float(t)


def parse_json(text: str, path: Any) -> Any:
    """A JSON document, or one clear InputError (where it broke; too deeply nested) for the user."""
    import json

    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply to read") from None

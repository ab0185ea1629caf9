"""The sniffers of the readers tried before llm.c's (PARSERS order), apart from their readers: sniffing an llm.c
log then compiles none of those four modules (~1,200 lines and their regexes: ~15 ms of a 0.5 s budget on this
machine, which keeps no bytecode cache; issue 12). Each reader module takes its ``sniff`` from here, so
``reader.sniff(head)`` is what it was; parsers.detect() calls these before importing the reader that accepts.

Patterns made by line_starts() are searched with sniff_lines() (from newline to newline); a literal every match
holds is looked for first, which decides most heads at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ._text import line_starts, sniff_lines

# modded-nanogpt: a record, or (a script whose source outgrows the sniffed head) its own record f-string plus the
# `"=" * 100` separators
MODDED_RECORD = line_starts(r"step:\d+/\d+ (?:train_loss|val_loss|train_time):")
MODDED_SOURCE = re.compile(r"step:\{step[^}]*\}/\{[^}]*\} (?:train_loss|val_loss|train_time):")
MODDED_SEPARATOR = line_starts(r"={100}\s*$")

# Megatron: srun -l labels (`0: `), torchrun --tee / launcher rank tags (`[default7]:`, `[rank0]:`), in any
# combination; Megatron-LM (2024+) stamps each record
MEGATRON_PREFIX = r"(?:\d+:\s?)?(?:\[(?:default|rank)\d+\]:)?"
MEGATRON_STAMP = r"(?:\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\]\s*)?"
MEGATRON_RECORD = line_starts(
    rf"{MEGATRON_PREFIX}\s*{MEGATRON_STAMP}"
    r"(?:iteration\s+\d+/\s*\d+ \| (?:consumed samples|(?:.*\| )?lm loss)|validation loss at iteration)"
)

TORCHTITAN_ESC = r"(?:\x1b\[[0-9;]*m)?"
TORCHTITAN_RECORD = re.compile(
    rf"(?:^|\s){TORCHTITAN_ESC}step:\s*\d+\s+{TORCHTITAN_ESC}loss:\s*{TORCHTITAN_ESC}[-\d.]", re.M
)

BUILD_NANOGPT_RECORD = line_starts(r"\d+ (?:train|val|hella) [-+\d.eEnaif]+\s*$|step\s+\d+ \| loss: ")
LLMC_STDOUT_RECORD = line_starts(r"step\s+\d+/\d+ \| loss ")
LLMC_RECORD = line_starts(r"s:\d+ (?:trl|tel|eval):\S+")


def modded_nanogpt(head: str) -> bool:
    if "step:" not in head:  # every pattern holds it
        return False
    if sniff_lines(MODDED_RECORD, head):
        return True
    return sniff_lines(MODDED_SEPARATOR, head) and bool(MODDED_SOURCE.search(head))


def megatron(head: str) -> bool:
    return "iteration" in head and sniff_lines(MEGATRON_RECORD, head)  # both kinds of line hold "iteration"


def torchtitan(head: str) -> bool:
    return "step:" in head and bool(TORCHTITAN_RECORD.search(head))  # no literal start: ~5 ms on a 256 KB head


def build_nanogpt(head: str) -> bool:
    return sniff_lines(BUILD_NANOGPT_RECORD, head)


def llmc_stdout(head: str) -> bool:
    return sniff_lines(LLMC_STDOUT_RECORD, head)


def llmc(head: str) -> bool:
    return sniff_lines(LLMC_RECORD, head)


SNIFFERS: dict[str, Callable[[str], bool]] = {  # reader module -> its sniff
    "modded_nanogpt": modded_nanogpt,
    "megatron": megatron,
    "torchtitan": torchtitan,
    "build_nanogpt": build_nanogpt,
    "llmc_stdout": llmc_stdout,
    "llmc": llmc,
}


# The start of a launch that logged no training record yet (it died in setup, or the log was cut before it): the
# error for an unknown format says so instead of only "no reader recognised this file". Wording only: no reader
# accepts such a file, there is nothing to read.
PREAMBLES: dict[str, tuple[re.Pattern[str], str]] = {
    "megatron": (re.compile(r"^using world size: \d+|^-{10,} arguments -{10,}\s*$", re.M),
                 "`iteration N/M | ... lm loss` line"),
    "llmc-stdout": (re.compile(r"^\| train data pattern\s+\|", re.M), "`step N/M | loss` line"),
}


def preamble_of(head: str) -> tuple[str, str] | None:
    """(format, the record it lacks) when the head is a known launch preamble without records, else None."""
    for name, (pattern, record) in PREAMBLES.items():
        if pattern.search(head):
            return name, record
    return None

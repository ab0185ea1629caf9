"""Sniffing by line_starts()/sniff_lines() finds what a multiline ``^`` search finds (issue 12: ~10 ms a log)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lossdoc.parsers import PARSERS
from lossdoc.parsers._text import line_starts, sniff_lines

BODIES = [
    r"step:\d+/\d+ (?:train_loss|val_loss|train_time):",
    r"={3}\s*$",
    r"\d+ (?:train|val) [-+\d.e]+\s*$|step\s+\d+ \| loss: ",
    r"(?:\d+:\s?)?\s*iteration\s+\d+",
]
TEXTS = [
    "",
    "step:1/10 train_loss:3.2",
    "x\nstep:1/10 val_loss:3.2\n",
    "x step:1/10 val_loss:3.2\n",
    "a\r\n===\r\nb",
    "===",
    "====\n",
    "5 train 3.25\n",
    " 5 train 3.25",
    "\n\n0: iteration 3",
    "  iteration 12 | loss",
    "step  7 | loss: 1.0",
    "notstep 7 | loss: 1.0\nfoo",
]


@pytest.mark.parametrize("body", BODIES)
def test_same_as_a_multiline_caret_search(body: str) -> None:
    caret = re.compile("^(?:" + body + ")", re.M)
    for text in TEXTS:
        assert sniff_lines(line_starts(body), text) == bool(caret.search(text)), text


def test_each_reader_still_sniffs_its_own_sample() -> None:
    for parser in PARSERS:
        if getattr(parser, "BINARY", False) or parser.NAME in ("table", "wandb-csv", "hf-trainer", "lightning-csv"):
            continue
        assert parser.sniff(parser.SAMPLE + "\n"), parser.NAME


def test_readers_are_imported_as_far_as_sniffing_goes() -> None:
    """An llm.c log imports no other reader (each costs its compile, ~1-4 ms): the readers before it are sniffed
    by _sniffers.py, the ones after it are not reached."""
    import subprocess
    import sys

    from lossdoc import parsers

    code = (
        "import sys; from lossdoc.parsers import load; load(sys.argv[1]); "
        "print(sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('lossdoc.parsers.')))"
    )
    log = Path(__file__).resolve().parents[1] / "examples" / "logs" / "llmc-main.log"
    out = subprocess.run([sys.executable, "-c", code, str(log)], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout
    loaded = set(eval(out))  # noqa: S307 - our own subprocess' printed list
    assert loaded & set(parsers.READERS) == {"llmc"}


def test_binary_readers_are_the_ones_with_binary_set() -> None:
    from lossdoc import parsers

    assert {p.NAME for p in PARSERS if getattr(p, "BINARY", False)} == {
        parsers.reader(m).NAME for m in parsers.BINARY_READERS
    }
    assert [p.__name__.rsplit(".", 1)[1] for p in PARSERS] == list(parsers.READERS)
    for module, sniff in parsers.SNIFFERS.items():  # the reader's own sniff is the one detect() calls
        assert parsers.reader(module).sniff is sniff

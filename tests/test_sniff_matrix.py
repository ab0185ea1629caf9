"""The sniff matrix: every reader's sniff over every example and corpus file; exactly the right reader wins.

Registry-driven: it covers whatever is in PARSERS. EXPECTED maps corpus folders / example file names to the
reader that must win; an entry whose reader is not (yet) in PARSERS is skipped. A file that no entry names
must still be claimed by exactly one reader (plus documented fallbacks).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lossdoc.parsers import PARSERS, detect
from lossdoc.parsers._text import HEAD_BYTES, read_head
from tests.conftest import CORPUS, EXAMPLES

# Path prefix (relative to the corpus, or an example file name) -> the reader that must win.
# The longest matching prefix applies. One table for every format, the other engineers' included.
EXPECTED: dict[str, str] = {
    # corpus (../shared/corpus, see its README)
    "llmc/": "llmc",
    "llmc_stdout/": "llmc-stdout",
    "nanogpt/": "nanogpt",
    "wandb_csv/": "wandb-csv",
    "hf_trainer_state/": "hf-trainer",
    "torchtitan/ci-llama3-cuda-golden-losses.txt": "table",  # two-column `step loss` golden file
    "torchtitan/": "torchtitan",
    "modded-nanogpt/": "modded-nanogpt",
    "build_nanogpt/agndm-short-log.txt": "build-nanogpt",  # log/log.txt: `N train X`
    "build_nanogpt/": "build-nanogpt",  # stdout: `step N | loss: X | lr ...`
    "megatron/": "megatron",
    # examples/logs (examples/generate.py)
    "nanogpt-": "nanogpt",
    "llmc-main": "llmc",
    "llmc-stdout": "llmc-stdout",
    "wandb-": "wandb-csv",
    "hf-trainer": "hf-trainer",
    "lightning-": "lightning-csv",
    "modded-nanogpt-": "modded-nanogpt",
    "build-nanogpt-": "build-nanogpt",
    "megatron-": "megatron",
    "torchtitan-": "torchtitan",
    "events.out.tfevents": "tensorboard",
    "table-": "table",
}

# Documented overlaps: reader -> more general readers (later in PARSERS) whose sniff may also accept its files.
# The winner is decided by the order of PARSERS; an overlap not listed here is a sniff that is too loose.
ALSO_ACCEPTS: dict[str, set[str]] = {}


def _files() -> list[tuple[str, Path]]:
    found: list[tuple[str, Path]] = []
    if CORPUS.is_dir():
        for path in sorted(CORPUS.rglob("*")):
            if path.is_file() and path.name != "README.md":
                found.append((path.relative_to(CORPUS).as_posix(), path))
    if EXAMPLES.is_dir():
        for path in sorted(EXAMPLES.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                found.append((path.name, path))
    return found


def expected_reader(key: str) -> str | None:
    matches = [prefix for prefix in EXPECTED if key.startswith(prefix)]
    return EXPECTED[max(matches, key=len)] if matches else None


FILES = _files()
NAMES = {p.NAME for p in PARSERS}


@pytest.mark.parametrize("key, path", FILES, ids=[k for k, _ in FILES])
def test_exactly_the_right_reader_wins(key: str, path: Path) -> None:
    head = read_head(path, HEAD_BYTES)
    accepted = [p.NAME for p in PARSERS if p.sniff(head)]
    expected = expected_reader(key)
    assert expected is None or expected in NAMES, f"{key}: the table names {expected!r}, which is not in PARSERS"
    if expected is None:
        # a file nobody has mapped yet: one reader (and its documented fallbacks) must claim it
        assert accepted, f"{key}: no reader accepts it"
        expected = accepted[0]
    assert detect(path).NAME == expected, f"{key}: sniffed by {accepted}"
    extra = set(accepted) - {expected}
    assert extra <= ALSO_ACCEPTS.get(expected, set()), f"{key}: also claimed by {sorted(extra)}"


def test_every_reader_has_a_file() -> None:
    """Each reader in PARSERS wins at least one example or corpus file (its example log exists)."""
    if not FILES:
        pytest.skip("no example or corpus files")
    winners = {expected_reader(key) or detect(path).NAME for key, path in FILES}
    missing = sorted(NAMES - winners)
    assert not missing, f"readers with no example or corpus file in EXPECTED: {missing}"


def test_table_is_last() -> None:
    """The generic table reader is the fallback: any reader after it would never see a table-like file."""
    assert PARSERS[-1].NAME == "table"

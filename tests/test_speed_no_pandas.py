"""`lossdoc analyze` (and phases, spikes, gap, mfu, config-check) on a real 20,000-line log never imports pandas
(~0.25 s of the 0.5 s budget of issue 12): each command runs in a fresh interpreter that reports sys.modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import corpus_file

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ("analyze", "phases", "spikes", "gap", "mfu", "config-check")
PROBE = """
import sys
from click.testing import CliRunner
from lossdoc.cli import app
runner, codes = CliRunner(), []
for command in sys.argv[2:]:
    result = runner.invoke(app, [command, sys.argv[1]])
    codes.append(result.exit_code if result.stdout.strip() else "no output")
print(codes, "pandas" in sys.modules)
"""

def _probe(log: Path, commands: tuple[str, ...]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(log), *commands], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize(
    "log",
    [
        "examples/logs/nanogpt-gpt2-124M.log",
        "corpus:llmc/mng-llmc-gpt2-124M-8xH100.log",
        "corpus:modded-nanogpt/fp4-19073steps-spike.txt",
    ],
)
def test_commands_do_not_import_pandas(log: str) -> None:
    path = corpus_file(log.removeprefix("corpus:")) if log.startswith("corpus:") else ROOT / log
    commands = COMMANDS if log.startswith("examples") else ("analyze",)
    codes, _, imported = _probe(path, commands).rpartition(" ")
    assert codes == str([0] * len(commands)), codes  # each command ran and printed its report
    assert imported == "False", f"{log}: pandas was imported"

"""Golden reports of `lossdoc analyze` in the terminal and as Markdown, on the shipped example logs.

Wording and integers (steps, counts, token totals) must match exactly; a number with a fraction may move within a
relative 1e-3 (an unpinned numpy/scipy moves a fitted value's last digit). After an intended change:
`python -m pytest tests/test_report_golden.py --update-golden`, and read the diff.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from lossdoc.cli import app

from .conftest import EXAMPLES, ROOT

GOLDEN = ROOT / "tests" / "golden"
CASES = {
    "analyze-llmc-stdout-spikes.txt": ["analyze", "llmc-stdout-spikes.log"],
    "analyze-llmc-main-project.txt": ["analyze", "llmc-main.log", "--project", "3000", "--target", "3.8",
                                      "--price-per-gpu-hour", "2", "--gpus", "8"],
    "analyze-wandb-export.txt": ["analyze", "wandb-export.csv"],
    "analyze-nanogpt.md": ["analyze", "nanogpt-gpt2-124M.log", "--markdown", "-"],
    "analyze-llmc-stdout-spikes.md": ["analyze", "llmc-stdout-spikes.log", "--markdown", "-"],
    "analyze-wandb-export.md": ["analyze", "wandb-export.csv", "--markdown", "-"],
}
REL_TOL = 1e-3
NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?")


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_analyze_report(name: str, update_golden: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES)
    monkeypatch.setenv("COLUMNS", "100")
    result = CliRunner().invoke(app, CASES[name])
    assert result.exit_code == 0, result.stderr
    path: Path = GOLDEN / name
    if update_golden:
        path.write_text(result.stdout)
    assert path.exists(), f"no golden file {path.name}: run pytest with --update-golden"
    assert_same_report(result.stdout, path.read_text())


def _same_number(a: str, b: str) -> bool:
    if "." not in a + b and "e" not in a + b:  # an integer: exact
        return a == b
    x, y = float(a.replace(",", "")), float(b.replace(",", ""))
    return math.isclose(x, y, rel_tol=REL_TOL, abs_tol=1e-9)


def assert_same_report(out: str, expected: str) -> None:
    if out == expected:
        return
    got_lines, want_lines = out.splitlines(), expected.splitlines()
    assert len(got_lines) == len(want_lines), f"line count {len(got_lines)} != {len(want_lines)}\n{out}"
    for got, want in zip(got_lines, want_lines):
        words = NUMBER.sub("#", got).split() == NUMBER.sub("#", want).split()
        pairs = list(zip(NUMBER.findall(got), NUMBER.findall(want)))
        assert words and all(_same_number(a, b) for a, b in pairs), f"\n got: {got}\nwant: {want}"

"""Golden reports: the whole terminal report and JSON document of each command on shipped example logs.

A change to any number or wording shows up here as a diff; when it is intended, rewrite the files with
`python -m pytest tests/test_golden.py --update-golden` and read the diff before committing it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lossdoc.cli import app

from .conftest import EXAMPLES, ROOT

GOLDEN = ROOT / "tests" / "golden"
CASES = {
    "analyze-nanogpt.txt": ["analyze", "nanogpt-gpt2-124M.log"],
    "analyze-nanogpt.json": ["analyze", "--json", "nanogpt-gpt2-124M.log"],
    "phases-llmc-project.txt": ["phases", "llmc-main.log", "--project", "3000", "--target", "3.8"],
    "spikes-llmc-stdout-spikes.txt": ["spikes", "llmc-stdout-spikes.log"],
    "spikes-llmc-stdout-spikes.json": ["spikes", "--json", "llmc-stdout-spikes.log"],
    "show-megatron.txt": ["show", "megatron-gpt-345M.log"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_report(name: str, update_golden: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES)  # paths in reports are as typed: relative, the same on every machine
    monkeypatch.setenv("COLUMNS", "120")
    result = CliRunner().invoke(app, CASES[name])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    if name.endswith(".json"):
        out = json.dumps(json.loads(out), indent=2, sort_keys=True) + "\n"
    path: Path = GOLDEN / name
    if update_golden:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(out)
    assert path.exists(), f"no golden file {path.name}: run pytest with --update-golden"
    assert out == path.read_text()

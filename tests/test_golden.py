"""Golden reports: the whole terminal report and JSON document of each command on shipped example logs.

A change to any wording, to any integer (a step, a count), or to any decimal beyond a relative 1e-3 fails here;
when it is intended, rewrite the files with `python -m pytest tests/test_golden.py --update-golden` and read the
diff before committing it. The tolerance, for decimals only, lets a newer numpy or scipy (not pinned) move a fitted
value in its last printed digit; a step or a count has no such excuse.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

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
    expected = path.read_text()
    if name.endswith(".json"):
        assert_close(json.loads(out), json.loads(expected), name)
    else:
        assert_text_close(out, expected)


REL_TOL = 1e-3
NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?")


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=1e-9)


def _is_decimal(token: str) -> bool:
    """A printed number with a fraction or an exponent (3.2722, 6.00e-04); 19,560 and 250 are integers."""
    return "." in token or "e" in token.lower()


def numbers_match(got: str, want: str) -> bool:
    """Two printed numbers: integers exactly (as printed), decimals within REL_TOL."""
    if not (_is_decimal(got) and _is_decimal(want)):
        return got == want
    return _close(float(got.replace(",", "")), float(want.replace(",", "")))


def assert_text_close(out: str, expected: str) -> None:
    """Same text, integers equal, decimals within REL_TOL (a last-digit move in a fitted value is not a change)."""
    if out == expected:
        return
    got_lines, want_lines = out.splitlines(), expected.splitlines()
    assert len(got_lines) == len(want_lines), f"line count {len(got_lines)} != {len(want_lines)}\n{out}"
    for got, want in zip(got_lines, want_lines):
        same_words = NUMBER.sub("#", got).split() == NUMBER.sub("#", want).split()
        pairs = zip(NUMBER.findall(got), NUMBER.findall(want))
        assert same_words and all(numbers_match(a, b) for a, b in pairs), f"\n got: {got}\nwant: {want}"


def assert_close(got: Any, want: Any, where: str) -> None:
    """JSON documents equal: integers exactly, floats within REL_TOL."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and set(got) == set(want), f"{where}: keys {set(got) ^ set(want)}"
        for key in want:
            assert_close(got[key], want[key], f"{where}.{key}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{where}: length"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_close(g, w, f"{where}[{i}]")
    elif isinstance(want, int) and not isinstance(want, bool):
        assert type(got) is int and got == want, f"{where}: {got!r} != {want!r} (integers compare exactly)"
    elif isinstance(want, float):
        assert isinstance(got, (int, float)) and _close(float(got), float(want)), f"{where}: {got} != {want}"
    elif isinstance(want, str) and NUMBER.search(want):
        assert_text_close(got, want)
    else:
        assert got == want, f"{where}: {got!r} != {want!r}"


def test_integers_compare_exactly_decimals_within_tolerance() -> None:
    """A step or count that moves by one fails; a fitted decimal moving in its last digit does not."""
    assert_text_close("at step 19,560 loss 3.2722", "at step 19,560 loss 3.2723")
    with pytest.raises(AssertionError):
        assert_text_close("at step 19,561 loss 3.2722", "at step 19,560 loss 3.2722")
    with pytest.raises(AssertionError):
        assert_text_close("1000 points", "1001 points")  # within 1e-3 relative, still a different count
    assert_close({"loss": 3.27220}, {"loss": 3.27221}, "doc")
    with pytest.raises(AssertionError):
        assert_close({"step": 1001}, {"step": 1000}, "doc")
    with pytest.raises(AssertionError):
        assert_close({"step": 1000.0}, {"step": 1000}, "doc")

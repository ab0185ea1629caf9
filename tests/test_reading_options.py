"""Bad values are errors, not numbers: each is one line on stderr and exit 2, checked before any work.

Also: a forced --format (or an input) that yields no loss series is exit 2 with what the lines look like,
`lossdoc --version`, and the packaging facts a user relies on (LICENSE, declared bounds).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lossdoc import __version__
from lossdoc.cli import app

from .conftest import EXAMPLES, ROOT

runner = CliRunner()


def project_table() -> dict[str, Any]:
    tomllib = pytest.importorskip("tomllib", reason="tomllib is Python >= 3.11")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
LOG = str(EXAMPLES / "nanogpt-gpt2-124M.log")  # steps 0-2,000


def run_cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def assert_one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("lossdoc: error: "), err
    assert "internal error" not in err and "Traceback" not in err
    for needle in needles:
        assert needle in err, err


@pytest.mark.parametrize(
    "spec, needle",
    [
        ("cosine:peak=6e-4,warmup=700,totl=19560", "unknown key 'totl'"),
        ("cosine:warmup=700,total=19560", "missing peak="),
        ("cosine:peak=6e-4,warmup=700", "missing total="),
        ("cosine:peak=-6e-4,total=100", "peak must be above 0"),
        ("cosine:peak=0,total=100", "peak must be above 0"),
        ("cosine:peak=6e-4,warmup=800,total=700", "warmup=800 is longer than total=700"),
        ("cosine:peak=6e-4,warmup=7.5,total=700", "whole number"),
        ("cosine:peak=6e-4,total=700,final=2", "fraction of peak"),
        ("cosine:peak=nan,total=700", "not key=number"),
        ("wsd:peak=1e-3,warmup=10,total=100,decay=95", "more than total=100"),
        ("constant:peak=1e-3,warmup=5", "unknown key 'warmup'"),
        ("cosin:peak=1e-3", "unknown kind 'cosin'"),
        ("no-such-lr.csv", "no such step/lr file"),
    ],
)
def test_schedule_keys_and_numbers_are_checked(spec: str, needle: str) -> None:
    code, _, err = run_cli("phases", LOG, "--schedule", spec)
    assert_one_line_error(code, err, needle)


def test_a_good_schedule_still_works() -> None:
    code, _, err = run_cli("phases", LOG, "--schedule", "cosine:peak=6e-4,warmup=100,total=2000,final=0.1", "--json")
    assert code == 0, err


@pytest.mark.parametrize(
    "args, needle",
    [
        (["phases", LOG, "--target", "nan"], "--target must be a finite number above 0"),
        (["phases", LOG, "--target", "-1"], "--target must be a finite number above 0"),
        (["phases", LOG, "--target", "inf"], "--target"),
        (["phases", LOG, "--price-per-hour", "-2"], "--price-per-hour"),
        (["phases", LOG, "--price-per-hour", "nan"], "--price-per-hour"),
        (["phases", LOG, "--project", "1000"], "already reaches step 2,000"),
        (["phases", LOG, "--project", "2000"], "already reaches step 2,000"),
        (["phases", LOG, "--project", str(10**13)], "--project must be a step between 1 and 1e+12"),
        (["phases", LOG, "--vocab", "1"], "--vocab"),
        (["phases", LOG, "--fail-on", "sometimes"], "--fail-on must be one of"),
        (["analyze", LOG, "--fail-on", "sometimes"], "--fail-on must be one of"),
        (["spikes", LOG, "--fail-on", "sometimes"], "--fail-on must be one of"),
        (["show", LOG, "--to", "/no/such/folder/points.csv"], "does not exist"),
        (["show", LOG, "--to", "points.xlsx"], "unknown extension"),
        (["phases", LOG, "--project", "abc"], "--project': 'abc' is not a valid integer"),  # click's conversion
        (["analyze", LOG, "--target", "low"], "--target': 'low' is not a valid float"),
        (["mfu", LOG, "--gpus", "2.5"], "--gpus"),
        # a GPU count below 1 or a negative price made the cost negative ("~$-1", "-1.25M tokens/s per GPU")
        (["analyze", LOG, "--gpus", "-3", "--price-per-gpu-hour", "2"], "--gpus must be at least 1 (got -3)"),
        (["analyze", LOG, "--gpus", "0"], "--gpus must be at least 1 (got 0)"),
        (["phases", LOG, "--gpus", "0", "--price-per-gpu-hour", "2"], "--gpus must be at least 1 (got 0)"),
        (["phases", LOG, "--gpus", "8", "--price-per-gpu-hour", "-2"], "--price-per-gpu-hour must be a finite price"),
        (["mfu", LOG, "--price-per-gpu-hour", "-1"], "--price-per-gpu-hour must be a finite price"),
        (["mfu", LOG, "--peak-tflops", "nan"], "--peak-tflops must be a finite number above 0"),
        (["mfu", LOG, "--peak-tflops", "0"], "--peak-tflops must be a finite number above 0"),
    ],
)
def test_bad_values_are_one_line_and_exit_2(args: list[str], needle: str) -> None:
    code, out, err = run_cli(*args)
    assert_one_line_error(code, err, needle)
    assert out == ""


def test_fail_on_is_checked_before_the_log_is_read(tmp_path: Path) -> None:
    """A bad --fail-on on a log that does not exist names the option, not the missing file."""
    code, _, err = run_cli("analyze", str(tmp_path / "missing.log"), "--fail-on", "bogus")
    assert_one_line_error(code, err, "--fail-on")


def test_to_is_checked_before_the_log_is_read(tmp_path: Path) -> None:
    code, _, err = run_cli("show", str(tmp_path / "missing.log"), "--to", str(tmp_path / "nope" / "p.csv"))
    assert_one_line_error(code, err, "--to", "does not exist")


@pytest.mark.parametrize("command", ["show", "analyze", "phases", "spikes"])
def test_forced_format_with_no_loss_series_is_exit_2_with_what_was_found(command: str) -> None:
    code, out, err = run_cli(command, LOG, "--format", "llmc", "--json")
    assert_one_line_error(code, err, "no loss series read as llmc", "the lines look like", "249 lines, 0 records")
    assert out == ""


def test_input_with_numbers_but_no_loss_is_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "lr.csv"
    path.write_text("step,lr\n0,0.001\n1,0.002\n2,0.003\n")
    code, _, err = run_cli("analyze", str(path))
    assert_one_line_error(code, err, "no loss series", "series found: train/lr")


def test_version() -> None:
    code, out, _ = run_cli("--version")
    assert code == 0 and out.strip() == f"lossdoc {project_table()['version']}" == f"lossdoc {__version__}"


def dist_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=\[ ;]", r, maxsplit=1)[0].lower() for r in requirements}


def test_license_matches_pyproject_and_matplotlib_is_not_required() -> None:
    pyproject = project_table()
    assert pyproject["license"]["text"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    deps = dist_names(pyproject["dependencies"])
    assert "matplotlib" not in deps and "click" in deps


IMPORT_TO_DIST = {"yaml": "pyyaml"}  # where the module's name is not its distribution's
NEWER_STDLIB = {"compression"}  # Python >= 3.14 (PEP 784: compression.zstd), imported only where it exists


def imported_top_level_modules() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "lossdoc").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name.partition(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.partition(".")[0])
    return names


def test_the_declared_dependencies_are_what_the_code_imports() -> None:
    """Each third-party import is a dependency or an extra's, each dependency is imported, and typer is neither:
    the CLI is click's (typer 0.29 imported pydantic and built a TypeAdapter per option on every call, issue 12)."""
    pyproject = project_table()
    deps = dist_names(pyproject["dependencies"])
    extras = set().union(*(dist_names(v) for k, v in pyproject["optional-dependencies"].items() if k != "dev"))
    stdlib = set(sys.stdlib_module_names) | NEWER_STDLIB | {"lossdoc"}
    third_party = {IMPORT_TO_DIST.get(m, m) for m in imported_top_level_modules() - stdlib}
    assert third_party <= deps | extras, f"imported but not declared: {third_party - deps - extras}"
    assert deps <= third_party, f"declared but never imported: {deps - third_party}"
    assert "typer" not in deps | third_party


def test_click_cli_runner_keeps_stderr_apart() -> None:
    """Why click >= 8.2: its CliRunner captures stderr apart from stdout, which the one-line-error tests read;
    click 8.1's mixed them (mix_stderr=True) and its `result.stderr` raised ValueError."""
    code, out, err = run_cli("show", "/no/such/training.log")
    assert code == 2 and out == "" and err.startswith("lossdoc: error: ") and err.count("\n") == 1


def test_installed_versions_meet_the_declared_bounds() -> None:
    """The bounds were found in throwaway venvs (click 8.1.8: 97 CLI tests fail with "stderr not separately
    captured"; click 8.2.0: the suite passes); this checks that the environment honours them."""

    from importlib.metadata import version

    pyproject = project_table()
    for dep in pyproject["dependencies"]:
        m = re.match(r"^([A-Za-z0-9_.-]+)>=([\d.]+)", dep)
        assert m, dep
        name, low = m.groups()
        have = tuple(int(x) for x in re.findall(r"\d+", version(name))[:3])
        need = tuple(int(x) for x in low.split("."))
        assert have[: len(need)] >= need, f"{name} {version(name)} < {low}"

"""The README promises: the two set-up commands, a formats table that matches `lossdoc formats`, and the example
report it quotes, as the tool prints it."""

from __future__ import annotations

import re

from lossdoc.parsers import PARSERS

from .conftest import ROOT

README = (ROOT / "README.md").read_text()


def formats_table() -> str:
    rows = ["| format | what | sample line |", "|---|---|---|"]
    for p in PARSERS:
        sample = p.SAMPLE.replace("|", "\\|")
        rows.append(f"| `{p.NAME}` | {p.DESCRIPTION} | `{sample}` |")
    return "\n".join(rows)


def test_formats_table_matches_the_readers() -> None:
    block = re.search(r"<!-- formats-table.*?-->\n(.*?)\n<!-- /formats-table -->", README, re.S)
    assert block, "README lost its formats table markers"
    assert block.group(1) == formats_table(), "regenerate the table: python -m tests.test_readme"


def test_readme_has_the_two_setup_commands_and_the_example_exists() -> None:
    assert "pip install -e . && lossdoc analyze examples/logs/nanogpt-gpt2-124M.log" in README
    assert "pip install -e '.[dev]' && python -m pytest" in README
    assert (ROOT / "examples" / "logs" / "nanogpt-gpt2-124M.log").exists()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python -m pytest" in ci


def test_the_example_report_is_what_the_tool_prints_and_the_readme_quotes_it(monkeypatch) -> None:
    """docs/report.txt is the README's `lossdoc analyze` example: the tool's output for its command now (numbers
    within the goldens' tolerance), and the README's excerpt of it the same lines, up to its first "…"."""
    from click.testing import CliRunner

    from lossdoc.cli import app

    from .test_report_golden import assert_same_report

    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "100")
    args = ["analyze", "examples/logs/llmc-stdout-spikes.log", "--project", "4000", "--price-per-gpu-hour", "2.5",
            "--gpus", "8"]
    assert " ".join(["lossdoc", *args]) in README.replace("\\\n          ", "")
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    report = (ROOT / "docs" / "report.txt").read_text()
    assert_same_report(result.stdout, report)
    quoted = README.split("    $ cat docs/report.txt\n", 1)[1].split("\n    …", 1)[0].splitlines()
    assert len(quoted) > 5
    assert [line.strip() for line in quoted] == [line.strip() for line in report.splitlines()[: len(quoted)]]


def test_the_readme_projection_example_is_what_phases_prints(monkeypatch) -> None:
    """The README's `phases --project` excerpt, wrapped by hand there: the same words and numbers as the tool's."""
    from click.testing import CliRunner

    from lossdoc.cli import app

    monkeypatch.chdir(ROOT)
    args = ["phases", "examples/logs/nanogpt-gpt2-124M.log", "--project", "5000", "--gpus", "8",
            "--price-per-gpu-hour", "2"]
    head = "    $ " + " ".join(["lossdoc", *args]) + "\n    ...\n"
    assert head in README
    from .test_report_golden import NUMBER, _same_number

    quoted = " ".join(README.split(head, 1)[1].split("\n\n", 1)[0].split())
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    printed = " ".join(result.stdout.split())
    start = printed.find("Projection step 5,000")
    assert quoted.startswith("Projection step 5,000") and start >= 0
    got = printed[start : start + len(quoted) + 20]  # a last digit may move the length a little
    assert NUMBER.sub("#", got).startswith(NUMBER.sub("#", quoted)), f"\n got: {got}\nwant: {quoted}"
    assert all(_same_number(a, b) for a, b in zip(NUMBER.findall(got), NUMBER.findall(quoted)))


if __name__ == "__main__":  # python -m tests.test_readme: rewrite the README's formats table
    start, end = "-->\n", "\n<!-- /formats-table -->"
    head, _, rest = README.partition("<!-- formats-table")
    marker, _, tail = rest.partition(end)
    marker = marker.split(start)[0] + start
    (ROOT / "README.md").write_text(head + "<!-- formats-table" + marker + formats_table() + end + tail)

"""The README promises: the two set-up commands, and a formats table that matches `lossdoc formats`."""

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


if __name__ == "__main__":  # python -m tests.test_readme: rewrite the README's formats table
    start, end = "-->\n", "\n<!-- /formats-table -->"
    head, _, rest = README.partition("<!-- formats-table")
    marker, _, tail = rest.partition(end)
    marker = marker.split(start)[0] + start
    (ROOT / "README.md").write_text(head + "<!-- formats-table" + marker + formats_table() + end + tail)

"""Shared test fixtures: the real-log corpus beside the project (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
EXAMPLES = ROOT / "examples" / "logs"


def corpus_file(relative: str) -> Path:
    """A corpus file by its path under ../shared/corpus; the test is skipped when it is absent."""
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"corpus file absent: {path}")
    return path


@pytest.fixture
def corpus() -> type[CorpusAccess]:
    return CorpusAccess


class CorpusAccess:
    file = staticmethod(corpus_file)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/ from the current output")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))

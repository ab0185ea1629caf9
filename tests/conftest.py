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


@pytest.fixture
def nanogpt_log(tmp_path: Path) -> Path:
    """A nanoGPT stdout log: 100 ms per step, an eval every 500 steps, 5,000 steps of the power law
    3 + 8 (1 + s/50)^-0.7 (tests/test_phases.py's power_law)."""
    lines = ["tokens per iteration will be: 262,144", "number of parameters: 50.93M"]
    for s in range(0, 5_001, 10):
        v = 3.0 + 8.0 * (1.0 + s / 50.0) ** -0.7
        if s % 500 == 0:
            lines.append(f"step {s}: train loss {v:.4f}, val loss {v + 0.01:.4f}")
        lines.append(f"iter {s}: loss {v:.4f}, time 100.00ms, mfu 40.00%")
    path = tmp_path / "train.log"
    path.write_text("\n".join(lines) + "\n")
    return path

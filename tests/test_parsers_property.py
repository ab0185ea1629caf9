"""Property-based tests over every reader in PARSERS (hypothesis).

Each reader is fed random bytes, random text, and truncated / shuffled lines of real logs (its examples and
corpus files, found through the sniff-matrix table). The properties: no exception other than InputError
(which the CLI prints as one line, exit 2), and every line accounted for: used + ignored + unparsed ==
total in meta["lines"], where total is the file's number of physical lines for line-oriented readers
(readers of structured files name their unit in meta["lines_unit"]).
"""

from __future__ import annotations

import functools
import json
import random
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lossdoc.errors import InputError
from lossdoc.parsers import PARSERS, hf_trainer
from lossdoc.parsers._bytes import compression_of, text_encoding
from tests.test_sniff_matrix import FILES, expected_reader

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same examples on every run: a failure is reproducible, the suite time is stable
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
WINDOW = 400  # at most this many lines of a real file per example (keeps the suite fast on 20k-line logs)

PARSER_IDS = [p.NAME for p in PARSERS]
REAL = [(p, path) for p in PARSERS for key, path in FILES if expected_reader(key) == p.NAME]


def physical_lines(data: bytes) -> int:
    """Lines as the readers count them: split on \\n, a last line without \\n counts."""
    if not data:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def check(parser: ModuleType, path: Path) -> None:
    """Parse; only InputError may escape; every line (or unit) is accounted for."""
    try:
        runs = parser.parse(path)
    except InputError as exc:
        assert str(exc) and "\n" not in str(exc).strip(), "an InputError is one line"
        return
    for run in runs:
        lines = run.meta["lines"]
        assert min(lines.values()) >= 0, lines
        assert lines["used"] + lines["ignored"] + lines["unparsed"] == lines["total"], lines
        data = path.read_bytes()
        if "lines_unit" not in run.meta and not (compression_of(data) or text_encoding(data)):
            assert lines["total"] == physical_lines(data), lines


@pytest.mark.parametrize("parser", PARSERS, ids=PARSER_IDS)
@SETTINGS
@given(data=st.one_of(st.binary(max_size=3000), st.text(max_size=2000).map(lambda t: t.encode("utf-8"))))
def test_random_input_never_a_traceback(parser: ModuleType, data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "random.log"
    path.write_bytes(data)
    check(parser, path)


@functools.cache
def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


@pytest.mark.parametrize("parser, source", REAL, ids=[f"{p.NAME}:{s.name}" for p, s in REAL])
@SETTINGS
@given(
    start=st.floats(0, 1),
    length=st.integers(0, WINDOW),
    shuffle=st.booleans(),
    cut=st.integers(0, 80),
    seed=st.integers(0, 2**16),
)
def test_real_lines_truncated_and_shuffled(
    parser: ModuleType, source: Path, start: float, length: int, shuffle: bool, cut: int, seed: int, tmp_path: Path
) -> None:
    path = tmp_path / source.name
    if getattr(parser, "BINARY", False):
        data = source.read_bytes()
        path.write_bytes(data[: int(start * len(data))])  # an event file cut anywhere
        check(parser, path)
        return
    lines = _lines(source)
    first = int(start * len(lines))
    chunk = lines[first : first + length]
    if shuffle:
        random.Random(seed).shuffle(chunk)
    data = b"\n".join(chunk)
    if cut and data:
        data = data[: max(0, len(data) - cut)]  # the last line cut short, as in a killed run
    path.write_bytes(data)
    check(parser, path)


_ENTRY = st.one_of(
    st.fixed_dictionaries(
        {"step": st.integers(0, 10_000), "loss": st.floats(allow_nan=True, allow_infinity=False)},
        optional={"learning_rate": st.floats(0, 1), "epoch": st.floats(0, 10), "grad_norm": st.floats(0, 100)},
    ),
    st.fixed_dictionaries(
        {"step": st.integers(0, 10_000), "eval_loss": st.floats(0, 20)}, optional={"eval_runtime": st.floats(0, 9)}
    ),
    st.fixed_dictionaries({"step": st.integers(0, 10_000), "eval_runtime": st.floats(0, 9)}),  # timing only
    st.fixed_dictionaries({"predict_loss": st.floats(0, 20)}),
    st.fixed_dictionaries({"step": st.integers(0, 10_000), "train_runtime": st.floats(0, 1e4)}),
    st.dictionaries(st.text(max_size=8), st.one_of(st.none(), st.text(max_size=5), st.booleans()), max_size=3),
    st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=2)),
)


@SETTINGS
@given(history=st.lists(_ENTRY, max_size=40))
def test_hf_every_log_history_entry_accounted(history: list, tmp_path: Path) -> None:
    path = tmp_path / "trainer_state.json"
    path.write_text(json.dumps({"global_step": 1, "log_history": history}))
    [run] = hf_trainer.parse(path)
    lines = run.meta["lines"]
    assert lines["total"] == len(history)
    assert lines["used"] + lines["ignored"] + lines["unparsed"] == len(history)
    assert lines["used"] == sum(1 for entry in history if _gives_points(entry))
    assert lines["unparsed"] == sum(1 for entry in history if not isinstance(entry, dict))  # every dict is known


def _gives_points(entry: object) -> bool:
    """An entry with a step and a loss that is not the final summary: the known answer for `used`."""
    return (
        isinstance(entry, dict)
        and type(entry.get("step")) is int
        and "train_runtime" not in entry
        and any(type(entry.get(key)) is float for key in ("loss", "eval_loss"))
    )

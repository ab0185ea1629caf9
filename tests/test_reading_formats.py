"""Formats people also have, and the parser bugs of issue 8: each quirk once, with the answer written here.

nanoGPT forks (extra fields, loss units), terminal captures (hard-wrapped records, key echoes), events
(tracebacks, a KeyboardInterrupt, a cut last record), rollbacks in an excerpt, JSON lists and nested JSON Lines.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lossdoc import load
from lossdoc.parsers import detect

from .conftest import corpus_file


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def iter_line(step: int, loss: float, extra: str = "") -> str:
    return f"iter {step}: loss {loss:.4f}, time 98.12ms, mfu 41.20%{extra}\n"


def test_fork_extra_fields_before_an_eval_line_are_read(tmp_path: Path) -> None:
    """Issue 8: an eval line after an `iter` line with `, lr 6e-4` was an internal error (IndexError)."""
    text = (
        "step 0: train loss 4.0000, val loss 4.1000\n"
        + iter_line(0, 4.05, ", lr 6.0e-04")
        + iter_line(1, 3.90, ", lr 5.9e-04")
        + "step 2: train loss 3.8000, val loss 3.8500\n"
        + iter_line(2, 3.80, ", lr 5.8e-04")
    )
    (run,) = load(write(tmp_path, "fork.log", text))
    assert list(run.series("train/loss")) == pytest.approx([4.05, 3.90, 3.80])
    assert list(run.series("train/lr")) == pytest.approx([6.0e-4, 5.9e-4, 5.8e-4])
    assert list(run.series("val/loss").index) == [0, 2]
    assert run.meta["lines"] == {"total": 5, "used": 5, "ignored": 0, "unparsed": 0}


def test_a_garbled_iter_line_before_an_eval_line_is_counted(tmp_path: Path) -> None:
    text = (
        iter_line(0, 4.0)
        + "iter 1: loss 3.9%%#garbled\n"
        + "step 1: train loss 3.9000, val loss 3.9500\n"
        + iter_line(2, 3.8)
    )
    (run,) = load(write(tmp_path, "garbled.log", text))
    assert list(run.series("train/loss").index) == [0, 2]
    assert run.series("val/loss")[1] == pytest.approx(3.95)
    assert run.meta["lines"]["unparsed"] == 1 and run.meta["unparsed_sample"][0][0] == 2
    assert run.meta["rollbacks"] == []  # the eval was placed after iter 2: a false rollback 2 -> 1
    # the eval line last, after the garbled line: an IndexError ("internal error") before
    (run,) = load(write(tmp_path, "garbled-end.log", text.rsplit("iter 2", 1)[0]))
    assert run.series("val/loss")[1] == pytest.approx(3.95) and len(run.series("train/loss")) == 1


def test_loss_with_a_unit(tmp_path: Path) -> None:
    text = (
        "step 0: train loss 8.0100 BPC, val loss 8.0200 BPC\n"
        "iter 0: loss 2.8548 BPC, time 98.12ms, mfu 41.20%\n"
        "iter 1: loss 2.8000 BPC, time 98.12ms, mfu 41.20%\n"
    )
    (run,) = load(write(tmp_path, "enwik8.log", text))
    assert run.meta["loss_unit"] == "bits"
    assert list(run.series("train/loss")) == pytest.approx([2.8548, 2.8])
    assert run.series("val/loss")[0] == pytest.approx(8.02)


def test_hard_wrapped_record_of_a_terminal_capture(tmp_path: Path) -> None:
    text = (
        iter_line(0, 4.0)
        + "iter 1: loss 3.9000, time 98.1\n"  # wrapped inside the time value
        + "2ms, mfu 41.20%\n"
        + "iter 2: loss 3.8000, time 98.12ms, mfu 41\n"  # wrapped inside mfu: the first half alone would read 41
        + ".20%\n"
        + iter_line(3, 3.7)
    )
    (run,) = load(write(tmp_path, "tmux.log", text))
    assert list(run.series("train/loss").index) == [0, 1, 2, 3]
    assert run.series("train/step_time_ms")[1] == pytest.approx(98.12)
    assert run.series("train/mfu")[2] == pytest.approx(41.2)
    assert run.meta["lines"] == {"total": 6, "used": 6, "ignored": 0, "unparsed": 0}


def test_key_echo_junk_stuck_to_records(tmp_path: Path) -> None:
    text = (
        iter_line(0, 4.0)
        + "^[[A^[[A" + iter_line(1, 3.9)  # arrow keys echoed in caret notation
        + "\x1b[A" + iter_line(2, 3.8).rstrip("\n") + "^[[B\n"  # a real escape sequence, and junk after
        + "^C" + iter_line(3, 3.7)
    )
    (run,) = load(write(tmp_path, "keys.log", text))
    assert list(run.series("train/loss").index) == [0, 1, 2, 3]
    assert run.meta["lines"]["unparsed"] == 0


def test_keyboard_interrupt_is_one_traceback_event(tmp_path: Path) -> None:
    text = (
        iter_line(0, 4.0)
        + iter_line(1, 3.9)
        + "^CTraceback (most recent call last):\n"
        + '  File "train.py", line 302, in <module>\n'
        + "KeyboardInterrupt\n"
        + "[rank0]: Traceback (most recent call last):\n"
        + '[rank0]:   File "train.py", line 302, in <module>\n'
        + "[rank0]: KeyboardInterrupt\n"
    )
    (run,) = load(write(tmp_path, "int.log", text))
    assert run.meta["events"] == [{"kind": "traceback", "step": 1, "line": 3, "text": "KeyboardInterrupt"}]


def test_corpus_interrupted_nanogpt_run_ends_in_a_traceback_event() -> None:
    (run,) = load(corpus_file("nanogpt/druidowm-shakespeare-char-interrupted-output.log"))
    events = run.meta["events"]
    assert [(e["kind"], e["step"], e["text"]) for e in events] == [("traceback", 2155, "KeyboardInterrupt")]
    assert len(run.series("train/loss")) == 2156 and len(run.series("val/loss")) == 11  # the corpus counts


def test_error_mid_run_and_cut_last_record_are_events(tmp_path: Path) -> None:
    text = iter_line(0, 4.0) + "RuntimeError: CUDA error: an illegal memory access\n" + iter_line(1, 3.9) + "iter 2: loss 3."
    (run,) = load(write(tmp_path, "cut.log", text))
    kinds = [(e["kind"], e["step"]) for e in run.meta["events"]]
    assert kinds == [("error", 0), ("truncated", 1)]
    assert run.meta["truncated_last_line"] == "iter 2: loss 3."


def test_rollback_in_an_excerpt_that_starts_late_is_one_run(tmp_path: Path) -> None:
    """Issue 8: 7,000 -> 7,220, back to 6,900, on to 7,300: one run with a rollback, not two runs."""
    steps = list(range(7000, 7221, 20)) + list(range(6900, 7301, 20))
    text = "".join(iter_line(s, 3.0 - s / 1e5) for s in steps)
    runs = load(write(tmp_path, "excerpt.log", text))
    assert len(runs) == 1
    (run,) = runs
    # steps 7,000-7,220 (12 of them) were logged again: 12 steps x 3 series (loss, time, mfu) superseded
    assert run.meta["rollbacks"] == [{"from_step": 7220, "to_step": 6900, "superseded": 36}]
    assert list(run.series("train/loss").index) == list(range(6900, 7301, 20))


def test_counter_back_to_near_zero_is_still_a_new_run(tmp_path: Path) -> None:
    text = "".join(iter_line(s, 3.0) for s in (7000, 7100, 7200, 0, 100, 200))
    assert [len(r.series("train/loss")) for r in load(write(tmp_path, "two.log", text))] == [3, 3]


def test_json_list_of_step_records(tmp_path: Path) -> None:
    history = [{"step": i * 10, "loss": 4 - i / 10, "lr": 1e-3, "note": "x"} for i in range(6)]
    history.append({"step": 60, "val_loss": 3.5})
    path = tmp_path / "history.json"
    path.write_text(json.dumps(history, indent=2))
    assert detect(path).NAME == "table"
    (run,) = load(path)
    assert list(run.series("train/loss").index) == [0, 10, 20, 30, 40, 50]
    assert run.series("val/loss")[60] == pytest.approx(3.5)
    assert run.meta["lines_unit"] == "records" and run.meta["lines"]["total"] == 7


def test_json_list_without_steps_numbers_the_records(tmp_path: Path) -> None:
    path = tmp_path / "losses.json"
    path.write_text(json.dumps([{"loss": 3.0}, {"loss": 2.5}, {"loss": 2.25}]))
    (run,) = load(path)
    assert list(run.series("train/loss").index) == [0, 1, 2] and run.meta["step_from_index"]


def test_json_lines_with_nested_dicts(tmp_path: Path) -> None:
    rows = [{"step": i, "train": {"loss": 3 - i / 10, "lr": 6e-4}, "val": {"loss": 3.1 - i / 10}} for i in range(4)]
    path = write(tmp_path, "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    (run,) = load(path)
    assert run.series("train/loss")[3] == pytest.approx(2.7)
    assert run.series("val/loss")[0] == pytest.approx(3.1)
    assert run.series("train/lr")[0] == pytest.approx(6e-4)


def test_a_million_hash_config_line_is_fast(tmp_path: Path) -> None:
    """A 1 MB config echo with many '#' and no literal in it: one literal parse per '#' took 114 s."""
    import time

    text = iter_line(0, 4.0) + "x = make_model() " + "# a" * 330_000 + "\n" + iter_line(1, 3.9)
    start = time.perf_counter()
    (run,) = load(write(tmp_path, "hash.log", text))
    assert time.perf_counter() - start < 5
    assert "x" not in run.meta["config"] and list(run.series("train/loss").index) == [0, 1]
    assert run.meta["lines"]["total"] == 3

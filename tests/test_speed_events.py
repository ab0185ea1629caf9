# ruff: noqa: E501  (inline logs keep their real, long lines)
"""Events in the log (meta["events"]: kind, step, line, text) from the readers of llm.c, llm.c stdout, Megatron,
modded-nanogpt: on the real logs of the corpus and on synthetic lines."""

from __future__ import annotations

from pathlib import Path

from lossdoc.parsers import llmc, llmc_stdout, megatron, modded_nanogpt
from tests.conftest import corpus_file


def _kinds(run) -> list[tuple[str, int | None]]:
    return [(e["kind"], e["step"]) for e in run.meta.get("events", [])]


def test_llmc_stdout_error_mid_run_is_an_error_not_a_truncated_last_record() -> None:
    run = llmc_stdout.parse(corpus_file("llmc_stdout/hector-a100-gpt2-124M-full.log"))[0]
    assert _kinds(run) == [("error", 19528)]
    event = run.meta["events"][0]
    assert event["text"] == "Error: Token out of vocabulary at train_gpt2.cu:675"
    assert event["line"] == 19761
    steps, _ = run.arrays("train/loss")
    assert int((steps > 19528).sum()) == 32  # 32 records follow it: the run went on
    assert "truncated_last_line" not in run.meta
    assert run.meta["truncated_records"] == 1  # the record the error print cut is still counted


def test_llmc_stdout_cancelled_job_ends_in_a_truncated_record() -> None:
    run = llmc_stdout.parse(corpus_file("llmc_stdout/hector-a100-allnan-cancelled.log"))[0]
    assert _kinds(run) == [("cancelled", 16256), ("truncated", 16256)]
    assert run.meta["events"][0]["text"].startswith("slurmstepd: error: *** JOB 11679031 ON g002 CANCELLED AT")
    assert "slurmstepd" in run.meta["truncated_last_line"]


def test_megatron_overflow_steps_and_loss_scale_falls_on_the_corpus_excerpt() -> None:
    run = megatron.parse(corpus_file("megatron/bigscience-tr8b-104B-chronicles-excerpt-spike-overflow.log"))[0]
    overflow = [s for k, s in _kinds(run) if k == "overflow"]
    assert overflow == run.meta["skipped_after_iteration"] and len(overflow) == run.meta["skipped_steps"] == 6
    falls = [e for e in run.meta["events"] if e["kind"] == "loss_scale"]
    # the logged loss scale halves from 1048576 on five iterations
    steps, scale = run.arrays("train/loss_scale")
    expected = [int(steps[i]) for i in range(1, len(steps)) if scale[i] <= 0.5 * scale[i - 1]]
    assert [e["step"] for e in falls] == expected and len(expected) == 5
    assert falls[0]["text"] == "loss scale 1.04858e+06 -> 524288 at iteration 17063"
    lines = [e["line"] for e in run.meta["events"]]
    assert lines == sorted(lines)


def test_megatron_synthetic_overflow_and_a_traceback_at_the_end(tmp_path: Path) -> None:
    rec = " iteration {s:8d}/     100 | consumed samples: {c:12d} | lm loss: 2.5E+00 | loss scale: {ls} | grad norm: 0.3 |"
    lines = [
        rec.format(s=1, c=512, ls="65536.0"),
        "[deepscale] OVERFLOW! Rank 0 Skipping step. Attempted loss scale: 65536.0, reducing to 32768.0",
        "[deepscale] OVERFLOW! Rank 1 Skipping step. Attempted loss scale: 65536.0, reducing to 32768.0",
        rec.format(s=2, c=1024, ls="32768.0"),
        rec.format(s=3, c=1536, ls="32768.0"),
        "Traceback (most recent call last):",
        '  File "pretrain_gpt.py", line 10, in <module>',
        "KeyboardInterrupt",
    ]
    path = tmp_path / "train.out"
    path.write_text("\n".join(lines) + "\n")
    run = megatron.parse(path)[0]
    assert _kinds(run) == [("overflow", 1), ("loss_scale", 2), ("traceback", 3), ("traceback", 3)]
    assert [e["line"] for e in run.meta["events"]] == [2, 4, 6, 8]


def test_truncated_last_record_of_llmc_main_log_and_modded(tmp_path: Path) -> None:
    path = tmp_path / "main.log"
    path.write_text("s:0 tel:11.0\ns:0 trl:11.0 lr:0.0001 norm:1.5\ns:1 trl:10.5 lr:0.0002 norm:1.4\ns:2 trl:10.3 l")
    run = llmc.parse(path)[0]
    assert _kinds(run) == [("truncated", 1)]
    assert run.meta["events"][0] == {"kind": "truncated", "step": 1, "line": 4, "text": "s:2 trl:10.3 l"}
    whole = tmp_path / "whole.log"
    whole.write_text("s:0 trl:11.0 lr:0.0001 norm:1.5\ns:1 trl:10.5 lr:0.0002 norm:1.4")  # no newline, not cut
    assert "events" not in llmc.parse(whole)[0].meta
    record = tmp_path / "record.txt"
    record.write_text("=" * 100 + "\nstep:1/10 train_loss:11.0 train_time:100ms step_avg:nanms\nstep:2/10 train_lo")
    assert _kinds(modded_nanogpt.parse(record)[0]) == [("truncated", None)]


def test_keyboard_interrupt_at_the_end_of_llmc_and_modded(tmp_path: Path) -> None:
    path = tmp_path / "main.log"
    path.write_text("s:0 trl:11.0 lr:0.0001 norm:1.5\ns:1 trl:10.5 lr:0.0002 norm:1.4\nTraceback (most recent call last):\n  File \"x.py\", line 1\nKeyboardInterrupt\n")
    run = llmc.parse(path)[0]
    assert _kinds(run) == [("traceback", 1), ("traceback", 1)]
    assert run.meta["lines"] == {"total": 5, "used": 2, "ignored": 3, "unparsed": 0}
    record = tmp_path / "record.txt"
    record.write_text("=" * 100 + "\nstep:1/10 train_loss:11.0 train_time:100ms step_avg:nanms\n[rank0]: KeyboardInterrupt\n")
    assert _kinds(modded_nanogpt.parse(record)[0]) == [("traceback", None)]

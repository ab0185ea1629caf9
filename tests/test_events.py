"""The events analyzer: readers' meta["events"] (synthetic here, so these tests do not wait for the readers),
the older meta keys (skipped_steps, truncated_last_line, rollbacks) and the train/loss_scale and train/mfu series."""

from __future__ import annotations

import json

import numpy as np
from click.testing import CliRunner

from lossdoc.analyzers import ANALYZERS
from lossdoc.analyzers import events as ev
from lossdoc.cli import app
from lossdoc.run import make_run
from tests.conftest import corpus_file

STEPS = np.arange(1, 19_561)



def run_with(meta: dict, extra: dict | None = None, steps: np.ndarray = STEPS):
    series = {"train/loss": (steps, 3.3 + 8 / np.sqrt(steps + 1)), **(extra or {})}
    return make_run("r", series, meta)


def kinds(result) -> dict[str, str]:
    return {f.evidence["kind"]: f.severity.value for f in result.findings}


def test_registered_and_silent_without_events() -> None:
    assert ev in ANALYZERS
    run = run_with({"max_steps": 19_560})
    assert ev.applies(run) is not None and ev.analyze(run).findings == []


def test_error_mid_run_is_a_warning_with_the_records_after_it() -> None:
    """An llm.c `Error: Token out of vocabulary` at step 19,528 of a run that then stops short of its plan."""
    steps = np.arange(1, 19_561)
    event = {"kind": "error", "step": 19_528, "line": 19_761, "text": "Error: Token out of vocabulary at train_gpt2.cu:675"}
    run = run_with({"events": [event], "max_steps": 30_000}, steps=steps)
    result = ev.analyze(run)
    [f] = result.findings
    assert f.severity.value == "warning" and "step 19,528" in f.title and "Token out of vocabulary" in f.title
    assert "32 steps after it" in f.title and f.steps == (19_528, 19_528)


def test_error_mid_run_of_a_run_that_finished_is_info() -> None:
    """The A100 llm.c run prints that error at 19,528 and still reaches its planned 19,560: it carried on."""
    event = {"kind": "error", "step": 19_528, "line": 19_761, "text": "Error: Token out of vocabulary"}
    [f] = ev.analyze(run_with({"events": [event], "max_steps": 19_560})).findings
    assert f.severity.value == "info" and "carried on to its planned step 19,560" in f.title


def test_traceback_at_the_end() -> None:
    crash = {"kind": "traceback", "step": 2_155, "line": 2_190, "text": "RuntimeError: CUDA error: out of memory"}
    hand = {"kind": "traceback", "step": 2_155, "line": 2_199, "text": "[rank0]: KeyboardInterrupt"}
    steps = np.arange(0, 2_156)
    [f] = ev.analyze(run_with({"events": [crash], "max_steps": 5_000}, steps=steps)).findings
    assert f.severity.value == "warning" and "crashed at step 2,155" in f.title
    [g] = ev.analyze(run_with({"events": [hand], "max_steps": 5_000}, steps=steps)).findings
    assert g.severity.value == "info" and "stopped by hand" in g.title


def test_megatron_skipped_steps_and_loss_scale_fall_from_meta() -> None:
    """The BigScience 104B excerpt: 6 skipped of 9 iterations, the loss scale 1,048,576 -> 32,768."""
    steps = np.arange(17_060, 17_069)
    scale = np.array([2.0**20] * 3 + [2.0**19, 2.0**18, 2.0**17, 2.0**17, 2.0**16, 2.0**15])
    meta = {"skipped_steps": 6, "skipped_after_iteration": [17_061, 17_062, 17_063, 17_064, 17_066, 17_067]}
    result = ev.analyze(run_with(meta, {"train/loss_scale": (steps, scale)}, steps=steps))
    [f] = result.findings
    assert f.severity.value == "warning"  # 6 of 9 steps skipped: far above an occasional skip
    assert "6 fp16 overflow step(s) skipped (after steps 17,061–17,067)" in f.title
    assert "loss scale 1,048,576 -> 32,768 by step 17,068" in f.title
    rare = ev.analyze(run_with({"skipped_steps": 2, "skipped_after_iteration": [100, 900]}))
    assert kinds(rare) == {"overflow": "info"}


def test_readers_overflow_events_are_not_counted_twice() -> None:
    events = [{"kind": "overflow", "step": s, "line": s, "text": "OVERFLOW! Skipping step"} for s in (10, 20)]
    result = ev.analyze(run_with({"events": events, "skipped_steps": 2, "skipped_after_iteration": [10, 20]}))
    assert result.findings[0].evidence["skipped"] == 2


def test_cancelled_and_truncated_from_the_last_line() -> None:
    """The all-NaN llm.c log ends mid-record with slurmstepd's CANCELLED line."""
    last = "step 16256/19560 | loss     nan (+nanz)| norm    nan (slurmstepd: error: *** JOB 11679031 ON g002 CANCELLED"
    steps = np.arange(1, 16_257)
    result = ev.analyze(run_with({"truncated_last_line": last, "max_steps": 19_560}, steps=steps))
    assert kinds(result) == {"truncated": "info", "cancelled": "warning"}
    cancelled = next(f for f in result.findings if f.evidence["kind"] == "cancelled")
    assert "at step 16,256 of 19,560 planned" in cancelled.title and "slurmstepd: error: *** JOB 11679031" in cancelled.title


def test_rollbacks_are_one_info() -> None:
    rollbacks = [{"from_step": 7_220, "to_step": 6_900, "superseded": 33}, {"from_step": 9_000, "to_step": 8_800,
                                                                           "superseded": 21}]
    [f] = ev.analyze(run_with({"rollbacks": rollbacks})).findings
    assert f.severity.value == "info" and "2 resume(s)" in f.title and "54 point(s) superseded" in f.title


def test_mfu_above_100_percent() -> None:
    """nanoGPT prints MFU against an A100's 312 TFLOPS: 107% on a faster GPU (druidowm's char-level log)."""
    steps = np.arange(0, 200)
    mfu = np.where(steps < 5, np.nan, 107.0 + (steps % 3) * 0.5)
    [f] = ev.analyze(run_with({}, {"train/mfu": (steps, mfu)}, steps=steps)).findings
    assert f.severity.value == "info" and "above 100%" in f.title and "195 of 195 points" in f.title
    assert "assumes a peak below this GPU's" in f.advice
    assert ev.analyze(run_with({}, {"train/mfu": (steps, np.full(200, 45.0))}, steps=steps)).findings == []


def test_unknown_kind_is_shown_not_dropped() -> None:
    result = ev.analyze(run_with({"events": [{"kind": "nccl_timeout", "step": 5, "line": 9, "text": "NCCL timeout"}]}))
    assert [f.evidence["kind"] for f in result.findings] == ["nccl_timeout"]


def test_show_and_analyze_print_the_events() -> None:
    path = corpus_file("megatron/bigscience-tr8b-104B-chronicles-excerpt-spike-overflow.log")
    res = CliRunner().invoke(app, ["show", str(path)])
    assert res.exit_code == 0 and "6 × fp16 overflow" in res.output and "loss scale fell" in res.output
    doc = json.loads(CliRunner().invoke(app, ["analyze", "--json", str(path)]).stdout)
    assert any(f["analyzer"] == "events" and "overflow" in f["title"] for f in doc["findings"])
    shown = json.loads(CliRunner().invoke(app, ["show", "--json", str(path)]).stdout)
    assert sum(e["kind"] == "overflow" for e in shown["runs"][0]["events"]) == 6


def test_a_broken_record_with_records_after_it_is_an_error_mid_run_not_a_truncated_end() -> None:
    """The A100 llm.c log: the reader's 'truncated_last_line' is step 19,528 of 19,560, broken by an Error line."""
    line = "step 19528/19560 | loss 3.329409 (+0.47z)| norm 0.2206 (-0.39z)| lError: Token out of vocabulary at x.cu:675"
    result = ev.analyze(run_with({"truncated_last_line": line, "max_steps": 19_560}))
    [f] = result.findings
    assert f.evidence["kind"] == "error" and f.steps == (19_528, 19_528) and f.severity.value == "info"
    assert "'Error: Token out of vocabulary" in f.title and "truncated" not in f.title


def test_corpus_a100_full_run_error_line() -> None:
    path = corpus_file("llmc_stdout/hector-a100-gpt2-124M-full.log")
    doc = json.loads(CliRunner().invoke(app, ["analyze", "--json", str(path)]).stdout)
    [f] = [f for f in doc["findings"] if f["analyzer"] == "events"]
    assert f["severity"] == "info" and "step 19,528" in f["title"] and "19,560" in f["title"]


def test_reader_loss_scale_events_beside_the_series_fall() -> None:
    """A reader's per-halving loss_scale events do not replace the series' whole fall, nor count skips twice."""
    steps = np.arange(100, 110)
    scale = 2.0 ** np.array([20, 20, 19, 18, 17, 16, 15, 15, 15, 15])
    halvings = [{"kind": "loss_scale", "step": int(s), "line": i, "text": "reducing to ..."} for i, s in
                enumerate(steps[2:7])]
    overflows = [{"kind": "overflow", "step": int(s), "line": i, "text": "OVERFLOW!"} for i, s in enumerate(steps[1:6])]
    meta = {"events": halvings + overflows * 2, "skipped_steps": 5}  # two ranks print every OVERFLOW line
    [f] = ev.analyze(run_with(meta, {"train/loss_scale": (steps, scale)}, steps=steps)).findings
    assert f.title.startswith("5 fp16 overflow step(s) skipped") and "1,048,576 -> 32,768 by step 106" in f.title
    only_events = ev.analyze(run_with({"events": halvings}, steps=steps)).findings
    assert "5 loss-scale reduction(s) from step 102" in only_events[0].title

"""The command line through click's CliRunner: JSON contract keys, exports, errors as one line and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from lossdoc.cli import app
from lossdoc.parsers import PARSERS

from .conftest import EXAMPLES, ROOT

runner = CliRunner()
NANOGPT_EXAMPLE = EXAMPLES / "nanogpt-gpt2-124M.log"


def run_cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_formats_lists_every_reader_with_a_sample() -> None:
    code, out, _ = run_cli("formats", "--json")
    assert code == 0
    rows = json.loads(out)["formats"]
    assert [r["name"] for r in rows] == [p.NAME for p in PARSERS]
    assert all(r["sample"] for r in rows)
    code, out, _ = run_cli("formats")
    assert code == 0 and "nanogpt" in out


def test_show_json_contract() -> None:
    code, out, err = run_cli("show", "--json", str(NANOGPT_EXAMPLE))
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) >= {"source", "format", "runs", "lines"}
    assert doc["format"] == "nanogpt"
    assert set(doc["lines"]) == {"total", "used", "ignored", "unparsed"}
    (run,) = doc["runs"]
    assert set(run) >= {"name", "meta", "series"}
    loss = run["series"]["train/loss"]
    assert set(loss) >= {"points", "first_step", "last_step", "first", "last", "nan"}
    assert loss["points"] == 201 and loss["first_step"] == 0 and loss["last_step"] == 2000
    # nanoGPT's mfu -100% placeholder for the first iterations is NaN (null in JSON), counted
    assert run["series"]["train/mfu"]["nan"] == 5
    assert run["meta"]["tokens_per_step"] == 491520


def test_show_text_report_and_verbose(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_text("iter 0: loss 5.0, time 1.00ms, mfu 1.00%\nsomething odd here\n")
    code, out, _ = run_cli("show", str(log))
    assert code == 0 and "train/loss" in out and "1 not understood" in out
    code, out, _ = run_cli("show", "--verbose", str(log))
    assert "something odd here" in out


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_show_exports_tidy_points(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"points{suffix}"
    code, _, err = run_cli("show", str(EXAMPLES / "wandb-export.csv"), "--to", str(target))
    assert code == 0, err
    reader = {".csv": pd.read_csv, ".jsonl": lambda p: pd.read_json(p, lines=True), ".parquet": pd.read_parquet}
    df = reader[suffix](target)
    assert list(df.columns) == ["run", "step", "split", "metric", "value"]
    assert set(df["run"]) == {"baseline", "lr-3e-4"}
    assert len(df) == 301 + 201


@pytest.mark.parametrize(
    "content, words",
    [
        (None, "no such file"),
        (b"", "empty"),
        (b"\x00\x00\x7fELF\x00", "binary"),
        (b"Dear diary, today the loss went down.\n", "no reader recognised"),
    ],
)
def test_bad_input_one_line_exit_2(tmp_path: Path, content: bytes | None, words: str) -> None:
    path = tmp_path / "input.log"
    if content is not None:
        path.write_bytes(content)
    for command in ("show", "analyze"):
        code, out, err = run_cli(command, str(path))
        assert code == 2
        assert out == ""
        assert err.count("\n") == 1 and words in err and "Traceback" not in err


def test_directory_and_bad_options_exit_2(tmp_path: Path) -> None:
    code, _, err = run_cli("show", str(tmp_path))
    assert code == 2 and "Traceback" not in err
    code, _, err = run_cli("show", str(NANOGPT_EXAMPLE), "--to", str(tmp_path / "x.xlsx"))
    assert code == 2 and "unknown extension" in err
    code, _, err = run_cli("show", str(NANOGPT_EXAMPLE), "--format", "nope")
    assert code == 2 and "unknown format" in err


def test_analyze_example_report_and_json() -> None:
    code, out, err = run_cli("analyze", str(NANOGPT_EXAMPLE))
    assert code == 0, err
    assert "gpt2-124M-example" in out and "train/loss" in out
    code, out, _ = run_cli("analyze", "--json", str(NANOGPT_EXAMPLE))
    doc = json.loads(out)
    assert set(doc) >= {"headline", "run", "sections", "findings"}
    assert doc["run"]["name"] == "gpt2-124M-example"


def test_analyze_picks_a_run_of_a_multi_run_file() -> None:
    wandb = str(EXAMPLES / "wandb-export.csv")
    code, out, _ = run_cli("analyze", "--json", wandb)
    assert json.loads(out)["run"]["name"] == "baseline"  # the longest by default
    code, out, _ = run_cli("analyze", "--json", wandb, "--run", "2")
    assert json.loads(out)["run"]["name"] == "lr-3e-4"
    code, _, err = run_cli("analyze", wandb, "--run", "nope")
    assert code == 2 and "baseline" in err


def test_examples_are_up_to_date() -> None:
    """The shipped example logs are exactly what the deterministic generator writes."""
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "generate.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_every_example_log_reads_with_its_reader() -> None:
    for path in sorted(EXAMPLES.iterdir()):
        code, out, err = run_cli("show", "--json", str(path))
        assert code == 0, f"{path.name}: {err}"
        doc = json.loads(out)
        assert doc["lines"]["unparsed"] == 0, path.name
        assert any(r["series"] for r in doc["runs"]), path.name


def test_malformed_options_files_are_one_line_errors(tmp_path: Path) -> None:
    log = str(EXAMPLES / "llmc-main.log")
    code, _, err = run_cli("phases", log, "--schedule", "cosine:peak")
    assert code == 2 and "--schedule" in err and err.count("\n") == 1
    bad = tmp_path / "shards.json"
    bad.write_text("{not json")
    code, _, err = run_cli("spikes", log, "--shard-map", str(bad))
    assert code == 2 and "not valid JSON" in err and err.count("\n") == 1
    code, _, err = run_cli("spikes", log, "--shard-map", str(tmp_path / "absent.json"))
    assert code == 2 and "no such file" in err


def test_a_folder_of_logs_is_not_taken_for_a_tensorboard_run_directory() -> None:
    code, out, err = run_cli("show", str(EXAMPLES))
    assert code == 2 and out == ""
    assert "TensorBoard event files" in err and "nanogpt-gpt2-124M.log" in err and err.count("\n") == 1


def test_analyze_compares_the_runs_of_a_multi_run_file() -> None:
    from .conftest import corpus_file

    code, out, _ = run_cli("analyze", "--json", str(EXAMPLES / "wandb-export.csv"))
    comparison = json.loads(out)["comparison"]
    assert [r["name"] for r in comparison["runs"]] == ["baseline", "lr-3e-4"]
    assert comparison["final_spread"]["runs"] == 2
    (single,) = [json.loads(run_cli("analyze", "--json", str(NANOGPT_EXAMPLE))[1])["comparison"]]
    assert single is None
    # the 20-seed modded-nanogpt record: the seed-noise band of the final val loss (corpus README: 3.2764-3.2810)
    code, out, _ = run_cli("analyze", "--json", str(corpus_file("modded-nanogpt/track3-valonly-seconds.txt")))
    spread = json.loads(out)["comparison"]["final_spread"]
    assert spread["runs"] == 20
    assert spread["min"] == pytest.approx(3.2764, abs=1e-4) and spread["max"] == pytest.approx(3.2810, abs=1e-4)


@pytest.mark.parametrize("args", [["analyze"], ["analyze", "--json"], ["phases"], ["show", "-v"]])
def test_a_reader_that_closes_the_pipe_gets_exit_141_not_1(args: list[str]) -> None:
    # `lossdoc analyze run.log | head`: rich and click both exit 1 on a broken pipe, which here means "a finding at or
    # above --fail-on"; a shell reports a process SIGPIPE ended as 141, and so does lossdoc, quietly
    log = str(EXAMPLES / "nanogpt-gpt2-124M.log")
    proc = subprocess.Popen([sys.executable, "-m", "lossdoc", args[0], log, *args[1:]], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # before the first write: the first write fails
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141, err
    assert err == ""

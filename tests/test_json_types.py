"""Counts print as JSON integers: every command on every example log (and `analyze` on every corpus log) prints
only the types docs/json.md gives, a count never as `524288.0`, and the counts of the free-form objects (meta,
facts, evidence) are ints too. tests/test_json_docs.py checks the same on its chosen runs with options; this is the
sweep without options, over every log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lossdoc.cli import app
from lossdoc.facts import COUNT_FACTS

from .conftest import CORPUS, EXAMPLES
from .test_json_docs import DOC, check_documented, check_present, key_paths, parse_doc

COMMANDS = ("show", "phases", "spikes", "gap", "mfu", "config-check", "analyze")
# meta keys the readers parse as counts (docs/json.md, below the `show` table), evidence keys that repeat a count
META_COUNTS = {"params", "tokens_per_step", "vocab_size", "padded_vocab_size", "n_layer", "n_head", "n_embd",
               "block_size", "batch_size", "max_steps", "warmup_steps", "world_size"}
EVIDENCE_COUNTS = {"tokens_wasted", "tokens", "chinchilla_optimal", "max_steps", "warmup_steps", "decay_steps"}


def lossdoc_json(*args: str) -> dict[str, Any] | None:
    """The command's document; None when the log cannot be analysed so (exit 2: a gap without evals)."""
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code in (0, 2), f"lossdoc {' '.join(args)} --json: exit {result.exit_code}: {result.output}"
    return json.loads(result.stdout) if result.exit_code == 0 else None


def whole_float(value: Any) -> bool:
    return isinstance(value, float) and value.is_integer()


def free_form_counts_as_floats(output: dict[str, Any]) -> list[str]:
    """Paths of counts printed as whole floats where the doc's types cannot say (meta, facts, evidence: `any`)."""
    found = []
    for segs, value in key_paths(output):
        key, parent = segs[-1], segs[-2] if len(segs) > 1 else ""
        grand = segs[-3] if len(segs) > 2 else ""
        count = ((parent == "meta" and key in META_COUNTS) or (parent == "evidence" and key in EVIDENCE_COUNTS)
                 or (grand == "facts" and key == "value" and parent in COUNT_FACTS))
        if count and whole_float(value):
            found.append(f"{'.'.join(segs)} = {value!r}")
    return found


def problems_of(command: str, log: Path, doc: Any) -> list[str]:
    output = lossdoc_json(command, str(log))
    if output is None:
        return []
    label = f"lossdoc {command} {log.name}"
    problems = check_documented(doc, command, output, label) + check_present(doc, command, output, label)
    return problems + [f"{label}: {p} is a count printed as a float" for p in free_form_counts_as_floats(output)]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_example_log_prints_the_documented_types(command: str) -> None:
    doc = parse_doc(DOC.read_text(encoding="utf-8"))
    problems = [p for log in sorted(EXAMPLES.iterdir()) for p in problems_of(command, log, doc)]
    assert not problems, "\n".join(problems)


@pytest.mark.skipif(not CORPUS.exists(), reason=f"corpus absent: {CORPUS}")
@pytest.mark.parametrize("command", COMMANDS)
def test_every_corpus_log_prints_the_documented_types(command: str) -> None:
    doc = parse_doc(DOC.read_text(encoding="utf-8"))
    logs = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "README.md")
    problems = [p for log in logs for p in problems_of(command, log, doc)]
    assert not problems, "\n".join(problems)


def test_a_count_printed_with_two_decimals_is_an_int(tmp_path: Path) -> None:
    """nanoGPT prints 'number of parameters: 2.01M', which is 2009999.9999999998 as a float; it is 2,010,000."""
    log = tmp_path / "train.log"
    lines = ["tokens per iteration will be: 262,144", "number of parameters: 2.01M"]
    lines += [f"iter {s}: loss {10 - s / 100:.4f}, time 100.00ms, mfu 40.00%" for s in range(0, 400, 10)]
    log.write_text("\n".join(lines) + "\n")
    shown = lossdoc_json("show", str(log))
    checked = lossdoc_json("config-check", str(log))
    mfu = lossdoc_json("mfu", str(log))
    assert shown and checked and mfu
    assert shown["runs"][0]["meta"]["params"] == 2_010_000 and type(shown["runs"][0]["meta"]["params"]) is int
    assert type(checked["params"]["logged"]) is int and checked["config"]["facts"]["params_logged"]["value"] == 2_010_000
    assert mfu["flops_per_token"] == 6 * 2_010_000 and type(mfu["flops_per_token"]) is int


def test_the_sweep_finds_a_count_printed_as_a_float() -> None:
    output = {"runs": [{"meta": {"params": 123690000.0, "epoch": 3.0}}],
              "config": {"facts": {"warmup_steps": {"value": 8.0}, "dropout": {"value": 0.0}}},
              "findings": [{"evidence": {"tokens_wasted": 524288.0, "loss": 3.0}}]}
    assert free_form_counts_as_floats(output) == [
        "runs[].meta.params = 123690000.0", "config.facts.warmup_steps.value = 8.0",
        "findings[].evidence.tokens_wasted = 524288.0"]

"""RunFacts: every fact with its source, per log format and config file; conflicts kept, never resolved silently."""

from __future__ import annotations

import inspect
import shutil
from pathlib import Path

import pytest

from lossdoc import schedule
from lossdoc.configs import read_config
from lossdoc.facts import RunFacts, attach_config, facts_from_config, run_facts
from lossdoc.parsers import load

from .conftest import EXAMPLES, corpus_file


def facts_of(path: Path) -> RunFacts:
    return run_facts(max(load(path), key=lambda r: len(r.df)))


def test_the_stronger_source_wins_and_the_conflict_is_kept() -> None:
    facts = RunFacts()
    facts.set("batch_size", 16, "config: train.py line 9")
    facts.set("batch_size", 12, "log: nanoGPT config echo batch_size")
    facts.set("batch_size", 8, "default: nanoGPT train.py batch_size")  # a default neither wins nor conflicts
    assert facts.get("batch_size") == 12 and facts.source("batch_size").startswith("log")
    assert facts.conflicts == [{"fact": "batch_size", "values": [[16, "config: train.py line 9"],
                                                                 [12, "log: nanoGPT config echo batch_size"]]}]
    facts.set("batch_size", 4, "flag --batch")
    assert facts.get("batch_size") == 4
    with pytest.raises(KeyError):
        facts.set("max_iters", 1, "log")  # format key names are not facts


def test_nanogpt_echo_and_defaults_said_as_such() -> None:
    facts = facts_of(corpus_file("nanogpt/yplarrywang-tinystories-50M-6000iters.log"))
    assert facts.get("n_embd") == 512 and facts.source("n_embd") == "log: nanoGPT config echo n_embd"
    assert facts.get("grad_clip") == 1.0 and facts.source("grad_clip") == "default: nanoGPT train.py grad_clip"
    assert facts.get("tokens_per_step") == 262_144 and facts.get("params_logged") == 50_930_000
    assert facts.get("params_computed_printed") == 50_930_176  # 8/8/512, V=50304, block 512, no bias
    assert facts.get("vocab_padded") == 50304 and facts.get("dropout") == 0.0


def test_a_nanogpt_log_without_its_config_echo_gets_no_defaults() -> None:
    facts = facts_of(corpus_file("nanogpt/druidowm-shakespeare-char-interrupted-output.log"))
    assert facts.get("n_layer") is None and facts.get("params_computed") is None


def test_llmc_header_table() -> None:
    facts = facts_of(corpus_file("llmc_stdout/hector-a100-gpt2-124M-full.log"))
    expect = {"n_layer": 12, "n_head": 12, "n_embd": 768, "vocab_padded": 50304, "block_size": 1024,
              "batch_size": 32, "tokens_per_step": 524_288, "lr_peak": 6e-4, "warmup_steps": 700, "lr_min": 0.0,
              "max_steps": 19_560, "eval_interval": 250, "eval_iters": 20, "gpu": "NVIDIA A100-PCIE-40GB",
              "gpu_count": 1, "dtype": "bf16", "params_logged": 124_475_904, "params_computed": 124_475_904,
              "step_offset": 1}
    assert {k: facts.get(k) for k in expect} == expect
    assert facts.source("warmup_steps") == "log: llm.c header warmup iterations"


def test_megatron_args_dump() -> None:
    facts = facts_of(corpus_file("megatron/bigscience-megds-3d-perf-n16-divergence.out"))
    assert facts.get("warmup_steps") == pytest.approx(8.0)  # lr_warmup_fraction 0.01 × lr_decay_iters 800
    assert facts.source("warmup_steps") == "log: Megatron args lr_warmup_fraction × decay iters"
    assert (facts.get("decay_steps"), facts.get("max_steps"), facts.get("lr_min")) == (800, 1000, 1e-5)
    assert (facts.get("global_batch"), facts.get("batch_size"), facts.get("tokens_per_step")) == (1024, 4, 1_048_576)
    assert facts.get("dtype") == "fp16" and facts.get("grad_clip") == 1.0 and facts.get("dropout") == 0.1


def test_modded_nanogpt_hyperparameters() -> None:
    facts = facts_of(corpus_file("modded-nanogpt/soap-6000steps.txt"))
    assert (facts.get("lr_schedule"), facts.get("warmup_steps"), facts.get("decay_steps")) == ("wsd", 250, 1800)
    assert (facts.get("batch_size"), facts.get("global_batch"), facts.get("gpu_count")) == (64, 512, 8)
    assert facts.get("params_computed") is None  # its architecture is not nanoGPT's: no formula is guessed


def test_torchtitan_and_hf_trainer_state() -> None:
    tt = facts_of(corpus_file("torchtitan/qwen3-14b-autoresearch-run399-10steps.log"))
    assert (tt.get("batch_size"), tt.get("global_batch"), tt.get("tokens_per_step")) == (168, 1344, 172_032)
    # "Model qwen3 14B": Qwen3's vocabulary, so the first loss 12.47 is judged against ln(151,936) = 11.93, not GPT-2's
    assert tt.get("vocab_size") == 151_936 and "qwen3" in tt.source("vocab_size")
    debug = facts_of(EXAMPLES / "torchtitan-llama3-debug.log")  # llama3 debugmodel: a test tokenizer, not Llama 3's
    assert debug.get("vocab_size") is None
    hf = facts_of(corpus_file("hf_trainer_state/trainer-state-viz-multi-eval-overfit.json"))
    assert (hf.get("max_steps"), hf.get("batch_size"), hf.get("eval_interval")) == (12_030, 4, 500)
    assert hf.get("grad_clip") == 1.0 and hf.source("grad_clip").startswith("default: transformers")


def test_lightning_hparams_beside_metrics(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "lightning-metrics.csv", tmp_path / "metrics.csv")
    (tmp_path / "hparams.yaml").write_text("model:\n  n_layer: 6\n  n_embd: 384\nlr: 0.001\nbatch_size: 32\n")
    facts = facts_of(tmp_path / "metrics.csv")
    assert (facts.get("n_layer"), facts.get("n_embd"), facts.get("lr_peak")) == (6, 384, 0.001)
    assert facts.source("n_layer") == "log: hparams.yaml n_layer"
    config = read_config(tmp_path / "hparams.yaml")
    assert facts_from_config(config).source("n_embd") == "config: hparams.yaml model.n_embd"


def test_a_config_file_joins_the_log_facts(tmp_path: Path) -> None:
    config = tmp_path / "train.py"
    config.write_text("n_layer = 12\nn_head = 12\nn_embd = 384  # narrow\nbatch_size = 16\nbias = False\n")
    run = load(EXAMPLES / "nanogpt-gpt2-124M.log")[0]
    facts = attach_config(run, read_config(config))
    assert facts.get("n_embd") == 384 and facts.source("n_embd") == "config: train.py line 3"  # beats a default
    assert facts.get("batch_size") == 12  # the log's echo beats the config
    assert {c["fact"] for c in facts.conflicts} == {"batch_size"}
    assert facts.get("params_computed_printed") == 40_560_000  # derived again from the merged facts


def test_schedule_reads_only_facts() -> None:
    source = inspect.getsource(schedule)
    assert 'get("format")' not in source and "meta" not in source.replace("metadata", "")


def test_an_hf_checkpoint_directory_brings_its_config_json(tmp_path: Path) -> None:
    import json

    shutil.copy(EXAMPLES / "hf-trainer_state.json", tmp_path / "trainer_state.json")
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2", "n_layer": 12, "n_head": 12,
                                                      "n_embd": 768, "vocab_size": 50257, "n_positions": 1024}))
    facts = facts_of(tmp_path)
    assert facts.get("n_embd") == 768 and facts.source("n_embd") == "log: checkpoint config.json"
    assert facts.get("params_computed") == 124_439_808  # HF GPT-2: biases, tied head, learned positions


def test_a_modded_record_without_dropout_in_its_script_states_dropout_0(tmp_path: Path) -> None:
    # val < train in a record is then not blamed on dropout (a chat model said "dropout" of a run with none)
    facts = facts_of(EXAMPLES / "modded-nanogpt-record.txt")
    assert "dropout" not in (EXAMPLES / "modded-nanogpt-record.txt").read_text().lower()
    assert facts.get("dropout") == 0 and "no dropout anywhere" in facts.source("dropout")
    text = (EXAMPLES / "modded-nanogpt-record.txt").read_text()
    marker = "import os\n"
    assert marker in text
    log = tmp_path / "with-dropout.txt"
    log.write_text(text.replace(marker, marker + "attn_dropout = 0.1\n", 1))
    assert facts_of(log).get("dropout") is None  # a script that names it may use it: nothing is claimed

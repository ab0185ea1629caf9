"""config-check on the capacity case, claims, tokens, Chinchilla, epochs, schedule warnings, dropout, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from lossdoc.cli import app

from .conftest import CORPUS, EXAMPLES, ROOT

CONFIG_40M = ROOT / "examples" / "configs" / "train_gpt2_40m.py"


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def capacity_log(path: Path, last: int = 14_500) -> Path:
    """A nanoGPT stdout of the capacity case: the config echo, 40.56M parameters, val below train (dropout 0.1)."""
    echo = CONFIG_40M.read_text()
    lines = [f"Overriding config with {CONFIG_40M.name}:", *echo.rstrip("\n").split("\n"),
             "tokens per iteration will be: 524,288",
             "defaulting to vocab_size of GPT-2 to 50304 (50257 rounded up for efficiency)",
             "number of parameters: 40.56M"]
    for step in range(0, last + 1, 100):
        loss = 3.55 + 7.3 * (1 + step / 40) ** -0.6
        if step % 500 == 0:
            lines.append(f"step {step}: train loss {loss - 0.06:.4f}, val loss {loss - 0.05:.4f}")
        lines.append(f"iter {step}: loss {loss + 0.04:.4f}, time 1200.00ms, mfu 11.50%")
    path.write_text("\n".join(lines) + "\n")
    return path


def check(*args: str) -> dict:
    code, out, err = run_cli("config-check", "--json", *args)
    assert code == 0, err
    return json.loads(out)


def test_the_capacity_case(tmp_path: Path) -> None:
    doc = check(str(CONFIG_40M), str(capacity_log(tmp_path / "train.log")))
    assert doc["params"]["computed_as_printed"] == 40_560_000 and doc["params"]["logged"] == 40_560_000
    assert doc["params"]["claimed"] == 125_000_000
    assert doc["tokens"]["per_step"] == 16 * 32 * 1024 == 524_288
    assert doc["tokens"]["seen"] == 14_500 * 524_288
    assert doc["tokens"]["chinchilla_optimal"] == 20 * 40_560_000
    assert doc["tokens"]["ratio"] == pytest.approx(14_500 * 524_288 / (20 * 40_560_000))  # 9.4x
    titles = [f["title"] for f in doc["findings"]]
    claim = next(f for f in doc["findings"] if "claims ~125M" in f["title"])
    assert "n_embd = 384, not 768" in claim["title"] and claim["severity"] == "warning"
    assert "n_embd = 768" in claim["advice"] and "524,288 tokens/step" in claim["advice"]
    assert any("Chinchilla: 40.56M × 20 = 811M" in t and "9.4x" in t for t in titles)
    val = next(f for f in doc["findings"] if f["title"].startswith("Val < train at step 14,500"))
    assert "dropout = 0.1" in val["title"]


def test_a_wrong_tokens_claim_is_a_finding(tmp_path: Path) -> None:
    config = tmp_path / "train_1b.py"
    config.write_text(CONFIG_40M.read_text().replace("max_iters = 20000", "max_iters = 6000  # ~1B tokens")
                      .replace("lr_decay_iters = 20000", "lr_decay_iters = 6000"))
    log = tmp_path / "losses.csv"
    log.write_text("step,loss\n" + "".join(f"{s},{4 + 1 / (s + 1):.4f}\n" for s in range(0, 1000, 10)))
    doc = check(str(config), str(log))
    wrong = next(f for f in doc["findings"] if "~1B tokens" in f["title"])
    assert "6,000 steps × 524,288 tokens/step = 3.15B" in wrong["title"] and wrong["severity"] == "warning"
    assert doc["tokens"]["planned"] == 6000 * 524_288
    # the per-step comment ("= 524,288 tokens per iteration") is right, so it is not a finding
    assert not any("per step" in f["title"] for f in doc["findings"] if "comment" in f["title"])


def test_epochs_from_train_bin_of_known_size(tmp_path: Path) -> None:
    config = tmp_path / "config" / "train.py"
    config.parent.mkdir()
    shutil.copy(CONFIG_40M, config)
    data = tmp_path / "data" / "fineweb" / "train.bin"
    data.parent.mkdir(parents=True)
    with data.open("wb") as f:
        f.truncate(2 * 1_000_000_000)  # sparse: 1e9 uint16 tokens
    doc = check(str(config), str(capacity_log(tmp_path / "train.log")))
    assert doc["tokens"]["dataset"] == 1_000_000_000
    assert doc["tokens"]["epochs_seen"] == pytest.approx(14_500 * 524_288 / 1e9)  # 7.6 epochs
    repeat = next(f for f in doc["findings"] if "epochs over" in f["title"])
    assert repeat["severity"] == "warning"
    doc = check(str(config), str(tmp_path / "train.log"), "--dataset-tokens", "20000000000")
    assert doc["tokens"]["dataset"] == 20_000_000_000 and not any("epochs over" in f["title"] for f in doc["findings"])


def test_conflicts_between_the_config_and_the_log_are_named(tmp_path: Path) -> None:
    log = capacity_log(tmp_path / "train.log")
    log.write_text(log.read_text().replace("batch_size = 16", "batch_size = 12"))
    doc = check(str(CONFIG_40M), str(log))
    conflict = next(f for f in doc["findings"] if "batch_size" in f["title"])
    assert conflict["title"] == "the config says batch_size 16, the log's echo says 12"
    assert doc["config"]["facts"]["batch_size"]["value"] == 12  # the log says what the run did


def test_lr_at_a_step_and_share_of_peak_at_the_last_step(tmp_path: Path) -> None:
    doc = check(str(CONFIG_40M), str(capacity_log(tmp_path / "train.log")), "--at", "350")
    s = doc["schedule"]
    assert s["lr_at"] == pytest.approx(6e-4 * 351 / 701)  # nanoGPT get_lr warmup: lr * (it+1) / (warmup+1)
    progress = (14_500 - 700) / (20_000 - 700)
    import math

    expected = 6e-5 + 0.5 * (1 + math.cos(math.pi * progress)) * (6e-4 - 6e-5)
    assert s["lr_last"] == pytest.approx(expected) and s["share_of_peak_last"] == pytest.approx(expected / 6e-4)
    assert s["warmup_tokens"] == 700 * 524_288


def test_schedule_warnings(tmp_path: Path) -> None:
    config = tmp_path / "c.py"
    config.write_text("n_layer = 12\nn_head = 12\nn_embd = 768\nmax_iters = 10000\nlr_decay_iters = 8000\n"
                      "learning_rate = 6e-4\nmin_lr = 3e-4\nwarmup_iters = 20\n")
    log = tmp_path / "losses.csv"
    log.write_text("step,loss\n" + "".join(f"{s},{4 + 1 / (s + 1):.4f}\n" for s in range(0, 1000, 10)))
    titles = [f["title"] for f in check(str(config), str(log))["findings"] if f["severity"] == "warning"]
    assert any(t.startswith("lr_decay_iters 8,000 != max_iters 10,000") for t in titles)
    assert any("min_lr 0.0003 is 50% of the peak" in t for t in titles)
    assert any(t.startswith("Very short warmup: 20 steps") for t in titles)


def test_a_llama_style_hf_config(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({
        "model_type": "llama", "hidden_size": 2048, "num_hidden_layers": 22, "num_attention_heads": 32,
        "num_key_value_heads": 4, "intermediate_size": 5632, "vocab_size": 32000, "max_position_embeddings": 2048,
        "tie_word_embeddings": False}))
    shutil.copy(EXAMPLES / "hf-trainer_state.json", tmp_path / "trainer_state.json")
    doc = check(str(tmp_path / "config.json"), str(tmp_path / "trainer_state.json"))
    assert doc["params"]["computed"] == 1_100_048_384  # TinyLlama-1.1B


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such config file"),
    ("{not json", "not valid JSON"),
    ("import os\nprint('hi')\n", "no model or training keys"),
])
def test_bad_configs_exit_2_with_one_line(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / ("c.json" if content and content.startswith("{") else "c.py")
    if content is not None:
        path.write_text(content)
    code, out, err = run_cli("config-check", str(path), str(EXAMPLES / "nanogpt-gpt2-124M.log"))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_log_that_does_not_match_the_config_exits_2() -> None:
    code, _, err = run_cli("config-check", str(CONFIG_40M), str(EXAMPLES / "nanogpt-gpt2-124M.log"))
    assert code == 2 and "does not match" in err and "123.69M" in err
    code, _, err = run_cli("analyze", str(EXAMPLES / "llmc-stdout.log"), "--config", str(CONFIG_40M))
    assert code == 2 and "the config says n_embd 384, the log says 768" in err


def test_config_on_analyze_adds_its_facts_to_the_section(tmp_path: Path) -> None:
    log = tmp_path / "losses.csv"
    log.write_text("step,loss\n" + "".join(f"{s},{4 + 1 / (s + 1):.4f}\n" for s in range(0, 1000, 10)))
    code, out, _ = run_cli("analyze", "--json", str(log))
    assert code == 0 and "config-check" not in json.loads(out)["sections"]
    code, out, _ = run_cli("analyze", "--json", str(log), "--config", str(CONFIG_40M))
    section = json.loads(out)["sections"]["config-check"]
    assert section["params"]["computed_as_printed"] == 40_560_000 and section["tokens"]["per_step"] == 524_288
    assert any("claims ~125M" in f["title"] for f in section["findings"])


def test_config_feeds_the_spike_lr_and_the_projection(tmp_path: Path) -> None:
    log = tmp_path / "losses.csv"
    log.write_text("step,loss\n" + "".join(f"{s},{4 + 1 / (s + 1) + (1.5 if s == 500 else 0):.4f}\n"
                                           for s in range(300, 700)))
    code, out, _ = run_cli("spikes", "--json", str(log), "--config", str(CONFIG_40M))
    spike = next(s for s in json.loads(out)["spikes"] if s["step"] == 500)
    assert spike["lr"] == pytest.approx(6e-4 * 501 / 701)
    from lossdoc.configs.attach import attach
    from lossdoc.parsers import load
    from lossdoc.schedule import schedule_for

    run = load(log)[0]
    assert schedule_for(run, 5001)[0] is None  # the log alone states no schedule
    attach(run, CONFIG_40M)
    sched, _ = schedule_for(run, 5001)  # what phases --project fits with
    assert sched.source.startswith("nanoGPT config") and sched.lr[5000] == pytest.approx(sched.spec.lr_at(5000))


# --- the corpus: one number for params and tokens per step, whichever command shows it -------------------------

STATED = sorted(p for p in CORPUS.glob("*/*") if p.suffix != ".md" and "runs-table" not in p.name) \
    if CORPUS.exists() else []
# analyze runs every analysis (seconds on the multi-MB logs): checked on the small logs that state a count
ANALYZED = ("yplarrywang-tinystories-50M-6000iters.log", "bigscience-megds-3d-perf-n16-divergence.out",
            "qwen3-14b-autoresearch-run399-10steps.log", "bosalign-valonly.txt")


@pytest.mark.skipif(not CORPUS.exists(), reason="corpus ../shared/corpus absent")
@pytest.mark.parametrize("path", STATED, ids=lambda p: p.name)
def test_show_config_check_and_analyze_agree_on_params_and_tokens(path: Path) -> None:
    # the library calls behind the three commands, on one read of the log (the CLI paths are tested above)
    from lossdoc.analyzers import config_check
    from lossdoc.cli import pick_run
    from lossdoc.parsers import load
    from lossdoc.summary import summarize

    runs = load(path)
    chosen = pick_run(runs, None)
    meta = next(r for r in summarize(runs, str(path))["runs"] if r["name"] == chosen.name)["meta"]
    stated = {"params": meta.get("params"), "tokens_per_step": meta.get("tokens_per_step")}
    doc = config_check.analyze(chosen).to_json()
    assert doc["params"]["logged"] == stated["params"] and doc["tokens"]["per_step"] == stated["tokens_per_step"]
    if path.name in ANALYZED:
        assert any(stated.values())
        code, out, _ = run_cli("analyze", "--json", str(path))
        section = json.loads(out)["sections"]["config-check"]
        assert section["params"]["logged"] == stated["params"]
        assert section["tokens"]["per_step"] == stated["tokens_per_step"]


def test_epoch_and_effective_batch_claims(tmp_path: Path) -> None:
    config = tmp_path / "c.py"
    config.write_text(CONFIG_40M.read_text().replace("# 20,000 iterations, ~10B tokens", "# one pass: 1 epoch")
                      .replace("batch_size = 16\n", "batch_size = 16  # effective batch ~1M tokens\n"))
    doc = check(str(config), "--dataset-tokens", "10485760000")  # the config alone, 10.49B tokens of data
    titles = [f["title"] for f in doc["findings"]]
    assert doc["tokens"]["epochs_planned"] == pytest.approx(1.0)
    assert not any("1 epoch" in t for t in titles)  # 20,000 x 524,288 = 10.49B: the claim holds
    assert any("~1M tokens per step" in t and "= 524K" in t for t in titles)


def test_a_character_level_config_with_its_vocab(tmp_path: Path) -> None:
    # nanoGPT config/train_shakespeare_char.py; train.py prints "number of parameters: 10.65M" with meta.pkl's 65
    config = tmp_path / "train_shakespeare_char.py"
    config.write_text("dataset = 'shakespeare_char'\ngradient_accumulation_steps = 1\nbatch_size = 64\n"
                      "block_size = 256\nn_layer = 6\nn_head = 6\nn_embd = 384\ndropout = 0.2\n"
                      "learning_rate = 1e-3\nmax_iters = 5000\nlr_decay_iters = 5000\nmin_lr = 1e-4\n")
    doc = check(str(config))
    assert any("meta.pkl" in n for n in doc["config"]["notes"])  # the default 50304 is said to be assumed
    doc = check(str(config), "--vocab", "65")
    assert round(doc["params"]["computed_as_printed"] / 1e4) / 100 == 10.65
    assert not any("meta.pkl" in n for n in doc["config"]["notes"])


def test_the_shipped_capacity_example_alone_and_with_its_config() -> None:
    log = EXAMPLES / "nanogpt-fineweb-40M.log"
    code, out, _ = run_cli("analyze", "--json", str(log))
    section = json.loads(out)["sections"]["config-check"]
    assert section["params"]["logged"] == 40_560_000 == section["params"]["computed_as_printed"]
    assert section["tokens"]["seen"] == 14_500 * 524_288 and round(section["tokens"]["ratio"], 1) == 9.4
    assert not [f for f in section["findings"] if f["severity"] != "info"]  # no claim without the config's comment
    doc = check(str(CONFIG_40M), str(log))
    assert [f["severity"] for f in doc["findings"]].count("warning") == 1  # the ~125M claim
    assert not doc["config"]["conflicts"]  # the echo is this config


@pytest.mark.parametrize(("dropout", "eval_gap", "expect"), [
    (0.1, -0.01, "dropout = 0.1 is active in the training loss"),  # eval-mode train below val: dropout explains it
    (0.1, +0.05, "not dropout alone: even the eval-mode train loss"),
    (0.0, +0.05, "not dropout alone"),
    (0.0, None, "not dropout (dropout = 0: log: nanoGPT config echo dropout); likely a single small val split"),
])
def test_val_below_train_names_its_likely_cause(dropout: float, eval_gap: float | None, expect: str) -> None:
    import numpy as np

    from lossdoc.analyzers import config_check
    from lossdoc.run import make_run

    steps = np.arange(0, 1001, 10)
    train = 3.0 + 5.0 * (1 + steps / 50.0) ** -0.6
    evals = steps[::10]
    series = {"train/loss": (steps, train + 0.08), "val/loss": (evals, train[::10])}
    if eval_gap is not None:
        series["train/eval_loss"] = (evals, train[::10] + eval_gap)
    config = {"dropout": dropout, "n_layer": 2, "batch_size": 8, "block_size": 256, "eval_iters": 100}
    run = make_run("r", series, {"format": "nanogpt", "config": config})
    (finding,) = [f for f in config_check.analyze(run).findings if f.title.startswith("Val < train")]
    assert expect in finding.title and finding.evidence["step"] == 1000


NANOGPT_TRAIN_GPT2 = """\
# config for training GPT-2 (124M) down to very nice loss of ~2.85 on 1 node of 8X A100 40GB
# launch as the following (e.g. in a screen session) and wait ~5 days:
# $ torchrun --standalone --nproc_per_node=8 train.py config/train_gpt2.py

wandb_log = True
wandb_project = 'owt'
wandb_run_name='gpt2-124M'

# these make the total batch size be ~0.5M
# 12 batch size * 1024 block size * 5 gradaccum * 8 GPUs = 491,520
batch_size = 12
block_size = 1024
gradient_accumulation_steps = 5 * 8

# this makes total number of tokens be 300B
max_iters = 600000
lr_decay_iters = 600000

# eval stuff
eval_interval = 1000
eval_iters = 200
log_interval = 10

# weight decay
weight_decay = 1e-1
"""


def test_nanogpts_own_train_gpt2_config_is_consistent(tmp_path: Path) -> None:
    # karpathy/nanoGPT config/train_gpt2.py: its claims (124M, ~0.5M per step, 300B tokens) all hold
    path = tmp_path / "train_gpt2.py"
    path.write_text(NANOGPT_TRAIN_GPT2)
    doc = check(str(path))
    assert doc["tokens"]["per_step"] == 491_520 and doc["tokens"]["planned"] == 600_000 * 491_520
    assert doc["params"]["claimed"] == 124e6
    assert not [f["title"] for f in doc["findings"] if f["severity"] != "info"]
    path.write_text(NANOGPT_TRAIN_GPT2.replace("max_iters = 600000", "max_iters = 60000"))
    titles = [f["title"] for f in check(str(path))["findings"] if f["severity"] == "warning"]
    assert any("~300B tokens" in t and "= 29.5B" in t for t in titles)


def test_lr_at_a_printed_llmc_step_from_the_header_alone() -> None:
    from .conftest import corpus_file

    log = corpus_file("llmc_stdout/hector-a100-gpt2-124M-full.log")
    doc = check(str(log), "--at", "1")
    s = doc["schedule"]
    assert s["lr_at"] == pytest.approx(6e-4 / 700)  # the log prints `lr 8.57e-07` at step 1
    assert s["check_against_log"]["matches"] and s["check_against_log"]["points"] == 19_559
    assert s["last_step"] == 19_560 and s["share_of_peak_last"] == pytest.approx(0.0, abs=1e-3)


def test_gpt2_xl_like_config_and_its_claim(tmp_path: Path) -> None:
    path = tmp_path / "train_xl.py"
    path.write_text("# GPT-2 XL, 1.5B params\nn_layer = 48\nn_head = 25\nn_embd = 1600\nbias = True\n"
                    "batch_size = 1\nblock_size = 1024\ngradient_accumulation_steps = 512\n")
    doc = check(str(path), "--vocab", "50257")
    assert doc["params"]["computed"] == 1_557_611_200 and doc["params"]["claimed"] == 1.5e9
    assert not any("claims" in f["title"] for f in doc["findings"])  # 1.56B is ~1.5B
    path.write_text(path.read_text().replace("n_layer = 48", "n_layer = 12"))
    claim = next(f for f in check(str(path), "--vocab", "50257")["findings"] if "claims ~1.5B" in f["title"])
    # the head size is GPT-2's 64, so the depth is what is off: 12 layers where the claim needs ~46
    assert "n_layer = 12, not 46" in claim["title"] and claim["advice"].startswith("To reach ~1.5B keep n_embd = 1600")


def test_the_lr_at_the_last_step_is_the_logged_one_when_the_schedule_is_off_the_log() -> None:
    # the header states the peak only: llm.c's defaults (warmup 0, final 0) do not match the LR this log prints,
    # whose last line says `lr 6.00e-05`; the report must not quote the rebuilt 2.6e-10 as the run's LR
    out = CliRunner().invoke(app, ["config-check", "--json", str(EXAMPLES / "llmc-stdout-spikes.log")])
    schedule = json.loads(out.stdout)["schedule"]
    assert schedule["check_against_log"]["matches"] is False
    assert schedule["lr_last"] == pytest.approx(6.0e-05) and schedule["lr_last_source"] == "logged"
    titles = [f["title"] for f in json.loads(out.stdout)["findings"]]
    assert any(t.startswith("The schedule from the stated settings and defaults") for t in titles)


@pytest.mark.parametrize(("val_offset", "flagged"), [(0.0, False), (-0.05, True)])
def test_val_below_train_reads_train_at_the_eval_step_not_lagging_behind_it(val_offset: float, flagged: bool) -> None:
    """A falling train loss averaged over the window before an eval sits above the loss at the eval step; on a
    healthy run (val on the same curve as train) that is no reason to say val < train. A val truly below is."""
    import numpy as np

    from lossdoc.analyzers import config_check
    from lossdoc.run import make_run

    steps = np.arange(0, 1001)
    curve = 3.0 + 5.0 * (1 + steps / 50.0) ** -0.6  # falls 0.0046/step at the end: 0.1 over a 50-step mean
    train = curve + np.random.default_rng(3).normal(0, 0.05, len(steps))
    evals = steps[::100]
    config = {"dropout": 0.0, "n_layer": 2, "batch_size": 8, "block_size": 256, "eval_iters": 100}
    run = make_run("r", {"train/loss": (steps, train), "val/loss": (evals, curve[::100] + val_offset)},
                   {"format": "nanogpt", "config": config})
    below = [f for f in config_check.analyze(run).findings if f.title.startswith("Val < train")]
    assert bool(below) is flagged


# karpathy/nanoGPT config/finetune_shakespeare.py as shipped: a fine-tune of GPT-2 XL, with its comments
NANOGPT_FINETUNE = """\
import time

out_dir = 'out-shakespeare'
eval_interval = 5
eval_iters = 40
wandb_log = False # feel free to turn on
wandb_project = 'shakespeare'
wandb_run_name = 'ft-' + str(time.time())

dataset = 'shakespeare'
init_from = 'gpt2-xl' # this is the largest GPT-2 model

# only save checkpoints if the validation loss improves
always_save_checkpoint = False

# the number of examples per iter:
# 1 batch_size * 32 grad_accum * 1024 tokens = 32,768 tokens/iter
# shakespeare has 301,966 tokens, so 1 epoch ~= 9.2 iters
batch_size = 1
gradient_accumulation_steps = 32
max_iters = 20

# finetune at constant LR
learning_rate = 3e-5
decay_lr = False
"""


def gpt2_params_by_hand(layers: int, width: int, vocab: int, block: int) -> int:
    """GPT-2 with biases, tied head: per layer 2 LayerNorms (4d), attention (4d^2 + 4d), MLP (8d^2 + 5d); the final
    LayerNorm (2d); token and position embeddings."""
    return layers * (12 * width**2 + 13 * width) + 2 * width + vocab * width + block * width


def test_nanogpts_finetune_config_is_the_pretrained_model_and_its_comments_hold(tmp_path: Path) -> None:
    path = tmp_path / "finetune_shakespeare.py"
    path.write_text(NANOGPT_FINETUNE)
    doc = check(str(path))
    facts = doc["config"]["facts"]
    assert facts["init_from"]["value"] == "gpt2-xl"
    assert [facts[k]["value"] for k in ("n_layer", "n_head", "n_embd", "vocab_size", "block_size")] == [
        48, 25, 1600, 50257, 1024]
    assert doc["params"]["computed"] == gpt2_params_by_hand(48, 1600, 50257, 1024)  # 1.56B, not train.py's 124M
    assert doc["tokens"]["per_step"] == 32_768
    # "1 ... * 1024 tokens = 32,768 tokens/iter" holds; "has 301,966 tokens" is the data's size and "1 epoch ~= 9.2
    # iters" what an epoch is: none of them is a wrong claim; and a fine-tune has no from-scratch Chinchilla budget
    assert not [f["title"] for f in doc["findings"] if f["severity"] != "info"]
    assert doc["tokens"]["chinchilla_optimal"] is None and not any("Chinchilla" in f["title"] for f in doc["findings"])
    # train.py crops a smaller block_size, and the checkpoint's shape wins over the config's own
    path.write_text(NANOGPT_FINETUNE.replace("'gpt2-xl'", "'gpt2'") + "block_size = 256\nn_layer = 6\n")
    facts = check(str(path))["config"]["facts"]
    assert facts["block_size"]["value"] == 256 and facts["n_layer"]["value"] == 12


def test_a_fine_tune_log_is_not_judged_against_ln_vocab(tmp_path: Path) -> None:
    lines = ["Overriding config with config/finetune_shakespeare.py:", *NANOGPT_FINETUNE.rstrip("\n").split("\n"),
             "tokens per iteration will be: 32,768", "Initializing from OpenAI GPT-2 weights: gpt2-xl",
             "number of parameters: 1555.97M"]
    for step in range(0, 21):
        if step % 5 == 0:
            lines.append(f"step {step}: train loss {3.3 - 0.02 * step:.4f}, val loss {3.35 - 0.02 * step:.4f}")
        lines.append(f"iter {step}: loss {3.3 - 0.02 * step:.4f}, time 900.00ms, mfu 30.00%")
    log = tmp_path / "ft.log"
    log.write_text("\n".join(lines) + "\n")
    code, out, err = run_cli("phases", str(log), "--json")
    assert code == 0, err
    init = json.loads(out)["init"]
    assert init["verdict"] == "fine_tune" and "init_from 'gpt2-xl'" in init["title"]


def test_nanogpts_eval_config_counts_the_checkpoint_it_evaluates(tmp_path: Path) -> None:
    # karpathy/nanoGPT config/eval_gpt2_medium.py: no nanoGPT training key but init_from, and a claim that holds
    path = tmp_path / "eval_gpt2_medium.py"
    path.write_text("# evaluate the base gpt2\n# n_layer=24, n_head=16, n_embd=1024\n# 350M parameters\n"
                    "batch_size = 8\neval_iters = 500 # use more iterations to get good estimate\n"
                    "eval_only = True\nwandb_log = False\ninit_from = 'gpt2-medium'\n")
    doc = check(str(path))
    assert doc["params"]["computed"] == gpt2_params_by_hand(24, 1024, 50257, 1024)
    assert doc["params"]["claimed"] == 350e6 and not any("claims" in f["title"] for f in doc["findings"])
    assert any("eval_only = True" in n for n in doc["config"]["notes"])


def test_a_qwen3_config_json_under_its_own_name(tmp_path: Path) -> None:
    # a model config saved as qwen3-14b.json (not config.json) is a config, and its heads of 128 and q/k norms count
    path = tmp_path / "qwen3-14b.json"
    path.write_text(json.dumps({
        "architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "head_dim": 128, "hidden_size": 5120,
        "intermediate_size": 17408, "num_attention_heads": 40, "num_hidden_layers": 40, "num_key_value_heads": 8,
        "tie_word_embeddings": False, "vocab_size": 151936, "attention_bias": False}))
    doc = check(str(path))
    assert doc["params"]["computed"] == 14_768_307_200  # what torchtitan prints for Qwen3-14B
    state = tmp_path / "state.json"  # a trainer_state.json under another name stays a log
    shutil.copy(EXAMPLES / "hf-trainer_state.json", state)
    assert check(str(state))["config"]["facts"]["trainer"]["source"] == "log: trainer_state.json"


TORCHTITAN_TOML = """\
# torchtitan Config.toml (train_configs/llama3_8b.toml)
[job]
dump_folder = "./outputs"

[model]
name = "llama3"
flavor = "8B"

[optimizer]
name = "AdamW"
lr = 3e-4

[lr_scheduler]
warmup_steps = 200  # lr scheduler warm up

[training]
local_batch_size = 1
seq_len = 8192
max_norm = 1.0  # grad norm clipping
steps = 1000
dataset = "c4"

[parallelism]
data_parallel_replicate_degree = 1
data_parallel_shard_degree = -1
"""


def torchtitan_lr_by_hand(step: int, steps: int, warmup: int, ratio: float | None, lr_min: float) -> float:
    """torchtitan linear_warmup_stable_decay (linear decay), written here; a multiplier of the peak."""
    decay = round(steps * ratio) if ratio is not None else steps - warmup
    stable_end = steps - decay
    if step < warmup:
        return (step + 1) / (warmup + 1)
    if step < stable_end:
        return 1.0
    progress = ((step + 1) - stable_end) / (decay + 1)
    return lr_min + (1 - lr_min) * (1 - progress)


def test_a_torchtitan_toml_is_a_config(tmp_path: Path) -> None:
    path = tmp_path / "llama3_8b.toml"
    path.write_text(TORCHTITAN_TOML)
    doc = check(str(path))
    facts = {k: v["value"] for k, v in doc["config"]["facts"].items()}
    assert (facts["n_layer"], facts["n_embd"], facts["intermediate_size"], facts["vocab_size"]) == (
        32, 4096, 14336, 128256)
    assert doc["params"]["computed"] == 8_030_261_248  # meta-llama/Meta-Llama-3-8B
    assert (facts["max_steps"], facts["warmup_steps"], facts["grad_clip"], facts["lr_schedule"]) == (
        1000, 200, 1.0, "linear")
    assert any("data_parallel_shard_degree -1" in n for n in doc["config"]["notes"])
    # a warmup/stable/decay with a floor: rebuilt, and at step 900 within 1% of the peak of torchtitan's own LR
    path.write_text(TORCHTITAN_TOML.replace("warmup_steps = 200", "warmup_steps = 200\ndecay_ratio = 0.2\n"
                                            "lr_min = 0.1"))
    doc = check(str(path), "--at", "900")
    assert doc["config"]["facts"]["lr_schedule"]["value"] == "wsd"
    want = 3e-4 * torchtitan_lr_by_hand(900, 1000, 200, 0.2, 0.1)
    assert doc["schedule"]["lr_at"] == pytest.approx(want, abs=0.01 * 3e-4)
    # a sqrt decay is said, not rebuilt as something else
    path.write_text(TORCHTITAN_TOML.replace("warmup_steps = 200", 'warmup_steps = 200\ndecay_type = "sqrt"'))
    doc = check(str(path))
    assert "lr_schedule" not in doc["config"]["facts"]
    assert any("decay_type sqrt" in n for n in doc["config"]["notes"])
    path.write_text("[training\nsteps = 3")
    code, out, err = run_cli("config-check", str(path))
    assert code == 2 and out == "" and err.startswith("lossdoc: error:") and "not valid TOML" in err
    assert len(err.strip().splitlines()) == 1


# the lines of karpathy/build-nanogpt train_gpt2.py a config read sees (the rest is code: classes, a loop)
BUILD_NANOGPT_SCRIPT = """\
import os
import torch
from dataclasses import dataclass

@dataclass
class GPTConfig:
    block_size: int = 1024 # max sequence length
    vocab_size: int = 50257 # number of tokens: 50,000 BPE merges + 256 bytes tokens + 1 <|endoftext|> token
    n_layer: int = 12 # number of layers
    n_head: int = 12 # number of heads
    n_embd: int = 768 # embedding dimension

ddp = int(os.environ.get('RANK', -1)) != -1 # is this a ddp run?
total_batch_size = 524288 # 2**19, ~0.5M, in number of tokens
B = 64 # micro batch size
T = 1024 # sequence length
assert total_batch_size % (B * T * ddp_world_size) == 0, "make sure total_batch_size is divisible by B * T * ddp_world_size"
model = GPT(GPTConfig(vocab_size=50304))
max_lr = 6e-4
min_lr = max_lr * 0.1
warmup_steps = 715
max_steps = 19073 # 19,073 steps is ~1 epoch, if data is 10B tokens and batch size 0.5M tokens
"""


def test_build_nanogpts_training_script_as_the_config(tmp_path: Path) -> None:
    path = tmp_path / "train_gpt2.py"
    path.write_text(BUILD_NANOGPT_SCRIPT)
    doc = check(str(path))
    facts = {k: v["value"] for k, v in doc["config"]["facts"].items()}
    assert (facts["batch_size"], facts["block_size"], facts["tokens_per_step"], facts["bias"]) == (
        64, 1024, 524_288, True)
    assert (facts["lr_schedule"], facts["decay_steps"], facts["lr_min"]) == ("cosine", 19073, pytest.approx(6e-5))
    assert "grad_accum" not in facts  # not nanoGPT's default 40
    assert doc["params"]["computed"] == gpt2_params_by_hand(12, 768, 50304, 1024)  # 124,475,904
    # its comments hold: ~0.5M tokens a step (not ~0.5M parameters), 10B tokens of data (not a budget)
    assert not [f["title"] for f in doc["findings"] if f["severity"] != "info"]

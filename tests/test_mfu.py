"""lossdoc mfu: known answers computed here from the logs' own numbers (not by the library), corpus cases, CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from lossdoc.analyzers import ANALYZERS, gap, gradients, mfu
from lossdoc.analyzers.steptime import analyze_step_times
from lossdoc.cli import app
from lossdoc.errors import InputError
from lossdoc.findings import Severity
from lossdoc.gpu_table import GPUS
from lossdoc.parsers import load
from lossdoc.run import make_run
from tests.conftest import EXAMPLES, corpus_file
from tests.loaded import runs_of

runner = CliRunner()

# GPT-2 124M as nanoGPT prints it: 123.69M parameters (without position embeddings), 12 x 768, block 1024
N, L, D, T = 123_690_000, 12, 768, 1024
TOKENS_PER_ITER = 12 * 1024 * 40
H100_SXM_BF16 = 989.4  # H100 SXM datasheet: 1,979 TFLOPS bf16 with sparsity, dense half
NANOGPT_PEAK = 312.0  # nanoGPT model.py estimate_mfu: A100 bf16


def nanogpt_log(
    path: Path, printed_mfu: float, iters: int = 1000, eval_every: int = 250, seed: int = 0, world: int = 1
) -> float:
    """A nanoGPT train.py stdout whose printed MFU is ``printed_mfu`` against 312 TFLOPS; returns the step time (s).

    The iter right after each eval carries the eval's time (x20), and the printed MFU is nanoGPT's running
    average (0.9 * old + 0.1 * new) over logged iters, which those steps drag down.
    """
    flops_per_token = 6 * N + 12 * L * D * T
    # nanoGPT's printed MFU is per process: tokens per iteration / world size
    dt = flops_per_token * TOKENS_PER_ITER / world / (printed_mfu / 100 * NANOGPT_PEAK * 1e12)
    rng = np.random.default_rng(seed)
    lines = [
        "Overriding config with config/train_gpt2.py:",
        "n_layer = 12", "n_head = 12", "n_embd = 768", "block_size = 1024", "batch_size = 12",
        "gradient_accumulation_steps = 40", f"max_iters = {iters}", f"eval_interval = {eval_every}",
        "log_interval = 10", "dropout = 0.0",
        f"tokens per iteration will be: {TOKENS_PER_ITER:,}",
        "number of parameters: 123.69M",
    ]  # fmt: skip
    running = -1.0
    loss = 10.9
    for it in range(0, iters + 1, 10):
        if it % eval_every == 0:
            lines.append(f"step {it}: train loss {loss:.4f}, val loss {loss + 0.02:.4f}")
        t = dt * (1 + 0.003 * rng.standard_normal()) * (20 if it % eval_every == 0 else 1)
        mfu_now = printed_mfu * dt / t
        shown = -100.0
        if it >= 50:
            running = mfu_now if running < 0 else 0.9 * running + 0.1 * mfu_now
            shown = running
        lines.append(f"iter {it}: loss {loss:.4f}, time {t * 1000:.2f}ms, mfu {shown:.2f}%")
        loss = 3.3 + (loss - 3.3) * 0.97
    path.write_text("\n".join(lines) + "\n")
    return dt


def test_nanogpt_h100_printing_104_percent_is_about_33(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    dt = nanogpt_log(log, printed_mfu=104.0)
    run = load(log)[0]
    r = mfu.analyze(run, gpu="NVIDIA H100 80GB HBM3")
    truth = 100 * (6 * N + 12 * L * D * T) * TOKENS_PER_ITER / dt / (H100_SXM_BF16 * 1e12)
    assert truth == pytest.approx(104 * NANOGPT_PEAK / H100_SXM_BF16, rel=1e-9)  # the same thing, said two ways
    assert round(truth) == 33
    assert r.mfu["median"] == pytest.approx(truth, rel=0.005)
    assert r.peak_tflops == H100_SXM_BF16 and r.gpu == "H100 SXM"
    assert r.logged_mfu["median"] > 100
    over = [f for f in r.findings if "above 100%" in f.title]
    assert over and "312" in over[0].title and f"{r.mfu['median']:.1f}%" in over[0].title
    # without a GPU, the printed 104% cannot be corrected: a warning that says the peak is wrong
    blind = mfu.analyze(run)
    assert blind.mfu is None and blind.peak_tflops is None
    assert any(f.severity == Severity.WARNING and "above 100%" in f.title for f in blind.findings)


def test_eval_inflated_steps_are_excluded(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    nanogpt_log(log, printed_mfu=40.0, iters=1000, eval_every=250)
    r = mfu.analyze(load(log)[0], gpu="a100")
    st = r.step_time
    # iters 250, 500, 750, 1000 follow an eval (iter 0 is warm-up)
    assert [s["step"] for s in st.slow] == [250, 500, 750, 1000] and st.excluded == 4 and st.at_eval == 4
    assert r.mfu["median"] == pytest.approx(40.0, rel=0.01)  # A100 is nanoGPT's own peak: printed = real
    assert r.mfu["p10"] > 0.98 * r.mfu["median"]  # the slow steps did not get into the distribution
    assert r.logged_mfu["median"] < 40.0  # the printed running average is dragged down by them


def test_gpu_count_implied_by_the_per_gpu_printed_mfu(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    nanogpt_log(log, printed_mfu=40.0, world=4)
    r = mfu.analyze(load(log)[0], gpu="a100")
    assert mfu.implied_gpu_count(r) == 4 and any("about 4 GPUs" in f.title for f in r.findings)
    right = mfu.analyze(load(log)[0], gpu="a100", gpus=4)
    assert mfu.implied_gpu_count(right) is None and right.mfu["median"] == pytest.approx(40.0, rel=0.01)
    one = tmp_path / "one.log"
    nanogpt_log(one, printed_mfu=40.0, world=1)
    assert mfu.implied_gpu_count(mfu.analyze(load(one)[0], gpu="a100")) is None


def test_step_time_share_and_drift_known_answer() -> None:
    steps = np.arange(1, 1001)
    ms = np.full(1000, 100.0)
    ms[np.arange(99, 1000, 100)] = 1100.0  # every 100th step costs 1 s more (10 slow steps, 1% of steps)
    st = analyze_step_times(steps, ms)
    truth = 10 * 1000.0 / (100.0 * (1000 - 5) + 10 * 1000.0)  # extra time / wall time after 5 warm-up steps
    assert st.slow_period == 100 and st.excluded == 10
    assert st.slow_share_of_time == pytest.approx(truth, rel=1e-6)
    ms2 = np.linspace(100, 150, 1000)  # 1.5x slower by the end
    assert analyze_step_times(steps, ms2).drift["ratio"] > 1.25


def test_llmc_a100_against_its_own_printed_mfu() -> None:
    path = corpus_file("llmc_stdout/hector-a100-gpt2-124M-full.log")
    text = path.read_text(errors="replace")
    ms = np.array([float(m) for m in re.findall(r"^step +\d+/\d+ .*?\| ([\d.]+) ms \|", text, re.M)])
    printed = np.array([float(m) for m in re.findall(r"\| ([\d.]+)% bf16 MFU", text)])
    n, layers, width, seq, tokens = 124_475_904, 12, 768, 1024, 524_288  # the log's header table
    ms_ok = ms[5:][ms[5:] < 1.5 * np.median(ms[5:])]
    llmc = (6 * n + 6 * layers * width * seq) * tokens / (ms_ok / 1000) / 312e12 * 100  # llm.c: half the attention
    palm = (6 * n + 12 * layers * width * seq) * tokens / (ms_ok / 1000) / 312e12 * 100
    run = runs_of(path)[0]
    r = mfu.analyze(run)
    assert r.gpu == "A100 PCIe 40GB" and r.peak_tflops == 312 and r.gpu_count == 1
    assert r.mfu["median"] == pytest.approx(np.median(palm), rel=0.002)
    assert r.logged_mfu["median"] == pytest.approx(np.median(printed[5:]), abs=0.05)
    assert np.median(llmc) == pytest.approx(np.median(printed[5:]), rel=0.01)  # llm.c's own convention
    said = [f for f in r.findings if f.title.startswith("printed MFU")]
    assert said and "llmc" in said[0].title and "6N + 6*L*d*T" in said[0].title
    same = mfu.analyze(run, convention="llmc")
    assert same.mfu["median"] == pytest.approx(r.logged_mfu["median"], rel=0.01)
    assert not [f for f in same.findings if f.title.startswith("printed MFU")]


def test_torchtitan_mfu_na_recomputed_from_its_tflops_and_peak() -> None:
    path = corpus_file("torchtitan/qwen3-14b-autoresearch-run399-10steps.log")
    text = re.sub(r"\x1b\[[0-9;]*m", "", path.read_text(errors="replace"))
    tflops = [float(v.replace(",", "")) for v in re.findall(r"tflops: ([\d,.]+)", text)]
    assert "mfu: N/A" in text and len(tflops) == 10
    truth = 100 * float(np.median(tflops[1:])) / 2250.0  # step 1 compiles; peak = the log's 2.250e+15
    r = mfu.analyze(runs_of(path)[0])
    assert r.gpu == "B200" and r.gpu_count == 8 and r.mfu_method == "logged_tflops"
    assert r.mfu["median"] == pytest.approx(truth, rel=1e-6)
    assert any("992.9 TFLOPS" in f.title for f in r.findings)
    assert r.achieved_tflops == pytest.approx(float(np.median(tflops[1:])))
    # "Converted modules to use dynamic mxfp8_rceil quantization ... linear ops": the matmuls ran in MXFP8
    assert "mxfp8" in text and r.fp8_peak == 4500 and r.fp8_mfu == pytest.approx(truth / 2, rel=1e-6)


def test_modded_nanogpt_2x_rtx4090_named_by_nvidia_smi() -> None:
    path = corpus_file("modded-nanogpt/tyler-romero-6312steps-tokps-vram.txt")
    text = path.read_text(errors="replace")
    assert len(re.findall(r"NVIDIA GeForce RTX 4090", text)) == 2
    times = np.array([float(t) for t in re.findall(r"^step:\d+/\d+ train_loss:\S+ train_time:(\d+)ms", text, re.M)])
    dts = np.diff(times)[5:]
    n = 12 * 12 * 768**2 + 50304 * 768  # from the GPTConfig banner: 12 layers, 768 wide, vocab 50304
    per_gpu = 524_288 / 2 / (dts / 1000)
    truth = float(np.median((6 * n + 12 * 12 * 768 * 1024) * per_gpu / 165.2e12 * 100))
    r = mfu.analyze(runs_of(path)[0])
    assert (r.gpu, r.gpu_count, r.peak_tflops, r.gpu_kind) == ("RTX 4090", 2, 165.2, "consumer")
    assert r.mfu["median"] == pytest.approx(truth, rel=0.01)
    assert not [f for f in r.findings if f.severity != Severity.INFO]  # ~56%: below the check-the-peak line


@pytest.mark.parametrize(("relative", "vocab", "layers", "width"), [
    ("modded-nanogpt/fp4-19073steps-spike.txt", 50304, 12, 1024),
    ("modded-nanogpt/soap-6000steps.txt", 50257, 12, 768),
])
def test_modded_nanogpt_size_from_its_num_vocab_constant(relative: str, vocab: int, layers: int, width: int) -> None:
    # GPT(GPTConfig(vocab_size=num_vocab, n_layer=12, ...)) after `num_vocab = ...`: these records' MFU needs it
    path = corpus_file(relative)
    text = path.read_text(errors="replace")
    assert re.search(rf"^num_vocab = {vocab}$", text, re.M)
    assert f"GPTConfig(vocab_size=num_vocab, n_layer={layers}" in text and f"n_embd={width}))" in text
    times = np.array([float(t) for t in re.findall(r"^step:\d+/\d+ train_loss:\S+ train_time:(\d+)ms", text, re.M)])
    n = 12 * layers * width**2 + vocab * width
    per_gpu = 8 * 64 * 1024 / 8 / (np.diff(times)[5:] / 1000)  # batch 8x64 sequences of 1024 on 8 H100s
    truth = float(np.median((6 * n + 12 * layers * width * 1024) * per_gpu / 989.4e12 * 100))
    r = mfu.analyze(runs_of(path)[0])
    assert r.gpu_count == 8 and r.mfu is not None
    assert r.mfu["median"] == pytest.approx(truth, rel=0.01)


def _synthetic(gpu: str | None, ms: float, **meta) -> object:
    steps = np.arange(1, 201)
    base = {"params": N, "n_layer": L, "n_embd": D, "block_size": T, "tokens_per_step": TOKENS_PER_ITER}
    if gpu:
        base["gpu"] = gpu
    return make_run("s", {"train/step_time_ms": (steps, np.full(200, ms))}, dict(base, **meta))


def test_consumer_card_above_60_percent_says_check_the_peak_and_over_100_is_wrong() -> None:
    fpt = 6 * N + 12 * L * D * T
    ms_for = lambda pct, peak: fpt * TOKENS_PER_ITER / (pct / 100 * peak * 1e12) * 1000  # noqa: E731
    r = mfu.analyze(_synthetic("NVIDIA GeForce RTX 4090", ms_for(70, 165.2)))
    assert r.mfu["median"] == pytest.approx(70, rel=1e-6)
    assert any(f.severity == Severity.WARNING and "check the peak" in f.title for f in r.findings)
    r = mfu.analyze(_synthetic("NVIDIA A100-SXM4-80GB", ms_for(120, 312)))
    assert any(f.severity == Severity.WARNING and "above 100%" in f.title for f in r.findings)
    ok = mfu.analyze(_synthetic("NVIDIA A100-SXM4-80GB", ms_for(45, 312)))
    assert not [f for f in ok.findings if f.severity != Severity.INFO]


def test_flags_peak_dtype_gpus_price() -> None:
    run = _synthetic("NVIDIA H100 80GB HBM3", 1000.0, world_size=8)
    r = mfu.analyze(run, peak_tflops=500.0, gpus=4, price_per_gpu_hour=2.0)
    per_gpu = TOKENS_PER_ITER / 4 / 1.0
    assert r.peak_tflops == 500 and r.gpu_count == 4 and r.tokens_per_sec == pytest.approx(per_gpu * 4)
    assert r.hours_per_1b_tokens == pytest.approx(1e9 / (per_gpu * 4) / 3600)
    assert r.cost_per_1b_tokens == pytest.approx(r.hours_per_1b_tokens * 4 * 2.0)
    assert mfu.analyze(run, dtype="fp8").peak_tflops == pytest.approx(1978.9)
    assert mfu.analyze(run).gpu_count == 8  # the world size the log states
    with pytest.raises(InputError):
        mfu.analyze(run, gpu="NVIDIA H1000")
    with pytest.raises(InputError):
        mfu.analyze(run, convention="palm2")


def test_unknown_gpu_is_said_never_an_a100_fallback() -> None:
    r = mfu.analyze(_synthetic("Quadro RTX 8000", 1000.0))
    assert r.peak_tflops is None and r.mfu is None
    assert any("not in the table" in f.title for f in r.findings)


def test_an_unnamed_gpu_and_no_gpu_count_never_say_per_gpu_for_a_total() -> None:
    """Without the GPU count the achieved rate is the whole job's; above any one GPU's dense peak it says the job
    ran on several, and the advice asks for --gpus too."""
    fpt = 6 * N + 12 * L * D * T
    ms_for = lambda tflops: fpt * TOKENS_PER_ITER / (tflops * 1e12) * 1000  # noqa: E731
    fastest = max(e["peaks"]["bf16"] for e in GPUS if "bf16" in e["peaks"])
    [f] = [f for f in mfu.analyze(_synthetic(None, ms_for(2 * fastest))).findings if "MFU unknown" in f.title]
    assert "in all (the log states no GPU count" in f.title and "ran on several" in f.title
    assert "per GPU achieved" not in f.title and "--gpus N" in f.advice
    [f] = [f for f in mfu.analyze(_synthetic(None, ms_for(100.0))).findings if "MFU unknown" in f.title]
    assert "in all" in f.title and "ran on several" not in f.title
    counted = mfu.analyze(_synthetic(None, ms_for(800.0), world_size=8))
    [f] = [f for f in counted.findings if "MFU unknown" in f.title]
    assert "100.0 TFLOPS per GPU achieved" in f.title and "--gpus" not in f.advice


def test_cli_json_contract_and_errors(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    nanogpt_log(log, printed_mfu=104.0)
    res = runner.invoke(app, ["mfu", str(log), "--gpu", "h100", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    for key in ("gpu", "peak_tflops", "convention", "flops_per_token", "mfu", "logged_mfu", "tokens_per_sec", "findings"):
        assert key in doc
    assert set(doc["mfu"]) >= {"median", "p10", "p90"} and "median" in doc["logged_mfu"]
    bad = runner.invoke(app, ["mfu", str(log), "--gpu", "H1000"])
    assert bad.exit_code == 2 and "close matches" in bad.stderr and "Traceback" not in bad.output
    text = runner.invoke(app, ["mfu", str(log), "--gpu", "h100"])
    assert text.exit_code == 0 and "989.4" in text.stdout and "MFU" in text.stdout


# --- healthy runs: no warning or problem from the mfu, gap and gradients analyses ---------------------------------
HEALTHY = [
    "llmc/mng-llmc-gpt2-124M-8xH100.log",
    "llmc_stdout/hector-a100-gpt2-124M-full.log",
    "nanogpt/yplarrywang-tinystories-50M-6000iters.log",
    "modded-nanogpt/soap-6000steps.txt",
]


@pytest.mark.parametrize("relative", HEALTHY)
def test_healthy_corpus_runs_are_silent(relative: str) -> None:
    _assert_silent(corpus_file(relative))


@pytest.mark.parametrize(
    "name", sorted(p.name for p in EXAMPLES.iterdir() if p.name != "llmc-stdout-spikes.log"), ids=str
)
def test_healthy_examples_are_silent(name: str) -> None:
    _assert_silent(EXAMPLES / name)


def _assert_silent(path: Path) -> None:
    runs = runs_of(path)
    run = max(runs, key=lambda r: len(r.df))
    for analyzer in (mfu, gap, gradients):
        assert analyzer in ANALYZERS
        if analyzer.applies(run):
            continue
        loud = [f.title for f in analyzer.analyze(run).findings if f.severity != Severity.INFO]
        assert not loud, f"{path.name} {analyzer.NAME}: {loud}"


def test_megatron_achieved_tflops_rescaled_to_the_gpu_given() -> None:
    path = corpus_file("megatron/bigscience-tr8b-104B-chronicles-excerpt-spike-overflow.log")
    tflops = [float(v) for v in re.findall(r"TFLOPs: ([\d.]+)", path.read_text(errors="replace"))]
    run = runs_of(path)[0]
    blind = mfu.analyze(run)
    assert blind.mfu is None and any("does not name the GPU" in f.title for f in blind.findings)
    r = mfu.analyze(run, gpu="NVIDIA A100-SXM4-80GB")
    kept = tflops[1:]  # the first logged point is skipped as warm-up
    assert r.mfu_method == "logged_tflops" and r.mfu["median"] == pytest.approx(100 * np.median(kept) / 312)


def test_a_logged_mfu_column_with_no_finite_value_is_no_mfu_not_an_error(tmp_path: Path) -> None:
    # a CSV whose mfu column is NaN throughout (a logger that printed it before it had a step time): there is no
    # printed MFU to read, and no convention to infer from it (this was an internal error)
    log = tmp_path / "nan-mfu.csv"
    log.write_text("step,loss,mfu\n" + "".join(f"{s},{10.9 - 0.3 * s:.2f},nan\n" for s in range(1, 9)))
    result = runner.invoke(app, ["mfu", str(log), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["logged_mfu"] is None and doc["mfu"] is None


@pytest.mark.parametrize(("drop", "missing"), [
    ("tokens_per_step", "no tokens per step"),  # a val-only record: its size and step time, not its batch
    ("params", "no parameter count"),
])
def test_mfu_not_computed_says_what_the_log_lacks(drop: str, missing: str) -> None:
    meta = {"params": N, "n_layer": L, "n_embd": D, "block_size": T, "tokens_per_step": TOKENS_PER_ITER,
            "gpu": "NVIDIA H100 80GB HBM3"}
    if drop == "params":
        for key in ("params", "n_layer", "n_embd"):
            meta.pop(key)
    else:
        meta.pop(drop)
    steps = np.arange(1, 201)
    r = mfu.analyze(make_run("s", {"train/step_time_ms": (steps, np.full(200, 300.0))}, meta))
    assert r.mfu is None
    (finding,) = [f for f in r.findings if f.title.startswith("MFU not computed")]
    assert f"the log states {missing}" in finding.title
    other = "no parameter count" if drop != "params" else "no tokens per step"
    assert other not in finding.title


def test_newer_modded_record_counts_the_layers_not_the_embedding_lookups() -> None:
    # bosalign: 275.7M parameters, 154.5M of them token and value embeddings (lookups); the train loader draws
    # world_size * args.seq_len tokens a step; 6N of the total had put it at 83% MFU
    path = corpus_file("modded-nanogpt/bosalign-valonly.txt")
    text = path.read_text(errors="replace")
    non_embedding = int(re.search(r"^  Non-embedding parameters: ([\d,]+)$", text, re.M).group(1).replace(",", ""))
    assert re.search(r"^    seq_len = 48\*1024 ", text, re.M) and "world_size * args.seq_len" in text
    assert len(re.findall(r"NVIDIA H100 80GB HBM3", text)) >= 8
    tokens = 8 * 48 * 1024
    clock = re.findall(r"^step:(\d+)/\d+ train_time:(\d+)ms", text, re.M)
    steps, ms = np.array([int(s) for s, _ in clock]), np.array([float(t) for _, t in clock])
    per_step = np.diff(ms)[5:] / np.diff(steps)[5:]
    truth = float(np.median(6 * non_embedding * tokens / 8 / (per_step / 1000) / 989.4e12 * 100))
    r = mfu.analyze(runs_of(path)[0])
    assert r.flops_per_token == 6 * non_embedding
    assert r.mfu["median"] == pytest.approx(truth, rel=0.02)
    assert 30 < r.mfu["median"] < 45

"""The core readers (nanoGPT, llm.c main.log, llm.c stdout, W&B panel CSV) on small logs of their own, each quirk
of the grammar once, and on the real corpus logs, whose record counts must match ../shared/corpus/README.md."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from lossdoc import InputError, load
from lossdoc.parsers import PARSERS, detect

from .conftest import corpus_file


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


NANOGPT_LOG = """\
Overriding config with config/train_shakespeare_char.py:
# train a miniature character-level shakespeare model
out_dir = 'out-shakespeare-char'
eval_interval = 250 # keep frequent because we'll overfit
batch_size = 64
dropout = 0.2
tokens per iteration will be: 16,384
found vocab_size = 65 (inside data/shakespeare_char/meta.pkl)
number of parameters: 10.65M
step 0: train loss 4.2874, val loss 4.2823
iter 0: loss 4.2654, time 29678.32ms, mfu -100.00%
iter 1: loss 3.9711, time 62.10ms, mfu -100.00%
GRADIENT IS NONE!!! at 1
iter 5: loss 3.1000, time 61.90ms, mfu 12.34%
\x1b[1;34mwandb\x1b[0m: Run summary:
Traceback (most recent call last):
  File "train.py", line 302, in <module>
KeyboardInterrupt
iter 6: loss nan, time 62.00ms, mfu 12.30%
iter 7: loss 3.0"""


def test_nanogpt_records_header_and_accounting(tmp_path: Path) -> None:
    (run,) = load(write(tmp_path, "train.log", NANOGPT_LOG))
    assert run.meta["format"] == "nanogpt"
    loss = run.series("train/loss")
    assert list(loss.index) == [0, 1, 5, 6]
    assert loss[5] == pytest.approx(3.1) and math.isnan(loss[6])
    # mfu -100.00% is nanoGPT's "not measured yet": NaN, never -100
    mfu = run.series("train/mfu")
    assert math.isnan(mfu[0]) and math.isnan(mfu[1]) and mfu[5] == pytest.approx(12.34)
    assert run.series("val/loss")[0] == pytest.approx(4.2823)
    assert run.series("train/eval_loss")[0] == pytest.approx(4.2874)
    assert run.meta["tokens_per_step"] == 16384
    assert run.meta["vocab_size"] == 65
    assert run.meta["params"] == pytest.approx(10.65e6)
    assert run.meta["config"] == {"out_dir": "out-shakespeare-char", "eval_interval": 250, "batch_size": 64,
                                  "dropout": 0.2}
    lines = run.meta["lines"]
    assert lines["total"] == 20
    assert lines["used"] == 5
    # the noise line and the cut-off last record are not understood, and shown
    assert lines["unparsed"] == 2
    assert lines["used"] + lines["ignored"] + lines["unparsed"] == lines["total"]
    assert [n for n, _ in run.meta["unparsed_sample"]] == [13, 20]
    assert run.meta["truncated_last_line"] == "iter 7: loss 3.0"


def test_nanogpt_counter_back_to_zero_is_a_new_run_and_partial_is_a_rollback(tmp_path: Path) -> None:
    lines = [f"iter {s}: loss {5 - s / 100:.4f}, time 10.00ms, mfu 1.00%" for s in range(0, 300, 10)]
    lines += [f"iter {s}: loss {9.0:.4f}, time 10.00ms, mfu 1.00%" for s in range(200, 250, 10)]  # resume from 200
    lines += [f"iter {s}: loss {4.0:.4f}, time 10.00ms, mfu 1.00%" for s in range(0, 50, 10)]  # a new run
    runs = load(write(tmp_path, "two.log", "\n".join(lines) + "\n"))
    assert [r.name for r in runs] == ["run-1", "run-2"]
    first, second = runs
    # 5 repeated iter lines x 3 series (loss, time, mfu)
    assert first.meta["rollbacks"] == [{"from_step": 290, "to_step": 200, "superseded": 15}]
    loss = first.series("train/loss")
    assert len(loss) == 30 and loss[200] == 9.0 and loss[290] == pytest.approx(2.1)  # later value wins
    assert list(second.series("train/loss").index) == [0, 10, 20, 30, 40]


def test_llmc_new_and_old_grammar(tmp_path: Path) -> None:
    new = "s:0 tel:11.0092\ns:0 trl:11.0091 lr:0.000001 norm:15.37\ns:1 trl:10.9598 lr:0.000002 norm:15.24\n" \
          "s:1 eval:0.2500\ns:2 tel:9.5\n"
    (run,) = load(write(tmp_path, "main.log", new))
    assert run.meta["format"] == "llmc"
    assert run.series("train/lr")[1] == pytest.approx(2e-6)
    assert run.series("train/grad_norm")[0] == pytest.approx(15.37)
    assert list(run.series("val/loss").index) == [0, 2]  # the final tel is one past the last trl
    assert run.series("val/hellaswag")[1] == 0.25
    (old,) = load(write(tmp_path, "old.log", "s:0 tel:10.968871\ns:0 trl:10.965596\ns:1 trl:10.814037\n"))
    assert old.names() == ["train/loss", "val/loss"]
    assert old.meta["lines"] == {"total": 3, "used": 3, "ignored": 0, "unparsed": 0}


LLMC_STDOUT = """\
+-----------------------+----------------------------------------------------+
| Parameter             | Value                                              |
+-----------------------+----------------------------------------------------+
| device                | NVIDIA A100-PCIE-40GB                              |
| peak TFlops           | 312.0                                              |
| total batch size      | 524288                                             |
| num_parameters        | 124475904                                          |
+-----------------------+----------------------------------------------------+
val loss 11.007921
step    1/19560 | loss 11.009662 (+nanz)| norm 15.0789 (+nanz)| lr 8.57e-07 | 4230.95 ms | 31.9% bf16 MFU | 123917 tok/s
step    2/19560 | loss 10.950000 (+1.20z)| norm 14.0000 (-0.50z)| lr 1.71e-06 | 4200.00 ms | 32.0% bf16 MFU | 124000 tok/s
val loss 10.5
evaluating HellaSwag: 0/1256\revaluating HellaSwag: 10/1256\rHellaSwag: 2493/10042 = 0.248257
step    3/19560 | loss     nan (+nanz)| norm    nan (slurmstepd: error: *** JOB 11679031 CANCELLED ***
"""


def test_llmc_stdout_val_without_step_header_table_and_cut_record(tmp_path: Path) -> None:
    (run,) = load(write(tmp_path, "slurm.log", LLMC_STDOUT))
    assert run.meta["format"] == "llmc-stdout"
    val = run.series("val/loss")
    assert list(val.index) == [0, 2]  # before the first step: step 0; else the last printed step
    assert run.series("val/hellaswag")[2] == pytest.approx(0.248257)
    assert run.meta["params"] == 124475904 and run.meta["peak_tflops"] == 312.0
    assert run.meta["tokens_per_step"] == 524288 and run.meta["gpu"] == "NVIDIA A100-PCIE-40GB"
    assert run.series("train/mfu")[1] == 31.9 and run.series("train/tokens_per_sec")[2] == 124000
    loss = run.series("train/loss")
    assert list(loss.index) == [1, 2, 3] and math.isnan(loss[3])  # the cut record keeps step and loss
    assert run.meta["truncated_records"] == 1
    assert 3 not in run.series("train/lr").index
    assert run.series("train/loss_z")[2] == pytest.approx(1.2)


WANDB = '''"Step","a - train/loss","a - train/loss__MIN","a - train/loss__MAX","b - train/loss","b - train/loss__MIN","b - train/loss__MAX"
"0","10.9","10.9","10.9","11.0","11.0","11.0"
"1","7.0","7.0","7.0","",""," "
"2","6.5","6.5","6.5","","",""
'''


def test_wandb_panel_export_one_run_per_name(tmp_path: Path) -> None:
    runs = load(write(tmp_path, "wandb_export.csv", WANDB))
    assert [r.name for r in runs] == ["a", "b"]
    assert list(runs[0].series("train/loss").index) == [0, 1, 2]
    assert list(runs[1].series("train/loss").index) == [0]
    assert runs[0].meta["band_columns_skipped"] == 4
    assert runs[0].names() == ["train/loss"]


def test_wandb_runs_table_is_refused_with_a_reason(tmp_path: Path) -> None:
    table = '"Name","State","Notes","User"\n"G1","finished","-",""\n"G2","finished","-",""\n'
    with pytest.raises(InputError, match="runs-table export .*2 run rows.*no time series"):
        load(write(tmp_path, "runs.csv", table))


def test_non_utf8_bytes_and_inf_are_read_and_counted(tmp_path: Path) -> None:
    data = b"iter 0: loss 5.0, time 1.00ms, mfu 1.00%\n\xff\xfe odd bytes\niter 1: loss inf, time 1.00ms, mfu 1.00%\n"
    (run,) = load(write(tmp_path, "bytes.log", data))
    assert run.meta["decode_errors"] == 1
    assert math.isinf(run.series("train/loss")[1])


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (b"\x00\x01\x02binary\x00", "binary"),
        (b"It was the best of times, it was the worst of times.\n", "no reader recognised"),
    ],
)
def test_bad_input_is_an_input_error(tmp_path: Path, content: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load(write(tmp_path, "bad.log", content))


@pytest.mark.parametrize(
    ("relative", "lines", "fmt", "record"),
    [
        ("megatron/bigscience-megds-3d-perf-n16-divergence.out", 700, "megatron", "`iteration N/M | ... lm loss`"),
        ("llmc_stdout/hector-a100-gpt2-124M-full.log", 20, "llmc-stdout", "`step N/M | loss`"),
    ],
)
def test_a_launch_that_logged_no_step_yet_is_named(tmp_path: Path, relative: str, lines: int, fmt: str,
                                                     record: str) -> None:
    """A run that died in setup (or a log cut before its first step): the first lines of a real log of the format."""
    from tests.conftest import corpus_file

    head = corpus_file(relative).read_text(errors="replace").splitlines(True)[:lines]
    with pytest.raises(InputError) as err:
        load(write(tmp_path, "setup.log", "".join(head)))
    text = str(err.value)
    assert f"the start of a log in the {fmt} format, but no {record} line in its first 256 KB" in text
    assert "no reader recognised" not in text


def test_unknown_format_names_readers_and_first_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        load(write(tmp_path, "prose.txt", "\nhello world\nmore\n"))
    text = str(err.value)
    assert "'hello world'" in text
    for parser in PARSERS:
        assert parser.NAME in text


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load(tmp_path / "nope.log")
    with pytest.raises(InputError):
        load(tmp_path)


# (corpus path, reader, {series: points}) from ../shared/corpus/README.md
CORPUS_COUNTS = [
    ("llmc/mng-llmc-gpt2-124M-8xH100.log", "llmc", {"train/loss": 19560, "val/loss": 80}),
    ("llmc/mng-adamw-baseline-oldfmt.log", "llmc", {"train/loss": 9536, "val/loss": 76}),
    ("llmc_stdout/hector-a100-gpt2-124M-full.log", "llmc-stdout", {"train/loss": 19560, "val/loss": 80}),
    ("llmc_stdout/hector-a100-allnan-cancelled.log", "llmc-stdout", {"train/loss": 16256, "val/loss": 66}),
    ("nanogpt/yplarrywang-tinystories-50M-6000iters.log", "nanogpt", {"train/loss": 601, "val/loss": 25}),
    ("nanogpt/chongwei-linesearch-divergence-4xA40-output.log", "nanogpt", {"train/loss": 266, "val/loss": 27}),
    ("nanogpt/druidowm-shakespeare-char-interrupted-output.log", "nanogpt", {"train/loss": 2156, "val/loss": 11}),
]


@pytest.mark.parametrize("relative, reader, counts", CORPUS_COUNTS, ids=[c[0] for c in CORPUS_COUNTS])
def test_corpus_counts(relative: str, reader: str, counts: dict[str, int]) -> None:
    path = corpus_file(relative)
    assert detect(path).NAME == reader
    (run,) = load(path)
    for name, points in counts.items():
        assert len(run.series(name)) == points, name
    lines = run.meta["lines"]
    assert lines["used"] + lines["ignored"] + lines["unparsed"] == lines["total"]


def test_corpus_allnan_run_is_all_nan_and_marked_truncated() -> None:
    (run,) = load(corpus_file("llmc_stdout/hector-a100-allnan-cancelled.log"))
    assert run.series("train/loss").isna().all() and run.series("val/loss").isna().all()
    assert "slurmstepd" in run.meta["truncated_last_line"]


def test_corpus_headers_into_meta() -> None:
    (tiny,) = load(corpus_file("nanogpt/yplarrywang-tinystories-50M-6000iters.log"))
    assert tiny.meta["tokens_per_step"] == 262144 and tiny.meta["params"] == pytest.approx(50.93e6)
    assert tiny.meta["config"]["n_layer"] == 8 and tiny.meta["config"]["bias"] is False
    assert tiny.name == "ts-50m-r1-0615"
    (llmc,) = load(corpus_file("llmc_stdout/hector-a100-gpt2-124M-full.log"))
    assert llmc.meta["params"] == 124475904 and llmc.meta["n_layer"] == 12 and llmc.meta["warmup_steps"] == 700
    assert len(llmc.series("val/hellaswag")) == 79


def test_corpus_wandb_export_gives_8_runs() -> None:
    runs = load(corpus_file("wandb_csv/druidowm-nanogpt-8runs-train-loss-minmax.csv"))
    assert len(runs) == 8
    lengths = sorted(len(r.series("train/loss")) for r in runs)
    assert lengths[0] == 51 and lengths[-1] == 386
    gpt2 = next(r for r in runs if r.name == "gpt2")
    assert gpt2.series("train/loss").iloc[0] == pytest.approx(10.95, abs=0.01)
    with pytest.raises(InputError, match="runs-table export"):
        load(corpus_file("wandb_csv/lucas-nanogpt-ablations-runs-table-export.csv"))

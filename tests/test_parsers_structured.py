"""Readers of structured logs: HF Trainer state, Lightning metrics.csv, TensorBoard events, generic tables,
and `lossdoc show` on a directory."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lossdoc.cli import app
from lossdoc.errors import InputError
from lossdoc.parsers import detect, hf_trainer, lightning_csv, load, table, tensorboard
from tests.conftest import EXAMPLES, corpus_file

runner = CliRunner()


def accounted(meta: dict) -> bool:
    lines = meta["lines"]
    return lines["used"] + lines["ignored"] + lines["unparsed"] == lines["total"]


# ----------------------------------------------------------------------------------------- HF Trainer


def test_hf_corpus_multi_eval_overfit() -> None:
    path = corpus_file("hf_trainer_state/trainer-state-viz-multi-eval-overfit.json")
    [run] = load(path)
    assert run.meta["format"] == "hf-trainer"
    # corpus README: 30 train entries + 186 eval entries (6 eval sets), no plain eval_loss
    assert run.meta["lines"] == {"total": 216, "used": 216, "ignored": 0, "unparsed": 0}
    assert run.meta["lines_unit"] == "log_history entries"
    assert len(run.series("train/loss")) == 30
    assert not run.has("val/loss")
    for k in range(6):
        assert len(run.series(f"val/g{k}_loss")) == 31
    assert (run.meta["max_steps"], run.meta["logging_steps"], run.meta["eval_steps"]) == (12030, 500, 500)
    assert run.meta["train_batch_size"] == 4
    # textbook overfitting: train 1.107 -> 0.055 while every eval loss ends above its minimum
    train = run.series("train/loss")
    assert train.iloc[0] == pytest.approx(1.1074) and train.iloc[-1] == pytest.approx(0.0549)
    g0 = run.series("val/g0_loss")
    assert g0.min() == pytest.approx(1.11375, abs=1e-4) and g0.iloc[-1] == pytest.approx(2.74867, abs=1e-4)
    assert set(run.series("train/lr").unique()) == {1e-5}


def _state(history: list) -> dict:
    return {
        "global_step": 30,
        "max_steps": 30,
        "logging_steps": 10,
        "eval_steps": 20,
        "train_batch_size": 16,
        "log_history": history,
    }


def test_hf_known_answer(tmp_path: Path) -> None:
    history = [
        {"epoch": 0.1, "grad_norm": 2.5, "learning_rate": 1e-4, "loss": 3.0, "num_tokens": 1000.0, "step": 10},
        {
            "epoch": 0.2,
            "grad_norm": 2.0,
            "learning_rate": 2e-4,
            "loss": 2.5,
            "num_tokens": 2000.0,
            "mean_token_accuracy": 0.4,
            "step": 20,
        },
        {"epoch": 0.2, "eval_loss": 2.6, "eval_code_loss": 2.9, "eval_runtime": 3.0, "step": 20},
        {"epoch": 0.3, "loss": float("nan"), "learning_rate": 3e-4, "step": 30},
        {"predict_loss": 2.7, "predict_runtime": 1.0},  # no step: kept in meta
        "not an entry",
        {"epoch": 0.3, "step": 30, "train_loss": 2.75, "train_runtime": 12.0, "total_flos": 1e12},
    ]
    path = tmp_path / "trainer_state.json"
    path.write_text(json.dumps(_state(history)))
    [run] = load(path)
    assert run.series("train/loss").index.tolist() == [10, 20, 30]
    assert math.isnan(run.series("train/loss")[30])  # NaN is a value, not a missing row
    assert run.series("train/lr").tolist() == [1e-4, 2e-4, 3e-4]
    assert run.series("train/grad_norm").tolist() == [2.5, 2.0]
    assert run.series("train/tokens").tolist() == [1000.0, 2000.0]
    assert run.series("train/epoch").tolist() == [0.1, 0.2, 0.3]  # the eval entry's epoch is not repeated
    assert run.series("train/mean_token_accuracy").tolist() == [0.4]
    assert run.series("val/loss").to_dict() == {20: 2.6}
    assert run.series("val/code_loss").to_dict() == {20: 2.9}
    assert not run.has("val/runtime") and run.meta["skipped_keys"] == ["eval_runtime"]
    assert run.meta["summary"]["train_loss"] == 2.75
    assert run.meta["stepless_entries"] == [{"predict_loss": 2.7, "predict_runtime": 1.0}]
    assert run.meta["lines"] == {"total": 7, "used": 4, "ignored": 2, "unparsed": 1}
    assert run.meta["train_batch_size"] == 16 and run.meta["eval_steps"] == 20
    assert run.name == tmp_path.name  # trainer_state.json is named after its checkpoint directory


def test_hf_checkpoint_dirs(tmp_path: Path) -> None:
    out = tmp_path / "output"
    for step in (100, 200, 50):
        ckpt = out / f"checkpoint-{step}"
        ckpt.mkdir(parents=True)
        history = [{"loss": 5.0 - s / 100, "step": s} for s in range(10, step + 1, 10)]
        (ckpt / "trainer_state.json").write_text(json.dumps(_state(history)))
    # the output directory: the newest checkpoint holds the whole history so far
    [run] = load(out)
    assert run.series("train/loss").index.max() == 200
    assert run.meta["source"].endswith("checkpoint-200/trainer_state.json")
    # a checkpoint directory
    [run] = load(out / "checkpoint-100")
    assert len(run.series("train/loss")) == 10
    assert detect(out / "checkpoint-50") is hf_trainer


def test_hf_bad_json_is_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "trainer_state.json"
    path.write_text('{"global_step": 3, "log_history": [{"loss": 1.0, "step": 1},')
    with pytest.raises(InputError, match="not valid JSON"):
        hf_trainer.parse(path)
    result = runner.invoke(app, ["show", str(tmp_path)])
    assert result.exit_code == 2 and "not valid JSON" in result.stderr and "Traceback" not in result.output


# ------------------------------------------------------------------------------------------ Lightning


def test_lightning_example_crlf_sparse() -> None:
    path = EXAMPLES / "lightning-metrics.csv"
    assert b"\r\n" in path.read_bytes()[:200]
    assert detect(path) is lightning_csv
    [run] = load(path)
    assert accounted(run.meta) and run.meta["lines"]["unparsed"] == 0
    assert run.meta["crlf"] is True
    loss = run.series("train/loss")
    assert loss.index.tolist() == list(range(9, 400, 10))  # train_loss_step -> train/loss, one point per row
    assert run.series("val/loss").index.tolist() == [99, 199, 299, 399]
    assert run.series("train/loss_epoch").index.tolist() == [99, 199, 299, 399]
    assert run.series("train/lr").index.tolist() == loss.index.tolist()  # lr-AdamW -> train/lr
    epoch = run.series("train/epoch")
    assert epoch.index.is_unique and epoch[99] == 0 and epoch[109] == 1  # one epoch point per step
    assert run.meta["duplicates_superseded"] == 0


@pytest.mark.parametrize(
    "header, expected",
    [
        (
            ["epoch", "step", "train_loss_step", "train_loss_epoch", "val_loss"],
            ["train/epoch", None, "train/loss", "train/loss_epoch", "val/loss"],
        ),
        (
            ["val_acc_step", "val_acc_epoch", "test_loss", "loss"],
            ["val/acc_step", "val/acc", "test/loss", "train/loss"],
        ),
        (
            ["lr-Adam", "lr-Adam/pg2", "train/loss", "valid_ppl"],
            ["train/lr", "train/lr_adam_pg2", "train/loss", "val/ppl"],
        ),
        (["train_acc", "grad_norm", "step"], ["train/acc", "train/grad_norm", None]),
    ],
)
def test_lightning_column_names(header: list[str], expected: list[str | None]) -> None:
    assert lightning_csv.column_names(header) == expected


def test_lightning_version_dir_with_hparams(tmp_path: Path) -> None:
    version = tmp_path / "lightning_logs" / "version_3"
    version.mkdir(parents=True)
    # an old Lightning header: insertion order, not sorted
    rows = ["train_loss,epoch,step,val_loss", "2.5,0,0,", "2.0,0,1,", ",0,1,2.2", "", "1.5,1,2,"]
    (version / "metrics.csv").write_text("\r\n".join(rows) + "\r\n")
    (version / "hparams.yaml").write_text("lr: 0.001\nbatch_size: 32\nmodel:\n  n_layer: 6\n")
    [run] = load(version)
    assert run.meta["format"] == "lightning-csv" and run.name == "version_3"
    assert run.meta["hparams"] == {"lr": 0.001, "batch_size": 32, "model": {"n_layer": 6}}
    assert run.series("train/loss").to_dict() == {0: 2.5, 1: 2.0, 2: 1.5}
    assert run.series("val/loss").to_dict() == {1: 2.2}
    assert run.meta["lines"] == {"total": 6, "used": 4, "ignored": 2, "unparsed": 0}


def test_lightning_hparams_python_tags_not_executed(tmp_path: Path) -> None:
    (tmp_path / "metrics.csv").write_text("epoch,step,train_loss\n0,0,2.0\n")
    (tmp_path / "hparams.yaml").write_text("opt: !!python/object/apply:os.system ['echo pwned']\n")
    [run] = load(tmp_path)
    assert "hparams" not in run.meta and "hparams_error" in run.meta


# ---------------------------------------------------------------------------------------- TensorBoard


def write_events(path: Path, events: list[tuple[float, int, dict[str, float]]], tensor: bool = False) -> None:
    """An event file written with tensorboard's own record framing; `tensor=True` writes TF2-style scalars."""
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboard.summary.writer.record_writer import RecordWriter
    from tensorboard.util import tensor_util

    path.parent.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    with path.open("wb") as fh:
        writer = RecordWriter(fh)
        writer.write(Event(wall_time=events[0][0] if events else 0.0, file_version="brain.Event:2").SerializeToString())
        for wall, step, scalars in events:
            values = []
            for tag, value in scalars.items():
                if tensor:
                    meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
                    proto = tensor_util.make_tensor_proto(value, dtype="float32")
                    values.append(Summary.Value(tag=tag, tensor=proto, metadata=None if tag in seen else meta))
                    seen.add(tag)
                else:
                    values.append(Summary.Value(tag=tag, simple_value=value))
            writer.write(Event(wall_time=wall, step=step, summary=Summary(value=values)).SerializeToString())


def test_tensorboard_example_hf_tags() -> None:
    path = EXAMPLES / "events.out.tfevents.hf-trainer-example"
    assert detect(path) is tensorboard
    [run] = load(path)
    assert run.meta["lines_unit"] == "events" and accounted(run.meta)
    assert run.meta["lines"] == {"total": 106, "used": 105, "ignored": 1, "unparsed": 0}
    assert len(run.series("train/loss")) == 100 and len(run.series("train/lr")) == 100  # train/learning_rate
    assert run.series("val/loss").index.tolist() == [100, 200, 300, 400, 500]  # eval/loss
    assert run.has("val/runtime")  # every scalar kept


def test_tensorboard_keeps_every_point(tmp_path: Path) -> None:
    n = 12_000  # TensorBoard's EventAccumulator would keep a 10,000-point reservoir sample
    events = [(1000.0 + s, s, {"loss": 10.0 - s * 1e-4}) for s in range(n)]
    write_events(tmp_path / "run" / "events.out.tfevents.1.host", events)
    [run] = load(tmp_path / "run")
    loss = run.series("train/loss")
    assert len(loss) == n and loss[n - 1] == pytest.approx(10.0 - (n - 1) * 1e-4, rel=1e-6)


def test_tensorboard_tf2_tensor_scalars(tmp_path: Path) -> None:
    # TF2 writes scalars as 0-d tensors; the plugin metadata comes with the first value of a tag only
    events = [(1.0 + s, s, {"epoch_loss": 3.0 - s / 8, "learning_rate": 0.5}) for s in range(8)]
    write_events(tmp_path / "events.out.tfevents.2.host", events, tensor=True)
    [run] = load(tmp_path / "events.out.tfevents.2.host")
    assert run.series("train/epoch_loss").tolist() == pytest.approx([3.0 - s / 8 for s in range(8)])
    assert run.series("train/lr").tolist() == [0.5] * 8


def test_tensorboard_run_dir_merges_files_in_wall_time_order(tmp_path: Path) -> None:
    # Keras layout: logs/train and logs/validation, the same tag in each
    write_events(
        tmp_path / "logs" / "train" / "events.out.tfevents.1.a",
        [(10.0 + s, s, {"epoch_loss": 3.0 - s / 10}) for s in range(5)],
    )
    write_events(
        tmp_path / "logs" / "validation" / "events.out.tfevents.2.a",
        [(10.5 + s, s, {"epoch_loss": 3.1 - s / 10}) for s in range(5)],
    )
    # a resumed run: a second file in the same directory going back from step 4 to step 3
    write_events(
        tmp_path / "logs" / "train" / "events.out.tfevents.3.a",
        [(100.0, 3, {"epoch_loss": 9.0}), (101.0, 4, {"epoch_loss": 8.0})],
    )
    [run] = load(tmp_path / "logs")
    assert run.series("train/epoch_loss").to_dict() == pytest.approx({0: 3.0, 1: 2.9, 2: 2.8, 3: 9.0, 4: 8.0})
    assert run.series("val/epoch_loss").to_dict() == pytest.approx({0: 3.1, 1: 3.0, 2: 2.9, 3: 2.8, 4: 2.7})
    assert run.meta["rollbacks"] == [{"from_step": 4, "to_step": 3, "superseded": 2}]
    assert len(run.meta["event_files"]) == 3 and accounted(run.meta)


@pytest.mark.parametrize(
    "tag, hint, expected",
    [
        ("train/loss", "", "train/loss"),
        ("train/learning_rate", "", "train/lr"),
        ("eval/loss", "", "val/loss"),
        ("eval/accuracy", "", "val/accuracy"),
        ("Loss/train", "", "train/loss"),
        ("Loss/validation", "", "val/loss"),
        ("epoch_loss", "val", "val/epoch_loss"),
        ("lr", "", "train/lr"),
    ],
)
def test_tensorboard_tag_names(tag: str, hint: str, expected: str) -> None:
    assert tensorboard.tag_name(tag, hint) == expected


def test_tensorboard_truncated_file_keeps_what_came_before(tmp_path: Path) -> None:
    path = tmp_path / "events.out.tfevents.9.x"
    write_events(path, [(1.0 + s, s, {"train/loss": 5.0 - s / 100}) for s in range(50)])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 7])  # cut inside the last record
    [run] = load(path)
    assert len(run.series("train/loss")) == 49


def test_tensorboard_absent_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = EXAMPLES / "events.out.tfevents.hf-trainer-example"
    for name in [m for m in sys.modules if m == "tensorboard" or m.startswith("tensorboard.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # import tensorboard -> ImportError
    result = runner.invoke(app, ["show", str(path)])
    assert result.exit_code == 2
    assert "pip install 'lossdoc[tensorboard]'" in result.stderr and "Traceback" not in result.output


# -------------------------------------------------------------------------------------- generic tables


def test_table_golden_pairs_corpus() -> None:
    path = corpus_file("torchtitan/ci-llama3-cuda-golden-losses.txt")
    assert detect(path) is table
    [run] = load(path)
    loss = run.series("train/loss")
    assert loss.index.tolist() == list(range(1, 101))
    assert loss[1] == 8.049097061157227 and loss[2] == 7.75183629989624
    assert run.meta["lines"] == {"total": 100, "used": 100, "ignored": 0, "unparsed": 0}


def test_table_examples() -> None:
    [csv_run] = load(EXAMPLES / "table-steps.csv")
    assert csv_run.meta["table_kind"] == "csv"
    assert len(csv_run.series("train/loss")) == 61 and len(csv_run.series("val/loss")) == 7
    assert csv_run.series("train/lr").index.tolist() == list(range(0, 301, 5))
    [jsonl] = load(EXAMPLES / "table-history.jsonl")
    assert jsonl.meta["table_kind"] == "jsonl" and jsonl.meta["skipped_keys"] == ["_runtime"]
    assert len(jsonl.series("train/loss")) == 31  # {"train": {"loss": ...}} flattened to train/loss
    assert jsonl.series("val/loss").index.tolist() == [0, 100, 200, 300]
    [pairs] = load(EXAMPLES / "table-losses.txt")
    assert pairs.meta["table_kind"] == "pairs" and len(pairs.series("train/loss")) == 100


def test_table_tsv_whitespace_and_headed_pairs(tmp_path: Path) -> None:
    tsv = tmp_path / "log.tsv"
    tsv.write_text("iteration\tloss\tnote\n1\t2.5\tok\n2\t2.4\t\n3\tnan\twarm\niteration\tloss\tnote\n4\tbad\tx\n")
    [run] = load(tsv)
    assert run.meta["table_kind"] == "tsv" and run.meta["text_columns"] == ["note"]
    assert run.series("train/loss").index.tolist() == [1, 2, 3] and math.isnan(run.series("train/loss")[3])
    assert run.meta["bad_cells"] == 1 and accounted(run.meta)
    spaced = tmp_path / "log.txt"
    spaced.write_text("# my run\nstep  val_loss  lr\n0  3.0  0.1\n10  2.5  0.1\n")
    [run] = load(spaced)
    assert run.series("val/loss").to_dict() == {0: 3.0, 10: 2.5}
    headed = tmp_path / "losses.txt"
    headed.write_text("step val_loss\n100 3.2\n200 3.1\n")
    [run] = load(headed)
    assert run.series("val/loss").to_dict() == {100: 3.2, 200: 3.1}


@pytest.mark.parametrize(
    "text",
    [
        '"Step","run - train/loss","run - train/loss__MIN"\n"1","2.0","2.0"\n',  # W&B panel export
        '"Name","State","iter","train/loss"\n"a","finished","100","2.0"\n"b","finished","90","2.1"\n',  # W&B runs
        "epoch,step,train_loss\n0,1,2.0\n0,2,1.9\n",  # Lightning: its own reader takes it
        "We train for 10 steps and step the scheduler\n1 2\n",  # prose that mentions step
        "0 train 10.955\n0 val 10.95\n",  # build-nanogpt log.txt
        "s:0 trl:11.0091 lr:0.000001 norm:15.37\n",  # llm.c
        "step,loss\nfoo,2.0\nbar,1.9\n",  # no step numbers under the step column
    ],
)
def test_table_sniff_refuses(text: str) -> None:
    assert not table.sniff(text)


# -------------------------------------------------------------------------------------- directories


def test_show_directory_lists_what_it_found(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("hello\n")
    (tmp_path / "ckpt").mkdir()
    result = runner.invoke(app, ["show", str(tmp_path)])
    assert result.exit_code == 2
    assert "found: ckpt/, notes.md" in result.stderr and "trainer_state.json" in result.stderr
    empty = tmp_path / "ckpt"
    result = runner.invoke(app, ["show", str(empty)])
    assert result.exit_code == 2 and "empty directory" in result.stderr


def test_show_directory_json(tmp_path: Path) -> None:
    ckpt = tmp_path / "checkpoint-20"
    ckpt.mkdir()
    history = [{"loss": 3.0, "step": 10}, {"loss": 2.0, "step": 20}, {"eval_loss": 2.1, "step": 20}]
    (ckpt / "trainer_state.json").write_text(json.dumps(_state(history)))
    result = runner.invoke(app, ["show", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["format"] == "hf-trainer"
    assert doc["runs"][0]["series"]["train/loss"]["points"] == 2
    assert doc["lines"] == {"total": 3, "used": 3, "ignored": 0, "unparsed": 0}


def test_tensorboard_run_dir_through_cli(tmp_path: Path) -> None:
    write_events(tmp_path / "runs" / "Nov22_host" / "events.out.tfevents.1.host", [(1.0, 1, {"train/loss": 4.0})])
    result = runner.invoke(app, ["show", str(tmp_path / "runs"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["format"] == "tensorboard"


def test_format_forced_on_directory(tmp_path: Path) -> None:
    (tmp_path / "metrics.csv").write_text("epoch,step,loss\n0,1,2.0\n")
    [run] = load(tmp_path, format="table")
    assert run.meta["format"] == "table" and run.series("train/loss").to_dict() == {1: 2.0}


# ------------------------------------------------------------------ fast (pandas) path == exact line loop


def _tidy(run) -> list[tuple]:
    return sorted(
        zip(run.df["step"], run.df["split"].astype(str), run.df["metric"].astype(str), run.df["value"], strict=True)
    )


@pytest.mark.parametrize("name", ["table-steps.csv", "table-losses.txt", "lightning-metrics.csv"])
def test_fast_path_matches_line_loop(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = EXAMPLES / name
    fast = load(path)
    assert not fast[0].meta["unparsed_sample"]
    monkeypatch.setattr(table, "_fast", lambda *args, **kwargs: None)
    monkeypatch.setattr(lightning_csv, "_fast", lambda *args, **kwargs: None)
    slow = load(path)
    assert len(fast) == len(slow) == 1
    assert _tidy(fast[0]) == _tidy(slow[0])
    assert fast[0].meta["lines"] == slow[0].meta["lines"]
    assert fast[0].meta["columns"] == slow[0].meta["columns"]


def test_fast_path_leaves_logged_nan_to_the_line_loop(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("step,loss,lr\n1,2.0,\n2,nan,0.1\n3,1.5,0.1\n")
    [run] = load(path)
    assert math.isnan(run.series("train/loss")[2])  # a logged NaN is a point
    assert run.series("train/lr").index.tolist() == [2, 3]  # an empty cell is not


def test_tensorboard_hf_text_summaries_into_meta(tmp_path: Path) -> None:
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboard.summary.writer.record_writer import RecordWriter
    from tensorboard.util import tensor_util

    path = tmp_path / "events.out.tfevents.5.host"
    text_meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="text"))
    args = json.dumps({"learning_rate": 5e-5, "per_device_train_batch_size": 8})
    with path.open("wb") as fh:
        writer = RecordWriter(fh)
        writer.write(Event(wall_time=1.0, file_version="brain.Event:2").SerializeToString())
        value = Summary.Value(tag="args/text_summary", tensor=tensor_util.make_tensor_proto(args), metadata=text_meta)
        writer.write(Event(wall_time=1.0, step=0, summary=Summary(value=[value])).SerializeToString())
        loss = Summary.Value(tag="train/loss", simple_value=2.0)
        writer.write(Event(wall_time=2.0, step=10, summary=Summary(value=[loss])).SerializeToString())
    [run] = load(path)
    assert run.meta["training_args"] == {"learning_rate": 5e-5, "per_device_train_batch_size": 8}
    assert run.meta["lines"] == {"total": 3, "used": 1, "ignored": 2, "unparsed": 0}
    assert run.series("train/loss").to_dict() == {10: 2.0}


def test_tensorboard_forced_on_a_text_file_is_an_input_error() -> None:
    result = runner.invoke(app, ["show", str(EXAMPLES / "table-steps.csv"), "--format", "tensorboard"])
    assert result.exit_code == 2 and "no TensorBoard event could be read" in result.stderr


def test_table_bookkeeping_columns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # TensorBoard's "Download CSV": the tag is in the file name, Wall time is not a series
    export = tmp_path / "run-version_0-tag-train_loss.csv"
    export.write_text("Wall time,Step,Value\n1716560000.5,10,3.5\n1716560001.5,20,3.25\n")
    # W&B history saved by pandas: an index column and _runtime / _timestamp bookkeeping
    history = tmp_path / "history.csv"
    history.write_text(",_step,_runtime,train/loss,eval/loss\n0,0,1.5,4.0,\n1,10,3.0,3.5,3.6\n")
    for fast in (True, False):
        if not fast:
            monkeypatch.setattr(table, "_fast", lambda *args, **kwargs: None)
        [run] = load(export)
        assert run.names() == ["train/loss"] and run.series("train/loss").to_dict() == {10: 3.5, 20: 3.25}
        assert run.meta["skipped_columns"] == ["Wall time"]
        [run] = load(history)
        assert run.names() == ["train/loss", "val/loss"]
        assert run.series("val/loss").to_dict() == {10: 3.6}
        assert run.meta["skipped_columns"] == ["", "_runtime"]


def test_directory_one_level_up(tmp_path: Path) -> None:
    logs = tmp_path / "lightning_logs"
    (logs / "version_0").mkdir(parents=True)
    (logs / "version_0" / "metrics.csv").write_text("epoch,step,train_loss\n0,1,2.0\n")
    [run] = load(logs)  # the only version below
    assert run.name == "version_0" and run.meta["format"] == "lightning-csv"
    (logs / "version_1").mkdir()
    (logs / "version_1" / "metrics.csv").write_text("epoch,step,train_loss\n0,1,2.0\n")
    result = runner.invoke(app, ["show", str(logs)])
    assert result.exit_code == 2
    assert "holds 2 runs (version_0/metrics.csv, version_1/metrics.csv); give one of them" in result.stderr

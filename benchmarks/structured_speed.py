"""Speed of the structured readers on large generated inputs, each against the plainest way to get the same
numbers, timed in the same process (best of N wall-clock runs; the first import of pandas is excluded).

    python benchmarks/structured_speed.py [--rows 1000000] [--entries 100000] [--events 100000] [--repeat 3]

    table CSV (step,lr,loss)      lossdoc.load  vs  pandas.read_csv
    table pairs (step value)      lossdoc.load  vs  pandas.read_csv(sep=r"\\s+")
    Lightning metrics.csv         lossdoc.load  vs  pandas.read_csv
    HF trainer_state.json         lossdoc.load  vs  json.load + a loop picking loss/eval_loss
    TensorBoard event file        lossdoc.load  vs  tensorboard's raw record iterator (no proto decoding)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import best_of  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))



def write_inputs(tmp: Path, rows: int, entries: int, events: int) -> dict[str, Path]:
    import numpy as np

    rng = np.random.default_rng(0)
    loss = 3 + 8 * (1 + np.arange(rows) / 30) ** -0.5 * (1 + 0.01 * rng.standard_normal(rows))
    csv_path = tmp / "table.csv"
    with csv_path.open("w") as fh:
        fh.write("step,lr,loss\n")
        fh.writelines(f"{s},0.0006,{v:.4f}\n" for s, v in enumerate(loss.tolist()))
    pairs = tmp / "losses.txt"
    with pairs.open("w") as fh:
        fh.writelines(f"{s} {v!r}\n" for s, v in enumerate(loss.tolist()))
    lightning = tmp / "metrics.csv"
    with lightning.open("w", newline="") as fh:
        fh.write("epoch,step,train_loss_step,val_loss\r\n")
        for s, v in enumerate(loss.tolist()):
            fh.write(f"{s // 1000},{s},{v:.6f},\r\n")
            if s % 1000 == 999:
                fh.write(f"{s // 1000},{s},,{v + 0.02:.6f}\r\n")
    history: list[dict[str, float]] = []
    for s in range(1, entries + 1):
        history.append(
            {"epoch": s / 1000, "grad_norm": 1.0, "learning_rate": 1e-4, "loss": float(loss[s % rows]), "step": s}
        )
    state = tmp / "trainer_state.json"
    state.write_text(json.dumps({"global_step": entries, "log_history": history}, indent=2))
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.summary.writer.record_writer import RecordWriter

    tb = tmp / "events.out.tfevents.bench"
    with tb.open("wb") as fh:
        writer = RecordWriter(fh)
        writer.write(Event(wall_time=0.0, file_version="brain.Event:2").SerializeToString())
        for s in range(events):
            values = [
                Summary.Value(tag="train/loss", simple_value=float(loss[s % rows])),
                Summary.Value(tag="train/learning_rate", simple_value=1e-4),
            ]
            writer.write(Event(wall_time=float(s), step=s, summary=Summary(value=values)).SerializeToString())
    return {"csv": csv_path, "pairs": pairs, "lightning": lightning, "hf": state, "tb": tb}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import pandas as pd

    from lossdoc.parsers import load

    def hf_baseline(path: Path) -> None:
        data = json.loads(path.read_text())
        [(e["step"], e["loss"]) for e in data["log_history"] if "loss" in e]

    def tb_baseline(path: Path) -> None:
        from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader

        sum(1 for _ in RawEventFileLoader(str(path)).Load())

    with tempfile.TemporaryDirectory() as tmp:
        paths = write_inputs(Path(tmp), args.rows, args.entries, args.events)
        rows = [
            ("table CSV", paths["csv"], lambda: pd.read_csv(paths["csv"]), f"{args.rows:,} rows"),
            (
                "table pairs",
                paths["pairs"],
                lambda: pd.read_csv(paths["pairs"], sep=r"\s+", header=None),
                f"{args.rows:,} lines",
            ),
            (
                "Lightning metrics.csv",
                paths["lightning"],
                lambda: pd.read_csv(paths["lightning"]),
                f"{args.rows:,}+ rows",
            ),
            ("HF trainer_state.json", paths["hf"], lambda: hf_baseline(paths["hf"]), f"{args.entries:,} entries"),
            ("TensorBoard events", paths["tb"], lambda: tb_baseline(paths["tb"]), f"{args.events:,} events"),
        ]
        print(f"{'reader':<24} {'size':>18} {'lossdoc s':>10} {'baseline s':>11} {'ratio':>7}")
        for label, path, baseline, size in rows:
            ours = best_of(lambda path=path: load(path), args.repeat)
            base = best_of(baseline, args.repeat)
            print(f"{label:<24} {size:>18} {ours:10.2f} {base:11.2f} {ours / base:7.1f}")


if __name__ == "__main__":
    main()

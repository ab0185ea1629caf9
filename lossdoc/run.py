"""Run: one training run as a tidy (long) frame plus the metadata the log states.

`run.df` has the columns step:int64, split, metric, value:float64, one row per logged point; split and
metric hold strings as pandas categoricals (cheap on million-point logs: compare them to a string as usual,
use ``.astype(str)`` before string arithmetic).
NaN is a value, never a missing row. Series are named ``split/metric`` in snake_case; the canonical
names below are what every analyzer may rely on, and ALIASES maps each format's own names onto them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported lazily so that `import lossdoc` stays fast
    import numpy as np
    import pandas as pd

CANONICAL_SERIES = (
    "train/loss",
    "val/loss",
    "train/lr",
    "train/grad_norm",
    "train/step_time_ms",
    "train/mfu",  # percent, as logged
    "train/tokens_per_sec",
    "train/tokens",  # cumulative tokens seen
)

# One alias table for every format: a format's own name for a series -> the canonical name.
# Keys are compared after lower-casing; names not listed keep their own (normalised) name.
ALIASES: dict[str, str] = {
    # train loss
    "loss": "train/loss",
    "train_loss": "train/loss",
    "trl": "train/loss",
    "train/loss": "train/loss",
    "train_loss_step": "train/loss",
    "lm_loss": "train/loss",
    "lm loss": "train/loss",
    # validation loss
    "val_loss": "val/loss",
    "val loss": "val/loss",
    "tel": "val/loss",
    "eval_loss": "val/loss",
    "eval/loss": "val/loss",
    "val/loss": "val/loss",
    "validation_loss": "val/loss",
    "valid/loss": "val/loss",
    # learning rate
    "lr": "train/lr",
    "learning_rate": "train/lr",
    "train/lr": "train/lr",
    "train/learning_rate": "train/lr",
    "learning rate": "train/lr",
    # gradient norm
    "norm": "train/grad_norm",
    "grad_norm": "train/grad_norm",
    "grad norm": "train/grad_norm",
    "train/grad_norm": "train/grad_norm",
    # time per step in milliseconds
    "time_ms": "train/step_time_ms",
    "dt_ms": "train/step_time_ms",
    "step_time_ms": "train/step_time_ms",
    "train/step_time_ms": "train/step_time_ms",
    # utilisation and throughput
    "mfu": "train/mfu",
    "train/mfu": "train/mfu",
    "tok/s": "train/tokens_per_sec",
    "tok/sec": "train/tokens_per_sec",
    "tokens/sec": "train/tokens_per_sec",
    "tokens_per_sec": "train/tokens_per_sec",
    "tps": "train/tokens_per_sec",
    "train/tokens_per_sec": "train/tokens_per_sec",
    "tokens": "train/tokens",
    "tokens_seen": "train/tokens",
    "num_tokens": "train/tokens",
    "consumed_tokens": "train/tokens",
    "train/tokens": "train/tokens",
}

_NON_WORD = re.compile(r"[^0-9a-z_/]+")


def canonical_name(raw: str, default_split: str = "train") -> str:
    """Map a format's series name to ``split/metric`` (canonical where the alias table knows it)."""
    key = raw.strip().lower()
    if key in ALIASES:
        return ALIASES[key]
    key = _NON_WORD.sub("_", key).strip("_")
    if key in ALIASES:
        return ALIASES[key]
    if "/" in key:
        split, _, metric = key.partition("/")
        split = {"eval": "val", "valid": "val", "validation": "val"}.get(split, split)
        return f"{split}/{metric.replace('/', '_')}"
    return f"{default_split}/{key}"


@dataclass
class Run:
    """One training run: a tidy frame of points and the log's metadata."""

    name: str
    df: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    def names(self) -> list[str]:
        """Series names present, canonical ones first in their fixed order, then the rest sorted."""
        pairs = self.df[["split", "metric"]].drop_duplicates()
        present = {f"{a}/{b}" for a, b in zip(pairs["split"], pairs["metric"])}
        ordered = [n for n in CANONICAL_SERIES if n in present]
        return ordered + sorted(present - set(ordered))

    def has(self, name: str) -> bool:
        split, _, metric = name.partition("/")
        return bool(((self.df["split"] == split) & (self.df["metric"] == metric)).any())

    def series(self, name: str) -> pd.Series:
        """The points of one series as a float Series indexed by step (sorted, one value per step)."""
        import pandas as pd

        split, _, metric = name.partition("/")
        rows = self.df[(self.df["split"] == split) & (self.df["metric"] == metric)]
        out = pd.Series(rows["value"].to_numpy(), index=rows["step"].to_numpy(), name=name)
        out.index.name = "step"
        return out.sort_index()

    def arrays(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(steps int64, values float64) of one series, sorted by step: the numpy view analyzers should prefer
        (it does not need pandas once the frame is built lazily; issue 12's fixed cost)."""
        import numpy as np

        split, _, metric = name.partition("/")
        mask = ((self.df["split"] == split) & (self.df["metric"] == metric)).to_numpy()
        steps = self.df["step"].to_numpy(dtype=np.int64)[mask]
        values = self.df["value"].to_numpy(dtype=np.float64)[mask]
        order = np.argsort(steps, kind="stable")
        return steps[order], values[order]

    def wide(self) -> pd.DataFrame:
        """One row per step, one column per series (NaN where a series has no point at that step)."""
        df = self.df.assign(series=self.df["split"].astype(str) + "/" + self.df["metric"].astype(str))
        wide = df.pivot_table(index="step", columns="series", values="value", aggfunc="last", dropna=False)
        wide.columns.name = None
        return wide[[c for c in self.names() if c in wide.columns]]


def frame_from_columns(columns: dict[str, tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    """Build the tidy frame from {series name: (steps, values)} arrays."""
    import numpy as np
    import pandas as pd

    parts_step, parts_value, parts_split, parts_metric = [], [], [], []
    for name, (steps, values) in columns.items():
        split, _, metric = name.partition("/")
        n = len(steps)
        parts_step.append(np.asarray(steps, dtype=np.int64))
        parts_value.append(np.asarray(values, dtype=np.float64))
        parts_split.append(np.full(n, split, dtype=object))
        parts_metric.append(np.full(n, metric, dtype=object))
    # categoricals, as the readers build them (see the module docstring)
    if not parts_step:
        return pd.DataFrame(
            {
                "step": pd.Series([], dtype="int64"),
                "split": pd.Categorical([]),
                "metric": pd.Categorical([]),
                "value": pd.Series([], dtype="float64"),
            }
        )
    return pd.DataFrame(
        {
            "step": np.concatenate(parts_step),
            "split": pd.Categorical(np.concatenate(parts_split)),
            "metric": pd.Categorical(np.concatenate(parts_metric)),
            "value": np.concatenate(parts_value),
        }
    )


def make_run(name: str, series: dict[str, tuple[Any, Any]], meta: dict[str, Any] | None = None) -> Run:
    """Convenience constructor used by tests and analyzers: ``{"train/loss": (steps, values)}``."""
    return Run(name=name, df=frame_from_columns(series), meta=dict(meta or {}))

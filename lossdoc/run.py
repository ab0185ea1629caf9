"""Run: one training run as a tidy (long) frame plus the metadata the log states.

Points are kept as numpy arrays and `run.df` is built on first access (pandas is imported only then).
`run.df` has the columns step:int64, split, metric, value:float64, one row per logged point; split and
metric hold strings as pandas categoricals (cheap on million-point logs: compare them to a string as usual,
use ``.astype(str)`` before string arithmetic).
NaN is a value, never a missing row. Series are named ``split/metric`` in snake_case; the canonical
names below are what every analyzer may rely on, and ALIASES maps each format's own names onto them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
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


class Run:
    """One training run: its points and the log's metadata.

    Points are stored as numpy arrays in file order (step, series code, value) and the tidy frame ``run.df`` is
    built from them on first access, so that reading a log and summarising it never imports pandas (issue 12:
    pandas is most of the fixed cost of a small log). ``run.arrays(name)`` is the numpy view analyzers should
    prefer; ``run.series(name)`` and ``run.wide()`` are pandas views. A Run made from a frame (``Run(name, df)``)
    keeps that frame and answers the same questions from it.
    """

    def __init__(
        self,
        name: str,
        df: pd.DataFrame | None = None,
        meta: dict[str, Any] | None = None,
        *,
        points: Points | None = None,
    ) -> None:
        if df is None and points is None:
            points = Points.empty()
        self.name = name
        self.meta: dict[str, Any] = {} if meta is None else meta
        self._df = df
        self._points = None if df is not None else points

    def __repr__(self) -> str:
        return f"Run(name={self.name!r}, points={self.n_points}, meta keys={sorted(self.meta)})"

    @property
    def df(self) -> pd.DataFrame:
        """The tidy frame (step, split, metric, value), one row per point in file order; built on first use."""
        if self._df is None:
            assert self._points is not None
            self._df = self._points.frame()
        return self._df

    @df.setter
    def df(self, frame: pd.DataFrame) -> None:
        self._df = frame
        self._points = None

    @property
    def n_points(self) -> int:
        """How many points the run holds (all series), without building the frame."""
        return len(self._points) if self._points is not None else len(self.df)

    def all_steps(self) -> np.ndarray:
        """The step of every point (all series), in file order, as int64: `run.df["step"]` without pandas."""
        import numpy as np

        if self._points is not None:
            return self._points.steps
        return self.df["step"].to_numpy(dtype=np.int64)

    def names(self) -> list[str]:
        """Series names present, canonical ones first in their fixed order, then the rest sorted."""
        if self._points is not None:
            present = set(self._points.present())
        else:
            pairs = self.df[["split", "metric"]].drop_duplicates()
            present = {f"{a}/{b}" for a, b in zip(pairs["split"], pairs["metric"])}
        ordered = [n for n in CANONICAL_SERIES if n in present]
        return ordered + sorted(present - set(ordered))

    def has(self, name: str) -> bool:
        if self._points is not None:
            return name in self._points.present()
        split, _, metric = name.partition("/")
        return bool(((self.df["split"] == split) & (self.df["metric"] == metric)).any())

    def series(self, name: str) -> pd.Series:
        """The points of one series as a float Series indexed by step (sorted, one value per step)."""
        import pandas as pd

        steps, values = self.arrays(name)
        out = pd.Series(values, index=steps, name=name)
        out.index.name = "step"
        return out

    def arrays(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(steps int64, values float64) of one series, sorted by step (stable): the numpy view analyzers
        should prefer; it does not need pandas. Read-only when the run holds Points (copy to change them)."""
        import numpy as np

        if self._points is not None:
            return self._points.series(name)
        split, _, metric = name.partition("/")
        mask = ((self.df["split"] == split) & (self.df["metric"] == metric)).to_numpy()
        return sorted_by_step(self.df["step"].to_numpy(dtype=np.int64)[mask],
                              self.df["value"].to_numpy(dtype=np.float64)[mask])

    def wide(self) -> pd.DataFrame:
        """One row per step, one column per series (NaN where a series has no point at that step)."""
        df = self.df.assign(series=self.df["split"].astype(str) + "/" + self.df["metric"].astype(str))
        wide = df.pivot_table(index="step", columns="series", values="value", aggfunc="last", dropna=False)
        wide.columns.name = None
        return wide[[c for c in self.names() if c in wide.columns]]


def sorted_by_step(steps: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points sorted by step (stable: points logged at one step keep their file order)."""
    import numpy as np

    if len(steps) > 1 and bool((steps[1:] < steps[:-1]).any()):
        order = np.argsort(steps, kind="stable")
        return steps[order], values[order]
    return steps, values


class Points:
    """A run's points in file order: steps (int64), codes (int64, index into ``names``), values (float64)."""

    def __init__(self, steps: np.ndarray, codes: np.ndarray, values: np.ndarray, names: Sequence[str]) -> None:
        self.steps, self.codes, self.values, self.names = steps, codes, values, list(names)
        self._present: list[str] | None = None
        self._series: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    @classmethod
    def empty(cls) -> Points:
        import numpy as np

        return cls(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64), [])

    def __len__(self) -> int:
        return len(self.steps)

    def present(self) -> list[str]:
        """Names of the series with at least one point."""
        if self._present is None:
            import numpy as np

            counts = np.bincount(self.codes, minlength=len(self.names)) if len(self.codes) else []
            self._present = [n for n, c in zip(self.names, counts) if c]
        return self._present

    def series(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values) of one series, sorted by step (stable); kept, read-only: the analyzers of one report
        ask for train/loss a dozen times, and each mask over a million points costs ~10 ms."""
        import numpy as np

        if name not in self._series:
            if name not in self.names:
                return np.empty(0, np.int64), np.empty(0, np.float64)
            mask = self.codes == self.names.index(name)
            steps, values = sorted_by_step(self.steps[mask], self.values[mask])
            steps.flags.writeable = values.flags.writeable = False
            self._series[name] = steps, values
        return self._series[name]

    def frame(self) -> pd.DataFrame:
        """The tidy frame; split and metric are categoricals built from the codes (no per-row strings)."""
        import numpy as np
        import pandas as pd

        split_names = sorted({s.partition("/")[0] for s in self.names})
        metric_names = sorted({s.partition("/")[2] for s in self.names})
        split_code = np.array([split_names.index(s.partition("/")[0]) for s in self.names] or [0], dtype=np.int64)
        metric_code = np.array([metric_names.index(s.partition("/")[2]) for s in self.names] or [0], dtype=np.int64)
        return pd.DataFrame(
            {
                "step": self.steps,
                "split": pd.Categorical.from_codes(split_code[self.codes], categories=split_names or [""]),
                "metric": pd.Categorical.from_codes(metric_code[self.codes], categories=metric_names or [""]),
                "value": self.values,
            }
        )


def run_from_points(
    name: str, steps: Any, codes: Any, values: Any, names: Sequence[str], meta: dict[str, Any] | None = None
) -> Run:
    """The one constructor the readers use: points in file order, the frame built lazily (see Run)."""
    import numpy as np

    points = Points(
        np.asarray(steps, dtype=np.int64),
        np.asarray(codes, dtype=np.int64),
        np.asarray(values, dtype=np.float64),
        names,
    )
    return Run(name=name, meta={} if meta is None else meta, points=points)


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
    """Convenience constructor used by tests and analyzers: ``{"train/loss": (steps, values)}`` (no pandas)."""
    import numpy as np

    names = list(series)
    steps = [np.asarray(s, dtype=np.int64) for s, _ in series.values()]
    values = [np.asarray(v, dtype=np.float64) for _, v in series.values()]
    codes = [np.full(len(s), i, dtype=np.int64) for i, s in enumerate(steps)]
    if not names:
        return Run(name=name, meta=dict(meta or {}))
    steps_all, codes_all, values_all = np.concatenate(steps), np.concatenate(codes), np.concatenate(values)
    return run_from_points(name, steps_all, codes_all, values_all, names, dict(meta or {}))

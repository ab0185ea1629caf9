"""The columns of a generic table (lossdoc/parsers/table.py): which one holds the step, and the series each other
column is (through the alias table: loss -> train/loss); a JSON record's nested keys flattened into column
names."""

from __future__ import annotations

from typing import Any

from ..run import canonical_name

STEP_NAMES = (
    "step",
    "steps",
    "iter",
    "iters",
    "iteration",
    "iterations",
    "global_step",
    "_step",
    "trainer/global_step",
)
_SPLIT_PREFIXES = {"train", "eval", "val", "valid", "validation", "test"}


def step_column(header: list[str]) -> int | None:
    lowered = [h.strip().strip('"').lower() for h in header]
    for name in STEP_NAMES:
        if name in lowered:
            return lowered.index(name)
    return None


def step_key_of(flat: dict[str, Any]) -> str | None:
    keys = list(flat)
    index = step_column(keys)
    return None if index is None else keys[index]


def flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "/"))
        else:
            out[name] = value
    return out


def series_names(columns: list[str], step_index: int, stem: str, meta: dict[str, Any]) -> list[str | None]:
    """Series name of each column; None for the step column and for bookkeeping columns (listed in meta).

    Skipped: a pandas index column (no name), names starting with "_"
    (W&B history's _runtime, _timestamp), and the "Wall time" of a TensorBoard "Download CSV" export, whose
    "Value" column is named after the tag in the file name (run-x-tag-train_loss.csv -> train/loss).
    """
    lowered = [c.strip().lower() for c in columns]
    tensorboard_export = sorted(lowered) == ["step", "value", "wall time"]
    names: list[str | None] = []
    skipped: list[str] = []
    for j, col in enumerate(columns):
        key = col.strip()
        if j == step_index:
            names.append(None)
        elif not key or key.startswith("_") or (tensorboard_export and lowered[j] == "wall time"):
            names.append(None)
            skipped.append(col)
        elif tensorboard_export and lowered[j] == "value":
            tag = stem.split("tag-", 1)[1] if "tag-" in stem else "value"
            prefix, sep, rest = tag.partition("_")
            names.append(canonical_name(f"{prefix}/{rest}" if sep and prefix.lower() in _SPLIT_PREFIXES else tag))
        else:
            names.append(canonical_name(key))
    if skipped:
        meta["skipped_columns"] = skipped
    return names

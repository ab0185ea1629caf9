"""Checks of the command-line values, before any work: a bad value is one line and exit 2, never a number.

Each check raises InputError naming the option, the value and what is accepted. The CLI calls them first
(so `--fail-on bogus` fails before a 1 GB log is read); the checks that need the run (`--project` beyond
the last step) run right after loading.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from .errors import InputError

FAIL_ON = ("info", "warning", "problem")
MAX_PROJECT_STEP = 1e12  # steps: beyond any training run (GPT-4-scale runs are ~1e5-1e6 steps)
EXPORT_SUFFIXES = (".csv", ".jsonl", ".parquet")
MIN_VOCAB = 2  # a vocabulary of one token has ln(V) = 0: no initial-loss check means anything

# --schedule SPEC: the keys each kind takes, and those it needs (a missing total would silently become the
# log's length, which is wrong for a run still going).
SCHEDULE_KEYS = {
    "cosine": {"peak", "warmup", "total", "final"},
    "wsd": {"peak", "warmup", "total", "final", "decay"},
    "linear": {"peak", "warmup", "total", "final", "decay"},
    "constant": {"peak"},
}
SCHEDULE_NEEDS = {
    "cosine": {"peak", "total"},
    "wsd": {"peak", "total"},
    "linear": {"peak", "total"},
    "constant": {"peak"},
}
_WHOLE = {"warmup", "total", "decay"}  # step counts


def check_fail_on(value: str | None) -> None:
    if value is not None and value not in FAIL_ON:
        raise InputError(f"--fail-on must be one of {', '.join(FAIL_ON)} (got {value!r})")


def check_positive(option: str, value: float | None) -> None:
    """A loss target and the like: a finite number above 0."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise InputError(f"{option} must be a finite number above 0 (got {value:g})")


def check_price(option: str, value: float | None) -> None:
    if value is not None and not (math.isfinite(value) and value >= 0):
        raise InputError(f"{option} must be a finite price of 0 or more (got {value:g})")


def check_gpus(value: int | None) -> None:
    """--gpus N: a count of GPUs (0 or fewer made costs and per-GPU throughput negative or infinite)."""
    if value is not None and value < 1:
        raise InputError(f"--gpus must be at least 1 (got {value})")


def check_vocab(value: int | None) -> None:
    if value is not None and value < MIN_VOCAB:
        raise InputError(f"--vocab must be at least {MIN_VOCAB} tokens (got {value})")


def check_project(value: float | None) -> None:
    """--project STEP, before the log is read: a step count within MAX_PROJECT_STEP."""
    if value is None:
        return
    if not (math.isfinite(value) and 0 < value <= MAX_PROJECT_STEP):
        raise InputError(f"--project must be a step between 1 and {MAX_PROJECT_STEP:.0e} (got {value:g})")


def check_project_beyond(value: float | None, run: Any) -> None:
    """--project STEP, once the run is read: a projection is of a step after the last one logged."""
    steps = run.all_steps() if value is not None else []
    if not len(steps):
        return
    last = int(steps.max())
    if value <= last:
        raise InputError(
            f"--project {value:g}: the log already reaches step {last:,}; project a step beyond it "
            "(the loss at logged steps is in the log)"
        )


def check_to(path: Path | None) -> None:
    """--to FILE: a known extension, into a folder that exists (checked before the log is read)."""
    if path is None:
        return
    if path.suffix.lower() not in EXPORT_SUFFIXES:
        raise InputError(f"--to {path}: unknown extension {path.suffix!r}; use .csv, .jsonl or .parquet")
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"--to {path}: the folder {str(folder)!r} does not exist")
    if path.is_dir():
        raise InputError(f"--to {path}: is a directory; give a file name")


def check_schedule(spec: str | None) -> None:
    """--schedule SPEC: a known kind, known keys, the keys it needs, numbers that make a schedule.

    A step/lr file is checked when it is read (lossdoc.schedule); a name that is neither is an error here.
    """
    if not spec:
        return
    kind, colon, args = spec.partition(":")
    if kind not in SCHEDULE_KEYS:
        if Path(spec).exists():
            return  # a step/lr file
        looks_like_file = not colon or "/" in spec or "." in kind
        what = "no such step/lr file" if looks_like_file else f"unknown kind {kind!r}"
        raise InputError(
            f"--schedule {spec!r}: {what}; use {'/'.join(k + ':' for k in SCHEDULE_KEYS)} with "
            "peak=,warmup=,total=,final=,decay= or a step/lr file"
        )
    values: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in args.split(","))):
        key, eq, text = part.partition("=")
        key = key.strip()
        try:
            value = float(text) if eq else math.nan
        except ValueError:
            value = math.nan
        if not eq or not math.isfinite(value):
            raise InputError(f"--schedule: {part!r} is not key=number")
        if key not in SCHEDULE_KEYS[kind]:
            takes = ", ".join(sorted(SCHEDULE_KEYS[kind]))
            raise InputError(f"--schedule {kind}: unknown key {key!r}; {kind} takes {takes}")
        if key in values:
            raise InputError(f"--schedule: {key!r} is given twice")
        values[key] = value
    missing = sorted(SCHEDULE_NEEDS[kind] - set(values))
    if missing:
        raise InputError(f"--schedule {kind}: missing {', '.join(k + '=' for k in missing)} (e.g. {_example(kind)})")
    _check_schedule_values(kind, values)


def _check_schedule_values(kind: str, v: dict[str, float]) -> None:
    if v["peak"] <= 0:
        raise InputError(f"--schedule: peak must be above 0 (got {v['peak']:g})")
    for key in sorted(_WHOLE & set(v)):
        if v[key] < 0 or not v[key].is_integer():
            raise InputError(f"--schedule: {key} must be a whole number of steps, 0 or more (got {v[key]:g})")
    if "total" in v and v["total"] <= 0:
        raise InputError(f"--schedule: total must be at least 1 step (got {v['total']:g})")
    if "final" in v and not 0 <= v["final"] <= 1:  # a fraction of the peak (lossdoc.schedule.cosine)
        raise InputError(f"--schedule: final is the end LR as a fraction of peak, 0 to 1 (got {v['final']:g})")
    total, warmup = v.get("total"), v.get("warmup", 0.0)
    if total is not None and warmup > total:
        raise InputError(f"--schedule: warmup={warmup:g} is longer than total={total:g}")
    if total is not None and "decay" in v and warmup + v["decay"] > total:
        raise InputError(f"--schedule: warmup + decay = {warmup + v['decay']:g} steps is more than total={total:g}")


def _example(kind: str) -> str:
    if kind == "constant":
        return "constant:peak=1e-3"
    return f"{kind}:peak=6e-4,warmup=700,total=19560" + (",decay=2000" if kind == "wsd" else "")


def check_curve_options(
    *, fail_on: str | None, target: float | None, project: int | None, vocab: int | None, schedule: str | None,
    gpus: int | None, price_per_gpu_hour: float | None, price_per_hour: float | None = None,
) -> None:
    """The options `analyze` and `phases` share, checked before any work is done."""
    check_fail_on(fail_on)
    check_positive("--target", target)
    check_price("--price-per-hour", price_per_hour)
    check_price("--price-per-gpu-hour", price_per_gpu_hour)
    check_gpus(gpus)
    check_project(project)
    check_vocab(vocab)
    check_schedule(schedule)

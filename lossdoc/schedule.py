"""Learning-rate schedules: the LR at every step, from a spec, a file, the logged LR or the log's own config.

Used by the curve fit (the LR-annealing law needs the LR of every step) and by the spike report (the LR at a
spike when the log does not print it). Formulas follow karpathy/nanoGPT train.py ``get_lr`` (linear warmup, cosine
to min_lr) and llm.c's warmup + cosine with a final fraction; ``wsd`` is warmup-stable-decay.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError

if TYPE_CHECKING:
    import numpy as np

LR_EXTEND_FRAC = 0.005  # a logged LR ending within 0.5% of the projection step is held at its last value

# nanoGPT train.py defaults, used for config keys a run did not override (karpathy/nanoGPT train.py)
NANOGPT_DEFAULTS = {
    "learning_rate": 6e-4,
    "warmup_iters": 2000,
    "lr_decay_iters": 600000,
    "min_lr": 6e-5,
    "decay_lr": True,
}


@dataclass
class Schedule:
    """Learning rate per step (0..len-1) and where it came from."""

    lr: np.ndarray
    source: str
    relative: bool = False  # multipliers of an unstated peak LR (modded-nanogpt): fractions of peak, not LRs


def cosine(peak: float, warmup: int, total: int, final: float, length: int) -> np.ndarray:
    """Linear warmup to ``peak`` then cosine to ``final``·peak at ``total``, constant after (nanoGPT/llm.c)."""
    import numpy as np

    s = np.arange(length, dtype=float)
    lr = np.empty(length)
    warm = s < warmup
    lr[warm] = peak * (s[warm] + 1) / (warmup + 1)
    ratio = np.clip((s - warmup) / max(total - warmup, 1), 0.0, 1.0)
    low = peak * final
    lr[~warm] = low + 0.5 * (1 + np.cos(math.pi * ratio[~warm])) * (peak - low)
    return lr


def wsd(peak: float, warmup: int, total: int, decay: int, final: float, length: int) -> np.ndarray:
    """Warmup, stable at ``peak``, then linear decay over the last ``decay`` steps to ``final``·peak."""
    import numpy as np

    s = np.arange(length, dtype=float)
    lr = np.full(length, peak)
    lr[s < warmup] = peak * (s[s < warmup] + 1) / (warmup + 1)
    start = total - decay
    frac = np.clip((s - start) / max(decay, 1), 0.0, 1.0)
    lr = np.where(s >= start, peak - frac * (peak - peak * final), lr)
    return lr


def parse_schedule(spec: str, length: int) -> Schedule:
    """``cosine:peak=6e-4,warmup=700,total=19560[,final=0]``, ``wsd:...,decay=2000``, ``linear:...``,
    ``constant:peak=1e-3``, or a file with two columns ``step lr`` (comma or space separated)."""
    import numpy as np

    path = Path(spec)
    if path.exists():
        try:
            text = path.read_text()
            delimiter = "," if "," in text[:200] else None
            first = text.lstrip().split("\n", 1)[0]
            header = 1 if any(ch.isalpha() and ch not in "eE" for ch in first) else 0  # a "step,lr" header
            rows = np.loadtxt(path, delimiter=delimiter, ndmin=2, skiprows=header)
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            raise InputError(f"--schedule {spec}: cannot read a two-column step/lr file ({exc})") from None
        if rows.shape[1] < 2:
            raise InputError(f"--schedule {spec}: need two columns, step and lr")
        order = np.argsort(rows[:, 0])
        lr = np.interp(np.arange(length), rows[order, 0], rows[order, 1])
        return Schedule(lr, f"file {spec}")
    kind, _, args = spec.partition(":")
    kv: dict[str, float] = {}
    for part in filter(None, args.split(",")):
        key, eq, value = part.partition("=")
        try:
            kv[key.strip()] = float(value)
        except ValueError:
            raise InputError(f"--schedule: {part!r} is not key=number") from None
        if not eq:
            raise InputError(f"--schedule: {part!r} is not key=number")
    peak = kv.get("peak", 1.0)
    warmup = int(kv.get("warmup", 0))
    total = int(kv.get("total", length - 1))
    final = kv.get("final", 0.0)
    if kind == "cosine":
        return Schedule(cosine(peak, warmup, total, final, length), f"--schedule {spec}")
    if kind in ("wsd", "linear"):
        decay = int(kv.get("decay", total - warmup if kind == "linear" else 0.2 * total))
        return Schedule(wsd(peak, warmup, total, decay, final, length), f"--schedule {spec}")
    if kind == "constant":
        return Schedule(np.full(length, peak), f"--schedule {spec}")
    raise InputError(
        f"--schedule {spec!r}: unknown; use cosine:/wsd:/linear:/constant: with peak=,warmup=,total=,final=,decay= "
        "or a step/lr file"
    )


def schedule_for(run: Any, length: int, spec: str | None = None) -> tuple[Schedule | None, str]:
    """The LR of steps 0..length-1, or None with the reason it is unknown."""
    import numpy as np

    if spec:
        return parse_schedule(spec, length), ""
    if run.has("train/lr"):
        lr = run.series("train/lr").dropna()
        lr = lr[lr.index >= 0]
        # a final eval one step past the last train step (llm.c) may use the last logged LR
        if len(lr) >= 2 and int(lr.index[-1]) >= (length - 1) * (1 - LR_EXTEND_FRAC):
            grid = np.interp(np.arange(length), lr.index.to_numpy(dtype=float), lr.to_numpy(dtype=float))
            return Schedule(grid, "logged train/lr"), ""
    meta = run.meta
    config = meta.get("config") or {}
    if meta.get("format") == "nanogpt" and any(k in config for k in NANOGPT_DEFAULTS):
        c = {**NANOGPT_DEFAULTS, **{k: config[k] for k in NANOGPT_DEFAULTS if k in config}}
        if not c["decay_lr"]:
            return Schedule(np.full(length, float(c["learning_rate"])), "nanoGPT config (constant LR)"), ""
        peak = float(c["learning_rate"])
        lr = cosine(peak, int(c["warmup_iters"]), int(c["lr_decay_iters"]), float(c["min_lr"]) / peak, length)
        return Schedule(lr, "nanoGPT config (warmup + cosine)"), ""
    if meta.get("lr_schedule") == "cosine" and meta.get("learning_rate") and meta.get("max_steps"):
        lr = cosine(
            float(meta["learning_rate"]),
            int(meta.get("warmup_steps") or 0),
            int(meta["max_steps"]),
            float(meta.get("final_lr_fraction") or 0.0),
            length,
        )
        return Schedule(lr, "the log's header (warmup + cosine)"), ""
    if meta.get("format") == "modded-nanogpt" and meta.get("max_steps") and meta.get("warmdown_steps") is not None:
        # modded-nanogpt get_lr: (it+1)/warmup_iters, then 1.0, then a linear warmdown to 0 over the last
        # warmdown_iters; a multiplier on each optimizer's own LR, so the schedule is relative (peak = 1).
        lr = wsd(1.0, int(meta.get("warmup_steps") or 0), int(meta["max_steps"]), int(meta["warmdown_steps"]), 0.0,
                 length)
        return Schedule(lr, "modded-nanogpt warmup/warmdown (relative LR)", relative=True), ""
    if run.has("train/lr"):
        return None, "train/lr is logged only up to the last step and the log states no schedule"
    return None, "no learning-rate schedule known"

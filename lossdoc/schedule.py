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

LR_MATCH_TOL = 0.01  # a schedule rebuilt from facts matches a logged LR within 1% of peak (printing rounds to
# 3 significant digits at worst: llm.c stdout %.2e, Megatron %.3E)
LR_EXTEND_FRAC = 0.005  # a logged LR ending within 0.5% of the projection step is held at its last value
# The LR is an array over every step (the fit's LR area and decay share too): ~130 bytes a step in a fit, so 5M steps
# take ~0.7 GB and 2.6 s (measured: `phases --project` on llm.c main.log, 1M steps 0.2 GB and 1.4 s). Past it a
# projection holds the LR at its value there (lr_features.features); a log or a planned run longer than this is fitted
# without its schedule, and says so.
MAX_SCHEDULE_STEPS = 5_000_000
TOO_LONG = "the LR is computed step by step up to step"  # the reason schedule_for gives past MAX_SCHEDULE_STEPS

# warmup formulas (the facts' ``warmup_rule``): LR multiplier at schedule step s of w warmup steps
WARMUP_RULES = {
    "(s+1)/(w+1)": lambda s, w: (s + 1) / (w + 1),  # nanoGPT train.py get_lr
    "(s+1)/w": lambda s, w: (s + 1) / w,  # llm.c schedulers.h, build-nanogpt, modded-nanogpt get_lr
    "s/w": lambda s, w: s / w,  # Megatron OptimizerParamScheduler, transformers get_*_schedule_with_warmup
}


@dataclass
class Schedule:
    """Learning rate per step (0..len-1, the log's own step numbers) and where it came from."""

    lr: np.ndarray
    source: str
    relative: bool = False  # multipliers of an unstated peak LR (modded-nanogpt): fractions of peak, not LRs
    spec: LRSpec | None = None  # the formula and its parameters, when the schedule was rebuilt from facts


@dataclass(frozen=True)
class LRSpec:
    """A schedule rebuilt from the run's facts: kind, peak, warmup, where the decay ends, the final LR."""

    kind: str  # cosine, wsd, linear, constant
    peak: float  # 1.0 for a relative schedule
    warmup: int | float  # steps: a count, a fraction only where Megatron's lr_warmup_fraction gives one
    total: int  # planned steps (the decay ends here for cosine and linear; the warmdown ends here for wsd)
    final: float  # the LR at the end of the decay (absolute, or a fraction of 1 when relative)
    decay: float | None = None  # wsd: warmdown length [steps]; cosine: the step the decay ends at
    warmup_rule: str = "(s+1)/(w+1)"
    offset: int = 0  # the log prints step s + offset for schedule step s
    relative: bool = False

    def lr_at(self, steps: Any) -> np.ndarray:
        """The LR at the log's step numbers (an array or a number)."""
        import numpy as np

        s = np.asarray(steps, dtype=float) - self.offset
        peak, low = self.peak, self.final
        out = np.full(s.shape, peak, dtype=float)
        if self.kind == "cosine":
            end = self.decay if self.decay else self.total
            ratio = np.clip((s - self.warmup) / max(end - self.warmup, 1), 0.0, 1.0)
            out = low + 0.5 * (1 + np.cos(math.pi * ratio)) * (peak - low)
        elif self.kind == "linear":
            ratio = np.clip((s - self.warmup) / max(self.total - self.warmup, 1), 0.0, 1.0)
            out = peak - ratio * (peak - low)
        elif self.kind == "wsd":
            decay = self.decay or 0
            frac = np.clip((s - (self.total - decay)) / max(decay, 1), 0.0, 1.0)
            out = peak - frac * (peak - low)
        if self.warmup > 0:
            rule = WARMUP_RULES[self.warmup_rule]
            warm = s < self.warmup
            out = np.where(warm, peak * rule(np.maximum(s, 0), self.warmup), out)
        return out

    @property
    def decay_end(self) -> int:
        """The step at which the LR reaches its final value."""
        return int(self.decay) if self.kind == "cosine" and self.decay else self.total

    @property
    def what(self) -> str:
        return {"cosine": "warmup + cosine", "wsd": "warmup, constant, linear warmdown", "linear": "warmup + linear",
                "constant": "constant LR"}.get(self.kind, self.kind)

    def describe(self) -> str:
        if self.kind == "constant":
            return f"constant LR {self.peak:.3g}"
        return (f"{self.what}: peak {self.peak:.3g}, warmup {self.warmup:g} steps, final {self.final:.3g} "
                f"at step {self.decay_end:,}")


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


SPEC_FACTS = ("lr_schedule", "lr_peak", "warmup_steps", "max_steps", "decay_steps", "lr_min")


def spec_from_facts(facts: Any) -> tuple[LRSpec | None, str]:
    """The schedule the run's facts state, or None with what is missing."""
    kind = facts.get("lr_schedule")
    if kind is None:
        return None, "the log states no LR schedule"
    peak = facts.get("lr_peak")
    relative = peak is None
    total = facts.get("max_steps")
    if kind == "constant":
        if relative:
            return None, "a constant LR of unknown value"
        return LRSpec("constant", float(peak), 0, int(total or 0), float(peak), relative=False), ""
    if not total:
        return None, f"a {kind} schedule but no planned number of steps"
    if relative and kind != "wsd":
        return None, f"a {kind} schedule but no peak LR"
    final = facts.get("lr_min")
    if final is None:
        final = 0.0
    decay = facts.get("decay_steps")
    if kind == "wsd" and decay is None:
        return None, "a warmup/warmdown schedule with no warmdown length"
    spec = LRSpec(
        kind=kind, peak=1.0 if relative else float(peak), warmup=facts.get("warmup_steps") or 0,
        total=int(total), final=float(final), decay=float(decay) if decay is not None else None,
        warmup_rule=facts.get("warmup_rule") or "(s+1)/(w+1)", offset=int(facts.get("step_offset") or 0),
        relative=relative,
    )
    return spec, ""


def spec_source(facts: Any, spec: LRSpec) -> str:
    """Where the schedule came from, in words: 'nanoGPT config (warmup + cosine: peak 6e-4, ...)'."""
    short = str(facts.get("trainer") or "the log's").split(" ")[0]
    if spec.relative:
        return f"{short} warmup/warmdown (relative LR: multipliers of each optimizer's LR)"
    said = facts.source("lr_peak") or facts.source("lr_schedule") or ""
    origin = f"{short} config" if "config" in said else "the log's header" if said.startswith("log") else said
    return f"{origin} ({spec.what})"


def check_logged(run: Any, spec: LRSpec) -> dict[str, Any] | None:
    """How far the schedule is from the LR the log prints (None when the log prints none)."""
    import numpy as np

    if not run.has("train/lr"):
        return None
    steps, values = run.arrays("train/lr")
    keep = np.isfinite(values) & (steps >= 0)
    steps, values = steps[keep], values[keep]
    if not len(steps):
        return None
    predicted = spec.lr_at(steps)
    peak = spec.peak if not spec.relative else float(np.max(np.abs(values))) or 1.0
    if spec.relative:  # multipliers: compare shapes, scaled to the logged peak
        predicted = predicted * peak
    err = np.abs(predicted - values) / peak
    worst = int(np.argmax(err))
    return {
        "points": int(len(steps)), "max_err_of_peak": float(err[worst]), "worst_step": int(steps[worst]),
        "logged": float(values[worst]), "rebuilt": float(predicted[worst]),
        "matches": bool(err[worst] <= LR_MATCH_TOL),
    }


def schedule_for(run: Any, length: int, spec: str | None = None) -> tuple[Schedule | None, str]:
    """The LR of steps 0..length-1, or None with the reason it is unknown. A --schedule spec wins, then the
    logged LR when it covers the span, then the schedule the run's facts state (log header, config, --config),
    then the logged LR extended by the decay shape it already shows (lossdoc.schedule_extrapolate)."""
    import numpy as np

    from .facts import run_facts

    if length > MAX_SCHEDULE_STEPS + 1:
        return None, f"{TOO_LONG} {MAX_SCHEDULE_STEPS:,}, and this needs it up to step {length - 1:,}"
    if spec:
        return parse_schedule(spec, length), ""
    if run.has("train/lr"):
        steps, values = run.arrays("train/lr")
        keep = np.isfinite(values) & (steps >= 0)
        steps, values = steps[keep], values[keep]
        # a final eval one step past the last train step (llm.c) may use the last logged LR
        if len(steps) >= 2 and int(steps[-1]) >= (length - 1) * (1 - LR_EXTEND_FRAC):
            grid = np.interp(np.arange(length), steps.astype(float), values.astype(float))
            return Schedule(grid, "logged train/lr"), ""
    facts = run_facts(run)
    lr_spec, why = spec_from_facts(facts)
    check = check_logged(run, lr_spec) if lr_spec is not None else None
    if check is not None and not check["matches"]:
        lr_spec, why = None, (
            f"the stated schedule ({facts.get('trainer') or 'facts'}) is off the logged LR by up to "
            f"{check['max_err_of_peak']:.0%} of peak at step {check['worst_step']:,}"
        )
    if lr_spec is not None:
        lr = lr_spec.lr_at(np.arange(length))
        source = spec_source(facts, lr_spec)
        return Schedule(lr, source, relative=lr_spec.relative, spec=lr_spec), ""
    if run.has("train/lr"):  # a logged LR already decaying shows its shape: extend it past the log
        from .schedule_extrapolate import describe, extend_logged

        extended, fit, not_extended = extend_logged(*run.arrays("train/lr"), length)
        if extended is not None:
            return Schedule(extended, describe(fit)), ""
        if not_extended:
            return None, not_extended
    if check is not None:
        return None, why
    if run.has("train/lr"):
        return None, ("train/lr is logged only up to the last step, still at its peak or in no shape it can be "
                      "extended by, and the log states no schedule")
    return None, "no learning-rate schedule known" + (f" ({why})" if why else "")

"""Turn the points a reader found, in file order, into Runs.

Rules (ARCHITECTURE.md, "Files that are not one run"):
- a step counter that goes back to near 0 (and to or below the first step of the current run) starts a new
  run; an excerpt that starts at step 7,000 and goes back from 7,220 to 6,900 is a rollback of one run;
- a counter that goes back only part of the way is a resume/rollback: it stays one run, the later value
  wins for a repeated step, and ``meta["rollbacks"]`` records (from step, to step, points superseded).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..run import Run, run_from_points

# "Near 0" for a new run: a restarted run prints its first record within its first logging interval
# (nanoGPT, llm.c: step 0 or 1; Megatron with log_interval 10: iteration 10; 100 covers common intervals),
# or at a step far below where the counter was (a 0.05 share: 1,000 -> 10 is a restart, 7,220 -> 6,900 not).
NEW_RUN_MAX_STEP = 100  # steps
NEW_RUN_SHARE = 0.05  # of the step the counter went back from


class PointBuffer:
    """Points in file order: step, series code, value. Series names are interned to small codes."""

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.codes: list[int] = []
        self.values: list[float] = []
        self.names: list[str] = []
        self._code: dict[str, int] = {}

    def add(self, step: int, name: str, value: float) -> None:
        code = self._code.get(name)
        if code is None:
            code = self._code[name] = len(self.names)
            self.names.append(name)
        self.steps.append(step)
        self.codes.append(code)
        self.values.append(value)

    def __len__(self) -> int:
        return len(self.steps)

    def to_runs(self, meta: dict[str, Any], name: str, split_runs: bool = True) -> list[Run]:
        return assemble(self.steps, self.codes, self.values, self.names, meta, name, split_runs)


def assemble(
    steps: Any,
    codes: Any,
    values: Any,
    names: Sequence[str],
    meta: dict[str, Any],
    name: str,
    split_runs: bool = True,
) -> list[Run]:
    """Split points (file order) into runs, record rollbacks, keep the later value of a repeated step."""
    import numpy as np

    steps = np.asarray(steps, dtype=np.int64)
    codes = np.asarray(codes, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    n = len(steps)

    # Where the counter goes back: either a new run or a rollback within the run.
    run_bounds = [0]
    rollbacks: list[list[tuple[int, int, int]]] = [[]]  # (index, from_step, to_step)
    run_first_step = steps[0] if n else 0
    for i in (np.flatnonzero(steps[1:] < steps[:-1]) + 1).tolist():
        if split_runs and steps[i] <= run_first_step and _near_zero(int(steps[i]), int(steps[i - 1])):
            run_bounds.append(i)
            rollbacks.append([])
            run_first_step = steps[i]
        else:
            rollbacks[-1].append((i, int(steps[i - 1]), int(steps[i])))
    run_bounds.append(n)

    runs: list[Run] = []
    for k in range(len(run_bounds) - 1):
        lo, hi = run_bounds[k], run_bounds[k + 1]
        run_meta = dict(meta)
        superseded = np.zeros(hi - lo, dtype=bool)
        if rollbacks[k] or _has_repeats(steps[lo:hi], codes[lo:hi]):
            superseded = _superseded(steps[lo:hi], codes[lo:hi])
        records = []
        for i, from_step, to_step in rollbacks[k]:
            j = i - lo
            count = int((superseded[:j] & (steps[lo:i] >= to_step)).sum())
            records.append({"from_step": from_step, "to_step": to_step, "superseded": count})
        run_meta["rollbacks"] = records
        run_meta["duplicates_superseded"] = int(superseded.sum())
        run_name = name if len(run_bounds) == 2 else f"run-{k + 1}"
        part = (steps[lo:hi], codes[lo:hi], values[lo:hi])
        if superseded.any():  # (no copy of a million points when nothing is superseded)
            part = tuple(a[~superseded] for a in part)
        # the frame is built lazily from these arrays (run.py): no pandas while reading
        runs.append(run_from_points(run_name, *part, names, run_meta))
    return runs


def _near_zero(step: int, from_step: int) -> bool:
    """Whether a counter going back from from_step to step returns to the start: a new run, not a rollback."""
    return step <= NEW_RUN_MAX_STEP or step < NEW_RUN_SHARE * from_step


def _has_repeats(steps: Any, codes: Any) -> bool:
    """Whether a (series, step) pair repeats, for a run whose steps never go back (no rollback):
    then each series' steps are non-decreasing in file order and a repeat is two equal neighbours."""
    if len(steps) < 2:  # an empty run (a file with no records) has no repeats; codes.max() needs a point
        return False
    for code in range(int(codes.max()) + 1):
        s = steps[codes == code]
        if len(s) > 1 and bool((s[1:] == s[:-1]).any()):
            return True
    return False


def _superseded(steps: Any, codes: Any) -> Any:
    """Which points a later point of the same (series, step) replaces (the later value wins), in numpy."""
    import numpy as np

    order = np.lexsort((np.arange(len(steps)), steps, codes))  # by series, then step, then file position
    s, c = steps[order], codes[order]
    later = np.zeros(len(steps), dtype=bool)
    later[:-1] = (s[1:] == s[:-1]) & (c[1:] == c[:-1])
    out = np.zeros(len(steps), dtype=bool)
    out[order] = later
    return out

"""One series of a run as numpy arrays sorted by step: what the spike analysis passed around as a pandas Series
indexed by step before issue 12 (`lossdoc analyze` no longer imports pandas)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..run import Run

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class StepSeries:
    """Steps (int64, sorted) and their values (float64); ``len()`` is the number of points."""

    steps: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.steps)

    def finite(self) -> StepSeries:
        """The points with a finite value."""
        import numpy as np

        ok = np.isfinite(self.values)
        return StepSeries(self.steps[ok], self.values[ok])

    def within(self, first: float, last: float) -> np.ndarray:
        """The values at steps first..last (both included)."""
        return self.values[(self.steps >= first) & (self.steps <= last)]


def step_series(run: Run, name: str, dropna: bool = False) -> StepSeries:
    """``run.arrays(name)`` as a StepSeries; ``dropna``: without NaN points (+-inf kept, as pandas' dropna)."""
    import numpy as np

    steps, values = run.arrays(name)
    if dropna:
        kept = ~np.isnan(values)
        steps, values = steps[kept], values[kept]
    return StepSeries(steps, values)

"""Run.arrays: one series' points sorted by step, kept and read-only, the same from Points and from a frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lossdoc.run import Run, run_from_points


def points_run() -> Run:
    # file order: a rollback logs step 2 again after step 3; two points at step 3 keep their file order
    steps = np.array([1, 2, 3, 3, 2, 1], dtype=np.int64)
    codes = np.array([0, 0, 0, 0, 0, 1], dtype=np.int64)
    values = np.array([5.0, 4.0, 3.0, 3.5, 4.2, 9.0])
    return run_from_points("r", steps, codes, values, ["train/loss", "val/loss"])


def test_sorted_stable_kept_and_read_only() -> None:
    run = points_run()
    steps, values = run.arrays("train/loss")
    assert steps.tolist() == [1, 2, 2, 3, 3] and values.tolist() == [5.0, 4.0, 4.2, 3.0, 3.5]
    again = run.arrays("train/loss")
    assert again[0] is steps and again[1] is values  # computed once per series
    with pytest.raises(ValueError):
        values[0] = 1.0
    assert run.arrays("val/loss")[1].tolist() == [9.0]
    assert len(run.arrays("train/lr")[0]) == 0


def test_a_frame_run_gives_the_same_points() -> None:
    frame = points_run().df
    run = Run("f", pd.DataFrame(frame))
    steps, values = run.arrays("train/loss")
    assert steps.tolist() == [1, 2, 2, 3, 3] and values.tolist() == [5.0, 4.0, 4.2, 3.0, 3.5]

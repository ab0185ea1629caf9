"""The detector's scores are kept by content: the same series scores once, another series is scored afresh."""

from __future__ import annotations

import numpy as np
import pytest

from lossdoc.analyzers import detector


def test_scores_are_kept_by_content_and_read_only() -> None:
    rng = np.random.default_rng(0)
    steps = np.arange(3000)
    y = 3 + 8 * (1 + steps / 50) ** -0.5 + 0.01 * rng.standard_normal(3000)
    first = detector.robust_scores(y, steps)
    assert detector.robust_scores(y.copy(), steps.copy()) is first  # equal content, other arrays: kept
    with pytest.raises(ValueError):
        first.scale[0] = 1.0  # shared, so read-only
    other = y.copy()
    other[2000] += 1.0
    fresh = detector.robust_scores(other, steps)
    assert fresh is not first and not np.array_equal(fresh.base_up, first.base_up, equal_nan=True)
    assert detector.robust_scores(y, steps.astype(float)) is not first  # steps of another dtype: another key
    detector._cache.clear()
    detector._means.clear()
    again = detector.robust_scores(y, steps)  # computed afresh: the same numbers
    for name in ("level", "base_up", "base_down", "scale"):
        assert np.array_equal(getattr(again, name), getattr(first, name), equal_nan=True)

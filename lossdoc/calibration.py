"""Calibration factors of the projection interval, per (situation, reach): see lossdoc.curvefit.interval.

Written by `python benchmarks/projection.py --calibrate` on 2026-12-01 from 1514 backtests:
synthetic multi-power-law curves of seeds 100-123 and the corpus runs
(benchmarks/projection_calibration.py: split conformal, the 80% quantile of the factor each case needed).
Do not edit by hand; re-run the benchmark when the fit or the interval changes.
"""

# (situation, reach): factor  # synthetic cases, corpus cases
CALIBRATION = {
    ("decay_ahead", "far"): 0.728,  # 125 synthetic, 4 corpus
    ("decay_ahead", "mid"): 0.741,  # 144 synthetic, 8 corpus
    ("decay_ahead", "near"): 0.819,  # 51 synthetic, 4 corpus
    ("decaying", "far"): 1.563,  # 19 synthetic, 0 corpus
    ("decaying", "mid"): 1.563,  # 48 synthetic, 0 corpus
    ("decaying", "near"): 1.563,  # 189 synthetic, 9 corpus
    ("flat", "far"): 0.598,  # 48 synthetic, 4 corpus
    ("flat", "mid"): 2.069,  # 48 synthetic, 4 corpus
    ("flat", "near"): 1.397,  # 48 synthetic, 4 corpus
    ("no_schedule", "far"): 0.020,  # 240 synthetic, 11 corpus
    ("no_schedule", "mid"): 1.211,  # 240 synthetic, 13 corpus
    ("no_schedule", "near"): 2.071,  # 240 synthetic, 13 corpus
}
DEFAULT_FACTOR = 1.319  # all cases pooled: a cell no backtest reached

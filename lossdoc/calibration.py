"""Calibration factors of the projection interval, per (situation, reach): see lossdoc.curvefit.interval.

Written by `python benchmarks/projection.py --calibrate` on 2026-12-01 from 1514 backtests:
synthetic multi-power-law curves of seeds 100-123 and the corpus runs
(benchmarks/projection_calibration.py: split conformal, the 80% quantile of the factor each case needed).
Do not edit by hand; re-run the benchmark when the fit or the interval changes.
"""

# (situation, reach): factor  # synthetic cases, corpus cases
CALIBRATION = {
    ("decay_ahead", "far"): 0.757,  # 144 synthetic, 4 corpus
    ("decay_ahead", "mid"): 0.812,  # 144 synthetic, 8 corpus
    ("decay_ahead", "near"): 0.990,  # 94 synthetic, 6 corpus
    ("decaying", "mid"): 1.530,  # 48 synthetic, 0 corpus
    ("decaying", "near"): 1.530,  # 146 synthetic, 7 corpus
    ("flat", "far"): 0.523,  # 48 synthetic, 4 corpus
    ("flat", "mid"): 1.865,  # 48 synthetic, 4 corpus
    ("flat", "near"): 1.604,  # 48 synthetic, 4 corpus
    ("no_schedule", "far"): 0.229,  # 240 synthetic, 11 corpus
    ("no_schedule", "mid"): 0.780,  # 240 synthetic, 13 corpus
    ("no_schedule", "near"): 1.926,  # 240 synthetic, 13 corpus
}
DEFAULT_FACTOR = 1.029  # all cases pooled: a cell no backtest reached

"""Calibration factors of the projection interval, per (situation, reach): see lossdoc.forecast.interval.

Written by `python benchmarks/projection.py --calibrate` on 2026-12-01 from 1514 backtests:
synthetic multi-power-law curves of seeds 100-123 and the corpus runs
(benchmarks/projection_calibration.py: split conformal, per side the 90% quantile of the factor each case
needed). Do not edit by hand; re-run the benchmark when the fit or the interval changes.
"""

# (situation, reach): (factor below, factor above)  # synthetic cases, corpus cases
CALIBRATION = {
    ("decay_ahead", "far"): (0.474, 0.661),  # 141 synthetic, 4 corpus
    ("decay_ahead", "mid"): (0.848, 0.698),  # 144 synthetic, 8 corpus
    ("decay_ahead", "near"): (1.189, 0.725),  # 59 synthetic, 5 corpus
    ("decaying", "far"): (1.435, 0.808),  # 3 synthetic, 0 corpus
    ("decaying", "mid"): (1.435, 0.808),  # 48 synthetic, 0 corpus
    ("decaying", "near"): (1.435, 0.808),  # 181 synthetic, 8 corpus
    ("flat", "far"): (0.598, 0.274),  # 48 synthetic, 4 corpus
    ("flat", "mid"): (2.069, 0.308),  # 48 synthetic, 4 corpus
    ("flat", "near"): (1.398, 0.151),  # 48 synthetic, 4 corpus
    ("no_schedule", "far"): (0.069, 0.305),  # 240 synthetic, 11 corpus
    ("no_schedule", "mid"): (0.840, 1.983),  # 240 synthetic, 13 corpus
    ("no_schedule", "near"): (0.000, 2.556),  # 240 synthetic, 13 corpus
}
DEFAULT_FACTOR = (0.759, 1.279)  # all cases pooled: a cell no backtest reached

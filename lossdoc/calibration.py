"""Calibration factors of the projection interval, per (situation, reach): see lossdoc.forecast.interval.

Written by `python benchmarks/projection.py --calibrate` on 2026-12-01 from 2954 backtests:
synthetic multi-power-law curves of seeds 100-147 and the corpus runs
(benchmarks/projection_calibration.py: split conformal, per side the 90% quantile of the factor each case
needed). Do not edit by hand; re-run the benchmark when the fit or the interval changes.
"""

# (situation, reach): (factor below, factor above)  # synthetic cases, corpus cases
CALIBRATION = {
    ("decay_ahead", "far"): (0.536, 0.661),  # 285 synthetic, 4 corpus
    ("decay_ahead", "mid"): (0.774, 0.698),  # 290 synthetic, 8 corpus
    ("decay_ahead", "near"): (0.805, 0.668),  # 145 synthetic, 6 corpus
    ("decaying", "far"): (1.429, 0.603),  # 3 synthetic, 0 corpus
    ("decaying", "mid"): (1.429, 0.603),  # 94 synthetic, 0 corpus
    ("decaying", "near"): (1.429, 0.603),  # 335 synthetic, 7 corpus
    ("flat", "far"): (0.598, 0.274),  # 96 synthetic, 4 corpus
    ("flat", "mid"): (2.056, 0.307),  # 96 synthetic, 4 corpus
    ("flat", "near"): (1.391, 0.221),  # 96 synthetic, 4 corpus
    ("no_schedule", "far"): (0.069, 0.305),  # 480 synthetic, 11 corpus
    ("no_schedule", "mid"): (0.692, 1.893),  # 480 synthetic, 13 corpus
    ("no_schedule", "near"): (0.000, 2.624),  # 480 synthetic, 13 corpus
}
DEFAULT_FACTOR = (0.724, 1.382)  # all cases pooled: a cell no backtest reached

"""The measured side of the mfu analysis (lossdoc/analyzers/mfu.py): tokens/s per GPU per ordinary step and the
per-step MFU from it, the MFU and TFLOPS the log prints (rescaled to the real peak), the MFU reported, and the hours
and cost per 1B tokens and of the steps left.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..run import Run
from .flops import CONVENTIONS, flops_per_token, which_convention
from .steptime import analyze_step_times, warmup_count

if TYPE_CHECKING:
    import numpy as np

    from .mfu import MfuResult

PERCENTILES = (10, 50, 90)


def _percentiles(x: np.ndarray) -> dict[str, float]:
    import numpy as np

    p10, p50, p90 = (float(v) for v in np.percentile(x, PERCENTILES))
    return {"median": p50, "p10": p10, "p90": p90}


def measure_throughput(run: Run, facts: Any, r: MfuResult) -> None:
    """Tokens/s per GPU per ordinary step: from tokens/step and step time, else from a logged tokens/s."""
    import numpy as np

    tokens_per_step = facts.get("tokens_per_step")
    eval_steps = run.arrays("val/loss")[0] if run.has("val/loss") else None
    per_gpu: np.ndarray | None = None
    if run.has("train/step_time_ms"):
        r.step_time = analyze_step_times(*run.arrays("train/step_time_ms"), eval_steps=eval_steps)
        if r.step_time is not None and tokens_per_step and len(r.step_time.ms):
            per_gpu = float(tokens_per_step) / r.gpu_count / (r.step_time.ms / 1000.0)
    if per_gpu is None and run.has("train/tokens_per_sec"):
        _, tps = run.arrays("train/tokens_per_sec")
        tps = tps[np.isfinite(tps) & (tps > 0)]
        tps = tps[warmup_count(len(tps)) :]
        if len(tps):
            scope = facts.get("tokens_per_sec_scope") or "total"
            per_gpu = tps if scope == "per_gpu" else tps / r.gpu_count
    if per_gpu is None or not len(per_gpu):
        return
    r.tokens_per_sec_per_gpu = float(np.median(per_gpu))
    r.tokens_per_sec = r.tokens_per_sec_per_gpu * r.gpu_count
    r.hours_per_1b_tokens = 1e9 / r.tokens_per_sec / 3600.0
    if r.flops_per_token:
        achieved = r.flops_per_token * per_gpu / 1e12
        r.achieved_tflops = float(np.median(achieved))
        if r.peak_tflops and "6N only" not in " ".join(r.assumptions):
            r.mfu, r.mfu_method = _percentiles(100.0 * achieved / r.peak_tflops), "computed"
        elif r.peak_tflops:
            r.approx_mfu = _percentiles(100.0 * achieved / r.peak_tflops)


def read_logged(run: Run, facts: Any, r: MfuResult) -> None:
    """The MFU and TFLOPS the log prints, and what they are against the real peak."""
    import numpy as np

    if run.has("train/mfu"):
        _, v = run.arrays("train/mfu")
        v = v[np.isfinite(v) & (v > 0)]
        v = v[warmup_count(len(v)) :]
        if len(v):
            med = float(np.median(v))
            assumed = facts.get("peak_tflops_logged")
            r.logged_mfu = {
                "median": med,
                "assumed_peak_tflops": assumed,
                "assumed_peak_source": facts.source("peak_tflops_logged"),
                "achieved_tflops": med * float(assumed) / 100.0 if assumed else None,
                "rescaled": med * float(assumed) / r.peak_tflops if assumed and r.peak_tflops else None,
            }
        r.logged_convention = facts.get("mfu_convention_logged")
        # (no finite positive MFU printed: logged_mfu stays None, and so does the convention it would tell)
        if (r.logged_convention is None and r.logged_mfu and r.logged_mfu["assumed_peak_tflops"]
                and r.tokens_per_sec_per_gpu):
            r.logged_convention = which_convention(facts, r, med)
        if r.logged_convention in CONVENTIONS and r.flops_per_token:
            try:
                theirs, _ = flops_per_token(facts, r.logged_convention)
            except InputError:
                theirs = None
            r.convention_factor = r.flops_per_token / theirs if theirs else None
    if run.has("train/tflops"):
        _, v = run.arrays("train/tflops")
        v = v[np.isfinite(v) & (v > 0)]
        v = v[warmup_count(len(v)) :]
        if len(v):
            r.logged_tflops = {
                "median": float(np.median(v)),
                "mfu": _percentiles(100.0 * v / r.peak_tflops) if r.peak_tflops else None,
            }


def choose_mfu(r: MfuResult) -> None:
    """The MFU reported: computed from the formula when the log has all it needs, else the logged TFLOPS or the
    logged MFU rescaled to the real peak, else the 6N-only estimate."""
    if r.mfu is not None:
        return
    if r.logged_tflops and r.logged_tflops["mfu"]:
        r.mfu, r.mfu_method = r.logged_tflops["mfu"], "logged_tflops"
        r.achieved_tflops = r.logged_tflops["median"]  # the log's own count beats our 6N-only estimate
    elif r.logged_mfu and r.logged_mfu["rescaled"] is not None:
        med = r.logged_mfu["rescaled"]
        r.mfu, r.mfu_method = {"median": med, "p10": None, "p90": None}, "logged_mfu"  # type: ignore[dict-item]
        r.achieved_tflops = r.logged_mfu["achieved_tflops"]
    elif r.approx_mfu:
        r.mfu, r.mfu_method = r.approx_mfu, "computed_6n"
    if r.achieved_tflops is None:
        if r.logged_tflops:
            r.achieved_tflops = r.logged_tflops["median"]
        elif r.logged_mfu and r.logged_mfu["achieved_tflops"]:
            r.achieved_tflops = r.logged_mfu["achieved_tflops"]


def add_cost(run: Run, facts: Any, r: MfuResult, price: float | None) -> None:
    if price is not None and r.hours_per_1b_tokens is not None:
        r.cost_per_1b_tokens = r.hours_per_1b_tokens * r.gpu_count * price
    planned = facts.get("max_steps")
    if not planned or r.step_time is None:
        return
    last = max(int(s[-1]) for s in (run.arrays(n)[0] for n in run.names()) if len(s))
    left = max(0, int(planned) - last)
    hours = left * r.step_time.median_ms / 3.6e6
    r.remaining = {
        "last_step": last,
        "planned_steps": int(planned),
        "steps": left,
        "hours": hours,
        "cost": hours * r.gpu_count * price if price is not None else None,
    }

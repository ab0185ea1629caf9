"""The mfu analysis' findings (lossdoc/analyzers/mfu.py): a printed MFU above 100%, the printed MFU beside the
recomputed one with each reason they differ, an MFU above the peak or suspect on a consumer card, an unknown GPU,
the GPU count the numbers imply, the MFU against the fp8 peak, and the slow steps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import gpus as gpu_table
from ..findings import Finding, Severity
from .flops import CONVENTION_MATCH, FORMULAS
from .steptime import DRIFT_RATIO, SLOW_RATIO, StepTimes

if TYPE_CHECKING:
    from .mfu import MfuResult

NAME = "mfu"
OVER_PEAK = 100.0  # % : an MFU above the peak means the peak (or the GPU, or the GPU count) is wrong
CONSUMER_SUSPECT = 60.0  # % : above this on a GeForce card, check the peak before celebrating (our choice: the
#                          best published consumer-card training runs sit at 40-55% of the FP32-accumulate rate)
DIFFER_REL = 0.05  # printed and recomputed MFU more than 5% apart (relative): say why
IMPLIED_TOLERANCE = 0.08  # ratio within 8% of a whole number (nanoGPT's running average reads ~3% low)


def _gpu_words(r: MfuResult) -> str:
    count = f"{r.gpu_count}x " if r.gpu_count > 1 else ""
    return f"{count}{r.gpu} ({r.peak_tflops:g} TFLOPS dense {r.dtype})"


def make_findings(r: MfuResult) -> list[Finding]:
    out: list[Finding] = []
    lm = r.logged_mfu
    if lm and lm["median"] > OVER_PEAK:
        out.append(_over_peak_printed(r))
    elif lm and lm["rescaled"] is not None and r.mfu and r.mfu_method == "computed":
        out.extend(_printed_vs_real(r))
    elif lm and lm["rescaled"] is not None and lm["assumed_peak_tflops"] and abs(
        float(lm["assumed_peak_tflops"]) - r.peak_tflops  # type: ignore[operator]
    ) / r.peak_tflops > DIFFER_REL:  # type: ignore[operator]
        out.append(_rescaled_note(r))
    if r.mfu and r.mfu["median"] is not None and r.mfu["median"] > OVER_PEAK:
        out.append(
            Finding(
                NAME, Severity.WARNING,
                f"MFU {r.mfu['median']:.0f}% is above 100% of {_gpu_words(r)}: the peak, the GPU or the GPU count "
                "is wrong",
                {"mfu": r.mfu["median"], "peak_tflops": r.peak_tflops, "gpu_count": r.gpu_count},
                "Check --gpu, --dtype and --gpus; no GPU runs above its dense peak.",
            )
        )  # fmt: skip
    elif r.mfu and r.gpu_kind == "consumer" and (r.mfu["median"] or 0) > CONSUMER_SUSPECT:
        out.append(
            Finding(
                NAME, Severity.WARNING,
                f"MFU {r.mfu['median']:.0f}% on a {r.gpu}: above ~{CONSUMER_SUSPECT:.0f}%, check the peak before "
                "calling it success",
                {"mfu": r.mfu["median"], "peak_tflops": r.peak_tflops},
                "A GeForce card's bf16 training rate is its FP16 tensor rate with FP32 accumulate "
                f"({r.peak_tflops:g} here); check --dtype, --gpus and the tokens per step.",
            )
        )  # fmt: skip
    if r.peak_tflops is None and (r.achieved_tflops or r.tokens_per_sec):
        out.append(_unknown_gpu(r))
    if r.peak_tflops and r.mfu is None:
        missing, advice = _why_no_mfu(r)
        out.append(
            Finding(
                NAME, Severity.INFO,
                f"MFU not computed on {_gpu_words(r)}: the log states {missing}, and prints no MFU or TFLOPS",
                {"gpu": r.gpu, "tokens_per_sec": r.tokens_per_sec, "flops_per_token": r.flops_per_token},
                advice,
            )
        )  # fmt: skip
    if r.mfu_method == "logged_tflops" and r.logged_tflops:
        out.append(
            Finding(
                NAME, Severity.INFO,
                f"MFU {r.mfu['median']:.1f}% from the printed {r.logged_tflops['median']:.1f} TFLOPS per GPU "  # type: ignore[index]
                f"(median) and {_gpu_words(r)}",
                {"logged_tflops": r.logged_tflops["median"], "mfu": r.mfu["median"]},  # type: ignore[index]
                "",
            )
        )  # fmt: skip
    if r.fp8_mfu is not None:
        out.append(
            Finding(
                NAME, Severity.INFO,
                f"the linear layers ran in FP8 ({r.fp8_source}): against {r.gpu}'s dense fp8 peak "
                f"{r.fp8_peak:g} TFLOPS the MFU is {r.fp8_mfu:.1f}% ({r.mfu['median']:.1f}% against {r.dtype})",  # type: ignore[index]
                {"fp8_peak_tflops": r.fp8_peak, "fp8_mfu": r.fp8_mfu},
                "Quote the MFU against the peak of the precision the matmuls use; --dtype fp8 makes it the main one.",
            )
        )  # fmt: skip
    implied = implied_gpu_count(r)
    if implied:
        out.append(
            Finding(
                NAME, Severity.INFO,
                f"the printed MFU is per GPU and the tokens per step over 1 GPU give {implied}x it: the run used "
                f"about {implied} GPUs, not the 1 assumed",
                {"implied_gpus": implied},
                f"Give --gpus {implied} for the per-GPU MFU and throughput.",
            )
        )  # fmt: skip
    top = max_peak(r.dtype)
    if r.achieved_tflops and top and r.achieved_tflops > top and r.gpu_count_source == "assumed":
        out.append(
            Finding(
                NAME, Severity.INFO,
                f"{r.achieved_tflops:.0f} TFLOPS per GPU is above every GPU's dense {r.dtype} peak (at most {top:g}): "
                "the run used more than the 1 GPU assumed",
                {"achieved_tflops": r.achieved_tflops, "max_peak_tflops": top},
                "Give --gpus N for the per-GPU figures.",
            )
        )  # fmt: skip
    if r.step_time is not None:
        out.extend(_step_time_findings(r.step_time))
    return out


def implied_gpu_count(r: MfuResult) -> int | None:
    """With the GPU count assumed: the ratio of the MFU our throughput gives (on the log's own peak and FLOPs
    convention) to the printed per-GPU MFU, when it is close to a whole number >= 2 (IMPLIED_TOLERANCE)."""
    lm = r.logged_mfu
    if r.gpu_count_source != "assumed" or not lm or not lm.get("assumed_peak_tflops") or not r.achieved_tflops:
        return None
    if r.convention_factor is None or not lm["median"]:
        return None
    ours = 100.0 * r.achieved_tflops / r.convention_factor / float(lm["assumed_peak_tflops"])
    ratio = ours / lm["median"]
    k = round(ratio)
    return k if k >= 2 and abs(ratio - k) <= IMPLIED_TOLERANCE * k else None


def max_peak(dtype: str) -> float | None:
    """The largest dense peak of any GPU in the table for the dtype."""
    values = [e["peaks"][dtype] for e in gpu_table.GPUS if dtype in e["peaks"]]
    return max(values) if values else None


def _over_peak_printed(r: MfuResult) -> Finding:
    lm = r.logged_mfu or {}
    assumed = lm.get("assumed_peak_tflops")
    against = f" against {assumed:g} TFLOPS ({lm.get('assumed_peak_source')})" if assumed else ""
    if r.mfu and r.peak_tflops:
        real = f"on {_gpu_words(r)} it is {r.mfu['median']:.1f}%"
        return Finding(
            NAME, Severity.INFO,
            f"printed MFU {lm['median']:.0f}% is above 100%: it is computed{against}; {real}",
            {"logged_mfu": lm["median"], "assumed_peak_tflops": assumed, "peak_tflops": r.peak_tflops,
             "mfu": r.mfu["median"]},
            "Above 100% means the assumed peak is wrong, not that the GPU beat it; put the real peak in the "
            "training script's MFU formula.",
        )  # fmt: skip
    return Finding(
        NAME, Severity.WARNING,
        f"printed MFU {lm['median']:.0f}% is above 100%{against}: the assumed peak is wrong for this GPU, "
        "which the log does not name",
        {"logged_mfu": lm["median"], "assumed_peak_tflops": assumed, "achieved_tflops": r.achieved_tflops},
        "Give --gpu NAME (or --peak-tflops X) for the real MFU; no GPU runs above its dense peak.",
    )  # fmt: skip


def _printed_vs_real(r: MfuResult) -> list[Finding]:
    """The printed MFU beside the recomputed one, with each reason they differ: the peak, the FLOPs convention,
    and what is left (nanoGPT's running average, which the eval steps drag down)."""
    lm = r.logged_mfu or {}
    real, printed = r.mfu["median"], lm["median"]  # type: ignore[index]
    if abs(real - printed) / max(real, 1e-9) <= DIFFER_REL:
        return []
    reasons = []
    assumed = lm.get("assumed_peak_tflops")
    on_peak = lm["rescaled"]
    if assumed and abs(float(assumed) - r.peak_tflops) / r.peak_tflops > DIFFER_REL:  # type: ignore[operator]
        reasons.append(
            f"the log divides by {assumed:g} TFLOPS, the real dense {r.dtype} peak is {r.peak_tflops:g} "
            f"(its {printed:.1f}% is {on_peak:.1f}% on this peak)"
        )
    factor = r.convention_factor
    theirs = r.logged_convention
    expected = on_peak * (factor or 1.0)
    if factor and abs(factor - 1) > CONVENTION_MATCH / 2:
        reasons.append(
            f"the log counts FLOPs per token as {theirs} does ({FORMULAS[theirs]}), lossdoc as {r.convention} "  # type: ignore[index]
            f"({FORMULAS[r.convention]}): {100 * (factor - 1):+.1f}%"
        )
    left = real / expected - 1
    if abs(left) > CONVENTION_MATCH:
        st = r.step_time
        why = (
            "a running average over logged steps that the slow eval steps drag down"
            if st is not None and st.at_eval and left > 0
            else "measured over other steps or another FLOPs count"
        )
        reasons.append(f"the rest ({100 * left:+.1f}%): the printed figure is {why}")
    return [
        Finding(
            NAME, Severity.INFO,
            f"printed MFU {printed:.1f}% vs {real:.1f}% recomputed on {_gpu_words(r)}: " + "; ".join(reasons),
            {"logged_mfu": printed, "mfu": real, "rescaled_logged_mfu": on_peak, "convention": r.convention,
             "logged_convention": theirs},
            "lossdoc's convention is --convention (nanogpt, torchtitan, llmc); the peak is the datasheet's dense "
            "figure for the training dtype.",
        )
    ]  # fmt: skip


def _rescaled_note(r: MfuResult) -> Finding:
    lm = r.logged_mfu or {}
    return Finding(
        NAME, Severity.INFO,
        f"printed MFU {lm['median']:.1f}% is against {lm['assumed_peak_tflops']:g} TFLOPS; rescaled to "
        f"{_gpu_words(r)} it is {lm['rescaled']:.1f}%",
        {"logged_mfu": lm["median"], "assumed_peak_tflops": lm["assumed_peak_tflops"], "mfu": lm["rescaled"]},
        "",
    )  # fmt: skip


def _unknown_gpu(r: MfuResult) -> Finding:
    what = f"GPU {r.gpu!r} is not in the table" if r.gpu else "the log does not name the GPU"
    got = f"{r.achieved_tflops:.1f} TFLOPS per GPU achieved" if r.achieved_tflops else "throughput only"
    if r.achieved_tflops and r.gpu_count_source == "assumed":
        got = f"{r.achieved_tflops:.1f} TFLOPS achieved in all (the log states no GPU count: per GPU if it was 1)"
        fastest = gpu_table.highest_peak(r.dtype)
        if fastest is not None and r.achieved_tflops > fastest.peak(r.dtype):
            got += (f"; no single GPU runs that fast ({fastest.name}: {fastest.peak(r.dtype):g} TFLOPS dense "
                    f"{r.dtype}): it ran on several, {r.achieved_tflops / 8:.1f} per GPU if 8")
    return Finding(
        NAME, Severity.INFO,
        f"MFU unknown: {what}; {got}",
        {"gpu": r.gpu, "achieved_tflops": r.achieved_tflops},
        "Give --gpu NAME or --peak-tflops X (dense, for the training dtype) for the MFU"
        + (", and --gpus N" if r.gpu_count_source == "assumed" else "") + ".",
    )  # fmt: skip


def _step_time_findings(st: StepTimes) -> list[Finding]:
    out = []
    if st.drift and st.drift["ratio"] >= DRIFT_RATIO:
        d = st.drift
        out.append(
            Finding(
                NAME, Severity.WARNING,
                f"steps got slower: median {d['early_ms']:.0f} ms early vs {d['late_ms']:.0f} ms late "
                f"({d['ratio']:.2f}x)",
                dict(d), "Look for thermal throttling, a slower node, data loading or a growing eval cost.",
            )
        )  # fmt: skip
    if st.slow and st.slow_share_of_time >= 0.01:
        period = f", every ~{st.slow_period:,} steps" if st.slow_period else ""
        evals = f", {st.at_eval} at evals" if st.at_eval else ""
        kept = "excluded from the MFU" if st.excluded == len(st.slow) else (
            f"{st.excluded} excluded from the MFU" if st.excluded else "kept in the MFU: part of the training loop")
        out.append(
            Finding(
                NAME, Severity.INFO,
                f"{len(st.slow)} slow steps (> {SLOW_RATIO:g}x the median {st.median_ms:.0f} ms{period}{evals}) cost "
                f"{100 * st.slow_share_of_time:.1f}% of the wall time; {kept}",
                {"slow_steps": len(st.slow), "share": st.slow_share_of_time, "period": st.slow_period},
                "",
            )
        )  # fmt: skip
    return out


def _why_no_mfu(r: MfuResult) -> tuple[str, str]:
    """What the log lacks for an MFU, and where to get it: the model's size, or the tokens a step processes (a
    val-only modded-nanogpt record states its size and step time, not its batch)."""
    if r.flops_per_token is None:
        return ("no parameter count",
                "The parameter count (and n_layer, n_embd, block size) in the log or a config gives the MFU.")
    return ("no tokens per step (batch size x sequence length) to turn its step time into tokens/s",
            "The batch size and sequence length in the log or a config give the MFU.")

"""MFU on the GPU the run really used: FLOPs per token with the convention stated, per-step MFU from step time and
tokens per step per GPU (warm-up and eval/checkpoint-inflated steps skipped), the printed MFU beside it with the
reason they differ, throughput and cost per 1B tokens.

MFU = FLOPs per token x tokens/s per GPU / peak FLOPS of one GPU (PaLM, Chowdhery et al. 2022, Appendix B).
FLOPs per token, training (forward + backward), N parameters, L layers, d = H*Q width, T sequence length:
- nanogpt (default; PaLM App. B, nanoGPT model.py estimate_mfu): 6N + 12*L*d*T
- torchtitan (torchtitan/models/utils.py get_nparams_and_flops): 6(N - V*d) + 12*L*d*T (embeddings excluded)
- llmc (llm.c train_gpt2.cu gpt2_estimate_mfu): 6N + 6*L*d*T (half the attention term)
When the log lacks what the formula needs but prints achieved TFLOPS (torchtitan, Megatron) or an MFU against a
known peak (nanoGPT always divides by 312, an A100), that figure is rescaled to the real peak, and said so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import gpus as gpu_table
from ..errors import InputError
from ..facts import run_facts
from ..findings import Finding, Severity
from ..run import Run
from .steptime import DRIFT_RATIO, SLOW_RATIO, StepTimes, analyze_step_times, warmup_count

if TYPE_CHECKING:
    import numpy as np

NAME = "mfu"

CONVENTIONS = ("nanogpt", "torchtitan", "llmc")
DEFAULT_DTYPE = "bf16"  # assumed when neither the log nor --dtype says (and said so)
OVER_PEAK = 100.0  # % : an MFU above the peak means the peak (or the GPU, or the GPU count) is wrong
CONSUMER_SUSPECT = 60.0  # % : above this on a GeForce card, check the peak before celebrating (our choice: the
#                          best published consumer-card training runs sit at 40-55% of the FP32-accumulate rate)
DIFFER_REL = 0.05  # printed and recomputed MFU more than 5% apart (relative): say why
PERCENTILES = (10, 50, 90)
CONVENTION_MATCH = 0.02  # a convention "is" the log's when it reproduces the printed MFU within 2% (relative)
IMPLIED_TOLERANCE = 0.08  # ratio within 8% of a whole number (nanoGPT's running average reads ~3% low)
FORMULAS = {"nanogpt": "6N + 12*L*d*T", "torchtitan": "6(N - V*d) + 12*L*d*T", "llmc": "6N + 6*L*d*T"}


@dataclass
class MfuResult:
    gpu: str | None  # table name, or the log's name when not in the table, or None
    gpu_logged: str | None
    gpu_source: str
    gpu_count: int
    gpu_count_source: str
    dtype: str
    dtype_source: str
    peak_tflops: float | None
    peak_source: str
    gpu_kind: str | None
    convention: str
    flops_per_token: float | None
    flops_formula: str | None
    mfu: dict[str, float] | None  # median/p10/p90 in percent, of the chosen method
    mfu_method: str | None  # computed / logged_tflops / logged_mfu
    logged_mfu: dict[str, Any] | None  # {median, assumed_peak, rescaled}
    logged_tflops: dict[str, Any] | None  # {median, mfu}
    achieved_tflops: float | None  # per GPU, median
    tokens_per_sec: float | None  # all GPUs
    tokens_per_sec_per_gpu: float | None
    hours_per_1b_tokens: float | None
    cost_per_1b_tokens: float | None
    remaining: dict[str, Any] | None
    step_time: StepTimes | None
    logged_convention: str | None = None  # the FLOPs convention of the printed MFU (facts, else the one matching)
    convention_factor: float | None = None  # our FLOPs per token / the log's
    approx_mfu: dict[str, float] | None = None
    fp8_mfu: float | None = None  # median MFU against the fp8 peak, when the log says the matmuls ran in fp8
    fp8_peak: float | None = None
    fp8_source: str | None = None  # 6N-only estimate, when the shape is missing
    assumptions: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "gpu": self.gpu,
            "gpu_logged": self.gpu_logged,
            "gpu_source": self.gpu_source,
            "gpu_count": self.gpu_count,
            "dtype": self.dtype,
            "peak_tflops": self.peak_tflops,
            "peak_source": self.peak_source,
            "convention": self.convention,
            "flops_per_token": self.flops_per_token,
            "flops_formula": self.flops_formula,
            "mfu": self.mfu,
            "mfu_method": self.mfu_method,
            "logged_mfu": self.logged_mfu,
            "logged_tflops": self.logged_tflops,
            "logged_convention": self.logged_convention,
            "convention_factor": self.convention_factor,
            "achieved_tflops": self.achieved_tflops,
            "tokens_per_sec": self.tokens_per_sec,
            "tokens_per_sec_per_gpu": self.tokens_per_sec_per_gpu,
            "hours_per_1b_tokens": self.hours_per_1b_tokens,
            "cost_per_1b_tokens": self.cost_per_1b_tokens,
            "remaining": self.remaining,
            "fp8_mfu": self.fp8_mfu,
            "step_time": self.step_time.to_json() if self.step_time else None,
            "assumptions": self.assumptions,
            "findings": [f.to_json() for f in self.findings],
        }


def applies(run: Run) -> str | None:
    if any(run.has(n) for n in ("train/step_time_ms", "train/tokens_per_sec", "train/mfu", "train/tflops")):
        return None
    return "no step time, throughput, MFU or TFLOPS series"


def analyze(
    run: Run,
    gpu: str | None = None,
    peak_tflops: float | None = None,
    dtype: str | None = None,
    gpus: int | None = None,
    convention: str = "nanogpt",
    price_per_gpu_hour: float | None = None,
    **_options: Any,
) -> MfuResult:
    if convention not in CONVENTIONS:
        raise InputError(f"--convention must be one of {', '.join(CONVENTIONS)} (got {convention!r})")
    facts = run_facts(run)
    r = _hardware(facts, gpu, peak_tflops, dtype, gpus, convention)
    r.flops_per_token, r.flops_formula = flops_per_token(facts, convention, r.assumptions)
    _throughput(run, facts, r)
    _logged(run, facts, r)
    _choose(r)
    _fp8(facts, r, gpu)
    _cost(run, facts, r, price_per_gpu_hour)
    r.findings = _findings(r)
    return r


# --- hardware: GPU, count, dtype, peak --------------------------------------------------------------------------
def _hardware(facts: Any, gpu: str | None, peak: float | None, dtype: str | None, count: int | None, conv: str):
    assumptions: list[str] = []
    logged = facts.get("gpu")
    dt = gpu_table.normalize_dtype(dtype) if dtype else None
    if dtype and dt is None:
        raise InputError(f"--dtype must be one of {', '.join(gpu_table.DTYPES)} (got {dtype!r})")
    dt_source = "flag --dtype" if dt else ""
    if dt is None and facts.get("dtype") is not None:
        dt = gpu_table.normalize_dtype(facts.get("dtype"))
        dt_source = facts.source("dtype") or ""
    if dt is None:
        dt, dt_source = DEFAULT_DTYPE, "assumed"
        assumptions.append(f"dtype {DEFAULT_DTYPE} assumed (the log does not state it; --dtype)")
    entry = gpu_table.resolve(gpu) if gpu else (gpu_table.lookup(str(logged)) if logged else None)
    gpu_source = "flag --gpu" if gpu else (facts.source("gpu") or "") if entry else ""
    name = entry.name if entry else (str(logged) if logged else None)
    if count is not None:
        n, n_source = int(count), "flag --gpus"
    elif facts.get("gpu_count") or facts.get("world_size"):
        key = "gpu_count" if facts.get("gpu_count") else "world_size"
        n, n_source = int(facts.get(key)), facts.source(key) or ""
    else:
        n, n_source = 1, "assumed"
        assumptions.append("1 GPU assumed (the log does not state the GPU count; --gpus N)")
    if peak is not None:
        peak_value, peak_source = float(peak), "flag --peak-tflops"
    elif entry is not None:
        peak_value = entry.peak(dt)
        peak_source = f"{entry.name} dense {dt}: {entry.source}"
        if peak_value is None and dt == "bf16" and entry.peak("fp16"):
            peak_value, dt = entry.peak("fp16"), "fp16"
            peak_source = f"{entry.name} has no bf16 tensor path; dense fp16: {entry.source}"
            assumptions.append(f"{entry.name} has no bf16: its fp16 peak is used")
    else:
        peak_value, peak_source = None, ""
    if name and entry is None and peak is None:
        gpu_source = facts.source("gpu") or ""
    return MfuResult(
        gpu=name, gpu_logged=str(logged) if logged else None, gpu_source=gpu_source, gpu_count=n,
        gpu_count_source=n_source, dtype=dt, dtype_source=dt_source, peak_tflops=peak_value,
        peak_source=peak_source, gpu_kind=entry.kind if entry else None, convention=conv, flops_per_token=None,
        flops_formula=None, mfu=None, mfu_method=None, logged_mfu=None, logged_tflops=None, achieved_tflops=None,
        tokens_per_sec=None, tokens_per_sec_per_gpu=None, hours_per_1b_tokens=None, cost_per_1b_tokens=None,
        remaining=None, step_time=None, assumptions=assumptions,
    )  # fmt: skip


def flops_per_token(facts: Any, convention: str, notes: list[str] | None = None) -> tuple[float | None, str | None]:
    """Training FLOPs per token by the convention, from the run facts; (None, None) without a parameter count."""
    n = facts.get("params_logged")
    layers, width, seq = facts.get("n_layer"), facts.get("n_embd"), facts.get("block_size")
    estimated = ""
    if not n and layers and width and facts.get("vocab_size"):
        # GPT-2 layout without biases, head tied to the token embedding, no learned positions (nanoGPT's
        # get_num_params count): 12*L*d^2 (attention 4d^2 + MLP 8d^2 per layer) + V*d
        n = 12 * layers * width**2 + facts.get("vocab_size") * width
        estimated = " estimated as 12*L*d^2 + V*d"
        if notes is not None:
            notes.append(f"parameter count not in the log: N = 12*L*d^2 + V*d = {n:,} (GPT-2 layout, tied head)")
    if not n:
        return None, None
    n = float(n)
    if not (layers and width and seq):
        if notes is not None:
            notes.append("model shape not in the log: 6N only, without the attention term")
        return 6 * n, f"6N (N={n:,.0f}; no attention term: n_layer/n_embd/block_size not stated)"
    attn = 12.0 * layers * width * seq
    if estimated:
        return 6 * n + attn if convention != "llmc" else 6 * n + attn / 2, (
            f"{FORMULAS[convention if convention != 'torchtitan' else 'nanogpt']} ({convention}; N={n:,.0f}"
            f"{estimated}, L={layers}, d={width}, T={seq})"
        )
    if convention == "llmc":
        return 6 * n + attn / 2, f"6N + 6*L*d*T (llm.c; N={n:,.0f}, L={layers}, d={width}, T={seq})"
    if convention == "torchtitan":
        vocab = facts.get("vocab_size")
        if not vocab:
            raise InputError("--convention torchtitan needs the vocabulary size, which the log does not state")
        emb = float(vocab) * width
        shape = f"N={n:,.0f}, V={vocab}, L={layers}, d={width}, T={seq}"
        return 6 * (n - emb) + attn, f"6(N - V*d) + 12*L*d*T (torchtitan; {shape})"
    return 6 * n + attn, f"6N + 12*L*d*T (nanoGPT/PaLM; N={n:,.0f}, L={layers}, d={width}, T={seq})"


# --- throughput and per-step MFU ---------------------------------------------------------------------------------
def _percentiles(x: np.ndarray) -> dict[str, float]:
    import numpy as np

    p10, p50, p90 = (float(v) for v in np.percentile(x, PERCENTILES))
    return {"median": p50, "p10": p10, "p90": p90}


def _throughput(run: Run, facts: Any, r: MfuResult) -> None:
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


def _logged(run: Run, facts: Any, r: MfuResult) -> None:
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
        if r.logged_convention is None and r.logged_mfu["assumed_peak_tflops"] and r.tokens_per_sec_per_gpu:
            r.logged_convention = _which_convention(facts, r, med)
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


def _which_convention(facts: Any, r: MfuResult, printed: float) -> str | None:
    """The FLOPs convention whose MFU, at the log's own assumed peak and our throughput, is the printed one."""
    assumed = float(facts.get("peak_tflops_logged"))
    for conv in CONVENTIONS:
        try:
            fpt, formula = flops_per_token(facts, conv)
        except InputError:
            continue
        if fpt is None or "6N (" in (formula or ""):
            return None
        mfu = 100.0 * fpt * r.tokens_per_sec_per_gpu / (assumed * 1e12)  # type: ignore[operator]
        if abs(mfu - printed) / printed <= CONVENTION_MATCH:
            return conv
    return None


def _choose(r: MfuResult) -> None:
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


def _fp8(facts: Any, r: MfuResult, gpu: str | None) -> None:
    """MFU against the fp8 peak too, when the log says the matmuls ran in fp8 and the dtype is not fp8 already."""
    if facts.get("matmul_dtype") != "fp8" or r.dtype == "fp8" or not r.mfu or r.peak_tflops is None:
        return
    entry = gpu_table.resolve(gpu) if gpu else gpu_table.lookup(str(facts.get("gpu") or ""))
    if entry is None or entry.peak("fp8") is None:
        return
    r.fp8_peak = entry.peak("fp8")
    r.fp8_mfu = r.mfu["median"] * r.peak_tflops / r.fp8_peak  # type: ignore[operator]
    r.fp8_source = facts.source("matmul_dtype")


def _cost(run: Run, facts: Any, r: MfuResult, price: float | None) -> None:
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


# --- findings ----------------------------------------------------------------------------------------------------
def _gpu_words(r: MfuResult) -> str:
    count = f"{r.gpu_count}x " if r.gpu_count > 1 else ""
    return f"{count}{r.gpu} ({r.peak_tflops:g} TFLOPS dense {r.dtype})"


def _findings(r: MfuResult) -> list[Finding]:
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
        out.append(
            Finding(
                NAME, Severity.INFO,
                f"MFU not computed on {_gpu_words(r)}: the log states no parameter count, and prints no MFU or TFLOPS",
                {"gpu": r.gpu, "tokens_per_sec": r.tokens_per_sec},
                "The parameter count (and n_layer, n_embd, block size) in the log or a config gives the MFU.",
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

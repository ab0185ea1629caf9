"""MFU on the GPU the run really used: FLOPs per token with the convention stated, per-step MFU from step time and
tokens per step per GPU (warm-up and eval/checkpoint-inflated steps skipped), the printed MFU beside it with the
reason they differ, throughput and cost per 1B tokens.

MFU = FLOPs per token x tokens/s per GPU / peak FLOPS of one GPU (PaLM, Chowdhery et al. 2022, Appendix B).
FLOPs per token by convention (nanogpt, torchtitan, llmc; each formula with its source): flops.py.
When the log lacks what the formula needs but prints achieved TFLOPS (torchtitan, Megatron) or an MFU against a
known peak (nanoGPT always divides by 312, an A100), that figure is rescaled to the real peak, and said so.

Here: the result, the GPU, GPU count, dtype and peak with their sources, the fp8 peak. The throughput, the printed
figures, the MFU reported and the cost are in throughput.py, the findings in mfu_findings.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import gpus as gpu_table
from ..errors import InputError
from ..facts import run_facts
from ..findings import Finding
from ..run import Run
from .flops import CONVENTIONS, FORMULAS, flops_per_token  # noqa: F401 (FORMULAS re-exported)
from .mfu_findings import NAME, implied_gpu_count, make_findings, max_peak  # noqa: F401 (NAME: ANALYZERS; re-exported)
from .steptime import StepTimes
from .throughput import add_cost, choose_mfu, measure_throughput, read_logged

DEFAULT_DTYPE = "bf16"  # assumed when neither the log nor --dtype says (and said so)


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
    flops_per_token: int | None
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
            "gpu_count_source": self.gpu_count_source,
            "dtype": self.dtype,
            "dtype_source": self.dtype_source,
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
    measure_throughput(run, facts, r)
    read_logged(run, facts, r)
    choose_mfu(r)
    _fp8(facts, r, gpu)
    add_cost(run, facts, r, price_per_gpu_hour)
    r.findings = make_findings(r)
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

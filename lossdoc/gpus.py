"""GPU peak FLOPS: find a GPU by the name a log or a user gives, and its dense peak for a dtype.

The table (lossdoc/gpu_table.py) holds each GPU's aliases, peaks per dtype and source. Matching is on words, not
substrings, so "NVIDIA A100-PCIE-40GB" is an A100 and never an A10. An unknown name is an error that lists the
close matches; nothing falls back to an A100 silently (nanoGPT's 312 assumption is what this module exists to fix).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from .errors import InputError
from .gpu_table import GPUS  # noqa: F401 - re-exported: gpus.GPUS is the table

DTYPES = ("bf16", "fp16", "fp8", "tf32", "fp32")
# how logs and flags spell a dtype -> the table's key
DTYPE_ALIASES = {
    "bf16": "bf16", "bfloat16": "bf16", "torch.bfloat16": "bf16", "bf16-mixed": "bf16", "amp_bf16": "bf16",
    "fp16": "fp16", "float16": "fp16", "half": "fp16", "torch.float16": "fp16", "16-mixed": "fp16", "amp": "fp16",
    "fp8": "fp8", "float8": "fp8", "mxfp8": "fp8", "e4m3": "fp8",
    "tf32": "tf32",
    "fp32": "fp32", "float32": "fp32", "float": "fp32", "32": "fp32", "torch.float32": "fp32",
}  # fmt: skip
CLOSE_MATCHES = 5  # names listed when a GPU name is unknown
_WORDS = re.compile(r"[a-z0-9]+")
_NOISE = {"nvidia", "geforce", "tesla", "amd", "instinct", "gpu", "generation", "oam"}


@dataclass(frozen=True)
class GPU:
    name: str
    kind: str  # datacenter / workstation / consumer / apple
    peaks: dict[str, float]  # dtype -> dense TFLOPS
    source: str
    matched: str  # the alias that matched the given name

    def peak(self, dtype: str) -> float | None:
        return self.peaks.get(dtype)


def words(name: str) -> tuple[str, ...]:
    """A GPU name as lower-case words without vendor noise: "NVIDIA A100-PCIE-40GB" -> ("a100", "pcie", "40gb")."""
    return tuple(w for w in _WORDS.findall(name.lower()) if w not in _NOISE)


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return n > 0 and any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def _gpu(entry: dict, alias: str) -> GPU:
    return GPU(entry["name"], entry["kind"], dict(entry["peaks"]), entry["source"], alias)


def lookup(name: str) -> GPU | None:
    """The GPU a name means: an exact alias (in words), else the entry whose longest alias is contained in the name
    as whole words ("NVIDIA GeForce RTX 4070 Ti SUPER" -> RTX 4070 Ti). None when nothing matches."""
    key = words(name)
    if not key:
        return None
    best: tuple[int, dict, str] | None = None
    for entry in GPUS:
        for alias in [entry["name"], *entry["aliases"]]:
            aw = words(alias)
            if aw == key:
                return _gpu(entry, alias)
            if _contains(key, aw) and (best is None or len(aw) > best[0]):
                best = (len(aw), entry, alias)
    return _gpu(best[1], best[2]) if best else None


def close_matches(name: str, n: int = CLOSE_MATCHES) -> list[str]:
    """Table names that look like ``name`` (for the error message of an unknown GPU)."""
    by_alias = {" ".join(words(a)): e["name"] for e in GPUS for a in [e["name"], *e["aliases"]]}
    hits = difflib.get_close_matches(" ".join(words(name)), list(by_alias), n=n * 3, cutoff=0.5)
    out: list[str] = []
    for hit in hits:
        if by_alias[hit] not in out:
            out.append(by_alias[hit])
    return out[:n]


def resolve(name: str) -> GPU:
    """The GPU of a --gpu flag: unknown names are an InputError listing close matches and --peak-tflops."""
    gpu = lookup(name)
    if gpu is None:
        near = close_matches(name)
        hint = f"close matches: {', '.join(near)}" if near else "no close match"
        raise InputError(f"unknown GPU {name!r} ({hint}); give --peak-tflops X for a GPU not in the table")
    return gpu


def normalize_dtype(dtype: str | None) -> str | None:
    """bf16 / fp16 / fp8 / tf32 / fp32 from how a log or a flag writes it; None when not recognised."""
    if dtype is None:
        return None
    return DTYPE_ALIASES.get(str(dtype).strip().lower())


def highest_peak(dtype: str) -> GPU | None:
    """The GPU in the table with the highest dense peak for a dtype: no single GPU runs faster."""
    from .gpu_table import GPUS

    best = max((e for e in GPUS if dtype in e["peaks"]), key=lambda e: e["peaks"][dtype], default=None)
    return _gpu(best, best["name"]) if best else None


def names() -> list[str]:
    return [e["name"] for e in GPUS]

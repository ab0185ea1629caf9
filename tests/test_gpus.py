"""The GPU table: every entry sourced, dense rates, consumer cards at the FP32-accumulate tensor rate, name lookup."""

from __future__ import annotations

import pytest

from lossdoc import gpus
from lossdoc.errors import InputError
from lossdoc.gpu_table import GPUS

REQUIRED = [
    "A100 SXM4 40GB", "A100 SXM4 80GB", "A100 PCIe 40GB", "A100 PCIe 80GB", "H100 SXM", "H100 PCIe", "H100 NVL",
    "H200", "B200", "GB200", "L4", "L40S", "A10", "RTX A6000", "RTX 6000 Ada", "RTX 4090", "RTX 4080",
    "RTX 4070 Ti", "RTX 4070", "RTX 3090", "RTX 3080", "RTX 2080 Ti", "V100 SXM2", "T4", "MI300X",
    "MI250X (one GCD)", "Apple M1",
]  # fmt: skip

# FP32 shader (non-tensor) rates from the vendor whitepapers, typed in here independently of the table: a table
# that copied these into bf16 (the bug in widely copied peak tables) must fail.
CONSUMER_FP32_SHADER = {"RTX 4090": 82.6, "RTX 4080": 48.7, "RTX 4070": 29.1, "RTX 3090": 35.6, "RTX 3080": 29.8}


def test_every_required_gpu_is_in_the_table() -> None:
    names = {e["name"] for e in GPUS}
    assert not set(REQUIRED) - names


@pytest.mark.parametrize("entry", GPUS, ids=lambda e: e["name"])
def test_every_entry_has_a_source_and_sane_dense_peaks(entry: dict) -> None:
    assert len(entry["source"]) > 20 and any(w in entry["source"] for w in ("datasheet", "whitepaper", "Apple", "data sheet"))
    assert entry["aliases"] and entry["kind"] in {"datacenter", "workstation", "consumer", "apple"}
    peaks = entry["peaks"]
    assert set(peaks) <= set(gpus.DTYPES) and all(v > 0 for v in peaks.values())
    if "bf16" in peaks and "fp16" in peaks:
        assert peaks["bf16"] == peaks["fp16"]  # the same tensor path on every listed part
    if "fp8" in peaks:
        assert peaks["fp8"] == pytest.approx(2 * peaks["bf16"], rel=0.01)  # fp8 doubles bf16 (dense, no sparsity)
    if "tf32" in peaks and "bf16" in peaks and entry["kind"] != "consumer":
        assert peaks["tf32"] == pytest.approx(peaks["bf16"] / 2, rel=0.03)  # datasheets round (B200: 2.2 PF*)


def test_no_consumer_card_carries_its_fp32_shader_rate_as_bf16() -> None:
    by_name = {e["name"]: e for e in GPUS}
    for name, shader in CONSUMER_FP32_SHADER.items():
        bf16 = by_name[name]["peaks"]["bf16"]
        assert bf16 != pytest.approx(shader, rel=0.05), name
        assert bf16 == pytest.approx(2 * shader, rel=0.02), name  # FP16/BF16 tensor with FP32 accumulate
    for e in GPUS:
        if e["kind"] == "consumer" and "bf16" in e["peaks"]:
            assert e["peaks"]["bf16"] >= 1.9 * e["peaks"]["fp32"], e["name"]


def test_known_peaks_from_the_architecture_notes() -> None:
    want = {"A100 SXM4 40GB": 312, "H100 SXM": 989.4, "H100 PCIe": 756.5, "H100 NVL": 835.5, "H200": 989.4,
            "B200": 2250, "MI300X": 1307.4, "MI250X (one GCD)": 191.5, "L4": 121, "RTX 4090": 165.2,
            "RTX 3090": 71, "A10": 125}  # fmt: skip
    for name, peak in want.items():
        assert gpus.lookup(name).peak("bf16") == pytest.approx(peak, rel=0.001)
    assert gpus.lookup("Tesla V100-SXM2-16GB").peak("bf16") is None  # Volta has no bf16
    assert gpus.lookup("Tesla V100-SXM2-16GB").peak("fp16") == 125
    assert gpus.lookup("Tesla T4").peak("fp16") == 65


@pytest.mark.parametrize(
    ("printed", "name"),
    [
        ("NVIDIA A100-PCIE-40GB", "A100 PCIe 40GB"),  # llm.c device line
        ("NVIDIA A100-SXM4-80GB", "A100 SXM4 80GB"),
        ("NVIDIA H100 80GB HBM3", "H100 SXM"),  # nvidia-smi
        ("NVIDIA H100 PCIe", "H100 PCIe"),
        ("NVIDIA B200", "B200"),  # torchtitan CUDA capacity line
        ("NVIDIA GeForce RTX 4090", "RTX 4090"),
        ("NVIDIA GeForce RTX 4070 Ti", "RTX 4070 Ti"),
        ("NVIDIA GeForce RTX 4070 Ti SUPER", "RTX 4070 Ti"),  # longest alias contained as words
        ("nvidia geforce rtx 4070", "RTX 4070"),
        ("AMD Instinct MI300X", "MI300X"),
        ("NVIDIA A10", "A10"),
        ("h100", "H100 SXM"),
        ("Tesla T4", "T4"),
    ],
)
def test_lookup_by_printed_names_and_aliases(printed: str, name: str) -> None:
    assert gpus.lookup(printed).name == name


def test_a100_is_never_an_a10_and_unknown_names_are_errors_with_close_matches() -> None:
    assert gpus.lookup("NVIDIA A100 80GB PCIe").name == "A100 PCIe 80GB"
    assert gpus.lookup("Quadro RTX 8000") is None
    with pytest.raises(InputError) as err:
        gpus.resolve("H1000")
    assert "H100 SXM" in str(err.value) and "--peak-tflops" in str(err.value)


def test_dtype_names() -> None:
    assert gpus.normalize_dtype("BF16") == "bf16"
    assert gpus.normalize_dtype("torch.float16") == "fp16"
    assert gpus.normalize_dtype("float32") == "fp32"
    assert gpus.normalize_dtype("int4") is None

"""The GPU table as data: dense peak TFLOPS per dtype (no sparsity) with the source of each row.

Each entry: ``name`` (how lossdoc writes it), ``aliases`` (what nvidia-smi / torch.cuda.get_device_name /
rocm-smi print, and the short names people type), ``kind`` (datacenter / workstation / consumer / apple),
``peaks`` {dtype: TFLOPS} and ``source``. A dtype a card has no tensor path for is absent, not zero.

Rules the numbers follow (tests/test_gpus.py checks the ones that can be checked):
- Dense rates. NVIDIA datasheets print tensor figures "with sparsity" (marked *); dense is half of those.
- bf16 / fp16 / fp8 / tf32 are tensor-core (matrix) rates; fp32 is the plain (non-tensor) FP32 rate.
- GeForce cards: the FP16/BF16 tensor rate **with FP32 accumulate**, which training uses (PyTorch autocast
  accumulates in fp32) and which is half the "FP16 accumulate" headline on GeForce Ada/Ampere/Turing/Blackwell
  (the workstation and datacenter parts run both at full rate). Never the FP32 shader rate: that is the error
  in widely copied peak tables (an RTX 4090 is 165.2 bf16, not 82.6).
- AMD MI250X is one device per GCD as torch and rocm-smi see it: half the OAM module's figures.
"""

from __future__ import annotations

from typing import Any

_A100 = "NVIDIA A100 Tensor Core GPU datasheet (2021): FP32 19.5, TF32 156, BF16/FP16 312 (dense; 2x with sparsity)"
_H100 = "NVIDIA H100 Tensor Core GPU datasheet (2023), SXM column: FP32 67; TF32 989*, BF16/FP16 1,979*, FP8 3,958* (*sparsity: dense is half)"
_H100_PCIE = "NVIDIA H100 Tensor Core GPU datasheet (2023), PCIe column: FP32 51; TF32 756*, BF16/FP16 1,513*, FP8 3,026* (*sparsity)"
_H100_NVL = "NVIDIA H100 NVL datasheet (2024): FP32 60; TF32 835*, BF16/FP16 1,671*, FP8 3,341* (*sparsity)"
_H200 = "NVIDIA H200 Tensor Core GPU datasheet (2024), SXM: FP32 67; TF32 989*, BF16/FP16 1,979*, FP8 3,958* (*sparsity)"
_B200 = "NVIDIA HGX B200 datasheet (2024), per GPU: TF32 2.2 PF*, FP16/BF16 4.5 PF*, FP8 9 PF* (*sparsity: dense is half)"
_GB200 = "NVIDIA GB200 NVL72 datasheet (2024): per rack of 72 GPUs TF32 180 PF*, FP16/BF16 360 PF*, FP8 720 PF* (*sparsity)"
_ADA = "NVIDIA Ada GPU architecture whitepaper (2023), appendix A: peak FP32, FP16/BF16 tensor with FP32 accumulate (dense)"
_AMPERE = "NVIDIA Ampere GA102 GPU architecture whitepaper (2021), table 9: FP32, FP16 tensor with FP32 accumulate (dense)"
_TURING = "NVIDIA Turing GPU architecture whitepaper (2018), table 1 (reference clocks): FP32, FP16 tensor with FP32 accumulate"
_BLACKWELL_RTX = "NVIDIA RTX Blackwell GPU architecture whitepaper (2025), table: FP32, FP16/BF16 tensor with FP32 accumulate (dense)"

GPUS: list[dict[str, Any]] = [
    # --- NVIDIA datacenter --------------------------------------------------------------------------------
    {
        "name": "A100 SXM4 40GB",
        "aliases": ["NVIDIA A100-SXM4-40GB", "A100-SXM4-40GB", "a100 40gb", "a100 sxm", "a100", "a100 sxm4"],
        "kind": "datacenter",
        "peaks": {"bf16": 312.0, "fp16": 312.0, "tf32": 156.0, "fp32": 19.5},
        "source": _A100,
    },
    {
        "name": "A100 SXM4 80GB",
        "aliases": ["NVIDIA A100-SXM4-80GB", "A100-SXM4-80GB", "a100 80gb", "a100 sxm 80gb"],
        "kind": "datacenter",
        "peaks": {"bf16": 312.0, "fp16": 312.0, "tf32": 156.0, "fp32": 19.5},
        "source": _A100,
    },
    {
        "name": "A100 PCIe 40GB",
        "aliases": ["NVIDIA A100-PCIE-40GB", "A100-PCIE-40GB", "a100 pcie", "a100 pcie 40gb"],
        "kind": "datacenter",
        "peaks": {"bf16": 312.0, "fp16": 312.0, "tf32": 156.0, "fp32": 19.5},
        "source": _A100,
    },
    {
        "name": "A100 PCIe 80GB",
        "aliases": ["NVIDIA A100 80GB PCIe", "A100 80GB PCIe", "a100 pcie 80gb", "NVIDIA A100-PCIE-80GB"],
        "kind": "datacenter",
        "peaks": {"bf16": 312.0, "fp16": 312.0, "tf32": 156.0, "fp32": 19.5},
        "source": _A100,
    },
    {
        "name": "H100 SXM",
        "aliases": ["NVIDIA H100 80GB HBM3", "H100 80GB HBM3", "NVIDIA H100", "h100 sxm", "h100 sxm5", "h100"],
        "kind": "datacenter",
        "peaks": {"bf16": 989.4, "fp16": 989.4, "fp8": 1978.9, "tf32": 494.7, "fp32": 67.0},
        "source": _H100,
    },
    {
        "name": "H100 PCIe",
        "aliases": ["NVIDIA H100 PCIe", "H100 PCIe", "h100 pcie"],
        "kind": "datacenter",
        "peaks": {"bf16": 756.5, "fp16": 756.5, "fp8": 1513.0, "tf32": 378.0, "fp32": 51.0},
        "source": _H100_PCIE,
    },
    {
        "name": "H100 NVL",
        "aliases": ["NVIDIA H100 NVL", "H100 NVL", "h100 nvl"],
        "kind": "datacenter",
        "peaks": {"bf16": 835.5, "fp16": 835.5, "fp8": 1670.5, "tf32": 417.5, "fp32": 60.0},
        "source": _H100_NVL,
    },
    {
        "name": "H200",
        "aliases": ["NVIDIA H200", "H200", "NVIDIA H200 141GB HBM3e", "h200 sxm"],
        "kind": "datacenter",
        "peaks": {"bf16": 989.4, "fp16": 989.4, "fp8": 1978.9, "tf32": 494.7, "fp32": 67.0},
        "source": _H200,
    },
    {
        "name": "B200",
        "aliases": ["NVIDIA B200", "B200"],
        "kind": "datacenter",
        "peaks": {"bf16": 2250.0, "fp16": 2250.0, "fp8": 4500.0, "tf32": 1100.0},
        "source": _B200,
    },
    {
        "name": "GB200",
        "aliases": ["NVIDIA GB200", "GB200", "gb200 nvl72"],
        "kind": "datacenter",
        "peaks": {"bf16": 2500.0, "fp16": 2500.0, "fp8": 5000.0, "tf32": 1250.0},
        "source": _GB200,
    },
    {
        "name": "L4",
        "aliases": ["NVIDIA L4", "L4"],
        "kind": "datacenter",
        "peaks": {"bf16": 121.0, "fp16": 121.0, "fp8": 242.5, "tf32": 60.0, "fp32": 30.3},
        "source": "NVIDIA L4 Tensor Core GPU datasheet (2023): FP32 30.3; TF32 120*, BF16/FP16 242*, FP8 485* (*sparsity)",
    },
    {
        "name": "L40S",
        "aliases": ["NVIDIA L40S", "L40S"],
        "kind": "datacenter",
        "peaks": {"bf16": 366.0, "fp16": 366.0, "fp8": 733.0, "tf32": 183.0, "fp32": 91.6},
        "source": "NVIDIA L40S GPU datasheet (2023): FP32 91.6; TF32 366*, BF16/FP16 733*, FP8 1,466* (*sparsity)",
    },
    {
        "name": "A10",
        "aliases": ["NVIDIA A10", "A10"],
        "kind": "datacenter",
        "peaks": {"bf16": 125.0, "fp16": 125.0, "tf32": 62.5, "fp32": 31.2},
        "source": "NVIDIA A10 Tensor Core GPU datasheet (2021): FP32 31.2, TF32 62.5, BF16/FP16 125 (dense)",
    },
    {
        "name": "V100 SXM2",
        "aliases": ["Tesla V100-SXM2-16GB", "Tesla V100-SXM2-32GB", "V100-SXM2-16GB", "V100-SXM2-32GB", "v100"],
        "kind": "datacenter",
        "peaks": {"fp16": 125.0, "fp32": 15.7},  # Volta has no bf16 and no tf32
        "source": "NVIDIA Tesla V100 datasheet (2018), SXM2: FP32 15.7, Tensor (FP16) 125",
    },
    {
        "name": "V100 PCIe",
        "aliases": ["Tesla V100-PCIE-16GB", "Tesla V100-PCIE-32GB", "V100-PCIE-16GB", "v100 pcie"],
        "kind": "datacenter",
        "peaks": {"fp16": 112.0, "fp32": 14.0},
        "source": "NVIDIA Tesla V100 datasheet (2018), PCIe: FP32 14, Tensor (FP16) 112",
    },
    {
        "name": "T4",
        "aliases": ["Tesla T4", "T4", "NVIDIA T4"],
        "kind": "datacenter",
        "peaks": {"fp16": 65.0, "fp32": 8.1},  # Turing: no bf16
        "source": "NVIDIA T4 datasheet (2019): FP32 8.1, mixed precision (FP16/FP32) 65",
    },
    # --- NVIDIA workstation (full-rate FP32 accumulate) ---------------------------------------------------
    {
        "name": "RTX A6000",
        "aliases": ["NVIDIA RTX A6000", "RTX A6000", "a6000"],
        "kind": "workstation",
        "peaks": {"bf16": 154.8, "fp16": 154.8, "tf32": 77.4, "fp32": 38.7},
        "source": "NVIDIA RTX A6000 datasheet (2021): FP32 38.7, tensor 309.7* (*sparsity) -> FP16/BF16 154.8 dense",
    },
    {
        "name": "RTX 6000 Ada",
        "aliases": ["NVIDIA RTX 6000 Ada Generation", "RTX 6000 Ada Generation", "rtx 6000 ada"],
        "kind": "workstation",
        "peaks": {"bf16": 364.2, "fp16": 364.2, "fp8": 728.5, "tf32": 182.1, "fp32": 91.1},
        "source": _ADA + "; RTX 6000 Ada datasheet: FP32 91.1, tensor 1,457* (FP8, sparsity)",
    },
    # --- NVIDIA GeForce (FP16/BF16 tensor with FP32 accumulate = 2x the FP32 shader rate) ---------------
    {
        "name": "RTX 5090",
        "aliases": ["NVIDIA GeForce RTX 5090", "GeForce RTX 5090", "rtx 5090", "5090"],
        "kind": "consumer",
        "peaks": {"bf16": 209.5, "fp16": 209.5, "fp8": 419.0, "fp32": 104.8},
        "source": _BLACKWELL_RTX,
    },
    {
        "name": "RTX 4090",
        "aliases": ["NVIDIA GeForce RTX 4090", "GeForce RTX 4090", "rtx 4090", "4090"],
        "kind": "consumer",
        "peaks": {"bf16": 165.2, "fp16": 165.2, "fp8": 330.3, "tf32": 82.6, "fp32": 82.6},
        "source": _ADA + ": RTX 4090 FP32 82.6, FP16 tensor FP32-acc 165.2 (330.3 FP16-acc)",
    },
    {
        "name": "RTX 4080",
        "aliases": ["NVIDIA GeForce RTX 4080", "GeForce RTX 4080", "rtx 4080", "4080"],
        "kind": "consumer",
        "peaks": {"bf16": 97.5, "fp16": 97.5, "fp8": 194.9, "tf32": 48.7, "fp32": 48.7},
        "source": _ADA + ": RTX 4080 FP32 48.7, FP16 tensor FP32-acc 97.5",
    },
    {
        "name": "RTX 4070 Ti",
        "aliases": ["NVIDIA GeForce RTX 4070 Ti", "GeForce RTX 4070 Ti", "rtx 4070 ti", "4070 ti"],
        "kind": "consumer",
        "peaks": {"bf16": 80.2, "fp16": 80.2, "fp8": 160.4, "tf32": 40.1, "fp32": 40.1},
        "source": _ADA + ": RTX 4070 Ti FP32 40.1, FP16 tensor FP32-acc 80.2",
    },
    {
        "name": "RTX 4070",
        "aliases": ["NVIDIA GeForce RTX 4070", "GeForce RTX 4070", "rtx 4070", "4070"],
        "kind": "consumer",
        "peaks": {"bf16": 58.3, "fp16": 58.3, "fp8": 116.6, "tf32": 29.1, "fp32": 29.1},
        "source": _ADA + ": RTX 4070 FP32 29.1, FP16 tensor FP32-acc 58.3",
    },
    {
        "name": "RTX 3090",
        "aliases": ["NVIDIA GeForce RTX 3090", "GeForce RTX 3090", "rtx 3090", "3090"],
        "kind": "consumer",
        "peaks": {"bf16": 71.0, "fp16": 71.0, "tf32": 35.6, "fp32": 35.6},
        "source": _AMPERE + ": RTX 3090 FP32 35.6, FP16 tensor FP32-acc 71 (142 FP16-acc)",
    },
    {
        "name": "RTX 3080",
        "aliases": ["NVIDIA GeForce RTX 3080", "GeForce RTX 3080", "rtx 3080", "3080"],
        "kind": "consumer",
        "peaks": {"bf16": 59.5, "fp16": 59.5, "tf32": 29.8, "fp32": 29.8},
        "source": _AMPERE + ": RTX 3080 FP32 29.8, FP16 tensor FP32-acc 59.5",
    },
    {
        "name": "RTX 2080 Ti",
        "aliases": ["NVIDIA GeForce RTX 2080 Ti", "GeForce RTX 2080 Ti", "rtx 2080 ti", "2080 ti"],
        "kind": "consumer",
        "peaks": {"fp16": 53.8, "fp32": 13.4},  # Turing: no bf16, no tf32
        "source": _TURING + ": RTX 2080 Ti FP32 13.4, FP16 tensor FP32-acc 53.8 (107.6 FP16-acc)",
    },
    # --- AMD Instinct ---------------------------------------------------------------------------------------
    {
        "name": "MI300X",
        "aliases": ["AMD Instinct MI300X", "Instinct MI300X", "AMD Instinct MI300X OAM", "mi300x"],
        "kind": "datacenter",
        "peaks": {"bf16": 1307.4, "fp16": 1307.4, "fp8": 2614.9, "tf32": 653.7, "fp32": 163.4},
        "source": "AMD Instinct MI300X data sheet (2023): FP32 163.4, TF32 653.7, FP16/BF16 1,307.4, FP8 2,614.9 (dense)",
    },
    {
        "name": "MI325X",
        "aliases": ["AMD Instinct MI325X", "Instinct MI325X", "mi325x"],
        "kind": "datacenter",
        "peaks": {"bf16": 1307.4, "fp16": 1307.4, "fp8": 2614.9, "tf32": 653.7, "fp32": 163.4},
        "source": "AMD Instinct MI325X data sheet (2024): same compute as MI300X (FP16/BF16 1,307.4 dense)",
    },
    {
        "name": "MI250X (one GCD)",
        "aliases": ["AMD Instinct MI250X", "AMD Instinct MI250X/MI250", "Instinct MI250X", "mi250x"],
        "kind": "datacenter",
        "peaks": {"bf16": 191.5, "fp16": 191.5, "fp32": 47.9},
        "source": "AMD Instinct MI250X data sheet (2021): per OAM (2 GCDs) FP16/BF16 383, FP32 matrix 95.7; per GCD half",
    },
    # --- Apple (Apple publishes an FP32 GPU figure for the M1 family only) -----------------------------------
    {
        "name": "Apple M1",
        "aliases": ["Apple M1", "m1"],
        "kind": "apple",
        "peaks": {"fp32": 2.6},
        "source": "Apple newsroom, 'Apple unleashes M1' (2020-11-10): 2.6 TFLOPS",
    },
    {
        "name": "Apple M1 Pro",
        "aliases": ["Apple M1 Pro", "m1 pro"],
        "kind": "apple",
        "peaks": {"fp32": 5.2},
        "source": "Apple newsroom, M1 Pro and M1 Max (2021-10-18): M1 Pro 5.2 TFLOPS",
    },
    {
        "name": "Apple M1 Max",
        "aliases": ["Apple M1 Max", "m1 max"],
        "kind": "apple",
        "peaks": {"fp32": 10.4},
        "source": "Apple newsroom, M1 Pro and M1 Max (2021-10-18): M1 Max 10.4 TFLOPS",
    },
    {
        "name": "Apple M1 Ultra",
        "aliases": ["Apple M1 Ultra", "m1 ultra"],
        "kind": "apple",
        "peaks": {"fp32": 21.0},
        "source": "Apple newsroom, M1 Ultra (2022-03-08): 21 TFLOPS",
    },
]

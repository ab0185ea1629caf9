"""RunFacts: what a run is (model shape, tokens per step, planned steps, LR schedule, GPU...), with where each
fact came from.

Analyses need facts besides the curves. They come from several places: the log's header or config echo, a
config file, a flag, a format's documented default. One RunFacts holds them under the canonical names of
FACT_NAMES, each with its value and its source ("log: tokens per iteration will be", "config: train.py line
14", "flag --gpu", "nanoGPT default"). Readers and config readers fill it; flags override; analyzers read only
it, so no analyzer knows a format's key names. A conflict between two sources is kept (``conflicts``), not
resolved silently: the value of the stronger source is used and both are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# canonical fact names -> what they hold (units in brackets)
FACT_NAMES: dict[str, str] = {
    "n_layer": "transformer blocks",
    "n_head": "attention heads",
    "n_kv_head": "key/value heads (grouped-query attention)",
    "n_embd": "model width (hidden size)",
    "intermediate_size": "MLP width (Llama-style configs)",
    "vocab_size": "vocabulary size (as the model is built, possibly padded)",
    "block_size": "sequence length [tokens]",
    "bias": "linear layers and layer norms have biases",
    "tied_embeddings": "the output head shares the token embedding",
    "params_logged": "parameter count the log prints",
    "params_claimed": "parameter count a comment claims",
    "batch_size": "micro-batch size [sequences per device per forward pass]",
    "grad_accum": "gradient accumulation steps",
    "world_size": "data-parallel ranks (GPUs)",
    "tokens_per_step": "tokens per optimizer step, all ranks",
    "max_steps": "planned optimizer steps",
    "lr_schedule": "LR schedule kind: cosine, wsd, linear, constant",
    "lr_peak": "peak learning rate",
    "lr_min": "final / minimum learning rate",
    "warmup_steps": "LR warmup [steps]",
    "decay_steps": "LR decay ends at this step (cosine) / lasts this many steps (wsd warmdown)",
    "dropout": "dropout probability",
    "eval_interval": "steps between evaluations",
    "eval_iters": "batches per evaluation",
    "grad_clip": "gradient clipping threshold (global norm)",
    "gpu": "GPU model name as the log or flag gives it",
    "gpu_count": "GPUs used",
    "dtype": "training precision (bf16, fp16, fp32...)",
    "dataset": "dataset name",
    # GPU facts for `lossdoc mfu` (issue 10)
    "peak_tflops_logged": "peak TFLOPS per GPU the log's own MFU is computed against",
    "tokens_per_sec_scope": "what a logged tokens/s counts: per_gpu or total",
    "mfu_convention_logged": "FLOPs-per-token convention of the log's own MFU: nanogpt, llmc, torchtitan",
    "loss_unit": "unit of the logged losses: nats (default) or bits",
    "matmul_dtype": "precision of the matmuls when it is not the training dtype (fp8 training)",
}

# How strong each kind of source is, for conflicts: a flag beats the log, the log beats a config file (the log
# states what the run did), a config file beats a format default.
SOURCE_RANK = {"flag": 3, "log": 2, "config": 1, "default": 0}


@dataclass(frozen=True)
class Fact:
    value: Any
    source: str  # "log: <what line>", "config: <file> line N", "flag --gpu", "default: nanoGPT train.py"

    @property
    def kind(self) -> str:
        """flag / log / config / default: the first word of the source."""
        head = self.source.split(":", 1)[0].split(" ", 1)[0]
        return head if head in SOURCE_RANK else "log"


@dataclass
class RunFacts:
    facts: dict[str, Fact] = field(default_factory=dict)
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    def set(self, name: str, value: Any, source: str) -> None:
        """Record a fact; when one is already known from another source, keep the stronger and note a conflict."""
        if name not in FACT_NAMES:
            raise KeyError(f"unknown fact {name!r}: add it to FACT_NAMES")
        if value is None:
            return
        new = Fact(value, source)
        old = self.facts.get(name)
        if old is None:
            self.facts[name] = new
            return
        if old.value != value:
            self.conflicts.append({"fact": name, "values": [[old.value, old.source], [value, source]]})
        if SOURCE_RANK[new.kind] > SOURCE_RANK[old.kind]:
            self.facts[name] = new

    def get(self, name: str, default: Any = None) -> Any:
        fact = self.facts.get(name)
        return default if fact is None else fact.value

    def fact(self, name: str) -> Fact | None:
        return self.facts.get(name)

    def source(self, name: str) -> str | None:
        fact = self.facts.get(name)
        return None if fact is None else fact.source

    def __contains__(self, name: str) -> bool:
        return name in self.facts

    def to_json(self) -> dict[str, Any]:
        return {
            "facts": {k: {"value": f.value, "source": f.source} for k, f in self.facts.items()},
            "conflicts": self.conflicts,
        }


# run.meta keys that already hold a canonical fact (the readers' names) -> fact name
_META_FACTS = {
    "params": "params_logged",
    "tokens_per_step": "tokens_per_step",
    "vocab_size": "vocab_size",
    "max_steps": "max_steps",
    "block_size": "block_size",
    "batch_size": "batch_size",
    "grad_accum_steps": "grad_accum",
    "world_size": "world_size",
    "warmup_steps": "warmup_steps",
    "gpu": "gpu",
}


def facts_from_meta(meta: dict[str, Any]) -> RunFacts:
    """The facts a log states, from the reader's meta (source ``log: <format>``)."""
    facts = RunFacts()
    where = f"log: {meta.get('format', 'log')}"
    for key, name in _META_FACTS.items():
        if meta.get(key) is not None:
            facts.set(name, meta[key], where)
    _mfu_gap_facts(meta, facts, where)
    return facts


# --- facts the mfu / gap analyzers need (issue 10), from meta keys the readers already set -----------------------
# Set only when no other mapping gave them, so the config-check mapping (issue 9) supersedes these lines without a
# conflict. nanoGPT's estimate_mfu() divides by 312e12 whatever the GPU (model.py, "A100 GPU bfloat16 peak flops").
NANOGPT_ASSUMED_PEAK_TFLOPS = 312.0
_MFU_GAP_META = {
    "n_layer": "n_layer",
    "n_head": "n_head",
    "n_embd": "n_embd",
    "block_size": "block_size",
    "vocab_size": "vocab_size",
    "dropout": "dropout",
    "grad_clip": "grad_clip",
    "eval_interval": "eval_interval",
    "eval_iters": "eval_iters",
    "precision": "dtype",
    "dtype": "dtype",
    "num_processes": "gpu_count",
    "world_size": "gpu_count",
    "ddp_world_size": "gpu_count",
    "peak_tflops": "peak_tflops_logged",
    "tokens_per_sec_scope": "tokens_per_sec_scope",
    "loss_unit": "loss_unit",
    "matmul_dtype": "matmul_dtype",
}


def _mfu_gap_facts(meta: dict[str, Any], facts: RunFacts, where: str) -> None:
    config = meta.get("config") if isinstance(meta.get("config"), dict) else {}
    model = config.get("model") if isinstance(config.get("model"), dict) else {}
    for scope, label in ((meta, where), (config, f"{where} config echo"), (model, f"{where} config echo")):
        for key, name in _MFU_GAP_META.items():
            value = scope.get(key)
            if name not in facts and isinstance(value, (int, float, str)) and not isinstance(value, bool):
                facts.set(name, value, label)
    if "gpu_count" not in facts and isinstance(meta.get("gpus_visible"), int):  # what nvidia-smi listed: weaker
        facts.set("gpu_count", meta["gpus_visible"], f"{where} nvidia-smi (GPUs visible)")  # than the run's size
    if "peak_tflops_logged" not in facts and meta.get("format") == "nanogpt":
        facts.set("peak_tflops_logged", NANOGPT_ASSUMED_PEAK_TFLOPS, "default: nanoGPT estimate_mfu (A100 bf16 peak)")
    convention = _MFU_CONVENTION_OF_FORMAT.get(str(meta.get("format")))
    if convention and "mfu_convention_logged" not in facts:
        facts.set("mfu_convention_logged", convention[0], f"default: {convention[1]}")


# the FLOPs count behind each format's printed MFU (lossdoc.analyzers.mfu.FORMULAS)
_MFU_CONVENTION_OF_FORMAT = {
    "nanogpt": ("nanogpt", "nanoGPT model.py estimate_mfu, 6N + 12*L*H*Q*T"),
    "llmc-stdout": ("llmc", "llm.c train_gpt2.cu gpt2_estimate_mfu, 6N + 6*L*C*T"),
    "torchtitan": ("torchtitan", "torchtitan get_nparams_and_flops, 6(N - embeddings) + 12*L*H*Q*T"),
}


def run_facts(run: Any) -> RunFacts:
    """The facts of a run, computed once and kept on it (``run.facts``)."""
    cached = getattr(run, "_facts", None)
    if cached is None:
        cached = facts_from_meta(run.meta)
        run._facts = cached
    return cached

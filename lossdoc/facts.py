"""RunFacts: what a run is (model shape, tokens per step, planned steps, LR schedule, GPU...), with where each
fact came from.

Analyses need facts besides the curves. They come from several places: the log's header or config echo, a
config file, a flag, a format's documented default. One RunFacts holds them under the canonical names of
FACT_NAMES, each with its value and its source ("log: tokens per iteration will be", "config: train.py line
14", "flag --dataset-tokens", "default: nanoGPT train.py"). Readers and config readers fill it; flags override;
analyzers read only it, so no analyzer knows a format's key names. A conflict between two sources is kept
(``conflicts``), not resolved silently: the value of the stronger source is used and both are reported.

This module is the one place that knows each format's key names: ``lossdoc.facts_map`` maps the readers' meta
and the config files' keys onto the facts; ``derive`` computes what follows from them (tokens per step, the
parameter count).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# canonical fact names -> what they hold (units in brackets)
FACT_NAMES: dict[str, str] = {
    "trainer": "the training script whose formulas apply (nanoGPT, llm.c, Megatron, HF Trainer...)",
    "architecture": "parameter formula family: gpt2, llama, megatron-gpt",
    "n_layer": "transformer blocks",
    "n_head": "attention heads",
    "n_kv_head": "key/value heads (grouped-query attention)",
    "n_embd": "model width (hidden size)",
    "head_dim": "width of one attention head, where the config states it (Qwen3: not d / n_head)",
    "attention_bias": "which attention projections have biases: qkv (Qwen2), qkvo (Llama attention_bias)",
    "qk_norm": "RMSNorms on the queries and keys (Qwen3)",
    "intermediate_size": "MLP width (Llama-style configs; Megatron ffn_hidden_size)",
    "vocab_size": "vocabulary size of the tokenizer (ln V is the initial loss)",
    "vocab_padded": "embedding rows as the model is built (vocab padded for efficiency)",
    "block_size": "sequence length [tokens]",
    "bias": "linear layers and layer norms have biases",
    "tied_embeddings": "the output head shares the token embedding",
    "params_logged": "parameter count the log prints",
    "params_claimed": "parameter count a comment claims",
    "params_computed": "parameter count computed from the shape (all parameters)",
    "params_computed_printed": "the computed count the way the script prints it (nanoGPT: without wpe)",
    "params_embedding": "parameters in the token (+ position) embeddings and an untied head",
    "params_non_embedding_logged": "parameters the log counts outside the embeddings (modded-nanogpt: the layers "
                                   "and the untied head, the ones that multiply)",
    "init_from": "the pretrained model training starts from (nanoGPT init_from 'gpt2-xl'): a fine-tune",
    "batch_size": "micro-batch size [sequences per device per forward pass]",
    "global_batch": "sequences per optimizer step, all ranks",
    "grad_accum": "gradient accumulation steps",
    "world_size": "data-parallel ranks (GPUs)",
    "tensor_parallel": "tensor-parallel ranks (Megatron)",
    "pipeline_parallel": "pipeline-parallel stages (Megatron)",
    "tokens_per_step": "tokens per optimizer step, all ranks",
    "max_steps": "planned optimizer steps",
    "lr_schedule": "LR schedule kind: cosine, wsd, linear, constant",
    "lr_peak": "peak learning rate",
    "lr_min": "final / minimum learning rate (a fraction of 1 when lr_peak is unknown: a relative schedule)",
    "warmup_steps": "LR warmup [steps]",
    "warmup_rule": "warmup formula: (s+1)/(w+1) nanoGPT, (s+1)/w llm.c/modded, s/w Megatron/HF",
    "decay_steps": "LR decay ends at this step (cosine) / lasts this many steps (wsd warmdown)",
    "step_offset": "the log prints step s+1 for schedule step s (llm.c stdout)",
    "dropout": "dropout probability",
    "eval_interval": "steps between evaluations",
    "eval_iters": "batches per evaluation",
    "grad_clip": "gradient clipping threshold (global norm)",
    "gpu": "GPU model name as the log or flag gives it",
    "gpu_count": "GPUs used",
    "dtype": "training precision (bf16, fp16, fp32...)",
    "dataset": "dataset name or path",
    "dataset_tokens": "tokens in the training data",
    # GPU facts for `lossdoc mfu` (issue 10)
    "peak_tflops_logged": "peak TFLOPS per GPU the log's own MFU is computed against",
    "tokens_per_sec_scope": "what a logged tokens/s counts: per_gpu or total",
    "mfu_convention_logged": "FLOPs-per-token convention of the log's own MFU: nanogpt, llmc, torchtitan",
    "loss_unit": "unit of the logged losses: nats (default) or bits",
    "matmul_dtype": "precision of the matmuls when it is not the training dtype (fp8 training)",
}

# facts that must be non-negative finite numbers (a config may say anything: `n_layer = "twelve"` is not set)
NUMERIC_FACTS = frozenset({
    "n_layer", "n_head", "n_kv_head", "n_embd", "intermediate_size", "vocab_size", "vocab_padded", "block_size",
    "head_dim", "params_logged", "params_claimed", "params_computed", "params_computed_printed", "params_embedding",
    "params_non_embedding_logged", "batch_size", "global_batch", "grad_accum", "world_size", "tensor_parallel",
    "pipeline_parallel",
    "tokens_per_step", "max_steps", "lr_peak", "lr_min", "warmup_steps", "decay_steps", "step_offset", "dropout",
    "eval_interval", "eval_iters", "grad_clip", "gpu_count", "dataset_tokens",
})
# facts that count something (layers, parameters, tokens, ranks, steps): a whole value a reader, a config or a
# formula gives as a float (Megatron's lr_warmup_fraction x decay iters = 8.0, a config's `max_iters = 6e3`) is
# kept as the int it is, so that it prints 8, not 8.0; a fraction stays (Megatron's scheduler uses a warmup of
# 12.34 steps as it is)
COUNT_FACTS = NUMERIC_FACTS - {"lr_peak", "lr_min", "dropout", "grad_clip"}
# shape facts that must also be positive (a zero width or depth builds no model)
POSITIVE_FACTS = frozenset({"n_layer", "n_head", "n_embd", "vocab_size", "vocab_padded", "block_size"})


def _valid(name: str, value: Any) -> bool:
    import math

    if name not in NUMERIC_FACTS:
        return True
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        return False
    return value > 0 if name in POSITIVE_FACTS else True


# How strong each kind of source is, for conflicts: a flag beats the log, the log beats a config file (the log
# states what the run did), a config file beats a value computed from others, which beats a format default.
SOURCE_RANK = {"flag": 4, "log": 3, "config": 2, "computed": 1, "default": 0}


@dataclass(frozen=True)
class Fact:
    value: Any
    source: str  # "log: <what line>", "config: <file> line N", "flag --gpu", "default: nanoGPT train.py"

    @property
    def kind(self) -> str:
        """flag / log / config / computed / default: the first word of the source."""
        head = self.source.split(":", 1)[0].split(" ", 1)[0]
        return head if head in SOURCE_RANK else "log"


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(float(a) - float(b)) <= 1e-9 * max(abs(float(a)), abs(float(b)), 1e-300)
    return bool(a == b)


@dataclass
class RunFacts:
    facts: dict[str, Fact] = field(default_factory=dict)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was assumed or not read, said in the report
    assumed: dict[str, str] = field(default_factory=dict)  # fact -> note, said while the fact is only a default

    def set(self, name: str, value: Any, source: str) -> None:
        """Record a fact; when one is already known from another source, keep the stronger and note a conflict."""
        if name not in FACT_NAMES:
            raise KeyError(f"unknown fact {name!r}: add it to FACT_NAMES")
        if value is None:
            return
        if not _valid(name, value):
            note = f"{name} = {str(value)[:40]!r} ({source}) is not a usable number, ignored"
            if note not in self.notes:
                self.notes.append(note)
            return
        if name in COUNT_FACTS and isinstance(value, float) and value.is_integer():
            value = int(value)
        new = Fact(value, source)
        old = self.facts.get(name)
        if old is None:
            self.facts[name] = new
            return
        if not _same(old.value, value) and "default" not in (old.kind, new.kind):
            conflict = {"fact": name, "values": [[old.value, old.source], [value, source]]}
            if conflict not in self.conflicts:
                self.conflicts.append(conflict)
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

    def assume(self, name: str, note: str) -> None:
        """A note that holds while ``name`` is known only from a default (or not at all)."""
        self.assumed[name] = note

    def all_notes(self) -> list[str]:
        held = [n for k, n in self.assumed.items() if k not in self.facts or self.facts[k].kind == "default"]
        return self.notes + [n for n in held if n not in self.notes]

    def __contains__(self, name: str) -> bool:
        return name in self.facts

    def merge(self, other: RunFacts, computed: bool = True) -> None:
        """Add another set of facts (a config file's, flags'): the stronger source wins, conflicts are kept.
        ``computed=False`` leaves out the other's derived facts (they are derived again from the merged ones)."""
        for name, fact in other.facts.items():
            if computed or fact.kind != "computed":
                self.set(name, fact.value, fact.source)
        self.notes.extend(n for n in other.notes if n not in self.notes)
        for name, note in other.assumed.items():
            self.assumed.setdefault(name, note)

    def to_json(self) -> dict[str, Any]:
        return {
            "facts": {k: {"value": f.value, "source": f.source} for k, f in self.facts.items()},
            "conflicts": self.conflicts,
            "notes": self.all_notes(),
        }


def facts_from_meta(meta: dict[str, Any]) -> RunFacts:
    """The facts a log states, from the reader's meta and its stored config (source ``log: ...``)."""
    from .facts_map import from_meta

    facts = RunFacts()
    from_meta(meta, facts)
    _mfu_gap_facts(meta, facts, f"log: {meta.get('format', 'log')}")
    derive(facts)
    return facts


def facts_from_config(config: Any) -> RunFacts:
    """The facts a config file states (a lossdoc.configs.ConfigFile), with the trainer's defaults."""
    from .facts_map import from_config

    facts = RunFacts()
    from_config(config, facts)
    derive(facts)
    return facts


def derive(facts: RunFacts) -> None:
    """What follows from the stated facts: tokens per step, parameter counts, an absolute final LR."""
    from .facts_derive import derive as _derive

    _derive(facts)


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


# the FLOPs count behind each format's printed MFU (lossdoc.analyzers.flops.FORMULAS)
_MFU_CONVENTION_OF_FORMAT = {
    "nanogpt": ("nanogpt", "nanoGPT model.py estimate_mfu, 6N + 12*L*H*Q*T"),
    "llmc-stdout": ("llmc", "llm.c train_gpt2.cu gpt2_estimate_mfu, 6N + 6*L*C*T"),
    "torchtitan": ("torchtitan", "torchtitan get_nparams_and_flops, 6(N - embeddings) + 12*L*H*Q*T"),
}


def run_facts(run: Any) -> RunFacts:
    """The facts of a run, computed once and kept on it (``run._facts``)."""
    cached = getattr(run, "_facts", None)
    if cached is None:
        cached = facts_from_meta(run.meta)
        run._facts = cached
    return cached


def attach_config(run: Any, config: Any) -> RunFacts:
    """Add a config file's facts to a run's (the log's values win; conflicts kept); every later analysis of
    the run (schedule, phases, spikes) sees them through ``run_facts(run)``."""
    facts = run_facts(run)
    facts.merge(facts_from_config(config), computed=False)
    derive(facts)
    return facts


def set_flag(run: Any, name: str, value: Any, flag: str) -> None:
    """A fact given on the command line (``flag --dataset-tokens``): the strongest source."""
    facts = run_facts(run)
    facts.set(name, value, f"flag {flag}")
    derive(facts)

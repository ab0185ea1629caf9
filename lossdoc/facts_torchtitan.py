"""A torchtitan job config (train_configs/*.toml) as run facts: the steps, the LR schedule its lr_scheduler
section builds, the batch, and a Llama 3 flavor's shape.

torchtitan/components/lr_scheduler.py (linear_warmup_stable_decay): a linear warmup of (step + 1) / (warmup + 1),
then the LR held, then a decay over ``round(steps x decay_ratio)`` steps (all the steps after the warmup when
decay_ratio is unset) of ``decay_type`` linear, sqrt or cosine, to ``lr_min`` times the peak. lossdoc rebuilds the
linear decays (a warmup/warmdown with a ratio, a linear decay without) and the cosine one without a ratio; a sqrt
decay, or a cosine after a stable phase, is said and not rebuilt.
"""

from __future__ import annotations

import math
from typing import Any

from .facts import RunFacts

# torchtitan/models/llama3 llama3_configs: (dim, n_layers, n_heads, n_kv_heads, ffn_dim_multiplier, multiple_of);
# the vocabulary is the Llama 3 tokenizer's 128,256 and the head is not tied
LLAMA3_FLAVORS = {
    "8B": (4096, 32, 32, 8, 1.3, 1024),
    "70B": (8192, 80, 64, 8, 1.3, 4096),
    "405B": (16384, 126, 128, 8, 1.2, 4096),
}
LLAMA3_VOCAB = 128_256
WARMUP_RULE = "(s+1)/(w+1)"  # torchtitan's warmup, as nanoGPT's


def ffn_hidden(dim: int, multiplier: float, multiple_of: int) -> int:
    """torchtitan's FeedForward width: 2/3 of 4·dim, times the multiplier, rounded up to a multiple."""
    hidden = int(int(2 * 4 * dim / 3) * multiplier)
    return multiple_of * math.ceil(hidden / multiple_of)


def from_torchtitan_config(values: dict[str, Any], facts: RunFacts, where: dict[str, str], name: str) -> None:
    def at(key: str) -> str:
        return f"config: {where.get(key, name)}"

    facts.set("trainer", "torchtitan", f"config: {name} (a torchtitan job config)")
    if isinstance(values.get("training.steps"), int):
        facts.set("max_steps", values["training.steps"], at("training.steps"))
    for key in ("training.local_batch_size", "training.batch_size"):  # the older name, per rank too
        if isinstance(values.get(key), int) and values[key] > 0:
            facts.set("batch_size", values[key], at(key))
    _model(values, facts, at)
    _schedule(values, facts, at)
    _world(values, facts, at)


def _model(values: dict[str, Any], facts: RunFacts, at: Any) -> None:
    flavor = values.get("model.flavor")
    if str(values.get("model.name", "")).lower() != "llama3" or flavor not in LLAMA3_FLAVORS:
        return
    dim, layers, heads, kv, multiplier, multiple_of = LLAMA3_FLAVORS[flavor]
    source = f"{at('model.flavor')} llama3 {flavor} (torchtitan llama3_configs, Llama 3 tokenizer)"
    for fact, value in (("n_embd", dim), ("n_layer", layers), ("n_head", heads), ("n_kv_head", kv),
                        ("intermediate_size", ffn_hidden(dim, multiplier, multiple_of)),
                        ("vocab_size", LLAMA3_VOCAB), ("architecture", "llama"), ("tied_embeddings", False)):
        facts.set(fact, value, source)


def _schedule(values: dict[str, Any], facts: RunFacts, at: Any) -> None:
    if not isinstance(values.get("optimizer.lr"), (int, float)):
        return
    steps, peak = values.get("training.steps"), float(values["optimizer.lr"])
    warmup_key = next((k for k in ("lr_scheduler.warmup_steps", "training.warmup_steps") if k in values), None)
    ratio = values.get("lr_scheduler.decay_ratio")
    kind = str(values.get("lr_scheduler.decay_type", "linear"))
    min_key = next((k for k in ("lr_scheduler.lr_min", "lr_scheduler.min_lr_factor") if k in values), None)
    where = (at("lr_scheduler.decay_type") if "lr_scheduler.decay_type" in values else
             "default: torchtitan lr_scheduler decay_type linear")
    if kind == "sqrt" or (kind == "cosine" and ratio is not None):
        facts.notes.append(f"torchtitan lr_scheduler decay_type {kind}" + (f" after a stable phase (decay_ratio "
                           f"{ratio})" if ratio is not None else "") + ": that schedule is not rebuilt")
        return
    if ratio is not None and isinstance(steps, int):
        facts.set("lr_schedule", "wsd", f"{where} (torchtitan warmup, stable, linear decay_ratio {ratio})")
        facts.set("decay_steps", round(steps * float(ratio)), at("lr_scheduler.decay_ratio"))
    else:
        facts.set("lr_schedule", "cosine" if kind == "cosine" else "linear",
                  f"{where} (torchtitan warmup, then {kind} decay to the last step)")
    facts.set("warmup_steps", int(values[warmup_key]) if warmup_key else 200,
              at(warmup_key) if warmup_key else "default: torchtitan lr_scheduler warmup_steps 200")
    factor = float(values[min_key]) if min_key else 0.0  # a share of the peak
    facts.set("lr_min", peak * factor, at(min_key) if min_key else "default: torchtitan lr_scheduler lr_min 0")
    facts.set("warmup_rule", WARMUP_RULE, "default: torchtitan linear_warmup_stable_decay (step+1)/(warmup+1)")


def _world(values: dict[str, Any], facts: RunFacts, at: Any) -> None:
    """Data-parallel ranks: replicate x shard degree, when both are stated (-1 shards over all the GPUs: unknown)."""
    replicate = values.get("parallelism.data_parallel_replicate_degree", 1)
    shard = values.get("parallelism.data_parallel_shard_degree")
    if isinstance(replicate, int) and isinstance(shard, int) and replicate > 0 and shard > 0:
        facts.set("world_size", replicate * shard, at("parallelism.data_parallel_shard_degree"))
        if "grad_accum" not in facts and not (values.get("training.global_batch_size") or 0) > 0:
            facts.set("grad_accum", 1, "default: torchtitan (no global_batch_size: one micro-batch a step)")
    elif shard == -1:
        facts.assume("tokens_per_step", "torchtitan data_parallel_shard_degree -1 shards over every GPU: the "
                     "tokens per step need the GPU count, which the config does not state")

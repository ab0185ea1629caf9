"""Facts that follow from other facts: tokens per step (with each trainer's world-size rule) and the parameter
count of the shape (lossdoc.params), recomputed whenever a config or flag changes what they follow from."""

from __future__ import annotations

from .facts import RunFacts


def derive(facts: RunFacts) -> None:
    """Recomputed from scratch each time (a config or flag may have changed what they follow from)."""
    for name in [n for n, fact in facts.facts.items() if fact.kind == "computed"]:
        del facts.facts[name]
    facts.conflicts[:] = [c for c in facts.conflicts if not any(s.startswith("computed") for _, s in c["values"])]
    _tokens(facts)
    _params(facts)
    if facts.get("lr_schedule") in ("cosine", "wsd", "linear") and facts.get("decay_steps") is None:
        if facts.get("max_steps") and facts.get("lr_schedule") != "wsd":
            facts.set("decay_steps", facts.get("max_steps"), "computed: the decay ends at the planned steps")


def _tokens(facts: RunFacts) -> None:
    block = facts.get("block_size")
    if not block or "tokens_per_step" in facts:  # stated by the log or config: the per-fact conflicts say the rest
        return
    if facts.get("global_batch"):
        facts.set("tokens_per_step", int(facts.get("global_batch") * block),
                  f"computed: global batch {facts.get('global_batch'):,} × block {block:,}")
        return
    batch, accum = facts.get("batch_size"), facts.get("grad_accum")
    if not batch or accum is None:
        return
    trainer = str(facts.get("trainer", ""))
    world = 1
    if not trainer.startswith("nanoGPT") and facts.get("world_size"):
        world = int(facts.get("world_size"))  # nanoGPT divides grad accumulation by the world size instead
    elif not trainer.startswith("nanoGPT"):
        note = "tokens per step assume one data-parallel rank (the world size is not stated)"
        if note not in facts.notes:
            facts.notes.append(note)
    facts.set("tokens_per_step", int(batch * block * accum * world),
              f"computed: batch {batch} × block {block:,} × grad_accum {accum}" + (f" × {world} ranks" if world > 1
                                                                                   else ""))


def _params(facts: RunFacts) -> None:
    from .params import gpt2_params, llama_params, megatron_gpt_params

    n_layer, d = facts.get("n_layer"), facts.get("n_embd")
    vocab = facts.get("vocab_padded") or facts.get("vocab_size")
    if not (n_layer and d and vocab):
        return
    arch = facts.get("architecture")  # unknown (modded-nanogpt, torchtitan): no formula is guessed
    block = facts.get("block_size") or 0
    if arch == "llama" and facts.get("intermediate_size") and facts.get("n_head"):
        count = llama_params(int(n_layer), int(d), int(facts.get("n_head")), int(facts.get("intermediate_size")),
                             int(vocab), facts.get("n_kv_head"), bool(facts.get("tied_embeddings", False)),
                             facts.get("head_dim"), facts.get("attention_bias") or "", bool(facts.get("qk_norm")))
    elif arch == "megatron-gpt":
        count = megatron_gpt_params(int(n_layer), int(d), int(vocab), int(block), facts.get("intermediate_size"))
    elif arch == "gpt2" and block:
        count = gpt2_params(int(n_layer), int(d), int(vocab), int(block), bool(facts.get("bias", True)))
    else:
        return
    shape = f"{count.formula} with L={n_layer}, d={d}, V={vocab}"
    facts.set("params_computed", count.total, f"computed: {shape}")
    facts.set("params_computed_printed", count.as_printed, f"computed: {shape}, as the script prints it")
    facts.set("params_embedding", count.embedding, f"computed: {shape}, embedding terms")

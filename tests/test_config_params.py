"""Parameter counts (lossdoc.params): known answers, checked against counts built tensor by tensor in the test."""

from __future__ import annotations

import pytest

from lossdoc.params import gpt2_params, llama_params, param_claim, width_for


def nanogpt_tensors(n_layer: int, d: int, vocab: int, block: int, bias: bool) -> dict[str, int]:
    """nanoGPT model.py's parameters, tensor by tensor (the truth, written out independently of the formula)."""
    sizes = {"wte": vocab * d, "wpe": block * d, "ln_f.weight": d}
    if bias:
        sizes["ln_f.bias"] = d
    for i in range(n_layer):
        shapes = {"ln_1.weight": d, "ln_2.weight": d, "attn.c_attn.weight": d * 3 * d, "attn.c_proj.weight": d * d,
                  "mlp.c_fc.weight": d * 4 * d, "mlp.c_proj.weight": 4 * d * d}
        if bias:
            shapes |= {"ln_1.bias": d, "ln_2.bias": d, "attn.c_attn.bias": 3 * d, "attn.c_proj.bias": d,
                       "mlp.c_fc.bias": 4 * d, "mlp.c_proj.bias": d}
        sizes |= {f"h.{i}.{k}": v for k, v in shapes.items()}
    return sizes  # lm_head shares wte


@pytest.mark.parametrize(("shape", "total", "printed"), [
    ((12, 768, 50257, 1024, True), 124_439_808, 123_653_376),  # GPT-2 124M: 124.44M, 123.65M as nanoGPT prints
    ((12, 384, 50304, 1024, False), 40_953_216, 40_560_000),  # the capacity case: "number of parameters: 40.56M"
    ((48, 1600, 50257, 1024, True), 1_557_611_200, 1_555_972_800),  # GPT-2 XL-like 48/25/1600: 1.56B
    ((8, 512, 50304, 512, False), 51_192_320, 50_930_176),  # TinyStories corpus log: "number of parameters: 50.93M"
])
def test_gpt2_counts(shape: tuple[int, int, int, int, bool], total: int, printed: int) -> None:
    tensors = nanogpt_tensors(*shape)
    assert sum(tensors.values()) == total
    assert sum(tensors.values()) - tensors["wpe"] == printed
    count = gpt2_params(*shape)
    assert (count.total, count.as_printed) == (total, printed)
    assert count.terms["position embedding"] == tensors["wpe"]


def llama_tensors(layers: int, d: int, heads: int, kv: int, ff: int, vocab: int, tied: bool,
                  head_dim: int | None = None, bias: str = "", qk_norm: bool = False) -> int:
    hd = head_dim or d // heads
    q_out, kv_out = heads * hd, kv * hd
    per_layer = d * q_out + 2 * d * kv_out + q_out * d  # q, k, v, o
    per_layer += {"": 0, "qkv": q_out + 2 * kv_out, "qkvo": q_out + 2 * kv_out + d}[bias]
    per_layer += (2 * hd if qk_norm else 0) + 3 * d * ff + 2 * d  # q/k norms; gate, up, down; 2 RMSNorm
    return layers * per_layer + d + vocab * d + (0 if tied else vocab * d)


@pytest.mark.parametrize(("config", "known"), [
    ((32, 4096, 32, 32, 11008, 32000, False), 6_738_415_616),  # Llama-2-7B (meta-llama/Llama-2-7b-hf)
    ((22, 2048, 32, 4, 5632, 32000, False), 1_100_048_384),  # TinyLlama-1.1B: grouped-query attention, 4 kv heads
])
def test_llama_counts(config: tuple[int, ...], known: int) -> None:
    layers, d, heads, kv, ff, vocab, tied = config
    assert llama_tensors(layers, d, heads, kv, ff, vocab, bool(tied)) == known
    assert llama_params(layers, d, heads, ff, vocab, kv, bool(tied)).total == known


@pytest.mark.parametrize(("config", "known"), [
    # meta-llama/Meta-Llama-3-8B: 8,030,261,248 parameters
    ((32, 4096, 32, 8, 14336, 128256, False, None, "", False), 8_030_261_248),
    # Qwen/Qwen2.5-0.5B: q, k and v projections with biases, tied head: 494,032,768
    ((24, 896, 14, 2, 4864, 151936, True, None, "qkv", False), 494_032_768),
    # Qwen3-14B: heads of 128, q/k RMSNorms; the torchtitan corpus log prints "14,768,307,200 total parameters"
    ((40, 5120, 40, 8, 17408, 151936, False, 128, "", True), 14_768_307_200),
])
def test_llama_family_variants(config: tuple, known: int) -> None:
    layers, d, heads, kv, ff, vocab, tied, head_dim, bias, qk_norm = config
    assert llama_tensors(*config) == known
    assert llama_params(layers, d, heads, ff, vocab, kv, tied, head_dim, bias, qk_norm).total == known


def test_heads_wider_than_the_width_split_count() -> None:
    # Qwen3-0.6B's shape: 16 heads of 128 at d = 1024 (q is 2048 wide); the 14B case above has head_dim = d / heads,
    # so only this one tells a head_dim read from d / n_head from the one the config states
    shape = (28, 1024, 16, 8, 3072, 151936, True)
    wide = llama_params(28, 1024, 16, 3072, 151936, 8, True, 128, "", True).total
    assert wide == llama_tensors(*shape, head_dim=128, qk_norm=True)
    assert wide - llama_params(28, 1024, 16, 3072, 151936, 8, True, None, "", True).total == 28 * (
        2 * 1024 * (16 * 128 - 1024) + 2 * 1024 * 8 * (128 - 64) + 2 * (128 - 64))  # q, o, k, v and the q/k norms


@pytest.mark.parametrize(("text", "value"), [
    ("Model (~125M parameters) – perfect for 12 GB VRAM", 125e6),
    ("GPT-2 XL, 1.5B params", 1.5e9),
    ("the 760M model", 760e6),
    ("data: ~1B tokens, 124M model", 124e6),  # a token count is not a parameter claim
    ("8 GPUs, 12 GB each", None),
    ("see capacity-saturation-40m.txt", None),
    ("these make the total batch size be ~0.5M", None),  # nanoGPT's train_gpt2.py: tokens per step
    ("this makes total number of tokens be 300B", None),
    ("2**19, ~0.5M, in number of tokens", None),  # build-nanogpt's total_batch_size: tokens, not parameters
    ("GPT-2 124M model, trained on 10B tokens", 124e6),
    ("the 760M run on 15B tokens", 760e6),  # the tokens are the next count's
])
def test_parameter_claims_in_comments(text: str, value: float | None) -> None:
    assert param_claim(text) == value


def test_the_width_that_reaches_a_claim_at_this_depth() -> None:
    # the capacity case: 12 layers, claimed ~125M as nanoGPT prints it -> n_embd 768 (123.55M with V=50304, no bias)
    assert width_for(125e6, 12, 50304, 1024, False, printed=True) == 768
    assert width_for(1.5e9, 48, 50257, 1024, True, printed=False) == 1600


@pytest.mark.parametrize(("text", "claims"), [
    ("~1B tokens", [("tokens_total", 1_000_000_000)]),
    ("2**19, ~0.5M tokens per step", [("tokens_per_step", 500_000)]),
    ("train for 2 epochs", [("epochs", 2.0)]),
    # nanoGPT's finetune_shakespeare.py: a product's factor is no claim, its result is
    ("1 batch_size * 32 grad_accum * 1024 tokens = 32,768 tokens/iter", [("tokens_per_step", 32_768)]),
    # the data's size and what an epoch is, not what the run trains on
    ("shakespeare has 301,966 tokens, so 1 epoch ~= 9.2 iters", []),
    ("one epoch is 9.2 iters", []),
    ("dataset of 10B tokens, we train on ~3B tokens", [("tokens_total", 3_000_000_000)]),
    # build-nanogpt's train_gpt2.py: the data's size in one clause, the batch in the next
    ("19,073 steps is ~1 epoch, if data is 10B tokens and batch size 0.5M tokens",
     [("tokens_per_step", 500_000), ("epochs", 1.0)]),
    ("2**19, ~0.5M, in number of tokens", []),
])
def test_token_and_epoch_claims_in_comments(text: str, claims: list) -> None:
    from lossdoc.claims import claims_in

    assert [(c.kind, c.value) for c in claims_in({1: text})] == claims

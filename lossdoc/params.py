"""Parameter counts from a model's shape, term by term, and what setting reaches a claimed count.

GPT-2 (nanoGPT model.py): per block two layer norms, attention (c_attn d->3d, c_proj d->d) and MLP (d->4d->d):
12·d² weights, plus 13·d biases and layer-norm parameters with bias, 2·d without (layer-norm weights only);
a final layer norm (2·d or d); token embeddings V·d tied with the output head; position embeddings block·d.
nanoGPT's ``get_num_params()`` (the "number of parameters" it prints) leaves out the position embeddings.
Known answers: 12/12/768, V=50257, block 1024, bias -> 124,439,808 total, 123,653,376 as printed.

Llama-style (HF LlamaConfig / Mistral / Qwen2): per layer q and o projections d·d each, k and v d·(d·kv/heads)
each, a gated MLP 3·d·intermediate, two RMSNorms of d; a final norm d; embeddings V·d, and an untied output
head another V·d (``tie_word_embeddings`` false, the Llama default).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .numbers import whole

# a claim must be within this relative distance of the count to hold (claims are written "~125M")
CLAIM_TOLERANCE = 0.15
# widths nanoGPT-style models use: a multiple of this keeps n_embd / n_head an integer head size
WIDTH_MULTIPLE = 64


@dataclass
class ParamCount:
    total: int
    as_printed: int  # what the training script prints (nanoGPT: without position embeddings)
    terms: dict[str, int] = field(default_factory=dict)  # term -> parameters
    formula: str = ""

    @property
    def embedding(self) -> int:
        return sum(v for k, v in self.terms.items() if "embedding" in k or k == "output head")


def gpt2_params(n_layer: int, n_embd: int, vocab_size: int, block_size: int, bias: bool = True) -> ParamCount:
    """nanoGPT's GPT: the total and the count ``get_num_params()`` prints (position embeddings left out)."""
    d = n_embd
    per_layer = 12 * d * d + (13 * d if bias else 2 * d)
    terms = {
        "blocks": n_layer * per_layer,
        "final layer norm": 2 * d if bias else d,
        "token embedding (tied head)": vocab_size * d,
        "position embedding": block_size * d,
    }
    total = sum(terms.values())
    return ParamCount(
        total, total - terms["position embedding"], terms,
        f"nanoGPT: L·(12d²+{'13' if bias else '2'}d) + {'2' if bias else ''}d + V·d + block·d",
    )


def llama_params(
    n_layer: int, n_embd: int, n_head: int, intermediate_size: int, vocab_size: int,
    n_kv_head: int | None = None, tied: bool = False, head_dim: int | None = None, attn_bias: str = "",
    qk_norm: bool = False,
) -> ParamCount:
    """A Llama-style decoder (RMSNorm, gated MLP, grouped-query attention, rotary positions). The variants its
    config states: ``head_dim`` when the heads are not d / n_head wide (Qwen3: 40 heads of 128 at d = 5120 is
    d_q = d, but 16 of 128 at d = 1024 is 2d); ``attn_bias`` "qkv" (Qwen2: q, k and v projections have biases)
    or "qkvo" (Llama's attention_bias: all four); ``qk_norm`` (Qwen3: an RMSNorm of head_dim on q and on k)."""
    d = n_embd
    hd = head_dim or d // n_head
    q, kv = n_head * hd, (n_kv_head or n_head) * hd
    attn = 2 * d * q + 2 * d * kv
    bias = {"": 0, "qkv": q + 2 * kv, "qkvo": q + 2 * kv + d}[attn_bias]
    per_layer = attn + bias + (2 * hd if qk_norm else 0) + 3 * d * intermediate_size + 2 * d
    terms = {"blocks": n_layer * per_layer, "final norm": d, "token embedding": vocab_size * d}
    if not tied:
        terms["output head"] = vocab_size * d
    total = sum(terms.values())
    extras = "".join([f", head_dim {hd}" if head_dim else "", f", {attn_bias} biases" if attn_bias else "",
                      ", q/k norms" if qk_norm else ""])
    return ParamCount(total, total, terms,
                      f"Llama: L·(2d·d_q+2d·d_kv+3d·d_ff+2d) + d + V·d (+ V·d untied head){extras}")


def megatron_gpt_params(
    n_layer: int, n_embd: int, vocab_size: int, block_size: int, ffn_hidden: int | None = None,
) -> ParamCount:
    """Megatron's GPT: biases everywhere, learned position embeddings, tied head; ffn_hidden_size default 4·d."""
    d = n_embd
    f = ffn_hidden or 4 * d
    per_layer = 4 * d * d + 4 * d + 2 * d * f + f + d + 4 * d  # attn qkv+o, MLP, two layer norms
    terms = {
        "blocks": n_layer * per_layer, "final layer norm": 2 * d,
        "token embedding (tied head)": vocab_size * d, "position embedding": block_size * d,
    }
    total = sum(terms.values())
    return ParamCount(total, total, terms, "Megatron GPT: L·(4d²+2d·d_ff+9d+d_ff) + 2d + V·d + block·d")


_CLAIM = re.compile(
    r"(?<![\w.])~?\s*(\d+(?:\.\d+)?)\s*([kKmMbBtT])(?:\s*(?:parameters|params|param)\b|(?!\w|\.\w))",
)
_DATA_WORDS = re.compile(r"\b(batch|tokens?|steps?|iters?|iterations?|lr|data)\b", re.IGNORECASE)
_SCALE = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}


def param_claim(comment: str) -> int | None:
    """A parameter count a comment claims: '~125M parameters', '1.5B params', '(760M)', 'GPT-2 124M model'.
    Token counts ('~1B tokens') are not parameter claims."""
    found = []
    for m in _CLAIM.finditer(comment):
        rest = comment[m.end(): m.end() + 30].lower()
        token = rest.find("token")
        before = re.split(r"[,;()]", comment[max(0, m.start() - 24): m.start()])[-1]  # this clause only
        named = "param" in m.group(0).lower()
        if token >= 0 and not re.search(r"param|model|\d", rest[:token]):
            continue  # "~1B tokens", build-nanogpt's "2**19, ~0.5M, in number of tokens": a count of tokens (in
            #           "the 760M run on 15B tokens" the tokens are the next count's)
        if not named and _DATA_WORDS.search(before):
            continue  # "total batch size be ~0.5M", "tokens be 300B": not a parameter claim
        found.append((named, whole(float(m.group(1)) * _SCALE[m.group(2).lower()])))
    if not found:
        return None
    said = [v for named, v in found if named]  # "~125M parameters" before a bare "124M"
    return said[0] if said else found[0][1]


def millions(n: float) -> str:
    """A parameter count as practitioners print it: 40.56M, 1.56B."""
    return f"{n / 1e9:.2f}B" if abs(n) >= 1e9 else f"{n / 1e6:.2f}M" if abs(n) >= 1e5 else f"{n:,.0f}"


def claim_holds(claim: float, count: float) -> bool:
    return abs(count - claim) <= CLAIM_TOLERANCE * claim


def width_for(target: float, n_layer: int, vocab_size: int, block_size: int, bias: bool, printed: bool) -> int:
    """The n_embd (a multiple of WIDTH_MULTIPLE) whose GPT-2 count is nearest ``target`` at this depth."""
    # solve 12·L·d² + (V + block + ...)·d = target, then round to the nearest usable width
    a = 12 * n_layer
    b = vocab_size + (0 if printed else block_size) + n_layer * (13 if bias else 2) + 2
    d = (-b + math.sqrt(b * b + 4 * a * target)) / (2 * a)
    best = max(WIDTH_MULTIPLE, round(d / WIDTH_MULTIPLE) * WIDTH_MULTIPLE)

    def count(w: int) -> int:
        c = gpt2_params(n_layer, w, vocab_size, block_size, bias)
        return c.as_printed if printed else c.total

    return min((best - WIDTH_MULTIPLE, best, best + WIDTH_MULTIPLE), key=lambda w: abs(count(max(w, 1)) - target))


def depth_for(target: float, n_embd: int, vocab_size: int, block_size: int, bias: bool, printed: bool) -> int:
    """The n_layer whose GPT-2 count is nearest ``target`` at this width."""
    c0 = gpt2_params(0, n_embd, vocab_size, block_size, bias)
    fixed = c0.as_printed if printed else c0.total
    per = 12 * n_embd * n_embd + (13 if bias else 2) * n_embd
    return max(1, round((target - fixed) / per))


def dominant_term(count: ParamCount) -> tuple[str, float]:
    """The term holding the largest share of the count, and that share."""
    name = max(count.terms, key=count.terms.__getitem__)
    return name, count.terms[name] / max(count.total, 1)

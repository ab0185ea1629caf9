"""FLOPs per token for the mfu analysis (lossdoc/analyzers/mfu.py), by convention, and which convention a log's
printed MFU was computed with.

FLOPs per token, training (forward + backward), N parameters, L layers, d = H*Q width, T sequence length:
- nanogpt (default; PaLM App. B, nanoGPT model.py estimate_mfu): 6N + 12*L*d*T
- torchtitan (torchtitan/models/utils.py get_nparams_and_flops): 6(N - V*d) + 12*L*d*T (embeddings excluded)
- llmc (llm.c train_gpt2.cu gpt2_estimate_mfu): 6N + 6*L*d*T (half the attention term)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..numbers import whole

if TYPE_CHECKING:
    from .mfu import MfuResult

CONVENTIONS = ("nanogpt", "torchtitan", "llmc")
CONVENTION_MATCH = 0.02  # a convention "is" the log's when it reproduces the printed MFU within 2% (relative)
FORMULAS = {"nanogpt": "6N + 12*L*d*T", "torchtitan": "6(N - V*d) + 12*L*d*T", "llmc": "6N + 6*L*d*T"}


def flops_per_token(facts: Any, convention: str, notes: list[str] | None = None) -> tuple[int | None, str | None]:
    """Training FLOPs per token by the convention, from the run facts; (None, None) without a parameter count.
    A count, in integers: every term is a whole number of multiply-adds (the attention's 6*L*d*T too)."""
    n = facts.get("params_logged")
    layers, width, seq = facts.get("n_layer"), facts.get("n_embd"), facts.get("block_size")
    n_how = ""  # how N was found, when it is not the log's total count: the formula is then nanoGPT's
    if facts.get("params_non_embedding_logged"):
        # newer modded-nanogpt records: 275.7M in all, 154.5M of it token and value embeddings, lookups that do
        # no matmul (6N of the total put a record at 83% MFU); the head, untied, is among the rest
        n = facts.get("params_non_embedding_logged")
        n_how = ", the log's non-embedding count (embedding lookups do no matmul)"
        if notes is not None:
            notes.append(f"N = the log's non-embedding parameters ({n:,}): its embeddings are lookups, not matmuls")
    if not n and layers and width and facts.get("vocab_size"):
        # GPT-2 layout without biases, head tied to the token embedding, no learned positions (nanoGPT's
        # get_num_params count): 12*L*d^2 (attention 4d^2 + MLP 8d^2 per layer) + V*d
        n = 12 * layers * width**2 + facts.get("vocab_size") * width
        n_how = " estimated as 12*L*d^2 + V*d"
        if notes is not None:
            notes.append(f"parameter count not in the log: N = 12*L*d^2 + V*d = {n:,} (GPT-2 layout, tied head)")
    if not n:
        return None, None
    n = whole(n)
    if not (layers and width and seq):
        if notes is not None:
            notes.append("model shape not in the log: 6N only, without the attention term")
        missing = "/".join(k for k, v in (("n_layer", layers), ("n_embd", width), ("block_size", seq)) if not v)
        return 6 * n, f"6N (N={n:,.0f}{n_how}; no attention term: {missing} not stated)"
    attn = 12 * int(layers) * int(width) * int(seq)
    if n_how:
        return 6 * n + attn if convention != "llmc" else 6 * n + attn // 2, (
            f"{FORMULAS[convention if convention != 'torchtitan' else 'nanogpt']} ({convention}; N={n:,.0f}"
            f"{n_how}, L={layers}, d={width}, T={seq})"
        )
    if convention == "llmc":
        return 6 * n + attn // 2, f"6N + 6*L*d*T (llm.c; N={n:,.0f}, L={layers}, d={width}, T={seq})"
    if convention == "torchtitan":
        vocab = facts.get("vocab_size")
        if not vocab:
            raise InputError("--convention torchtitan needs the vocabulary size, which the log does not state")
        emb = int(vocab) * int(width)
        shape = f"N={n:,.0f}, V={vocab}, L={layers}, d={width}, T={seq}"
        return 6 * (n - emb) + attn, f"6(N - V*d) + 12*L*d*T (torchtitan; {shape})"
    return 6 * n + attn, f"6N + 12*L*d*T (nanoGPT/PaLM; N={n:,.0f}, L={layers}, d={width}, T={seq})"


def which_convention(facts: Any, r: MfuResult, printed: float) -> str | None:
    """The FLOPs convention whose MFU, at the log's own assumed peak and our throughput, is the printed one."""
    assumed = float(facts.get("peak_tflops_logged"))
    for conv in CONVENTIONS:
        try:
            fpt, formula = flops_per_token(facts, conv)
        except InputError:
            continue
        if fpt is None or "6N (" in (formula or ""):
            return None
        mfu = 100.0 * fpt * r.tokens_per_sec_per_gpu / (assumed * 1e12)  # type: ignore[operator]
        if abs(mfu - printed) / printed <= CONVENTION_MATCH:
            return conv
    return None

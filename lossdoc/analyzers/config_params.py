"""config-check's parameter section: the count computed from the shape vs the one the log prints vs a claim in
a comment; a mismatch names the term that causes it and the setting that reaches the claim."""

from __future__ import annotations

from typing import Any

from ..facts import RunFacts
from ..findings import Finding, Severity
from ..numbers import abbreviate

NAME = "config-check"
LOGGED_PARAMS_TOL = 0.005  # a logged count printed as "40.56M" matches a computed one within 0.5%
CLAIM_TOL = 0.15  # a claim in a comment ("~125M") holds within 15%
STANDARD_HEAD_DIM = 64  # GPT-2's head size (768/12, 1600/25): a narrower head points at the width


def _src(facts: RunFacts, name: str) -> str:
    return facts.source(name) or "unknown"


def _count(n: float) -> str:
    from ..params import millions

    return millions(n)


# ---- parameters -----------------------------------------------------------------------------------------------


def _shape(facts: RunFacts) -> str:
    parts = [f"{k} {facts.get(k)}" for k in ("n_layer", "n_head", "n_embd") if facts.get(k) is not None]
    vocab = facts.get("vocab_padded") or facts.get("vocab_size")
    if vocab:
        parts.append(f"vocab {vocab}")
    if facts.get("bias") is not None and facts.get("architecture") == "gpt2":
        parts.append(f"bias {facts.get('bias')}")
    return ", ".join(parts)


def check_params(result: Any, facts: RunFacts, claims: list[Any]) -> None:
    computed, printed = facts.get("params_computed"), facts.get("params_computed_printed")
    logged = facts.get("params_logged")
    claimed = claims[0].value if claims else facts.get("params_claimed")
    result.params = {
        "computed": computed, "computed_as_printed": printed, "logged": logged, "claimed": claimed,
        "embedding": facts.get("params_embedding"),
        "formula": (_src(facts, "params_computed").removeprefix("computed: ") if computed else None),
    }
    rank_sum = _megatron_rank_sum(facts)
    if rank_sum is not None:
        result.params["logged_rank_sum_expected"] = rank_sum
    if logged and computed:
        near = min((c for c in (computed, printed, rank_sum) if c), key=lambda c: abs(c - logged))
        if abs(near - logged) > LOGGED_PARAMS_TOL * logged:
            result.findings.append(_logged_mismatch(facts, logged, computed, printed))
    count = logged or printed or computed
    if rank_sum is not None and logged and abs(rank_sum - logged) <= LOGGED_PARAMS_TOL * logged:
        count = computed  # Megatron's per-rank sum counts replicated parameters more than once
    result.params["used"] = count
    if claimed and count and not any(abs(c - claimed) <= CLAIM_TOL * claimed for c in (count, computed) if c):
        result.findings.append(_claim_finding(facts, claimed, count, claims[0] if claims else None))


def _megatron_rank_sum(facts: RunFacts) -> int | None:
    """Megatron prints a count per (tensor, pipeline) rank; their sum counts the tied embedding on the first and
    the last pipeline stage, and the tensor-replicated parameters (layer norms, row-parallel biases, position
    embeddings) once per tensor rank."""
    if facts.get("architecture") != "megatron-gpt" or not facts.get("params_computed"):
        return None
    tp, pp = int(facts.get("tensor_parallel") or 1), int(facts.get("pipeline_parallel") or 1)
    d, layers = int(facts.get("n_embd")), int(facts.get("n_layer"))
    vocab, block = int(facts.get("vocab_padded") or facts.get("vocab_size")), int(facts.get("block_size") or 0)
    replicated = layers * 6 * d + 2 * d + block * d
    return int(facts.get("params_computed") + (vocab * d if pp > 1 else 0) + (tp - 1) * replicated)


def _logged_mismatch(facts: RunFacts, logged: float, computed: int, printed: int) -> Finding:
    from ..params import gpt2_params

    what = "the shape or the formula differs"
    if facts.get("architecture") == "gpt2" and facts.get("block_size"):
        base = dict(n_layer=int(facts.get("n_layer")), n_embd=int(facts.get("n_embd")),
                    block_size=int(facts.get("block_size")), bias=bool(facts.get("bias", True)))
        vocab = int(facts.get("vocab_padded") or facts.get("vocab_size"))
        for label, kw in (("vocab 50257 (unpadded)", {"vocab_size": 50257}), ("vocab 50304 (padded)",
                          {"vocab_size": 50304}), (f"bias {not base['bias']}", {"bias": not base["bias"]})):
            trial = gpt2_params(**{**base, "vocab_size": vocab, **kw})
            if any(abs(c - logged) <= LOGGED_PARAMS_TOL * logged for c in (trial.total, trial.as_printed)):
                what = f"the log's count matches {label}"
                break
    return Finding(
        NAME, Severity.WARNING,
        f"The log prints {_count(logged)} parameters; the shape ({_shape(facts)}) gives {_count(computed)} "
        f"({_count(printed)} without position embeddings): {what}",
        {"logged": logged, "computed": computed, "computed_as_printed": printed},
        "Check that the config given is the one this run used.",
    )


def _claim_finding(facts: RunFacts, claimed: float, count: float, claim: Any) -> Finding:
    from ..params import dominant_term

    where = f' ("{claim.text}", line {claim.line})' if claim is not None else ""
    advice, term = _reach(facts, claimed)
    title = (f"The comment claims ~{abbreviate(claimed)} parameters{where}, but the config builds "
             f"{_count(count)} ({_shape(facts)})")
    if term:
        title += f": {term}"
    evidence = {"claimed": claimed, "count": count, "ratio": count / claimed}
    if facts.get("params_computed") and facts.get("architecture") == "gpt2":
        from ..params import gpt2_params

        big = gpt2_params(int(facts.get("n_layer")), int(facts.get("n_embd")),
                          int(facts.get("vocab_padded") or facts.get("vocab_size")),
                          int(facts.get("block_size") or 0), bool(facts.get("bias", True)))
        evidence["largest_term"], evidence["largest_term_share"] = dominant_term(big)
    return Finding(NAME, Severity.WARNING, title, evidence, advice)


def _reach(facts: RunFacts, claimed: float) -> tuple[str, str]:
    """The setting that reaches the claimed count (width at this depth, or depth at this width) and the term."""
    from ..params import depth_for, gpt2_params, width_for

    if facts.get("architecture") != "gpt2" or not facts.get("block_size"):
        return "Check n_layer, n_embd and the vocabulary against the claim.", ""
    n_layer, d = int(facts.get("n_layer")), int(facts.get("n_embd"))
    vocab, block = int(facts.get("vocab_padded") or facts.get("vocab_size")), int(facts.get("block_size"))
    # the count as the script prints it when the log prints one or the trainer is nanoGPT (its printed count)
    printed = facts.get("params_logged") is not None or str(facts.get("trainer", "")).startswith("nanoGPT")
    bias = bool(facts.get("bias", True))
    width = width_for(claimed, n_layer, vocab, block, bias, printed)
    heads = int(facts.get("n_head") or 1)
    if width % heads:
        width = round(width / (heads * 64)) * heads * 64 or width
    reach = gpt2_params(n_layer, width, vocab, block, bias)
    reached = reach.as_printed if printed else reach.total
    depth = depth_for(claimed, d, vocab, block, bias, printed)
    tokens = facts.get("tokens_per_step")
    keep = f" (batch, block and grad accumulation unchanged keep {tokens:,} tokens/step)" if tokens else ""
    current = (facts.get("params_computed_printed") if printed else facts.get("params_computed")) or 1
    by_depth = gpt2_params(depth, d, vocab, block, bias)
    reached_depth = by_depth.as_printed if printed else by_depth.total
    width_fix = (f"keep {n_layer} layers and set n_embd = {width} ({_count(reached)})")
    depth_fix = f"keep n_embd = {d} and set n_layer = {depth} ({_count(reached_depth)})"
    # which setting is off: a head size under GPT-2's 64 points at the width; a standard head size at the depth
    narrow = d / heads < STANDARD_HEAD_DIM
    if narrow and (width / d > 1.2 or width / d < 0.8):
        term = (f"n_embd = {d}, not {width}, cuts it ~{reached / current:.0f}x (the 12·L·d² block weights scale "
                f"with the square of the width; head size {d // heads} vs GPT-2's {STANDARD_HEAD_DIM})")
        fixes = (width_fix, depth_fix)
    elif depth / n_layer > 1.2 or depth / n_layer < 0.8:
        term = (f"n_layer = {n_layer}, not {depth}, cuts it ~{reached_depth / current:.1f}x (the blocks hold "
                f"12·d² each; the head size {d // heads} is already GPT-2's)")
        fixes = (depth_fix, width_fix)
    else:
        term, fixes = "", (width_fix, depth_fix)
    advice = f"To reach ~{abbreviate(claimed)} {fixes[0]}{keep}; or {fixes[1]}."
    return advice, term

"""config-check: what the run is, from its facts (log, config file, flags, defaults), and whether the config's
numbers hold: parameters (computed / logged / claimed), tokens (per step, seen, planned, Chinchilla, epochs),
the LR schedule (warmup, LR at a step, share of peak at the end), dropout against val < train, eval noise.

Reads only lossdoc.facts (``run_facts(run)``), so it knows no format's key names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..facts import RunFacts, run_facts
from ..findings import Finding, Severity
from ..numbers import abbreviate
from ..run import Run

NAME = "config-check"

CHINCHILLA_TOKENS_PER_PARAM = 20  # Hoffmann et al. 2022 (compute-optimal ≈ 20 tokens/parameter; a rule of thumb)
LOGGED_PARAMS_TOL = 0.005  # a logged count printed as "40.56M" matches a computed one within 0.5%
CLAIM_TOL = 0.15  # a claim in a comment ("~125M", "~1B tokens") holds within 15%
REPEAT_EPOCHS_INFO = 1.0  # more than one pass over the data: said
REPEAT_EPOCHS_WARN = 4.0  # up to ~4 epochs of repeated data cost little (Muennighoff et al. 2023, arXiv 2305.16264)
SHORT_WARMUP_FRAC = 0.01  # warmup under 1% of the planned steps ...
SHORT_WARMUP_STEPS = 100  # ... and under 100 steps is very short for Adam at its peak LR
MIN_LR_HIGH = 0.3  # min_lr above 30% of peak: the LR hardly anneals (lr/10 is nanoGPT's and Chinchilla's choice)
MIN_LR_LOW = 0.01  # a non-zero min_lr below 1% of peak is as good as 0: said, not warned
DECAY_MISMATCH_FRAC = 0.01  # lr_decay_iters off max_iters by more than 1% of the run
TOKEN_LOSS_SD = 2.5  # nats: per-token loss spread of a GPT-2-scale LM on web text (assumed, for the eval noise)
VAL_BELOW_TRAIN = 0.0  # val below train by any margin beyond 2 standard errors of the eval


@dataclass
class ConfigCheckResult:
    facts: RunFacts
    config_name: str | None = None
    ignored: list[tuple[int, str]] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, Any] = field(default_factory=dict)
    schedule: dict[str, Any] = field(default_factory=dict)
    evaluation: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    full: bool = False  # the renderer lists every fact with its source (the config-check command); else a summary

    def to_json(self) -> dict[str, Any]:
        config = self.facts.to_json()
        config["file"] = self.config_name
        config["ignored"] = [{"line": n, "what": w} for n, w in self.ignored]
        return {
            "config": config,
            "params": self.params,
            "tokens": self.tokens,
            "schedule": self.schedule,
            "eval": self.evaluation,
            "findings": [f.to_json() for f in self.findings],
        }


def applies(run: Run) -> str | None:
    facts = run_facts(run)
    if any(facts.get(n) for n in ("params_logged", "params_computed", "tokens_per_step")):
        return None
    return "the log states no parameter count, model shape or tokens per step (--config gives them)"


def analyze(run: Run, config: Any = None, at: int | None = None, **_options: Any) -> ConfigCheckResult:
    """The check; ``config`` is the ConfigFile already attached to the run's facts (for its comments and lines)."""
    facts = run_facts(run)
    config = config if config is not None else getattr(run, "_config", None)
    result = ConfigCheckResult(facts, config.name if config is not None else None,
                               list(config.ignored) if config is not None else [])
    claims = _claims(config)
    last = _last_step(run)
    _params(result, facts, [c for c in claims if c.kind == "params"])
    _tokens(result, facts, last, [c for c in claims if c.kind != "params"])
    _schedule(result, run, facts, last, at)
    _dropout_and_eval(result, run, facts)
    _conflicts(result, facts)
    return result


def _claims(config: Any) -> list[Any]:
    from ..claims import claims_in

    return claims_in(config.comments) if config is not None else []


def _last_step(run: Run) -> int | None:
    for name in ("train/loss", "val/loss"):
        if run.has(name):
            steps, _ = run.arrays(name)
            if len(steps):
                return int(steps[-1])
    return None


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


def _params(result: ConfigCheckResult, facts: RunFacts, claims: list[Any]) -> None:
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
    ratio = width / d if d else 0
    term = (f"n_embd = {d}, not {width}, cuts it ~{(reached / max(facts.get('params_computed_printed') or 1, 1)):.0f}x "
            f"(the 12·L·d² block weights scale with the square of the width)") if ratio > 1.2 or ratio < 0.8 else ""
    advice = (f"To reach ~{abbreviate(claimed)} keep {n_layer} layers and set n_embd = {width} "
              f"({_count(reached)}){keep}; or keep n_embd = {d} and set n_layer = {depth}.")
    return advice, term


# ---- tokens ---------------------------------------------------------------------------------------------------


def _tokens(result: ConfigCheckResult, facts: RunFacts, last: int | None, claims: list[Any]) -> None:
    per_step = facts.get("tokens_per_step")
    count = result.params.get("used")
    planned_steps = facts.get("max_steps")
    doc: dict[str, Any] = {"per_step": per_step, "per_step_source": facts.source("tokens_per_step"),
                           "last_step": last, "seen": None, "planned_steps": planned_steps, "planned": None,
                           "chinchilla_optimal": None, "ratio": None, "dataset": facts.get("dataset_tokens"),
                           "epochs_seen": None, "epochs_planned": None}
    if per_step:
        doc["seen"] = int(per_step * last) if last is not None else None
        doc["planned"] = int(per_step * planned_steps) if planned_steps else None
    if count:
        doc["chinchilla_optimal"] = int(CHINCHILLA_TOKENS_PER_PARAM * count)
        basis = doc["seen"] or doc["planned"]
        doc["ratio"] = basis / doc["chinchilla_optimal"] if basis else None
        doc["ratio_planned"] = doc["planned"] / doc["chinchilla_optimal"] if doc["planned"] else None
    result.tokens = doc
    if doc["ratio"] is not None:
        result.findings.append(_chinchilla(doc, count))
    _epochs(result, doc)
    for claim in claims:
        _token_claim(result, facts, doc, claim)


def _chinchilla(doc: dict[str, Any], count: float) -> Finding:
    seen = doc["seen"] or doc["planned"]
    when = f"by step {doc['last_step']:,}" if doc["seen"] else "planned"
    ratio = doc["ratio"]
    plan = doc.get("ratio_planned")
    judged = plan if plan is not None else ratio
    verdict = ("over-training is fine when inference cost matters" if judged > 1.5 else
               "under the compute-optimal budget" if judged < 0.67 else "about compute-optimal")
    if plan is not None and doc["seen"] and abs(plan - ratio) > 0.05 * max(plan, 1e-9):
        verdict = f"{plan:.1f}x at the planned {abbreviate(doc['planned'])}: " + verdict
    return Finding(
        NAME, Severity.INFO,
        f"Chinchilla: {_count(count)} × {CHINCHILLA_TOKENS_PER_PARAM} = {abbreviate(doc['chinchilla_optimal'])} "
        f"tokens; {abbreviate(seen)} {when} is {ratio:.1f}x (a rule of thumb, Hoffmann et al. 2022; {verdict})",
        {"tokens": seen, "chinchilla_optimal": doc["chinchilla_optimal"], "ratio": ratio},
    )


def _epochs(result: ConfigCheckResult, doc: dict[str, Any]) -> None:
    data = doc["dataset"]
    if not data:
        return
    if doc["seen"]:
        doc["epochs_seen"] = doc["seen"] / data
    if doc["planned"]:
        doc["epochs_planned"] = doc["planned"] / data
    epochs = doc["epochs_seen"] or doc["epochs_planned"] or 0
    if epochs <= REPEAT_EPOCHS_INFO:
        return
    severity = Severity.WARNING if epochs > REPEAT_EPOCHS_WARN else Severity.INFO
    src = _src(result.facts, "dataset_tokens")
    result.findings.append(Finding(
        NAME, severity,
        f"{epochs:.1f} epochs over {abbreviate(data)} tokens of data ({src}): each token is seen {epochs:.1f} times",
        {"epochs": epochs, "dataset_tokens": data},
        "Beyond ~4 epochs repeated data is worth much less than fresh data (Muennighoff et al. 2023); "
        "more data or a smaller run." if severity is Severity.WARNING else "",
    ))


def _token_claim(result: ConfigCheckResult, facts: RunFacts, doc: dict[str, Any], claim: Any) -> None:
    kind = claim.kind
    actual, how = None, ""
    if kind == "tokens_per_step" and doc["per_step"]:
        actual, how = doc["per_step"], _src(facts, "tokens_per_step").removeprefix("computed: ")
    elif kind == "tokens_total" and doc["planned"]:
        actual, how = doc["planned"], f"{doc['planned_steps']:,} steps × {doc['per_step']:,} tokens/step"
    elif kind == "epochs" and doc["epochs_planned"]:
        actual, how = doc["epochs_planned"], f"{abbreviate(doc['planned'])} / {abbreviate(doc['dataset'])} tokens"
    if actual is None or abs(actual - claim.value) <= CLAIM_TOL * claim.value:
        return
    unit = "epochs" if kind == "epochs" else "tokens" + (" per step" if kind == "tokens_per_step" else "")
    shown = (f"{actual:.2f}" if kind == "epochs" else abbreviate(actual))
    said = f"{claim.value:g}" if kind == "epochs" else abbreviate(claim.value)
    result.findings.append(Finding(
        NAME, Severity.WARNING,
        f'The comment on line {claim.line} ("{claim.text}") says ~{said} {unit}; {how} = {shown}',
        {"claimed": claim.value, "actual": actual, "line": claim.line},
        "Fix the comment or the setting, whichever is wrong.",
    ))


# ---- schedule -------------------------------------------------------------------------------------------------


def _schedule(result: ConfigCheckResult, run: Run, facts: RunFacts, last: int | None, at: int | None) -> None:
    from ..schedule import check_logged, spec_from_facts

    spec, why = spec_from_facts(facts)
    logged = _logged_lr(run)
    if spec is None:
        result.schedule = {"known": False, "reason": why, "logged": logged}
        return
    per_step = facts.get("tokens_per_step")
    doc: dict[str, Any] = {
        "known": True, "kind": spec.kind, "peak": None if spec.relative else spec.peak, "relative": spec.relative,
        "warmup_steps": spec.warmup, "warmup_tokens": int(spec.warmup * per_step) if per_step else None,
        "decay_end": spec.decay_end, "final": spec.final, "planned_steps": spec.total,
        "warmup_rule": spec.warmup_rule, "step_offset": spec.offset, "describe": spec.describe(),
        "sources": {n: facts.source(n) for n in ("lr_schedule", "lr_peak", "warmup_steps", "decay_steps", "lr_min",
                                                 "max_steps") if facts.source(n)},
    }
    if last is not None:
        lr_last = float(spec.lr_at(last))
        doc.update(last_step=last, lr_last=lr_last, share_of_peak_last=lr_last / spec.peak if spec.peak else None)
    if at is not None:
        doc.update(at_step=at, lr_at=float(spec.lr_at(at)))
    check = check_logged(run, spec)
    doc["check_against_log"] = check
    doc["logged"] = logged
    result.schedule = doc
    _schedule_findings(result, facts, spec, check)


def _logged_lr(run: Run) -> dict[str, Any] | None:
    """The LR the log prints: its highest value, the last, and the last as a share of the highest in this log."""
    import numpy as np

    if not run.has("train/lr"):
        return None
    steps, values = run.arrays("train/lr")
    ok = np.isfinite(values)
    if not ok.any():
        return None
    top, last = float(np.max(values[ok])), float(values[ok][-1])
    return {"highest": top, "last": last, "last_step": int(steps[ok][-1]),
            "last_share_of_highest_in_log": last / top if top > 0 else None}


def _schedule_findings(result: ConfigCheckResult, facts: RunFacts, spec: Any, check: dict[str, Any] | None) -> None:
    add = result.findings.append
    if check is not None and not check["matches"]:
        stated = all(facts.fact(n) is not None and facts.fact(n).kind in ("log", "config", "flag")
                     for n in ("lr_peak", "warmup_steps", "max_steps", "lr_min"))
        add(Finding(NAME, Severity.WARNING if stated else Severity.INFO,
                    f"The stated schedule ({spec.describe()}) is off the logged LR: {check['rebuilt']:.3g} vs "
                    f"{check['logged']:.3g} at step {check['worst_step']:,}",
                    {k: v for k, v in check.items() if k != "matches"},
                    "A setting differs from what the run used (min LR, warmup, planned steps): the logged LR is "
                    "used" + ("" if stated else "; some of the schedule's settings were not stated and were assumed")))
    total, decay = facts.get("max_steps"), facts.get("decay_steps")
    if spec.kind == "cosine" and total and decay and abs(decay - total) > DECAY_MISMATCH_FRAC * total:
        if decay < total:
            text = f"the LR sits at its floor {spec.final:.3g} for the last {total - decay:,.0f} steps"
        else:
            share = float(spec.lr_at(total)) / spec.peak
            text = f"the run stops {total / decay:.0%} of the way down the cosine, at {share:.0%} of peak"
        add(Finding(NAME, Severity.WARNING, f"lr_decay_iters {decay:,.0f} != max_iters {total:,.0f}: {text}",
                    {"decay_steps": decay, "max_steps": total},
                    "Set lr_decay_iters = max_iters (nanoGPT's advice) unless the mismatch is deliberate."))
    if not spec.relative and spec.kind in ("cosine", "linear", "wsd") and spec.peak:
        ratio = spec.final / spec.peak
        if ratio > MIN_LR_HIGH:
            add(Finding(NAME, Severity.WARNING,
                        f"min_lr {spec.final:.3g} is {ratio:.0%} of the peak {spec.peak:.3g}: the LR hardly anneals",
                        {"min_lr": spec.final, "peak": spec.peak},
                        "lr/10 is the usual floor (nanoGPT, Chinchilla); most of the late-training gain comes from "
                        "the decay."))
        elif 0 < ratio < MIN_LR_LOW:
            add(Finding(NAME, Severity.INFO, f"min_lr {spec.final:.3g} is {ratio:.1%} of the peak: decays to ~0",
                        {"min_lr": spec.final, "peak": spec.peak}))
    if total and 0 < spec.warmup < min(SHORT_WARMUP_FRAC * total, SHORT_WARMUP_STEPS):
        tokens = facts.get("tokens_per_step")
        extra = f" ({abbreviate(spec.warmup * tokens)} tokens)" if tokens else ""
        add(Finding(NAME, Severity.WARNING,
                    f"Very short warmup: {spec.warmup:g} steps{extra}, {spec.warmup / total:.1%} of {total:,} steps",
                    {"warmup_steps": spec.warmup, "max_steps": total},
                    "A warmup of 1-2% of the run (a few hundred steps) guards against early divergence."))


# ---- dropout, val < train, eval noise -------------------------------------------------------------------------


def _near(steps: Any, values: Any, step: int, window: int) -> float | None:
    import numpy as np

    mask = (steps > step - window) & (steps <= step) & np.isfinite(values)
    return float(np.mean(values[mask])) if mask.any() else None


def _dropout_and_eval(result: ConfigCheckResult, run: Run, facts: RunFacts) -> None:
    import numpy as np

    doc: dict[str, Any] = {"eval_iters": facts.get("eval_iters"), "eval_tokens": None, "stderr": None}
    batch, block, iters = facts.get("batch_size"), facts.get("block_size"), facts.get("eval_iters")
    if batch and block and iters:
        tokens = int(iters * batch * block)
        doc.update(eval_tokens=tokens, stderr=TOKEN_LOSS_SD / math.sqrt(tokens),
                   stderr_assumes=f"independent tokens with a per-token loss sd of {TOKEN_LOSS_SD} nats")
    result.evaluation = doc
    if not (run.has("val/loss") and run.has("train/loss")):
        return
    vs, vv = run.arrays("val/loss")
    ok = np.isfinite(vv)
    if not ok.any():
        return
    step, val = int(vs[ok][-1]), float(vv[ok][-1])
    ts, tv = run.arrays("train/loss")
    spacing = int(np.median(np.diff(vs[ok]))) if ok.sum() >= 2 else 100
    train = _near(ts, tv, step, max(spacing // 2, 1))
    _val_wiggle(doc, vs[ok], vv[ok])
    if train is None:
        return
    noise = 2 * (doc["stderr"] or 0.0)
    doc.update(val_last=val, train_near_last=train, val_step=step)
    if val >= train - noise:
        return
    eval_train = None
    if run.has("train/eval_loss"):
        es, ev = run.arrays("train/eval_loss")
        eval_train = _near(es, ev, step, 1)
    dropout = facts.get("dropout")
    result.findings.append(_val_below(step, val, train, dropout, eval_train, facts))


def _val_below(step: int, val: float, train: float, dropout: Any, eval_train: float | None,
               facts: RunFacts) -> Finding:
    if dropout and eval_train is not None and eval_train <= val:
        cause = (f"dropout = {dropout} is active in the training loss and off in evaluation; the eval-mode train "
                 f"loss {eval_train:.4f} is not below val, which confirms it")
    elif dropout and eval_train is None:
        cause = f"dropout = {dropout} ({_src(facts, 'dropout')}) is active in training and off in evaluation"
    else:
        cause = ("other causes, as " + (f"dropout is {dropout}" if dropout is not None else "dropout is unknown") +
                 (f" and the eval-mode train loss {eval_train:.4f} is below val too" if eval_train is not None else "")
                 + ": a single small val split, a train loss that is one noisy batch or an average over a "
                 "window with higher LR, or a val set from an easier distribution")
    return Finding(NAME, Severity.INFO, f"Val < train at step {step:,} ({val:.4f} vs {train:.4f}): likely {cause}",
                   {"step": step, "val": val, "train": train, "dropout": dropout, "eval_train": eval_train})


def _val_wiggle(doc: dict[str, Any], steps: Any, values: Any) -> None:
    import numpy as np

    if len(values) < 3 or not doc["stderr"]:
        return
    rises = np.diff(values)
    worst = int(np.argmax(rises))
    if rises[worst] <= 0:
        return
    z = float(rises[worst] / (math.sqrt(2) * doc["stderr"]))
    doc.update(largest_val_rise=float(rises[worst]), largest_val_rise_step=int(steps[worst + 1]),
               largest_val_rise_z=z, largest_val_rise_is_noise=z < 2)


def _conflicts(result: ConfigCheckResult, facts: RunFacts) -> None:
    for c in facts.conflicts:
        (a, a_src), (b, b_src) = c["values"]
        kept = facts.source(c["fact"])
        result.findings.append(Finding(
            NAME, Severity.INFO,
            f"{_who(b_src)} says {c['fact']} {_fmt(b)}, {_who(a_src)} says {_fmt(a)}",
            {"fact": c["fact"], "first": _fmt(a), "first_source": a_src, "second": _fmt(b), "second_source": b_src},
            f"Used: {_fmt(facts.get(c['fact']))} ({kept}).",
        ))


def _who(source: str) -> str:
    if source.startswith("log: nanoGPT config echo"):
        return "the log's echo"
    if source.startswith("log"):
        return "the log"
    if source.startswith("config"):
        return "the config"
    return source.split(":", 1)[0]


def _fmt(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1000:
        return f"{int(value):,}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


# ---- a config given on the command line -----------------------------------------------------------------------

SHAPE_FACTS = ("n_layer", "n_head", "n_embd")  # a config whose shape differs from the log's is another run's
MATCH_PARAMS_TOL = 0.2  # the config's count within 20% of the logged one, else it is not this run's config


def attach(run: Run, path: Any, dataset_tokens: int | None = None) -> Any:
    """Read CONFIG, check it is a model config and belongs to LOG, add its facts to the run's; find train.bin.
    Raises InputError (one line, exit 2) for an unreadable config, one with no model keys, or a mismatch."""
    from pathlib import Path

    from ..configs import read_config
    from ..errors import InputError
    from ..facts import attach_config, facts_from_config, set_flag
    from ..facts_map import MODEL_FACTS

    config = read_config(path)
    own = facts_from_config(config)
    if not any(own.fact(n) is not None and own.fact(n).kind == "config" for n in MODEL_FACTS):
        raise InputError(f"{path}: no model or training keys (n_layer, n_embd, batch_size, max_iters, "
                         f"learning_rate...) were read as literals ({len(config.ignored)} line(s) ignored)")
    log = run_facts(run)
    for name in SHAPE_FACTS:
        a, b = log.fact(name), own.fact(name)
        if a is not None and b is not None and a.kind == "log" and b.kind == "config" and a.value != b.value:
            raise InputError(f"the log does not match {Path(str(path)).name}: the config says {name} {b.value}, "
                             f"the log says {a.value} ({a.source})")
    logged, computed = log.get("params_logged"), own.get("params_computed")
    stated = log.fact("n_embd") is not None and log.fact("n_embd").kind == "log"
    if logged and computed and not stated:
        near = min((computed, own.get("params_computed_printed")), key=lambda c: abs(c - logged))
        if abs(near - logged) > MATCH_PARAMS_TOL * logged:
            raise InputError(f"the log does not match {Path(str(path)).name}: the log prints {_count(logged)} "
                             f"parameters, the config builds {_count(near)}")
    attach_config(run, config)
    run._config = config  # its comments and ignored lines, for the config-check section of analyze
    if dataset_tokens is not None:
        set_flag(run, "dataset_tokens", int(dataset_tokens), "--dataset-tokens")
    else:
        _train_bin(run, Path(str(path)))
    return config


def _train_bin(run: Run, path: Any) -> None:
    """nanoGPT reads data/<dataset>/train.bin (uint16 tokens): its size / 2 is the data budget."""
    facts = run_facts(run)
    dataset = facts.get("dataset")
    if not isinstance(dataset, str) or "dataset_tokens" in facts:
        return
    base = path.parent if path.is_file() else path
    for root in (base, base.parent, type(base)(".")):
        candidate = root / "data" / dataset / "train.bin"
        if candidate.is_file():
            size = candidate.stat().st_size
            facts.set("dataset_tokens", size // 2, f"computed: {candidate} {size:,} bytes / 2 (uint16 tokens)")
            return

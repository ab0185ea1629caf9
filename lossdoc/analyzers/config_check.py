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
from .config_params import CLAIM_TOL, _count, check_params

NAME = "config-check"

CHINCHILLA_TOKENS_PER_PARAM = 20  # Hoffmann et al. 2022 (compute-optimal ≈ 20 tokens/parameter; a rule of thumb)
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
    check_params(result, facts, [c for c in claims if c.kind == "params"])
    _tokens(result, facts, last, [c for c in claims if c.kind != "params"])
    _tokens_logged(result, run)
    _schedule(result, run, facts, last, at)
    _dropout_and_eval(result, run, facts)
    _conflicts(result, facts)
    return result


def _claims(config: Any) -> list[Any]:
    if config is None or not config.comments:
        return []  # claims.py compiles its regexes on import (~5 ms): only when there are comments to read
    from ..claims import claims_in

    return claims_in(config.comments)


def _last_step(run: Run) -> int | None:
    for name in ("train/loss", "val/loss"):
        if run.has(name):
            steps, _ = run.arrays(name)
            if len(steps):
                return int(steps[-1])
    return None


def _src(facts: RunFacts, name: str) -> str:
    return facts.source(name) or "unknown"


# ---- tokens ---------------------------------------------------------------------------------------------------


def _tokens(result: ConfigCheckResult, facts: RunFacts, last: int | None, claims: list[Any]) -> None:
    per_step = facts.get("tokens_per_step")
    count = result.params.get("used")
    planned_steps = facts.get("max_steps")
    doc: dict[str, Any] = {"per_step": per_step, "per_step_source": facts.source("tokens_per_step"),
                           "last_step": last, "seen": None, "planned_steps": planned_steps, "planned": None,
                           "chinchilla_optimal": None, "ratio": None, "ratio_planned": None,
                           "dataset": facts.get("dataset_tokens"), "epochs_seen": None, "epochs_planned": None,
                           "seen_logged": None, "seen_logged_step": None}  # null: unknown (_tokens_logged)
    if per_step:
        doc["seen"] = int(per_step * last) if last is not None else None
        doc["planned"] = int(per_step * planned_steps) if planned_steps else None
    if count and not facts.get("init_from"):  # a fine-tune's budget is not a from-scratch one
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


def _tokens_logged(result: ConfigCheckResult, run: Run) -> None:
    """The cumulative token count the log itself prints (train/tokens), beside the one computed from the steps."""
    import numpy as np

    if not run.has("train/tokens"):
        return
    steps, values = run.arrays("train/tokens")
    ok = np.isfinite(values)
    if ok.any():
        result.tokens["seen_logged"] = int(values[ok][-1])
        result.tokens["seen_logged_step"] = int(steps[ok][-1])


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
        "last_step": None, "lr_last": None, "share_of_peak_last": None,  # null: no log (a config alone)
    }
    check = check_logged(run, spec)
    off = check is not None and not check["matches"] and logged is not None
    if last is not None and off:  # the log's own LR, not a schedule the log contradicts
        lr_last, peak = logged["last"], logged["highest"]
        doc.update(last_step=logged["last_step"], lr_last=lr_last, lr_last_source="logged",
                   share_of_peak_last=lr_last / peak if peak else None)
    elif last is not None:
        lr_last = float(spec.lr_at(last))
        doc.update(last_step=last, lr_last=lr_last, share_of_peak_last=lr_last / spec.peak if spec.peak else None)
    if at is not None:
        doc.update(at_step=at, lr_at=float(spec.lr_at(at)))
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
                    f"The {'stated schedule' if stated else 'schedule from the stated settings and defaults'} "
                    f"({spec.describe()}) is off the logged LR: {check['rebuilt']:.3g} vs "
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


def _train_at_eval(steps: Any, values: Any, previous: int, step: int) -> tuple[float | None, float]:
    """The train loss at an eval step and its standard error, from the train points since the previous eval: a
    line through them read at the step (gap.train_at's rule: a plain mean lags a falling loss by half a window,
    which on a healthy run puts train above val), the error from their scatter around it."""
    import numpy as np

    from .gap import train_at

    mask = (steps > previous) & (steps <= step) & np.isfinite(values)
    if not mask.any():
        return None, 0.0
    value = float(train_at(steps[mask], values[mask], np.array([step]))[0])
    x, y = steps[mask].astype(float), values[mask]
    if len(y) < 3 or np.ptp(x) == 0:
        return value, 0.0
    u = x - x.mean()
    resid = y - np.polyval(np.polyfit(u, y, 1), u)
    # se of a fitted line read at x0: sigma·sqrt(1/n + (x0 − mean)² / Sxx), 2·sigma/sqrt(n) at a window's end
    leverage = 1 / len(y) + (step - x.mean()) ** 2 / max(float(u @ u), 1e-12)
    return value, float(np.std(resid, ddof=2) * math.sqrt(leverage))


def _dropout_and_eval(result: ConfigCheckResult, run: Run, facts: RunFacts) -> None:
    import numpy as np

    doc: dict[str, Any] = {"eval_iters": facts.get("eval_iters"), "eval_tokens": None, "stderr": None,
                           "stderr_assumes": None, "val_last": None, "val_step": None, "train_near_last": None,
                           "largest_val_rise": None, "largest_val_rise_step": None, "largest_val_rise_z": None,
                           "largest_val_rise_is_noise": None}  # null: unknown, or no rise between evals
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
    previous = int(vs[ok][-2]) if ok.sum() >= 2 else step - 100
    train, train_se = _train_at_eval(ts, tv, previous, step)
    _val_wiggle(doc, vs[ok], vv[ok])
    if train is None:
        return
    # both sides are noisy: val by its eval tokens, train by the scatter of the steps it is read from
    noise = 2 * math.hypot(doc["stderr"] or 0.0, train_se)
    doc.update(val_last=val, train_near_last=train, val_step=step)
    if val >= train - noise:
        return
    eval_train = None
    if run.has("train/eval_loss"):
        es, ev = run.arrays("train/eval_loss")
        eval_train = _near(es, ev, step, 1)
    dropout = facts.get("dropout")
    result.findings.append(_val_below(step, val, train, dropout, eval_train, facts, noise))


def _val_below(step: int, val: float, train: float, dropout: Any, eval_train: float | None,
               facts: RunFacts, noise: float = 0.0) -> Finding:
    """Why val sits below the training loss: dropout (on in training, off in evaluation) when the eval-mode train
    loss is not above val; else the other causes."""
    others = ("a single small val split, a train loss that is one noisy batch or an average over a window with "
              "higher LR, or a val set from an easier distribution")
    if dropout and eval_train is not None and eval_train <= val + noise:
        cause = (f"likely dropout = {dropout} is active in the training loss and off in evaluation (the eval-mode "
                 f"train loss {eval_train:.4f} is not above val)")
    elif dropout and eval_train is None:
        cause = f"likely dropout = {dropout} ({_src(facts, 'dropout')}) is active in training and off in evaluation"
    elif eval_train is not None and eval_train > val + noise:
        cause = f"not dropout alone: even the eval-mode train loss {eval_train:.4f} is above val; likely " + others
    elif dropout is not None:  # 0: the run has none (modded-nanogpt's script has no dropout anywhere)
        cause = f"not dropout (dropout = {dropout:g}: {_src(facts, 'dropout')}); likely " + others
    else:
        cause = "dropout is not stated; likely " + others
    return Finding(NAME, Severity.INFO, f"Val < train at step {step:,} ({val:.4f} vs {train:.4f}): {cause}",
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

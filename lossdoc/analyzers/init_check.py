"""The initial-loss check of the phases analysis: the first loss of a from-scratch run against ln(vocab).

A freshly initialised LM predicts nearly uniformly over its vocabulary, so its loss at step 0 is close to ln(V)
(ln 50257 = 10.825, ln 65 = 4.174; ARCHITECTURE.md, domain facts). The check is only a claim about a run when
the log holds that value:

- the first point is at step 0 or 1 (llm.c's stdout prints step+1, so its "step 1" is the first step): checked;
- the first point is one logging interval from 0 (step 10 of a log every 10 steps): it averages, or follows, the
  first steps, so it is not the init value. A loss still far above ln(V) there says the start was at least as
  bad, so "high" is kept; "low" is not a claim (the loss has already fallen);
- the first step is far from 0 (an excerpt, a resumed log): no check at all;
- a start far below ln(V) with a fine-tuning LR or a Hugging Face Trainer log is named a fine-tune, not a fault.

When the vocabulary is not stated (neither the log, a config nor --vocab), GPT-2's is assumed, and a start that
only disagrees with that assumption is an info saying what vocabulary would explain it, never a warning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..errors import InputError

DEFAULT_VOCAB = 50257  # GPT-2 BPE vocabulary, assumed when neither the log nor --vocab gives one
INIT_HIGH_MARGIN = 1.0  # nats above ln(V) still "ok": logits at init are not exactly uniform (llm.c 124M
#                         starts at 11.01 vs 10.83; a 760M FineWeb run at 11.11)
INIT_VERY_HIGH_RATIO = 1.5  # first loss > 1.5·ln(V) (e.g. 22.6 vs 10.8): init scale or output scaling is off
INIT_LOW_MARGIN = 0.5  # nats below ln(V): an untrained model cannot start much below uniform
FIRST_STEP_MAX = 1  # a first point at step 0 or 1 is the init value (llm.c stdout prints step+1)
INTERVAL_FACTOR = 1.5  # first step <= 1.5x the gap to the second point: one logging interval from 0
FINE_TUNE_START_FRAC = 0.5  # a start below half of ln(V) is a trained model's loss, not an init's
FINE_TUNE_LR = 1e-4  # peak LR at or below this: fine-tuning range (HF Trainer default 5e-5; pretraining of
#                      GPT-2-class models uses 6e-4, modded-nanogpt more)
LARGE_VOCABS = "Llama 3: 128,256 -> 11.76; Qwen: 151,936 -> 11.93"  # tokenizer sizes, for the assumed-vocab note


@dataclass
class InitCheck:
    loss: float | None
    step: int | None
    expected: float
    vocab: int
    vocab_source: str  # "log", "option", "config" or "assumed"
    verdict: str  # ok, high, very_high, low, fine_tune, not_init, unknown
    message: str
    title: str = ""
    advice: str = ""
    start: str = "scratch"  # scratch (step 0/1), interval (one logging interval in), excerpt (far from 0)
    severity: str | None = None  # of the finding: problem, warning, info; None for no finding


def vocab_for(vocab: int | None, facts: Any) -> tuple[int, str]:
    """(vocabulary size, where it came from): --vocab, the run's facts (log or config), else GPT-2's."""
    if vocab is not None:
        if vocab < 2:
            raise InputError(f"--vocab must be at least 2 (got {vocab})")
        return int(vocab), "option"
    if facts is not None and facts.get("vocab_size"):
        fact = facts.fact("vocab_size")
        kind = getattr(fact, "kind", "log")
        return int(facts.get("vocab_size")), "config" if kind == "config" else "log"
    return DEFAULT_VOCAB, "assumed"


def start_kind(step: int, next_step: int | None) -> str:
    """scratch, interval or excerpt (see the module docstring)."""
    if step <= FIRST_STEP_MAX:
        return "scratch"
    if next_step is not None and step <= INTERVAL_FACTOR * (next_step - step):
        return "interval"
    return "excerpt"


def check_init(
    loss: float,
    step: int,
    vocab: int | None,
    meta: dict[str, Any],
    next_step: int | None = None,
    facts: Any = None,
    lr_peak: float | None = None,
) -> InitCheck:
    """Compare the first loss with ln(vocab), when the first point is an initial value (module docstring)."""
    if facts is None:
        from ..facts import facts_from_meta

        facts = facts_from_meta(meta)
    v, source = vocab_for(vocab, facts)
    expected = math.log(v)
    start = start_kind(step, next_step)
    out = InitCheck(loss, step, expected, v, source, "ok", "", start=start)
    where = f"{loss:.4f} at step {step:,}"
    vs = f"ln({v:,}) = {expected:.2f}" + (" (GPT-2 vocab assumed; --vocab sets it)" if source == "assumed" else "")
    tuner = _fine_tune_evidence(meta, lr_peak, facts.get("init_from"))
    if loss <= 0:  # a random init's cross-entropy is near ln(vocab), far above 0: not a loss it says anything about
        return _set(out, "not_init", f"the first loss ({where}) is not positive: not a random init's cross-entropy",
                    "no initial-loss check", None)
    if start == "excerpt":
        return _set(out, "not_init", f"the log starts at step {step:,}, far from 0 (an excerpt or a resumed run)",
                    "no initial-loss check", None)
    if loss < FINE_TUNE_START_FRAC * expected and tuner:
        return _set(out, "fine_tune", f"fine-tune: {where}, far below {vs}, {tuner}",
                    "a trained model being fine-tuned starts near its trained loss; no initial-loss check", "info")
    first = "first logged point" if start == "scratch" else f"first logged point (one logging interval in, {where})"
    if loss > INIT_VERY_HIGH_RATIO * expected:
        title = f"initial loss {where} is {loss / expected:.1f}x {vs}"
        if start == "interval":
            title = f"{first} is already {loss / expected:.1f}x {vs}: the start was at least this bad"
        advice = (
            "the model starts far worse than uniform; likely causes: weights initialised too large (init std), "
            "missing output/residual scaling (e.g. 1/sqrt(2·n_layer) on projections, tied-embedding logit scale), "
            "or the wrong vocab size"
        )
        return _set(out, "very_high", title, advice, "problem")
    if loss > expected + INIT_HIGH_MARGIN:
        title = f"initial loss {where} is {loss - expected:.2f} above {vs}"
        if start == "interval":
            title = f"{first} is {loss - expected:.2f} above {vs}"
        if source == "assumed":
            return _set(out, "high", title, f"a vocabulary larger than GPT-2's would explain it ({LARGE_VOCABS}); "
                        "--vocab gives the real one", "info")
        return _set(out, "high", title, "logits at init are too peaked; check the init scale and the output layer",
                    "warning")
    if loss < expected - INIT_LOW_MARGIN:
        if start == "interval":  # the loss has already fallen for a logging interval: nothing to say
            return _set(out, "not_init", f"the first logged point ({where}) is one logging interval in",
                        "not an initial value; no initial-loss check", None)
        title = f"initial loss {where} is {expected - loss:.2f} below {vs}"
        if source == "assumed":
            advice = (
                f"consistent with a vocabulary of about {math.exp(loss):,.0f} tokens (e^{loss:.2f}; character-level "
                "or a small tokenizer) or a trained start; --vocab gives the real one"
            )
            return _set(out, "low", title, advice, "info")
        return _set(out, "low", title, "an untrained model cannot start below uniform: the run starts from a trained "
                    "checkpoint (resumed or fine-tuning), or the vocab is wrong", "warning")
    return _set(out, "ok", f"initial loss {where} vs {vs}", "good init", None)


def _set(out: InitCheck, verdict: str, title: str, advice: str, severity: str | None) -> InitCheck:
    out.verdict, out.title, out.advice, out.severity = verdict, title, advice, severity
    out.message = f"{title}: {advice}"
    return out


def _fine_tune_evidence(meta: dict[str, Any], lr_peak: float | None, init_from: str | None = None) -> str:
    """Why the run looks like a fine-tune ('' when nothing says so): a pretrained start, a Trainer log, a
    fine-tuning LR."""
    parts = [f"init_from {init_from!r}"] if init_from else []
    if meta.get("format") == "hf-trainer":
        parts.append("a Hugging Face Trainer log")
    if lr_peak is not None and 0 < lr_peak <= FINE_TUNE_LR:
        parts.append(f"peak LR {lr_peak:.1e}")
    return " and ".join(parts)

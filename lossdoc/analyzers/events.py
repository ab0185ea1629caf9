"""Events in the log: what happened besides the metrics (errors, tracebacks, skipped steps, a cancelled job).

Readers append events to ``run.meta["events"]`` as ``{"kind", "step", "line", "text"}`` (HELPERS.md) with kinds
``error`` (an error line mid-run), ``traceback`` (a Python traceback / KeyboardInterrupt), ``overflow`` (an fp16
skipped step), ``loss_scale`` (a loss-scale fall), ``cancelled`` (the job was cancelled), ``truncated`` (a
truncated last record). This analyzer also reads what older readers state in other meta keys (Megatron's
``skipped_steps``, ``truncated_last_line``, ``rollbacks``) and two series: ``train/loss_scale`` (its fall) and
``train/mfu`` (a logged MFU above 100% is impossible: the peak the log divides by is below the GPU's).

Severity: an event that says the run did not finish as planned is a warning (a crash, a cancelled job, an error
mid-run); one that says how the log was made is info (a resume, a hand-stopped run, a truncated last line).
An error mid-run after which the run reached its planned last step is info: the run carried on. A healthy
finished run has no events, so it gets no findings here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..facts import run_facts
from ..findings import Finding, Severity
from ..run import Run

NAME = "events"

SKIPPED_WARN_FRAC = 0.05  # skipped overflow steps above 5% of the logged steps: fp16 overflows persistently
#                           (dynamic loss scaling skips an occasional step by design: Micikevicius et al. 2018,
#                           "Mixed Precision Training", section 3.2)
LOSS_SCALE_FALL = 8.0  # a loss scale that falls 8x (three halvings) within the log is worth saying
MFU_MAX_PCT = 100.0  # a model FLOPs utilisation above 100% is impossible
TEXT_MAX = 120  # characters of an event's line quoted in a finding
INTERRUPT = re.compile(r"KeyboardInterrupt")
ERROR = re.compile(r"Error\b|ERROR\b")  # no leading boundary: llm.c prints "...| lError: ..."
STEP_IN_LINE = re.compile(r"^\s*(?:step|iter|iteration)\s*:?\s*(\d+)", re.IGNORECASE)
SCHEDULER_LINE = re.compile(r"slurmstepd:|\*\*\* JOB")  # where SLURM's own message starts inside a broken line
CANCELLED = re.compile(r"CANCELLED|DUE TO TIME LIMIT|Terminated", re.IGNORECASE)

KINDS = ("error", "traceback", "overflow", "loss_scale", "cancelled", "truncated", "rollback", "mfu")


@dataclass
class EventsResult:
    events: list[dict[str, Any]]
    last_step: int | None
    planned_steps: int | None
    findings: list[Finding] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "last_step": self.last_step,
            "planned_steps": self.planned_steps,
            "findings": [f.to_json() for f in self.findings],
        }


def applies(run: Run) -> str | None:
    """None when the log holds at least one event, else why there is nothing to report."""
    if collect(run):
        return None
    return "no events in the log (errors, tracebacks, skipped steps, a cancelled job, a resume)"


def analyze(run: Run) -> EventsResult:
    events = collect(run)
    last = _last_step(run)
    planned = run_facts(run).get("max_steps")
    result = EventsResult(events=events, last_step=last, planned_steps=int(planned) if planned else None)
    result.findings = make_findings(run, events, last, result.planned_steps)
    return result


# ---------------------------------------------------------------------------------------------------------
# collecting


def collect(run: Run) -> list[dict[str, Any]]:
    """Every event: the readers' ``meta["events"]``, then those older meta keys and the series imply."""
    meta = run.meta
    events = [dict(e) for e in meta.get("events") or [] if isinstance(e, dict) and e.get("kind")]
    kinds = {e["kind"] for e in events}
    if "overflow" not in kinds and meta.get("skipped_steps"):
        after = meta.get("skipped_after_iteration") or []
        for i in range(int(meta["skipped_steps"])):
            step = after[i] if i < len(after) else None
            events.append({"kind": "overflow", "step": step, "line": None, "text": "OVERFLOW! Skipping step"})
    last_line = meta.get("truncated_last_line")
    last = _last_step(run)
    at = _step_in(str(last_line)) if last_line else None
    if last_line and at is not None and last is not None and at < last:
        # "truncated" but records follow it: a line broken by another line mid-run (llm.c prints its
        # "Error: Token out of vocabulary" into the middle of a record at step 19,528 of 19,560)
        if ERROR.search(str(last_line)) and not any(e["kind"] == "error" and e.get("step") == at for e in events):
            text = str(last_line)[ERROR.search(str(last_line)).start() :]  # type: ignore[union-attr]
            events.append({"kind": "error", "step": at, "line": None, "text": text})
    elif last_line and "truncated" not in kinds:
        events.append({"kind": "truncated", "step": last, "line": None, "text": str(last_line)})
    if last_line and "cancelled" not in kinds and CANCELLED.search(str(last_line)):
        where = SCHEDULER_LINE.search(str(last_line)) or CANCELLED.search(str(last_line))
        text = str(last_line)[where.start() :]  # type: ignore[union-attr]
        events.append({"kind": "cancelled", "step": _last_step(run), "line": None, "text": text})
    for rb in meta.get("rollbacks") or []:
        text = f"step counter went back from {rb.get('from_step')} to {rb.get('to_step')}"
        events.append({"kind": "rollback", "step": rb.get("to_step"), "line": None, "text": text, **rb})
    events.extend(_loss_scale_fall(run))  # from the series, beside any per-halving events a reader adds
    events.extend(_mfu_above_100(run))
    return events


def _loss_scale_fall(run: Run) -> list[dict[str, Any]]:
    import numpy as np

    if not run.has("train/loss_scale"):
        return []
    steps, scale = run.arrays("train/loss_scale")
    ok = np.isfinite(scale) & (scale > 0)
    steps, scale = steps[ok], scale[ok]
    if len(scale) < 2:
        return []
    peak_i = int(np.argmax(scale))
    low_i = peak_i + int(np.argmin(scale[peak_i:]))
    if scale[peak_i] / scale[low_i] < LOSS_SCALE_FALL:
        return []
    text = f"loss scale {scale[peak_i]:,.0f} -> {scale[low_i]:,.0f}"
    return [{"kind": "loss_scale", "step": int(steps[low_i]), "line": None, "text": text,
             "from_step": int(steps[peak_i]), "from": float(scale[peak_i]), "to": float(scale[low_i]),
             "derived": "train/loss_scale"}]


def _mfu_above_100(run: Run) -> list[dict[str, Any]]:
    import numpy as np

    if not run.has("train/mfu"):
        return []
    steps, mfu = run.arrays("train/mfu")
    ok = np.isfinite(mfu)
    steps, mfu = steps[ok], mfu[ok]
    over = mfu > MFU_MAX_PCT
    if not over.any():
        return []
    first = int(steps[over][0])
    text = f"logged MFU {float(np.median(mfu)):.1f}% median, up to {float(mfu.max()):.1f}%"
    return [{"kind": "mfu", "step": first, "line": None, "text": text, "points_over": int(over.sum()),
             "points": int(len(mfu)), "max": float(mfu.max()), "median": float(np.median(mfu))}]


def _step_in(text: str) -> int | None:
    """The step a (truncated) record line starts with: 'step 19528/19560 | ...' -> 19528."""
    m = STEP_IN_LINE.match(text)
    return int(m.group(1)) if m else None


def _last_step(run: Run) -> int | None:
    steps = run.all_steps()
    return int(steps.max()) if len(steps) else None


# ---------------------------------------------------------------------------------------------------------
# findings


def make_findings(run: Run, events: list[dict[str, Any]], last: int | None, planned: int | None) -> list[Finding]:
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        by_kind.setdefault(e["kind"], []).append(e)
    finished = planned is not None and last is not None and last >= planned
    out: list[Finding] = []
    for e in by_kind.get("error", []):
        out.append(_error(e, last, planned, finished))
    for e in by_kind.get("traceback", []):
        out.append(_traceback(e, last, finished))
    if by_kind.get("overflow") or by_kind.get("loss_scale"):
        skipped = int(run.meta.get("skipped_steps") or 0)  # the reader's count (one rank), when it gives one
        out.append(_overflow(run, by_kind.get("overflow", []), by_kind.get("loss_scale", []), skipped))
    for e in by_kind.get("cancelled", []):
        out.append(_cancelled(e, last, planned, finished))
    if by_kind.get("truncated"):
        e = by_kind["truncated"][-1]
        out.append(Finding(NAME, Severity.INFO, f"the last record is truncated: {_quote(e['text'])}",
                           {"kind": "truncated", "step": e.get("step")},
                           "the log was cut mid-line (copied while running, or the job was killed); "
                           "the partial record is counted, not read", _span(e)))
    if by_kind.get("rollback"):
        out.append(_rollbacks(by_kind["rollback"]))
    for e in by_kind.get("mfu", []):
        out.append(_mfu(e, run))
    for kind, items in by_kind.items():  # a kind a reader adds that this analyzer does not know yet
        if kind not in KINDS:
            e = items[0]
            out.append(Finding(NAME, Severity.INFO, f"{len(items)} '{kind}' event(s) in the log: {_quote(e['text'])}",
                               {"kind": kind, "count": len(items)}, "", _span(e)))
    return out


def _error(e: dict[str, Any], last: int | None, planned: int | None, finished: bool) -> Finding:
    step = e.get("step")
    after = _records_after(e, last)
    at = f" at step {step:,}" if step is not None else ""
    if finished:
        title = f"error line mid-run{at}: {_quote(e['text'])}; the run carried on to its planned step {planned:,}"
        return Finding(NAME, Severity.INFO, title, _evidence(e, after),
                       "the run finished; check the data or process that printed it (a token id out of the "
                       "vocabulary is corrupt data)", _span(e))
    tail = f"; {after}" if after else ""
    return Finding(NAME, Severity.WARNING, f"error line mid-run{at}: {_quote(e['text'])}{tail}", _evidence(e, after),
                   "read the lines after it in the log: bad data (a token out of the vocabulary) or a failing "
                   "process; the steps after it may be affected", _span(e))


def _traceback(e: dict[str, Any], last: int | None, finished: bool) -> Finding:
    step = e.get("step")
    at = f" at step {step:,}" if step is not None else ""
    ends = step is None or last is None or step >= last
    if INTERRUPT.search(str(e.get("text", ""))):
        title = f"the run was stopped by hand (KeyboardInterrupt){at}"
        return Finding(NAME, Severity.INFO, title, _evidence(e, None),
                       "the log ends there; its last values are the run's last", _span(e))
    if ends and not finished:
        return Finding(NAME, Severity.WARNING, f"the run crashed{at}: {_quote(e['text'])}", _evidence(e, None),
                       "the log ends in a traceback: fix the error and resume from the last checkpoint", _span(e))
    return Finding(NAME, Severity.INFO, f"a traceback in the log{at}: {_quote(e['text'])}", _evidence(e, None),
                   "the run went on after it" if not ends else "the run had reached its planned end", _span(e))


def _overflow(run: Run, skips: list[dict[str, Any]], falls: list[dict[str, Any]], skipped: int = 0) -> Finding:
    import numpy as np

    logged = len(np.unique(run.all_steps()))
    steps = sorted(int(e["step"]) for e in skips if e.get("step") is not None)
    n_skipped = skipped or len(skips)  # a multi-rank log prints each OVERFLOW once per rank
    parts = []
    if skips:
        where = f" (after steps {steps[0]:,}–{steps[-1]:,})" if len(steps) > 1 else (
            f" (after step {steps[0]:,})" if steps else "")
        parts.append(f"{n_skipped} fp16 overflow step(s) skipped{where}")
    derived = [e for e in falls if e.get("derived")]
    fall = derived[0] if derived else None
    if fall:
        parts.append(fall["text"] + (f" by step {fall['step']:,}" if fall.get("step") is not None else ""))
    elif falls:
        parts.append(f"{len(falls)} loss-scale reduction(s) from step {falls[0].get('step') or '?'}: "
                     f"{_quote(falls[0]['text'])}")
    frac = n_skipped / logged if logged else 0.0
    severity = Severity.WARNING if frac > SKIPPED_WARN_FRAC else Severity.INFO
    advice = (
        f"{frac:.0%} of the logged steps were skipped: the gradients overflow fp16 persistently (often with a loss "
        "spike); bf16, a lower LR or tighter clipping helps"
        if severity is Severity.WARNING
        else "dynamic loss scaling skips an occasional step by design; no action while it stays rare"
    )
    span_steps = steps + ([fall["step"]] if fall and fall.get("step") is not None else [])
    span = (min(span_steps), max(span_steps)) if span_steps else None
    evidence = {"kind": "overflow", "skipped": n_skipped, "logged_steps": logged, "fraction": round(frac, 4)}
    if fall:
        evidence.update({"loss_scale_from": fall.get("from"), "loss_scale_to": fall.get("to")})
    return Finding(NAME, severity, "; ".join(parts), evidence, advice, span)


def _cancelled(e: dict[str, Any], last: int | None, planned: int | None, finished: bool) -> Finding:
    at = f" at step {last:,}" if last is not None else ""
    of = f" of {planned:,} planned" if planned else ""
    severity = Severity.INFO if finished else Severity.WARNING
    return Finding(NAME, severity, f"the job was cancelled{at}{of}: {_quote(e['text'])}", _evidence(e, None),
                   "cancelled by the scheduler or its owner (time limit, scancel): resume from the last checkpoint "
                   "if the run is worth finishing", _span(e))


def _rollbacks(items: list[dict[str, Any]]) -> Finding:
    superseded = sum(int(e.get("superseded") or 0) for e in items)
    first = items[0]
    title = (f"{len(items)} resume(s) from a checkpoint: the step counter went back from {first.get('from_step'):,} "
             f"to {first.get('to_step'):,}" + (f" and {len(items) - 1} more" if len(items) > 1 else "")
             + f"; {superseded:,} point(s) superseded by the later values")
    return Finding(NAME, Severity.INFO, title, {"kind": "rollback", "count": len(items), "superseded": superseded},
                   "the later values are used for a repeated step", (first.get("to_step"), first.get("from_step")))


def _mfu(e: dict[str, Any], run: Run) -> Finding:
    gpu = run_facts(run).get("gpu")
    on = f" on {gpu}" if gpu else ""
    title = f"the log prints an MFU above 100%: {e['text']} ({e['points_over']:,} of {e['points']:,} points)"
    advice = (
        f"impossible{on}: the MFU the log prints assumes a peak below this GPU's (nanoGPT divides by an A100's "
        "312 TFLOPS whatever the GPU); recompute it against the real peak (lossdoc mfu --gpu)"
    )
    return Finding(NAME, Severity.INFO, title, {"kind": "mfu", "max": e["max"], "median": e["median"]}, advice,
                   _span(e))


def _records_after(e: dict[str, Any], last: int | None) -> str:
    step = e.get("step")
    if step is None or last is None or last <= step:
        return ""
    return f"the log goes on to step {last:,} ({last - step:,} steps after it)"


def _evidence(e: dict[str, Any], after: str | None) -> dict[str, Any]:
    out = {"kind": e["kind"], "step": e.get("step"), "line": e.get("line")}
    if after:
        out["after"] = after
    return out


def _span(e: dict[str, Any]) -> tuple[int, int] | None:
    step = e.get("step")
    return (int(step), int(step)) if step is not None else None


def _quote(text: Any) -> str:
    text = " ".join(str(text).split())
    return repr(text if len(text) <= TEXT_MAX else text[: TEXT_MAX - 1] + "…")

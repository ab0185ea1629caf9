"""The analyze report: the diagnosis a practitioner writes, most important conclusion first.

    headline          one or two sentences: the top finding by RANKING (below), or "no warnings" and the loss story
    summary           the run in one line: model size, tokens seen of planned, GPU, where the loss is and will end
    sections          every analysis the log allows, in PRACTITIONER_ORDER (unknown analyzers after, in registry order)
    recommendations   the findings' advice ranked by the same score, each with the finding (and numbers) behind it
    skipped           the analyses that could not run, with what is missing (each analyzer's ``applies()`` reason)

Options reach each analyzer by name: ``analyze(run, **options)`` gets only the keyword arguments its signature
accepts (all of them when it takes ``**kwargs``), so a new analyzer plugs in with no edit here.
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .analyzers import ANALYZERS
from .analyzers.projection import headline_clause
from .compare import compare_report
from .errors import InputError
from .facts import run_facts
from .findings import Finding, Severity
from .numbers import abbreviate
from .run import Run
from .summary import series_summary, summarize

# The order a practitioner reads a diagnosis in: where the loss is going, what went wrong on the way, whether it
# generalises, whether the model and data are what was meant, what the GPU did, the gradients, the log's events.
PRACTITIONER_ORDER = (
    "phases",
    "projection",
    "spikes",
    "plateaus",
    "gap",
    "config-check",
    "mfu",
    "gradients",
    "events",
)


@dataclass(frozen=True)
class Rank:
    analyzer: str | None  # None: a finding of any analyzer
    pattern: str | None  # regex searched (case-insensitive) in the finding's title; None: any title
    weight: int  # expected impact on the run's outcome or cost (1-100), added to SEVERITY_BASE
    why: str


# The ranking of findings (first matching row wins; score = SEVERITY_BASE + weight: a problem always comes before
# a warning and a warning before an info, the weight orders findings of one severity). Rows are ordered by what a
# finding means for the run: a run that produces nothing (NaN, a crash) or is not the model you meant, or that is
# wasting money, outranks a rise or a plateau, which outranks one bad batch the run recovered from at the next step.
RANKING: tuple[Rank, ...] = (
    Rank("spikes", r"\bnan\b|\binf\b|non-finite", 100, "the run produces NaN/inf: nothing after it is training"),
    Rank("events", r"traceback|error|cancel|killed|nan", 95, "the run stopped or crashed"),
    Rank("config-check", r"param|n_embd|n_layer|model", 90, "not the model you meant to train"),
    Rank("spikes", r"diverg|not back|has been rising", 85, "the loss is going the wrong way now"),
    Rank("gap", r"overfit|diverg", 80, "val is rising: the checkpoint to keep is behind you"),
    Rank("spikes", r"best val", 75, "the latest checkpoint is worse than an earlier one"),
    Rank("projection", None, 70, "money: what the rest of the schedule buys"),
    Rank("phases", r"project|remaining|\$|cost", 70, "money: what the rest of the schedule buys"),
    Rank("mfu", None, 65, "money: the GPU is underused, or the MFU figure is wrong"),
    Rank("config-check", r"token|chinchilla|epoch|repeat|claim", 60, "the data budget is not what was planned"),
    Rank("config-check", None, 50, "a setting that differs from what was meant"),
    Rank("phases", r"\brose\b", 80, "the loss is rising: divergence or overfitting"),
    Rank("phases", r"initial loss.*assumed", 15, "the vocab was assumed, so the initial-loss check may be wrong"),
    Rank("phases", r"initial loss", 45, "a wrong start (init scale, vocab) shapes the whole curve"),
    Rank("gap", None, 40, "generalisation: the train/val gap"),
    Rank("gradients", None, 35, "optimisation health: grad norm and clipping"),
    Rank("spikes", r"sustained|spike in", 30, "a spike the run paid recovery steps for"),
    Rank("spikes", r"plateau", 25, "a stretch where the loss stopped falling"),
    Rank("phases", r"knee", 20, "diminishing returns: later steps buy less"),
    Rank("events", None, 20, "an event in the log (overflow, loss-scale fall, truncation)"),
    Rank("spikes", r"single-step|downward", 10, "one bad batch, back at the next point"),
    Rank(None, None, 15, "any other finding"),
)
SEVERITY_BASE = {Severity.INFO: 0, Severity.WARNING: 1000, Severity.PROBLEM: 2000}  # above any weight

INTERNAL_ERROR = "internal error"  # the reason given for an analysis that crashed (the rest of the report stands)
HEADLINE_CLAUSES = (2, 1)  # clauses of the first and second finding's title kept in the headline
MAX_RECOMMENDATIONS = 6  # a ranked list a reader acts on; the rest is in the sections


def rank_of(finding: Finding) -> Rank:
    for row in RANKING:
        if row.analyzer not in (None, finding.analyzer):
            continue
        if row.pattern is None or re.search(row.pattern, finding.title, re.IGNORECASE):
            return row
    return RANKING[-1]


def score(finding: Finding) -> int:
    return SEVERITY_BASE[finding.severity] + rank_of(finding).weight


def ranked(findings: list[Finding]) -> list[Finding]:
    """Most important first (stable: equal scores keep the analyzers' own order)."""
    return sorted(findings, key=lambda f: -score(f))


# --------------------------------------------------------------------------------------------------------------
# options -> analyzers


def accepted(fn: Callable[..., Any], options: dict[str, Any]) -> dict[str, Any]:
    """The options fn's signature takes by name (all of them when it has **kwargs); None values are left out."""
    given = {k: v for k, v in options.items() if v is not None}
    params = inspect.signature(fn).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return given
    names = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return {k: v for k, v in given.items() if k in names}


def _series(run: Run) -> dict[str, dict[str, Any]]:
    """series_summary(run), computed once per run (it sorts the whole frame: a second on a million points)."""
    cached = getattr(run, "_series_summary", None)
    if cached is None:
        cached = series_summary(run)
        run._series_summary = cached  # type: ignore[attr-defined]
    return cached


def _last_loss_step(run: Run) -> int | None:
    summary = _series(run)
    steps = [summary[n]["last_step"] for n in ("train/loss", "val/loss") if n in summary]
    return max(steps) if steps else None


def derived_options(run: Run, options: dict[str, Any]) -> dict[str, Any]:
    """Options filled in from the run's facts: the planned end to project to, the job's price per hour."""
    out = dict(options)
    facts = run_facts(run)
    if out.get("project") is None:
        from .analyzers.projection import report_options

        # the planned last step, when stated beyond the log and the series has enough points to fit
        planned = report_options(run, None).get("project")
        if planned:
            out["project"] = int(planned)
            out["_project_derived"] = True
    gpus = out.get("gpus") or facts.get("gpu_count") or facts.get("world_size")
    notes: list[str] = []
    if out.get("price_per_gpu_hour") is not None and out.get("price_per_hour") is None:
        out["price_per_hour"] = float(out["price_per_gpu_hour"]) * int(gpus or 1)
        where = "--gpus" if out.get("gpus") else ("the log" if gpus else "assumed; --gpus sets it")
        notes.append(f"cost at ${float(out['price_per_gpu_hour']):g}/GPU-hour x {int(gpus or 1)} GPU(s) ({where})")
        if not run.has("train/step_time_ms"):
            notes.append("no step time in this log: no hours or cost")
    if out.get("_project_derived"):
        notes.append(f"projected to the planned last step, {int(out['project']):,} ({facts.source('max_steps')})")
    out["_notes"] = notes
    return out


def _public(options: dict[str, Any]) -> dict[str, Any]:
    """The options an analyzer sees (the report's own bookkeeping keys start with '_')."""
    return {k: v for k, v in options.items() if not k.startswith("_")}


def _applies(analyzer: Any, run: Run, options: dict[str, Any]) -> str | None:
    return analyzer.applies(run, **accepted(analyzer.applies, _public(options)))


def _run_analyzer(analyzer: Any, run: Run, options: dict[str, Any]) -> Any:
    kwargs = accepted(analyzer.analyze, _public(options))
    try:
        return analyzer.analyze(run, **kwargs)
    except InputError:
        if not options.get("_project_derived") or "project" not in kwargs:
            raise
        # the projection to the planned end was our idea, not the user's: without it the analysis still stands
        kwargs.pop("project")
        return analyzer.analyze(run, **kwargs)


def run_analyzers(run: Run, options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """{name: result} for every analyzer that applies, in report order, and {name: why not} for the others."""
    results: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for analyzer in ANALYZERS:
        try:
            reason = _applies(analyzer, run, options)
            if reason:
                skipped[analyzer.NAME] = reason
                continue
            results[analyzer.NAME] = _run_analyzer(analyzer, run, options)
        except InputError:
            raise  # a bad option or input: one line, exit 2
        except Exception as exc:  # noqa: BLE001 - one analysis' bug must not cost the user the whole report
            if os.environ.get("LOSSDOC_DEBUG"):
                raise
            skipped[analyzer.NAME] = f"{INTERNAL_ERROR}: {type(exc).__name__}: {exc} (LOSSDOC_DEBUG=1 shows where)"
    order = {name: i for i, name in enumerate(PRACTITIONER_ORDER)}
    names = sorted(results, key=lambda n: order.get(n, len(order)))
    return {n: results[n] for n in names}, skipped


# --------------------------------------------------------------------------------------------------------------
# the run in one line


def _loss_story(run: Run) -> tuple[str, dict[str, Any]] | None:
    """"val/loss fell 11.01 → 3.4963 over 2,688 steps", on the series the phases and the projection read (val/loss
    from 8 evals on, else train/loss), so the headline does not set a sparse val's last eval beside a projected
    train loss."""
    from .analyzers.phases import choose_series

    summary = _series(run)
    try:
        name = choose_series(run)[0]
    except InputError:
        return None
    s = summary.get(name)
    if not s or s["first"] is None:
        return None
    steps = s["last_step"] - s["first_step"]
    verb = "fell" if s["last"] < s["first"] else "went"
    return f"{name} {verb} {s['first']:.4g} → {s['last']:.4f} over {steps:,} steps", s


def run_line(run: Run, sections: dict[str, Any]) -> dict[str, Any]:
    """The run in one line: each part only when the log (or an option) gives it."""
    facts = run_facts(run)
    summary = _series(run)
    parts: list[str] = [f"{run.name} ({run.meta.get('format')})"]
    params = _params(facts, sections)
    if params:
        parts.append(f"{abbreviate(params)} params")
    last = _last_loss_step(run)
    tokens_per_step = facts.get("tokens_per_step")
    planned = facts.get("max_steps")
    if last is not None:
        steps = f"step {last:,}" + (f" of {int(planned):,}" if planned else "")
        if tokens_per_step:
            of = f" of {abbreviate(float(tokens_per_step) * planned)}" if planned else ""
            steps += f", {abbreviate(float(tokens_per_step) * last)}{of} tokens"
        parts.append(steps)
    gpu = facts.get("gpu")
    if gpu:
        count = facts.get("gpu_count")
        parts.append(f"{count}x {gpu}" if count and count > 1 else str(gpu))
    # null: the series is not logged, or has no finite point
    loss = {split: (summary.get(f"{split}/loss") or {}).get("last") for split in ("train", "val")}
    known = {k: v for k, v in loss.items() if v is not None}
    end = _end(sections)
    where = ("loss now " + ", ".join(f"{k} {v:.4f}" for k, v in known.items()) + (f" → {end}" if end else "")
             if known else None)
    line = " · ".join(parts + ([where] if where else []))
    return {"line": line, "facts": " · ".join(parts), "loss": loss, "end": end, "params": params, "last_step": last}


def _params(facts: Any, sections: dict[str, Any]) -> int | None:
    cc = sections.get("config-check") or {}
    computed = (cc.get("params") or {}).get("computed") if isinstance(cc, dict) else None
    return computed or facts.get("params_logged")


def _end(sections: dict[str, Any]) -> str | None:
    """Where the loss will end, from the projection: 'train/loss 3.599 (3.523–3.675) at step 3K'."""
    ph = sections.get("phases")
    pr = ph.get("projection") if isinstance(ph, dict) else None
    if not pr or pr.get("loss") is None:
        return None
    end = f"{ph.get('series')} {pr['loss']:.3f} ({pr['low']:.3f}–{pr['high']:.3f}) at step {abbreviate(pr['step'])}"
    return end if pr.get("determined", True) else end + ", not determined by the data"


# --------------------------------------------------------------------------------------------------------------
# headline and recommendations


def _sentence(text: str) -> str:
    """A title as a sentence: a capital (not on a series name such as val/loss) and a full stop."""
    text = text.strip().rstrip(".")
    if not text:
        return ""
    if "/" not in text.split(" ", 1)[0]:
        text = text[:1].upper() + text[1:]
    return text + "."


def headline(run: Run, findings: list[Finding] | None = None) -> str:
    """One or two sentences: the most important finding first; a healthy run says so and nothing alarming."""
    story = _loss_story(run)
    loss = story[0] if story else "no loss series in this log"
    order = ranked(findings or [])
    serious = [f for f in order if f.severity.rank > 0]
    if not serious:
        if findings is None:
            return _sentence(f"{run.name}: {loss}")
        return _sentence(f"No warnings: {loss}")
    first = _sentence(_clauses(serious[0].title, HEADLINE_CLAUSES[0]))
    rest = len(serious) - 1
    if rest == 0:
        return f"{first} {_sentence(loss)}"
    more = f" (+{rest - 1} more below)" if rest > 1 else ""
    return f"{first} Also: {_clauses(serious[1].title, HEADLINE_CLAUSES[1]).rstrip('.')}{more}."


def _clauses(title: str, n: int) -> str:
    """The first n '; '-separated clauses of a finding's title (the rest is in its section)."""
    return "; ".join(title.split("; ")[:n])


def recommendations(findings: list[Finding]) -> list[dict[str, Any]]:
    """The findings' advice, ranked by expected impact, each with the finding behind it; the same advice once."""
    out: list[dict[str, Any]] = []
    seen: dict[str, dict[str, Any]] = {}
    for f in ranked(findings):
        if not f.advice:
            continue
        key = f.advice.strip().lower()
        if key in seen:
            seen[key]["also"] += 1
            continue
        item = {
            "advice": f.advice,
            "because": f.title,
            "analyzer": f.analyzer,
            "severity": f.severity.value,
            "score": score(f),
            "steps": list(f.steps) if f.steps else None,
            "also": 0,  # further findings with the same advice
        }
        seen[key] = item
        out.append(item)
    return out[:MAX_RECOMMENDATIONS]


# --------------------------------------------------------------------------------------------------------------
# the report


def build_report(
    run: Run, all_runs: list[Run], source: str, **options: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The report document (JSON contract) and the per-analysis result objects for the renderers."""
    shown = summarize([run], source)["runs"][0]
    run._series_summary = shown["series"]  # type: ignore[attr-defined]
    opts = derived_options(run, options)
    results, skipped = run_analyzers(run, opts)
    sections = {name: result.to_json() for name, result in results.items()}
    findings = [f for result in results.values() for f in result.findings]
    comparison, compared = compare_report(all_runs, run)
    findings.extend(compared)
    order = ranked(findings)
    report = {
        "headline": headline(run, findings) + headline_clause(sections.get("phases")),
        "summary": run_line(run, sections),
        "run": shown,
        "other_runs": [r.name for r in all_runs if r is not run],
        "comparison": comparison,
        "runs": [brief(r, opts) if r is not run else None for r in all_runs] if len(all_runs) > 1 else [],
        "lines": run.meta.get("lines", {}),
        "sections": sections,
        "skipped": skipped,
        "assumptions": opts.get("_notes", []),
        "recommendations": recommendations(findings),
        "findings": [dict(f.to_json(), score=score(f)) for f in order],
        "ranking": [{"analyzer": r.analyzer, "pattern": r.pattern, "weight": r.weight, "why": r.why} for r in RANKING],
        "findings_objects": order,
    }
    report["runs"] = [dict(b, name=r.name) if b else _self_brief(r, report) for r, b in zip(all_runs, report["runs"])]
    return report, results


def brief(run: Run, options: dict[str, Any]) -> dict[str, Any]:
    """One run of a multi-run file in a line: its headline and its run line (analysed with the same options)."""
    opts = {k: v for k, v in options.items() if k not in ("project", "_project_derived")}
    try:
        results, _ = run_analyzers(run, derived_options(run, opts))
    except InputError as exc:
        return {"headline": f"not analysed: {exc}", "summary": run_line(run, {})["line"], "warnings": None,
                "analysed": False}
    findings = [f for r in results.values() for f in r.findings]
    sections = {n: r.to_json() for n, r in results.items()}
    return {
        "headline": headline(run, findings),
        "summary": run_line(run, sections)["line"],
        "warnings": sum(f.severity.rank > 0 for f in findings),
        "analysed": False,
    }


def _self_brief(run: Run, report: dict[str, Any]) -> dict[str, Any]:
    warnings = sum(1 for f in report["findings_objects"] if f.severity.rank > 0)
    return {"name": run.name, "headline": report["headline"], "summary": report["summary"]["line"],
            "warnings": warnings, "analysed": True}

"""The analyze report: what was read, every analysis that applies, and all findings in one list."""

from __future__ import annotations

from typing import Any

from .analyzers import ANALYZERS
from .compare import compare_report
from .findings import Finding, Severity
from .run import Run
from .summary import series_summary, summarize


def headline(run: Run, findings: list[Finding] | None = None) -> str:
    """One line: which run, where the loss went, and the count and gist of what needs attention."""
    summary = series_summary(run)
    parts = [f"{run.name} ({run.meta.get('format')})"]
    for name in ("train/loss", "val/loss"):
        s = summary.get(name)
        if s and s["first"] is not None:
            span = f"{s['first_step']:,}–{s['last_step']:,}"
            parts.append(f"{name} {s['first']:.4g} -> {s['last']:.4g} over steps {span}")
    if len(parts) == 1:
        parts.append("no loss series")
    line = ": ".join([parts[0], "; ".join(parts[1:])])
    serious = sorted((f for f in findings or [] if f.severity.rank > 0), key=lambda f: -f.severity.rank)
    if serious:
        counts = {sev: sum(f.severity == sev for f in serious) for sev in (Severity.PROBLEM, Severity.WARNING)}
        said = ", ".join(f"{n} {sev.value}{'s' if n > 1 else ''}" for sev, n in counts.items() if n)
        line += f". {said}; first: {serious[0].title}"
    elif findings is not None:
        line += ". No problems or warnings."
    return line


def build_report(run: Run, all_runs: list[Run], source: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The report document (JSON contract) and the per-analysis result objects for the renderers."""
    shown = summarize([run], source)["runs"][0]
    sections: dict[str, Any] = {}
    results: dict[str, Any] = {}
    findings = []
    skipped: dict[str, str] = {}
    for analyzer in ANALYZERS:
        reason = analyzer.applies(run)
        if reason:
            skipped[analyzer.NAME] = reason
            continue
        result = analyzer.analyze(run)
        results[analyzer.NAME] = result
        sections[analyzer.NAME] = result.to_json()
        findings.extend(result.findings)
    comparison, compared = compare_report(all_runs, run)
    findings.extend(compared)
    report = {
        "headline": headline(run, findings),
        "run": shown,
        "other_runs": [r.name for r in all_runs if r is not run],
        "comparison": comparison,
        "lines": run.meta.get("lines", {}),
        "sections": sections,
        "skipped": skipped,
        "findings": [f.to_json() for f in findings],
        "findings_objects": findings,
    }
    return report, results

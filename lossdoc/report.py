"""The analyze report: what was read, every analysis that applies, and all findings in one list."""

from __future__ import annotations

from typing import Any

from .analyzers import ANALYZERS
from .run import Run
from .summary import series_summary, summarize


def headline(run: Run) -> str:
    """One line: which run, how far it got, where the loss stands."""
    summary = series_summary(run)
    parts = [f"{run.name} ({run.meta.get('format')})"]
    for name in ("train/loss", "val/loss"):
        s = summary.get(name)
        if s and s["first"] is not None:
            span = f"{s['first_step']:,}–{s['last_step']:,}"
            parts.append(f"{name} {s['first']:.4g} -> {s['last']:.4g} over steps {span}")
    if len(parts) == 1:
        parts.append("no loss series")
    return ": ".join([parts[0], "; ".join(parts[1:])])


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
    report = {
        "headline": headline(run),
        "run": shown,
        "other_runs": [r.name for r in all_runs if r is not run],
        "lines": run.meta.get("lines", {}),
        "sections": sections,
        "skipped": skipped,
        "findings": [f.to_json() for f in findings],
        "findings_objects": findings,
    }
    return report, results

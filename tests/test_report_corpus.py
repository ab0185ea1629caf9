"""Every corpus log gets a report in each format (terminal, Markdown, HTML, JSON) without a traceback.

The report is built once per log through the library (the CLI's own path: load, pick the run, build_report) and
rendered four ways; a log lossdoc refuses must be refused with an InputError (one line, exit 2), never a crash.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from lossdoc.cli import pick_run
from lossdoc.errors import InputError
from lossdoc.parsers import load
from lossdoc.render.chartdata import chart_data
from lossdoc.render.html import render_html
from lossdoc.render.jsonout import dumps
from lossdoc.render.markdown import render_markdown
from lossdoc.render.report import REPORT_WIDTH, render_report
from lossdoc.render.sparkline import run_sparklines
from lossdoc.report import INTERNAL_ERROR, build_report

from .conftest import CORPUS

FILES = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "README.md") if CORPUS.exists() else []


@pytest.mark.parametrize("path", FILES or [None], ids=[str(p.relative_to(CORPUS)) for p in FILES] or ["corpus"])
def test_every_corpus_log_gets_a_report_in_every_format(path: Path | None) -> None:
    if path is None:
        pytest.skip(f"corpus absent: {CORPUS}")
    try:
        runs = load(path)
    except InputError as exc:  # refused with a reason (a W&B runs table holds no time series)
        assert str(exc)
        return
    run = pick_run(runs, None)
    report, results = build_report(run, runs, str(path))
    findings = report.pop("findings_objects")
    crashed = {k: v for k, v in report["skipped"].items() if v.startswith(INTERNAL_ERROR)}
    assert not crashed  # an analysis that crashes is reported as skipped, but it is a bug here
    doc = json.loads(dumps(report))
    assert doc["headline"] and doc["summary"]["line"]
    buf = io.StringIO()
    render_report(Console(file=buf, width=REPORT_WIDTH, color_system=None), dict(report, findings_objects=findings),
                  results, run_sparklines(run))
    text = buf.getvalue()
    assert text.startswith(report["headline"][:40])
    assert max(len(line) for line in text.splitlines()) <= REPORT_WIDTH
    md = render_markdown(report, results, run_sparklines(run))
    assert md.startswith("# lossdoc: ")
    html = render_html(report, results, chart_data(run, report, results), run_sparklines(run))
    assert html.rstrip().endswith("</html>") and ("<svg" in html or not (run.has("train/loss") or run.has("val/loss")))

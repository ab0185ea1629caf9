"""The analyze report: ranking, headline, options reaching analyzers by name, recommendations, the JSON contract,
and the terminal / Markdown / HTML / PNG outputs of the CLI."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from rich.console import Console

from lossdoc import report as report_mod
from lossdoc.cli import app
from lossdoc.findings import Finding, Severity
from lossdoc.render.report import REPORT_WIDTH, render_report
from lossdoc.render.sparkline import sparkline
from lossdoc.run import make_run

from .conftest import EXAMPLES

NANOGPT = EXAMPLES / "nanogpt-gpt2-124M.log"
SPIKES = EXAMPLES / "llmc-stdout-spikes.log"


def cli(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(app, list(args), env=env)


def healthy_run() -> Any:
    """A clean power-law descent with 0.5% seeded noise, train every step and val every 100: nothing to warn of."""
    rng = np.random.default_rng(7)
    steps = np.arange(0, 3001)
    clean = 2.0 + 8.8 * (1 + steps / 50.0) ** -0.6
    train = clean * (1 + 0.005 * rng.standard_normal(len(steps)))
    val_steps = steps[::100]
    return make_run("clean", {"train/loss": (steps, train), "val/loss": (val_steps, clean[::100] + 0.02)},
                    {"format": "synthetic", "vocab_size": 50257})


# --- ranking ----------------------------------------------------------------------------------------------------


def finding(analyzer: str, severity: Severity, title: str, advice: str = "") -> Finding:
    return Finding(analyzer, severity, title, {}, advice)


def test_the_wrong_model_and_wasted_money_outrank_a_one_step_spike() -> None:
    spike = finding("spikes", Severity.WARNING, "3 single-step spike(s), back at the next point")
    params = finding("config-check", Severity.WARNING, "the config builds 40.56M params, the comment claims ~125M")
    mfu = finding("mfu", Severity.WARNING, "MFU 104% printed is 33% of an H100's peak")
    nan = finding("spikes", Severity.PROBLEM, "train/loss is nan from step 1,200")
    knee = finding("phases", Severity.INFO, "past the knee: val/loss falls 0.35/1K steps")
    order = report_mod.ranked([spike, knee, mfu, params, nan])
    assert order == [nan, params, mfu, spike, knee]


def test_every_ranking_row_has_a_reason_and_a_positive_weight() -> None:
    assert all(r.weight > 0 and r.why for r in report_mod.RANKING)
    assert report_mod.RANKING[-1].analyzer is None and report_mod.RANKING[-1].pattern is None  # a catch-all last


def test_recommendations_are_ranked_tied_to_their_finding_and_said_once() -> None:
    a = finding("spikes", Severity.WARNING, "Spike in train/loss at step 10: 3 → 4 (+33%)", "lower the LR")
    b = finding("spikes", Severity.WARNING, "Spike in train/loss at step 90: 3 → 5 (+66%)", "lower the LR")
    c = finding("config-check", Severity.WARNING, "40.56M params, not ~125M", "set n_embd = 768")
    recs = report_mod.recommendations([a, b, c])
    assert [r["advice"] for r in recs] == ["set n_embd = 768", "lower the LR"]
    assert recs[0]["because"] == c.title and recs[1]["because"] == a.title and recs[1]["also"] == 1


# --- headline ---------------------------------------------------------------------------------------------------


def test_a_healthy_run_says_so_in_one_line_and_nothing_alarming() -> None:
    run = healthy_run()
    report, results = report_mod.build_report(run, [run], "clean.log")
    assert report["headline"].startswith("No warnings: val/loss fell 10.8")
    assert "\n" not in report["headline"] and report["headline"].count(". ") == 0
    assert all(f["severity"] == "info" for f in report["findings"])
    out = terminal(report, results).split("\n", 1)[1]  # below the headline
    assert not re.search(r"\bwarning\b|\bproblem\b", out), out


def test_the_headline_tells_the_loss_on_the_series_the_phases_read() -> None:
    # 3 evals are too few for the phases (8): the headline's loss is the train loss too, not a sparse val's last eval
    steps = np.arange(1, 2_001)
    evals = np.array([0, 1_000, 2_000])
    run = make_run("sparse val", {"train/loss": (steps, 3.0 + 8.0 * steps ** -0.5),
                                  "val/loss": (evals, 3.1 + 8.0 * np.maximum(evals, 1) ** -0.5)}, {"format": "synthetic"})
    report, results = report_mod.build_report(run, [run], "x.log")
    assert results["phases"].series == "train/loss"
    assert report["headline"].startswith("No warnings: train/loss fell 11 → 3.1789 over 1,999 steps")


def test_the_headline_leads_with_the_most_important_finding() -> None:
    steps = np.arange(0, 400)
    loss = 10.0 * (1 + steps / 20.0) ** -0.5 + 2.0
    loss[300:] = np.nan  # the run produces NaN from step 300
    run = make_run("nan-run", {"train/loss": (steps, loss)}, {"format": "synthetic"})
    report, _ = report_mod.build_report(run, [run], "x.log")
    first = report["headline"].split(". ")[0].lower()
    assert "nan" in first and "300" in first


# --- options reach analyzers by signature ------------------------------------------------------------------------


def test_options_reach_each_analyzer_by_name_and_skips_say_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def analyze_named(run: Any, gpu: str | None = None, gpus: int | None = None) -> Any:
        seen["named"] = {"gpu": gpu, "gpus": gpus}
        f = finding("fake-mfu", Severity.WARNING, f"MFU on {gpu} x{gpus}: 33%", "check the peak")
        return SimpleNamespace(findings=[f], to_json=lambda: {"gpu": gpu})

    def analyze_any(run: Any, **options: Any) -> Any:
        seen["any"] = options
        return SimpleNamespace(findings=[], to_json=lambda: {})

    named = SimpleNamespace(NAME="fake-mfu", applies=lambda run: None, analyze=analyze_named)
    anything = SimpleNamespace(NAME="fake-any", applies=lambda run: None, analyze=analyze_any)
    missing = SimpleNamespace(NAME="fake-config", applies=lambda run, config=None: None if config else
                              "pass --config for the parameter check", analyze=analyze_any)
    monkeypatch.setattr(report_mod, "ANALYZERS", [*report_mod.ANALYZERS, named, anything, missing])
    run = healthy_run()
    report, results = report_mod.build_report(run, [run], "clean.log", gpu="H100", gpus=8, vocab=50257, config=None)
    assert seen["named"] == {"gpu": "H100", "gpus": 8}  # only what its signature takes
    assert seen["any"]["gpu"] == "H100" and seen["any"]["vocab"] == 50257 and "config" not in seen["any"]
    assert report["skipped"]["fake-config"] == "pass --config for the parameter check"
    assert list(report["sections"])[:2] == ["phases", "spikes"] and "fake-mfu" in report["sections"]
    assert report["headline"].startswith("MFU on H100 x8: 33%.")
    # an analyzer with no renderer of its own is still drawn, from its findings, in every format
    assert "MFU on H100 x8: 33%" in terminal(report, results)
    from lossdoc.render.html import render_html
    from lossdoc.render.markdown import render_markdown

    assert "## fake-mfu" in render_markdown(report, results)
    assert 'id="section-fake-mfu"' in render_html(report, results, None)


def test_a_crashing_analysis_is_named_and_the_rest_of_the_report_stands(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(run: Any) -> Any:
        raise ZeroDivisionError("division by zero")

    broken = SimpleNamespace(NAME="broken", applies=lambda run: None, analyze=boom)
    monkeypatch.setattr(report_mod, "ANALYZERS", [*report_mod.ANALYZERS, broken])
    monkeypatch.delenv("LOSSDOC_DEBUG", raising=False)
    run = healthy_run()
    report, _ = report_mod.build_report(run, [run], "clean.log")
    assert report["skipped"]["broken"].startswith("internal error: ZeroDivisionError")
    assert "phases" in report["sections"]
    monkeypatch.setenv("LOSSDOC_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        report_mod.build_report(run, [run], "clean.log")


def test_accepted_passes_only_named_parameters_or_everything_to_kwargs() -> None:
    def f(run: Any, a: int = 0, *, b: int = 0) -> None: ...

    def g(run: Any, **kw: Any) -> None: ...

    assert report_mod.accepted(f, {"a": 1, "b": 2, "c": 3, "d": None}) == {"a": 1, "b": 2}
    assert report_mod.accepted(g, {"a": 1, "c": 3, "d": None}) == {"a": 1, "c": 3}


# --- sparkline ---------------------------------------------------------------------------------------------------


def test_sparkline_known_answers() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7], [8, 7, 6, 5, 4, 3, 2, 1]) == "█▇▆▅▄▃▂▁"
    assert sparkline([0, 1, 2], [3.0, 3.0, 3.0]) == "▁▁▁"
    assert sparkline([0], [1.0]) == ""
    # one outlier does not flatten the rest to the bottom cell (robust range)
    steps = np.arange(1000)
    values = np.linspace(5, 3, 1000)
    values[500] = 50
    line = sparkline(steps, values, width=16)
    assert len(line) == 16 and len(set(line)) >= 5


# --- JSON contract -----------------------------------------------------------------------------------------------


def test_analyze_json_schema() -> None:
    result = cli("analyze", "--json", str(SPIKES))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    for key, kind in (("headline", str), ("run", dict), ("sections", dict), ("findings", list), ("summary", dict),
                      ("recommendations", list), ("skipped", dict), ("ranking", list), ("comparison", type(None)),
                      ("other_runs", list), ("lines", dict)):
        assert isinstance(doc[key], kind), key
    assert {"name", "meta", "series"} <= set(doc["run"])
    assert {"phases", "spikes"} <= set(doc["sections"])
    for f in doc["findings"]:
        assert {"analyzer", "severity", "title", "evidence", "advice", "steps", "score"} <= set(f)
        assert f["severity"] in ("info", "warning", "problem")
    scores = [f["score"] for f in doc["findings"]]
    assert scores == sorted(scores, reverse=True)
    for r in doc["recommendations"]:
        assert r["advice"] and r["because"] in [f["title"] for f in doc["findings"]]
    assert isinstance(doc["summary"]["line"], str) and doc["summary"]["line"].startswith(doc["run"]["name"])


# --- CLI behaviour ------------------------------------------------------------------------------------------------


def test_fail_on_is_checked_before_any_work() -> None:
    result = cli("analyze", "/no/such/log", "--fail-on", "sometimes")
    assert result.exit_code == 2 and "--fail-on must be one of" in result.stderr


def test_fail_on_warning_exits_1_on_a_run_with_warnings_and_0_on_a_healthy_one() -> None:
    assert cli("analyze", str(SPIKES), "--fail-on", "warning").exit_code == 1
    assert cli("analyze", str(NANOGPT), "--fail-on", "warning").exit_code == 0


def test_plot_without_matplotlib_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a))
    result = cli("analyze", str(NANOGPT), "--plot", "x.png")
    assert result.exit_code == 2 and "pip install 'lossdoc[plot]'" in result.stderr


def test_bad_options_are_errors_before_reading(tmp_path: Path) -> None:
    assert cli("analyze", str(NANOGPT), "--schedule", "zigzag:1").exit_code == 2
    assert cli("analyze", str(NANOGPT), "--config", str(tmp_path / "none.py")).exit_code == 2
    assert cli("analyze", "--json", str(NANOGPT), "--markdown", "-").exit_code == 2


def test_terminal_report_fits_100_columns_and_is_plain_when_not_a_tty() -> None:
    for log in (NANOGPT, SPIKES, EXAMPLES / "wandb-export.csv"):
        result = cli("analyze", str(log), env={"COLUMNS": "200"})
        assert result.exit_code == 0
        assert "\x1b[" not in result.stdout
        widths = [len(line) for line in result.stdout.splitlines()]
        assert max(widths) <= REPORT_WIDTH, max(widths)


def test_no_color_is_honoured_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    run = healthy_run()
    report, results = report_mod.build_report(run, [run], "clean.log")
    monkeypatch.setenv("NO_COLOR", "1")
    buf = io.StringIO()
    render_report(Console(file=buf, force_terminal=True, width=100), dict(report), results)
    assert not re.search(r"\x1b\[[0-9;]*3[0-9]m", buf.getvalue())  # no foreground colour codes


def test_markdown_to_stdout_with_tables_and_charts_linked(tmp_path: Path) -> None:
    result = cli("analyze", str(SPIKES), "--markdown", "-")
    assert result.exit_code == 0
    md = result.stdout
    assert md.startswith("# lossdoc: ") and "| phase | label |" in md and "## What to do" in md
    assert "─" not in md  # no terminal rules: the terminal report is replaced, not appended
    out = tmp_path / "r.md"
    result = cli("analyze", str(SPIKES), "--markdown", str(out), "--html", str(tmp_path / "r.html"),
                 "--plot", str(tmp_path / "r.png"))
    assert result.exit_code == 0
    text = out.read_text()
    assert "![loss chart](r.png)" in text and "(r.html)" in text


def test_html_is_self_contained_with_charts_and_finding_links(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    assert cli("analyze", str(SPIKES), "--html", str(out)).exit_code == 0
    html = out.read_text()
    assert "default-src 'none'" in html and html.count("<script") == 1 and "<script>" in html  # inline only
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html)  # nothing fetched
    assert html.count("<svg") >= 3 and 'id="chart-loss"' in html
    links = set(re.findall(r'href="#(f\d+)"', html))
    spans = set(re.findall(r'<rect id="(f\d+)"', html))
    assert links and links <= spans
    assert 'class="spike' in html and 'class="projband"' not in html  # spikes; no projection asked or planned


def test_png_is_written(tmp_path: Path) -> None:
    out = tmp_path / "r.png"
    assert cli("analyze", str(SPIKES), "--plot", str(out)).exit_code == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 20_000


def test_project_and_price_reach_the_projection_and_the_charts(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = cli("analyze", "--json", str(EXAMPLES / "llmc-main.log"), "--project", "3000",
                 "--price-per-gpu-hour", "2", "--gpus", "8", "--html", str(out))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    pr = doc["sections"]["phases"]["projection"]
    assert pr["step"] == 3000 and pr["low"] <= pr["loss"] <= pr["high"]
    assert "at step 3K" in doc["summary"]["line"]
    assert doc["assumptions"] == ["cost at $2/GPU-hour x 8 GPU(s) (--gpus)", "no step time in this log: no hours or cost"]
    assert pr["cost"] is None
    assert 'class="projband"' in out.read_text()
    result = cli("analyze", "--json", str(SPIKES), "--project", "4000", "--price-per-gpu-hour", "2.5")
    doc = json.loads(result.stdout)
    pr = doc["sections"]["phases"]["projection"]
    assert doc["assumptions"] == ["cost at $2.5/GPU-hour x 1 GPU(s) (assumed; --gpus sets it)"]
    assert pr["hours"] > 0 and pr["cost"] == pytest.approx(pr["hours"] * 2.5)


def terminal(report: dict[str, Any], results: dict[str, Any]) -> str:
    buf = io.StringIO()
    render_report(Console(file=buf, width=100, color_system=None), dict(report), results)
    return buf.getvalue()


def test_the_run_line_says_when_the_projection_is_not_determined() -> None:
    pr = {"loss": 3.5318, "low": 2.6458, "high": 4.2166, "step": 4000}
    sections = {"phases": {"series": "val/loss", "projection": dict(pr, determined=True)}}
    assert report_mod._end(sections) == "val/loss 3.532 (2.646–4.217) at step 4K"
    sections["phases"]["projection"]["determined"] = False  # a fit that ran to its bounds
    assert report_mod._end(sections).endswith(", not determined by the data")

"""The analyze report as GitHub-flavoured Markdown (an issue, a PR comment, a CI job summary).

The same report as the terminal's, in the same order; tables are Markdown tables; the charts are embedded when
``--plot`` (an image) or ``--html`` (a link) wrote them.
"""

from __future__ import annotations

import os
from typing import Any

from ..compare import spread_sentence
from .blocks import Block, section_blocks
from .report import read_line

SEVERITY_MARK = {"info": "ℹ️ info", "warning": "⚠️ warning", "problem": "❌ problem"}


def cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(header: list[str], rows: list[list[str]], right: list[bool] | None = None) -> str:
    right = right or [False] * len(header)
    align = ["---:" if r else "---" for r in right]
    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def block(b: Block) -> str:
    if b.kind == "table":
        return table(b.header, b.rows, b.right)
    if b.kind == "list":
        return "\n".join(f"- {item}" for item in b.items)
    if b.kind == "pre":
        return f"```text\n{b.text}\n```"
    return b.text


def _rel(target: str, markdown_path: str | None) -> str:
    """A chart's path as the Markdown file should link it (relative to the file's folder)."""
    if not markdown_path or markdown_path == "-":
        return target
    return os.path.relpath(os.path.abspath(target), os.path.dirname(os.path.abspath(markdown_path)))


def render_markdown(report: dict[str, Any], results: dict[str, Any], sparklines: dict[str, str] | None = None,
                    plot: str | None = None, html: str | None = None, path: str | None = None) -> str:
    """The report as Markdown text. ``plot``/``html``: files written beside it, linked from it."""
    out = [f"# lossdoc: {report['run']['name']}", "", f"**{report['headline']}**", ""]
    spark = " · ".join(f"{k} `{v}`" for k, v in (sparklines or {}).items())
    out += [f"**Run:** {report.get('summary', {}).get('line', '')}" + (f" · {spark}" if spark else ""), ""]
    if read := read_line(report):
        out += [f"*{read}*", ""]
    if plot:
        out += [f"![loss chart]({_rel(plot, path)})", ""]
    if html:
        out += [f"[The report with its charts (HTML)]({_rel(html, path)})", ""]
    by_analyzer: dict[str, list[dict[str, Any]]] = {}
    for f in report["findings"]:
        by_analyzer.setdefault(f["analyzer"], []).append(f)
    for name, result in results.items():
        out += [f"## {name}", ""]
        for b in section_blocks(name, result):
            out += [block(b), ""]
        for f in by_analyzer.get(name, []):
            out.append(f"- {SEVERITY_MARK[f['severity']]}: {f['title']}")
        if by_analyzer.get(name):
            out.append("")
    if report.get("skipped"):
        out += ["## Not run", ""] + [f"- {k}: {v}" for k, v in report["skipped"].items()] + [""]
    if report.get("assumptions"):
        out += ["## Assumed", ""] + [f"- {a}" for a in report["assumptions"]] + [""]
    if report["findings"]:
        rows = [[str(i), SEVERITY_MARK[f["severity"]], f["analyzer"], f["title"]]
                for i, f in enumerate(report["findings"], 1)]
        out += ["## Findings, most important first", "", table(["#", "severity", "analysis", "finding"], rows,
                                                                 [True, False, False, False]), ""]
    if report.get("recommendations"):
        out += ["## What to do", ""]
        for i, r in enumerate(report["recommendations"], 1):
            also = f" (and {r['also']} more like it)" if r.get("also") else ""
            out.append(f"{i}. {r['advice']}  \n   *because:* {r['because']}{also}")
        out.append("")
    out += _comparison(report)
    return "\n".join(out).rstrip() + "\n"


def _comparison(report: dict[str, Any]) -> list[str]:
    comp = report.get("comparison")
    if not comp:
        return []
    warn = {b["name"]: b.get("warnings") for b in report.get("runs") or []}
    rows = [[r["name"] + (" (analysed)" if r["name"] == report["run"]["name"] else ""), r["series"] or "-",
             _n(r["last_step"]), _n(r["last"]), _n(r["best"]), _n(warn.get(r["name"]))] for r in comp["runs"]]
    out = ["## Runs in this file", "", table(["run", "series", "last step", "last", "best", "warnings"], rows,
                                             [False, False, True, True, True, True]), ""]
    s = comp.get("final_spread")
    if s:
        out += [_upper_first(spread_sentence(s)) + ".", ""]
    others = [b for b in report.get("runs") or [] if not b.get("analysed")]
    out += [f"- **{b['name']}**: {b['headline']}" for b in others if b.get("warnings")]
    quiet = [b["name"] for b in others if not b.get("warnings")]
    if quiet:
        out.append(f"- no warnings: {', '.join(quiet)}")
    return out


def _n(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        return f"{x:.4f}"
    return str(x)


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]

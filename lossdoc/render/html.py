"""The analyze report as one self-contained HTML file: the report plus its charts as inline SVG.

Nothing is fetched: no script, font or stylesheet from elsewhere (a Content-Security-Policy of
``default-src 'none'`` says so to the browser); the file opens from disk. A finding's link lights up its span on the
loss chart with CSS ``:target``; chart marks carry SVG ``<title>`` tooltips; one small inline script shows the step
and value under the cursor.
"""

from __future__ import annotations

from html import escape
from typing import Any

from ..compare import spread_sentence
from .blocks import Block, section_blocks
from .chartdata import Charts
from .report import read_line
from .svg import all_charts

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

# The one script: a readout of the step and value under the cursor on each chart (no library, nothing fetched).
SCRIPT = """
document.querySelectorAll('svg.chart').forEach(function (svg) {
  var d = svg.dataset, tip = svg.querySelector('.hover'), line = svg.querySelector('.hoverline');
  var L = +d.left, R = +d.right, T = +d.top, B = +d.bottom;
  svg.addEventListener('mousemove', function (ev) {
    var r = svg.getBoundingClientRect(), vb = svg.viewBox.baseVal;
    var px = (ev.clientX - r.left) * vb.width / r.width, py = (ev.clientY - r.top) * vb.height / r.height;
    if (px < L || px > R || py < T || py > B) { tip.textContent = ''; line.setAttribute('x1', -10);
      line.setAttribute('x2', -10); return; }
    var u = +d.x0 + (px - L) / (R - L) * (d.x1 - d.x0);
    var step = d.log === '1' ? Math.pow(10, u) : u;
    var y = +d.y0 + (B - py) / (B - T) * (d.y1 - d.y0);
    line.setAttribute('x1', px); line.setAttribute('x2', px);
    tip.setAttribute('x', Math.min(px + 8, R - 190));
    tip.textContent = 'step ' + Math.round(step).toLocaleString('en-US') + '   ' + y.toPrecision(4);
  });
  svg.addEventListener('mouseleave', function () { tip.textContent = ''; line.setAttribute('x1', -10);
    line.setAttribute('x2', -10); });
});
"""

STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#0f172a;margin:0;background:#f8fafc}
main{max-width:1000px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:20px;margin:0 0 8px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e2e8f0;padding-bottom:4px}
.headline{font-size:18px;font-weight:600;margin:8px 0 10px}
.runline{color:#334155;margin:0 0 6px}.spark{font-family:ui-monospace,monospace;color:#475569}
figure{margin:14px 0;background:#fff;border:1px solid #e2e8f0;border-radius:6px;padding:6px 6px 2px}
figcaption{font-size:13px;color:#475569;margin:0 4px 4px}
svg{width:100%;height:auto;display:block}
table{border-collapse:collapse;font-size:14px;margin:6px 0}
th,td{padding:3px 10px;border-bottom:1px solid #e2e8f0;text-align:left}td.r,th.r{text-align:right}
th{background:#f1f5f9}pre{background:#fff;border:1px solid #e2e8f0;padding:8px;overflow-x:auto;font-size:13px}
ul.findings{list-style:none;padding-left:0}ul.findings li{margin:3px 0}
.sev{display:inline-block;min-width:62px;font-size:12px;font-weight:600;border-radius:3px;padding:0 5px;
margin-right:6px;text-align:center}
.sev.info{background:#e0f2fe;color:#075985}.sev.warning{background:#fef3c7;color:#92400e}
.sev.problem{background:#fee2e2;color:#991b1b}
ol.recs li{margin:6px 0}.because{color:#475569;font-size:14px}a{color:#1d4ed8}
footer{color:#64748b;font-size:12px;margin-top:32px}
.plot{fill:none;stroke:#cbd5e1}.grid{stroke:#eef2f7;stroke-width:1}
.tick{font-size:11px;fill:#475569}.axis{font-size:12px;fill:#334155}.legend{font-size:12px;fill:#334155}
.note{font-size:11px;fill:#334155}.phaselabel{font-size:11px;fill:#94a3b8}
.line{fill:none;stroke-width:1.7;stroke-linejoin:round}.envelope{fill-opacity:.14;stroke:none}
.spike{fill:#dc2626;stroke:#fff;stroke-width:1}.spike.single{fill:#f59e0b}
.plateau{fill:#f59e0b;fill-opacity:.10;stroke:#d97706;stroke-dasharray:4 3}
.projband{fill:#64748b;fill-opacity:.18}.projline{fill:none;stroke:#475569;stroke-width:1.6;stroke-dasharray:6 4}
.projdot{fill:#475569}.target{stroke:#16a34a;stroke-width:1.3;stroke-dasharray:5 4}.zero{stroke:#94a3b8}
.clamp{opacity:.8}.best{fill:#16a34a;stroke:#fff;stroke-width:1}.fspan{fill:#facc15;fill-opacity:0;stroke:none}
.fspan:target{fill-opacity:.35;stroke:#ca8a04;stroke-width:1.5}
.hoverline{stroke:#94a3b8;stroke-width:1;stroke-dasharray:2 3;pointer-events:none}
.hover{font-size:12px;fill:#0f172a;pointer-events:none}
"""


def _block(b: Block) -> str:
    if b.kind == "table":
        head = "".join(f'<th class="{"r" if r else ""}">{escape(h)}</th>' for h, r in zip(b.header, b.right))
        rows = "".join(
            "<tr>" + "".join(f'<td class="{"r" if r else ""}">{escape(c)}</td>' for c, r in zip(row, b.right))
            + "</tr>" for row in b.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    if b.kind == "list":
        return "<ul>" + "".join(f"<li>{escape(i)}</li>" for i in b.items) + "</ul>"
    if b.kind == "pre":
        return f"<pre>{escape(b.text)}</pre>"
    return f"<p>{escape(b.text)}</p>"


def _finding(i: int, f: dict[str, Any], linked: set[str]) -> str:
    fid = f"f{i}"
    title = escape(f["title"])
    body = f'<a href="#{fid}">{title}</a>' if fid in linked else title
    return f'<li><span class="sev {f["severity"]}">{f["severity"]}</span>{body}</li>'


def render_html(report: dict[str, Any], results: dict[str, Any], charts: Charts | None,
                sparklines: dict[str, str] | None = None, version: str = "") -> str:
    """The whole report as one HTML document (a string)."""
    name = report["run"]["name"]
    linked = {item["id"] for item in (charts.marks.get("findings", []) if charts else [])}
    numbered = list(enumerate(report["findings"], 1))
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>lossdoc: {escape(name)}</title><style>{STYLE}</style></head><body><main>",
        f"<h1>lossdoc: {escape(name)}</h1>",
        f'<p class="headline">{escape(report["headline"])}</p>',
        f'<p class="runline">{escape(report.get("summary", {}).get("line", ""))}</p>',
    ]
    if sparklines:
        spark = " &nbsp; ".join(f"{escape(k)} {escape(v)}" for k, v in sparklines.items())
        parts.append(f'<p class="spark">{spark}</p>')
    for caption, chart in all_charts(charts) if charts else []:
        parts.append(f"<figure>{chart}<figcaption>{escape(caption)}</figcaption></figure>")
    for section, result in results.items():
        parts.append(f'<section id="section-{escape(section)}"><h2>{escape(section)}</h2>')
        parts += [_block(b) for b in section_blocks(section, result)]
        mine = [_finding(i, f, linked) for i, f in numbered if f["analyzer"] == section]
        if mine:
            parts.append('<ul class="findings">' + "".join(mine) + "</ul>")
        parts.append("</section>")
    if report.get("skipped"):
        items = "".join(f"<li>{escape(k)}: {escape(v)}</li>" for k, v in report["skipped"].items())
        parts.append(f"<h2>Not run</h2><ul>{items}</ul>")
    if report.get("assumptions"):
        items = "".join(f"<li>{escape(a)}</li>" for a in report["assumptions"])
        parts.append(f"<h2>Assumed</h2><ul>{items}</ul>")
    if numbered:
        parts.append("<h2>Findings, most important first</h2>")
        parts.append('<ul class="findings">' + "".join(_finding(i, f, linked) for i, f in numbered) + "</ul>")
    if report.get("recommendations"):
        items = "".join(
            f'<li>{escape(r["advice"])}<br><span class="because">because: {escape(r["because"])}'
            + (f" (and {r['also']} more like it)" if r.get("also") else "") + "</span></li>"
            for r in report["recommendations"]
        )
        parts.append(f'<h2>What to do</h2><ol class="recs">{items}</ol>')
    parts += _comparison(report)
    parts.append(f"<footer>lossdoc {escape(version)} · {escape(report['run'].get('name', ''))} · "
                 f"{escape(read_line(report))}</footer>")
    parts.append(f"</main><script>{SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"


def _comparison(report: dict[str, Any]) -> list[str]:
    comp = report.get("comparison")
    if not comp:
        return []
    warn = {b["name"]: b.get("warnings") for b in report.get("runs") or []}
    head = "".join(f"<th>{h}</th>" for h in ("run", "series", "last step", "last", "best", "warnings"))
    rows = []
    for r in comp["runs"]:
        cells = [r["name"] + (" (analysed)" if r["name"] == report["run"]["name"] else ""), r["series"] or "-",
                 "-" if r["last_step"] is None else f"{r['last_step']:,}",
                 "-" if r["last"] is None else f"{r['last']:.4f}", "-" if r["best"] is None else f"{r['best']:.4f}",
                 "-" if warn.get(r["name"]) is None else str(warn[r["name"]])]
        rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    out = ["<h2>Runs in this file</h2>", f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"]
    s = comp.get("final_spread")
    if s:
        out.append(f"<p>{escape(_upper_first(spread_sentence(s)))}.</p>")
    others = [b for b in report.get("runs") or [] if not b.get("analysed")]
    if others:
        out.append("<ul>" + "".join(f"<li><b>{escape(b['name'])}</b>: {escape(b['headline'])}</li>"
                                    for b in others) + "</ul>")
    return out


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]

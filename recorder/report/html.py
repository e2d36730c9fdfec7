"""One self-contained HTML page a person opens from a CI artifact: no network, no assets.

Everything from a finding (recorded traffic, so possibly hostile) goes through :func:`esc`.
As a second line of defence the page carries a Content-Security-Policy that allows no network
access at all and runs only the one inline script whose hash it names: even a value that slipped
past escaping could not load or run anything.

Filtering is client-side: each row carries ``data-provider`` and ``data-severity``; the script
hides the rows whose provider or severity is unticked.
"""
from __future__ import annotations

import base64
import hashlib
import html

from recorder.report.grouping import (SEVERITIES, ProviderGroup, Wording, clean, group_findings,
                                      heading, operation_label, summary_items, verdict,
                                      wording)
from recorder.report.model import Finding, Report

_SCRIPT = """(function () {
  var form = document.getElementById("filters");
  if (!form) { return; }
  function ticked(name) {
    var on = new Set();
    form.querySelectorAll('input[name="' + name + '"]').forEach(function (box) {
      if (box.checked) { on.add(box.value); }
    });
    return on;
  }
  function apply() {
    var providers = ticked("provider"), severities = ticked("severity"), shown = 0;
    document.querySelectorAll("tr[data-provider]").forEach(function (row) {
      var visible = providers.has(row.dataset.provider) && severities.has(row.dataset.severity);
      row.hidden = !visible;
      if (visible && row.classList.contains("finding")) { shown += 1; }
    });
    document.getElementById("shown").textContent = String(shown);
  }
  form.addEventListener("change", apply);
  apply();
})();"""
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
_CSP = f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{_SCRIPT_HASH}'"

_STYLE = """
:root { color-scheme: light dark; --line: #8884; --error: #c62828; --warning: #b26a00; --info: #1565c0; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5rem; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; }
.verdict { font-weight: 600; margin: 0 0 1rem; }
.verdict.error { color: var(--error); } .verdict.warning { color: var(--warning); }
.counters { display: flex; flex-wrap: wrap; gap: .6rem; margin-bottom: 1rem; }
.counters div { border: 1px solid var(--line); border-radius: 6px; padding: .4rem .8rem; min-width: 5rem; }
.counters b { display: block; font-size: 1.3rem; }
fieldset { display: inline-block; border: 1px solid var(--line); border-radius: 6px; margin: 0 .6rem .6rem 0; }
label { margin-right: .8rem; white-space: nowrap; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { position: sticky; top: 0; background: Canvas; }
td.n { text-align: right; }
code { font: 12px/1.4 ui-monospace, monospace; white-space: pre-wrap; word-break: break-all; }
.sev-error { color: var(--error); font-weight: 600; } .sev-warning { color: var(--warning); }
.sev-info { color: var(--info); }
"""


def esc(value: object) -> str:
    """Text or attribute value made inert: control characters shown, then HTML-escaped."""
    return html.escape(clean(value), quote=True)


def render_html(report: Report) -> str:
    """The report as one HTML document: heading, counters, notes, filters, overview, findings."""
    words = wording(report)
    groups = group_findings(report.findings)
    tone = "error" if report.summary.errors else ("warning" if report.summary.warnings else "ok")
    body = [f"<h1>{esc(heading(report))}</h1>",
            f'<p class="verdict {tone}">{esc(verdict(report))}</p>',
            '<section class="counters">'
            + "".join(f"<div><b>{esc(value)}</b>{esc(name)}</div>" for name, value in summary_items(report))
            + "</section>"]
    if report.notes:
        body.append("<h2>Notes</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in report.notes) + "</ul>")
    if groups:
        body += [_filters(groups, words, len(report.findings)), _overview(groups, words),
                 _findings_table(groups, words)]
    else:
        body.append('<p class="empty">No findings</p>')
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f'<meta http-equiv="Content-Security-Policy" content="{esc(_CSP)}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(heading(report))}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
            + "\n".join(body) + f"\n<script>{_SCRIPT}</script>\n</body>\n</html>\n")


def _filters(groups: list[ProviderGroup], words: Wording, total: int) -> str:
    providers = "".join(_checkbox("provider", g.provider, f"{g.provider} ({g.counts.total})")
                        for g in groups)
    severities = "".join(_checkbox("severity", sev, words.label(sev)) for sev in SEVERITIES)
    return (f'<form id="filters"><fieldset><legend>Provider</legend>{providers}</fieldset>'
            f"<fieldset><legend>Severity</legend>{severities}</fieldset>"
            f'<p>Showing <b id="shown">{total}</b> of {total} findings</p></form>')


def _checkbox(name: str, value: str, text: str) -> str:
    return f'<label><input type="checkbox" name="{name}" value="{esc(value)}" checked> {esc(text)}</label>'


def _row(cells: list[str], provider: str, severity: str, css: str) -> str:
    return (f'<tr class="{css}" data-provider="{esc(provider)}" data-severity="{esc(severity)}">'
            + "".join(cells) + "</tr>")


def _overview(groups: list[ProviderGroup], words: Wording) -> str:
    """Counts per provider, operation, rule and severity: the same grouping as every format."""
    rows = [_row([f"<td>{esc(g.provider)}</td>", f"<td>{esc(op.label)}</td>", f"<td>{esc(rule.rule)}</td>",
                  f'<td class="sev-{esc(sev)}">{esc(words.label(sev))}</td>',
                  f'<td class="n">{rule.counts.of(sev)}</td>'], g.provider, sev, "group")
            for g in groups for op in g.operations for rule in op.rules
            for sev in SEVERITIES if rule.counts.of(sev)]
    return ("<h2>By provider, operation and rule</h2><table><thead><tr><th>provider</th><th>operation</th>"
            "<th>rule</th><th>severity</th><th>count</th></tr></thead><tbody>" + "".join(rows)
            + "</tbody></table>")


def _findings_table(groups: list[ProviderGroup], words: Wording) -> str:
    findings = [f for g in groups for f in g.findings()]
    touched = any(f.touched_by for f in findings)
    head = ["severity", "provider", "source", "interaction", "operation", "location", "rule", "message",
            "recorded value (actual)", "expected", *(["touched by"] if touched else [])]
    rows = [_finding_row(f, words, touched) for f in findings]
    return ('<h2>Findings</h2><table id="findings"><thead><tr>'
            + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr></thead><tbody>" + "".join(rows)
            + "</tbody></table>")


def _finding_row(f: Finding, words: Wording, touched: bool) -> str:
    cells = [f'<td class="sev-{esc(f.severity)}">{esc(words.label(f.severity))}</td>',
             f"<td>{esc(f.provider)}</td>", f"<td>{esc(f.source)}</td>",
             f'<td class="n">{"" if f.interaction is None else f.interaction}</td>',
             f"<td>{esc(operation_label(f.method, f.path, f.operation))}</td>", _code(f.location),
             f"<td>{esc(f.rule)}</td>", f"<td>{esc(f.message)}</td>", _code(f.actual), _code(f.expected)]
    if touched:
        cells.append("<td>" + "<br>".join(esc(t) for t in f.touched_by) + "</td>")
    return _row(cells, f.provider, f.severity, "finding")


def _code(value: str | None) -> str:
    return "<td></td>" if value is None else f"<td><code>{esc(value)}</code></td>"

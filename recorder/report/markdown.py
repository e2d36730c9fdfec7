"""Markdown for a pull-request comment or a GitHub Actions job summary.

The counts tables come first and are always complete; the per-finding details sit in collapsed
``<details>`` blocks and stop after :data:`MAX_FINDINGS` findings or :data:`MAX_BYTES` of text,
whichever comes first, because GitHub refuses a job summary over 1 MiB (and a PR comment over
65,536 characters is cut): the reader is pointed to the JSON or HTML report for the rest.

Finding text comes from recorded traffic, so it is escaped: HTML-significant characters become
entities (no raw HTML reaches GitHub's renderer) and Markdown punctuation is backslash-escaped
(no table is broken by ``|``, no code span or link is opened by a backtick or a bracket).
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable

from recorder.report.grouping import (SEVERITIES, clean, clip, group_findings, heading, place,
                                      summary_items, verdict, wording)
from recorder.report.model import Finding, Report

MAX_FINDINGS = 500
MAX_BYTES = 900_000          # leaves room under GitHub's 1 MiB job-summary limit
_VALUE_LIMIT = 200           # characters of one message / expected / actual value
_MD_PUNCTUATION = re.compile(r"([\\`*_\[\]|~$])")
_Label = Callable[[str], str]


def md(value: object, limit: int | None = None) -> str:
    """``value`` as inert Markdown text, safe in a table cell and in a list item."""
    text = clean(value)
    if limit is not None:
        text = clip(text, limit)
    return _MD_PUNCTUATION.sub(r"\\\1", html.escape(text, quote=False))


def render_markdown(report: Report) -> str:
    """The report as GitHub-flavoured Markdown: verdict heading, summary, tables, details."""
    words = wording(report)
    failed = report.summary.errors > 0
    icon = "\u274c" if failed else ("\u26a0\ufe0f" if report.summary.warnings else "\u2705")
    items = summary_items(report)
    parts = [f"## {icon} {md(heading(report))} \u2014 {md(verdict(report))}", "",
             "| " + " | ".join(name for name, _ in items) + " |",
             "|" + " ---: |" * len(items),
             "| " + " | ".join(value for _, value in items) + " |", ""]
    groups = group_findings(report.findings)
    if not groups:
        parts += ["No findings.", ""]
    budget = _Budget(sum(len(p.encode()) + 1 for p in parts))
    for provider in groups:
        table = [f"### {md(provider.provider)}: {md(provider.counts.describe(words))}", "",
                 "| operation | rule | severity | count |", "| --- | --- | --- | ---: |"]
        for operation in provider.operations:
            for rule in operation.rules:
                table += [f"| {md(operation.label)} | {md(rule.rule)} | {md(words.label(sev))} "
                          f"| {rule.counts.of(sev)} |" for sev in SEVERITIES if rule.counts.of(sev)]
        table.append("")
        budget.spend(table)
        summary = f"{provider.provider}: {provider.counts.describe(words)}"
        parts += table + _details(summary, list(provider.findings()), words.label, budget)
    if budget.skipped:
        parts += [f"_\u2026 {budget.skipped} more findings not shown here: "
                  "see the JSON or HTML report for all of them._", ""]
    if report.notes:
        parts += ["### Notes", "", *(f"- {md(note)}" for note in report.notes), ""]
    return "\n".join(parts)


class _Budget:
    """How many findings and bytes the details blocks may still use before truncation."""

    def __init__(self, used: int) -> None:
        self.findings = MAX_FINDINGS
        self.bytes = MAX_BYTES - used
        self.skipped = 0

    def spend(self, lines: list[str]) -> None:
        self.bytes -= sum(len(line.encode()) + 1 for line in lines)

    def take(self, line: str) -> bool:
        size = len(line.encode()) + 1
        if self.findings <= 0 or size > self.bytes:
            self.findings = 0   # once full, stay full: later findings never jump the queue
            self.skipped += 1
            return False
        self.findings -= 1
        self.bytes -= size
        return True


def _details(summary: str, findings: list[Finding], label: _Label, budget: _Budget) -> list[str]:
    """A collapsed block listing each finding's place, rule, message and values, within budget."""
    shown = [line for line in (_item(f, label) for f in findings) if budget.take(line)]
    if not shown:
        return []
    return [f"<details><summary>{html.escape(clean(summary))}</summary>", "", *shown, "",
            "</details>", ""]


def _item(finding: Finding, label: _Label) -> str:
    text = (f"- **{md(label(finding.severity))}** {md(place(finding))} {md(finding.location)} "
            f"{md(finding.rule)}: {md(finding.message, _VALUE_LIMIT)}")
    values = [f"{name} {md(value, _VALUE_LIMIT)}"
              for name, value in (("expected", finding.expected), ("actual", finding.actual))
              if value is not None]
    return text + (f" ({'; '.join(values)})" if values else "")

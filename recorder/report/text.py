"""The terminal report: what a developer reads after ``recorder verify-contracts``.

Plain text only (the CLI may colour it when stdout is a TTY), lines wrapped at 100 columns
without breaking paths or JSON pointers, and every finding starting with its
``source#interaction location rule`` so it can be found with grep or an editor's go-to-file.
"""
from __future__ import annotations

import textwrap

from recorder.report.grouping import (clean, finding_line, group_findings, heading, summary_items,
                                      values_line, verdict, wording)
from recorder.report.model import Finding, Report

WIDTH = 100


def render_text(report: Report) -> str:
    """The whole report as text: heading, summary, grouped findings, notes, verdict."""
    words = wording(report)
    lines = [heading(report),
             "  ".join(f"{name} {value}" for name, value in summary_items(report)), ""]
    groups = group_findings(report.findings)
    # wide enough for the longest severity label ("needs a look"), so finding lines align
    column = max(len(label) for label in words.labels.values()) + 2
    if not groups:
        lines += ["No findings.", ""]
    for provider in groups:
        lines.append(f"{clean(provider.provider)}: {provider.counts.describe(words)}")
        for operation in provider.operations:
            lines.append(f"  {clean(operation.label)}: {operation.counts.describe(words)}")
            for rule in operation.rules:
                lines.append(f"    {clean(rule.rule)}: {rule.counts.describe(words)}")
                for finding in rule.findings:
                    lines += _finding_lines(finding, words.label(finding.severity), column)
        lines.append("")
    if report.notes:
        lines.append("Notes")
        for note in report.notes:
            lines += _wrap(clean(note), "  - ", "    ")
        lines.append("")
    lines.append(verdict(report))
    return "\n".join(lines) + "\n"


def _finding_lines(finding: Finding, label: str, column: int) -> list[str]:
    first = "      " + label.ljust(column)
    rest = " " * len(first)
    out = _wrap(finding_line(finding), first, rest)
    values = values_line(finding)
    if values:
        out += _wrap(values, rest, rest)
    return out


def _wrap(text: str, first: str, rest: str) -> list[str]:
    """Wrap at :data:`WIDTH`; long words (paths, pointers, URLs) stay whole rather than split."""
    return textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False) or [first.rstrip()]

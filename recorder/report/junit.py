"""JUnit XML for CI: one testcase per checked file, so a CI dashboard shows which cassette broke.

A file fails when it has an error finding; warnings alone let it pass but are listed in its
``<system-out>`` so they are one click away. Files the producer checked and found clean (listed
in ``Report.sources``) appear as passing testcases: a dashboard can then tell "checked, clean"
from "never checked".

All findings go into one ``<testsuite>``: a cassette may hit several providers (the checkout
example records Stripe, Twilio and SendGrid in one file), and one suite per provider would
report that file more than once. ``classname`` is the file's provider(s).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

from recorder.report.grouping import Counts, clean, finding_line, values_line, verdict, wording
from recorder.report.model import SEVERITY_ORDER, Finding, Report


def render_junit(report: Report) -> str:
    """The report as a JUnit XML document (``<testsuites>`` with one ``<testsuite>``)."""
    words = wording(report)
    files = _findings_by_file(report)
    failures = sum(1 for found in files.values() if any(f.severity == "error" for f in found))
    time = f"{report.summary.duration_s:.3f}"
    name = clean(f"recorder {report.kind}")
    root = ET.Element("testsuites", name=name, tests=str(len(files)), failures=str(failures),
                      errors="0", time=time)
    suite = ET.SubElement(root, "testsuite", name=name, tests=str(len(files)),
                          failures=str(failures), errors="0", skipped="0", time=time)
    for source, found in files.items():
        providers = sorted({f.provider for f in found})
        case = ET.SubElement(suite, "testcase", name=clean(source),
                             classname=clean(",".join(providers) or report.kind))
        counts = Counts()
        for finding in found:
            counts.add(finding.severity)
        if counts.errors:
            failure = ET.SubElement(case, "failure", message=counts.describe(words),
                                    type=f"{report.kind}.{words.label('error')}")
            failure.text = _lines(found, words.label)
        elif found:
            ET.SubElement(case, "system-out").text = _lines(found, words.label)
    out = ET.SubElement(suite, "system-out")
    out.text = "\n".join([verdict(report), *(clean(note) for note in report.notes)]) + "\n"
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _findings_by_file(report: Report) -> dict[str, list[Finding]]:
    """Every checked file (sorted) with its findings; clean files map to [].

    Within a file, errors come first (they are why the testcase failed), then in the order of
    the file's interactions, as a person fixing it reads it.
    """
    files: dict[str, list[Finding]] = {source: [] for source in report.sources}
    for finding in sorted(report.findings, key=_in_file_order):
        files.setdefault(finding.source, []).append(finding)
    return dict(sorted(files.items()))


def _in_file_order(finding: Finding) -> tuple[object, ...]:
    return (SEVERITY_ORDER.get(finding.severity, len(SEVERITY_ORDER)),
            -1 if finding.interaction is None else finding.interaction, finding.location,
            finding.sort_key())


def _lines(findings: list[Finding], label: Callable[[str], str]) -> str:
    """One line per finding (severity, then the text report's line), values indented below."""
    out = []
    for finding in findings:
        out.append(f"{label(finding.severity)}: {finding_line(finding)}")
        values = values_line(finding)
        if values:
            out.append(f"    {values}")
    return "\n".join(out) + "\n"

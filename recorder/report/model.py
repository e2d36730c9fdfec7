"""What a contract check or a spec diff found: the data every report format renders.

The JSON keys of :class:`Finding` and :class:`Summary` are a published interface (nightly jobs and
dashboards parse them): rename nothing. ``expected`` and ``actual`` are short renderings for
people; they never hold a secret's value (the producer redacts before building the finding).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}

# Keys of the JSON interface, in the order they are written.
FINDING_KEYS = ("source", "interaction", "provider", "operation", "method", "path", "status", "part",
                "location", "rule", "message", "severity")
SUMMARY_KEYS = ("files", "interactions", "validated", "skipped", "findings", "errors", "warnings",
                "duration_s")


@dataclass(slots=True)
class Finding:
    """One thing that does not match the contract, pinned to a file, an interaction and a place.

    ``interaction`` is the 0-based index in the cassette (None for a mock file or a spec-level
    change); ``location`` is a JSON pointer into the part (``/body/data/0/amount``,
    ``/query/limit``, ``/status``).
    """

    source: str
    interaction: int | None
    provider: str
    operation: str | None
    method: str | None
    path: str | None          # the operation's path template, e.g. /v1/charges/{charge}
    status: int | None
    part: str                 # "request" | "response" (a diff may also say "operation")
    location: str
    rule: str
    message: str
    severity: Severity = "error"
    expected: str | None = None
    actual: str | None = None
    touched_by: tuple[str, ...] = ()   # contracts diff: the cassettes and mocks that use this place

    def to_json(self) -> dict[str, Any]:
        data = {key: getattr(self, key) for key in FINDING_KEYS}
        if self.expected is not None:
            data["expected"] = self.expected
        if self.actual is not None:
            data["actual"] = self.actual
        if self.touched_by:
            data["touched_by"] = list(self.touched_by)
        return data

    def sort_key(self) -> tuple[Any, ...]:
        return (self.provider, self.operation or "", self.rule, self.source,
                -1 if self.interaction is None else self.interaction, self.location)


@dataclass(slots=True)
class Summary:
    files: int = 0
    interactions: int = 0
    validated: int = 0
    skipped: int = 0
    findings: int = 0
    errors: int = 0
    warnings: int = 0
    duration_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["duration_s"] = round(self.duration_s, 3)
        return {key: data[key] for key in SUMMARY_KEYS}


@dataclass(slots=True)
class Report:
    """A titled list of findings with its summary, plus notes (skipped files, "no contract").

    ``notes`` are lines a reader should see that are not findings: a provider with no spec, a
    legacy host no spec covers. ``kind`` lets renderers word headings ("contract check" or
    "spec diff") without knowing who produced the report.

    ``sources`` lists every file checked, clean ones included, so the JUnit report can show a
    clean file as a passing testcase (CI dashboards then see it was checked, not forgotten).
    It stays out of :meth:`to_json` on purpose: the JSON keys are a published interface and
    ``summary.files`` already counts these files.
    """

    title: str
    summary: Summary
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    kind: str = "verify-contracts"
    sources: list[str] = field(default_factory=list)

    def count(self) -> None:
        """Recompute the finding counters from the list (producers call this once at the end)."""
        self.summary.findings = len(self.findings)
        self.summary.errors = sum(1 for f in self.findings if f.severity == "error")
        self.summary.warnings = sum(1 for f in self.findings if f.severity == "warning")

    def sorted_findings(self) -> list[Finding]:
        return sorted(self.findings, key=Finding.sort_key)

    def exit_code(self, fail_on: str = "error") -> int:
        """0 clean, 1 when errors (or warnings too, with ``fail_on="warning"``)."""
        if self.summary.errors:
            return 1
        if fail_on == "warning" and self.summary.warnings:
            return 1
        return 0

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"summary": self.summary.to_json(),
                                "findings": [f.to_json() for f in self.sorted_findings()]}
        if self.notes:
            data["notes"] = list(self.notes)
        return data

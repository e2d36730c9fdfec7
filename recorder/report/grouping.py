"""What every report format shares: the provider > operation > rule grouping, the wording, and
making hostile text safe to print.

Each format module only decides layout and escaping for its medium; grouping, counting and the
words used ("2 errors, 1 warning" or "2 breaking changes") live here once, so a text report and
the HTML page of the same run can never disagree about what was found.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from recorder.report.model import Finding, Report

SEVERITIES: tuple[str, ...] = ("error", "warning", "info")

# C0 and C1 control characters, DEL, lone surrogates and the two XML non-characters. Recorded
# traffic can hold any of them: printed raw they move a terminal's cursor, forge lines, or make
# the JUnit XML unparseable; shown as escapes they stay visible and harmless.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def clean(value: object) -> str:
    """``value`` as one printable line: control characters become visible backslash escapes."""
    return _UNPRINTABLE.sub(_escape_char, str(value))


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def clip(value: str, limit: int) -> str:
    """Shorten ``value`` to ``limit`` characters, saying so, so one huge value cannot drown a report."""
    if len(value) <= limit:
        return value
    return value[: max(limit - 1, 0)] + "\u2026"


@dataclass(frozen=True, slots=True)
class Wording:
    """How a kind of report names itself and its severities: a spec diff's "error" is a breaking change."""

    title: str
    clean_verdict: str
    labels: dict[str, str]
    nouns: dict[str, tuple[str, str]]   # severity -> (singular, plural)

    def label(self, severity: str) -> str:
        return self.labels.get(severity, severity)

    def amount(self, severity: str, count: int) -> str:
        one, many = self.nouns.get(severity, (severity, severity))
        return f"{count} {one if count == 1 else many}"


WORDINGS: dict[str, Wording] = {
    "verify-contracts": Wording(
        "Contract check", "no contract errors",
        {"error": "error", "warning": "warning", "info": "info"},
        {"error": ("error", "errors"), "warning": ("warning", "warnings"), "info": ("info", "info")}),
    "contracts-diff": Wording(
        "Spec diff", "no breaking changes",
        {"error": "breaking", "warning": "needs a look", "info": "safe"},
        {"error": ("breaking change", "breaking changes"),
         "warning": ("change to look at", "changes to look at"),
         "info": ("safe change", "safe changes")}),
}


def wording(report: Report) -> Wording:
    """The wording for ``report.kind``; an unknown kind gets the contract check's words."""
    return WORDINGS.get(report.kind, WORDINGS["verify-contracts"])


@dataclass(slots=True)
class Counts:
    """Findings counted per severity, at any level of the grouping."""

    errors: int = 0
    warnings: int = 0
    infos: int = 0

    def add(self, severity: str) -> None:
        if severity == "error":
            self.errors += 1
        elif severity == "warning":
            self.warnings += 1
        else:
            self.infos += 1

    def of(self, severity: str) -> int:
        return {"error": self.errors, "warning": self.warnings}.get(severity, self.infos)

    @property
    def total(self) -> int:
        return self.errors + self.warnings + self.infos

    def describe(self, words: Wording) -> str:
        """``2 errors, 1 warning``: the non-zero severities, most severe first."""
        parts = [words.amount(sev, self.of(sev)) for sev in SEVERITIES if self.of(sev)]
        return ", ".join(parts) or "no findings"


@dataclass(slots=True)
class RuleGroup:
    rule: str
    findings: list[Finding] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)


@dataclass(slots=True)
class OperationGroup:
    """One operation: what a reader looks up in the provider's docs (method, path template, id)."""

    method: str | None
    path: str | None
    operation: str | None
    rules: list[RuleGroup] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)

    @property
    def label(self) -> str:
        return operation_label(self.method, self.path, self.operation)


def operation_label(method: str | None, path: str | None, operation: str | None) -> str:
    """``POST /v1/charges (PostCharges)``; parts the finding does not know are left out."""
    where = " ".join(part for part in (method, path) if part)
    if operation:
        return f"{where} ({operation})" if where else operation
    return where or "(no operation)"


@dataclass(slots=True)
class ProviderGroup:
    provider: str
    operations: list[OperationGroup] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)

    def findings(self) -> Iterator[Finding]:
        for operation in self.operations:
            for rule in operation.rules:
                yield from rule.findings


def _group_key(finding: Finding) -> tuple[object, ...]:
    return (finding.provider, finding.operation or "", finding.method or "", finding.path or "",
            finding.rule, finding.sort_key())


def group_findings(findings: Iterable[Finding]) -> list[ProviderGroup]:
    """Findings grouped by provider, then operation, then rule, each level counted.

    Sorted by name at every level so two runs over the same files give the same report.
    """
    providers: dict[str, ProviderGroup] = {}
    operations: dict[tuple[str, str | None, str | None, str | None], OperationGroup] = {}
    rules: dict[tuple[object, ...], RuleGroup] = {}
    for finding in sorted(findings, key=_group_key):
        op_key = (finding.provider, finding.method, finding.path, finding.operation)
        provider = providers.get(finding.provider)
        if provider is None:
            provider = providers[finding.provider] = ProviderGroup(finding.provider)
        operation = operations.get(op_key)
        if operation is None:
            operation = operations[op_key] = OperationGroup(finding.method, finding.path, finding.operation)
            provider.operations.append(operation)
        rule = rules.get((op_key, finding.rule))
        if rule is None:
            rule = rules[(op_key, finding.rule)] = RuleGroup(finding.rule)
            operation.rules.append(rule)
        rule.findings.append(finding)
        for counts in (provider.counts, operation.counts, rule.counts):
            counts.add(finding.severity)
    return list(providers.values())


def verdict(report: Report) -> str:
    """The one-line answer: ``no contract errors`` or ``2 errors, 1 warning``.

    Read from ``report.summary``, the counters :meth:`Report.exit_code` reads, so the verdict a
    person sees and the exit code CI sees always agree.
    """
    words, summary = wording(report), report.summary
    warnings = words.amount("warning", summary.warnings)
    if not summary.errors:
        return words.clean_verdict + (f", {warnings}" if summary.warnings else "")
    return f"{words.amount('error', summary.errors)}, {warnings}"


def format_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def summary_items(report: Report) -> list[tuple[str, str]]:
    """The summary counters, in the order every format shows them."""
    s = report.summary
    return [("files", str(s.files)), ("interactions", str(s.interactions)),
            ("validated", str(s.validated)), ("skipped", str(s.skipped)), ("errors", str(s.errors)),
            ("warnings", str(s.warnings)), ("duration", format_duration(s.duration_s))]


def heading(report: Report) -> str:
    """``Contract check: nightly`` (the kind's name, then the producer's title if it adds anything)."""
    title = wording(report).title
    own = clean(report.title).strip()
    return f"{title}: {own}" if own and own.lower() != title.lower() else title


def place(finding: Finding) -> str:
    """``cassettes/stripe/checkout.yaml#3``: the file, and the interaction when there is one."""
    source = clean(finding.source)
    return source if finding.interaction is None else f"{source}#{finding.interaction}"


def finding_line(finding: Finding) -> str:
    """``source#interaction location rule: message``, the one-line form text and JUnit share."""
    location = clean(finding.location)
    head = f"{place(finding)} {location}" if location else place(finding)
    return f"{head} {clean(finding.rule)}: {clean(finding.message)}"


def values_line(finding: Finding, limit: int = 200) -> str | None:
    """``expected: integer; actual: "12.50"``, or None when the finding carries neither."""
    parts = [f"{name}: {clip(clean(value), limit)}"
             for name, value in (("expected", finding.expected), ("actual", finding.actual))
             if value is not None]
    return "; ".join(parts) or None

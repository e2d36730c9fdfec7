"""Report renderers, as specifications: what a reader of each format sees for a given report.

Reports are built directly from realistic findings (a Stripe checkout cassette, a Twilio mock);
no producer is involved, so these tests pin the renderers alone.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from recorder.errors import BadInput
from recorder.report import FORMATS, Finding, Report, Summary, render, write_report
from recorder.report.grouping import group_findings
from recorder.report.markdown import MAX_FINDINGS
from recorder.report.model import FINDING_KEYS, SUMMARY_KEYS

CHECKOUT = "cassettes/stripe/checkout.yaml"
REFUND = "cassettes/stripe/refund.yaml"
TWILIO_MOCK = "mocks/twilio-success.yaml"
HOSTILE = "<script>alert('x')</script> & \"quoted\" | `tick` [link](http://evil)"


def charge_type_error(source: str = CHECKOUT, interaction: int = 3, message: str = "is not of type 'integer'",
                      **changes: Any) -> Finding:
    finding = Finding(source=source, interaction=interaction, provider="stripe", operation="PostCharges",
                      method="POST", path="/v1/charges", status=200, part="response",
                      location="/body/amount", rule="type", message=message, severity="error",
                      expected="integer", actual='"12.50"')
    return replace(finding, **changes) if changes else finding


def undocumented_field(source: str = CHECKOUT) -> Finding:
    return Finding(source=source, interaction=3, provider="stripe", operation="PostCharges", method="POST",
                   path="/v1/charges", status=200, part="response", location="/body/payment_method_details",
                   rule="undocumented-field", message="field not in the 2020-08-27 schema",
                   severity="warning", actual="{...}")


def twilio_unknown_operation() -> Finding:
    return Finding(source=TWILIO_MOCK, interaction=None, provider="twilio", operation=None, method="POST",
                   path="/2010-04-01/Accounts/{AccountSid}/Calls.json", status=201, part="request",
                   location="/path", rule="unknown-operation",
                   message="no operation of the Twilio spec matches this request")


def make_report(findings: list[Finding], sources: list[str] | None = None, notes: list[str] | None = None,
                kind: str = "verify-contracts") -> Report:
    report = Report(title="nightly contracts", findings=list(findings), notes=list(notes or []), kind=kind,
                    summary=Summary(files=3, interactions=41, validated=39, skipped=2, duration_s=1.2345),
                    sources=list(sources or []))
    report.count()
    return report


@pytest.fixture
def mixed() -> Report:
    """Two type errors on POST /v1/charges (two cassettes), a warning, a Twilio mock error, a note."""
    return make_report([charge_type_error(), charge_type_error(REFUND, 0), undocumented_field(),
                        twilio_unknown_operation()],
                       sources=[CHECKOUT, REFUND, TWILIO_MOCK, "cassettes/sendgrid/mail.yaml"],
                       notes=["easypost: no contract (EasyPost publishes no OpenAPI spec)"])


@pytest.fixture
def clean_report() -> Report:
    return make_report([], sources=[CHECKOUT])


# ---- the public surface -------------------------------------------------------------------------

def test_every_format_is_listed_and_renders_a_string(mixed: Report) -> None:
    assert FORMATS == ("text", "json", "junit", "markdown", "html")
    for fmt in FORMATS:
        assert render(mixed, fmt).endswith("\n")


def test_an_unknown_format_is_bad_input_naming_the_flag(mixed: Report) -> None:
    with pytest.raises(BadInput) as caught:
        render(mixed, "xml")
    assert caught.value.where == "--format"
    assert "'xml'" in caught.value.message and "junit" in caught.value.message


def test_reports_built_without_sources_still_work() -> None:
    report = Report(title="t", summary=Summary())
    assert report.sources == [] and report.exit_code() == 0


# ---- grouping -------------------------------------------------------------------------------

def test_findings_are_grouped_by_provider_then_operation_then_rule_with_counts(mixed: Report) -> None:
    groups = group_findings(mixed.findings)
    assert [g.provider for g in groups] == ["stripe", "twilio"]
    stripe = groups[0]
    assert (stripe.counts.errors, stripe.counts.warnings, stripe.counts.total) == (2, 1, 3)
    [charges] = stripe.operations
    assert charges.label == "POST /v1/charges (PostCharges)"
    assert [(r.rule, r.counts.errors, r.counts.warnings) for r in charges.rules] == [
        ("type", 2, 0), ("undocumented-field", 0, 1)]
    assert [f.source for f in charges.rules[0].findings] == [CHECKOUT, REFUND]
    [calls] = groups[1].operations
    assert calls.label == "POST /2010-04-01/Accounts/{AccountSid}/Calls.json"


def test_the_same_path_under_two_operation_ids_makes_two_groups() -> None:
    other = charge_type_error(operation="PostChargesCharge", path="/v1/charges/{charge}")
    [stripe] = group_findings([charge_type_error(), other])
    assert [op.label for op in stripe.operations] == ["POST /v1/charges (PostCharges)",
                                                       "POST /v1/charges/{charge} (PostChargesCharge)"]


# ---- exit codes -------------------------------------------------------------------------------

def test_exit_code_is_1_with_errors_and_0_when_clean(mixed: Report, clean_report: Report) -> None:
    assert mixed.exit_code() == 1
    assert clean_report.exit_code() == 0


def test_warnings_alone_fail_only_with_fail_on_warning() -> None:
    report = make_report([undocumented_field()])
    assert report.exit_code() == 0
    assert report.exit_code(fail_on="warning") == 1


# ---- text -------------------------------------------------------------------------------------

def test_text_starts_with_the_summary_and_ends_with_the_verdict(mixed: Report) -> None:
    lines = render(mixed, "text").splitlines()
    assert lines[0] == "Contract check: nightly contracts"
    assert lines[1] == ("files 3  interactions 41  validated 39  skipped 2  errors 3  warnings 1  "
                        "duration 1.23 s")
    assert lines[-1] == "3 errors, 1 warning"


def test_text_shows_counts_at_every_level_and_each_finding_with_its_values(mixed: Report) -> None:
    text = render(mixed, "text")
    assert "\nstripe: 2 errors, 1 warning\n" in text
    assert "\n  POST /v1/charges (PostCharges): 2 errors, 1 warning\n" in text
    assert "\n    type: 2 errors\n" in text
    assert "\n    undocumented-field: 1 warning\n" in text
    assert f"{CHECKOUT}#3 /body/amount type: is not of type 'integer'" in text
    assert 'expected: integer; actual: "12.50"' in text
    assert f"{TWILIO_MOCK} /path unknown-operation:" in text     # no "#" without an interaction


def test_text_lists_notes_under_a_notes_heading(mixed: Report) -> None:
    lines = render(mixed, "text").splitlines()
    at = lines.index("Notes")
    assert lines[at + 1] == "  - easypost: no contract (EasyPost publishes no OpenAPI spec)"


def test_text_verdicts_for_clean_and_warning_only_runs(clean_report: Report) -> None:
    assert render(clean_report, "text").splitlines()[-1] == "no contract errors"
    assert "No findings." in render(clean_report, "text")
    warned = make_report([undocumented_field()])
    assert render(warned, "text").splitlines()[-1] == "no contract errors, 1 warning"


def test_text_fits_a_terminal_and_cannot_be_steered_by_escape_codes_in_traffic() -> None:
    long_message = "expected one of " + ", ".join(f"value_{i}" for i in range(40)) + "\x1b[2J\x1b[31mred\nforged line"
    text = render(make_report([charge_type_error(message=long_message)]), "text")
    assert "\x1b" not in text and "\\x1b[2J" in text
    assert "\nforged line" not in text
    assert max(len(line) for line in text.splitlines()) <= 100


# ---- json --------------------------------------------------------------------------------------

def test_json_is_the_published_interface_and_leaves_sources_out(mixed: Report) -> None:
    out = render(mixed, "json")
    assert out == json.dumps(mixed.to_json(), indent=2) + "\n"
    data = json.loads(out)
    assert list(data) == ["summary", "findings", "notes"]
    assert tuple(data["summary"]) == SUMMARY_KEYS
    assert data["summary"]["duration_s"] == 1.234
    first = data["findings"][0]
    assert tuple(first)[:len(FINDING_KEYS)] == FINDING_KEYS
    assert (first["source"], first["location"], first["rule"], first["expected"]) == (
        CHECKOUT, "/body/amount", "type", "integer")
    assert "sources" not in data


def test_json_order_does_not_depend_on_the_order_findings_were_found(mixed: Report) -> None:
    shuffled = replace(mixed, findings=list(reversed(mixed.findings)))
    assert render(shuffled, "json") == render(mixed, "json")


# ---- junit --------------------------------------------------------------------------------------

def junit_cases(xml_text: str) -> dict[str, ET.Element]:
    root = ET.fromstring(xml_text.encode())
    return {case.get("name", ""): case for case in root.iter("testcase")}


def test_an_error_in_stripe_post_charges_fails_the_testcase_of_that_cassette_only() -> None:
    report = make_report([charge_type_error()], sources=[CHECKOUT, REFUND])
    cases = junit_cases(render(report, "junit"))
    assert sorted(cases) == [CHECKOUT, REFUND]
    failing = cases[CHECKOUT]
    assert failing.get("classname") == "stripe"
    [failure] = failing.findall("failure")
    assert failure.get("message") == "1 error"
    assert f"{CHECKOUT}#3 /body/amount type: is not of type 'integer'" in (failure.text or "")
    assert cases[REFUND].findall("failure") == []


def test_junit_has_one_testcase_per_file_and_suite_counts(mixed: Report) -> None:
    root = ET.fromstring(render(mixed, "junit"))
    [suite] = root.findall("testsuite")
    names = [case.get("name", "") for case in suite.findall("testcase")]
    assert names == sorted(set(names)) == sorted([CHECKOUT, REFUND, TWILIO_MOCK, "cassettes/sendgrid/mail.yaml"])
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "3", "0")
    assert root.get("failures") == "3"


def test_a_file_with_only_warnings_passes_and_lists_them_in_system_out() -> None:
    report = make_report([undocumented_field(REFUND)], sources=[REFUND])
    case = junit_cases(render(report, "junit"))[REFUND]
    assert case.findall("failure") == []
    assert "undocumented-field" in (case.findtext("system-out") or "")


def test_a_failing_file_lists_its_warnings_too_with_errors_first(mixed: Report) -> None:
    failure = junit_cases(render(mixed, "junit"))[CHECKOUT].find("failure")
    assert failure is not None and failure.get("message") == "1 error, 1 warning"
    lines = (failure.text or "").splitlines()
    assert lines[0].startswith("error: ") and any(line.startswith("warning: ") for line in lines)


def test_a_clean_file_is_a_passing_testcase(clean_report: Report) -> None:
    case = junit_cases(render(clean_report, "junit"))[CHECKOUT]
    assert list(case) == []


def test_junit_escapes_hostile_text_and_control_characters() -> None:
    finding = charge_type_error(message=HOSTILE + "\x00\x1b[31m", actual="</failure><x>")
    xml_text = render(make_report([finding]), "junit")
    failure = junit_cases(xml_text)[CHECKOUT].find("failure")   # still parses
    assert failure is not None
    assert HOSTILE in (failure.text or "") and "</failure><x>" in (failure.text or "")
    assert "\\x00\\x1b[31m" in (failure.text or "")
    assert "<script>" not in xml_text


# ---- markdown -------------------------------------------------------------------------------------

def table_cells(row: str) -> list[str]:
    """The cells of a Markdown table row, split on pipes that are not backslash-escaped."""
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def test_markdown_has_a_verdict_heading_a_summary_table_and_a_table_per_provider(mixed: Report) -> None:
    md = render(mixed, "markdown")
    lines = md.splitlines()
    assert lines[0].startswith("## ") and lines[0].endswith("Contract check: nightly contracts \u2014 3 errors, 1 warning")
    assert table_cells(lines[2]) == ["files", "interactions", "validated", "skipped", "errors", "warnings",
                                     "duration"]
    assert table_cells(lines[4]) == ["3", "41", "39", "2", "3", "1", "1.23 s"]
    assert "### stripe: 2 errors, 1 warning" in lines
    assert "| POST /v1/charges (PostCharges) | type | error | 2 |" in lines
    assert "| POST /v1/charges (PostCharges) | undocumented\\-field | warning | 1 |" not in lines
    assert "| POST /v1/charges (PostCharges) | undocumented-field | warning | 1 |" in lines
    assert "<details><summary>stripe: 2 errors, 1 warning</summary>" in lines
    assert "### Notes" in lines


def test_markdown_escapes_pipes_backticks_and_html_from_traffic() -> None:
    finding = charge_type_error(message=HOSTILE, rule="type|`enum`")
    md = render(make_report([finding]), "markdown")
    [row] = [line for line in md.splitlines() if line.startswith("| POST")]
    assert len(table_cells(row)) == 4 and "type\\|\\`enum\\`" in row
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "\\[link\\](http://evil)" in md


def test_markdown_truncates_the_details_but_keeps_the_counts() -> None:
    findings = [charge_type_error(interaction=i, message="x" * 5000) for i in range(MAX_FINDINGS + 120)]
    md = render(make_report(findings), "markdown")
    assert f"| POST /v1/charges (PostCharges) | type | error | {MAX_FINDINGS + 120} |" in md
    assert md.count("\n- **error** ") == MAX_FINDINGS
    assert "120 more findings not shown" in md
    assert len(md.encode()) < 1_000_000
    assert md.count("<details>") == md.count("</details>")


def test_markdown_for_a_spec_diff_speaks_of_breaking_changes() -> None:
    removed = Finding(source="contracts/stripe/openapi.yaml", interaction=None, provider="stripe",
                      operation="GetCharges", method="GET", path="/v1/charges", status=200, part="response",
                      location="/body/data/0/source", rule="response-field-removed",
                      message="field removed in 2023-08-16", severity="error", touched_by=(CHECKOUT,))
    md = render(make_report([removed], kind="contracts-diff"), "markdown")
    assert "Spec diff" in md.splitlines()[0] and "1 breaking change, 0 changes to look at" in md
    assert "| GET /v1/charges (GetCharges) | response\\-field\\-removed | breaking | 1 |" not in md
    assert "| GET /v1/charges (GetCharges) | response-field-removed | breaking | 1 |" in md


def test_text_for_a_spec_diff_keeps_the_severity_label_apart_from_the_finding() -> None:
    look = replace(undocumented_field(), rule="enum-value-added", location="/body/status")
    text = render(make_report([look], kind="contracts-diff"), "text")
    assert f"      needs a look  {CHECKOUT}#3 /body/status enum-value-added:" in text
    assert text.splitlines()[-1] == "no breaking changes, 1 change to look at"


# ---- html -----------------------------------------------------------------------------------------

class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.starts: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts.append((tag, dict(attrs)))


def tags(page: str) -> Tags:
    parser = Tags()
    parser.feed(page)
    return parser


def test_html_is_one_self_contained_page_with_summary_filters_and_every_finding(mixed: Report) -> None:
    page = render(mixed, "html")
    parsed = tags(page)
    assert not any(tag in ("link", "img", "iframe") for tag, _ in parsed.starts)
    assert not any("src" in attrs or "href" in attrs for _, attrs in parsed.starts)
    assert "<title>Contract check: nightly contracts</title>" in page
    boxes = {(a["name"], a["value"]) for tag, a in parsed.starts if tag == "input"}
    assert boxes == {("provider", "stripe"), ("provider", "twilio"), ("severity", "error"),
                     ("severity", "warning"), ("severity", "info")}
    rows = [a for tag, a in parsed.starts if tag == "tr" and a.get("class") == "finding"]
    assert [(r["data-provider"], r["data-severity"]) for r in rows] == [
        ("stripe", "error"), ("stripe", "error"), ("stripe", "warning"), ("twilio", "error")]
    for shown in (CHECKOUT, "/body/amount", "is not of type &#x27;integer&#x27;", "&quot;12.50&quot;",
                  "POST /v1/charges (PostCharges)", "<b>41</b>interactions", "easypost: no contract"):
        assert shown in page


def test_html_escapes_a_script_in_a_recorded_value() -> None:
    finding = charge_type_error(message=HOSTILE, actual='"><img src=x onerror=alert(1)>',
                                provider='stripe" onmouseover="alert(1)')
    page = render(make_report([finding]), "html")
    parsed = tags(page)
    assert [tag for tag, _ in parsed.starts].count("script") == 1      # only the page's own
    assert not any(tag == "img" for tag, _ in parsed.starts)
    assert not any("onmouseover" in attrs for _, attrs in parsed.starts)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


def test_html_only_runs_its_own_script_by_content_security_policy(mixed: Report) -> None:
    page = render(mixed, "html")
    script = page.split("<script>", 1)[1].split("</script>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src &#x27;sha256-{digest}&#x27;" in page and "default-src &#x27;none&#x27;" in page


def test_html_with_zero_findings_says_no_findings(clean_report: Report) -> None:
    page = render(clean_report, "html")
    assert "No findings" in page and "no contract errors" in page
    assert 'id="findings"' not in page


def test_html_for_a_spec_diff_shows_which_cassettes_a_change_touches() -> None:
    change = Finding(source="contracts/stripe/openapi.yaml", interaction=None, provider="stripe",
                     operation="PostCharges", method="POST", path="/v1/charges", status=None,
                     part="operation", location="/requestBody/currency", rule="enum-value-added",
                     message="new enum value", severity="warning", touched_by=(CHECKOUT, "mocks/stripe.yaml"))
    page = render(make_report([change], kind="contracts-diff"), "html")
    assert "<th>touched by</th>" in page and f"{CHECKOUT}<br>mocks/stripe.yaml" in page
    assert "needs a look" in page


# ---- zero findings, every format -----------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_handles_a_clean_run(clean_report: Report, fmt: str) -> None:
    out = render(clean_report, fmt)
    if fmt == "json":
        assert json.loads(out)["findings"] == []
    elif fmt == "junit":
        assert ET.fromstring(out).get("failures") == "0"
    else:
        assert "no contract errors" in out


# ---- writing ---------------------------------------------------------------------------------------

def test_write_report_replaces_the_file_atomically_and_leaves_no_temp_file(mixed: Report, tmp_path: Path) -> None:
    target = tmp_path / "reports" / "contracts.xml"
    assert write_report(mixed, "junit", target) == target
    assert target.read_text(encoding="utf-8") == render(mixed, "junit")
    write_report(make_report([]), "junit", target)
    assert ET.parse(target).getroot().get("failures") == "0"
    assert sorted(p.name for p in target.parent.iterdir()) == ["contracts.xml"]


def test_write_report_with_a_bad_format_leaves_the_old_file_alone(mixed: Report, tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("old")
    with pytest.raises(BadInput):
        write_report(mixed, "pdf", target)
    assert target.read_text() == "old"


def test_write_report_to_an_unwritable_place_is_bad_input(mixed: Report, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(BadInput) as caught:
        write_report(mixed, "text", blocker / "report.txt")
    assert "cannot write the report" in caught.value.message


def test_write_report_without_output_writes_to_stdout(mixed: Report, capsys: pytest.CaptureFixture[str]) -> None:
    assert write_report(mixed, "json", None) is None
    assert json.loads(capsys.readouterr().out)["summary"]["errors"] == 3
    stream = io.StringIO()
    write_report(mixed, "text", stream=stream)
    assert stream.getvalue() == render(mixed, "text")

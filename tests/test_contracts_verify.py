"""verify-contracts on real recorded traffic: zero false alarms, and real drift found where it is.

Given the corpus cassettes of ../shared and the providers' published specs, each interaction is
judged by the spec of the API version it was recorded with.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from contracts_support import (GITHUB, SENDGRID, STRIPE, STRIPE_CORPUS, TWILIO, all_specs, need_specs,
                               spec_set, use_shared_cache)
from conftest import CORPUS, corpus_files
from recorder.contracts import validator
from recorder.contracts.verify import verify_paths
from recorder.report.model import Report


@pytest.fixture(autouse=True)
def _specs_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    need_specs()
    use_shared_cache(tmp_path_factory.getbasetemp().parent)


def errors(report: Report) -> list[str]:
    return [f"{Path(f.source).name}#{f.interaction} {f.location} {f.rule}: {f.message}"
            for f in report.findings if f.severity == "error"]


def test_saleor_cassettes_recorded_with_2019_05_16_have_zero_errors_against_their_own_spec() -> None:
    specs = spec_set(*(("stripe", p) for p in STRIPE.values()))
    report = verify_paths(sorted(STRIPE_CORPUS.glob("saleor__*")), specs)
    assert report.summary.files == 16 and report.summary.validated == 26
    assert errors(report) == []
    # The 2019 spec did not describe lists' total_count nor a charge's source: warnings, not errors.
    rules = Counter(f.rule for f in report.findings)
    assert set(rules) == {"undocumented-field"}
    assert any(f.location == "/body/charges/total_count" for f in report.findings)


def test_the_nullable_anyof_quirk_raises_no_false_alarm() -> None:
    """Stripe's expandable fields are `anyOf` + `nullable` without a type: null must be valid."""
    specs = spec_set(("stripe", STRIPE["2019-05-16"]))
    report = verify_paths([STRIPE_CORPUS / "saleor__saleor__test_stripe--test_capture_3d_secure.yaml"], specs)
    assert report.summary.validated == 6 and errors(report) == []


def test_cassettes_recorded_with_2020_08_27_have_zero_errors() -> None:
    specs = spec_set(*(("stripe", p) for p in STRIPE.values()))
    files = [p for p in STRIPE_CORPUS.glob("pay-rails__pay__test_*") if "2020-08-27" in p.read_text()]
    files = [p for p in files if "2025-10-29" not in p.read_text()]
    assert len(files) == 4
    report = verify_paths(files, specs)
    assert report.summary.validated == report.summary.interactions == 16
    assert errors(report) == []


def test_newer_api_versions_show_new_fields_as_undocumented_field_warnings_against_2023_08_16() -> None:
    specs = spec_set(("stripe", STRIPE["2023-08-16"]))
    files = sorted(STRIPE_CORPUS.glob("spree__spree_stripe__*"))
    report = verify_paths(files, specs)
    assert errors(report) == []
    undocumented = [f for f in report.findings if f.rule == "undocumented-field"]
    assert undocumented and all(f.severity == "warning" for f in undocumented)
    assert all("recorded with API version 2023-10-16" in f.message for f in report.findings)


def test_twilio_and_sendgrid_corpus_have_zero_errors_against_their_specs() -> None:
    specs = spec_set(*(("twilio", p) for p in TWILIO), *(("sendgrid", p) for p in SENDGRID))
    report = verify_paths([CORPUS / "cassettes" / "twilio", CORPUS / "cassettes" / "sendgrid"], specs)
    assert errors(report) == []
    # URIs hand-edited into Ruby regexps are still routed: Accounts/.*/Messages.json -> CreateMessage.
    assert report.summary.validated == 20
    assert any("sendgrid.com is not served" in note for note in report.notes)  # the legacy host


def test_github_corpus_errors_are_only_the_endpoints_the_spec_no_longer_has() -> None:
    specs = spec_set(("github", GITHUB))
    report = verify_paths([CORPUS / "cassettes" / "github"], specs)
    assert {(f.rule, f.actual) for f in report.findings if f.severity == "error"} == {
        ("unknown-operation", "GET /repos/sigmavirus24/github3.py/git/refs"),
        ("unknown-operation", "GET /repositories/3710711/git/refs"),
    }
    # Recordings from 2013-2017 predate node_id: the spec requires it today -> re-record warnings.
    assert any(f.rule == "required" and f.location.endswith("/node_id") and f.severity == "warning"
               for f in report.findings)


def test_every_corpus_file_goes_through_without_a_crash() -> None:
    files = corpus_files()
    report = verify_paths(files, all_specs())
    assert report.summary.files == len(files)
    assert report.summary.validated + report.summary.skipped == report.summary.interactions
    # Damaged recordings (placeholders inside the path) are said to be damaged, not contract errors.
    damaged = [f for f in report.findings if f.rule == "damaged-recording"]
    assert damaged and all("<VENDOR_ID>" in f.message or "<" in f.message for f in damaged)
    assert any("easypost: no contract" in note for note in report.notes)


def test_each_spec_is_compiled_once_per_run_however_many_cassettes_use_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Given the Stripe corpus (GETs without a body, form POSTs, several cassettes per spec version),
    when it is judged by all four Stripe specs in one run,
    then each spec's jsonschema-rs validator is built once: every schema the checks ask for was
    registered before the first value was validated. A key first met while checking recompiles the
    whole bank (~40 ms on Stripe): bodiless requests were not primed, 19 recompiles with 2023-08-16 alone.
    """
    if not STRIPE_CORPUS.is_dir():
        pytest.skip(f"needs the Stripe corpus at {STRIPE_CORPUS}, which is absent")
    built: Counter[int] = Counter()
    real = jsonschema_rs.Draft202012Validator

    def counting(root: dict[str, Any], **options: Any) -> Any:
        built[id(root["components"]["schemas"])] += 1  # one components dict per spec's bank
        return real(root, **options)

    monkeypatch.setattr(validator.jsonschema_rs, "Draft202012Validator", counting)
    report = verify_paths([STRIPE_CORPUS], spec_set(*(("stripe", p) for p in STRIPE.values())))
    assert report.summary.validated > 100
    assert len(built) >= 2, "the corpus is recorded with several API versions, each judged by its own spec"
    assert set(built.values()) == {1}

"""Each kind of contract break is found at its exact location with its rule.

Given a real cassette and the spec of its API version, when one thing is changed (a mutation),
then exactly that change is reported. Also: mock files are contracts too, and Stripe's form
encoding as the real SDK writes it is decoded, not misread.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
import stripe._encode

from contracts_support import GITHUB, STRIPE, STRIPE_CORPUS, STRIPE_FIXTURES_2023, TWILIO, SENDGRID, \
    need_specs, spec_set, use_shared_cache
from conftest import CORPUS
from reference_mocks import REFERENCE_MOCKS
from recorder.cassette.headers import Headers
from recorder.cassette.model import Body, Request
from recorder.contracts.check import SpecChecker
from recorder.contracts.prepare import open_spec
from recorder.contracts.verify import Exchange, load_exchanges, verify_exchanges, verify_paths
from recorder.providers.registry import load_registry
from recorder.report.model import Finding

SALEOR_CAPTURE = STRIPE_CORPUS / "saleor__saleor__test_stripe--test_capture.yaml"


@pytest.fixture(autouse=True)
def _specs_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    need_specs()
    use_shared_cache(tmp_path_factory.getbasetemp().parent)


def exchanges_of(path: Path) -> list[Exchange]:
    return load_exchanges([path], [], load_registry())


def with_response_json(exchange: Exchange, change) -> Exchange:  # type: ignore[no-untyped-def]
    mutated = copy.deepcopy(exchange)
    data = json.loads(mutated.response.body.decoded)
    change(data)
    mutated.response.body = Body(json.dumps(data).encode())
    return mutated


def findings_for(exchange: Exchange, version: str = "2019-05-16") -> list[Finding]:
    report = verify_exchanges([exchange], spec_set(("stripe", STRIPE[version])))
    return [f for f in report.findings if f.rule != "undocumented-field"]


def test_given_the_unchanged_interaction_then_nothing_is_reported() -> None:
    first = exchanges_of(SALEOR_CAPTURE)[0]
    assert findings_for(first) == []


def test_a_required_field_removed_is_reported_at_its_pointer() -> None:
    first = exchanges_of(SALEOR_CAPTURE)[0]
    found = findings_for(with_response_json(first, lambda d: d["charges"]["data"][0].pop("amount")))
    assert [(f.part, f.location, f.rule) for f in found] == [("response", "/body/charges/data/0/amount", "required")]
    assert found[0].operation == "GetPaymentIntentsIntent" and found[0].path == "/v1/payment_intents/{intent}"


def test_a_type_change_is_an_error_with_expected_and_actual() -> None:
    first = exchanges_of(SALEOR_CAPTURE)[0]
    found = findings_for(with_response_json(first, lambda d: d.__setitem__("amount", "2498")))
    assert [(f.location, f.rule, f.severity) for f in found] == [("/body/amount", "type", "error")]
    assert found[0].expected == "integer" and found[0].actual == "2498"


def test_an_unknown_enum_value_is_reported() -> None:
    first = exchanges_of(SALEOR_CAPTURE)[0]
    found = findings_for(with_response_json(first, lambda d: d.__setitem__("status", "exploded")))
    assert [(f.location, f.rule) for f in found] == [("/body/status", "enum")]
    assert "requires_capture" in (found[0].expected or "")


def test_a_path_the_provider_does_not_have_is_an_unknown_operation() -> None:
    first = copy.deepcopy(exchanges_of(SALEOR_CAPTURE)[0])
    first.url = first.url.replace("/v1/payment_intents/", "/v1/payment_intentz/")
    found = findings_for(first)
    assert [(f.location, f.rule, f.severity) for f in found] == [("/path", "unknown-operation", "error")]


def test_a_status_the_operation_does_not_document_is_reported() -> None:
    need = CORPUS / "cassettes" / "github" / "sigmavirus24__github3.py__GitHub_repository.json"
    exchange = copy.deepcopy(exchanges_of(need)[0])
    exchange.response.status = 418
    report = verify_exchanges([exchange], spec_set(("github", GITHUB)))
    assert [(f.location, f.rule, f.operation) for f in report.findings if f.rule == "undocumented-status"] == [
        ("/status", "undocumented-status", "repos/get")]


def test_a_form_field_with_the_wrong_type_is_reported_in_the_request() -> None:
    capture = copy.deepcopy(exchanges_of(SALEOR_CAPTURE)[1])  # POST .../capture amount_to_capture=...
    assert capture.request is not None
    capture.request.body = Body(b"amount_to_capture=lots")
    capture.request.headers.set("Content-Type", "application/x-www-form-urlencoded")
    found = findings_for(capture)
    assert [(f.part, f.location, f.rule) for f in found] == [("request", "/body/amount_to_capture", "type")]


@pytest.mark.parametrize("version", ["2019-05-16", "2020-08-27", "2023-08-16"])
def test_every_object_in_stripes_own_fixtures_is_valid_against_its_schema(version: str) -> None:
    """Plain openapi-core rejects every one of these (the nullable + anyOf quirk)."""
    spec = open_spec(STRIPE[version])
    checker = SpecChecker(spec)
    fixtures = next(STRIPE_FIXTURES_2023.parent.glob(f"fixtures3.api-{version}.*.json"))
    resources = json.loads(fixtures.read_text())["resources"]
    checked, failures = 0, []
    for name, value in resources.items():
        if name not in spec.components:
            continue
        key = f"fixture:{name}"
        checker.bank.register(key, {"$ref": f"#/components/schemas/{name}"})
        failures += [(name, v.rule, "/".join(map(str, v.path)))
                     for v in checker.bank.violations(key, value) if v.severity == "error"]
        checked += 1
    assert checked > 100
    # One real upstream slip: Stripe's 2023 fixture omits a field its own spec requires.
    known = [("treasury.outbound_payment", "required", "destination_payment_method_details/billing_details")]
    assert failures == (known if version == "2023-08-16" else [])


# -- Stripe form bodies as the real SDK encodes them ----------------------------------------------

def sdk_form(params: dict[str, object]) -> bytes:
    return urlencode(list(stripe._encode._api_encode(params))).encode()


def post(url: str, body: bytes) -> Request:
    return Request("POST", url, Headers.from_mapping({"Content-Type": "application/x-www-form-urlencoded"}),
                   Body(body))


@pytest.mark.parametrize("expand_key", ["expand[0]", "expand[]"])
def test_deep_object_forms_from_the_stripe_sdk_validate(expand_key: str) -> None:
    checker = SpecChecker(open_spec(STRIPE["2023-08-16"]))
    body = sdk_form({"amount": 2498, "currency": "usd", "confirm": True, "capture_method": "manual",
                     "metadata": {"order_id": "1001", "sku": "WIDGET-001"},
                     "payment_method_types": ["card"], "automatic_payment_methods": {"enabled": False}})
    body += b"&" + urlencode({expand_key: "latest_charge"}).encode()
    route = checker.route("POST", "https://api.stripe.com/v1/payment_intents")
    assert route.operation is not None and route.operation.op_id == "PostPaymentIntents"
    assert checker.check_request(route.operation, route, post(route_url := "https://api.stripe.com/v1/payment_intents",
                                                              body), route_url) == []


def test_a_nested_form_field_of_the_wrong_type_is_found_at_its_nested_pointer() -> None:
    checker = SpecChecker(open_spec(STRIPE["2023-08-16"]))
    body = sdk_form({"amount": 2498, "currency": "usd",
                     "automatic_payment_methods": {"enabled": "maybe"}})
    url = "https://api.stripe.com/v1/payment_intents"
    route = checker.route("POST", url)
    assert route.operation is not None
    problems = checker.check_request(route.operation, route, post(url, body), url)
    assert [(p.location, p.rule) for p in problems] == [("/body/automatic_payment_methods/enabled", "type")]


def test_literal_segments_beat_templated_ones() -> None:
    checker = SpecChecker(open_spec(STRIPE["2023-08-16"]))
    search = checker.route("GET", "https://api.stripe.com/v1/customers/search?query=x")
    one = checker.route("GET", "https://api.stripe.com/v1/customers/cus_123")
    assert search.operation is not None and search.operation.path == "/v1/customers/search"
    assert one.operation is not None and one.operation.path == "/v1/customers/{customer}"
    assert one.path_params == {"customer": "cus_123"}


def test_each_interaction_is_judged_by_the_spec_of_its_own_api_version() -> None:
    specs = spec_set(*(("stripe", p) for p in STRIPE.values()))
    assert [s.version for s in specs.pick("stripe", "2019-05-16")] == ["2019-05-16"]
    assert [s.version for s in specs.pick("stripe", "2025-10-29.clover")] == ["2023-08-16"]
    assert [s.version for s in specs.pick("stripe", None)] == ["2023-08-16"]


# -- mock files are contracts too (reference 000's mock library) -------------------------------



def test_reference_mocks_resolve_to_their_operations_and_the_stripe_one_lacks_charge_fields(tmp_path: Path) -> None:
    for name, text in REFERENCE_MOCKS.items():
        (tmp_path / name).write_text(text)
    specs = spec_set(("stripe", STRIPE["2023-08-16"]), *(("twilio", p) for p in TWILIO),
                     *(("sendgrid", p) for p in SENDGRID))
    report = verify_paths([tmp_path], specs)
    assert report.summary.validated == 3 and report.summary.skipped == 0
    stripe_missing = sorted(f.location for f in report.findings
                            if f.source.endswith("mock-stripe-success.yaml") and f.rule == "required")
    assert stripe_missing == [f"/body/{field}" for field in (
        "amount_captured", "amount_refunded", "billing_details", "captured", "created", "disputed",
        "livemode", "metadata", "paid", "refunded")]
    assert all(f.severity == "error" for f in report.findings if f.rule == "required")  # a mock is a belief
    assert {f.operation for f in report.findings} >= {"PostCharges", "CreateMessage"}
    twilio = [f for f in report.findings if f.source.endswith("mock-twilio-success.yaml")]
    assert {(f.location, f.rule) for f in twilio} == {("/body/sid", "pattern"), ("/body/sid", "min-length")}
    assert not [f for f in report.findings if f.source.endswith("mock-sendgrid-success.yaml")]

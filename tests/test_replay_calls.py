"""Call assertions: reference 000's ``httpCall`` checks, on the calls a replayed checkout really made.

Given the checkout of reference 000 paid through replay (Stripe and Twilio with form bodies,
SendGrid and EasyPost with JSON, from this repo's recorded cassettes and mock files, sent by
requests and httpx), when a test asserts on those calls with a JSON path and an operator, then
the assertion holds where the reference says it does, and otherwise fails with a
CallAssertionError that says what was found instead and lists every call that was made.

Operator semantics are specified in ``recorder/replay/jsonpath.py``; in short: JSON is typed,
form values are strings compared by spelling, ``contains`` searches strings, lists and objects,
and ``doesNotExist`` holds when no matching call was made at all. Calls are picked by provider,
method, host, path, url, source and response status; an unknown filter is refused.
"""
from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import stripe

import recorder
from recorder.errors import BadInput
from recorder.replay import CallAssertionError, ReplaySession, UnusedInteractionsWarning

ROOT = Path(__file__).resolve().parents[1]
MOCKS = ROOT / "mocks"
TRACKING = "9400111899223456789012"
CHARGES = "https://api.stripe.com/v1/charges"
SHIPMENTS = "https://api.easypost.com/v2/shipments"
MAIL = "https://api.sendgrid.com/v3/mail/send"
MESSAGES = "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000c0ffee/Messages.json"

# What the shop sends for order #11 (two widgets, 24.98 USD), as recorded in cassettes/*/checkout_happy_path.yaml.
CHARGE_FORM = {"amount": 2498, "currency": "usd", "source": "tok_visa", "description": "Order #11",
               "metadata[order_id]": 11}
EMAIL = {"from": {"email": "orders@shop.example.com"}, "subject": "Order #11 confirmed",
         "personalizations": [{"to": [{"email": "buyer@example.com"}]}],
         "content": [{"type": "text/plain",
                      "value": f"Hi Jane Doe, thanks for your order #11 ($24.98). Tracking: {TRACKING}"}]}
SMS = {"To": "+15551234567", "From": "+15557654321", "Body": f"Order #11 has shipped. Tracking: {TRACKING}"}


def mocks(*names: str) -> list[Path]:
    return [MOCKS / f"{name}.yaml" for name in names]


@pytest.fixture(scope="module")
def paid() -> ReplaySession:
    """The happy path: Stripe, SendGrid and Twilio from their recorded cassettes, EasyPost from its mock."""
    cassettes = [ROOT / "cassettes" / p / "checkout_happy_path.yaml" for p in ("stripe", "sendgrid", "twilio")]
    with recorder.replay(cassettes, mocks=mocks("mock-easypost-success")) as session:
        requests.post(CHARGES, data=CHARGE_FORM)
        httpx.post(SHIPMENTS, json={"shipment": {"reference": "order-11", "parcel": {"weight": 10}}})
        httpx.post(MAIL, json=EMAIL)
        requests.post(MESSAGES, data=SMS)
    return session


@pytest.fixture(scope="module")
def declined() -> ReplaySession:
    """Reference 000's card-declined test: Stripe answers 402 and the shop makes no other call."""
    with recorder.replay(mocks=mocks("mock-stripe-card-declined", "mock-easypost-success",
                                     "mock-sendgrid-success", "mock-twilio-success")) as session:
        requests.post(CHARGES, data=CHARGE_FORM)
    return session


STRIPE = {"provider": "stripe", "method": "POST", "path": "/v1/charges"}
SENDGRID = {"url": "api.sendgrid.com/v3/mail/send"}
TWILIO = {"url": "api.twilio.com"}
EASYPOST = {"host": "api.easypost.com"}

HOLDS_ON_THE_HAPPY_PATH = [
    # reference 000, "Stripe was charged the correct amount": a form body, so 2498 is compared by spelling
    ("request", STRIPE, "$.amount", "eq", 2498),
    ("request", STRIPE, "$.amount", "eq", "2498"),
    ("request", STRIPE, "$.currency", "eq", "usd"),
    ("request", STRIPE, "$.metadata.order_id", "==", 11),
    ("request", STRIPE, "$.amount", "gt", 2000),
    ("request", STRIPE, "$.amount", "lte", 2498),
    ("request", STRIPE, "$.amount", "ne", 2499),
    # the recorded response is JSON: typed
    ("response", STRIPE, "$.amount", "eq", 2498),
    ("response", STRIPE, "$.paid", "eq", True),
    ("response", STRIPE, "$.failure_code", "eq", None),
    # "A shipping label was created"
    ("response", EASYPOST, "$.tracking_code", "exists", None),
    ("response", EASYPOST, "$.postage_label.label_url", "contains", "test-label.pdf"),
    # "Confirmation email was sent to the customer"
    ("request", SENDGRID, "$.personalizations[0].to[0].email", "eq", "buyer@example.com"),
    ("request", SENDGRID, "$.personalizations[*].to[*].email", "eq", "buyer@example.com"),
    ("request", SENDGRID, "$.personalizations[0].to", "contains", {"email": "buyer@example.com"}),
    ("request", SENDGRID, "$.personalizations", "contains", "buyer@example.com"),
    ("request", SENDGRID, "$['from'].email", "eq", "orders@shop.example.com"),
    ("request", SENDGRID, "$.content[-1].value", "contains", TRACKING),
    ("request", SENDGRID, "$.content[-1:].value", "contains", TRACKING),
    ("request", SENDGRID, "$..email", "eq", "buyer@example.com"),  # one of the addresses at any depth
    # "SMS receipt was sent"
    ("request", TWILIO, "$.To", "eq", "+15551234567"),
    ("request", TWILIO, "$.Body", "contains", TRACKING),
    ("response", TWILIO, "$.num_segments", "eq", "1"),
    ("response", TWILIO, "$.subresource_uris.*", "contains", "/Media.json"),
    ("response", TWILIO, "$", "contains", "queued"),
]


@pytest.mark.parametrize(("part", "filters", "path", "operator", "value"), HOLDS_ON_THE_HAPPY_PATH,
                         ids=[f"{p[0]}:{p[2]} {p[3]} {p[4]!r}" for p in HOLDS_ON_THE_HAPPY_PATH])
def test_the_reference_checks_hold_on_the_happy_path(paid: ReplaySession, part: str, filters: dict[str, str],
                                                     path: str, operator: str, value: Any) -> None:
    paid.assert_body(path, operator, value, part=part, **filters)


FAILS_ON_THE_HAPPY_PATH = [
    ("request", STRIPE, "$.amount", "eq", 2499, "found '2498'"),
    ("request", STRIPE, "$.amount", "lt", 2000, "found '2498'"),
    ("request", STRIPE, "$.amount", "ne", 2498.0, "found '2498'"),
    ("request", STRIPE, "$.amount", "eq", True, "found '2498'"),
    ("request", STRIPE, "$.metadata.orderId", "exists", None,
     "no such field: $.metadata has no 'orderId' (keys: order_id)"),
    ("response", STRIPE, "$.amount", "eq", "2498",
     "found 2498, a number, not a string (JSON values are typed)"),
    ("response", STRIPE, "$.paid", "eq", 1, "found True, a boolean, not a number"),
    ("response", STRIPE, "$.amount", "contains", 24,
     "found 2498, a number: contains looks inside strings, lists and objects; eq compares a number, boolean or null"),
    ("response", STRIPE, "$.currency", "gt", 1, "found 'usd', not a number"),
    ("response", TWILIO, "$.num_segments", "gt", 0, "found '1', not a number (JSON values are typed)"),
    ("response", TWILIO, "$.num_segments", "eq", 1,
     "found '1', a string, not a number (JSON values are typed)"),
    ("response", TWILIO, "$.price", "doesNotExist", None, "found None"),
    ("request", TWILIO, "$.Body", "contains", "tracking", f"found 'Order #11 has shipped. Tracking: {TRACKING}'"),
    ("request", SENDGRID, "$.personalizations[1].to", "exists", None,
     "no such field: $.personalizations has 1 element(s), no [1]"),
    ("request", SENDGRID, "$..phone", "exists", None, "no such field: $ has no 'phone' at any depth"),
    ("request", SENDGRID, "$.subject.text", "exists", None,
     "no such field: $.subject is a string ('Order #11 confirmed'), not an object"),
    ("request", SENDGRID, "$.personalizations[0]", "contains", "email",
     "found {'to': [{'email': 'buyer@example.com'}]}"),
    ("response", SENDGRID, "$.message", "exists", None, "no such field: the body is empty"),
]


@pytest.mark.parametrize(("part", "filters", "path", "operator", "value", "found"), FAILS_ON_THE_HAPPY_PATH,
                         ids=[f"{p[0]}:{p[2]} {p[3]} {p[4]!r}" for p in FAILS_ON_THE_HAPPY_PATH])
def test_a_check_that_does_not_hold_says_what_was_found(paid: ReplaySession, part: str, filters: dict[str, str],
                                                        path: str, operator: str, value: Any, found: str) -> None:
    with pytest.raises(CallAssertionError) as failure:
        paid.assert_body(path, operator, value, part=part, **filters)
    [verdict] = [line for line in str(failure.value).splitlines() if line.startswith("  call ")]
    assert verdict.endswith(f": {found}")


def test_every_failure_lists_the_calls_made_with_status_and_what_answered(paid: ReplaySession) -> None:
    with pytest.raises(CallAssertionError) as failure:
        paid.assert_body("$.amount", "eq", 9999, **STRIPE)
    assert str(failure.value) == (
        "$.amount eq 9999 does not hold in the request body of 1 of 1 call(s) matching "
        "provider='stripe', method='POST', path='/v1/charges':\n"
        f"  call 0 (POST {CHARGES} -> 200): found '2498'\n"
        "calls made:\n"
        f"  0. POST {CHARGES} -> 200 (cassette checkout_happy_path.yaml #0)\n"
        f"  1. POST {SHIPMENTS} -> 201 (mock mock-easypost-success.yaml)\n"
        f"  2. POST {MAIL} -> 202 (cassette checkout_happy_path.yaml #0)\n"
        f"  3. POST {MESSAGES} -> 201 (cassette checkout_happy_path.yaml #0)")
    for failing in (lambda: paid.assert_called(provider="stripe", times=2),
                    lambda: paid.assert_not_called(url="api.twilio.com"),
                    lambda: paid.assert_body("$.id", "exists", host="api.shopify.com")):
        with pytest.raises(CallAssertionError, match=rf"\ncalls made:\n  0. POST {CHARGES} -> 200 \(cassette"):
            failing()


def test_a_check_must_hold_on_every_matching_call() -> None:
    with recorder.replay(mocks=mocks("mock-twilio-success")) as session:
        requests.post(MESSAGES, data=SMS)
        requests.post(MESSAGES, data={**SMS, "Body": "Order #11 was paid."})
    with pytest.raises(CallAssertionError, match=(
            r"\$.Body contains '9400111899223456789012' does not hold in the request body of 1 of 2 call\(s\) "
            r"matching provider='twilio':\n  call 1 \(POST .*Messages.json -> 201\): found 'Order #11 was paid.'\n")):
        session.assert_body("$.Body", "contains", TRACKING, provider="twilio")


# -- reference 000's card-declined test ------------------------------------------------------------
def test_declined_error_object_contains_declined(declined: ReplaySession) -> None:
    """``$.error contains declined``: the error is an object, and its message says so."""
    declined.assert_called(provider="stripe", path="/v1/charges", times=1)
    declined.assert_body("$.error", "contains", "declined", part="response", provider="stripe")
    declined.assert_body("$.error.code", "eq", "card_declined", part="response", provider="stripe")
    for text in ("Declined", "decline_code", "insufficient_funds"):  # case-sensitive; keys are not text
        with pytest.raises(CallAssertionError, match=r"found \{'type': 'card_error', 'code': 'card_declined'"):
            declined.assert_body("$.error", "contains", text, part="response", provider="stripe")


def test_does_not_exist_holds_when_no_matching_call_was_made(declined: ReplaySession) -> None:
    """"If no matching HTTP call was observed during the step, a doesNotExist assertion passes"."""
    declined.assert_body("$.tracking_code", "doesNotExist", part="response", host="api.easypost.com")
    declined.assert_body("$.personalizations", "doesNotExist", url="api.sendgrid.com")
    with pytest.raises(CallAssertionError) as failure:
        declined.assert_body("$.tracking_code", "exists", part="response", host="api.easypost.com")
    assert str(failure.value) == (
        "expected at least 1 call matching host='api.easypost.com', got 0 (so $.tracking_code exists cannot hold)\n"
        "calls made:\n"
        f"  0. POST {CHARGES} -> 402 (mock mock-stripe-card-declined.yaml)")


def test_does_not_exist_fails_when_a_matching_call_has_the_field(paid: ReplaySession) -> None:
    with pytest.raises(CallAssertionError, match=rf"call 1 \(POST {SHIPMENTS} -> 201\): found '{TRACKING}'"):
        paid.assert_body("$.tracking_code", "doesNotExist", part="response", host="api.easypost.com")


# -- form bodies: every value is a string, compared by the spelling of what the test expects ---------
@pytest.mark.parametrize(("path", "expected", "holds"), [
    ("$.capture", True, True), ("$.capture", "true", True), ("$.capture", False, False), ("$.capture", 1, False),
    ("$.confirm", True, True),  # older SDKs send Python's spelling, "True"; Stripe reads both
    ("$.amount", 2498, True), ("$.amount", 2498.0, True), ("$.amount", "2498.0", False),
    ("$.application_fee_amount", 12.5, True), ("$.application_fee_amount", "12.50", True),
    ("$.statement_descriptor_suffix", None, True), ("$.statement_descriptor_suffix", "", True),
    ("$.expand", ["balance_transaction", "customer"], True), ("$.metadata", {"order_id": 11}, True),
])
def test_form_values_equal_the_spelling_of_the_expected_value(path: str, expected: Any, holds: bool) -> None:
    form = {"amount": "2498", "currency": "usd", "capture": "true", "confirm": "True",
            "application_fee_amount": "12.50", "statement_descriptor_suffix": "",
            "expand[]": ["balance_transaction", "customer"], "metadata[order_id]": "11"}
    with recorder.replay(mocks=mocks("mock-stripe-success")) as session:
        requests.post(CHARGES, data=form)
    if holds:
        session.assert_body(path, "eq", expected, provider="stripe")
        session.assert_body("$.expand", "contains", "customer", provider="stripe")
    else:
        with pytest.raises(CallAssertionError, match=r"does not hold in the request body of 1 of 1"):
            session.assert_body(path, "eq", expected, provider="stripe")


# -- mistakes in the assertion itself are bad input, even when no call matches -----------------------
@pytest.mark.parametrize(("path", "operator", "value", "message"), [
    ("$.amount", "equals", 2498, "unknown operator 'equals'; use one of eq, ne, contains"),
    ("amount", "doesNotExist", None, "a JSON path starts with \\$"),
    ("$.items[?(@.price > 1)]", "exists", None, "cannot read the JSON path at character 8"),
    ("$.amount", "gt", "a lot", "gt compares numbers; 'a lot' is not one"),
])
def test_a_malformed_assertion_is_refused_before_any_call_is_read(declined: ReplaySession, path: str, operator: str,
                                                                  value: Any, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        declined.assert_body(path, operator, value, host="api.easypost.com")


@pytest.mark.parametrize("counts", [{"at_least": 1, "at_most": 0}, {"times": 2, "at_most": 1}, {"times": -1}])
def test_counts_no_number_of_calls_can_satisfy_are_refused(declined: ReplaySession, counts: dict[str, int]) -> None:
    with pytest.raises(BadInput):
        declined.assert_called(provider="stripe", **counts)


# -- the url filter, as reference 000 writes its match ----------------------------------------------
@pytest.mark.parametrize(("url", "count"), [
    ("api.stripe.com/v1/charges", 1), ("https://api.stripe.com/v1/charges", 1), ("http://api.stripe.com", 0),
    ("api.twilio.com", 1), ("api.twilio.com/2010-04-01/Accounts/*/Messages.json", 1),
    ("api.twilio.com/2010-04-01/Accounts", 0), ("API.EasyPost.com/v2/shipments", 1), ("api.shopify.com", 0),
])
def test_url_names_a_host_and_optionally_a_path(paid: ReplaySession, url: str, count: int) -> None:
    assert len(paid.calls(url=url)) == count


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedInteractionsWarning)
        yield


# -- the response status, reference 000's `response.statusCode` -------------------------------------
def test_status_picks_calls_by_the_status_that_came_back(paid: ReplaySession, declined: ReplaySession) -> None:
    """Reference 000: EasyPost answered 201; on decline Stripe answered 402."""
    paid.assert_called(url="api.easypost.com/v2/shipments", status=201, times=1)
    assert [call.host for call in paid.calls(status=201)] == ["api.easypost.com", "api.twilio.com"]
    paid.assert_body("$.tracking_code", "exists", part="response", status=201, host="api.easypost.com")
    declined.assert_called(provider="stripe", status=402, times=1)
    declined.assert_not_called(provider="stripe", status=200)


def test_a_status_that_did_not_come_back_fails_listing_the_calls_made(declined: ReplaySession) -> None:
    with pytest.raises(CallAssertionError) as failure:
        declined.assert_called(url="api.stripe.com/v1/charges", status=200)
    assert str(failure.value) == (
        "expected at least 1 call matching url='api.stripe.com/v1/charges', status=200, got 0\n"
        "calls made:\n"
        f"  0. POST {CHARGES} -> 402 (mock mock-stripe-card-declined.yaml)")


@pytest.mark.parametrize("ask", [
    lambda s: s.calls(statusCode=402), lambda s: s.assert_called(stauts=402, times=1),
    lambda s: s.assert_not_called(hostname="api.easypost.com"), lambda s: s.assert_body("$.id", "exists", code=402),
], ids=["calls", "assert_called", "assert_not_called", "assert_body"])
def test_an_unknown_filter_is_refused_naming_the_filters(declined: ReplaySession, ask: Any) -> None:
    """A misspelt filter must not be a raw TypeError, nor (worse) be ignored and match every call."""
    with pytest.raises(BadInput, match=r"unknown call filter\(s\) \w+; the filters are provider, method, host, "
                                       r"path, url, source, status"):
        ask(declined)


def test_a_status_is_a_number(declined: ReplaySession) -> None:
    with pytest.raises(BadInput, match=r"status='402': a response status is a number"):
        declined.assert_called(status="402")


# -- uploads: multipart fields are strings, as form fields are ----------------------------------------
def test_upload_fields_compare_by_spelling_like_form_fields(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stripe's SDK uploads dispute evidence with ``file_link_data[expires_at]=1900000000``, a
    multipart field: ``eq 1900000000`` and ``gt`` hold on it as on a form body's value."""
    (tmp_path / "mock-stripe-files.yaml").write_text(
        "type: MOCK\nname: mock-stripe-files\nmockTarget: files.stripe.com\nmockPath: /v1/files\n"
        "mockMethod: POST\nmockResponseStatus: 200\nmockResponseBody: {id: file_123, object: file}\n")
    monkeypatch.setattr(stripe, "api_key", "sk_test_" + "Q" * 24)
    with recorder.replay(mocks=[tmp_path / "mock-stripe-files.yaml"]) as session:
        stripe.File.create(purpose="dispute_evidence", file=io.BytesIO(b"%PDF-1.4 evidence"),
                           file_link_data={"create": True, "expires_at": 1900000000})
    session.assert_body("$.file_link_data.expires_at", "eq", 1900000000, provider="stripe")
    session.assert_body("$.file_link_data.expires_at", "gt", 1000, provider="stripe")
    session.assert_body("$.file_link_data.create", "eq", True, provider="stripe")
    session.assert_body("$.purpose", "eq", "dispute_evidence", provider="stripe")

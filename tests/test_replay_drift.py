"""Drift reports: when the code under test sends what no recording has, the failure says why.

Given real cassettes (saleor's Stripe payment intents, spree's tax calculation, github3.py's
issue creation) or a small one written like the issue's example, when the code sends something
else through a real HTTP client, then the report lists, for the closest recording, exactly the
fields by which matching told them apart, in the issue's words (``body.amount: recorded 2498,
sent 2500``, ``body.metadata.order_id: missing``, ``query.limit: recorded 10, sent 100``); never a
difference matching ignores, and never a candidate with nothing listed.
"""
from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest
import requests
from conftest import CORPUS

import recorder
from recorder.cassette import load_cassette
from recorder.replay import DriftError, DriftReport, UnusedInteractionsWarning

STRIPE = CORPUS / "cassettes/stripe"
AUTHORIZE = STRIPE / "saleor__saleor__test_stripe--test_authorize.yaml"
CAPTURE_3DS = STRIPE / "saleor__saleor__test_stripe--test_capture_3d_secure.yaml"
SOURCES = STRIPE / "saleor__saleor__test_stripe--test_list_customer_sources.yaml"
TAX = STRIPE / "spree__spree_stripe__create_tax_calculation_us_tx.yml"
ISSUE = CORPUS / "cassettes/github/sigmavirus24__github3.py__GitHub_create_issue.json"

pytestmark = pytest.mark.skipif(not AUTHORIZE.is_file(), reason=f"needs the corpus at {CORPUS}")


@pytest.fixture(autouse=True)
def _quiet_unused() -> Iterator[None]:
    """Each test plays one call of a longer cassette: the rest is unused, by design."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedInteractionsWarning)
        yield


def drift(cassette: Path | str, send: Callable[[], object], **options: object) -> DriftReport:
    with pytest.raises(DriftError) as caught, recorder.replay(cassette, **options):
        send()
    return caught.value.report


def recorded_form(cassette: Path, index: int = 0) -> list[tuple[str, str]]:
    """The form body recorded in ``cassette``, as (key, value) pairs in recorded order."""
    body = load_cassette(cassette).interactions[index].request.body.decoded
    return parse_qsl(body.decode(), keep_blank_values=True)


AUTHORIZE_FORM = dict(recorded_form(AUTHORIZE)) if AUTHORIZE.is_file() else {}


# -- the issue's own example -----------------------------------------------------------------------
CHARGE_CASSETTE = """interactions:
- request:
    method: POST
    uri: https://api.example-pay.com/v1/charges?limit=10
    headers: {Content-Type: [application/json]}
    body: '{"amount": 2498, "currency": "usd", "metadata": {"order_id": "11"}}'
  response:
    status: {code: 200, message: OK}
    headers: {Content-Type: [application/json]}
    body: {string: '{"id": "ch_1"}'}
"""


def test_the_issue_example_reads_as_the_issue_writes_it(tmp_path: Path) -> None:
    cassette = tmp_path / "charge.yaml"
    cassette.write_text(CHARGE_CASSETTE)
    report = drift(cassette, lambda: requests.post("https://api.example-pay.com/v1/charges?limit=100",
                                                   json={"amount": 2500, "currency": "usd", "metadata": {}}))
    [best] = report.candidates
    assert [str(d) for d in best.differences] == [
        "body.amount: recorded 2498, sent 2500",
        "body.metadata.order_id: missing",
        "query.limit: recorded 10, sent 100",
    ]
    # The same report as data: the values keep their types, the absent side is a marker.
    assert [(d.path, d.recorded, d.sent) for d in best.differences][:1] == [("body.amount", 2498, 2500)]
    assert repr(best.differences[1].sent) == "missing" and best.differences[1].recorded == "11"


def test_a_json_string_where_a_number_was_recorded_keeps_its_quotes(tmp_path: Path) -> None:
    cassette = tmp_path / "charge.yaml"
    cassette.write_text(CHARGE_CASSETTE)
    report = drift(cassette, lambda: requests.post(
        "https://api.example-pay.com/v1/charges?limit=10",
        json={"amount": "2498", "currency": "usd", "metadata": {"order_id": "11"}, "capture": False}))
    assert [str(d) for d in report.candidates[0].differences] == [
        'body.amount: recorded 2498, sent "2498"',
        "body.capture: not recorded, sent false",
    ]


def test_a_real_json_body_drift_names_each_field() -> None:
    """github3.py created an issue with a title, a body and no labels."""
    report = drift(ISSUE, lambda: httpx.post("https://api.github.com/repos/github3py/fork_this/issues",
                                             json={"title": "Another title", "labels": ["bug"]}))
    best = report.candidates[0]
    assert best.index == 1
    assert [str(d) for d in best.differences] == [
        "body.body: missing",
        "body.labels[0]: not recorded, sent bug",
        "body.title: recorded Test issue creation, sent Another title",
    ]


# -- Stripe forms: bare values, empty strings shown -------------------------------------------------
def test_form_values_show_bare_and_an_empty_string_shows_quoted() -> None:
    """saleor recorded ``shipping[address][line2]=`` (empty); a space is a different value."""
    form = {**AUTHORIZE_FORM, "amount": "2500", "shipping[address][line2]": " "}
    report = drift(AUTHORIZE, lambda: requests.post("https://api.stripe.com/v1/payment_intents", data=form))
    assert [str(d) for d in report.candidates[0].differences] == [
        "body.amount: recorded 4242, sent 2500",
        'body.shipping.address.line2: recorded "", sent " "',
    ]


def test_an_array_sent_in_another_order_is_one_difference_that_says_so() -> None:
    """spree asked Stripe to expand two fields; arrays are ordered, so the swap is drift, reported once."""
    pairs = recorded_form(TAX)
    swapped = {"expand[0]": "shipping_cost.tax_breakdown", "expand[1]": "line_items.data.tax_breakdown"}
    body = [(k, swapped.get(k, v)) for k, v in pairs]
    report = drift(TAX, lambda: requests.post("https://api.stripe.com/v1/tax/calculations", data=body))
    assert [str(d) for d in report.candidates[0].differences] == [
        "body.expand: recorded [line_items.data.tax_breakdown, shipping_cost.tax_breakdown], "
        "sent [shipping_cost.tax_breakdown, line_items.data.tax_breakdown] "
        "(same items in another order; arrays are compared in order)",
    ]


def test_ignored_fields_are_not_reported_as_differences() -> None:
    form = {**AUTHORIZE_FORM, "amount": "1", "shipping[address][postal_code]": "00-001"}
    report = drift(AUTHORIZE, lambda: requests.post("https://api.stripe.com/v1/payment_intents", data=form),
                   ignore_fields=["shipping.address.postal_code"])
    assert [str(d) for d in report.candidates[0].differences] == ["body.amount: recorded 4242, sent 1"]


# -- the query is a multiset, as in matching ---------------------------------------------------------
def test_query_order_is_no_difference_and_a_changed_value_is() -> None:
    """saleor listed a customer's cards: ``customer=cus_...&type=card``."""
    customer = "cus_FbquUfgBnLdlsY"
    with recorder.replay(SOURCES):
        assert requests.get(f"https://api.stripe.com/v1/payment_methods?type=card&customer={customer}").ok
    report = drift(SOURCES, lambda: requests.get("https://api.stripe.com/v1/payment_methods",
                                                 params={"customer": customer, "type": "bank_account"}))
    assert [str(d) for d in report.candidates[0].differences] == ["query.type: recorded card, sent bank_account"]


def test_repeated_query_keys_compare_as_a_multiset(tmp_path: Path) -> None:
    cassette = tmp_path / "list.yaml"
    cassette.write_text(CHARGE_CASSETTE.replace("method: POST", "method: GET").replace(
        "/v1/charges?limit=10", "/v1/charges?expand[]=a&expand[]=b&limit=10"))
    report = drift(cassette, lambda: requests.get(
        "https://api.example-pay.com/v1/charges?expand[]=b&expand[]=a&limit=100",
        data=b'{"amount": 2498, "currency": "usd", "metadata": {"order_id": "11"}}',
        headers={"Content-Type": "application/json"}))
    assert [str(d) for d in report.candidates[0].differences] == ["query.limit: recorded 10, sent 100"]
    report = drift(cassette, lambda: requests.get("https://api.example-pay.com/v1/charges?expand[]=a&limit=10"))
    assert "query.expand[]: recorded [a, b], sent a" in [str(d) for d in report.candidates[0].differences]


# -- a miss the fields do not explain ----------------------------------------------------------------
def test_a_third_identical_call_says_the_recordings_were_already_played() -> None:
    url = "https://api.stripe.com/v1/payment_intents/pi_1F6YmgIUmJaD6Oqv77HUh6qq"
    report = drift(CAPTURE_3DS, lambda: [requests.get(url) for _ in range(3)])
    assert report.reason == "already-played" and report.candidates == ()
    assert [p.index for p in report.already_played] == [2, 4]
    text = str(report)
    assert "already played: 2 recordings of exactly this request, all played already (2 times)" in text
    assert "allow_repeats=True" in text and "record the call again" in text


def test_a_matched_header_that_differs_is_the_difference() -> None:
    """saleor's SDK sent an Idempotency-Key; a test that matches on it sees it change."""
    recorded_key = "bd0e72e0-c36e-4a18-8c55-dde0b2f7b61d"
    url = "https://api.stripe.com/v1/payment_intents"
    with recorder.replay(AUTHORIZE, match_headers=["Idempotency-Key"]):
        requests.post(url, data=AUTHORIZE_FORM, headers={"Idempotency-Key": recorded_key})
    report = drift(AUTHORIZE, lambda: requests.post(url, data=AUTHORIZE_FORM, headers={"Idempotency-Key": "b"}),
                   match_headers=["Idempotency-Key"])
    assert [str(d) for d in report.candidates[0].differences] == [
        f"headers.idempotency-key: recorded {recorded_key}, sent b"]
    report = drift(AUTHORIZE, lambda: requests.post(url, data=AUTHORIZE_FORM), match_headers=["Idempotency-Key"])
    assert [str(d) for d in report.candidates[0].differences] == ["headers.idempotency-key: missing"]


def test_another_scheme_is_named_when_nothing_else_differs() -> None:
    report = drift(AUTHORIZE, lambda: requests.post("http://api.stripe.com/v1/payment_intents", data=AUTHORIZE_FORM))
    assert [str(d) for d in report.candidates[0].differences] == ["scheme: recorded https, sent http"]


def test_every_closest_candidate_lists_a_difference() -> None:
    """Each recorded call of a real cassette, sent once too often or changed a little: a report
    either says "already played" or names a field, for every candidate it lists."""
    for interaction in load_cassette(CAPTURE_3DS).interactions:
        method, uri, body = interaction.request.method, interaction.request.uri, interaction.request.body.decoded
        changed = (body + b"&extra=1") if body else None
        for send in (lambda: [requests.request(method, uri, data=body, headers=_form) for _ in range(3)],
                     lambda: requests.request(method, uri + ("&" if "?" in uri else "?") + "x=1", data=changed,
                                              headers=_form)):
            report = drift(CAPTURE_3DS, send)
            assert report.already_played or report.candidates
            assert all(candidate.differences for candidate in report.candidates), str(report)


_form = {"Content-Type": "application/x-www-form-urlencoded"}


def test_the_report_is_data_on_the_exception() -> None:
    form = {**AUTHORIZE_FORM, "amount": "4243"}
    with pytest.raises(DriftError) as caught, recorder.replay(AUTHORIZE):
        requests.post("https://api.stripe.com/v1/payment_intents", data=form)
    report = caught.value.report
    assert report.reason == "drift" and report.method == "POST"
    [diff] = report.candidates[0].differences
    assert (diff.path, diff.recorded, diff.sent) == ("body.amount", "4242", "4243")
    assert json.loads(json.dumps([diff.path, diff.recorded, diff.sent])) == ["body.amount", "4242", "4243"]


# -- ranking: the recording one field off comes first ------------------------------------------------
# openfoodnetwork's CreditCardCloner created a card (interaction 0: type and card[...]) and later
# cloned it onto a customer (6: customer and payment_method), both POST /v1/payment_methods.
CLONER = STRIPE / ("openfoodfoundation__openfoodnetwork__Stripe-v19.3.1--Stripe_CreditCardCloner--_find_or_clone--"
                   "when_called_with_a_valid_customer_and_payment_method--clones_both_the_payment_method_and_the_"
                   "customer.yml")
# spree registered a shop's Apple Pay domain (0: shop.store-with-apple-pay.com) and its top-level
# domain (1: store-with-apple-pay.com).
DOMAINS = STRIPE / ("spree__spree_stripe__SpreeStripe_RegisterDomain--for_custom_domain--when_tld_length_is_more_"
                    "then_2--registers_the_Apple_Pay_domain_and_top_level_domain_in_Stripe.yml")


def test_the_recording_one_field_off_ranks_first_and_a_stranger_reads_field_by_field() -> None:
    clone = dict(recorded_form(CLONER, 6))
    report = drift(CLONER, lambda: requests.post("https://api.stripe.com/v1/payment_methods",
                                                 data={**clone, "customer": "cus_OTHER"}))
    first, second = report.candidates[:2]
    assert first.index == 6
    assert [str(d) for d in first.differences] == ["body.customer: recorded cus_V09a1MriNMRps2, sent cus_OTHER"]
    # The card creation shares no field with the clone: still one line per field, never one
    # "body: recorded {...}, sent {...}" (deepdiff >= 8 collapses objects that share few keys).
    assert second.index == 0
    assert [d.path for d in second.differences] == ["body.card", "body.customer", "body.payment_method", "body.type"]


def test_between_recordings_as_many_fields_off_the_likelier_value_ranks_first() -> None:
    """A typo'd domain is one field off from both registrations; it was meant to be the second."""
    report = drift(DOMAINS, lambda: requests.post("https://api.stripe.com/v1/apple_pay/domains",
                                                  data={"domain_name": "store-with-apple-pay.comX"}))
    assert [c.index for c in report.candidates[:2]] == [1, 0]
    assert [str(d) for d in report.candidates[0].differences] == [
        "body.domain_name: recorded store-with-apple-pay.com, sent store-with-apple-pay.comX"]


def test_another_path_ranks_after_every_field_difference_and_one_segment_off_before_another_resource() -> None:
    """Attaching the card to another customer: the recorded attach of this card (one field off) first,
    then the attach of another card (one path segment off), then the clone at /v1/payment_methods,
    which also sent a customer; the card creation there, sharing no field, is not among them."""
    report = drift(CLONER, lambda: requests.post(
        "https://api.stripe.com/v1/payment_methods/pm_1U09HcKuuB1fWySn7uuzN5Os/attach", data={"customer": "cus_X"}))
    assert [c.index for c in report.candidates] == [2, 8, 6]

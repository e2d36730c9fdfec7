"""Credentials in requests: recorded scrubbed, replayed while the code sends them live.

Given a PaymentIntent confirmed with its ``client_secret`` (in the form body, and in the query of
a retrieve), recorded through a Stripe stand-in so the cassette holds ``pi_..._secret_REDACTED``,
when the same code runs again in replay with the live secret, then the recording answers; and
when it sends something else, the drift report never prints the live secret. Likewise for real
corpus recordings: a matched credential header is named as a difference, never shown, and a
failing call assertion lists a call without the key it sent in its query.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import requests
from conftest import CORPUS
from standin import StandIn, json_reply

import recorder
from recorder.cassette import load_cassette
from recorder.cassette.headers import Headers
from recorder.cassette.model import Body, Cassette, Interaction, Request, Response
from recorder.cassette.writer import write_cassette
from recorder.providers import load_registry
from recorder.record import NetworkBlocked
from recorder.replay import CallAssertionError, DriftError, DriftReport, UnusedInteractionsWarning
from recorder.replay.drift import closest, shown_uri
from recorder.replay.matching import MatchOptions, MatchRules, request_key
from recorder.secrets.scrub import scrub_cassette

INTENT = "pi_3Mtw2bLkdIwHu7ix0Abc1234"
SECRET = f"{INTENT}_secret_YrKJUKribcBjcG8HVhfZluoGH"
CONFIRM = f"https://api.stripe.com/v1/payment_intents/{INTENT}/confirm"
RETRIEVE = f"https://api.stripe.com/v1/payment_intents/{INTENT}"
AUTH = {"Authorization": "Bearer pk_test_51Hq2bTLqP9cV3xYzAbCdEfGh"}


@pytest.fixture
def stripe():
    intent = {"id": INTENT, "object": "payment_intent", "status": "succeeded", "amount": 2498}
    server = StandIn()
    server.route("POST", rf"/v1/payment_intents/{INTENT}/confirm", lambda got: json_reply(200, intent))
    server.route("GET", rf"/v1/payment_intents/{INTENT}", lambda got: json_reply(200, intent))
    with server:
        yield server


def confirm(payment_method: str = "pm_card_visa") -> dict:
    return requests.post(CONFIRM, data={"client_secret": SECRET, "payment_method": payment_method},
                         headers=AUTH).json()


def retrieve() -> dict:
    return requests.get(RETRIEVE, params={"client_secret": SECRET}, headers=AUTH).json()


@pytest.fixture
def cassette(tmp_path: Path, stripe: StandIn) -> Path:
    path = tmp_path / "cassettes" / "stripe" / "confirm.yaml"
    with recorder.replay(path, mode="once", target=stripe.url):
        confirm()
        retrieve()
    text = path.read_text()
    assert SECRET not in text and f"{INTENT}_secret_REDACTED" in text
    return path


def test_a_request_whose_secret_was_scrubbed_replays_with_the_live_secret(cassette: Path) -> None:
    with recorder.replay(cassette, strict=True) as session:
        assert confirm()["status"] == "succeeded"
        assert retrieve()["id"] == INTENT
    assert [call.source for call in session.calls()] == ["cassette", "cassette"]


def test_a_drift_report_names_the_difference_but_never_the_live_secret(cassette: Path) -> None:
    with pytest.raises(DriftError) as caught:
        with recorder.replay(cassette):
            confirm(payment_method="pm_card_mastercard")
    report = str(caught.value)
    assert "body.payment_method: recorded pm_card_visa, sent pm_card_mastercard" in report
    assert SECRET not in report and "YrKJUKribcBjcG8HVhfZluoGH" not in report


def test_a_failing_body_assertion_quotes_a_secret_field_masked(cassette: Path) -> None:
    with recorder.replay(cassette, strict=True) as session:
        confirm()
        retrieve()
    with pytest.raises(CallAssertionError) as caught:
        session.assert_body("$.client_secret", "eq", "pi_other", provider="stripe", method="POST")
    message = str(caught.value)
    assert "found '<secret>'" in message and SECRET not in message
    with pytest.raises(CallAssertionError) as whole:  # the whole body quoted: its secret still masked
        session.assert_body("$", "contains", "nothing like this", provider="stripe", method="POST")
    assert "payment_method" in str(whole.value) and SECRET not in str(whole.value)


def test_a_call_s_repr_is_its_masked_one_liner(cassette: Path) -> None:
    """pytest prints the repr of a call in a failed plain ``assert``: the live key must not be in it."""
    with recorder.replay(cassette, strict=True) as session:
        confirm()
        retrieve()
    shown = repr(session.calls())
    assert shown == (f"[<Call POST {CONFIRM} -> 200 (cassette confirm.yaml #0)>, "
                     f"<Call GET {RETRIEVE}?client_secret=<secret> -> 200 (cassette confirm.yaml #1)>]")
    assert "pk_test_51Hq2bTLqP9cV3xYzAbCdEfGh" not in shown


def test_the_secret_still_has_to_be_there(cassette: Path) -> None:
    """Only the value is masked: a request that stops sending client_secret is a difference."""
    with pytest.raises(DriftError, match=r"body\.client_secret: missing"):
        with recorder.replay(cassette):
            requests.post(CONFIRM, data={"payment_method": "pm_card_visa"}, headers=AUTH)


def test_mode_once_replays_it_too(cassette: Path, stripe: StandIn) -> None:
    """A record mode that finds the cassette replays it with the same rules as plain replay."""
    calls_before = len(stripe.received)
    with pytest.warns(UnusedInteractionsWarning, match="1 recorded interaction"):  # the retrieve: once is replay
        with recorder.replay(cassette, mode="once", target=stripe.url) as session:
            assert confirm()["status"] == "succeeded"
    assert [call.source for call in session.calls()] == ["cassette"]
    assert len(stripe.received) == calls_before


# -- credentials in what a failure prints: drift reports and call listings ----------------------------
# Real recordings: spree registered Apple Pay domains with ``Authorization: Bearer <STRIPE_SECRET_KEY>``
# on disk; reparty read SendGrid's v2 stats with ``api_key``/``api_user`` in the query.
DOMAINS = CORPUS / "cassettes/stripe" / ("spree__spree_stripe__SpreeStripe_RegisterDomain--for_custom_domain--"
                                         "when_tld_length_is_more_then_2--registers_the_Apple_Pay_domain_and_top_"
                                         "level_domain_in_Stripe.yml")
STATS = CORPUS / "cassettes/sendgrid/timdorr__reparty__sendgrid.yml"
LIVE_KEY = "sk_live_51SuperSecretValue123"
corpus = pytest.mark.skipif(not DOMAINS.is_file() or not STATS.is_file(), reason=f"needs the corpus at {CORPUS}")


def domain_drift(headers: dict[str, str], **options: object) -> DriftReport:
    """Register a domain spree never registered, sending ``headers``; the report of the miss."""
    with pytest.raises(DriftError) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedInteractionsWarning)
        with recorder.replay(DOMAINS, **options):
            requests.post("https://api.stripe.com/v1/apple_pay/domains", data={"domain_name": "shop.example.org"},
                          headers=headers)
    return caught.value.report


@corpus
def test_a_matched_authorization_header_differs_in_the_report_without_its_value() -> None:
    report = domain_drift({"Authorization": f"Bearer {LIVE_KEY}"}, match_headers=["Authorization"])
    best = report.candidates[0]
    assert [str(d) for d in best.differences] == [
        "body.domain_name: recorded shop.store-with-apple-pay.com, sent shop.example.org",
        "headers.authorization: recorded Bearer <secret>, sent Bearer <secret> "
        "(the values differ; a credential's value is never shown)",
    ]
    # Neither the text nor the data on the exception holds the live key.
    assert LIVE_KEY not in str(report) and LIVE_KEY not in repr(report)


@corpus
def test_a_credential_header_the_recording_lacks_is_named_without_its_value() -> None:
    """X-Api-Key (the generic profile's) and a proxy's credentials, matched by a test that cares."""
    report = domain_drift({"X-Api-Key": LIVE_KEY, "Proxy-Authorization": f"Basic {LIVE_KEY}"},
                          match_headers=["X-Api-Key", "Proxy-Authorization"])
    shown = [str(d) for d in report.candidates[0].differences]
    assert "headers.x-api-key: not recorded, sent <secret>" in shown
    assert "headers.proxy-authorization: not recorded, sent Basic <secret>" in shown
    assert LIVE_KEY not in repr(report)


@corpus
def test_the_providers_own_credential_headers_are_masked_when_named() -> None:
    """Stripe's profile adds Stripe-Signature, which no generic rule would recognise as a credential."""
    rules = MatchRules.for_provider(load_registry().get("stripe"), MatchOptions(match_headers=("Stripe-Signature",)))
    cassette = load_cassette(DOMAINS)
    pool = [(str(DOMAINS), i, it, request_key(it.request, rules)) for i, it in enumerate(cassette.interactions)]
    sent = Request("POST", "https://api.stripe.com/v1/apple_pay/domains",
                   Headers([("Content-Type", ["application/x-www-form-urlencoded"]),
                            ("Stripe-Signature", [f"t=1,v1={LIVE_KEY}"])]),
                   Body(b"domain_name=store-with-apple-pay.com"))
    [best, *_] = closest(sent, request_key(sent, rules), pool, rules, ("Stripe-Signature",))
    assert [str(d) for d in best.differences] == ["headers.stripe-signature: not recorded, sent <secret>"]


@corpus
def test_a_failing_call_assertion_lists_the_call_with_its_query_key_masked() -> None:
    """The live key matched the scrubbed recording (secrets by presence); the listing must not print it."""
    with recorder.replay(STATS) as session:
        requests.get("https://sendgrid.com/api/stats.get.json",
                     params={"api_key": LIVE_KEY, "api_user": "me", "days": 7, "start_date": "2013-04-30"})
    for failing in (lambda: session.assert_called(host="sendgrid.com", times=2),
                    lambda: session.assert_body("$[0].delivered", "eq", 1, part="response", host="sendgrid.com")):
        with pytest.raises(CallAssertionError) as failure:
            failing()
        assert LIVE_KEY not in str(failure.value)
        assert ("GET https://sendgrid.com/api/stats.get.json?api_key=<secret>&api_user=<secret>&days=7"
                "&start_date=2013-04-30 -> 200") in str(failure.value)
    # Only printed text is masked: the call itself keeps what was sent, for assertions.
    assert f"api_key={LIVE_KEY}" in session.calls()[0].url


def test_a_printed_url_masks_a_password_and_the_generic_credential_parameters() -> None:
    """A host no profile claims still gets the generic list (``token``, ``access_token``, ...)."""
    assert (shown_uri(f"https://me:{LIVE_KEY}@api.unknown.test/v1/x?token={LIVE_KEY}&page=2")
            == "https://me:<secret>@api.unknown.test/v1/x?token=<secret>&page=2")
    assert shown_uri("https://api.unknown.test/v1/x?page=2&q=a%20b") == "https://api.unknown.test/v1/x?page=2&q=a%20b"


@corpus
def test_the_blocked_host_message_masks_the_key_the_code_sent_in_the_query() -> None:
    authorize = CORPUS / "cassettes/stripe/saleor__saleor__test_stripe--test_authorize.yaml"
    live = "SG.live-key-never-printed"
    with pytest.raises(NetworkBlocked) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedInteractionsWarning)
        with recorder.replay(authorize):
            requests.get("https://api.sendgrid.com/v3/templates", params={"api_key": live})
    assert "GET https://api.sendgrid.com/v3/templates?api_key=<secret> goes to api.sendgrid.com" in str(caught.value)
    assert live not in str(caught.value)


# -- a host no profile claims: recorded with the generic profile's scrubbing, replayed by it too ----
SHOP_TOKEN = "https://auth.example-shop.test/oauth/token"
LIVE_PASSWORD = "hunter2-Correct-Horse"


@pytest.fixture
def shop_login(tmp_path: Path) -> Path:
    """A password grant to a host no built-in profile claims, scrubbed as recording scrubs it."""
    request = Request("POST", SHOP_TOKEN, Headers([("Content-Type", ["application/x-www-form-urlencoded"])]),
                      Body(f"grant_type=password&username=buyer%40example.com&password={LIVE_PASSWORD}".encode()))
    response = Response(200, "OK", Headers([("Content-Type", ["application/json"])]),
                        Body(b'{"access_token": "at_1f2e3d4c5b6a79880f1e2d3c", "token_type": "bearer"}'))
    path = write_cassette(scrub_cassette(Cassette([Interaction(request, response)]), load_registry()),
                          tmp_path / "shop" / "login.yaml")
    assert LIVE_PASSWORD not in path.read_text()
    return path


def login(username: str = "buyer@example.com") -> requests.Response:
    return requests.post(SHOP_TOKEN, data={"grant_type": "password", "username": username, "password": LIVE_PASSWORD})


def test_an_unprofiled_host_s_scrubbed_password_replays_with_the_live_one(shop_login: Path) -> None:
    with recorder.replay(shop_login) as session:
        assert login().json()["token_type"] == "bearer"
    assert [call.source for call in session.calls()] == ["cassette"]


def test_an_unprofiled_host_s_drift_report_never_prints_the_live_password(shop_login: Path) -> None:
    with pytest.raises(DriftError) as failure:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnusedInteractionsWarning)
            with recorder.replay(shop_login):
                login("someone-else@example.com")
    report = str(failure.value)
    assert "body.username: recorded buyer@example.com, sent someone-else@example.com" in report
    assert LIVE_PASSWORD not in report and LIVE_PASSWORD not in repr(failure.value.report)

"""Credentials in requests: recorded scrubbed, replayed while the code sends them live.

Given a PaymentIntent confirmed with its ``client_secret`` (in the form body, and in the query of
a retrieve), recorded through a Stripe stand-in so the cassette holds ``pi_..._secret_REDACTED``,
when the same code runs again in replay with the live secret, then the recording answers; and
when it sends something else, the drift report never prints the live secret.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import requests
from standin import StandIn, json_reply

import recorder
from recorder.replay import DriftError

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


def test_the_secret_still_has_to_be_there(cassette: Path) -> None:
    """Only the value is masked: a request that stops sending client_secret is a difference."""
    with pytest.raises(DriftError, match=r"body\.client_secret: missing"):
        with recorder.replay(cassette):
            requests.post(CONFIRM, data={"payment_method": "pm_card_visa"}, headers=AUTH)


def test_mode_once_replays_it_too(cassette: Path, stripe: StandIn) -> None:
    """A record mode that finds the cassette replays it with the same rules as plain replay."""
    calls_before = len(stripe.received)
    with recorder.replay(cassette, mode="once", target=stripe.url) as session:
        assert confirm()["status"] == "succeeded"
    assert [call.source for call in session.calls()] == ["cassette"]
    assert len(stripe.received) == calls_before

"""Replay in tests: real corpus cassettes answer the code under test, misses explain the drift.

Given real Stripe cassettes recorded by saleor (API 2019-05-16), when the code under test sends
the same calls (in any key order, either array form), then the recorded responses come back
with no network; when it sends something new, the failure is a drift report naming the closest
recorded call and the field that differs.
"""
from __future__ import annotations

import asyncio
import time
import warnings
from pathlib import Path

import aiohttp
import httpx
import pytest
import requests
from conftest import CORPUS
from reference_mocks import TWILIO_MOCK
from standin import StandIn

import recorder
from recorder.replay import (CallAssertionError, DriftError,
                             UnusedInteractions, UnusedInteractionsWarning)
from recorder.record import NetworkBlocked

SALEOR = CORPUS / "cassettes/stripe"
AUTHORIZE = SALEOR / "saleor__saleor__test_stripe--test_authorize.yaml"
CAPTURE_3DS = SALEOR / "saleor__saleor__test_stripe--test_capture_3d_secure.yaml"

pytestmark = pytest.mark.skipif(not AUTHORIZE.is_file(), reason=f"needs the corpus at {CORPUS}")

AUTHORIZE_FORM = {
    # The saleor recording, keys reordered; nested keys as the SDK sends them.
    "currency": "usd", "amount": "4242", "payment_method": "pm_card_pl", "confirmation_method": "manual",
    "confirm": "True", "capture_method": "automatic", "setup_future_usage": "on_session",
    "shipping[name]": "John Doe", "shipping[phone]": "+48713988102",
    "shipping[address][line1]": "Tęczowa 7", "shipping[address][line2]": "",
    "shipping[address][city]": "WROCŁAW", "shipping[address][state]": "",
    "shipping[address][postal_code]": "53-601", "shipping[address][country]": "Poland",
}


def test_recorded_call_replays_with_keys_in_any_order_and_no_network() -> None:
    with recorder.replay(AUTHORIZE) as session:
        intent = requests.post("https://api.stripe.com/v1/payment_intents", data=AUTHORIZE_FORM).json()
    assert intent["id"] == "pi_1F70K4IUmJaD6OqvfXkgsCB9" and intent["amount"] == 4242
    [call] = session.calls(provider="stripe", method="POST", path="/v1/payment_intents")
    assert call.source == "cassette" and call.status == 200
    session.assert_body("$.amount", "eq", "4242")
    session.assert_body("$.shipping.address.city", "eq", "WROCŁAW")


def test_a_changed_amount_fails_with_a_drift_report_naming_the_field() -> None:
    form = {**AUTHORIZE_FORM, "amount": "4243"}
    del form["shipping[address][postal_code]"]
    with pytest.raises(DriftError) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedInteractionsWarning)
        with recorder.replay(AUTHORIZE):
            requests.post("https://api.stripe.com/v1/payment_intents", data=form)
    report = caught.value.report
    assert report.method == "POST" and report.uri == "https://api.stripe.com/v1/payment_intents"
    [best] = report.candidates
    assert best.index == 0 and best.source.endswith("test_authorize.yaml")
    assert [str(d) for d in best.differences] == [
        "body.amount: recorded 4242, sent 4243",
        "body.shipping.address.postal_code: missing",
    ]
    assert "closest #1" in str(caught.value)


def test_identical_requests_play_back_in_recorded_order() -> None:
    url = "https://api.stripe.com/v1/payment_intents/pi_1F6YmgIUmJaD6Oqv77HUh6qq"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedInteractionsWarning)
        with pytest.raises(DriftError), recorder.replay(CAPTURE_3DS) as session:
            for _ in range(2):
                requests.get(url)
            requests.get(url)  # only two were recorded and repeats are not allowed
    origins = [c.origin.rsplit(" ", 2)[1:] for c in session.calls(method="GET")]
    assert origins == [["interaction", "2"], ["interaction", "4"]]


def test_repeats_allowed_replays_the_last_one_again() -> None:
    url = "https://api.stripe.com/v1/payment_intents/pi_1F6YmgIUmJaD6Oqv77HUh6qq"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedInteractionsWarning)
        with recorder.replay(CAPTURE_3DS, allow_repeats=True) as session:
            for _ in range(3):
                assert requests.get(url).json()["status"] == "requires_action"
    assert [c.origin.rsplit(" ", 1)[1] for c in session.calls()] == ["2", "4", "4"]


def test_unused_interactions_warn_and_strict_makes_them_fail() -> None:
    with pytest.warns(UnusedInteractionsWarning, match="1 recorded interaction.s. never played"):
        with recorder.replay(AUTHORIZE):
            pass
    with pytest.raises(UnusedInteractions, match="test_authorize.yaml interaction 0: POST"):
        with recorder.replay(AUTHORIZE, strict=True):
            pass


def test_other_hosts_are_blocked_and_loopback_passes() -> None:
    server = StandIn().route("GET", r"/health", lambda got: (200, {}, b"ok"))
    with server, warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedInteractionsWarning)
        with pytest.raises(NetworkBlocked, match="goes to api.easypost.com, which no cassette or mock covers"):
            with recorder.replay(AUTHORIZE) as session:
                assert requests.get(server.url + "/health").text == "ok"
                requests.post("https://api.easypost.com/v2/shipments", json={})
    assert [c.source for c in session.calls()] == ["network"]


def test_mock_wins_over_cassette_and_wildcards_match_the_account(tmp_path: Path) -> None:
    mock = tmp_path / "mock-twilio-success.yaml"
    mock.write_text(TWILIO_MOCK)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedInteractionsWarning)
        with recorder.replay(AUTHORIZE, mocks=[mock]) as session:
            sent = requests.post("https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json",
                                 data={"To": "+15551234567", "Body": "Shipped: 9400111899223456789012"})
    assert sent.status_code == 201 and sent.json()["sid"] == "SM_test_456"
    session.assert_called(provider="twilio", path="/2010-04-01/Accounts/*/Messages.json", times=1)
    session.assert_body("$.Body", "contains", "9400111899223456789012", provider="twilio")
    session.assert_not_called(host="api.easypost.com")
    with pytest.raises(CallAssertionError, match=r"calls made:\n  0. POST https://api.twilio.com"):
        session.assert_called(host="api.sendgrid.com")


def test_mock_delay_is_real_time(tmp_path: Path) -> None:
    mock = tmp_path / "slow.yaml"
    mock.write_text(TWILIO_MOCK + "mockResponseDelay: 300\n")
    with recorder.replay(mocks=[mock]):
        started = time.perf_counter()
        requests.post("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json", data={"To": "1"})
        assert time.perf_counter() - started >= 0.3


def test_a_miss_swallowed_by_the_sdk_still_fails_the_block() -> None:
    """stripe wraps transport errors in APIConnectionError; an app that catches it must not hide drift."""
    import stripe

    stripe.api_key = "sk_test_" + "x" * 24
    stripe.max_network_retries = 0
    with pytest.raises(DriftError, match="body.amount: recorded 4242, sent 1\n"):
        with recorder.replay(AUTHORIZE):
            try:
                stripe.PaymentIntent.create(amount=1, currency="usd", payment_method="pm_card_pl")
            except stripe.StripeError:
                pass  # the app's own error handling


def test_async_clients_replay_too() -> None:
    async def both() -> tuple[dict, dict]:
        async with httpx.AsyncClient() as client:
            first = (await client.post("https://api.stripe.com/v1/payment_intents", data=AUTHORIZE_FORM)).json()
        return first, {}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedInteractionsWarning)
        with recorder.replay(AUTHORIZE):
            first, _ = asyncio.run(both())
        with recorder.replay(AUTHORIZE):
            async def with_aiohttp() -> dict:
                async with aiohttp.ClientSession() as session:
                    async with session.post("https://api.stripe.com/v1/payment_intents", data=AUTHORIZE_FORM) as r:
                        return await r.json()
            second = asyncio.run(with_aiohttp())
    assert first["id"] == second["id"] == "pi_1F70K4IUmJaD6OqvfXkgsCB9"


def test_provider_match_options_from_pyproject_add_to_the_test_s_own(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Given Stripe's profile told to ignore the postal code and to match on Idempotency-Key, and a
    test that also ignores the phone: a call differing in both fields replays; a new key is drift."""
    (tmp_path / "pyproject.toml").write_text('[tool.recorder.providers.stripe]\n'
                                             'ignore_fields = ["shipping.address.postal_code"]\n'
                                             'match_headers = ["Idempotency-Key"]\n')
    monkeypatch.chdir(tmp_path)
    url = "https://api.stripe.com/v1/payment_intents"
    form = {**AUTHORIZE_FORM, "shipping[address][postal_code]": "00-001", "shipping[phone]": "+1"}
    recorded_key = {"Idempotency-Key": "bd0e72e0-c36e-4a18-8c55-dde0b2f7b61d"}
    with recorder.replay(AUTHORIZE, ignore_fields=["shipping.phone"]):
        assert requests.post(url, data=form, headers=recorded_key).json()["id"] == "pi_1F70K4IUmJaD6OqvfXkgsCB9"
    with pytest.raises(DriftError) as caught, recorder.replay(AUTHORIZE, ignore_fields=["shipping.phone"]):
        requests.post(url, data=form, headers={"Idempotency-Key": "another"})
    assert [str(d) for d in caught.value.report.candidates[0].differences] == [
        "headers.idempotency-key: recorded bd0e72e0-c36e-4a18-8c55-dde0b2f7b61d, sent another"]

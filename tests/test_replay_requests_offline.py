"""requests' wire-only steps during replay: irrelevant to answered calls, honoured for the rest.

Given a real Stripe cassette (saleor, API 2019-05-16) and an environment whose proxy and CA
bundle point nowhere, when the code under test calls Stripe through requests, then the recorded
answer comes back: the call never leaves the process, so requests' per-call environment lookup
and its adapter's connection steps (pool, CA bundle, proxy) are skipped
(recorder/record/requests_offline.py). Calls that do leave, the app's own loopback servers,
still go where the environment and the adapter send them.
"""
from __future__ import annotations

import gc
import warnings
import weakref
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter
from conftest import CORPUS
from standin import StandIn
from test_replay import AUTHORIZE, AUTHORIZE_FORM as FORM

import recorder
from recorder.replay import UnusedInteractionsWarning

pytestmark = pytest.mark.skipif(not AUTHORIZE.is_file(), reason=f"needs the corpus at {CORPUS}")


def test_an_answered_call_ignores_a_proxy_and_ca_bundle_that_point_nowhere(monkeypatch: pytest.MonkeyPatch) -> None:
    own = requests.Session.merge_environment_settings
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca-bundle.pem")
    with pytest.raises(OSError, match="TLS CA certificate bundle"):  # what requests does without a session
        requests.post("https://api.stripe.com/v1/payment_intents", data=FORM)
    with recorder.replay(AUTHORIZE) as session:
        intent = requests.post("https://api.stripe.com/v1/payment_intents", data=FORM).json()
    assert intent["id"] == "pi_1F70K4IUmJaD6OqvfXkgsCB9"
    assert [call.source for call in session.calls()] == ["cassette"]
    assert requests.Session.merge_environment_settings is own  # requests' own method is back


ADAPTER_STEPS = ("get_connection_with_tls_context", "cert_verify", "request_url")


def test_an_answered_call_needs_no_ca_bundle_client_certificate_or_proxy_of_its_own() -> None:
    own = {name: HTTPAdapter.__dict__[name] for name in ADAPTER_STEPS}
    asked = {"verify": "/nonexistent/ca-bundle.pem", "cert": ("/nonexistent/client.pem", "/nonexistent/client.key"),
             "proxies": {"https": "http://127.0.0.1:9"}}
    with pytest.raises(OSError, match="TLS CA certificate bundle"):  # what requests does without a session
        requests.post("https://api.stripe.com/v1/payment_intents", data=FORM, **asked)
    with recorder.replay(AUTHORIZE) as session:
        with requests.Session() as client:
            intent = client.post("https://api.stripe.com/v1/payment_intents", data=FORM, **asked).json()
    assert intent["id"] == "pi_1F70K4IUmJaD6OqvfXkgsCB9"
    assert [(call.source, call.url) for call in session.calls()] == [
        ("cassette", "https://api.stripe.com/v1/payment_intents")]  # logged as sent, not in proxy form
    assert {name: HTTPAdapter.__dict__[name] for name in ADAPTER_STEPS} == own  # requests' own methods are back


class CountingAdapter(HTTPAdapter):
    """An app's own adapter that overrides a connection step: its override must still run."""

    def __init__(self) -> None:
        super().__init__()
        self.pools_asked = 0

    def get_connection_with_tls_context(self, *args: Any, **kwargs: Any) -> Any:
        self.pools_asked += 1
        return super().get_connection_with_tls_context(*args, **kwargs)


def test_an_adapter_subclass_keeps_its_own_override_of_a_connection_step() -> None:
    adapter = CountingAdapter()
    with recorder.replay(AUTHORIZE):
        with requests.Session() as client:
            client.mount("https://", adapter)
            intent = client.post("https://api.stripe.com/v1/payment_intents", data=FORM).json()
    assert intent["id"] == "pi_1F70K4IUmJaD6OqvfXkgsCB9"
    assert adapter.pools_asked == 1


def test_a_loopback_call_passing_through_still_goes_by_the_environment_s_proxy(
        monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = StandIn().route("GET", r"http://127\.0\.0\.1:9/health", lambda got: (200, {}, b"via proxy"))
    with proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnusedInteractionsWarning)
            with recorder.replay(AUTHORIZE) as session:
                answer = requests.get("http://127.0.0.1:9/health")  # nothing listens on port 9: the proxy answers
    assert answer.text == "via proxy"
    assert [got.path for got in proxy.received] == ["http://127.0.0.1:9/health"]
    assert [call.source for call in session.calls()] == ["network"]


def test_a_finished_session_and_what_it_loaded_are_freed_without_the_garbage_collector() -> None:
    """vcrpy's per-cassette stub classes live in reference cycles; a session they kept alive held
    every loaded interaction until a full collection, whose cost then fell on the next test."""
    gc.collect()
    gc.disable()
    try:
        with recorder.replay(AUTHORIZE) as session:
            with requests.Session() as client:
                client.post("https://api.stripe.com/v1/payment_intents", data=FORM)
        gone = weakref.ref(session)
        del session
        assert gone() is None
    finally:
        gc.enable()

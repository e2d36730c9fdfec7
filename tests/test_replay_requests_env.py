"""requests' environment (proxies, CA bundle) during replay: irrelevant to answered calls, honoured for the rest.

Given a real Stripe cassette (saleor, API 2019-05-16) and an environment whose proxy and CA
bundle point nowhere, when the code under test calls Stripe through requests, then the recorded
answer comes back: the call never leaves the process, so requests' per-call environment lookup
is skipped (about half of a replayed requests call's cost). Calls that do leave, the app's own
loopback servers, still go where the environment sends them.
"""
from __future__ import annotations

import warnings

import pytest
import requests
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

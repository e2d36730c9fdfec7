"""requests and urllib3 are answered at urllib3's connection pool, and behave as they do live.

Given calls recorded from a stand-in on 127.0.0.1, when the same client code runs in replay,
then urllib3's own rules still apply to the replayed answers (redirects followed by the pool,
retries on a status, cookies set into a requests session), loopback calls pass on real
connections, and sessions nest, leaving urllib3 as it found it when the last one ends.
"""
from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import requests
import urllib3
from standin import StandIn, json_reply
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.util.retry import Retry

import recorder
from recorder.record import NetworkBlocked

CHARGE = {"id": "ch_1", "object": "charge", "amount": 2498}
TOO_MANY = """type: MOCK
name: mock-stripe-rate-limited
mockTarget: api.stripe.com
mockPath: /v1/charges
mockMethod: POST
mockResponseStatus: 429
mockResponseHeaders:
  retry-after: "0"
mockResponseBody:
  error: {type: rate_limit_error}
"""


@pytest.fixture
def stripe():
    server = StandIn()
    server.route("GET", r"/v1/old", lambda got: (302, {"Location": "/v1/charges/ch_1"}, b""))
    server.route("GET", r"/v1/charges/ch_1", lambda got: json_reply(200, CHARGE))
    server.route("POST", r"/v1/login", lambda got: json_reply(200, {}, extra={"Set-Cookie": "sid=abc123; Path=/"}))
    server.route("GET", r"/v1/gzipped", lambda got: json_reply(200, CHARGE, gzipped=True))
    with server:
        yield server


def test_a_redirect_followed_by_the_pool_is_recorded_and_replayed_hop_by_hop(stripe: StandIn, tmp_path: Path) -> None:
    cassette = tmp_path / "stripe" / "redirect.yaml"
    for mode in ("once", "replay"):
        pool = urllib3.HTTPSConnectionPool("api.stripe.com", 443)
        with recorder.replay(cassette, mode=mode, target=stripe.url) as session:
            response = pool.request("GET", "/v1/old")  # urlopen's redirect=True: the pool follows it
        assert response.status == 200 and response.json() == CHARGE
        assert [(c.path, c.status) for c in session.calls()] == [("/v1/old", 302), ("/v1/charges/ch_1", 200)]
    assert len(stripe.received) == 2  # recorded once, then replayed without the stand-in


def test_urllib3_retries_a_replayed_429_as_its_retry_policy_says(tmp_path: Path) -> None:
    mock = tmp_path / "rate-limited.yaml"
    mock.write_text(TOO_MANY)
    http = urllib3.PoolManager(retries=Retry(total=2, status_forcelist=[429], allowed_methods=None))
    with recorder.replay(mocks=[mock]) as session:
        with pytest.raises(urllib3.exceptions.MaxRetryError, match="too many 429 error responses"):
            http.request("POST", "https://api.stripe.com/v1/charges", fields={"amount": "1"})
    session.assert_called(path="/v1/charges", times=3)


def test_cookies_and_compressed_bodies_reach_a_requests_session_as_live(stripe: StandIn, tmp_path: Path) -> None:
    cassette = tmp_path / "stripe" / "cookies.yaml"
    for mode in ("once", "replay"):
        client = requests.Session()
        with recorder.replay(cassette, mode=mode, target=stripe.url):
            client.post("https://api.stripe.com/v1/login", data={"user": "a"})
            gzipped = client.get("https://api.stripe.com/v1/gzipped")
        # Recording hands the live cookie on; the cassette keeps only a placeholder (cookies are secrets).
        assert client.cookies.get("sid") == ("abc123" if mode == "once" else "<REDACTED>"), mode
        assert gzipped.json() == CHARGE and "Content-Encoding" not in gzipped.headers, mode


def test_loopback_passes_on_real_connections_and_gzip_stays_the_clients_to_undo(tmp_path: Path) -> None:
    body = gzip.compress(b'{"ok": true}')
    server = StandIn().route("GET", r"/local", lambda got: (200, {"Content-Encoding": "gzip",
                                                                 "Content-Type": "application/json"}, body))
    with server, recorder.replay() as session:
        live = requests.get(server.url + "/local")
        raw = urllib3.PoolManager().request("GET", server.url + "/local", decode_content=False)
    assert live.json() == {"ok": True} and raw.data == body
    [first, second] = session.calls()
    assert first.source == "network" and first.response_body.decoded == b'{"ok": true}'
    assert second.url == server.url + "/local"


def test_sessions_nest_and_the_last_to_end_restores_urllib3(stripe: StandIn, tmp_path: Path) -> None:
    original = HTTPConnectionPool.urlopen
    cassette = tmp_path / "stripe" / "nested.yaml"
    with recorder.replay(cassette, mode="once", target=stripe.url):
        requests.get("https://api.stripe.com/v1/charges/ch_1")
    with recorder.replay(cassette, allow_repeats=True) as outer:
        with pytest.raises(NetworkBlocked), recorder.replay(mocks=[]) as inner:
            requests.get("https://api.stripe.com/v1/charges/ch_1")  # the inner session decides: no recording
        assert requests.get("https://api.stripe.com/v1/charges/ch_1").json() == CHARGE  # the outer again
        assert HTTPConnectionPool.urlopen is not original
    assert HTTPConnectionPool.urlopen is original
    assert len(inner.calls()) == 0 and len(outer.calls()) == 1
    assert requests.get(stripe.url + "/v1/charges/ch_1").json() == CHARGE  # untouched afterwards

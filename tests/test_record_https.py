"""Recording over HTTPS: real providers only speak TLS, so the forwarder must too, under interception.

Given a stand-in on 127.0.0.1 that speaks HTTPS with a certificate from a throwaway CA (trustme),
when a client calls Stripe's real URL inside a recording session whose target is that stand-in,
then the call is recorded; the certificate is checked like any client would check it.
"""
from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import requests
import trustme
import yaml
from standin import StandIn, json_reply
from test_record_session import CHARGE, URL, _aiohttp, _http_client, _httpx, _httpx_async, _requests, _urllib3

import recorder
from recorder.providers import build_registry
from recorder.record import RecordConfig, RecordMode, RecordSession, Upstream
from recorder.record.forward import UpstreamError


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_standin(authority: trustme.CA):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    server = StandIn(tls=context)
    server.route("POST", r"/v1/charges", lambda got: json_reply(200, {**CHARGE, "sent": got.form()}))
    with server:
        yield server


@pytest.fixture
def trusted(authority: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stand-in's CA is trusted the way a user trusts a corporate CA: SSL_CERT_FILE."""
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))


def record(tmp_path: Path, standin: StandIn) -> RecordSession:
    registry = build_registry()
    config = RecordConfig(providers=(registry.get("stripe"),), cassette_dir=tmp_path / "cassettes", name="tls",
                          mode=RecordMode.ONCE, targets={"*": Upstream.from_url(standin.url)})
    return RecordSession(config, registry)


@pytest.mark.parametrize("client", [_requests, _httpx, _httpx_async, _aiohttp, _urllib3, _http_client],
                         ids=["requests", "httpx", "httpx-async", "aiohttp", "urllib3", "http.client"])
def test_every_client_is_recorded_through_an_https_upstream(tmp_path, tls_standin, trusted, client) -> None:
    with record(tmp_path, tls_standin):
        body = client()
    assert body["amount"] == 2498 and body["sent"]["metadata[order_id]"] == "7"
    [interaction] = yaml.safe_load((tmp_path / "cassettes/stripe/tls.yaml").read_text())["interactions"]
    assert interaction["request"]["uri"] == URL
    assert len(tls_standin.received) == 1


def test_an_untrusted_certificate_is_refused_naming_the_upstream(tmp_path, tls_standin) -> None:
    with pytest.raises(UpstreamError, match=r"could not reach https://127\.0\.0\.1:\d+ .*CERTIFICATE_VERIFY_FAILED"):
        with record(tmp_path, tls_standin):
            requests.post(URL, data={"amount": 2498})
    assert not (tmp_path / "cassettes/stripe/tls.yaml").exists()


def test_replay_in_mode_new_records_over_https(tmp_path, tls_standin, trusted) -> None:
    """The Python API's record modes forward through the same TLS path."""
    cassette = tmp_path / "stripe" / "new.yaml"
    with recorder.replay(cassette, mode="new", target=f"stripe={tls_standin.url}"):
        assert requests.post(URL, data={"amount": 2498}).json()["amount"] == 2498
    with recorder.replay(cassette) as session:
        assert requests.post(URL, data={"amount": 2498}).json()["amount"] == 2498
    assert [call.source for call in session.calls()] == ["cassette"]

"""Recording in-process with ``RecordSession``: every supported client, every mode, the network rules.

Given a stand-in sandbox on 127.0.0.1 and a session recording Stripe with ``--target`` pointing
at it, when the code under test calls https://api.stripe.com with <client>, then the client
gets the stand-in's answer, and the cassette records the real Stripe URL.
"""
from __future__ import annotations

import asyncio
import http.client
import json
from pathlib import Path

import aiohttp
import httpx
import pytest
import requests
import urllib3
import yaml
from standin import StandIn, json_reply

from recorder.cassette import load_cassette
from recorder.providers import build_registry
from recorder.record import (NetworkBlocked, RecordConfig, RecordMode, RecordSession, UnmatchedRequest,
                             Upstream)

CHARGE = {"id": "ch_1", "object": "charge", "amount": 2498, "currency": "usd", "status": "succeeded"}
URL = "https://api.stripe.com/v1/charges"


@pytest.fixture
def standin():
    server = StandIn()
    server.route("POST", r"/v1/charges", lambda got: json_reply(200, {**CHARGE, "sent": got.form()}))
    server.route("GET", r"/v1/charges/ch_1", lambda got: json_reply(200, CHARGE, gzipped=True))
    server.route("GET", r"/local", lambda got: (200, {"Content-Type": "text/plain"}, b"local"))
    with server:
        yield server


def session_for(tmp_path: Path, standin: StandIn, mode: RecordMode = RecordMode.ONCE, **kw) -> RecordSession:
    registry = build_registry()
    config = RecordConfig(providers=(registry.get("stripe"),), cassette_dir=tmp_path, name="flow", mode=mode,
                          targets={"*": Upstream.from_url(standin.url)}, **kw)
    return RecordSession(config, registry)


def recorded(tmp_path: Path) -> list[dict]:
    return yaml.safe_load((tmp_path / "stripe/flow.yaml").read_text())["interactions"]


def _requests() -> dict:
    return requests.post(URL, data={"amount": 2498, "metadata[order_id]": "7"},
                         headers={"Authorization": "Bearer sk_test_abcdefghijklmnopqrstuvwx"}).json()


def _httpx() -> dict:
    with httpx.Client() as client:
        return client.post(URL, data={"amount": "2498", "metadata[order_id]": "7"},
                           headers={"Authorization": "Bearer sk_test_abcdefghijklmnopqrstuvwx"}).json()


def _httpx_async() -> dict:
    async def call() -> dict:
        async with httpx.AsyncClient() as client:
            response = await client.post(URL, data={"amount": "2498", "metadata[order_id]": "7"})
            return response.json()
    return asyncio.run(call())


def _aiohttp() -> dict:
    async def call() -> dict:
        async with aiohttp.ClientSession() as session:
            async with session.post(URL, data={"amount": "2498", "metadata[order_id]": "7"}) as response:
                return await response.json()
    return asyncio.run(call())


def _urllib3() -> dict:
    response = urllib3.PoolManager().request("POST", URL, fields={"amount": "2498", "metadata[order_id]": "7"},
                                             encode_multipart=False)
    return json.loads(response.data)


def _http_client() -> dict:
    conn = http.client.HTTPSConnection("api.stripe.com")
    conn.request("POST", "/v1/charges", body="amount=2498&metadata[order_id]=7",
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    return json.loads(conn.getresponse().read())


@pytest.mark.parametrize("client", [_requests, _httpx, _httpx_async, _aiohttp, _urllib3, _http_client],
                         ids=["requests", "httpx", "httpx-async", "aiohttp", "urllib3", "http.client"])
def test_every_client_is_recorded_under_the_providers_real_url(tmp_path, standin, client) -> None:
    with session_for(tmp_path, standin):
        body = client()
    assert body["amount"] == 2498 and body["sent"]["metadata[order_id]"] == "7"
    [interaction] = recorded(tmp_path)
    assert interaction["request"]["uri"] == URL
    assert interaction["request"]["method"] == "POST"
    assert interaction["provider"] == "stripe"
    assert "sk_test_abcdefghijklmnopqrstuvwx" not in (tmp_path / "stripe/flow.yaml").read_text()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # aiohttp 3.14 deprecates BasicAuth, still in use
@pytest.mark.parametrize("base_url", [None, "https://api.stripe.com"])
def test_an_aiohttp_sessions_default_auth_reaches_the_sandbox_and_not_the_cassette(tmp_path, standin,
                                                                                   base_url) -> None:
    async def call() -> None:
        auth = aiohttp.BasicAuth("sk_test_abcdefghijklmnopqrstuvwx", "")
        async with aiohttp.ClientSession(base_url=base_url, auth=auth) as session:
            async with session.post(URL if base_url is None else "/v1/charges", data={"amount": "1"}) as response:
                await response.read()
            async with session.get(URL + "/ch_1", headers={"Authorization": "Bearer sk_test_zyxwvutsrqponmlkjihgfedc"}) as response:
                pass

    with session_for(tmp_path, standin):
        with pytest.raises(ValueError, match="Cannot combine AUTHORIZATION header"):
            asyncio.run(call())
    sent = {name.lower(): value for name, value in standin.received[0].headers.items()}
    assert sent["authorization"] == aiohttp.BasicAuth("sk_test_abcdefghijklmnopqrstuvwx").encode()
    text = (tmp_path / "stripe/flow.yaml").read_text()
    assert "Basic <REDACTED>" in text and "c2tfdGVzd" not in text


def test_gzip_response_reaches_the_client_decoded_and_the_cassette_readable(tmp_path, standin) -> None:
    with session_for(tmp_path, standin):
        assert requests.get(URL + "/ch_1").json()["id"] == "ch_1"
    text = (tmp_path / "stripe/flow.yaml").read_text()
    assert '"amount": 2498' in text  # a reviewer sees the JSON, not base64 of gzip


def test_loopback_passes_untouched_and_is_not_recorded(tmp_path, standin) -> None:
    with session_for(tmp_path, standin, block_network=True) as session:
        assert requests.get(standin.url + "/local").text == "local"
    assert not (tmp_path / "stripe/flow.yaml").exists()
    assert [r.uri for r, _ in session.passed] == [standin.url + "/local"]


def test_block_network_refuses_other_hosts_naming_the_host(tmp_path, standin) -> None:
    with session_for(tmp_path, standin, block_network=True):
        with pytest.raises(NetworkBlocked, match="host example.org is not one of the recorded providers"):
            requests.get("https://example.org/anything")


def test_mode_once_replays_an_existing_cassette_without_touching_the_sandbox(tmp_path, standin) -> None:
    with session_for(tmp_path, standin):
        first = _requests()
    hits = len(standin.received)
    with session_for(tmp_path, standin):
        again = _requests()
        with pytest.raises(UnmatchedRequest, match="use --mode new"):
            requests.post(URL, data={"amount": 100})
    assert again == first and len(standin.received) == hits
    assert len(recorded(tmp_path)) == 1


def test_mode_new_keeps_what_was_recorded_and_adds_the_new_call(tmp_path, standin) -> None:
    with session_for(tmp_path, standin):
        _requests()
    with session_for(tmp_path, standin, RecordMode.NEW):
        _requests()  # replayed
        requests.post(URL, data={"amount": 100})  # recorded
    interactions = recorded(tmp_path)
    assert len(interactions) == 2
    assert len(standin.received) == 2


def test_mode_all_replaces_the_cassette(tmp_path, standin) -> None:
    with session_for(tmp_path, standin):
        _requests()
    with session_for(tmp_path, standin, RecordMode.ALL):
        requests.post(URL, data={"amount": 100})
    [only] = recorded(tmp_path)
    assert "amount=100" in only["request"]["body"]


def test_api_version_header_is_kept_as_metadata(tmp_path, standin) -> None:
    with session_for(tmp_path, standin):
        requests.post(URL, data={"amount": 1}, headers={"Stripe-Version": "2023-08-16"})
    cassette = load_cassette(tmp_path / "stripe/flow.yaml")
    assert cassette.interactions[0].api_version == "2023-08-16"


def test_a_users_own_provider_from_pyproject_is_recorded(tmp_path) -> None:
    registry = build_registry({"acme": {"hosts": ["api.acme.test"], "body_encoding": "json",
                                        "secrets": {"headers": ["X-Acme-Key"]}}})
    server = StandIn().route("GET", r"/v2/things", lambda got: json_reply(200, {"things": []}))
    with server:
        config = RecordConfig(providers=(registry.get("acme"),), cassette_dir=tmp_path, name="acme",
                              targets={"*": Upstream.from_url(server.url)})
        with RecordSession(config, registry):
            requests.get("https://api.acme.test/v2/things", headers={"X-Acme-Key": "k_live_0123456789abcdef"})
    text = (tmp_path / "acme/acme.yaml").read_text()
    assert "https://api.acme.test/v2/things" in text and "k_live_0123456789abcdef" not in text

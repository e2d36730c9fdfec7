"""Mode ``once`` and the hosts a cassette does not cover: answered, recorded or refused, never sent.

Given a cassette of a charge on api.stripe.com (recorded in mode once against a stand-in on
127.0.0.1 that ``target=`` points at), when a later block in mode once also calls a host the
cassette does not cover (another Stripe host, files.stripe.com; another provider's host; a host
no provider claims), then that call fails naming the request and the cassette, nothing reaches
the stand-in or the network, and the cassette is left as it was; loopback still passes. In mode
``new`` the same call is recorded and appended; in mode ``all`` the cassette is re-recorded.

There is no internet here: a call that leaked would fail with a DNS error instead of recorder's
error, and a call forwarded to the stand-in shows up in its ``received`` list.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import requests
import yaml
from standin import StandIn, json_reply

import recorder
from recorder.providers import build_registry
from recorder.record import NetworkBlocked, RecordConfig, RecordMode, RecordSession, UnmatchedRequest, Upstream

CHARGES = "https://api.stripe.com/v1/charges"
FILE = "https://files.stripe.com/v1/files/file_1"
SECRET = "pi_1_secret_" + "s" * 24
SMS = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"


def _with_requests(url: str) -> dict:
    return requests.get(url, timeout=5).json()


def _with_httpx(url: str) -> dict:
    with httpx.Client(timeout=5) as client:
        return client.get(url).json()


CLIENTS = pytest.mark.parametrize("fetch", [_with_requests, _with_httpx], ids=["requests", "httpx"])


@pytest.fixture
def sandbox() -> Iterator[StandIn]:
    """Stands in for every Stripe and Twilio host at once (``target=`` sends them all here)."""
    server = StandIn()
    server.route("POST", r"/v1/charges",
                 lambda got: json_reply(200, {"id": "ch_1", "amount": int(got.form()["amount"])}))
    with other_hosts(server):
        yield server


def other_hosts(server: StandIn) -> StandIn:
    """The calls beside the recorded one: Stripe's files host, Twilio, and the app's own /health."""
    server.route("GET", r"/v1/files/file_1", lambda got: json_reply(200, {"id": "file_1", "object": "file"}))
    server.route("POST", r"/2010-04-01/Accounts/AC1/Messages.json", lambda got: json_reply(201, {"sid": "SM1"}))
    server.route("GET", r"/health", lambda got: (200, {"Content-Type": "text/plain"}, b"ok"))
    return server


@pytest.fixture
def recorded_charge(tmp_path: Path, sandbox: StandIn) -> Path:
    """Given: cassettes/stripe/checkout.yaml, one charge on api.stripe.com, recorded in mode once."""
    cassette = tmp_path / "cassettes" / "stripe" / "checkout.yaml"
    with recorder.replay(cassette, mode="once", target=sandbox.url):
        charge()
    assert uris(cassette) == [CHARGES] and len(sandbox.received) == 1
    return cassette


def charge() -> dict:
    return requests.post(CHARGES, data={"amount": 2498}, timeout=5).json()


def uris(cassette: Path) -> list[str]:
    return [i["request"]["uri"] for i in yaml.safe_load(cassette.read_text())["interactions"]]


@CLIENTS
def test_once_refuses_another_host_of_the_recorded_provider_naming_request_and_cassette(
        recorded_charge: Path, sandbox: StandIn, fetch: Callable[[str], dict]) -> None:
    before = recorded_charge.read_bytes()
    with pytest.raises(NetworkBlocked) as refused:
        with recorder.replay(recorded_charge, mode="once", target=sandbox.url) as session:
            assert charge()["amount"] == 2498  # what the cassette covers is answered from it
            fetch(FILE)
    assert f"GET {FILE}" in str(refused.value) and str(recorded_charge) in str(refused.value)
    assert [c.source for c in session.calls()] == ["cassette"]
    assert len(sandbox.received) == 1 and recorded_charge.read_bytes() == before  # not sent, not recorded


@pytest.mark.parametrize("url", [SMS, "https://api.example.test/v1/things"], ids=["other-provider", "no-provider"])
def test_once_refuses_hosts_of_other_providers_and_of_none(recorded_charge: Path, sandbox: StandIn,
                                                            url: str) -> None:
    with pytest.raises(NetworkBlocked, match=f"POST {url} goes to .*{recorded_charge.name}"):
        with recorder.replay(recorded_charge, mode="once", target=sandbox.url):
            requests.post(url, data={"Body": "shipped"}, timeout=5)
    assert len(sandbox.received) == 1


def test_once_lets_loopback_pass_beside_an_existing_cassette(recorded_charge: Path, sandbox: StandIn) -> None:
    with recorder.replay(recorded_charge, mode="once", target=sandbox.url) as session:
        assert requests.get(sandbox.url + "/health", timeout=5).text == "ok"
        charge()
    assert [c.source for c in session.calls()] == ["network", "cassette"]


def test_once_records_a_missing_cassette_beside_an_existing_one_and_refuses_the_rest(
        recorded_charge: Path, sandbox: StandIn) -> None:
    """Given the Stripe cassette and a Twilio one that does not exist yet: Twilio's calls are
    recorded (its cassette is new), a Stripe host the Stripe cassette lacks is still refused."""
    sms = recorded_charge.parent.parent / "twilio" / "sms.yaml"
    with pytest.raises(NetworkBlocked, match=f"GET {FILE} goes to files.stripe.com"):
        with recorder.replay([recorded_charge, sms], mode="once", target=sandbox.url) as session:
            assert requests.post(SMS, data={"Body": "shipped"}, timeout=5).json() == {"sid": "SM1"}
            requests.get(FILE, timeout=5)
    assert [(c.provider, c.source) for c in session.calls()] == [("twilio", "network")]
    assert uris(sms) == [SMS] and uris(recorded_charge) == [CHARGES]
    assert [r.path for r in sandbox.received][1:] == ["/2010-04-01/Accounts/AC1/Messages.json"]


@CLIENTS
def test_new_records_another_host_of_the_provider_into_the_existing_cassette(
        recorded_charge: Path, sandbox: StandIn, fetch: Callable[[str], dict]) -> None:
    with recorder.replay(recorded_charge, mode="new", target=sandbox.url) as session:
        charge()
        assert fetch(FILE) == {"id": "file_1", "object": "file"}
    assert [c.source for c in session.calls()] == ["cassette", "network"]
    assert uris(recorded_charge) == [CHARGES, FILE]  # the real host, not the stand-in's
    with recorder.replay(recorded_charge, strict=True) as replayed:  # and plain replay plays both
        charge(), fetch(FILE)
    assert [c.source for c in replayed.calls()] == ["cassette", "cassette"]
    assert len(sandbox.received) == 2


def test_all_re_records_the_cassette_with_every_host_called(recorded_charge: Path, sandbox: StandIn) -> None:
    with recorder.replay(recorded_charge, mode="all", target=sandbox.url) as session:
        charge(), requests.get(FILE, timeout=5)
    assert [c.source for c in session.calls()] == ["network", "network"]
    assert uris(recorded_charge) == [CHARGES, FILE] and len(sandbox.received) == 3


def test_a_record_session_keeps_the_hosts_of_a_cassette_its_caller_replays(recorded_charge: Path,
                                                                           sandbox: StandIn) -> None:
    """``RecordConfig.replayed_by_caller`` (the pytest plugin's mode once): the session neither
    loads nor records that cassette, yet a call to any of the provider's hosts that reaches it is
    refused naming the cassette, instead of passing as a host nobody records."""
    registry = build_registry()
    before = recorded_charge.read_bytes()
    config = RecordConfig(providers=(registry.get("twilio"),), cassette_dir=recorded_charge.parent.parent,
                          name="flow", mode=RecordMode.ONCE, targets={"*": Upstream.from_url(sandbox.url)},
                          replayed_by_caller={"stripe": recorded_charge})
    with RecordSession(config, registry) as session:
        with pytest.raises(NetworkBlocked, match=f"GET {FILE} is not recorded in {recorded_charge}") as refused:
            requests.get(FILE, timeout=5)
        assert isinstance(refused.value, UnmatchedRequest)  # the same kind recorder.replay(mode="once") raises
        with pytest.raises(UnmatchedRequest, match=r"/v1/charges\?client_secret=<secret> is not recorded") as masked:
            requests.get(CHARGES, params={"client_secret": SECRET}, timeout=5)  # the caller would answer it
        assert SECRET not in str(masked.value)
        assert session.unplayed() == [] and session.replayed_from == []  # the caller's to replay
    assert session.written == [] and recorded_charge.read_bytes() == before
    assert len(sandbox.received) == 1

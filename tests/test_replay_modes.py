"""Record modes of ``recorder.replay``: the same test block records, replays, or both.

Given a Stripe stand-in on 127.0.0.1 (``target=``) and a test block that charges a card with a
real client, when the block runs in mode once / new / all, then the cassette is recorded,
replayed or re-recorded as vcrpy's modes say, with the credential scrubbed before it is written,
and the session's call log tells which calls came from the cassette and which were recorded.
"""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import requests
import yaml
from reference_mocks import TWILIO_MOCK
from standin import StandIn, json_reply

import recorder
from recorder.errors import BadInput
from recorder.record import NetworkBlocked
from recorder.replay import DriftError, UnusedInteractions, UnusedInteractionsWarning

URL = "https://api.stripe.com/v1/charges"
KEY = "sk_test_" + "Q" * 24
CHARGE = {"id": "ch_1", "object": "charge", "currency": "usd", "status": "succeeded"}


@pytest.fixture
def stripe():
    server = StandIn()
    server.route("POST", r"/v1/charges", lambda got: json_reply(200, {**CHARGE, "amount": int(got.form()["amount"])}))
    server.route("GET", r"/health", lambda got: (200, {"Content-Type": "text/plain"}, b"ok"))
    with server:
        yield server


@pytest.fixture
def cassette(tmp_path: Path) -> Path:
    return tmp_path / "cassettes" / "stripe" / "checkout.yaml"


def charge(amount: int) -> dict:
    return requests.post(URL, data={"amount": amount, "currency": "usd"},
                         headers={"Authorization": f"Bearer {KEY}"}).json()


def recorded_amounts(cassette: Path) -> list[str]:
    return [i["request"]["body"] for i in yaml.safe_load(cassette.read_text())["interactions"]]


def test_once_records_a_missing_cassette_then_only_replays_it(stripe: StandIn, cassette: Path) -> None:
    with recorder.replay(cassette, mode="once", target=stripe.url) as first:
        assert charge(2498)["amount"] == 2498
    assert [c.source for c in first.calls()] == ["network"] and len(stripe.received) == 1
    assert stripe.received[0].headers["Authorization"] == f"Bearer {KEY}"  # the sandbox got the key...
    assert KEY not in cassette.read_text() and "2498" in cassette.read_text()  # ...the cassette did not

    # The cassette exists: once records nothing and replays it exactly as mode replay does.
    with pytest.raises(DriftError, match=r"body\.amount: recorded 2498, sent 100") as missed:
        with recorder.replay(cassette, mode="once", target=stripe.url) as again:
            assert charge(2498)["amount"] == 2498
            charge(100)
    assert missed.value.report.candidates  # the closest recording, as data
    assert [c.source for c in again.calls()] == ["cassette"]
    assert len(stripe.received) == 1 and recorded_amounts(cassette) == ["amount=2498&currency=usd"]


def test_new_replays_what_is_recorded_and_records_the_rest(stripe: StandIn, cassette: Path) -> None:
    with recorder.replay(cassette, mode="once", target=stripe.url):
        charge(2498)
    with recorder.replay(cassette, mode="new", target=stripe.url) as session:
        assert charge(2498)["amount"] == 2498
        assert charge(100)["amount"] == 100
    assert [c.source for c in session.calls()] == ["cassette", "network"]
    assert len(stripe.received) == 2
    assert recorded_amounts(cassette) == ["amount=2498&currency=usd", "amount=100&currency=usd"]
    with recorder.replay(cassette) as replayed:  # and plain replay now has both
        assert charge(100)["amount"] == 100 and charge(2498)["amount"] == 2498
    assert [c.source for c in replayed.calls()] == ["cassette", "cassette"]


@pytest.mark.parametrize("mode", ["once", "new"])
def test_once_and_new_report_recorded_interactions_never_played_as_replay_does(stripe: StandIn, cassette: Path,
                                                                               mode: str) -> None:
    """Given a cassette of two charges, a block that plays one: a warning, or with strict=True a failure."""
    with recorder.replay(cassette, mode="once", target=stripe.url):
        charge(2498), charge(100)
    with pytest.warns(UnusedInteractionsWarning, match=r"1 recorded interaction\(s\) never played"):
        with recorder.replay(cassette, mode=mode, target=stripe.url) as session:
            charge(2498)
    assert [str(u).split(" interaction ")[1] for u in session.unused] == ["1: POST https://api.stripe.com/v1/charges"]
    with pytest.raises(UnusedInteractions, match="never played"):
        with recorder.replay(cassette, mode=mode, strict=True, target=stripe.url):
            charge(2498)
    assert len(stripe.received) == 2  # nothing went out after the recording


@pytest.mark.parametrize("mode", ["all", "record"])
def test_all_and_its_alias_record_re_record_everything(stripe: StandIn, cassette: Path, mode: str) -> None:
    with recorder.replay(cassette, mode="once", target=stripe.url):
        charge(2498)
    with recorder.replay(cassette, mode=mode, target=stripe.url) as session:
        with httpx.Client() as client:
            client.post(URL, data={"amount": "7", "currency": "usd"})
    assert [c.source for c in session.calls()] == ["network"] and len(stripe.received) == 2
    assert recorded_amounts(cassette) == ["amount=7&currency=usd"]
    assert [w.recorded for w in session.written] == [1]


def test_while_recording_mocks_answer_loopback_passes_and_other_hosts_are_blocked(
        stripe: StandIn, cassette: Path, tmp_path: Path) -> None:
    mock = tmp_path / "mock-twilio.yaml"
    mock.write_text(TWILIO_MOCK)
    with pytest.raises(NetworkBlocked, match="goes to api.easypost.com"):
        with recorder.replay(cassette, mocks=[mock], mode="once", target=stripe.url) as session:
            charge(2498)
            sent = requests.post("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json", data={"To": "1"})
            assert sent.status_code == 201 and sent.json()["sid"] == "SM_test_456"
            assert requests.get(stripe.url + "/health").text == "ok"
            requests.post("https://api.easypost.com/v2/shipments", json={})
    assert [(c.source, c.provider) for c in session.calls()] == [
        ("network", "stripe"), ("mock", "twilio"), ("network", None)]
    assert len(recorded_amounts(cassette)) == 1  # what was recorded before the failure is kept


def test_a_cassette_outside_a_provider_folder_must_say_its_provider(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="cannot tell which provider"):
        with recorder.replay(tmp_path / "checkout.yaml", mode="once"):
            pass
    with pytest.raises(BadInput, match="unknown replay mode 'sometimes'"):
        recorder.replay(tmp_path / "checkout.yaml", mode="sometimes")


def test_an_aiohttp_json_body_is_recorded_and_matched_as_json(cassette: Path) -> None:
    """aiohttp's ``json={"amount": 2498}`` is a flat dict, like a ``data=`` form: it must go out as JSON."""
    import asyncio
    import json

    import aiohttp

    server = StandIn().route("POST", r"/v1/charges", lambda got: json_reply(
        200, {"content_type": got.headers["Content-Type"], "sent": json.loads(got.body)}))

    async def post(**body: object) -> dict:
        async with aiohttp.ClientSession() as session:
            async with session.post(URL, **body) as response:
                return await response.json()

    with server, recorder.replay(cassette, mode="once", target=server.url):
        echoed = asyncio.run(post(json={"amount": 2498, "currency": "usd"}))
    assert echoed == {"content_type": "application/json", "sent": {"amount": 2498, "currency": "usd"}}
    assert '"amount": 2498' in cassette.read_text()
    with recorder.replay(cassette, allow_repeats=True) as session:  # the same call, from any client
        assert asyncio.run(post(json={"currency": "usd", "amount": 2498}))["sent"]["amount"] == 2498
        assert requests.post(URL, json={"amount": 2498, "currency": "usd"}).json()["sent"]["currency"] == "usd"
    session.assert_body("$.amount", "eq", 2498)


# -- the decorator form on async test functions ---------------------------------------------------
CHECKOUT = Path(__file__).resolve().parents[1] / "cassettes" / "stripe" / "checkout_happy_path.yaml"
CHECKOUT_FORM = {"amount": "2498", "currency": "usd", "source": "tok_visa", "description": "Order #11",
                 "metadata[order_id]": "11"}


def test_the_decorator_keeps_replay_on_while_an_async_httpx_test_awaits() -> None:
    """Given the repo's checkout cassette, when an ``async def`` decorated with replay charges the
    card through httpx, then the charge comes from the cassette (not from the network)."""
    import asyncio

    @recorder.replay(CHECKOUT)
    async def pay() -> dict:
        async with httpx.AsyncClient() as client:
            return (await client.post(URL, data=CHECKOUT_FORM)).json()

    assert asyncio.run(pay())["amount"] == 2498
    assert asyncio.run(pay())["amount"] == 2498  # a fresh session per call, like a re-run test


def test_the_decorator_keeps_replay_on_while_an_async_aiohttp_test_awaits() -> None:
    import asyncio

    import aiohttp

    @recorder.replay(CHECKOUT, strict=True)
    async def pay() -> int:
        async with aiohttp.ClientSession() as session:
            async with session.post(URL, data=CHECKOUT_FORM) as response:
                return (await response.json())["amount"]

    assert asyncio.run(pay()) == 2498

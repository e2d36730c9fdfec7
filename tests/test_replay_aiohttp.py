"""aiohttp under replay: every way aiohttp takes a form body matches the recording, and calls it
makes to the app's own loopback servers are passed through *and* logged like any other client's.

Given the repo's Stripe checkout cassette (a form-encoded charge of 2498 usd), when aiohttp sends
that form as a dict, a list of pairs or a ``FormData``, then the recorded charge answers.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from standin import StandIn, json_reply

import recorder

CHECKOUT = Path(__file__).resolve().parents[1] / "cassettes" / "stripe" / "checkout_happy_path.yaml"
URL = "https://api.stripe.com/v1/charges"
PAIRS = [("amount", "2498"), ("currency", "usd"), ("source", "tok_visa"), ("description", "Order #11"),
         ("metadata[order_id]", "11")]


async def _post(data: Any) -> dict:
    async with aiohttp.ClientSession() as session:
        async with session.post(URL, data=data) as response:
            return await response.json()


@pytest.mark.parametrize("data", [dict(PAIRS), PAIRS, lambda: aiohttp.FormData(PAIRS)],
                         ids=["dict", "list-of-pairs", "FormData"])
def test_every_aiohttp_form_shape_matches_the_recorded_charge(data: Any) -> None:
    with recorder.replay(CHECKOUT) as session:
        charge = asyncio.run(_post(data() if callable(data) else data))
    assert charge["amount"] == 2498 and charge["currency"] == "usd"
    [call] = session.calls(provider="stripe", method="POST", path="/v1/charges")
    assert call.request_data()["metadata"] == {"order_id": "11"}


def test_aiohttp_loopback_calls_pass_through_and_are_logged() -> None:
    async def health(url: str) -> dict:
        async with aiohttp.ClientSession() as session:
            async with session.get(url) as response:
                return await response.json()

    server = StandIn().route("GET", r"/health", lambda got: json_reply(200, {"ok": True}))
    with server, recorder.replay(CHECKOUT) as session:
        assert asyncio.run(health(f"{server.url}/health")) == {"ok": True}
        asyncio.run(_post(PAIRS))
    assert [(c.source, c.path, c.status) for c in session.calls()] == [
        ("network", "/health", 200), ("cassette", "/v1/charges", 200)]
    assert len(server.received) == 1

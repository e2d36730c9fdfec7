"""Shared bench helpers: synthetic but realistic Stripe cassettes, built with recorder's own model.

Every interaction is distinct (its own charge id in the URL or its own JSON body), so a matcher
can never answer from the wrong recording by accident. The charge object is a real one from
Stripe's published fixtures when ../shared is beside the checkout, else a literal copy of one.
"""
from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from recorder.cassette import Body, Cassette, Headers, Interaction, Request, Response, write_cassette

FIXTURES = (Path(__file__).resolve().parents[1].parent / "shared" / "specs" / "stripe"
            / "fixtures3.api-2023-08-16.v524_2023-09-12.json")
API_VERSION = "2023-08-16"
CHARGES = "https://api.stripe.com/v1/charges"

T = TypeVar("T")

_LITERAL_CHARGE: dict[str, Any] = {
    "id": "ch_0000", "object": "charge", "amount": 100, "amount_captured": 0, "amount_refunded": 0,
    "application": None, "application_fee": None, "application_fee_amount": None,
    "balance_transaction": "txn_0000",
    "billing_details": {"address": {"city": None, "country": None, "line1": None, "line2": None,
                                    "postal_code": None, "state": None},
                        "email": None, "name": None, "phone": None},
    "calculated_statement_descriptor": None, "captured": False, "created": 1234567890,
    "currency": "usd", "customer": None, "description": None, "disputed": False,
    "failure_balance_transaction": None, "failure_code": None, "failure_message": None,
    "fraud_details": {}, "invoice": None, "livemode": False, "metadata": {}, "on_behalf_of": None,
    "outcome": None, "paid": True, "payment_intent": None, "payment_method": "card_0000",
    "payment_method_details": {"card": {"brand": "visa", "checks": {"address_line1_check": None,
                                                                   "address_postal_code_check": None,
                                                                   "cvc_check": "pass"},
                                        "country": "US", "exp_month": 8, "exp_year": 2027,
                                        "fingerprint": "Xt5EWLLDS7FJjR1c", "funding": "credit",
                                        "last4": "4242", "network": "visa"},
                               "type": "card"},
    "receipt_email": None, "receipt_number": None, "receipt_url": None, "refunded": False,
    "review": None, "shipping": None, "source_transfer": None, "statement_descriptor": None,
    "statement_descriptor_suffix": None, "status": "succeeded", "transfer_data": None,
    "transfer_group": None,
}


def charge_template() -> dict[str, Any]:
    """A real Stripe charge object (API 2023-08-16), or the literal fallback."""
    try:
        return json.loads(FIXTURES.read_text(encoding="utf-8"))["resources"]["charge"]
    except (OSError, ValueError, KeyError):
        return copy.deepcopy(_LITERAL_CHARGE)


def charge(template: dict[str, Any], n: int, **fields: Any) -> bytes:
    """Charge ``ch_{n}`` as the JSON bytes Stripe sends (pretty, two-space indent, like the API)."""
    obj = dict(template)
    obj.update(id=f"ch_{n}", amount=1000 + n, amount_captured=1000 + n, created=1692000000 + n,
               balance_transaction=f"txn_{n}", **fields)
    return json.dumps(obj, indent=2).encode("utf-8")


def _response(body: bytes, n: int) -> Response:
    return Response(200, "OK", Headers([
        ("Server", ["nginx"]),
        ("Date", ["Wed, 16 Aug 2023 12:00:00 GMT"]),
        ("Content-Type", ["application/json"]),
        ("Content-Length", [str(len(body))]),
        ("Connection", ["keep-alive"]),
        ("Access-Control-Allow-Credentials", ["true"]),
        ("Access-Control-Allow-Methods", ["GET, POST, HEAD, OPTIONS, DELETE"]),
        ("Access-Control-Allow-Origin", ["*"]),
        ("Cache-Control", ["no-cache, no-store"]),
        ("Request-Id", [f"req_{n:014d}"]),
        ("Stripe-Version", [API_VERSION]),
        ("Strict-Transport-Security", ["max-age=63072000; includeSubDomains; preload"]),
    ]), Body(body))


def _request_headers(extra: tuple[tuple[str, list[str]], ...] = ()) -> Headers:
    return Headers((
        ("User-Agent", ["python-requests/2.31.0"]),
        ("Accept-Encoding", ["gzip, deflate"]),
        ("Accept", ["*/*"]),
        ("Connection", ["keep-alive"]),
        ("Authorization", ["Bearer <REDACTED>"]),
        ("Stripe-Version", [API_VERSION]),
    ) + extra)


def get_url(n: int) -> str:
    return f"{CHARGES}/ch_{n}"


def post_body(n: int) -> bytes:
    """The JSON body of POST number ``n`` (what the client sends, compact, like ``json=``)."""
    return json.dumps({"amount": 1000 + n, "currency": "usd", "source": "tok_visa",
                       "description": f"order {n}", "metadata": {"order_id": str(n)}}).encode("utf-8")


def get_cassette(count: int, template: dict[str, Any] | None = None) -> Cassette:
    """``count`` distinct ``GET /v1/charges/ch_{i}`` interactions."""
    template = template or charge_template()
    return Cassette([
        Interaction(Request("GET", get_url(n), _request_headers(), Body()),
                    _response(charge(template, n), n),
                    recorded_at="2023-08-16T12:00:00", provider="stripe", api_version=API_VERSION)
        for n in range(count)])


def post_cassette(count: int, template: dict[str, Any] | None = None) -> Cassette:
    """``count`` JSON ``POST /v1/charges`` interactions to one URL, told apart only by the body."""
    template = template or charge_template()
    interactions = []
    for n in range(count):
        sent = post_body(n)
        headers = _request_headers((("Content-Type", ["application/json"]),
                                    ("Content-Length", [str(len(sent))])))
        interactions.append(Interaction(Request("POST", CHARGES, headers, Body(sent)),
                                        _response(charge(template, n, description=f"order {n}"), n),
                                        recorded_at="2023-08-16T12:00:00", provider="stripe",
                                        api_version=API_VERSION))
    return Cassette(interactions)


def write(cassette: Cassette, folder: str | Path, name: str) -> Path:
    return write_cassette(cassette, Path(folder) / f"{name}.yaml")


def best_of(repeat: int, func: Callable[[], T]) -> tuple[float, T]:
    """Fastest wall time of ``repeat`` calls (perf_counter) and the last call's result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result  # type: ignore[return-value]

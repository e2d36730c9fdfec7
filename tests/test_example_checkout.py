"""The checkout example (examples/checkout/): a shop that pays with Stripe, ships with EasyPost
and notifies with SendGrid and Twilio through their real SDKs, tested with no network.

Given the cassettes `recorder record` wrote for the happy path (cassettes/*/checkout_happy_path.yaml)
or the hand-written mock files in mocks/,
when the shop takes an order and is paid,
then the calls it made say what the business needs: Stripe charged 2498 usd, a label exists, the
buyer got the email and a text with the tracking code; and when Stripe refuses the card,
rate-limits or is slow, the shop reacts as designed and nothing is half done.
"""
from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import pytest
import yaml

import recorder

ROOT = Path(__file__).resolve().parents[1]
CASSETTES = [ROOT / "cassettes" / provider / "checkout_happy_path.yaml"
             for provider in ("stripe", "easypost", "sendgrid", "twilio")]
MOCKS = ROOT / "mocks"
TRACKING = "9400111899223456789012"
TWO_WIDGETS = [{"sku": "WIDGET-001", "quantity": 1}, {"sku": "WIDGET-002", "quantity": 1}]


def _load_shop():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("checkout_shop", ROOT / "examples/checkout/shop.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = module  # type: ignore[union-attr]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


shop_module = _load_shop()


def mocks(*names: str) -> list[Path]:
    return [MOCKS / f"{name}.yaml" for name in names]


def assert_checkout_calls(session) -> None:  # type: ignore[no-untyped-def]
    """What the business needs from the happy path, read off the calls the shop made."""
    charge = dict(provider="stripe", method="POST", path="/v1/charges")
    session.assert_called(times=1, **charge)
    # Stripe takes form bodies: every value arrives as a string.
    session.assert_body("$.amount", "eq", "2498", **charge)
    session.assert_body("$.currency", "eq", "usd", **charge)
    session.assert_body("$.metadata.order_id", "eq", "11", **charge)

    shipment = dict(provider="easypost", method="POST", path="/v2/shipments")
    session.assert_called(times=1, **shipment)
    session.assert_body("$.tracking_code", "exists", part="response", **shipment)
    session.assert_body("$.postage_label.label_url", "exists", part="response", **shipment)

    email = dict(provider="sendgrid", method="POST", path="/v3/mail/send")
    session.assert_called(times=1, **email)
    session.assert_body("$.personalizations[0].to[0].email", "eq", "buyer@example.com", **email)

    sms = dict(provider="twilio", method="POST", path="/2010-04-01/Accounts/*/Messages.json")
    session.assert_called(times=1, **sms)
    session.assert_body("$.To", "eq", "+15551234567", **sms)
    session.assert_body("$.Body", "contains", TRACKING, **sms)


def assert_paid(shop, order) -> None:  # type: ignore[no-untyped-def]
    assert (order.status, order.total_cents, order.tracking_code) == ("paid", 2498, TRACKING)
    assert shop.stock("WIDGET-001") == 49 and shop.stock("WIDGET-002") == 29


def test_order_total_comes_from_the_seeded_prices() -> None:
    shop = shop_module.Shop()
    order = shop.create_order(1, TWO_WIDGETS)
    assert (order.id, order.status, order.total_cents) == (11, "pending", 2498)


def test_happy_path_replays_from_the_recorded_cassettes() -> None:
    shop = shop_module.Shop()
    with recorder.replay(CASSETTES, strict=True) as session:
        order = shop.pay(shop.create_order(1, TWO_WIDGETS).id, "tok_visa")
    assert_paid(shop, order)
    assert_checkout_calls(session)
    assert {call.source for call in session.calls()} == {"cassette"}
    assert len(session.calls()) == 4


def test_happy_path_with_mock_files_only() -> None:
    shop = shop_module.Shop()
    with recorder.replay(mocks=mocks("mock-stripe-success", "mock-easypost-success",
                                     "mock-sendgrid-success", "mock-twilio-success")) as session:
        order = shop.pay(shop.create_order(1, TWO_WIDGETS).id, "pm_test_visa")
    assert_paid(shop, order)
    assert order.label_url == "https://easypost.com/labels/test-label.pdf"
    assert_checkout_calls(session)
    assert {call.source for call in session.calls()} == {"mock"}


def test_declined_card_fails_the_order_and_nothing_else_happens() -> None:
    shop = shop_module.Shop()
    order = shop.create_order(1, TWO_WIDGETS)
    with recorder.replay(mocks=mocks("mock-stripe-card-declined", "mock-easypost-success",
                                     "mock-sendgrid-success", "mock-twilio-success")) as session:
        with pytest.raises(shop_module.PaymentFailed) as refused:
            shop.pay(order.id, "pm_test_visa")
    assert refused.value.status == 402
    assert "declined" in str(refused.value)
    assert (refused.value.code, refused.value.decline_code) == ("card_declined", "generic_decline")
    [charge] = session.assert_called(provider="stripe", path="/v1/charges", times=1)
    assert charge.status == 402
    session.assert_not_called(host="api.easypost.com")
    session.assert_not_called(host="api.sendgrid.com")
    session.assert_not_called(provider="twilio")
    assert shop.order(order.id).status == "payment_failed"
    assert shop.stock("WIDGET-001") == 50 and shop.stock("WIDGET-002") == 30


def test_rate_limit_surfaces_retry_after_and_leaves_the_order_pending() -> None:
    shop = shop_module.Shop()
    order = shop.create_order(1, TWO_WIDGETS)
    with recorder.replay(mocks=mocks("mock-stripe-rate-limited", "mock-easypost-success",
                                     "mock-sendgrid-success", "mock-twilio-success")) as session:
        with pytest.raises(shop_module.RetryLater) as busy:
            shop.pay(order.id, "pm_test_visa")
    assert busy.value.status == 429 and busy.value.retry_after == 2.0
    # The shop decides about retrying, not the SDK: exactly one attempt reached Stripe.
    session.assert_called(provider="stripe", path="/v1/charges", times=1)
    session.assert_not_called(provider="easypost")
    assert shop.order(order.id).status == "pending"
    assert shop.stock("WIDGET-001") == 50


def test_slow_stripe_is_waited_for(tmp_path: Path) -> None:
    slow = yaml.safe_load((MOCKS / "mock-stripe-slow.yaml").read_text())
    assert slow["mockResponseDelay"] == 5000
    slow["mockResponseDelay"] = 300  # same mock, a test-friendly delay
    short = tmp_path / "mock-stripe-slow-300ms.yaml"
    short.write_text(yaml.safe_dump(slow))
    shop = shop_module.Shop()
    order = shop.create_order(1, TWO_WIDGETS)
    with recorder.replay(mocks=[short, *mocks("mock-easypost-success", "mock-sendgrid-success",
                                              "mock-twilio-success")]) as session:
        started = time.perf_counter()
        paid = shop.pay(order.id, "pm_test_visa")
        elapsed = time.perf_counter() - started
    assert elapsed >= 0.3
    assert paid.status == "paid"
    session.assert_called(provider="stripe", path="/v1/charges", times=1)


def test_out_of_stock_is_refused_before_any_provider_call() -> None:
    shop = shop_module.Shop()
    with recorder.replay(mocks=mocks("mock-stripe-success")) as session:
        with pytest.raises(shop_module.InsufficientStock, match="insufficient stock") as refused:
            shop.create_order(1, [{"sku": "GADGET-001", "quantity": 10}])
    assert refused.value.status == 409
    assert len(session.calls()) == 0
    assert shop.stock("GADGET-001") == 5

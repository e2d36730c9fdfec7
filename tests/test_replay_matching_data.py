"""Bodies compare as the provider reads them: booleans in any case for Stripe, JSON numbers by value.

Given real corpus recordings (saleor's Stripe authorize from an older SDK that sent
``confirm=True``; EasyPost's python SDK shipment with ``"length": 10``), when today's SDKs send
the same call (``confirm=true``; ``length`` 10.0), then the recording answers; and a field the test
ignores may be spelled as the drift report prints it, or with ``[*]`` for every list item.
"""
from __future__ import annotations

import copy
import json

import easypost
import pytest
import requests
import stripe
from conftest import CORPUS

import recorder
from recorder.cassette import load_cassette
from recorder.errors import BadInput
from recorder.providers import build_registry
from recorder.replay import DriftError

AUTHORIZE = CORPUS / "cassettes/stripe/saleor__saleor__test_stripe--test_authorize.yaml"
SHIPMENT = CORPUS / "cassettes/easypost/EasyPost__easypost-python__test_shipment_buy.yaml"
pytestmark = [pytest.mark.skipif(not SHIPMENT.is_file(), reason=f"needs the corpus at {CORPUS}"),
              # one call of a two-call recording is made on purpose
              pytest.mark.filterwarnings("ignore::recorder.replay.UnusedInteractionsWarning")]

SHIPPING = {"name": "John Doe", "phone": "+48713988102",
            "address": {"line1": "Tęczowa 7", "line2": "", "city": "WROCŁAW", "state": "",
                        "postal_code": "53-601", "country": "Poland"}}


def recorded_shipment() -> dict:
    return json.loads(load_cassette(SHIPMENT).interactions[0].request.body.decoded)["shipment"]


def test_today_s_stripe_sdk_sending_confirm_true_replays_a_recording_of_confirm_True() -> None:
    assert "confirm=True" in load_cassette(AUTHORIZE).interactions[0].request.body.decoded.decode()
    stripe.api_key = "sk_test_" + "Q" * 24
    with recorder.replay(AUTHORIZE) as session:
        intent = stripe.PaymentIntent.create(payment_method="pm_card_pl", amount=4242, currency="usd",
                                             confirmation_method="manual", confirm=True,
                                             capture_method="automatic", setup_future_usage="on_session",
                                             shipping=SHIPPING)
    assert intent.id == "pi_1F70K4IUmJaD6OqvfXkgsCB9"
    session.assert_body("$.confirm", "eq", "true", path="/v1/payment_intents")


def test_booleans_any_case_is_provider_data_and_must_be_a_boolean() -> None:
    assert build_registry().get("stripe").booleans_any_case
    assert not build_registry().get("easypost").booleans_any_case
    with pytest.raises(BadInput, match="booleans_any_case must be true or false"):
        build_registry({"stripe": {"booleans_any_case": "yes"}})


def test_a_json_number_sent_as_10_0_replays_a_recording_of_10() -> None:
    shipment = recorded_shipment()
    assert shipment["parcel"]["length"] == 10 and isinstance(shipment["parcel"]["length"], int)
    shipment["parcel"]["length"] = 10.0
    with recorder.replay(SHIPMENT) as session:
        created = easypost.EasyPostClient("EZTK_test_key").shipment.create(**shipment)
    assert created.id == "shp_16578f588f9546ec914afd2474e24ff5"
    assert session.calls(path="/v2/shipments")[0].source == "cassette"


@pytest.mark.parametrize("spelled", ["body.shipment.customs_info.customs_items[0].value",
                                     "shipment.customs_info.customs_items[*].value",
                                     "shipment.customs_info.customs_items.*.value",
                                     "shipment.customs_info.customs_items.0.value"])
def test_an_ignored_field_may_be_spelled_as_the_drift_report_prints_it(spelled: str) -> None:
    shipment = copy.deepcopy(recorded_shipment())
    shipment["customs_info"]["customs_items"][0]["value"] = 99.99
    with pytest.raises(DriftError, match=r"body\.shipment\.customs_info\.customs_items\[0\]\.value: recorded 23\.25"):
        with recorder.replay(SHIPMENT):
            requests.post("https://api.easypost.com/v2/shipments", json={"shipment": shipment})
    with recorder.replay(SHIPMENT, ignore_fields=[spelled]) as session:
        requests.post("https://api.easypost.com/v2/shipments", json={"shipment": shipment})
    assert session.calls()[0].source == "cassette"

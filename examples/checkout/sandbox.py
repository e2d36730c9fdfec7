"""A stand-in for the Stripe, EasyPost, SendGrid and Twilio sandboxes, on 127.0.0.1 only.

It exists so the checkout cassettes can be re-recorded without real sandbox accounts:
``recorder record --target <this URL>`` sends the SDKs' traffic here while the cassettes still
name api.stripe.com, api.easypost.com, api.sendgrid.com and api.twilio.com. Against the real
sandboxes you simply leave ``--target`` out.

The four APIs have disjoint paths, so one server on one port answers them all:

    POST /v1/charges                                   Stripe (charge object, 402 for tok_chargeDeclined)
    POST /v2/shipments                                 EasyPost (201 shipment with a label)
    POST /v3/mail/send                                 SendGrid (202, empty body)
    POST /2010-04-01/Accounts/<sid>/Messages.json      Twilio (201 queued message)

Run: ``python examples/checkout/sandbox.py [--port N]``; the first line on stdout is its URL.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

STRIPE_FIXTURES = (Path(__file__).resolve().parents[3] / "shared/specs/stripe"
                   / "fixtures3.api-2023-08-16.v524_2023-09-12.json")
TRACKING_CODE = "9400111899223456789012"
CREATED = "2024-05-01T12:00:00Z"  # fixed, so re-recording does not churn the cassettes

Reply = tuple[int, dict[str, str], bytes]


def _charge_template() -> dict:
    """Stripe's own example charge (what stripe-mock serves), or a trimmed copy of it offline."""
    if STRIPE_FIXTURES.is_file():
        return json.loads(STRIPE_FIXTURES.read_text())["resources"]["charge"]
    return {"id": "ch_1NnlpSGPxmnHQRkJcYsK19E8", "object": "charge", "amount": 100, "amount_captured": 0,
            "amount_refunded": 0, "balance_transaction": "txn_1NnmMBGPxmnHQRkJNo4jmMSX", "captured": False,
            "created": 1234567890, "currency": "usd", "description": None, "livemode": False, "metadata": {},
            "outcome": None, "paid": True, "refunded": False, "status": "succeeded"}


def _json(status: int, data: object, **headers: str) -> Reply:
    return status, {"Content-Type": "application/json", **headers}, json.dumps(data, indent=2).encode()


def stripe_charge(form: list[tuple[str, str]], version: str) -> Reply:
    sent = dict(form)
    if sent.get("source") == "tok_chargeDeclined":  # Stripe's own test token for a refused card
        return _json(402, {"error": {
            "type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
            "message": "Your card was declined.", "charge": "ch_3NnlpSGPxmnHQRkJ0declined",
            "doc_url": "https://stripe.com/docs/error-codes/card-declined"}}, **{"Request-Id": "req_sandbox"})
    charge = dict(_charge_template())
    charge.update(amount=int(sent.get("amount", charge["amount"])), currency=sent.get("currency", "usd"),
                  amount_captured=int(sent.get("amount", charge["amount"])), captured=True,
                  status="succeeded", paid=True)
    if "description" in sent:
        charge["description"] = sent["description"]
    charge["metadata"] = {key[len("metadata["):-1]: value for key, value in form if key.startswith("metadata[")}
    # Stripe answers in the API version the client asked for (the SDK pins one).
    return _json(200, charge, **{"Request-Id": "req_sandbox", "Stripe-Version": version})


def easypost_shipment(body: dict) -> Reply:
    shipment = body.get("shipment", {})
    to_address = {"id": "adr_sandbox_to", "object": "Address", **shipment.get("to_address", {})}
    from_address = {"id": "adr_sandbox_from", "object": "Address", **shipment.get("from_address", {})}
    rate = {"id": "rate_sandbox_1", "object": "Rate", "carrier": "USPS", "service": "GroundAdvantage",
            "rate": "5.93", "currency": "USD", "delivery_days": 3, "shipment_id": "shp_sandbox_789"}
    return _json(201, {
        "id": "shp_sandbox_789", "object": "Shipment", "mode": "test", "status": "pre_transit",
        "reference": shipment.get("reference"), "tracking_code": TRACKING_CODE,
        "created_at": CREATED, "updated_at": CREATED,
        "to_address": to_address, "from_address": from_address,
        "parcel": {"id": "prcl_sandbox", "object": "Parcel", **shipment.get("parcel", {})},
        "rates": [rate], "selected_rate": rate,
        "postage_label": {"id": "pl_sandbox", "object": "PostageLabel", "label_file_type": "image/png",
                          "label_url": "https://easypost-files.s3.us-west-2.amazonaws.com/files/postage_label/"
                                       "20240501/sandbox-label.png", "created_at": CREATED},
        "tracker": {"id": "trk_sandbox", "object": "Tracker", "tracking_code": TRACKING_CODE,
                    "status": "pre_transit", "carrier": "USPS"},
        "messages": [], "options": {}, "is_return": False,
    })


def twilio_message(account_sid: str, form: dict[str, str]) -> Reply:
    sid = "SM" + "5a4db0c1e2f3a4b5c6d7e8f9a0b1c2d3"
    return _json(201, {
        "account_sid": account_sid, "api_version": "2010-04-01", "body": form.get("Body", ""),
        "date_created": "Wed, 01 May 2024 12:00:00 +0000", "date_sent": None,
        "date_updated": "Wed, 01 May 2024 12:00:00 +0000", "direction": "outbound-api",
        "error_code": None, "error_message": None, "from": form.get("From"), "messaging_service_sid": None,
        "num_media": "0", "num_segments": "1", "price": None, "price_unit": "USD", "sid": sid,
        "status": "queued", "to": form.get("To"),
        "subresource_uris": {"media": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}/Media.json"},
        "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
    })


def answer(method: str, path: str, body: bytes, headers: dict[str, str]) -> Reply:
    path = path.split("?", 1)[0]
    if method == "POST" and path == "/v1/charges":
        return stripe_charge(parse_qsl(body.decode(), keep_blank_values=True),
                             headers.get("Stripe-Version", "2023-08-16"))
    if method == "POST" and path == "/v2/shipments":
        return easypost_shipment(json.loads(body or b"{}"))
    if method == "POST" and path == "/v3/mail/send":
        return 202, {"X-Message-Id": "sandbox-message-id"}, b""
    twilio = re.fullmatch(r"/2010-04-01/Accounts/(AC[0-9a-f]{32})/Messages\.json", path)
    if method == "POST" and twilio:
        return twilio_message(twilio.group(1), dict(parse_qsl(body.decode())))
    return _json(404, {"error": f"the checkout sandbox has no route for {method} {path}"})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, payload = answer(self.command, self.path, body, dict(self.headers.items()))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: object) -> None:
        print(f"sandbox: {self.command} {self.path}", file=sys.stderr)


@contextlib.contextmanager
def running(port: int = 0) -> Iterator[str]:
    """The sandbox in a background thread; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), _Handler)
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

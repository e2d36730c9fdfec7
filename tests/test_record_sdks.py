"""Recording real provider SDKs through ``recorder record --target`` against a stand-in on 127.0.0.1.

Given the real stripe / twilio / sendgrid packages from PyPI, a plain Python program that knows
nothing about recorder, and a stand-in sandbox on loopback,
when it runs under ``recorder record --provider X --target <stand-in>``,
then the cassette names the provider's real URL, holds no credential, and plain vcrpy plays it back.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import vcr
import yaml
from standin import StandIn, json_reply, stripe_standin

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
STRIPE_FIXTURES = SHARED / "specs/stripe/fixtures3.api-2023-08-16.v524_2023-09-12.json"

STRIPE_KEY = "sk_test_51Hq2bTLqP9cV3xYzAbCdEfGh7JkLmNoPqRsTuV"
TWILIO_SID = "AC" + "0123456789abcdef0123456789abcdef"
TWILIO_TOKEN = "f3c9a1b2c3d4e5f60718293a4b5c6d7e"
SENDGRID_KEY = "SG.aBcDeFgHiJkLmNoPqRsTuV.wXyZ0123456789aBcDeFgHiJkLmNoPqRsTuVwXyZ0ab"


def run_record(tmp_path: Path, provider: str, target: str, script: str, *extra: str) -> subprocess.CompletedProcess[str]:
    program = tmp_path / "app.py"
    program.write_text(textwrap.dedent(script))
    command = [sys.executable, "-m", "recorder", "record", "--provider", provider, "--target", target,
               "--cassettes", str(tmp_path / "cassettes"), *extra, "--", sys.executable, str(program)]
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "CI": "1"})


def cassette_of(tmp_path: Path, provider: str) -> tuple[str, dict]:
    path = tmp_path / "cassettes" / provider / "app.yaml"
    text = path.read_text()
    return text, yaml.safe_load(text)


@pytest.mark.skipif(not STRIPE_FIXTURES.is_file(), reason="needs ../shared/specs (Stripe fixtures)")
def test_stripe_sdk_records_real_url_without_key_and_vcrpy_replays(tmp_path: Path) -> None:
    script = f"""
        import stripe
        stripe.api_key = {STRIPE_KEY!r}
        charge = stripe.Charge.create(amount=2498, currency="usd", source="tok_visa",
                                      metadata={{"order_id": "1001"}}, expand=["balance_transaction"])
        print(charge.id, charge.amount)
    """
    with stripe_standin(STRIPE_FIXTURES) as standin:
        done = run_record(tmp_path, "stripe", standin.url, script)
    assert done.returncode == 0, done.stderr
    # The stand-in really got the key: recording forwards what the SDK sends.
    assert standin.received[0].headers["Authorization"] == f"Bearer {STRIPE_KEY}"
    assert standin.received[0].form()["metadata[order_id]"] == "1001"

    text, data = cassette_of(tmp_path, "stripe")
    assert STRIPE_KEY not in text and "sk_test_51Hq2b" not in text
    request = data["interactions"][0]["request"]
    assert request["method"] == "POST"
    assert request["uri"] == "https://api.stripe.com/v1/charges"
    assert data["interactions"][0]["response"]["status"]["code"] == 200
    assert "2498" in data["interactions"][0]["response"]["body"]["string"]

    # Plain vcrpy, no network: the SDK gets the recorded charge back.
    import stripe

    stripe.api_key = STRIPE_KEY
    with vcr.use_cassette(str(tmp_path / "cassettes/stripe/app.yaml"), record_mode="none"):
        charge = stripe.Charge.create(amount=2498, currency="usd", source="tok_visa",
                                      metadata={"order_id": "1001"}, expand=["balance_transaction"])
    assert charge.amount == 2498 and charge.id.startswith("ch_")


def test_twilio_sdk_basic_auth_pair_never_reaches_disk(tmp_path: Path) -> None:
    message = {"sid": "SM" + "a" * 32, "status": "queued", "to": "+15551234567", "from": "+15557654321",
               "body": "Your order shipped: 9400111899223456789012", "account_sid": TWILIO_SID,
               "num_segments": "1", "direction": "outbound-api", "price": None, "error_code": None,
               "uri": f"/2010-04-01/Accounts/{TWILIO_SID}/Messages/SM{'a' * 32}.json"}
    standin = StandIn().route("POST", r"/2010-04-01/Accounts/AC[0-9a-f]+/Messages.json",
                              lambda got: json_reply(201, message))
    script = f"""
        from twilio.rest import Client
        client = Client({TWILIO_SID!r}, {TWILIO_TOKEN!r})
        sent = client.messages.create(to="+15551234567", from_="+15557654321",
                                      body="Your order shipped: 9400111899223456789012")
        print(sent.sid, sent.status)
    """
    with standin:
        done = run_record(tmp_path, "twilio", standin.url, script)
    assert done.returncode == 0, done.stderr
    assert standin.received[0].headers["Authorization"].startswith("Basic ")

    text, data = cassette_of(tmp_path, "twilio")
    assert TWILIO_TOKEN not in text
    assert standin.received[0].headers["Authorization"].split()[1] not in text
    interaction = data["interactions"][0]
    assert interaction["request"]["uri"] == f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    assert interaction["response"]["status"]["code"] == 201

    from twilio.rest import Client

    with vcr.use_cassette(str(tmp_path / "cassettes/twilio/app.yaml"), record_mode="none"):
        sent = Client(TWILIO_SID, TWILIO_TOKEN).messages.create(
            to="+15551234567", from_="+15557654321", body="Your order shipped: 9400111899223456789012")
    assert sent.status == "queued"


def test_sendgrid_sdk_bearer_key_scrubbed_and_202_replayed(tmp_path: Path) -> None:
    standin = StandIn().route("POST", r"/v3/mail/send", lambda got: (202, {"X-Message-Id": "abc123"}, b""))
    script = f"""
        from sendgrid import SendGridAPIClient
        from sendgrid.helpers.mail import Mail
        mail = Mail(from_email="shop@example.com", to_emails="buyer@example.com",
                    subject="Order confirmed", plain_text_content="Thanks for your order")
        print(SendGridAPIClient({SENDGRID_KEY!r}).send(mail).status_code)
    """
    with standin:
        done = run_record(tmp_path, "sendgrid", standin.url, script)
    assert done.returncode == 0, done.stderr
    assert standin.received[0].headers["Authorization"] == f"Bearer {SENDGRID_KEY}"

    text, data = cassette_of(tmp_path, "sendgrid")
    assert SENDGRID_KEY not in text and "SG.aBcDeF" not in text
    interaction = data["interactions"][0]
    assert interaction["request"]["uri"] == "https://api.sendgrid.com/v3/mail/send"
    assert "buyer@example.com" in str(interaction["request"]["body"])
    assert interaction["response"]["status"]["code"] == 202

    from sendgrid import SendGridAPIClient
    from sendgrid.helpers.mail import Mail

    with vcr.use_cassette(str(tmp_path / "cassettes/sendgrid/app.yaml"), record_mode="none"):
        status = SendGridAPIClient(SENDGRID_KEY).send(Mail(
            from_email="shop@example.com", to_emails="buyer@example.com",
            subject="Order confirmed", plain_text_content="Thanks for your order")).status_code
    assert status == 202


def test_planted_key_in_response_body_refuses_the_write(tmp_path: Path) -> None:
    planted = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
    standin = StandIn().route("POST", r"/v1/customers", lambda got: json_reply(
        200, {"id": "cus_123", "object": "customer", "description": f"migrated with {planted}"}))
    script = f"""
        import stripe
        stripe.api_key = {STRIPE_KEY!r}
        print(stripe.Customer.create(email="buyer@example.com").id)
    """
    with standin:
        done = run_record(tmp_path, "stripe", standin.url, script)
    assert done.returncode == 1
    assert not (tmp_path / "cassettes/stripe/app.yaml").exists()
    assert not list((tmp_path / "cassettes").rglob("*.tmp*"))
    line = next(l for l in done.stderr.splitlines() if "refusing to write" in l)
    assert "app.yaml" in line and "interaction 0" in line and "response.body" in line
    assert "stripe_secret_key" in line and planted not in done.stderr

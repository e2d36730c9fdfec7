"""Ruby VCR cassettes whose request URI is a regexp (``!ruby/regexp /...Accounts\\/.*\\/Messages\\.json/``).

Given the real Twilio corpus recording from TwilioDevEd's eta-notifications (Rails), whose URI
matches any account, when the real Twilio SDK sends the recorded message under any account SID,
then the recording answers, as it did for Ruby VCR; when the body differs, the miss is a drift
report naming the field, not a claim that no cassette covers Twilio.
"""
from __future__ import annotations

import pytest
from conftest import CORPUS
from twilio.rest import Client

import recorder
from recorder.cassette.regexp_uri import regexp_to_url, uri_pattern
from recorder.replay import DriftError

SEND_SMS = CORPUS / "cassettes/twilio/TwilioDevEd__eta-notifications-rails__send_sms_to_customer.yml"
pytestmark = pytest.mark.skipif(not SEND_SMS.is_file(), reason=f"needs the corpus at {CORPUS}")


def send(account: str, body: str = "notification") -> str:
    client = Client(account, "token")
    return client.messages.create(to="+12025550116", from_="<TWILIO NUMBER>", body=body,
                                  status_callback="http://example.com/orders/1/status").sid


@pytest.mark.parametrize("account", ["AC" + "1" * 32, "AC" + "f" * 32])
def test_any_account_is_answered_by_the_regexp_recording(account: str) -> None:
    with recorder.replay(SEND_SMS) as session:
        assert send(account) == "SMf58dcb46099a4518a7c5a413698eeb30"
    [call] = session.calls(provider="twilio", method="POST")
    assert call.source == "cassette" and f"/Accounts/{account}/Messages.json" in call.url


def test_a_changed_body_is_a_drift_report_on_the_regexp_recording() -> None:
    with pytest.raises(DriftError) as caught, recorder.replay(SEND_SMS):
        send("AC" + "1" * 32, body="your order shipped")
    [candidate] = caught.value.report.candidates
    assert [str(d) for d in candidate.differences] == ["body.Body: recorded notification, sent your order shipped"]


PURCHASE = CORPUS / "cassettes/twilio/TwilioDevEd__call-tracking-rails__purchase-phone-number.yml"


def test_a_regexp_that_cannot_match_the_url_sent_is_named_as_the_difference() -> None:
    """Given the call-tracking recording, whose hand-written regexp left ``?`` unescaped
    (``Applications\\.json?FriendlyName=...``: it can never match a query), when the app asks
    for the application by name, then the report blames the regexp, not a path that matches."""
    account = "AC" + "0" * 32
    with pytest.raises(DriftError) as caught, recorder.replay(PURCHASE):
        Client(account, "token").applications.list(friendly_name="Call tracking app")
    first = caught.value.report.candidates[0]
    assert [d.path for d in first.differences] == ["uri"]
    assert str(first.differences[0]).endswith(
        f"sent https://api.twilio.com/2010-04-01/Accounts/{account}/Applications.json?FriendlyName=Call+tracking+app"
        " (a Ruby VCR regexp that does not match the URL sent)")


def test_ruby_spellings_compile_and_a_plain_uri_is_no_pattern() -> None:
    pattern = uri_pattern(r"/\Ahttps:\/\/api\.twilio\.com\/(?<version>\d{4}-\d\d-\d\d)\/Calls\.json\z/i")
    assert pattern is not None and pattern.match("HTTPS://api.twilio.com/2010-04-01/Calls.json")
    assert uri_pattern("https://api.twilio.com/2010-04-01/Calls.json") is None
    assert regexp_to_url(r"/^https:\/\/api\.twilio\.com\/2010-04-01\/Accounts\/.*\/Messages\.json/") == \
        "https://api.twilio.com/2010-04-01/Accounts/<wildcard>/Messages.json"

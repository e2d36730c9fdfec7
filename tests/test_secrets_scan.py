"""The independent scanner: what counts as a leak, what is only a placeholder, and how it is reported.

The scanner reads serialized bytes, so these specifications feed it cassette text in the
dialects met in the wild (vcrpy YAML, Ruby VCR YAML with ``!binary``, Betamax JSON).
"""
from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import pytest

from recorder.errors import BadInput, SecretLeak
from recorder.secrets import Finding, scan_bytes, scan_guard, scan_paths

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")

# Fake values of real shapes (the corpus's own fakes where it has them).
STRIPE_KEY = "sk_test_2UKAl8THJgdeIAyTH2ABqxAx"
CLIENT_SECRET = "pi_3TUq5B2ESifGlJez1IcQm7th_secret_o7vhKJHMZrH8TLeA9o9e8rsEi"
TWILIO_BASIC = base64.b64encode(b"ACbf8c47f3db4b3f1bfc1b2b525326beeb:9c518ce43def44e14d31a8a5bfede150").decode()
RANDOM_TOKEN = "Zq8vN3kT5xW2pL9mR4bY7cJ1"


def vcrpy(header: str = "Accept", value: str = "*/*", body: str = "", uri: str = "https://api.example.com/v1/x",
          response_body: str = "{}") -> bytes:
    """A one-interaction vcrpy cassette with one request header of our choosing."""
    return f"""interactions:
- request:
    body: {json.dumps(body)}
    headers:
      {header}:
      - {json.dumps(value)}
    method: POST
    uri: {uri}
  response:
    body:
      string: {json.dumps(response_body)}
    headers:
      Content-Type:
      - application/json
    status:
      code: 200
      message: OK
version: 1
""".encode()


def kinds(data: bytes) -> set[str]:
    return {f.kind for f in scan_bytes(data, "c.yaml")}


@pytest.mark.parametrize(("header", "value", "kind"), [
    ("Authorization", f"Bearer {STRIPE_KEY}", "stripe_secret_key"),
    ("Authorization", "Bearer rk_live_51HxYzAbCdEfGhIjKlMnOpQr", "stripe_restricted_key"),
    ("Authorization", f"Basic {TWILIO_BASIC}", "basic_auth_header"),
    ("Authorization", "Bearer SG.aB3dEfGhIjKlMnOpQrStUv.wXyZ0123456789AbCdEfGhIjKlMnOpQrStUvWxYz01", "sendgrid_api_key"),
    ("Authorization", "token ghp_aB3dEfGhIjKlMnOpQrStUvWxYz0123456789", "github_token"),
    ("Authorization", f"Bearer {RANDOM_TOKEN}", "bearer_token"),
    ("X-Api-Key", RANDOM_TOKEN, "high_entropy_auth_value"),
    ("X-Shopify-Access-Token", "shpat_0123456789abcdef0123456789abcdef", "shopify_access_token"),
    ("X-Amz-Credential", "AKIAZ7Q3B5N2W4R6T8Y0/20240101/us-east-1/s3/aws4_request", "aws_access_key"),
])
def test_each_kind_of_credential_in_a_header_is_found(header: str, value: str, kind: str) -> None:
    findings = scan_bytes(vcrpy(header, value), "c.yaml")
    assert [(f.interaction, f.location, f.kind, f.line) for f in findings] == [
        (0, f"request.headers.{header}", kind, 6)]


@pytest.mark.parametrize(("body", "kind"), [
    (json.dumps({"client_secret": CLIENT_SECRET}, indent=2), "stripe_client_secrets"),
    (json.dumps({"setup_intent": {"client_secret": "seti_1TTJdu2ESifGlJezDk0Xping_secret_RT3S8SC34B3NlBDOsmQH3v850qYRmXf"}}),
     "stripe_client_secrets"),
    (json.dumps({"secret": "whsec_Zbrxx98wG8WCn4BhfKgme2K9gsnRYFj3"}), "stripe_webhook_secret"),
    (json.dumps({"secret": "ek_test_gcjBLQDjGw0jx3agIpD1GsEWVyAkKEjY0Dvbjnc6E4fomIH1VuO755x4YFo88v17WIvAvKYD"}),
     "stripe_ephemeral_key"),
    (json.dumps({"account": {"auth_token": "9c518ce43def44e14d31a8a5bfede150"}}), "high_entropy_auth_value"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA...\n-----END RSA PRIVATE KEY-----\n", "private_key"),
])
def test_secrets_in_response_bodies_are_found(body: str, kind: str) -> None:
    findings = scan_bytes(vcrpy(response_body=body), "c.yaml")
    assert {(f.interaction, f.location, f.kind) for f in findings} == {(0, "response.body", kind)}


def test_filter_damage_inside_a_key_does_not_hide_it() -> None:
    """pay-rails replaced every ``x`` and ``secret`` with tokens; most of each key is still there."""
    assert kinds(vcrpy("Authorization", "Bearer sk_test_7<VENDOR_AUTH_CODE>QqektfGGZddL6QyS6TcGDO")) == {
        "stripe_secret_key"}
    damaged = '{"client_<PADDLE_API_KEY>": "pi_3SRzr4KXBGcbgpbZ00RsiEOa_<PADDLE_API_KEY>_LRB7M4XppJtaDPnW2duJundpL"}'
    assert kinds(vcrpy(response_body=damaged)) == {"stripe_client_secrets"}


@pytest.mark.parametrize(("header", "value"), [
    ("Authorization", "Bearer <STRIPE_SECRET_KEY>"),
    ("Authorization", "Bearer <REDACTED>"),
    ("Authorization", "Basic <REDACTED>"),
    ("Authorization", "token <<ACCESS_TOKEN>>"),
    ("Authorization", '"<HIDDEN-AUTHORIZATION-HEADER>"'),
    ("Authorization", "Bearer sk_test_REDACTED"),
    ("Authorization", "Bearer sk_test_xxxxxxxxxxxxxxxxxxxxxxxx"),
    # the eta-notifications cassette: Basic of "your_twilio_account_SID:your_twilio_auth_token"
    ("Authorization", "Basic eW91cl90d2lsaW9fYWNjb3VudF9TSUQ6eW91cl90d2lsaW9fYXV0aF90b2tlbg=="),
    ("Idempotency-Key", "a40cac70-02f7-4128-96c9-13c8b14a7d79"),
    ("X-Request-Id", RANDOM_TOKEN),
])
def test_placeholders_and_non_credentials_are_not_flagged(header: str, value: str) -> None:
    assert kinds(vcrpy(header, value)) == set()


@pytest.mark.parametrize("body", [
    '{"client_secret": "pi_3TUq5B2ESifGlJez1IcQm7th_secret_REDACTED"}',
    '{"client_secret": "<HIDDEN-CLIENT-SECRET>"}',
    '{"secret": "whsec_REDACTED", "api_key": "<REDACTED>"}',
    '{"id": "pi_1F70K4IUmJaD6OqvfXkgsCB9", "request": "req_zhCdVbQ3tyecak", "token": "tok_1F70K4IUmJaD6Oqv2JSKXPjK"}',
    '{"fingerprint": "aleqpF0PMAATcfmb", "lookup_key": "Zq8vN3kT5xW2pL9mR4bY7cJ1"}',
    '{"access_tokens_url": "https://api.github.com/app/installations/1234567/access_tokens"}',
    '{"token_type": "bearer", "password_changed_at": "2020-01-01T00:00:00Z"}',
])
def test_scrubbed_values_and_object_ids_in_bodies_are_not_flagged(body: str) -> None:
    assert kinds(vcrpy(response_body=body)) == set()


def test_credentials_in_uris() -> None:
    leak = vcrpy(uri="https://ACbf8c47f3db4b3f1bfc1b2b525326beeb:9c518ce43def44e14d31a8a5bfede150@api.twilio.com/x")
    assert [(f.location, f.kind) for f in scan_bytes(leak, "c")] == [("request.uri", "uri_credentials")]
    query = vcrpy(uri=f"https://sendgrid.com/api/stats.get.json?api_user=me&api_key={RANDOM_TOKEN}")
    assert [(f.location, f.kind) for f in scan_bytes(query, "c")] == [("request.uri", "high_entropy_auth_value")]
    assert kinds(vcrpy(uri="https://<TWILIO ACCOUNT SID>:<TWILIO AUTH TOKEN>@taskrouter.twilio.com/v1")) == set()
    assert kinds(vcrpy(uri="https://sendgrid.com/api/x.json?api_key=<SENDGRID_PASSWORD>&api_user=<SENDGRID_USER>")) == set()


def test_form_request_bodies_with_credentials() -> None:
    assert kinds(vcrpy(body=f"username=me&password={RANDOM_TOKEN}&plan=basic")) == {"high_entropy_auth_value"}
    assert kinds(vcrpy(body="username=me&password=%3CREDACTED%3E")) == set()


@pytest.mark.parametrize("tag", ["!binary", "!!binary"])  # Ruby VCR's tag, and the YAML standard one
def test_binary_bodies_are_decoded_and_reported_at_the_block(tag: str) -> None:
    encoded = base64.encodebytes(json.dumps({"client_secret": CLIENT_SECRET}).encode()).decode()
    block = "".join(f"        {line}\n" for line in encoded.splitlines())
    data = f"""---
http_interactions:
- request:
    method: get
    uri: https://api.stripe.com/v1/payment_intents/pi_1
    body:
      encoding: US-ASCII
      string: ''
  response:
    status:
      code: 200
    body:
      encoding: ASCII-8BIT
      string: {tag} |-
{block}  recorded_at: Mon, 10 Nov 2025 18:29:23 GMT
recorded_with: VCR 6.3.1
""".encode()
    assert [str(f) for f in scan_bytes(data, "pay.yml")] == [
        "pay.yml:14: interaction 0, response.body: stripe_client_secrets"]


def test_betamax_base64_gzip_bodies_are_decoded() -> None:
    gz = base64.b64encode(gzip.compress(json.dumps({"secret": "whsec_Zbrxx98wG8WCn4BhfKgme2K9gsnRYFj3"}).encode()))
    interaction = {"request": {"body": {"encoding": "utf-8", "string": ""}, "headers": {"Authorization": "token <AUTH_TOKEN>"},
                               "method": "GET", "uri": "https://api.github.com/x"},
                   "response": {"body": {"encoding": "utf-8", "base64_string": gz.decode()},
                                "headers": {"Content-Encoding": "gzip"}, "status": {"code": 200}}}
    data = json.dumps({"http_interactions": [interaction, interaction], "recorded_with": "betamax/0.8.0"}).encode()
    assert [(f.interaction, f.location, f.kind, f.line) for f in scan_bytes(data, "b.json")] == [
        (0, "response.body", "stripe_webhook_secret", 1), (1, "response.body", "stripe_webhook_secret", 1)]


def test_yaml_double_quoted_json_bodies_report_the_line_of_the_value() -> None:
    body = json.dumps({"id": "pi_1", "amount": 4242, "client_secret": CLIENT_SECRET}, indent=2)
    data = vcrpy(response_body=body)
    (finding,) = scan_bytes(data, "c.yaml")
    line = next(i for i, text in enumerate(data.decode().splitlines(), start=1) if "_secret_" in text)
    assert finding.line == line


def test_a_secret_in_a_comment_is_still_found() -> None:
    data = vcrpy() + f"# old key, do not use: {STRIPE_KEY}\n".encode()
    assert [(f.location, f.kind, f.line) for f in scan_bytes(data, "c")] == [("text", "stripe_secret_key", 19)]


def test_a_file_that_does_not_parse_is_scanned_line_by_line() -> None:
    broken = vcrpy("Authorization", f"Bearer {STRIPE_KEY}").replace(b"method: POST", b"method: [POST")
    broken += vcrpy("X-Api-Key", RANDOM_TOKEN).replace(b"interactions:\n", b"")
    assert [(f.interaction, f.location, f.kind, f.line) for f in scan_bytes(broken, "c")] == [
        (0, "request.headers.Authorization", "stripe_secret_key", 6),
        (1, "request.headers.X-Api-Key", "high_entropy_auth_value", 23)]


def test_a_finding_never_carries_the_secret() -> None:
    (finding,) = scan_bytes(vcrpy("Authorization", f"Bearer {STRIPE_KEY}"), "cassettes/stripe/x.yaml")
    assert str(finding) == "cassettes/stripe/x.yaml:6: interaction 0, request.headers.Authorization: stripe_secret_key"
    for shown in (str(finding), repr(finding), json.dumps(finding.to_dict())):
        assert STRIPE_KEY not in shown and "2UKAl8TH" not in shown
    assert set(finding.to_dict()) == {"source", "interaction", "location", "kind", "line"}


def test_scan_guard_refuses_a_leak_without_printing_it(tmp_path: Path) -> None:
    scan_guard(vcrpy("Authorization", "Bearer <REDACTED>"), tmp_path / "ok.yaml")  # clean: no error
    with pytest.raises(SecretLeak) as caught:
        scan_guard(vcrpy("Authorization", f"Bearer {STRIPE_KEY}"), tmp_path / "leak.yaml")
    assert [f.kind for f in caught.value.findings] == ["stripe_secret_key"]
    assert all(isinstance(f, Finding) for f in caught.value.findings)
    assert "leak.yaml:6: interaction 0, request.headers.Authorization: stripe_secret_key" in str(caught.value)
    assert STRIPE_KEY not in str(caught.value)


def test_scan_paths_walks_folders_for_cassette_files(tmp_path: Path) -> None:
    (tmp_path / "stripe").mkdir()
    (tmp_path / "stripe" / "leak.yaml").write_bytes(vcrpy("Authorization", f"Bearer {STRIPE_KEY}"))
    (tmp_path / "stripe" / "clean.yml").write_bytes(vcrpy())
    (tmp_path / "notes.txt").write_text(STRIPE_KEY)  # not a cassette: folders only yield .yml/.yaml/.json
    assert [(Path(f.source).name, f.kind) for f in scan_paths([tmp_path])] == [("leak.yaml", "stripe_secret_key")]
    assert [f.kind for f in scan_paths([tmp_path / "notes.txt"])] == ["stripe_secret_key"]  # named files: always
    with pytest.raises(BadInput, match="no such file or folder"):
        scan_paths([tmp_path / "missing"])


@pytest.mark.shared
@needs_corpus
def test_real_ruby_vcr_binary_cassette_reports_interaction_and_location() -> None:
    path = CORPUS / "cassettes/stripe/pay-rails__pay__test_stripe_can_create_a_subscription.yml"
    findings = scan_bytes(path.read_bytes(), path.name)
    assert {(f.interaction, f.location, f.kind) for f in findings if f.interaction == 3} == {
        (3, "request.headers.Authorization", "stripe_secret_key"), (3, "response.body", "stripe_client_secrets")}
    assert {f.line for f in findings if f.location == "request.headers.Authorization"} >= {14, 136}

"""The scrubber: credentials replaced by stable placeholders where the provider profile says they travel.

Two promises beyond "the secret is gone": the same kind of input always gives the same text
(re-recording leaves a quiet diff), and everything that is not a secret stays byte-identical.
"""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import yaml

from recorder.cassette.headers import Headers
from recorder.cassette.model import Body, Cassette, Interaction, Request, Response
from recorder.providers import build_registry
from recorder.secrets import scrub_cassette, scrub_interaction
from recorder.secrets.scrub_body import dumps_like

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}")

REGISTRY = build_registry()
STRIPE = REGISTRY.get("stripe")
GENERIC = REGISTRY.get("generic")


def exchange(uri: str = "https://api.stripe.com/v1/charges", request_headers: dict[str, str] | None = None,
             request_body: str = "", response_headers: dict[str, str] | None = None,
             response_body: bytes | str = b"") -> Interaction:
    raw = response_body.encode() if isinstance(response_body, str) else response_body
    resp_headers = Headers.from_mapping(response_headers or {"Content-Type": "application/json"})
    return Interaction(
        Request("POST", uri, Headers.from_mapping(request_headers or {}), Body.from_text(request_body)),
        Response(200, "OK", resp_headers, Body(raw, resp_headers.get("Content-Encoding"))),
    )


@pytest.mark.parametrize(("value", "expected"), [
    ("Bearer sk_test_2UKAl8THJgdeIAyTH2ABqxAx", "Bearer <REDACTED>"),
    ("Basic QUNiZjhjNDdmM2RiNGIzZjFiZmMxYjJiNTI1MzI2YmVlYjo5YzUxOGNlNDNkZWY0NGUxNGQzMWE4YTViZmVkZTE1MA==",
     "Basic <REDACTED>"),  # Twilio AccountSid:AuthToken, Shopify key:password, EasyPost key
    ("token 3f2a9c1e5b7d4f6a8c0e2b4d6f8a0c2e4b6d8f0a", "token <REDACTED>"),
    ("sk_test_2UKAl8THJgdeIAyTH2ABqxAx", "<REDACTED>"),
])
def test_authorization_keeps_its_scheme_and_loses_its_credential(value: str, expected: str) -> None:
    scrubbed = scrub_interaction(exchange(request_headers={"Authorization": value}), STRIPE)
    assert scrubbed.request.headers.get_all("authorization") == [expected]


def test_other_secret_headers_become_redacted_and_the_rest_is_untouched() -> None:
    headers = {"Accept": "application/json", "Stripe-Signature": "t=1,v1=abc", "stripe-version": "2020-08-27"}
    scrubbed = scrub_interaction(exchange(request_headers=headers), STRIPE)
    assert scrubbed.request.headers.to_dict() == {
        "Accept": ["application/json"], "Stripe-Signature": ["<REDACTED>"], "stripe-version": ["2020-08-27"]}


def test_cookies_keep_names_and_attributes() -> None:
    interaction = exchange(
        request_headers={"Cookie": "session=abc123; theme=dark"},
        response_headers={"Set-Cookie": "_gh_sess=s3cr3t%3D%3D; Path=/; Secure; HttpOnly; SameSite=Lax"},
    )
    scrubbed = scrub_interaction(interaction, GENERIC)
    assert scrubbed.request.headers.get("Cookie") == "session=<REDACTED>; theme=<REDACTED>"
    assert scrubbed.response.headers.get("Set-Cookie") == "_gh_sess=<REDACTED>; Path=/; Secure; HttpOnly; SameSite=Lax"


def test_userinfo_and_secret_query_values_leave_the_rest_of_the_uri_byte_identical() -> None:
    uri = "https://AC123:tok3n@api.twilio.com/2010-04-01/Accounts/AC123/Calls.json?Page=2&PageSize=50"
    assert scrub_interaction(exchange(uri=uri), REGISTRY.get("twilio")).request.uri == (
        "https://<REDACTED>@api.twilio.com/2010-04-01/Accounts/AC123/Calls.json?Page=2&PageSize=50")
    legacy = "https://sendgrid.com/api/stats.get.json?api_key=hunter2&api_user=me&days=7&start_date=2013-04-01"
    assert scrub_interaction(exchange(uri=legacy), REGISTRY.get("sendgrid")).request.uri == (
        "https://sendgrid.com/api/stats.get.json?api_key=REDACTED&api_user=REDACTED&days=7&start_date=2013-04-01")


def test_form_bodies_change_only_the_secret_value_and_content_length_follows() -> None:
    body = "amount=100&currency=usd&metadata[order]=7&client_secret=pi_123_secret_abc&password=&Password=p%40ss"
    interaction = exchange(request_headers={"Content-Type": "application/x-www-form-urlencoded",
                                            "Content-Length": str(len(body))}, request_body=body)
    scrubbed = scrub_interaction(interaction, REGISTRY.get("twilio").merged(STRIPE))
    expected = ("amount=100&currency=usd&metadata[order]=7&client_secret=pi_123_secret_REDACTED&password="
                "&Password=%3CREDACTED%3E")
    assert scrubbed.request.body.raw.decode() == expected
    assert scrubbed.request.headers.get("Content-Length") == str(len(expected))
    assert list(scrubbed.request.headers) == ["Content-Type", "Content-Length"]  # order kept


@pytest.mark.parametrize(("field", "value", "placeholder"), [
    ("client_secret", "pi_123_secret_abc", "pi_123_secret_REDACTED"),
    ("client_secret", "seti_1TTJdu2ESifGlJezDk0Xping_secret_RT3S8SC34B3NlBDOsmQH3v850qYRmXf",
     "seti_1TTJdu2ESifGlJezDk0Xping_secret_REDACTED"),
    ("secret", "whsec_Zbrxx98wG8WCn4BhfKgme2K9gsnRYFj3", "whsec_REDACTED"),
    ("secret", "ek_test_gcjBLQDjGw0jx3agIpD1GsEWVyAkKEjY0Dvbjnc6E4fomIH1", "ek_test_REDACTED"),
    ("secret", "sk_test_2UKAl8THJgdeIAyTH2ABqxAx", "sk_test_REDACTED"),
    ("secret", "correct horse battery staple", "<REDACTED>"),
])
def test_json_placeholders_keep_a_recognisable_prefix(field: str, value: str, placeholder: str) -> None:
    scrubbed = scrub_interaction(exchange(response_body=json.dumps({field: value})), STRIPE)
    assert scrubbed.response.body.json() == {field: placeholder}


def test_json_bodies_are_scrubbed_at_any_depth_with_stripe_formatting_kept() -> None:
    # Stripe's own layout, including its ``{\n  }`` empty objects that json.dumps would rewrite.
    original = ('{\n  "id": "pi_1",\n  "metadata": {\n  },\n  "charges": {\n    "data": [\n      {\n'
                '        "client_secret": "pi_1_secret_abc",\n        "amount": 4242\n      }\n    ]\n  },\n'
                '  "client_secret": "pi_1_secret_abc"\n}\n')
    interaction = exchange(response_headers={"Content-Type": "application/json", "Content-Length": str(len(original))},
                           response_body=original)
    scrubbed = scrub_interaction(interaction, STRIPE)
    assert scrubbed.response.body.raw.decode() == original.replace("pi_1_secret_abc", "pi_1_secret_REDACTED")
    assert scrubbed.response.headers.get("Content-Length") == str(len(scrubbed.response.body.raw))


def test_json_keys_spelled_with_escapes_are_still_recognised() -> None:
    original = '{\n  "object": "ephemeral_key",\n  "\\u0073ecret": "ek_test_abcdefghijklmnop123456",\n  "livemode": false\n}\n'
    scrubbed = scrub_interaction(exchange(response_body=original), STRIPE)
    assert scrubbed.response.body.raw.decode() == original.replace("abcdefghijklmnop123456", "REDACTED")


@pytest.mark.parametrize("original", [
    '{\n  "id": "cus_1",\n  "tags": [\n    "a"\n  ]\n}\n',  # Stripe: indent 2, trailing newline
    '{"id":"cus_1","tags":["a"]}',  # Ruby's compact JSON
    '{"id": "cus_1", "tags": ["a"]}',  # Python's default separators
    '{\n\t"id": "caf\\u00e9"\n}',  # tabs, ASCII escapes
])
def test_reserialised_json_keeps_the_original_style(original: str) -> None:
    """The fallback for values targeted replacement cannot reach: same text for the same data."""
    assert dumps_like(json.loads(original), original) == original


def test_unchanged_json_is_left_byte_identical() -> None:
    original = '{"id":"cus_1",  "email" : "a@example.com"}'
    scrubbed = scrub_interaction(exchange(response_body=original), STRIPE)
    assert scrubbed.response.body.raw == original.encode()


def test_gzip_bodies_are_scrubbed_decoded_and_stored_uncompressed() -> None:
    text = json.dumps({"token": "ghs_abc", "login": "octocat"})
    interaction = exchange(uri="https://api.github.com/user",
                           response_headers={"Content-Type": "application/json", "Content-Encoding": "gzip",
                                             "Content-Length": "99"},
                           response_body=gzip.compress(text.encode()))
    scrubbed = scrub_interaction(interaction, REGISTRY.get("github"))
    assert scrubbed.response.body.raw == json.dumps({"token": "<REDACTED>", "login": "octocat"}).encode()
    assert scrubbed.response.body.content_encoding is None
    assert "Content-Encoding" not in scrubbed.response.headers
    assert scrubbed.response.headers.get("Content-Length") == str(len(scrubbed.response.body.raw))


def test_gzip_bodies_without_secrets_stay_compressed() -> None:
    compressed = gzip.compress(b'{"login": "octocat"}')
    interaction = exchange(response_headers={"Content-Encoding": "gzip"}, response_body=compressed)
    scrubbed = scrub_interaction(interaction, REGISTRY.get("github"))
    assert scrubbed.response.body == Body(compressed, "gzip")


@pytest.mark.shared
@needs_corpus
def test_stripe_client_fingerprint_keeps_the_library_and_drops_the_machine() -> None:
    """The real header from a saleor recording: uname and host name of a developer's laptop."""
    data = yaml.safe_load((CORPUS / "cassettes/stripe/saleor__saleor__test_stripe--test_authorize.yaml").read_text())
    request = data["interactions"][0]["request"]
    interaction = exchange(request_headers={k: v[0] for k, v in request["headers"].items()})
    scrubbed = scrub_interaction(interaction, STRIPE).request.headers.get("X-Stripe-Client-User-Agent")
    assert scrubbed == ('{"bindings_version": "2.33.0", "lang": "python", "publisher": "stripe", '
                        '"httplib": "requests"}')


def test_ruby_fingerprint_keeps_application_name_and_version_compactly() -> None:
    value = json.dumps({"application": {"name": "PayRails", "partner_id": "pp_partner_IqhY0UE", "version": "11.3.1",
                                        "url": "https://github.com/pay-rails/pay"},
                        "bindings_version": "17.2.0", "lang": "ruby", "lang_version": "3.4.7 p58",
                        "platform": "arm64-darwin25", "publisher": "stripe", "uname": "Darwin Mac-Studio.localdomain",
                        "hostname": "Mac-Studio.localdomain"}, separators=(",", ":"))
    scrubbed = scrub_interaction(exchange(request_headers={"X-Stripe-Client-User-Agent": value}), STRIPE)
    assert scrubbed.request.headers.get("X-Stripe-Client-User-Agent") == (
        '{"bindings_version":"17.2.0","lang":"ruby","publisher":"stripe",'
        '"application":{"name":"PayRails","version":"11.3.1"}}')
    garbled = exchange(request_headers={"X-Stripe-Client-User-Agent": "Darwin mbp-jakub.lan 18.7.0"})
    assert scrub_interaction(garbled, STRIPE).request.headers.get("X-Stripe-Client-User-Agent") == "<REDACTED>"


def test_placeholders_are_stable_across_recordings() -> None:
    def recording(key: str, secret: str) -> Interaction:
        return exchange(request_headers={"Authorization": f"Bearer {key}"},
                        response_body=json.dumps({"client_secret": f"pi_1_secret_{secret}"}, indent=2))

    first = scrub_interaction(recording("sk_test_AAAA1111", "first"), STRIPE)
    second = scrub_interaction(recording("sk_test_BBBB2222", "second"), STRIPE)
    assert first == second
    assert scrub_interaction(first, STRIPE) == first  # idempotent: scrubbing a scrubbed recording changes nothing


def test_the_input_is_never_mutated() -> None:
    interaction = exchange(request_headers={"Authorization": "Bearer sk_test_2UKAl8THJgdeIAyTH2ABqxAx"},
                           response_body='{"client_secret": "pi_1_secret_abc"}')
    before = (interaction.request.headers.to_dict(), interaction.response.body.raw)
    scrubbed = scrub_interaction(interaction, STRIPE)
    assert (interaction.request.headers.to_dict(), interaction.response.body.raw) == before
    assert scrubbed.request.headers is not interaction.request.headers
    assert scrubbed.response.body is not interaction.response.body


def test_scrub_cassette_picks_each_provider_by_host_and_falls_back_to_generic() -> None:
    twilio = exchange(uri=r"/^https:\/\/api\.twilio\.com\/2010-04-01\/Accounts\/.*\/Messages\.json/",  # hand-edited regex
                      request_headers={"X-Twilio-Signature": "abc="})
    shop = exchange(uri="https://glossier-pop-staging.myshopify.com/admin/products.json",
                    request_headers={"X-Shopify-Access-Token": "shpat_0123"})
    unknown = exchange(uri="https://api.example.com/login", request_body='{"user": "me", "password": "hunter2"}',
                       request_headers={"X-Twilio-Signature": "abc="})
    cassette = Cassette([twilio, shop, unknown], path=Path("c.yaml"), recorded_with="VCR 6.0.0")
    scrubbed = scrub_cassette(cassette, REGISTRY)
    assert scrubbed.interactions[0].request.headers.get("X-Twilio-Signature") == "<REDACTED>"
    assert scrubbed.interactions[1].request.headers.get("X-Shopify-Access-Token") == "<REDACTED>"
    assert scrubbed.interactions[2].request.body.json() == {"user": "me", "password": "<REDACTED>"}
    assert scrubbed.interactions[2].request.headers.get("X-Twilio-Signature") == "abc="  # not Twilio's host
    assert (scrubbed.path, scrubbed.recorded_with) == (Path("c.yaml"), "VCR 6.0.0")
    assert cassette.interactions[2].request.body.json()["password"] == "hunter2"

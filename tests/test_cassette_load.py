"""Reading cassettes of every dialect met in the wild into the typed model.

Given real recordings from ../shared/corpus (vcrpy, Ruby VCR YAML/JSON, Betamax), when loaded,
then every one loads, with the interaction count SOURCES.tsv records, and damage shows up
as per-interaction warnings, never as a crash. Malformed input is one BadInput line.
"""
from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS, corpus_files

from recorder.cassette import load_cassette, parse_cassette
from recorder.errors import BadInput
from recorder.providers import build_registry

STRIPE = "cassettes/stripe/"
GITHUB = "cassettes/github/"
TWILIO = "cassettes/twilio/"
DIALECT_OF_FORMAT = {"vcrpy-yaml-v1": "vcrpy", "ruby-vcr-yaml": "ruby-vcr", "ruby-vcr-json": "ruby-vcr",
                     "betamax-json": "betamax"}


def corpus_params() -> list[Any]:
    files = corpus_files()
    if not files:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"shared corpus not found at {CORPUS}"))]
    return [pytest.param(p, id=str(p.relative_to(CORPUS))) for p in files]


def sources() -> dict[str, dict[str, str]]:
    with (CORPUS / "SOURCES.tsv").open(encoding="utf-8", newline="") as fh:
        return {row["saved_path"]: row for row in csv.DictReader(fh, delimiter="\t")}


def corpus(relative: str) -> Path:
    path = CORPUS / relative
    if not path.is_file():
        pytest.skip(f"shared corpus file {relative} not found")
    return path


# --- every real recording -------------------------------------------------------------------

@pytest.mark.shared
@pytest.mark.parametrize("path", corpus_params())
def test_every_corpus_file_loads_with_the_recorded_interaction_count(path: Path) -> None:
    cassette = load_cassette(path)
    relative = str(path.relative_to(CORPUS))
    if relative.startswith("derived/"):  # restored copies of cassettes/stripe/ files
        row = sources()[STRIPE + path.name]
    else:
        row = sources()[relative]
        assert cassette.dialect == DIALECT_OF_FORMAT[row["format"]]
    assert len(cassette) == int(row["number_of_interactions"])
    assert cassette.path == path
    for interaction in cassette:
        assert interaction.request.method == interaction.request.method.upper()
        assert 100 <= interaction.response.status <= 599
        assert interaction.provider == row["provider"] or "@" in interaction.request.uri


def test_betamax_gzip_body_keeps_wire_bytes_and_decodes_lazily_to_json(shared: Path) -> None:
    cassette = load_cassette(corpus(GITHUB + "sigmavirus24__github3.py__GitHub_repository.json"))
    response = cassette.interactions[0].response
    assert cassette.dialect == "betamax" and cassette.recorded_with == "betamax/0.8.0"
    assert response.body.content_encoding == "gzip"
    assert response.body.raw[:2] == b"\x1f\x8b"  # still gzip: exact wire bytes
    assert response.body.json()["full_name"] == "sigmavirus24/github3.py"
    assert response.headers.get_all("content-type") == ["application/json; charset=utf-8"]  # scalar -> list
    assert cassette.interactions[0].recorded_at == "2017-12-29T00:45:23"


def test_loading_does_not_decompress_or_parse_bodies(shared: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import recorder.cassette.model as model

    def refuse(*args: object) -> bytes:
        raise AssertionError("decompressed during load")

    monkeypatch.setattr(model, "decompress", refuse)
    cassette = load_cassette(corpus(GITHUB + "sigmavirus24__github3.py__Repository_refs.json"))
    assert len(cassette) == 8  # loaded without touching a body
    with pytest.raises(AssertionError):
        cassette.interactions[0].response.body.decoded


def test_ruby_binary_bodies_decode_to_the_recorded_json(shared: Path) -> None:
    name = "pay-rails__pay__test_stripe_can_create_a_subscription.yml"
    restored = load_cassette(corpus("derived/pay-rails__pay__restored/" + name))
    binary = [i for i in restored if i.response.body.raw.startswith(b"{\n  \"id\": \"sub_")]
    assert binary, "the !binary subscription response"
    assert binary[0].response.body.json()["object"] == "subscription"
    damaged = load_cassette(corpus(STRIPE + name))
    assert damaged.interactions[0].request.method == "POST"
    assert damaged.interactions[0].response.body.json() is None  # <VENDOR_ID>762799364 is not JSON
    assert damaged.interactions[0].response.body.text is not None


def test_ruby_regexp_uri_is_kept_as_source_text_with_a_warning(shared: Path) -> None:
    cassette = load_cassette(corpus(TWILIO + "TwilioDevEd__call-tracking-rails__purchase-phone-number.yml"))
    first = cassette.interactions[0]
    assert first.request.uri.startswith("/^https:\\/\\/api\\.twilio\\.com\\/2010-04-01")
    assert first.request.method == "GET"
    assert first.provider == "twilio"  # host guessed from the regexp
    messages = [(w.interaction, w.message) for w in cassette.warnings]
    assert [i for i, _ in messages] == [0, 1, 2]
    assert messages[0][1].startswith("request uri is a Ruby regexp /^https:")
    assert messages[0][1].endswith("; kept as its source text")


def test_filter_damage_is_a_warning_and_the_restored_copy_has_none(shared: Path) -> None:
    name = "pay-rails__pay__test_stripe_can_create_a_charge.yml"
    damaged = load_cassette(corpus(STRIPE + name))
    first = [w.message for w in damaged.warnings if w.interaction == 0]
    assert any(m.startswith("placeholder damage <VENDOR_ID> in uri") for m in first)
    assert any("placeholder damage <VENDOR_AUTH_CODE> in request body" in m for m in first)
    assert any(m == "api version '2025-<VENDOR_ID>0-29.clover' has placeholder damage" for m in first)
    restored = load_cassette(corpus("derived/pay-rails__pay__restored/" + name))
    assert restored.warnings == []
    assert restored.interactions[0].api_version == "2025-10-29.clover"


def test_userinfo_credentials_in_a_uri_are_reported(shared: Path) -> None:
    cassette = load_cassette(corpus(TWILIO + "TwilioDevEd__task-router-rails__configure_workspace.yml"))
    assert {w.interaction for w in cassette.warnings} == {5, 11}
    assert cassette.recorded_with is None and cassette.dialect == "ruby-vcr"


def test_stripe_api_version_comes_from_the_request_header(shared: Path) -> None:
    saleor = load_cassette(corpus(STRIPE + "saleor__saleor__test_stripe--test_authorize.yaml"))
    assert saleor.dialect == "vcrpy"
    assert [(i.provider, i.api_version) for i in saleor] == [("stripe", "2019-05-16")]
    mixed = [p for p in corpus_files() if "openfoodnetwork" in p.name and "raises_an_error" in p.name]
    versions = {i.api_version for i in load_cassette(mixed[0])}
    assert versions == {"2020-08-27", "2026-06-24.dahlia"}


def test_erb_in_a_body_is_reported(shared: Path) -> None:
    events = [p for p in corpus_files() if "_repository_events" in p.name][0]
    cassette = load_cassette(events)
    assert [w.message for w in cassette.warnings] == [
        "response body looks like an ERB template (<%= notice %>); kept as text, so replay sends "
        "the tag literally, not its value"]


def test_registry_is_asked_once_per_host(shared: Path) -> None:
    real = build_registry()
    asked: list[str] = []

    class Counting:
        def for_host(self, host: str) -> object:
            asked.append(host)
            return real.for_host(host)

    cassette = load_cassette(corpus(TWILIO + "TwilioDevEd__task-router-rails__configure_workspace.yml"),
                             registry=Counting())
    assert len(cassette) == 13 and len(asked) == len(set(asked)) == 2


# --- synthetic cassettes: the edge cases, spelled out ------------------------------------------

RUBY = """\
http_interactions:
- request:
    method: post
    uri: https://api.example.com/v1/things
    body:
      encoding: ISO-8859-1
      string: "caf\\xE9"
    headers:
      Content-Length:
      - 0755
      X-Flag:
      - yes
  response:
    status:
      code: 200
      message: OK
    headers:
      Stripe-Version:
      - 2019-05-16
    body:
      encoding: UTF-8
      string: !ruby/string:ActiveSupport::SafeBuffer 'Hello <%= name %>'
    http_version:
  recorded_at: Fri, 23 Jun 2017 10:33:38 GMT
recorded_with: VCR 6.0.0
"""


def test_ruby_vcr_details_survive_without_yaml_type_guessing() -> None:
    cassette = parse_cassette(RUBY.encode(), "fixture.json")  # the name does not decide the dialect
    interaction = cassette.interactions[0]
    assert cassette.dialect == "ruby-vcr" and cassette.recorded_with == "VCR 6.0.0"
    assert interaction.request.method == "POST"
    assert interaction.request.body.raw == b"caf\xe9"  # re-encoded in the recorded charset
    assert interaction.request.headers.get("content-length") == "0755"  # not the int 493
    assert interaction.request.headers.get("X-Flag") == "yes"  # not True
    assert interaction.response.headers.get("Stripe-Version") == "2019-05-16"  # not a date
    assert interaction.provider is None and interaction.api_version is None  # unknown host
    assert interaction.recorded_at == "Fri, 23 Jun 2017 10:33:38 GMT"
    assert [w.message for w in cassette.warnings] == [
        "response body has YAML tag !ruby/string:ActiveSupport::SafeBuffer; kept its text",
        "response body looks like an ERB template (<%= name %>); kept as text, so replay sends the tag "
        "literally, not its value"]


def test_old_vcrpy_python_tags_load_as_plain_data() -> None:
    text = ("interactions:\n- request: {method: GET, uri: 'http://x/', body: !!python/unicode 'a', headers: {}}\n"
            "  response: {status: {code: 204, message: No Content}, headers: {}, body: {string: ''}}\n"
            "version: 1\n")
    interaction = parse_cassette(text.encode()).interactions[0]
    assert interaction.request.body.raw == b"a" and interaction.response.status == 204


@pytest.mark.parametrize(("text", "expected"), [
    ("interactions:\n- request:\n    method: GET\n   uri: x\n", ":line 4: not valid YAML: did not find expected key"),
    ("{\"http_interactions\": [}", ":line 1: not valid JSON"),
    ("just: a mapping\n", ": not a cassette: no 'interactions'"),
    ("- 1\n- 2\n", ": not a cassette: the document is a list"),
    ("interactions:\n- request: {method: GET, uri: 'http://x/'}\n  response: {status: {code: 200}}\n"
     "- request: {method: GET}\n  response: {status: {code: 200}}\n", ":interactions[1].request.uri: request has no uri"),
    ("http_interactions:\n- response: {status: {code: 200}}\n", ":http_interactions[0].request: missing"),
    ("interactions:\n- request: {method: GET, uri: 'http://x/'}\n  response: {status: {code: abc}}\n",
     ":interactions[0].response.status.code: status code 'abc' is not an HTTP status"),
    ("   \n", ": empty file, not a cassette"),
])
def test_malformed_input_is_one_bad_input_line_naming_file_and_place(tmp_path: Path, text: str,
                                                                     expected: str) -> None:
    path = tmp_path / "broken.yml"
    path.write_text(text)
    with pytest.raises(BadInput) as caught:
        load_cassette(path)
    line = caught.value.one_line()
    assert line.startswith(str(path) + expected)
    assert "\n" not in line


def test_binary_garbage_and_missing_files_are_bad_input(tmp_path: Path) -> None:
    garbage = tmp_path / "image.yaml"
    garbage.write_bytes(gzip.compress(b"x" * 100))
    with pytest.raises(BadInput, match="not UTF-8 text"):
        load_cassette(garbage)
    with pytest.raises(BadInput, match="no such file"):
        load_cassette(tmp_path / "missing.yaml")
    with pytest.raises(BadInput, match="is a folder"):
        load_cassette(tmp_path)


def test_json_cassette_is_detected_by_content() -> None:
    data = {"http_interactions": [{"request": {"method": "get", "uri": "https://api.github.com/users/x",
                                               "body": {"encoding": "UTF-8", "base64_string": "aGk=\n"},
                                               "headers": {}},
                                   "response": {"status": {"code": 200, "message": "OK"}, "headers": {},
                                                "body": {"encoding": "UTF-8", "string": "{}"}},
                                   "recorded_at": "x"}], "recorded_with": "VCR 2.4.0"}
    cassette = parse_cassette(json.dumps(data).encode(), "cassette.yml")
    assert cassette.dialect == "ruby-vcr"
    assert cassette.interactions[0].request.body.raw == b"hi"
    assert cassette.interactions[0].provider == "github"


def test_a_body_labelled_gzip_that_is_not_gzip_is_reported() -> None:
    text = ("interactions:\n- request: {method: GET, uri: 'https://api.github.com/', body: null, headers: {}}\n"
            "  response:\n    status: {code: 200, message: OK}\n    headers: {Content-Encoding: [gzip]}\n"
            "    body: {string: '{\"already\": \"decoded\"}'}\nversion: 1\n")
    cassette = parse_cassette(text.encode())
    assert [w.message for w in cassette.warnings] == [
        "response says Content-Encoding: gzip but its body is not gzip data; a replaying client will fail "
        "to decode it"]
    assert cassette.interactions[0].response.body.decoded == b'{"already": "decoded"}'

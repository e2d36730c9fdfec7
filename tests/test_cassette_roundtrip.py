"""Every real recording survives load -> canonical write -> load, and plain vcrpy plays the result.

Given each corpus file, when loaded and written canonically, then (1) our fast reader parses
the bytes to exactly what ``yaml.safe_load`` returns, (2) the interactions come back equal --
requests exactly, responses exactly or, where the writer made them readable (gzip decoded,
one-line JSON pretty-printed), to the same decoded text / JSON -- and (3) writing again gives
the same bytes.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CORPUS, corpus_files

from recorder.cassette import Interaction, dumps_cassette, load_cassette, parse_cassette, write_cassette
from recorder.cassette.fastyaml import parse_canonical

pytestmark = pytest.mark.shared


def corpus_params() -> list[Any]:
    files = corpus_files()
    if not files:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"shared corpus not found at {CORPUS}"))]
    return [pytest.param(p, id=str(p.relative_to(CORPUS))) for p in files]


def same_meaning(before: Interaction, after: Interaction) -> None:
    assert after.request == before.request
    assert (after.response.status, after.response.reason) == (before.response.status, before.response.reason)
    assert (after.recorded_at, after.provider, after.api_version) == (
        before.recorded_at, before.provider, before.api_version)
    old, new = before.response.body, after.response.body
    if new == old:
        assert after.response.headers == before.response.headers
    elif old.json() is not None:
        assert new.json() == old.json()  # pretty-printed and/or gzip decoded
    else:
        assert new.raw == old.decoded and new.content_encoding is None  # decoded text


@pytest.mark.parametrize("path", corpus_params())
def test_canonical_form_of_every_corpus_file(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = load_cassette(path)
    data = dumps_cassette(original)
    text = data.decode("utf-8")
    assert parse_canonical(text) == yaml.safe_load(text)

    def no_fallback(*args: object) -> None:
        raise AssertionError("the fast reader fell back to the YAML parser")

    monkeypatch.setattr("recorder.cassette.load.load_yaml", no_fallback)
    again = parse_cassette(data, path)
    assert again.dialect == "recorder" and again.recorded_with == "recorder cassette v1"
    assert len(again) == len(original)
    for before, after in zip(original, again):
        same_meaning(before, after)
        if before.response.body.raw and not before.response.body.text:  # binary: byte for byte
            assert after.response.body.raw == before.response.body.raw
    assert dumps_cassette(again) == data


def play(path: Path, interactions: list[Interaction]) -> list[Any]:
    """Send the recorded requests in order with requests under plain vcrpy, nothing of ours."""
    import requests
    import vcr

    with vcr.use_cassette(str(path), record_mode="none", match_on=["method", "uri"]):
        return [requests.request(i.request.method, i.request.uri, data=i.request.body.raw or None)
                for i in interactions]


@pytest.mark.parametrize("relative", [
    "cassettes/stripe/saleor__saleor__test_stripe--test_capture_3d_secure.yaml",  # vcrpy, 200/400/404
    "cassettes/github/sigmavirus24__github3.py__Repository_refs.json",  # Betamax gzip, chunked
    "derived/pay-rails__pay__restored/pay-rails__pay__test_stripe_can_create_a_subscription.yml",  # !binary
    "cassettes/shopify/glossier__solidus_retail__Refund_a_Shopify_order_on_Glossier--that_is_fulfilled"
    "--is_refunding_the_order_on_Shopify.yml",
])
def test_vcrpy_plays_converted_cassettes(relative: str, tmp_path: Path) -> None:
    source = CORPUS / relative
    if not source.is_file():
        pytest.skip(f"shared corpus file {relative} not found")
    original = load_cassette(source)
    converted = write_cassette(original, tmp_path / "converted.yaml")
    for before, response in zip(original, play(converted, original.interactions)):
        assert response.status_code == before.response.status
        expected = before.response.body
        if expected.json() is not None:
            assert response.json() == expected.json()
        else:
            assert response.content == expected.decoded


def test_vcrpy_ignores_our_interaction_metadata(tmp_path: Path) -> None:
    from vcr.serialize import deserialize
    from vcr.serializers import yamlserializer

    source = CORPUS / "cassettes/stripe/saleor__saleor__test_stripe--test_refund.yaml"
    if not source.is_file():
        pytest.skip("shared corpus file not found")
    text = dumps_cassette(load_cassette(source)).decode()
    assert "\n  provider: stripe\n  api_version: '2019-05-16'\n" in text
    requests, responses = deserialize(text, yamlserializer)
    assert [r.method for r in requests] == ["GET", "POST"]
    assert all(isinstance(r["body"]["string"], bytes) for r in responses)
    assert json.loads(responses[0]["body"]["string"])["object"] == "payment_intent"

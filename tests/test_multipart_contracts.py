"""Uploads are checked against the ``multipart/form-data`` request body their operation documents.

Given Stripe's real 2023-08-16 spec (``POST /v1/files`` takes ``purpose``, ``file`` as a
``format: binary`` string, ``file_link_data[...]`` nested, nothing else) and an upload recorded
through the real Stripe SDK against a stand-in on 127.0.0.1 that answers as Stripe does (the
File object of Stripe's own fixtures, or a 400 for a bad request), when ``verify-contracts``
reads the cassette, then a missing required field, a field the spec does not allow and a
nested field of the wrong type are each found at their pointer, exactly as in a form body; a
file part counts as present, whatever its bytes; and a clean upload gives no finding.
"""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import stripe
from standin import Received, Reply, StandIn, json_reply

import recorder
from contracts_support import STRIPE, STRIPE_FIXTURES_2023, need_specs, spec_set, use_shared_cache
from recorder.cassette.headers import Headers
from recorder.cassette.model import Body, Request
from recorder.contracts.check import SpecChecker
from recorder.contracts.prepare import open_spec
from recorder.contracts.verify import verify_paths

KEY = "sk_test_" + "Q" * 24
RECEIPT = b"%PDF-1.4 receipt for order 1001"
VERSION = "2023-08-16"
UPLOAD_URL = "https://files.stripe.com/v1/files"


@pytest.fixture(autouse=True)
def _specs_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    need_specs()
    use_shared_cache(tmp_path_factory.getbasetemp().parent)


def _answer(got: Received) -> Reply:
    """Stripe's File object for a good upload; Stripe's 400 when a part the spec requires is absent."""
    if b'name="purpose"' not in got.body or b'name="file"' not in got.body:
        return json_reply(400, {"error": {"type": "invalid_request_error", "message": "Missing required param"}})
    return json_reply(200, json.loads(STRIPE_FIXTURES_2023.read_text())["resources"]["file"])


def record_upload(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **params: Any) -> Path:
    """``stripe.File.create(**params)`` recorded with API version 2023-08-16; ``document`` is the receipt."""
    monkeypatch.setattr(stripe, "api_key", KEY)
    monkeypatch.setattr(stripe, "api_version", VERSION)
    cassette = tmp_path / "cassettes" / "stripe" / "upload.yaml"
    document = io.BytesIO(RECEIPT)
    document.name = "receipt.pdf"
    sent = {name: document if value is None else value for name, value in params.items()}
    server = StandIn().route("POST", r"/v1/files", _answer)
    with server, recorder.replay(cassette, mode="once", target=server.url):
        try:
            stripe.File.create(**sent)
        except stripe.InvalidRequestError:
            pass  # recorded all the same: the cassette holds the request Stripe refused
    assert server.received[0].headers["Content-Type"].startswith("multipart/form-data; boundary=")
    return cassette


def findings(cassette: Path) -> list[tuple[str, str, str, str, str | None]]:
    report = verify_paths([cassette], spec_set(("stripe", STRIPE[VERSION])))
    assert report.summary.validated == 1
    return [(f.part, f.location, f.rule, f.severity, f.actual) for f in report.findings]


def test_a_clean_upload_gives_no_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cassette = record_upload(tmp_path, monkeypatch, purpose="dispute_evidence", file=None,
                             file_link_data={"create": True, "metadata": {"order_id": "1001"}})
    assert findings(cassette) == []


def test_a_missing_required_field_is_found_at_its_pointer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cassette = record_upload(tmp_path, monkeypatch, file=None)
    assert findings(cassette) == [("request", "/body/purpose", "required", "error", None)]


def test_a_field_the_spec_does_not_allow_is_found_at_its_pointer(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    cassette = record_upload(tmp_path, monkeypatch, purpose="dispute_evidence", file=None, note="order 1001")
    assert findings(cassette) == [("request", "/body/note", "additional-property", "warning", "order 1001")]


def test_a_file_under_an_undocumented_name_is_a_file_where_one_is_missing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file part validates as present (its stand-in, not its bytes, is what a finding shows)."""
    cassette = record_upload(tmp_path, monkeypatch, purpose="dispute_evidence", document=None)
    assert findings(cassette) == [
        ("request", "/body/file", "required", "error", None),
        ("request", "/body/document", "additional-property", "error", "file of 31 bytes, application/octet-stream")]


def test_a_nested_field_of_the_wrong_type_is_found_at_its_nested_pointer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cassette = record_upload(tmp_path, monkeypatch, purpose="dispute_evidence", file=None,
                             file_link_data={"create": "maybe"})
    assert findings(cassette) == [("request", "/body/file_link_data/create", "type", "error", "maybe")]


def test_a_body_that_is_not_multipart_is_an_invalid_body() -> None:
    checker = SpecChecker(open_spec(STRIPE[VERSION]))
    route = checker.route("POST", UPLOAD_URL)
    assert route.operation is not None and route.operation.op_id == "PostFiles"
    request = Request("POST", UPLOAD_URL, Headers.from_mapping({"Content-Type": "multipart/form-data; boundary=b"}),
                      Body(b"purpose=dispute_evidence"))
    [problem] = checker.check_request(route.operation, route, request)
    assert (problem.location, problem.rule) == ("/body", "invalid-body")
    assert "multipart/form-data" in problem.message

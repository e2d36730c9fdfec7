"""Uploads (``multipart/form-data``) replay although every client draws a new boundary per request.

Given an upload recorded through the real Stripe SDK (``stripe.File.create``) against a stand-in
on 127.0.0.1, when the code under test makes the same upload again, then the recording answers
it (compared as fields, not bytes); when a field or the file differs, the drift report names
that field; call assertions read the upload's fields like a form's. A credential sent as a
multipart field (SendGrid's v2 mail API) is scrubbed on disk and still matches the live one.
"""
from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
import requests
import stripe
from standin import StandIn, json_reply

import recorder
from recorder.cassette.multipart import decode_multipart
from recorder.replay import DriftError

KEY = "sk_test_" + "Q" * 24
RECEIPT = b"%PDF-1.4 receipt for order 1001"
FILE = {"id": "file_1", "object": "file", "purpose": "dispute_evidence", "size": len(RECEIPT)}


def upload(purpose: str = "dispute_evidence", content: bytes = RECEIPT) -> stripe.File:
    stripe.api_key = KEY
    document = io.BytesIO(content)
    document.name = "receipt.pdf"
    return stripe.File.create(purpose=purpose, file=document)


@pytest.fixture
def recorded_upload(tmp_path: Path) -> Path:
    cassette = tmp_path / "cassettes" / "stripe" / "upload.yaml"
    server = StandIn().route("POST", r"/v1/files", lambda got: json_reply(200, FILE))
    with server, recorder.replay(cassette, mode="once", target=server.url):
        assert upload().id == "file_1"
    assert server.received[0].headers["Content-Type"].startswith("multipart/form-data; boundary=")
    return cassette


def test_the_same_upload_replays_under_a_new_boundary(recorded_upload: Path) -> None:
    with recorder.replay(recorded_upload, allow_repeats=True) as session:
        assert upload().id == "file_1"
        answered = httpx.post("https://files.stripe.com/v1/files", headers={"Authorization": f"Bearer {KEY}"},
                              data={"purpose": "dispute_evidence"},
                              files={"file": ("receipt.pdf", RECEIPT, "application/octet-stream")})
        assert answered.json()["id"] == "file_1"  # another client, another boundary, same fields
    assert [call.source for call in session.calls()] == ["cassette", "cassette"]
    session.assert_body("$.purpose", "eq", "dispute_evidence")  # in every matching call
    session.assert_body("$.file.filename", "eq", "receipt.pdf")


def test_a_changed_field_or_file_is_named_in_the_drift_report(recorded_upload: Path) -> None:
    with pytest.raises(DriftError) as caught, recorder.replay(recorded_upload):
        upload(purpose="identity_document")
    [candidate] = caught.value.report.candidates
    assert [str(d) for d in candidate.differences] == [
        "body.purpose: recorded dispute_evidence, sent identity_document"]

    with pytest.raises(DriftError) as caught, recorder.replay(recorded_upload):
        upload(content=RECEIPT.replace(b"1001", b"1002"))
    [candidate] = caught.value.report.candidates
    assert [d.path for d in candidate.differences] == ["body.file.content"]


def test_a_binary_file_compares_by_digest_and_fields_keep_their_order_of_repeats() -> None:
    body = (b"--b\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\na@example.com\r\n"
            b"--b\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\nb@example.com\r\n"
            b"--b\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"logo.png\"\r\n"
            b"Content-Type: image/png\r\n\r\n\x89PNG\r\n\x1a\n\xff\r\n--b--\r\n")
    data = decode_multipart(body)
    assert data is not None and data["to"] == ["a@example.com", "b@example.com"]
    assert data["logo"]["filename"] == "logo.png" and data["logo"]["content_type"] == "image/png"
    assert data["logo"]["content"].startswith("sha256:") and data["logo"]["content"].endswith("(9 bytes)")
    assert decode_multipart(b'{"not": "multipart"}') is None


def test_a_key_sent_as_a_multipart_field_is_scrubbed_and_still_matches(tmp_path: Path) -> None:
    cassette = tmp_path / "cassettes" / "sendgrid" / "mail.yaml"
    url = "https://api.sendgrid.com/api/mail.send.json"

    def send(key: str) -> dict:
        return requests.post(url, data={"api_user": "shop", "api_key": key, "to": "buyer@example.com"},
                             files={"files[receipt.pdf]": ("receipt.pdf", RECEIPT)}).json()

    server = StandIn().route("POST", r"/api/mail\.send\.json", lambda got: json_reply(200, {"message": "success"}))
    recorded_key, live_key = "Qm9vbXlhaDk4NzY1NDMyMXh5ejEyMzQ1Njc4OTA", "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmc"
    with server, recorder.replay(cassette, mode="once", target=server.url):
        assert send(recorded_key) == {"message": "success"}
    assert recorded_key not in cassette.read_text()
    with recorder.replay(cassette) as session:
        assert send(live_key) == {"message": "success"}
    session.assert_body("$.to", "eq", "buyer@example.com")

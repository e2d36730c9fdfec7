"""aiohttp uploads (``FormData`` with a file part, a ``data=`` dict holding a file) record and
replay like every other client's, and a ``FormData`` without files does too.

Given an upload recorded through the real Stripe SDK against a stand-in on 127.0.0.1, when the
code under test makes the same upload through aiohttp (another client, another boundary), then
the recording answers it; when a field or the file differs, the drift report names that field.
Recording through aiohttp sends the server the multipart body aiohttp itself would have sent.
"""
from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import stripe
from standin import StandIn, json_reply

import recorder
from recorder.cassette.multipart import decode_multipart
from recorder.replay import DriftError

KEY = "sk_test_" + "Q" * 24
RECEIPT = b"%PDF-1.4 receipt for order 1001"
FILE = {"id": "file_1", "object": "file", "purpose": "dispute_evidence", "size": len(RECEIPT)}
UPLOAD_URL = "https://files.stripe.com/v1/files"
CUSTOMER = {"id": "cus_1", "object": "customer", "email": "buyer@example.com"}


def upload_form(purpose: str = "dispute_evidence", content: bytes = RECEIPT) -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("purpose", purpose)
    form.add_field("file", io.BytesIO(content), filename="receipt.pdf", content_type="application/octet-stream")
    return form


def upload_dict(purpose: str = "dispute_evidence", content: bytes = RECEIPT) -> dict[str, Any]:
    document = io.BytesIO(content)
    document.name = "receipt.pdf"  # aiohttp names the file part after it
    return {"purpose": purpose, "file": document}


async def _post(url: str, data: Any) -> dict:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {KEY}"}) as session:
        async with session.post(url, data=data) as response:
            return await response.json()


def post(url: str, data: Any) -> dict:
    return asyncio.run(_post(url, data))


@pytest.fixture
def sdk_upload(tmp_path: Path) -> Path:
    """An upload recorded through the Stripe SDK (requests), as tests/test_replay_multipart.py does."""
    cassette = tmp_path / "cassettes" / "stripe" / "upload.yaml"
    server = StandIn().route("POST", r"/v1/files", lambda got: json_reply(200, FILE))
    stripe.api_key = KEY
    document = io.BytesIO(RECEIPT)
    document.name = "receipt.pdf"
    with server, recorder.replay(cassette, mode="once", target=server.url):
        assert stripe.File.create(purpose="dispute_evidence", file=document).id == "file_1"
    return cassette


def test_an_sdk_recorded_upload_answers_aiohttp_form_data(sdk_upload: Path) -> None:
    with recorder.replay(sdk_upload) as session:
        assert post(UPLOAD_URL, upload_form())["id"] == "file_1"
    [call] = session.calls(provider="stripe", method="POST", path="/v1/files")
    assert call.source == "cassette"
    session.assert_body("$.file.filename", "eq", "receipt.pdf")
    session.assert_body("$.file.content", "eq", RECEIPT.decode())


@pytest.mark.parametrize(("change", "field"), [
    ({"purpose": "identity_document"}, "body.purpose"),
    ({"content": RECEIPT.replace(b"1001", b"1002")}, "body.file.content"),
], ids=["field", "file"])
def test_a_changed_aiohttp_upload_is_named_in_the_drift_report(sdk_upload: Path, change: dict, field: str) -> None:
    with pytest.raises(DriftError) as caught, recorder.replay(sdk_upload):
        post(UPLOAD_URL, upload_form(**change))
    [candidate] = caught.value.report.candidates
    assert [d.path for d in candidate.differences] == [field]


@pytest.mark.parametrize(("make", "file_type"), [
    (upload_form, "application/octet-stream"),
    (upload_dict, "application/pdf"),  # aiohttp guesses a dict's file type from its name
], ids=["FormData", "dict-with-file"])
def test_recording_through_aiohttp_sends_and_keeps_the_multipart_body(
        tmp_path: Path, make: Callable[..., Any], file_type: str) -> None:
    cassette = tmp_path / "cassettes" / "stripe" / "aiohttp_upload.yaml"
    server = StandIn().route("POST", r"/v1/files", lambda got: json_reply(200, FILE))
    with server, recorder.replay(cassette, mode="once", target=server.url):
        assert post(UPLOAD_URL, make())["id"] == "file_1"
    [got] = server.received
    assert got.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert decode_multipart(got.body) == {"purpose": "dispute_evidence", "file": {
        "filename": "receipt.pdf", "content_type": file_type, "content": RECEIPT.decode()}}
    assert "receipt for order 1001" in cassette.read_text()

    with recorder.replay(cassette) as session:  # replayed under aiohttp's next random boundary
        assert post(UPLOAD_URL, make())["id"] == "file_1"
    assert [call.source for call in session.calls()] == ["cassette"]


def test_a_urlencoded_form_data_records_replays_and_reports_drift(tmp_path: Path) -> None:
    cassette = tmp_path / "cassettes" / "stripe" / "customer.yaml"
    url = "https://api.stripe.com/v1/customers"

    def form(email: str) -> aiohttp.FormData:
        return aiohttp.FormData([("email", email), ("metadata[order_id]", "11")])

    server = StandIn().route("POST", r"/v1/customers", lambda got: json_reply(200, CUSTOMER))
    with server, recorder.replay(cassette, mode="once", target=server.url):
        assert post(url, form("buyer@example.com"))["id"] == "cus_1"
    [got] = server.received
    assert got.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert got.form() == {"email": "buyer@example.com", "metadata[order_id]": "11"}

    with recorder.replay(cassette) as session:
        assert post(url, form("buyer@example.com"))["id"] == "cus_1"
    session.assert_body("$.metadata.order_id", "eq", "11")
    with pytest.raises(DriftError) as caught, recorder.replay(cassette):
        post(url, form("other@example.com"))
    [candidate] = caught.value.report.candidates
    assert [str(d) for d in candidate.differences] == [
        "body.email: recorded buyer@example.com, sent other@example.com"]

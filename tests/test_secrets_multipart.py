"""Keys sent as multipart/form-data fields (``requests.post(files=..., data={"api_key": ...})``).

Given an upload that carries the API key as a form field beside a binary file, when it is
recorded, then the field named by the profile's body-field rules is replaced, the file part
stays byte for byte, and the scanner, reading on its own, finds such a key if one slips through.
"""
from __future__ import annotations

from pathlib import Path

import requests
import yaml
from standin import StandIn, json_reply

from recorder.cassette import load_cassette
from recorder.providers import build_registry
from recorder.record import RecordConfig, RecordSession, Upstream
from recorder.secrets import scan_bytes
from recorder.secrets.multipart import boundary_of, form_fields, scrub_multipart

KEY = "Qm9vbXlhaDk4NzY1NDMyMXh5ejEyMzQ1Njc4OTA"  # no known prefix: only its field name gives it away
BINARY = bytes(range(256)) * 2
URL = "https://api.sendgrid.com/api/mail.send.json"


def _body(key: str = KEY, newline: bytes = b"\r\n") -> bytes:
    parts = [(b'name="api_user"', b"shop"), (b'name="api_key"', key.encode()),
             (b'name="api_key"; filename="api_key.bin"', BINARY), (b'name="to"', b"b@example.com")]
    out = b""
    for disposition, value in parts:
        out += b"--XyZ" + newline + b"Content-Disposition: form-data; " + disposition + newline + newline
        out += value + newline
    return out + b"--XyZ--" + newline


def test_boundary_is_read_only_from_multipart_form_data() -> None:
    assert boundary_of('multipart/form-data; boundary="XyZ"') == b"XyZ"
    assert boundary_of("multipart/form-data; charset=utf-8; boundary=XyZ") == b"XyZ"
    assert boundary_of("application/x-www-form-urlencoded") is None


def test_plain_fields_are_found_and_file_parts_are_not() -> None:
    for newline in (b"\r\n", b"\n"):
        body = _body(newline=newline)
        fields = {f.name: body[f.start:f.end] for f in form_fields(body, b"XyZ")}
        assert fields == {"api_user": b"shop", "api_key": KEY.encode(), "to": b"b@example.com"}


def test_scrub_replaces_named_fields_and_keeps_every_other_byte() -> None:
    body = _body()
    scrubbed = scrub_multipart(body, b"XyZ", lambda name: name == "api_key", lambda value: "<REDACTED>")
    assert scrubbed == _body("<REDACTED>")  # the binary part named api_key (a file) is untouched
    assert scrub_multipart(body, b"XyZ", lambda name: False, str) is body


def _cassette_with_body(body: bytes) -> bytes:
    """A cassette whose request body is ``body``: as text, or as ``!!binary`` when it is not UTF-8."""
    try:
        stored: str | bytes = body.decode("utf-8")
    except UnicodeDecodeError:
        stored = body  # PyYAML writes bytes as !!binary, as the canonical writer does
    data = {"interactions": [{"request": {"method": "POST", "uri": URL, "headers": {}, "body": stored},
                              "response": {"status": {"code": 200, "message": "OK"}, "headers": {},
                                           "body": {"string": ""}}}], "version": 1}
    return yaml.safe_dump(data).encode()


def test_scanner_finds_a_key_in_a_multipart_field_in_text_and_binary_bodies() -> None:
    text_body = _body().replace(BINARY, b"plain file")
    for body in (text_body, _body()):
        found = scan_bytes(_cassette_with_body(body), "c.yaml")
        assert [(f.interaction, f.location, f.kind) for f in found] == [(0, "request.body", "high_entropy_auth_value")]
        assert KEY not in str(found)
    assert scan_bytes(_cassette_with_body(_body("<REDACTED>")), "c.yaml") == []


def test_recording_an_upload_with_requests_scrubs_the_key_and_keeps_the_file(tmp_path: Path) -> None:
    server = StandIn().route("POST", r"/api/mail.send.json", lambda got: json_reply(200, {"message": "success"}))
    registry = build_registry()
    with server:
        config = RecordConfig(providers=(registry.get("sendgrid"),), cassette_dir=tmp_path, name="upload",
                              targets={"*": Upstream.from_url(server.url)})
        with RecordSession(config, registry):
            response = requests.post(URL, files={"attachment": ("a.bin", BINARY)},
                                     data={"api_user": "shop", "api_key": KEY, "to": "b@example.com"})
    assert response.json() == {"message": "success"}
    assert KEY.encode() in server.received[0].body  # the stand-in got the real key
    path = tmp_path / "sendgrid" / "upload.yaml"
    assert KEY not in path.read_text() and scan_bytes(path.read_bytes(), str(path)) == []
    request = load_cassette(path).interactions[0].request
    assert BINARY in request.body.raw
    assert b'name="api_key"\r\n\r\n<REDACTED>\r\n' in request.body.raw
    assert request.headers.get("Content-Length") == str(len(request.body.raw))

"""The canonical writer: vcrpy-compatible, reviewable, deterministic, atomic, byte-faithful.

Given a cassette, when written, then the file has one fixed layout that plain vcrpy plays,
that our fast reader parses to exactly what ``yaml.safe_load`` sees, and that reloads to the
same interactions (binary bytes exact; pretty-printed / decoded bodies equivalent).
"""
from __future__ import annotations

import gzip
import json
import os
import random
from pathlib import Path

import pytest
import yaml

from recorder.cassette import (Body, Cassette, Headers, Interaction, Request, Response, dumps_cassette,
                               parse_cassette, write_cassette)
from recorder.cassette.fastyaml import FastPathMiss, parse_canonical
from recorder.errors import BadInput


def interaction(*, uri: str = "https://api.stripe.com/v1/customers", method: str = "POST",
                request_headers: dict[str, list[str]] | None = None, request_body: bytes = b"",
                status: int = 200, headers: dict[str, list[str]] | None = None, body: bytes = b"",
                **meta: str | None) -> Interaction:
    response_headers = Headers((k, v) for k, v in (headers or {}).items())
    return Interaction(
        Request(method, uri, Headers((k, v) for k, v in (request_headers or {}).items()), Body(request_body)),
        Response(status, "OK", response_headers, Body(body, response_headers.get("Content-Encoding"))),
        **meta,
    )


def reread(cassette: Cassette) -> Cassette:
    return parse_cassette(dumps_cassette(cassette))


GOLDEN = """\
# recorder cassette v1: vcrpy-compatible; bodies are exact bytes unless noted
interactions:
- request:
    method: POST
    uri: https://api.stripe.com/v1/customers
    headers:
      accept:
      - '*/*'
      Content-Length:
      - '14'
      Stripe-Version:
      - '2019-05-16'
    body: email=a%40b.co
  response:
    status:
      code: 200
      message: OK
    headers: {}
    body:
      string: |
        line one
        line two
  recorded_at: Tue, 13 Aug 2019 10:00:00 GMT
  provider: stripe
  api_version: '2019-05-16'
version: 1
"""


def test_layout_is_vcrpy_shaped_with_metadata_beside_request_and_response() -> None:
    cassette = Cassette([interaction(
        request_headers={"Stripe-Version": ["2019-05-16"], "accept": ["*/*"], "Content-Length": ["14"]},
        request_body=b"email=a%40b.co", body=b"line one\nline two\n",
        recorded_at="Tue, 13 Aug 2019 10:00:00 GMT", provider="stripe", api_version="2019-05-16")])
    assert dumps_cassette(cassette).decode() == GOLDEN
    data = yaml.safe_load(GOLDEN)
    assert set(data["interactions"][0]["request"]) == {"method", "uri", "headers", "body"}  # Request(**dct)


def test_empty_cassette() -> None:
    text = dumps_cassette(Cassette()).decode()
    assert text.splitlines()[1:] == ["interactions: []", "version: 1"]
    assert yaml.safe_load(text) == parse_canonical(text) == {"interactions": [], "version": 1}
    assert len(reread(Cassette())) == 0


def test_same_cassette_written_twice_gives_identical_bytes_and_rereading_is_a_fixed_point(tmp_path: Path) -> None:
    cassette = Cassette([interaction(headers={"B": ["2"], "a": ["1"], "C": ["x", "y"]},
                                     body=b'{"id": "cus_1", "amount": 1.10, "nested": {"k": [1, 2, {}]}, "pad": "'
                                          + b"x" * 80 + b'"}', provider="stripe")])
    first = write_cassette(cassette, tmp_path / "a.yaml").read_bytes()
    second = write_cassette(cassette, tmp_path / "b.yaml").read_bytes()
    assert first == second == dumps_cassette(cassette)
    assert dumps_cassette(reread(cassette)) == first


def test_long_one_line_json_is_pretty_printed_with_content_length_fixed() -> None:
    raw = b'{"id":"ch_1","amount":1.10,"big":12345678901234567890,"name":"Z\\u00fcrich","list":[],"obj":{}}'
    cassette = Cassette([interaction(headers={"Content-Length": [str(len(raw))]}, body=raw)])
    response = reread(cassette).interactions[0].response
    text = response.body.raw.decode()
    assert text.startswith('{\n  "id": "ch_1",\n  "amount": 1.10,\n  "big": 12345678901234567890,')
    assert '"name": "Zürich"' in text and '"list": [],\n  "obj": {}\n}' in text
    assert json.loads(text) == json.loads(raw)
    assert response.headers.get("Content-Length") == str(len(response.body.raw))


def test_gzip_text_is_stored_decoded_and_binary_gzip_stays_binary() -> None:
    text_body = gzip.compress(b'{"login": "octocat"}')
    binary_body = gzip.compress(bytes(range(256)))
    cassette = Cassette([
        interaction(headers={"Content-Encoding": ["gzip"], "Content-Length": [str(len(text_body))]}, body=text_body),
        interaction(headers={"Content-Encoding": ["gzip"]}, body=binary_body),
    ])
    written = dumps_cassette(cassette).decode()
    assert "string: '{\"login\": \"octocat\"}'" in written
    decoded, binary = reread(cassette).interactions
    assert decoded.response.body.raw == b'{"login": "octocat"}'
    assert "Content-Encoding" not in decoded.response.headers
    assert decoded.response.headers.get("Content-Length") == "20"
    assert binary.response.body.raw == binary_body  # gzip bytes, byte for byte
    assert binary.response.body.content_encoding == "gzip"


def test_binary_bodies_round_trip_byte_for_byte() -> None:
    rng = random.Random(7)
    blobs = [bytes(rng.randrange(256) for _ in range(n)) for n in (1, 57, 58, 1000)] + [b"\xff\xfe", b"\x80"]
    cassette = Cassette([interaction(request_body=blob, body=blob[::-1]) for blob in blobs])
    assert "!!binary |" in dumps_cassette(cassette).decode()
    for before, after in zip(cassette, reread(cassette)):
        assert after.request.body.raw == before.request.body.raw
        assert after.response.body.raw == before.response.body.raw


TRICKY = [
    "", " ", "401", "0755", "1.10", "yes", "No", "null", "~", "true", "2019-05-16", "2019-05-16 10:00:00",
    "<<", "=", "-", "- x", "-x", "? x", ":x", "a: b", "a:b", "a #b", "a#b", "#x", "x:", "'q'", '"dq"', "it's",
    "tab\there", "  lead", "trail  ", "[1]", "{a}", "*ref", "&anchor", "!tag", "|", ">", "%x", "@x", "`x",
    "caf\u00e9", "\u2028", "\x85", "\ufeff", "\x00\x07\x1b\x7f", "\ud7ff\ue000\U0001f600", "\\", "back\\slash",
    "line\n", "a\nb", "a\nb\n\n", "\na", " a\nb", "a\n  b\n", "a\n \nb", "a\r\nb\r\n", "a\n\tb", "\t", "x\n\n\n",
]


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_text_round_trips_in_every_position(text: str) -> None:
    raw = text.encode("utf-8")
    cassette = Cassette([interaction(uri="https://x.test/" + text.replace("\n", ""), method="GET",
                                     request_headers={"X-Value": [text.replace("\n", " ")]},
                                     headers={"X-" + str(len(text)): [text.replace("\n", " "), "b"]},
                                     request_body=raw, body=raw, recorded_at=text.replace("\n", " "))])
    data = dumps_cassette(cassette).decode()
    assert parse_canonical(data) == yaml.safe_load(data)
    after = reread(cassette).interactions[0]
    before = cassette.interactions[0]
    assert after.request == before.request
    assert after.response.body.raw == raw and after.response.headers == before.response.headers
    assert after.recorded_at == before.recorded_at


def test_random_text_round_trips() -> None:
    rng = random.Random(11)
    alphabet = "ab :#'\"\\-?\n\t\r yn019.~{}[]é\u2028\x85\x00"
    cassette = Cassette([
        interaction(request_headers={"H": ["".join(rng.choice(alphabet) for _ in range(rng.randrange(8))).replace("\n", "")]},
                    body="".join(rng.choice(alphabet) for _ in range(rng.randrange(40))).encode())
        for _ in range(300)])
    data = dumps_cassette(cassette).decode()
    assert parse_canonical(data) == yaml.safe_load(data)
    for before, after in zip(cassette, reread(cassette)):
        assert after.request == before.request and after.response.body.raw == before.response.body.raw


@pytest.mark.parametrize("edit", [
    lambda t: t.replace("      - '14'", "      - 14"),  # an unquoted number: YAML reads an int
    lambda t: t.replace("    method: POST\n", "    method: POST  # hand edit\n"),
    lambda t: t.replace("interactions:\n", "interactions:\n\n"),
    lambda t: t.replace("  provider: stripe\n", "  provider: stripe\n  note: checked by hand\n"),
])
def test_hand_edited_canonical_files_fall_back_to_the_yaml_parser(edit) -> None:  # type: ignore[no-untyped-def]
    text = edit(GOLDEN)
    with pytest.raises(FastPathMiss):
        parse_canonical(text)
    cassette = parse_cassette(text.encode())
    assert cassette.dialect == "recorder" and cassette.interactions[0].request.headers.get("Content-Length") == "14"
    assert cassette.interactions[0].request.method == "POST"


def test_check_sees_the_bytes_first_and_a_failing_check_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "new" / "cassette.yaml"
    seen: list[tuple[bytes, Path]] = []

    def refuse(data: bytes, path: Path) -> None:
        seen.append((data, path))
        raise RuntimeError("secret found")

    cassette = Cassette([interaction(body=b"sk_test_123")])
    with pytest.raises(RuntimeError):
        write_cassette(cassette, target, check=refuse)
    assert seen == [(dumps_cassette(cassette), target)]
    assert not target.parent.exists()  # not even the folder


def test_failed_write_leaves_the_old_file_intact_and_no_temp_file(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "cassette.yaml"
    target.write_bytes(b"old contents")
    with pytest.raises(RuntimeError):
        write_cassette(Cassette([interaction()]), target, check=lambda data, path: (_ for _ in ()).throw(RuntimeError()))
    assert target.read_bytes() == b"old contents"

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(BadInput, match="cannot write: No space left on device"):
        write_cassette(Cassette([interaction()]), target)
    assert target.read_bytes() == b"old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cassette.yaml"]


def test_write_creates_folders_and_keeps_the_old_files_mode(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c.yaml"
    assert write_cassette(Cassette(), target) == target
    target.chmod(0o640)
    write_cassette(Cassette([interaction()]), target)
    assert target.stat().st_mode & 0o777 == 0o640
    assert len(parse_cassette(target.read_bytes())) == 1


@pytest.mark.parametrize("name", ["X-Plain", "x-lower", "a: b", "with:colon", "-lead", "#hash", "'quoted'",
                                  "yes", "123", "sp ace", "caf\u00e9", "tab\tname", "~"])
def test_unusual_header_names_round_trip(name: str) -> None:
    cassette = Cassette([interaction(request_headers={name: ["v"]}, headers={name: ["1", "2"], "Other": []})])
    data = dumps_cassette(cassette).decode()
    try:
        assert parse_canonical(data) == yaml.safe_load(data)
    except FastPathMiss:
        assert ":" in name  # quoted names with a colon are left to the YAML parser
    after = reread(cassette).interactions[0]
    assert after.request.headers.get_all(name) == ["v"]
    assert after.response.headers.get_all(name) == ["1", "2"] and "Other" in after.response.headers

"""Turning a response body into the form a reviewer can read, without changing what it means.

Two rewrites, both done only when they are safe and both keeping Content-Length honest so a
replaying HTTP client does not cut the body short or wait for more bytes:

* gzip/deflate bodies that decode to UTF-8 text are stored decoded, Content-Encoding removed
  (what vcrpy's ``decode_compressed_response`` does): a diff of base64-of-gzip shows nothing.
* JSON that arrived as one long line is pretty-printed (indent 2, key order and number
  spelling kept) so the diff points at the field that changed instead of one huge line.
"""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass

from recorder.cassette.headers import Headers

PRETTY_MIN_LENGTH = 80  # shorter one-line JSON reads fine as it is


@dataclass(slots=True)
class ReadableBody:
    headers: Headers
    raw: bytes
    decoded: bool = False
    pretty: bool = False


def readable_response_body(headers: Headers, raw: bytes) -> ReadableBody:
    """The headers and bytes to write for a response body (``headers`` is not modified)."""
    result = ReadableBody(headers, raw)
    encoding = (headers.get("Content-Encoding") or "").strip().lower()
    if raw and encoding in ("gzip", "x-gzip", "deflate"):
        plain = _decompress(raw, encoding)
        if plain is None or not _is_utf8(plain):
            return result  # binary or damaged: keep the exact wire bytes
        result.headers = headers.copy()
        result.headers.remove("Content-Encoding")
        result.raw, result.decoded = plain, True
    pretty = pretty_json(result.raw)
    if pretty is not None:
        if not result.decoded:
            result.headers = headers.copy()
        result.raw, result.pretty = pretty, True
    if (result.decoded or result.pretty) and "Content-Length" in result.headers:
        result.headers.set("Content-Length", str(len(result.raw)))
    return result


def _decompress(raw: bytes, encoding: str) -> bytes | None:
    try:
        if encoding == "deflate":
            try:
                return zlib.decompress(raw)
            except zlib.error:
                return zlib.decompress(raw, -zlib.MAX_WBITS)
        return zlib.decompress(raw, 16 + zlib.MAX_WBITS)
    except zlib.error:
        return None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class _Number(str):
    """A JSON number kept as the text it was written as (``1.10`` stays ``1.10``)."""


class _Pairs(list):  # type: ignore[type-arg]
    """A JSON object as its (key, value) pairs: order and duplicate keys survive."""


def pretty_json(raw: bytes) -> bytes | None:
    """``raw`` pretty-printed if it is long one-line JSON, else None."""
    if len(raw) < PRETTY_MIN_LENGTH or raw[:1] not in (b"{", b"["):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    body = text.rstrip("\n")
    if "\n" in body or "\r" in body:
        return None
    try:
        value = json.loads(body, object_pairs_hook=_Pairs, parse_float=_Number,
                           parse_int=_Number, parse_constant=_reject)
        out: list[str] = []
        _write(value, "", out)
    except (ValueError, RecursionError):
        return None
    return ("".join(out) + text[len(body):]).encode("utf-8")


def _reject(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _write(value: object, pad: str, out: list[str]) -> None:
    """Same layout as ``json.dumps(value, indent=2, ensure_ascii=False)``."""
    if isinstance(value, _Pairs):
        members = [(json.dumps(key, ensure_ascii=False) + ": ", item) for key, item in value]
        _write_container("{", "}", members, pad, out)
    elif isinstance(value, list):
        _write_container("[", "]", [("", item) for item in value], pad, out)
    elif isinstance(value, _Number):
        out.append(str(value))
    else:  # str, True, False, None
        out.append(json.dumps(value, ensure_ascii=False))


def _write_container(opening: str, closing: str, members: list[tuple[str, object]], pad: str,
                     out: list[str]) -> None:
    if not members:
        out.append(opening + closing)
        return
    inner = pad + "  "
    out.append(opening + "\n")
    for index, (prefix, item) in enumerate(members):
        out.append(inner + prefix)
        _write(item, inner, out)
        out.append(",\n" if index < len(members) - 1 else "\n")
    out.append(pad + closing)

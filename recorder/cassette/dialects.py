"""From the plain data of any cassette dialect to the typed model, with warnings, never guesses.

One reader covers all four dialects because they share a skeleton (request, response,
status, headers); what differs is how a body is spelled:

* vcrpy / recorder: request ``body`` is a str, bytes (``!!binary``) or null; response
  ``body: {string: ...}``.
* Ruby VCR (YAML and JSON): ``body: {encoding, string}`` or ``{encoding, base64_string}``;
  the string may be ``!binary`` bytes; ``encoding`` names the charset to re-encode with
  (what VCR itself does on playback), so ISO-8859-1 bodies get their wire bytes back.
* Betamax: like Ruby VCR, plus scalar (not list) header values and ``string: ""`` next to a
  ``base64_string`` holding gzip bytes.

Structural breakage (no request, a uri that is a list...) is ``BadInput`` naming the place;
hand edits and filter damage load with a :class:`LoadWarning` on the interaction.
"""
from __future__ import annotations

import base64
import binascii
import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recorder.cassette.headers import Headers
from recorder.cassette.model import Body, Cassette, Interaction, LoadWarning, Request, Response
from recorder.cassette.yamlio import Tagged
from recorder.errors import BadInput

_NETLOC = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)")
_ERB_TAG = re.compile(rb"<%=?.{0,60}?%>", re.S)
_REGEX_ESCAPE = re.compile(r"\\(.)")
# A filter placeholder (``<VENDOR_ID>``) glued to letters or digits replaced text inside a word.
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+>")
_PLACEHOLDER_B = re.compile(rb"<[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+>")
_WORDISH = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


@dataclass(slots=True)
class _Reader:
    """State for one load: where we are (for error places) and the provider lookups made."""

    path: Path | None
    dialect: str
    list_key: str
    registry_factory: Callable[[], Any]
    warnings: list[LoadWarning] = field(default_factory=list)
    _registry: Any = None
    _by_host: dict[str, Any] = field(default_factory=dict)

    def bad(self, message: str, place: str) -> BadInput:
        return BadInput(self.path, message, place=place)

    def warn(self, index: int, message: str) -> None:
        self.warnings.append(LoadWarning(index, message))

    def provider_for(self, host: str) -> Any:
        if host not in self._by_host:
            if self._registry is None:
                self._registry = self.registry_factory()
            self._by_host[host] = self._registry.for_host(host) if host else None
        return self._by_host[host]


def detect_dialect(data: Any, *, canonical: bool, path: Path | None) -> tuple[str, str, list[Any]]:
    """``(dialect, list key, interactions)`` from the shape of the data, not the file name."""
    if isinstance(data, list) and data and all(isinstance(i, dict) and "request" in i for i in data):
        return "vcrpy", "interactions", data  # vcrpy before 1.0: a bare list, no version key
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise BadInput(path, f"not a cassette: the document is {kind}, not a mapping")
    if "interactions" in data:
        key, dialect = "interactions", ("recorder" if canonical else "vcrpy")
    elif "http_interactions" in data:
        key = "http_interactions"
        items = data.get(key) or []
        first = items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}
        response = first.get("response") if isinstance(first.get("response"), dict) else {}
        betamax = str(data.get("recorded_with") or "").lower().startswith("betamax") or "url" in response
        dialect = "betamax" if betamax else "ruby-vcr"
    else:
        raise BadInput(path, "not a cassette: no 'interactions' (vcrpy) or "
                             "'http_interactions' (VCR, Betamax) list at the top level")
    items = data.get(key)
    if items is None:
        items = []
    if not isinstance(items, list):
        raise BadInput(path, f"'{key}' must be a list, not a {type(items).__name__}", place=key)
    return dialect, key, items


def build_cassette(data: Any, *, path: Path | None, canonical: bool, trusted: bool,
                   registry_factory: Callable[[], Any], recorded_with: str | None = None) -> Cassette:
    """The model for parsed ``data``; ``trusted`` means it came from the fast canonical reader."""
    dialect, key, items = detect_dialect(data, canonical=canonical, path=path)
    reader = _Reader(path, dialect, key, registry_factory)
    if isinstance(data, dict) and recorded_with is None and data.get("recorded_with") is not None:
        recorded_with = str(data["recorded_with"])
    interactions = [_interaction(reader, index, item, trusted) for index, item in enumerate(items)]
    return Cassette(interactions=interactions, path=path, dialect=dialect,
                    recorded_with=recorded_with, warnings=reader.warnings)


def _interaction(reader: _Reader, index: int, item: Any, trusted: bool) -> Interaction:
    place = f"{reader.list_key}[{index}]"
    if not isinstance(item, dict):
        raise reader.bad("expected a mapping with 'request' and 'response'", place)
    req, resp = item.get("request"), item.get("response")
    if not isinstance(req, dict):
        raise reader.bad("missing or malformed 'request'", place + ".request")
    if not isinstance(resp, dict):
        raise reader.bad("missing or malformed 'response'", place + ".response")

    method = req.get("method")
    if not isinstance(method, str) or not method:
        raise reader.bad("request has no method", place + ".request.method")
    uri = req.get("uri")
    if not isinstance(uri, str):
        raise reader.bad("request has no uri", place + ".request.uri")
    request_headers = _headers(reader, index, req.get("headers"), place + ".request.headers", trusted)
    response_headers = _headers(reader, index, resp.get("headers"), place + ".response.headers", trusted)
    status, reason = _status(reader, resp.get("status"), place + ".response.status")

    if reader.dialect in ("vcrpy", "recorder"):
        request_raw = _plain_body(reader, index, req.get("body"), "request", place)
        body = resp.get("body")
        response_raw = _plain_body(reader, index, body.get("string") if isinstance(body, dict) else body,
                                   "response", place)
    else:
        request_raw = _encoded_body(reader, index, req.get("body"), "request", place)
        response_raw = _encoded_body(reader, index, resp.get("body"), "response", place)

    request = Request(method.upper(), str(uri), request_headers,
                      Body.of(request_raw, request_headers.get("Content-Encoding")))
    response = Response(status, reason, response_headers,
                        Body.of(response_raw, response_headers.get("Content-Encoding")))
    recorded_at = item.get("recorded_at")
    interaction = Interaction(request, response, None if recorded_at is None else str(recorded_at))
    _annotate(reader, index, interaction, item, uri)
    return interaction


def _headers(reader: _Reader, index: int, value: Any, place: str, trusted: bool) -> Headers:
    if not value:
        return Headers()
    if not isinstance(value, dict):
        raise reader.bad(f"headers must be a mapping, not a {type(value).__name__}", place)
    if trusted:
        return Headers.from_lists(value)
    if isinstance(value, Tagged):
        reader.warn(index, f"{place.split('.', 1)[1]} carry YAML tag {value.tag}; kept as plain headers")
    for name, values in value.items():
        if isinstance(values, dict):
            raise reader.bad("header value must be text or a list of text", f"{place}.{name}")
    if any(isinstance(v, list) and None in v for v in value.values()):  # ``- `` with nothing after it
        value = {k: [("" if x is None else x) for x in v] if isinstance(v, list) else v for k, v in value.items()}
    return Headers.from_mapping(value)


def _status(reader: _Reader, value: Any, place: str) -> tuple[int, str]:
    code: Any = value
    message: Any = ""
    if isinstance(value, dict):
        code, message = value.get("code"), value.get("message")
    text = str(code).strip() if code is not None else ""
    digits = text[:3]
    if not (len(digits) == 3 and digits.isdigit()):
        raise reader.bad(f"status code {code!r} is not an HTTP status", place + ".code")
    return int(digits), "" if message is None else str(message)


def _plain_body(reader: _Reader, index: int, value: Any, side: str, place: str) -> bytes:
    """vcrpy spelling: str (UTF-8 text), bytes (``!!binary``) or null."""
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        if isinstance(value, Tagged):
            reader.warn(index, f"{side} body has YAML tag {value.tag}; kept its text")
        return value.encode("utf-8", "surrogatepass")
    if isinstance(value, list) and all(isinstance(v, (bytes, str)) for v in value):
        return b"".join(v if isinstance(v, bytes) else v.encode("utf-8") for v in value)
    if isinstance(value, dict):  # a Ruby-style body inside a vcrpy file (hand-merged cassettes)
        return _encoded_body(reader, index, value, side, place)
    raise reader.bad(f"{side} body must be text, bytes or null, not {type(value).__name__}",
                     f"{place}.{side}.body")


def _encoded_body(reader: _Reader, index: int, value: Any, side: str, place: str) -> bytes:
    """Ruby VCR / Betamax spelling: ``{encoding, string}`` or ``{encoding, base64_string}``."""
    if value is None or isinstance(value, (str, bytes)):
        return _plain_body(reader, index, value, side, place)
    if not isinstance(value, dict):
        raise reader.bad(f"{side} body must be a mapping", f"{place}.{side}.body")
    encoding = value.get("encoding")
    encoded = value.get("base64_string")
    string = value.get("string")
    if encoded:
        try:
            return base64.b64decode(str(encoded).encode("ascii"), validate=False)
        except (binascii.Error, UnicodeEncodeError):
            reader.warn(index, f"{side} body base64_string is not valid base64; kept as text")
            return str(encoded).encode("utf-8")
    if isinstance(string, bytes):
        return string
    if string is None:
        return b""
    if isinstance(string, Tagged):
        reader.warn(index, f"{side} body has YAML tag {string.tag}; kept its text")
    return _encode_text(str(string), encoding)


def _encode_text(text: str, encoding: Any) -> bytes:
    """What VCR does on playback: re-encode in the recorded charset, UTF-8 when that fails."""
    name = str(encoding or "").strip()
    if name and name.upper() not in ("UTF-8", "ASCII-8BIT", "BINARY", "US-ASCII", "ASCII"):
        try:
            codecs.lookup(name)
            return text.encode(name)
        except (LookupError, UnicodeEncodeError):
            pass
    return text.encode("utf-8", "surrogatepass")


def _annotate(reader: _Reader, index: int, interaction: Interaction, item: dict[str, Any],
              uri: str) -> None:
    """Provider, API version and the damage warnings for one interaction."""
    host_source = uri
    if isinstance(uri, Tagged):
        if "regexp" in uri.tag:
            reader.warn(index, f"request uri is a Ruby regexp {uri}; kept as its source text")
            host_source = _REGEX_ESCAPE.sub(r"\1", uri.strip("/")).lstrip("^")  # host for the provider
        else:
            reader.warn(index, f"request uri has YAML tag {uri.tag}; kept its text")
    found = _NETLOC.match(host_source)
    netloc = found.group(1) if found else ""
    if "provider" in item or "api_version" in item:  # written by us: trust it, skip the lookup
        interaction.provider = None if item.get("provider") is None else str(item["provider"])
        interaction.api_version = None if item.get("api_version") is None else str(item["api_version"])
    else:
        _assign_provider(reader, interaction, netloc)
    _uri_warnings(reader, index, uri, netloc)
    for side, body in (("request", interaction.request.body), ("response", interaction.response.body)):
        if body.raw:
            _body_warnings(reader, index, side, body)
    if interaction.api_version and _PLACEHOLDER.search(interaction.api_version):
        reader.warn(index, f"api version {interaction.api_version!r} has placeholder damage")


def _assign_provider(reader: _Reader, interaction: Interaction, netloc: str) -> None:
    provider = reader.provider_for(netloc)
    if provider is None:
        return
    interaction.provider = provider.name
    header = provider.api_version_header
    if header:
        interaction.api_version = (interaction.request.headers.get(header)
                                   or interaction.response.headers.get(header))


def _uri_warnings(reader: _Reader, index: int, uri: str, netloc: str) -> None:
    damage = _PLACEHOLDER.search(uri)
    while damage is not None and not _glued(uri, damage.start(), damage.end()):
        damage = _PLACEHOLDER.search(uri, damage.end())
    if damage is not None:
        reader.warn(index, f"placeholder damage {damage.group()} in uri: a filter replaced text "
                           "inside a word, so the URL is not the one that was requested")
    if "<%" in uri:
        reader.warn(index, "request uri looks like an ERB template (<%= ... %>); kept as text")
    if "@" in netloc:
        reader.warn(index, "request uri carries credentials as userinfo (user:password@host)")


def _body_warnings(reader: _Reader, index: int, side: str, body: Body) -> None:
    """Cheap byte searches only: bodies are not decoded or parsed while loading."""
    raw = body.raw
    if b"<%" in raw and b"%>" in raw:
        tag = _ERB_TAG.search(raw)
        if tag is not None:
            reader.warn(index, f"{side} body looks like an ERB template ({_excerpt(tag.group())}); "
                               "kept as text, so replay sends the tag literally, not its value")
    if body.content_encoding in ("gzip", "x-gzip") and raw[:2] != b"\x1f\x8b":
        reader.warn(index, f"{side} says Content-Encoding: gzip but its body is not gzip data; "
                           "a replaying client will fail to decode it")
    if body.content_encoding is None and b"<" in raw:
        hit = _glued_placeholder(raw)
        if hit:
            reader.warn(index, f"placeholder damage {hit} in {side} body: a filter replaced text "
                               "inside words, so JSON/form data may no longer parse")


def _excerpt(tag: bytes) -> str:
    return tag.decode("utf-8", "replace").replace("\n", " ")


def _glued(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return before.isalnum() or after.isalnum()


def _glued_placeholder(raw: bytes) -> str | None:
    for found in _PLACEHOLDER_B.finditer(raw):
        start, end = found.span()
        if (start > 0 and raw[start - 1] in _WORDISH) or (end < len(raw) and raw[end] in _WORDISH):
            return found.group().decode("ascii")
    return None

"""The one place that speaks vcrpy's cassette protocol.

vcrpy's stubs (http.client, requests, urllib3, httpx sync+async, aiohttp, ...) intercept the
HTTP clients and ask a *cassette object* four questions: can you play this request, play it,
is recording forbidden, and here is a real response to append. We hand them an object that
asks a ``CallHandler`` instead, so recording and replay decide per request, in our own typed
model, with our own O(1) matching, while vcrpy does what it is good at: patching clients.
"""
from __future__ import annotations

import contextlib
import enum
import json
from collections.abc import Iterator, Mapping
from urllib.parse import urlencode
from typing import Any, Protocol

from vcr.patch import CassettePatcherBuilder
from vcr.request import Request as VcrRequest

from recorder.cassette.headers import Headers
from recorder.cassette.model import Body, Request, Response
from recorder.errors import RecorderError


class Decision(enum.Enum):
    ANSWER = "answer"  # we produce the response (replay it, or fetch and record it)
    PASS = "pass"      # let the client talk to the network untouched
    BLOCK = "block"    # refuse: the request may not leave the machine


class NetworkBlocked(RecorderError):
    """A request went to a host that this session does not allow."""


class CallHandler(Protocol):
    def decide(self, request: Request) -> Decision: ...

    def respond(self, request: Request) -> Response: ...

    def blocked_message(self, request: Request) -> str: ...

    def passed_through(self, request: Request, response: Response) -> None: ...


_DECISION = "_recorder_decision"
_REQUEST = "_recorder_request"


def to_model(vcr_request: VcrRequest) -> Request:
    """Our Request for vcrpy's (cached on it: vcrpy asks about the same request more than once)."""
    cached = vcr_request.__dict__.get(_REQUEST)
    if cached is not None:
        return cached
    headers = Headers()
    for name, value in vcr_request.headers.items():
        if isinstance(value, (list, tuple)):
            headers.add(name, *(_text(v) for v in value))
        else:
            headers.add(name, _text(value))
    request = Request(method=vcr_request.method.upper(), uri=vcr_request.uri, headers=headers,
                      body=Body(_body_bytes(vcr_request, headers)))
    vcr_request.__dict__[_REQUEST] = request
    return request


def _body_bytes(vcr_request: VcrRequest, headers: Headers) -> bytes:
    """The bytes the client sends. aiohttp's stub hands over ``data=``/``json=`` before aiohttp
    encodes them, so a mapping is encoded here the way aiohttp would: flat -> form, nested -> JSON.
    (A flat ``json=`` dict is indistinguishable at this point and is taken as a form.)"""
    body = vcr_request.body_bytes if hasattr(vcr_request, "body_bytes") else vcr_request.body
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, Mapping) or (isinstance(body, (list, tuple)) and all(
            isinstance(f, tuple) and len(f) == 2 for f in body)):
        pairs = list(body.items()) if isinstance(body, Mapping) else list(body)
        if all(isinstance(v, (str, int, float)) for _, v in pairs):
            headers.set("Content-Type", "application/x-www-form-urlencoded")
            return urlencode(pairs).encode("ascii")
        headers.set("Content-Type", "application/json")
        return json.dumps(body).encode("utf-8")
    if isinstance(body, (list, dict, int, float, bool)):
        headers.set("Content-Type", "application/json")
        return json.dumps(body).encode("utf-8")
    return bytes(body) if isinstance(body, (bytearray, memoryview)) else str(body).encode("utf-8")


def to_vcr_response(response: Response) -> dict[str, Any]:
    """vcrpy's response dict, with any gzip/deflate already undone.

    vcrpy's stubs disagree about compressed bodies (the urllib3 one hands bytes over as they
    are, the httpx one lets httpx decode), so every client gets plain bytes and no
    Content-Encoding: the one form they all read the same way.
    """
    headers = response.headers
    body = response.body.raw
    if response.body.content_encoding:
        decoded = response.body.decoded
        if decoded != body:
            headers = headers.copy()
            headers.remove("Content-Encoding")
            if "Content-Length" in headers:
                headers.set("Content-Length", str(len(decoded)))
            body = decoded
    return {
        "status": {"code": response.status, "message": response.reason},
        "headers": headers.to_dict(),
        "body": {"string": body},
    }


def _from_vcr_response(data: dict[str, Any]) -> Response:
    headers = Headers.from_mapping(data.get("headers") or {})
    raw = (data.get("body") or {}).get("string") or b""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    status = data.get("status") or {}
    return Response(status=int(status.get("code", 0)), reason=str(status.get("message") or ""),
                    headers=headers, body=Body(raw, headers.get("Content-Encoding")))


def _text(value: object) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


class _InterceptingCassette:
    """Duck-types ``vcr.cassette.Cassette`` for vcrpy's stubs; every answer comes from the handler."""

    write_protected = False  # vcrpy never records on its own: we answer everything we care about
    custom_patches: tuple[Any, ...] = ()
    _path = "[recorder]"  # vcrpy names its per-cassette stub subclasses after this

    def __init__(self, handler: CallHandler) -> None:
        self._handler = handler

    def _decision(self, vcr_request: VcrRequest) -> Decision:
        decision = vcr_request.__dict__.get(_DECISION)
        if decision is None:
            request = to_model(vcr_request)
            decision = self._handler.decide(request)
            vcr_request.__dict__[_DECISION] = decision
        if decision is Decision.BLOCK:
            raise NetworkBlocked(self._handler.blocked_message(to_model(vcr_request)))
        return decision

    def can_play_response_for(self, vcr_request: VcrRequest) -> bool:
        return self._decision(vcr_request) is Decision.ANSWER

    def play_response(self, vcr_request: VcrRequest) -> dict[str, Any]:
        return to_vcr_response(self._handler.respond(to_model(vcr_request)))

    def filter_request(self, vcr_request: VcrRequest) -> None:
        return None  # nothing is for vcrpy to record

    def append(self, vcr_request: VcrRequest, vcr_response: dict[str, Any]) -> None:
        # Only passed-through traffic arrives here (http.client's stub reports it unconditionally).
        self._handler.passed_through(to_model(vcr_request), _from_vcr_response(vcr_response))

    def find_requests_with_most_matches(self, vcr_request: VcrRequest) -> list[tuple[VcrRequest, list, list]]:
        # aiohttp's stub follows redirects by asking for "the closest recorded request"; the
        # redirect target itself is the right question to put to the handler.
        return [(vcr_request, [], [])]


@contextlib.contextmanager
def intercept(handler: CallHandler) -> Iterator[None]:
    """Route every HTTP call made by the supported clients through ``handler`` while active."""
    cassette = _InterceptingCassette(handler)
    with contextlib.ExitStack() as stack:
        for patcher in CassettePatcherBuilder(cassette).build():
            stack.enter_context(patcher)
        yield

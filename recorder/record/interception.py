"""The one place that speaks vcrpy's cassette protocol, and where every interception layer starts.

vcrpy's stubs (http.client, httpx sync+async, aiohttp, ...) intercept the HTTP clients and ask
a *cassette object* four questions: can you play this request, play it, is recording
forbidden, and here is a real response to append. We hand them an object that asks a
``CallHandler`` instead, so recording and replay decide per request, in our own typed model,
with our own O(1) matching, while vcrpy does what it is good at: patching clients.

urllib3 (and so requests) is the exception: it is answered at its connection pool
(``record/pool.py``), which is several times cheaper per call than vcrpy's stubs and lets
loopback traffic pass on real connections. ``client_layers`` adds what vcrpy's stubs do not
pass on (the caller's timeout, aiohttp's ``json=``, the bytes of an aiohttp form).
"""
from __future__ import annotations

import contextlib
import json
import weakref
from collections.abc import Iterator
from urllib.parse import urlencode
from typing import TYPE_CHECKING, Any

from recorder.cassette.headers import Headers
from recorder.cassette.model import Body, Request, Response
from recorder.record.client_layers import body_given_as_json, client_layers, form_fields
from recorder.record.handler import CallHandler, Decision, NetworkBlocked, plain_response

if TYPE_CHECKING:
    from vcr.request import Request as VcrRequest

__all__ = ["CallHandler", "Decision", "NetworkBlocked", "intercept", "to_model", "to_vcr_response"]


def _pool_layer() -> Any:
    """The urllib3 pool layer (record/pool.py) needs urllib3 2; without it vcrpy's stubs do that job."""
    try:
        import urllib3
    except ImportError:
        return None
    if int(urllib3.__version__.split(".")[0]) < 2:
        return None
    from recorder.record import pool

    return pool


_POOLS = _pool_layer()
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
    encodes them, so they are encoded here the way aiohttp would: ``json=`` as JSON (the wrapper
    in client_layers tells which it was), a ``data=`` mapping or list of pairs as a form (nested:
    JSON). A ``FormData``, or a mapping holding a file, never gets here unencoded: the wrapper
    encodes it with aiohttp's own writer first (only it can await a multipart writer)."""
    body = vcr_request.body  # the object given (``body_bytes`` would join a list of pairs as bytes)
    if body is None:
        return b""
    if body_given_as_json() and not isinstance(body, bytes):
        headers.set("Content-Type", "application/json")
        return json.dumps(body).encode("utf-8")
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):  # a file body: vcrpy keeps the bytes and hands out a fresh BytesIO
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    pairs = form_fields(body)
    if pairs is not None:
        if all(isinstance(v, (str, int, float)) for _, v in pairs):
            headers.set("Content-Type", "application/x-www-form-urlencoded")
            return urlencode(pairs).encode("ascii")
        headers.set("Content-Type", "application/json")
        return json.dumps(body).encode("utf-8")
    if isinstance(body, (list, dict, int, float, bool)):
        headers.set("Content-Type", "application/json")
        return json.dumps(body).encode("utf-8")
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    if hasattr(body, "__next__"):  # an iterator of chunks (vcrpy kept them as a list)
        return b"".join(c.encode("utf-8") if isinstance(c, str) else bytes(c) for c in body)
    return str(body).encode("utf-8")


def to_vcr_response(response: Response) -> dict[str, Any]:
    """vcrpy's response dict, in the one plain form every client reads the same way."""
    plain = plain_response(response)
    return {
        "status": {"code": plain.status, "message": plain.reason},
        "headers": plain.headers.to_dict(),
        "body": {"string": plain.body},
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
    # urllib3 (and requests on it) is intercepted at its pool instead, when it can be (record/pool.py).
    skip_patchers = ("requests", "urllib3") if _POOLS is not None else ()
    custom_patches: tuple[Any, ...] = ()
    _path = "[recorder]"  # vcrpy names its per-cassette stub subclasses after this

    def __init__(self, handler: CallHandler) -> None:
        self._handler = handler

    def release(self) -> None:
        """Keep only a weak reference to the handler once interception ends.

        vcrpy builds stub subclasses per cassette, and classes live in reference cycles, so
        through them the session, with every interaction it loaded (35,000 objects for a 3,000
        cassette), would stay in memory until a full garbage collection, whose cost then lands
        on whatever code runs next. A stale stub used after the session is gone gets a
        ReferenceError instead of a closed session's answers."""
        self._handler = weakref.proxy(self._handler)  # type: ignore[assignment]

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

    def filter_request(self, vcr_request: VcrRequest) -> VcrRequest | None:
        # aiohttp's stub hands a passed-through response to ``append`` only when this is truthy;
        # the others ask it only while ``write_protected``, which we never are.
        return vcr_request if vcr_request.__dict__.get(_DECISION) is Decision.PASS else None

    def append(self, vcr_request: VcrRequest, vcr_response: dict[str, Any]) -> None:
        # Only passed-through traffic arrives here (http.client's stub reports it unconditionally).
        if _POOLS is not None and _POOLS.passing():
            return  # a vcrpy that ignores skip_patchers: the pool layer logs this call already
        self._handler.passed_through(to_model(vcr_request), _from_vcr_response(vcr_response))

    def find_requests_with_most_matches(self, vcr_request: VcrRequest) -> list[tuple[VcrRequest, list, list]]:
        # aiohttp's stub follows redirects by asking for "the closest recorded request"; the
        # redirect target itself is the right question to put to the handler.
        return [(vcr_request, [], [])]


@contextlib.contextmanager
def intercept(handler: CallHandler) -> Iterator[None]:
    """Route every HTTP call made by the supported clients through ``handler`` while active."""
    # Imported here: vcrpy pulls in every client it patches (aiohttp alone is ~0.2 s), and the
    # CLI's contract commands never intercept anything.
    from vcr.patch import CassettePatcherBuilder

    cassette = _InterceptingCassette(handler)
    with contextlib.ExitStack() as stack:
        stack.callback(cassette.release)
        for patcher in CassettePatcherBuilder(cassette).build():
            stack.enter_context(patcher)
        stack.enter_context(client_layers())
        if _POOLS is not None:
            stack.enter_context(_POOLS.intercept_pools(handler))
        yield

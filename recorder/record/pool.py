"""urllib3 (and so requests, and the SDKs on it) intercepted at the connection pool.

vcrpy swaps urllib3's connection classes for stubs that answer with ``http.client``-like
responses, parsed twice through ``email.parser``, and passes real traffic through by undoing
all of its patches for every call. That was most of the time of a replayed ``requests`` call,
and more than a millisecond per passed loopback call. Here the decision is taken once, in
``HTTPConnectionPool.urlopen`` (urllib3's public entry point for every request; PoolManager and
requests' adapter both end there):

- ANSWER: a real ``urllib3.HTTPResponse`` is built from the handler's response (no socket, no
  connection taken from the pool), then urllib3's own rules for what follows a response apply:
  redirects when ``redirect=True``, retries on status and Retry-After, a read timeout retried
  per ``Retry``, so a replayed call behaves as the live one did;
- PASS: the original ``urlopen`` runs untouched on real connections; the response is read
  once, logged, and handed on from memory (as vcrpy did);
- BLOCK: ``NetworkBlocked`` before any connection is made.

Sessions nest: the innermost active handler decides; ``urlopen`` is restored when the last ends.
One layer up, requests' per-call environment lookup is skipped for calls that cannot leave the
process (``requests_offline``), on the same lifecycle.
"""
from __future__ import annotations

import contextlib
import contextvars
import io
import socket
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from urllib3 import HTTPHeaderDict, HTTPResponse
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.exceptions import HostChangedError, MaxRetryError, ReadTimeoutError
from urllib3.util.request import set_file_position
from urllib3.util.retry import Retry
from urllib3.util.timeout import Timeout

from recorder.cassette.headers import Headers
from recorder.cassette.model import Body, Request, Response
from recorder.record import requests_offline
from recorder.record.delays import ResponseTimedOut, client_wait
from recorder.record.handler import CallHandler, Decision, NetworkBlocked, plain_response

_DEFAULT_TIMEOUT = Timeout.DEFAULT_TIMEOUT
_DEFAULT_PORTS = {"http": 80, "https": 443}
# What urllib3 drops when a 303 turns a request into a GET without a body.
_BODY_HEADERS = frozenset({"content-encoding", "content-language", "content-location", "content-type",
                           "content-length", "digest", "last-modified"})

_ORIGINAL = HTTPConnectionPool.urlopen
_handlers: list[CallHandler] = []
_lock = threading.Lock()
# Set while the original urlopen runs for a passed call: urllib3's own retries and redirects
# recurse into urlopen on the same pool, and those were already decided.
_passing: contextvars.ContextVar[bool] = contextvars.ContextVar("recorder_urllib3_passing", default=False)


def passing() -> bool:
    """True while a passed call runs on urllib3's real connections."""
    return _passing.get()


@contextlib.contextmanager
def intercept_pools(handler: CallHandler) -> Iterator[None]:
    """While active, every urllib3 request is put to ``handler`` (the innermost one, if nested)."""
    with _lock:
        _handlers.append(handler)
        HTTPConnectionPool.urlopen = _urlopen  # type: ignore[method-assign]
        requests_offline.install(innermost)
    try:
        yield
    finally:
        with _lock:
            # The innermost occurrence: sessions may end out of order (threads), or nest one handler twice.
            del _handlers[len(_handlers) - 1 - _handlers[::-1].index(handler)]
            if not _handlers:
                HTTPConnectionPool.urlopen = _ORIGINAL  # type: ignore[method-assign]
                requests_offline.uninstall()


def innermost() -> CallHandler | None:
    """The handler that decides for calls made now (the most recently opened session), if any."""
    return _handlers[-1] if _handlers else None


@dataclass(slots=True)
class _Call:
    """One ``urlopen`` call with its arguments, so urllib3's follow-ups can repeat it changed."""

    pool: HTTPConnectionPool
    method: str
    url: str
    body: Any
    headers: Any
    retries: Any  # a Retry once the call is put to a handler; as given before
    redirect: bool
    assert_same_host: bool
    timeout: Any
    pool_timeout: Any
    release_conn: bool | None
    chunked: bool
    body_pos: Any
    preload_content: bool
    decode_content: bool
    response_kw: dict[str, Any] = field(default_factory=dict)

    def again(self, **changes: Any) -> Any:
        call = replace(self, **changes)
        return call.pool.urlopen(call.method, call.url, call.body, call.headers, call.retries, call.redirect,
                                 call.assert_same_host, timeout=call.timeout, pool_timeout=call.pool_timeout,
                                 release_conn=call.release_conn, chunked=call.chunked, body_pos=call.body_pos,
                                 preload_content=call.preload_content, decode_content=call.decode_content,
                                 **call.response_kw)

    def original(self, **changes: Any) -> Any:
        call = replace(self, **changes) if changes else self
        token = _passing.set(True)
        try:
            return _ORIGINAL(call.pool, call.method, call.url, call.body, call.headers, call.retries,
                             call.redirect, call.assert_same_host, timeout=call.timeout,
                             pool_timeout=call.pool_timeout, release_conn=call.release_conn, chunked=call.chunked,
                             body_pos=call.body_pos, preload_content=call.preload_content,
                             decode_content=call.decode_content, **call.response_kw)
        finally:
            _passing.reset(token)


def _urlopen(pool: HTTPConnectionPool, method: str, url: str, body: Any = None, headers: Any = None,
             retries: Retry | bool | int | None = None, redirect: bool = True, assert_same_host: bool = True,
             timeout: Any = _DEFAULT_TIMEOUT, pool_timeout: int | None = None, release_conn: bool | None = None,
             chunked: bool = False, body_pos: Any = None, preload_content: bool = True,
             decode_content: bool = True, **response_kw: Any) -> Any:
    """``HTTPConnectionPool.urlopen`` while a session is active (same signature, same meaning)."""
    call = _Call(pool, method, url, body, headers if headers is not None else pool.headers, retries, redirect,
                 assert_same_host, timeout, pool_timeout, release_conn, chunked, body_pos, preload_content,
                 decode_content, response_kw)
    handler = innermost()
    if handler is None or _passing.get():
        return call.original()  # a session just ended, or urllib3 retrying a call that was passed
    if not isinstance(retries, Retry):
        retries = call.retries = Retry.from_int(retries, redirect=redirect, default=pool.retries)
    request = Request(method.upper(), _absolute(pool, url), _headers(call.headers))
    decision = handler.decide(request)
    if decision is Decision.BLOCK:
        raise NetworkBlocked(handler.blocked_message(request))
    if decision is Decision.PASS:
        return _pass(call, request, handler)
    if assert_same_host and not pool.is_same_host(url):
        raise HostChangedError(pool, url, retries)
    call.body_pos = set_file_position(body, body_pos)  # as urllib3 does: a retry rewinds a file body
    request.body = Body.of(_body_bytes(body))
    try:
        with client_wait(lambda: _read_timeout(pool, timeout)):
            answer = handler.respond(request)
    except ResponseTimedOut as timed_out:
        error = ReadTimeoutError(pool, url, f"Read timed out. (read timeout={timed_out.timeout})")
        retries = retries.increment(method, url, error=error, _pool=pool, _stacktrace=sys.exc_info()[2])
        retries.sleep()
        return call.again(retries=retries)
    return _follow_up(call, _response(call, answer))


def _pass(call: _Call, request: Request, handler: CallHandler) -> Any:
    """The real request on real connections; read once so the session can log it, then handed on."""
    if isinstance(call.body, (bytes, str)):
        request.body = Body.of(_body_bytes(call.body))  # a stream is the server's to read, not ours
    live = call.original(preload_content=False, decode_content=False, release_conn=False)
    raw = live.read(decode_content=False)
    live.release_conn()
    handler.passed_through(request, Response(live.status, live.reason or "", _headers(live.headers),
                                             Body(raw, live.headers.get("Content-Encoding"))))
    return HTTPResponse(body=io.BytesIO(raw), headers=live.headers, status=live.status, version=live.version,
                        reason=live.reason,
                        preload_content=call.preload_content, decode_content=call.decode_content,
                        original_response=getattr(live, "_original_response", None), pool=call.pool,
                        retries=live.retries, request_method=call.method, request_url=live.url,
                        enforce_content_length=False)


def _response(call: _Call, answer: Response) -> HTTPResponse:
    plain = plain_response(answer)
    headers = HTTPHeaderDict()
    for name, values in plain.headers.items():
        for value in values:
            headers.add(name, value)
    return HTTPResponse(body=io.BytesIO(plain.body), headers=headers, status=plain.status, version=11,
                        reason=plain.reason or None,
                        preload_content=call.preload_content, decode_content=call.decode_content,
                        original_response=_Recorded(plain.headers) if _sets_cookies(plain.headers) else None,
                        pool=call.pool, retries=call.retries, request_method=call.method, request_url=call.url,
                        enforce_content_length=False)


def _follow_up(call: _Call, response: HTTPResponse) -> Any:
    """What urllib3's urlopen does after any response: follow a redirect, or retry on status."""
    retries = call.retries
    location = call.redirect and response.get_redirect_location()
    if location:
        changes: dict[str, Any] = {"url": location}
        if response.status == 303:
            changes.update(method="GET", body=None, chunked=False, body_pos=None,
                           headers=HTTPHeaderDict({k: v for k, v in call.headers.items()
                                                   if k.lower() not in _BODY_HEADERS}))
        try:
            retries = retries.increment(call.method, call.url, response=response, _pool=call.pool)
        except MaxRetryError:
            if retries.raise_on_redirect:
                raise
            return response
        retries.sleep_for_retry(response)
        return call.again(retries=retries, **changes)
    if retries.is_retry(call.method, response.status, bool(response.headers.get("Retry-After"))):
        try:
            retries = retries.increment(call.method, call.url, response=response, _pool=call.pool)
        except MaxRetryError:
            if retries.raise_on_status:
                raise
            return response
        retries.sleep(response)
        return call.again(retries=retries)
    return response


class _Recorded:
    """Stands in for the ``http.client`` response that ``requests`` reads Set-Cookie from."""

    def __init__(self, headers: Headers) -> None:
        self.msg = _Message(headers)

    def isclosed(self) -> bool:
        return True

    def close(self) -> None:
        return None


class _Message:
    def __init__(self, headers: Headers) -> None:
        self._headers = headers

    def get_all(self, name: str, default: Any = None) -> Any:
        return self._headers.get_all(name) or default


def _sets_cookies(headers: Headers) -> bool:
    return "Set-Cookie" in headers or "Set-Cookie2" in headers


def _absolute(pool: HTTPConnectionPool, url: str) -> str:
    if not url.startswith("/"):
        return url  # absolute already: a request through an HTTP proxy
    host = pool.host or ""
    if ":" in host:
        host = f"[{host}]"
    port = pool.port
    netloc = host if port is None or port == _DEFAULT_PORTS.get(pool.scheme) else f"{host}:{port}"
    return f"{pool.scheme}://{netloc}{url}"


def _headers(headers: Any) -> Headers:
    if not headers:
        return Headers()
    items = headers.iteritems() if hasattr(headers, "iteritems") else headers.items()
    lists: dict[str, list[str]] = {}
    for name, value in items:
        lists.setdefault(_text(name), []).append(_text(value))
    return Headers.from_lists(lists)


def _body_bytes(body: Any) -> bytes:
    """What urllib3 would send: bytes as they are, text as UTF-8, files and iterables read out."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return b"".join(part.encode("utf-8") if isinstance(part, str) else bytes(part) for part in body)


def _read_timeout(pool: HTTPConnectionPool, timeout: Any) -> float | None:
    """The seconds this call waits for an answer, as urllib3 reckons them (None: for ever)."""
    if timeout is _DEFAULT_TIMEOUT:
        chosen = pool.timeout
    elif isinstance(timeout, Timeout):
        chosen = timeout
    else:
        chosen = Timeout.from_float(timeout)
    chosen = chosen.clone()
    chosen.start_connect()
    value = chosen.read_timeout
    if value is _DEFAULT_TIMEOUT:
        return socket.getdefaulttimeout()
    return value  # type: ignore[return-value]


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)

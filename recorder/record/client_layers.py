"""What vcrpy's stubs do not pass on: the caller's timeout, how a body was given, session auth.

vcrpy hands the cassette protocol a request of method, URL, headers and body only. Two things a
session needs live on the client's side of the stub, so a thin wrapper goes *around* each stub
(installed after vcrpy's patches, removed before them) and leaves them in context variables:

- the read timeout the caller set (http.client: the connection's ``timeout``; httpx:
  ``request.extensions["timeout"]``; aiohttp: the call's or the session's ``ClientTimeout``),
  so a delayed mock answer makes the client time out with its own exception (``TimeoutError``,
  ``httpx.ReadTimeout``, aiohttp's ``SocketTimeoutError`` or ``asyncio.TimeoutError``) after
  its own timeout, not after the whole delay;
- for aiohttp, whether the body came as ``json=`` (aiohttp's stub passes a dict either way, and
  a flat ``json=`` dict looks exactly like a ``data=`` form);
- for aiohttp, the session's default ``auth``, which the stub does not apply (the wrapper passes
  it on as the call's own, as aiohttp would);
- for aiohttp, the bytes of a form it would encode itself (a ``FormData``, or a ``data=`` dict
  holding a file): the stub hands the cassette the unencoded object, and a multipart writer can
  only be read asynchronously, which the cassette protocol is not. The wrapper encodes it with
  aiohttp's own writer and sends those bytes, under that Content-Type, instead.

Async delays are awaited here, after the stub returns, so a slow mock never blocks the loop.
"""
from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import http.client
import io
import socket
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from recorder.record.delays import ResponseTimedOut, await_delay, client_wait

_NOT_GIVEN = object()
_JSON_BODY: contextvars.ContextVar[bool] = contextvars.ContextVar("recorder_aiohttp_json_body", default=False)


def body_given_as_json() -> bool:
    """True inside an aiohttp call made with ``json=``."""
    return _JSON_BODY.get()


@contextlib.contextmanager
def client_layers() -> Iterator[None]:
    """Wrap the (already patched) httpx transports and aiohttp's request while active."""
    with contextlib.ExitStack() as stack:
        for owner, name, wrap in _wrappers():
            stack.enter_context(mock.patch.object(owner, name, wrap(getattr(owner, name))))
        yield


def _wrappers() -> Iterator[tuple[type, str, Callable[[Any], Any]]]:
    # Looked up when the layers go on, after vcrpy's patches: these are vcrpy's stub classes now.
    yield http.client.HTTPConnection, "getresponse", _http_client
    yield http.client.HTTPSConnection, "getresponse", _http_client
    try:
        import httpx
    except ImportError:  # pragma: no cover - httpx is optional for users
        pass
    else:
        yield httpx.HTTPTransport, "handle_request", _httpx_sync
        yield httpx.AsyncHTTPTransport, "handle_async_request", _httpx_async
    try:
        from aiohttp import ClientSession
    except ImportError:  # pragma: no cover - aiohttp is optional for users
        pass
    else:
        yield ClientSession, "_request", _aiohttp_request


# -- http.client --------------------------------------------------------------------------------
def _http_client(inner: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(inner)
    def getresponse(connection: Any, *args: Any, **kwargs: Any) -> Any:
        timeout = getattr(connection, "timeout", None)
        if not isinstance(timeout, (int, float)):  # http.client's "not given": the socket default
            timeout = socket.getdefaulttimeout()
        try:
            with client_wait(timeout):
                return inner(connection, *args, **kwargs)
        except ResponseTimedOut:
            raise TimeoutError("timed out") from None  # what a socket read past its timeout raises
    return getresponse


# -- httpx --------------------------------------------------------------------------------------
def _httpx_read_timeout(request: Any) -> float | None:
    return (request.extensions.get("timeout") or {}).get("read")


def _httpx_timed_out(request: Any, timed_out: ResponseTimedOut) -> Exception:
    import httpx

    return httpx.ReadTimeout(f"timed out after {timed_out.timeout:g} s waiting for the response", request=request)


def _httpx_sync(inner: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(inner)
    def handle_request(transport: Any, request: Any) -> Any:
        try:
            with client_wait(_httpx_read_timeout(request)):
                return inner(transport, request)
        except ResponseTimedOut as timed_out:
            raise _httpx_timed_out(request, timed_out) from None
    return handle_request


def _httpx_async(inner: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(inner)
    async def handle_async_request(transport: Any, request: Any) -> Any:
        import anyio  # httpx's own dependency: its async client may run on trio as well as asyncio

        with client_wait(_httpx_read_timeout(request), deferred=True) as wait:
            response = await inner(transport, request)
        try:
            await await_delay(wait, anyio.sleep)
        except ResponseTimedOut as timed_out:
            await response.aclose()
            raise _httpx_timed_out(request, timed_out) from None
        return response
    return handle_async_request


# -- aiohttp ------------------------------------------------------------------------------------
def _aiohttp_request(inner: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(inner)
    async def _request(session: Any, method: str, url: Any, **kwargs: Any) -> Any:
        timeout, socket_read = _aiohttp_timeout(session, kwargs.get("timeout", _NOT_GIVEN))
        url = _absolute_url(session, url)
        kwargs = _with_session_auth(session, url, kwargs)
        kwargs = await _with_form_encoded(session, kwargs)
        token = _JSON_BODY.set(kwargs.get("json") is not None and kwargs.get("data") is None)
        try:
            with client_wait(timeout, deferred=True) as wait:
                response = await inner(session, method, url, **kwargs)
        finally:
            _JSON_BODY.reset(token)
        try:
            await await_delay(wait, asyncio.sleep)
        except ResponseTimedOut:
            response.release()
            if socket_read:
                from aiohttp import SocketTimeoutError

                raise SocketTimeoutError("Timeout on reading data from socket") from None
            raise asyncio.TimeoutError() from None
        return response
    return _request


def _absolute_url(session: Any, url: Any) -> Any:
    """A relative URL joined to the session's ``base_url``, as aiohttp does before sending; the
    stub does not, and a relative URL would match no provider and escape recording."""
    base = getattr(session, "_base_url", None)  # aiohttp >= 3.8; no public accessor
    if base is None:
        return url
    from yarl import URL

    target = URL(url)
    return url if target.absolute else base.join(target)


def _with_session_auth(session: Any, url: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``ClientSession(auth=...)`` applied as aiohttp applies it: vcrpy's stub reads only the
    call's own ``auth``, so without this the forwarded request would go out unauthenticated.

    aiohttp uses the session's auth when the call gives none, the URL carries no credentials,
    and the URL is on the session's ``base_url`` origin (if any); combined with an explicit
    Authorization header it raises ValueError, and so does this.
    """
    default = getattr(session, "auth", None)  # public since aiohttp 3.7
    if default is None or kwargs.get("auth") is not None:
        return kwargs
    from yarl import URL

    target = URL(url)
    base = getattr(session, "_base_url", None)
    if target.user is not None or (base is not None and base.origin() != target.origin()):
        return kwargs
    given = {str(name).lower() for name in (kwargs.get("headers") or {})}
    given |= {str(name).lower() for name in (getattr(session, "headers", None) or {})}
    if "authorization" in given:
        raise ValueError("Cannot combine AUTHORIZATION header with AUTH argument or credentials encoded in URL")
    return {**kwargs, "auth": default}


@dataclass(slots=True)
class _Sink:
    """Stands in for aiohttp's stream writer while a payload writes itself: what it collects are
    the bytes aiohttp would put on the wire (boundary, part headers, file contents)."""

    chunks: list[bytes] = field(default_factory=list)

    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        self.chunks.append(bytes(chunk))


async def _with_form_encoded(session: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``data=`` as the bytes aiohttp would send, when aiohttp would encode it as a form itself.

    A multipart ``FormData`` reaches the cassette as an object the stub cannot read (its writer
    is async, its files are open handles), so an upload could match no recording. Encoding it
    here, once, with aiohttp's own writer, gives the cassette and the wire the same bytes: a
    recording holds what the server got, and replay compares the upload's fields. A urlencoded
    ``FormData`` goes the same way, so every ``FormData`` is read one way. A ``FormData`` can be
    sent once, by aiohttp as by this; the Content-Type the caller or the session gives wins, as
    it does in aiohttp.
    """
    form = _form_to_encode(kwargs.get("data"))
    if form is None:
        return kwargs
    from multidict import CIMultiDict

    payload = form()
    sink = _Sink()
    await payload.write(sink)
    headers: CIMultiDict[str] = CIMultiDict(kwargs.get("headers") or {})
    if "Content-Type" not in headers and "Content-Type" not in (getattr(session, "headers", None) or {}):
        headers["Content-Type"] = payload.content_type
    return {**kwargs, "data": b"".join(sink.chunks), "headers": headers}


def _form_to_encode(data: Any) -> Any:
    """The ``FormData`` aiohttp would build and encode for ``data``, or None when the body is not
    one: a ``FormData`` itself, or a mapping or list of pairs aiohttp makes multipart (a file or
    bytes among its values). Plain forms of text are left to ``interception._body_bytes``."""
    if data is None or isinstance(data, (bytes, bytearray, str)):
        return None
    from aiohttp import FormData

    if isinstance(data, FormData):
        return data
    pairs = form_fields(data)
    if pairs is None or not any(isinstance(value, (io.IOBase, bytes, bytearray, memoryview)) for _, value in pairs):
        return None
    return FormData(data)  # multipart, as aiohttp would build it: a file or bytes makes a file part


def form_fields(data: Any) -> list[tuple[Any, Any]] | None:
    """``data=`` as (name, value) pairs when aiohttp would send it as a form (a mapping or a list
    of pairs), else None."""
    if isinstance(data, Mapping):
        return list(data.items())
    if isinstance(data, (list, tuple)) and data and all(isinstance(pair, tuple) and len(pair) == 2 for pair in data):
        return list(data)
    return None


def _aiohttp_timeout(session: Any, given: Any) -> tuple[float | None, bool]:
    """(seconds aiohttp waits for this answer, whether ``sock_read`` is the limit that binds)."""
    from aiohttp import ClientTimeout

    if isinstance(given, ClientTimeout):
        chosen = given
    elif given is None or isinstance(given, (int, float)):
        chosen = ClientTimeout(total=given)  # as aiohttp reads a bare number (None: no limit)
    else:  # not given, or aiohttp's own "not given" sentinel: the session's
        chosen = session.timeout
    total = chosen.total or None  # aiohttp reads 0 as "no limit", as None
    sock_read = chosen.sock_read or None
    if sock_read is not None and (total is None or sock_read < total):
        return sock_read, True
    return total, False

"""Send one intercepted request on to a real server (the provider, or a stand-in) and read it all.

Recording does not let vcrpy's stubs talk to the network: every provider request is answered
by us, and when we need a fresh response we fetch it here with the *original* http.client
classes. One code path then serves every client library (requests, httpx, aiohttp, urllib3),
and ``--target`` can send the bytes somewhere other than the URL the cassette will name.
"""
from __future__ import annotations

import http.client
import ssl
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from recorder.cassette.headers import Headers
from recorder.cassette.model import Body, Request, Response
from recorder.errors import RecorderError

# Captured at import, before any interception is active. If somebody imported us inside a
# vcrpy cassette, vcrpy keeps the originals too.
_HTTP = http.client.HTTPConnection
if getattr(_HTTP, "__module__", "").startswith("vcr."):  # pragma: no cover - defensive
    from vcr.patch import _HTTPConnection as _HTTP  # type: ignore


class _TLSConnection(_HTTP):  # type: ignore[misc, valid-type]
    """HTTPS on the original ``HTTPConnection``, for use while vcrpy's stubs are in place.

    ``http.client.HTTPSConnection`` cannot be used then: its ``__init__`` calls
    ``super(HTTPSConnection, self)`` with the *module global*, which vcrpy has swapped for its
    stub, so constructing one fails with "super(type, obj): obj must be an instance or subtype
    of type". This does what its ``connect`` does (TLS over the plain or tunnelled socket,
    certificate and host name checked by ``context``) on a base bound when this module loaded.
    """

    default_port = http.client.HTTPS_PORT

    def __init__(self, host: str, port: int, *, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout)
        self._context = context

    def connect(self) -> None:
        super().connect()  # the TCP connection, and the CONNECT tunnel through a proxy if set
        server_hostname = self._tunnel_host or self.host
        self.sock = self._context.wrap_socket(self.sock, server_hostname=server_hostname)


# Hop-by-hop and framing headers are the connection's business, not the recording's.
_SKIP_REQUEST_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


class UpstreamError(RecorderError):
    """The real server (or the stand-in) could not be reached while recording."""


@dataclass(frozen=True, slots=True)
class Upstream:
    """Where a request really goes: scheme, host, port and an optional path prefix."""

    scheme: str
    host: str
    port: int
    prefix: str = ""

    @classmethod
    def from_url(cls, url: str) -> Upstream:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return cls(parts.scheme, parts.hostname, port, parts.path.rstrip("/"))


def forward(request: Request, upstream: Upstream | None = None, *, timeout: float = 60.0) -> Response:
    """Send ``request`` to ``upstream`` (default: the host in its own URI) and return the whole response.

    The response body is kept exactly as it came off the wire (still gzip if it was gzip).
    """
    parts = urlsplit(request.uri)
    if upstream is None:
        upstream = Upstream.from_url(f"{parts.scheme}://{parts.netloc}")
    target_path = upstream.prefix + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = _connect(upstream, timeout)
    try:
        headers = {name: ", ".join(values) for name, values in request.headers.items()
                   if name.lower() not in _SKIP_REQUEST_HEADERS}
        body = request.body.raw or None
        if body is not None or request.method in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body or b""))
        connection.request(request.method, target_path, body=body, headers=headers)
        raw = connection.getresponse()
        data = raw.read()
        response_headers = Headers()
        for name, value in raw.getheaders():
            response_headers.add(name, value)
        return Response(status=raw.status, reason=raw.reason or "", headers=response_headers,
                        body=Body(data, response_headers.get("Content-Encoding")))
    except (OSError, http.client.HTTPException) as exc:
        where = f"{upstream.scheme}://{upstream.host}:{upstream.port}"
        raise UpstreamError(f"could not reach {where} for {request.method} {request.uri}: {exc}") from exc
    finally:
        connection.close()


def _connect(upstream: Upstream, timeout: float) -> http.client.HTTPConnection:
    proxy = _proxy_for(upstream)
    if upstream.scheme == "https":
        context = ssl.create_default_context()
        if proxy:
            conn = _TLSConnection(proxy.host, proxy.port, timeout=timeout, context=context)
            conn.set_tunnel(upstream.host, upstream.port)
            return conn
        return _TLSConnection(upstream.host, upstream.port, timeout=timeout, context=context)
    return _HTTP(upstream.host, upstream.port, timeout=timeout)


def _proxy_for(upstream: Upstream) -> Upstream | None:
    """Honour HTTPS_PROXY/HTTP_PROXY and NO_PROXY for the real sandbox, as clients do."""
    if upstream.host in ("127.0.0.1", "localhost", "::1"):
        return None
    proxies = urllib.request.getproxies()
    url = proxies.get(upstream.scheme)
    if not url or urllib.request.proxy_bypass(upstream.host):
        return None
    try:
        return Upstream.from_url(url)
    except ValueError:
        return None

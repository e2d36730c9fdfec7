"""A provider stand-in on 127.0.0.1 for tests: the "sandbox" that ``--target`` points at.

It answers like the real APIs do, from real data where we have it: Stripe objects come from
Stripe's own fixtures file in ../shared/specs (what stripe-mock serves). Every request it
receives is kept, so a test can check that credentials really reached the server while the
cassette holds none.
"""
from __future__ import annotations

import gzip
import json
import re
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

Reply = tuple[int, dict[str, str], bytes]
Handler = Callable[["Received"], Reply]


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))


@dataclass
class StandIn:
    routes: list[tuple[str, re.Pattern[str], Handler]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    tls: ssl.SSLContext | None = None  # a server context: the stand-in speaks HTTPS, as a real API does

    def route(self, method: str, pattern: str, handler: Handler) -> StandIn:
        self.routes.append((method, re.compile(pattern + r"$"), handler))
        return self

    def __enter__(self) -> StandIn:
        standin = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                got = Received(self.command, self.path, dict(self.headers.items()), body)
                standin.received.append(got)
                path = self.path.split("?", 1)[0]
                for method, pattern, handler in standin.routes:
                    if method == self.command and pattern.match(path):
                        status, headers, payload = handler(got)
                        break
                else:
                    status, headers, payload = 404, {"Content-Type": "application/json"}, b'{"error": "no route"}'
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{'https' if self.tls is not None else 'http'}://{host}:{port}"


def json_reply(status: int, data: object, *, gzipped: bool = False, extra: dict[str, str] | None = None) -> Reply:
    payload = json.dumps(data, indent=2).encode()
    headers = {"Content-Type": "application/json", "Request-Id": "req_standin", **(extra or {})}
    if gzipped:
        payload = gzip.compress(payload)
        headers["Content-Encoding"] = "gzip"
    return status, headers, payload


def stripe_standin(fixtures: Path) -> StandIn:
    """Stripe's own example objects, with what the client sent merged in (as stripe-mock does)."""
    resources = json.loads(fixtures.read_text())["resources"]

    def create(resource: str) -> Handler:
        def handler(got: Received) -> Reply:
            obj = dict(resources[resource])
            for key, value in got.form().items():
                if key in obj and "[" not in key:
                    obj[key] = int(value) if value.isdigit() else value
            return json_reply(200, obj, extra={"Stripe-Version": got.headers.get("Stripe-Version", "")})
        return handler

    standin = StandIn()
    standin.route("POST", r"/v1/charges", create("charge"))
    standin.route("POST", r"/v1/customers", create("customer"))
    standin.route("POST", r"/v1/payment_intents", create("payment_intent"))
    standin.route("GET", r"/v1/charges/[^/]+", lambda got: json_reply(200, resources["charge"]))
    return standin

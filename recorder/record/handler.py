"""What every interception layer asks of a session, and the one shape an answer takes on the wire.

Sessions (recording, replay) implement ``CallHandler``; the layers that catch a client's calls
(vcrpy's stubs in ``interception``, urllib3's pool in ``pool``) ask it per request whether to
answer, let the request pass, or block it, and turn its ``Response`` into the client's own
response type through ``plain_response``, so every client sees the same bytes and headers.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from recorder.cassette.headers import Headers
from recorder.cassette.model import Request, Response
from recorder.errors import RecorderError


class Decision(enum.Enum):
    ANSWER = "answer"  # we produce the response (replay it, or fetch and record it)
    PASS = "pass"      # let the client talk to the network untouched
    BLOCK = "block"    # refuse: the request may not leave the machine


class NetworkBlocked(RecorderError):
    """A request went to a host that this session does not allow."""


class CallHandler(Protocol):
    def decide(self, request: Request) -> Decision:
        """From the method and URI alone: a layer may ask before it has read a streamed body."""
        ...

    def respond(self, request: Request) -> Response: ...

    def blocked_message(self, request: Request) -> str: ...

    def passed_through(self, request: Request, response: Response) -> None: ...

    def stays_offline(self, url: str) -> bool:
        """True when no call to ``url`` can reach the network now, whatever its method and body
        (it will be answered or blocked): a layer may skip work that matters only on the wire."""
        ...


@dataclass(frozen=True, slots=True)
class PlainResponse:
    """A response as handed to a client: body whole and decoded, headers that describe it."""

    status: int
    reason: str
    headers: Headers
    body: bytes


def plain_response(response: Response) -> PlainResponse:
    """Undo gzip/deflate and drop framing that no longer holds.

    Clients disagree about compressed bodies handed to them from memory (urllib3's stub passes
    bytes through, httpx decodes), so every client gets plain bytes and no Content-Encoding:
    the one form they all read the same way. The body is handed over whole, so
    Transfer-Encoding goes, and a Content-Length that no longer matches (decoded, or scrubbed
    when recorded) is corrected; an empty body keeps its header (HEAD, 304).
    """
    headers = response.headers
    body = response.body.raw
    copied = False
    if response.body.content_encoding:
        decoded = response.body.decoded
        if decoded != body:
            headers, copied = headers.copy(), True
            headers.remove("Content-Encoding")
            body = decoded
    if "Transfer-Encoding" in headers:
        if not copied:
            headers, copied = headers.copy(), True
        headers.remove("Transfer-Encoding")
    length = headers.get("Content-Length")
    if body and length is not None and length.strip() != str(len(body)):
        if not copied:
            headers = headers.copy()
        headers.set("Content-Length", str(len(body)))
    return PlainResponse(response.status, response.reason, headers, body)

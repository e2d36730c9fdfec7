"""The one typed model every dialect reads into and the canonical writer writes from.

A body keeps the exact bytes that crossed the wire (``raw``), so replay is byte-faithful,
and decodes lazily (gzip/deflate, UTF-8, JSON) only when someone inspects it: loading a
3,000-interaction cassette must not pay for decoding bodies nobody looks at.
"""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recorder.cassette.headers import Headers

_MISSING = object()


class Body:
    """Raw bytes plus the Content-Encoding they carry; decoded views are computed once."""

    __slots__ = ("raw", "content_encoding", "_decoded", "_json")

    def __init__(self, raw: bytes = b"", content_encoding: str | None = None) -> None:
        self.raw = raw
        self.content_encoding = (content_encoding or "").strip().lower() or None
        self._decoded: bytes | None = None
        self._json: object = _MISSING

    @classmethod
    def of(cls, raw: bytes, content_encoding: str | None = None) -> Body:
        """A Body for ``raw``; every empty, unencoded one is the same shared instance.

        Nothing mutates a Body once built (its caches are the same for every empty body). A
        GET-heavy cassette, and the call log of a session, would otherwise hold one empty Body per
        request, each an object the garbage collector tracks and walks in every full collection.
        """
        if not raw and not content_encoding:
            return _EMPTY
        return cls(raw, content_encoding)

    @classmethod
    def from_text(cls, text: str | None) -> Body:
        return cls(text.encode("utf-8") if text else b"")

    def __bool__(self) -> bool:
        return bool(self.raw)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Body)
            and self.raw == other.raw
            and self.content_encoding == other.content_encoding
        )

    def __repr__(self) -> str:
        enc = f", content_encoding={self.content_encoding!r}" if self.content_encoding else ""
        return f"Body({self.raw[:40]!r}{'...' if len(self.raw) > 40 else ''}{enc})"

    @property
    def decoded(self) -> bytes:
        """The bytes after undoing Content-Encoding; the raw bytes if that fails or is unknown."""
        if self._decoded is None:
            self._decoded = decompress(self.raw, self.content_encoding)
        return self._decoded

    @property
    def text(self) -> str | None:
        """The decoded body as UTF-8 text, or None for binary content."""
        try:
            return self.decoded.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def json(self) -> Any:
        """Parsed JSON, or None when the body is not JSON (cached either way)."""
        if self._json is _MISSING:
            text = self.text
            value: object = None
            if text and text.lstrip()[:1] in ("{", "["):
                try:
                    value = json.loads(text)
                except ValueError:
                    value = None
            self._json = value
        return self._json


_EMPTY = Body()


def decompress(data: bytes, encoding: str | None) -> bytes:
    """Undo gzip/deflate; leave anything else (br, identity, damaged data) as it is."""
    if not data or not encoding:
        return data
    try:
        if encoding in ("gzip", "x-gzip"):
            return zlib.decompress(data, 16 + zlib.MAX_WBITS)
        if encoding == "deflate":
            try:
                return zlib.decompress(data)
            except zlib.error:
                return zlib.decompress(data, -zlib.MAX_WBITS)
    except zlib.error:
        return data
    return data


@dataclass(slots=True, eq=True)
class Request:
    method: str
    uri: str
    headers: Headers = field(default_factory=Headers)
    body: Body = field(default_factory=Body)

    @property
    def content_type(self) -> str:
        return self.headers.content_type


@dataclass(slots=True, eq=True)
class Response:
    status: int
    reason: str = ""
    headers: Headers = field(default_factory=Headers)
    body: Body = field(default_factory=Body)

    @property
    def content_type(self) -> str:
        return self.headers.content_type


@dataclass(slots=True, eq=True)
class Interaction:
    """One request/response pair plus what we know about when and with what it was recorded."""

    request: Request
    response: Response
    recorded_at: str | None = None
    provider: str | None = None
    api_version: str | None = None


@dataclass(slots=True, frozen=True)
class LoadWarning:
    """Something odd about a recording that we could still load (hand edits, damage)."""

    interaction: int | None
    message: str

    def __str__(self) -> str:
        where = f"interaction {self.interaction}" if self.interaction is not None else "cassette"
        return f"{where}: {self.message}"


@dataclass(slots=True)
class Cassette:
    interactions: list[Interaction] = field(default_factory=list)
    path: Path | None = None
    dialect: str = "recorder"
    recorded_with: str | None = None
    warnings: list[LoadWarning] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.interactions)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.interactions)

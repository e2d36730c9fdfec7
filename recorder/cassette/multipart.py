"""``multipart/form-data`` bodies: their parts, and the same body as data.

Uploads (Stripe's files API, SendGrid's v2 mail, most "attach a document" endpoints) send a body
of parts between ``--boundary`` lines, and clients draw a fresh random boundary for every
request. Compared as bytes, a recorded upload could never match the same upload made again,
so matching, drift reports and call assertions read it as data instead: each field's name to
its value, a file part as its filename, content type and content. Secret scrubbing uses the
same split to rewrite field values in place (``recorder/secrets/multipart.py``).

A small boundary split is used instead of the email parser: it gives positions in the original
bytes (scrubbing must give every other byte back unchanged) and tolerates bare ``\\n`` line ends
and a missing close delimiter (a truncated recording); a part it cannot make sense of is
skipped, never guessed at.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from recorder.cassette.forms import nest

_BOUNDARY = re.compile(r'boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)
_DISPOSITION = re.compile(rb"^content-disposition\s*:(?P<params>[^\r\n]*)", re.IGNORECASE | re.MULTILINE)
_PART_TYPE = re.compile(rb"^content-type\s*:\s*(?P<value>[^\r\n]*)", re.IGNORECASE | re.MULTILINE)
_NAME = re.compile(rb'(?:^|;)\s*name\s*=\s*(?:"(?P<quoted>[^"]*)"|(?P<bare>[^;\s]+))', re.IGNORECASE)
_FILENAME = re.compile(rb'(?:^|;)\s*filename\*?\s*=\s*(?:"(?P<quoted>[^"]*)"|(?P<bare>[^;\s]+))', re.IGNORECASE)
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_FIRST_LINE = re.compile(rb"--([!-~]{1,200})\r?\n")  # RFC 2046 boundaries are at most 70 printable characters


@dataclass(frozen=True, slots=True)
class Part:
    """One form-data part; its value is ``body[start:end]``. ``filename`` is None for a plain field."""

    name: str
    filename: str | None
    content_type: str
    start: int
    end: int


def boundary_of(content_type: str) -> bytes | None:
    """The boundary a ``multipart/form-data`` Content-Type declares, or None for anything else."""
    if content_type.split(";")[0].strip().lower() != "multipart/form-data":
        return None
    m = _BOUNDARY.search(content_type)
    if m is None:
        return None
    return (m.group(1) or m.group(2)).encode("latin-1", errors="replace")


def sniffed_boundary(body: bytes) -> bytes | None:
    """The boundary the body opens with: where only the media type is known (matching keys
    drop Content-Type parameters), the first delimiter line says it as well as the header."""
    m = _FIRST_LINE.match(body)
    return m.group(1) if m else None


def parts(body: bytes, boundary: bytes) -> Iterator[Part]:
    """The form-data parts of ``body`` that carry a name, in order."""
    delimiter = b"--" + boundary
    pos = body.find(delimiter)
    while pos >= 0:
        after = pos + len(delimiter)
        if body[after:after + 2] == b"--":
            return  # close delimiter
        headers_start = body.find(b"\n", after) + 1
        if headers_start == 0:
            return
        following = body.find(b"\n" + delimiter, headers_start)
        part_end = len(body) if following < 0 else following
        blank = _BLANK_LINE.search(body, headers_start - 1, part_end)
        if blank is not None:
            part = _part(body[headers_start:blank.start()], blank.end(),
                         part_end - 1 if body[part_end - 1:part_end] == b"\r" else part_end)
            if part is not None:
                yield part
        if following < 0:
            return
        pos = following + 1


@dataclass(frozen=True, slots=True)
class FilePart:
    """A file part while fields nest: a leaf, so a repeated file name lists both files."""

    filename: str
    content_type: str
    raw: bytes


def file_data(file: FilePart) -> dict[str, str]:
    """A file as matching compares it: filename, content type, and text content, or a binary
    file's sha256 and size (a drift report can say the file differs without printing it)."""
    return {"filename": file.filename, "content_type": file.content_type, "content": _content(file.raw)}


def decode_multipart(body: bytes, file_as: Callable[[FilePart], Any] = file_data) -> dict[str, Any] | None:
    """The body as data, as a form's would be: bracketed names nest (``metadata[order_id]``), a
    repeated name lists its values, and a file part is what ``file_as`` makes of it (by default
    :func:`file_data`; a contract check wants only that a file is there); None when the body is
    not multipart.

    Text values are compared as text; a binary one as its sha256 and size.
    """
    boundary = sniffed_boundary(body)
    if boundary is None:
        return None
    pairs: list[tuple[str, Any]] = []
    for part in parts(body, boundary):
        raw = body[part.start:part.end]
        pairs.append((part.name, _content(raw) if part.filename is None
                      else FilePart(part.filename, part.content_type, raw)))
    return _files_as(nest(pairs), file_as)


def _files_as(node: Any, file_as: Callable[[FilePart], Any]) -> Any:
    if isinstance(node, FilePart):
        return file_as(node)
    if isinstance(node, dict):
        return {key: _files_as(value, file_as) for key, value in node.items()}
    if isinstance(node, list):
        return [_files_as(value, file_as) for value in node]
    return node


def _content(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return f"sha256:{hashlib.sha256(raw).hexdigest()} ({len(raw)} bytes)"


def _part(headers: bytes, start: int, end: int) -> Part | None:
    disposition = _DISPOSITION.search(headers)
    if disposition is None:
        return None
    params = disposition.group("params")
    name = _NAME.search(params)
    if name is None:
        return None
    filename = _FILENAME.search(params)
    part_type = _PART_TYPE.search(headers)
    return Part(_text(name), None if filename is None else _text(filename),
                part_type.group("value").strip().decode("latin-1").lower() if part_type else "",
                start, max(start, end))


def _text(m: re.Match[bytes]) -> str:
    raw = m.group("quoted") if m.group("quoted") is not None else m.group("bare")
    return raw.decode("utf-8", errors="replace")

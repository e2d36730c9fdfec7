"""Credentials in ``multipart/form-data`` bodies: ``requests.post(files=..., data={"api_key": ...})``.

SendGrid's v2 mail API, and many upload endpoints, take the key as a form field beside a file.
The body is a byte string of parts between ``--boundary`` lines; file parts are usually binary,
so the body cannot be decoded as text and must be rewritten as bytes. Only the values of
plain (non-file) fields whose names the profile lists are replaced; every other byte, file
contents above all, stays exactly as sent. A small boundary split is used instead of the email
parser because re-serialising through ``email`` would not give the same bytes back.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

_BOUNDARY = re.compile(r'boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)
_DISPOSITION = re.compile(rb"^content-disposition\s*:(?P<params>[^\r\n]*)", re.IGNORECASE | re.MULTILINE)
_NAME = re.compile(rb'(?:^|;)\s*name\s*=\s*(?:"(?P<quoted>[^"]*)"|(?P<bare>[^;\s]+))', re.IGNORECASE)
_FILENAME = re.compile(rb"(?:^|;)\s*filename\*?\s*=", re.IGNORECASE)
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True, slots=True)
class FormField:
    """A plain form field of a multipart body; its value is ``body[start:end]``."""

    name: str
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


def form_fields(body: bytes, boundary: bytes) -> Iterator[FormField]:
    """The plain fields (not file parts) of a multipart body, in order.

    Tolerant of bare ``\\n`` line ends and of a missing close delimiter (a truncated
    recording): a part the split cannot make sense of is skipped, never guessed at.
    """
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
            field = _plain_field(body[headers_start:blank.start()], blank.end(),
                                 part_end - 1 if body[part_end - 1:part_end] == b"\r" else part_end)
            if field is not None:
                yield field
        if following < 0:
            return
        pos = following + 1


def _plain_field(headers: bytes, start: int, end: int) -> FormField | None:
    disposition = _DISPOSITION.search(headers)
    if disposition is None or _FILENAME.search(disposition.group("params")):
        return None  # a file part, or not form-data at all: leave its bytes alone
    name = _NAME.search(disposition.group("params"))
    if name is None:
        return None
    raw = name.group("quoted") if name.group("quoted") is not None else name.group("bare")
    return FormField(raw.decode("utf-8", errors="replace"), start, max(start, end))


def scrub_multipart(body: bytes, boundary: bytes, matches: Callable[[str], bool],
                    placeholder: Callable[[str], str]) -> bytes:
    """``body`` with the value of every plain field whose name ``matches`` replaced."""
    pieces: list[bytes] = []
    done = 0
    for field in form_fields(body, boundary):
        value = body[field.start:field.end]
        if not value or not matches(field.name):
            continue
        pieces += [body[done:field.start], placeholder(value.decode("utf-8", errors="replace")).encode("utf-8")]
        done = field.end
    if not pieces:
        return body
    pieces.append(body[done:])
    return b"".join(pieces)

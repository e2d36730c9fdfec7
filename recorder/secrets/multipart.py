"""Credentials in ``multipart/form-data`` bodies: ``requests.post(files=..., data={"api_key": ...})``.

SendGrid's v2 mail API, and many upload endpoints, take the key as a form field beside a file.
The body is a byte string of parts between ``--boundary`` lines; file parts are usually binary,
so the body cannot be decoded as text and must be rewritten as bytes. Only the values of
plain (non-file) fields whose names the profile lists are replaced; every other byte, file
contents above all, stays exactly as sent. The split itself (``recorder/cassette/multipart.py``)
gives positions in the original bytes, which re-serialising through ``email`` would not.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

from recorder.cassette.multipart import Part, boundary_of, parts

__all__ = ["boundary_of", "form_fields", "scrub_multipart"]


def form_fields(body: bytes, boundary: bytes) -> Iterator[Part]:
    """The plain fields (not file parts) of a multipart body, in order: file contents are
    never rewritten, even in a part named like a secret field."""
    return (part for part in parts(body, boundary) if part.filename is None)


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

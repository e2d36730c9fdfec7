"""Find secrets in one piece of text: a header value, a body, a URI, a line of a file.

Knows nothing about cassettes; scan.py decides which texts to feed in and where they sit.
Results are spans, never copies of the values, so nothing downstream can print a secret by
accident.
"""
from __future__ import annotations

import base64
import binascii
import bisect
from dataclasses import dataclass
from urllib.parse import unquote_plus

from recorder.secrets import patterns as P


@dataclass(frozen=True, slots=True)
class Hit:
    """A secret of ``kind`` at ``text[start:end]``."""

    kind: str
    start: int
    end: int


def find_secrets(text: str, key: str | None = None, *, shapes_only: bool = False) -> list[Hit]:
    """Every secret in ``text``; ``key`` is the name the text is stored under, if any.

    Shape-based kinds win over context-based ones: a ``sk_test_`` key under ``Authorization``
    is reported once, as ``stripe_secret_key``, not again as a high-entropy value.
    ``shapes_only`` skips the name/value pairing, for re-reading text already scanned in
    context.
    """
    keyed = key is not None and P.is_auth_name(key)
    if not keyed and not P.may_hold_secret(text):
        return []
    hits: list[Hit] = []
    for m in P.SHAPES.finditer(text):
        index = int(m.lastgroup[1:])  # type: ignore[index]
        pattern = P.PATTERNS[index]
        if pattern.min_body and P.is_placeholder(m.group(f"b{index}"), pattern.min_body):
            continue
        _add(hits, Hit(pattern.kind, m.start(), m.end()))
    for m in P.BASIC_AUTH.finditer(text):
        if _basic_credentials_leak(m.group("body")):
            _add(hits, Hit("basic_auth_header", m.start(), m.end()))
    for m in P.BEARER.finditer(text):
        if P.looks_random(m.group("body")):
            _add(hits, Hit("bearer_token", m.start(), m.end()))
    if shapes_only:
        return hits
    for m in P.URI_USERINFO.finditer(text):
        if _userinfo_leaks(m.group("body")):
            _add(hits, Hit("uri_credentials", m.start("body"), m.end("body")))
    for regex, decode in ((P.JSON_PAIR, _json_unescape), (P.FORM_PAIR, _form_unquote)):
        for m in regex.finditer(text):
            if P.is_auth_name(decode(m.group("key"))):
                _check_value(hits, decode(m.group("body")), m.start("body"), m.end("body"))
    for m in P.MULTIPART_FIELD.finditer(text):
        name = P.MULTIPART_NAME.search(m.group("params"))
        if name is not None and "filename" not in m.group("params").lower() \
                and P.is_auth_name(name.group("quoted") or name.group("bare") or ""):
            _check_value(hits, m.group("body"), m.start("body"), m.end("body"))
    if keyed:
        _check_value(hits, text, 0, len(text))
    return hits


def _check_value(hits: list[Hit], value: str, start: int, end: int) -> None:
    """A value stored under an auth-like name: report it if it is key material."""
    scheme = P.AUTH_SCHEME.match(value)
    token = value[scheme.end():] if scheme else value
    if not P.looks_random(token):
        return
    kind = "high_entropy_auth_value"
    if scheme and scheme.group("scheme").lower() == "bearer":
        kind = "bearer_token"
    _add(hits, Hit(kind, start, end))


def _add(hits: list[Hit], hit: Hit) -> None:
    """Keep ``hit`` unless an earlier (more specific) hit already covers part of it.

    ``hits`` stays sorted and non-overlapping, so only the hit starting just before
    ``hit.end`` can overlap: one bisect instead of a pass over every hit.
    """
    i = bisect.bisect_left(hits, hit.end, key=lambda h: h.start)
    if i and hits[i - 1].end > hit.start:
        return
    hits.insert(i, hit)


def _basic_credentials_leak(encoded: str) -> bool:
    """``user:password`` in a Basic header, unless the credentials are placeholders.

    The password is the secret; with no password (EasyPost, Stripe: key as user name) the user
    name is.
    """
    try:
        decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    if ":" not in decoded or not decoded.isprintable():
        return False
    user, _, password = decoded.partition(":")
    secret = password or user
    return not P.is_placeholder(secret, min_real=6)


def _userinfo_leaks(userinfo: str) -> bool:
    user, sep, password = unquote_plus(userinfo).partition(":")
    if sep and password:
        return not P.is_placeholder(password, min_real=6)
    return P.looks_random(user, min_len=20)  # a token passed as the user name


def _json_unescape(value: str) -> str:
    return value.replace('\\"', '"').replace("\\/", "/").replace("\\\\", "\\")


def _form_unquote(value: str) -> str:
    try:
        return unquote_plus(value)
    except ValueError:  # pragma: no cover - unquote_plus is lenient
        return value

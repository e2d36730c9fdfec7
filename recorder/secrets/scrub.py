"""The scrubber: credentials out of an interaction, as the provider profile says where they travel.

Every replacement is a stable placeholder (``Bearer <REDACTED>``, ``pi_123_secret_REDACTED``):
the same kind of input gives the same text on every run, so re-recording a cassette yields a
quiet diff, and the scanner (scan.py) recognises every placeholder as one. The scrubber returns
copies and never mutates what it was given: the caller may still need the live values (to
replay the real response to the code under test, say).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from urllib.parse import unquote_plus, urlsplit

from recorder.cassette.headers import Headers
from recorder.cassette.model import Body, Cassette, Interaction, Request, Response
from recorder.cassette.multipart import boundary_of
from recorder.providers import GENERIC, Provider, ProviderRegistry
from recorder.secrets.multipart import scrub_multipart
from recorder.secrets.scrub_body import REDACTED, body_kind, form_name_matches, placeholder_for, scrub_text

_AUTH_HEADERS = frozenset({"authorization", "proxy-authorization"})
_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9._-]*)\s+\S")
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")
_QUERY_FIELD = re.compile(r"(?<=[?&;])([^&=#;]+)=([^&#;]*)")
_COOKIE_PAIR = re.compile(r"(^|;\s*)([^=;\s]+)=([^;]*)")
_SET_COOKIE_PAIR = re.compile(r"^(\s*[^=;\s]+)=([^;]*)")
_REGEX_HOST = re.compile(r":\\?/\\?/(?:[^/@]*@)?((?:[A-Za-z0-9-]+\\?\.)+[A-Za-z]{2,})")
# What a fingerprint header may keep: enough to tell which client library recorded, nothing
# about the machine (uname, hostname, platform) it ran on.
_FINGERPRINT_KEEP = ("bindings_version", "lang", "publisher", "httplib")
_APPLICATION_KEEP = ("name", "version")


@dataclass(frozen=True, slots=True)
class _Rules:
    """A provider's secret rules as lower-case sets, for case-insensitive lookups."""

    headers: frozenset[str]
    query: frozenset[str]
    body_fields: frozenset[str]
    fingerprint_headers: frozenset[str]
    body_encoding: str


@lru_cache(maxsize=64)
def _rules(provider: Provider) -> _Rules:
    s = provider.secrets
    lower = lambda names: frozenset(n.lower() for n in names)  # noqa: E731
    return _Rules(lower(s.headers), lower(s.query), lower(s.body_fields), lower(s.fingerprint_headers),
                  provider.body_encoding)


def scrub_interaction(interaction: Interaction, provider: Provider) -> Interaction:
    """A copy of ``interaction`` with every credential the profile knows of replaced."""
    rules = _rules(provider)
    req, resp = interaction.request, interaction.response
    req_headers, req_body = _scrub_message(req.headers, req.body, rules, rules.body_encoding)
    resp_headers, resp_body = _scrub_message(resp.headers, resp.body, rules, "auto")
    return replace(
        interaction,
        request=Request(req.method, scrub_uri(req.uri, rules.query), req_headers, req_body),
        response=Response(resp.status, resp.reason, resp_headers, resp_body),
    )


def scrub_cassette(cassette: Cassette, registry: ProviderRegistry) -> Cassette:
    """Every interaction scrubbed with the profile of the provider that owns its host."""
    generic = registry.get(GENERIC)
    names = set(registry.names())
    interactions = []
    for interaction in cassette.interactions:
        provider = None
        if interaction.provider in names:
            provider = registry.get(interaction.provider)  # type: ignore[arg-type]
        if provider is None:
            host = _host_of(interaction.request.uri)
            provider = (registry.for_host(host) if host else None) or generic
        interactions.append(scrub_interaction(interaction, provider))
    return Cassette(interactions=interactions, path=cassette.path, dialect=cassette.dialect,
                    recorded_with=cassette.recorded_with, warnings=list(cassette.warnings))


def _host_of(uri: str) -> str | None:
    """The host of a URI, or of a URI hand-edited into a regex (``api\\.twilio\\.com``)."""
    try:
        host = urlsplit(uri).hostname
    except ValueError:
        host = None
    if host:
        return host
    m = _REGEX_HOST.search(uri)
    return m.group(1).replace("\\", "") if m else None


# --- URIs -------------------------------------------------------------------------------------

def scrub_uri(uri: str, query_names: frozenset[str]) -> str:
    """Userinfo and secret query values replaced; every other byte of the URI kept."""
    uri = _USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}@", uri, count=1)
    head, sep, query = uri.partition("?")
    if not sep or not query_names:
        return uri

    def redact(m: re.Match[str]) -> str:
        if m.group(2) and unquote_plus(m.group(1)).lower() in query_names:
            return f"{m.group(1)}=REDACTED"
        return m.group(0)

    query, hash_sep, fragment = query.partition("#")
    return head + "?" + _QUERY_FIELD.sub(redact, "?" + query)[1:] + hash_sep + fragment


# --- headers ----------------------------------------------------------------------------------

def scrub_headers(headers: Headers, rules: _Rules) -> Headers:
    scrubbed = Headers()
    for name, values in headers.items():
        low = name.lower()
        if low in rules.fingerprint_headers:
            values = [scrub_fingerprint(v) for v in values]
        elif low in rules.headers:
            values = [_scrub_header_value(low, v) for v in values]
        scrubbed.add(name, *values)
    return scrubbed


def _scrub_header_value(name: str, value: str) -> str:
    if not value.strip():
        return value
    if name == "cookie":
        return _COOKIE_PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}={REDACTED}" if m.group(3) else m.group(0),
                                value)
    if name == "set-cookie":
        return _SET_COOKIE_PAIR.sub(lambda m: f"{m.group(1)}={REDACTED}" if m.group(2) else m.group(0),
                                    value, count=1)
    if name in _AUTH_HEADERS:
        m = _SCHEME.match(value)
        if m:  # keep the scheme: it is part of the contract (Basic vs Bearer), not a secret
            return f"{m.group(1)} {REDACTED}"
    return REDACTED


def scrub_fingerprint(value: str) -> str:
    """Client telemetry reduced to which library recorded; anything unreadable redacted."""
    try:
        data = json.loads(value)
    except ValueError:
        return REDACTED
    if not isinstance(data, dict):
        return REDACTED
    kept: dict[str, object] = {k: data[k] for k in _FINGERPRINT_KEEP if k in data}
    application = data.get("application")
    if isinstance(application, dict):
        kept["application"] = {k: application[k] for k in _APPLICATION_KEEP if k in application}
    spaced = '": ' in value
    return json.dumps(kept, separators=(", ", ": ") if spaced else (",", ":"))


# --- bodies -----------------------------------------------------------------------------------

def _scrub_message(headers: Headers, body: Body, rules: _Rules, hint: str) -> tuple[Headers, Body]:
    """Headers and body of one request or response; Content-Length and -Encoding kept true."""
    headers = scrub_headers(headers, rules)
    copy = Body(body.raw, body.content_encoding)
    if not body.raw or not rules.body_fields:
        return headers, copy
    decoded = body.decoded
    raw = _scrub_body_bytes(decoded, headers.get("Content-Type") or "", rules, hint)
    if raw is None:
        return headers, copy
    compressed = body.content_encoding is not None and decoded is not body.raw
    if compressed:
        # Re-compressing would make the bytes differ on every run; store what the code saw.
        headers = _without(headers, "Content-Encoding")
        copy = Body(raw, None)
    else:
        copy = Body(raw, body.content_encoding)
    if "Content-Length" in headers:
        headers = _with_value(headers, "Content-Length", str(len(raw)))
    return headers, copy


def _scrub_body_bytes(decoded: bytes, content_type: str, rules: _Rules, hint: str) -> bytes | None:
    """The scrubbed body, or None when nothing in it had to change.

    Multipart bodies are rewritten as bytes (their file parts are often binary); JSON and form
    bodies as text.
    """
    boundary = boundary_of(content_type)
    if boundary is not None:
        scrubbed = scrub_multipart(decoded, boundary, lambda name: form_name_matches(name, rules.body_fields),
                                   placeholder_for)
        return scrubbed if scrubbed != decoded else None
    try:
        text = decoded.decode("utf-8")
    except UnicodeDecodeError:
        return None
    kind = body_kind(text, content_type.split(";")[0].strip().lower(), hint)
    scrubbed_text = scrub_text(text, kind, rules.body_fields)
    return scrubbed_text.encode("utf-8") if scrubbed_text != text else None


def _with_value(headers: Headers, name: str, value: str) -> Headers:
    """``headers`` with ``name`` set to ``value`` in its original position."""
    low = name.lower()
    return Headers((n, [value] if n.lower() == low else v) for n, v in headers.items())


def _without(headers: Headers, name: str) -> Headers:
    low = name.lower()
    return Headers((n, v) for n, v in headers.items() if n.lower() != low)


__all__ = ["placeholder_for", "scrub_cassette", "scrub_fingerprint", "scrub_headers",
           "scrub_interaction", "scrub_uri"]

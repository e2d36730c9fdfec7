"""A provider profile: everything recorder knows about one API, as plain data.

Profiles are TOML tables with one schema, whether they ship with recorder
(``builtin/<name>.toml``) or a user writes them under ``[tool.recorder.providers.NAME]`` in
pyproject.toml. Every profile extends ``generic``: its secret and volatile-header lists are
added to the generic ones, so a new provider cannot forget ``Authorization`` or ``Set-Cookie``.

``ignore_fields`` (dotted body paths) and ``match_headers`` say how replay matches the provider's
requests; a test's own options are added to them, so they belong to the provider, not each test.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from recorder.errors import BadInput

BodyEncoding = Literal["form", "json", "auto"]
_ENCODINGS = ("form", "json", "auto")


@dataclass(frozen=True, slots=True)
class SecretRules:
    """Where credentials travel for a provider. Names are matched case-insensitively."""

    headers: tuple[str, ...] = ()
    query: tuple[str, ...] = ()
    body_fields: tuple[str, ...] = ()
    fingerprint_headers: tuple[str, ...] = ()

    def merged(self, base: SecretRules) -> SecretRules:
        return SecretRules(
            headers=_union(base.headers, self.headers),
            query=_union(base.query, self.query),
            body_fields=_union(base.body_fields, self.body_fields),
            fingerprint_headers=_union(base.fingerprint_headers, self.fingerprint_headers),
        )


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    hosts: tuple[str, ...]
    description: str = ""
    body_encoding: BodyEncoding = "auto"
    api_version_header: str | None = None
    spec_url: str | None = None
    volatile_headers: tuple[str, ...] = ()
    secrets: SecretRules = field(default_factory=SecretRules)
    source: str = "builtin"
    # Known ways the provider's real traffic departs from its own spec, accepted by
    # verify-contracts (see recorder.contracts.quirks for the names).
    contract_quirks: tuple[str, ...] = ()
    # Replay matching: body fields that never tell two calls apart (a client-side nonce), and
    # headers that do (an API version the provider answers differently).
    ignore_fields: tuple[str, ...] = ()
    match_headers: tuple[str, ...] = ()
    # The API reads form and query booleans in any case (``confirm=True`` from an old SDK is
    # ``confirm=true``), so replay compares them that way too.
    booleans_any_case: bool = False

    def merged(self, base: Provider) -> Provider:
        """This profile with ``base``'s secret rules and volatile headers added in."""
        return Provider(
            name=self.name,
            hosts=self.hosts,
            description=self.description,
            body_encoding=self.body_encoding,
            api_version_header=self.api_version_header,
            spec_url=self.spec_url,
            volatile_headers=_union(base.volatile_headers, self.volatile_headers),
            secrets=self.secrets.merged(base.secrets),
            source=self.source,
            contract_quirks=self.contract_quirks,
            # Body paths are case-sensitive, unlike header names.
            ignore_fields=tuple(dict.fromkeys((*base.ignore_fields, *self.ignore_fields))),
            match_headers=_union(base.match_headers, self.match_headers),
            booleans_any_case=self.booleans_any_case,
        )

    def is_volatile(self, header: str) -> bool:
        return header.lower() in _lower_set(self.volatile_headers)


def parse_profile(data: Mapping[str, Any], *, name: str, source: str) -> Provider:
    """Build a Provider from a TOML table; BadInput names the source and the key on error."""
    known = {"name", "description", "hosts", "body_encoding", "api_version_header", "spec_url",
             "volatile_headers", "secrets", "contract_quirks", "ignore_fields", "match_headers",
             "booleans_any_case"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise BadInput(source, f"unknown key {unknown[0]!r} in provider {name!r}")
    hosts = _str_tuple(data.get("hosts", ()), source, f"{name}.hosts")
    if not hosts:
        raise BadInput(source, f"provider {name!r} names no hosts", place=f"{name}.hosts")
    encoding = data.get("body_encoding", "auto")
    if encoding not in _ENCODINGS:
        raise BadInput(source, f"body_encoding must be one of {', '.join(_ENCODINGS)}, not {encoding!r}",
                       place=f"{name}.body_encoding")
    raw_secrets = data.get("secrets", {})
    if not isinstance(raw_secrets, Mapping):
        raise BadInput(source, "secrets must be a table", place=f"{name}.secrets")
    secret_keys = {"headers", "query", "body_fields", "fingerprint_headers"}
    bad = sorted(set(raw_secrets) - secret_keys)
    if bad:
        raise BadInput(source, f"unknown key {bad[0]!r}", place=f"{name}.secrets")
    secrets = SecretRules(**{k: _str_tuple(raw_secrets.get(k, ()), source, f"{name}.secrets.{k}")
                             for k in secret_keys})
    any_case = data.get("booleans_any_case", False)
    if not isinstance(any_case, bool):
        raise BadInput(source, f"booleans_any_case must be true or false, not {any_case!r}",
                       place=f"{name}.booleans_any_case")
    return Provider(
        name=str(data.get("name", name)),
        hosts=hosts,
        description=str(data.get("description", "")),
        body_encoding=encoding,
        api_version_header=_opt_str(data.get("api_version_header")),
        spec_url=_opt_str(data.get("spec_url")),
        volatile_headers=_str_tuple(data.get("volatile_headers", ()), source, f"{name}.volatile_headers"),
        secrets=secrets,
        source=source,
        contract_quirks=_str_tuple(data.get("contract_quirks", ()), source, f"{name}.contract_quirks"),
        ignore_fields=_str_tuple(data.get("ignore_fields", ()), source, f"{name}.ignore_fields"),
        match_headers=_str_tuple(data.get("match_headers", ()), source, f"{name}.match_headers"),
        booleans_any_case=any_case,
    )


def _str_tuple(value: object, source: str, place: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise BadInput(source, "expected a list of strings", place=place)
    return tuple(value)


def _opt_str(value: object) -> str | None:
    return str(value) if value else None


def _union(base: tuple[str, ...], extra: tuple[str, ...]) -> tuple[str, ...]:
    seen = {v.lower() for v in base}
    return base + tuple(v for v in extra if v.lower() not in seen)


_LOWER_CACHE: dict[tuple[str, ...], frozenset[str]] = {}


def _lower_set(values: tuple[str, ...]) -> frozenset[str]:
    cached = _LOWER_CACHE.get(values)
    if cached is None:
        cached = _LOWER_CACHE[values] = frozenset(v.lower() for v in values)
    return cached

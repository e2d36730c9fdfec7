"""What a failure message may print: everything about a request except the credentials it carries.

Drift reports, call listings and the blocked-host message are read in CI logs, pasted into issues
and kept for months, while the code under test sends *live* credentials (the cassette holds them
scrubbed). So printed text masks a credential's value wherever one travels: query parameters the
provider profile names (``api_key``, ``client_secret``), credential headers (``Authorization``,
``Proxy-Authorization``, the profile's own such as ``Stripe-Signature``), and a URL's userinfo.
Only printed text and report data are masked; the objects tests assert on keep the raw values.

The generic profile's lists always apply, so a host no profile claims is masked too.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from recorder.providers import GENERIC, SecretRules, builtin_profiles
from recorder.replay.matching import SECRET, MatchRules
from recorder.secrets.patterns import is_auth_name

__all__ = ["SECRET", "masked_header", "secret_headers", "secret_query", "shown_uri"]

# An auth scheme word before the credential (``Bearer``, ``Basic``, ``token``): kept, it tells a
# reader which kind of credential was sent without showing any of it.
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9-]{1,19}) +\S")


@lru_cache(maxsize=1)
def _generic() -> SecretRules:
    """The built-in generic profile's secrets: the floor every provider's list is added to."""
    return next((p.secrets for p in builtin_profiles() if p.name == GENERIC), SecretRules())


def secret_headers(extra: Iterable[str] = ()) -> frozenset[str]:
    """Lower-case names of credential headers: the generic profile's plus ``extra`` (a provider's)."""
    return frozenset(name.lower() for name in (*_generic().headers, *extra))


def is_secret_header(name: str, names: frozenset[str]) -> bool:
    """``name`` is in ``names`` or reads as a credential's (``X-Auth-Token``, ``X-Client-Secret``)."""
    return name.lower() in names or is_auth_name(name)


def masked_header(value: str) -> str:
    """A credential header's value as printed: ``Bearer <secret>``, or just ``<secret>``."""
    scheme = _SCHEME.match(value)
    return f"{scheme.group(1)} {SECRET}" if scheme else SECRET


def secret_query(key: str, rules: MatchRules) -> bool:
    """Whether query parameter ``key`` carries a credential: the provider's names or the generic ones."""
    if rules.is_secret_query(key):
        return True
    leaf = key.rstrip("[]").rsplit("[", 1)[-1].rstrip("]").lower()
    return leaf in _generic_query()


@lru_cache(maxsize=1)
def _generic_query() -> frozenset[str]:
    return frozenset(name.lower() for name in _generic().query)


def shown_uri(uri: str, rules: MatchRules = MatchRules()) -> str:
    """``uri`` as a message may print it: credential query values and a userinfo password masked."""
    parts = original = urlsplit(uri)
    if parts.password:
        user, _, host = parts.netloc.rpartition("@")
        parts = parts._replace(netloc=f"{user.partition(':')[0]}:{SECRET}@{host}")
    if parts.query:
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        if any(secret_query(k, rules) for k, _ in pairs):
            pairs = [(k, SECRET if secret_query(k, rules) else v) for k, v in pairs]
            parts = parts._replace(query=urlencode(pairs, safe="[]<>"))
    return uri if parts is original else urlunsplit(parts)  # untouched: exactly as sent

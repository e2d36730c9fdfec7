"""What a leaked credential looks like, as a table of named kinds, plus what a placeholder looks like.

The scanner is the last line of defence before a cassette reaches disk, so it recognises secrets
by their own shape, not by where the scrubber expects them. Kind names are part of the public
contract: they appear in reports and in the corpus's ``unscrubbed_secret_kinds`` column.

Two kinds of damage decide the details here:

* Careless filtering replaces single characters inside a key with tokens such as
  ``<VENDOR_AUTH_CODE>`` (``sk_test_7<VENDOR_AUTH_CODE>QqektfGG...``). Such a value still leaks
  most of the key, so an angle-bracket token counts as one character of the key's body.
* Honest placeholders (``<STRIPE_SECRET_KEY>``, ``sk_test_REDACTED``, ``your_auth_token``) must
  never be reported, or people learn to ignore the scanner.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

#: One character of a key body: an alphanumeric, or a filter token that replaced one.
_UNIT = r"(?:[A-Za-z0-9]|<[A-Za-z][A-Za-z0-9_ -]{0,40}>)"
_TOKEN = re.compile(r"<[A-Za-z][A-Za-z0-9_ -]{0,40}>|%3C[A-Za-z0-9_%-]{1,60}?%3E", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SecretPattern:
    """A secret recognisable by its own shape; the ``body`` group is the random part.

    ``starts`` lists the characters the pattern can begin with: all patterns run as one
    alternation, guarded by a look-ahead on those characters, which is what keeps scanning a
    large body one pass instead of fifteen.
    """

    kind: str
    pattern: str  # anchored at a word start by SHAPES; must not begin with \b itself
    starts: str
    min_body: int  # real characters the body must keep to count as a leak (0: always a leak)
    description: str


_TOKEN_UNIT = r"<[A-Za-z][A-Za-z0-9_ -]{0,40}>"

PATTERNS: tuple[SecretPattern, ...] = (
    SecretPattern("stripe_secret_key", rf"sk_(?:test|live)_(?P<body>{_UNIT}{{8,}})", "s", 12,
                  "Stripe secret API key"),
    SecretPattern("stripe_restricted_key", rf"rk_(?:test|live)_(?P<body>{_UNIT}{{8,}})", "r", 12,
                  "Stripe restricted API key"),
    SecretPattern("stripe_webhook_secret", rf"whsec_(?P<body>{_UNIT}{{8,}})", "w", 12,
                  "Stripe webhook signing secret"),
    SecretPattern("stripe_ephemeral_key", rf"ek_(?:test|live)_(?P<body>{_UNIT}{{8,}})", "e", 12,
                  "Stripe ephemeral key secret (lets a mobile app act as the customer)"),
    # PaymentIntent / SetupIntent / Checkout client secrets; the ``_secret_`` infix may itself
    # have been replaced by a filter token.
    SecretPattern("stripe_client_secrets",
                  rf"(?:pi|seti|cs_test|cs_live|cuss)_{_UNIT}{{8,}}_(?:secret|{_TOKEN_UNIT})_"
                  rf"(?P<body>{_UNIT}{{8,}})", "psc", 8, "Stripe PaymentIntent/SetupIntent client_secret"),
    SecretPattern("stripe_client_secrets", rf"src_client_secret_(?P<body>{_UNIT}{{8,}})", "s", 8,
                  "Stripe Source client_secret"),
    SecretPattern("sendgrid_api_key", r"SG\.(?P<body>[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,})", "S", 20,
                  "SendGrid API key"),
    SecretPattern("github_token", r"gh[pousr]_(?P<body>[A-Za-z0-9]{30,})", "g", 20, "GitHub token"),
    SecretPattern("github_token", r"github_pat_(?P<body>[A-Za-z0-9_]{30,})", "g", 20,
                  "GitHub fine-grained token"),
    SecretPattern("shopify_access_token", r"shp(?:at|ca|pa|ss)_(?P<body>[a-fA-F0-9]{32})\b", "s", 20,
                  "Shopify access token"),
    SecretPattern("aws_access_key", r"(?:AKIA|ASIA)(?P<body>[0-9A-Z]{16})\b", "A", 12,
                  "AWS access key id"),
    SecretPattern("google_api_key", r"AIza(?P<body>[0-9A-Za-z_-]{35})\b", "A", 20, "Google API key"),
    SecretPattern("slack_token", r"xox[abprs]-(?P<body>[0-9A-Za-z-]{10,})", "x", 10, "Slack token"),
    SecretPattern("private_key", r"-----BEGIN (?:[A-Z0-9]+ ){0,2}PRIVATE KEY(?: BLOCK)?-----(?P<body>)",
                  "-", 0, "PEM private key"),
)

#: Every pattern above as one alternation; group ``k<i>`` is PATTERNS[i], ``b<i>`` its body.
SHAPES = re.compile(
    r"(?<![A-Za-z0-9_])(?=[" + re.escape("".join(sorted({c for p in PATTERNS for c in p.starts}))) + "])(?:"
    + "|".join(f"(?P<k{i}>{p.pattern.replace('(?P<body>', f'(?P<b{i}>')})" for i, p in enumerate(PATTERNS))
    + ")"
)


#: ``Basic <base64 of user:password>``: decoded and judged in detect.py.
BASIC_AUTH = re.compile(r"\b[Bb]asic\s+(?P<body>[A-Za-z0-9+/]{6,}={0,2})(?![A-Za-z0-9+/=])")
#: ``Bearer <token>`` whose token has no recognisable prefix.
BEARER = re.compile(r"\b[Bb]earer\s+(?P<body>[A-Za-z0-9._~+/=-]{16,})")
#: ``scheme://user:password@host``; angle-bracket placeholders with spaces are allowed in.
URI_USERINFO = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]{1,15}://(?P<body>[^/?#@\s\"']{1,200})@[A-Za-z0-9.-]")
#: ``"key": "value"`` inside JSON text (bodies, JSON-in-header values); damage-tolerant.
JSON_PAIR = re.compile(r'"(?P<key>[^"\\\n]{1,80})"\s*:\s*"(?P<body>(?:[^"\\\n]|\\.){1,500})"')
#: ``key=value`` in a query string or form body.
FORM_PAIR = re.compile(r"(?:^|[?&;])(?P<key>[A-Za-z0-9_.\[\]%-]{1,80})=(?P<body>[^&#\s\"'<>]{1,500})")
#: A plain field of a multipart/form-data body: its Content-Disposition parameters, then (after
#: any other part headers and the blank line) its first line of value. File parts are told apart
#: by a ``filename`` parameter in detect.py.
MULTIPART_FIELD = re.compile(
    r"^content-disposition[ \t]*:[ \t]*form-data(?P<params>[^\r\n]*)\r?\n(?:[^\r\n]+\r?\n){0,8}?\r?\n"
    r"(?P<body>[^\r\n]{1,500})", re.IGNORECASE | re.MULTILINE)
MULTIPART_NAME = re.compile(r'(?:^|;)\s*name\s*=\s*(?:"(?P<quoted>[^"]*)"|(?P<bare>[^;\s]+))', re.IGNORECASE)
#: The scheme word that may precede a credential in an Authorization-like value.
AUTH_SCHEME = re.compile(r"^\s*(?P<scheme>[Bb]earer|[Tt]oken|[Bb]ot|OAuth|[Dd]igest|SSWS|Key)\s+")

#: Cheap pre-check: text containing none of these cannot hold any kind above, so most header
#: values and body lines skip the full table. Substring tests, because they run on every value.
_TRIGGERS = ("sk_", "rk_", "whsec_", "ek_", "_secret", "_<", "SG.", "gh", "_pat_", "shp", "AKIA",
             "ASIA", "AIza", "xox", "PRIVATE KEY", "://")
_TRIGGERS_ANY_CASE = ("basic", "bearer", "token", "secret", "pass", "credential", "key", "auth", "pwd")


def may_hold_secret(text: str) -> bool:
    if any(t in text for t in _TRIGGERS):
        return True
    lower = text.lower()
    return any(t in lower for t in _TRIGGERS_ANY_CASE)


# --- placeholders ---------------------------------------------------------------------------

_MARKER = re.compile(
    r"redacted|filtered|scrubbed|sanitized|masked|hidden|placeholder|dummy|fake|example|changeme"
    r"|your[_ -]|my[_-](?:secret|token|key|password)|x{4,}|\*{3,}|\.{3,}|\{\{|\$\{|%\(",
    re.IGNORECASE,
)
_TRIVIAL = frozenset({"user", "username", "pass", "password", "secret", "token", "key", "apikey",
                      "api_key", "test", "foo", "bar", "admin", "x", "none", "null"})


def strip_tokens(value: str) -> str:
    """``value`` without angle-bracket (or percent-encoded) placeholder tokens."""
    return _TOKEN.sub("", value)


def real_chars(value: str) -> int:
    """How many alphanumerics survive once placeholder tokens are removed."""
    return sum(1 for ch in strip_tokens(value) if ch.isalnum())


def has_marker(value: str) -> bool:
    """True for text that says of itself that it is not a real secret."""
    return bool(_MARKER.search(value))


def is_placeholder(value: str, min_real: int = 8) -> bool:
    """A value written to stand in for a secret (or too little of one left to matter)."""
    value = value.strip()
    if not value or value.lower() in _TRIVIAL:
        return True
    return has_marker(value) or real_chars(value) < min_real


# --- auth-like names and random-looking values -----------------------------------------------

_NOT_NAME = re.compile(r"[^a-z0-9]")
_AUTH_PARTS = ("authorization", "token", "secret", "password", "passwd", "passphrase", "credential",
               "apikey", "accesskey", "privatekey", "authkey", "signingkey")
_AUTH_WHOLE = frozenset({"key", "pwd", "auth", "pass"})
_ID_LIKE = re.compile(r"^[a-z]{1,8}_(?:(?:test|live)_)?[A-Za-z0-9]{8,}$")
_TOKEN_CHARS = re.compile(r"^[A-Za-z0-9+/=_.~:-]+$")


def is_auth_name(name: str) -> bool:
    """Whether a header, JSON key, form or query name is where credentials travel.

    ``Authorization``, ``*token*``, ``*secret*``, ``*password*`` and keys qualified as API,
    access or private keys; deliberately not ``Idempotency-Key`` or ``lookup_key``, which hold
    ids. Separators and case are ignored (``X-Api-Key`` = ``apiKey`` = ``API_KEY``).
    """
    compact = _NOT_NAME.sub("", name.lower())
    return compact in _AUTH_WHOLE or any(part in compact for part in _AUTH_PARTS)


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(value)
    total = len(value)
    return -sum(c / total * math.log2(c / total) for c in counts.values())


def looks_random(value: str, min_len: int = 16) -> bool:
    """A single token that reads like generated key material, not a word, id or placeholder.

    Stripe-style object ids (``pi_1F70K4IUmJaD6Oqv...``, ``tok_...``) are random too but are
    not credentials; they are told apart by their lower-case ``prefix_``.
    """
    value = value.strip()
    if len(value) < min_len or not _TOKEN_CHARS.match(value) or _ID_LIKE.match(value) or "://" in value:
        return False  # too short, prose, an object id, or a URL (``access_tokens_url``)
    if is_placeholder(value, min_real=12):
        return False
    has_digit = any(ch.isdigit() for ch in value)
    has_alpha = any(ch.isalpha() for ch in value)
    return has_digit and has_alpha and entropy(value) >= 3.0


KINDS: tuple[str, ...] = tuple(dict.fromkeys(
    [p.kind for p in PATTERNS]
    + ["basic_auth_header", "bearer_token", "uri_credentials", "high_entropy_auth_value"]
))

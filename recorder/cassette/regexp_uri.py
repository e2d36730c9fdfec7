"""Request URIs that Ruby VCR users hand-edited into regular expressions.

Ruby VCR lets a cassette say ``uri: !ruby/regexp /^https:\\/\\/api\\.twilio\\.com\\/.../Accounts\\/.*\\/
Messages\\.json/`` so that one recording answers any account; three of the four Twilio cassettes
in the shared corpus do. The loader keeps the regexp's source text as the URI (with a warning).
What it stood for is kept two ways:

- ``regexp_to_url``: a plain URL, wildcards replaced by a stand-in value, for everything that
  needs a host and a path (which provider, which spec operation, which drift candidates);
- ``uri_pattern``: the regexp itself, compiled, which replay matches live URLs against, as
  Ruby VCR's matcher did.
"""
from __future__ import annotations

import re
from functools import lru_cache

_REGEXP_URI = re.compile(r"^/(?P<source>(?:\^|\\A)?https?:.*)/(?P<flags>[imx]*)$")
_BODY = re.compile(r"^(?:\^|\\A)?(?P<body>https?:.*?)(?:\$|\\z|\\Z)?$", re.IGNORECASE)
_WILDCARD = re.compile(r"\.[*+]\??|\[\^?[^\]]*\][*+]")
_FLAGS = {"i": re.IGNORECASE, "m": re.DOTALL, "x": re.VERBOSE}  # Ruby's m is Python's DOTALL
# Ruby spellings Python's re does not know: end of string, named groups.
_RUBY_SYNTAX = ((re.compile(r"\\z"), r"\\Z"), (re.compile(r"\(\?<(?=[A-Za-z_])"), "(?P<"))


def is_regexp_uri(uri: str) -> bool:
    return uri.startswith("/") and _REGEXP_URI.match(uri) is not None


def regexp_to_url(uri: str) -> str:
    """A URL from a regexp URI (``uri`` unchanged if it is not one).

    Wildcards become a stand-in value: they always replace an id, which routes to the templated
    segment (``Accounts/.*/Messages.json`` -> ``Accounts/{AccountSid}/Messages.json``).
    """
    match = _REGEXP_URI.match(uri) if uri.startswith("/") else None
    if match is None:
        return uri
    body = _BODY.match(match.group("source"))
    if body is None:
        return uri
    return re.sub(r"\\(.)", r"\1", _WILDCARD.sub("<wildcard>", body.group("body")))


@lru_cache(maxsize=256)
def uri_pattern(uri: str) -> re.Pattern[str] | None:
    """The compiled regexp of a regexp URI; None if ``uri`` is not one, or Python cannot read it
    (then nothing matches it, and a miss gets a drift report like any other)."""
    match = _REGEXP_URI.match(uri) if uri.startswith("/") else None
    if match is None:
        return None
    source = match.group("source")
    for ruby, python in _RUBY_SYNTAX:
        source = ruby.sub(python, source)
    flags = 0
    for letter in match.group("flags"):
        flags |= _FLAGS[letter]
    try:
        return re.compile(source, flags)
    except re.error:
        return None

"""Known, documented ways a provider's real traffic departs from its own published spec.

A checker that flags these on every run teaches people to ignore it. Each quirk is opted into
per provider, as data, in the provider profile (``contract_quirks = [...]``), so the exception is
visible in review and applies to that provider only.
"""
from __future__ import annotations

import re
from typing import Any

from recorder.errors import BadInput

_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")

#: name -> what it forgives
QUIRKS = {
    "numeric-strings": "a response number sent as a decimal string (Twilio's latitude, price)",
    "empty-string-unset": 'a response string left "" for "not set", where the spec gives a format, '
                          "pattern or minimum length (Twilio's sms_url, *_sid)",
}
_EMPTY_RULES = frozenset({"format", "pattern", "min-length", "enum"})


def check_quirk_names(provider: str, names: tuple[str, ...]) -> None:
    for name in names:
        if name not in QUIRKS:
            raise BadInput(f"provider {provider}", f"unknown contract quirk {name!r} "
                           f"(known: {', '.join(sorted(QUIRKS))})", "contract_quirks")


def forgiven(quirks: tuple[str, ...], part: str, rule: str, expected: str | None, actual: Any) -> bool:
    """Whether a problem is one of the provider's declared quirks rather than drift."""
    if not quirks or part != "response" or not isinstance(actual, str):
        return False
    if "numeric-strings" in quirks and rule == "type" and _NUMBER.fullmatch(actual) \
            and expected and ("number" in expected or "integer" in expected):
        return True
    return "empty-string-unset" in quirks and actual == "" and rule in _EMPTY_RULES

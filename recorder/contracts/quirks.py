"""Known, documented ways a provider's real traffic departs from its own published spec.

A checker that flags these on every run teaches people to ignore it. Each quirk is opted into
per provider, as data, in the provider profile (``contract_quirks = [...]``), so the exception is
visible in review and applies to that provider only.
"""
from __future__ import annotations

import re
from typing import Any

from recorder.errors import BadInput
from recorder.providers.registry import ProviderRegistry, load_registry

_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")

#: name -> what it forgives
QUIRKS = {
    "numeric-strings": "a response number sent as a decimal string (Twilio's latitude, price)",
    "empty-string-unset": 'a response string left "" for "not set", where the spec gives a format, '
                          "pattern or minimum length (Twilio's sms_url, *_sid)",
}
_EMPTY_RULES = frozenset({"format", "pattern", "min-length", "enum"})
_QUIRK_RULES = _EMPTY_RULES | {"type"}


def check_quirk_names(provider: str, names: tuple[str, ...]) -> None:
    for name in names:
        if name not in QUIRKS:
            raise BadInput(f"provider {provider}", f"unknown contract quirk {name!r} "
                           f"(known: {', '.join(sorted(QUIRKS))})", "contract_quirks")


def quirks_by_provider(registry: ProviderRegistry) -> dict[str, tuple[str, ...]]:
    """Provider name -> its declared quirks, each name checked (a typo is bad input, not a no-op)."""
    quirks: dict[str, tuple[str, ...]] = {}
    for provider in registry:
        check_quirk_names(provider.name, provider.contract_quirks)
        quirks[provider.name] = provider.contract_quirks
    return quirks


class ProviderQuirks:
    """Whether a provider's declared quirks forgive a problem; the one place a check asks.

    Given a registry, its quirk names are checked at once. Without one, the project's registry
    is read on the first problem a quirk could forgive: most findings (a missing field, an
    undocumented one) never can, and reading it costs ~1 ms a call.
    """

    def __init__(self, registry: ProviderRegistry | None = None) -> None:
        self._table = quirks_by_provider(registry) if registry is not None else None

    def forgive(self, provider: str, part: str, rule: str, expected: str | None, actual: Any) -> bool:
        if part != "response" or rule not in _QUIRK_RULES or not isinstance(actual, str):
            return False
        if self._table is None:
            self._table = quirks_by_provider(load_registry())
        return forgiven(self._table.get(provider, ()), part, rule, expected, actual)


def forgiven(quirks: tuple[str, ...], part: str, rule: str, expected: str | None, actual: Any) -> bool:
    """Whether a problem is one of the provider's declared quirks rather than drift."""
    if not quirks or part != "response" or not isinstance(actual, str):
        return False
    if "numeric-strings" in quirks and rule == "type" and _NUMBER.fullmatch(actual) \
            and expected and ("number" in expected or "integer" in expected):
        return True
    return "empty-string-unset" in quirks and actual == "" and rule in _EMPTY_RULES

"""Which spec judges which interaction: per provider, per API version.

Stripe publishes one spec per API version, and an interaction recorded with
``Stripe-Version: 2019-05-16`` must be judged by the 2019-05-16 contract, not by today's: the
response shapes differ and so would the findings. Several specs per provider are told apart by
``info.version``; an interaction whose version has no spec of its own (or that has no version)
is judged by the newest one given, where drift shows up as ``undocumented-field`` warnings.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from recorder.contracts.check import SpecChecker
from recorder.contracts.prepare import PreparedSpec, open_spec
from recorder.errors import BadInput


@dataclass(slots=True)
class SpecSet:
    """Provider name -> prepared specs, newest last; checkers are built on first use."""

    specs: dict[str, list[PreparedSpec]] = field(default_factory=dict)
    _checkers: dict[str, SpecChecker] = field(default_factory=dict)

    def add(self, provider: str, spec: PreparedSpec) -> None:
        """Add a document; several per provider and version are fine (Twilio and SendGrid
        publish one document per product area, all with the same ``info.version``)."""
        documents = self.specs.setdefault(provider, [])
        if all(s.sha256 != spec.sha256 for s in documents):
            documents.append(spec)
        documents.sort(key=lambda s: version_key(s.version))

    def providers(self) -> list[str]:
        return sorted(self.specs)

    def pick(self, provider: str, api_version: str | None) -> list[PreparedSpec]:
        """The documents of exactly ``api_version`` if there are any, else the newest version's."""
        documents = self.specs.get(provider)
        if not documents:
            return []
        wanted = api_version if api_version and any(s.version == api_version for s in documents) \
            else documents[-1].version
        return [s for s in documents if s.version == wanted]

    def checker(self, spec: PreparedSpec) -> SpecChecker:
        checker = self._checkers.get(spec.sha256)
        if checker is None:
            checker = self._checkers[spec.sha256] = SpecChecker(spec)
        return checker


_VERSION_PART = re.compile(r"\d+|[^\d\W_]+")


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """An API version as something that sorts the way providers mean it.

    Stripe's are dates (``2019-05-16``, ``2026-06-24.dahlia``), others semantic versions, where
    a plain string sort puts ``1.10.0`` before ``1.9.0``. Numbers compare as numbers, words as
    words, and a number sorts before a word so that mixed forms never fail to compare.
    """
    return tuple((0, int(part)) if part.isdigit() else (1, part.lower())
                 for part in _VERSION_PART.findall(version))


def parse_spec_option(value: str) -> tuple[str, str]:
    """``PROVIDER=PATH_OR_URL`` from ``--spec``; the provider name is checked by the caller."""
    provider, sep, source = value.partition("=")
    if not sep or not provider.strip() or not source.strip():
        raise BadInput("--spec", f"expected PROVIDER=PATH_OR_URL, got {value!r}")
    return provider.strip().lower(), source.strip()


def build_spec_set(options: list[tuple[str, str | Path]], *, use_cache: bool = True) -> SpecSet:
    specs = SpecSet()
    for provider, source in options:
        specs.add(provider, open_spec(source, use_cache=use_cache))
    return specs

"""Which provider owns a host: the built-in profiles plus the project's own.

Lookups happen on every intercepted request, so exact hosts go in a dict and only the
(few) wildcard patterns are scanned.
"""
from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

from recorder.errors import BadInput
from recorder.providers.profile import Provider, parse_profile

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

GENERIC = "generic"


class ProviderRegistry:
    def __init__(self, providers: Iterable[Provider]) -> None:
        self._by_name: dict[str, Provider] = {}
        for provider in providers:
            self._by_name[provider.name] = provider
        generic = self._by_name.get(GENERIC)
        if generic is None:
            raise BadInput(None, "no 'generic' provider profile found")
        self._by_name = {name: (p if name == GENERIC else p.merged(generic)) for name, p in self._by_name.items()}
        self._exact: dict[str, Provider] = {}
        self._suffixes: list[tuple[str, Provider]] = []
        for provider in self._by_name.values():
            if provider.name == GENERIC:
                continue
            for host in provider.hosts:
                host = host.lower()
                if host.startswith("*."):
                    self._suffixes.append((host[1:], provider))
                elif host != "*":
                    self._exact[host] = provider
        # Longest suffix first, so *.api.example.com wins over *.example.com.
        self._suffixes.sort(key=lambda item: len(item[0]), reverse=True)

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_name[n] for n in self.names())

    def find(self, name: str) -> Provider | None:
        """The profile called ``name``, or None (``get`` is for names a user typed)."""
        return self._by_name.get(name)

    def get(self, name: str) -> Provider:
        try:
            return self._by_name[name]
        except KeyError:
            raise BadInput("--provider", f"unknown provider {name!r} (known: {', '.join(self.names())})") from None

    def for_host(self, host: str) -> Provider | None:
        """The provider that owns ``host`` (port ignored), or None when no profile claims it."""
        host = host.lower().rsplit("@", 1)[-1].split(":", 1)[0]
        found = self._exact.get(host)
        if found is not None:
            return found
        for suffix, provider in self._suffixes:
            if host.endswith(suffix) or host == suffix[1:]:
                return provider
        return None

    def owns(self, provider: Provider, host: str) -> bool:
        if provider.name == GENERIC:
            return True
        return self.for_host(host) is provider


@lru_cache(maxsize=1)
def _builtin_tables() -> dict[str, tuple[Mapping[str, Any], str]]:
    """Each built-in profile's TOML table and source, by profile name."""
    folder = resources.files("recorder.providers") / "builtin"
    tables = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            tables[entry.name[:-5]] = (tomllib.loads(entry.read_text(encoding="utf-8")),
                                       f"recorder/providers/builtin/{entry.name}")
    return tables


@lru_cache(maxsize=1)
def builtin_profiles() -> tuple[Provider, ...]:
    return tuple(parse_profile(data, name=name, source=source) for name, (data, source) in _builtin_tables().items())


def build_registry(user_tables: Mapping[str, Mapping[str, Any]] | None = None,
                   source: str = "pyproject.toml") -> ProviderRegistry:
    """Built-in profiles, then the user's ``[tool.recorder.providers.*]``.

    A user table named after a built-in profile is laid over it key by key (``secrets`` sub-key by
    sub-key): ``[tool.recorder.providers.stripe]`` with only ``ignore_fields`` keeps Stripe's hosts
    and, above all, its secret rules.
    """
    builtin = _builtin_tables()
    profiles = {p.name: p for p in builtin_profiles()}
    for name, table in (user_tables or {}).items():
        if not isinstance(table, Mapping):
            raise BadInput(source, "expected a table", place=f"tool.recorder.providers.{name}")
        if name in builtin:
            table = _overlay(builtin[name][0], table)
        profiles[name] = parse_profile(table, name=name, source=source)
    return ProviderRegistry(profiles.values())


def _overlay(base: Mapping[str, Any], user: Mapping[str, Any]) -> dict[str, Any]:
    merged = {**base, **user}
    if isinstance(base.get("secrets"), Mapping) and isinstance(user.get("secrets"), Mapping):
        merged["secrets"] = {**base["secrets"], **user["secrets"]}
    return merged


def load_registry() -> ProviderRegistry:
    """The registry for the current project (pyproject.toml found from the working folder)."""
    from recorder.config import load_project_config

    config = load_project_config()
    return build_registry(config.providers, str(config.source or "pyproject.toml"))

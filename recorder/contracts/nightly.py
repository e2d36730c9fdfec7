"""Pinning, diffing and the nightly ``verify-contracts --latest`` as library calls.

The CLI (``recorder contracts ...``) is a shell over these. Every step that fetches or parses
happens before anything is written, so an unreachable source or a document that is not OpenAPI
leaves ``contracts/`` exactly as it was.
"""
from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recorder.contracts.diff import Change, changes_to_report, diff_specs
from recorder.contracts.check import SpecChecker
from recorder.contracts.pinning import PinnedContract, load_pinned, naming, pin, pinned_providers
from recorder.contracts.prepare import PreparedSpec, prepare
from recorder.contracts.source import SpecDocument, load_spec
from recorder.contracts.specset import SpecSet, build_spec_set, version_key
from recorder.contracts.usage import load_all_exchanges, operations_in_use, providers_in_use, traffic_reach
from recorder.contracts.verify import Exchange, verify_exchanges
from recorder.errors import BadInput
from recorder.providers.registry import ProviderRegistry
from recorder.report.model import Report


@dataclass(frozen=True, slots=True)
class Project:
    """Where this repository keeps its recordings, mocks and pinned contracts."""

    cassettes: Path
    mocks: Path
    contracts: Path

    def exchanges(self, registry: ProviderRegistry) -> list[Exchange]:
        return load_all_exchanges([self.cassettes, self.mocks], registry)


def default_source(provider: str, registry: ProviderRegistry, contracts: Path) -> str:
    """Where a provider's *current* spec lives: the profile's spec URL, else where the pin came from.

    The lock's source says where the pinned copy was fetched (perhaps a local file); "latest"
    means what the provider publishes now, which is the profile's URL when there is one.
    """
    url = registry.get(provider).spec_url
    if url:
        return url
    pinned = load_pinned(provider, contracts)
    if pinned is not None:
        return pinned.source
    raise BadInput("--provider", f"provider {provider!r} publishes no OpenAPI spec that recorder knows of; "
                                 "pass --source URL_OR_PATH")


def pull(provider: str, project: Project, registry: ProviderRegistry, *, source: str | None = None,
         version: str | None = None) -> PinnedContract:
    """Fetch the provider's spec, slice it to the operations in use, and pin it."""
    registry.get(provider)
    document = load_spec(source or default_source(provider, registry, project.contracts))
    if version and document.version != version:
        raise BadInput(document.source, f"serves API version {document.version!r}, not {version!r}", "info.version")
    prepared, exchanges = prepare(document), project.exchanges(registry)
    used = operations_in_use(exchanges, provider, prepared)
    with naming(document.source):
        reach = traffic_reach(exchanges, provider, prepared, document.data)
    _check_schemas(prepared, used)
    return pin(provider, document, used, project.contracts, stubs=reach)


def _check_schemas(prepared: PreparedSpec, used: Mapping[tuple[str, str], Any]) -> None:
    """Refuse to pin schemas the validator cannot compile: every later check would fail on them."""
    checker = SpecChecker(prepared)
    for op in prepared.operations:
        if (op.method, op.path) in used:
            checker.prime_operation(op)
    checker.compile()


def resolve_side(provider: str, value: str | None, project: Project, registry: ProviderRegistry,
                 *, default_pinned: bool) -> tuple[dict[str, Any], str]:
    """``--from``/``--to``: ``pinned``, ``latest``, a path or a URL -> (document data, label)."""
    if value in (None, "pinned") and default_pinned or value == "pinned":
        pinned = load_pinned(provider, project.contracts)
        if pinned is None:
            raise BadInput(project.contracts, f"nothing pinned for {provider}: run `recorder contracts pull "
                                              f"--provider {provider}` first")
        return pinned.data, f"pinned {provider} {pinned.version}"
    if value in (None, "latest"):
        value = default_source(provider, registry, project.contracts)
    document = load_spec(value)
    return document.data, f"{document.source} ({document.version})"


def diff(provider: str, project: Project, registry: ProviderRegistry, *, old: str | None = None,
         new: str | None = None, all_operations: bool = False) -> Report:
    """What changed between two versions of a provider's spec, for the operations this repo uses."""
    started = time.perf_counter()
    old_data, old_label = resolve_side(provider, old, project, registry, default_pinned=True)
    new_data, new_label = resolve_side(provider, new, project, registry, default_pinned=False)
    changes = _diff_in_use(provider, old_data, new_data, project, registry, all_operations, new_label)
    return changes_to_report(changes, title=f"{provider}: {old_label} -> {new_label}", provider=provider,
                             duration_s=time.perf_counter() - started)


def _diff_in_use(provider: str, old_data: dict[str, Any], new_data: dict[str, Any], project: Project,
                 registry: ProviderRegistry, all_operations: bool, label: str) -> list[Change]:
    document = SpecDocument(source=label, sha256="", size=0, data=old_data)
    used = operations_in_use(project.exchanges(registry), provider, prepare(document))
    operations = None if all_operations else list(used)
    return diff_specs(old_data, new_data, operations, touched_by=used, source_label=label)


def verify_latest(project: Project, registry: ProviderRegistry, *,
                  overrides: Mapping[str, str | Sequence[str]] | None = None) -> Report:
    """The nightly job: for each provider in use, diff pinned -> latest and validate against latest.

    One report: the spec changes (breaking ones are errors) followed by the contract findings of
    every cassette and mock against the current spec. ``overrides`` gives a provider's current
    documents instead of its profile's URL; several per provider are all used for validation, as
    ``--spec`` does without ``--latest`` (Twilio publishes one document per product area).
    """
    started = time.perf_counter()
    sources = {name: [value] if isinstance(value, str) else list(value) for name, value in (overrides or {}).items()}
    exchanges = project.exchanges(registry)
    pinned = set(pinned_providers(project.contracts))
    providers = [p for p in providers_in_use(exchanges) if p in pinned or p in sources]
    latest: list[tuple[str, str | Path]] = []
    changes: list[Report] = []
    contracts = {p: load_pinned(p, project.contracts) for p in providers}  # a broken pin fails before any fetch
    for provider in providers:
        documents = [load_spec(source) for source in
                     sources.get(provider) or [default_source(provider, registry, project.contracts)]]
        latest.extend((provider, document.source) for document in documents)
        contract = contracts[provider]
        if contract is not None:
            used = operations_in_use(exchanges, provider, prepare(
                SpecDocument(source="pinned", sha256="", size=0, data=contract.data)))
            document = _diff_target(documents, used)
            found = diff_specs(contract.data, document.data, list(used), touched_by=used,
                               source_label=f"{document.source} ({document.version})")
            changes.append(changes_to_report(found, title="", provider=provider, duration_s=0.0))
    specs: SpecSet = build_spec_set(latest)
    report = verify_exchanges(exchanges, specs, files=len({e.source for e in exchanges}), started=started,
                              registry=registry)
    report.title = "Nightly contract check against the providers' current specs"
    for diff_report in changes:
        report.findings.extend(diff_report.findings)
    without = sorted(set(providers_in_use(exchanges)) - set(providers))
    report.notes.extend(f"{p}: nothing pinned and no --spec given: not checked" for p in without)
    report.count()
    return report


def _diff_target(documents: list[SpecDocument], used: Mapping[tuple[str, str], Any]) -> SpecDocument:
    """Which current document the pinned slice is diffed against, when several are given.

    The newest ``info.version``; among documents of that version (Twilio's product areas all say
    1.0.0), the one that has the most of the operations in use: diffing against another area's
    document would report every pinned operation as removed.
    """
    newest = max(documents, key=lambda d: version_key(d.version)).version
    candidates = [d for d in documents if d.version == newest]

    def served(document: SpecDocument) -> int:
        paths = document.data.get("paths") or {}
        return sum(1 for method, path in used if isinstance(paths.get(path), dict) and method.lower() in paths[path])

    return max(candidates, key=served)  # max keeps the first of equals: the order given

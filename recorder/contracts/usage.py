"""Which operations of a provider's spec this repository actually uses, and where.

Pinning keeps only these in ``contracts/`` (a slice of tens of KB instead of Stripe's 4 MB), and a
spec diff names, for each change, the cassettes and mock files that touch the changed operation.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from recorder.contracts.check import SpecChecker
from recorder.contracts.prepare import PreparedSpec
from recorder.contracts.verify import Exchange, collect_files, load_exchanges, route_exchange
from recorder.providers.registry import ProviderRegistry, load_registry

OperationKey = tuple[str, str]          # (METHOD, path template)


def load_all_exchanges(paths: Iterable[str | Path], registry: ProviderRegistry | None = None) -> list[Exchange]:
    registry = registry or load_registry()
    cassettes, mocks = collect_files([p for p in paths if Path(p).exists()])
    return load_exchanges(cassettes, mocks, registry)


def operations_in_use(exchanges: list[Exchange], provider: str,
                      spec: PreparedSpec) -> dict[OperationKey, list[str]]:
    """(METHOD, template) -> the files (sorted, unique) whose traffic hits it, for one provider."""
    checker = SpecChecker(spec)
    used: dict[OperationKey, set[str]] = defaultdict(set)
    for exchange in exchanges:
        if exchange.provider != provider:
            continue
        route = route_exchange(checker, exchange)
        if route.operation is not None:
            used[(route.operation.method, route.operation.path)].add(exchange.source)
    return {key: sorted(sources) for key, sources in sorted(used.items())}


def providers_in_use(exchanges: list[Exchange]) -> list[str]:
    return sorted({e.provider for e in exchanges if e.provider != "generic"})

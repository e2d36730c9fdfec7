"""Which operations of a provider's spec this repository actually uses, and where.

Pinning keeps only these in ``contracts/`` (a slice of tens of KB instead of Stripe's 4 MB), and a
spec diff names, for each change, the cassettes and mock files that touch the changed operation.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from recorder.contracts.check import SpecChecker
from recorder.contracts.prepare import PreparedSpec, response_key
from recorder.contracts.reach import Reach
from recorder.contracts.slicing import pointer_segments, resolve_pointer
from recorder.contracts.verify import Exchange, collect_files, load_exchanges, mock_candidates, route_exchange
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


def traffic_reach(exchanges: list[Exchange], provider: str, spec: PreparedSpec, data: dict[str, Any]) -> Reach:
    """What ``provider``'s recorded responses reach in ``data`` (the raw document ``spec`` came from).

    Request schemas (parameters, bodies) and response headers of every operation in use are
    kept whole; response bodies are walked value by value (see :mod:`recorder.contracts.reach`).
    A mock without a method is walked through every operation it could be (the checker picks
    the best fit among them).
    """
    checker = SpecChecker(spec)
    reach = Reach(data)
    kept: set[tuple[str, str]] = set()
    for exchange in exchanges:
        if exchange.provider != provider:
            continue
        routes = [route_exchange(checker, exchange)] if exchange.method else mock_candidates(checker, exchange)
        body = _json_body(exchange)
        for route in routes:
            if route.operation is None:
                continue
            method, template = route.operation.method.lower(), route.operation.path
            item = (data.get("paths") or {}).get(template) or {}
            if (method, template) not in kept:
                kept.add((method, template))
                _keep_requests(reach, item, method, template)
            if body is not None:
                _walk_response(reach, item.get(method) or {}, ("paths", template, method), exchange.response.status, body)
    return reach


def _keep_requests(reach: Reach, item: dict[str, Any], method: str, template: str) -> None:
    at = ("paths", template)
    reach.keep_all(item.get("parameters"), (*at, "parameters"))
    operation = item.get(method) or {}
    reach.keep_all(operation.get("parameters"), (*at, method, "parameters"))
    reach.keep_all(operation.get("requestBody"), (*at, method, "requestBody"))
    for status, response in (operation.get("responses") or {}).items():
        node, where = _resolved(reach.data, response, (*at, method, "responses", status))
        reach.keep_all(node.get("headers"), (*where, "headers"))


def _walk_response(reach: Reach, operation: dict[str, Any], at: tuple[str, ...], status: int, body: Any) -> None:
    """Walk ``body`` through the schemas of the response documented for ``status`` (all media types)."""
    responses = operation.get("responses") or {}
    key = response_key(responses, status)  # the response the checker judges the body by
    if key is None:
        return
    node, where = _resolved(reach.data, responses[key], (*at, "responses", key))
    for media, content in (node.get("content") or {}).items():
        if isinstance(content, dict) and "schema" in content:
            reach.walk(content["schema"], (*where, "content", media, "schema"), body)


def _resolved(data: dict[str, Any], node: Any, at: tuple[str, ...]) -> tuple[dict[str, Any], tuple[Any, ...]]:
    """A response object and where it sits, following a ``$ref`` into components/responses."""
    hops = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and hops < 20:
        at = tuple(pointer_segments(node["$ref"]))
        node = resolve_pointer(data, node["$ref"])
        hops += 1
    return (node if isinstance(node, dict) else {}), at


def _json_body(exchange: Exchange) -> Any:
    raw = exchange.response.body.decoded if exchange.response.body else b""
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None  # the checker reports it as invalid-body; no schema is evaluated

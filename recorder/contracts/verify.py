"""``verify-contracts`` as a library call: files in, a report of findings out.

Two passes over the loaded exchanges. The first routes every request to its operation and
registers the schemas it will need (cheap); the second validates, after each spec's schemas
were compiled once. Interactions of providers without a contract (EasyPost publishes no
OpenAPI spec) and hosts a spec does not serve (a legacy endpoint) are *skipped* with a note,
never reported as contract errors: the report only says what it can stand behind.
"""
from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from recorder.cassette.convert import find_cassette_files
from recorder.cassette.load import load_cassette
from recorder.cassette.model import Request, Response
from recorder.cassette.regexp_uri import regexp_to_url
from recorder.contracts.check import Problem, SpecChecker
from recorder.contracts.prepare import PreparedSpec
from recorder.contracts.quirks import ProviderQuirks
from recorder.contracts.router import Route
from recorder.contracts.specset import SpecSet, version_key
from recorder.contracts.validator import VALUE_SLOT
from recorder.providers.registry import ProviderRegistry, load_registry
from recorder.replay.mocks import Mock, is_mock_file, load_mock
from recorder.report.model import Finding, Report, Summary
from recorder.secrets.detect import find_secrets
from recorder.secrets.patterns import is_auth_name

_MOCK_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_SHOWN_CHARS = 120          # a recorded value in a finding is shown up to this length
_SCAN_CHARS = _SHOWN_CHARS + 200
_REDACTED = "<redacted: looks like a credential>"


@dataclass(slots=True)
class Exchange:
    """A request/response pair to judge: from a cassette interaction or a mock file."""

    source: str
    index: int | None           # interaction index; None for a mock file
    provider: str
    api_version: str | None
    request: Request | None     # None for a mock: only its response is a contract
    response: Response
    method: str
    url: str


@dataclass(slots=True)
class _Planned:
    exchange: Exchange
    spec: PreparedSpec
    route: Route
    alternatives: list[Route] = field(default_factory=list)   # a mock without mockMethod


def collect_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[Path]]:
    """Cassettes and mock files under the given files/folders (mocks told apart by ``type: MOCK``)."""
    cassettes: list[Path] = []
    mocks: list[Path] = []
    for path in find_cassette_files(paths):
        (mocks if path.suffix.lower() in (".yaml", ".yml") and is_mock_file(path) else cassettes).append(path)
    return cassettes, mocks


def load_exchanges(cassettes: list[Path], mocks: list[Path], registry: ProviderRegistry) -> list[Exchange]:
    exchanges: list[Exchange] = []
    for path in cassettes:
        cassette = load_cassette(path, registry=registry)
        for index, interaction in enumerate(cassette.interactions):
            request = interaction.request
            provider = interaction.provider or _provider_for(registry, request.uri)
            url = regexp_to_url(request.uri)
            exchanges.append(Exchange(_display(path), index, provider, interaction.api_version, request,
                                      interaction.response, request.method.upper(), url))
    for path in mocks:
        mock = load_mock(path)
        provider = registry.for_host(mock.target)
        exchanges.append(Exchange(_display(path), None, provider.name if provider else "generic", None, None,
                                  mock.response(), mock.method or "", _mock_url(mock)))
    return exchanges


def verify_exchanges(exchanges: list[Exchange], specs: SpecSet, *, files: int = 0,
                     started: float | None = None, registry: ProviderRegistry | None = None) -> Report:
    """Every exchange judged by its provider's spec, with that provider's declared quirks forgiven.

    The quirks come from ``registry`` (default: this project's, read when first needed) through
    :class:`ProviderQuirks` here and nowhere else, so every caller (a plain run, the nightly
    ``--latest``, a test) forgives exactly the same things.
    """
    started = time.perf_counter() if started is None else started
    summary = Summary(files=files, interactions=len(exchanges))
    report = Report(title="Contract check", summary=summary)
    skipped: Counter[str] = Counter()
    planned: list[_Planned] = []
    quirks = ProviderQuirks(registry)
    for exchange in exchanges:
        documents = specs.pick(exchange.provider, exchange.api_version)
        if not documents:
            skipped[f"{exchange.provider}: no contract (no spec given or pinned for this provider)"] += 1
            continue
        spec, route = _route_any(specs, documents, exchange)
        damage = _damaged_url(exchange.url) if route.operation is None else None
        if damage:  # a placeholder where an id would route fine is a scrubbed id, not damage
            report.findings.append(_damaged(exchange, damage))
            skipped[f"{exchange.provider}: damaged recording, not checked ({damage})"] += 1
            continue
        if not route.host_known:
            host = urlsplit(exchange.url).hostname
            reason = f"host {host} is not served by the {exchange.provider} spec" if host \
                else "the request URI is not a plain URL (hand-edited into a pattern?)"
            skipped[f"{exchange.provider}: {reason}"] += 1
            continue
        if route.operation is None:
            report.findings.append(_unknown_operation(exchange, route, spec))
            summary.validated += 1
            continue
        alternatives = mock_candidates(specs.checker(spec), exchange) if not exchange.method else [route]
        for candidate in alternatives:
            assert candidate.operation is not None
            specs.checker(spec).prime_exchange(candidate.operation, exchange.request, exchange.response)
        planned.append(_Planned(exchange, spec, route, alternatives))
    for item in planned:
        checker = specs.checker(item.spec)
        op = item.route.operation
        assert op is not None
        problems: list[Problem] = []
        if item.exchange.request is not None:
            problems.extend(checker.check_request(op, item.route, item.exchange.request, item.exchange.url))
        problems.extend(checker.check_response(op, item.exchange.response))
        if len(item.alternatives) > 1:
            item.route, problems = _best_fit(checker, item.exchange, item.alternatives)
            op = item.route.operation
        provider = item.exchange.provider
        # A mock is somebody's belief, not the provider's behaviour: no quirk excuses it.
        if item.exchange.request is not None:
            problems = [p for p in problems if not quirks.forgive(provider, p.part, p.rule, p.expected, p.actual)]
        report.findings.extend(_finding(item, p) for p in problems)
        summary.validated += 1
    summary.skipped = sum(skipped.values())
    report.notes.extend(f"{reason} ({count} skipped)" for reason, count in sorted(skipped.items()))
    summary.duration_s = time.perf_counter() - started
    report.count()
    return report


def verify_paths(paths: Iterable[str | Path], specs: SpecSet, *, registry: ProviderRegistry | None = None) -> Report:
    """Every cassette and mock file under ``paths`` checked against ``specs``."""
    started = time.perf_counter()
    registry = registry or load_registry()
    cassettes, mocks = collect_files(paths)
    exchanges = load_exchanges(cassettes, mocks, registry)
    report = verify_exchanges(exchanges, specs, files=len(cassettes) + len(mocks), started=started,
                              registry=registry)
    report.sources = [_display(p) for p in [*cassettes, *mocks]]
    return report


def _route_any(specs: SpecSet, documents: list[PreparedSpec], exchange: Exchange) -> tuple[PreparedSpec, Route]:
    """The first document that has the operation; else the one that knows the host (for the finding)."""
    best: tuple[PreparedSpec, Route] | None = None
    for spec in documents:
        route = route_exchange(specs.checker(spec), exchange)
        if route.operation is not None:
            return spec, route
        if best is None or (route.host_known and not best[1].host_known):
            best = (spec, route)
    assert best is not None
    return best


_PLACEHOLDER_TOKEN = re.compile(r"<[A-Za-z0-9_.-]+>|%3C[A-Za-z0-9_.-]+%3E", re.IGNORECASE)


def _damaged_url(url: str) -> str | None:
    """Why a recorded path cannot be judged: a scrubber's placeholder replaced part of it."""
    path = urlsplit(url).path
    token = _PLACEHOLDER_TOKEN.search(path)
    return f"placeholder {token.group(0)} inside the request path" if token else None


def _damaged(exchange: Exchange, damage: str) -> Finding:
    return Finding(source=exchange.source, interaction=exchange.index, provider=exchange.provider,
                   operation=None, method=exchange.method or None, path=safe_message(urlsplit(exchange.url).path),
                   status=exchange.response.status, part="request", location="/path", rule="damaged-recording",
                   message=f"not checked: {damage} (a filter over-substituted when the cassette was scrubbed)",
                   severity="warning")


def route_exchange(checker: SpecChecker, exchange: Exchange) -> Route:
    if exchange.method:
        return checker.route(exchange.method, exchange.url)
    candidates = mock_candidates(checker, exchange)
    return candidates[0] if candidates else checker.route("GET", exchange.url)


def mock_candidates(checker: SpecChecker, exchange: Exchange) -> list[Route]:
    """A mock without mockMethod: every operation on its path that documents its status."""
    routes = [checker.route(method, exchange.url) for method in _MOCK_METHODS]
    found = [r for r in routes if r.operation is not None]
    with_status = [r for r in found if r.operation and r.operation.response_for(exchange.response.status)]
    return with_status or found


def _best_fit(checker: SpecChecker, exchange: Exchange, candidates: list[Route]) -> tuple[Route, list[Problem]]:
    """The operation whose documented response the mock body fits best.

    A body that contradicts a schema (wrong type or enum: ``object: charge`` against a list) fits
    worse than one that names fields the schema lacks, which fits worse than an incomplete one.
    """
    judged = []
    for route in candidates:
        assert route.operation is not None
        problems = checker.check_response(route.operation, exchange.response)
        contradictions = sum(1 for p in problems if p.rule not in ("required", "undocumented-field"))
        unknown = sum(1 for p in problems if p.rule == "undocumented-field")
        judged.append(((contradictions, unknown, len(problems)), route, problems))
    _, route, problems = min(judged, key=lambda item: item[0])
    return route, problems


def _unknown_operation(exchange: Exchange, route: Route, spec: PreparedSpec) -> Finding:
    path = safe_message(urlsplit(exchange.url).path)  # a recorded path, shown in the finding three times
    # The provider answered 404 as well: the recording agrees the endpoint does not exist.
    severity = "warning" if exchange.response.status == 404 else "error"
    what = (f"{exchange.method or 'this method'} is not documented for {path}" if route.path_known
            else f"no operation in the spec matches {exchange.method} {path}")
    what += f" (spec {spec.title or exchange.provider} {spec.version})"
    if exchange.api_version and exchange.api_version != spec.version:
        severity = "warning"  # an endpoint newer than the newest spec we were given
        what += f" [recorded with API version {exchange.api_version}, checked against {spec.version}]"
    return Finding(source=exchange.source, interaction=exchange.index, provider=exchange.provider,
                   operation=None, method=exchange.method or None, path=path, status=exchange.response.status,
                   part="request", location="/path", rule="unknown-operation", message=what, severity=severity,
                   actual=f"{exchange.method} {path}")


def _finding(item: _Planned, problem: Problem) -> Finding:
    op = item.route.operation
    assert op is not None
    severity, message = _weigh(item, problem)
    actual = render_value(problem.actual, problem.location)
    return Finding(source=item.exchange.source, interaction=item.exchange.index, provider=item.exchange.provider,
                   operation=op.op_id, method=op.method, path=op.path, status=item.exchange.response.status,
                   part=problem.part, location=problem.location, rule=problem.rule,
                   message=safe_message(message, actual), severity=severity,
                   expected=problem.expected, actual=actual)  # type: ignore[arg-type]


def _weigh(item: _Planned, problem: Problem) -> tuple[str, str]:
    """Severity in the light of what the recording itself proves.

    A recording is the provider's own behaviour at the time; a mock is somebody's belief. So:
    a field the spec now requires but a *recorded* response lacks was added after the recording
    (re-record; warning). A request field the spec does not list but the provider accepted (2xx)
    is deprecated or undocumented, not wrong (warning). And an interaction judged by another API
    version's spec (none given for its own) shows drift between versions (warning). Everything
    else keeps the checker's severity; mock files are always judged strictly.
    """
    severity, message = problem.severity, problem.message
    recorded = item.exchange.request is not None
    status = item.exchange.response.status
    if severity == "error" and recorded:
        if problem.part == "response" and problem.rule == "required":
            severity = "warning"
            message += _missing_because(item.exchange.api_version, item.spec.version)
        elif problem.part == "request" and problem.rule == "additional-property" and 200 <= status < 300:
            severity = "warning"
            message += f"; the provider accepted it (status {status}): deprecated or undocumented"
    version = item.exchange.api_version
    if version and version != item.spec.version:
        severity = "warning" if severity == "error" else severity
        message += f" [recorded with API version {version}, checked against {item.spec.version}]"
    return severity, message


def _missing_because(recorded: str | None, spec: str) -> str:
    """Why a recorded response may lack a field its spec requires, by which side is newer.

    A warning even when the versions are equal: providers add fields to an API version after the
    fact (``automatic_tax`` is required by the 2022 build of Stripe's 2020-08-27 spec; a 2021
    recording with that version lacks it). On the corpus every such case was of that kind.
    """
    if recorded and recorded != spec:
        if version_key(recorded) > version_key(spec):
            return (f"; this recording (API version {recorded}) is newer than the spec ({spec}): the provider "
                    "may have dropped it since; check against the spec of the recording's version")
        return (f"; this recording (API version {recorded}) predates the spec ({spec}): "
                "the provider added it since: re-record")
    if recorded:
        return (f"; the spec of the same API version ({spec}) requires it, but providers add fields to a "
                "version after the fact, so this recording likely predates it: re-record")
    return "; the provider sends it today but this recording lacks it: re-record"


def safe_message(message: str, shown: str | None = None) -> str:
    """A finding's message with the recorded value in its slot, and nothing secret-shaped in it.

    The slot gets ``shown``, the value exactly as ``actual`` shows it (already redacted by
    :func:`render_value`); what else a message quotes from a recording (a field or parameter
    name, a request path) is scanned by the same detector, and each credential in it replaced.
    """
    if VALUE_SLOT in message:
        message = message.replace(VALUE_SLOT, "null" if shown is None else shown or '""')
    return _scrubbed(message)


@lru_cache(maxsize=4096)
def _scrubbed(message: str) -> str:
    """``message`` with each credential replaced. Memoised: findings repeat their messages
    (``field 'node_id' is not in the spec`` on every object of a list), scanning does not need to."""
    for hit in reversed(find_secrets(message)):
        message = message[:hit.start] + _REDACTED + message[hit.end:]
    return message


def render_value(value: Any, location: str = "") -> str | None:
    """A short, secret-free rendering of a recorded value for the report.

    Cut to display length (plus room for a token straddling the cut) *before* the secret scan:
    scanning whole serialised objects was half the cost of a run on large GitHub responses.
    """
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)[:_SCAN_CHARS]
    field_name = location.rsplit("/", 1)[-1]
    if (field_name and is_auth_name(field_name)) or find_secrets(text[:_SCAN_CHARS]):
        return _REDACTED
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def _provider_for(registry: ProviderRegistry, uri: str) -> str:
    provider = registry.for_host(urlsplit(uri).hostname or "")
    return provider.name if provider else "generic"


def _mock_url(mock: Mock) -> str:
    # A wildcard stands for one path segment's value; any value routes to the templated segment.
    return f"https://{mock.target}{mock.path.replace('*', 'mock')}"


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)

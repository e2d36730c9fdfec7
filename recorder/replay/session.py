"""A replay session: cassettes and mock files answer the code under test; nothing leaves the machine.

Lookups are constant-time (the index is built once, when the session opens). A request with no
recording fails with a drift report. Mock files win over cassettes for the endpoints they name.
At the end, interactions never played are reported: a cassette nobody uses any more is stale.

In a record mode the cassettes being recorded belong to a RecordSession. Mode ``once`` on a
cassette that exists records nothing, so that cassette is replayed here exactly as in mode
``replay`` (drift report on a miss, unused interactions, ``strict``); only missing ones are
recorded. In mode ``new`` the interactions loaded and never played are reported as unused too,
except in a cassette this run already wrote (``ReplayConfig.appending``): those are other tests'.

Match options come from two layers: the provider profile's (``ignore_fields``, ``match_headers``)
with the session's added. They are resolved once per recorded host, when the session opens, so a
live request pays one dict lookup for them, and recorded and live requests to one host are
always keyed by the same rules.
"""
from __future__ import annotations

import os
import sys
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from recorder.cassette import Interaction, Request, Response, load_cassette
from recorder.errors import RecorderError
from recorder.providers import GENERIC, Provider, ProviderRegistry, load_registry
from recorder.record.delays import hold
from recorder.record.interception import Decision, NetworkBlocked, intercept
from recorder.record.modes import RecordMode
from recorder.record.session import RecordSession, WrittenCassette, is_loopback
from recorder.replay.calls import Call, CallLog
from recorder.replay.drift import Candidate, DriftError, DriftReport, closest, near_mocks, shown_uri
from recorder.replay.matching import MatchKey, MatchOptions, MatchRules, NormalisedUrl, ReplayIndex, request_key
from recorder.replay.mocks import MockTable, load_mock
from recorder.replay.recording import recording_session


class UnusedInteractions(RecorderError, AssertionError):
    """Strict mode: recorded interactions that the test never played."""


class UnusedInteractionsWarning(UserWarning):
    pass


@dataclass(frozen=True, slots=True)
class ReplayConfig:
    cassettes: tuple[Path, ...] = ()
    mocks: tuple[Path, ...] = ()
    match: MatchOptions = field(default_factory=MatchOptions)
    strict: bool = False
    record: RecordMode | None = None  # a record mode: provider calls go through a RecordSession
    targets: tuple[str, ...] = ()     # record modes: where provider calls really go ("URL", "stripe=URL")
    cassette_dir: Path = Path("cassettes")
    appending: tuple[Path, ...] = ()  # record modes: cassettes this run already wrote, recorded as "new"
    # Cassettes other sessions play too (tests sharing a marker cassette): their unplayed
    # interactions are only this session's share, kept in ``shared_unused`` for the caller to judge
    # across all of them, never warned about or failed here.
    shared: tuple[Path, ...] = ()
    # What a blocked call says when the session loaded nothing at all: the pytest plugin names the
    # test's own cassette that is not recorded yet, and how to record it.
    nothing_loaded: str = "no cassettes or mocks loaded"


@dataclass(frozen=True, slots=True)
class Unused:
    source: str
    index: int
    method: str
    uri: str

    def __str__(self) -> str:
        return f"{self.source} interaction {self.index}: {self.method} {self.uri}"


class ReplaySession:
    """Open it (``with``) around the code under test; read ``calls``/assert on it afterwards."""

    def __init__(self, config: ReplayConfig, registry: ProviderRegistry | None = None, *,
                 recording: RecordSession | None = None) -> None:
        """``recording``: the RecordSession provider calls go to, when the caller lays out the
        cassettes itself (the pytest plugin's per-test cassettes); else one is built from
        ``config.record`` and ``config.cassettes``."""
        self.config = config
        self.registry = registry or load_registry()
        self.log = CallLog()
        self._interactions: list[Interaction] = []
        self._sources: list[tuple[str, int]] = []  # per interaction: (cassette file, index in it)
        # In a record mode the RecordSession owns the cassettes it records (its own index, its own
        # writes); the ones it would only replay are replayed here.
        replayed = config.cassettes
        if recording is None and config.record is not None:
            replayed = tuple(p for p in config.cassettes if config.record is RecordMode.ONCE
                             and p not in config.appending and p.is_file())
            recorded = tuple(p for p in config.cassettes if p not in replayed)
            if recorded:
                recording = recording_session(recorded, config.record, config.targets, self.registry,
                                              config.cassette_dir, config.appending)
        self._recording = recording
        self.replayed_from = replayed  # the cassettes this session's own index plays (not the recorded ones)
        for path in replayed:
            cassette = load_cassette(path, registry=self.registry)
            for position, interaction in enumerate(cassette.interactions):
                self._interactions.append(interaction)
                self._sources.append((str(path), position))
        self._by_host: dict[str, list[int]] = defaultdict(list)
        self._rules_by_provider: dict[str | None, MatchRules] = {}
        self._rules_by_host: dict[str, MatchRules] = {}
        for position, interaction in enumerate(self._interactions):
            host = NormalisedUrl.parse(interaction.request.uri).host
            self._by_host[host].append(position)
            if host not in self._rules_by_host:
                # The host decides, as it must for a live request; a cassette's own provider label
                # speaks for hosts no profile claims (a stand-in it was recorded against).
                provider = self.registry.for_host(host) or self.registry.find(interaction.provider or "")
                self._rules_by_host[host] = self._rules_for(provider)
        self._index = ReplayIndex.build(
            self._interactions, options=config.match,
            rules_for=lambda i: self._rules_by_host[NormalisedUrl.parse(i.request.uri).host])
        self._mocks = MockTable(load_mock(mock_path) for mock_path in config.mocks)
        self._intercept = None
        self._offline: dict[str, bool] = {}  # netloc -> stays_offline
        self.unused: list[Unused] = []
        self.shared_unused: list[Unused] = []  # unplayed here, in ``config.shared`` cassettes
        # Where the unused-interactions warning points: (file, line). None: the first frame outside
        # recorder, i.e. the user's ``with``; the pytest plugin sets the test's own definition.
        self.warn_at: tuple[str, int] | None = None
        # SDKs wrap transport errors (stripe -> APIConnectionError, easypost -> HttpError) and apps
        # catch those: a miss must still fail the test, so it is kept and raised again at exit.
        self.failures: list[RecorderError] = []

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> ReplaySession:
        if self._recording is not None:
            self._recording.open(handler=self)
            return self
        self._intercept = intercept(self)
        self._intercept.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:  # type: ignore[no-untyped-def]
        if self._recording is not None:
            self._recording.close()  # writes what was recorded, scrubbed, or raises SecretLeak
        else:
            assert self._intercept is not None
            self._intercept.__exit__(exc_type, exc, tb)
            self._intercept = None
        unplayed = [Unused(*self._sources[i], self._interactions[i].request.method,
                           self._interactions[i].request.uri) for i in self._index.unplayed()]
        if self._recording is not None:
            unplayed += [Unused(str(path), position, i.request.method, i.request.uri)
                         for path, position, i in self._recording.unplayed()]
        shared = {str(p) for p in self.config.shared}
        self.unused = [u for u in unplayed if u.source not in shared]
        self.shared_unused = [u for u in unplayed if u.source in shared]
        if self.failures and not _already_raised(exc, self.failures):
            raise self.failures[0]
        if self.unused and exc_type is None:
            report_unused(self.unused, self.config.strict, self.warn_at)

    # -- CallHandler -----------------------------------------------------------------------------
    def decide(self, request: Request) -> Decision:
        """Answer hosts the cassettes and mocks cover. On loopback a mock claims only the calls it
        answers: a ``127.0.0.1`` mock must not swallow the app's own test server's traffic."""
        url = NormalisedUrl.parse(request.uri)
        if url.host in self._by_host:
            return Decision.ANSWER
        if self._mocks and self._mocks.covers(url):
            if not is_loopback(url.hostname) or self._mocks.find(url, request.method, _path(request)):
                return Decision.ANSWER
        if self._recording is not None:
            return self._recording.decide(request)
        if is_loopback(url.hostname):
            return Decision.PASS
        return Decision.BLOCK

    def stays_offline(self, url: str) -> bool:
        """Replaying, only loopback calls may pass (the app's own test servers); the rest is
        answered or blocked. Recording, anything may go out. Asked before every requests call,
        so the answer is kept per host (parsing an address to rule out loopback costs more
        than the rest of the question)."""
        netloc = url.partition("://")[2].partition("/")[0]
        known = self._offline.get(netloc)
        if known is None:
            known = self._offline[netloc] = (self._recording is None
                                             and not is_loopback(urlsplit(url).hostname or ""))
        return known

    def blocked_message(self, request: Request) -> str:
        host = urlsplit(request.uri).hostname
        shown = shown_uri(request.uri, self._rules_for(self.registry.for_host(host or "")))
        message = (f"replay never touches the network: {request.method} {shown} goes to {host}, "
                   f"which no cassette or mock covers ({self._searched()})")
        self.failures.append(NetworkBlocked(message))
        return message

    def passed_through(self, request: Request, response: Response) -> None:
        self._log(request, response, None, "network")

    def respond(self, request: Request) -> Response:
        url = NormalisedUrl.parse(request.uri)
        provider = self.registry.for_host(url.host)
        mock = self._mocks.find(url, request.method, _path(request)) if self._mocks else None
        if mock is not None:
            response = mock.response()
            # Logged first: the app did make the call, even when its client gives up waiting.
            self._log(request, response, provider.name if provider else None, "mock", str(mock.source))
            hold(mock.delay_ms / 1000)
            return response
        if (self._recording is not None and url.host not in self._by_host
                and self._recording.decide(request) is Decision.ANSWER):
            return self._record(request, provider.name if provider else None)
        rules = self._rules_by_host.get(url.host) or self._rules_for(provider)
        key = request_key(request, rules)
        position = self._index.take(key)
        if position is None:
            drift = DriftError(self._drift(request, url, key, rules))
            self.failures.append(drift)
            raise drift
        response = self._interactions[position].response
        source, index = self._sources[position]
        self._log(request, response, provider.name if provider else None, "cassette",
                  f"{source} interaction {index}")
        return response

    @property
    def written(self) -> list[WrittenCassette]:
        """Record modes: the cassettes written when the session closed."""
        return self._recording.written if self._recording is not None else []

    @property
    def played_cassettes(self) -> list[Path]:
        """Every cassette this session loaded to replay from, its own and its recording's."""
        return [*self.replayed_from, *(self._recording.replayed_from if self._recording is not None else ())]

    # -- helpers ---------------------------------------------------------------------------------
    def _record(self, request: Request, provider: str | None) -> Response:
        assert self._recording is not None
        try:
            answer = self._recording.answer(request)
        except RecorderError as failure:  # not recorded in a mode that may not add it; the sandbox is down
            self.failures.append(failure)
            raise
        self._log(request, answer.response, provider, "network" if answer.recorded else "cassette", answer.origin)
        return answer.response

    def _rules_for(self, provider: Provider | None) -> MatchRules:
        """The provider's encoding and match options with the session's added (cached per provider).

        A host no profile claims was scrubbed with the generic profile when recorded
        (``recorder.secrets.scrub``), so it is keyed and masked by that profile here too: its
        recorded ``password=<scrubbed>`` must meet the live password, which no report may print."""
        if provider is None:
            provider = self.registry.find(GENERIC)
        name = provider.name if provider is not None else None
        rules = self._rules_by_provider.get(name)
        if rules is None:
            rules = self._rules_by_provider[name] = MatchRules.for_provider(provider, self.config.match)
        return rules

    def _drift(self, request: Request, url: NormalisedUrl, key: MatchKey, rules: MatchRules) -> DriftReport:
        """Why ``request`` has no answer: its recordings are used up, or the closest ones differ."""
        played = self._index.recorded(key)
        already = tuple(Candidate(*self._sources[i], self._interactions[i].request.method,
                                  shown_uri(self._interactions[i].request.uri, rules), ()) for i in played)
        candidates: tuple[Candidate, ...] = ()
        if not played:
            pool = [(*self._sources[i], self._interactions[i], self._index.keys[i])
                    for i in self._by_host.get(url.host, ())]
            provider = self.registry.for_host(url.host)
            candidates = closest(request, key, pool, rules, provider.secrets.headers if provider else ())
        mocks = near_mocks(self._mocks.for_url(url), request.method, _path(request)) if self._mocks else ()
        return DriftReport(request.method, shown_uri(request.uri, rules), candidates, self._searched_list(),
                           already, mocks)

    def _log(self, request: Request, response: Response, provider: str | None, source: str,
             origin: str | None = None) -> None:
        self.log.add(Call(request.method, request.uri, request.headers, request.body, response.status,
                          response.headers, response.body, provider, source, origin))  # type: ignore[arg-type]

    def _searched_list(self) -> tuple[str, ...]:
        return tuple(str(p) for p in self.config.cassettes) + tuple(str(p) for p in self.config.mocks)

    def _searched(self) -> str:
        return ", ".join(self._searched_list()) or self.config.nothing_loaded

    # -- call assertions (delegated, so tests read session.assert_called(...)) --------------------
    def calls(self, **filters: object) -> list[Call]:
        return self.log.calls(**filters)  # type: ignore[arg-type]

    def assert_called(self, **kwargs: object) -> list[Call]:
        return self.log.assert_called(**kwargs)  # type: ignore[arg-type]

    def assert_not_called(self, **filters: object) -> None:
        self.log.assert_not_called(**filters)

    def assert_body(self, json_path: str, operator: str = "eq", value: object = None, **kwargs: object) -> None:
        self.log.assert_body(json_path, operator, value, **kwargs)  # type: ignore[arg-type]


def report_unused(unused: Sequence[Unused], strict: bool, where: tuple[str, int] | None = None) -> None:
    """Fail (strict) or warn about recorded interactions nobody played. The warning points at
    ``where`` if given, else at the first caller outside recorder (the user's ``with`` line, not
    recorder's own ``__exit__`` frames, however many of them sit in between)."""
    message = f"{len(unused)} recorded interaction(s) never played:\n" + "\n".join(f"  {u}" for u in unused)
    if strict:
        raise UnusedInteractions(message)
    if where is not None:
        warnings.warn_explicit(message, UnusedInteractionsWarning, where[0], where[1])
    else:
        warnings.warn(message, UnusedInteractionsWarning, stacklevel=_outside_recorder())


def _outside_recorder() -> int:
    """``stacklevel`` of the nearest frame whose code is not in the recorder package, as counted
    from ``report_unused``'s caller's call to ``warnings.warn``."""
    frame = sys._getframe(1)  # report_unused
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    return level


_PACKAGE = str(Path(__file__).parent.parent) + os.sep


def _path(request: Request) -> str:
    """The path as sent (not unquoted): what a mock's ``mockPath`` is written against."""
    return urlsplit(request.uri).path


def _already_raised(exc: BaseException | None, failures: list[RecorderError]) -> bool:
    return exc is not None and any(type(exc) is type(f) and str(exc) == str(f) for f in failures)


def resolve_paths(cassettes: str | Path | Iterable[str | Path], folder: Path) -> tuple[Path, ...]:
    """A cassette by path, or by name under ``folder`` (``stripe/checkout`` -> folder/stripe/checkout.yaml)."""
    items: Sequence[str | Path] = [cassettes] if isinstance(cassettes, (str, Path)) else list(cassettes)
    resolved = []
    for item in items:
        path = Path(item)
        if not path.is_file():
            for candidate in (folder / path, folder / f"{item}.yaml", folder / f"{item}.yml"):
                if candidate.is_file():
                    path = candidate
                    break
        resolved.append(path)
    return tuple(resolved)

"""A recording session: which calls to capture, where they really go, and the atomic write at the end.

Secrets: interactions live in memory exactly as sent until ``close()``; there the provider's
rules scrub them and the independent scanner reads the serialized bytes before anything is
written. A cassette is either written whole and clean, or not at all.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import ipaddress
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from filelock import FileLock

from recorder.cassette import Cassette, Interaction, Request, Response, load_cassette, write_cassette
from recorder.errors import RecorderError
from recorder.providers import Provider, ProviderRegistry
from recorder.record.forward import Upstream, forward
from recorder.record.handler import NetworkBlocked
from recorder.record.interception import CallHandler, Decision, intercept
from recorder.record.modes import RecordMode
from recorder.replay.matching import MatchRules, ReplayIndex, request_key
from recorder.replay.redact import shown_uri
from recorder.secrets import scan_guard, scrub_interaction


#: Per provider: (whether its cassette existed, its (mtime_ns, size) stamp) when recording began.
OpenedState = dict[str, tuple[bool, list[int] | None]]


class UnmatchedRequest(NetworkBlocked):
    """A provider request the cassette does not hold, in a mode that may not record it.

    A kind of ``NetworkBlocked``: the call may not leave the machine. Mode ``once`` refuses a call
    its existing cassette lacks on two paths (the replay session blocking a host no cassette
    covers, or this session refusing one of a replayed provider's hosts), and a test catching the
    refusal must not need to know which path its call took."""


@dataclass(frozen=True, slots=True)
class RecordConfig:
    """What to record and how. Cassettes land in ``cassette_dir/<provider>/<name>.yaml``."""

    providers: tuple[Provider, ...]
    cassette_dir: Path
    name: str
    mode: RecordMode = RecordMode.ONCE
    targets: dict[str, Upstream] = field(default_factory=dict)  # provider name (or "*") -> stand-in
    block_network: bool = False
    paths: dict[str, Path] = field(default_factory=dict)  # provider name -> a cassette named outright
    #: Providers whose cassette this run already wrote (an earlier test sharing it, another xdist
    #: worker): recorded as ``new`` whatever ``mode`` says, so that work is appended to, never
    #: dropped (``all``) or refused (``once``), and its calls are not "unused" by the next test.
    appending: frozenset[str] = frozenset()
    #: Providers whose cassette exists and is replayed by the caller itself, by cassette (the pytest
    #: plugin's replay session, mode ``once``, drift reports and all). This session neither loads
    #: nor records them, yet keeps their hosts: a call the caller did not answer (another host of
    #: the provider, ``files.stripe.com`` beside a cassette of ``api.stripe.com``) is refused here
    #: naming that cassette. Left out of ``providers`` instead, such a call was nobody's and went
    #: to the network unrecorded.
    replayed_by_caller: dict[str, Path] = field(default_factory=dict)

    def mode_for(self, provider: Provider) -> RecordMode:
        return RecordMode.NEW if provider.name in self.appending else self.mode

    def cassette_path(self, provider: Provider) -> Path:
        named = self.replayed_by_caller.get(provider.name) or self.paths.get(provider.name)
        return named if named is not None else self.cassette_dir / provider.name / f"{self.name}.yaml"

    def target_for(self, provider: Provider) -> Upstream | None:
        return self.targets.get(provider.name) or self.targets.get("*")


@dataclass(slots=True)
class _Track:
    """One provider's cassette within the session."""

    provider: Provider
    path: Path
    mode: RecordMode  # the session's, or NEW for a cassette this run already wrote (RecordConfig.appending)
    existed: bool
    recording: bool
    loaded: list[Interaction]
    index: ReplayIndex
    loaded_stamp: tuple[int, int] | None
    rules: MatchRules  # how the index keyed the loaded calls; a live call is keyed the same way
    new: list[Interaction] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Answer:
    """A provider call answered by the session: from the cassette, or fetched and recorded now."""

    response: Response
    recorded: bool
    origin: str  # "<cassette> interaction N" for a replayed one, the cassette it goes to otherwise


@dataclass(frozen=True, slots=True)
class WrittenCassette:
    path: Path
    provider: str
    recorded: int
    total: int


class RecordSession:
    """Intercepts HTTP calls while open; provider calls are replayed or recorded per the mode."""

    def __init__(self, config: RecordConfig, registry: ProviderRegistry,
                 inherited: OpenedState | None = None) -> None:
        """``inherited``: another process's ``opened_state()``, for a process that records into the
        same cassettes as its parent (see ``opened_state``)."""
        self.config = config
        self.registry = registry
        self._selected = {p.name for p in config.providers} | set(config.replayed_by_caller)
        self._tracks: dict[str, _Track] = {}
        self._intercept = None
        self._inherited = inherited or {}
        self._flush_lock = threading.Lock()
        self.passed: list[tuple[Request, Response]] = []
        self.written: list[WrittenCassette] = []
        #: Called after each recorded call; a worker process sets it to write at once (``flush``).
        self.after_record: Callable[[], None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> RecordSession:
        self.open()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:  # type: ignore[no-untyped-def]
        self.close()

    def open(self, handler: CallHandler | None = None) -> None:
        """Load the cassettes and start intercepting. ``handler`` (default: this session) is who
        the clients' calls go to: a replay session in a record mode puts itself in front, to serve
        mock files and keep its call log, and hands provider calls on to ``answer``."""
        tracked = {p.name: p for p in self.config.providers}
        for name in self.config.replayed_by_caller:
            tracked.setdefault(name, self.registry.get(name))
        for name, provider in tracked.items():
            self._tracks[name] = self._open_track(provider)
        self._intercept = intercept(handler or self)
        self._intercept.__enter__()

    def close(self) -> list[WrittenCassette]:
        """Stop intercepting and write what was recorded. Raises SecretLeak rather than write one."""
        if self._intercept is not None:
            self._intercept.__exit__(None, None, None)
            self._intercept = None
        self.flush()
        return self.written

    def flush(self) -> list[WrittenCassette]:
        """Write what was recorded so far now rather than at ``close()``.

        For worker processes (multiprocessing, a forked child), which often end by ``os._exit``
        or a SIGTERM from their pool and so never reach ``close()``. Each write re-reads the
        cassette under the lock, so what the parent and siblings wrote is kept. A track whose
        write fails drops its pending calls (they cannot be written); the first error is raised
        once every other track is written.
        """
        done: list[WrittenCassette] = []
        failure: RecorderError | None = None
        with self._flush_lock:
            for track in self._tracks.values():
                pending, track.new = track.new, []
                if not pending:
                    continue
                try:
                    done.append(self._write(track, pending))
                except RecorderError as exc:
                    failure = failure or exc
            self.written.extend(done)
        if failure is not None:
            raise failure
        return done

    def opened_state(self) -> OpenedState:
        """Whether each cassette existed, and its stamp, when this session opened.

        A process started by this one (``multiprocessing`` spawn, a subprocess) records into the
        same cassettes; judged by what it finds itself, it would see its siblings' writes as a
        cassette that "already exists" and stop recording in mode ``once``, or drop them in mode
        ``all``. Passed to its session as ``inherited``, the whole process tree decides as one.
        """
        return {name: (t.existed, list(t.loaded_stamp) if t.loaded_stamp else None)
                for name, t in self._tracks.items()}

    def forget_pending(self) -> None:
        """In a forked child: the calls recorded before the fork are the parent's to write."""
        self._flush_lock = threading.Lock()  # another thread may have held it at the fork
        for track in self._tracks.values():
            track.new = []
        self.written = []

    def _open_track(self, provider: Provider) -> _Track:
        path = self.config.cassette_path(provider)
        if provider.name in self._inherited:
            existed, stamp = self._inherited[provider.name]
            return self._track(provider, path, existed, tuple(stamp) if stamp else None)
        return self._track(provider, path, path.is_file(), _stamp(path))

    def _track(self, provider: Provider, path: Path, existed: bool, stamp: tuple[int, int] | None) -> _Track:
        mode = self.config.mode_for(provider)
        # The caller replays this cassette: loading it here too would report its calls unused twice,
        # and recording beside the caller's copy would write the cassette without them.
        by_caller = provider.name in self.config.replayed_by_caller
        loaded: list[Interaction] = []
        if existed and mode.replays() and path.is_file() and not by_caller:
            loaded = load_cassette(path, registry=self.registry).interactions
        rules = MatchRules.for_provider(provider)  # as replay keys them: scrubbed secrets still match
        index = ReplayIndex.build(loaded, options=rules.options, rules_for=lambda _: rules)
        recording = mode.records(existed) and not by_caller
        return _Track(provider, path, mode, existed, recording, loaded, index, stamp, rules)

    def unplayed(self) -> list[tuple[Path, int, Interaction]]:
        """Interactions loaded to replay (mode ``new``, ``once``) that no call played: stale, as in
        replay. A cassette this run already wrote is left out: its calls are another test's."""
        return [(track.path, position, track.loaded[position])
                for name, track in self._tracks.items() if name not in self.config.appending
                for position in track.index.unplayed()]

    @property
    def replayed_from(self) -> list[Path]:
        """The cassettes this session loaded calls from to replay them."""
        return [track.path for track in self._tracks.values() if track.loaded]

    # -- CallHandler ---------------------------------------------------------------------------
    def stays_offline(self, url: str) -> bool:
        return False  # recording: a call may go out, and requests must see its environment

    def decide(self, request: Request) -> Decision:
        host = urlsplit(request.uri).hostname or ""
        provider = self.registry.for_host(host)
        if provider is not None and provider.name in self._selected:
            return Decision.ANSWER
        if is_loopback(host) or not self.config.block_network:
            return Decision.PASS
        return Decision.BLOCK

    def blocked_message(self, request: Request) -> str:
        host = urlsplit(request.uri).hostname
        return (f"blocked {request.method} {request.uri}: host {host} is not one of the recorded "
                f"providers ({', '.join(sorted(self._selected))}) and --block-network is on")

    def passed_through(self, request: Request, response: Response) -> None:
        self.passed.append((request, response))

    def respond(self, request: Request) -> Response:
        return self.answer(request).response

    def answer(self, request: Request) -> Answer:
        """Replay ``request`` from the cassette if the mode allows and it is there, else record it."""
        provider = self.registry.for_host(urlsplit(request.uri).hostname or "")
        assert provider is not None  # decide() answered ANSWER only for a selected provider
        track = self._tracks[provider.name]
        if track.mode.replays() and track.loaded:
            key = request_key(request, track.rules)
            position = track.index.take(key)
            if position is not None:
                return Answer(track.loaded[position].response, False, f"{track.path} interaction {position}")
        if not track.recording:
            raise UnmatchedRequest(self._unmatched_message(request, track))
        response = forward(request, self.config.target_for(provider))
        track.new.append(Interaction(
            request=request, response=response, recorded_at=_now(), provider=provider.name,
            api_version=_api_version(provider, request, response)))
        if self.after_record is not None:
            self.after_record()
        return Answer(response, True, str(track.path))

    def _unmatched_message(self, request: Request, track: _Track) -> str:
        why = {RecordMode.ONCE: "mode 'once' records only a cassette that does not exist yet; "
                                "use --mode new (pytest: --recorder-mode=new) to add calls",
               RecordMode.NONE: "mode 'none' never records"}.get(track.mode, "")
        return f"{request.method} {shown_uri(request.uri, track.rules)} is not recorded in {track.path} ({why})"

    # -- writing ---------------------------------------------------------------------------------
    def _write(self, track: _Track, pending: list[Interaction]) -> WrittenCassette:
        scrubbed = [scrub_interaction(_without_volatile(i, track.provider), track.provider) for i in pending]
        with FileLock(str(_lock_path(track.path))):
            base = self._base_for_write(track)
            cassette = Cassette(interactions=base + scrubbed, path=track.path)
            write_cassette(cassette, track.path, check=scan_guard)
        return WrittenCassette(track.path, track.provider.name, len(scrubbed), len(cassette.interactions))

    def _base_for_write(self, track: _Track) -> list[Interaction]:
        """What stays in front of our new interactions. Another process may have written the
        same cassette since we opened it (xdist, a program that forks): keep its work."""
        changed = track.path.is_file() and _stamp(track.path) != track.loaded_stamp
        if changed:
            return load_cassette(track.path, registry=self.registry).interactions
        if track.mode is RecordMode.ALL:
            return []
        return list(track.loaded) if track.existed else []


def _without_volatile(interaction: Interaction, provider: Provider) -> Interaction:
    """Drop per-run request noise (Idempotency-Key, telemetry, trace ids) so re-recording the same
    calls gives the same file. Responses stay whole: clients read headers like Stripe-Should-Retry."""
    noisy = [name for name in interaction.request.headers if provider.is_volatile(name)]
    if not noisy:
        return interaction
    headers = interaction.request.headers.copy()
    for name in noisy:
        headers.remove(name)
    request = Request(interaction.request.method, interaction.request.uri, headers, interaction.request.body)
    return Interaction(request, interaction.response, interaction.recorded_at, interaction.provider,
                       interaction.api_version)


def _api_version(provider: Provider, request: Request, response: Response) -> str | None:
    header = provider.api_version_header
    if not header:
        return None
    return request.headers.get(header) or response.headers.get(header)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def _lock_path(path: Path) -> Path:
    """Locks live in the temp folder, not beside cassettes, so they never show up in a diff."""
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / "recorder-locks"
    folder.mkdir(exist_ok=True)
    return folder / f"{digest}.lock"


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_targets(values: Sequence[str], providers: Sequence[Provider]) -> dict[str, Upstream]:
    """``--target URL`` (all recorded providers) or ``--target stripe=URL``."""
    from recorder.errors import BadInput

    names = {p.name for p in providers}
    targets: dict[str, Upstream] = {}
    for value in values:
        name, sep, url = value.partition("=")
        if not sep or name.startswith(("http:", "https:")) or "/" in name:
            name, url = "*", value
        elif name not in names:
            raise BadInput("--target", f"{name!r} is not a provider being recorded ({', '.join(sorted(names))})")
        try:
            targets[name] = Upstream.from_url(url)
        except ValueError as exc:
            raise BadInput("--target", str(exc)) from None
    return targets

"""pytest plugin (entry point ``recorder``): a thin shell over ``recorder.replay`` and ``recorder.record``.

Which tests it touches, and how:

- A test marked ``@pytest.mark.recorder("stripe/checkout", mocks=[...])``, or one that asks for
  the ``recorder`` fixture, runs inside ``recorder.replay(...)`` with the marker's cassettes and
  mocks, in every mode. ``replay`` (default) plays them and never touches the network; ``once``
  replays a cassette that exists and records one that does not; ``new`` replays what is there
  and records the rest into it; ``all`` (alias ``record``) re-records. Mock files answer their
  endpoints in every mode, and the ``recorder`` fixture is the session, so call assertions work
  while recording too. Without cassette names a test uses its own,
  ``cassettes/<provider>/<test file stem>/<test name>.yaml``.
- Other tests are touched only while recording (``recorder record -- pytest``, or
  ``--recorder-mode=once|new|all|record``): each records into its own per-test cassettes, so
  parallel workers never write the same file.
- ``off``: nothing is intercepted and the tests talk to the live APIs. The ``recorder`` fixture is
  then a ``RecordingOff``: the test still runs, and asking it about calls fails with one message
  (no calls were seen, so "assert_not_called" must not pass by default).

Configuration layers, lowest first: ``[tool.recorder.replay]`` in pyproject.toml < the marker's
keywords < the command line (``--recorder-mode``, ``--recorder-strict``, ``--recorder-target``, or
what ``recorder record`` was given). An explicit command-line mode wins over the marker's
``mode=``; without one, the marker's applies over pyproject's.

Several tests may share a marker cassette. What an earlier test of the same run recorded into it
is kept: ``once`` and ``all`` append to a cassette this run already wrote (mode ``new``) instead
of refusing the next test's calls or dropping the previous test's. "This run" is told by the
file's modification time against the run's start (the xdist controller's, for every worker).
"""
from __future__ import annotations

import re
import time
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NoReturn

import pytest

import recorder as _recorder  # the package: its ``recorder.replay`` is what this plugin wraps
from recorder.config import ProjectConfig, load_project_config
from recorder.errors import BadInput, SecretLeak
from recorder.providers import GENERIC, ProviderRegistry, build_registry
from recorder.record.autostart import RecordSpec, take_over, write_report
from recorder.record.session import RecordSession, parse_targets
from recorder.replay.matching import MatchOptions
from recorder.replay.mocks import find_mock_files
from recorder.replay.recording import RECORD_MODES, provider_of, cassette_targets
from recorder.replay.session import ReplayConfig, ReplaySession, resolve_paths

_RUN_KEY = pytest.StashKey["Run"]()
_STATS_KEY = pytest.StashKey["Stats"]()
_PROJECT_KEY = pytest.StashKey[tuple[ProjectConfig, ProviderRegistry]]()
_STARTED = "recorder_started_ns"  # xdist workerinput key: the controller's start time
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")
RECORDING = ("record", "once", "new", "all")  # read as recorder.replay(mode=...) reads them ("record" = "all")
MODES = ("replay", *RECORDING, "off")
_OUTER_MODES = {"none": "replay"}  # `recorder record --mode none` never records: marked tests just replay


@dataclass
class Stats:
    cassettes: set[str] = field(default_factory=set)
    misses: int = 0
    unused: int = 0
    tests: int = 0
    written: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"cassettes": sorted(self.cassettes), "misses": self.misses, "unused": self.unused,
                "tests": self.tests, "written": self.written}

    def merge(self, data: dict[str, Any]) -> None:
        self.cassettes.update(data["cassettes"])
        self.misses += data["misses"]
        self.unused += data["unused"]
        self.tests += data["tests"]
        self.written += data.get("written", 0)


@dataclass(frozen=True, slots=True)
class Run:
    """What this pytest run was asked for on the command line, read once at configure time."""

    mode: str | None             # --recorder-mode, else `recorder record --mode`; None: marker/pyproject decide
    strict: bool                 # --recorder-strict
    targets: tuple[str, ...]     # --recorder-target, else `recorder record --target`
    unmarked: RecordSpec | None  # set while recording: tests without marker or fixture record per test
    outer: RecordSpec | None     # `recorder record`'s spec: it collects what every test wrote
    started_ns: int              # a cassette modified after this was written by this run


def cassette_name(item: pytest.Item) -> str:
    """``tests/test_pay.py::TestCard::test_charge[visa]`` -> ``test_pay/TestCard.test_charge-visa``."""
    parts = item.nodeid.split("::")
    stem = Path(parts[0]).stem
    test = ".".join(parts[1:]) or item.name
    return f"{stem}/{_UNSAFE.sub('-', test).strip('-')}"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("recorder", "recorder: replay and record third-party API calls")
    group.addoption("--recorder-mode", choices=MODES, default=None,
                    help="replay (default): cassettes and mocks only, no network; record: re-record every "
                         "test's cassettes (= all); once: record only missing cassettes; new: add calls the "
                         "cassettes lack; off: no interception. Wins over the marker's mode=")
    group.addoption("--recorder-strict", action="store_true", default=None,
                    help="fail a test whose cassettes hold interactions it never played")
    group.addoption("--recorder-target", action="append", default=None, metavar="[PROVIDER=]URL",
                    help="while recording, send provider calls to this stand-in (repeatable); the "
                         "cassette still names the provider's real URL")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "recorder(*cassettes, mocks=(), mode=None, strict=None, ignore_fields=(), "
                                       "match_headers=(), allow_repeats=False, target=()): replay (or record, "
                                       "in a record mode) these cassettes, with these mocks")
    config.stash[_STATS_KEY] = Stats()
    outer = take_over()
    mode = config.getoption("--recorder-mode")
    targets = tuple(config.getoption("--recorder-target") or ())
    started = getattr(config, "workerinput", {}).get(_STARTED) or time.time_ns()
    unmarked = None
    try:
        if outer is not None and mode is None:
            mode, unmarked = _OUTER_MODES.get(outer.mode, outer.mode), outer
            targets = targets or _target_args(outer.targets)
        elif mode in RECORDING:
            unmarked = _spec_for_mode(config, mode, targets, outer)
        elif targets:
            _target_urls(targets, _registry(config))  # a typo fails now, not in every test's setup
    except BadInput as exc:
        raise pytest.UsageError(f"recorder: {exc}") from None
    config.stash[_RUN_KEY] = Run(mode, bool(config.getoption("--recorder-strict")), targets, unmarked, outer,
                                 started)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: every worker judges "written by this run" against the controller's start, not its own."""
    node.workerinput[_STARTED] = node.config.stash[_RUN_KEY].started_ns


def _spec_for_mode(config: pytest.Config, mode: str, targets: Sequence[str], outer: RecordSpec | None) -> RecordSpec:
    """Per-test recording for ``--recorder-mode``: all known providers (or ``recorder record``'s)."""
    if outer is not None:
        return replace(outer, mode=RECORD_MODES[mode].value)
    project, registry = _project(config)
    providers = [p for p in registry if p.name != GENERIC]
    targets = targets or _as_list(project.replay_defaults.get("target", ()))
    return RecordSpec(providers=[p.name for p in providers], cassette_dir=str(project.cassettes), name="",
                      mode=RECORD_MODES[mode].value, targets=_target_urls(targets, providers),
                      project_root=str(project.root))


def _project(config: pytest.Config) -> tuple[ProjectConfig, ProviderRegistry]:
    """``[tool.recorder]`` of the project pytest runs in, and its providers; read once, when first needed."""
    cached = config.stash.get(_PROJECT_KEY, None)
    if cached is None:
        project = load_project_config(config.rootpath)
        cached = config.stash[_PROJECT_KEY] = (
            project, build_registry(project.providers, str(project.source or "pyproject.toml")))
    return cached


def _registry(config: pytest.Config) -> ProviderRegistry:
    return _project(config)[1]


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    """While recording, a test without marker or fixture records into its own per-test cassettes."""
    spec = item.config.stash[_RUN_KEY].unmarked
    if spec is None or _uses_recorder(item):  # those get their session from the fixture
        yield
        return
    record_config, registry = spec.build(name=cassette_name(item))
    session = RecordSession(record_config, registry)
    session.open()
    try:
        yield
    finally:
        errors: list[str] = []
        try:
            session.close()
        except Exception as exc:  # a leak or a write failure must not pass silently
            errors.append(str(exc))
            item.config.get_terminal_writer().line(f"recorder: {exc}", red=True)
        write_report(spec, session.written, errors)


def _uses_recorder(item: pytest.Item) -> bool:
    # "recorder" in fixturenames is the fixture, not the package
    return item.get_closest_marker("recorder") is not None or "recorder" in getattr(item, "fixturenames", ())


def _replay_arguments(item: pytest.Item) -> dict[str, Any]:
    """``recorder.replay``'s keywords for this test: [tool.recorder.replay] < marker < command line."""
    run = item.config.stash[_RUN_KEY]
    project, _ = _project(item.config)
    settings: dict[str, Any] = dict(project.replay_defaults)
    marker = item.get_closest_marker("recorder")
    if marker is not None:
        settings.update({k: v for k, v in marker.kwargs.items() if v is not None})
        if marker.args:
            settings["cassettes"] = list(marker.args)
    if run.mode is not None:
        settings["mode"] = run.mode
    if run.strict:
        settings["strict"] = True
    if run.targets:
        settings["target"] = run.targets
    mode = settings.setdefault("mode", "replay")
    named = settings.get("cassettes")
    if mode not in MODES or mode == "off":  # recorder.replay refuses an unknown mode with the list
        return settings
    if mode not in RECORDING:
        settings["cassettes"] = resolve_paths(_as_list(named), project.cassettes) if named is not None else (
            _own_cassettes(item))
        return settings
    if named is None:  # recorded into the test's own cassettes: _own_recording
        return settings
    settings["cassettes"] = cassettes = cassette_targets(_as_list(named), project.cassettes)
    settings["mode"] = mode = _mode_for(mode, cassettes, run.started_ns)
    if mode in RECORDING:
        settings["target"] = _targets_for(item.config, _as_list(settings.get("target", ())), cassettes)
    return settings


def _own_folder(config: pytest.Config) -> Path:
    """Where per-test cassettes live: ``recorder record --cassettes``, else the project's folder."""
    outer = config.stash[_RUN_KEY].outer
    return Path(outer.cassette_dir) if outer is not None else _project(config)[0].cassettes


def _own_cassettes(item: pytest.Item) -> tuple[Path, ...]:
    """To replay a test that names no cassettes: its own, ``<provider>/<file stem>/<test>.yaml``."""
    return tuple(sorted(_own_folder(item.config).glob(f"*/{cassette_name(item)}.yaml")))


def _own_recording(item: pytest.Item, settings: dict[str, Any]) -> ReplaySession:
    """A record mode for a test that names no cassettes: its provider calls are recorded into its
    own cassettes, one per provider it calls, as a test without marker records; mocks, strictness
    and the call log are the replay session's, as for a marker.

    recorder.replay cannot record into this layout (it tells a cassette's provider by the parent
    folder, here the file stem), so the RecordSession is built here and handed to the replay
    session as the one it passes provider calls to, which is what its record modes do."""
    run = item.config.stash[_RUN_KEY]
    project, _ = _project(item.config)
    spec = _spec_for_mode(item.config, settings["mode"], _as_list(settings.get("target", ())), run.outer)
    record_config, registry = spec.build(name=cassette_name(item))
    match = MatchOptions(tuple(settings.get("ignore_fields", ())), tuple(settings.get("match_headers", ())),
                         bool(settings.get("allow_repeats", False)))
    mocks = tuple(find_mock_files(str(m), project.mocks) for m in _as_list(settings.get("mocks", ())))
    return ReplaySession(ReplayConfig(mocks=mocks, match=match, strict=bool(settings.get("strict"))), registry,
                         recording=RecordSession(record_config, registry))


def _mode_for(mode: str, cassettes: Sequence[Path], started_ns: int) -> str:
    """A record mode as these cassettes stand. ``once`` with every cassette already on disk records
    nothing: plain replay, with its drift reports and unused-interaction checks. A cassette only
    this run has written (an earlier test sharing it, another xdist worker) is still being
    recorded: ``once`` and ``all`` append to it (``new``) rather than refuse or drop that work."""
    existing = [p for p in cassettes if p.is_file()]
    fresh = [p for p in existing if p.stat().st_mtime_ns >= started_ns]
    if mode != "new" and existing and len(fresh) == len(existing):
        return "new"
    if mode == "once" and cassettes and len(existing) == len(cassettes) and not fresh:
        return "replay"
    return mode


def _targets_for(config: pytest.Config, values: Sequence[str], cassettes: Sequence[Path]) -> tuple[str, ...]:
    """The targets for the providers this test records. recorder.replay refuses a target for a
    provider it is not recording, and a suite-wide ``stripe=URL`` must not break a Twilio-only test."""
    registry = _registry(config)
    recorded = {"*"}
    for path in cassettes:
        try:
            recorded.add(provider_of(path, registry).name)
        except BadInput:
            pass  # recorder.replay says which cassette and why
    return _target_args({name: url for name, url in _target_urls(values, registry).items() if name in recorded})


def _target_urls(values: Iterable[str], providers: Iterable[Any]) -> dict[str, str]:
    """``URL`` / ``stripe=URL`` values checked and keyed by provider ("*": all), as RecordSpec keeps them."""
    parsed = parse_targets(list(values), list(providers))
    return {name: f"{u.scheme}://{u.host}:{u.port}{u.prefix}" for name, u in parsed.items()}


def _target_args(urls: dict[str, str]) -> tuple[str, ...]:
    return tuple(url if name == "*" else f"{name}={url}" for name, url in urls.items())


def _as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, (str, Path)) else list(value)


class RecordingOff:
    """The ``recorder`` fixture under mode ``off``. Nothing is intercepted, so the test runs against
    the live APIs; asking about its calls fails with one clear message, never an AttributeError on
    None, and never a silent pass (an empty call log would make ``assert_not_called`` lie)."""

    mode = "off"

    def __getattr__(self, name: str) -> NoReturn:
        if name.startswith("_"):
            raise AttributeError(name)
        pytest.fail(f"recorder.{name}: mode 'off' intercepts nothing, so there are no calls to check "
                    "(use --recorder-mode=replay or a record mode)", pytrace=False)


@pytest.fixture(autouse=True)
def _recorder_replay(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Opens the test's session before the test's own fixtures, closes it after all of them."""
    item = request.node
    if not _uses_recorder(item):
        yield None
        return
    config = request.config
    settings = _replay_arguments(item)
    if settings.get("cassettes") is None and settings["mode"] in RECORDING:
        context: Any = _own_recording(item, settings)
    else:
        context = _recorder.replay(**settings)
    session = context.__enter__()
    if session is None:  # mode off
        yield RecordingOff()
        context.__exit__(None, None, None)
        return
    stats = config.stash[_STATS_KEY]
    stats.tests += 1
    yield session
    # Close with the test's own exception, so a miss the test already failed on is not raised twice.
    excinfo = getattr(item, "_recorder_excinfo", None)
    failure = (excinfo.type, excinfo.value, excinfo.tb) if excinfo is not None else (None, None, None)
    errors: list[str] = []
    try:
        context.__exit__(*failure)
    except (SecretLeak, BadInput) as exc:  # nothing written: `recorder record` must say so too
        errors.append(str(exc))
        raise
    finally:
        stats.cassettes.update(str(p) for p in session.config.cassettes if p.is_file())
        stats.cassettes.update(str(w.path) for w in session.written)
        stats.unused += len(session.unused)
        stats.misses += len(session.failures)
        stats.written += len(session.written)
        if session.written or errors:
            write_report(config.stash[_RUN_KEY].outer, session.written, errors)


@pytest.fixture
def recorder(_recorder_replay: Any) -> Any:
    """This test's session: ``recorder.calls(...)``, ``recorder.assert_called(...)``, in replay and
    record modes alike. Under mode ``off`` a ``RecordingOff``: the test runs live, and any question
    about its calls fails saying why."""
    return _recorder_replay


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    yield
    if call.when == "call":
        item._recorder_excinfo = call.excinfo  # type: ignore[attr-defined]


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the numbers to the controller
        workeroutput["recorder"] = session.config.stash[_STATS_KEY].as_dict()


@pytest.hookimpl(optionalhook=True)  # an xdist hook: without xdist installed pluggy must not reject it
def pytest_testnodedown(node: Any, error: Any) -> None:
    data = getattr(node, "workeroutput", {}).get("recorder")
    if data:
        node.config.stash[_STATS_KEY].merge(data)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    stats = config.stash.get(_STATS_KEY, None)
    if not stats or not stats.tests:
        return
    terminalreporter.write_sep("-", "recorder")
    written = f"; wrote {stats.written} cassette(s)" if stats.written else ""
    terminalreporter.write_line(f"replayed {stats.tests} test(s) from {len(stats.cassettes)} cassette(s); "
                                f"misses: {stats.misses}; unused interactions: {stats.unused}{written}")

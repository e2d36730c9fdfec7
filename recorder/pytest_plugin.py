"""pytest plugin (entry point ``recorder``): a thin shell over ``recorder.replay`` and ``recorder.record``.

Which tests it touches, and how:

- A test marked ``@pytest.mark.recorder("stripe/checkout", mocks=[...])``, or one that asks for
  the ``recorder`` fixture, runs inside a replay session with the marker's cassettes and mocks,
  in every mode. ``replay`` (default) plays them and never touches the network; ``once`` replays
  a cassette that exists (exactly as ``replay``: drift report, unused interactions, strictness)
  and records one that does not; ``new`` replays what is there, records the rest into it, and
  reports what it never played as unused; ``all`` (alias ``record``) re-records. Mock files
  answer their endpoints in every mode, and the ``recorder`` fixture is the session, so call
  assertions work while recording too. Without cassette names a test uses its own,
  ``cassettes/<provider>/<test file path from the rootdir, without .py>/<test name>.yaml``
  (``recorder.plugin.naming``).
- A test with neither marker nor fixture is left alone, with two exceptions. When its own
  cassettes exist, it runs exactly as if it asked for the fixture (in every mode but ``new`` and
  ``all``): what a record run wrote for it, a replay run plays, never reaching for the network.
  While recording (``recorder record -- pytest``, or ``--recorder-mode=once|new|all|record``) it
  records into its own per-test cassettes, so parallel workers never write the same file.
- ``off``: nothing is intercepted and the tests talk to the live APIs. The ``recorder`` fixture is
  then a ``RecordingOff``: the test still runs, and asking it about calls fails with one message
  (no calls were seen, so "assert_not_called" must not pass by default).

Configuration layers, lowest first: ``[tool.recorder.replay]`` in the rootdir's pyproject.toml <
the marker's keywords < the command line (``--recorder-mode``, ``--recorder-strict``,
``--recorder-target``, or what ``recorder record`` was given). Cassettes, mocks and provider
options all come from the rootdir's project, whatever the current folder. A bad
``[tool.recorder]`` stops pytest at start-up (one line: file and key); a bad marker keyword fails
its test with one line naming the test, the marker and the keyword.

Several tests may share a marker cassette. Each cassette is judged on its own: one this run
already wrote (an earlier test sharing it, another xdist worker) is appended to, as in mode
``new``, whichever the mode and whatever the marker's other cassettes are; "this run" is told
by the file's modification time against the run's start (the xdist controller's, for every
worker), and the lock and re-read in ``RecordSession`` keep parallel writers' calls. Its unused
interactions are judged across the tests sharing it, at the end of the run
(``recorder.plugin.shared``): with ``strict``, one no test played fails the run, not a test.
"""
from __future__ import annotations

import warnings
from collections.abc import Generator, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import pytest

from recorder.errors import BadInput, SecretLeak
from recorder.plugin.naming import cassette_name, collisions
from recorder.plugin.settings import (MODES, RECORDING, MarkerError, Run, as_list, load_project, own_cassettes,
                                      own_folder, project_of, replay_arguments, run_of, set_run, start_clock,
                                      target_args, target_urls)
from recorder.plugin.shared import Verdict
from recorder.plugin.stats import Stats
from recorder.providers import GENERIC
from recorder.record.autostart import RecordSpec, take_over, write_report
from recorder.record.session import RecordSession
from recorder.replay.api import replay_in
from recorder.replay.matching import MatchOptions
from recorder.replay.mocks import find_mock_files
from recorder.replay.recording import RECORD_MODES
from recorder.replay.session import ReplayConfig, ReplaySession, UnusedInteractions, UnusedInteractionsWarning

_STATS_KEY = pytest.StashKey[Stats]()
_CLASH_KEY = pytest.StashKey[dict[str, str]]()
_VERDICTS_KEY = pytest.StashKey[list[Verdict]]()
_STARTED = "recorder_started_ns"  # xdist workerinput key: the controller's start time
_OUTER_MODES = {"none": "replay"}  # `recorder record --mode none` never records: marked tests just replay

__all__ = ["RecordingOff", "cassette_name"]  # cassette_name: where a test's own cassettes are, for tools


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
    config.stash[_CLASH_KEY] = {}
    outer = take_over()
    mode = config.getoption("--recorder-mode")
    targets = tuple(config.getoption("--recorder-target") or ())
    started = getattr(config, "workerinput", {}).get(_STARTED) or start_clock()
    unmarked = None
    try:
        _, registry = load_project(config)  # a bad [tool.recorder] stops the run here, once
        if outer is not None and mode is None:
            mode, unmarked = _OUTER_MODES.get(outer.mode, outer.mode), outer
            targets = targets or target_args(outer.targets)
        elif mode in RECORDING:
            unmarked = _spec_for_mode(config, mode, targets, outer)
        elif targets:
            target_urls(targets, registry)  # a typo fails now, not in every test's setup
    except BadInput as exc:
        raise pytest.UsageError(f"recorder: {exc}") from None
    set_run(config, Run(mode, bool(config.getoption("--recorder-strict")), targets, unmarked, outer, started))


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: every worker judges "written by this run" against the controller's start, not its own."""
    node.workerinput[_STARTED] = run_of(node.config).started_ns


def pytest_collection_finish(session: pytest.Session) -> None:
    """Tests that would share a default cassette: found once, failed at setup if they use it."""
    session.config.stash[_CLASH_KEY] = collisions(session.items)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> Generator[None, None, None]:
    """Before ``-k``/``-m`` deselect anything: the marker cassettes several tests name. A run of a
    subset then leaves them unjudged rather than calling the absent tests' interactions unused."""
    config.stash[_STATS_KEY].shared.find((item.nodeid, _named_cassettes(item)) for item in items)
    yield


def _named_cassettes(item: pytest.Item) -> tuple[Path, ...]:
    """The cassettes a test's marker names, as its session will load them; none for a test that
    names none (its default cassettes are its own) or whose marker is bad (it fails at setup)."""
    marker = item.get_closest_marker("recorder")
    if marker is None or not marker.args:
        return ()
    try:
        return tuple(Path(p) for p in replay_arguments(item).get("cassettes") or ())
    except BadInput:
        return ()


def _spec_for_mode(config: pytest.Config, mode: str, targets: Sequence[str], outer: RecordSpec | None) -> RecordSpec:
    """Per-test recording for ``--recorder-mode``: all known providers (or ``recorder record``'s)."""
    if outer is not None:
        return replace(outer, mode=RECORD_MODES[mode].value)
    project, registry = project_of(config)
    providers = [p for p in registry if p.name != GENERIC]
    targets = targets or as_list(project.replay_defaults.get("target", ()))
    return RecordSpec(providers=[p.name for p in providers], cassette_dir=str(project.cassettes), name="",
                      mode=RECORD_MODES[mode].value, targets=target_urls(targets, providers),
                      project_root=str(project.root))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    """While recording, a test without marker or fixture records into its own per-test cassettes."""
    spec = run_of(item.config).unmarked
    if spec is None or _uses_recorder(item) or item.nodeid in item.config.stash[_CLASH_KEY] or _replays_own(item):
        yield  # the fixture gives those their session (or fails the clash)
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
        if session.written or session.replayed_from:  # a test that called no provider was left alone
            item.config.stash[_STATS_KEY].add(session.replayed_from, [w.path for w in session.written])


def _uses_recorder(item: pytest.Item) -> bool:
    # "recorder" in fixturenames is the fixture, not the package
    return item.get_closest_marker("recorder") is not None or "recorder" in getattr(item, "fixturenames", ())


def _replays_own(item: pytest.Item) -> bool:
    """A test without marker or fixture whose own cassettes exist, in a run that does not re-record or
    extend them (``new``, ``all``): it runs as if it asked for the fixture, so what record mode wrote
    replay mode plays, and ``once`` replays it exactly as ``replay`` does."""
    unmarked = run_of(item.config).unmarked
    return (unmarked is None or unmarked.mode == "once") and bool(own_cassettes(item))


def _own_recording(item: pytest.Item, settings: dict[str, Any]) -> ReplaySession:
    """A record mode for a test that names no cassettes: its provider calls are recorded into its
    own cassettes, one per provider it calls, as a test without marker records; mocks, strictness
    and the call log are the replay session's, as for a marker. In mode ``once`` its own cassettes
    that exist are replayed by the replay session itself (drift reports, unused interactions),
    and only the other providers are recorded. The RecordSession still keeps those providers'
    hosts (``RecordConfig.replayed_by_caller``): a call to one their cassette lacks, such as
    ``files.stripe.com`` beside a cassette of ``api.stripe.com``, fails naming the cassette, as
    mode ``once`` must, instead of going to the network. Hosts of no provider are blocked, as for
    a marker's cassettes (``recording_session``): the fixture is a replay session, and only
    loopback leaves it.

    recorder.replay cannot record into this layout (it tells a cassette's provider by the parent
    folder, here part of the test's path), so the RecordSession is built here and handed to the
    replay session as the one it passes provider calls to, which is what its record modes do."""
    run = run_of(item.config)
    project, _ = project_of(item.config)
    spec = _spec_for_mode(item.config, settings["mode"], as_list(settings.get("target", ())), run.outer)
    record_config, registry = spec.build(name=cassette_name(item))
    replayed: tuple[Path, ...] = ()
    if record_config.mode is RECORD_MODES["once"]:
        replayed = own_cassettes(item)
        folder = own_folder(item.config)
        by_provider = {path.parent.relative_to(folder).parts[0]: path for path in replayed}
        record_config = replace(record_config, replayed_by_caller={
            name: path for name, path in by_provider.items() if registry.find(name) is not None})
    record_config = replace(record_config, block_network=True)
    match = MatchOptions(tuple(settings.get("ignore_fields", ())), tuple(settings.get("match_headers", ())),
                         bool(settings.get("allow_repeats", False)))
    mocks = tuple(find_mock_files(str(m), project.mocks) for m in as_list(settings.get("mocks", ())))
    return ReplaySession(ReplayConfig(cassettes=replayed, mocks=mocks, match=match,
                                      strict=bool(settings.get("strict"))),
                         registry, recording=RecordSession(record_config, registry))


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


def _open(item: pytest.Item) -> Any:
    """The test's session context, not yet entered. A bad marker or configuration is one line."""
    settings = replay_arguments(item)
    if settings.get("cassettes") is None and settings["mode"] in RECORDING:
        clash = item.config.stash[_CLASH_KEY].get(item.nodeid)
        if clash is not None:  # it would record into another test's cassette
            raise BadInput(None, clash)
        return _own_recording(item, settings)
    project, registry = project_of(item.config)
    marker = item.get_closest_marker("recorder")
    if marker is not None and marker.args:  # only a marker's cassettes are shared; default ones are the test's own
        settings["shared"] = item.config.stash[_STATS_KEY].shared.of(settings["cassettes"])
    elif settings.get("cassettes") == ():  # its own, and none recorded yet
        folder = own_folder(item.config)
        shown = folder.relative_to(project.root) if folder.is_relative_to(project.root) else folder
        settings["nothing_loaded"] = (f"this test has no cassette yet; its own would be "
                                      f"{shown}/<provider>/{cassette_name(item)}.yaml: record it with "
                                      f"--recorder-mode=once")
    return replay_in(project, registry, **settings)


@pytest.fixture(autouse=True)
def _recorder_replay(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Opens the test's session before the test's own fixtures, closes it after all of them."""
    item = request.node
    config = request.config
    if not (_uses_recorder(item) or _replays_own(item)):
        clash = config.stash[_CLASH_KEY].get(item.nodeid)
        if clash is not None and run_of(config).unmarked is not None:  # not recorded: say so
            pytest.fail(f"{item.nodeid}: recorder: {clash}", pytrace=False)
        yield None
        return
    try:
        context = _open(item)
        session = context.__enter__()
    except BadInput as exc:  # one line, no traceback: failed outside the handler, so nothing is chained
        problem: BadInput | None = exc
    else:
        problem = None
    if problem is not None:
        where = "" if isinstance(problem, MarkerError) else (
            "@pytest.mark.recorder: " if item.get_closest_marker("recorder") else "recorder: ")
        pytest.fail(f"{item.nodeid}: {where}{problem}", pytrace=False)
    if session is None:  # mode off
        yield RecordingOff()
        context.__exit__(None, None, None)
        return
    session.warn_at = _location(item)
    yield session
    # Close with the test's own exception, so a miss the test already failed on is not raised twice.
    excinfo = getattr(item, "_recorder_excinfo", None)
    failure = (excinfo.type, excinfo.value, excinfo.tb) if excinfo is not None else (None, None, None)
    errors: list[str] = []
    passed = getattr(item, "_recorder_ran", False) and excinfo is None  # so it made all its calls
    try:
        context.__exit__(*failure)
    except BaseException as exc:
        passed = passed and isinstance(exc, UnusedInteractions)  # in its own cassettes: shared ones are apart
        if isinstance(exc, (SecretLeak, BadInput)):  # nothing written: `recorder record` must say so too
            errors.append(str(exc))
        raise
    finally:
        stats = config.stash[_STATS_KEY]
        stats.add(session.played_cassettes, [w.path for w in session.written], len(session.failures),
                  len(session.unused))
        if passed and not session.failures:
            stats.shared.note(item.nodeid, session.config.shared, session.shared_unused, session.config.strict)
        if session.written or errors:
            write_report(run_of(config).outer, session.written, errors)


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
        item._recorder_ran = True  # type: ignore[attr-defined]  # not failed in another fixture's setup


def _location(item: pytest.Item) -> tuple[str, int] | None:
    """Where an unused-interactions warning points: the test's definition (its first decorator line,
    as pytest reports it), since only pytest's frames and this fixture are on the stack at close."""
    path, line, _ = item.reportinfo()
    return (str(path), line + 1) if line is not None else None


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A worker hands its numbers to the controller; the controller (or a run without xdist), which
    has every test's, judges the shared cassettes: strict makes the run fail, else a warning."""
    stats = session.config.stash[_STATS_KEY]
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["recorder"] = stats.as_dict()
        return
    session.config.stash[_VERDICTS_KEY] = verdicts = stats.shared.verdicts()
    for verdict in verdicts:
        stats.unused += len(verdict.unused)
        if verdict.unused and verdict.strict:
            if session.exitstatus == pytest.ExitCode.OK:
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
        elif verdict.unused:  # shown in pytest's warnings summary, pointing at the cassette
            warnings.warn_explicit(verdict.message(), UnusedInteractionsWarning, verdict.cassette, 1)


@pytest.hookimpl(optionalhook=True)  # an xdist hook: without xdist installed pluggy must not reject it
def pytest_testnodedown(node: Any, error: Any) -> None:
    data = getattr(node, "workeroutput", {}).get("recorder")
    if data:
        node.config.stash[_STATS_KEY].merge(data)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    stats = config.stash.get(_STATS_KEY, None)
    line = stats.line() if stats is not None else None
    if line is None:
        return
    terminalreporter.write_sep("-", "recorder")
    terminalreporter.write_line(line)
    for verdict in config.stash.get(_VERDICTS_KEY, []):
        failed = verdict.strict and bool(verdict.unused)
        if verdict.unused or not verdict.judged:
            prefix = "recorder: UnusedInteractions (strict): " if failed else "recorder: "
            terminalreporter.write_line(prefix + verdict.message(), red=failed)

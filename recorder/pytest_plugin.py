"""pytest plugin (entry point ``recorder``): a thin shell over ``recorder.replay`` and ``recorder.record``.

Configuration layers, lowest first: ``[tool.recorder]`` in pyproject.toml < the test's
``@pytest.mark.recorder(...)`` < the command line (``--recorder-mode``, ``--recorder-strict``).

- Replay (default): a test marked ``@pytest.mark.recorder("stripe/checkout", mocks=[...])``, or
  one that asks for the ``recorder`` fixture, runs inside a replay session; without cassette
  names it uses its own recordings, ``cassettes/<provider>/<test file stem>/<test name>.yaml``.
- ``recorder record -- pytest`` (or ``--recorder-mode=record|once|new|all``): each test records into
  those per-test cassettes, so parallel workers never write the same file.
"""
from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from recorder.record.autostart import RecordSpec, take_over, write_report

_SPEC_KEY = pytest.StashKey[RecordSpec]()
_STATS_KEY = pytest.StashKey["Stats"]()
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")
RECORDING = ("record", "once", "new", "all")  # read as recorder.replay(mode=...) reads them ("record" = "all")
MODES = ("replay", *RECORDING, "off")


@dataclass
class Stats:
    cassettes: set[str] = field(default_factory=set)
    misses: int = 0
    unused: int = 0
    tests: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"cassettes": sorted(self.cassettes), "misses": self.misses, "unused": self.unused, "tests": self.tests}

    def merge(self, data: dict[str, Any]) -> None:
        self.cassettes.update(data["cassettes"])
        self.misses += data["misses"]
        self.unused += data["unused"]
        self.tests += data["tests"]


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
                         "cassettes lack; off: no interception")
    group.addoption("--recorder-strict", action="store_true", default=None,
                    help="fail a test whose cassettes hold interactions it never played")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "recorder(*cassettes, mocks=(), strict=None, ignore_fields=(), "
                                       "match_headers=(), allow_repeats=False): replay these cassettes and mocks")
    config.stash[_STATS_KEY] = Stats()
    spec = take_over()
    mode = config.getoption("--recorder-mode")
    if spec is None and mode in RECORDING:
        spec = _spec_for_mode(mode)
    if spec is not None:
        config.stash[_SPEC_KEY] = spec


def _spec_for_mode(mode: str) -> RecordSpec:
    from recorder.config import load_project_config
    from recorder.providers import GENERIC, load_registry
    from recorder.replay.recording import RECORD_MODES

    project = load_project_config()
    providers = [p.name for p in load_registry() if p.name != GENERIC]
    return RecordSpec(providers=providers, cassette_dir=str(project.cassettes), name="",
                      mode=RECORD_MODES[mode].value, project_root=str(project.root))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    spec = item.config.stash.get(_SPEC_KEY, None)
    if spec is None:
        yield
        return
    from recorder.record.session import RecordSession

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


def _replay_settings(item: pytest.Item) -> dict[str, Any] | None:
    """Marker < command line; None when this test does not use replay at all."""
    marker = item.get_closest_marker("recorder")
    wants_fixture = "recorder" in getattr(item, "fixturenames", ())  # the fixture, not the package
    if marker is None and not wants_fixture:
        return None
    from recorder.config import load_project_config

    project = load_project_config(item.config.rootpath)
    settings: dict[str, Any] = dict(project.replay_defaults)
    if marker is not None:
        settings.update({k: v for k, v in marker.kwargs.items() if v is not None})
        if marker.args:
            settings["cassettes"] = list(marker.args)
    if "cassettes" not in settings:
        settings["cassettes"] = sorted(str(p) for p in project.cassettes.glob(f"*/{cassette_name(item)}.yaml"))
    strict = item.config.getoption("--recorder-strict")
    if strict:
        settings["strict"] = True
    return settings


@pytest.fixture(autouse=True)
def _recorder_replay(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Opens the test's replay session before any other fixture, closes it after all of them."""
    config = request.config
    item = request.node
    if config.stash.get(_SPEC_KEY, None) is not None or config.getoption("--recorder-mode") == "off":
        yield None
        return
    settings = _replay_settings(item)
    if settings is None:
        yield None
        return
    import recorder as _recorder

    stats = config.stash[_STATS_KEY]
    stats.tests += 1
    context = _recorder.replay(**settings)
    session = context.__enter__()
    stats.cassettes.update(str(p) for p in session.config.cassettes)
    yield session
    # Close with the test's own exception, so a miss the test already failed on is not raised twice.
    excinfo = getattr(item, "_recorder_excinfo", None)
    failure = (excinfo.type, excinfo.value, excinfo.tb) if excinfo is not None else (None, None, None)
    try:
        context.__exit__(*failure)
    finally:
        stats.unused += len(session.unused)
        stats.misses += len(session.failures)


@pytest.fixture
def recorder(_recorder_replay: Any) -> Any:
    """The replay session of this test: ``recorder.calls(...)``, ``recorder.assert_called(...)``."""
    if _recorder_replay is None:
        pytest.fail("the recorder fixture needs replay mode (not --recorder-mode=off or a record mode)")
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


def pytest_testnodedown(node: Any, error: Any) -> None:
    data = getattr(node, "workeroutput", {}).get("recorder")
    if data:
        node.config.stash[_STATS_KEY].merge(data)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    stats = config.stash.get(_STATS_KEY, None)
    if not stats or not stats.tests:
        return
    terminalreporter.write_sep("-", "recorder")
    terminalreporter.write_line(f"replayed {stats.tests} test(s) from {len(stats.cassettes)} cassette(s); "
                                f"misses: {stats.misses}; unused interactions: {stats.unused}")

"""What a test's session is built from: ``[tool.recorder.replay]`` < the marker < the command line.

Everything comes from the project of pytest's rootdir (its pyproject.toml: cassettes and mocks
folders, provider options), read once when pytest starts, whatever folder pytest was started
from. A bad ``[tool.recorder]`` is a usage error then, naming the file and key; a bad marker
keyword fails its test with one line naming the test, the marker and the keyword.
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from recorder.config import MODE_NAMES, ProjectConfig, load_project_config, replay_option_problem
from recorder.errors import BadInput
from recorder.plugin.naming import cassette_name, legacy_name
from recorder.providers import ProviderRegistry, build_registry
from recorder.record.autostart import RecordSpec
from recorder.record.session import parse_targets
from recorder.replay.recording import cassette_targets
from recorder.replay.session import resolve_paths

RECORDING = ("record", "once", "new", "all")  # read as recorder.replay(mode=...) reads them ("record" = "all")
MODES = MODE_NAMES
_PROJECT_KEY = pytest.StashKey[tuple[ProjectConfig, ProviderRegistry]]()
_RUN_KEY = pytest.StashKey["Run"]()
_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True, slots=True)
class Run:
    """What this pytest run was asked for on the command line, read once at configure time."""

    mode: str | None             # --recorder-mode, else `recorder record --mode`; None: marker/pyproject decide
    strict: bool                 # --recorder-strict
    targets: tuple[str, ...]     # --recorder-target, else `recorder record --target`
    unmarked: RecordSpec | None  # set while recording: tests without marker or fixture record per test
    outer: RecordSpec | None     # `recorder record`'s spec: it collects what every test wrote
    started_ns: int              # a cassette modified after this was written by this run


def start_clock() -> int:
    """Now, as the file system stamps a write. Linux stamps files from the coarse clock, which may
    lag ``time.time_ns()`` by a tick: a cassette written right after the start must not look older."""
    coarse = getattr(time, "CLOCK_REALTIME_COARSE", None)
    return time.clock_gettime_ns(coarse) if coarse is not None else time.time_ns()


def load_project(config: pytest.Config) -> tuple[ProjectConfig, ProviderRegistry]:
    """``[tool.recorder]`` of the project at pytest's rootdir, and its providers; read at start-up."""
    project = load_project_config(config.rootpath)
    config.stash[_PROJECT_KEY] = cached = (
        project, build_registry(project.providers, str(project.source or "pyproject.toml")))
    return cached


def project_of(config: pytest.Config) -> tuple[ProjectConfig, ProviderRegistry]:
    return config.stash[_PROJECT_KEY]


def set_run(config: pytest.Config, run: Run) -> None:
    config.stash[_RUN_KEY] = run


def run_of(config: pytest.Config) -> Run:
    return config.stash[_RUN_KEY]


class MarkerError(BadInput):
    """A marker keyword recorder cannot use: the message names the marker and the keyword."""


def marker_settings(item: pytest.Item) -> dict[str, Any]:
    """The marker's keywords, checked by the table ``[tool.recorder.replay]`` is checked by."""
    marker = item.get_closest_marker("recorder")
    if marker is None:
        return {}
    settings: dict[str, Any] = {}
    for key, value in marker.kwargs.items():
        problem = replay_option_problem(key, value)
        if problem is not None and value is not None:
            raise MarkerError(f"@pytest.mark.recorder({key}=...)", problem.replace("unknown key", "unknown keyword"))
        if value is not None:
            settings[key] = value
    for value in marker.args:
        if not isinstance(value, (str, Path)):
            raise MarkerError("@pytest.mark.recorder(...)", f"a cassette is a name or a path, not {value!r}")
    if marker.args:
        settings["cassettes"] = list(marker.args)
    return settings


def replay_arguments(item: pytest.Item) -> dict[str, Any]:
    """``replay_in``'s keywords for this test: [tool.recorder.replay] < marker < command line."""
    run = run_of(item.config)
    project, _ = project_of(item.config)
    settings: dict[str, Any] = {**project.replay_defaults, **marker_settings(item)}
    if run.mode is not None:
        settings["mode"] = run.mode
    if run.strict:
        settings["strict"] = True
    if run.targets:
        settings["target"] = run.targets
    mode = settings.setdefault("mode", "replay")
    for key in ("ignore_fields", "match_headers"):  # one name may be given bare, as for mocks and target
        if key in settings:
            settings[key] = as_list(settings[key])
    if "mocks" in settings:
        settings["mocks"] = from_root(as_list(settings["mocks"]), project.root)
    named = settings.get("cassettes")
    if mode == "off":
        return settings
    if mode not in RECORDING:
        settings["cassettes"] = resolve_paths(from_root(as_list(named), project.root), project.cassettes) if (
            named is not None) else own_cassettes(item)
        return settings
    if named is None:  # recorded into the test's own cassettes
        return settings
    settings["cassettes"] = cassettes = cassette_targets(from_root(as_list(named), project.root), project.cassettes)
    settings["appending"] = [p for p in cassettes if written_by_this_run(p, run.started_ns)]
    return settings


def written_by_this_run(path: Path, started_ns: int) -> bool:
    """Written since the run started (by an earlier test sharing it, or another xdist worker): the
    controller's start time is every worker's, so they judge alike."""
    try:
        return path.stat().st_mtime_ns >= started_ns
    except FileNotFoundError:
        return False


def from_root(values: Iterable[Any], root: Path) -> list[Any]:
    """A relative cassette or mock *path* is read from the project root, as names are read from its
    folders, so the suite means the same files from whatever folder pytest is started in."""
    out = []
    for value in values:
        path = Path(value) if isinstance(value, (str, Path)) else None
        if path is not None and not path.is_absolute() and path.suffix in _SUFFIXES and (root / path).parent.is_dir():
            value = root / path
        out.append(value)
    return out


def own_folder(config: pytest.Config) -> Path:
    """Where per-test cassettes live: ``recorder record --cassettes``, else the project's folder."""
    outer = run_of(config).outer
    return Path(outer.cassette_dir) if outer is not None else project_of(config)[0].cassettes


def own_cassettes(item: pytest.Item) -> tuple[Path, ...]:
    """A test that names no cassettes replays its own, ``<provider>/<test path>/<test>.yaml``, else
    those it had under the earlier layout (``naming.legacy_name``)."""
    folder = own_folder(item.config)
    if not folder.is_dir():
        return ()
    providers = [f for f in folder.iterdir() if f.is_dir()]
    for name in dict.fromkeys((cassette_name(item), legacy_name(item))):
        found = tuple(sorted(p for p in (f / f"{name}.yaml" for f in providers) if p.is_file()))
        if found:
            return found
    return ()


def target_urls(values: Iterable[str], providers: Iterable[Any]) -> dict[str, str]:
    """``URL`` / ``stripe=URL`` values checked and keyed by provider ("*": all), as RecordSpec keeps them."""
    parsed = parse_targets(list(values), list(providers))
    return {name: f"{u.scheme}://{u.host}:{u.port}{u.prefix}" for name, u in parsed.items()}


def target_args(urls: dict[str, str]) -> tuple[str, ...]:
    return tuple(url if name == "*" else f"{name}={url}" for name, url in urls.items())


def as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, (str, Path)) else list(value)

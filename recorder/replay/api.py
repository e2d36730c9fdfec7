"""``recorder.replay(...)``: the one call a test suite needs, as a context manager or a decorator.

``recorder.replay`` reads the project (cassettes and mocks folders, provider options) from the
nearest pyproject.toml above the current folder. The pytest plugin calls ``replay_in`` with the
project of pytest's rootdir instead, so a suite behaves the same from whatever folder it is run.
"""
from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from recorder.config import ProjectConfig, load_project_config
from recorder.errors import BadInput
from recorder.providers import ProviderRegistry
from recorder.replay.matching import MatchOptions
from recorder.replay.mocks import find_mock_files
from recorder.replay.recording import RECORD_MODES, cassette_targets
from recorder.replay.session import ReplayConfig, ReplaySession, resolve_paths

MODES = ("replay", "off", *RECORD_MODES)


class Replay(contextlib.ContextDecorator):
    """Builds a fresh ReplaySession on every entry, so a decorated test can run many times.

    As a decorator it also wraps ``async def`` functions: ContextDecorator alone would open the
    session around *creating* the coroutine and close it before the first ``await``, so the
    calls would go to the real network.
    """

    def __init__(self, config: ReplayConfig | None, mode: str, registry: ProviderRegistry | None = None) -> None:
        self._config = config
        self._mode = mode
        self._registry = registry  # None: the current folder's project's providers, read on entry
        self._stack: list[ReplaySession | None] = []

    def __enter__(self) -> ReplaySession | None:
        session = ReplaySession(self._config, self._registry) if self._config is not None else None
        if session is not None:
            session.__enter__()
        self._stack.append(session)
        return session

    def __exit__(self, *exc: Any) -> None:
        session = self._stack.pop()
        if session is not None:
            session.__exit__(*exc)

    def __call__(self, func: Callable[..., Any]) -> Callable[..., Any]:
        if not inspect.iscoroutinefunction(func):
            return super().__call__(func)

        @functools.wraps(func)
        async def replaying(*args: Any, **kwargs: Any) -> Any:
            with self:
                return await func(*args, **kwargs)

        return replaying


def replay(cassettes: str | Path | Iterable[str | Path] = (), *, mocks: Iterable[str | Path] = (),
           mode: str = "replay", strict: bool = False, ignore_fields: Iterable[str] = (),
           match_headers: Iterable[str] = (), allow_repeats: bool = False,
           target: str | Iterable[str] = ()) -> Replay:
    """Replay ``cassettes`` (paths, or names under the project's cassettes folder) and ``mocks``
    (paths, or names under the mocks folder) for the code inside.

    Modes: ``replay`` (default) never touches the network. ``once``, ``new`` and ``all`` record
    provider calls into the cassettes, as ``recorder record --mode`` does (``record`` is ``all``,
    as in the pytest plugin): ``once`` records a cassette that does not exist yet and replays one
    that does; ``new`` replays what is recorded and records the rest; ``all`` re-records. While
    recording, ``target`` ("URL", or "stripe=URL") sends provider calls to a stand-in; mock files
    still answer for their endpoints. ``off`` switches interception off entirely.

    A mode that records leaves alone a cassette it has nothing to record into: ``once`` on a
    cassette that exists is plain replay (drift report on a miss, unused interactions, ``strict``).
    ``new`` reports as unused, like replay, the recorded interactions the block never played.
    """
    return replay_in(load_project_config(), None, cassettes, mocks=mocks, mode=mode, strict=strict,
                     ignore_fields=ignore_fields, match_headers=match_headers, allow_repeats=allow_repeats,
                     target=target)


def replay_in(project: ProjectConfig, registry: ProviderRegistry | None,
              cassettes: str | Path | Iterable[str | Path] = (), *, mocks: Iterable[str | Path] = (),
              mode: str = "replay", strict: bool = False, ignore_fields: Iterable[str] = (),
              match_headers: Iterable[str] = (), allow_repeats: bool = False, target: str | Iterable[str] = (),
              appending: Iterable[Path] = (), shared: Iterable[Path] = (),
              nothing_loaded: str | None = None) -> Replay:
    """``replay`` within a given project (its folders) and provider registry: the pytest plugin's
    entry, which reads both once from pytest's rootdir. ``appending``: in a record mode, the
    cassettes this run already wrote (another test sharing them): recorded as ``new``.
    ``shared``: cassettes other tests of the run play too, whose unplayed interactions the plugin
    judges across those tests (``ReplaySession.shared_unused``) instead of at this session.
    ``nothing_loaded``: what a blocked call says when no cassette or mock was loaded."""
    if mode not in MODES:
        raise BadInput("mode", f"unknown replay mode {mode!r} ({', '.join(MODES)})")
    if mode == "off":
        return Replay(None, mode)
    items = [cassettes] if isinstance(cassettes, (str, Path)) else list(cassettes)
    record = RECORD_MODES.get(mode)
    if record is None:
        cassette_paths = resolve_paths(items, project.cassettes)
        for path in cassette_paths:
            if not path.is_file():
                raise BadInput(path, "no such cassette")
    else:
        cassette_paths = cassette_targets(items, project.cassettes)
    mock_paths = tuple(find_mock_files(str(m), project.mocks) for m in mocks)
    config = ReplayConfig(cassettes=cassette_paths, mocks=mock_paths, strict=strict,
                          match=MatchOptions(tuple(ignore_fields), tuple(match_headers), allow_repeats),
                          record=record, targets=(target,) if isinstance(target, str) else tuple(target),
                          cassette_dir=project.cassettes, appending=tuple(appending), shared=tuple(shared))
    if nothing_loaded:
        config = replace(config, nothing_loaded=nothing_loaded)
    return Replay(config, mode, registry)

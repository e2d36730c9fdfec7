"""Project configuration from ``[tool.recorder]`` in pyproject.toml.

This is the lowest layer of recorder's configuration: defaults < ``[tool.recorder]`` <
pytest markers < command line. Only reading lives here; each stage decides how its options
layer on top.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recorder.errors import BadInput

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


@dataclass(frozen=True, slots=True)
class ProjectConfig:
    root: Path
    cassettes: Path
    mocks: Path
    contracts: Path
    record_command: tuple[str, ...] | None = None
    providers: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: Path | None = None
    replay_defaults: dict[str, Any] = field(default_factory=dict)  # [tool.recorder.replay], incl. mode, target


def find_pyproject(start: Path | None = None) -> Path | None:
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_project_config(start: Path | None = None) -> ProjectConfig:
    """Read ``[tool.recorder]`` from the nearest pyproject.toml (none found: all defaults)."""
    pyproject = find_pyproject(start)
    root = pyproject.parent if pyproject else (start or Path.cwd()).resolve()
    table: dict[str, Any] = {}
    if pyproject is not None:
        try:
            with pyproject.open("rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise BadInput(pyproject, f"not valid TOML ({exc})") from None
        table = _recorder_table(data, pyproject)

    def folder(key: str, default: str) -> Path:
        value = table.get(key, default)
        if not isinstance(value, str):
            raise BadInput(pyproject, "expected a folder name", place=f"tool.recorder.{key}")
        return root / value

    command = table.get("record_command")
    if isinstance(command, str):
        command = command.split()
    if command is not None and not (isinstance(command, list) and all(isinstance(c, str) for c in command)):
        raise BadInput(pyproject, "expected a command string or list", place="tool.recorder.record_command")
    providers = table.get("providers", {})
    if not isinstance(providers, dict):
        raise BadInput(pyproject, "expected a table of provider tables", place="tool.recorder.providers")
    replay_defaults = _replay_defaults(table.get("replay", {}), pyproject)
    return ProjectConfig(
        root=root,
        cassettes=folder("cassettes", "cassettes"),
        mocks=folder("mocks", "mocks"),
        contracts=folder("contracts", "contracts"),
        record_command=tuple(command) if command else None,
        providers=providers,
        source=pyproject,
        replay_defaults=replay_defaults,
    )


# Every key [tool.recorder] may hold: anything else is a typo (``casettes``) that would otherwise
# be ignored while recorder silently uses the default.
_KEYS = ("cassettes", "mocks", "contracts", "record_command", "providers", "replay")


def _recorder_table(data: dict[str, Any], pyproject: Path) -> dict[str, Any]:
    """``[tool.recorder]``, checked: ``tool`` and it must be tables, and every key one we read."""
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise BadInput(pyproject, "expected a table", place="tool")
    table = tool.get("recorder", {})
    if not isinstance(table, dict):
        raise BadInput(pyproject, "expected a table", place="tool.recorder")
    for key in table:
        if key not in _KEYS:
            raise BadInput(pyproject, f"unknown key (expected one of {', '.join(_KEYS)})",
                           place=f"tool.recorder.{key}")
    return table


# recorder.replay's keywords a project may default; the pytest plugin layers marker and command line
# on top, and checks a marker's keywords by the same table. Each: (check, what it expects). Booleans
# must be booleans: ``strict = "false"`` is a non-empty string, which Python would read as true.
MODE_NAMES = ("replay", "once", "new", "all", "record", "off")


def _strings(value: Any) -> bool:
    items = [value] if isinstance(value, (str, Path)) else value
    return isinstance(items, (list, tuple)) and all(isinstance(i, (str, Path)) for i in items)


REPLAY_OPTIONS: dict[str, tuple[Any, str]] = {
    "strict": (lambda v: isinstance(v, bool), "true or false"),
    "allow_repeats": (lambda v: isinstance(v, bool), "true or false"),
    "ignore_fields": (_strings, "a field path or a list of them"),
    "match_headers": (_strings, "a header name or a list of them"),
    "mocks": (_strings, "a mock file name or path, or a list of them"),
    "mode": (lambda v: v in MODE_NAMES, f"a mode name ({', '.join(MODE_NAMES)})"),
    "target": (_strings, '"URL" or "PROVIDER=URL", or a list of them'),
}


def replay_option_problem(key: str, value: Any) -> str | None:
    """What is wrong with ``key = value`` as a replay option (None: nothing)."""
    known = REPLAY_OPTIONS.get(key)
    if known is None:
        return f"unknown key (expected one of {', '.join(sorted(REPLAY_OPTIONS))})"
    check, expected = known
    return None if check(value) else f"expected {expected}, not {value!r}"


def _replay_defaults(value: Any, pyproject: Path | None) -> dict[str, Any]:
    """``[tool.recorder.replay]``, checked here so a typo names its key instead of failing in every test."""
    if not isinstance(value, dict):
        raise BadInput(pyproject, f"expected a table with keys {', '.join(sorted(REPLAY_OPTIONS))}",
                       place="tool.recorder.replay")
    for key, item in value.items():
        problem = replay_option_problem(key, item)
        if problem is not None:
            raise BadInput(pyproject, problem, place=f"tool.recorder.replay.{key}")
    return dict(value)

"""Run a command with recording switched on, and collect what its processes wrote."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from recorder.errors import BadInput
from recorder.record.autostart import ENV_VAR, SITE_DIR, RecordSpec


@dataclass(slots=True)
class RunResult:
    returncode: int
    written: list[dict[str, object]] = field(default_factory=list)  # one entry per cassette
    errors: list[str] = field(default_factory=list)
    sessions: int = 0  # how many reports came back (0: recording never started)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.errors


def check_recordable(spec: RecordSpec, command: Sequence[str], *, cwd: Path | None = None) -> None:
    """Refuse, before anything runs, what would otherwise fail inside the child.

    A command that does not exist, or a cassette folder that cannot be one, would make the
    program fail or (worse) run unrecorded against the real provider; both are bad input.
    """
    if not command:
        raise BadInput("record", "no command to run")
    program = command[0]
    located = str(Path(cwd) / program) if cwd is not None and os.sep in program else program
    if shutil.which(located) is None:
        raise BadInput(program, "command not found (or not executable)")
    for provider in spec.providers:
        _check_folder(Path(spec.cassette_dir) / provider, Path(spec.cassette_dir))


def _check_folder(folder: Path, named: Path) -> None:
    """``folder`` is, or can be created as, a writable folder; errors name the --cassettes value."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    problem = "not a folder" if not existing.is_dir() else \
        "a folder that is not writable" if not os.access(existing, os.W_OK | os.X_OK) else None
    if problem is not None:
        raise BadInput(named, "cannot hold cassettes: " + ("it is " if existing == named else f"{existing} is ") + problem)


def run_recording(spec: RecordSpec, command: Sequence[str], *, cwd: Path | None = None,
                  env: dict[str, str] | None = None) -> RunResult:
    """Run ``command`` with every Python process in it recording per ``spec``."""
    check_recordable(spec, command, cwd=cwd)
    with tempfile.TemporaryDirectory(prefix="recorder-run-") as report_dir:
        spec = replace(spec, report_dir=report_dir)
        child_env = dict(os.environ if env is None else env)
        child_env[ENV_VAR] = spec.to_env()
        child_env["PYTHONPATH"] = os.pathsep.join(
            [str(SITE_DIR)] + [p for p in child_env.get("PYTHONPATH", "").split(os.pathsep) if p])
        try:
            completed = subprocess.run(list(command), cwd=cwd, env=child_env, check=False)
        except OSError as exc:  # found by which() but not runnable: a bad interpreter line, say
            raise BadInput(command[0], f"cannot run: {exc.strerror or exc}") from None
        return _collect(Path(report_dir), completed.returncode)


def _collect(report_dir: Path, returncode: int) -> RunResult:
    """Every process's reports, one line per cassette: worker processes report each write."""
    result = RunResult(returncode)
    by_path: dict[str, dict[str, object]] = {}
    for report_file in sorted(report_dir.glob("*.json")):
        report = json.loads(report_file.read_text())
        result.sessions += 1
        for item in report["written"]:
            seen = by_path.setdefault(str(item["path"]), {**item, "recorded": 0, "total": 0})
            seen["recorded"] = int(seen["recorded"]) + int(item["recorded"])  # type: ignore[call-overload]
            seen["total"] = max(int(seen["total"]), int(item["total"]))  # type: ignore[call-overload]
        result.errors.extend(report["errors"])
    result.written = list(by_path.values())
    return result

"""Run a command with recording switched on, and collect what its processes wrote."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from recorder.record.autostart import ENV_VAR, SITE_DIR, RecordSpec


@dataclass(slots=True)
class RunResult:
    returncode: int
    written: list[dict[str, object]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sessions: int = 0  # how many processes reported back (0: recording never started)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.errors


def run_recording(spec: RecordSpec, command: Sequence[str], *, cwd: Path | None = None,
                  env: dict[str, str] | None = None) -> RunResult:
    """Run ``command`` with every Python process in it recording per ``spec``."""
    with tempfile.TemporaryDirectory(prefix="recorder-run-") as report_dir:
        spec = replace(spec, report_dir=report_dir)
        child_env = dict(os.environ if env is None else env)
        child_env[ENV_VAR] = spec.to_env()
        child_env["PYTHONPATH"] = os.pathsep.join(
            [str(SITE_DIR)] + [p for p in child_env.get("PYTHONPATH", "").split(os.pathsep) if p])
        completed = subprocess.run(list(command), cwd=cwd, env=child_env, check=False)
        result = RunResult(completed.returncode)
        for report_file in sorted(Path(report_dir).glob("*.json")):
            report = json.loads(report_file.read_text())
            result.sessions += 1
            result.written.extend(report["written"])
            result.errors.extend(report["errors"])
        return result

"""Recording in another process with no code change: ``recorder record -- python app.py``.

The CLI puts ``autostart_site/`` first on PYTHONPATH and describes the session in the
``RECORDER_RECORD`` environment variable. Python imports ``sitecustomize`` from there at
start-up, which calls ``start_from_environment()``: interception is on before the program's
first import. At exit the session writes its cassettes and leaves a small JSON report in
``report_dir`` for the parent to summarise. Under pytest the plugin takes the spec over and
records one cassette per test instead.
"""
from __future__ import annotations

import atexit
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from recorder.errors import RecorderError

ENV_VAR = "RECORDER_RECORD"
SITE_DIR = Path(__file__).with_name("autostart_site")


@dataclass(frozen=True, slots=True)
class RecordSpec:
    """A RecordConfig in environment-friendly form (names and strings only)."""

    providers: list[str]
    cassette_dir: str
    name: str
    mode: str = "once"
    targets: dict[str, str] = field(default_factory=dict)
    block_network: bool = False
    report_dir: str | None = None
    project_root: str | None = None

    def to_env(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_env(cls, value: str) -> RecordSpec:
        return cls(**json.loads(value))

    def build(self, name: str | None = None):  # type: ignore[no-untyped-def]
        """The RecordConfig and registry this spec describes (optionally for another cassette name)."""
        from recorder.config import load_project_config
        from recorder.providers import build_registry
        from recorder.record.forward import Upstream
        from recorder.record.modes import RecordMode
        from recorder.record.session import RecordConfig

        project = load_project_config(Path(self.project_root) if self.project_root else None)
        registry = build_registry(project.providers, str(project.source or "pyproject.toml"))
        config = RecordConfig(
            providers=tuple(registry.get(p) for p in self.providers),
            cassette_dir=Path(self.cassette_dir),
            name=name or self.name,
            mode=RecordMode(self.mode),
            targets={k: Upstream.from_url(v) for k, v in self.targets.items()},
            block_network=self.block_network,
        )
        return config, registry


_active = None  # the process-wide session started by sitecustomize, if any
_spec: RecordSpec | None = None


def spec_from_environment() -> RecordSpec | None:
    value = os.environ.get(ENV_VAR)
    return RecordSpec.from_env(value) if value else None


def start_from_environment() -> None:
    """Called from sitecustomize: begin recording for the whole process."""
    global _active, _spec
    _spec = spec_from_environment()
    if _spec is None or _active is not None:
        return
    from recorder.record.session import RecordSession

    config, registry = _spec.build()
    _active = RecordSession(config, registry)
    _active.open()
    atexit.register(finish)


def take_over() -> RecordSpec | None:
    """For the pytest plugin: stop the process-wide session (nothing recorded yet) and return its spec."""
    global _active
    spec = _spec or spec_from_environment()
    if _active is not None:
        pending = _active
        _active = None
        pending.close()
        write_report(spec, pending.written, [])
    return spec


def finish() -> None:
    global _active
    if _active is None:
        return
    session, _active = _active, None
    errors: list[str] = []
    try:
        session.close()
    except RecorderError as exc:
        errors.append(str(exc))
        print(f"recorder: {exc}", file=sys.stderr)
    write_report(_spec, session.written, errors)


def write_report(spec: RecordSpec | None, written, errors: list[str]) -> None:  # type: ignore[no-untyped-def]
    if spec is None or not spec.report_dir:
        return
    report = {
        "written": [{"path": str(w.path), "provider": w.provider, "recorded": w.recorded, "total": w.total}
                    for w in written],
        "errors": errors,
    }
    folder = Path(spec.report_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{os.getpid()}-{len(list(folder.iterdir()))}.json").write_text(json.dumps(report))

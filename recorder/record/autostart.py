"""Recording in another process with no code change: ``recorder record -- python app.py``.

The CLI puts ``autostart_site/`` first on PYTHONPATH and describes the session in the
``RECORDER_RECORD`` environment variable. Python imports ``sitecustomize`` from there at
start-up, which calls ``start_from_environment()``: interception is on before the program's
first import. At exit the session writes its cassettes and leaves a small JSON report in
``report_dir`` for the parent to summarise. Under pytest the plugin takes the spec over and
records one cassette per test instead.

Worker processes (``multiprocessing`` with fork or spawn, subprocesses) record too, into the
same cassettes. They often never reach ``atexit`` (a pool worker ends by ``os._exit`` or its
pool's SIGTERM), so they write and report after every recorded call instead of at exit. A
spawned worker learns from the environment what the first process saw when it opened the
cassettes (``RecordSpec.opened``), so the whole process tree records as one session would.
"""
from __future__ import annotations

import atexit
import json
import os
import sys
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

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
    opened: dict[str, Any] | None = None  # the first process's RecordSession.opened_state(); None in it

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
    """Called from sitecustomize: begin recording for the whole process.

    If recording cannot start (a cassette folder that is a file, a broken provider table), the
    program still runs, but the failure goes into the report so that ``recorder record`` exits
    non-zero instead of passing off an unrecorded run as a recorded one.
    """
    global _active, _spec
    _spec = spec_from_environment()
    if _spec is None or _active is not None:
        return
    from recorder.record.session import RecordSession

    try:
        config, registry = _spec.build()
        session = RecordSession(config, registry, inherited=_spec.opened)
        session.open()
    except Exception as exc:  # noqa: BLE001 - whatever it is, the user's program must still run
        _report_errors([f"could not start recording in process {os.getpid()} ({' '.join(sys.argv) or 'python'}): "
                        f"{exc}"])
        return
    _active = session
    if _spec.opened is None:  # the first process: tell the processes it starts what it found
        os.environ[ENV_VAR] = replace(_spec, opened=session.opened_state()).to_env()
    else:
        session.after_record = _flush_now
    atexit.register(finish)
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _after_fork_in_child() -> None:
    """A forked child shares the parent's session: drop the parent's pending calls, write as we go."""
    if _active is not None:
        _active.forget_pending()
        _active.after_record = _flush_now


def _flush_now() -> None:
    """After each call recorded in a worker: write it and report it, in case the worker is killed."""
    session = _active
    if session is None:
        return
    before = len(session.written)
    errors: list[str] = []
    try:
        session.flush()
    except RecorderError as exc:
        errors.append(str(exc))
    if len(session.written) > before or errors:
        _report(session.written[before:], errors)


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
    before = len(session.written)
    try:
        session.close()
    except RecorderError as exc:
        errors.append(str(exc))
    # A worker has reported its earlier writes already; the first process always reports, so the
    # parent can tell that recording ran at all.
    flushed = session.after_record is not None
    if not flushed or len(session.written) > before or errors:
        _report(session.written[before:] if flushed else session.written, errors)


def _report_errors(errors: list[str]) -> None:
    _report([], errors)


def _report(written, errors: list[str]) -> None:  # type: ignore[no-untyped-def]
    """To the parent's report folder; straight to stderr only when no ``recorder record`` will print it."""
    if _spec is None or not _spec.report_dir:
        for error in errors:
            print(f"recorder: {error}", file=sys.stderr)
    write_report(_spec, written, errors)


def write_report(spec: RecordSpec | None, written, errors: list[str]) -> None:  # type: ignore[no-untyped-def]
    """One JSON file per report, written atomically: a worker may be killed at any moment.

    The folder belongs to the ``recorder record`` process; once it has gone (a process that
    outlives the command, such as multiprocessing's resource tracker), nobody is listening and
    the report is dropped rather than the folder re-created.
    """
    if spec is None or not spec.report_dir:
        return
    report = {
        "written": [{"path": str(w.path), "provider": w.provider, "recorded": w.recorded, "total": w.total}
                    for w in written],
        "errors": errors,
    }
    folder = Path(spec.report_dir)
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{os.getpid()}-", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "w") as fh:
            json.dump(report, fh)
        os.replace(temporary, folder / f"{Path(temporary).name[1:-4]}.json")
    except FileNotFoundError:
        pass

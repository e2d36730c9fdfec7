"""``recorder record``: run a command (default: the project's test command) while recording."""
from __future__ import annotations

import shlex
from pathlib import Path

import typer

from recorder.cli import app
from recorder.config import ProjectConfig, load_project_config
from recorder.errors import BadInput
from recorder.providers import Provider, load_registry
from recorder.record import RecordMode, RecordSpec, parse_targets, run_recording
from recorder.record.command import check_recordable


@app.command("record", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def record_command(
    ctx: typer.Context,
    provider: list[str] = typer.Option(..., "--provider", "-p", metavar="NAME", help="Provider to record (repeatable)."),
    cassettes: Path | None = typer.Option(None, "--cassettes", metavar="DIR", help="Cassette folder [default: tool.recorder.cassettes]."),
    mode: str = typer.Option("once", "--mode", metavar="MODE", help="once | new | all | none"),
    target: list[str] = typer.Option([], "--target", metavar="[PROVIDER=]URL", help="Send provider traffic to this URL instead "
                                     "(a stand-in sandbox); PROVIDER=URL for one provider. The cassette "
                                     "still names the provider's real URL."),
    block_network: bool = typer.Option(False, "--block-network", help="Refuse calls to hosts that are "
                                       "neither recorded providers nor loopback."),
    name: str | None = typer.Option(None, "--name", metavar="NAME", help="Cassette name for a plain program "
                                    "[default: the script's name]; pytest names one per test."),
) -> None:
    """Record real provider traffic into cassettes/<provider>/, secrets scrubbed before writing.

    Runs COMMAND (after --; default: record_command from [tool.recorder], else pytest) with
    recording on: under pytest one cassette per test, otherwise one per program.
    Loopback always passes; other hosts pass unless --block-network.

    Example: recorder record --provider stripe --target http://127.0.0.1:12111 -- python app.py
    """
    registry = load_registry()
    project = load_project_config()
    selected = [_recordable(registry.get(p), project) for p in provider]
    record_mode = RecordMode.parse(mode)
    targets = parse_targets(target, selected)
    command = list(ctx.args) or list(project.record_command or ["pytest"])
    spec = RecordSpec(
        providers=[p.name for p in selected],
        cassette_dir=str((cassettes or project.cassettes).resolve()),
        name=name or _default_name(command),
        mode=record_mode.value,
        targets={k: f"{u.scheme}://{u.host}:{u.port}{u.prefix}" for k, u in targets.items()},
        block_network=block_network,
        project_root=str(project.root),
    )
    _check_before_running(spec, command, project, from_config=not ctx.args)
    typer.echo(f"recorder: recording {', '.join(spec.providers)} (mode {spec.mode}) while running: "
               f"{shlex.join(command)}", err=True)
    result = run_recording(spec, command)
    for item in result.written:
        typer.echo(f"recorder: wrote {item['path']} ({item['recorded']} new, {item['total']} total)", err=True)
    for error in result.errors:
        typer.echo(f"recorder: {error}", err=True)
    if result.sessions == 0:
        typer.echo("recorder: no Python process reported a recording session: is recorder installed in "
                   "the interpreter that runs the command?", err=True)
    if not result.written and result.sessions and not result.errors:
        typer.echo("recorder: no provider calls were recorded", err=True)
    if result.returncode != 0:
        raise typer.Exit(result.returncode)
    if result.errors:
        raise typer.Exit(1)


def _recordable(provider: Provider, project: ProjectConfig) -> Provider:
    """A provider with hosts of its own. ``generic`` matches any host only as the fallback for
    scrubbing: recording it would mean recording every call, so it records nothing; say how to
    record an unknown API instead of accepting it and writing no cassette."""
    if provider.hosts and all(host != "*" for host in provider.hosts):
        return provider
    where = project.source or project.root / "pyproject.toml"
    raise BadInput("--provider", f"{provider.name!r} names no hosts, so there is nothing to record; to record "
                   f"an API recorder does not know, add to {where}: [tool.recorder.providers.acme] "
                   f'hosts = ["api.acme.example"], then use --provider acme')


def _check_before_running(spec: RecordSpec, command: list[str], project: ProjectConfig, *,
                          from_config: bool) -> None:
    """Bad input found before the command runs; a misspelt record_command names its pyproject key."""
    try:
        check_recordable(spec, command)
    except BadInput as exc:
        if from_config and project.record_command and exc.where == command[0]:
            raise BadInput(project.source, f"{command[0]}: {exc.message}",
                           place="tool.recorder.record_command") from None
        raise


def _default_name(command: list[str]) -> str:
    for previous, part in zip(command, command[1:]):
        if part.endswith(".py"):
            return Path(part).stem
        if previous == "-m":
            return part.rsplit(".", 1)[-1]
    return Path(command[0]).name if command else "session"

"""``recorder record``: run a command (default: the project's test command) while recording."""
from __future__ import annotations

import shlex
from pathlib import Path

import typer

from recorder.cli import app
from recorder.config import load_project_config
from recorder.providers import load_registry
from recorder.record import RecordMode, RecordSpec, parse_targets, run_recording


@app.command("record", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def record_command(
    ctx: typer.Context,
    provider: list[str] = typer.Option(..., "--provider", "-p", help="Provider to record (repeatable)."),
    cassettes: Path | None = typer.Option(None, "--cassettes", help="Cassette folder [default: tool.recorder.cassettes]."),
    mode: str = typer.Option("once", "--mode", help="once | new | all | none"),
    target: list[str] = typer.Option([], "--target", help="Send provider traffic to this URL instead "
                                     "(a stand-in sandbox); PROVIDER=URL for one provider. The cassette "
                                     "still names the provider's real URL."),
    block_network: bool = typer.Option(False, "--block-network", help="Refuse calls to hosts that are "
                                       "neither recorded providers nor loopback."),
    name: str | None = typer.Option(None, "--name", help="Cassette name for a plain program "
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
    selected = [registry.get(p) for p in provider]
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


def _default_name(command: list[str]) -> str:
    for previous, part in zip(command, command[1:]):
        if part.endswith(".py"):
            return Path(part).stem
        if previous == "-m":
            return part.rsplit(".", 1)[-1]
    return Path(command[0]).name if command else "session"

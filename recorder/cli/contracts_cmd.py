"""``recorder contracts``: pull and pin provider specs, diff spec versions, accept a new version.

Thin on purpose: the work is in ``recorder.contracts.nightly`` (pull/diff/update) and the
pinning, slicing and diff modules beside it.
"""
from __future__ import annotations

from pathlib import Path

import typer

from recorder.cli import app
from recorder.config import load_project_config
from recorder.contracts.nightly import Project, diff, pull
from recorder.contracts.pinning import load_pinned, pinned_providers
from recorder.errors import BadInput
from recorder.providers.registry import load_registry
from recorder.report.render import FORMATS, write_report

contracts_app = typer.Typer(
    help="Pin the part of each provider's OpenAPI spec this repo uses; diff spec versions.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(contracts_app, name="contracts")


def project() -> Project:
    config = load_project_config()
    return Project(cassettes=config.cassettes, mocks=config.mocks, contracts=config.contracts)


@contracts_app.command("pull")
def pull_command(
    provider: str = typer.Option(..., "--provider", help="Provider name (see `recorder providers`)."),
    source: str | None = typer.Option(None, "--source", metavar="URL_OR_PATH",
                                      help="Where to fetch the spec [default: the pinned source, else "
                                           "the provider profile's spec URL]."),
    version: str | None = typer.Option(None, "--version", metavar="V",
                                       help="Refuse a document whose info.version is not V."),
) -> None:
    """Fetch a provider's spec, slice it to the operations the cassettes and mocks use, pin it."""
    pinned = pull(provider, project(), load_registry(), source=source, version=version)
    typer.echo(f"pinned {provider} {pinned.version}: {len(pinned.operations)} operation(s), "
               f"{pinned.contract_path.stat().st_size:,} bytes in {pinned.contract_path}")


@contracts_app.command("update")
def update_command(
    provider: list[str] | None = typer.Option(None, "--provider", help="Only these providers [default: all pinned]."),
) -> None:
    """Accept each provider's current spec: re-fetch from the pinned source, re-pin, re-slice."""
    here = project()
    names = provider or pinned_providers(here.contracts)
    if not names:
        raise BadInput(here.contracts, "nothing pinned yet: run `recorder contracts pull --provider NAME`")
    registry = load_registry()
    for name in names:
        before = load_pinned(name, here.contracts)
        pinned = pull(name, here, registry)
        was = f"{before.version} -> " if before is not None else ""
        typer.echo(f"updated {name}: {was}{pinned.version}, {len(pinned.operations)} operation(s)")


@contracts_app.command("diff")
def diff_command(
    provider: str = typer.Option(..., "--provider", help="Provider name."),
    old: str | None = typer.Option(None, "--from", metavar="PINNED_OR_PATH",
                                   help="The old spec: `pinned` (default), a path or a URL."),
    new: str | None = typer.Option(None, "--to", metavar="latest|URL|PATH",
                                   help="The new spec: `latest` (default: the pinned source), a path or a URL."),
    all_operations: bool = typer.Option(False, "--all-operations", help="Every operation, not only those in use."),
    fmt: str = typer.Option("text", "--format", metavar="FORMAT", help=" | ".join(FORMATS)),
    output: Path | None = typer.Option(None, "--output", metavar="FILE", help="Write the report here."),
    fail_on: str = typer.Option("error", "--fail-on", metavar="LEVEL", help="error | warning"),
) -> None:
    """What changed between two spec versions, each change classified and traced to your files.

    Exit 0 when nothing breaking, 1 when a breaking change (or, with --fail-on warning, one that
    needs a look), 2 on bad input.
    """
    if fmt not in FORMATS:
        raise BadInput("--format", f"expected one of {', '.join(FORMATS)}, not {fmt!r}")
    if fail_on not in ("error", "warning"):
        raise BadInput("--fail-on", f"expected error or warning, not {fail_on!r}")
    registry = load_registry()
    registry.get(provider)
    report = diff(provider, project(), registry, old=old, new=new, all_operations=all_operations)
    write_report(report, fmt, output)
    raise typer.Exit(report.exit_code(fail_on))

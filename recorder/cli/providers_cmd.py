"""``recorder providers``: list the provider profiles in force for this project."""
from __future__ import annotations

import typer

from recorder.cli import app
from recorder.providers import load_registry


@app.command("providers")
def providers_command(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also show secret rules and volatile headers."),
) -> None:
    """List provider profiles: hosts, body encoding, API-version header, spec URL.

    Built-in profiles ship with recorder; add your own under [tool.recorder.providers.NAME]
    in pyproject.toml (same keys as recorder/providers/builtin/*.toml).
    """
    registry = load_registry()
    for provider in registry:
        typer.echo(f"{provider.name:<10} {', '.join(provider.hosts)}")
        typer.echo(f"{'':<10} body: {provider.body_encoding}; version header: "
                   f"{provider.api_version_header or '-'}; spec: {provider.spec_url or 'none published'}"
                   + ("" if provider.source.startswith("recorder/") else f"; from {provider.source}"))
        if verbose:
            typer.echo(f"{'':<10} secret headers: {', '.join(provider.secrets.headers)}")
            typer.echo(f"{'':<10} secret query/body: {', '.join(provider.secrets.query)} / "
                       f"{', '.join(provider.secrets.body_fields)}")
            typer.echo(f"{'':<10} volatile: {', '.join(provider.volatile_headers)}")

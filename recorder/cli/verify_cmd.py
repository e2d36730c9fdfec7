"""``recorder verify-contracts``: every cassette and mock file checked against provider specs.

Specs come from ``--spec PROVIDER=PATH_OR_URL`` (repeatable; several per provider are told apart
by ``info.version``) or, by default, from the pinned contracts in ``contracts/``. Exit 0 when no
errors, 1 when errors (or warnings with ``--fail-on warning``), 2 on bad input.
"""
from __future__ import annotations

from pathlib import Path

import typer

from recorder.cli import app
from recorder.config import load_project_config
from recorder.contracts.nightly import Project, verify_latest
from recorder.contracts.pinning import load_pinned, pinned_providers
from recorder.contracts.specset import SpecSet, build_spec_set, parse_spec_option
from recorder.contracts.verify import verify_paths
from recorder.errors import BadInput
from recorder.providers.registry import load_registry
from recorder.report.render import FORMATS, write_report

_FAIL_ON = ("error", "warning")


def pinned_spec_set(contracts: Path, *, use_cache: bool = True) -> SpecSet:
    """The specs pinned under ``contracts/<provider>/`` (each checked against its lock)."""
    options: list[tuple[str, str | Path]] = []
    for provider in pinned_providers(contracts) if contracts.is_dir() else []:
        pinned = load_pinned(provider, contracts)
        if pinned is not None:
            options.append((provider, pinned.contract_path))
    if not options:
        raise BadInput(contracts, "no pinned contracts here: pin one with `recorder contracts pull "
                                  "--provider NAME`, or pass --spec PROVIDER=PATH_OR_URL")
    return build_spec_set(options, use_cache=use_cache)


@app.command("verify-contracts")
def verify_contracts_command(
    paths: list[Path] | None = typer.Argument(
        None, metavar="PATH", show_default=False,
        help="Cassette files, mock files or folders [default: the project's cassettes/ and mocks/]."),
    spec: list[str] | None = typer.Option(
        None, "--spec", metavar="PROVIDER=PATH_OR_URL",
        help="A provider's OpenAPI spec (repeatable). Default: the pinned contracts in contracts/."),
    fmt: str = typer.Option("text", "--format", metavar="FORMAT", help=" | ".join(FORMATS)),
    output: Path | None = typer.Option(None, "--output", metavar="FILE", help="Write the report here."),
    fail_on: str = typer.Option("error", "--fail-on", metavar="LEVEL", help="error | warning"),
    no_cache: bool = typer.Option(False, "--no-cache", help="Prepare specs afresh, ignoring the cache."),
    latest: bool = typer.Option(False, "--latest", help="The nightly job: fetch each provider's current "
                                "spec (or --spec), diff it against the pinned one, validate against it."),
) -> None:
    """Check recorded interactions and mock files against the providers' OpenAPI contracts."""
    if fmt not in FORMATS:
        raise BadInput("--format", f"expected one of {', '.join(FORMATS)}, not {fmt!r}")
    if fail_on not in _FAIL_ON:
        raise BadInput("--fail-on", f"expected error or warning, not {fail_on!r}")
    config = load_project_config()
    registry = load_registry()
    options = [parse_spec_option(value) for value in spec or []]
    for provider, _ in options:
        registry.get(provider)  # an unknown provider name is bad input, said before any work
    if latest:
        if paths:
            raise BadInput("--latest", "checks the project's own cassettes and mocks; give no PATH")
        sources: dict[str, list[str]] = {}
        for provider, source in options:  # every --spec of a provider counts, as without --latest
            sources.setdefault(provider, []).append(source)
        report = verify_latest(Project(config.cassettes, config.mocks, config.contracts), registry,
                               overrides=sources)
        write_report(report, fmt, output)
        raise typer.Exit(report.exit_code(fail_on))
    if options:
        specs = build_spec_set(list(options), use_cache=not no_cache)
    else:
        specs = pinned_spec_set(config.contracts, use_cache=not no_cache)
    targets = list(paths) if paths else [p for p in (config.cassettes, config.mocks) if p.exists()]
    if not targets:
        raise BadInput(config.cassettes, "nothing to check: no such folder (pass cassette or mock paths)")
    report = verify_paths(targets, specs, registry=registry)
    write_report(report, fmt, output)
    raise typer.Exit(report.exit_code(fail_on))

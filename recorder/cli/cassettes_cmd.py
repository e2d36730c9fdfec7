"""``recorder cassettes``: import other tools' cassettes, show what a cassette holds.

Thin on purpose: the work is in ``recorder.cassette.convert`` and ``recorder.cassette.summary``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import typer

from recorder.cassette.convert import find_cassette_files
from recorder.cassette.load import load_cassette
from recorder.cassette.summary import COLUMNS, format_plain, summary_rows
from recorder.cli import app
from recorder.cli.progress import track
from recorder.providers import load_registry
from recorder.secrets.importing import import_scrubbed, refusal_lines

cassettes_app = typer.Typer(
    help="Import cassettes recorded by vcrpy, Ruby VCR or Betamax; show what a cassette holds.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(cassettes_app, name="cassettes")


@cassettes_app.command("import")
def import_command(
    sources: list[Path] = typer.Argument(..., metavar="SRC", help="Cassette files or folders (searched for "
                                         ".yml, .yaml and .json files)."),
    to: Path = typer.Option(..., "--to", metavar="DIR", help="Folder to write the canonical cassettes into."),
) -> None:
    """Convert cassettes from any supported dialect into recorder's canonical format.

    Each source becomes <stem>.yaml under --to (-2, -3... when two sources share a stem).
    Credentials are scrubbed by the provider's rules, as when recording; a file that still
    holds a secret afterwards is not written, with one line per leak (file, interaction,
    location, kind; never the value) and exit 1. Hand edits and damage found while reading are
    printed as warnings on stderr; a file that is not a cassette stops the import with exit 2.
    """
    files = find_cassette_files(sources, exclude=to)
    refused = 0
    for result in track(import_scrubbed(files, to, load_registry()), total=len(files), label="importing"):
        if result.refused is not None:
            refused += 1
            for line in refusal_lines(result):
                typer.echo(f"recorder: {line}", err=True)
            continue
        typer.echo(f"wrote {result.target} ({result.interactions} interactions, "
                   f"{len(result.warnings)} warnings)")
        for warning in result.warnings:
            typer.echo(f"{result.source}: {warning}", err=True)
    if refused:
        typer.echo(f"recorder: {refused} of {len(files)} file(s) not imported: secrets left after scrubbing",
                   err=True)
        raise typer.Exit(1)


@cassettes_app.command("show")
def show_command(
    file: Path = typer.Argument(..., help="A cassette in any supported dialect."),
) -> None:
    """List a cassette's interactions: index, method, URL, status and API version."""
    cassette = load_cassette(file)
    rows = summary_rows(cassette)
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(title=f"{file.name} ({cassette.dialect}, {len(rows)} interactions)")
        for column in COLUMNS:
            if column == "URL":
                table.add_column(column, overflow="fold")  # whole URLs, wrapped, rather than cut
            else:
                table.add_column(column, justify="right" if column in ("#", "status") else "left",
                                 no_wrap=True)
        for row in rows:
            table.add_row(*(Text(cell) for cell in row.cells()))  # Text: "expand[0]" is not markup
        Console().print(table)
    else:
        typer.echo(format_plain(rows))
    for warning in cassette.warnings:
        typer.echo(f"{file}: {warning}", err=True)

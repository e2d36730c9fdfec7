"""``recorder scan``: look for secrets left in cassette files, independently of how they were made.

Useful in CI and as a pre-commit hook: it reads the files as text, so it also checks cassettes
recorded by other tools (vcrpy, Ruby VCR, Betamax) before they are committed.
"""
from __future__ import annotations

from pathlib import Path

import typer

from recorder.cli import app
from recorder.config import load_project_config
from recorder.errors import BadInput
from recorder.secrets.scan import cassette_files, findings_json, scan_bytes

_FORMATS = ("text", "json")


@app.command("scan")
def scan_command(
    paths: list[Path] | None = typer.Argument(None, metavar="PATH", show_default=False,
                                              help="Cassette files or folders [default: tool.recorder.cassettes]."),
    output: str = typer.Option("text", "--format", metavar="FORMAT", help="text | json"),
) -> None:
    """Report secrets in cassettes: file:line, interaction, location and kind, never the value.

    Folders are searched for .yml, .yaml and .json files. Exit 0 when clean, 1 when anything
    is found, 2 on bad input.
    """
    if output not in _FORMATS:
        raise BadInput("--format", f"expected one of {', '.join(_FORMATS)}, not {output!r}")
    files = cassette_files(paths or [load_project_config().cassettes])
    findings = [f for path in files for f in scan_bytes(path.read_bytes(), str(path))]
    if output == "json":
        typer.echo(findings_json(findings, len(files)))
    else:
        for finding in findings:
            typer.echo(str(finding))
        if findings:
            leaking = len({f.source for f in findings})
            typer.echo(f"{len(findings)} secret(s) in {leaking} of {len(files)} file(s)")
        else:
            typer.echo(f"no secrets found in {len(files)} file(s)")
    if findings:
        raise typer.Exit(1)

"""Importing other tools' cassettes into the canonical format.

A project adopting recorder usually has cassettes already: vcrpy YAML, Ruby VCR, Betamax.
Import reads each with the dialect readers and writes it with the canonical writer, so from
then on every cassette reviews and loads the same way. Output is flat (``<stem>.yaml`` under
the target folder); two sources with the same stem get ``-2``, ``-3``... in the order given.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recorder.cassette.load import load_cassette
from recorder.cassette.model import Cassette, LoadWarning
from recorder.cassette.writer import Check, write_cassette
from recorder.errors import BadInput, SecretLeak

Prepare = Callable[[Cassette], Cassette]

CASSETTE_SUFFIXES = (".yml", ".yaml", ".json")


@dataclass(slots=True)
class ImportResult:
    source: Path
    target: Path
    dialect: str
    interactions: int
    warnings: list[LoadWarning] = field(default_factory=list)
    refused: SecretLeak | None = None  # the check refused it: nothing was written to ``target``


def find_cassette_files(sources: Iterable[str | Path], *, exclude: Path | None = None) -> list[Path]:
    """Files named on the command line, plus cassette-like files found under named folders.

    ``exclude`` (the import target) is skipped while recursing, so importing a folder into
    a subfolder of itself does not re-import last run's output.
    """
    skip = exclude.resolve() if exclude is not None else None
    found: list[Path] = []
    for source in map(Path, sources):
        if source.is_dir():
            for path in sorted(source.rglob("*")):
                if (path.is_file() and path.suffix.lower() in CASSETTE_SUFFIXES
                        and not (skip is not None and path.resolve().is_relative_to(skip))):
                    found.append(path)
        elif source.is_file():
            found.append(source)
        else:
            raise BadInput(source, "no such file or folder")
    return found


def import_cassettes(sources: list[Path], to: Path, *, check: Check | None = None,
                     registry: Any = None, prepare: Prepare | None = None) -> list[ImportResult]:
    """Convert every cassette under ``sources`` into a canonical file under ``to``.

    ``check`` is passed to :func:`write_cassette` (the secret scanner hooks in there), so a
    cassette that fails it is not written. A file that is not a cassette raises ``BadInput``;
    files converted before it stay written (re-running the import overwrites them).
    """
    to = Path(to)
    return list(iter_import(find_cassette_files(sources, exclude=to), to, check=check, registry=registry,
                            prepare=prepare))


def iter_import(files: list[Path], to: Path, *, check: Check | None = None,
                registry: Any = None, prepare: Prepare | None = None) -> Iterator[ImportResult]:
    """One result per file as it is written (the CLI draws progress from this).

    ``prepare`` turns each loaded cassette into what is written (the scrubber, see
    ``recorder.secrets.importing``). A file ``check`` refuses is not written; its result says
    why (``refused``) and the import goes on, its target name still reserved so the names the
    others get do not depend on which files leak.
    """
    if registry is None and files:
        from recorder.providers import load_registry

        registry = load_registry()  # once for the whole import, not once per file
    taken: set[str] = set()
    for source in files:
        cassette = load_cassette(source, registry=registry)
        target = to / _free_name(source.stem, taken)
        refused = None
        try:
            write_cassette(prepare(cassette) if prepare is not None else cassette, target, check=check)
        except SecretLeak as leak:
            refused = leak
        yield ImportResult(source=source, target=target, dialect=cassette.dialect,
                           interactions=len(cassette), warnings=list(cassette.warnings), refused=refused)


def _free_name(stem: str, taken: set[str]) -> str:
    """``stem.yaml``, or ``stem-2.yaml``... if an earlier source of this import used it."""
    name, number = f"{stem}.yaml", 1
    while name.lower() in taken:  # case-insensitive: the target may be on macOS or Windows
        number += 1
        name = f"{stem}-{number}.yaml"
    taken.add(name.lower())
    return name

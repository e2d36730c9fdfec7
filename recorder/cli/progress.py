"""Progress bars for long work: shown on an interactive terminal, silent in CI logs."""
from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def interactive() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


def track(items: Iterable[T], *, total: int | None, label: str) -> Iterator[T]:
    """Yield ``items``, drawing a bar on stderr when a person is watching."""
    if not interactive():
        yield from items
        return
    from rich.progress import Progress

    with Progress(transient=True, console=_stderr_console()) as progress:
        task = progress.add_task(label, total=total)
        for item in items:
            yield item
            progress.advance(task)


def _stderr_console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(stderr=True)

"""Choosing a format and writing the result: the one entry point the CLI commands call.

``verify-contracts`` and ``contracts diff`` both end with ``write_report(report, fmt, output)``;
keeping the format table here means a new format is one line, and both commands get it.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from recorder.atomic import atomic_write
from recorder.errors import BadInput
from recorder.report.html import render_html
from recorder.report.junit import render_junit
from recorder.report.markdown import render_markdown
from recorder.report.model import Report
from recorder.report.text import render_text


def render_json(report: Report) -> str:
    """The published JSON interface (keys and order fixed by :meth:`Report.to_json`)."""
    return json.dumps(report.to_json(), indent=2, sort_keys=False) + "\n"


_RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": render_text,
    "json": render_json,
    "junit": render_junit,
    "markdown": render_markdown,
    "html": render_html,
}
FORMATS: tuple[str, ...] = tuple(_RENDERERS)


def render(report: Report, fmt: str) -> str:
    """``report`` in format ``fmt`` (one of :data:`FORMATS`); an unknown format is bad input."""
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        raise BadInput("--format", f"expected one of {', '.join(FORMATS)}, not {fmt!r}")
    return renderer(report)


def write_report(report: Report, fmt: str, output: Path | None = None, *,
                 stream: TextIO | None = None) -> Path | None:
    """Render ``report`` and write it to ``output``, or to ``stream`` (default stdout) when None.

    The file is written atomically (a temporary file in the same folder, fsynced, then renamed
    over the target): a nightly job that dies mid-write, or a dashboard reading the file while
    it is rewritten, never sees half a report. Rendering happens first, so a bad ``fmt`` leaves
    the old file untouched. Returns the path written, or None for the stream.
    """
    text = render(report, fmt)
    if output is None:
        (stream if stream is not None else sys.stdout).write(text)
        return None
    output = Path(output)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(output, text.encode("utf-8"))
    except OSError as exc:
        raise BadInput(output, f"cannot write the report: {exc.strerror or exc}") from None
    return output

"""Choosing a format and writing the result: the one entry point the CLI commands call.

``verify-contracts`` and ``contracts diff`` both end with ``write_report(report, fmt, output)``;
keeping the format table here means a new format is one line, and both commands get it.
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

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
        _atomic_write(output, text.encode("utf-8"))
    except OSError as exc:
        raise BadInput(output, f"cannot write the report: {exc.strerror or exc}") from None
    return output


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    # 0o666 under the umask, like a plain open(): the report is meant to be read by others
    # (CI artifact upload, a web server), unlike mkstemp's 0o600.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise

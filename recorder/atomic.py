"""Writing files so a reader never sees half of one: temp file beside it, fsync, rename.

Cassettes, pinned contracts, prepared-spec caches and reports all go through here. Temp files
are created with mode 0o666 under the umask, like a plain ``open()``, because these files are
meant to be committed or read by others (mkstemp's 0o600 would surprise a reviewer).
"""
from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


def stage(path: Path, data: bytes) -> Path:
    """Write ``data`` to a new temp file next to ``path`` (flushed to disk); return the temp path."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, path.stat().st_mode & 0o7777)  # keep the old file's permissions
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step; on any failure the old file is untouched."""
    tmp = stage(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_folder(path.parent)


def fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (a no-op where folders cannot be opened, e.g. Windows)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

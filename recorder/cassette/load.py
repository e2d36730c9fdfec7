"""Load any cassette -- vcrpy, Ruby VCR (YAML or JSON), Betamax, our own -- into the model.

The dialect is read from the content, never the file name: projects name Ruby cassettes
``.yml``, Betamax ones ``.json``, and people rename files. Our canonical files (recognised by
their marker comment) take the fast reader; if it meets anything it does not expect, the file
goes through the ordinary YAML parser instead, so a hand edit costs speed, never correctness.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from recorder.cassette.dialects import build_cassette
from recorder.cassette.fastyaml import FastPathMiss, is_canonical, parse_canonical
from recorder.cassette.model import Cassette
from recorder.cassette.yamlio import load_yaml
from recorder.errors import BadInput

log = logging.getLogger(__name__)


def load_cassette(path: str | Path, *, registry: Any = None) -> Cassette:
    """Read and parse the cassette at ``path``; any problem is a one-line ``BadInput``.

    ``registry`` (a ``ProviderRegistry``) overrides the project's provider profiles, which
    are otherwise read once per call, and only if some interaction needs a provider lookup.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(path, "no such file") from None
    except IsADirectoryError:
        raise BadInput(path, "is a folder, not a cassette file") from None
    except OSError as exc:
        raise BadInput(path, f"cannot read: {exc.strerror or exc}") from None
    return parse_cassette(data, path, registry=registry)


def parse_cassette(data: bytes | str, path: str | Path | None = None, *, registry: Any = None) -> Cassette:
    """Parse cassette bytes (``path`` is only used in messages and on the result)."""
    where = Path(path) if path is not None else None
    text = _decode(data, where)
    start = text.lstrip()[:1]
    if not start:
        raise BadInput(where, "empty file, not a cassette")
    canonical = is_canonical(text)
    trusted = False
    parsed: Any
    if canonical:
        try:
            parsed = parse_canonical(text)
            trusted = True
        except FastPathMiss as miss:
            log.debug("%s: fast reader not used (%s); parsing as general YAML", where, miss)
            parsed = load_yaml(text, where)
    elif start in "{[":
        parsed = _load_json(text, where)
    else:
        parsed = load_yaml(text, where)
    return build_cassette(
        parsed,
        path=where,
        canonical=canonical,
        trusted=trusted,
        registry_factory=(lambda: registry) if registry is not None else _project_registry,
        recorded_with=_marker_name(text) if canonical else None,
    )


def _decode(data: bytes | str, where: Path | None) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BadInput(where, "not UTF-8 text, so not a cassette", place=f"line {line}") from None


def _load_json(text: str, where: Path | None) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        try:  # a YAML flow mapping is not JSON but may still be a cassette
            return load_yaml(text, where)
        except BadInput:
            raise BadInput(where, f"not valid JSON: {exc.msg}", place=f"line {exc.lineno}") from None
    except RecursionError:
        raise BadInput(where, "not a cassette: JSON nested too deeply") from None


def _marker_name(text: str) -> str:
    first = text.split("\n", 1)[0]
    return first.lstrip("# ").split(":", 1)[0].strip()


def _project_registry() -> Any:
    from recorder.providers import load_registry

    return load_registry()

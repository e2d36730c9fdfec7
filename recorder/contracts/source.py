"""Getting a provider's OpenAPI document, from a file or a URL, and refusing anything else.

Everything downstream (verification, pinning, slicing, diffing) starts from a
:class:`SpecDocument`: the parsed document plus the exact bytes' sha256, so caches and lock files
can key on content rather than on where it came from. Fetching uses urllib, which honours
``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` from the environment, so the nightly job works
behind a corporate proxy without configuration.
"""
from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from recorder.errors import BadInput

try:  # libyaml: Stripe's 4 MB YAML takes seconds with the pure-Python parser
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

FETCH_TIMEOUT_S = 60.0


@dataclass(slots=True)
class SpecDocument:
    """One OpenAPI document as published: where from, its bytes' hash, and its parsed data."""

    source: str                  # the path or URL it was read from, as given
    sha256: str                  # of the raw bytes: the identity caches and lock files use
    size: int
    data: dict[str, Any] = field(repr=False)

    @property
    def version(self) -> str:
        """``info.version``: for Stripe the API version (``2023-08-16``), for others a release."""
        return str((self.data.get("info") or {}).get("version") or "")

    @property
    def openapi(self) -> str:
        return str(self.data.get("openapi") or "")

    @property
    def is_31(self) -> bool:
        return self.openapi.startswith("3.1")


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def read_source(source: str | Path) -> bytes:
    """The raw bytes behind a path or URL; BadInput naming the source when they cannot be had."""
    text = str(source)
    if is_url(text):
        request = urllib.request.Request(text, headers={"User-Agent": "recorder (contracts pull)",
                                                        "Accept": "application/json, application/yaml, */*"})
        try:
            with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:  # noqa: S310
                return response.read()
        except urllib.error.HTTPError as exc:
            raise BadInput(text, f"cannot fetch the spec: HTTP {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise BadInput(text, f"cannot fetch the spec: {reason}") from None
    path = Path(text)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise BadInput(text, "no such spec file") from None
    except IsADirectoryError:
        raise BadInput(text, "is a folder, not a spec file") from None
    except OSError as exc:
        raise BadInput(text, f"cannot read the spec: {exc.strerror or exc}") from None


def parse_spec_bytes(raw: bytes, source: str) -> dict[str, Any]:
    """JSON first (fast, and what most providers publish), YAML otherwise; must be OpenAPI 3.x."""
    data: Any
    stripped = raw.lstrip()
    if stripped[:1] in (b"{", b"["):
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadInput(source, f"not valid JSON: {exc}") from None
    else:
        try:
            data = yaml.load(raw, Loader=_SafeLoader)  # noqa: S506 - safe loader
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            place = f"line {mark.line + 1}" if mark is not None else None
            raise BadInput(source, f"not valid YAML or JSON: {getattr(exc, 'problem', exc)}", place) from None
    if not isinstance(data, dict):
        raise BadInput(source, "not an OpenAPI document (the top level is not a mapping)")
    version = str(data.get("openapi") or "")
    if not version:
        hint = " (Swagger 2.0 is not supported; convert it to OpenAPI 3)" if "swagger" in data else ""
        raise BadInput(source, f"not an OpenAPI document: no 'openapi' key{hint}")
    if not version.startswith("3."):
        raise BadInput(source, f"unsupported OpenAPI version {version!r}; 3.0 and 3.1 are supported", "openapi")
    if not isinstance(data.get("paths"), dict):
        raise BadInput(source, "not an OpenAPI document: 'paths' is missing or not a mapping", "paths")
    return data


def load_spec(source: str | Path) -> SpecDocument:
    """Read, hash and parse one spec; every failure is one BadInput line naming the source."""
    raw = read_source(source)
    text = str(source)
    return SpecDocument(source=text, sha256=hashlib.sha256(raw).hexdigest(), size=len(raw),
                        data=parse_spec_bytes(raw, text))

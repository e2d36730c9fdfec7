"""Mock files: hand-written canned responses for one endpoint of one provider.

The format (``type: MOCK``, ``mockTarget``, ``mockPath`` with ``*`` wildcards, optional
``mockMethod``, ``mockResponseStatus``, ``mockResponseHeaders``, ``mockResponseBody``,
``mockResponseDelay`` in ms) is the one teams already write for declarative multi-service
tests. A mock is looked up by host first (a dict), then by its compiled path pattern.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from recorder.cassette.headers import Headers
from recorder.cassette.model import Body, Response
from recorder.errors import BadInput

_KNOWN_KEYS = {"type", "name", "mockTarget", "mockPath", "mockMethod", "mockResponseStatus",
               "mockResponseHeaders", "mockResponseBody", "mockResponseDelay", "description"}


@dataclass(frozen=True, slots=True)
class Mock:
    name: str
    target: str           # host, lower-case
    path: str             # as written, with * wildcards
    method: str | None    # None: any method
    status: int
    headers: tuple[tuple[str, str], ...]
    body: Any             # parsed YAML value; None for no body
    delay_ms: int
    source: Path
    pattern: re.Pattern[str] = field(compare=False, repr=False, default=re.compile(""))

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method.upper()) and bool(self.pattern.fullmatch(path))

    def response(self) -> Response:
        headers = Headers((name, [value]) for name, value in self.headers)
        if self.body is None:
            raw = b""
        elif isinstance(self.body, str):
            raw = self.body.encode("utf-8")
        else:
            raw = json.dumps(self.body, ensure_ascii=False).encode("utf-8")
            if "content-type" not in headers:
                headers.add("Content-Type", "application/json")
        return Response(status=self.status, reason="", headers=headers, body=Body(raw))


def path_pattern(path: str) -> re.Pattern[str]:
    """``/2010-04-01/Accounts/*/Messages.json``: ``*`` stands for one or more characters of one segment."""
    return re.compile("".join("[^/]+" if part == "*" else re.escape(part) for part in re.split(r"(\*)", path)))


def load_mock(path: Path) -> Mock:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(path, "no such mock file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"line {mark.line + 1}" if mark else None
        raise BadInput(path, f"not valid YAML ({getattr(exc, 'problem', exc)})", place=place) from None
    if not isinstance(data, dict):
        raise BadInput(path, "a mock file is a mapping of mock* keys")
    if data.get("type") != "MOCK":
        raise BadInput(path, f"type must be MOCK, not {data.get('type')!r}", place="type")
    for key in ("name", "mockTarget", "mockPath"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise BadInput(path, "required, a non-empty string", place=key)
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise BadInput(path, "unknown key", place=unknown[0])
    status = data.get("mockResponseStatus", 200)
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise BadInput(path, f"an HTTP status code, not {status!r}", place="mockResponseStatus")
    delay = data.get("mockResponseDelay", 0)
    if not isinstance(delay, int) or delay < 0:
        raise BadInput(path, f"milliseconds as a whole number >= 0, not {delay!r}", place="mockResponseDelay")
    headers = data.get("mockResponseHeaders") or {}
    if not isinstance(headers, dict):
        raise BadInput(path, "a mapping of header name to value", place="mockResponseHeaders")
    method = data.get("mockMethod")
    if method is not None and not isinstance(method, str):
        raise BadInput(path, "an HTTP method name", place="mockMethod")
    mock_path = data["mockPath"] if data["mockPath"].startswith("/") else "/" + data["mockPath"]
    return Mock(
        name=data["name"], target=data["mockTarget"].lower(), path=mock_path,
        method=method.upper() if method else None, status=status,
        headers=tuple((str(k), str(v)) for k, v in headers.items()), body=data.get("mockResponseBody"),
        delay_ms=delay, source=path, pattern=path_pattern(mock_path))


def find_mock_files(reference: str, folder: Path) -> Path:
    """A mock given by path, or by file stem / ``name`` inside the mocks folder."""
    candidate = Path(reference)
    if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
        return candidate
    for suffix in (".yaml", ".yml"):
        in_folder = folder / f"{reference}{suffix}"
        if in_folder.is_file():
            return in_folder
    raise BadInput(reference, f"no mock file by that path or name in {folder}")


def is_mock_file(path: Path) -> bool:
    """Cheap sniff: mock files say ``type: MOCK`` near the top."""
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:2048]
    except OSError:
        return False
    return bool(re.search(r"^type:\s*['\"]?MOCK['\"]?\s*$", head, re.M))

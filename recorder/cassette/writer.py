"""The one canonical cassette format: vcrpy-compatible YAML that reviews well and loads fast.

Layout (the fast reader in ``fastyaml.py`` relies on every detail, so change both together)::

    # recorder cassette v1: vcrpy-compatible; bodies are exact bytes unless noted
    interactions:
    - request:
        method: POST
        uri: https://api.stripe.com/v1/customers
        headers:            # names sorted case-insensitively; ``headers: {}`` when none
          Content-Type:
          - application/x-www-form-urlencoded
        body: email=a%40b.c # null when empty; | block literal; !!binary | base64
      response:
        status:
          code: 200
          message: OK
        headers: ...
        body:
          string: |-
            {
              "id": "cus_123"
            }
      recorded_at: ...      # metadata sits beside request/response: vcrpy passes the
      provider: stripe      # request mapping to Request(**dct), so it must hold only
      api_version: ...      # method/uri/body/headers; it ignores extra interaction keys.
    version: 1

"Unless noted": responses are stored in reviewable form (see ``bodies.py``): gzip/deflate
text decoded, one-line JSON pretty-printed, Content-Length fixed to match.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from recorder.atomic import atomic_write
from recorder.cassette.bodies import readable_response_body
from recorder.cassette.emit import binary_lines, block_indicator, block_lines, scalar
from recorder.cassette.fastyaml import MARKER
from recorder.cassette.headers import Headers
from recorder.cassette.model import Cassette, Interaction
from recorder.errors import BadInput

Check = Callable[[bytes, Path], None]


def dumps_cassette(cassette: Cassette) -> bytes:
    """The canonical bytes for ``cassette``: deterministic, the same input gives the same bytes."""
    out: list[str] = [MARKER, "\n"]
    if cassette.interactions:
        out.append("interactions:\n")
        for interaction in cassette.interactions:
            _interaction(interaction, out)
    else:
        out.append("interactions: []\n")
    out.append("version: 1\n")
    return "".join(out).encode("utf-8")


def write_cassette(cassette: Cassette, path: str | Path, *, check: Check | None = None) -> Path:
    """Write ``cassette`` to ``path`` atomically and return the path.

    ``check(data, path)`` runs on the serialized bytes before anything touches the disk (the
    secret scanner hooks in here); if it raises, nothing is written, not even the folder.
    The bytes go to a temporary file in the target folder, are fsynced, then renamed over
    the old file: a crash or an exception leaves the old cassette whole, never half-written.
    """
    path = Path(path)
    data = dumps_cassette(cassette)
    if check is not None:
        check(data, path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data)
    except OSError as exc:
        raise BadInput(path, f"cannot write: {exc.strerror or exc}") from None
    return path


def _interaction(interaction: Interaction, out: list[str]) -> None:
    request, response = interaction.request, interaction.response
    out.append("- request:\n")
    out.append(f"    method: {scalar(request.method)}\n")
    out.append(f"    uri: {scalar(request.uri)}\n")
    _headers(request.headers, out)
    if request.body.raw:
        _body("    body:", request.body.raw, "      ", out)
    else:
        out.append("    body: null\n")
    readable = readable_response_body(response.headers, response.body.raw)
    out.append("  response:\n    status:\n")
    out.append(f"      code: {int(response.status)}\n")
    out.append(f"      message: {scalar(response.reason or '')}\n")
    _headers(readable.headers, out)
    out.append("    body:\n")
    _body("      string:", readable.raw, "        ", out)
    for key, value in (("recorded_at", interaction.recorded_at), ("provider", interaction.provider),
                       ("api_version", interaction.api_version)):
        if value is not None:
            out.append(f"  {key}: {scalar(str(value))}\n")


def _headers(headers: Headers, out: list[str]) -> None:
    if not len(headers):
        out.append("    headers: {}\n")
        return
    out.append("    headers:\n")
    for name, values in sorted(headers.items(), key=lambda item: (item[0].lower(), item[0])):
        if not values:
            out.append(f"      {scalar(name)}: []\n")
            continue
        out.append(f"      {scalar(name)}:\n")
        for value in values:
            out.append(f"      - {scalar(value)}\n")


def _body(key: str, raw: bytes, indent: str, out: list[str]) -> None:
    """Text as a block literal or one-line scalar; anything not UTF-8 as ``!!binary``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        out.append(f"{key} !!binary |\n")
        out.append(binary_lines(raw, indent))
        return
    indicator = block_indicator(text)
    if indicator is not None:
        out.append(f"{key} {indicator}\n")
        out.append(block_lines(text, indent))
    else:
        out.append(f"{key} {scalar(text)}\n")
